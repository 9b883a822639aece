/* The audit log's writer (see audit.h). */
#include "http/audit.h"
#include "core/ids.h"
#include "http/access.h"
#include "http/router.h"
#include "store/resources.h"

#include <string.h>

/* The "object" name of each id kind, as the renderers write it. */
static const char *const object_names[ID__COUNT] = {
    [ID_PRODUCT] = "product",
    [ID_PRICE] = "price",
    [ID_CUSTOMER] = "customer",
    [ID_SUBSCRIPTION] = "subscription",
    [ID_SUB_ITEM] = "subscription_item",
    [ID_INVOICE] = "invoice",
    [ID_INVOICE_LINE] = "line_item",
    [ID_INVOICE_ITEM] = "invoiceitem",
    [ID_EVENT] = "event",
    [ID_API_KEY] = "api_key",
    [ID_TEST_CLOCK] = "test_helpers.test_clock",
    [ID_USER] = "user",
    [ID_AUDIT_LOG] = "audit_log",
};

const char *audit_object_of(const char *public_id, int64_t *key)
{
	int64_t id;
	for (int k = 0; public_id && k < ID__COUNT; k++)
		if (ids_decode((enum id_kind)k, public_id, &id)) {
			if (key)
				*key = id;
			return object_names[k] ? object_names[k] : ids_prefix((enum id_kind)k);
		}
	return NULL;
}

const char *audit_object_type_of(const char *public_id)
{
	return audit_object_of(public_id, NULL);
}

/* The string value after `key` at *p in reply text ("<key>":"value"), into
 * the arena; advances *p past it. NULL when the text is not so. */
static const char *leading_string(struct og_arena *a, const char **p, const char *key)
{
	size_t klen = strlen(key);
	if (strncmp(*p, key, klen) != 0)
		return NULL;
	const char *v = *p + klen, *end = strchr(v, '"');
	if (!end || end == v || end - v >= ID_MAX_LEN + 32 || memchr(v, '\\', (size_t)(end - v)))
		return NULL;
	*p = end + 1;
	return arena_strndup(a, v, (size_t)(end - v));
}

enum og_ec audit_record(struct og_req *rq, struct db_conn *db, const char *action, const char *object_type,
                        const char *object_id)
{
	if (rq->actor.kind != ACTOR_API_KEY && rq->actor.kind != ACTOR_USER)
		return OG_BUG(&rq->err, "an audit record without an actor");
	bool is_user = rq->actor.kind == ACTOR_USER;
	struct og_audit_log l = {
	    .created = rq->now,
	    .actor_is_user = is_user,
	    .actor_id = is_user ? rq->actor.user_id : rq->actor.api_key_id,
	    .role = access_principal_name(access_principal(&rq->actor)),
	    .action = action,
	    .object_type = object_type,
	    .object_id = object_id,
	    .object_key = 0,
	    .client_addr = rq->client_addr[0] ? rq->client_addr : NULL,
	    .request_id = rq->request_id[0] ? rq->request_id : NULL,
	    .idempotency_key = rq->idempotency_key,
	};
	if (object_id && !audit_object_of(object_id, &l.object_key))
		l.object_key = 0;
	enum db_rc rc = store_audit_insert(db, &l);
	if (rc == DB_ROW)
		return OG_EC_NONE;
	if (rc == DB_RETRY)
		return og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.");
	return OG_BUG(&rq->err, "audit log insert");
}

static enum og_ec audit_of(struct og_req *rq, const char *pattern)
{
	if (rq->is_stored_reply || (rq->actor.kind != ACTOR_API_KEY && rq->actor.kind != ACTOR_USER))
		return OG_EC_NONE;
	const char *action = arena_printf(rq->arena, "%s %s", rq->method_name, pattern);

	const char *object_type = NULL, *object_id = NULL;
	if (strstr(pattern, "{id}") && rq->n_path_params > 0) {
		object_id = req_path_param(rq, 0);
		object_type = audit_object_type_of(object_id);
	} else if (rq->reply_text) {
		/* every object's text starts {"id":"...","object":"..." */
		const char *p = rq->reply_text;
		object_id = leading_string(rq->arena, &p, "{\"id\":\"");
		object_type = object_id ? leading_string(rq->arena, &p, ",\"object\":\"") : NULL;
		if (!object_type)
			object_id = NULL;
	}
	return audit_record(rq, rq->db, action, object_type, object_id);
}

enum og_ec audit_write(struct og_req *rq, const struct route *route)
{
	return audit_of(rq, route->pattern);
}

enum og_ec audit_flow(struct og_req *rq)
{
	return audit_of(rq, rq->route ? rq->route : "");
}

enum og_ec audit_flow_as(struct og_req *rq, int64_t user_id, int role, int64_t customer_id, const char *object_id)
{
	struct og_actor saved = rq->actor;
	rq->actor.kind = ACTOR_USER;
	rq->actor.user_id = user_id;
	rq->actor.role = role;
	rq->actor.customer_id = customer_id;
	enum og_ec ec = audit_record(rq, rq->db, arena_printf(rq->arena, "%s %s", rq->method_name, rq->route),
	                             audit_object_type_of(object_id), object_id);
	rq->actor = saved;
	return ec;
}
