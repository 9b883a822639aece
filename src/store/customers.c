/* Queries for customers. Soft-deleted (deleted = 1): their subscriptions and
 * invoices keep their history; a deleted customer answers 404. */
#include "store/resources.h"

#define CUSTOMER_COLS "id, email, name, phone, description, address, currency, metadata, created, test_clock_id"

static void read_customer(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_customer *c = row;
	c->id = db_int(r, 0);
	c->email = store__text(r, a, 1);
	c->name = store__text(r, a, 2);
	c->phone = store__text(r, a, 3);
	c->description = store__text(r, a, 4);
	c->address = store__text(r, a, 5);
	c->currency = store__text(r, a, 6);
	c->metadata = store__text(r, a, 7);
	c->created = db_int(r, 8);
	c->test_clock_id = db_int(r, 9);
}

enum db_rc store_customer_insert(struct db_conn *db, struct og_customer *c)
{
	static const char sql[] = "INSERT INTO customers (email, name, phone, description, address, currency, "
	                          "metadata, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
	struct db_param params[] = {DB_TEXT(c->email),       DB_TEXT(c->name),    DB_TEXT(c->phone),
	                            DB_TEXT(c->description), DB_TEXT(c->address), DB_TEXT(c->currency),
	                            DB_TEXT(c->metadata),    DB_INT(c->created)};
	enum db_rc rc = db_query_int(db, sql, params, 8, &c->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql customer_by_id =
    STORE_ROW_SQL("SELECT " CUSTOMER_COLS " FROM customers WHERE id = $1 AND deleted = 0");

enum db_rc store_customer_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_customer *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &customer_by_id, false, params, 1, read_customer, out);
}

enum db_rc store_customer_update(struct db_conn *db, const struct og_customer *c)
{
	static const char sql[] = "UPDATE customers SET email = $2, name = $3, phone = $4, description = $5, "
	                          "address = $6, currency = $7, metadata = $8 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(c->id),        DB_TEXT(c->email),       DB_TEXT(c->name),
	                            DB_TEXT(c->phone),    DB_TEXT(c->description), DB_TEXT(c->address),
	                            DB_TEXT(c->currency), DB_TEXT(c->metadata)};
	return store__exec_changes(db, sql, params, 8);
}

enum db_rc store_customer_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_customer *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &customer_by_id, true, params, 1, read_customer, out);
}

enum db_rc store_customer_lock(struct db_conn *db, int64_t id)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, NULL, &customer_by_id, true, params, 1, NULL, NULL);
}

enum db_rc store_customer_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE customers SET deleted = 1 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_customer_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, const char *email,
                               const struct store_range *created, struct store_list *out)
{
	static const char desc[] = "SELECT " CUSTOMER_COLS " FROM customers WHERE deleted = 0 AND id < $1 "
	                           "AND created >= $3 AND created <= $4 ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " CUSTOMER_COLS " FROM customers WHERE deleted = 0 AND id > $1 "
	                          "AND created >= $3 AND created <= $4 ORDER BY id ASC LIMIT $2";
	static const char desc_email[] = "SELECT " CUSTOMER_COLS " FROM customers WHERE email = $3 AND deleted = 0 "
	                                 "AND id < $1 AND created >= $4 AND created <= $5 ORDER BY id DESC LIMIT $2";
	static const char asc_email[] = "SELECT " CUSTOMER_COLS " FROM customers WHERE email = $3 AND deleted = 0 "
	                                "AND id > $1 AND created >= $4 AND created <= $5 ORDER BY id ASC LIMIT $2";
	if (!email) {
		struct db_param f[] = {STORE_RANGE_PARAMS(created)};
		return store__list(db, a, desc, asc, f, 2, page, sizeof(struct og_customer), read_customer, out);
	}
	struct db_param f[] = {DB_TEXT(email), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc_email, asc_email, f, 3, page, sizeof(struct og_customer), read_customer, out);
}
