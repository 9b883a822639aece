/* API tests for test clocks (/v1/test_helpers/test_clocks) and the objects
 * that live on them, against a real `oneguard serve` on each backend.
 *
 * Two suites: "test_test_clocks_disabled" runs the server as is (test
 * clocks are off by default) and checks that every test-clock route, and
 * the test_clock parameter of customers, answers 403 test_clocks_disabled
 * and writes nothing; "test_test_clocks" runs it with --enable-test-clocks
 * and covers create, retrieve, list, delete,
 * advance (forwards, to the same time, never backwards), customers and
 * subscriptions on a clock (created at the clock's time, the clock copied),
 * and that an advance bills that clock's subscriptions, and only those,
 * before it returns. Whole billing scenarios are test_lifecycle.c. */
#include "api/billing_helpers.h"
#include "api/lib/apitest.h"
#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *missing_id(enum id_kind kind)
{
	char buf[ID_MAX_LEN];
	return at_strdup(ids_encode(kind, 987654321, buf));
}

/* ---- disabled --------------------------------------------------------------- */

static void expect_disabled(const struct at_resp *r, const char *param)
{
	AT_ERROR(r, 403, "invalid_request_error", "test_clocks_disabled", param);
}

static void disabled_routes_answer_403(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	const char *clock = missing_id(ID_TEST_CLOCK);

	at_step("create");
	struct at_resp *r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":1800000000}");
	expect_disabled(r, NULL);
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/test_helpers/test_clocks", "frozen_time=1800000000&name=x");
	expect_disabled(r, NULL);
	at_step("create with bad parameters: still 403, not 400");
	expect_disabled(at_post_json("/v1/test_helpers/test_clocks", "{}"), NULL);

	at_step("list, retrieve, delete, advance");
	expect_disabled(at_get("/v1/test_helpers/test_clocks"), NULL);
	expect_disabled(at_get("/v1/test_helpers/test_clocks/%s", clock), NULL);
	expect_disabled(at_delete("/v1/test_helpers/test_clocks/%s", clock), NULL);
	r = at_post_json(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "{\"frozen_time\":1900000000}");
	expect_disabled(r, NULL);

	at_step("a customer on a clock");
	r = at_post_json("/v1/customers", "{\"name\":\"x\",\"test_clock\":\"%s\"}", clock);
	expect_disabled(r, "test_clock");
	AT_UNCHANGED(&fp, r);

	at_step("a customer without one is fine, and shows test_clock null");
	r = at_post_json("/v1/customers", "{\"name\":\"x\"}");
	AT_STATUS(r, 200);
	AT_NULL(r, "test_clock");
}

/* ---- create, retrieve, list ------------------------------------------------ */

static void clocks_create_retrieve(void **state)
{
	(void)state;
	long long t0 = bh_time("2027-01-31T00:00:00Z");
	at_step("create with name and metadata");
	struct at_resp *r =
	    at_post_json("/v1/test_helpers/test_clocks",
	                 "{\"frozen_time\":%lld,\"name\":\"Month ends\",\"metadata\":{\"k\":\"v\"}}", t0);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "clock_");
	AT_STR(r, "object", "test_helpers.test_clock");
	AT_INT(r, "frozen_time", t0);
	AT_STR(r, "name", "Month ends");
	AT_STR(r, "status", "ready");
	AT_STR(r, "metadata.k", "v");
	AT_BOOL(r, "livemode", false);
	long long now = (long long)time(NULL);
	long long created = bh_int(r, "created");
	if (created < now - 300 || created > now + 300)
		AT_FAIL(r, "created is the real time of creation, not the frozen time");
	const char *id = at_str(r, "id");

	at_step("retrieve");
	struct at_resp *g = at_get("/v1/test_helpers/test_clocks/%s", id);
	AT_STATUS(g, 200);
	if (!json_equal(r->json, g->json))
		AT_FAIL(g, "retrieve differs from create");

	at_step("form body, no name");
	r = at_post_form("/v1/test_helpers/test_clocks", "frozen_time=%lld", t0);
	AT_STATUS(r, 200);
	AT_NULL(r, "name");
	AT_INT(r, "frozen_time", t0);

	at_step("a 300-byte name is fine");
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":1,\"name\":\"%s\"}", at_repeat('n', 300));
	AT_STATUS(r, 200);
	AT_INT(r, "frozen_time", 1);
}

static void clocks_create_bad_input(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *r = at_post_json("/v1/test_helpers/test_clocks", "{\"name\":\"x\"}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "frozen_time");
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":0}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "frozen_time");
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":-5}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "frozen_time");
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":\"soon\"}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "frozen_time");
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":1800000000,\"name\":\"%s\"}",
	                 at_repeat('n', 301));
	AT_ERROR(r, 400, "invalid_request_error", "string_too_long", "name");
	r = at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":1800000000,\"status\":\"advancing\"}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "status");
	AT_UNCHANGED(&fp, r);

	at_step("retrieve a missing or malformed clock");
	AT_ERROR(at_get("/v1/test_helpers/test_clocks/%s", missing_id(ID_TEST_CLOCK)), 404, "invalid_request_error",
	         "resource_missing", "id");
	AT_ERROR(at_get("/v1/test_helpers/test_clocks/%s", missing_id(ID_CUSTOMER)), 404, "invalid_request_error",
	         "resource_missing", "id");
	AT_ERROR(at_get("/v1/test_helpers/test_clocks/clock_nope"), 404, "invalid_request_error", "resource_missing",
	         "id");
}

static void clocks_list(void **state)
{
	(void)state;
	const char *a = bh_clock("2027-01-01T00:00:00Z");
	const char *b = bh_clock("2027-01-02T00:00:00Z");
	const char *c = bh_clock("2027-01-03T00:00:00Z");
	at_step("newest first");
	struct at_resp *r = at_get("/v1/test_helpers/test_clocks?limit=2");
	AT_LIST(r, "/v1/test_helpers/test_clocks", 2, true);
	AT_STR(r, "data[0].id", c);
	AT_STR(r, "data[1].id", b);
	AT_STR(r, "data[0].object", "test_helpers.test_clock");
	at_step("the next page");
	r = at_get("/v1/test_helpers/test_clocks?limit=1&starting_after=%s", b);
	AT_LIST(r, "/v1/test_helpers/test_clocks", 1, true);
	AT_STR(r, "data[0].id", a);
	r = at_get("/v1/test_helpers/test_clocks?limit=2&ending_before=%s", a);
	AT_LIST(r, "/v1/test_helpers/test_clocks", 2, false);
	AT_STR(r, "data[0].id", c);
	AT_STR(r, "data[1].id", b);
	at_step("a cursor that names nothing");
	r = at_get("/v1/test_helpers/test_clocks?starting_after=%s", missing_id(ID_TEST_CLOCK));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "starting_after");
	r = at_get("/v1/test_helpers/test_clocks?bogus=1");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "bogus");
}

/* ---- advance ---------------------------------------------------------------- */

static void advance_moves_forward_only(void **state)
{
	(void)state;
	const char *clock = bh_clock("2027-06-15T12:00:00Z");

	at_step("forward");
	struct at_resp *r = bh_advance(clock, "2027-06-20T12:00:00Z");
	AT_STR(r, "object", "test_helpers.test_clock");
	BH_TIME(at_get("/v1/test_helpers/test_clocks/%s", clock), "frozen_time", "2027-06-20T12:00:00Z");

	at_step("to the same time: allowed, nothing moves");
	bh_advance(clock, "2027-06-20T12:00:00Z");

	at_step("backwards by one second: 400 naming frozen_time, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = bh_advance_raw(clock, bh_time("2027-06-20T11:59:59Z"));
	AT_ERROR(r, 400, "invalid_request_error", "test_clock_backwards", "frozen_time");
	AT_UNCHANGED(&fp, r);
	r = bh_advance_raw(clock, 1);
	AT_ERROR(r, 400, "invalid_request_error", "test_clock_backwards", "frozen_time");
	AT_UNCHANGED(&fp, r);
	BH_TIME(at_get("/v1/test_helpers/test_clocks/%s", clock), "frozen_time", "2027-06-20T12:00:00Z");

	at_step("bad bodies");
	r = at_post_json(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "{}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "frozen_time");
	r = at_post_json(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock),
	                 "{\"frozen_time\":1900000000,\"x\":1}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "x");
	AT_UNCHANGED(&fp, r);

	at_step("a missing clock");
	r = at_post_json(at_fmt("/v1/test_helpers/test_clocks/%s/advance", missing_id(ID_TEST_CLOCK)),
	                 "{\"frozen_time\":1900000000}");
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");

	at_step("form body");
	r = at_post_form(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "frozen_time=%lld",
	                 bh_time("2027-07-01T00:00:00Z"));
	AT_STATUS(r, 200);
	BH_TIME(r, "frozen_time", "2027-07-01T00:00:00Z");
}

/* ---- customers and subscriptions on a clock ---------------------------------- */

static void customers_live_on_the_clock(void **state)
{
	(void)state;
	const char *clock = bh_clock("2027-01-31T00:00:00Z");
	at_step("created at the clock's frozen time, test_clock shown");
	struct at_resp *r = at_post_json("/v1/customers", "{\"email\":\"a@example.com\",\"test_clock\":\"%s\"}", clock);
	AT_STATUS(r, 200);
	AT_STR(r, "test_clock", clock);
	BH_TIME(r, "created", "2027-01-31T00:00:00Z");
	const char *cus = at_str(r, "id");
	r = at_get("/v1/customers/%s", cus);
	AT_STR(r, "test_clock", clock);
	BH_TIME(r, "created", "2027-01-31T00:00:00Z");
	r = at_get("/v1/customers?email=a@example.com&limit=100");
	AT_STATUS(r, 200);
	AT_STR(r, "data[0].id", cus);
	AT_STR(r, "data[0].test_clock", clock);

	at_step("an update keeps the clock and cannot change it");
	r = at_post_json(at_fmt("/v1/customers/%s", cus), "{\"name\":\"Renamed\"}");
	AT_STATUS(r, 200);
	AT_STR(r, "test_clock", clock);
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_json(at_fmt("/v1/customers/%s", cus), "{\"test_clock\":\"%s\"}", bh_clock("2030-01-01T00:00:00Z"));
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "test_clock");

	at_step("a missing or malformed clock");
	at_fingerprint(&fp);
	r = at_post_json("/v1/customers", "{\"test_clock\":\"%s\"}", missing_id(ID_TEST_CLOCK));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "test_clock");
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/customers", "{\"test_clock\":\"%s\"}", missing_id(ID_CUSTOMER));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "test_clock");
	AT_UNCHANGED(&fp, r);

	at_step("a customer on real time shows null");
	r = at_post_json("/v1/customers", "{\"name\":\"real\"}");
	AT_STATUS(r, 200);
	AT_NULL(r, "test_clock");
	AT_NULL(at_get("/v1/customers/%s", at_str(r, "id")), "test_clock");
}

static void subscriptions_copy_the_clock_and_its_time(void **state)
{
	(void)state;
	const char *price = bh_price(bh_product("Clocked"), 3000, "month", NULL);
	const char *clock = bh_clock("2027-01-31T00:00:00Z");
	const char *cus = bh_customer(clock);

	at_step("a draft on the clock");
	struct at_resp *r =
	    at_post_json("/v1/subscriptions", "{\"customer\":\"%s\",\"items\":[{\"price\":\"%s\"}]}", cus, price);
	AT_STATUS(r, 200);
	AT_STR(r, "status", "draft");
	AT_STR(r, "test_clock", clock);
	BH_TIME(r, "created", "2027-01-31T00:00:00Z");
	const char *sub = at_str(r, "id");

	at_step("confirmed after an advance: the period starts at the clock's new time");
	bh_advance(clock, "2027-03-31T06:00:00Z");
	if (bh_count(bh_invoices_of(sub)) != 0)
		AT_FAIL(NULL, "a draft was billed by the advance");
	r = at_post_json(at_fmt("/v1/subscriptions/%s/confirm", sub), "{}");
	AT_STATUS(r, 200);
	AT_STR(r, "status", "active");
	BH_TIME(r, "start_date", "2027-03-31T06:00:00Z");
	BH_TIME(r, "billing_cycle_anchor", "2027-03-31T06:00:00Z");
	BH_TIME(r, "current_period_start", "2027-03-31T06:00:00Z");
	BH_TIME(r, "current_period_end", "2027-04-30T06:00:00Z");
	struct at_resp *inv = bh_invoices_of(sub);
	AT_LIST(inv, "/v1/invoices", 1, false);
	BH_TIME(inv, "data[0].created", "2027-03-31T06:00:00Z");
	BH_TIME(inv, "data[0].period_start", "2027-03-31T06:00:00Z");
	BH_TIME(inv, "data[0].period_end", "2027-04-30T06:00:00Z");

	at_step("pause and cancel happen at the clock's time");
	bh_advance(clock, "2027-04-10T00:00:00Z");
	r = at_post_json(at_fmt("/v1/subscriptions/%s/pause", sub), "{}");
	AT_STATUS(r, 200);
	BH_TIME(r, "paused_at", "2027-04-10T00:00:00Z");
	bh_advance(clock, "2027-04-11T00:00:00Z");
	r = at_delete("/v1/subscriptions/%s", sub);
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "canceled_at", "2027-04-11T00:00:00Z");
}

static void advance_bills_before_it_returns(void **state)
{
	(void)state;
	const char *price = bh_price(bh_product("Billed on advance"), 1234, "month", NULL);
	const char *clock = bh_clock("2027-01-31T00:00:00Z");
	const char *other_clock = bh_clock("2027-01-31T00:00:00Z");
	const char *cus = bh_customer(clock);
	const char *other = bh_customer(other_clock);
	const char *real = bh_customer(NULL);
	const char *body = "{\"customer\":\"%s\",\"items\":[{\"price\":\"%s\"}],\"confirm\":true}";
	struct at_resp *r = at_post_json("/v1/subscriptions", body, cus, price);
	AT_STATUS(r, 200);
	const char *sub = at_str(r, "id");
	r = at_post_json("/v1/subscriptions", body, other, price);
	AT_STATUS(r, 200);
	const char *other_sub = at_str(r, "id");
	r = at_post_json("/v1/subscriptions", body, real, price);
	AT_STATUS(r, 200);
	const char *real_sub = at_str(r, "id");

	at_step("one second before the period ends: nothing is due");
	bh_advance(clock, "2027-02-27T23:59:59Z");
	AT_LIST(bh_invoices_of(sub), "/v1/invoices", 1, false);

	at_step("at the period end: the cycle invoice exists when the advance returns");
	bh_advance(clock, "2027-02-28T00:00:00Z");
	r = bh_invoices_of(sub);
	AT_LIST(r, "/v1/invoices", 2, false);
	AT_STR(r, "data[0].billing_reason", "subscription_cycle");
	BH_TIME(r, "data[0].period_start", "2027-02-28T00:00:00Z");
	BH_TIME(r, "data[0].period_end", "2027-03-31T00:00:00Z");
	AT_INT(r, "data[0].amount_due", 1234);
	AT_STR(r, "data[0].status", "open");
	BH_TIME(r, "data[0].created", "2027-02-28T00:00:00Z");
	r = at_get("/v1/subscriptions/%s", sub);
	BH_TIME(r, "current_period_start", "2027-02-28T00:00:00Z");
	BH_TIME(r, "current_period_end", "2027-03-31T00:00:00Z");
	AT_STR(r, "status", "active");

	at_step("the other clock's and real time's subscriptions were not touched");
	AT_LIST(bh_invoices_of(other_sub), "/v1/invoices", 1, false);
	AT_LIST(bh_invoices_of(real_sub), "/v1/invoices", 1, false);
	BH_TIME(at_get("/v1/subscriptions/%s", other_sub), "current_period_end", "2027-02-28T00:00:00Z");

	at_step("advancing again to the same time bills nothing more");
	bh_advance(clock, "2027-02-28T00:00:00Z");
	AT_LIST(bh_invoices_of(sub), "/v1/invoices", 2, false);

	at_step("three periods at once: one invoice each, oldest first, numbers in order");
	bh_advance(clock, "2027-06-01T00:00:00Z");
	r = bh_invoices_of(sub);
	AT_LIST(r, "/v1/invoices", 5, false);
	static const char *const starts[] = {"2027-05-31T00:00:00Z", "2027-04-30T00:00:00Z", "2027-03-31T00:00:00Z"};
	for (int i = 0; i < 3; i++) {
		BH_TIME(r, at_fmt("data[%d].period_start", i), starts[i]);
		BH_TIME(r, at_fmt("data[%d].created", i), "2027-06-01T00:00:00Z");
	}
	const char *n0 = at_str(r, "data[2].number"), *n1 = at_str(r, "data[1].number"),
	           *n2 = at_str(r, "data[0].number");
	if (!n0 || !n1 || !n2 || strcmp(n0, n1) >= 0 || strcmp(n1, n2) >= 0)
		AT_FAIL(r, "the catch-up invoices are not numbered oldest first");

	at_step("the invoice's event is written at the clock's time");
	r = at_get("/v1/events?type=invoice.finalized&limit=1");
	AT_STATUS(r, 200);
	BH_TIME(r, "data[0].created", "2027-06-01T00:00:00Z");
}

/* send_invoice invoices are due days_until_due days after the clock's time,
 * and an advance past that marks them past due; never the invoices of
 * customers on real time or on another clock, however far the clock goes. */
static void advance_marks_that_clocks_invoices_past_due(void **state)
{
	(void)state;
	const char *price = bh_price(bh_product("Sent"), 5000, "month", NULL);
	const char *clock = bh_clock("2027-01-31T00:00:00Z");
	const char *other_clock = bh_clock("2027-01-31T00:00:00Z");
	const char *body = "{\"customer\":\"%s\",\"items\":[{\"price\":\"%s\"}],\"collection_method\":\"send_invoice\","
	                   "\"days_until_due\":10,\"confirm\":true}";
	struct at_resp *r = at_post_json("/v1/subscriptions", body, bh_customer(clock), price);
	AT_STATUS(r, 200);
	const char *sub = at_str(r, "id");
	r = at_post_json("/v1/subscriptions", body, bh_customer(other_clock), price);
	AT_STATUS(r, 200);
	const char *other_sub = at_str(r, "id");
	r = at_post_json("/v1/subscriptions", body, bh_customer(NULL), price);
	AT_STATUS(r, 200);
	const char *real_sub = at_str(r, "id");

	at_step("due 10 days after the clock's time");
	r = bh_invoices_of(sub);
	BH_TIME(r, "data[0].due_date", "2027-02-10T00:00:00Z");
	AT_BOOL(r, "data[0].past_due", false);
	const char *inv = at_str(r, "data[0].id");

	at_step("not yet past due on the due date's eve");
	bh_advance(clock, "2027-02-09T23:59:59Z");
	AT_BOOL(at_get("/v1/invoices/%s", inv), "past_due", false);

	at_step("past due once the clock passes the due date");
	bh_advance(clock, "2027-02-11T00:00:00Z");
	r = at_get("/v1/invoices/%s", inv);
	AT_BOOL(r, "past_due", true);
	AT_STR(r, "status", "open");

	at_step("a year on: the other clock's and real time's invoices are untouched");
	bh_advance(clock, "2028-02-11T00:00:00Z");
	AT_BOOL(bh_invoices_of(other_sub), "data[0].past_due", false);
	r = bh_invoices_of(real_sub);
	AT_LIST(r, "/v1/invoices", 1, false);
	AT_BOOL(r, "data[0].past_due", false);
}

static void delete_refused_while_customers_use_it(void **state)
{
	(void)state;
	const char *clock = bh_clock("2027-01-31T00:00:00Z");
	const char *cus = bh_customer(clock);

	at_step("a clock with a customer: 409, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *r = at_delete("/v1/test_helpers/test_clocks/%s", clock);
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);

	at_step("after the customer is deleted, the clock can be");
	AT_STATUS(at_delete("/v1/customers/%s", cus), 200);
	r = at_delete("/v1/test_helpers/test_clocks/%s", clock);
	AT_STATUS(r, 200);
	AT_STR(r, "id", clock);
	AT_STR(r, "object", "test_helpers.test_clock");
	AT_BOOL(r, "deleted", true);

	at_step("then it is gone");
	AT_ERROR(at_get("/v1/test_helpers/test_clocks/%s", clock), 404, "invalid_request_error", "resource_missing",
	         "id");
	AT_ERROR(at_delete("/v1/test_helpers/test_clocks/%s", clock), 404, "invalid_request_error", "resource_missing",
	         "id");
	AT_ERROR(bh_advance_raw(clock, 1900000000), 404, "invalid_request_error", "resource_missing", "id");
	r = at_post_json("/v1/customers", "{\"test_clock\":\"%s\"}", clock);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "test_clock");
	r = at_get("/v1/test_helpers/test_clocks?limit=100");
	AT_STATUS(r, 200);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r->json, "data"), i, v)
	{
		if (!strcmp(json_string_value(json_object_get(v, "id")), clock))
			AT_FAIL(r, "the deleted clock is still listed");
	}

	at_step("an unused clock is deleted at once");
	clock = bh_clock("2027-01-31T00:00:00Z");
	AT_STATUS(at_delete("/v1/test_helpers/test_clocks/%s", clock), 200);
}

int main(void)
{
	const struct CMUnitTest disabled[] = {
	    cmocka_unit_test(disabled_routes_answer_403),
	};
	const struct CMUnitTest enabled[] = {
	    cmocka_unit_test(clocks_create_retrieve),
	    cmocka_unit_test(clocks_create_bad_input),
	    cmocka_unit_test(clocks_list),
	    cmocka_unit_test(advance_moves_forward_only),
	    cmocka_unit_test(customers_live_on_the_clock),
	    cmocka_unit_test(subscriptions_copy_the_clock_and_its_time),
	    cmocka_unit_test(advance_bills_before_it_returns),
	    cmocka_unit_test(advance_marks_that_clocks_invoices_past_due),
	    cmocka_unit_test(delete_refused_while_customers_use_it),
	};
	int failed = at_run("test_test_clocks_disabled", disabled, sizeof disabled / sizeof disabled[0], NULL);
	static const char *const enable[] = {"--enable-test-clocks", NULL};
	at_serve_args(enable);
	failed += at_run("test_test_clocks", enabled, sizeof enabled / sizeof enabled[0], NULL);
	return failed ? 1 : 0;
}
