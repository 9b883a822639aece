/* sys/password.c: argon2id strings, verification, the dummy hash for an
 * unknown e-mail, and rehashing when the limits rise. With the fast
 * (test-mode) limits, but for one comparison with the interactive limits
 * showing that an unknown e-mail costs the same time as a wrong password
 * (skipped under valgrind, where 64 MiB argon2 takes minutes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/clock.h"
#include "sys/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hash_and_verify(void **state)
{
	(void)state;
	password_use_fast_limits(true);
	assert_true(password_fast_limits());
	char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	assert_true(password_hash("correct-horse-battery", h));
	assert_memory_equal(h, "$argon2id$", 10);
	assert_null(strstr(h, "correct"));
	assert_true(password_hash("correct-horse-battery", h2));
	assert_string_not_equal(h, h2); /* salted */
	bool rehash = true;
	assert_true(password_verify(h, "correct-horse-battery", &rehash));
	assert_false(rehash);
	assert_false(password_verify(h, "correct-horse-batterY", &rehash));
	assert_false(password_verify(h, "", NULL));
	/* unknown e-mail (no hash), an empty or broken stored hash: never true */
	assert_false(password_verify(NULL, "correct-horse-battery", &rehash));
	assert_false(password_verify("", "correct-horse-battery", NULL));
	assert_false(password_verify("$argon2id$garbage", "correct-horse-battery", NULL));
}

static void rehash_when_limits_rise(void **state)
{
	(void)state;
	password_use_fast_limits(true);
	char h[PASSWORD_HASH_MAX];
	assert_true(password_hash("correct-horse-battery", h));
	password_use_fast_limits(false); /* the operator's limits went up */
	bool rehash = false;
	assert_true(password_verify(h, "correct-horse-battery", &rehash));
	assert_true(rehash);
	rehash = true;
	assert_false(password_verify(h, "wrong-horse-battery", &rehash));
	assert_false(rehash); /* nothing to store for a wrong password */
	password_use_fast_limits(true);
}

static bool under_valgrind(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "vgpreload"))
			found = true;
	if (f)
		fclose(f);
	return found;
}

static void unknown_email_costs_the_same(void **state)
{
	(void)state;
	if (under_valgrind()) {
		printf("NOTE: under valgrind: the interactive-limit timing comparison is skipped\n");
		return;
	}
	password_use_fast_limits(false);
	char h[PASSWORD_HASH_MAX];
	assert_true(password_hash("correct-horse-battery", h));
	assert_false(password_verify(NULL, "warm-up-the-dummy", NULL)); /* the dummy is made once */
	int64_t best_wrong = INT64_MAX, best_unknown = INT64_MAX;
	for (int i = 0; i < 3; i++) {
		int64_t t0 = clock_mono_ns();
		assert_false(password_verify(h, "wrong-horse-battery", NULL));
		int64_t t1 = clock_mono_ns();
		assert_false(password_verify(NULL, "wrong-horse-battery", NULL));
		int64_t t2 = clock_mono_ns();
		best_wrong = t1 - t0 < best_wrong ? t1 - t0 : best_wrong;
		best_unknown = t2 - t1 < best_unknown ? t2 - t1 : best_unknown;
	}
	printf("verify: wrong password %.1f ms, unknown e-mail %.1f ms\n", best_wrong / 1e6, best_unknown / 1e6);
	/* the same work; a shared machine adds noise, so a generous band */
	assert_true(best_unknown * 2 > best_wrong);
	assert_true(best_wrong * 2 > best_unknown);
	password_use_fast_limits(true);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hash_and_verify),
	    cmocka_unit_test(rehash_when_limits_rise),
	    cmocka_unit_test(unknown_email_costs_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
