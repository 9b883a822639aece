/* HTTP handlers for /v1/customers. No SQL here: see store/customers.c.
 * Limits: email up to 512 bytes (must look like local@domain), name 256,
 * phone 64, description 5000, each address field 200 (country 2 letters).
 * An address given on update replaces the stored one whole; "" clears it.
 * test_clock (create only, when the server allows test clocks) puts the
 * customer on a test clock: it is created at the clock's frozen time, and
 * its subscriptions copy the clock and live at its time. It cannot change. */
#include "api/api.h"
#include "api/common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_EMAIL_MAX       512
#define CUSTOMER_NAME_MAX        256
#define CUSTOMER_PHONE_MAX       64
#define CUSTOMER_DESCRIPTION_MAX 5000
#define ADDRESS_FIELD_MAX        200

static const char *const address_fields[] = {"city", "country", "line1", "line2", "postal_code", "state"};
#define N_ADDRESS_FIELDS 6

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
	const char *address[N_ADDRESS_FIELDS];
};

static enum og_ec parse_customer(struct og_req *rq, struct customer_input *in)
{
	struct param_spec address[N_ADDRESS_FIELDS + 1];
	memset(address, 0, sizeof address);
	for (int i = 0; i < N_ADDRESS_FIELDS; i++)
		address[i] = (struct param_spec)PARAM_STRING(
		    address_fields[i], &in->address[i], NULL,
		    strcmp(address_fields[i], "country") ? ADDRESS_FIELD_MAX : 2, P_NULLABLE);
	struct param_spec spec[] = {
	    PARAM_STRING("email", &in->c.email, NULL, CUSTOMER_EMAIL_MAX, P_NULLABLE),
	    PARAM_STRING("name", &in->c.name, NULL, CUSTOMER_NAME_MAX, P_NULLABLE),
	    PARAM_STRING("phone", &in->c.phone, NULL, CUSTOMER_PHONE_MAX, P_NULLABLE),
	    PARAM_STRING("description", &in->c.description, NULL, CUSTOMER_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_CURRENCY("currency", &in->c.currency, NULL, P_NULLABLE),
	    {.name = "address",
	     .type = PT_OBJECT,
	     .flags = P_NULLABLE,
	     .sub = address,
	     .present = &in->has_address,
	     .is_null = &in->address_null},
	    PARAM_METADATA("metadata", &in->metadata, &in->has_metadata),
	    PARAM_ID("test_clock", ID_TEST_CLOCK, &in->test_clock_id, &in->has_test_clock, 0),
	    PARAM_END,
	};
	if (!in->is_create) /* a customer's clock is fixed at creation */
		spec[sizeof spec / sizeof spec[0] - 2] = (struct param_spec)PARAM_END;
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
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
				json_object_set_new(a, address_fields[i],
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

enum og_ec api_customers_create(struct og_req *rq)
{
	struct customer_input in = {.c = {.created = rq->now}, .is_create = true};
	enum og_ec ec = parse_customer(rq, &in);
	if (ec)
		return ec;
	if (in.has_test_clock && (ec = use_test_clock(rq, &in)))
		return ec;
	if ((ec = api_metadata_apply(rq, NULL, in.metadata, &in.c.metadata)))
		return ec;
	enum db_rc rc = store_customer_insert(rq->db, &in.c);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if (in.has_test_clock && (rc = store_customer_set_test_clock(rq->db, in.c.id, in.test_clock_id)) != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	in.c.test_clock_id = in.has_test_clock ? in.test_clock_id : 0;
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
	enum db_rc rc = store_customer_get(rq->db, rq->arena, id, &c);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	return api_reply_customer(rq, &c);
}

enum og_ec api_customers_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	struct customer_input in = {0};
	enum db_rc rc = store_customer_lock(rq->db, id); /* read-modify-write: no lost update */
	if (rc == DB_ROW)
		rc = store_customer_get(rq->db, rq->arena, id, &in.c);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = parse_customer(rq, &in)))
		return ec;
	if (in.has_metadata && (ec = api_metadata_apply(rq, in.c.metadata, in.metadata, &in.c.metadata)))
		return ec;
	rc = store_customer_update(rq->db, &in.c);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = reply_customer(rq, &in.c)))
		return ec;
	return api_emit(rq, "customer.updated", "customer", in.c.id, in.c.id);
}

static bool customer_exists(struct og_req *rq, int64_t id)
{
	struct og_customer c;
	return store_customer_get(rq->db, rq->arena, id, &c) == DB_ROW;
}

enum og_ec api_customers_list(struct og_req *rq)
{
	struct og_page page = {0};
	const char *email = NULL;
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_CUSTOMER),
	    PARAM_STRING("email", &email, NULL, CUSTOMER_EMAIL_MAX, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, customer_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_customer_list(rq->db, rq->arena, &sp, email, &created, &list);
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
	api_reply_deleted(rq, ID_CUSTOMER, id, "customer");
	return api_emit(rq, "customer.deleted", "customer", id, id);
}
