/* Unit tests for core/proration: every case of tests/vectors/proration.json
 * (read at run time: $OG_VECTORS_DIR or tests/vectors, from the repo root),
 * then the edges: change at the start or end, ties, each refused input, and
 * amounts near INT64_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/calendar.h"
#include "core/proration.h"

static int64_t T(const char *iso)
{
	int64_t t = 0;
	if (!cal_parse_iso8601(iso, &t))
		fail_msg("not a timestamp: %s", iso);
	return t;
}

static json_t *load_vectors(const char *name)
{
	const char *dir = getenv("OG_VECTORS_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "tests/vectors", name);
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	if (!root)
		fail_msg("cannot read %s: %s (line %d)", path, err.text, err.line);
	return root;
}

static int64_t time_member(const json_t *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c, key));
	if (!s)
		fail_msg("vector member \"%s\" missing or not a string", key);
	return T(s);
}

static int64_t int_member(const json_t *c, const char *key)
{
	const json_t *v = json_object_get(c, key);
	if (!json_is_integer(v))
		fail_msg("vector member \"%s\" missing or not an integer", key);
	return (int64_t)json_integer_value(v);
}

static void test_vectors_proration(void **state)
{
	(void)state;
	json_t *root = load_vectors("proration.json");
	const json_t *cases = json_object_get(root, "cases");
	assert_true(json_is_array(cases));
	assert_true(json_array_size(cases) > 0);
	for (size_t i = 0; i < json_array_size(cases); i++) {
		const json_t *c = json_array_get(cases, i);
		struct proration p;
		assert_true(proration_compute(time_member(c, "period_start"), time_member(c, "period_end"),
		                              time_member(c, "change_at"), int_member(c, "old_unit_amount"),
		                              int_member(c, "old_quantity"), int_member(c, "new_unit_amount"),
		                              int_member(c, "new_quantity"), &p));
		assert_int_equal(p.credit, int_member(c, "credit_line"));
		assert_int_equal(p.charge, int_member(c, "charge_line"));
		assert_int_equal(p.net, int_member(c, "net"));
	}
	print_message("proration.json: %zu cases\n", json_array_size(cases));
	json_decref(root);
}

static struct proration compute_ok(int64_t start, int64_t end, int64_t at, int64_t old_unit, int64_t old_qty,
                                   int64_t new_unit, int64_t new_qty)
{
	struct proration p = {1, 2, 3};
	assert_true(proration_compute(start, end, at, old_unit, old_qty, new_unit, new_qty, &p));
	return p;
}

static void test_change_at_period_edges(void **state)
{
	(void)state;
	int64_t start = T("2027-03-01T00:00:00Z"), end = T("2027-04-01T00:00:00Z");
	struct proration p = compute_ok(start, end, start, 3000, 2, 4500, 3);
	assert_int_equal(p.credit, -6000);
	assert_int_equal(p.charge, 13500);
	assert_int_equal(p.net, 7500);
	p = compute_ok(start, end, end, 3000, 2, 4500, 3);
	assert_int_equal(p.credit, 0);
	assert_int_equal(p.charge, 0);
	assert_int_equal(p.net, 0);
	/* one second left of a 31-day month */
	p = compute_ok(start, end, end - 1, 2678400, 1, 2678400 * 3, 1);
	assert_int_equal(p.credit, -1);
	assert_int_equal(p.charge, 3);
	assert_int_equal(p.net, 2);
}

static void test_rounding_ties(void **state)
{
	(void)state;
	/* half of 1, half of 3: each line rounds its own half away from zero */
	struct proration p = compute_ok(0, 2, 1, 1, 1, 3, 1);
	assert_int_equal(p.credit, -1);
	assert_int_equal(p.charge, 2);
	assert_int_equal(p.net, 1);
	/* net is the sum of the rounded lines (-1 + 1), never the rounded exact
	 * net (round(-0.5 + 1.0) = 1) */
	p = compute_ok(0, 4, 2, 1, 1, 2, 1);
	assert_int_equal(p.credit, -1);
	assert_int_equal(p.charge, 1);
	assert_int_equal(p.net, 0);
	/* just under and over a half */
	p = compute_ok(0, 1000, 501, 1, 1, 1, 1); /* 0.499 */
	assert_int_equal(p.credit, 0);
	assert_int_equal(p.charge, 0);
	p = compute_ok(0, 1000, 499, 1, 1, 1, 1); /* 0.501 */
	assert_int_equal(p.credit, -1);
	assert_int_equal(p.charge, 1);
	/* swapping old and new mirrors the lines exactly */
	struct proration up = compute_ok(0, 2678400, 1000003, 1999, 7, 4999, 3);
	struct proration down = compute_ok(0, 2678400, 1000003, 4999, 3, 1999, 7);
	assert_int_equal(up.credit, -down.charge);
	assert_int_equal(up.charge, -down.credit);
	assert_int_equal(up.net, -down.net);
}

static void test_refused_inputs(void **state)
{
	(void)state;
	int64_t start = T("2027-03-01T00:00:00Z"), end = T("2027-04-01T00:00:00Z");
	struct proration p = {11, 22, 33};
	assert_false(proration_compute(start, start, start, 100, 1, 200, 1, &p));
	assert_false(proration_compute(end, start, start, 100, 1, 200, 1, &p));
	assert_false(proration_compute(start, end, start - 1, 100, 1, 200, 1, &p));
	assert_false(proration_compute(start, end, end + 1, 100, 1, 200, 1, &p));
	assert_false(proration_compute(start, end, INT64_MIN, 100, 1, 200, 1, &p));
	assert_false(proration_compute(INT64_MIN, INT64_MAX, 0, 100, 1, 200, 1, &p));
	assert_false(proration_compute(start, end, start, -1, 1, 200, 1, &p));
	assert_false(proration_compute(start, end, start, 100, -1, 200, 1, &p));
	assert_false(proration_compute(start, end, start, 100, 1, -1, 1, &p));
	assert_false(proration_compute(start, end, start, 100, 1, 200, -1, &p));
	assert_false(proration_compute(start, end, start, INT64_MAX, 2, 200, 1, &p));
	assert_false(proration_compute(start, end, start, 100, 1, INT64_C(1) << 32, INT64_C(1) << 31, &p));
	assert_int_equal(p.credit, 11);
	assert_int_equal(p.charge, 22);
	assert_int_equal(p.net, 33);
}

static void test_large_amounts(void **state)
{
	(void)state;
	/* the full-period amount may be INT64_MAX: the 128-bit product keeps it exact */
	struct proration p = compute_ok(0, 3, 1, INT64_MAX, 1, INT64_MAX, 1);
	assert_int_equal(p.credit, -(INT64_MAX / 3 * 2 + 1)); /* (2^63-1)*2/3 = ...4.666 -> ...5 */
	assert_int_equal(p.charge, INT64_MAX / 3 * 2 + 1);
	assert_int_equal(p.net, 0);
	p = compute_ok(0, 3, 0, INT64_MAX, 1, 0, 1);
	assert_int_equal(p.credit, -INT64_MAX);
	assert_int_equal(p.charge, 0);
	assert_int_equal(p.net, -INT64_MAX);
	p = compute_ok(0, INT64_MAX, 1, INT64_MAX, 1, 1, 1);
	assert_int_equal(p.credit, -(INT64_MAX - 1));
	assert_int_equal(p.charge, 1);
	/* a whole-domain period, to the second */
	p = compute_ok(CAL_TIME_MIN, CAL_TIME_MAX, CAL_TIME_MAX - 1, CAL_TIME_MAX - CAL_TIME_MIN, 1, 0, 0);
	assert_int_equal(p.credit, -1);
}

static void test_amount(void **state)
{
	(void)state;
	int64_t out = 4242;
	int64_t start = T("2027-02-01T00:00:00Z"), end = T("2027-03-01T00:00:00Z");
	assert_true(proration_amount(2800, start, end, T("2027-02-15T00:00:00Z"), &out));
	assert_int_equal(out, 1400);
	assert_true(proration_amount(1000, start, end, T("2027-02-08T12:00:00Z"), &out));
	assert_int_equal(out, 732); /* 1000 * 20.5 / 28 = 732.14 */
	assert_true(proration_amount(1000, start, end, start, &out));
	assert_int_equal(out, 1000);
	assert_true(proration_amount(1000, start, end, end, &out));
	assert_int_equal(out, 0);
	/* any sign; ties away from zero both ways */
	assert_true(proration_amount(3, 0, 4, 2, &out));
	assert_int_equal(out, 2);
	assert_true(proration_amount(-3, 0, 4, 2, &out));
	assert_int_equal(out, -2);
	assert_true(proration_amount(-5, 0, 10, 9, &out));
	assert_int_equal(out, -1);
	assert_true(proration_amount(INT64_MIN, 0, 10, 0, &out));
	assert_int_equal(out, INT64_MIN);
	assert_true(proration_amount(INT64_MAX, -1, INT64_MAX - 1, -1, &out));
	assert_int_equal(out, INT64_MAX);

	out = 4242;
	assert_false(proration_amount(1000, start, start, start, &out));
	assert_false(proration_amount(1000, end, start, end, &out));
	assert_false(proration_amount(1000, start, end, start - 1, &out));
	assert_false(proration_amount(1000, start, end, end + 1, &out));
	assert_false(proration_amount(1000, INT64_MIN, INT64_MAX, 0, &out));
	assert_false(proration_amount(1000, -1, INT64_MAX, 0, &out));
	assert_int_equal(out, 4242);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_proration), cmocka_unit_test(test_change_at_period_edges),
	    cmocka_unit_test(test_rounding_ties),     cmocka_unit_test(test_refused_inputs),
	    cmocka_unit_test(test_large_amounts),     cmocka_unit_test(test_amount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
