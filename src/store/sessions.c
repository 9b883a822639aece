/* Queries for sessions and password reset tokens (store/accounts.h). Both
 * are looked up by the SHA-256 of their token (core/accounts.c): the token
 * itself is never stored. Single use of a reset token is one conditional
 * UPDATE, so two concurrent confirmations cannot both win. */
#include "store/accounts.h"

#define SESSION_COLS "id, user_id, token_hash, csrf_token, created, last_seen, idle_expires, expires, revoked_at"

static void read_session(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_session *s = row;
	s->id = db_int(r, 0);
	s->user_id = db_int(r, 1);
	s->token_hash = store__text(r, a, 2);
	s->csrf_token = store__text(r, a, 3);
	s->times.created = db_int(r, 4);
	s->times.last_seen = db_int(r, 5);
	s->times.idle_expires = db_int(r, 6);
	s->times.expires = db_int(r, 7);
	s->times.revoked_at = db_int(r, 8);
}

enum db_rc store_session_insert(struct db_conn *db, struct og_session *s)
{
	static const char sql[] = "INSERT INTO sessions (token_hash, user_id, csrf_token, created, last_seen, "
	                          "idle_expires, expires) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
	struct db_param params[] = {DB_TEXT(s->token_hash),   DB_INT(s->user_id),         DB_TEXT(s->csrf_token),
	                            DB_INT(s->times.created), DB_INT(s->times.last_seen), DB_INT(s->times.idle_expires),
	                            DB_INT(s->times.expires)};
	enum db_rc rc = db_query_int(db, sql, params, 7, &s->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_session_find(struct db_conn *db, struct og_arena *a, const char *token_hash, struct og_session *out)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_hash = $1";
	struct db_param params[] = {DB_TEXT(token_hash)};
	return store__get(db, a, sql, params, 1, read_session, out);
}

enum db_rc store_session_touch(struct db_conn *db, int64_t id, int64_t last_seen, int64_t idle_expires)
{
	static const char sql[] = "UPDATE sessions SET last_seen = $2, idle_expires = $3 "
	                          "WHERE id = $1 AND revoked_at IS NULL AND last_seen < $2";
	struct db_param params[] = {DB_INT(id), DB_INT(last_seen), DB_INT(idle_expires)};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_session_revoke(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_session_revoke_user(struct db_conn *db, int64_t user_id, int64_t now, int64_t *n)
{
	static const char sql[] = "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
	struct db_param params[] = {DB_INT(user_id), DB_INT(now)};
	enum db_rc rc = db_exec(db, sql, params, 2, NULL);
	if (rc == DB_OK && n)
		*n = db_changes(db);
	return rc;
}

enum db_rc store_session_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted)
{
	static const char sql[] = "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires < $1 "
	                          "OR idle_expires < $1 OR revoked_at < $1 ORDER BY id LIMIT $2)";
	struct db_param params[] = {DB_INT(before), DB_INT(limit)};
	enum db_rc rc = db_exec(db, sql, params, 2, NULL);
	if (rc == DB_OK)
		*n_deleted = db_changes(db);
	return rc;
}

enum db_rc store_reset_insert(struct db_conn *db, const char *token_hash, int64_t user_id, int64_t now, int64_t expires,
                              int64_t *id)
{
	static const char sql[] = "INSERT INTO password_resets (token_hash, user_id, created, expires) "
	                          "VALUES ($1, $2, $3, $4) RETURNING id";
	struct db_param params[] = {DB_TEXT(token_hash), DB_INT(user_id), DB_INT(now), DB_INT(expires)};
	enum db_rc rc = db_query_int(db, sql, params, 4, id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_reset_find(struct db_conn *db, const char *token_hash, struct og_password_reset *out)
{
	static const char sql[] = "SELECT id, user_id, created, expires, used_at FROM password_resets "
	                          "WHERE token_hash = $1";
	struct db_param params[] = {DB_TEXT(token_hash)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, 1, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW) {
		out->id = db_int(r, 0);
		out->user_id = db_int(r, 1);
		out->created = db_int(r, 2);
		out->expires = db_int(r, 3);
		out->used_at = db_int(r, 4);
	}
	db_res_free(r);
	return rc;
}

enum db_rc store_reset_use(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL "
	                          "AND expires > $2";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_reset_invalidate_user(struct db_conn *db, int64_t user_id, int64_t now)
{
	static const char sql[] = "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL";
	struct db_param params[] = {DB_INT(user_id), DB_INT(now)};
	return db_exec(db, sql, params, 2, NULL);
}

enum db_rc store_reset_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted)
{
	static const char sql[] = "DELETE FROM password_resets WHERE id IN (SELECT id FROM password_resets "
	                          "WHERE expires < $1 OR used_at < $1 ORDER BY id LIMIT $2)";
	struct db_param params[] = {DB_INT(before), DB_INT(limit)};
	enum db_rc rc = db_exec(db, sql, params, 2, NULL);
	if (rc == DB_OK)
		*n_deleted = db_changes(db);
	return rc;
}
