/* Shared handler helpers. No SQL here: see src/store. */
#include "api/common.h"
#include "billing/invoices.h"
#include "sys/log.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum og_ec api_path_id(struct og_req *rq, enum id_kind kind, const char *what, int64_t *id)
{
	const char *s = req_path_param(rq, 0);
	if (!ids_decode(kind, s, id))
		return og_err(&rq->err, OG_EC_RESOURCE_MISSING, "id", "No such %s: '%.64s'", what, s);
	return OG_EC_NONE;
}

enum og_ec api_db_error(struct og_req *rq, enum db_rc rc, const char *what, const char *param)
{
	switch (rc) {
	case DB_DONE:
		return og_err(&rq->err, OG_EC_RESOURCE_MISSING, param ? param : "id", "No such %s: '%.64s'", what,
		              req_path_param(rq, 0));
	case DB_RETRY:
		return og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.");
	default:
		return OG_BUG(&rq->err, what);
	}
}

enum og_ec api_metadata_apply(struct og_req *rq, const char *stored, json_t *changes, const char **out)
{
	struct billing_ctx bc = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	return billing_metadata_apply(&bc, stored, changes, out);
}

/* Room for a page of ten customers without growing. */
#define API_JSONW_INITIAL 4096

void api_jsonw_init(struct og_req *rq, struct og_jsonw *w)
{
	jsonw_init(w, rq->arena, API_JSONW_INITIAL);
}

enum og_ec api_reply_jsonw(struct og_req *rq, struct og_jsonw *w)
{
	assert(w->depth == 0 && w->arena == rq->arena);
	rq->reply_text = jsonw_take(w, NULL);
	if (!rq->status)
		rq->status = 200;
	return OG_EC_NONE;
}

void api_list_begin(struct og_req *rq, struct og_jsonw *w)
{
	api_jsonw_init(rq, w);
	model_list_begin(w);
}

enum og_ec api_list_end(struct og_req *rq, struct og_jsonw *w, bool has_more, const char *url)
{
	model_list_end(w, has_more, url);
	return api_reply_jsonw(rq, w);
}

/* The one-object replies: start a writer, render, reply. */
#define REPLY_WITH(rq, render_call)                                                                                    \
	do {                                                                                                           \
		struct og_jsonw w_;                                                                                    \
		api_jsonw_init((rq), &w_);                                                                             \
		struct og_jsonw *w = &w_;                                                                              \
		render_call;                                                                                           \
		return api_reply_jsonw((rq), w);                                                                       \
	} while (0)

enum og_ec api_reply_product(struct og_req *rq, const struct og_product *p)
{
	REPLY_WITH(rq, model_product_render(w, p));
}

enum og_ec api_reply_price(struct og_req *rq, const struct og_price *p)
{
	REPLY_WITH(rq, model_price_render(w, p));
}

enum og_ec api_reply_customer(struct og_req *rq, const struct og_customer *c)
{
	REPLY_WITH(rq, model_customer_render(w, c));
}

enum og_ec api_reply_test_clock(struct og_req *rq, const struct og_test_clock *c)
{
	REPLY_WITH(rq, model_test_clock_render(w, c));
}

enum og_ec api_reply_invoice_item(struct og_req *rq, const struct og_invoice_item *it)
{
	REPLY_WITH(rq, model_invoice_item_render(w, it));
}

enum og_ec api_reply_invoice(struct og_req *rq, const struct og_invoice *inv, const struct og_invoice_line *lines,
                             int n_lines, bool has_more)
{
	REPLY_WITH(rq, model_invoice_render(w, inv, lines, n_lines, has_more));
}

enum og_ec api_reply_event(struct og_req *rq, const struct og_event *e)
{
	REPLY_WITH(rq, model_event_render(w, e));
}

enum og_ec api_page(struct og_req *rq, const struct og_page *in, api_exists_fn exists, struct store_page *out)
{
	if (in->starting_after && in->ending_before)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "ending_before",
		              "You may only specify one of starting_after and ending_before.");
	out->limit = in->limit > 0 ? in->limit : 10;
	out->starting_after = in->starting_after;
	out->ending_before = in->ending_before;
	if (in->starting_after && !exists(rq, in->starting_after))
		return og_err(&rq->err, OG_EC_CURSOR_MISSING, "starting_after",
		              "starting_after names an object that does not exist.");
	if (in->ending_before && !exists(rq, in->ending_before))
		return og_err(&rq->err, OG_EC_CURSOR_MISSING, "ending_before",
		              "ending_before names an object that does not exist.");
	return OG_EC_NONE;
}

enum og_ec api_reply_deleted(struct og_req *rq, enum id_kind kind, int64_t id, const char *object)
{
	REPLY_WITH(rq, model_deleted_render(w, kind, id, object));
}

enum og_ec api_clock_now(struct og_req *rq, int64_t test_clock_id, int64_t *now)
{
	if (test_clock_id <= 0) {
		*now = rq->now;
		return OG_EC_NONE;
	}
	enum db_rc rc = store_test_clock_time(rq->db, test_clock_id, now);
	return rc == DB_ROW ? OG_EC_NONE : OG_BUG(&rq->err, "an object's test clock is missing");
}

enum og_ec api_emit(struct og_req *rq, const char *type, const char *object_type, int64_t object_id,
                    int64_t customer_id)
{
	struct billing_ctx bc = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	if (!rq->reply_text)
		return OG_BUG(&rq->err, "an event without its rendered object");
	return billing_event(&bc, type, object_type, object_id, customer_id, rq->reply_text);
}

struct created_in {
	int64_t at, gt, ge, lt, le;
	bool has_at, has_gt, has_ge, has_lt, has_le;
};
#define CREATED(m) PARAM_AT(struct created_in, m)

static const struct param_spec created_bounds[] = {
    PS_TIMESTAMP("gt", CREATED(gt), CREATED(has_gt), 0, "Created after this Unix time."),
    PS_TIMESTAMP("gte", CREATED(ge), CREATED(has_ge), 0, "Created at or after this Unix time."),
    PS_TIMESTAMP("lt", CREATED(lt), CREATED(has_lt), 0, "Created before this Unix time."),
    PS_TIMESTAMP("lte", CREATED(le), CREATED(has_le), 0, "Created at or before this Unix time."),
    PS_END,
};
/* Parsed from rq->query itself (so query strings coerce and errors name
 * created[gte]); every other key there was checked by the caller's spec. */
static const struct param_spec created_exact[] = {
    PS_TIMESTAMP("created", CREATED(at), CREATED(has_at), 0, "Created at this Unix time."),
    PS_IGNORE_OTHERS,
    PS_END,
};
static const struct param_spec created_range[] = {
    PS_OBJECT("created", created_bounds, PARAM_NOWHERE, PARAM_NOWHERE, 0, "A range of creation times."),
    PS_IGNORE_OTHERS,
    PS_END,
};

enum og_ec api_created_range(struct og_req *rq, int64_t *gte, int64_t *lte)
{
	*gte = 0;
	*lte = INT64_MAX;
	json_t *v = json_object_get(rq->query, "created");
	if (!v)
		return OG_EC_NONE;
	struct created_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, json_is_object(v) ? created_range : created_exact, &in);
	if (ec)
		return ec;
	int64_t at = in.at, gt = in.gt, ge = in.ge, lt = in.lt, le = in.le;
	bool has_at = in.has_at, has_gt = in.has_gt, has_ge = in.has_ge, has_lt = in.has_lt, has_le = in.has_le;
	/* every timestamp is in [0, 253402300799]: gt + 1 and lt - 1 cannot overflow */
	if (has_at)
		*gte = *lte = at;
	if (has_gt && gt + 1 > *gte)
		*gte = gt + 1;
	if (has_ge && ge > *gte)
		*gte = ge;
	if (has_lt && lt - 1 < *lte)
		*lte = lt - 1;
	if (has_le && le < *lte)
		*lte = le;
	return OG_EC_NONE;
}

bool api_customer_hidden(const struct og_req *rq, int64_t owner_customer_id)
{
	return rq->actor.customer_id && owner_customer_id != rq->actor.customer_id;
}

int64_t api_customer_filter(const struct og_req *rq, int64_t asked)
{
	if (!rq->actor.customer_id)
		return asked;
	return asked && asked != rq->actor.customer_id ? -1 : rq->actor.customer_id;
}
