/* Unit tests for core/currency: the exponents the brief requires, the table's
 * invariants (sorted, unique, well-formed: currency_find's binary search
 * depends on them) and every way a code can be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/currency.h"

static void test_required_exponents(void **state)
{
	(void)state;
	static const struct currency want[] = {
	    {"usd", 2}, {"eur", 2}, {"gbp", 2}, {"chf", 2}, {"cad", 2}, {"aud", 2}, {"nzd", 2}, {"sek", 2}, {"nok", 2},
	    {"dkk", 2}, {"pln", 2}, {"czk", 2}, {"huf", 2}, {"inr", 2}, {"brl", 2}, {"mxn", 2}, {"sgd", 2}, {"hkd", 2},
	    {"cny", 2}, {"zar", 2}, {"jpy", 0}, {"krw", 0}, {"kwd", 3}, {"bhd", 3}, {"jod", 3}, {"omr", 3}, {"tnd", 3},
	    {"iqd", 3}, {"lyd", 3}, {"clp", 0}, {"vnd", 0}, {"isk", 0}, {"xof", 0}, {"aed", 2}, {"zwg", 2},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct currency *c = currency_find(want[i].code);
		assert_non_null(c);
		assert_string_equal(c->code, want[i].code);
		assert_int_equal(c->exponent, want[i].exponent);
		assert_true(currency_valid(want[i].code));
	}
}

static void test_refused_codes(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "USD",
	    "Usd",
	    "usD",
	    "us",
	    "u",
	    "",
	    "usdd",
	    "usd ",
	    " usd",
	    "u1d",
	    "us-",
	    "u{d",
	    "us~",
	    "`sd",
	    "xxx",
	    "hrk",
	    /* withdrawn */ "clf",
	    /* fund code */ "xau",
	    /* metal */ "aaa",
	    "zzz",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(currency_find(bad[i]));
		assert_false(currency_valid(bad[i]));
	}
	assert_null(currency_find(NULL));
	assert_false(currency_valid(NULL));
	/* a code followed by more bytes after its NUL is still that code */
	assert_non_null(currency_find("eur\0xyz"));
}

static void test_table_invariants(void **state)
{
	(void)state;
	size_t n = currency_count();
	assert_true(n >= 140);
	for (size_t i = 0; i < n; i++) {
		const struct currency *c = currency_at(i);
		assert_non_null(c);
		assert_int_equal(strlen(c->code), 3);
		for (int k = 0; k < 3; k++)
			assert_true(c->code[k] >= 'a' && c->code[k] <= 'z');
		assert_true(c->exponent == 0 || c->exponent == 2 || c->exponent == 3);
		if (i > 0)
			assert_true(strcmp(currency_at(i - 1)->code, c->code) < 0);
		/* the binary search reaches every entry */
		assert_ptr_equal(currency_find(c->code), c);
	}
	assert_null(currency_at(n));
	assert_null(currency_at(SIZE_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required_exponents),
	    cmocka_unit_test(test_refused_codes),
	    cmocka_unit_test(test_table_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
