/* Unit tests for core/ids: prefixes, exact round trips at the int64 edges
 * (under a random key and under the legacy rounds), ids that do not read as
 * a counter, keys that give unrelated ids, the legacy rounds reproducing the
 * ids of databases created before keys existed, and every malformed input
 * decode must refuse (wrong kind, length, alphabet, base62 overflow,
 * rows <= 0). Each test starts with a fresh random key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/ids.h"

static int random_key(void **state)
{
	(void)state;
	unsigned char key[IDS_KEY_BYTES];
	randombytes_buf(key, sizeof key);
	ids_set_key(key);
	return 0;
}

static const char *const prefixes[ID__COUNT] = {
    [ID_PRODUCT] = "prod",    [ID_PRICE] = "price",        [ID_CUSTOMER] = "cus",      [ID_SUBSCRIPTION] = "sub",
    [ID_SUB_ITEM] = "si",     [ID_INVOICE] = "in",         [ID_INVOICE_LINE] = "il",   [ID_INVOICE_ITEM] = "ii",
    [ID_EVENT] = "evt",       [ID_API_KEY] = "key",        [ID_TEST_CLOCK] = "clock",  [ID_USER] = "usr",
    [ID_AUDIT_LOG] = "audit", [ID_PORTAL_SESSION] = "bps", [ID_PAYMENT_METHOD] = "pm", [ID_BALANCE_TXN] = "cbtxn",
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
	for (int mode = 0; mode < 2; mode++) {
		if (mode == 1)
			ids_set_legacy();
		for (int k = 0; k < ID__COUNT; k++) {
			for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
				assert_round_trip((enum id_kind)k, edges[i]);
			for (int64_t id = 1; id <= 2000; id++)
				assert_round_trip((enum id_kind)k, id);
		}
	}
}

/* The base62 body as its 64-bit value (the permuted row). */
static uint64_t body_value(const char *id)
{
	const char *body = strchr(id, '_') + 1;
	uint64_t v = 0;
	for (; *body; body++) {
		char c = *body;
		int d = c <= '9' ? c - '0' : c <= 'Z' ? c - 'A' + 10 : c - 'a' + 36;
		v = v * 62 + (uint64_t)d;
	}
	return v;
}

/* Consecutive rows under a key: every output bit flips about half the time
 * from one row to the next, and no character position (a shared prefix or
 * suffix) stays the same across a run. */
static void test_consecutive_unrelated(void **state)
{
	(void)state;
	enum { N = 4000 };
	char a[ID_MAX_LEN], b[ID_MAX_LEN];
	long flips[64] = {0};
	long n_flipped = 0;
	int same_at[11] = {0};
	for (int64_t id = 1; id <= N; id++) {
		ids_encode(ID_INVOICE, id, a);
		ids_encode(ID_INVOICE, id + 1, b);
		uint64_t x = body_value(a) ^ body_value(b);
		for (int bit = 0; bit < 64; bit++)
			flips[bit] += (long)(x >> bit & 1);
		n_flipped += __builtin_popcountll(x);
		for (int i = 0; i < 11; i++)
			same_at[i] += a[3 + i] == b[3 + i];
	}
	/* 64-bit values below 62^11 (about 2^65.5): every bit is a fair coin */
	for (int bit = 0; bit < 64; bit++)
		assert_true(flips[bit] > N * 40 / 100 && flips[bit] < N * 60 / 100);
	assert_true(n_flipped > (long)N * 64 * 45 / 100 && n_flipped < (long)N * 64 * 55 / 100);
	/* a character equal by chance: 1 in 62, about 65 of 4000; the first
	 * digit ranges over fewer values (62^11 > 2^64), so allow more there */
	for (int i = 0; i < 11; i++)
		assert_true(same_at[i] < (i == 0 ? N / 4 : N / 20));
}

/* Two installations: the same row has unrelated ids, and an id of one does
 * not decode to the same row under the other. */
static void test_keys_differ(void **state)
{
	(void)state;
	unsigned char k1[IDS_KEY_BYTES], k2[IDS_KEY_BYTES];
	randombytes_buf(k1, sizeof k1);
	memcpy(k2, k1, sizeof k2);
	k2[IDS_KEY_BYTES - 1] ^= 1; /* one bit apart */
	char a[ID_MAX_LEN], b[ID_MAX_LEN];
	int n_same = 0;
	for (int64_t id = 1; id <= 1000; id++) {
		ids_set_key(k1);
		ids_encode(ID_PRODUCT, id, a);
		ids_set_key(k2);
		ids_encode(ID_PRODUCT, id, b);
		n_same += strcmp(a, b) == 0;
		int64_t back = 0;
		assert_true(!ids_decode(ID_PRODUCT, a, &back) || back != id);
	}
	assert_int_equal(n_same, 0);
	/* the same key gives the same ids (a restart keeps them) */
	ids_set_key(k1);
	ids_encode(ID_PRODUCT, 1, a);
	ids_set_key(k1);
	ids_encode(ID_PRODUCT, 1, b);
	assert_string_equal(a, b);
	/* and no key gives the legacy ids */
	ids_set_legacy();
	ids_encode(ID_PRODUCT, 1, b);
	assert_string_not_equal(a, b);
}

/* The legacy rounds give exactly the ids of databases created before
 * migration 0003 (pinned from the code of that time). */
static void test_legacy_ids(void **state)
{
	(void)state;
	static const struct {
		enum id_kind kind;
		int64_t row;
		const char *id;
	} pinned[] = {
	    {ID_PRODUCT, 1, "prod_EJwJjSf6s2h"},         {ID_PRODUCT, 987654321, "prod_HcZxisOSZXa"},
	    {ID_PRICE, 1, "price_FhFeVS4dDLI"},          {ID_CUSTOMER, 1, "cus_CTwJKPRTOd6"},
	    {ID_CUSTOMER, 987654321, "cus_0h27STLXUcw"}, {ID_SUBSCRIPTION, 1, "sub_9lBKL7q8ixo"},
	    {ID_SUB_ITEM, 1, "si_8KMOuAgazfR"},          {ID_INVOICE, 1, "in_HZrafbaqkLm"},
	    {ID_INVOICE, 987654321, "in_Dk0B1Vyar68"},   {ID_INVOICE_LINE, 1, "il_LMq7Q4RNcoR"},
	    {ID_INVOICE_ITEM, 1, "ii_3fsxFb8C7zK"},      {ID_EVENT, 1, "evt_LVVbzkDahzL"},
	    {ID_API_KEY, 1, "key_7oaKIKUBIhO"},          {ID_TEST_CLOCK, 1, "clock_GpAl1ncSF0s"},
	    {ID_EVENT, INT64_MAX, "evt_Br1D9221L0d"},    {ID_TEST_CLOCK, INT64_MAX, "clock_16zhkhJ7a9q"},
	};
	ids_set_legacy();
	char out[ID_MAX_LEN];
	for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
		assert_string_equal(ids_encode(pinned[i].kind, pinned[i].row, out), pinned[i].id);
		int64_t back = 0;
		assert_true(ids_decode(pinned[i].kind, pinned[i].id, &back));
		assert_int_equal(back, pinned[i].row);
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
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_prefixes, random_key),
	    cmocka_unit_test_setup(test_round_trip, random_key),
	    cmocka_unit_test_setup(test_not_a_counter, random_key),
	    cmocka_unit_test_setup(test_consecutive_unrelated, random_key),
	    cmocka_unit_test_setup(test_keys_differ, random_key),
	    cmocka_unit_test_setup(test_legacy_ids, random_key),
	    cmocka_unit_test_setup(test_decode_refuses, random_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
