/* HTTP handlers for /v1/events: the record of every state change, written
 * by the handlers and the billing engine in the change's own transaction
 * (billing_event, billing_sub_event). Read-only here; no SQL (store/events.c).
 * Newest first, like every list. The type filter is an exact match
 * ("invoice.paid"); Stripe's wildcards ("invoice.*") are not supported yet. */
#include "api/api.h"
#include "api/common.h"

#define EVENT_TYPE_MAX 100

struct event_in {
	struct og_page page;
	const char *type;
};
#define IN(m) PARAM_AT(struct event_in, m)

static const struct param_spec list_spec[] = {
    PS_PAGE(struct event_in, page, ID_EVENT),
    PS_STRING("type", IN(type), PARAM_NOWHERE, EVENT_TYPE_MAX, 0, "Only events of this type (exact match)."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};

enum og_ec api_events_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_EVENT, "event", &id);
	if (ec)
		return ec;
	struct og_event e;
	enum db_rc rc = store_event_get(rq->db, rq->arena, id, &e);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "event", NULL);
	return api_reply_event(rq, &e);
}

static bool event_exists(struct og_req *rq, int64_t id)
{
	struct og_event e;
	return store_event_get(rq->db, rq->arena, id, &e) == DB_ROW;
}

enum og_ec api_events_list(struct og_req *rq)
{
	struct event_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	const struct og_page page = in.page;
	const char *type = in.type;
	if (type && !*type)
		type = NULL;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, event_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_event_list(rq->db, rq->arena, &sp, type, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "events", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_event_render(&w, (struct og_event *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/events");
}
