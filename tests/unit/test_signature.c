/* sys/signature.c: Stripe-style webhook signatures. The expected MACs were
 * computed apart, with Python's hmac module:
 *   hmac.new(secret.encode(), (str(t) + "." + payload).encode(), hashlib.sha256).hexdigest()
 * (stripe.webhooks.constructEvent checks our headers in the webhook suite). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/signature.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char payload[] = "{\"id\":\"evt_1\",\"object\":\"event\"}";
static const char mac_test[] = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";
static const char mac_other[] = "ce486949e2e39bec553617072a9bf7c086e490c7071f3324a664d8082cf43f97";
static const char *const one[] = {"whsec_test_secret"};
static const char *const two[] = {"whsec_other", "whsec_test_secret"};
#define T 1700000000

static void known_vectors(void **state)
{
	(void)state;
	char hex[SIG_HEX_LEN + 1];
	sig_compute("whsec_test_secret", T, payload, strlen(payload), hex);
	assert_string_equal(hex, mac_test);
	sig_compute("whsec_other", T, payload, strlen(payload), hex);
	assert_string_equal(hex, mac_other);
	sig_compute("whsec_test_secret", 1, "", 0, hex);
	assert_string_equal(hex, "72a0d5db585ba2c43502db342967281f0d98f88ad9a739d64b64b0e90ec5b49c");
}

static void header_signs_with_each_secret(void **state)
{
	(void)state;
	char h[SIG_HEADER_MAX];
	size_t n = sig_header(one, 1, T, payload, strlen(payload), h, sizeof h);
	assert_int_equal(n, strlen(h));
	assert_string_equal(h, "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd");
	sig_header(two, 2, T, payload, strlen(payload), h, sizeof h);
	char want[SIG_HEADER_MAX];
	snprintf(want, sizeof want, "t=1700000000,v1=%s,v1=%s", mac_other, mac_test);
	assert_string_equal(h, want);
	char small[40];
	assert_int_equal(sig_header(one, 1, T, payload, strlen(payload), small, sizeof small), 0);
}

static void verify_accepts_and_refuses(void **state)
{
	(void)state;
	char h[SIG_HEADER_MAX];
	size_t n = strlen(payload);
	int64_t t = 0;
	snprintf(h, sizeof h, "t=%d,v1=%s", T, mac_test);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, &t), SIG_OK);
	assert_int_equal(t, T);
	/* within the tolerance either side; stale beyond it */
	assert_int_equal(sig_verify(h, payload, n, one, 1, T + 300, 300, NULL), SIG_OK);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T - 300, 300, NULL), SIG_OK);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T + 301, 300, NULL), SIG_STALE);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T - 301, 300, NULL), SIG_STALE);
	/* another secret, another payload, a changed digit */
	const char *const wrong[] = {"whsec_wrong"};
	assert_int_equal(sig_verify(h, payload, n, wrong, 1, T, 300, NULL), SIG_NO_MATCH);
	assert_int_equal(sig_verify(h, "{}", 2, one, 1, T, 300, NULL), SIG_NO_MATCH);
	char changed[SIG_HEADER_MAX];
	snprintf(changed, sizeof changed, "%s", h);
	changed[strlen(changed) - 1] = changed[strlen(changed) - 1] == '0' ? '1' : '0';
	assert_int_equal(sig_verify(changed, payload, n, one, 1, T, 300, NULL), SIG_NO_MATCH);
	/* a stale forgery says no_match, not stale */
	assert_int_equal(sig_verify(changed, payload, n, one, 1, T + 9999, 300, NULL), SIG_NO_MATCH);
	/* several v1 values (a roll): any one matching any secret; v0 ignored */
	snprintf(h, sizeof h, "t=%d,v0=abc,v1=%s,v1=%s", T, mac_other, mac_test);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_OK);
	snprintf(h, sizeof h, "t=%d,v1=%s", T, mac_other);
	assert_int_equal(sig_verify(h, payload, n, two, 2, T, 300, NULL), SIG_OK);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_NO_MATCH);
}

static void verify_refuses_malformed(void **state)
{
	(void)state;
	size_t n = strlen(payload);
	char h[SIG_HEADER_MAX];
	assert_int_equal(sig_verify(NULL, payload, n, one, 1, T, 300, NULL), SIG_MISSING);
	assert_int_equal(sig_verify("", payload, n, one, 1, T, 300, NULL), SIG_MISSING);
	snprintf(h, sizeof h, "v1=%s", mac_test); /* no t */
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_MALFORMED);
	assert_int_equal(sig_verify("t=1700000000", payload, n, one, 1, T, 300, NULL), SIG_MALFORMED);
	snprintf(h, sizeof h, "t=17000x0000,v1=%s", mac_test);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_MALFORMED);
	snprintf(h, sizeof h, "t=-1,v1=%s", mac_test);
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_MALFORMED);
	snprintf(h, sizeof h, "t=1,t=%d,v1=%s", T, mac_test); /* two timestamps */
	assert_int_equal(sig_verify(h, payload, n, one, 1, T, 300, NULL), SIG_MALFORMED);
	assert_int_equal(sig_verify("t=1700000000,v1=short", payload, n, one, 1, T, 300, NULL), SIG_NO_MATCH);
	assert_string_equal(sig_rc_name(SIG_STALE), "stale");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_vectors),
	    cmocka_unit_test(header_signs_with_each_secret),
	    cmocka_unit_test(verify_accepts_and_refuses),
	    cmocka_unit_test(verify_refuses_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
