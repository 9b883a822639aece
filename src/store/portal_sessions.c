/* Queries for billing portal sessions (store/accounts.h). Looked up by the
 * SHA-256 of the link's token; redeeming is one conditional UPDATE, so a
 * link signs in once even when two requests race. */
#include "store/accounts.h"

enum db_rc store_portal_session_insert(struct db_conn *db, const char *token_hash, struct og_portal_session *s)
{
	static const char sql[] = "INSERT INTO portal_sessions (token_hash, customer_id, return_url, created, expires) "
	                          "VALUES ($1, $2, $3, $4, $5) RETURNING id";
	struct db_param params[] = {DB_TEXT(token_hash), DB_INT(s->customer_id), DB_TEXT(s->return_url),
	                            DB_INT(s->created), DB_INT(s->expires)};
	enum db_rc rc = db_query_int(db, sql, params, 5, &s->id);
	return rc == DB_OK ? DB_ROW : rc;
}

static void read_portal(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_portal_session *s = row;
	s->id = db_int(r, 0);
	s->customer_id = db_int(r, 1);
	s->return_url = store__text(r, a, 2);
	s->created = db_int(r, 3);
	s->expires = db_int(r, 4);
	s->used_at = db_int(r, 5);
	s->url = NULL;
}

enum db_rc store_portal_session_find(struct db_conn *db, struct og_arena *a, const char *token_hash,
                                     struct og_portal_session *out)
{
	static const char sql[] = "SELECT id, customer_id, return_url, created, expires, used_at "
	                          "FROM portal_sessions WHERE token_hash = $1";
	struct db_param params[] = {DB_TEXT(token_hash)};
	return store__get(db, a, sql, params, 1, read_portal, out);
}

enum db_rc store_portal_session_use(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] =
	    "UPDATE portal_sessions SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires > $2";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}
