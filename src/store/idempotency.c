/* Queries for idempotency keys: the stored first response of a keyed POST,
 * written in the same transaction as the change it guards. */
#include "store/resources.h"

enum db_rc store_idem_get(struct db_conn *db, struct og_arena *a, int64_t api_key_id, const char *key,
                          struct og_idem_row *out)
{
	static const char sql[] = "SELECT id, request_hash, status, response, created FROM idempotency_keys "
	                          "WHERE api_key_id = $1 AND idem_key = $2";
	struct db_param params[] = {DB_INT(api_key_id), DB_TEXT(key)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, 2, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW) {
		out->id = db_int(r, 0);
		out->request_hash = store__text(r, a, 1);
		out->status = (int)db_int(r, 2);
		out->response = store__text(r, a, 3);
		out->created = db_int(r, 4);
	}
	db_res_free(r);
	return rc;
}

enum db_rc store_idem_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "DELETE FROM idempotency_keys WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return db_exec(db, sql, params, 1, NULL);
}

enum db_rc store_idem_insert(struct db_conn *db, int64_t api_key_id, const char *key, const char *request_hash,
                             int status, const char *response, int64_t now)
{
	static const char sql[] = "INSERT INTO idempotency_keys (api_key_id, idem_key, request_hash, status, response, "
	                          "created) VALUES ($1, $2, $3, $4, $5, $6)";
	struct db_param params[] = {DB_INT(api_key_id), DB_TEXT(key),      DB_TEXT(request_hash),
	                            DB_INT(status),     DB_TEXT(response), DB_INT(now)};
	return db_exec(db, sql, params, 6, NULL);
}

enum db_rc store_idem_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted)
{
	static const char sql[] = "DELETE FROM idempotency_keys WHERE id IN "
	                          "(SELECT id FROM idempotency_keys WHERE created < $1 ORDER BY created LIMIT $2)";
	struct db_param params[] = {DB_INT(before), DB_INT(limit)};
	enum db_rc rc = db_exec(db, sql, params, 2, NULL);
	if (rc == DB_OK && n_deleted)
		*n_deleted = db_changes(db);
	return rc;
}
