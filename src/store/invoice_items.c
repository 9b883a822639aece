/* Queries for invoice items: pending charges and credits (prorations,
 * one-off items) until an invoice takes them (invoice_id set). */
#include "store/dialect.h"
#include "store/resources.h"

#include <string.h>

#define II_COLS                                                                                                        \
	"id, customer_id, subscription_id, subscription_item_id, invoice_id, price_id, description, unit_amount, "     \
	"quantity, amount, currency, period_start, period_end, proration, metadata, created"

static void read_item(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_invoice_item *it = row;
	it->id = db_int(r, 0);
	it->customer_id = db_int(r, 1);
	it->subscription_id = db_int(r, 2);
	it->subscription_item_id = db_int(r, 3);
	it->invoice_id = db_int(r, 4);
	it->price_id = db_int(r, 5);
	it->description = store__text(r, a, 6);
	it->has_unit_amount = !db_isnull(r, 7);
	it->unit_amount = db_int(r, 7);
	it->quantity = db_int(r, 8);
	it->amount = db_int(r, 9);
	it->currency = store__text(r, a, 10);
	it->period_start = db_int(r, 11);
	it->period_end = db_int(r, 12);
	it->proration = db_int(r, 13) != 0;
	it->metadata = store__text(r, a, 14);
	it->created = db_int(r, 15);
}

enum db_rc store_invoice_item_insert(struct db_conn *db, struct og_invoice_item *it)
{
	static const char sql[] =
	    "INSERT INTO invoice_items (customer_id, subscription_id, subscription_item_id, invoice_id, price_id, "
	    "description, unit_amount, quantity, amount, currency, period_start, period_end, proration, metadata, "
	    "created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";
	struct db_param params[] = {
	    DB_INT(it->customer_id),
	    DB_OPT(it->subscription_id),
	    DB_OPT(it->subscription_item_id),
	    DB_OPT(it->invoice_id),
	    DB_OPT(it->price_id),
	    DB_TEXT(it->description),
	    DB_INT_OR_NULL(it->has_unit_amount, it->unit_amount),
	    DB_INT(it->quantity),
	    DB_INT(it->amount),
	    DB_TEXT(it->currency),
	    DB_INT(it->period_start),
	    DB_INT(it->period_end),
	    DB_INT(it->proration),
	    DB_TEXT(it->metadata ? it->metadata : "{}"),
	    DB_INT(it->created),
	};
	enum db_rc rc = db_query_int(db, sql, params, 15, &it->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql item_by_id =
    STORE_ROW_SQL("SELECT " II_COLS " FROM invoice_items WHERE id = $1 AND deleted = 0");

enum db_rc store_invoice_item_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice_item *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &item_by_id, false, params, 1, read_item, out);
}

enum db_rc store_invoice_item_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id,
                                             struct og_invoice_item *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &item_by_id, true, params, 1, read_item, out);
}

enum db_rc store_invoice_item_update(struct db_conn *db, const struct og_invoice_item *it)
{
	static const char sql[] =
	    "UPDATE invoice_items SET description = $2, unit_amount = $3, quantity = $4, "
	    "amount = $5, metadata = $6, period_start = $7, period_end = $8 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {
	    DB_INT(it->id),           DB_TEXT(it->description), DB_INT_OR_NULL(it->has_unit_amount, it->unit_amount),
	    DB_INT(it->quantity),     DB_INT(it->amount),       DB_TEXT(it->metadata),
	    DB_INT(it->period_start), DB_INT(it->period_end)};
	return store__exec_changes(db, sql, params, 8);
}

enum db_rc store_invoice_item_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE invoice_items SET deleted = 1 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_invoice_items_pending(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                       int64_t subscription_id, const char *currency, struct store_list *out)
{
	static const char sql[] =
	    "SELECT " II_COLS " FROM invoice_items WHERE customer_id = $1 AND invoice_id IS NULL "
	    "AND deleted = 0 AND currency = $3 AND (subscription_id IS NULL OR subscription_id = $2) "
	    "AND id > $4 ORDER BY id LIMIT $5";
	const int max = 1000;
	struct db_param params[] = {DB_INT(customer_id), DB_INT(subscription_id), DB_TEXT(currency), DB_INT(0),
	                            DB_INT(max + 1)};
	struct db_res *r = NULL;
	out->n = 0;
	out->has_more = false;
	out->rows = NULL;
	enum db_rc rc = db_exec(db, sql, params, 5, &r);
	if (rc != DB_OK)
		return rc;
	int cap = 0;
	while ((rc = db_next(r)) == DB_ROW) {
		if (out->n == max) {
			out->has_more = true;
			continue;
		}
		if (out->n == cap) { /* most subscriptions have none: allocate only when there are some */
			int ncap = cap ? cap * 4 : 8;
			void *rows = arena_alloc(a, sizeof(struct og_invoice_item) * (size_t)ncap);
			if (out->n)
				memcpy(rows, out->rows, sizeof(struct og_invoice_item) * (size_t)out->n);
			out->rows = rows;
			cap = ncap;
		}
		read_item(r, a, (struct og_invoice_item *)out->rows + out->n++);
	}
	db_res_free(r);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc store_invoice_items_release(struct db_conn *db, int64_t subscription_id)
{
	static const char sql[] = "UPDATE invoice_items SET subscription_id = NULL, subscription_item_id = NULL "
	                          "WHERE subscription_id = $1 AND invoice_id IS NULL AND deleted = 0";
	struct db_param params[] = {DB_INT(subscription_id)};
	return db_exec(db, sql, params, 1, NULL);
}

enum db_rc store_invoice_item_attach(struct db_conn *db, int64_t id, int64_t invoice_id)
{
	static const char sql[] = "UPDATE invoice_items SET invoice_id = $2 WHERE id = $1 AND invoice_id IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(invoice_id)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_invoice_item_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                   const struct store_invoice_item_filter *f, struct store_list *out)
{
#define II_FILTERS                                                                                                     \
	" AND deleted = 0 AND ($3 = 0 OR customer_id = $3) AND ($4 = 0 OR invoice_id = $4) AND ($5 < 0 OR "            \
	"($5 = 1 AND invoice_id IS NULL) OR ($5 = 0 AND invoice_id IS NOT NULL))"
	static const char desc[] =
	    "SELECT " II_COLS " FROM invoice_items WHERE id < $1" II_FILTERS " ORDER BY id DESC LIMIT $2";
	static const char asc[] =
	    "SELECT " II_COLS " FROM invoice_items WHERE id > $1" II_FILTERS " ORDER BY id ASC LIMIT $2";
#undef II_FILTERS
	struct db_param params[] = {DB_INT(f->customer_id), DB_INT(f->invoice_id), DB_INT(f->pending)};
	return store__list(db, a, desc, asc, params, 3, page, sizeof(struct og_invoice_item), read_item, out);
}

enum db_rc store_invoice_items_detach(struct db_conn *db, int64_t invoice_id, int64_t *n_detached)
{
	static const char sql[] = "UPDATE invoice_items SET invoice_id = NULL WHERE invoice_id = $1";
	struct db_param params[] = {DB_INT(invoice_id)};
	enum db_rc rc = db_exec(db, sql, params, 1, NULL);
	if (rc != DB_OK)
		return rc;
	if (n_detached)
		*n_detached = db_changes(db);
	return DB_OK;
}
