/* Unit tests for core/ids: prefixes, exact round trips at the int64 edges,
 * ids that do not read as a counter, and every malformed input decode must
 * refuse (wrong kind, length, alphabet, base62 overflow, rows <= 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/ids.h"

static const char *const prefixes[ID__COUNT] = {
    [ID_PRODUCT] = "prod", [ID_PRICE] = "price", [ID_CUSTOMER] = "cus",     [ID_SUBSCRIPTION] = "sub",
    [ID_SUB_ITEM] = "si",  [ID_INVOICE] = "in",  [ID_INVOICE_LINE] = "il",  [ID_INVOICE_ITEM] = "ii",
    [ID_EVENT] = "evt",    [ID_API_KEY] = "key", [ID_TEST_CLOCK] = "clock", [ID_USER] = "usr",
};

static bool is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void assert_round_trip(enum id_kind kind, int64_t id)
{
	char out[ID_MAX_LEN];
	assert_ptr_equal(ids_encode(kind, id, out), out);
	size_t plen = strlen(prefixes[kind]);
	assert_int_equal(strlen(out), plen + 1 + 11);
	assert_true(strlen(out) < ID_MAX_LEN);
	assert_memory_equal(out, prefixes[kind], plen);
	assert_int_equal(out[plen], '_');
	for (size_t i = plen + 1; out[i]; i++)
		assert_true(is_base62(out[i]));
	int64_t back = 0;
	assert_true(ids_decode(kind, out, &back));
	assert_int_equal(back, id);
}

static void test_prefixes(void **state)
{
	(void)state;
	for (int k = 0; k < ID__COUNT; k++)
		assert_string_equal(ids_prefix((enum id_kind)k), prefixes[k]);
	assert_string_equal(ids_prefix(ID__COUNT), "obj");
}

static void test_round_trip(void **state)
{
	(void)state;
	static const int64_t edges[] = {
	    1,
	    2,
	    3,
	    61,
	    62,
	    63,
	    1000,
	    INT32_MAX,
	    (int64_t)INT32_MAX + 1,
	    INT64_C(1) << 32,
	    (INT64_C(1) << 32) + 1,
	    INT64_C(1) << 62,
	    INT64_MAX - 1,
	    INT64_MAX,
	};
	for (int k = 0; k < ID__COUNT; k++) {
		for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
			assert_round_trip((enum id_kind)k, edges[i]);
		for (int64_t id = 1; id <= 2000; id++)
			assert_round_trip((enum id_kind)k, id);
	}
}

static void test_not_a_counter(void **state)
{
	(void)state;
	char a[ID_MAX_LEN], b[ID_MAX_LEN];
	size_t n_ordered = 0;
	for (int64_t id = 1; id < 1000; id++) {
		ids_encode(ID_CUSTOMER, id, a);
		ids_encode(ID_CUSTOMER, id + 1, b);
		assert_string_not_equal(a, b);
		n_ordered += strcmp(a, b) < 0;
	}
	/* a counter would give 999 of 999; a permutation about half */
	assert_true(n_ordered > 300 && n_ordered < 700);
	/* the key depends on the kind: the same row has unrelated bodies */
	ids_encode(ID_CUSTOMER, 1, a);
	ids_encode(ID_PRODUCT, 1, b);
	assert_string_not_equal(a + strlen("cus_"), b + strlen("prod_"));
}

static void test_decode_refuses(void **state)
{
	(void)state;
	char good[ID_MAX_LEN], bad[ID_MAX_LEN + 8];
	ids_encode(ID_CUSTOMER, 42, good);
	const char *body = good + 4;
	int64_t id = 4242;

	assert_false(ids_decode(ID_CUSTOMER, NULL, &id));
	assert_false(ids_decode(ID_CUSTOMER, "", &id));
	assert_false(ids_decode(ID_CUSTOMER, "cus", &id));
	assert_false(ids_decode(ID_CUSTOMER, "cus_", &id));
	assert_false(ids_decode(ID__COUNT, good, &id));
	assert_false(ids_decode((enum id_kind) - 1, good, &id));
	assert_false(ids_decode(ID_PRODUCT, good, &id));
	snprintf(bad, sizeof bad, "CUS_%s", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	snprintf(bad, sizeof bad, "cus-%s", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	snprintf(bad, sizeof bad, "cus_%.10s", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	snprintf(bad, sizeof bad, "cus_%s0", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	snprintf(bad, sizeof bad, "cus__%s", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	snprintf(bad, sizeof bad, "cus_%.10s-", body);
	assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	/* one character outside the alphabet, at each end of the ASCII ranges */
	static const char outside[] = {' ', '/', ':', '@', '[', '`', '{', '~', '\x80'};
	for (size_t i = 0; i < sizeof outside; i++) {
		snprintf(bad, sizeof bad, "cus_%.5s%c%.5s", body, outside[i], body + 6);
		assert_false(ids_decode(ID_CUSTOMER, bad, &id));
	}
	/* prefixes that share letters: in_, ii_, il_ */
	ids_encode(ID_INVOICE, 42, good);
	assert_false(ids_decode(ID_INVOICE_ITEM, good, &id));
	assert_false(ids_decode(ID_INVOICE_LINE, good, &id));
	/* 2^64 and beyond do not fit in 11 base62 digits' worth of uint64 */
	assert_false(ids_decode(ID_CUSTOMER, "cus_LygHa16AHYG", &id));
	assert_false(ids_decode(ID_CUSTOMER, "cus_zzzzzzzzzzz", &id));
	/* row 0 and negative rows encode, but are never valid ids */
	ids_encode(ID_CUSTOMER, 0, good);
	assert_false(ids_decode(ID_CUSTOMER, good, &id));
	ids_encode(ID_CUSTOMER, -1, good);
	assert_false(ids_decode(ID_CUSTOMER, good, &id));
	ids_encode(ID_CUSTOMER, INT64_MIN, good);
	assert_false(ids_decode(ID_CUSTOMER, good, &id));
	assert_int_equal(id, 4242);

	/* 2^64 - 1 passes the overflow check; whatever it decodes to must encode back */
	if (ids_decode(ID_CUSTOMER, "cus_LygHa16AHYF", &id)) {
		ids_encode(ID_CUSTOMER, id, good);
		assert_string_equal(good, "cus_LygHa16AHYF");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_not_a_counter),
	    cmocka_unit_test(test_decode_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
