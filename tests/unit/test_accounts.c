/* core/accounts.c: roles, e-mail keys, the password policy and its list of
 * common passwords, token text and hashes, session expiry and the limit
 * windows. Pure: no database, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/accounts.h"

#include <string.h>

static void roles(void **state)
{
	(void)state;
	const char *names[] = {"owner", "admin", "finance", "support", "analyst", "customer"};
	for (int i = 0; i < ROLE__COUNT; i++) {
		enum user_role r;
		assert_string_equal(acct_role_name((enum user_role)i), names[i]);
		assert_true(acct_role_parse(names[i], &r));
		assert_int_equal(r, i);
		assert_int_equal(acct_role_is_staff(r), i != ROLE_CUSTOMER);
	}
	enum user_role r = ROLE_ADMIN;
	assert_false(acct_role_parse("Owner", &r));
	assert_false(acct_role_parse("root", &r));
	assert_false(acct_role_parse("", &r));
	assert_false(acct_role_parse(NULL, &r));
	assert_int_equal(r, ROLE_ADMIN);
	assert_string_equal(acct_role_name(ROLE__COUNT), "");
	assert_false(acct_role_is_staff(ROLE__COUNT));
}

static void emails(void **state)
{
	(void)state;
	char key[ACCT_EMAIL_MAX + 1];
	assert_true(acct_email_key("Ann.Lee@Example.COM", key));
	assert_string_equal(key, "ann.lee@example.com");
	assert_true(acct_email_valid("a@b.co"));
	const char *bad[] = {"",
	                     "a",
	                     "ann",
	                     "@x.io",
	                     "ann@",
	                     "ann@x",
	                     "ann@.io",
	                     "ann@x.",
	                     "a@b@c.io",
	                     "ann lee@x.io",
	                     "ann@x.io\r\nBcc: e@x.io",
	                     "<a@x.io>",
	                     "\"a\"@x.io",
	                     "a,b@x.io",
	                     "a;b@x.io",
	                     "a\\b@x.io",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		assert_false(acct_email_valid(bad[i]));
		assert_false(acct_email_key(bad[i], key));
		assert_string_equal(key, "");
	}
	assert_false(acct_email_valid(NULL));
	char long_addr[300];
	memset(long_addr, 'a', sizeof long_addr);
	memcpy(long_addr + 250, "@x.io", 6); /* 255 bytes */
	assert_false(acct_email_valid(long_addr));
	memcpy(long_addr + 249, "@x.io", 6); /* 254 */
	assert_true(acct_email_valid(long_addr));
}

static void password_policy(void **state)
{
	(void)state;
	assert_int_equal(acct_password_check(NULL), ACCT_PW_TOO_SHORT);
	assert_int_equal(acct_password_check(""), ACCT_PW_TOO_SHORT);
	assert_int_equal(acct_password_check("x7#kQ9!pz"), ACCT_PW_TOO_SHORT); /* 9 */
	assert_int_equal(acct_password_check("x7#kQ9!pzw"), ACCT_PW_OK);       /* 10 */
	/* characters, not bytes: 9 two-byte letters are too short, 10 are enough */
	assert_int_equal(acct_password_check("éééééééé\xc3\xa9"), ACCT_PW_TOO_SHORT);
	assert_int_equal(acct_password_check("ééééééééé\xc3\xa9"), ACCT_PW_OK);
	assert_int_equal(acct_password_check("x7#kQ9!pzw\x01"), ACCT_PW_INVALID);
	assert_int_equal(acct_password_check("x7#kQ9!pzw\n"), ACCT_PW_INVALID);
	assert_int_equal(acct_password_check("x7#kQ9!pzw\xff"), ACCT_PW_INVALID);
	assert_int_equal(acct_password_check("x7#kQ9!pzw\xc3"), ACCT_PW_INVALID);         /* cut short */
	assert_int_equal(acct_password_check("x7#kQ9!pzw\xc0\xaf"), ACCT_PW_INVALID);     /* overlong */
	assert_int_equal(acct_password_check("x7#kQ9!pzw\xed\xa0\x80"), ACCT_PW_INVALID); /* surrogate */
	char big[ACCT_PASSWORD_MAX_BYTES + 2];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0; /* 257 bytes */
	assert_int_equal(acct_password_check(big), ACCT_PW_TOO_LONG);
	big[ACCT_PASSWORD_MAX_BYTES] = 0; /* 256 */
	assert_int_equal(acct_password_check(big), ACCT_PW_OK);
	/* the common list, in any letter case */
	assert_int_equal(acct_password_check("password123"), ACCT_PW_COMMON);
	assert_int_equal(acct_password_check("PassWord123"), ACCT_PW_COMMON);
	assert_int_equal(acct_password_check("qwertyuiop"), ACCT_PW_COMMON);
	assert_int_equal(acct_password_check("1234567890"), ACCT_PW_COMMON);
	assert_true(acct_password_is_common("iloveyou12"));
	assert_false(acct_password_is_common("correct-horse-battery"));
	assert_true(acct_common_password_count() > 1000);
	for (int v = ACCT_PW_OK + 1; v <= ACCT_PW_COMMON; v++)
		assert_true(strlen(acct_password_verdict_message((enum acct_pw_verdict)v)) > 10);
	assert_string_equal(acct_password_verdict_message(ACCT_PW_OK), "");
}

static void tokens(void **state)
{
	(void)state;
	uint8_t raw[ACCT_TOKEN_BYTES];
	for (int i = 0; i < ACCT_TOKEN_BYTES; i++)
		raw[i] = (uint8_t)(i * 17);
	char t[ACCT_TOKEN_LEN + 1];
	acct_token_format(raw, t);
	assert_int_equal(strlen(t), 64);
	assert_memory_equal(t, "00112233", 8);
	assert_true(acct_token_well_formed(t));
	char forged[ACCT_TOKEN_LEN + 2];
	memcpy(forged, t, sizeof t);
	forged[10] = 'G';
	assert_false(acct_token_well_formed(forged));
	forged[10] = 'A'; /* upper case is not our format */
	assert_false(acct_token_well_formed(forged));
	memcpy(forged, t, sizeof t);
	forged[63] = 0;
	assert_false(acct_token_well_formed(forged));
	memcpy(forged, t, sizeof t);
	forged[64] = '0';
	forged[65] = 0;
	assert_false(acct_token_well_formed(forged));
	assert_false(acct_token_well_formed(NULL));
	assert_false(acct_token_well_formed(""));
	/* the stored form: SHA-256 of the text ("abc" is the FIPS 180-2 vector) */
	char h[ACCT_HASH_LEN + 1];
	acct_token_hash("abc", h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(acct_secret_equal("abc", "abc"));
	assert_false(acct_secret_equal("abc", "abd"));
	assert_false(acct_secret_equal("abc", "abcd"));
	assert_true(acct_secret_equal("", ""));
}

static void sessions(void **state)
{
	(void)state;
	int64_t t0 = 1700000000;
	struct acct_session_times t = acct_session_start(t0);
	assert_int_equal(t.created, t0);
	assert_int_equal(t.last_seen, t0);
	assert_int_equal(t.idle_expires, t0 + 1800);
	assert_int_equal(t.expires, t0 + 43200);
	assert_int_equal(acct_session_state(&t, t0), ACCT_SESSION_VALID);
	assert_int_equal(acct_session_state(&t, t0 + 1799), ACCT_SESSION_VALID);
	assert_int_equal(acct_session_state(&t, t0 + 1800), ACCT_SESSION_IDLE_EXPIRED);
	/* touched at most once a minute */
	assert_false(acct_session_needs_touch(&t, t0 + 59));
	assert_true(acct_session_needs_touch(&t, t0 + 60));
	/* a request every 20 minutes keeps it alive, but never past 12 hours */
	int64_t now = t0;
	for (int i = 0; i < 40; i++) {
		now += 1200;
		if (now >= t.expires)
			break;
		assert_int_equal(acct_session_state(&t, now), ACCT_SESSION_VALID);
		acct_session_touch(&t, now);
		assert_true(t.idle_expires <= t.expires);
	}
	assert_int_equal(t.idle_expires, t.expires);
	assert_int_equal(acct_session_state(&t, t0 + 43200), ACCT_SESSION_EXPIRED);
	/* a touch from the past changes nothing */
	struct acct_session_times u = acct_session_start(t0);
	acct_session_touch(&u, t0 - 5);
	assert_int_equal(u.last_seen, t0);
	assert_int_equal(u.idle_expires, t0 + 1800);
	u.revoked_at = t0 + 1;
	assert_int_equal(acct_session_state(&u, t0 + 2), ACCT_SESSION_REVOKED);
}

static void windows(void **state)
{
	(void)state;
	assert_int_equal(acct_window_start(1000, 300), 900);
	assert_int_equal(acct_window_start(900, 300), 900);
	assert_int_equal(acct_window_start(899, 300), 600);
	assert_int_equal(acct_window_start(-1, 300), -300);
	assert_int_equal(acct_window_start(0, 300), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(roles),  cmocka_unit_test(emails),   cmocka_unit_test(password_policy),
	    cmocka_unit_test(tokens), cmocka_unit_test(sessions), cmocka_unit_test(windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
