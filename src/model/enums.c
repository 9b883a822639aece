/* The name tables of the model's enums (see enums.h) and the descriptors of
 * the core ones. Pure: no I/O. */
#include "model/enums.h"
#include "core/accounts.h"

#include <stddef.h>
#include <string.h>

const char *const collection_method_names[COLLECTION__COUNT + 1] = {
    [COLLECTION_CHARGE_AUTOMATICALLY] = "charge_automatically",
    [COLLECTION_SEND_INVOICE] = "send_invoice",
};

static const char *const reason_names[BILLING_REASON__COUNT] = {
    [BILLING_REASON_MANUAL] = "manual",
    [BILLING_REASON_SUBSCRIPTION] = "subscription",
    [BILLING_REASON_SUBSCRIPTION_CREATE] = "subscription_create",
    [BILLING_REASON_SUBSCRIPTION_CYCLE] = "subscription_cycle",
    [BILLING_REASON_SUBSCRIPTION_THRESHOLD] = "subscription_threshold",
    [BILLING_REASON_SUBSCRIPTION_UPDATE] = "subscription_update",
    [BILLING_REASON_UPCOMING] = "upcoming",
};

static const char *const line_type_names[LINE__COUNT] = {
    [LINE_SUBSCRIPTION] = "subscription",
    [LINE_INVOICEITEM] = "invoiceitem",
};

static const char *const price_type_names[PRICE__COUNT] = {
    [PRICE_ONE_TIME] = "one_time",
    [PRICE_RECURRING] = "recurring",
};

static const char *const balance_txn_type_names[BTXN__COUNT] = {
    [BTXN_ADJUSTMENT] = "adjustment",
    [BTXN_APPLIED_TO_INVOICE] = "applied_to_invoice",
    [BTXN_INITIAL] = "initial",
    [BTXN_UNAPPLIED_FROM_INVOICE] = "unapplied_from_invoice",
};

static const char *const clock_status_names[TEST_CLOCK__COUNT] = {
    [TEST_CLOCK_READY] = "ready",
    [TEST_CLOCK_ADVANCING] = "advancing",
    [TEST_CLOCK_INTERNAL_FAILURE] = "internal_failure",
};

static const char *name_in(const char *const *table, int n, int v)
{
	return v >= 0 && v < n ? table[v] : NULL;
}

static const char *sub_status_of(int v)
{
	return sub_status_name((enum sub_status)v);
}

static const char *invoice_status_of(int v)
{
	return invoice_status_name((enum invoice_status)v);
}

static const char *interval_of(int v)
{
	return cal_interval_name((enum cal_interval)v);
}

static const char *collection_of(int v)
{
	return name_in(collection_method_names, COLLECTION__COUNT, v);
}

static const char *reason_of(int v)
{
	return name_in(reason_names, BILLING_REASON__COUNT, v);
}

static const char *line_type_of(int v)
{
	return name_in(line_type_names, LINE__COUNT, v);
}

static const char *price_type_of(int v)
{
	return name_in(price_type_names, PRICE__COUNT, v);
}

static const char *clock_status_of(int v)
{
	return name_in(clock_status_names, TEST_CLOCK__COUNT, v);
}

const struct model_enum model_enum_sub_status = {"subscription_status", SUB__COUNT, sub_status_of};
const struct model_enum model_enum_invoice_status = {"invoice_status", INV__COUNT, invoice_status_of};
const struct model_enum model_enum_interval = {"recurring_interval", CAL_YEAR + 1, interval_of};
const struct model_enum model_enum_collection_method = {"collection_method", COLLECTION__COUNT, collection_of};
const struct model_enum model_enum_billing_reason = {"billing_reason", BILLING_REASON__COUNT, reason_of};
const struct model_enum model_enum_line_type = {"line_item_type", LINE__COUNT, line_type_of};
const struct model_enum model_enum_price_type = {"price_type", PRICE__COUNT, price_type_of};
const struct model_enum model_enum_test_clock_status = {"test_clock_status", TEST_CLOCK__COUNT, clock_status_of};

static const char *balance_txn_type_of(int v)
{
	return name_in(balance_txn_type_names, BTXN__COUNT, v);
}
const struct model_enum model_enum_balance_txn_type = {"balance_transaction_type", BTXN__COUNT, balance_txn_type_of};

static const char *user_role_of(int v)
{
	return acct_role_name((enum user_role)v);
}
const struct model_enum model_enum_user_role = {"user_role", ROLE__COUNT, user_role_of};

const char *model_enum_name(const struct model_enum *e, int v)
{
	return v >= 0 && v < e->n ? e->value_name(v) : NULL;
}

int model_enum_parse(const struct model_enum *e, const char *s)
{
	if (!s)
		return e->n;
	for (int i = 0; i < e->n; i++) {
		const char *name = e->value_name(i);
		if (name && strcmp(s, name) == 0)
			return i;
	}
	return e->n;
}

const char *collection_method_name(enum collection_method v)
{
	return collection_of((int)v);
}

enum collection_method collection_method_parse(const char *s)
{
	return (enum collection_method)model_enum_parse(&model_enum_collection_method, s);
}

const char *billing_reason_name(enum billing_reason v)
{
	return reason_of((int)v);
}

enum billing_reason billing_reason_parse(const char *s)
{
	return (enum billing_reason)model_enum_parse(&model_enum_billing_reason, s);
}

const char *line_type_name(enum line_type v)
{
	return line_type_of((int)v);
}

enum line_type line_type_parse(const char *s)
{
	return (enum line_type)model_enum_parse(&model_enum_line_type, s);
}

const char *price_type_name(enum price_type v)
{
	return price_type_of((int)v);
}

const char *test_clock_status_name(enum test_clock_status v)
{
	return clock_status_of((int)v);
}

enum test_clock_status test_clock_status_parse(const char *s)
{
	return (enum test_clock_status)model_enum_parse(&model_enum_test_clock_status, s);
}

const char *balance_txn_type_name(enum balance_txn_type v)
{
	return balance_txn_type_of((int)v);
}
