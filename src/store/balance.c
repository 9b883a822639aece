/* Customer balance transactions (migration 0009). store_balance_txn_apply is
 * the ONE writer of customers.balance: in the caller's write transaction it
 * moves the balance by the row's amount (a conditional UPDATE: same currency,
 * the new balance within +-cap) and inserts the row with the balance the
 * UPDATE returned as its ending_balance. So the balance always equals the sum
 * of its rows, even when two writers race (PostgreSQL re-reads the locked
 * row; SQLite has one writer). */
#include "store/resources.h"

#define BTXN_COLS "id, customer_id, amount, currency, description, invoice_id, type, ending_balance, created, metadata"

static void read_btxn(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_balance_txn *t = row;
	t->id = db_int(r, 0);
	t->customer_id = db_int(r, 1);
	t->amount = db_int(r, 2);
	t->currency = store__text(r, a, 3);
	t->description = store__text(r, a, 4);
	t->invoice_id = db_int(r, 5);
	t->type = (enum balance_txn_type)store__enum(r, 6, &model_enum_balance_txn_type);
	t->ending_balance = db_int(r, 7);
	t->created = db_int(r, 8);
	t->metadata = store__text(r, a, 9);
}

struct balance_row {
	int64_t balance;
	const char *currency;
};

static void read_balance(struct db_res *r, struct og_arena *a, void *row)
{
	struct balance_row *b = row;
	b->balance = db_int(r, 0);
	b->currency = store__text(r, a, 1);
}

enum db_rc store_customer_balance(struct db_conn *db, struct og_arena *a, int64_t customer_id, bool lock,
                                  int64_t *balance, const char **currency)
{
	static const struct store_row_sql q = STORE_ROW_SQL(
	    "SELECT balance, COALESCE(balance_currency, currency) FROM customers WHERE id = $1 AND deleted = 0");
	struct db_param params[] = {DB_INT(customer_id)};
	struct balance_row b = {0};
	enum db_rc rc = store__get_row(db, a, &q, lock, params, 1, read_balance, &b);
	if (rc == DB_ROW) {
		*balance = b.balance;
		*currency = b.currency;
	}
	return rc;
}

enum db_rc store_balance_txn_apply(struct db_conn *db, struct og_balance_txn *t, int64_t cap)
{
	/* amount and the stored balance are within +-cap (checked by the caller
	 * and by this very WHERE), so balance + amount cannot overflow. */
	static const char upd[] = "UPDATE customers SET balance = balance + $2, "
	                          "balance_currency = COALESCE(balance_currency, currency, $3) "
	                          "WHERE id = $1 AND deleted = 0 AND COALESCE(balance_currency, currency, $3) = $3 "
	                          "AND balance + $2 BETWEEN -$4 AND $4 RETURNING balance";
	struct db_param up[] = {DB_INT(t->customer_id), DB_INT(t->amount), DB_TEXT(t->currency), DB_INT(cap)};
	enum db_rc rc = db_query_int(db, upd, up, 4, &t->ending_balance);
	if (rc != DB_OK)
		return rc; /* DB_DONE: no such customer, another currency, or beyond the cap */
	static const char ins[] =
	    "INSERT INTO customer_balance_transactions (customer_id, amount, currency, description, "
	    "invoice_id, type, ending_balance, created, metadata) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
	struct db_param in[] = {DB_INT(t->customer_id),
	                        DB_INT(t->amount),
	                        DB_TEXT(t->currency),
	                        DB_TEXT(t->description),
	                        DB_INT_OR_NULL(t->invoice_id > 0, t->invoice_id),
	                        DB_TEXT(balance_txn_type_name(t->type)),
	                        DB_INT(t->ending_balance),
	                        DB_INT(t->created),
	                        DB_TEXT(t->metadata ? t->metadata : "{}")};
	rc = db_query_int(db, ins, in, 9, &t->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_balance_txn_get(struct db_conn *db, struct og_arena *a, int64_t customer_id, int64_t id,
                                 struct og_balance_txn *out)
{
	static const char sql[] =
	    "SELECT " BTXN_COLS " FROM customer_balance_transactions WHERE id = $1 AND customer_id = $2";
	struct db_param params[] = {DB_INT(id), DB_INT(customer_id)};
	return store__get(db, a, sql, params, 2, read_btxn, out);
}

enum db_rc store_balance_txn_update(struct db_conn *db, int64_t id, const char *description, bool set_description,
                                    const char *metadata)
{
	static const char sql[] = "UPDATE customer_balance_transactions SET "
	                          "description = CASE WHEN $2 = 1 THEN $3 ELSE description END, "
	                          "metadata = COALESCE($4, metadata) WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_INT(set_description ? 1 : 0), DB_TEXT(description),
	                            DB_TEXT(metadata)};
	return store__exec_changes(db, sql, params, 4);
}

enum db_rc store_balance_txn_list(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                  const struct store_page *page, struct store_list *out)
{
	static const char desc[] = "SELECT " BTXN_COLS " FROM customer_balance_transactions WHERE customer_id = $3 "
	                           "AND id < $1 ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " BTXN_COLS " FROM customer_balance_transactions WHERE customer_id = $3 "
	                          "AND id > $1 ORDER BY id ASC LIMIT $2";
	struct db_param f[] = {DB_INT(customer_id)};
	return store__list(db, a, desc, asc, f, 1, page, sizeof(struct og_balance_txn), read_btxn, out);
}

enum db_rc store_balance_txn_sum(struct db_conn *db, int64_t customer_id, int64_t *sum)
{
	static const char sql[] =
	    "SELECT COALESCE(SUM(amount), 0) FROM customer_balance_transactions WHERE customer_id = $1";
	struct db_param params[] = {DB_INT(customer_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, sum);
	return rc == DB_OK ? DB_ROW : rc;
}
