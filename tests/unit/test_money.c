/* Unit tests for core/money: every checked operation at the int64 edges, the
 * one rounding rule on ties of both signs, and money_format per exponent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/money.h"

#define UNTOUCHED INT64_C(424242)

static void test_add(void **state)
{
	(void)state;
	int64_t out;
	assert_true(money_add(1234, 66, &out));
	assert_int_equal(out, 1300);
	assert_true(money_add(-5, 3, &out));
	assert_int_equal(out, -2);
	assert_true(money_add(INT64_MAX, 0, &out));
	assert_int_equal(out, INT64_MAX);
	assert_true(money_add(INT64_MIN, INT64_MAX, &out));
	assert_int_equal(out, -1);
	assert_true(money_add(INT64_MIN, 0, &out));
	assert_int_equal(out, INT64_MIN);

	out = UNTOUCHED;
	assert_false(money_add(INT64_MAX, 1, &out));
	assert_false(money_add(INT64_MIN, -1, &out));
	assert_false(money_add(INT64_MAX, INT64_MAX, &out));
	assert_false(money_add(INT64_MIN, INT64_MIN, &out));
	assert_int_equal(out, UNTOUCHED);
}

static void test_sub(void **state)
{
	(void)state;
	int64_t out;
	assert_true(money_sub(1000, 1234, &out));
	assert_int_equal(out, -234);
	assert_true(money_sub(-1, INT64_MAX, &out));
	assert_int_equal(out, INT64_MIN);
	assert_true(money_sub(INT64_MAX, INT64_MAX, &out));
	assert_int_equal(out, 0);

	out = UNTOUCHED;
	assert_false(money_sub(0, INT64_MIN, &out));
	assert_false(money_sub(INT64_MIN, 1, &out));
	assert_false(money_sub(INT64_MAX, -1, &out));
	assert_false(money_sub(-2, INT64_MAX, &out));
	assert_int_equal(out, UNTOUCHED);
}

static void test_neg(void **state)
{
	(void)state;
	int64_t out;
	assert_true(money_neg(0, &out));
	assert_int_equal(out, 0);
	assert_true(money_neg(1548, &out));
	assert_int_equal(out, -1548);
	assert_true(money_neg(INT64_MAX, &out));
	assert_int_equal(out, -INT64_MAX);
	assert_true(money_neg(-INT64_MAX, &out));
	assert_int_equal(out, INT64_MAX);
	out = UNTOUCHED;
	assert_false(money_neg(INT64_MIN, &out));
	assert_int_equal(out, UNTOUCHED);
}

static void test_mul(void **state)
{
	(void)state;
	int64_t out;
	assert_true(money_mul(999, 3, &out));
	assert_int_equal(out, 2997);
	assert_true(money_mul(-250, 4, &out));
	assert_int_equal(out, -1000);
	assert_true(money_mul(INT64_MAX, 1, &out));
	assert_int_equal(out, INT64_MAX);
	assert_true(money_mul(INT64_MIN, 1, &out));
	assert_int_equal(out, INT64_MIN);
	assert_true(money_mul(INT64_MAX, -1, &out));
	assert_int_equal(out, -INT64_MAX);
	assert_true(money_mul(-(INT64_C(1) << 32), INT64_C(1) << 31, &out));
	assert_int_equal(out, INT64_MIN);
	assert_true(money_mul(INT64_C(3037000499), INT64_C(3037000499), &out));
	assert_int_equal(out, INT64_C(9223372030926249001));
	assert_true(money_mul(INT64_MIN, 0, &out));
	assert_int_equal(out, 0);

	out = UNTOUCHED;
	assert_false(money_mul(INT64_MIN, -1, &out));
	assert_false(money_mul(INT64_C(1) << 32, INT64_C(1) << 31, &out));
	assert_false(money_mul(INT64_C(3037000500), INT64_C(3037000500), &out));
	assert_false(money_mul(INT64_MAX, 2, &out));
	assert_false(money_mul(INT64_MIN, 2, &out));
	assert_int_equal(out, UNTOUCHED);
}

struct muldiv_case {
	int64_t a, b, c, want;
};

static void test_muldiv_rounding(void **state)
{
	(void)state;
	/* ties go away from zero whatever the sign of each operand */
	static const struct muldiv_case cases[] = {
	    {5, 1, 2, 3},
	    {-5, 1, 2, -3},
	    {5, -1, 2, -3},
	    {-5, -1, 2, 3},
	    {7, 1, 2, 4},
	    {-7, 1, 2, -4},
	    {1, 1, 2, 1},
	    {-1, 1, 2, -1},
	    {25, 1, 10, 3},
	    {-25, 1, 10, -3},
	    {24, 1, 10, 2},
	    {-24, 1, 10, -2},
	    {26, 1, 10, 3},
	    {-26, 1, 10, -3},
	    {1, 1, 3, 0},
	    {-1, 1, 3, 0},
	    {2, 1, 3, 1},
	    {-2, 1, 3, -1},
	    {10, 3, 6, 5},
	    {3000, 1296000, 2678400, 1452},
	    {0, 123, 7, 0},
	    {123, 0, 7, 0},
	    {6000, 7, 6000, 7},
	    /* 0.5 of a huge even divisor */
	    {(INT64_MAX - 1) / 2, 1, INT64_MAX - 1, 1},
	    {-((INT64_MAX - 1) / 2), 1, INT64_MAX - 1, -1},
	    {(INT64_MAX - 1) / 2 - 1, 1, INT64_MAX - 1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t out = UNTOUCHED;
		assert_true(money_muldiv(cases[i].a, cases[i].b, cases[i].c, &out));
		assert_int_equal(out, cases[i].want);
	}
}

static void test_muldiv_wide_product(void **state)
{
	(void)state;
	int64_t out;
	/* the product overflows int64 but the quotient fits */
	assert_true(money_muldiv(INT64_MAX, INT64_MAX, INT64_MAX, &out));
	assert_int_equal(out, INT64_MAX);
	assert_true(money_muldiv(INT64_MAX, 2, 2, &out));
	assert_int_equal(out, INT64_MAX);
	/* INT64_MIN^2 / INT64_MAX = 2^126 / (2^63 - 1), far beyond int64 */
	out = UNTOUCHED;
	assert_false(money_muldiv(INT64_MIN, INT64_MIN, INT64_MAX, &out));
	assert_int_equal(out, UNTOUCHED);
	assert_true(money_muldiv(INT64_MIN, 1, 1, &out));
	assert_int_equal(out, INT64_MIN);
	assert_true(money_muldiv(INT64_MIN, -1, 2, &out));
	assert_int_equal(out, INT64_C(1) << 62);
	assert_true(money_muldiv(INT64_MIN, 3, 3, &out));
	assert_int_equal(out, INT64_MIN);
}

static void test_muldiv_rounding_at_the_edge(void **state)
{
	(void)state;
	int64_t out = UNTOUCHED;
	/* (2^64 - 1) / 2 = INT64_MAX + 0.5: rounding up leaves int64 */
	assert_false(money_muldiv(INT64_C(4294967297), INT64_C(4294967295), 2, &out));
	assert_int_equal(out, UNTOUCHED);
	/* -(2^64 - 1) / 2 = INT64_MIN + 0.5 in magnitude: rounds to INT64_MIN exactly */
	assert_true(money_muldiv(-INT64_C(4294967297), INT64_C(4294967295), 2, &out));
	assert_int_equal(out, INT64_MIN);
	/* -(2^64 + 1) / 2 = INT64_MIN - 0.5: rounds past INT64_MIN */
	out = UNTOUCHED;
	assert_false(money_muldiv(-INT64_C(274177), INT64_C(67280421310721), 2, &out));
	assert_int_equal(out, UNTOUCHED);
	/* 2^64 / 2 = 2^63 exactly: no rounding, still too big */
	assert_false(money_muldiv(INT64_C(1) << 32, INT64_C(1) << 32, 2, &out));
	assert_false(money_muldiv(INT64_MIN, -1, 1, &out));
	assert_int_equal(out, UNTOUCHED);
}

static void test_muldiv_bad_divisor(void **state)
{
	(void)state;
	int64_t out = UNTOUCHED;
	assert_false(money_muldiv(10, 1, 0, &out));
	assert_false(money_muldiv(10, 1, -1, &out));
	assert_false(money_muldiv(10, 1, INT64_MIN, &out));
	assert_false(money_muldiv(0, 0, 0, &out));
	assert_int_equal(out, UNTOUCHED);
}

static void assert_format(int64_t amount, const char *currency, const char *want)
{
	char buf[64];
	memset(buf, 'x', sizeof buf);
	int len = money_format(amount, currency, buf, sizeof buf);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

static void test_format(void **state)
{
	(void)state;
	assert_format(1234, "usd", "12.34 USD");
	assert_format(-500, "eur", "-5.00 EUR");
	assert_format(0, "usd", "0.00 USD");
	assert_format(5, "usd", "0.05 USD");
	assert_format(-5, "gbp", "-0.05 GBP");
	assert_format(100, "chf", "1.00 CHF");
	assert_format(1000, "jpy", "1000 JPY");
	assert_format(-1, "krw", "-1 KRW");
	assert_format(0, "jpy", "0 JPY");
	assert_format(1234, "kwd", "1.234 KWD");
	assert_format(-7, "bhd", "-0.007 BHD");
	assert_format(1000, "tnd", "1.000 TND");
	assert_format(INT64_MAX, "usd", "92233720368547758.07 USD");
	assert_format(INT64_MIN, "usd", "-92233720368547758.08 USD");
	assert_format(INT64_MIN, "jpy", "-9223372036854775808 JPY");
	assert_format(INT64_MIN, "omr", "-9223372036854775.808 OMR");
}

static void test_format_errors_and_truncation(void **state)
{
	(void)state;
	char buf[16] = "junk";
	assert_int_equal(money_format(100, "xxx", buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	snprintf(buf, sizeof buf, "junk");
	assert_int_equal(money_format(100, "USD", buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(money_format(100, NULL, buf, sizeof buf), -1);
	assert_int_equal(money_format(100, "usd", NULL, 8), -1);
	assert_int_equal(money_format(100, "xxx", NULL, 0), -1);
	snprintf(buf, sizeof buf, "keep");
	assert_int_equal(money_format(100, "xxx", buf, 0), -1); /* n = 0: buf is not written */
	assert_string_equal(buf, "keep");

	/* snprintf's contract: the full length, a truncated NUL-terminated prefix */
	assert_int_equal(money_format(1234, "usd", buf, 5), 9);
	assert_string_equal(buf, "12.3");
	assert_int_equal(money_format(1234, "usd", NULL, 0), 9);
	snprintf(buf, sizeof buf, "keep");
	assert_int_equal(money_format(1234, "usd", buf, 0), 9);
	assert_string_equal(buf, "keep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_sub),
	    cmocka_unit_test(test_neg),
	    cmocka_unit_test(test_mul),
	    cmocka_unit_test(test_muldiv_rounding),
	    cmocka_unit_test(test_muldiv_wide_product),
	    cmocka_unit_test(test_muldiv_rounding_at_the_edge),
	    cmocka_unit_test(test_muldiv_bad_divisor),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_errors_and_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
