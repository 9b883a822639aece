/* GET /v1/audit_logs: who changed what (http/audit.h writes the rows).
 * Newest first; filters actor (a key_ or usr_ id), object (any object's
 * id), created. No SQL here (store/audit_logs.c). */
#include "api/api.h"
#include "api/common.h"
#include "http/audit.h"

#define AUDIT_ID_MAX 64

struct audit_in {
	struct og_page page;
	const char *actor;
	const char *object;
};
#define IN(m) PARAM_AT(struct audit_in, m)

static const struct param_spec list_spec[] = {
    PS_PAGE(struct audit_in, page, ID_AUDIT_LOG),
    PS_STRING("actor", IN(actor), PARAM_NOWHERE, AUDIT_ID_MAX, 0,
              "Only changes by this API key (key_) or user (usr_)."),
    PS_STRING("object", IN(object), PARAM_NOWHERE, AUDIT_ID_MAX, 0, "Only changes to this object (its id)."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};

static bool audit_exists(struct og_req *rq, int64_t id)
{
	struct og_audit_log l;
	return store_audit_get(rq->db, rq->arena, id, &l) == DB_ROW;
}

enum og_ec api_audit_logs_list(struct og_req *rq)
{
	struct audit_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	struct store_audit_filter f = {0};
	if (in.actor) {
		if (ids_decode(ID_API_KEY, in.actor, &f.actor_id))
			f.actor_kind = 1;
		else if (ids_decode(ID_USER, in.actor, &f.actor_id))
			f.actor_kind = 2;
		else
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "actor",
			              "actor must be an API key's (key_...) or a user's (usr_...) id.");
	}
	if (in.object) {
		if (!(f.object_type = audit_object_of(in.object, &f.object_key)))
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "object",
			              "object must be an object's id (cus_..., ...).");
	}
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	const struct og_page page = in.page;
	struct store_page sp;
	if ((ec = api_page(rq, &page, audit_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_audit_list(rq->db, rq->arena, &sp, &f, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "audit_logs", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_audit_log_render(&w, (struct og_audit_log *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/audit_logs");
}
