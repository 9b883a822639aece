/* HTTP handlers for /v1/api_keys: secret keys for programs. The secret is
 * shown once, in the create response; only its hash is stored. The last
 * active key cannot be revoked (that would lock every caller out). */
#include "api/api.h"
#include "api/common.h"
#include "http/auth.h"

#include <sodium.h>

#define API_KEY_NAME_MAX 100

struct key_in {
	const char *name;
	struct og_page page;
};
#define IN(m) PARAM_AT(struct key_in, m)

static const struct param_spec create_spec[] = {
    PS_STRING("name", IN(name), PARAM_NOWHERE, API_KEY_NAME_MAX, P_NULLABLE, "A label for you (who uses the key)."),
    PS_END,
};
static const struct param_spec list_spec[] = {PS_PAGE(struct key_in, page, ID_API_KEY), PS_END};

enum og_ec api_api_keys_create(struct og_req *rq)
{
	struct og_api_key k = {.created = rq->now};
	struct key_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	k.name = in.name;
	char secret[AUTH_SECRET_LEN + 1], hash[65], last4[5];
	auth_key_generate(secret, hash, last4);
	k.last4 = last4;
	enum db_rc rc = store_api_key_insert(rq->db, hash, last4, k.name, rq->now, &k.id);
	if (rc != DB_ROW) {
		sodium_memzero(secret, sizeof secret);
		return api_db_error(rq, rc, "api_key", NULL);
	}
	/* the secret is shown once: the stored (replayable) copy goes without it */
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, &k, NULL);
	rq->reply_stored_text = jsonw_take(&w, NULL);
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, &k, secret);
	sodium_memzero(secret, sizeof secret);
	return api_reply_jsonw(rq, &w);
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
	int64_t n_active = 0;
	if ((rc = store_api_key_lock_active(rq->db)) != DB_OK)
		return api_db_error(rq, rc, "api_key", NULL);
	if ((rc = store_api_key_count_active(rq->db, &n_active)) != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	if (n_active <= 1)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL,
		              "This is the last active API key; create another before revoking it.");
	if ((rc = store_api_key_revoke(rq->db, id, rq->now)) != DB_ROW)
		return api_db_error(rq, rc, "api_key", NULL);
	k.revoked_at = rq->now;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_api_key_render(&w, &k, NULL);
	return api_reply_jsonw(rq, &w);
}
