/* Helpers every resource handler shares: ids in paths, metadata merging,
 * list envelopes and cursor checks, mapping store results to errors. */
#ifndef OG_API_COMMON_H
#define OG_API_COMMON_H

#include "core/ids.h"
#include "core/jsonw.h"
#include "http/params.h"
#include "http/req.h"
#include "model/render.h"
#include "store/resources.h"

#include <jansson.h>

/* Decodes path parameter 0 as an id of kind; a malformed id answers 404 like
 * a missing one ("No such <what>: '<value>'"). */
enum og_ec api_path_id(struct og_req *rq, enum id_kind kind, const char *what, int64_t *id);

/* The error for a store result that is not a success: DB_DONE -> 404 naming
 * what and id; DB_RETRY -> 503; anything else -> 500 (logged). */
enum og_ec api_db_error(struct og_req *rq, enum db_rc rc, const char *what, const char *param);

/* Applies a metadata parameter (PT_METADATA output) to stored metadata text:
 * json null clears all, "" removes a key, other values set it. At most 50
 * keys afterwards. *out gets compact, key-sorted JSON text in the arena. */
enum og_ec api_metadata_apply(struct og_req *rq, const char *stored, json_t *changes, const char **out);

/* Every reply is text rendered by the domain model's renderers
 * (model/render.h) with core/jsonw: no jansson tree is built to reply. The
 * text goes to rq->reply_text (rq->reply stays NULL).
 * api_jsonw_init starts a writer in the request's arena; api_reply_jsonw
 * sets rq->reply_text to its finished document with status 200. */
void api_jsonw_init(struct og_req *rq, struct og_jsonw *w);
enum og_ec api_reply_jsonw(struct og_req *rq, struct og_jsonw *w);
/* A list reply: api_list_begin writes {"object":"list","data":[ ; render
 * each element with its model renderer, then api_list_end closes with
 * has_more and url and replies. */
void api_list_begin(struct og_req *rq, struct og_jsonw *w);
enum og_ec api_list_end(struct og_req *rq, struct og_jsonw *w, bool has_more, const char *url);

/* One object as the whole reply (status 200 unless set): a handler's render
 * step is one call. */
enum og_ec api_reply_product(struct og_req *rq, const struct og_product *p);
enum og_ec api_reply_price(struct og_req *rq, const struct og_price *p);
enum og_ec api_reply_customer(struct og_req *rq, const struct og_customer *c);
enum og_ec api_reply_test_clock(struct og_req *rq, const struct og_test_clock *c);
enum og_ec api_reply_invoice_item(struct og_req *rq, const struct og_invoice_item *it);
enum og_ec api_reply_invoice(struct og_req *rq, const struct og_invoice *inv, const struct og_invoice_line *lines,
                             int n_lines, bool has_more);
enum og_ec api_reply_event(struct og_req *rq, const struct og_event *e);

/* Converts parsed pagination into a store page; checks that cursors name
 * existing objects via exists(rq, id) (a missing one answers 400 naming the
 * parameter). Both cursors at once are refused. */
typedef bool (*api_exists_fn)(struct og_req *rq, int64_t id);
enum og_ec api_page(struct og_req *rq, const struct og_page *in, api_exists_fn exists, struct store_page *out);

/* The list filter `created` from the query string: an exact Unix second
 * (created=5) or a range object with any of gt, gte, lt, lte
 * (created[gte]=5). Gives the inclusive range [*gte, *lte]: absent ->
 * [0, INT64_MAX]; gt -> gte + 1, lt -> lte - 1, several bounds intersect; a
 * range no time can fall in comes back with *gte > *lte. A bad value
 * answers 400 naming `created` or `created[gte]` etc.; an unknown key in
 * the object answers 400 (unknown parameter `created[foo]`). The list
 * endpoint's own spec must accept the key: PS_IGNORE("created", ...). */
enum og_ec api_created_range(struct og_req *rq, int64_t *gte, int64_t *lte);

/* Customer users (rq->actor.customer_id) reach their own customer's objects
 * only (http/access.h): api_customer_hidden is true when owner_customer_id
 * is another's, which the handler answers exactly like a missing object;
 * api_customer_filter is a list's customer filter for the caller: a
 * customer user's own (-1, matching nothing, when it asked for another's),
 * anyone else's as asked. */
bool api_customer_hidden(const struct og_req *rq, int64_t owner_customer_id);
int64_t api_customer_filter(const struct og_req *rq, int64_t asked);

/* "Now" for a customer: the frozen time of its test clock (test_clock_id >
 * 0), else rq->now. */
enum og_ec api_clock_now(struct og_req *rq, int64_t test_clock_id, int64_t *now);

/* Writes an event in the request's transaction with rq->reply_text (the
 * object, already rendered) as its payload. Returns the handler's result: use as
 * `return api_emit(rq, "product.created", "product", p.id, 0);`. */
enum og_ec api_emit(struct og_req *rq, const char *type, const char *object_type, int64_t object_id,
                    int64_t customer_id);

/* A deleted-object reply: {"id":..,"object":..,"deleted":true}. */
enum og_ec api_reply_deleted(struct og_req *rq, enum id_kind kind, int64_t id, const char *object);

#endif
