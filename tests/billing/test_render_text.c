/* The two renderings of customers, prices and products agree: the jansson
 * trees (api_render_*: write replies, events, subscriptions) and the jsonw
 * text (api_write_*: the read handlers' rq->reply_text). For each row the
 * writer's text must equal json_dumps(JSON_COMPACT) of the tree byte for
 * byte, and parse to an equal value. Rows cover NULL fields, every kind of
 * escape, UTF-8, stored metadata and addresses (written the way the handlers
 * store them), missing or malformed stored JSON, test clocks, one-time and
 * recurring prices with and without trials, and the list envelope. No
 * database: rows are built in memory. (Here because it links src/api.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/common.h"
#include "core/arena.h"
#include "core/ids.h"
#include "core/jsonw.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const odd_text =
    "tab\there \"quoted\" back\\slash /slash\n\r\b\f\x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80";

/* Stored metadata as api_metadata_apply writes it: compact, sorted keys. */
static char *stored_metadata(void)
{
	json_t *md = json_object();
	json_object_set_new(md, "zeta", json_string("last"));
	json_object_set_new(md, "alpha", json_string(odd_text));
	json_object_set_new(md, "order_id", json_string("6735"));
	char *text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(md);
	return text;
}

/* Stored address as parse_customer writes it. */
static char *stored_address(void)
{
	json_t *a = json_object();
	json_object_set_new(a, "city",
	                    json_string("K\xc3\xb8"
	                                "benhavn"));
	json_object_set_new(a, "country", json_string("DK"));
	json_object_set_new(a, "line1", json_string("N\xc3\xb8rregade 1"));
	json_object_set_new(a, "line2", json_null());
	json_object_set_new(a, "postal_code", json_string("1165"));
	json_object_set_new(a, "state", json_null());
	char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	return text;
}

/* tree (stolen) and text must be the same JSON, byte for byte. */
static void assert_same(json_t *tree, const char *text)
{
	assert_non_null(tree);
	char *expect = json_dumps(tree, JSON_COMPACT);
	assert_non_null(expect);
	assert_string_equal(text, expect);
	json_error_t err;
	json_t *back = json_loads(text, 0, &err);
	assert_non_null(back);
	assert_true(json_equal(back, tree));
	json_decref(back);
	free(expect);
	json_decref(tree);
}

static void check_customer(const struct og_customer *c)
{
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	api_write_customer(&w, c);
	assert_same(api_render_customer(c), jsonw_text(&w, NULL));
	jsonw_free(&w);
}

static void check_price(const struct og_price *p)
{
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	api_write_price(&w, p);
	assert_same(api_render_price(p), jsonw_text(&w, NULL));
	jsonw_free(&w);
}

static void check_product(const struct og_product *p)
{
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	api_write_product(&w, p);
	assert_same(api_render_product(p), jsonw_text(&w, NULL));
	jsonw_free(&w);
}

static void test_customers(void **state)
{
	(void)state;
	char *md = stored_metadata(), *addr = stored_address();
	struct og_customer bare = {.id = 1, .created = 1700000000}; /* every text NULL */
	check_customer(&bare);
	struct og_customer full = {.id = INT32_MAX,
	                           .email = "jenny.rosen@example.com",
	                           .name = odd_text,
	                           .phone = "+45 12 34 56 78",
	                           .description = "",
	                           .address = addr,
	                           .currency = "dkk",
	                           .metadata = md,
	                           .created = INT64_MAX,
	                           .test_clock_id = 42};
	check_customer(&full);
	/* stored JSON as it may also be: empty object, missing, or not an object */
	const char *stored[] = {"{}", "", "null", "[1]", "{\"a\":\"b\"}"};
	for (size_t i = 0; i < sizeof stored / sizeof stored[0]; i++) {
		struct og_customer c = {.id = 7, .address = stored[i], .metadata = stored[i], .created = 0};
		check_customer(&c);
	}
	free(md);
	free(addr);
}

static void test_prices(void **state)
{
	(void)state;
	char *md = stored_metadata();
	struct og_price one_time = {.id = 3, .product_id = 9, .unit_amount = 0, .currency = "usd", .created = 1};
	check_price(&one_time);
	struct og_price monthly = {.id = 4,
	                           .product_id = 9,
	                           .nickname = odd_text,
	                           .unit_amount = 99999999999,
	                           .currency = "eur",
	                           .interval = "month",
	                           .interval_count = 3,
	                           .lookup_key = "gold_monthly",
	                           .active = true,
	                           .metadata = md,
	                           .created = 1700000000};
	check_price(&monthly);
	monthly.has_trial_period_days = true;
	monthly.trial_period_days = 14;
	monthly.active = false;
	monthly.unit_amount = -5; /* not accepted by the API, but both must print it alike */
	check_price(&monthly);
	monthly.trial_period_days = 0;
	monthly.interval = "year";
	monthly.unit_amount = INT64_MIN;
	monthly.metadata = NULL;
	check_price(&monthly);
	free(md);
}

static void test_products(void **state)
{
	(void)state;
	char *md = stored_metadata();
	struct og_product bare = {.id = 5, .name = "Gold", .created = 10, .updated = 10};
	check_product(&bare);
	struct og_product full = {.id = 6,
	                          .name = odd_text,
	                          .description = odd_text,
	                          .active = true,
	                          .metadata = md,
	                          .created = 1,
	                          .updated = 2};
	check_product(&full);
	free(md);
}

/* api_list_begin/api_list_end against api_reply_list, through a request. */
static void test_list_envelope(void **state)
{
	(void)state;
	for (int n = 0; n < 3; n++) {
		struct og_req rq = {.arena = arena_new()};
		struct og_jsonw w;
		api_list_begin(&rq, &w);
		json_t *data = json_array();
		for (int i = 0; i < n; i++) {
			struct og_customer c = {.id = 100 + i, .email = "a@b.c", .metadata = "{}", .created = i};
			api_write_customer(&w, &c);
			json_array_append_new(data, api_render_customer(&c));
		}
		assert_int_equal(api_list_end(&rq, &w, n == 2, "/v1/customers"), OG_EC_NONE);
		assert_null(rq.reply);
		assert_int_equal(rq.status, 200);
		const char *text = rq.reply_text;
		assert_non_null(text);
		api_reply_list(&rq, data, n == 2, "/v1/customers");
		assert_same(rq.reply, text);
		arena_free(rq.arena);
	}
}

int main(void)
{
	ids_set_legacy(); /* any key: both renderings encode the same rows */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_customers),
	    cmocka_unit_test(test_prices),
	    cmocka_unit_test(test_products),
	    cmocka_unit_test(test_list_envelope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
