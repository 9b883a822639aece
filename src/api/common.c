/* Shared handler helpers. No SQL here: see src/store. */
#include "api/common.h"
#include "billing/service.h"
#include "core/log.h"

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

json_t *api_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

void api_set_id(json_t *obj, const char *key, enum id_kind kind, int64_t id)
{
	if (id <= 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	char buf[ID_MAX_LEN];
	json_object_set_new(obj, key, json_string(ids_encode(kind, id, buf)));
}

json_t *api_json_text(const char *text, bool null_when_empty)
{
	if (text && text[0] == '{' && text[1] == '}' && !text[2])
		return json_object(); /* most metadata: skip the parser */
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	if (v)
		return v;
	return null_when_empty ? json_null() : json_object();
}

enum og_ec api_metadata_apply(struct og_req *rq, const char *stored, json_t *changes, const char **out)
{
	struct billing_ctx bc = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	return billing_metadata_apply(&bc, stored, changes, out);
}

void api_reply_list(struct og_req *rq, json_t *data, bool has_more, const char *url)
{
	json_t *o = json_object();
	json_object_set_new(o, "object", json_string("list"));
	json_object_set_new(o, "data", data);
	json_object_set_new(o, "has_more", json_boolean(has_more));
	json_object_set_new(o, "url", json_string(url));
	api_reply(rq, o);
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
	json_decref(rq->reply); /* the text is the whole reply */
	rq->reply = NULL;
	rq->reply_text = jsonw_take(w, NULL);
	if (!rq->status)
		rq->status = 200;
	return OG_EC_NONE;
}

void api_list_begin(struct og_req *rq, struct og_jsonw *w)
{
	api_jsonw_init(rq, w);
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "list");
	jsonw_key(w, "data");
	jsonw_array_begin(w);
}

enum og_ec api_list_end(struct og_req *rq, struct og_jsonw *w, bool has_more, const char *url)
{
	jsonw_array_end(w);
	jsonw_key_bool(w, "has_more", has_more);
	jsonw_key_string(w, "url", url);
	jsonw_object_end(w);
	return api_reply_jsonw(rq, w);
}

void api_write_id(struct og_jsonw *w, const char *key, enum id_kind kind, int64_t id)
{
	if (id <= 0) {
		jsonw_key_null(w, key);
		return;
	}
	char buf[ID_MAX_LEN];
	jsonw_key_string(w, key, ids_encode(kind, id, buf));
}

void api_write_json_text(struct og_jsonw *w, const char *key, const char *text, bool null_when_empty)
{
	size_t n = text ? strlen(text) : 0;
	if (n >= 2 && ((text[0] == '{' && text[n - 1] == '}') || (text[0] == '[' && text[n - 1] == ']')))
		jsonw_key_raw(w, key, text);
	else if (null_when_empty)
		jsonw_key_null(w, key);
	else
		jsonw_key_raw(w, key, "{}");
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

enum og_ec api_reply(struct og_req *rq, json_t *obj)
{
	if (rq->reply)
		json_decref(rq->reply);
	rq->reply = obj;
	if (!rq->status)
		rq->status = 200;
	return OG_EC_NONE;
}

enum og_ec api_reply_deleted(struct og_req *rq, enum id_kind kind, int64_t id, const char *object)
{
	json_t *o = json_object();
	api_set_id(o, "id", kind, id);
	json_object_set_new(o, "object", json_string(object));
	json_object_set_new(o, "deleted", json_true());
	return api_reply(rq, o);
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
	return billing_event(&bc, type, object_type, object_id, customer_id, json_incref(rq->reply));
}

enum og_ec api_created_range(struct og_req *rq, int64_t *gte, int64_t *lte)
{
	*gte = 0;
	*lte = INT64_MAX;
	json_t *v = json_object_get(rq->query, "created");
	if (!v)
		return OG_EC_NONE;
	int64_t at = 0, gt = 0, ge = 0, lt = 0, le = 0;
	bool has_at = false, has_gt = false, has_ge = false, has_lt = false, has_le = false;
	struct param_spec range[] = {
	    PARAM_TIMESTAMP("gt", &gt, &has_gt, 0),
	    PARAM_TIMESTAMP("gte", &ge, &has_ge, 0),
	    PARAM_TIMESTAMP("lt", &lt, &has_lt, 0),
	    PARAM_TIMESTAMP("lte", &le, &has_le, 0),
	    PARAM_END,
	};
	/* parsed from rq->query itself (so query strings coerce and errors name
	 * created[gte]): every other key there was checked by the caller's
	 * spec, so the spec here ignores it */
	size_t n = json_object_size(rq->query), i = 0;
	struct param_spec *spec = arena_alloc(rq->arena, sizeof *spec * (n + 1));
	const char *key;
	json_t *val;
	json_object_foreach(rq->query, key, val)
	{
		(void)val;
		if (strcmp(key, "created"))
			spec[i++] = (struct param_spec)PARAM_IGNORE(key);
		else if (json_is_object(v))
			spec[i++] = (struct param_spec)PARAM_OBJECT("created", range, NULL, 0);
		else
			spec[i++] = (struct param_spec)PARAM_TIMESTAMP("created", &at, &has_at, 0);
	}
	spec[i] = (struct param_spec)PARAM_END;
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
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
