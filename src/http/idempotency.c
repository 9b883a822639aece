/* Idempotency-Key handling for write requests, inside the job's transaction.
 * The request fingerprint is over method, path and raw body: a repeat must
 * be byte-identical. It is keyed (BLAKE2b under a subkey of the secret key
 * kept outside the database, idem_set_key) because a body can hold a card
 * number whose plain hash, next to the stored last 4 and expiry, could be
 * searched back; without a key (tools, tests) it is SHA-256. Only 2xx responses are stored; a failed
 * request wrote nothing, so retrying it with the same key runs it again.
 * Keys are scoped to the API key that sent them and expire after 24 hours.
 * The stored text is rq->reply_text as the handler rendered it, or
 * rq->reply_stored_text when the handler gave one (a new API key's reply
 * without its secret: a replay answers without it). */
#include "http/idempotency.h"
#include "store/resources.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define IDEM_KEY_MAX 255
#define IDEM_TTL     (24 * 3600)

static unsigned char digest_key[crypto_generichash_KEYBYTES];
static bool digest_keyed;

void idem_set_key(const unsigned char key[32])
{
	memcpy(digest_key, key, sizeof digest_key);
	digest_keyed = true;
}

static void request_hash(const struct og_req *rq, char hex[65])
{
	if (digest_keyed) {
		crypto_generichash_state g;
		unsigned char h[32];
		crypto_generichash_init(&g, digest_key, sizeof digest_key, sizeof h);
		crypto_generichash_update(&g, (const unsigned char *)rq->method_name, strlen(rq->method_name));
		crypto_generichash_update(&g, (const unsigned char *)" ", 1);
		crypto_generichash_update(&g, (const unsigned char *)rq->path, strlen(rq->path));
		crypto_generichash_update(&g, (const unsigned char *)"\n", 1);
		if (rq->body_raw)
			crypto_generichash_update(&g, (const unsigned char *)rq->body_raw, rq->body_len);
		crypto_generichash_final(&g, h, sizeof h);
		sodium_bin2hex(hex, 65, h, sizeof h);
		return;
	}
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)rq->method_name, strlen(rq->method_name));
	crypto_hash_sha256_update(&st, (const unsigned char *)" ", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)rq->path, strlen(rq->path));
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	if (rq->body_raw)
		crypto_hash_sha256_update(&st, (const unsigned char *)rq->body_raw, rq->body_len);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

static enum og_ec db_fail(struct og_req *rq, enum db_rc rc)
{
	if (rc == DB_RETRY)
		return og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.");
	return OG_BUG(&rq->err, "idempotency key store");
}

/* Keys are per caller: an API key's id, or minus a user's id (sessions). */
static int64_t idem_scope(const struct og_actor *a)
{
	return a->kind == ACTOR_USER ? -a->user_id : a->api_key_id;
}

enum og_ec idem_run(struct og_req *rq, api_handler_fn fn)
{
	const char *key = rq->idempotency_key;
	if (!key || rq->method != HTTP_POST)
		return fn(rq);
	size_t len = strlen(key);
	if (len == 0 || len > IDEM_KEY_MAX)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "Idempotency-Key",
		              "Idempotency-Key must be 1 to %d characters.", IDEM_KEY_MAX);
	char hash[65];
	request_hash(rq, hash);
	struct og_idem_row row;
	enum db_rc rc = store_idem_get(rq->db, rq->arena, idem_scope(&rq->actor), key, &row);
	if (rc == DB_ROW && row.created <= rq->now - IDEM_TTL) {
		if ((rc = store_idem_delete(rq->db, row.id)) != DB_OK)
			return db_fail(rq, rc);
		rc = DB_DONE;
	}
	if (rc == DB_ROW) {
		if (strcmp(row.request_hash, hash) != 0) /* a digest of the request, not a secret */
			return og_err(
			    &rq->err, OG_EC_IDEMPOTENCY_MISMATCH, "Idempotency-Key",
			    "Keys for idempotent requests can only be used with the same parameters they "
			    "were first used with. Try using a key other than '%.64s' if you meant to execute "
			    "a different request.",
			    key);
		rq->status = row.status;
		rq->reply_text = (char *)row.response;
		rq->is_stored_reply = true;
		return OG_EC_NONE;
	}
	if (rc != DB_DONE)
		return db_fail(rq, rc);

	enum og_ec ec = fn(rq);
	if (ec)
		return ec;
	int status = rq->status ? rq->status : 200;
	if (!rq->reply_text)
		rq->reply_text = arena_strdup(rq->arena, "{}");
	const char *stored = rq->reply_stored_text ? rq->reply_stored_text : rq->reply_text;
	rc = store_idem_insert(rq->db, idem_scope(&rq->actor), key, hash, status, stored, rq->now);
	if (rc == DB_CONSTRAINT) /* the same key committed by a concurrent request (PostgreSQL pool) */
		return og_err(&rq->err, OG_EC_IDEMPOTENCY_IN_PROGRESS, "Idempotency-Key",
		              "A request with this Idempotency-Key is being processed; retry it shortly.");
	if (rc != DB_OK)
		return db_fail(rq, rc);
	return OG_EC_NONE;
}
