/* The closed sets of the domain model: every status and enumerated field of
 * an object is a C enum inside oneGuard, never a string. Each enum has one
 * name table (its wire and database spelling) behind a struct model_enum, so
 * the store reads and writes the TEXT columns, the renderers write JSON and
 * a schema generator lists the values from the same table.
 *
 * The subscription and invoice statuses and the billing interval live in
 * src/core beside their state machines and calendar (enum sub_status,
 * enum invoice_status, enum cal_interval); they get a struct model_enum here
 * too. Each enum's X__COUNT doubles as "unknown": a stored text outside the
 * table reads as X__COUNT, renders as null, and no state machine accepts it. */
#ifndef OG_MODEL_ENUMS_H
#define OG_MODEL_ENUMS_H

#include "core/calendar.h"
#include "core/invoice_calc.h"
#include "core/subscription_fsm.h"

enum collection_method { COLLECTION_CHARGE_AUTOMATICALLY, COLLECTION_SEND_INVOICE, COLLECTION__COUNT };

enum billing_reason {
	BILLING_REASON_MANUAL,
	BILLING_REASON_SUBSCRIPTION,
	BILLING_REASON_SUBSCRIPTION_CREATE,
	BILLING_REASON_SUBSCRIPTION_CYCLE,
	BILLING_REASON_SUBSCRIPTION_THRESHOLD,
	BILLING_REASON_SUBSCRIPTION_UPDATE,
	BILLING_REASON_UPCOMING,
	BILLING_REASON__COUNT
};

/* What an invoice line bills: a subscription item's period or an invoice item. */
enum line_type { LINE_SUBSCRIPTION, LINE_INVOICEITEM, LINE__COUNT };

/* A price's type: one_time (no interval) or recurring. */
enum price_type { PRICE_ONE_TIME, PRICE_RECURRING, PRICE__COUNT };

/* Why a customer's balance changed (Stripe's customer_balance_transaction.type). */
enum balance_txn_type {
	BTXN_ADJUSTMENT,
	BTXN_APPLIED_TO_INVOICE,
	BTXN_INITIAL,
	BTXN_UNAPPLIED_FROM_INVOICE,
	BTXN__COUNT
};

enum test_clock_status { TEST_CLOCK_READY, TEST_CLOCK_ADVANCING, TEST_CLOCK_INTERNAL_FAILURE, TEST_CLOCK__COUNT };

/* One closed set: its schema name, its size and the name of each value
 * 0..n-1 (a function, so the core enums keep their own tables). */
struct model_enum {
	const char *name; /* "subscription_status" */
	int n;
	const char *(*value_name)(int v);
};

extern const struct model_enum model_enum_sub_status;
extern const struct model_enum model_enum_invoice_status;
extern const struct model_enum model_enum_interval;
extern const struct model_enum model_enum_collection_method;
extern const struct model_enum model_enum_billing_reason;
extern const struct model_enum model_enum_line_type;
extern const struct model_enum model_enum_price_type;
extern const struct model_enum model_enum_test_clock_status;
extern const struct model_enum model_enum_balance_txn_type;
extern const struct model_enum model_enum_user_role; /* enum user_role (core/accounts.h) */

/* The name of value v; NULL outside 0..n-1 (the "unknown" X__COUNT). */
const char *model_enum_name(const struct model_enum *e, int v);
/* The value named s (exact match); e->n (X__COUNT) for NULL or anything else. */
int model_enum_parse(const struct model_enum *e, const char *s);

/* Typed shorthands: the name of a value (NULL when unknown) and the value of
 * a name (X__COUNT when unknown). */
const char *collection_method_name(enum collection_method v);
/* The names in enum collection_method's order, then NULL (a parameter
 * spec's PS_ENUM choices). */
extern const char *const collection_method_names[];
enum collection_method collection_method_parse(const char *s);
const char *billing_reason_name(enum billing_reason v);
enum billing_reason billing_reason_parse(const char *s);
const char *line_type_name(enum line_type v);
enum line_type line_type_parse(const char *s);
const char *price_type_name(enum price_type v);
const char *test_clock_status_name(enum test_clock_status v);
enum test_clock_status test_clock_status_parse(const char *s);
const char *balance_txn_type_name(enum balance_txn_type v);

#endif
