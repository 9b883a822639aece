/* HTTP handlers for /v1/api_keys: keys for programs. A secret key (sk_)
 * may call every route keys may; a restricted key (rk_) only those whose
 * resource its permissions name (read for GET, write otherwise; the route
 * table checks, http/access.c). The secret is shown once, in the reply that
 * creates it (create or roll); only its hash is stored. The last secret key
 * that keeps working cannot be revoked (that would lock every program out;
 * restricted keys cannot manage keys, so they do not count). */
#include "api/api.h"
#include "api/common.h"
#include "http/access.h"
#include "http/auth.h"
#include "http/router.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_KEY_NAME_MAX  100
#define ROLL_EXPIRES_MAX  86400 /* a day at most for both keys to work */
#define PERM_RESOURCE_MAX 32    /* distinct resources in the route table */

enum key_type { KEY_SECRET, KEY_RESTRICTED };
static const char *const key_types[] = {"secret", "restricted", NULL};

struct key_in {
	const char *name;
	int type;
	bool has_type;
	int64_t expires_in;
	struct og_page page;
};
#define IN(m) PARAM_AT(struct key_in, m)

static const struct param_spec create_spec[] = {
    PS_STRING("name", IN(name), PARAM_NOWHERE, API_KEY_NAME_MAX, P_NULLABLE, "A label for you (who uses the key)."),
    PS_ENUM("type", IN(type), IN(has_type), key_types, 0, "secret (default) or restricted."),
    PS_IGNORE("permissions", "A restricted key's permissions: permissions[RESOURCE]=none|read|write."),
    PS_END,
};
static const struct param_spec roll_spec[] = {
    PS_INT64("expires_in", IN(expires_in), PARAM_NOWHERE, 0, ROLL_EXPIRES_MAX, 0,
             "Seconds the old key keeps working (0, the default: it stops at once)."),
    PS_END,
};
static const struct param_spec list_spec[] = {PS_PAGE(struct key_in, page, ID_API_KEY), PS_END};

/* The resources a restricted key may be given: every resource of a route
 * restricted keys may call, from the route table (new ones appear by
 * themselves). Returns how many, at most max, in table order. */
static int key_resources(const char **out, int max)
{
	int n = 0;
	for (const struct route *r = routes; r->method; r++) {
		if (!(r->allow & AC_RK) || !r->resource || !*r->resource)
			continue;
		bool seen = false;
		for (int i = 0; i < n && !seen; i++)
			seen = strcmp(out[i], r->resource) == 0;
		if (!seen && n < max)
			out[n++] = r->resource;
	}
	return n;
}

struct perm {
	const char *resource;
	const char *level;
};

static int perm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct perm *)a)->resource, ((const struct perm *)b)->resource);
}

enum og_ec api_key_permissions(struct og_arena *arena, json_t *v, const char **out, struct og_error *err)
{
	if (!json_is_object(v))
		return og_err(err, OG_EC_PARAM_INVALID, "permissions",
		              "permissions must be an object: permissions[RESOURCE]=none|read|write.");
	const char *known[PERM_RESOURCE_MAX];
	int n_known = key_resources(known, PERM_RESOURCE_MAX);
	struct perm perms[PERM_RESOURCE_MAX];
	int n = 0;
	size_t len = 1;
	const char *name;
	json_t *level;
	json_object_foreach(v, name, level)
	{
		int k = 0;
		while (k < n_known && strcmp(known[k], name) != 0)
			k++;
		char param[64];
		snprintf(param, sizeof param, "permissions[%.40s]", name);
		if (k == n_known)
			return og_err(err, OG_EC_PARAM_UNKNOWN, param,
			              "Received unknown parameter: %s (no such resource can be given to a key).",
			              param);
		const char *l = json_is_string(level) ? json_string_value(level) : "";
		if (strcmp(l, "none") != 0 && strcmp(l, "read") != 0 && strcmp(l, "write") != 0)
			return og_err(err, OG_EC_PARAM_INVALID, param, "%s must be none, read or write.", param);
		if (strcmp(l, "none") == 0)
			continue;
		perms[n++] = (struct perm){known[k], l};
		len += strlen(known[k]) + strlen(l) + 2;
	}
	qsort(perms, (size_t)n, sizeof perms[0], perm_cmp);
	char *text = arena_alloc(arena, len);
	size_t at = 0;
	text[0] = 0;
	for (int i = 0; i < n; i++)
		at += (size_t)snprintf(text + at, len - at, "%s%s=%s", i ? "," : "", perms[i].resource, perms[i].level);
	*out = text;
	return OG_EC_NONE;
}

void api_key_secret_new(bool restricted, char secret[AUTH_SECRET_LEN + 1], char hash[65], char last4[5])
{
	auth_key_generate(secret, hash, last4);
	if (restricted) { /* the same random characters, another prefix: hash again */
		memcpy(secret, "rk_", 3);
		auth_secret_hash(secret, AUTH_SECRET_LEN, hash);
	}
}

/* Writes k as a new key with a fresh secret (rk_ for a restricted key) and
 * replies with it: the secret is shown once, the stored (replayable) copy
 * goes without it. */
static enum og_ec create_and_reply(struct og_req *rq, struct og_api_key *k)
{
	char secret[AUTH_SECRET_LEN + 1], hash[65], last4[5];
	api_key_secret_new(k->restricted, secret, hash, last4);
	k->last4 = last4;
	k->created = rq->now;
	k->revoked_at = 0;
	k->expires_at = 0;
	enum db_rc rc = store_api_key_create(rq->db, hash, k);
	if (rc != DB_ROW) {
		sodium_memzero(secret, sizeof secret);
		return api_db_error(rq, rc, "api_key", NULL);
	}
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, k, NULL);
	rq->reply_stored_text = jsonw_take(&w, NULL);
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, k, secret);
	sodium_memzero(secret, sizeof secret);
	return api_reply_jsonw(rq, &w);
}

enum og_ec api_api_keys_create(struct og_req *rq)
{
	struct key_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct og_api_key k = {.name = in.name, .restricted = in.type == KEY_RESTRICTED, .permissions = ""};
	json_t *perms = json_object_get(rq->body, "permissions");
	if (perms && !k.restricted)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "permissions",
		              "Only a restricted key has permissions: send type=restricted too.");
	if (perms && (ec = api_key_permissions(rq->arena, perms, &k.permissions, &rq->err)))
		return ec;
	return create_and_reply(rq, &k);
}

enum og_ec api_api_keys_roll(struct og_req *rq)
{
	struct key_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, roll_spec, &in);
	if (ec)
		return ec;
	int64_t id;
	if ((ec = api_path_id(rq, ID_API_KEY, "api_key", &id)))
		return ec;
	struct og_api_key old;
	enum db_rc rc = store_api_key_get(rq->db, rq->arena, id, &old);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	if (old.revoked_at)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL, "This API key is revoked; it cannot be rolled.");
	if (old.expires_at && old.expires_at <= rq->now)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL, "This API key has expired; it cannot be rolled.");
	/* the old key stops now, or after the grace period (never later than
	 * an earlier roll already set) */
	if (in.expires_in == 0) {
		rc = store_api_key_revoke(rq->db, id, rq->now);
	} else {
		int64_t at = rq->now + in.expires_in;
		if (old.expires_at && old.expires_at < at)
			at = old.expires_at;
		rc = store_api_key_expire(rq->db, id, at);
	}
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	struct og_api_key k = {.name = old.name, .restricted = old.restricted, .permissions = old.permissions};
	return create_and_reply(rq, &k);
}

static bool key_exists(struct og_req *rq, int64_t id)
{
	struct og_api_key k;
	return store_api_key_get(rq->db, rq->arena, id, &k) == DB_ROW;
}

enum og_ec api_api_keys_list(struct og_req *rq)
{
	struct key_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	const struct og_page page = in.page;
	struct store_page sp;
	if ((ec = api_page(rq, &page, key_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_api_key_list(rq->db, rq->arena, &sp, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "api_keys", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_api_key_render(&w, (struct og_api_key *)list.rows + i, NULL);
	return api_list_end(rq, &w, list.has_more, "/v1/api_keys");
}

enum og_ec api_api_keys_revoke(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_API_KEY, "api_key", &id);
	if (ec)
		return ec;
	struct og_api_key k;
	enum db_rc rc = store_api_key_get(rq->db, rq->arena, id, &k);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	if (k.revoked_at)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL, "This API key is already revoked.");
	if (!k.restricted) {
		int64_t n_others = 0;
		if ((rc = store_api_key_lock_active(rq->db)) != DB_OK)
			return api_db_error(rq, rc, "api_key", NULL);
		if ((rc = store_api_key_count_active(rq->db, id, &n_others)) != DB_ROW)
			return api_db_error(rq, rc, "api_key", NULL);
		if (n_others == 0)
			return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL,
			              "This is the last active secret key; create or roll another before revoking it.");
	}
	if ((rc = store_api_key_revoke(rq->db, id, rq->now)) != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	k.revoked_at = rq->now;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, &k, NULL);
	return api_reply_jsonw(rq, &w);
}
