/* The `created` list filter (created=<unix second>, or created[gt|gte|lt|lte])
 * on GET /v1/customers, /v1/products, /v1/prices, /v1/subscriptions and
 * /v1/events, parsed by the one helper invoices use too (api_created_range).
 * Customers and subscriptions get deterministic times from test clocks (a
 * clock customer is created at its clock's frozen time, and so are its
 * subscriptions); products, prices and events are made a second or more
 * apart and their own `created` values read back. Each query asserts exactly
 * which ids come back, newest first. Bad values answer 400 naming the
 * parameter, on every list endpoint. SQLite and PostgreSQL. */
#include "api/lib/apitest.h"

#include <string.h>
#include <unistd.h>

/* frozen times of the three clocks: far before anything made on real time */
#define T1 1500000000LL
#define T2 (T1 + 100)
#define T3 (T1 + 200)

static const char *make(const char *path, const char *body)
{
	struct at_resp *r = at_post_form(path, "%s", body);
	AT_STATUS(r, 200);
	return at_strdup(at_str(r, "id"));
}

static long long created_of(const char *path, const char *id)
{
	struct at_resp *r = at_get("%s/%s", path, id);
	AT_STATUS(r, 200);
	return (long long)json_integer_value(at_json_path(r->json, "created"));
}

/* The list answers 200 with exactly ids[0..n) (newest first) and has_more. */
static void expect_ids(const struct at_resp *r, const char *url, const char *const *ids, size_t n, bool has_more)
{
	AT_LIST(r, url, n, has_more);
	for (size_t i = 0; i < n; i++)
		AT_STR(r, at_fmt("data[%zu].id", i), ids[i]);
}
#define IDS(...) ((const char *const[]){__VA_ARGS__}), sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)
#define NONE     ((const char *const *)NULL), 0

static void customers_and_subscriptions_on_clocks(void **state)
{
	(void)state;
	at_step("three clocks, four customers (one email for three of them), a subscription each for three");
	const char *k1 = make("/v1/test_helpers/test_clocks", at_fmt("frozen_time=%lld", T1));
	const char *k2 = make("/v1/test_helpers/test_clocks", at_fmt("frozen_time=%lld", T2));
	const char *k3 = make("/v1/test_helpers/test_clocks", at_fmt("frozen_time=%lld", T3));
	const char *c1 = make("/v1/customers", at_fmt("email=in%%40created.test&test_clock=%s", k1));
	const char *c2 = make("/v1/customers", at_fmt("email=out%%40created.test&test_clock=%s", k2));
	const char *c2b = make("/v1/customers", at_fmt("email=in%%40created.test&test_clock=%s", k2));
	const char *c3 = make("/v1/customers", at_fmt("email=in%%40created.test&test_clock=%s", k3));
	if (created_of("/v1/customers", c1) != T1 || created_of("/v1/customers", c2b) != T2 ||
	    created_of("/v1/customers", c3) != T3)
		AT_FAIL(NULL, "clock customers are not created at their clock's time");
	const char *prod = make("/v1/products", "name=Clocked");
	const char *price =
	    make("/v1/prices", at_fmt("product=%s&unit_amount=500&currency=usd&recurring[interval]=month", prod));
	const char *s1 = make("/v1/subscriptions", at_fmt("customer=%s&items[0][price]=%s", c1, price));
	const char *s2 = make("/v1/subscriptions", at_fmt("customer=%s&items[0][price]=%s", c2, price));
	const char *s3 = make("/v1/subscriptions", at_fmt("customer=%s&items[0][price]=%s", c3, price));
	if (created_of("/v1/subscriptions", s1) != T1 || created_of("/v1/subscriptions", s2) != T2 ||
	    created_of("/v1/subscriptions", s3) != T3)
		AT_FAIL(NULL, "clock subscriptions are not created at their clock's time");

	const char *u = "/v1/customers";
	at_step("customers: exact");
	expect_ids(at_get("/v1/customers?created=%lld", T2), u, IDS(c2b, c2), false);
	expect_ids(at_get("/v1/customers?created=%lld", T1 + 1), u, NONE, false);
	at_step("customers: one bound");
	expect_ids(at_get("/v1/customers?created[lt]=%lld", T2), u, IDS(c1), false);
	expect_ids(at_get("/v1/customers?created[lte]=%lld", T2), u, IDS(c2b, c2, c1), false);
	expect_ids(at_get("/v1/customers?created[lt]=%lld", T1), u, NONE, false);
	at_step("customers: ranges");
	expect_ids(at_get("/v1/customers?created[gt]=%lld&created[lte]=%lld", T1, T3), u, IDS(c3, c2b, c2), false);
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lt]=%lld", T1, T3), u, IDS(c2b, c2, c1), false);
	expect_ids(at_get("/v1/customers?created[gt]=%lld&created[lt]=%lld", T1, T3), u, IDS(c2b, c2), false);
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lte]=%lld", T3, T3), u, IDS(c3), false);
	expect_ids(at_get("/v1/customers?created[gt]=%lld&created[lt]=%lld", T2, T2), u, NONE, false);
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lte]=%lld", T3, T1), u, NONE, false);
	at_step("customers: bounds intersect (the tighter one wins)");
	expect_ids(at_get("/v1/customers?created[gt]=%lld&created[gte]=%lld&created[lt]=%lld&created[lte]=%lld", T1 - 5,
	                  T2, T3 + 5, T3 - 1),
	           u, IDS(c2b, c2), false);
	at_step("customers: percent-encoded brackets");
	expect_ids(at_get("/v1/customers?created%%5Blt%%5D=%lld", T2), u, IDS(c1), false);
	at_step("customers: with email");
	expect_ids(at_get("/v1/customers?email=in%%40created.test&created[gte]=%lld", T2), u, IDS(c3, c2b), false);
	expect_ids(at_get("/v1/customers?email=in%%40created.test&created[lt]=%lld", T3), u, IDS(c2b, c1), false);
	expect_ids(at_get("/v1/customers?email=in%%40created.test&created=%lld", T1), u, IDS(c1), false);
	expect_ids(at_get("/v1/customers?email=out%%40created.test&created[gt]=%lld", T2), u, NONE, false);
	at_step("customers: pages within a range");
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lte]=%lld&limit=2", T1, T3), u, IDS(c3, c2b), true);
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lte]=%lld&limit=2&starting_after=%s", T1, T3, c2b),
	           u, IDS(c2, c1), false);
	expect_ids(at_get("/v1/customers?created[gte]=%lld&created[lte]=%lld&limit=2&ending_before=%s", T1, T3, c1), u,
	           IDS(c2b, c2), true);

	u = "/v1/subscriptions";
	at_step("subscriptions");
	expect_ids(at_get("/v1/subscriptions?created=%lld", T2), u, IDS(s2), false);
	expect_ids(at_get("/v1/subscriptions?created[lte]=%lld", T2), u, IDS(s2, s1), false);
	expect_ids(at_get("/v1/subscriptions?created[lt]=%lld", T2), u, IDS(s1), false);
	expect_ids(at_get("/v1/subscriptions?created[gt]=%lld&created[lte]=%lld", T1, T3), u, IDS(s3, s2), false);
	expect_ids(at_get("/v1/subscriptions?created[gte]=%lld&created[lt]=%lld", T1, T3), u, IDS(s2, s1), false);
	expect_ids(at_get("/v1/subscriptions?created[gt]=%lld&created[lt]=%lld", T1, T2), u, NONE, false);
	at_step("subscriptions: with customer, price and status");
	expect_ids(at_get("/v1/subscriptions?customer=%s&created=%lld", c3, T3), u, IDS(s3), false);
	expect_ids(at_get("/v1/subscriptions?customer=%s&created[lt]=%lld", c3, T3), u, NONE, false);
	expect_ids(at_get("/v1/subscriptions?price=%s&created[lte]=%lld", price, T2), u, IDS(s2, s1), false);
	expect_ids(at_get("/v1/subscriptions?status=draft&created[gte]=%lld&created[lte]=%lld", T2, T3), u, IDS(s3, s2),
	           false);
	expect_ids(at_get("/v1/subscriptions?status=active&created[lte]=%lld", T3), u, NONE, false);
}

/* Sleeps past the current second, so what comes next is created later than
 * anything made before. */
static void next_second(void)
{
	usleep(1100 * 1000);
}

static void products_prices_events_on_real_time(void **state)
{
	(void)state;
	at_step("product A and its price; a second later product B and its price");
	next_second();
	const char *pa = make("/v1/products", "name=A");
	const char *xa = make("/v1/prices", at_fmt("product=%s&unit_amount=100&currency=usd", pa));
	next_second();
	const char *pb = make("/v1/products", "name=B&active=false");
	const char *xb = make("/v1/prices", at_fmt("product=%s&unit_amount=200&currency=eur", pb));
	long long ta = created_of("/v1/products", pa), tb = created_of("/v1/products", pb);
	long long ua = created_of("/v1/prices", xa), ub = created_of("/v1/prices", xb);
	if (!(ta < tb && ua < ub && ta <= ua && ua < tb && tb <= ub))
		AT_FAIL(NULL, "unexpected created times %lld %lld %lld %lld", ta, ua, tb, ub);

	const char *u = "/v1/products";
	at_step("products");
	expect_ids(at_get("/v1/products?created[gte]=%lld", ta), u, IDS(pb, pa), false);
	expect_ids(at_get("/v1/products?created=%lld", ta), u, IDS(pa), false);
	expect_ids(at_get("/v1/products?created[gt]=%lld", ta), u, IDS(pb), false);
	expect_ids(at_get("/v1/products?created[gte]=%lld&created[lt]=%lld", ta, tb), u, IDS(pa), false);
	expect_ids(at_get("/v1/products?created[gt]=%lld&created[lte]=%lld", ta - 1, tb), u, IDS(pb, pa), false);
	expect_ids(at_get("/v1/products?created[gte]=%lld&created[lt]=%lld", ta, ta), u, NONE, false);
	expect_ids(at_get("/v1/products?created[gte]=%lld&limit=1", ta), u, IDS(pb), true);
	at_step("products: with active");
	expect_ids(at_get("/v1/products?active=true&created[gte]=%lld", ta), u, IDS(pa), false);
	expect_ids(at_get("/v1/products?active=false&created[gte]=%lld", ta), u, IDS(pb), false);
	expect_ids(at_get("/v1/products?active=false&created[lt]=%lld", tb), u, NONE, false);
	/* everything the first test made is older than ta */
	struct at_resp *r = at_get("/v1/products?created[lt]=%lld&limit=100", ta);
	AT_STATUS(r, 200);
	if (json_array_size(at_json_path(r->json, "data")) == 0)
		AT_FAIL(r, "created[lt] finds none of the older products");

	u = "/v1/prices";
	at_step("prices");
	expect_ids(at_get("/v1/prices?created[gte]=%lld", ua), u, IDS(xb, xa), false);
	expect_ids(at_get("/v1/prices?created=%lld", ub), u, IDS(xb), false);
	expect_ids(at_get("/v1/prices?created[gt]=%lld", ua), u, IDS(xb), false);
	expect_ids(at_get("/v1/prices?created[gte]=%lld&created[lte]=%lld", ua, ub - 1), u, IDS(xa), false);
	expect_ids(at_get("/v1/prices?created[gt]=%lld&created[lt]=%lld", ua, ub), u, NONE, false);
	at_step("prices: with product, currency, active");
	expect_ids(at_get("/v1/prices?product=%s&created[gte]=%lld", pa, ua), u, IDS(xa), false);
	expect_ids(at_get("/v1/prices?product=%s&created[gt]=%lld", pa, ua), u, NONE, false);
	expect_ids(at_get("/v1/prices?currency=eur&created[gte]=%lld", ua), u, IDS(xb), false);
	expect_ids(at_get("/v1/prices?active=true&created[lte]=%lld&created[gte]=%lld", ub, ua), u, IDS(xb, xa), false);

	u = "/v1/events";
	at_step("events: with type");
	r = at_get("/v1/events?type=product.created&created[gte]=%lld", ta);
	AT_LIST(r, u, 2, false);
	AT_STR(r, "data[0].data.object.id", pb);
	AT_STR(r, "data[1].data.object.id", pa);
	r = at_get("/v1/events?type=product.created&created=%lld", ta);
	AT_LIST(r, u, 1, false);
	AT_STR(r, "data[0].data.object.id", pa);
	r = at_get("/v1/events?type=price.created&created[gt]=%lld&created[lte]=%lld", ua, ub);
	AT_LIST(r, u, 1, false);
	AT_STR(r, "data[0].data.object.id", xb);
	AT_LIST(at_get("/v1/events?type=product.created&created[gt]=%lld", ub), u, 0, false);

	at_step("events: any type");
	r = at_get("/v1/events?created[gte]=%lld&created[lt]=%lld&limit=100", ta, tb);
	AT_LIST(r, u, 2, false);
	AT_STR(r, "data[0].type", "price.created");
	AT_STR(r, "data[0].data.object.id", xa);
	AT_STR(r, "data[1].type", "product.created");
	AT_STR(r, "data[1].data.object.id", pa);
	r = at_get("/v1/events?created[gte]=%lld&limit=100", tb);
	AT_LIST(r, u, 2, false);
	AT_STR(r, "data[0].data.object.id", xb);
	AT_STR(r, "data[1].data.object.id", pb);
	r = at_get("/v1/events?created[lt]=%lld&limit=100", ta);
	AT_STATUS(r, 200);
	json_t *data = at_json_path(r->json, "data");
	if (json_array_size(data) == 0)
		AT_FAIL(r, "created[lt] finds none of the older events");
	for (size_t i = 0; i < json_array_size(data); i++)
		if (json_integer_value(json_object_get(json_array_get(data, i), "created")) >= ta)
			AT_FAIL(r, "event %zu is not older than %lld", i, ta);
	AT_LIST(at_get("/v1/events?created[gt]=%lld&created[lt]=%lld", tb, tb), u, 0, false);
}

static void bad_values_on_every_list(void **state)
{
	(void)state;
	static const char *const lists[] = {"/v1/customers",     "/v1/products", "/v1/prices",
	                                    "/v1/subscriptions", "/v1/events",   "/v1/invoices"};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		const char *l = lists[i];
		at_step("%s: bad values", l);
		AT_ERROR(at_get("%s?created[gte]=abc", l), 400, "invalid_request_error", "parameter_invalid_integer",
		         "created[gte]");
		AT_ERROR(at_get("%s?created[gt]=1.5", l), 400, "invalid_request_error", NULL, "created[gt]");
		AT_ERROR(at_get("%s?created[lt]=-1", l), 400, "invalid_request_error", "parameter_invalid",
		         "created[lt]");
		AT_ERROR(at_get("%s?created[lte]=", l), 400, "invalid_request_error", NULL, "created[lte]");
		AT_ERROR(at_get("%s?created=yesterday", l), 400, "invalid_request_error", "parameter_invalid_integer",
		         "created");
		AT_ERROR(at_get("%s?created=99999999999999999999", l), 400, "invalid_request_error", NULL, "created");
		AT_ERROR(at_get("%s?created%%5Bgte%%5D=x", l), 400, "invalid_request_error", NULL, "created[gte]");
		at_step("%s: unknown keys", l);
		AT_ERROR(at_get("%s?created[foo]=1", l), 400, "invalid_request_error", "parameter_unknown",
		         "created[foo]");
		AT_ERROR(at_get("%s?created[gte]=1&created[after]=2", l), 400, "invalid_request_error",
		         "parameter_unknown", "created[after]");
		AT_ERROR(at_get("%s?created[gte]=1&foo=1", l), 400, "invalid_request_error", "parameter_unknown",
		         "foo");
		at_step("%s: good values pass", l);
		AT_STATUS(at_get("%s?created=0", l), 200);
		AT_STATUS(at_get("%s?created[gte]=0&created[lte]=253402300799&limit=1", l), 200);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(customers_and_subscriptions_on_clocks),
	    cmocka_unit_test(products_prices_events_on_real_time),
	    cmocka_unit_test(bad_values_on_every_list),
	};
	static const char *const enable[] = {"--enable-test-clocks", NULL};
	at_serve_args(enable);
	return at_run("test_created_filter", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
