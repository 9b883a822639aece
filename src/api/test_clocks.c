/* HTTP handlers for /v1/test_helpers/test_clocks: Stripe's test clocks. A
 * test clock is a frozen "now" that customers created with `test_clock` (and
 * their subscriptions, which copy the customer's clock) live at; advancing
 * it runs the billing engine for that clock's subscriptions. Each handler
 * parses into the input struct of its service function
 * (billing/test_clocks.h), calls it and renders the clock; what an advance
 * does is src/billing/test_clocks.c's. No SQL here.
 *
 * Every route answers 403 test_clocks_disabled unless the server runs with
 * --enable-test-clocks: a clock lets a caller bill on a time of their
 * choosing, which has no place on a production server. That is a server
 * setting, so it is checked here, before anything else.
 *
 * Design choices (docs/api/test_clocks.md): an advance is synchronous and
 * whole (the request's one transaction moves the clock and bills every
 * period), so a clock is always "ready"; a clock never moves backwards (400
 * test_clock_backwards naming frozen_time); a clock that a live customer
 * uses cannot be deleted (409). */
#include "api/api.h"
#include "api/common.h"
#include "billing/test_clocks.h"

#define IN(m) PARAM_AT(struct billing_test_clock_create_in, m)
static const struct param_spec create_spec[] = {
    PS_TIMESTAMP("frozen_time", IN(frozen_time), PARAM_NOWHERE, P_REQUIRED,
                 "The clock's time, Unix seconds (at least 1)."),
    PS_STRING("name", IN(name), PARAM_NOWHERE, BILLING_TEST_CLOCK_NAME_MAX, P_NULLABLE, "A name for you."),
    PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_END,
};
#undef IN

struct list_in {
	struct og_page page;
};
static const struct param_spec list_spec[] = {
    PS_PAGE(struct list_in, page, ID_TEST_CLOCK),
    PS_END,
};

static const struct param_spec advance_spec[] = {
    PS_TIMESTAMP("frozen_time", PARAM_AT(struct billing_test_clock_advance_in, frozen_time), PARAM_NOWHERE, P_REQUIRED,
                 "The time to move to (never backwards); what falls due until then is billed."),
    PS_END,
};

/* 403 unless the server allows test clocks. */
static enum og_ec check_enabled(struct og_req *rq)
{
	if (rq->cfg && rq->cfg->enable_test_clocks)
		return OG_EC_NONE;
	return og_err(&rq->err, OG_EC_TEST_CLOCKS_DISABLED, NULL,
	              "Test clocks are disabled on this server; start it with --enable-test-clocks.");
}

/* The clock of the path (403 first when disabled). */
static enum og_ec path_clock(struct og_req *rq, int64_t *id)
{
	enum og_ec ec = check_enabled(rq);
	return ec ? ec : api_path_id(rq, ID_TEST_CLOCK, "test_clock", id);
}

enum og_ec api_test_clocks_create(struct og_req *rq)
{
	enum og_ec ec = check_enabled(rq);
	if (ec)
		return ec;
	struct billing_test_clock_create_in in = {0};
	if ((ec = params_parse_into(rq, rq->body, create_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_test_clock out;
	if ((ec = billing_test_clock_create(&bc, &in, &out)))
		return ec;
	return api_reply_test_clock(rq, &out);
}

enum og_ec api_test_clocks_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = path_clock(rq, &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_test_clock out;
	if ((ec = billing_test_clock_get(&bc, id, &out)))
		return ec;
	return api_reply_test_clock(rq, &out);
}

static bool clock_exists(struct og_req *rq, int64_t id)
{
	struct og_test_clock c;
	return store_test_clock_get(rq->db, rq->arena, id, &c) == DB_ROW;
}

enum og_ec api_test_clocks_list(struct og_req *rq)
{
	enum og_ec ec = check_enabled(rq);
	if (ec)
		return ec;
	struct list_in in = {0};
	if ((ec = params_parse_into(rq, rq->query, list_spec, &in)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, clock_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_test_clock_list(rq->db, rq->arena, &sp, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "test_clocks", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_test_clock_render(&w, (struct og_test_clock *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/test_helpers/test_clocks");
}

enum og_ec api_test_clocks_delete(struct og_req *rq)
{
	struct billing_test_clock_ref_in in = {0};
	enum og_ec ec = path_clock(rq, &in.clock_id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	if ((ec = billing_test_clock_delete(&bc, &in)))
		return ec;
	return api_reply_deleted(rq, ID_TEST_CLOCK, in.clock_id, "test_helpers.test_clock");
}

enum og_ec api_test_clocks_advance(struct og_req *rq)
{
	struct billing_test_clock_advance_in in = {0};
	enum og_ec ec = path_clock(rq, &in.clock_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, advance_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_test_clock out;
	if ((ec = billing_test_clock_advance(&bc, &in, &out)))
		return ec;
	return api_reply_test_clock(rq, &out);
}
