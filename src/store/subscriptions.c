/* Queries for subscriptions and their items. The state machine and date
 * math live in core/; this file only reads and writes rows. */
#include "store/resources.h"

#define SUB_COLS                                                                                                       \
	"id, customer_id, test_clock_id, status, currency, recurring_interval, interval_count, collection_method, "    \
	"days_until_due, billing_cycle_anchor, requested_anchor, trial_period_days, requested_trial_end, "             \
	"current_period_start, current_period_end, next_billing_at, trial_start, trial_end, cancel_at_period_end, "    \
	"canceled_at, ended_at, paused_at, start_date, latest_invoice_id, metadata, created, "                         \
	"default_payment_method_id"

void store__read_subscription(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_subscription *s = row;
	s->id = db_int(r, 0);
	s->customer_id = db_int(r, 1);
	s->test_clock_id = db_int(r, 2);
	s->status = (enum sub_status)store__enum(r, 3, &model_enum_sub_status);
	s->currency = store__text(r, a, 4);
	s->interval = (enum cal_interval)store__enum(r, 5, &model_enum_interval);
	s->interval_count = db_int(r, 6);
	s->collection_method = (enum collection_method)store__enum(r, 7, &model_enum_collection_method);
	s->has_days_until_due = !db_isnull(r, 8);
	s->days_until_due = db_int(r, 8);
	s->billing_cycle_anchor = db_int(r, 9);
	s->requested_anchor = db_int(r, 10);
	s->has_trial_period_days = !db_isnull(r, 11);
	s->trial_period_days = db_int(r, 11);
	s->requested_trial_end = db_int(r, 12);
	s->current_period_start = db_int(r, 13);
	s->current_period_end = db_int(r, 14);
	s->next_billing_at = db_int(r, 15);
	s->trial_start = db_int(r, 16);
	s->trial_end = db_int(r, 17);
	s->cancel_at_period_end = db_int(r, 18) != 0;
	s->canceled_at = db_int(r, 19);
	s->ended_at = db_int(r, 20);
	s->paused_at = db_int(r, 21);
	s->start_date = db_int(r, 22);
	s->latest_invoice_id = db_int(r, 23);
	s->metadata = store__text(r, a, 24);
	s->created = db_int(r, 25);
	s->default_payment_method_id = db_int(r, 26); /* issue 14: set by store_subscription_set_default_pm only */
}

/* $1.. in SUB_COLS order after id; shared by insert and update */
#define SUB_PARAMS(s)                                                                                                  \
	DB_INT((s)->customer_id), DB_OPT((s)->test_clock_id), DB_TEXT(sub_status_name((s)->status)),                   \
	    DB_TEXT((s)->currency), DB_TEXT(cal_interval_name((s)->interval)), DB_INT((s)->interval_count),            \
	    DB_TEXT(collection_method_name((s)->collection_method)),                                                   \
	    DB_INT_OR_NULL((s)->has_days_until_due, (s)->days_until_due), DB_OPT((s)->billing_cycle_anchor),           \
	    DB_OPT((s)->requested_anchor), DB_INT_OR_NULL((s)->has_trial_period_days, (s)->trial_period_days),         \
	    DB_OPT((s)->requested_trial_end), DB_OPT((s)->current_period_start), DB_OPT((s)->current_period_end),      \
	    DB_OPT((s)->next_billing_at), DB_OPT((s)->trial_start), DB_OPT((s)->trial_end),                            \
	    DB_INT((s)->cancel_at_period_end), DB_OPT((s)->canceled_at), DB_OPT((s)->ended_at),                        \
	    DB_OPT((s)->paused_at), DB_OPT((s)->start_date), DB_OPT((s)->latest_invoice_id), DB_TEXT((s)->metadata),   \
	    DB_INT((s)->created)

enum db_rc store_subscription_insert(struct db_conn *db, struct og_subscription *s)
{
	static const char sql[] =
	    "INSERT INTO subscriptions (customer_id, test_clock_id, status, currency, recurring_interval, "
	    "interval_count, collection_method, days_until_due, billing_cycle_anchor, requested_anchor, "
	    "trial_period_days, requested_trial_end, current_period_start, current_period_end, next_billing_at, "
	    "trial_start, trial_end, cancel_at_period_end, canceled_at, ended_at, paused_at, start_date, "
	    "latest_invoice_id, metadata, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id";
	struct db_param params[] = {SUB_PARAMS(s)};
	enum db_rc rc = db_query_int(db, sql, params, 25, &s->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql subscription_by_id =
    STORE_ROW_SQL("SELECT " SUB_COLS " FROM subscriptions WHERE id = $1");

enum db_rc store_subscription_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_subscription *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &subscription_by_id, false, params, 1, store__read_subscription, out);
}

enum db_rc store_subscription_lock(struct db_conn *db, int64_t id)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, NULL, &subscription_by_id, true, params, 1, NULL, NULL);
}

enum db_rc store_subscription_update(struct db_conn *db, const struct og_subscription *s)
{
	static const char sql[] =
	    "UPDATE subscriptions SET customer_id = $1, test_clock_id = $2, status = $3, currency = $4, "
	    "recurring_interval = $5, interval_count = $6, collection_method = $7, days_until_due = $8, "
	    "billing_cycle_anchor = $9, requested_anchor = $10, trial_period_days = $11, requested_trial_end = $12, "
	    "current_period_start = $13, current_period_end = $14, next_billing_at = $15, trial_start = $16, "
	    "trial_end = $17, cancel_at_period_end = $18, canceled_at = $19, ended_at = $20, paused_at = $21, "
	    "start_date = $22, latest_invoice_id = $23, metadata = $24, created = $25 WHERE id = $26";
	struct db_param params[] = {SUB_PARAMS(s), DB_INT(s->id)};
	return store__exec_changes(db, sql, params, 26);
}

enum db_rc store_subscription_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                   const struct store_subscription_filter *f, const struct store_range *created,
                                   struct store_list *out)
{
#define SUB_FILTERS                                                                                                    \
	" AND ($3 = 0 OR customer_id = $3) AND (CAST($4 AS TEXT) IS NULL OR status = $4) AND ($5 = 0 OR id IN "        \
	"(SELECT subscription_id FROM subscription_items WHERE price_id = $5 AND deleted = 0)) AND created >= $6 "     \
	"AND created <= $7"
	static const char desc[] =
	    "SELECT " SUB_COLS " FROM subscriptions WHERE id < $1" SUB_FILTERS " ORDER BY id DESC LIMIT $2";
	static const char asc[] =
	    "SELECT " SUB_COLS " FROM subscriptions WHERE id > $1" SUB_FILTERS " ORDER BY id ASC LIMIT $2";
#undef SUB_FILTERS
	struct db_param params[] = {DB_INT(f->customer_id), DB_TEXT(f->has_status ? sub_status_name(f->status) : NULL),
	                            DB_INT(f->price_id), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc, asc, params, 5, page, sizeof(struct og_subscription), store__read_subscription,
	                   out);
}

enum db_rc store_sub_item_insert(struct db_conn *db, struct og_sub_item *it)
{
	static const char sql[] = "INSERT INTO subscription_items (subscription_id, price_id, unit_amount, quantity, "
	                          "metadata, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
	struct db_param params[] = {DB_INT(it->subscription_id), DB_INT(it->price_id),  DB_INT(it->unit_amount),
	                            DB_INT(it->quantity),        DB_TEXT(it->metadata), DB_INT(it->created)};
	enum db_rc rc = db_query_int(db, sql, params, 6, &it->id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_sub_item_update(struct db_conn *db, const struct og_sub_item *it)
{
	static const char sql[] = "UPDATE subscription_items SET price_id = $2, unit_amount = $3, quantity = $4, "
	                          "metadata = $5 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(it->id), DB_INT(it->price_id), DB_INT(it->unit_amount), DB_INT(it->quantity),
	                            DB_TEXT(it->metadata)};
	return store__exec_changes(db, sql, params, 5);
}

enum db_rc store_sub_item_delete(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE subscription_items SET deleted = 1 WHERE id = $1 AND deleted = 0";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_sub_items_of(struct db_conn *db, struct og_arena *a, int64_t subscription_id, int max,
                              struct og_sub_item **out, int *n)
{
	static const char sql[] =
	    "SELECT si.id, si.subscription_id, si.price_id, si.unit_amount, si.quantity, si.metadata, si.created, "
	    "p.nickname, pr.name FROM subscription_items si JOIN prices p ON p.id = si.price_id "
	    "JOIN products pr ON pr.id = p.product_id WHERE si.subscription_id = $1 AND si.deleted = 0 ORDER BY si.id";
	struct db_param params[] = {DB_INT(subscription_id)};
	struct db_res *r = NULL;
	*n = 0;
	*out = arena_alloc(a, sizeof(struct og_sub_item) * (size_t)max);
	enum db_rc rc = db_exec(db, sql, params, 1, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW) {
		if (*n == max) {
			rc = DB_ERROR;
			break;
		}
		struct og_sub_item *it = &(*out)[(*n)++];
		it->id = db_int(r, 0);
		it->subscription_id = db_int(r, 1);
		it->price_id = db_int(r, 2);
		it->unit_amount = db_int(r, 3);
		it->quantity = db_int(r, 4);
		it->metadata = store__text(r, a, 5);
		it->created = db_int(r, 6);
		it->price_nickname = store__text(r, a, 7);
		it->product_name = store__text(r, a, 8);
	}
	db_res_free(r);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc store_subscriptions_due(struct db_conn *db, int64_t clock_id, int64_t now, int64_t after_at,
                                   int64_t after_id, int limit, int64_t *ids, int64_t *due_at, int *n)
{
	static const char sql_real[] =
	    "SELECT id, next_billing_at FROM subscriptions WHERE next_billing_at <= $1 AND test_clock_id IS NULL "
	    "AND (next_billing_at > $2 OR (next_billing_at = $2 AND id > $3)) ORDER BY next_billing_at, id LIMIT $4";
	static const char sql_clock[] =
	    "SELECT id, next_billing_at FROM subscriptions WHERE test_clock_id = $5 AND next_billing_at <= $1 "
	    "AND (next_billing_at > $2 OR (next_billing_at = $2 AND id > $3)) ORDER BY next_billing_at, id LIMIT $4";
	struct db_param params[] = {DB_INT(now), DB_INT(after_at), DB_INT(after_id), DB_INT(limit), DB_INT(clock_id)};
	struct db_res *r = NULL;
	*n = 0;
	enum db_rc rc = db_exec(db, clock_id ? sql_clock : sql_real, params, clock_id ? 5 : 4, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW && *n < limit) {
		ids[*n] = db_int(r, 0);
		if (due_at)
			due_at[*n] = db_int(r, 1);
		(*n)++;
	}
	db_res_free(r);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

enum db_rc store_subscription_ids_live(struct db_conn *db, int64_t customer_id, int max, int64_t *ids, int *n)
{
	static const char sql[] = "SELECT id FROM subscriptions WHERE customer_id = $1 AND status <> 'canceled' "
	                          "ORDER BY id LIMIT $2";
	struct db_param params[] = {DB_INT(customer_id), DB_INT(max)};
	struct db_res *r = NULL;
	*n = 0;
	enum db_rc rc = db_exec(db, sql, params, 2, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW && *n < max)
		ids[(*n)++] = db_int(r, 0);
	db_res_free(r);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}
