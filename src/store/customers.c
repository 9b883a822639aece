/* Queries for customers. Soft-deleted (deleted = 1): their subscriptions and
 * invoices keep their history; a deleted customer answers 404, but keeps its
 * invoice_prefix (unique over all rows), so no other customer's series can
 * reuse its invoice numbers. Per-customer invoice numbering takes the next
 * sequence from the customer's row (store_customer_number_take here, the
 * engine's batched take in billing_run.c). */
#include "store/resources.h"

#define CUSTOMER_COLS                                                                                                  \
	"id, email, name, phone, description, address, currency, metadata, created, test_clock_id, invoice_prefix, "   \
	"next_invoice_sequence, default_payment_method_id, balance"

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
	c->invoice_prefix = store__text(r, a, 10);
	c->next_invoice_sequence = db_int(r, 11);
	c->default_payment_method_id = db_int(r, 12); /* issue 14: store/payments.c sets it */
	c->balance = db_int(r, 13);
}

enum db_rc store_customer_insert(struct db_conn *db, struct og_customer *c)
{
	static const char sql[] = "INSERT INTO customers (email, name, phone, description, address, currency, "
	                          "metadata, created, invoice_prefix, next_invoice_sequence) "
	                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
	if (c->next_invoice_sequence < 1)
		c->next_invoice_sequence = 1;
	struct db_param params[] = {DB_TEXT(c->email),          DB_TEXT(c->name),
	                            DB_TEXT(c->phone),          DB_TEXT(c->description),
	                            DB_TEXT(c->address),        DB_TEXT(c->currency),
	                            DB_TEXT(c->metadata),       DB_INT(c->created),
	                            DB_TEXT(c->invoice_prefix), DB_INT(c->next_invoice_sequence)};
	enum db_rc rc = db_query_int(db, sql, params, 10, &c->id);
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
	                          "address = $6, currency = $7, metadata = $8, invoice_prefix = $9, "
	                          "next_invoice_sequence = $10 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(c->id),
	                            DB_TEXT(c->email),
	                            DB_TEXT(c->name),
	                            DB_TEXT(c->phone),
	                            DB_TEXT(c->description),
	                            DB_TEXT(c->address),
	                            DB_TEXT(c->currency),
	                            DB_TEXT(c->metadata),
	                            DB_TEXT(c->invoice_prefix),
	                            DB_INT(c->next_invoice_sequence)};
	return store__exec_changes(db, sql, params, 10);
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

enum db_rc store_customer_find_prefix(struct db_conn *db, const char *prefix, int64_t *id)
{
	static const char sql[] = "SELECT id FROM customers WHERE invoice_prefix = $1";
	struct db_param params[] = {DB_TEXT(prefix)};
	enum db_rc rc = db_query_int(db, sql, params, 1, id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_customer_number_issued(struct db_conn *db, const char *number)
{
	static const char sql[] = "SELECT id FROM invoices WHERE number = $1";
	struct db_param params[] = {DB_TEXT(number)};
	int64_t id = 0;
	enum db_rc rc = db_query_int(db, sql, params, 1, &id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_customer_number_take(struct db_conn *db, struct og_arena *a, int64_t id, const char **prefix,
                                      int64_t *seq)
{
	static const char sql[] = "UPDATE customers SET next_invoice_sequence = next_invoice_sequence + 1 "
	                          "WHERE id = $1 RETURNING invoice_prefix, next_invoice_sequence";
	struct db_param params[] = {DB_INT(id)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, 1, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW) {
		*prefix = store__text(r, a, 0);
		*seq = db_int(r, 1) - 1;
	}
	db_res_free(r);
	return rc;
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

enum db_rc store_customer_list_one(struct db_conn *db, struct og_arena *a, int64_t id, const struct store_page *page,
                                   const char *email, const struct store_range *created, struct store_list *out)
{
#define ONE_FILTERS                                                                                                    \
	" FROM customers WHERE id = $3 AND (CAST($4 AS TEXT) IS NULL OR email = $4) AND deleted = 0 AND created >= "   \
	"$5 "                                                                                                          \
	"AND created <= $6"
	static const char desc[] = "SELECT " CUSTOMER_COLS ONE_FILTERS " AND id < $1 ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " CUSTOMER_COLS ONE_FILTERS " AND id > $1 ORDER BY id ASC LIMIT $2";
#undef ONE_FILTERS
	struct db_param f[] = {DB_INT(id), DB_TEXT(email), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc, asc, f, 4, page, sizeof(struct og_customer), read_customer, out);
}
