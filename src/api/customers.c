/* HTTP handlers for /v1/customers. No SQL here: see store/customers.c.
 * Limits: email up to 512 bytes (must look like local@domain), name 256,
 * phone 64, description 5000, each address field 200 (country 2 letters).
 * An address given on update replaces the stored one whole; "" clears it.
 * test_clock (create only, when the server allows test clocks) puts the
 * customer on a test clock: it is created at the clock's frozen time, and
 * its subscriptions copy the clock and live at its time. It cannot change.
 *
 * Invoice numbering (Stripe's): invoice_prefix is 3-12 of A-Z 0-9, unique
 * over every customer ever created (deleted ones keep theirs), and not the
 * account's --invoice-prefix; a new customer without one gets 8 random
 * characters. next_invoice_sequence (1 to 10^9) is the sequence its next
 * invoice takes with --invoice-numbering customer (PREFIX-0001). Once the
 * customer's series has issued a number, neither can change: a lower
 * sequence would reuse numbers, a higher one would leave a gap, and a new
 * prefix would free the old one for another customer (400 naming the
 * parameter; sending the current value is accepted).
 *
 * A customer user (portal) sees only its own customer: another id answers
 * 404 exactly like a missing one, and the list holds its own customer
 * alone. On itself it may change name, email, phone and address (what a
 * person keeps up to date); description, currency, metadata,
 * invoice_prefix and next_invoice_sequence are the merchant's (403 naming
 * the parameter). */
#include "api/api.h"
#include "api/common.h"
#include "billing/accounts.h"
#include "billing/balance.h"
#include "core/money.h"
#include "core/invoice_calc.h"
#include "store/payments.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_EMAIL_MAX       512
#define CUSTOMER_NAME_MAX        256
#define CUSTOMER_PHONE_MAX       64
#define CUSTOMER_DESCRIPTION_MAX 5000
#define ADDRESS_FIELD_MAX        200
#define NEXT_SEQUENCE_MAX        1000000000
#define RANDOM_PREFIX_LEN        8
#define RANDOM_PREFIX_TRIES      16

#define N_ADDRESS_FIELDS 6 /* city, country, line1, line2, postal_code, state */

static bool email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
			return false;
	const char *dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1];
}

struct customer_input {
	struct og_customer c;
	bool is_create;
	int64_t test_clock_id;
	bool has_test_clock;
	json_t *metadata;
	bool has_metadata;
	bool has_address, address_null;
	const char *address[N_ADDRESS_FIELDS]; /* in address_spec order */
	const char *invoice_prefix;
	bool has_invoice_prefix;
	int64_t next_invoice_sequence;
	bool has_next_invoice_sequence;
	int64_t balance; /* create: the opening balance (issue 14), an `initial` transaction */
	/* list */
	struct og_page page;
	const char *email;
	/* issue 14: invoice_settings[default_payment_method] ("" clears) */
	int64_t default_pm;
	bool has_default_pm, default_pm_null;
};
#define IN(m) PARAM_AT(struct customer_input, m)

/* issue 14 */
static const struct param_spec invoice_settings_spec[] = {
    {.name = "default_payment_method",
     .type = PT_ID,
     .flags = P_NULLABLE,
     .id_kind = ID_PAYMENT_METHOD,
     .at = IN(default_pm),
     .present_at = IN(has_default_pm),
     .null_at = IN(default_pm_null),
     .doc = "The payment method (attached to this customer) its invoices are charged to; \"\" clears it."},
    PS_END,
};

/* Entry i reads address[i]; the stored address takes its keys from here. */
static const struct param_spec address_spec[] = {
    PS_STRING("city", IN(address[0]), PARAM_NOWHERE, ADDRESS_FIELD_MAX, P_NULLABLE, "City or town."),
    PS_STRING("country", IN(address[1]), PARAM_NOWHERE, 2, P_NULLABLE, "Two-letter ISO 3166-1 country code."),
    PS_STRING("line1", IN(address[2]), PARAM_NOWHERE, ADDRESS_FIELD_MAX, P_NULLABLE, "Street and number."),
    PS_STRING("line2", IN(address[3]), PARAM_NOWHERE, ADDRESS_FIELD_MAX, P_NULLABLE, "Apartment, suite, unit."),
    PS_STRING("postal_code", IN(address[4]), PARAM_NOWHERE, ADDRESS_FIELD_MAX, P_NULLABLE, "ZIP or postal code."),
    PS_STRING("state", IN(address[5]), PARAM_NOWHERE, ADDRESS_FIELD_MAX, P_NULLABLE, "State, county or province."),
    PS_END,
};

#define CUSTOMER_FIELDS                                                                                                \
	PS_STRING("email", IN(c.email), PARAM_NOWHERE, CUSTOMER_EMAIL_MAX, P_NULLABLE,                                 \
	          "Where invoices go; must look like local@domain."),                                                  \
	    PS_STRING("name", IN(c.name), PARAM_NOWHERE, CUSTOMER_NAME_MAX, P_NULLABLE,                                \
	              "Full name or business name."),                                                                  \
	    PS_STRING("phone", IN(c.phone), PARAM_NOWHERE, CUSTOMER_PHONE_MAX, P_NULLABLE, "Phone number."),           \
	    PS_STRING("description", IN(c.description), PARAM_NOWHERE, CUSTOMER_DESCRIPTION_MAX, P_NULLABLE,           \
	              "A note for you."),                                                                              \
	    PS_CURRENCY("currency", IN(c.currency), PARAM_NOWHERE, P_NULLABLE, "The customer's default currency."),    \
	    {.name = "address",                                                                                        \
	     .type = PT_OBJECT,                                                                                        \
	     .flags = P_NULLABLE,                                                                                      \
	     .sub = address_spec,                                                                                      \
	     .present_at = IN(has_address),                                                                            \
	     .null_at = IN(address_null),                                                                              \
	     .doc = "The billing address; replaces the stored one whole, \"\" or null clears it."},                    \
	    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Your key-value pairs."),                          \
	    PS_STRING("invoice_prefix", IN(invoice_prefix), IN(has_invoice_prefix), INVOICE_PREFIX_MAX, 0,             \
	              "3-12 uppercase letters or digits prefixing this customer's invoice numbers (unique)."),         \
	    PS_INT64("next_invoice_sequence", IN(next_invoice_sequence), IN(has_next_invoice_sequence), 1,             \
	             NEXT_SEQUENCE_MAX, 0, "The sequence number of the customer's next invoice."),                     \
	    PS_OBJECT("invoice_settings", invoice_settings_spec, PARAM_NOWHERE, PARAM_NOWHERE, 0,                      \
	              "How invoices are paid: default_payment_method.")

static const struct param_spec create_spec[] = {
    CUSTOMER_FIELDS,
    PS_ID("test_clock", ID_TEST_CLOCK, IN(test_clock_id), IN(has_test_clock), 0,
          "Puts the customer on a test clock (when the server allows test clocks); fixed at creation."),
    {.name = "balance",
     .type = PT_AMOUNT,
     .at = IN(balance),
     .min = -MONEY_AMOUNT_MAX,
     .max = MONEY_AMOUNT_MAX,
     .doc = "Opening balance in minor units of currency (required with it); negative is a credit."},
    PS_END,
};
/* a customer's clock is fixed at creation */
static const struct param_spec update_spec[] = {CUSTOMER_FIELDS, PS_END};

static const struct param_spec list_spec[] = {
    PS_PAGE(struct customer_input, page, ID_CUSTOMER),
    PS_STRING("email", IN(email), PARAM_NOWHERE, CUSTOMER_EMAIL_MAX, 0, "Only customers with this email."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};

static enum og_ec parse_customer(struct og_req *rq, struct customer_input *in)
{
	enum og_ec ec = params_parse_into(rq, rq->body, in->is_create ? create_spec : update_spec, in);
	if (ec)
		return ec;
	if (in->c.email && !*in->c.email)
		in->c.email = NULL;
	if (in->c.email && !email_valid(in->c.email))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "email", "Invalid email address: '%.100s'", in->c.email);
	if (in->has_address) {
		if (in->address_null) {
			in->c.address = NULL;
		} else {
			json_t *a = json_object();
			for (int i = 0; i < N_ADDRESS_FIELDS; i++)
				json_object_set_new(a, address_spec[i].name,
				                    in->address[i] && *in->address[i] ? json_string(in->address[i])
				                                                      : json_null());
			char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(a);
			in->c.address = arena_strdup(rq->arena, text);
			free(text);
		}
	}
	return OG_EC_NONE;
}

/* A prefix that no customer has, ever (deleted ones included). */
static enum og_ec check_prefix_free(struct og_req *rq, const char *prefix, int64_t self)
{
	if (!invoice_prefix_valid(prefix))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice_prefix",
		              "Invalid invoice_prefix '%.20s': use 3 to 12 uppercase letters (A-Z) and digits (0-9).",
		              prefix);
	if (rq->cfg && !strcmp(prefix, rq->cfg->invoice_prefix))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice_prefix",
		              "invoice_prefix '%s' is the account's invoice number prefix; choose another.", prefix);
	int64_t owner = 0;
	enum db_rc rc = store_customer_find_prefix(rq->db, prefix, &owner);
	if (rc == DB_ROW && owner != self)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice_prefix",
		              "invoice_prefix '%s' is already in use by another customer.", prefix);
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "customer", NULL);
	return OG_EC_NONE;
}

/* A new customer's prefix: 8 random characters that no customer has. */
static enum og_ec random_prefix(struct og_req *rq, const char **out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char prefix[RANDOM_PREFIX_LEN + 1];
	for (int attempt = 0; attempt < RANDOM_PREFIX_TRIES; attempt++) {
		for (int i = 0; i < RANDOM_PREFIX_LEN; i++)
			prefix[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
		prefix[RANDOM_PREFIX_LEN] = 0;
		int64_t owner = 0;
		enum db_rc rc = store_customer_find_prefix(rq->db, prefix, &owner);
		if (rc == DB_DONE && (!rq->cfg || strcmp(prefix, rq->cfg->invoice_prefix))) {
			*out = arena_strdup(rq->arena, prefix);
			return OG_EC_NONE;
		}
		if (rc != DB_ROW && rc != DB_DONE)
			return api_db_error(rq, rc, "customer", NULL);
	}
	return OG_BUG(&rq->err, "no free invoice_prefix in 16 random draws");
}

/* Whether the customer's own series has issued a number: its last one,
 * PREFIX-(next_invoice_sequence - 1), exists (numbers are taken one after
 * the other, so that is the latest). */
static enum og_ec series_started(struct og_req *rq, const struct og_customer *c, bool *started)
{
	char number[64];
	*started = false;
	if (!c->invoice_prefix || c->next_invoice_sequence <= 1)
		return OG_EC_NONE;
	invoice_customer_number_format(c->invoice_prefix, c->next_invoice_sequence - 1, number, sizeof number);
	enum db_rc rc = store_customer_number_issued(rq->db, number);
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "customer", NULL);
	*started = rc == DB_ROW;
	return OG_EC_NONE;
}

/* invoice_prefix and next_invoice_sequence onto in->c (see the file
 * comment); in->c holds the stored customer on update. */
static enum og_ec apply_numbering(struct og_req *rq, struct customer_input *in)
{
	bool new_prefix = in->has_invoice_prefix &&
	                  (in->is_create || !in->c.invoice_prefix || strcmp(in->invoice_prefix, in->c.invoice_prefix));
	bool new_sequence = in->has_next_invoice_sequence &&
	                    (in->is_create || in->next_invoice_sequence != in->c.next_invoice_sequence);
	enum og_ec ec;
	if (!in->is_create && (new_prefix || new_sequence)) {
		bool started = false;
		if ((ec = series_started(rq, &in->c, &started)))
			return ec;
		if (started)
			return og_err(&rq->err, OG_EC_PARAM_INVALID,
			              new_prefix ? "invoice_prefix" : "next_invoice_sequence",
			              "This customer's invoice number series has started (%s-%04lld was its last); "
			              "%s can no longer change, so that numbers stay unique and without gaps.",
			              in->c.invoice_prefix, (long long)(in->c.next_invoice_sequence - 1),
			              new_prefix ? "invoice_prefix" : "next_invoice_sequence");
	}
	if (new_prefix) {
		if ((ec = check_prefix_free(rq, in->invoice_prefix, in->is_create ? 0 : in->c.id)))
			return ec;
		in->c.invoice_prefix = in->invoice_prefix;
	} else if (in->is_create || !in->c.invoice_prefix) {
		if ((ec = random_prefix(rq, &in->c.invoice_prefix)))
			return ec;
	}
	if (in->has_next_invoice_sequence)
		in->c.next_invoice_sequence = in->next_invoice_sequence;
	else if (in->is_create)
		in->c.next_invoice_sequence = 1;
	return OG_EC_NONE;
}

/* The customer as the API shows it, with its test clock (null when none). */
static enum og_ec reply_customer(struct og_req *rq, const struct og_customer *c)
{
	return api_reply_customer(rq, c);
}

/* The clock a new customer asks for: allowed, existing; created = its time. */
static enum og_ec use_test_clock(struct og_req *rq, struct customer_input *in)
{
	char buf[ID_MAX_LEN];
	if (!rq->cfg || !rq->cfg->enable_test_clocks)
		return og_err(&rq->err, OG_EC_TEST_CLOCKS_DISABLED, "test_clock",
		              "Test clocks are disabled on this server; start it with --enable-test-clocks.");
	struct og_test_clock clock;
	enum db_rc rc = store_test_clock_get(rq->db, rq->arena, in->test_clock_id, &clock);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "test_clock", "No such test_clock: '%s'",
		              ids_encode(ID_TEST_CLOCK, in->test_clock_id, buf));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "test_clock", "test_clock");
	in->c.created = clock.frozen_time;
	return OG_EC_NONE;
}

/* Stripe's balance on create: an `initial` balance transaction, so the
 * balance is the sum of its transactions from the start (billing/balance.h). */
static enum og_ec opening_balance(struct og_req *rq, struct og_customer *c, int64_t amount)
{
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_balance_in in = {
	    .customer_id = c->id, .amount = amount, .currency = c->currency, .type = BTXN_INITIAL};
	struct og_balance_txn t;
	enum og_ec ec = billing_balance_apply(&bc, &in, &t);
	if (!ec)
		c->balance = t.ending_balance;
	return ec;
}

enum og_ec api_customers_create(struct og_req *rq)
{
	struct customer_input in = {.c = {.created = rq->now}, .is_create = true};
	enum og_ec ec = parse_customer(rq, &in);
	if (ec)
		return ec;
	if (in.has_test_clock && (ec = use_test_clock(rq, &in)))
		return ec;
	if (in.has_default_pm && !in.default_pm_null &&
	    (ec = api_payment_method_check_default(rq, 0, in.default_pm, "invoice_settings[default_payment_method]")))
		return ec;
	if ((ec = api_metadata_apply(rq, NULL, in.metadata, &in.c.metadata)))
		return ec;
	if ((ec = apply_numbering(rq, &in)))
		return ec;
	if (in.balance && !in.c.currency)
		return og_err(&rq->err, OG_EC_PARAM_MISSING, "currency", "A balance needs the customer's currency.");
	enum db_rc rc = store_customer_insert(rq->db, &in.c);
	if (rc == DB_CONSTRAINT) /* a concurrent request took the prefix */
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice_prefix",
		              "invoice_prefix '%s' is already in use by another customer.", in.c.invoice_prefix);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if (in.has_test_clock && (rc = store_customer_set_test_clock(rq->db, in.c.id, in.test_clock_id)) != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	in.c.test_clock_id = in.has_test_clock ? in.test_clock_id : 0;
	if (in.balance && (ec = opening_balance(rq, &in.c, in.balance)))
		return ec;
	if ((ec = reply_customer(rq, &in.c)))
		return ec;
	return api_emit(rq, "customer.created", "customer", in.c.id, in.c.id);
}

enum og_ec api_customers_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	struct og_customer c;
	enum db_rc rc = api_owns(rq, id) ? store_customer_get(rq->db, rq->arena, id, &c) : DB_DONE;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	return api_reply_customer(rq, &c);
}

/* What a customer user may change on itself (see the file comment). */
static enum og_ec self_service_fields(struct og_req *rq)
{
	static const char *const allowed[] = {"name", "email", "phone", "address", "invoice_settings"};
	const char *key;
	json_t *v;
	json_object_foreach(rq->body, key, v)
	{
		(void)v;
		bool ok = false;
		for (size_t i = 0; i < sizeof allowed / sizeof *allowed && !ok; i++)
			ok = !strcmp(key, allowed[i]);
		if (!ok)
			return api_customer_forbidden(
			    rq, key, "it may change only name, email, phone, address and invoice_settings.");
	}
	return OG_EC_NONE;
}

enum og_ec api_customers_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	struct customer_input in = {0};
	/* read-modify-write: no lost update */
	enum db_rc rc = api_owns(rq, id) ? store_customer_get_for_update(rq->db, rq->arena, id, &in.c) : DB_DONE;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = parse_customer(rq, &in)))
		return ec;
	if (rq->actor.customer_id > 0 && (ec = self_service_fields(rq)))
		return ec;
	if (in.has_metadata && (ec = api_metadata_apply(rq, in.c.metadata, in.metadata, &in.c.metadata)))
		return ec;
	if ((ec = apply_numbering(rq, &in)))
		return ec;
	if (in.has_default_pm) { /* issue 14: attached to this customer, or cleared */
		if (!in.default_pm_null &&
		    (ec = api_payment_method_check_default(rq, in.c.id, in.default_pm,
		                                           "invoice_settings[default_payment_method]")))
			return ec;
		in.c.default_payment_method_id = in.default_pm_null ? 0 : in.default_pm;
		if ((rc = store_customer_set_default_pm(rq->db, in.c.id, in.c.default_payment_method_id)) != DB_ROW)
			return api_db_error(rq, rc, "customer", NULL);
	}
	rc = store_customer_update(rq->db, &in.c);
	if (rc == DB_CONSTRAINT)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice_prefix",
		              "invoice_prefix '%s' is already in use by another customer.", in.c.invoice_prefix);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = reply_customer(rq, &in.c)))
		return ec;
	return api_emit(rq, "customer.updated", "customer", in.c.id, in.c.id);
}

static bool customer_exists(struct og_req *rq, int64_t id)
{
	struct og_customer c;
	return api_owns(rq, id) && store_customer_get(rq->db, rq->arena, id, &c) == DB_ROW;
}

enum og_ec api_customers_list(struct og_req *rq)
{
	struct customer_input in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	const struct og_page page = in.page;
	const char *email = in.email;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, customer_exists, &sp)))
		return ec;
	struct store_list list;
	/* a customer user's list is its own customer (same filters); keys and
	 * staff keep the unscoped query */
	enum db_rc rc = rq->actor.customer_id > 0 ? store_customer_list_one(rq->db, rq->arena, rq->actor.customer_id,
	                                                                    &sp, email, &created, &list)
	                                          : store_customer_list(rq->db, rq->arena, &sp, email, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "customers", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_customer_render(&w, (struct og_customer *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/customers");
}

enum og_ec api_customers_delete(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	enum db_rc rc = store_customer_lock(rq->db, id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = api_subscriptions_cancel_all(rq, id)))
		return ec;
	if ((rc = store_customer_delete(rq->db, id)) != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	struct acct_ctx ac = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	if ((ec = accounts_customer_deleted(&ac, id)))
		return ec;
	api_reply_deleted(rq, ID_CUSTOMER, id, "customer");
	return api_emit(rq, "customer.deleted", "customer", id, id);
}
