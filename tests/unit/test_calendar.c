/* Unit tests for core/calendar: every case of tests/vectors/billing_periods.json
 * (read at run time: $OG_VECTORS_DIR or tests/vectors, from the repo root),
 * then civil conversions against known dates, leap years, the ISO 8601 form,
 * interval names and limits, boundaries at the edges of the domain, and
 * cal_period_at against cal_boundary over many anchors and intervals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

/* ---- helpers ---- */

static int64_t T(const char *iso)
{
	int64_t t = 0;
	if (!cal_parse_iso8601(iso, &t))
		fail_msg("not a timestamp: %s", iso);
	return t;
}

/* The helpers below report the caller's line on failure. */
#define assert_time_equal(got, want_iso) time_equal((got), (want_iso), __FILE__, __LINE__)
#define assert_period(anchor, iv, count, t, want_start, want_end, want_index)                                          \
	period_equal((anchor), (iv), (count), (t), (want_start), (want_end), (want_index), __FILE__, __LINE__)

static void time_equal(int64_t got, const char *want_iso, const char *file, int line)
{
	char buf[32];
	if (cal_format_iso8601(got, buf, sizeof buf) < 0)
		snprintf(buf, sizeof buf, "<%lld>", (long long)got);
	_assert_string_equal(buf, want_iso, file, line);
	_assert_int_equal((LargestIntegralType)got, (LargestIntegralType)T(want_iso), file, line);
}

static void period_equal(int64_t anchor, enum cal_interval iv, int count, int64_t t, int64_t want_start,
                         int64_t want_end, int64_t want_index, const char *file, int line)
{
	int64_t start = 1, end = 2, index = 3;
	cal_period_at(anchor, iv, count, t, &start, &end, &index);
	_assert_int_equal((LargestIntegralType)start, (LargestIntegralType)want_start, file, line);
	_assert_int_equal((LargestIntegralType)end, (LargestIntegralType)want_end, file, line);
	_assert_int_equal((LargestIntegralType)index, (LargestIntegralType)want_index, file, line);
}

#define assert_period_invalid(anchor, iv, count, t)                                                                    \
	assert_period((anchor), (iv), (count), (t), CAL_TIME_INVALID, CAL_TIME_INVALID, -1)

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

static const char *string_member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("vector member \"%s\" missing or not a string", key);
	return s;
}

/* ---- vectors ---- */

static void check_vector_case(const json_t *c)
{
	int64_t anchor = T(string_member(c, "anchor"));
	int iv = cal_interval_parse(string_member(c, "interval"));
	assert_true(iv >= 0);
	json_t *count_json = json_object_get(c, "interval_count");
	assert_true(json_is_integer(count_json));
	int count = (int)json_integer_value(count_json);
	assert_true(cal_interval_count_valid(iv, count));

	const json_t *periods = json_object_get(c, "periods");
	assert_true(json_is_array(periods) && json_array_size(periods) > 0);
	for (size_t i = 0; i < json_array_size(periods); i++) {
		const json_t *p = json_array_get(periods, i);
		const char *start_iso = json_string_value(json_array_get(p, 0));
		const char *end_iso = json_string_value(json_array_get(p, 1));
		assert_non_null(start_iso);
		assert_non_null(end_iso);
		int64_t n = (int64_t)i, start = T(start_iso), end = T(end_iso);
		assert_time_equal(cal_boundary(anchor, iv, count, n), start_iso);
		assert_time_equal(cal_boundary(anchor, iv, count, n + 1), end_iso);
		assert_period(anchor, iv, count, start, start, end, n);
		assert_period(anchor, iv, count, start + (end - start) / 2, start, end, n);
		assert_period(anchor, iv, count, end - 1, start, end, n);
	}
}

static void test_vectors_billing_periods(void **state)
{
	(void)state;
	json_t *root = load_vectors("billing_periods.json");
	const json_t *cases = json_object_get(root, "cases");
	assert_true(json_is_array(cases));
	assert_true(json_array_size(cases) > 0);
	for (size_t i = 0; i < json_array_size(cases); i++)
		check_vector_case(json_array_get(cases, i));
	print_message("billing_periods.json: %zu cases\n", json_array_size(cases));
	json_decref(root);
}

/* ---- civil time ---- */

static void test_leap_years(void **state)
{
	(void)state;
	assert_true(cal_is_leap(2000));
	assert_false(cal_is_leap(1900));
	assert_false(cal_is_leap(2100));
	assert_true(cal_is_leap(2400));
	assert_true(cal_is_leap(2028));
	assert_false(cal_is_leap(2027));
	assert_true(cal_is_leap(0));
	assert_true(cal_is_leap(-4));
	assert_false(cal_is_leap(-100));
	assert_true(cal_is_leap(-400));
	assert_false(cal_is_leap(-1));
}

static void test_days_in_month(void **state)
{
	(void)state;
	static const int common[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int m = 1; m <= 12; m++) {
		assert_int_equal(cal_days_in_month(2027, m), common[m - 1]);
		assert_int_equal(cal_days_in_month(2028, m), m == 2 ? 29 : common[m - 1]);
	}
	assert_int_equal(cal_days_in_month(2000, 2), 29);
	assert_int_equal(cal_days_in_month(1900, 2), 28);
	assert_int_equal(cal_days_in_month(2100, 2), 28);
	assert_int_equal(cal_days_in_month(2027, 0), 0);
	assert_int_equal(cal_days_in_month(2027, 13), 0);
	assert_int_equal(cal_days_in_month(2027, -1), 0);
}

static void test_from_civil_known_values(void **state)
{
	(void)state;
	assert_int_equal(cal_from_civil(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(cal_from_civil(1969, 12, 31, 23, 59, 59), -1);
	assert_int_equal(cal_from_civil(2000, 3, 1, 0, 0, 0), 951868800);
	assert_int_equal(cal_from_civil(2038, 1, 19, 3, 14, 7), INT32_MAX);
	assert_int_equal(cal_from_civil(1901, 12, 13, 20, 45, 52), INT32_MIN);
	assert_int_equal(cal_from_civil(1900, 3, 1, 0, 0, 0), INT64_C(-2203891200));
	assert_int_equal(cal_from_civil(2100, 3, 1, 0, 0, 0), INT64_C(4107542400));
	assert_int_equal(cal_from_civil(2027, 1, 31, 0, 0, 0), INT64_C(1801353600));
	assert_int_equal(cal_from_civil(0, 1, 1, 0, 0, 0), CAL_TIME_MIN);
	assert_int_equal(cal_from_civil(9999, 12, 31, 23, 59, 59), CAL_TIME_MAX);
}

static void test_from_civil_normalizes(void **state)
{
	(void)state;
	assert_int_equal(cal_from_civil(2027, 13, 1, 0, 0, 0), cal_from_civil(2028, 1, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 25, 1, 0, 0, 0), cal_from_civil(2029, 1, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 0, 1, 0, 0, 0), cal_from_civil(2026, 12, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, -11, 1, 0, 0, 0), cal_from_civil(2026, 1, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, -12, 1, 0, 0, 0), cal_from_civil(2025, 12, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 3, 0, 0, 0, 0), cal_from_civil(2027, 2, 28, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 1, 32, 0, 0, 0), cal_from_civil(2027, 2, 1, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 1, 1, 24, 0, 0), cal_from_civil(2027, 1, 2, 0, 0, 0));
	assert_int_equal(cal_from_civil(2027, 1, 1, 0, 0, -1), cal_from_civil(2026, 12, 31, 23, 59, 59));
	assert_int_equal(cal_from_civil(2027, 1, 1, 0, 90, 0), cal_from_civil(2027, 1, 1, 1, 30, 0));
}

static void test_from_civil_extreme_arguments(void **state)
{
	(void)state;
	/* no overflow for any int (UBSan would stop the test); 400 years are 146097 days */
	const int64_t era = INT64_C(146097) * CAL_DAY_SECONDS;
	assert_int_equal(cal_from_civil(INT_MAX, 1, 1, 0, 0, 0) - cal_from_civil(INT_MAX - 400, 1, 1, 0, 0, 0), era);
	assert_int_equal(cal_from_civil(INT_MIN + 400, 1, 1, 0, 0, 0) - cal_from_civil(INT_MIN, 1, 1, 0, 0, 0), era);
	assert_int_equal(cal_from_civil(2000, INT_MAX, 1, 0, 0, 0) - cal_from_civil(2000, INT_MAX - 4800, 1, 0, 0, 0),
	                 era);
	assert_int_equal(cal_from_civil(1970, 1, 1, INT_MAX, INT_MAX, INT_MAX),
	                 (int64_t)INT_MAX * 3600 + (int64_t)INT_MAX * 60 + INT_MAX);
	assert_int_equal(cal_from_civil(1970, 1, 1, INT_MIN, INT_MIN, INT_MIN),
	                 (int64_t)INT_MIN * 3600 + (int64_t)INT_MIN * 60 + INT_MIN);
	assert_int_equal(cal_from_civil(1970, 1, INT_MIN, 0, 0, 0), ((int64_t)INT_MIN - 1) * CAL_DAY_SECONDS);
	assert_true(cal_from_civil(2000, INT_MIN, 1, 0, 0, 0) < 0);
}

/* wd < 0: do not check the weekday */
static void assert_civil(int64_t t, int y, int mo, int d, int h, int mi, int s, int wd)
{
	struct cal_civil c;
	memset(&c, 0x55, sizeof c);
	cal_to_civil(t, &c);
	assert_int_equal(c.year, y);
	assert_int_equal(c.month, mo);
	assert_int_equal(c.day, d);
	assert_int_equal(c.hour, h);
	assert_int_equal(c.minute, mi);
	assert_int_equal(c.second, s);
	if (wd >= 0)
		assert_int_equal(c.weekday, wd);
}

static void test_to_civil_known_values(void **state)
{
	(void)state;
	assert_civil(0, 1970, 1, 1, 0, 0, 0, 4); /* a Thursday */
	assert_civil(-1, 1969, 12, 31, 23, 59, 59, 3);
	assert_civil(951782400, 2000, 2, 29, 0, 0, 0, 2);           /* a Tuesday */
	assert_civil(946684800, 2000, 1, 1, 0, 0, 0, 6);            /* a Saturday */
	assert_civil(INT64_C(1801353600), 2027, 1, 31, 0, 0, 0, 0); /* a Sunday */
	assert_civil(INT32_MAX, 2038, 1, 19, 3, 14, 7, 2);
	assert_civil(CAL_TIME_MIN, 0, 1, 1, 0, 0, 0, 6);
	assert_civil(CAL_TIME_MAX, 9999, 12, 31, 23, 59, 59, 5);
}

static void test_to_civil_clamps(void **state)
{
	(void)state;
	assert_civil(INT64_MAX, 9999, 12, 31, 23, 59, 59, 5);
	assert_civil(CAL_TIME_MAX + 1, 9999, 12, 31, 23, 59, 59, 5);
	assert_civil(INT64_MIN, 0, 1, 1, 0, 0, 0, 6);
	assert_civil(CAL_TIME_MIN - 1, 0, 1, 1, 0, 0, 0, 6);
}

static void test_civil_round_trip_every_day(void **state)
{
	(void)state;
	/* 1899..2101 crosses 1900 (not leap), 2000 (leap), 2100 (not leap) and the epoch */
	int64_t expect_t = cal_from_civil(1899, 1, 1, 13, 5, 9);
	int weekday = -1;
	for (int y = 1899; y <= 2101; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= cal_days_in_month(y, m); d++) {
				int64_t t = cal_from_civil(y, m, d, 13, 5, 9);
				assert_int_equal(t, expect_t);
				struct cal_civil c;
				cal_to_civil(t, &c);
				assert_int_equal(c.year, y);
				assert_int_equal(c.month, m);
				assert_int_equal(c.day, d);
				assert_int_equal(c.hour * 3600 + c.minute * 60 + c.second, 13 * 3600 + 5 * 60 + 9);
				if (weekday >= 0)
					assert_int_equal(c.weekday, (weekday + 1) % 7);
				weekday = c.weekday;
				expect_t += CAL_DAY_SECONDS;
			}
		}
	}
	assert_int_equal(expect_t, cal_from_civil(2102, 1, 1, 13, 5, 9));
}

/* ---- ISO 8601 ---- */

static void test_parse_iso8601_valid(void **state)
{
	(void)state;
	int64_t t;
	assert_true(cal_parse_iso8601("2027-01-31T00:00:00Z", &t));
	assert_int_equal(t, INT64_C(1801353600));
	assert_true(cal_parse_iso8601("1970-01-01T00:00:00Z", &t));
	assert_int_equal(t, 0);
	assert_true(cal_parse_iso8601("1969-12-31T23:59:59Z", &t));
	assert_int_equal(t, -1);
	assert_true(cal_parse_iso8601("2000-02-29T12:34:56Z", &t));
	assert_int_equal(t, cal_from_civil(2000, 2, 29, 12, 34, 56));
	assert_true(cal_parse_iso8601("2028-02-29T00:00:00Z", &t));
	assert_true(cal_parse_iso8601("0000-01-01T00:00:00Z", &t));
	assert_int_equal(t, CAL_TIME_MIN);
	assert_true(cal_parse_iso8601("9999-12-31T23:59:59Z", &t));
	assert_int_equal(t, CAL_TIME_MAX);
}

static void test_parse_iso8601_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "2027-01-31",
	    "2027-01-31T00:00:00",
	    "2027-01-31T00:00:00z",
	    "2027-01-31t00:00:00Z",
	    "2027-01-31 00:00:00Z",
	    "2027-01-31T00:00:00+00:00",
	    "2027-01-31T00:00:00.000Z",
	    "2027-01-31T00:00:00Z ",
	    " 2027-01-31T00:00:00Z",
	    "2027-01-31T00:00:0Z",
	    "27-01-31T00:00:00Z",
	    "+2027-01-31T00:00:00Z",
	    "2027/01/31T00:00:00Z",
	    "2027-1-31T00:00:00Z",
	    "2027-0a-31T00:00:00Z",
	    "2027-00-10T00:00:00Z",
	    "2027-13-10T00:00:00Z",
	    "2027-01-00T00:00:00Z",
	    "2027-01-32T00:00:00Z",
	    "2027-04-31T00:00:00Z",
	    "2027-02-29T00:00:00Z",
	    "1900-02-29T00:00:00Z",
	    "2100-02-29T00:00:00Z",
	    "2027-01-31T24:00:00Z",
	    "2027-01-31T00:60:00Z",
	    "2027-01-31T00:00:60Z",
	    "2027-01-31T99:99:99Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 4242;
		if (cal_parse_iso8601(bad[i], &t))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 4242);
	}
	int64_t t = 4242;
	assert_false(cal_parse_iso8601(NULL, &t));
	assert_int_equal(t, 4242);
}

static void test_format_iso8601(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(cal_format_iso8601(INT64_C(1801353600), buf, sizeof buf), 20);
	assert_string_equal(buf, "2027-01-31T00:00:00Z");
	assert_int_equal(cal_format_iso8601(-1, buf, sizeof buf), 20);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	assert_int_equal(cal_format_iso8601(CAL_TIME_MIN, buf, sizeof buf), 20);
	assert_string_equal(buf, "0000-01-01T00:00:00Z");
	assert_int_equal(cal_format_iso8601(CAL_TIME_MAX, buf, sizeof buf), 20);
	assert_string_equal(buf, "9999-12-31T23:59:59Z");

	/* snprintf's contract when the buffer is short */
	assert_int_equal(cal_format_iso8601(0, buf, 11), 20);
	assert_string_equal(buf, "1970-01-01");
	assert_int_equal(cal_format_iso8601(0, NULL, 0), 20);

	/* outside the domain */
	snprintf(buf, sizeof buf, "junk");
	assert_int_equal(cal_format_iso8601(CAL_TIME_MAX + 1, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(cal_format_iso8601(CAL_TIME_MIN - 1, buf, sizeof buf), -1);
	assert_int_equal(cal_format_iso8601(INT64_MIN, NULL, 0), -1);
	assert_int_equal(cal_format_iso8601(0, NULL, 8), -1);
	snprintf(buf, sizeof buf, "keep");
	assert_int_equal(cal_format_iso8601(INT64_MAX, buf, 0), -1); /* n = 0: buf is not written */
	assert_string_equal(buf, "keep");

	/* parse(format(t)) == t across the domain */
	const int64_t stride = INT64_C(7919) * 86400 + 4321; /* about 21.7 years and odd seconds */
	for (int64_t t = CAL_TIME_MIN; t <= CAL_TIME_MAX - stride; t += stride) {
		int64_t back;
		assert_int_equal(cal_format_iso8601(t, buf, sizeof buf), 20);
		assert_true(cal_parse_iso8601(buf, &back));
		assert_int_equal(back, t);
	}
}

/* ---- intervals ---- */

static void test_interval_names(void **state)
{
	(void)state;
	static const char *const names[] = {"day", "week", "month", "year"};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cal_interval_parse(names[i]), i);
		assert_string_equal(cal_interval_name((enum cal_interval)i), names[i]);
	}
	assert_int_equal(cal_interval_parse("Day"), -1);
	assert_int_equal(cal_interval_parse("days"), -1);
	assert_int_equal(cal_interval_parse("month "), -1);
	assert_int_equal(cal_interval_parse(""), -1);
	assert_int_equal(cal_interval_parse(NULL), -1);
	assert_null(cal_interval_name((enum cal_interval)4));
	assert_null(cal_interval_name((enum cal_interval) - 1));
}

static void test_interval_count_valid(void **state)
{
	(void)state;
	static const struct {
		enum cal_interval iv;
		int64_t max;
	} limits[] = {{CAL_DAY, 365}, {CAL_WEEK, 52}, {CAL_MONTH, 12}, {CAL_YEAR, 1}};
	for (size_t i = 0; i < 4; i++) {
		assert_true(cal_interval_count_valid(limits[i].iv, 1));
		assert_true(cal_interval_count_valid(limits[i].iv, limits[i].max));
		assert_false(cal_interval_count_valid(limits[i].iv, limits[i].max + 1));
		assert_false(cal_interval_count_valid(limits[i].iv, 0));
		assert_false(cal_interval_count_valid(limits[i].iv, -1));
		assert_false(cal_interval_count_valid(limits[i].iv, INT64_MAX));
		assert_false(cal_interval_count_valid(limits[i].iv, INT64_MIN));
	}
	assert_true(cal_interval_count_valid(CAL_DAY, 180));
	assert_false(cal_interval_count_valid(CAL_YEAR, 2));
	assert_false(cal_interval_count_valid((enum cal_interval)4, 1));
	assert_false(cal_interval_count_valid((enum cal_interval) - 1, 1));
}

/* ---- boundaries ---- */

static void test_boundary_invalid_arguments(void **state)
{
	(void)state;
	int64_t a = T("2027-01-31T00:00:00Z");
	assert_int_equal(cal_boundary(a, (enum cal_interval)4, 1, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, (enum cal_interval) - 1, 1, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_MONTH, 0, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_MONTH, -1, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_MONTH, INT_MIN, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_MONTH, 1, -1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_DAY, 1, INT64_MIN), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN - 1, CAL_DAY, 1, 0), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MAX + 1, CAL_DAY, 1, 0), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(INT64_MAX, CAL_MONTH, 1, 0), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(INT64_MIN, CAL_YEAR, 1, 0), CAL_TIME_INVALID);
}

static void test_boundary_days_and_weeks(void **state)
{
	(void)state;
	int64_t a = T("2027-12-31T23:59:59Z");
	assert_int_equal(cal_boundary(a, CAL_DAY, 1, 0), a);
	assert_time_equal(cal_boundary(a, CAL_DAY, 1, 1), "2028-01-01T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_DAY, 1, 60), "2028-02-29T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_DAY, 30, 2), "2028-02-29T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_DAY, 365, 1), "2028-12-30T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_WEEK, 1, 1), "2028-01-07T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_WEEK, 2, 5), "2028-03-10T23:59:59Z");
	assert_time_equal(cal_boundary(a, CAL_WEEK, 52, 1), "2028-12-29T23:59:59Z");
	/* a week is exactly 7 days, whatever the calendar does */
	for (int64_t n = 0; n < 600; n++)
		assert_int_equal(cal_boundary(a, CAL_WEEK, 3, n), cal_boundary(a, CAL_DAY, 21, n));
	/* 12 months are a year, from any anchor */
	int64_t leap = T("2028-02-29T06:07:08Z");
	for (int64_t n = 0; n < 500; n++)
		assert_int_equal(cal_boundary(leap, CAL_MONTH, 12, n), cal_boundary(leap, CAL_YEAR, 1, n));
}

static void test_boundary_leap_centuries(void **state)
{
	(void)state;
	/* Feb 29 yearly: 2100 is not a leap year, 2400 is */
	int64_t a = T("2096-02-29T00:00:00Z");
	assert_time_equal(cal_boundary(a, CAL_YEAR, 1, 4), "2100-02-28T00:00:00Z");
	assert_time_equal(cal_boundary(a, CAL_YEAR, 1, 8), "2104-02-29T00:00:00Z");
	assert_time_equal(cal_boundary(a, CAL_YEAR, 1, 304), "2400-02-29T00:00:00Z");
	assert_time_equal(cal_boundary(T("1896-02-29T00:00:00Z"), CAL_YEAR, 1, 4), "1900-02-28T00:00:00Z");
	assert_time_equal(cal_boundary(T("1996-02-29T00:00:00Z"), CAL_YEAR, 1, 4), "2000-02-29T00:00:00Z");
	/* Jan 31 monthly into the February of those years */
	assert_time_equal(cal_boundary(T("1900-01-31T12:00:00Z"), CAL_MONTH, 1, 1), "1900-02-28T12:00:00Z");
	assert_time_equal(cal_boundary(T("2000-01-31T12:00:00Z"), CAL_MONTH, 1, 1), "2000-02-29T12:00:00Z");
	assert_time_equal(cal_boundary(T("2100-01-31T12:00:00Z"), CAL_MONTH, 1, 1), "2100-02-28T12:00:00Z");
	/* before the epoch */
	assert_time_equal(cal_boundary(T("1969-12-31T23:59:59Z"), CAL_MONTH, 2, 1), "1970-02-28T23:59:59Z");
	assert_time_equal(cal_boundary(T("1960-01-31T00:00:00Z"), CAL_MONTH, 1, 1), "1960-02-29T00:00:00Z");
}

static void test_boundary_end_of_domain(void **state)
{
	(void)state;
	int64_t a = T("9999-12-30T00:00:00Z");
	assert_time_equal(cal_boundary(a, CAL_DAY, 1, 1), "9999-12-31T00:00:00Z");
	assert_int_equal(cal_boundary(a, CAL_DAY, 1, 2), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MAX, CAL_DAY, 1, 0), CAL_TIME_MAX);
	assert_int_equal(cal_boundary(CAL_TIME_MAX, CAL_WEEK, 1, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MAX, CAL_MONTH, 1, 1), CAL_TIME_INVALID);
	assert_time_equal(cal_boundary(T("9999-11-30T23:59:59Z"), CAL_MONTH, 1, 1), "9999-12-30T23:59:59Z");
	assert_int_equal(cal_boundary(T("9999-11-30T23:59:59Z"), CAL_MONTH, 1, 2), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(T("9999-01-31T23:59:59Z"), CAL_MONTH, 1, 11), CAL_TIME_MAX);
	assert_int_equal(cal_boundary(T("9999-01-31T23:59:59Z"), CAL_MONTH, 11, 1), CAL_TIME_MAX);
	assert_time_equal(cal_boundary(T("9998-02-28T00:00:00Z"), CAL_YEAR, 1, 1), "9999-02-28T00:00:00Z");
	assert_int_equal(cal_boundary(T("9998-02-28T00:00:00Z"), CAL_YEAR, 1, 2), CAL_TIME_INVALID);
	assert_time_equal(cal_boundary(CAL_TIME_MIN, CAL_MONTH, 1, 1), "0000-02-01T00:00:00Z");
	assert_time_equal(cal_boundary(CAL_TIME_MIN, CAL_YEAR, 1, 9999), "9999-01-01T00:00:00Z");
	/* huge steps overflow int64 before they leave the domain: refused, not wrapped */
	assert_int_equal(cal_boundary(a, CAL_DAY, 365, INT64_MAX), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(a, CAL_WEEK, INT_MAX, INT64_MAX / 2), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_DAY, 1000000, 3), CAL_TIME_MIN + INT64_C(3000000) * 86400);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_DAY, 1000000, 4), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_DAY, INT_MAX, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_MONTH, 12, INT64_MAX), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_YEAR, INT_MAX, INT64_MAX), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_YEAR, INT_MAX, 1), CAL_TIME_INVALID);
	assert_int_equal(cal_boundary(CAL_TIME_MIN, CAL_WEEK, INT_MAX, 0), CAL_TIME_MIN);
}

/* ---- periods ---- */

/* Walks n = 0..n_periods and checks boundary n against the rule written out
 * independently, and cal_period_at at the first, middle and last second. */
static void walk_periods(int64_t anchor, enum cal_interval iv, int count, int64_t n_periods)
{
	struct cal_civil a;
	cal_to_civil(anchor, &a);
	for (int64_t n = 0; n <= n_periods; n++) {
		int64_t b = cal_boundary(anchor, iv, count, n);
		int64_t next = cal_boundary(anchor, iv, count, n + 1);
		assert_true(b != CAL_TIME_INVALID && next > b);
		if (iv == CAL_DAY || iv == CAL_WEEK) {
			assert_int_equal(b, anchor + n * count * (iv == CAL_DAY ? 86400 : 604800));
		} else {
			int64_t months = (int64_t)a.month - 1 + n * count * (iv == CAL_YEAR ? 12 : 1);
			int y = a.year + (int)(months / 12), m = (int)(months % 12) + 1;
			int d = a.day < cal_days_in_month(y, m) ? a.day : cal_days_in_month(y, m);
			assert_civil(b, y, m, d, a.hour, a.minute, a.second, -1);
		}
		assert_period(anchor, iv, count, b, b, next, n);
		assert_period(anchor, iv, count, b + (next - b) / 2, b, next, n);
		assert_period(anchor, iv, count, next - 1, b, next, n);
	}
}

static void test_period_at_walk(void **state)
{
	(void)state;
	static const char *const anchors[] = {
	    "2027-01-31T00:00:00Z", "2028-02-29T12:00:00Z", "2027-03-31T23:59:59Z",
	    "2027-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "1969-12-31T23:59:59Z",
	    "2027-08-30T08:30:00Z", "2027-05-29T00:00:01Z", "1899-12-31T00:00:00Z",
	};
	static const struct {
		enum cal_interval iv;
		int count;
	} intervals[] = {
	    {CAL_DAY, 1},   {CAL_DAY, 3},    {CAL_DAY, 365}, {CAL_WEEK, 1},  {CAL_WEEK, 2},
	    {CAL_WEEK, 52}, {CAL_MONTH, 1},  {CAL_MONTH, 2}, {CAL_MONTH, 3}, {CAL_MONTH, 5},
	    {CAL_MONTH, 6}, {CAL_MONTH, 12}, {CAL_YEAR, 1},
	};
	for (size_t i = 0; i < sizeof anchors / sizeof anchors[0]; i++)
		for (size_t k = 0; k < sizeof intervals / sizeof intervals[0]; k++)
			walk_periods(T(anchors[i]), intervals[k].iv, intervals[k].count, 130);
}

static void test_period_at_far_future(void **state)
{
	(void)state;
	/* (9000 - 2027) * 12 + 4 months after Jan 2027 is May 9000, whose boundary
	 * (the 31st) is after the 15th: the period is the one before */
	assert_period(T("2027-01-31T00:00:00Z"), CAL_MONTH, 1, T("9000-05-15T00:00:00Z"), T("9000-04-30T00:00:00Z"),
	              T("9000-05-31T00:00:00Z"), 83679);
	assert_period(T("2027-01-31T00:00:00Z"), CAL_MONTH, 1, T("9000-05-31T00:00:00Z"), T("9000-05-31T00:00:00Z"),
	              T("9000-06-30T00:00:00Z"), 83680);
	/* the time of day decides on the boundary's own day */
	assert_period(T("2027-01-15T12:00:00Z"), CAL_MONTH, 1, T("2527-01-15T11:59:59Z"), T("2526-12-15T12:00:00Z"),
	              T("2527-01-15T12:00:00Z"), 5999);
	assert_period(T("2028-02-29T00:00:00Z"), CAL_YEAR, 1, T("2400-03-01T00:00:00Z"), T("2400-02-29T00:00:00Z"),
	              T("2401-02-28T00:00:00Z"), 372);
	assert_period(T("2028-02-29T00:00:00Z"), CAL_YEAR, 1, T("2100-02-28T12:00:00Z"), T("2100-02-28T00:00:00Z"),
	              T("2101-02-28T00:00:00Z"), 72);
	assert_period(T("2028-02-29T00:00:00Z"), CAL_YEAR, 1, T("2100-02-27T23:59:59Z"), T("2099-02-28T00:00:00Z"),
	              T("2100-02-28T00:00:00Z"), 71);
	assert_period(T("2027-01-01T00:00:00Z"), CAL_DAY, 1, T("9999-12-30T12:00:00Z"), T("9999-12-30T00:00:00Z"),
	              T("9999-12-31T00:00:00Z"), 2912076);
	assert_period(T("2027-06-30T00:00:00Z"), CAL_WEEK, 2, T("2500-01-01T00:00:00Z"), T("2499-12-30T00:00:00Z"),
	              T("2500-01-13T00:00:00Z"), 12327);
	assert_period(CAL_TIME_MIN, CAL_MONTH, 1, T("9999-11-30T23:59:59Z"), T("9999-11-01T00:00:00Z"),
	              T("9999-12-01T00:00:00Z"), 9999 * 12 + 10);
}

static void test_period_at_before_anchor(void **state)
{
	(void)state;
	int64_t a = T("2027-03-31T23:59:59Z"), first_end = T("2027-04-30T23:59:59Z");
	assert_period(a, CAL_MONTH, 1, a - 1, a, first_end, 0);
	assert_period(a, CAL_MONTH, 1, 0, a, first_end, 0);
	assert_period(a, CAL_MONTH, 1, CAL_TIME_MIN, a, first_end, 0);
	assert_period(a, CAL_MONTH, 1, INT64_MIN, a, first_end, 0);
	assert_period(a, CAL_DAY, 7, INT64_MIN, a, a + 7 * 86400, 0);
}

static void test_period_at_invalid(void **state)
{
	(void)state;
	int64_t a = T("2027-01-31T00:00:00Z");
	assert_period_invalid(a, (enum cal_interval)4, 1, a);
	assert_period_invalid(a, CAL_MONTH, 0, a);
	assert_period_invalid(a, CAL_MONTH, -3, a);
	assert_period_invalid(CAL_TIME_MAX + 1, CAL_DAY, 1, CAL_TIME_MAX + 1);
	assert_period_invalid(CAL_TIME_MIN - 1, CAL_DAY, 1, 0);
	assert_period_invalid(a, CAL_DAY, 1, CAL_TIME_MAX + 1);
	assert_period_invalid(a, CAL_DAY, 1, INT64_MAX);
	assert_period_invalid(a, CAL_MONTH, 1, INT64_MAX);
	/* the period holding t would end in year 10000 */
	assert_period_invalid(T("9999-12-01T00:00:00Z"), CAL_MONTH, 1, T("9999-12-15T00:00:00Z"));
	assert_period_invalid(a, CAL_DAY, 1, CAL_TIME_MAX);
	assert_period_invalid(CAL_TIME_MAX, CAL_YEAR, 1, CAL_TIME_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_billing_periods),
	    cmocka_unit_test(test_leap_years),
	    cmocka_unit_test(test_days_in_month),
	    cmocka_unit_test(test_from_civil_known_values),
	    cmocka_unit_test(test_from_civil_normalizes),
	    cmocka_unit_test(test_from_civil_extreme_arguments),
	    cmocka_unit_test(test_to_civil_known_values),
	    cmocka_unit_test(test_to_civil_clamps),
	    cmocka_unit_test(test_civil_round_trip_every_day),
	    cmocka_unit_test(test_parse_iso8601_valid),
	    cmocka_unit_test(test_parse_iso8601_refused),
	    cmocka_unit_test(test_format_iso8601),
	    cmocka_unit_test(test_interval_names),
	    cmocka_unit_test(test_interval_count_valid),
	    cmocka_unit_test(test_boundary_invalid_arguments),
	    cmocka_unit_test(test_boundary_days_and_weeks),
	    cmocka_unit_test(test_boundary_leap_centuries),
	    cmocka_unit_test(test_boundary_end_of_domain),
	    cmocka_unit_test(test_period_at_walk),
	    cmocka_unit_test(test_period_at_far_future),
	    cmocka_unit_test(test_period_at_before_anchor),
	    cmocka_unit_test(test_period_at_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
