/* HTTP handlers for /v1/test_helpers/test_clocks: Stripe's test clocks. A
 * test clock is a frozen "now" that customers created with `test_clock` (and
 * their subscriptions, which copy the customer's clock) live at; advancing
 * it runs the billing engine for that clock's subscriptions. No SQL here
 * (store/test_clocks.c) and no billing logic (billing/engine.c).
 *
 * Every route answers 403 test_clocks_disabled unless the server runs with
 * --enable-test-clocks: a clock lets a caller bill on a time of their
 * choosing, which has no place on a production server.
 *
 * Design choices (docs/api/test_clocks.md):
 * - An advance is synchronous: this handler's one write transaction sets
 *   the frozen time and runs engine_run_in_txn for the clock's subscriptions
 *   up to it, so the invoices exist when the call returns, and an advance
 *   either happens whole (time moved, every period billed) or not at all.
 *   Nobody can observe a half-done advance, so the status Stripe calls
 *   "advancing" is never seen: a clock is always "ready". The cost is that
 *   a very large advance (many subscriptions times many periods) holds the
 *   write lock for as long as it runs; test clocks are for tests.
 * - A clock never moves backwards (400 test_clock_backwards naming
 *   frozen_time). Advancing to the current frozen time is allowed: it moves
 *   nothing and bills whatever is due at that time.
 * - A clock that a live customer uses cannot be deleted (409): its
 *   customers' subscriptions take their time from it. Delete the customers
 *   first. Deleting a clock deletes nothing else. */
#include "api/api.h"
#include "api/common.h"
#include "billing/engine.h"

#define TEST_CLOCK_NAME_MAX 300

/* 403 unless the server allows test clocks. */
static enum og_ec check_enabled(struct og_req *rq)
{
	if (rq->cfg && rq->cfg->enable_test_clocks)
		return OG_EC_NONE;
	return og_err(&rq->err, OG_EC_TEST_CLOCKS_DISABLED, NULL,
	              "Test clocks are disabled on this server; start it with --enable-test-clocks.");
}

static enum og_ec load_clock(struct og_req *rq, struct og_test_clock *c)
{
	enum og_ec ec = check_enabled(rq);
	if (ec)
		return ec;
	if ((ec = api_path_id(rq, ID_TEST_CLOCK, "test_clock", &c->id)))
		return ec;
	enum db_rc rc = store_test_clock_get(rq->db, rq->arena, c->id, c);
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "test_clock", NULL);
}

enum og_ec api_test_clocks_create(struct og_req *rq)
{
	enum og_ec ec = check_enabled(rq);
	if (ec)
		return ec;
	struct og_test_clock c = {.status = TEST_CLOCK_READY, .created = rq->now};
	json_t *metadata = NULL;
	struct param_spec spec[] = {
	    PARAM_TIMESTAMP("frozen_time", &c.frozen_time, NULL, P_REQUIRED),
	    PARAM_STRING("name", &c.name, NULL, TEST_CLOCK_NAME_MAX, P_NULLABLE),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (c.frozen_time < 1)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "frozen_time",
		              "frozen_time must be a Unix time in seconds after 1970-01-01T00:00:00Z.");
	if (c.name && !*c.name)
		c.name = NULL;
	if ((ec = api_metadata_apply(rq, NULL, metadata, &c.metadata)))
		return ec;
	enum db_rc rc = store_test_clock_insert(rq->db, &c);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "test_clock", NULL);
	return api_reply_test_clock(rq, &c);
}

enum og_ec api_test_clocks_retrieve(struct og_req *rq)
{
	struct og_test_clock c;
	enum og_ec ec = load_clock(rq, &c);
	return ec ? ec : api_reply_test_clock(rq, &c);
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
	struct og_page page = {0};
	struct param_spec spec[] = {PARAMS_PAGE(&page, ID_TEST_CLOCK), PARAM_END};
	if ((ec = params_parse(rq, rq->query, spec, NULL)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, clock_exists, &sp)))
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
	struct og_test_clock c;
	enum og_ec ec = load_clock(rq, &c);
	if (ec)
		return ec;
	int64_t n_customers = 0;
	enum db_rc rc = store_test_clock_count_customers(rq->db, c.id, &n_customers);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "test_clock", NULL);
	if (n_customers > 0)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL,
		              "This test clock still has %lld customer%s; delete them first.", (long long)n_customers,
		              n_customers == 1 ? "" : "s");
	if ((rc = store_test_clock_delete(rq->db, c.id)) != DB_ROW)
		return api_db_error(rq, rc, "test_clock", NULL);
	return api_reply_deleted(rq, ID_TEST_CLOCK, c.id, "test_helpers.test_clock");
}

enum og_ec api_test_clocks_advance(struct og_req *rq)
{
	struct og_test_clock c;
	enum og_ec ec = load_clock(rq, &c);
	if (ec)
		return ec;
	int64_t frozen_time = 0;
	struct param_spec spec[] = {
	    PARAM_TIMESTAMP("frozen_time", &frozen_time, NULL, P_REQUIRED),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (frozen_time < c.frozen_time)
		return og_err(&rq->err, OG_EC_CLOCK_BACKWARDS, "frozen_time",
		              "A test clock cannot move backwards: frozen_time %lld is before the clock's %lld.",
		              (long long)frozen_time, (long long)c.frozen_time);
	enum db_rc rc = store_test_clock_set(rq->db, c.id, frozen_time, TEST_CLOCK_READY);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "test_clock", NULL);
	struct engine_opts opts = {
	    .now = frozen_time,
	    .clock_id = c.id,
	    .invoice_prefix = rq->cfg->invoice_prefix[0] ? rq->cfg->invoice_prefix : "INV",
	};
	struct engine_stats stats = {0};
	if ((ec = engine_run_in_txn(rq->db, &opts, &stats, &rq->err)))
		return ec;
	if (stats.skipped > 0) /* the whole advance rolls back: the clock never stands past unbilled periods */
		return og_err(&rq->err, OG_EC_INTERNAL, NULL,
		              "%lld subscription%s on this clock could not be billed; the clock did not move.",
		              (long long)stats.skipped, stats.skipped == 1 ? "" : "s");
	c.frozen_time = frozen_time;
	c.status = TEST_CLOCK_READY;
	return api_reply_test_clock(rq, &c);
}
