/* Stripe-style webhook signatures (see signature.h). */
#include "sys/signature.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void sig_compute(const char *secret, int64_t t, const char *payload, size_t len, char out[SIG_HEX_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char prefix[24];
	int n = snprintf(prefix, sizeof prefix, "%" PRId64 ".", t);
	crypto_auth_hmacsha256_state st;
	/* the key is the secret's bytes, any length (HMAC hashes a long key) */
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, (unsigned long long)len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, SIG_HEX_LEN + 1, mac, sizeof mac);
	sodium_memzero(&st, sizeof st);
}

size_t sig_header(const char *const *secrets, int n_secrets, int64_t t, const char *payload, size_t len, char *out,
                  size_t size)
{
	int w = snprintf(out, size, "t=%" PRId64, t);
	if (w < 0 || (size_t)w >= size)
		return 0;
	size_t used = (size_t)w;
	for (int i = 0; i < n_secrets; i++) {
		char hex[SIG_HEX_LEN + 1];
		sig_compute(secrets[i], t, payload, len, hex);
		w = snprintf(out + used, size - used, ",v1=%s", hex);
		if (w < 0 || (size_t)w >= size - used)
			return 0;
		used += (size_t)w;
	}
	return used;
}

/* t=<digits>: the timestamp; false when it is not a plain non-negative number. */
static bool parse_t(const char *v, size_t n, int64_t *t)
{
	if (n == 0 || n > 18)
		return false;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	*t = x;
	return true;
}

enum sig_rc sig_verify(const char *header, const char *payload, size_t len, const char *const *secrets, int n_secrets,
                       int64_t now, int64_t tolerance, int64_t *t_out)
{
	if (!header || !*header)
		return SIG_MISSING;
	int64_t t = -1;
	int n_v1 = 0;
	/* pass 1: the timestamp and whether any v1 exists */
	for (const char *p = header; *p;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (eq) {
			size_t klen = (size_t)(eq - p), vlen = n - klen - 1;
			if (klen == 1 && p[0] == 't') {
				if (t >= 0 || !parse_t(eq + 1, vlen, &t))
					return SIG_MALFORMED; /* two t= or a bad one */
			} else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
				n_v1++;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (t < 0 || n_v1 == 0)
		return SIG_MALFORMED;
	if (t_out)
		*t_out = t;
	char want[2][SIG_HEX_LEN + 1];
	int n_want = n_secrets < 2 ? n_secrets : 2;
	for (int i = 0; i < n_want; i++)
		sig_compute(secrets[i], t, payload, len, want[i]);
	bool match = false;
	for (const char *p = header; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 3 + SIG_HEX_LEN && memcmp(p, "v1=", 3) == 0)
			for (int i = 0; i < n_want; i++)
				match |= sodium_memcmp(p + 3, want[i], SIG_HEX_LEN) == 0; /* every one: constant time */
		p += n;
		if (*p == ',')
			p++;
	}
	sodium_memzero(want, sizeof want);
	if (!match)
		return SIG_NO_MATCH;
	/* the timestamp is checked after the match so that a stale but genuine
	 * header says stale, and a forged one never learns about time */
	if (t > now + tolerance || t < now - tolerance)
		return SIG_STALE;
	return SIG_OK;
}

const char *sig_rc_name(enum sig_rc rc)
{
	switch (rc) {
	case SIG_OK:
		return "ok";
	case SIG_MISSING:
		return "missing";
	case SIG_MALFORMED:
		return "malformed";
	case SIG_STALE:
		return "stale";
	case SIG_NO_MATCH:
		return "no_match";
	}
	return "";
}
