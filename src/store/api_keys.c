/* Queries for API keys. Only the SHA-256 of a secret is stored. */
#include "store/resources.h"

#include <string.h>

#define KEY_COLS "id, last4, name, created, revoked_at, type, permissions, expires_at"

static void read_key(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_api_key *k = row;
	k->id = db_int(r, 0);
	k->last4 = store__text(r, a, 1);
	k->name = store__text(r, a, 2);
	k->created = db_int(r, 3);
	k->revoked_at = db_int(r, 4);
	const char *type = store__text(r, a, 5);
	k->restricted = type && strcmp(type, "restricted") == 0;
	k->permissions = store__text(r, a, 6);
	k->expires_at = db_int(r, 7);
}

enum db_rc store_api_key_create(struct db_conn *db, const char *secret_hash, struct og_api_key *k)
{
	static const char sql[] = "INSERT INTO api_keys (secret_hash, last4, name, created, type, permissions) "
	                          "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
	struct db_param params[] = {DB_TEXT(secret_hash),
	                            DB_TEXT(k->last4),
	                            DB_TEXT(k->name),
	                            DB_INT(k->created),
	                            DB_TEXT(k->restricted ? "restricted" : "secret"),
	                            DB_TEXT(k->restricted && k->permissions ? k->permissions : "")};
	enum db_rc rc = db_query_int(db, sql, params, 6, &k->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_api_key_insert(struct db_conn *db, const char *secret_hash, const char *last4, const char *name,
                                int64_t now, int64_t *id)
{
	struct og_api_key k = {.last4 = last4, .name = name, .created = now};
	enum db_rc rc = store_api_key_create(db, secret_hash, &k);
	*id = k.id;
	return rc;
}

enum db_rc store_api_key_find_by_hash(struct db_conn *db, struct og_arena *a, const char *secret_hash,
                                      struct og_api_key *out)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM api_keys WHERE secret_hash = $1";
	struct db_param params[] = {DB_TEXT(secret_hash)};
	return store__get(db, a, sql, params, 1, read_key, out);
}

enum db_rc store_api_key_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_api_key *out)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM api_keys WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_key, out);
}

enum db_rc store_api_key_revoke(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_api_key_expire(struct db_conn *db, int64_t id, int64_t at)
{
	static const char sql[] = "UPDATE api_keys SET expires_at = $2 WHERE id = $1 AND revoked_at IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(at)};
	return store__exec_changes(db, sql, params, 2);
}

/* Secret keys that keep working: not revoked and not set to expire (a
 * rolled key on its way out does not keep anyone in). */
#define ACTIVE_SECRET "type = 'secret' AND revoked_at IS NULL AND expires_at IS NULL"

enum db_rc store_api_key_count_active(struct db_conn *db, int64_t except_id, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM api_keys WHERE " ACTIVE_SECRET " AND id <> $1";
	struct db_param params[] = {DB_INT(except_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_api_key_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                              struct store_list *out)
{
	static const char desc[] = "SELECT " KEY_COLS " FROM api_keys WHERE id < $1 ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " KEY_COLS " FROM api_keys WHERE id > $1 ORDER BY id ASC LIMIT $2";
	return store__list(db, a, desc, asc, NULL, 0, page, sizeof(struct og_api_key), read_key, out);
}

enum db_rc store_api_key_lock_active(struct db_conn *db)
{
	static const char sql[] = "UPDATE api_keys SET revoked_at = revoked_at WHERE " ACTIVE_SECRET;
	return db_exec(db, sql, NULL, 0, NULL);
}
