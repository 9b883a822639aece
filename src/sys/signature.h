/* Stripe-style webhook signatures, both ways: the header oneGuard sends
 * with each webhook delivery (issue 15) and the check of the header Stripe
 * sends to POST /v1/webhooks/stripe (issue 14).
 *
 *     Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>[,v1=...]
 *
 * The HMAC is over the timestamp, a dot and the raw payload bytes, keyed by
 * the endpoint's secret as its bytes ("whsec_..." whole, as Stripe's SDKs
 * use it). Several v1 values appear while a secret is rolled (both secrets
 * sign); other schemes (v0, ...) are ignored. A header is accepted when one
 * v1 value matches one of the given secrets (compared in constant time) and
 * its t is within tolerance seconds of now, either side. */
#ifndef OG_SIGNATURE_H
#define OG_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define SIG_HEX_LEN 64 /* hex of an HMAC-SHA256 */

enum sig_rc {
	SIG_OK = 0,
	SIG_MISSING,   /* no header, or empty */
	SIG_MALFORMED, /* no t=, a t that is not a number, or no v1= */
	SIG_STALE,     /* t is further from now than the tolerance */
	SIG_NO_MATCH,  /* no v1 value matches any secret */
};

/* The hex HMAC-SHA256 of "<t>.<payload>" under secret, into
 * out[SIG_HEX_LEN + 1]. */
void sig_compute(const char *secret, int64_t t, const char *payload, size_t len, char out[SIG_HEX_LEN + 1]);

/* The header value "t=<t>,v1=<hex>[,v1=<hex>]" signing payload with each of
 * the n_secrets secrets (1 or 2), into out (size bytes; at least
 * SIG_HEADER_MAX). Returns the length, or 0 when out is too small. */
#define SIG_HEADER_MAX (24 + 2 * (4 + SIG_HEX_LEN) + 1)
size_t sig_header(const char *const *secrets, int n_secrets, int64_t t, const char *payload, size_t len, char *out,
                  size_t size);

/* Checks a received header against payload and the n_secrets secrets.
 * *t_out (may be NULL) gets the header's timestamp when it parsed. */
enum sig_rc sig_verify(const char *header, const char *payload, size_t len, const char *const *secrets, int n_secrets,
                       int64_t now, int64_t tolerance, int64_t *t_out);

/* "ok", "missing", "malformed", "stale", "no_match" */
const char *sig_rc_name(enum sig_rc rc);

#endif
