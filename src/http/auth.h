/* Authentication: turns the Authorization header or the session cookie into
 * rq->actor.
 * Secret keys are "sk_" + 32 random base62 characters; only their SHA-256
 * hash is stored (api_keys.secret_hash), looked up by hash and compared in
 * constant time. Runs on the loop thread with its read connection. */
#ifndef OG_AUTH_H
#define OG_AUTH_H

#include "http/req.h"

#define AUTH_SESSION_COOKIE "og_session"

/* Fills rq->actor from the Authorization header (an API key) or, without
 * one, the session cookie; neither leaves the actor anonymous (the route
 * table decides: http/access.h). AUTH_INVALID / SESSION_INVALID (401) for
 * credentials that are wrong, revoked or expired. db is a read connection. */
enum og_ec auth_authenticate(struct og_req *rq, struct db_conn *db);

#endif

#ifndef OG_AUTH_KEYGEN
#define OG_AUTH_KEYGEN
#define AUTH_SECRET_LEN 35 /* "sk_" + 32 */
/* A new secret key: secret (NUL-terminated, AUTH_SECRET_LEN chars), the
 * hex SHA-256 stored in its place, and its last four characters. */
void auth_key_generate(char secret[AUTH_SECRET_LEN + 1], char hash_hex[65], char last4[5]);
/* Hex SHA-256 of a presented secret. */
void auth_secret_hash(const char *secret, size_t len, char hash_hex[65]);
#endif
