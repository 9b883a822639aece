/* Accounts, the pure part (see accounts.h): role names, e-mail keys, the
 * password policy with the embedded list of common passwords, token text
 * and hashes, session expiry. No I/O, no randomness, no clock: callers pass
 * bytes and times in. */
#include "core/accounts.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[ROLE__COUNT] = {"owner", "admin", "finance", "support", "analyst", "customer"};

const char *acct_role_name(enum user_role role)
{
	return (unsigned)role < ROLE__COUNT ? role_names[role] : "";
}

bool acct_role_parse(const char *s, enum user_role *role)
{
	for (int i = 0; s && i < ROLE__COUNT; i++)
		if (!strcmp(s, role_names[i])) {
			*role = (enum user_role)i;
			return true;
		}
	return false;
}

bool acct_role_is_staff(enum user_role role)
{
	return (unsigned)role < ROLE_CUSTOMER;
}

bool acct_email_valid(const char *email)
{
	if (!email)
		return false;
	size_t n = strlen(email);
	if (n < 3 || n > ACCT_EMAIL_MAX)
		return false;
	const char *at = NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)email[i];
		if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == ',' || c == ';')
			return false;
		if (c == '@') {
			if (at)
				return false;
			at = email + i;
		}
	}
	if (!at || at == email || !at[1])
		return false;
	const char *dot = strchr(at + 1, '.');
	return dot && dot != at + 1 && dot[1];
}

bool acct_email_key(const char *email, char out[ACCT_EMAIL_MAX + 1])
{
	out[0] = 0;
	if (!acct_email_valid(email))
		return false;
	size_t n = strlen(email);
	for (size_t i = 0; i < n; i++) {
		char c = email[i];
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = 0;
	return true;
}

static const char *const common_passwords[] = {
#include "common_passwords.inc"
};
#define N_COMMON ((int)(sizeof common_passwords / sizeof common_passwords[0]))

static int cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int acct_common_password_count(void)
{
	return N_COMMON;
}

bool acct_password_is_common(const char *s)
{
	char lower[ACCT_PASSWORD_MAX_BYTES + 1];
	size_t n = strlen(s);
	if (n > ACCT_PASSWORD_MAX_BYTES)
		return false;
	for (size_t i = 0; i <= n; i++)
		lower[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	bool found = bsearch(lower, common_passwords, N_COMMON, sizeof common_passwords[0], cmp_word) != NULL;
	sodium_memzero(lower, sizeof lower);
	return found;
}

/* Counts UTF-8 code points; -1 when s is not well-formed UTF-8 or holds a
 * control character. */
static long utf8_chars(const unsigned char *s)
{
	long n = 0;
	while (*s) {
		unsigned c = *s;
		int extra;
		unsigned min;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return -1;
			extra = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			extra = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return -1;
		}
		s++;
		for (int i = 0; i < extra; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return -1;
			c = (c << 6) | (*s & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return -1;
		n++;
	}
	return n;
}

enum acct_pw_verdict acct_password_check(const char *password)
{
	if (!password)
		return ACCT_PW_TOO_SHORT;
	if (strlen(password) > ACCT_PASSWORD_MAX_BYTES)
		return ACCT_PW_TOO_LONG;
	long n = utf8_chars((const unsigned char *)password);
	if (n < 0)
		return ACCT_PW_INVALID;
	if (n < ACCT_PASSWORD_MIN)
		return ACCT_PW_TOO_SHORT;
	if (acct_password_is_common(password))
		return ACCT_PW_COMMON;
	return ACCT_PW_OK;
}

const char *acct_password_verdict_message(enum acct_pw_verdict v)
{
	switch (v) {
	case ACCT_PW_OK:
		return "";
	case ACCT_PW_TOO_SHORT:
		return "The password must be at least 10 characters long.";
	case ACCT_PW_TOO_LONG:
		return "The password must be at most 256 bytes long.";
	case ACCT_PW_INVALID:
		return "The password must be UTF-8 text without control characters.";
	case ACCT_PW_COMMON:
		return "This password is too common: choose another.";
	}
	return "The password is not acceptable.";
}

void acct_token_format(const uint8_t raw[ACCT_TOKEN_BYTES], char out[ACCT_TOKEN_LEN + 1])
{
	sodium_bin2hex(out, ACCT_TOKEN_LEN + 1, raw, ACCT_TOKEN_BYTES);
}

bool acct_token_well_formed(const char *s)
{
	if (!s || strnlen(s, ACCT_TOKEN_LEN + 1) != ACCT_TOKEN_LEN)
		return false;
	for (int i = 0; i < ACCT_TOKEN_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void acct_token_hash(const char *token, char out[ACCT_HASH_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, ACCT_HASH_LEN + 1, digest, sizeof digest);
}

bool acct_secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	return n == 0 || sodium_memcmp(a, b, n) == 0;
}

struct acct_session_times acct_session_start(int64_t now)
{
	struct acct_session_times t = {.created = now, .last_seen = now, .expires = now + ACCT_SESSION_ABSOLUTE};
	t.idle_expires = now + ACCT_SESSION_IDLE;
	return t;
}

enum acct_session_state acct_session_state(const struct acct_session_times *t, int64_t now)
{
	if (t->revoked_at)
		return ACCT_SESSION_REVOKED;
	if (now >= t->expires)
		return ACCT_SESSION_EXPIRED;
	if (now >= t->idle_expires)
		return ACCT_SESSION_IDLE_EXPIRED;
	return ACCT_SESSION_VALID;
}

bool acct_session_needs_touch(const struct acct_session_times *t, int64_t now)
{
	return now - t->last_seen >= ACCT_SESSION_TOUCH;
}

void acct_session_touch(struct acct_session_times *t, int64_t now)
{
	if (now <= t->last_seen)
		return;
	t->last_seen = now;
	t->idle_expires = now + ACCT_SESSION_IDLE < t->expires ? now + ACCT_SESSION_IDLE : t->expires;
}

int64_t acct_window_start(int64_t now, int64_t window)
{
	int64_t r = now % window;
	return now - (r < 0 ? r + window : r);
}
