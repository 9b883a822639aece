/* Queries for prices. Amount, currency and interval never change after
 * insert (no UPDATE here touches them); a new price replaces an old one. */
#include "store/resources.h"

#define PRICE_COLS                                                                                                     \
	"id, product_id, nickname, unit_amount, currency, recurring_interval, interval_count, trial_period_days, "     \
	"lookup_key, active, metadata, created"

static void read_price(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_price *p = row;
	p->id = db_int(r, 0);
	p->product_id = db_int(r, 1);
	p->nickname = store__text(r, a, 2);
	p->unit_amount = db_int(r, 3);
	p->currency = store__text(r, a, 4);
	p->type = db_isnull(r, 5) ? PRICE_ONE_TIME : PRICE_RECURRING;
	p->interval = (enum cal_interval)store__enum(r, 5, &model_enum_interval);
	p->interval_count = db_int(r, 6);
	p->has_trial_period_days = !db_isnull(r, 7);
	p->trial_period_days = db_int(r, 7);
	p->lookup_key = store__text(r, a, 8);
	p->active = db_int(r, 9) != 0;
	p->metadata = store__text(r, a, 10);
	p->created = db_int(r, 11);
}

enum db_rc store_price_insert(struct db_conn *db, struct og_price *p)
{
	static const char sql[] =
	    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, "
	    "trial_period_days, lookup_key, active, metadata, created) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
	struct db_param params[] = {
	    DB_INT(p->product_id),
	    DB_TEXT(p->nickname),
	    DB_INT(p->unit_amount),
	    DB_TEXT(p->currency),
	    DB_TEXT(p->type == PRICE_RECURRING ? cal_interval_name(p->interval) : NULL),
	    DB_INT_OR_NULL(p->type == PRICE_RECURRING, p->interval_count),
	    DB_INT_OR_NULL(p->has_trial_period_days, p->trial_period_days),
	    DB_TEXT(p->lookup_key),
	    DB_INT(p->active),
	    DB_TEXT(p->metadata),
	    DB_INT(p->created),
	};
	enum db_rc rc = db_query_int(db, sql, params, 11, &p->id);
	return rc == DB_OK ? DB_ROW : rc;
}

/* One row by id, read as is or for update (the *_get_for_update and
 * *_lock functions). */
static const struct store_row_sql price_by_id = STORE_ROW_SQL("SELECT " PRICE_COLS " FROM prices WHERE id = $1");

enum db_rc store_price_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_price *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &price_by_id, false, params, 1, read_price, out);
}

enum db_rc store_price_update(struct db_conn *db, const struct og_price *p)
{
	static const char sql[] = "UPDATE prices SET nickname = $2, active = $3, lookup_key = $4, metadata = $5, "
	                          "trial_period_days = $6 WHERE id = $1";
	struct db_param params[] = {
	    DB_INT(p->id),        DB_TEXT(p->nickname),
	    DB_INT(p->active),    DB_TEXT(p->lookup_key),
	    DB_TEXT(p->metadata), DB_INT_OR_NULL(p->has_trial_period_days, p->trial_period_days)};
	return store__exec_changes(db, sql, params, 6);
}

enum db_rc store_price_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_price *out)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, a, &price_by_id, true, params, 1, read_price, out);
}

enum db_rc store_price_lock(struct db_conn *db, int64_t id)
{
	struct db_param params[] = {DB_INT(id)};
	return store__get_row(db, NULL, &price_by_id, true, params, 1, NULL, NULL);
}

enum db_rc store_price_find_lookup_key(struct db_conn *db, const char *lookup_key, int64_t *id)
{
	static const char sql[] = "SELECT id FROM prices WHERE lookup_key = $1";
	struct db_param params[] = {DB_TEXT(lookup_key)};
	enum db_rc rc = db_query_int(db, sql, params, 1, id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_price_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                            const struct store_price_filter *f, const struct store_range *created,
                            struct store_list *out)
{
	/* Optional filters as "($n IS NULL OR col = $n)": the id range stays the
	 * index's leading condition, and one text serves every combination. */
#define PRICE_FILTERS                                                                                                  \
	" AND ($3 = 0 OR product_id = $3) AND ($4 < 0 OR active = $4) AND (CAST($5 AS TEXT) IS NULL OR currency = $5)" \
	" AND (CAST($6 AS TEXT) IS NULL OR lookup_key = $6) AND created >= $7 AND created <= $8"
	static const char desc[] =
	    "SELECT " PRICE_COLS " FROM prices WHERE id < $1" PRICE_FILTERS " ORDER BY id DESC LIMIT $2";
	static const char asc[] =
	    "SELECT " PRICE_COLS " FROM prices WHERE id > $1" PRICE_FILTERS " ORDER BY id ASC LIMIT $2";
#undef PRICE_FILTERS
	struct db_param params[] = {DB_INT(f->product_id), DB_INT(f->active), DB_TEXT(f->currency),
	                            DB_TEXT(f->lookup_key), STORE_RANGE_PARAMS(created)};
	return store__list(db, a, desc, asc, params, 6, page, sizeof(struct og_price), read_price, out);
}
