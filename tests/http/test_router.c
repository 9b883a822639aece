/* Tests for src/http/router.c against a route table of its own (the real
 * routes.c links every API handler, which parser tests do not link: this
 * file includes router.c and defines `routes`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/router.c"

#include <stdlib.h>

static enum og_ec handler(struct og_req *rq)
{
	(void)rq;
	return OG_EC_NONE;
}

const struct route routes[] = {
    {"GET", "/healthz", handler, "", AC_ANON, ROUTE_RAW, 0},
    {"POST", "/v1/customers", handler, "private", AC_SK, ROUTE_WRITE, 0},
    {"GET", "/v1/customers", handler, "private", AC_SK, ROUTE_READ, 0},
    {"GET", "/v1/customers/search", handler, "private", AC_SK, ROUTE_READ, 0},
    {"GET", "/v1/customers/{id}", handler, "private", AC_SK, ROUTE_READ, 0},
    {"POST", "/v1/customers/{id}", handler, "private", AC_SK, ROUTE_WRITE, 0},
    {"DELETE", "/v1/customers/{id}", handler, "private", AC_SK, ROUTE_WRITE, 0},
    {"POST", "/v1/subscriptions/{id}/items/{item}", handler, "private", AC_SK, ROUTE_WRITE, 0},
    {"GET", "/v1/a/{p1}/{p2}/{p3}/{p4}", handler, "private", AC_SK, ROUTE_READ, 0},
    {"GET", "/v1/b/{p1}/{p2}/{p3}/{p4}/{p5}", handler, "private", AC_SK, ROUTE_READ, 0},
    {NULL, NULL, NULL, "", AC_ANON, ROUTE_RAW, 0},
};

struct fx {
	struct og_req rq;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->rq.arena = arena_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	arena_free(f->rq.arena);
	free(f);
	return 0;
}

static const struct route *match(struct og_req *rq, const char *method, const char *path, bool *path_matched)
{
	memset(rq->path_params, 0x55, sizeof rq->path_params); /* stale values must not survive */
	rq->n_path_params = 99;
	return router_match(rq, method, path, path_matched);
}

static void test_literal(void **state)
{
	struct og_req *rq = &((struct fx *)*state)->rq;
	bool pm;
	const struct route *r = match(rq, "GET", "/healthz", &pm);
	assert_ptr_equal(r, &routes[0]);
	assert_true(pm);
	assert_string_equal(rq->route, "/healthz");
	assert_int_equal(rq->n_path_params, 0);
	assert_string_equal(req_path_param(rq, 0), "");

	assert_ptr_equal(match(rq, "POST", "/v1/customers", &pm), &routes[1]);
	assert_ptr_equal(match(rq, "GET", "/v1/customers", &pm), &routes[2]);
	/* a literal listed before a capture wins */
	assert_ptr_equal(match(rq, "GET", "/v1/customers/search", &pm), &routes[3]);
	assert_int_equal(rq->n_path_params, 0);
}

static void test_captures(void **state)
{
	struct og_req *rq = &((struct fx *)*state)->rq;
	bool pm;
	const struct route *r = match(rq, "GET", "/v1/customers/cus_123", &pm);
	assert_ptr_equal(r, &routes[4]);
	assert_int_equal(rq->n_path_params, 1);
	assert_string_equal(req_path_param(rq, 0), "cus_123");
	assert_string_equal(req_path_param(rq, 1), "");
	assert_string_equal(req_path_param(rq, -1), "");
	assert_string_equal(rq->route, "/v1/customers/{id}");

	/* the capture is a copy in the arena, not a pointer into the path */
	char path[] = "/v1/customers/cus_abc";
	match(rq, "DELETE", path, &pm);
	path[14] = 'X';
	assert_string_equal(req_path_param(rq, 0), "cus_abc");

	r = match(rq, "POST", "/v1/subscriptions/sub_1/items/si_2", &pm);
	assert_ptr_equal(r, &routes[7]);
	assert_int_equal(rq->n_path_params, 2);
	assert_string_equal(req_path_param(rq, 0), "sub_1");
	assert_string_equal(req_path_param(rq, 1), "si_2");

	r = match(rq, "GET", "/v1/a/1/2/3/4", &pm);
	assert_ptr_equal(r, &routes[8]);
	assert_int_equal(rq->n_path_params, 4);
	assert_string_equal(req_path_param(rq, 3), "4");
	/* more captures than the request can hold never match */
	assert_null(match(rq, "GET", "/v1/b/1/2/3/4/5", &pm));
	assert_false(pm);

	/* captures take anything but '/', spaces and percent signs included (the path is decoded) */
	r = match(rq, "GET", "/v1/customers/a b%", &pm);
	assert_ptr_equal(r, &routes[4]);
	assert_string_equal(req_path_param(rq, 0), "a b%");
	assert_string_equal(req_path_param(NULL, 0), "");
}

static void test_404_405(void **state)
{
	struct og_req *rq = &((struct fx *)*state)->rq;
	bool pm = true;
	static const char *const missing[] = {
	    "/",
	    "",
	    "healthz",
	    "/healthz/",
	    "/healthz/x",
	    "/HEALTHZ",
	    "/v1/customers/",
	    "/v1//customers",
	    "/v1/customers//",
	    "/v1/customers/x/",
	    "/v1/customers/x/y",
	    "/v1",
	    "/v1/subscriptions/s/items",
	    "/v1/subscriptions//items/i",
	    "/v1/subscriptions/s/items/",
	    "//healthz",
	    "/healthzz",
	    "/health",
	};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		pm = true;
		if (match(rq, "GET", missing[i], &pm) || pm)
			fail_msg("'%s' matched", missing[i]);
		assert_null(rq->route);
	}
	assert_null(match(rq, "GET", NULL, &pm));
	assert_null(match(rq, NULL, "/healthz", &pm));

	/* 405: the path exists under other methods */
	assert_null(match(rq, "POST", "/healthz", &pm));
	assert_true(pm);
	assert_string_equal(rq->route, "/healthz");
	assert_null(match(rq, "PUT", "/v1/customers/cus_1", &pm));
	assert_true(pm);
	assert_string_equal(rq->route, "/v1/customers/{id}");
	assert_null(match(rq, "DELETE", "/v1/customers", &pm));
	assert_true(pm);
	assert_null(match(rq, "get", "/healthz", &pm)); /* methods are case-sensitive */
	assert_true(pm);
}

static void test_head(void **state)
{
	struct og_req *rq = &((struct fx *)*state)->rq;
	bool pm;
	assert_ptr_equal(match(rq, "HEAD", "/healthz", &pm), &routes[0]);
	assert_ptr_equal(match(rq, "HEAD", "/v1/customers/cus_1", &pm), &routes[4]);
	assert_string_equal(req_path_param(rq, 0), "cus_1");
	assert_null(match(rq, "HEAD", "/v1/subscriptions/s/items/i", &pm));
	assert_true(pm);
}

static void test_allow(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(router_allow("/v1/customers/cus_1", buf, sizeof buf), strlen("GET, POST, DELETE"));
	assert_string_equal(buf, "GET, POST, DELETE");
	router_allow("/v1/customers", buf, sizeof buf);
	assert_string_equal(buf, "POST, GET");
	/* "search" matches the literal and the capture route: GET listed once */
	router_allow("/v1/customers/search", buf, sizeof buf);
	assert_string_equal(buf, "GET, POST, DELETE");
	assert_int_equal(router_allow("/nope", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	/* a small buffer gets whole methods only */
	assert_int_equal(router_allow("/v1/customers/cus_1", buf, 10), strlen("GET, POST"));
	assert_string_equal(buf, "GET, POST");
	assert_int_equal(router_allow("/v1/customers/cus_1", buf, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_literal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_captures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_404_405, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head, setup, teardown),
	    cmocka_unit_test(test_allow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
