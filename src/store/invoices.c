/* Queries for invoices and their lines. The unique key on
 * (subscription_id, cycle_period_start) is what makes a second invoice for
 * the same subscription period impossible, whatever runs concurrently. */
#include "store/dialect.h"
#include "store/resources.h"

#include <string.h>

#define INV_COLS                                                                                                       \
	"id, customer_id, subscription_id, status, number, currency, billing_reason, collection_method, "              \
	"days_until_due, cycle_period_start, period_start, period_end, subtotal, total, amount_due, amount_paid, "     \
	"amount_remaining, due_date, past_due, paid_out_of_band, description, metadata, created, finalized_at, "       \
	"paid_at, voided_at, marked_uncollectible_at, starting_balance, ending_balance"

static void read_invoice(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_invoice *v = row;
	v->id = db_int(r, 0);
	v->customer_id = db_int(r, 1);
	v->subscription_id = db_int(r, 2);
	v->status = (enum invoice_status)store__enum(r, 3, &model_enum_invoice_status);
	v->number = store__text(r, a, 4);
	v->currency = store__text(r, a, 5);
	v->billing_reason = (enum billing_reason)store__enum(r, 6, &model_enum_billing_reason);
	v->collection_method = (enum collection_method)store__enum(r, 7, &model_enum_collection_method);
	v->has_days_until_due = !db_isnull(r, 8);
	v->days_until_due = db_int(r, 8);
	v->cycle_period_start = db_int(r, 9);
	v->period_start = db_int(r, 10);
	v->period_end = db_int(r, 11);
	v->subtotal = db_int(r, 12);
	v->total = db_int(r, 13);
	v->amount_due = db_int(r, 14);
	v->amount_paid = db_int(r, 15);
	v->amount_remaining = db_int(r, 16);
	v->due_date = db_int(r, 17);
	v->past_due = db_int(r, 18) != 0;
	v->paid_out_of_band = db_int(r, 19) != 0;
	v->description = store__text(r, a, 20);
	v->metadata = store__text(r, a, 21);
	v->created = db_int(r, 22);
	v->finalized_at = db_int(r, 23);
	v->paid_at = db_int(r, 24);
	v->voided_at = db_int(r, 25);
	v->marked_uncollectible_at = db_int(r, 26);
	v->starting_balance = db_int(r, 27);
	v->ending_balance = db_int(r, 28);
}

#define INV_PARAMS(v)                                                                                                  \
	DB_INT((v)->customer_id), DB_OPT((v)->subscription_id), DB_TEXT(invoice_status_name((v)->status)),             \
	    DB_TEXT((v)->number), DB_TEXT((v)->currency), DB_TEXT(billing_reason_name((v)->billing_reason)),           \
	    DB_TEXT(collection_method_name((v)->collection_method)),                                                   \
	    DB_INT_OR_NULL((v)->has_days_until_due, (v)->days_until_due), DB_OPT((v)->cycle_period_start),             \
	    DB_INT((v)->period_start), DB_INT((v)->period_end), DB_INT((v)->subtotal), DB_INT((v)->total),             \
	    DB_INT((v)->amount_due), DB_INT((v)->amount_paid), DB_INT((v)->amount_remaining), DB_OPT((v)->due_date),   \
	    DB_INT((v)->past_due), DB_INT((v)->paid_out_of_band), DB_TEXT((v)->description), DB_TEXT((v)->metadata),   \
	    DB_INT((v)->created), DB_OPT((v)->finalized_at), DB_OPT((v)->paid_at), DB_OPT((v)->voided_at),             \
	    DB_OPT((v)->marked_uncollectible_at), DB_INT((v)->starting_balance), DB_INT((v)->ending_balance)

enum db_rc store_invoice_insert(struct db_conn *db, struct og_invoice *inv)
{
	static const char sql[] =
	    "INSERT INTO invoices (customer_id, subscription_id, status, number, currency, billing_reason, "
	    "collection_method, days_until_due, cycle_period_start, period_start, period_end, subtotal, total, "
	    "amount_due, amount_paid, amount_remaining, due_date, past_due, paid_out_of_band, description, metadata, "
	    "created, finalized_at, paid_at, voided_at, marked_uncollectible_at, starting_balance, ending_balance) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
	    "$22, $23, $24, $25, $26, $27, $28) RETURNING id";
	struct db_param params[] = {INV_PARAMS(inv)};
	enum db_rc rc = db_query_int(db, sql, params, 28, &inv->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql invoice_by_id = STORE_ROW_SQL("SELECT " INV_COLS " FROM invoices WHERE id = $1");

enum db_rc store_invoice_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &invoice_by_id, false, params, 1, read_invoice, out);
}

enum db_rc store_invoice_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &invoice_by_id, true, params, 1, read_invoice, out);
}

enum db_rc store_invoice_update(struct db_conn *db, const struct og_invoice *inv)
{
	static const char sql[] =
	    "UPDATE invoices SET customer_id = $1, subscription_id = $2, status = $3, number = $4, currency = $5, "
	    "billing_reason = $6, collection_method = $7, days_until_due = $8, cycle_period_start = $9, "
	    "period_start = $10, period_end = $11, subtotal = $12, total = $13, amount_due = $14, amount_paid = $15, "
	    "amount_remaining = $16, due_date = $17, past_due = $18, paid_out_of_band = $19, description = $20, "
	    "metadata = $21, created = $22, finalized_at = $23, paid_at = $24, voided_at = $25, "
	    "marked_uncollectible_at = $26, starting_balance = $27, ending_balance = $28 WHERE id = $29";
	struct db_param params[] = {INV_PARAMS(inv), DB_INT(inv->id)};
	return store__exec_changes(db, sql, params, 29);
}

enum db_rc store_invoice_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                              const struct store_invoice_filter *f, struct store_list *out)
{
#define INV_FILTERS                                                                                                    \
	" AND ($3 = 0 OR customer_id = $3) AND ($4 = 0 OR subscription_id = $4) AND (CAST($5 AS TEXT) IS NULL "        \
	"OR status = $5) AND created >= $6 AND created <= $7"
	static const char desc[] =
	    "SELECT " INV_COLS " FROM invoices WHERE id < $1" INV_FILTERS " ORDER BY id DESC LIMIT $2";
	static const char asc[] =
	    "SELECT " INV_COLS " FROM invoices WHERE id > $1" INV_FILTERS " ORDER BY id ASC LIMIT $2";
#undef INV_FILTERS
	struct db_param params[] = {DB_INT(f->customer_id), DB_INT(f->subscription_id),
	                            DB_TEXT(f->has_status ? invoice_status_name(f->status) : NULL),
	                            DB_INT(f->created_gte), DB_INT(f->created_lte ? f->created_lte : INT64_MAX)};
	return store__list(db, a, desc, asc, params, 5, page, sizeof(struct og_invoice), read_invoice, out);
}

enum db_rc store_invoice_line_insert(struct db_conn *db, struct og_invoice_line *l)
{
	static const char sql[] =
	    "INSERT INTO invoice_lines (invoice_id, line_type, subscription_id, subscription_item_id, invoice_item_id, "
	    "price_id, description, unit_amount, quantity, amount, currency, period_start, period_end, proration) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id";
	struct db_param params[] = {
	    DB_INT(l->invoice_id),      DB_TEXT(line_type_name(l->line_type)),
	    DB_OPT(l->subscription_id), DB_OPT(l->subscription_item_id),
	    DB_OPT(l->invoice_item_id), DB_OPT(l->price_id),
	    DB_TEXT(l->description),    DB_INT_OR_NULL(l->has_unit_amount, l->unit_amount),
	    DB_INT(l->quantity),        DB_INT(l->amount),
	    DB_TEXT(l->currency),       DB_INT(l->period_start),
	    DB_INT(l->period_end),      DB_INT(l->proration),
	};
	enum db_rc rc = db_query_int(db, sql, params, 14, &l->id);
	return rc == DB_OK ? DB_ROW : rc;
}

static void read_line(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_invoice_line *l = row;
	l->id = db_int(r, 0);
	l->invoice_id = db_int(r, 1);
	l->line_type = (enum line_type)store__enum(r, 2, &model_enum_line_type);
	l->subscription_id = db_int(r, 3);
	l->subscription_item_id = db_int(r, 4);
	l->invoice_item_id = db_int(r, 5);
	l->price_id = db_int(r, 6);
	l->description = store__text(r, a, 7);
	l->has_unit_amount = !db_isnull(r, 8);
	l->unit_amount = db_int(r, 8);
	l->quantity = db_int(r, 9);
	l->amount = db_int(r, 10);
	l->currency = store__text(r, a, 11);
	l->period_start = db_int(r, 12);
	l->period_end = db_int(r, 13);
	l->proration = db_int(r, 14) != 0;
}

enum db_rc store_invoice_lines_of(struct db_conn *db, struct og_arena *a, int64_t invoice_id, struct store_list *out)
{
	/* every line, oldest first: an invoice has few lines (capped when written) */
	static const char sql[] =
	    "SELECT id, invoice_id, line_type, subscription_id, subscription_item_id, invoice_item_id, price_id, "
	    "description, unit_amount, quantity, amount, currency, period_start, period_end, proration "
	    "FROM invoice_lines WHERE invoice_id = $1 AND id > $2 ORDER BY id LIMIT $3";
	struct store_page page = {.limit = 1000, .ending_before = 0};
	/* reuse the list runner forwards: ascending from id 0 */
	struct db_param params[] = {DB_INT(invoice_id), DB_INT(0), DB_INT(page.limit + 1)};
	struct db_res *r = NULL;
	memset(out, 0, sizeof *out);
	out->rows = arena_alloc(a, sizeof(struct og_invoice_line) * (size_t)(page.limit + 1));
	enum db_rc rc = db_exec(db, sql, params, 3, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW) {
		if (out->n == page.limit) {
			out->has_more = true;
			continue;
		}
		read_line(r, a, (struct og_invoice_line *)out->rows + out->n++);
	}
	db_res_free(r);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc store_invoices_overdue(struct db_conn *db, int64_t now, int limit, int64_t *ids, int *n)
{
	static const char sql[] =
	    "SELECT id FROM invoices WHERE status = 'open' AND past_due = 0 AND due_date IS NOT NULL "
	    "AND due_date <= $1 ORDER BY due_date LIMIT $2";
	struct db_param params[] = {DB_INT(now), DB_INT(limit)};
	struct db_res *r = NULL;
	*n = 0;
	enum db_rc rc = db_exec(db, sql, params, 2, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW && *n < limit)
		ids[(*n)++] = db_int(r, 0);
	db_res_free(r);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

enum db_rc store_invoice_cycle_exists(struct db_conn *db, int64_t subscription_id, int64_t period_start)
{
	static const char sql[] = "SELECT id FROM invoices WHERE subscription_id = $1 AND cycle_period_start = $2";
	struct db_param params[] = {DB_INT(subscription_id), DB_INT(period_start)};
	int64_t id = 0;
	enum db_rc rc = db_query_int(db, sql, params, 2, &id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* ---- drafts: editing and deleting lines (the API's manual invoices) ---- */

#define LINE_COLS                                                                                                      \
	"id, invoice_id, line_type, subscription_id, subscription_item_id, invoice_item_id, price_id, "                \
	"description, unit_amount, quantity, amount, currency, period_start, period_end, proration"

enum db_rc store_invoice_delete(struct db_conn *db, int64_t id)
{
	/* lines first (they reference the invoice); only a draft may go */
	static const char lines_sql[] = "DELETE FROM invoice_lines WHERE invoice_id = $1 AND EXISTS "
	                                "(SELECT 1 FROM invoices WHERE id = $1 AND status = 'draft')";
	static const char sql[] = "DELETE FROM invoices WHERE id = $1 AND status = 'draft'";
	struct db_param params[] = {DB_INT(id)};
	enum db_rc rc = db_exec(db, lines_sql, params, 1, NULL);
	if (rc != DB_OK)
		return rc;
	if ((rc = db_exec(db, sql, params, 1, NULL)) != DB_OK)
		return rc;
	return db_changes(db) ? DB_ROW : DB_DONE;
}

enum db_rc store_invoice_line_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice_line *out)
{
	static const char sql[] = "SELECT " LINE_COLS " FROM invoice_lines WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_line, out);
}

enum db_rc store_invoice_line_of_item(struct db_conn *db, struct og_arena *a, int64_t invoice_item_id,
                                      struct og_invoice_line *out)
{
	static const char sql[] = "SELECT " LINE_COLS " FROM invoice_lines WHERE invoice_item_id = $1 "
	                          "ORDER BY id DESC LIMIT 1";
	struct db_param params[] = {DB_INT(invoice_item_id)};
	return store__get(db, a, sql, params, 1, read_line, out);
}

enum db_rc store_invoice_line_update(struct db_conn *db, const struct og_invoice_line *l)
{
	static const char sql[] = "UPDATE invoice_lines SET description = $2, unit_amount = $3, quantity = $4, "
	                          "amount = $5, period_start = $6, period_end = $7 WHERE id = $1";
	struct db_param params[] = {
	    DB_INT(l->id),        DB_TEXT(l->description), DB_INT_OR_NULL(l->has_unit_amount, l->unit_amount),
	    DB_INT(l->quantity),  DB_INT(l->amount),       DB_INT(l->period_start),
	    DB_INT(l->period_end)};
	return store__exec_changes(db, sql, params, 7);
}

enum db_rc store_invoice_line_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "DELETE FROM invoice_lines WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_invoice_line_count(struct db_conn *db, int64_t invoice_id, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = $1";
	struct db_param params[] = {DB_INT(invoice_id)};
	enum db_rc rc = db_query_int(db, sql, params, 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_invoice_line_page(struct db_conn *db, struct og_arena *a, int64_t invoice_id,
                                   const struct store_page *page, struct store_list *out)
{
	/* lines read in invoice order (oldest first), unlike the newest-first lists */
	static const char fwd[] = "SELECT " LINE_COLS " FROM invoice_lines WHERE invoice_id = $1 AND id > $2 "
	                          "ORDER BY id ASC LIMIT $3";
	static const char back[] = "SELECT " LINE_COLS " FROM invoice_lines WHERE invoice_id = $1 AND id < $2 "
	                           "ORDER BY id DESC LIMIT $3";
	bool backwards = page->ending_before > 0;
	int limit = page->limit > 0 ? page->limit : 10;
	struct db_param params[] = {DB_INT(invoice_id), DB_INT(backwards ? page->ending_before : page->starting_after),
	                            DB_INT(limit + 1)};
	memset(out, 0, sizeof *out);
	out->rows = arena_alloc(a, sizeof(struct og_invoice_line) * (size_t)(limit + 1));
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, backwards ? back : fwd, params, 3, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW) {
		if (out->n == limit) {
			out->has_more = true;
			continue;
		}
		read_line(r, a, (struct og_invoice_line *)out->rows + out->n++);
	}
	db_res_free(r);
	if (rc != DB_DONE)
		return rc;
	struct og_invoice_line *rows = out->rows;
	for (int i = 0, j = out->n - 1; backwards && i < j; i++, j--) {
		struct og_invoice_line tmp = rows[i];
		rows[i] = rows[j];
		rows[j] = tmp;
	}
	return DB_OK;
}
