/* Queries for products. Products are soft-deleted (deleted = 1): prices and
 * invoices keep pointing at them, and a deleted product answers 404. */
#include "store/resources.h"

#define PRODUCT_COLS "id, name, description, active, metadata, created, updated"

static void read_product(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_product *p = row;
	p->id = db_int(r, 0);
	p->name = store__text(r, a, 1);
	p->description = store__text(r, a, 2);
	p->active = db_int(r, 3) != 0;
	p->metadata = store__text(r, a, 4);
	p->created = db_int(r, 5);
	p->updated = db_int(r, 6);
}

enum db_rc store_product_insert(struct db_conn *db, struct og_product *p)
{
	static const char sql[] = "INSERT INTO products (name, description, active, metadata, created, updated) "
	                          "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
	struct db_param params[] = {DB_TEXT(p->name), DB_TEXT(p->description), DB_INT(p->active), DB_TEXT(p->metadata),
	                            DB_INT(p->created)};
	enum db_rc rc = db_query_int(db, sql, params, 5, &p->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql product_by_id =
    STORE_ROW_SQL("SELECT " PRODUCT_COLS " FROM products WHERE id = $1 AND deleted = 0");

enum db_rc store_product_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_product *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &product_by_id, false, params, 1, read_product, out);
}

enum db_rc store_product_update(struct db_conn *db, const struct og_product *p)
{
	static const char sql[] = "UPDATE products SET name = $2, description = $3, active = $4, metadata = $5, "
	                          "updated = $6 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(p->id),     DB_TEXT(p->name),     DB_TEXT(p->description),
	                            DB_INT(p->active), DB_TEXT(p->metadata), DB_INT(p->updated)};
	return store__exec_changes(db, sql, params, 6);
}

enum db_rc store_product_delete(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] =
	    "UPDATE products SET deleted = 1, active = 0, updated = $2 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_product_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_product *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &product_by_id, true, params, 1, read_product, out);
}

enum db_rc store_product_lock(struct db_conn *db, int64_t id)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, NULL, &product_by_id, true, params, 1, NULL, NULL);
}

enum db_rc store_product_count_active_prices(struct db_conn *db, int64_t id, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM prices WHERE product_id = $1 AND active = 1";
	struct db_param params[] = {DB_INT(id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_product_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, int active,
                              const struct store_range *created, struct store_list *out)
{
	static const char desc_any[] = "SELECT " PRODUCT_COLS " FROM products WHERE deleted = 0 AND id < $1 "
	                               "AND created >= $3 AND created <= $4 ORDER BY id DESC LIMIT $2";
	static const char asc_any[] = "SELECT " PRODUCT_COLS " FROM products WHERE deleted = 0 AND id > $1 "
	                              "AND created >= $3 AND created <= $4 ORDER BY id ASC LIMIT $2";
	static const char desc_active[] = "SELECT " PRODUCT_COLS " FROM products WHERE active = $3 AND deleted = 0 "
	                                  "AND id < $1 AND created >= $4 AND created <= $5 ORDER BY id DESC LIMIT $2";
	static const char asc_active[] = "SELECT " PRODUCT_COLS " FROM products WHERE active = $3 AND deleted = 0 "
	                                 "AND id > $1 AND created >= $4 AND created <= $5 ORDER BY id ASC LIMIT $2";
	if (active < 0) {
		struct db_param f[] = {STORE_RANGE_PARAMS(created)};
		return store__list(db, a, desc_any, asc_any, f, 2, page, sizeof(struct og_product), read_product, out);
	}
	struct db_param f[] = {DB_INT(active), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc_active, asc_active, f, 3, page, sizeof(struct og_product), read_product, out);
}
