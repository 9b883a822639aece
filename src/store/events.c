/* Queries for events: one row per state change, written in the change's
 * own transaction; read by GET /v1/events and, later, webhooks and reports. */
#include "store/resources.h"

#define EV_COLS                                                                                                        \
	"id, type, object_type, object_id, customer_id, currency, mrr_before, mrr_after, data, created, request_id, "  \
	"idempotency_key"

static void read_event(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_event *e = row;
	e->id = db_int(r, 0);
	e->type = store__text(r, a, 1);
	e->object_type = store__text(r, a, 2);
	e->object_id = db_int(r, 3);
	e->customer_id = db_int(r, 4);
	e->currency = store__text(r, a, 5);
	e->has_mrr = !db_isnull(r, 6);
	e->mrr_before = db_int(r, 6);
	e->mrr_after = db_int(r, 7);
	e->data = store__text(r, a, 8);
	e->created = db_int(r, 9);
	e->request_id = store__text(r, a, 10);
	e->idempotency_key = store__text(r, a, 11);
}

enum db_rc store_event_insert(struct db_conn *db, struct og_event *ev)
{
	static const char sql[] =
	    "INSERT INTO events (type, object_type, object_id, customer_id, currency, mrr_before, "
	    "mrr_after, data, created, request_id, idempotency_key) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
	struct db_param params[] = {DB_TEXT(ev->type),
	                            DB_TEXT(ev->object_type),
	                            DB_INT(ev->object_id),
	                            DB_OPT(ev->customer_id),
	                            DB_TEXT(ev->currency),
	                            DB_INT_OR_NULL(ev->has_mrr, ev->mrr_before),
	                            DB_INT_OR_NULL(ev->has_mrr, ev->mrr_after),
	                            DB_TEXT(ev->data),
	                            DB_INT(ev->created),
	                            DB_TEXT(ev->request_id),
	                            DB_TEXT(ev->idempotency_key)};
	enum db_rc rc = db_query_int(db, sql, params, 11, &ev->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_event_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_event *out)
{
	static const char sql[] = "SELECT " EV_COLS " FROM events WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_event, out);
}

enum db_rc store_event_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, const char *type,
                            const struct store_range *created, struct store_list *out)
{
	static const char desc[] = "SELECT " EV_COLS " FROM events WHERE id < $1 AND created >= $3 AND created <= $4 "
	                           "ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " EV_COLS " FROM events WHERE id > $1 AND created >= $3 AND created <= $4 "
	                          "ORDER BY id ASC LIMIT $2";
	static const char desc_type[] = "SELECT " EV_COLS " FROM events WHERE type = $3 AND id < $1 "
	                                "AND created >= $4 AND created <= $5 ORDER BY id DESC LIMIT $2";
	static const char asc_type[] = "SELECT " EV_COLS " FROM events WHERE type = $3 AND id > $1 "
	                               "AND created >= $4 AND created <= $5 ORDER BY id ASC LIMIT $2";
	if (!type) {
		struct db_param f[] = {STORE_RANGE_PARAMS(created)};
		return store__list(db, a, desc, asc, f, 2, page, sizeof(struct og_event), read_event, out);
	}
	struct db_param f[] = {DB_TEXT(type), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc_type, asc_type, f, 3, page, sizeof(struct og_event), read_event, out);
}

enum db_rc store_counter_take(struct db_conn *db, const char *name, int64_t n, int64_t *first)
{
	/* a row lock on PostgreSQL, the write lock on SQLite: numbers stay gap-free
	 * because they are taken and used in the same transaction */
	static const char sql[] = "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value";
	struct db_param params[] = {DB_TEXT(name), DB_INT(n)};
	int64_t last = 0;
	enum db_rc rc = db_query_int(db, sql, params, 2, &last);
	if (rc != DB_OK)
		return rc;
	*first = last - n + 1;
	return DB_ROW;
}
