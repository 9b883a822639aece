/* Queries for test clocks and the customers that live on them. */
#include "store/resources.h"

#define CLOCK_COLS "id, name, frozen_time, status, metadata, created"

static void read_clock(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_test_clock *c = row;
	c->id = db_int(r, 0);
	c->name = store__text(r, a, 1);
	c->frozen_time = db_int(r, 2);
	c->status = (enum test_clock_status)store__enum(r, 3, &model_enum_test_clock_status);
	c->metadata = store__text(r, a, 4);
	c->created = db_int(r, 5);
}

enum db_rc store_test_clock_insert(struct db_conn *db, struct og_test_clock *c)
{
	static const char sql[] = "INSERT INTO test_clocks (name, frozen_time, status, metadata, created) "
	                          "VALUES ($1, $2, $3, $4, $5) RETURNING id";
	struct db_param params[] = {DB_TEXT(c->name), DB_INT(c->frozen_time),
	                            DB_TEXT(test_clock_status_name(c->status)),
	                            DB_TEXT(c->metadata ? c->metadata : "{}"), DB_INT(c->created)};
	enum db_rc rc = db_query_int(db, sql, params, 5, &c->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_test_clock_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_test_clock *out)
{
	static const char sql[] = "SELECT " CLOCK_COLS " FROM test_clocks WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_clock, out);
}

enum db_rc store_test_clock_time(struct db_conn *db, int64_t id, int64_t *frozen_time)
{
	static const char sql[] = "SELECT frozen_time FROM test_clocks WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, frozen_time);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_test_clock_set(struct db_conn *db, int64_t id, int64_t frozen_time, enum test_clock_status status)
{
	static const char sql[] = "UPDATE test_clocks SET frozen_time = $2, status = $3 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id), DB_INT(frozen_time), DB_TEXT(test_clock_status_name(status))};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_test_clock_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE test_clocks SET deleted = 1 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_test_clock_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                 struct store_list *out)
{
	static const char desc[] = "SELECT " CLOCK_COLS " FROM test_clocks WHERE deleted = 0 AND id < $1 "
	                           "ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " CLOCK_COLS " FROM test_clocks WHERE deleted = 0 AND id > $1 "
	                          "ORDER BY id ASC LIMIT $2";
	return store__list(db, a, desc, asc, NULL, 0, page, sizeof(struct og_test_clock), read_clock, out);
}

enum db_rc store_customer_test_clock(struct db_conn *db, int64_t customer_id, int64_t *clock_id)
{
	static const char sql[] = "SELECT test_clock_id FROM customers WHERE id = $1";
	struct db_param params[] = {DB_INT(customer_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, clock_id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_customer_set_test_clock(struct db_conn *db, int64_t customer_id, int64_t clock_id)
{
	static const char sql[] = "UPDATE customers SET test_clock_id = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(customer_id), DB_OPT(clock_id)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_test_clock_count_customers(struct db_conn *db, int64_t clock_id, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM customers WHERE test_clock_id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(clock_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}
