/* API key authentication. Accepts "Authorization: Bearer sk_..." and HTTP
 * Basic with the key as the user name (what `curl -u sk_...:` sends), as
 * Stripe does. Keys are looked up by the SHA-256 of the presented secret:
 * secrets are long random strings, so a fast hash is enough (argon2id is for
 * passwords, which are guessable). */
#include "http/auth.h"
#include "billing/accounts.h"
#include "core/mem.h"
#include "store/resources.h"

#include <sodium.h>
#include <stdlib.h>
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

static enum og_ec auth_key(struct og_req *rq, struct db_conn *db)
{
	char secret[256];
	if (!header_secret(rq->authorization, secret, sizeof secret))
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL,
		              "The Authorization header is malformed: use 'Bearer sk_...'.");
	char hash[65];
	auth_secret_hash(secret, strlen(secret), hash);
	sodium_memzero(secret, sizeof secret);
	struct og_api_key k;
	enum db_rc rc = store_api_key_find_by_hash(db, rq->arena, hash, &k);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "Invalid API key provided.");
	if (rc != DB_ROW)
		return rc == DB_RETRY ? og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry.")
		                      : OG_BUG(&rq->err, "api key lookup");
	if (k.revoked_at)
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "This API key has been revoked.");
	if (k.expires_at && k.expires_at <= rq->now) /* rolled, and its grace period is over */
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "This API key has expired.");
	rq->actor.kind = ACTOR_API_KEY;
	rq->actor.api_key_id = k.id;
	rq->actor.key_restricted = k.restricted;
	rq->actor.key_perms = k.restricted ? k.permissions : NULL;
	rq->actor.customer_id = 0;
	return OG_EC_NONE;
}

/* The value of cookie name in a Cookie header ("a=1; og_session=..."), copied
 * into buf; false when absent or too long. */
static bool cookie_value(const char *header, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t len = strcspn(p, ";");
		if (len > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			while (vlen && p[nlen + 1 + vlen - 1] == ' ')
				vlen--;
			if (vlen >= size)
				return false;
			memcpy(buf, p + nlen + 1, vlen);
			buf[vlen] = 0;
			return true;
		}
		p += len;
	}
	return false;
}

/* A session's last_seen is written at most once a minute, off the loop: a
 * job on the write executor that frees itself. Losing it (a crash) costs a
 * minute of idle time, nothing else. */
struct touch_job {
	struct store_job job;
	struct og_session session;
	int64_t now;
};

static bool touch_run(struct store_job *job, struct db_conn *db)
{
	struct touch_job *t = job->arg;
	struct og_error err;
	og_error_clear(&err);
	struct acct_ctx c = {.db = db, .now = t->now, .err = &err};
	return accounts_session_touch(&c, &t->session) == OG_EC_NONE;
}

static void touch_complete(struct store_job *job, bool committed)
{
	(void)committed;
	free(job->arg);
}

static enum og_ec auth_session(struct og_req *rq, struct db_conn *db, const char *token)
{
	struct acct_ctx c = {.db = db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	struct og_session s;
	struct og_user u;
	bool needs_touch = false;
	enum og_ec ec = accounts_session_authenticate(&c, token, &s, &u, &needs_touch);
	if (ec)
		return ec;
	rq->actor.kind = ACTOR_USER;
	rq->actor.user_id = u.id;
	rq->actor.role = (int)u.role;
	rq->actor.customer_id = u.role == ROLE_CUSTOMER ? u.customer_id : 0;
	rq->actor.session_id = s.id;
	rq->actor.csrf_token = s.csrf_token;
	rq->actor.session_expires = s.times.expires;
	rq->actor.via_cookie = true;
	if (needs_touch && rq->store) {
		struct touch_job *t = xcalloc(1, sizeof *t);
		t->session = s;
		t->session.token_hash = NULL; /* arena strings die with the request */
		t->session.csrf_token = NULL;
		t->now = rq->now;
		t->job.run = touch_run;
		t->job.complete = touch_complete;
		t->job.arg = t;
		store_submit(rq->store, &t->job);
	}
	return OG_EC_NONE;
}

enum og_ec auth_authenticate(struct og_req *rq, struct db_conn *db)
{
	memset(&rq->actor, 0, sizeof rq->actor);
	if (rq->authorization && *rq->authorization)
		return auth_key(rq, db);
	char token[128];
	if (rq->cookie && cookie_value(rq->cookie, AUTH_SESSION_COOKIE, token, sizeof token)) {
		enum og_ec ec = auth_session(rq, db, token);
		sodium_memzero(token, sizeof token);
		return ec;
	}
	return OG_EC_NONE; /* anonymous: the route table decides */
}
