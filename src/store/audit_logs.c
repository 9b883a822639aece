/* Queries for the audit log: one row per successful write by a user or an
 * API key, written in the write's transaction (http/audit.c). */
#include "store/resources.h"

#include <string.h>

#define AUDIT_COLS                                                                                                     \
	"id, created, actor_type, actor_id, role, action, object_type, object_id, client_addr, request_id, "           \
	"idempotency_key"

static void read_audit(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_audit_log *l = row;
	l->id = db_int(r, 0);
	l->created = db_int(r, 1);
	const char *type = store__text(r, a, 2);
	l->actor_is_user = type && strcmp(type, "user") == 0;
	l->actor_id = db_int(r, 3);
	l->role = store__text(r, a, 4);
	l->action = store__text(r, a, 5);
	l->object_type = store__text(r, a, 6);
	l->object_id = store__text(r, a, 7);
	l->client_addr = store__text(r, a, 8);
	l->request_id = store__text(r, a, 9);
	l->idempotency_key = store__text(r, a, 10);
}

enum db_rc store_audit_insert(struct db_conn *db, const struct og_audit_log *l)
{
	static const char sql[] = "INSERT INTO audit_logs (created, actor_type, actor_id, role, action, object_type, "
	                          "object_id, object_key, client_addr, request_id, idempotency_key) "
	                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
	struct db_param params[] = {DB_INT(l->created),         DB_TEXT(l->actor_is_user ? "user" : "api_key"),
	                            DB_INT(l->actor_id),        DB_TEXT(l->role),
	                            DB_TEXT(l->action),         DB_TEXT(l->object_type),
	                            DB_TEXT(l->object_id),      DB_INT_OR_NULL(l->object_key > 0, l->object_key),
	                            DB_TEXT(l->client_addr),    DB_TEXT(l->request_id),
	                            DB_TEXT(l->idempotency_key)};
	enum db_rc rc = db_exec(db, sql, params, 11, NULL);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_audit_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_audit_log *out)
{
	static const char sql[] = "SELECT " AUDIT_COLS " FROM audit_logs WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_audit, out);
}

enum db_rc store_audit_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                            const struct store_audit_filter *f, const struct store_range *created,
                            struct store_list *out)
{
	/* one text per leading filter, so each can walk its index: an object's
	 * rows (object_type, object_key, id), an actor's (actor_type, actor_id,
	 * id), or all by id; the other filters are "($n IS NULL OR ...)" */
#define AUDIT_ACTOR_OPT  " AND (CAST($3 AS TEXT) IS NULL OR (actor_type = $3 AND actor_id = $4))"
#define AUDIT_OBJECT_OPT " AND (CAST($5 AS TEXT) IS NULL OR (object_type = $5 AND object_key = $6))"
#define AUDIT_CREATED    " AND created >= $7 AND created <= $8"
#define AUDIT_SQL(where, order)                                                                                        \
	"SELECT " AUDIT_COLS " FROM audit_logs WHERE " where AUDIT_CREATED " ORDER BY id " order " LIMIT $2"
	static const char all_desc[] = AUDIT_SQL("id < $1" AUDIT_ACTOR_OPT AUDIT_OBJECT_OPT, "DESC");
	static const char all_asc[] = AUDIT_SQL("id > $1" AUDIT_ACTOR_OPT AUDIT_OBJECT_OPT, "ASC");
	static const char object_desc[] =
	    AUDIT_SQL("object_type = $5 AND object_key = $6 AND id < $1" AUDIT_ACTOR_OPT, "DESC");
	static const char object_asc[] =
	    AUDIT_SQL("object_type = $5 AND object_key = $6 AND id > $1" AUDIT_ACTOR_OPT, "ASC");
	static const char actor_desc[] =
	    AUDIT_SQL("actor_type = $3 AND actor_id = $4 AND id < $1" AUDIT_OBJECT_OPT, "DESC");
	static const char actor_asc[] =
	    AUDIT_SQL("actor_type = $3 AND actor_id = $4 AND id > $1" AUDIT_OBJECT_OPT, "ASC");
#undef AUDIT_ACTOR_OPT
#undef AUDIT_OBJECT_OPT
#undef AUDIT_CREATED
#undef AUDIT_SQL
	const char *actor_type = f->actor_kind == 1 ? "api_key" : f->actor_kind == 2 ? "user" : NULL;
	struct db_param params[] = {DB_TEXT(actor_type), DB_INT(f->actor_id), DB_TEXT(f->object_type),
	                            DB_INT(f->object_key), STORE_RANGE_PARAMS(created)};
	bool by_object = f->object_type != NULL, by_actor = actor_type != NULL;
	const char *desc = by_object ? object_desc : by_actor ? actor_desc : all_desc;
	const char *asc = by_object ? object_asc : by_actor ? actor_asc : all_asc;
	return store__list(db, a, desc, asc, params, 6, page, sizeof(struct og_audit_log), read_audit, out);
}
