/* API flows for the catalog: products, prices, customers and API keys, run
 * against a real `oneguard serve` on each backend (tests/api/lib/apitest.h).
 * The happy paths, the list envelope and its cursors and filters, metadata
 * merging, form and JSON bodies alike, price immutability, product deletion
 * rules, lookup_key uniqueness, API key authentication and revocation, and
 * the 404/405 errors of the router. The bad-input matrix is data
 * (test_bad_input.c and cases/); idempotency has its own file.
 *
 * Tests share one server and database per backend, so each makes the objects
 * it looks at and reads lists through filters or cursors that only reach
 * them (a list of "the newest N" is only trusted right after creating N). */
#include "api/lib/apitest.h"
#include "core/ids.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int n_unique;

/* A string no other test uses: "<what>-<n>". */
static const char *unique(const char *what)
{
	return at_fmt("%s-%d-%d", what, (int)getpid() % 100000, ++n_unique);
}

static const char *create_product(const char *name)
{
	struct at_resp *r = at_post_json("/v1/products", "{\"name\":\"%s\"}", name);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "prod_");
	return at_str(r, "id");
}

static const char *create_price(const char *product, long long amount, const char *currency, const char *extra)
{
	struct at_resp *r =
	    at_post_json("/v1/prices", "{\"product\":\"%s\",\"unit_amount\":%lld,\"currency\":\"%s\"%s%s}", product,
	                 amount, currency, extra ? "," : "", extra ? extra : "");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "price_");
	return at_str(r, "id");
}

/* An id of kind that is well formed but names no row. */
static const char *missing_id(enum id_kind kind)
{
	char buf[ID_MAX_LEN];
	return at_strdup(ids_encode(kind, 987654321, buf));
}

/* `created` must be a plausible Unix time: within a few minutes of ours. */
static void expect_created_now(const struct at_resp *r)
{
	json_t *v = at_json_path(r->json, "created");
	long long now = (long long)time(NULL);
	if (!json_is_integer(v) || json_integer_value(v) < now - 300 || json_integer_value(v) > now + 300)
		AT_FAIL(r, "created is not a Unix time near %lld", now);
}

/* r's object without the fields that differ between two creations. */
static json_t *without_identity(const struct at_resp *r)
{
	json_t *copy = at_keep_json(json_deep_copy(r->json));
	json_object_del(copy, "id");
	json_object_del(copy, "created");
	json_object_del(copy, "updated");
	json_object_del(copy, "invoice_prefix"); /* random when not given */
	return copy;
}

static void expect_same_object(const struct at_resp *a, const struct at_resp *b)
{
	json_t *x = without_identity(a), *y = without_identity(b);
	if (!json_equal(x, y)) {
		char *sx = at_keep(json_dumps(x, JSON_SORT_KEYS | JSON_COMPACT));
		char *sy = at_keep(json_dumps(y, JSON_SORT_KEYS | JSON_COMPACT));
		AT_FAIL(b, "the two objects differ:\n    %s\n    %s", sx, sy);
	}
}

/* The ids in a list response's data, in order, as "a,b,c". */
static const char *list_ids(const struct at_resp *r)
{
	json_t *data = json_object_get(r->json, "data");
	char *out = at_strdup("");
	size_t i;
	json_t *v;
	json_array_foreach(data, i, v)
	{
		out = at_fmt("%s%s%s", out, i ? "," : "", json_string_value(json_object_get(v, "id")));
	}
	return out;
}

static void expect_ids(const struct at_resp *r, const char *want)
{
	const char *got = list_ids(r);
	if (strcmp(got, want) != 0)
		AT_FAIL(r, "list ids are [%s], want [%s]", got, want);
}

/* ---- products ------------------------------------------------------------- */

static void products_create_retrieve_update(void **state)
{
	(void)state;
	at_step("create a product with a JSON body");
	struct at_resp *r = at_post_json("/v1/products", "{\"name\":\"Gold plan\",\"description\":\"The best\"}");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "prod_");
	AT_STR(r, "object", "product");
	AT_STR(r, "name", "Gold plan");
	AT_STR(r, "description", "The best");
	AT_BOOL(r, "active", true);
	AT_BOOL(r, "livemode", false);
	expect_created_now(r);
	if (!json_is_object(at_json_path(r->json, "metadata")) || json_object_size(at_json_path(r->json, "metadata")))
		AT_FAIL(r, "metadata is not an empty object");
	const char *id = at_str(r, "id");
	json_int_t created = json_integer_value(json_object_get(r->json, "created"));

	at_step("retrieve it");
	struct at_resp *g = at_get("/v1/products/%s", id);
	AT_STATUS(g, 200);
	AT_STR(g, "id", id);
	AT_INT(g, "created", created);
	expect_same_object(r, g);

	at_step("update name and description, clear the description");
	r = at_post_form(at_fmt("/v1/products/%s", id), "name=Gold+plan+2&description=");
	AT_STATUS(r, 200);
	AT_STR(r, "id", id);
	AT_STR(r, "name", "Gold plan 2");
	AT_NULL(r, "description");
	AT_INT(r, "created", created);
	g = at_get("/v1/products/%s", id);
	AT_STR(g, "name", "Gold plan 2");
	AT_NULL(g, "description");
	if (json_integer_value(json_object_get(g->json, "updated")) < created)
		AT_FAIL(g, "updated is before created");

	at_step("archive it with active=false");
	r = at_post_json(at_fmt("/v1/products/%s", id), "{\"active\":false}");
	AT_STATUS(r, 200);
	AT_BOOL(r, "active", false);
	AT_STR(r, "name", "Gold plan 2");
	AT_BOOL(at_get("/v1/products/%s", id), "active", false);

	at_step("an empty update changes nothing");
	r = at_post_form(at_fmt("/v1/products/%s", id), "%s", "");
	AT_STATUS(r, 200);
	AT_STR(r, "name", "Gold plan 2");
	AT_BOOL(r, "active", false);

	at_step("an empty name is refused");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_json(at_fmt("/v1/products/%s", id), "{\"name\":\"\"}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "name");
	AT_UNCHANGED(&fp, r);
}

static void products_list_pagination(void **state)
{
	(void)state;
	const char *p[6];
	at_step("create five products");
	for (int i = 1; i <= 5; i++)
		p[i] = create_product(unique("page"));

	at_step("the newest three, newest first");
	struct at_resp *r = at_get("/v1/products?limit=3");
	AT_LIST(r, "/v1/products", 3, true);
	expect_ids(r, at_fmt("%s,%s,%s", p[5], p[4], p[3]));
	AT_STR(r, "data[0].object", "product");

	at_step("starting_after the newest");
	r = at_get("/v1/products?limit=2&starting_after=%s", p[5]);
	AT_LIST(r, "/v1/products", 2, true);
	expect_ids(r, at_fmt("%s,%s", p[4], p[3]));

	at_step("ending_before the oldest: the page just newer, still newest first");
	r = at_get("/v1/products?limit=2&ending_before=%s", p[1]);
	AT_LIST(r, "/v1/products", 2, true);
	expect_ids(r, at_fmt("%s,%s", p[3], p[2]));

	at_step("ending_before the second newest: only the newest, nothing more");
	r = at_get("/v1/products?ending_before=%s", p[4]);
	AT_LIST(r, "/v1/products", 1, false);
	expect_ids(r, p[5]);

	at_step("limit 1 and the default limit of 10");
	AT_LIST(at_get("/v1/products?limit=1"), "/v1/products", 1, true);
	r = at_get("/v1/products");
	AT_STATUS(r, 200);
	if (json_array_size(json_object_get(r->json, "data")) > 10)
		AT_FAIL(r, "more than the default 10 items");

	at_step("both cursors at once are refused");
	r = at_get("/v1/products?starting_after=%s&ending_before=%s", p[5], p[1]);
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "ending_before");

	at_step("active filter");
	const char *archived = create_product(unique("archived"));
	AT_STATUS(at_post_form(at_fmt("/v1/products/%s", archived), "active=false"), 200);
	r = at_get("/v1/products?active=false&limit=1");
	AT_LIST(r, "/v1/products", 1, json_is_true(json_object_get(r->json, "has_more")));
	AT_STR(r, "data[0].id", archived);
	AT_BOOL(r, "data[0].active", false);
	r = at_get("/v1/products?active=true&limit=1");
	AT_STATUS(r, 200);
	AT_STR(r, "data[0].id", p[5]);
	AT_BOOL(r, "data[0].active", true);

	at_step("booleans in forms and queries in any letter case, as Stripe reads them");
	r = at_get("/v1/products?active=FALSE&limit=1");
	AT_STATUS(r, 200);
	AT_STR(r, "data[0].id", archived);
	r = at_post_form(at_fmt("/v1/products/%s", archived), "active=True");
	AT_STATUS(r, 200);
	AT_BOOL(r, "active", true);
	r = at_post_form(at_fmt("/v1/products/%s", archived), "active=False");
	AT_STATUS(r, 200);
	AT_BOOL(r, "active", false);
	at_step("JSON booleans stay strict");
	AT_ERROR(at_post_json(at_fmt("/v1/products/%s", archived), "{\"active\":\"True\"}"), 400,
	         "invalid_request_error", "parameter_invalid", "active");
}

static void products_delete_rules(void **state)
{
	(void)state;
	at_step("a product with an active price");
	const char *prod = create_product(unique("deletable"));
	const char *price = create_price(prod, 500, "usd", NULL);

	at_step("DELETE answers 409 and says not to retry");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *r = at_delete("/v1/products/%s", prod);
	AT_ERROR(r, 409, "invalid_request_error", "product_has_active_prices", NULL);
	AT_HEADER(r, "Stripe-Should-Retry", "false");
	AT_UNCHANGED(&fp, r);
	AT_STATUS(at_get("/v1/products/%s", prod), 200);

	at_step("archive the price, then DELETE works");
	r = at_post_form(at_fmt("/v1/prices/%s", price), "active=false");
	AT_STATUS(r, 200);
	AT_BOOL(r, "active", false);
	r = at_delete("/v1/products/%s", prod);
	AT_STATUS(r, 200);
	AT_STR(r, "id", prod);
	AT_STR(r, "object", "product");
	AT_BOOL(r, "deleted", true);

	at_step("a deleted product answers 404 everywhere");
	AT_ERROR(at_get("/v1/products/%s", prod), 404, "invalid_request_error", "resource_missing", "id");
	AT_ERROR(at_delete("/v1/products/%s", prod), 404, "invalid_request_error", "resource_missing", "id");
	AT_ERROR(at_post_json(at_fmt("/v1/products/%s", prod), "{\"name\":\"x\"}"), 404, "invalid_request_error",
	         "resource_missing", "id");
	r = at_get("/v1/products?limit=100");
	if (strstr(list_ids(r), prod))
		AT_FAIL(r, "the deleted product is still listed");
	at_step("its prices stay retrievable");
	r = at_get("/v1/prices/%s", price);
	AT_STATUS(r, 200);
	AT_STR(r, "product", prod);
	at_step("and it cannot get new prices");
	r = at_post_json("/v1/prices", "{\"product\":\"%s\",\"unit_amount\":1,\"currency\":\"usd\"}", prod);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "product");

	at_step("a product without any price can be deleted at once");
	const char *bare = create_product(unique("bare"));
	AT_BOOL(at_delete("/v1/products/%s", bare), "deleted", true);
}

/* ---- prices --------------------------------------------------------------- */

static void prices_create_retrieve_update(void **state)
{
	(void)state;
	const char *prod = create_product(unique("priced"));
	at_step("a monthly price with a trial, currency given in capitals");
	struct at_resp *r =
	    at_post_json("/v1/prices",
	                 "{\"product\":\"%s\",\"unit_amount\":1500,\"currency\":\"USD\",\"nickname\":\"Monthly\","
	                 "\"recurring\":{\"interval\":\"month\",\"interval_count\":3,\"trial_period_days\":14}}",
	                 prod);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "price_");
	AT_STR(r, "object", "price");
	AT_STR(r, "product", prod);
	AT_INT(r, "unit_amount", 1500);
	AT_STR(r, "unit_amount_decimal", "1500");
	AT_STR(r, "currency", "usd");
	AT_STR(r, "nickname", "Monthly");
	AT_STR(r, "type", "recurring");
	AT_STR(r, "recurring.interval", "month");
	AT_INT(r, "recurring.interval_count", 3);
	AT_INT(r, "recurring.trial_period_days", 14);
	AT_STR(r, "billing_scheme", "per_unit");
	AT_BOOL(r, "active", true);
	AT_NULL(r, "lookup_key");
	expect_created_now(r);
	const char *id = at_str(r, "id");
	expect_same_object(r, at_get("/v1/prices/%s", id));

	at_step("recurring[usage_type]=licensed is accepted (metered is refused: cases/prices.json)");
	r = at_post_form("/v1/prices",
	                 "product=%s&unit_amount=700&currency=usd&recurring[interval]=week"
	                 "&recurring[usage_type]=licensed",
	                 prod);
	AT_STATUS(r, 200);
	AT_STR(r, "recurring.usage_type", "licensed");

	at_step("a one-time price");
	r = at_post_form("/v1/prices", "product=%s&unit_amount=0&currency=jpy", prod);
	AT_STATUS(r, 200);
	AT_STR(r, "type", "one_time");
	AT_NULL(r, "recurring");
	AT_INT(r, "unit_amount", 0);
	AT_STR(r, "currency", "jpy");

	at_step("the largest amount");
	r = at_post_json("/v1/prices", "{\"product\":\"%s\",\"unit_amount\":99999999999,\"currency\":\"eur\"}", prod);
	AT_STATUS(r, 200);
	AT_INT(r, "unit_amount", 99999999999LL);
	AT_STR(r, "unit_amount_decimal", "99999999999");

	at_step("update nickname, metadata and active");
	r = at_post_form(at_fmt("/v1/prices/%s", id), "nickname=Quarterly&metadata[tier]=gold&active=false");
	AT_STATUS(r, 200);
	AT_STR(r, "nickname", "Quarterly");
	AT_STR(r, "metadata.tier", "gold");
	AT_BOOL(r, "active", false);
	AT_INT(r, "unit_amount", 1500);
	AT_STR(r, "recurring.interval", "month");
	r = at_get("/v1/prices/%s", id);
	AT_STR(r, "nickname", "Quarterly");
	AT_BOOL(r, "active", false);

	at_step("unit_amount, currency and recurring never change");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/prices/%s", id), "unit_amount=2000");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "unit_amount");
	r = at_post_json(at_fmt("/v1/prices/%s", id), "{\"currency\":\"eur\"}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "currency");
	r = at_post_form(at_fmt("/v1/prices/%s", id), "recurring[interval]=year");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "recurring");
	r = at_post_json(at_fmt("/v1/prices/%s", id), "{\"nickname\":\"x\",\"unit_amount\":1500}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "unit_amount");
	AT_UNCHANGED(&fp, r);
	r = at_get("/v1/prices/%s", id);
	AT_INT(r, "unit_amount", 1500);
	AT_STR(r, "currency", "usd");
	AT_STR(r, "nickname", "Quarterly");
}

static void prices_list_filters(void **state)
{
	(void)state;
	const char *prod = create_product(unique("filtered"));
	const char *other = create_product(unique("other"));
	at_step("three prices on one product, one on another");
	const char *a = create_price(prod, 100, "usd", NULL);
	const char *b = create_price(prod, 200, "eur", "\"recurring\":{\"interval\":\"year\"}");
	const char *c = create_price(prod, 300, "usd", "\"active\":false");
	const char *d = create_price(other, 400, "usd", NULL);

	at_step("by product, paged");
	struct at_resp *r = at_get("/v1/prices?product=%s&limit=2", prod);
	AT_LIST(r, "/v1/prices", 2, true);
	expect_ids(r, at_fmt("%s,%s", c, b));
	r = at_get("/v1/prices?product=%s&limit=2&starting_after=%s", prod, b);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, a);
	r = at_get("/v1/prices?product=%s&ending_before=%s", prod, a);
	AT_LIST(r, "/v1/prices", 2, false);
	expect_ids(r, at_fmt("%s,%s", c, b));

	at_step("by product and active");
	r = at_get("/v1/prices?product=%s&active=true", prod);
	AT_LIST(r, "/v1/prices", 2, false);
	expect_ids(r, at_fmt("%s,%s", b, a));
	r = at_get("/v1/prices?product=%s&active=false", prod);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, c);

	at_step("by product and currency (any case)");
	r = at_get("/v1/prices?product=%s&currency=usd", prod);
	AT_LIST(r, "/v1/prices", 2, false);
	expect_ids(r, at_fmt("%s,%s", c, a));
	r = at_get("/v1/prices?currency=EUR&product=%s", prod);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, b);

	at_step("all three filters");
	r = at_get("/v1/prices?product=%s&currency=usd&active=true", prod);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, a);

	at_step("the other product");
	r = at_get("/v1/prices?product=%s", other);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, d);

	at_step("a product with no prices: an empty list");
	r = at_get("/v1/prices?product=%s", create_product(unique("empty")));
	AT_LIST(r, "/v1/prices", 0, false);
}

static void prices_lookup_key_unique(void **state)
{
	(void)state;
	const char *prod = create_product(unique("lookup"));
	const char *key = unique("lk");
	at_step("a price with a lookup_key");
	const char *first = create_price(prod, 100, "usd", at_fmt("\"lookup_key\":\"%s\"", key));
	struct at_resp *r = at_get("/v1/prices?lookup_key=%s", key);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, first);
	AT_STR(r, "data[0].lookup_key", key);

	at_step("a second price with the same key is refused, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_json("/v1/prices",
	                 "{\"product\":\"%s\",\"unit_amount\":1,\"currency\":\"usd\",\"lookup_key\":\"%s\"}", prod,
	                 key);
	AT_ERROR(r, 400, "invalid_request_error", "lookup_key_in_use", "lookup_key");
	AT_UNCHANGED(&fp, r);

	at_step("nor can another price take it on update");
	const char *second = create_price(prod, 200, "usd", NULL);
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/prices/%s", second), "lookup_key=%s", key);
	AT_ERROR(r, 400, "invalid_request_error", "lookup_key_in_use", "lookup_key");
	AT_UNCHANGED(&fp, r);

	at_step("setting a price's own key again is fine");
	r = at_post_form(at_fmt("/v1/prices/%s", first), "lookup_key=%s&nickname=same", key);
	AT_STATUS(r, 200);
	AT_STR(r, "lookup_key", key);

	at_step("clear it on the first, then the second may take it");
	r = at_post_form(at_fmt("/v1/prices/%s", first), "lookup_key=");
	AT_STATUS(r, 200);
	AT_NULL(r, "lookup_key");
	r = at_post_json(at_fmt("/v1/prices/%s", second), "{\"lookup_key\":\"%s\"}", key);
	AT_STATUS(r, 200);
	AT_STR(r, "lookup_key", key);
	r = at_get("/v1/prices?lookup_key=%s", key);
	AT_LIST(r, "/v1/prices", 1, false);
	expect_ids(r, second);
}

/* ---- customers ------------------------------------------------------------ */

static void customers_create_retrieve_update_delete(void **state)
{
	(void)state;
	at_step("create a customer with every field");
	struct at_resp *r = at_post_json(
	    "/v1/customers",
	    "{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\",\"phone\":\"+44 20 "
	    "1234\",\"description\":\"first\","
	    "\"currency\":\"GBP\",\"address\":{\"line1\":\"1 Main St\",\"city\":\"London\",\"country\":\"GB\"},"
	    "\"metadata\":{\"plan\":\"pro\"}}");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "cus_");
	AT_STR(r, "object", "customer");
	AT_STR(r, "email", "ada@example.com");
	AT_STR(r, "name", "Ada Lovelace");
	AT_STR(r, "phone", "+44 20 1234");
	AT_STR(r, "description", "first");
	AT_STR(r, "currency", "gbp");
	AT_STR(r, "address.line1", "1 Main St");
	AT_STR(r, "address.city", "London");
	AT_STR(r, "address.country", "GB");
	AT_NULL(r, "address.line2");
	AT_NULL(r, "address.postal_code");
	AT_NULL(r, "address.state");
	AT_STR(r, "metadata.plan", "pro");
	AT_BOOL(r, "livemode", false);
	expect_created_now(r);
	const char *id = at_str(r, "id");
	expect_same_object(r, at_get("/v1/customers/%s", id));

	at_step("an empty customer");
	r = at_post_form("/v1/customers", "%s", "");
	AT_STATUS(r, 200);
	AT_NULL(r, "email");
	AT_NULL(r, "name");
	AT_NULL(r, "address");

	at_step("update: a new address replaces the old one whole");
	r = at_post_form(at_fmt("/v1/customers/%s", id), "name=Ada+King&address[city]=Paris&address[country]=FR");
	AT_STATUS(r, 200);
	AT_STR(r, "name", "Ada King");
	AT_STR(r, "email", "ada@example.com");
	AT_STR(r, "address.city", "Paris");
	AT_STR(r, "address.country", "FR");
	AT_NULL(r, "address.line1");
	AT_STR(r, "metadata.plan", "pro");
	expect_same_object(r, at_get("/v1/customers/%s", id));

	at_step("update: empty values clear fields, address too");
	r = at_post_form(at_fmt("/v1/customers/%s", id), "phone=&description=&address=&currency=");
	AT_STATUS(r, 200);
	AT_NULL(r, "phone");
	AT_NULL(r, "description");
	AT_NULL(r, "address");
	AT_NULL(r, "currency");
	AT_STR(r, "name", "Ada King");
	r = at_post_json(at_fmt("/v1/customers/%s", id), "{\"email\":null}");
	AT_STATUS(r, 200);
	AT_NULL(r, "email");
	AT_NULL(at_get("/v1/customers/%s", id), "email");

	at_step("delete");
	r = at_delete("/v1/customers/%s", id);
	AT_STATUS(r, 200);
	AT_STR(r, "id", id);
	AT_STR(r, "object", "customer");
	AT_BOOL(r, "deleted", true);
	AT_ERROR(at_get("/v1/customers/%s", id), 404, "invalid_request_error", "resource_missing", "id");
	AT_ERROR(at_delete("/v1/customers/%s", id), 404, "invalid_request_error", "resource_missing", "id");
	AT_ERROR(at_post_form(at_fmt("/v1/customers/%s", id), "name=x"), 404, "invalid_request_error",
	         "resource_missing", "id");

	at_step("a deleted customer is not a cursor any more, nor listed");
	r = at_get("/v1/customers?starting_after=%s", id);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "starting_after");
	const char *gone = at_fmt("%s@example.com", unique("gone"));
	r = at_post_form("/v1/customers", "email=%s", at_urlencode(gone));
	AT_STATUS(r, 200);
	AT_STATUS(at_delete("/v1/customers/%s", at_str(r, "id")), 200);
	AT_LIST(at_get("/v1/customers?email=%s", at_urlencode(gone)), "/v1/customers", 0, false);

	at_step("JSON \"\" clears a field like form \"\"");
	r = at_post_json("/v1/customers", "{\"name\":\"n\",\"phone\":\"1\"}");
	AT_STATUS(r, 200);
	r = at_post_json(at_fmt("/v1/customers/%s", at_str(r, "id")), "{\"phone\":\"\",\"address\":\"\"}");
	AT_STATUS(r, 200);
	AT_NULL(r, "phone");
	AT_NULL(r, "address");
	AT_STR(r, "name", "n");
}

static void customers_list_by_email(void **state)
{
	(void)state;
	const char *email = at_fmt("%s@example.com", unique("list"));
	at_step("three customers, two with the same email");
	const char *c[4];
	for (int i = 1; i <= 3; i++) {
		struct at_resp *r = at_post_form("/v1/customers", "email=%s&name=n%d",
		                                 at_urlencode(i == 2 ? "someone.else@example.com" : email), i);
		AT_STATUS(r, 200);
		c[i] = at_str(r, "id");
	}
	at_step("filtered by email (encoded @), newest first");
	struct at_resp *r = at_get("/v1/customers?email=%s", at_urlencode(email));
	AT_LIST(r, "/v1/customers", 2, false);
	expect_ids(r, at_fmt("%s,%s", c[3], c[1]));
	AT_STR(r, "data[0].email", email);
	AT_STR(r, "data[0].object", "customer");

	at_step("email with a raw @ works too");
	r = at_get("/v1/customers?email=%s", email);
	AT_LIST(r, "/v1/customers", 2, false);

	at_step("paged with the filter");
	r = at_get("/v1/customers?limit=1&email=%s", at_urlencode(email));
	AT_LIST(r, "/v1/customers", 1, true);
	expect_ids(r, c[3]);
	r = at_get("/v1/customers?limit=1&email=%s&starting_after=%s", at_urlencode(email), c[3]);
	AT_LIST(r, "/v1/customers", 1, false);
	expect_ids(r, c[1]);

	at_step("Stripe-style query strings: %%40, raw and encoded brackets (expand is accepted)");
	AT_STATUS(at_post_form("/v1/customers", "email=a%%40b.c"), 200);
	r = at_get("/v1/customers?limit=2&email=a%%40b.c");
	AT_LIST(r, "/v1/customers", 1, false);
	AT_STR(r, "data[0].email", "a@b.c");
	r = at_get("/v1/customers?limit=2&email=a%%40b.c&expand[]=data.default_source");
	AT_LIST(r, "/v1/customers", 1, false);
	r = at_get("/v1/customers?limit=2&email=a%%40b.c&expand%%5B%%5D=data.default_source");
	AT_LIST(r, "/v1/customers", 1, false);
	r = at_get("/v1/customers?limit=2&email=nobody%%40b.c");
	AT_LIST(r, "/v1/customers", 0, false);
}

/* ---- metadata and encodings ---------------------------------------------- */

static void metadata_set_merge_unset(void **state)
{
	(void)state;
	at_step("create with two keys (form)");
	struct at_resp *r = at_post_form("/v1/customers", "metadata[a]=1&metadata[b]=two+words");
	AT_STATUS(r, 200);
	AT_STR(r, "metadata.a", "1");
	AT_STR(r, "metadata.b", "two words");
	const char *id = at_str(r, "id");
	const char *path = at_fmt("/v1/customers/%s", id);

	at_step("merge a new key, change one (JSON)");
	r = at_post_json(path, "{\"metadata\":{\"c\":\"3\",\"a\":\"one\"}}");
	AT_STATUS(r, 200);
	AT_STR(r, "metadata.a", "one");
	AT_STR(r, "metadata.b", "two words");
	AT_STR(r, "metadata.c", "3");

	at_step("metadata[b]= unsets b only");
	r = at_post_form(path, "metadata[b]=");
	AT_STATUS(r, 200);
	AT_ABSENT(r, "metadata.b");
	AT_STR(r, "metadata.a", "one");
	if (json_object_size(json_object_get(r->json, "metadata")) != 2)
		AT_FAIL(r, "want metadata {a, c}");
	AT_STR(at_get("%s", path), "metadata.c", "3");

	at_step("an update without metadata keeps it");
	r = at_post_form(path, "name=kept");
	AT_STR(r, "metadata.a", "one");

	at_step("JSON \"\" for one key unsets it");
	r = at_post_json(path, "{\"metadata\":{\"a\":\"\"}}");
	AT_STATUS(r, 200);
	if (json_object_size(json_object_get(r->json, "metadata")) != 1)
		AT_FAIL(r, "want metadata {c}");

	at_step("metadata= clears all (form), metadata:null too (JSON)");
	r = at_post_form(path, "metadata=");
	AT_STATUS(r, 200);
	if (json_object_size(json_object_get(r->json, "metadata")) != 0)
		AT_FAIL(r, "want empty metadata");
	AT_STATUS(at_post_json(path, "{\"metadata\":{\"x\":\"1\"}}"), 200);
	r = at_post_json(path, "{\"metadata\":null}");
	AT_STATUS(r, 200);
	if (json_object_size(json_object_get(r->json, "metadata")) != 0)
		AT_FAIL(r, "want empty metadata");

	at_step("products and prices merge the same way");
	const char *prod = create_product(unique("md"));
	r = at_post_form(at_fmt("/v1/products/%s", prod), "metadata[k]=v&metadata[j]=w");
	AT_STR(r, "metadata.k", "v");
	r = at_post_form(at_fmt("/v1/products/%s", prod), "metadata[k]=");
	AT_STATUS(r, 200);
	AT_ABSENT(r, "metadata.k");
	AT_STR(r, "metadata.j", "w");
	const char *price = create_price(prod, 1, "usd", "\"metadata\":{\"k\":\"v\",\"j\":\"w\"}");
	r = at_post_json(at_fmt("/v1/prices/%s", price), "{\"metadata\":{\"k\":\"\",\"n\":\"new\"}}");
	AT_STATUS(r, 200);
	AT_ABSENT(r, "metadata.k");
	AT_STR(r, "metadata.j", "w");
	AT_STR(r, "metadata.n", "new");
	AT_STR(at_get("/v1/prices/%s", price), "metadata.n", "new");
}

static void form_and_json_give_the_same_result(void **state)
{
	(void)state;
	at_step("products");
	struct at_resp *j =
	    at_post_json("/v1/products", "{\"name\":\"Same \\u00e9\",\"description\":\"d & e\",\"active\":false,"
	                                 "\"metadata\":{\"k\":\"v w\"}}");
	struct at_resp *f =
	    at_post_form("/v1/products", "name=Same+%%C3%%A9&description=d+%%26+e&active=false&metadata[k]=v%%20w");
	AT_STATUS(j, 200);
	AT_STATUS(f, 200);
	AT_STR(f, "name", "Same \xc3\xa9");
	expect_same_object(j, f);
	const char *prod = at_str(j, "id");

	at_step("prices, with a nested recurring object");
	j = at_post_json(
	    "/v1/prices",
	    "{\"product\":\"%s\",\"unit_amount\":250,\"currency\":\"eur\",\"recurring\":{\"interval\":\"week\","
	    "\"interval_count\":2},\"nickname\":\"n\",\"metadata\":{\"a\":\"b\"}}",
	    prod);
	f = at_post_form("/v1/prices",
	                 "product=%s&unit_amount=250&currency=eur&recurring[interval]=week&recurring[interval_count]=2&"
	                 "nickname=n&metadata[a]=b",
	                 prod);
	AT_STATUS(j, 200);
	AT_STATUS(f, 200);
	AT_INT(f, "recurring.interval_count", 2);
	expect_same_object(j, f);

	at_step("prices, with %%-encoded brackets in the form");
	struct at_resp *e = at_post_form(
	    "/v1/prices",
	    "product=%s&unit_amount=250&currency=eur&recurring%%5Binterval%%5D=week&recurring%%5Binterval_count%%5D=2&"
	    "nickname=n&metadata%%5Ba%%5D=b",
	    prod);
	AT_STATUS(e, 200);
	expect_same_object(j, e);

	at_step("customers, with a nested address");
	j = at_post_json("/v1/customers",
	                 "{\"email\":\"same@example.com\",\"address\":{\"city\":\"Oslo\",\"postal_code\":"
	                 "\"0150\"},\"currency\":\"nok\"}");
	f = at_post_form("/v1/customers",
	                 "email=same%%40example.com&address[city]=Oslo&address[postal_code]=0150&currency=nok");
	AT_STATUS(j, 200);
	AT_STATUS(f, 200);
	expect_same_object(j, f);

	at_step("api keys");
	j = at_post_json("/v1/api_keys", "{\"name\":\"same\"}");
	f = at_post_form("/v1/api_keys", "name=same");
	AT_STATUS(j, 200);
	AT_STATUS(f, 200);
	json_object_del(j->json, "secret");
	json_object_del(j->json, "redacted");
	json_object_del(f->json, "secret");
	json_object_del(f->json, "redacted");
	json_object_del(j->json, "last4");
	json_object_del(f->json, "last4");
	expect_same_object(j, f);
}

/* ---- limits: the largest allowed value of each is accepted --------------- */

static void limits_accept_their_maximum(void **state)
{
	(void)state;
	at_step("a product name of 250 bytes, in two-byte characters too; a 5000-byte description");
	const char *e125 = at_strdup("");
	for (int i = 0; i < 125; i++)
		e125 = at_fmt("%s\xc3\xa9", e125);
	struct at_resp *r = at_post_json("/v1/products", "{\"name\":\"%s\",\"description\":\"%s\"}",
	                                 at_repeat('n', 250), at_repeat('d', 5000));
	AT_STATUS(r, 200);
	AT_STR(r, "name", at_repeat('n', 250));
	r = at_post_json("/v1/products", "{\"name\":\"%s\"}", e125);
	AT_STATUS(r, 200);
	AT_STR(r, "name", e125);
	const char *prod = at_str(r, "id");

	at_step("metadata: 50 keys, a 40-byte key, a 500-byte value");
	const char *md = at_strdup("");
	for (int i = 0; i < 49; i++)
		md = at_fmt("%s\"k%02d\":\"v\",", md, i);
	md = at_fmt("%s\"%s\":\"%s\"", md, at_repeat('k', 40), at_repeat('v', 500));
	r = at_post_json(at_fmt("/v1/products/%s", prod), "{\"metadata\":{%s}}", md);
	AT_STATUS(r, 200);
	if (json_object_size(json_object_get(r->json, "metadata")) != 50)
		AT_FAIL(r, "want 50 metadata keys");
	AT_STR(r, at_fmt("metadata.%s", at_repeat('k', 40)), at_repeat('v', 500));

	at_step("a 51st key by merge is refused and writes nothing");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/products/%s", prod), "metadata[one_more]=x");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "metadata");
	AT_UNCHANGED(&fp, r);
	at_step("replacing one key and adding another keeps 50");
	r = at_post_form(at_fmt("/v1/products/%s", prod), "metadata[k00]=&metadata[one_more]=x");
	AT_STATUS(r, 200);
	if (json_object_size(json_object_get(r->json, "metadata")) != 50)
		AT_FAIL(r, "want 50 metadata keys");

	at_step("prices: the largest amount, trial, nickname, lookup_key and each longest interval");
	r = at_post_form(
	    "/v1/prices",
	    "product=%s&unit_amount=99999999999&currency=usd&recurring[interval]=day&recurring[interval_count]=365&"
	    "recurring[trial_period_days]=730&nickname=%s&lookup_key=%s",
	    prod, at_repeat('n', 250), at_repeat('l', 200));
	AT_STATUS(r, 200);
	AT_INT(r, "unit_amount", 99999999999LL);
	AT_INT(r, "recurring.interval_count", 365);
	AT_INT(r, "recurring.trial_period_days", 730);
	static const char *const longest[][2] = {{"week", "52"}, {"month", "12"}, {"year", "1"}};
	for (size_t i = 0; i < 3; i++) {
		r = at_post_form(
		    "/v1/prices",
		    "product=%s&unit_amount=0&currency=usd&recurring[interval]=%s&recurring[interval_count]=%s", prod,
		    longest[i][0], longest[i][1]);
		AT_STATUS(r, 200);
		AT_STR(r, "recurring.interval", longest[i][0]);
		AT_INT(r, "recurring.interval_count", strtol(longest[i][1], NULL, 10));
	}

	at_step("customers: each field at its limit");
	const char *email = at_fmt("%s@example.com", at_repeat('e', 512 - 12));
	r = at_post_json(
	    "/v1/customers",
	    "{\"email\":\"%s\",\"name\":\"%s\",\"phone\":\"%s\",\"description\":\"%s\",\"address\":{\"line1\":\"%s\","
	    "\"country\":\"NO\"}}",
	    email, at_repeat('n', 256), at_repeat('9', 64), at_repeat('d', 5000), at_repeat('l', 200));
	AT_STATUS(r, 200);
	AT_STR(r, "email", email);
	AT_STR(r, "address.line1", at_repeat('l', 200));

	at_step("api keys: a 100-byte name");
	r = at_post_form("/v1/api_keys", "name=%s", at_repeat('k', 100));
	AT_STATUS(r, 200);
	AT_STR(r, "name", at_repeat('k', 100));
	AT_STATUS(at_delete("/v1/api_keys/%s", at_str(r, "id")), 200);
}

/* ---- API keys and authentication ----------------------------------------- */

static void api_keys_create_list_revoke(void **state)
{
	(void)state;
	at_step("create a key");
	struct at_resp *r = at_post_json("/v1/api_keys", "{\"name\":\"ci\"}");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "key_");
	AT_STR(r, "object", "api_key");
	AT_STR(r, "name", "ci");
	AT_BOOL(r, "revoked", false);
	AT_NULL(r, "revoked_at");
	AT_PREFIX(r, "secret", "sk_");
	expect_created_now(r);
	const char *id = at_str(r, "id");
	const char *secret = at_str(r, "secret");
	AT_STR(r, "redacted", at_fmt("sk_...%s", secret + strlen(secret) - 4));
	if (strlen(secret) < 24)
		AT_FAIL(r, "the secret is too short to be a secret");

	at_step("the new secret authenticates (Bearer and Basic)");
	r = at_send(
	    &(struct at_req){.method = "GET", .path = "/v1/products?limit=1", .auth = at_fmt("Bearer %s", secret)});
	AT_STATUS(r, 200);
	char b64[256];
	char *userpass = at_fmt("%s:", secret);
	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)userpass, strlen(userpass),
	                  sodium_base64_VARIANT_ORIGINAL);
	r = at_send(&(struct at_req){.method = "GET", .path = "/v1/products?limit=1", .auth = at_fmt("Basic %s", b64)});
	AT_STATUS(r, 200);

	at_step("listed without its secret");
	r = at_get("/v1/api_keys?limit=1");
	AT_LIST(r, "/v1/api_keys", 1, true);
	AT_STR(r, "data[0].id", id);
	AT_STR(r, "data[0].object", "api_key");
	if (at_json_path(r->json, "data[0].secret") || strstr(r->body, secret))
		AT_FAIL(r, "a listed key shows its secret");
	r = at_get("/v1/api_keys?limit=100");
	if (strstr(r->body, "\"secret\":")) /* the member; "type":"secret" is the key type */
		AT_FAIL(r, "a listed key shows its secret");

	at_step("revoke it with the harness key");
	r = at_delete("/v1/api_keys/%s", id);
	AT_STATUS(r, 200);
	AT_STR(r, "id", id);
	AT_BOOL(r, "revoked", true);
	if (!json_is_integer(at_json_path(r->json, "revoked_at")))
		AT_FAIL(r, "revoked_at is not a time");
	if (at_json_path(r->json, "secret"))
		AT_FAIL(r, "the revoke response shows the secret");

	at_step("the revoked key gets 401");
	r = at_send(&(struct at_req){.method = "GET", .path = "/v1/products", .auth = at_fmt("Bearer %s", secret)});
	AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);
	r = at_send(&(struct at_req){.method = "POST",
	                             .path = "/v1/products",
	                             .ctype = AT_FORM,
	                             .body = "name=x",
	                             .auth = at_fmt("Bearer %s", secret)});
	AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);

	at_step("revoking it again: 409");
	AT_ERROR(at_delete("/v1/api_keys/%s", id), 409, "invalid_request_error", "resource_state_conflict", NULL);
	at_step("revoking a key that never existed: 404");
	AT_ERROR(at_delete("/v1/api_keys/%s", missing_id(ID_API_KEY)), 404, "invalid_request_error", "resource_missing",
	         "id");
}

static void authentication_errors(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("no Authorization header");
	struct at_resp *r = at_send(&(struct at_req){.method = "GET", .path = "/v1/customers", .auth = ""});
	AT_ERROR(r, 401, "authentication_error", "api_key_missing", NULL);
	r = at_send(&(struct at_req){
	    .method = "POST", .path = "/v1/customers", .ctype = AT_FORM, .body = "name=x", .auth = ""});
	AT_ERROR(r, 401, "authentication_error", "api_key_missing", NULL);

	static const char *const malformed[] = {
	    "Token abc",          "Bearer",         "Bearer ",
	    "Basic !!!notbase64", "Basic Og==", /* ":" */
	    "sk_whatever",        "Bearer sk_nope", "Bearer sk_nope2 extra",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		at_step("Authorization: %s", malformed[i]);
		r = at_send(&(struct at_req){.method = "GET", .path = "/v1/customers", .auth = malformed[i]});
		AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);
	}
	at_step("a 401 for every route");
	r = at_send(&(struct at_req){.method = "DELETE", .path = "/v1/api_keys/key_00000000000", .auth = ""});
	AT_ERROR(r, 401, "authentication_error", "api_key_missing", NULL);
	r = at_send(&(struct at_req){.method = "GET", .path = "/v1/prices", .auth = "Bearer sk_nope"});
	AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);
	AT_UNCHANGED(&fp, r);

	at_step("/healthz needs no key");
	r = at_send(&(struct at_req){.method = "GET", .path = "/healthz", .auth = ""});
	AT_STATUS(r, 200);
}

/* ---- concurrency: the rules hold when requests race --------------------- */

/* Deleting a product while a price is being created for it: either the price
 * exists and the product does not get deleted, or the product is deleted and
 * the price refused. Never a deleted product with an active price. */
static void products_delete_races_price_create(void **state)
{
	(void)state;
	for (int round = 1; round <= 20; round++) {
		at_step("round %d: create a price and delete its product at once", round);
		const char *prod = create_product(unique("race"));
		struct at_req both[2] = {
		    {.method = "POST",
		     .path = "/v1/prices",
		     .ctype = AT_FORM,
		     .body = at_fmt("product=%s&unit_amount=100&currency=usd", prod)},
		    {.method = "DELETE", .path = at_fmt("/v1/products/%s", prod)},
		};
		struct at_resp *out[2];
		at_send_parallel(both, 2, out);
		if (out[0]->status == 200 && out[1]->status == 200)
			AT_FAIL(out[1], "round %d: the product was deleted while it got an active price %s", round,
			        at_str(out[0], "id"));
		if (out[0]->status == 200)
			AT_ERROR(out[1], 409, "invalid_request_error", "product_has_active_prices", NULL);
		else
			AT_ERROR(out[0], 400, "invalid_request_error", "resource_missing", "product");
	}
}

/* Many prices asking for one lookup_key at once: one gets it, the others a
 * clean 400 (the unique index decides, not a 500). */
static void prices_lookup_key_race(void **state)
{
	(void)state;
	enum { N = 8 };
	const char *prod = create_product(unique("lookup race"));
	for (int round = 1; round <= 3; round++) {
		at_step("round %d: %d prices with one lookup_key at once", round, N);
		const char *key = unique("race_key");
		struct at_req rqs[N];
		struct at_resp *out[N];
		for (int i = 0; i < N; i++)
			rqs[i] = (struct at_req){
			    .method = "POST",
			    .path = "/v1/prices",
			    .ctype = AT_FORM,
			    .body = at_fmt("product=%s&unit_amount=%d&currency=usd&lookup_key=%s", prod, i, key)};
		at_send_parallel(rqs, N, out);
		int n_ok = 0;
		for (int i = 0; i < N; i++) {
			if (out[i]->status == 200)
				n_ok++;
			else
				AT_ERROR(out[i], 400, "invalid_request_error", "lookup_key_in_use", "lookup_key");
		}
		if (n_ok != 1)
			AT_FAIL(out[0], "round %d: %d prices got the lookup_key, want 1", round, n_ok);
		AT_LIST(at_get("/v1/prices?lookup_key=%s", key), "/v1/prices", 1, false);
	}
}

/* Revokes every active key but the harness's own and returns its id. */
static const char *only_own_key_active(void)
{
	at_step("a second key to page with");
	struct at_resp *r = at_post_form("/v1/api_keys", "name=extra");
	AT_STATUS(r, 200);

	at_step("revoke every active key but the harness's own");
	r = at_get("/v1/api_keys?limit=100");
	AT_STATUS(r, 200);
	if (json_is_true(json_object_get(r->json, "has_more")))
		AT_FAIL(r, "more than 100 keys: this test needs them on one page");
	const char *own = NULL;
	const char *last4 = at_secret() + strlen(at_secret()) - 4;
	size_t i;
	json_t *k;
	int n_own = 0;
	json_array_foreach(json_object_get(r->json, "data"), i, k)
	{
		const char *redacted = json_string_value(json_object_get(k, "redacted"));
		if (redacted && !strcmp(redacted + strlen(redacted) - 4, last4) &&
		    json_is_null(json_object_get(k, "name"))) {
			own = json_string_value(json_object_get(k, "id"));
			n_own++;
		}
	}
	if (n_own != 1)
		AT_FAIL(r, "cannot tell the harness's key (ending %s) apart: %d candidates", last4, n_own);
	json_array_foreach(json_object_get(r->json, "data"), i, k)
	{
		const char *id = json_string_value(json_object_get(k, "id"));
		if (strcmp(id, own) != 0 && json_is_false(json_object_get(k, "revoked"))) {
			at_step("revoke %s", id);
			AT_STATUS(at_delete("/v1/api_keys/%s", id), 200);
		}
	}
	return own;
}

static void api_keys_last_active_key_stays(void **state)
{
	(void)state;
	const char *own = only_own_key_active();
	at_step("the last active key cannot be revoked");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *r = at_delete("/v1/api_keys/%s", own);
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
	AT_STATUS(at_get("/v1/products?limit=1"), 200);
}

/* Two active keys revoke each other at the same moment: one must stay. With
 * a check-then-update in a READ COMMITTED transaction both see two active
 * keys and both revoke, locking every caller out. Runs LAST: when it fails,
 * no key is left for the tests after it. */
static void api_keys_concurrent_revocations_keep_one(void **state)
{
	(void)state;
	const char *x_id = only_own_key_active();
	const char *x = at_secret();
	for (int round = 1; round <= 25; round++) {
		at_step("round %d: a second key", round);
		struct at_resp *r = at_send(&(struct at_req){.method = "POST",
		                                             .path = "/v1/api_keys",
		                                             .ctype = AT_FORM,
		                                             .body = "name=race",
		                                             .auth = at_fmt("Bearer %s", x)});
		AT_STATUS(r, 200);
		const char *y = at_str(r, "secret"), *y_id = at_str(r, "id");
		at_step("round %d: each key revokes the other at once", round);
		struct at_req both[2] = {
		    {.method = "DELETE", .path = at_fmt("/v1/api_keys/%s", x_id), .auth = at_fmt("Bearer %s", y)},
		    {.method = "DELETE", .path = at_fmt("/v1/api_keys/%s", y_id), .auth = at_fmt("Bearer %s", x)},
		};
		struct at_resp *out[2];
		at_send_parallel(both, 2, out);
		if (out[0]->status == 200 && out[1]->status == 200)
			AT_FAIL(out[1], "round %d: both of the last two active keys were revoked: no key is left",
			        round);
		for (int i = 0; i < 2; i++)
			if (out[i]->status != 200 && out[i]->status != 401 && out[i]->status != 409)
				AT_FAIL(out[i], "round %d: unexpected status", round);
		if (out[0]->status == 200) { /* x is revoked: y goes on */
			x = y;
			x_id = y_id;
		}
		at_step("round %d: the survivor works", round);
		r = at_send(
		    &(struct at_req){.method = "GET", .path = "/v1/api_keys?limit=1", .auth = at_fmt("Bearer %s", x)});
		AT_STATUS(r, 200);
	}
}

static void api_keys_list_pagination(void **state)
{
	(void)state;
	const char *k[4];
	at_step("three keys");
	for (int i = 1; i <= 3; i++) {
		struct at_resp *r = at_post_form("/v1/api_keys", "name=page%d", i);
		AT_STATUS(r, 200);
		k[i] = at_str(r, "id");
	}
	struct at_resp *r = at_get("/v1/api_keys?limit=2");
	AT_LIST(r, "/v1/api_keys", 2, true);
	expect_ids(r, at_fmt("%s,%s", k[3], k[2]));
	r = at_get("/v1/api_keys?limit=1&starting_after=%s", k[2]);
	AT_LIST(r, "/v1/api_keys", 1, true);
	expect_ids(r, k[1]);
	r = at_get("/v1/api_keys?ending_before=%s", k[2]);
	AT_LIST(r, "/v1/api_keys", 1, false);
	expect_ids(r, k[3]);
	r = at_get("/v1/api_keys?starting_after=%s", missing_id(ID_API_KEY));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "starting_after");
}

/* ---- the router and the envelope ----------------------------------------- */

static void routes_404_405(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("unknown routes: 404 route_missing");
	static const char *const missing[] = {"/v1/nope",     "/v1",           "/", "/v1/products/prod_x/extra",
	                                      "/v2/products", "/v1/customers/"};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		at_step("GET %s", missing[i]);
		struct at_resp *r = at_get("%s", missing[i]);
		AT_ERROR(r, 404, "invalid_request_error", "route_missing", NULL);
	}
	at_step("POST to an unknown route");
	struct at_resp *r = at_post_form("/v1/widgets", "name=x");
	AT_ERROR(r, 404, "invalid_request_error", "route_missing", NULL);

	at_step("known paths, wrong methods: 405");
	static const char *const wrong[][2] = {
	    {"PUT", "/v1/products"},
	    {"DELETE", "/v1/products"},
	    {"PATCH", "/v1/customers/cus_x"},
	    {"DELETE", "/v1/prices/price_x"},
	    {"POST", "/v1/api_keys/key_x"},
	    {"GET", "/v1/api_keys/key_x"},
	    {"POST", "/healthz"},
	};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		at_step("%s %s", wrong[i][0], wrong[i][1]);
		r = at_send(&(struct at_req){.method = wrong[i][0], .path = wrong[i][1]});
		AT_ERROR(r, 405, "invalid_request_error", "method_not_allowed", NULL);
		if (!at_header(r, "Allow") || !*at_header(r, "Allow") || strstr(at_header(r, "Allow"), wrong[i][0]))
			AT_FAIL(r, "Allow is '%s'", at_header(r, "Allow") ? at_header(r, "Allow") : "(absent)");
	}
	AT_HEADER(at_send(&(struct at_req){.method = "PUT", .path = "/v1/products"}), "Allow", "POST, GET");
	AT_HEADER(at_send(&(struct at_req){.method = "PATCH", .path = "/v1/customers/cus_x"}), "Allow",
	          "GET, POST, DELETE");
	AT_UNCHANGED(&fp, r);
}

static void every_response_has_request_id_and_json(void **state)
{
	(void)state;
	/* at_send checks Request-Id and Content-Type on every response of every
	 * test; here, that they are distinct per request and on errors too. */
	at_step("two requests, two request ids");
	struct at_resp *a = at_get("/v1/products?limit=1");
	struct at_resp *b = at_get("/v1/products?limit=1");
	AT_STATUS(a, 200);
	if (!strcmp(at_header(a, "Request-Id"), at_header(b, "Request-Id")))
		AT_FAIL(b, "two requests share the Request-Id %s", at_header(a, "Request-Id"));
	at_step("on an error, a 404, a 401, a 405");
	struct at_resp *e = at_post_json("/v1/products", "{}");
	AT_ERROR(e, 400, "invalid_request_error", "parameter_missing", "name");
	AT_ERROR(at_get("/v1/nowhere"), 404, "invalid_request_error", "route_missing", NULL);
	AT_ERROR(at_send(&(struct at_req){.method = "GET", .path = "/v1/products", .auth = ""}), 401,
	         "authentication_error", "api_key_missing", NULL);
	AT_ERROR(at_send(&(struct at_req){.method = "PUT", .path = "/v1/products"}), 405, "invalid_request_error",
	         "method_not_allowed", NULL);
	at_step("on /healthz");
	AT_STATUS(at_send(&(struct at_req){.method = "GET", .path = "/healthz", .auth = ""}), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(products_create_retrieve_update),
	    cmocka_unit_test(products_list_pagination),
	    cmocka_unit_test(products_delete_rules),
	    cmocka_unit_test(prices_create_retrieve_update),
	    cmocka_unit_test(prices_list_filters),
	    cmocka_unit_test(prices_lookup_key_unique),
	    cmocka_unit_test(customers_create_retrieve_update_delete),
	    cmocka_unit_test(customers_list_by_email),
	    cmocka_unit_test(metadata_set_merge_unset),
	    cmocka_unit_test(form_and_json_give_the_same_result),
	    cmocka_unit_test(limits_accept_their_maximum),
	    cmocka_unit_test(api_keys_create_list_revoke),
	    cmocka_unit_test(authentication_errors),
	    cmocka_unit_test(api_keys_list_pagination),
	    cmocka_unit_test(api_keys_last_active_key_stays),
	    cmocka_unit_test(routes_404_405),
	    cmocka_unit_test(every_response_has_request_id_and_json),
	    cmocka_unit_test(products_delete_races_price_create),
	    cmocka_unit_test(prices_lookup_key_race),
	    cmocka_unit_test(api_keys_concurrent_revocations_keep_one), /* last: it may revoke every key */
	};
	return at_run("test_catalog", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
