/* Queries for the abuse limits' counters (store/accounts.h): one row per
 * bucket ("login:ip:127.0.0.1", "login:email:ann@x.io", ...) and fixed
 * window, bumped with one upsert so concurrent hits all count. The
 * policy (which buckets, how many hits) is billing/accounts.c's. */
#include "store/accounts.h"

enum db_rc store_limit_hit(struct db_conn *db, const char *bucket, int64_t window_start, int64_t *hits)
{
	static const char sql[] = "INSERT INTO auth_limits (bucket, window_start, hits) VALUES ($1, $2, 1) "
	                          "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = auth_limits.hits + 1 "
	                          "RETURNING hits";
	struct db_param params[] = {DB_TEXT(bucket), DB_INT(window_start)};
	enum db_rc rc = db_query_int(db, sql, params, 2, hits);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_limit_count(struct db_conn *db, const char *bucket, int64_t window_start, int64_t *hits)
{
	static const char sql[] = "SELECT hits FROM auth_limits WHERE bucket = $1 AND window_start = $2";
	struct db_param params[] = {DB_TEXT(bucket), DB_INT(window_start)};
	*hits = 0;
	enum db_rc rc = db_query_int(db, sql, params, 2, hits);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_limit_clear(struct db_conn *db, const char *bucket)
{
	static const char sql[] = "DELETE FROM auth_limits WHERE bucket = $1";
	struct db_param params[] = {DB_TEXT(bucket)};
	return db_exec(db, sql, params, 1, NULL);
}

enum db_rc store_limit_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted)
{
	/* the key is (bucket, window_start): a row value, on both backends */
	static const char sql[] = "DELETE FROM auth_limits WHERE (bucket, window_start) IN (SELECT bucket, "
	                          "window_start FROM auth_limits WHERE window_start < $1 ORDER BY window_start, bucket "
	                          "LIMIT $2)";
	struct db_param params[] = {DB_INT(before), DB_INT(limit)};
	enum db_rc rc = db_exec(db, sql, params, 2, NULL);
	if (rc == DB_OK && n_deleted)
		*n_deleted = db_changes(db);
	return rc;
}
