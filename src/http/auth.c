/* API key authentication. Accepts "Authorization: Bearer sk_..." and HTTP
 * Basic with the key as the user name (what `curl -u sk_...:` sends), as
 * Stripe does. Keys are looked up by the SHA-256 of the presented secret:
 * secrets are long random strings, so a fast hash is enough (argon2id is for
 * passwords, which are guessable). */
#include "http/auth.h"
#include "store/resources.h"

#include <sodium.h>
#include <string.h>

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void auth_secret_hash(const char *secret, size_t len, char hash_hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)secret, len);
	sodium_bin2hex(hash_hex, 65, h, sizeof h);
	sodium_memzero(h, sizeof h);
}

void auth_key_generate(char secret[AUTH_SECRET_LEN + 1], char hash_hex[65], char last4[5])
{
	memcpy(secret, "sk_", 3);
	for (int i = 3; i < AUTH_SECRET_LEN; i++)
		secret[i] = base62[randombytes_uniform(62)];
	secret[AUTH_SECRET_LEN] = 0;
	auth_secret_hash(secret, AUTH_SECRET_LEN, hash_hex);
	memcpy(last4, secret + AUTH_SECRET_LEN - 4, 4);
	last4[4] = 0;
}

/* Extracts the secret from the header into buf; false when malformed. */
static bool header_secret(const char *h, char *buf, size_t size)
{
	size_t n;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		n = strcspn(h, " ");
		if (n == 0 || n >= size)
			return false;
		memcpy(buf, h, n);
		buf[n] = 0;
		return true;
	}
	if (strncasecmp(h, "Basic ", 6) == 0) {
		h += 6;
		while (*h == ' ')
			h++;
		size_t bin_len = 0;
		if (sodium_base642bin((unsigned char *)buf, size - 1, h, strlen(h), NULL, &bin_len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0)
			return false;
		buf[bin_len] = 0;
		char *colon = strchr(buf, ':'); /* user:password, the key is the user */
		if (colon)
			*colon = 0;
		return buf[0] != 0;
	}
	return false;
}

enum og_ec auth_authenticate(struct og_req *rq, struct db_conn *db)
{
	if (!rq->authorization || !*rq->authorization)
		return og_err(&rq->err, OG_EC_AUTH_MISSING, NULL,
		              "You did not provide an API key. Send it as 'Authorization: Bearer sk_...'.");
	char secret[256];
	if (!header_secret(rq->authorization, secret, sizeof secret))
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL,
		              "The Authorization header is malformed: use 'Bearer sk_...'.");
	char hash[65];
	auth_secret_hash(secret, strlen(secret), hash);
	sodium_memzero(secret, sizeof secret);
	int64_t id = 0, revoked_at = 0;
	enum db_rc rc = store_api_key_find_by_hash(db, hash, &id, &revoked_at);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "Invalid API key provided.");
	if (rc != DB_ROW)
		return rc == DB_RETRY ? og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry.")
		                      : OG_BUG(&rq->err, "api key lookup");
	if (revoked_at)
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "This API key has been revoked.");
	rq->actor.kind = ACTOR_API_KEY;
	rq->actor.api_key_id = id;
	rq->actor.customer_id = 0;
	return OG_EC_NONE;
}
