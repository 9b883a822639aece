/* The billing engine's batch queries (see billing_run.h). What lives here:
 * the claim of a batch of due subscriptions (its SQL differs per backend and
 * lives in dialect.c), id reservation, and multi-row INSERT / UPDATE FROM
 * VALUES statements that write a batch's invoices, lines, events and period
 * rolls and take its customers' invoice numbers (per-customer numbering), a
 * few dozen rows per statement. What does not: any billing decision
 * (src/billing/engine.c) and the one-row queries the engine shares with the
 * API (invoices.c, subscriptions.c, events.c).
 *
 * Why multi-row statements: each statement execution opens cursors on the
 * table and every index it touches, checks foreign keys and runs the VM
 * prologue; on PostgreSQL it is also a round trip. Sixty-four rows per
 * statement pay that once. The statement texts are built once per process
 * (pthread_once) into static storage, so the drivers' statement caches,
 * keyed by the text's address, prepare each once per connection.
 *
 * Each table's columns and their bindings are written once (the
 * X(column, parameter) lists below); they mirror invoices.c, events.c and
 * subscriptions.c, and the engine's tests compare rows written here with
 * rows written there. */
#include "store/billing_run.h"

#include "core/mem.h"
#include "store/dialect.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the multi-row statements, below */
enum multi_kind {
	MULTI_INVOICES,
	MULTI_LINES,
	MULTI_EVENTS,
	MULTI_ROLLS,
	MULTI_NUMBERS,
	MULTI_ITEMS,
	MULTI_PRICES,
	MULTI__COUNT
};

typedef enum db_rc (*row_fn)(struct db_res *r, void *arg);

/* ---- claim --------------------------------------------------------------- */

#define COL_PENDING 27
#define COL_BALANCE 28 /* the customer has a balance (migration 0009) */

/* id -> index, open addressing over a power-of-two table in the arena */
struct id_map {
	int64_t *keys;
	int *values;
	unsigned mask;
};

static void map_init(struct id_map *m, struct og_arena *a, int n)
{
	unsigned cap = 16;
	while (cap < (unsigned)n * 2)
		cap <<= 1;
	m->keys = arena_alloc(a, sizeof *m->keys * cap); /* zeroed: 0 is never an id */
	m->values = arena_alloc(a, sizeof *m->values * cap);
	m->mask = cap - 1;
}

static unsigned map_slot(const struct id_map *m, int64_t key)
{
	unsigned i = (unsigned)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & m->mask;
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static void map_put(struct id_map *m, int64_t key, int value)
{
	unsigned i = map_slot(m, key);
	m->keys[i] = key;
	m->values[i] = value;
}

static int map_get(const struct id_map *m, int64_t key)
{
	unsigned i = map_slot(m, key);
	return m->keys[i] ? m->values[i] : -1;
}

static enum db_rc multi_select(struct db_conn *db, enum multi_kind kind, const int64_t *ids, int n, row_fn row,
                               void *arg);

struct items_ctx {
	struct store_due_batch *out;
	int *caps; /* room in out->subs[k].items */
	struct id_map subs;
	struct og_arena *a;
	int max_items;
};

static enum db_rc item_row(struct db_res *r, void *arg)
{
	struct items_ctx *c = arg;
	int k = map_get(&c->subs, db_int(r, 0));
	if (k < 0)
		return DB_ERROR;
	struct store_due_sub *d = &c->out->subs[k];
	if (d->n_items < 0)
		return DB_OK;
	if (d->n_items == c->max_items) {
		d->n_items = -1; /* too many: the engine reports it */
		return DB_OK;
	}
	if (d->n_items == c->caps[k]) { /* most have one item: grow from 2, not max_items zeroed per row */
		int cap = c->caps[k] ? c->caps[k] * 2 : 2;
		if (cap > c->max_items)
			cap = c->max_items;
		struct og_sub_item *items = arena_alloc(c->a, sizeof *items * (size_t)cap);
		if (d->n_items)
			memcpy(items, d->items, sizeof *items * (size_t)d->n_items);
		d->items = items;
		c->caps[k] = cap;
	}
	struct og_sub_item *it = &d->items[d->n_items++];
	it->subscription_id = d->sub.id;
	it->id = db_int(r, 1);
	it->price_id = db_int(r, 2);
	it->unit_amount = db_int(r, 3);
	it->quantity = db_int(r, 4);
	it->metadata = store__text(r, c->a, 5);
	it->created = db_int(r, 6);
	/* oldest first, as store_sub_items_of: rows may come in any order */
	for (int j = d->n_items - 1; j > 0 && d->items[j - 1].id > d->items[j].id; j--) {
		struct og_sub_item tmp = d->items[j];
		d->items[j] = d->items[j - 1];
		d->items[j - 1] = tmp;
	}
	return DB_OK;
}

struct price_name {
	const char *nickname, *product_name;
};

struct prices_ctx {
	struct id_map map;
	struct price_name *names;
	struct og_arena *a;
};

static enum db_rc price_row(struct db_res *r, void *arg)
{
	struct prices_ctx *c = arg;
	int k = map_get(&c->map, db_int(r, 0));
	if (k < 0)
		return DB_ERROR;
	c->names[k].nickname = store__text(r, c->a, 1);
	c->names[k].product_name = store__text(r, c->a, 2);
	return DB_OK;
}

/* Fills each item's price nickname and product name: a batch has few
 * prices, read once each. */
static enum db_rc name_items(struct db_conn *db, struct og_arena *a, struct store_due_batch *out)
{
	struct prices_ctx pc = {.a = a};
	int n_prices = 0;
	for (int i = 0; i < out->n; i++)
		n_prices += out->subs[i].n_items > 0 ? out->subs[i].n_items : 0;
	map_init(&pc.map, a, n_prices);
	int64_t *price_ids = arena_alloc(a, sizeof *price_ids * (size_t)(n_prices + 1));
	n_prices = 0;
	for (int i = 0; i < out->n; i++)
		for (int j = 0; j < out->subs[i].n_items; j++) {
			int64_t id = out->subs[i].items[j].price_id;
			if (map_get(&pc.map, id) < 0) {
				map_put(&pc.map, id, n_prices);
				price_ids[n_prices++] = id;
			}
		}
	pc.names = arena_alloc(a, sizeof *pc.names * (size_t)(n_prices + 1));
	enum db_rc rc = multi_select(db, MULTI_PRICES, price_ids, n_prices, price_row, &pc);
	if (rc != DB_OK)
		return rc;
	for (int i = 0; i < out->n; i++)
		for (int j = 0; j < out->subs[i].n_items; j++) {
			struct og_sub_item *it = &out->subs[i].items[j];
			const struct price_name *pn = &pc.names[map_get(&pc.map, it->price_id)];
			it->price_nickname = pn->nickname;
			it->product_name = pn->product_name;
		}
	return DB_OK;
}

enum db_rc store_billing_claim(struct db_conn *db, struct og_arena *a, int64_t clock_id, int64_t now, int64_t after_at,
                               int64_t after_id, int limit, int max_items, struct store_due_batch *out)
{
	out->n = 0;
	out->subs = arena_alloc(a, sizeof *out->subs * (size_t)(limit > 0 ? limit : 1));
	if (limit <= 0)
		return DB_OK;
	/* 1. the subscriptions, in index order (no sort); locked on PostgreSQL */
	const char *sql = dialect_sql(db_backend(db), clock_id ? &dialect_billing_claim_clock : &dialect_billing_claim);
	struct db_param params[] = {DB_INT(now), DB_INT(after_at), DB_INT(after_id), DB_INT(limit), DB_INT(clock_id)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, clock_id ? 5 : 4, &r);
	if (rc != DB_OK)
		return rc;
	struct items_ctx ic = {.out = out, .a = a, .max_items = max_items};
	map_init(&ic.subs, a, limit);
	ic.caps = arena_alloc(a, sizeof *ic.caps * (size_t)limit);
	int64_t *sub_ids = arena_alloc(a, sizeof *sub_ids * (size_t)limit);
	while ((rc = db_next(r)) == DB_ROW) {
		if (out->n == limit) { /* cannot happen: the claim has LIMIT $4 */
			rc = DB_ERROR;
			break;
		}
		struct store_due_sub *d = &out->subs[out->n];
		store__read_subscription(r, a, &d->sub); /* the claim selects SUB_COLS */
		d->has_pending = db_int(r, COL_PENDING) != 0;
		d->has_balance = db_int(r, COL_BALANCE) != 0;
		d->items = NULL;
		map_put(&ic.subs, d->sub.id, out->n);
		sub_ids[out->n++] = d->sub.id;
	}
	db_res_free(r);
	if (rc != DB_DONE)
		return rc;
	if (out->n == 0)
		return DB_OK;
	/* 2. their live items, a few dozen subscriptions per statement */
	if ((rc = multi_select(db, MULTI_ITEMS, sub_ids, out->n, item_row, &ic)) != DB_OK)
		return rc;
	/* 3. the names their line descriptions show */
	return name_items(db, a, out);
}

enum db_rc store_billing_count_due(struct db_conn *db, int64_t clock_id, int64_t now, int64_t *n)
{
	static const char sql_real[] = "SELECT count(*) FROM subscriptions WHERE next_billing_at <= $1 "
	                               "AND test_clock_id IS NULL AND status NOT IN ('draft', 'paused', 'canceled')";
	static const char sql_clock[] = "SELECT count(*) FROM subscriptions WHERE next_billing_at <= $1 "
	                                "AND test_clock_id = $2 AND status NOT IN ('draft', 'paused', 'canceled')";
	struct db_param params[] = {DB_INT(now), DB_INT(clock_id)};
	enum db_rc rc = db_query_int(db, clock_id ? sql_clock : sql_real, params, clock_id ? 2 : 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}

/* ---- ids ----------------------------------------------------------------- */

enum db_rc store_billing_ids(struct db_conn *db, enum store_billing_table table, int n, int64_t *ids)
{
	if (n <= 0)
		return DB_OK;
	const char *sql = dialect_sql(db_backend(db), &dialect_billing_ids[table]);
	if (db_backend(db) == DB_SQLITE) {
		int64_t max = 0;
		enum db_rc rc = db_query_int(db, sql, NULL, 0, &max);
		if (rc != DB_OK)
			return rc;
		for (int i = 0; i < n; i++)
			ids[i] = max + 1 + i;
		return DB_OK;
	}
	struct db_param params[] = {DB_INT(n)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, params, 1, &r);
	if (rc != DB_OK)
		return rc;
	int k = 0;
	while ((rc = db_next(r)) == DB_ROW && k < n)
		ids[k++] = db_int(r, 0);
	db_res_free(r);
	if (rc != DB_DONE && rc != DB_ROW)
		return rc;
	return k == n ? DB_OK : DB_ERROR;
}

/* ---- multi-row statements ------------------------------------------------ */

/* Rows per statement: a batch of n rows is written greedily in chunks of
 * these sizes (n = 1000: 15 x 64, 2 x 16, 2 x 4). */
static const int chunk_sizes[] = {64, 16, 4, 1};
#define N_CHUNKS (sizeof chunk_sizes / sizeof chunk_sizes[0])

/* Each table's columns and how a row binds them, written once: the
 * statement's column list and the fill function both expand from it, so
 * they cannot drift apart. X(column, parameter), in the statement's order;
 * the row is `v`. The INSERT lists mirror invoices.c, events.c and
 * subscriptions.c; the engine's tests compare rows written both ways. */
#define INVOICE_COLUMNS(X)                                                                                             \
	X(id, DB_INT(v->id))                                                                                           \
	X(customer_id, DB_INT(v->customer_id))                                                                         \
	X(subscription_id, DB_OPT(v->subscription_id))                                                                 \
	X(status, DB_TEXT(invoice_status_name(v->status)))                                                             \
	X(number, DB_TEXT(v->number))                                                                                  \
	X(currency, DB_TEXT(v->currency))                                                                              \
	X(billing_reason, DB_TEXT(billing_reason_name(v->billing_reason)))                                             \
	X(collection_method, DB_TEXT(collection_method_name(v->collection_method)))                                    \
	X(days_until_due, DB_INT_OR_NULL(v->has_days_until_due, v->days_until_due))                                    \
	X(cycle_period_start, DB_OPT(v->cycle_period_start))                                                           \
	X(period_start, DB_INT(v->period_start))                                                                       \
	X(period_end, DB_INT(v->period_end))                                                                           \
	X(subtotal, DB_INT(v->subtotal))                                                                               \
	X(total, DB_INT(v->total))                                                                                     \
	X(amount_due, DB_INT(v->amount_due))                                                                           \
	X(amount_paid, DB_INT(v->amount_paid))                                                                         \
	X(amount_remaining, DB_INT(v->amount_remaining))                                                               \
	X(due_date, DB_OPT(v->due_date))                                                                               \
	X(past_due, DB_INT(v->past_due))                                                                               \
	X(paid_out_of_band, DB_INT(v->paid_out_of_band))                                                               \
	X(description, DB_TEXT(v->description))                                                                        \
	X(metadata, DB_TEXT(v->metadata))                                                                              \
	X(created, DB_INT(v->created))                                                                                 \
	X(finalized_at, DB_OPT(v->finalized_at))                                                                       \
	X(paid_at, DB_OPT(v->paid_at))                                                                                 \
	X(voided_at, DB_OPT(v->voided_at))                                                                             \
	X(marked_uncollectible_at, DB_OPT(v->marked_uncollectible_at))

#define LINE_COLUMNS(X)                                                                                                \
	X(id, DB_INT(v->id))                                                                                           \
	X(invoice_id, DB_INT(v->invoice_id))                                                                           \
	X(line_type, DB_TEXT(line_type_name(v->line_type)))                                                            \
	X(subscription_id, DB_OPT(v->subscription_id))                                                                 \
	X(subscription_item_id, DB_OPT(v->subscription_item_id))                                                       \
	X(invoice_item_id, DB_OPT(v->invoice_item_id))                                                                 \
	X(price_id, DB_OPT(v->price_id))                                                                               \
	X(description, DB_TEXT(v->description))                                                                        \
	X(unit_amount, DB_INT_OR_NULL(v->has_unit_amount, v->unit_amount))                                             \
	X(quantity, DB_INT(v->quantity))                                                                               \
	X(amount, DB_INT(v->amount))                                                                                   \
	X(currency, DB_TEXT(v->currency))                                                                              \
	X(period_start, DB_INT(v->period_start))                                                                       \
	X(period_end, DB_INT(v->period_end))                                                                           \
	X(proration, DB_INT(v->proration))

#define EVENT_COLUMNS(X)                                                                                               \
	X(id, DB_INT(v->id))                                                                                           \
	X(type, DB_TEXT(v->type))                                                                                      \
	X(object_type, DB_TEXT(v->object_type))                                                                        \
	X(object_id, DB_INT(v->object_id))                                                                             \
	X(customer_id, DB_OPT(v->customer_id))                                                                         \
	X(currency, DB_TEXT(v->currency))                                                                              \
	X(mrr_before, DB_INT_OR_NULL(v->has_mrr, v->mrr_before))                                                       \
	X(mrr_after, DB_INT_OR_NULL(v->has_mrr, v->mrr_after))                                                         \
	X(data, DB_TEXT(v->data))                                                                                      \
	X(created, DB_INT(v->created))

/* UPDATE ... FROM (VALUES ...): the first column is the key, the others
 * are set from the VALUES list's column2, column3, ... */
#define ROLL_COLUMNS(X)                                                                                                \
	X(id, DB_INT(v->id))                                                                                           \
	X(current_period_start, DB_INT(v->current_period_start))                                                       \
	X(current_period_end, DB_INT(v->current_period_end))                                                           \
	X(next_billing_at, DB_INT(v->next_billing_at))                                                                 \
	X(latest_invoice_id, DB_INT(v->latest_invoice_id))

/* the customers' sequences: the key and how many numbers to take */
#define NUMBER_COLUMNS(X)                                                                                              \
	X(id, DB_INT(v->customer_id))                                                                                  \
	X(n, DB_INT(v->n))

#define COLUMN_NAME(column, param)  #column,
#define COLUMN_PARAM(column, param) param,
#define FILL_FN(name, type, COLUMNS)                                                                                   \
	static void name(const void *row, struct db_param *p)                                                          \
	{                                                                                                              \
		const type *v = row;                                                                                   \
		const struct db_param params[] = {COLUMNS(COLUMN_PARAM)};                                              \
		memcpy(p, params, sizeof params);                                                                      \
	}

FILL_FN(fill_invoice, struct og_invoice, INVOICE_COLUMNS)
FILL_FN(fill_line, struct og_invoice_line, LINE_COLUMNS)
FILL_FN(fill_event, struct og_event, EVENT_COLUMNS)
FILL_FN(fill_roll, struct store_sub_roll, ROLL_COLUMNS)
FILL_FN(fill_number, struct store_customer_numbers, NUMBER_COLUMNS)

static const char *const invoice_columns[] = {INVOICE_COLUMNS(COLUMN_NAME)};
static const char *const line_columns[] = {LINE_COLUMNS(COLUMN_NAME)};
static const char *const event_columns[] = {EVENT_COLUMNS(COLUMN_NAME)};
static const char *const roll_columns[] = {ROLL_COLUMNS(COLUMN_NAME)};
static const char *const number_columns[] = {NUMBER_COLUMNS(COLUMN_NAME)};
#define COLUMNS(a) a, (int)(sizeof a / sizeof a[0])

typedef void (*fill_fn)(const void *row, struct db_param *out);

enum multi_shape {
	SHAPE_INSERT, /* INSERT INTO table (columns) VALUES (row), (row) ... */
	SHAPE_UPDATE, /* head (VALUES (row), ...) tail */
	SHAPE_IN,     /* head ($1, $2, ...) tail: one id per row */
};

struct multi_def {
	enum multi_shape shape;
	const char *table; /* SHAPE_INSERT */
	const char *const *columns;
	int n_cols;           /* parameters per row */
	fill_fn fill;         /* NULL for SHAPE_IN */
	const char *row_cast; /* NULL: "$k" per column; else a cast around each */
	const char *head, *tail;
};

/* PostgreSQL cannot infer the types of parameters in a VALUES list: the
 * casts type them (both backends read CAST) */
#define BIGINT_PARAM "CAST($%d AS BIGINT)"

static const struct multi_def multi_defs[MULTI__COUNT] = {
    [MULTI_INVOICES] = {SHAPE_INSERT, "invoices", COLUMNS(invoice_columns), fill_invoice, NULL, NULL, NULL},
    [MULTI_LINES] = {SHAPE_INSERT, "invoice_lines", COLUMNS(line_columns), fill_line, NULL, NULL, NULL},
    [MULTI_EVENTS] = {SHAPE_INSERT, "events", COLUMNS(event_columns), fill_event, NULL, NULL, NULL},
    /* VALUES columns are column1..column5 on both backends */
    [MULTI_ROLLS] = {SHAPE_UPDATE, NULL, COLUMNS(roll_columns), fill_roll, BIGINT_PARAM,
                     "UPDATE subscriptions SET current_period_start = v.column2, current_period_end = v.column3, "
                     "next_billing_at = v.column4, latest_invoice_id = v.column5 FROM (VALUES ",
                     ") AS v WHERE subscriptions.id = v.column1"},
    /* RETURNING may only name the updated table on SQLite: the caller
     * knows how many it asked for, so first = returned - n */
    [MULTI_NUMBERS] = {SHAPE_UPDATE, NULL, COLUMNS(number_columns), fill_number, BIGINT_PARAM,
                       "UPDATE customers SET next_invoice_sequence = customers.next_invoice_sequence + v.column2 "
                       "FROM (VALUES ",
                       ") AS v WHERE customers.id = v.column1 RETURNING id, invoice_prefix, next_invoice_sequence"},
    [MULTI_ITEMS] = {SHAPE_IN, NULL, NULL, 1, NULL, NULL,
                     "SELECT subscription_id, id, price_id, unit_amount, quantity, metadata, created "
                     "FROM subscription_items WHERE deleted = 0 AND subscription_id IN (",
                     ")"},
    [MULTI_PRICES] = {SHAPE_IN, NULL, NULL, 1, NULL, NULL,
                      "SELECT p.id, p.nickname, pr.name FROM prices p JOIN products pr ON pr.id = p.product_id "
                      "WHERE p.id IN (",
                      ")"},
};

static char *multi_sql[MULTI__COUNT][N_CHUNKS];
static pthread_once_t multi_once = PTHREAD_ONCE_INIT;

static char *build_multi(const struct multi_def *d, int rows)
{
	size_t cap = (d->head ? strlen(d->head) : 0) + (d->tail ? strlen(d->tail) : 0) +
	             (size_t)rows * (size_t)d->n_cols * 32 + (size_t)d->n_cols * 32 + 64;
	char *s = xmalloc(cap);
	size_t n = 0;
	if (d->shape == SHAPE_INSERT) {
		/* identifiers only, constants of this file (the X lists above); every
		 * value is a bound $N parameter */
		n += (size_t)snprintf(s + n, cap - n, "INSERT INTO ");
		n += (size_t)snprintf(s + n, cap - n, "%s (", d->table);
		for (int c = 0; c < d->n_cols; c++)
			n += (size_t)snprintf(s + n, cap - n, "%s%s", c ? ", " : "", d->columns[c]);
		n += (size_t)snprintf(s + n, cap - n, ") VALUES ");
	} else {
		n += (size_t)snprintf(s + n, cap - n, "%s", d->head);
	}
	int k = 1;
	for (int r = 0; r < rows; r++) {
		const char *open = d->shape == SHAPE_IN ? "" : "(";
		n += (size_t)snprintf(s + n, cap - n, "%s%s", r ? ", " : "", open);
		for (int c = 0; c < d->n_cols; c++, k++) {
			if (c)
				n += (size_t)snprintf(s + n, cap - n, ", ");
			n += (size_t)snprintf(s + n, cap - n, d->row_cast ? d->row_cast : "$%d", k);
		}
		if (d->shape != SHAPE_IN)
			n += (size_t)snprintf(s + n, cap - n, ")");
	}
	snprintf(s + n, cap - n, "%s", d->tail ? d->tail : "");
	return s;
}

static void build_all(void)
{
	/* built once and kept for the life of the process: the statement caches
	 * key on these addresses */
	for (int m = 0; m < MULTI__COUNT; m++)
		for (size_t c = 0; c < N_CHUNKS; c++)
			multi_sql[m][c] = build_multi(&multi_defs[m], chunk_sizes[c]);
}

/* Runs the statements that write rows[0..n-1] (elem_size bytes apart);
 * *changed counts the rows they changed. With row non-NULL, each statement's
 * result rows go to it. */
static enum db_rc multi_run(struct db_conn *db, enum multi_kind kind, const void *rows, size_t elem_size, int n,
                            int64_t *changed, row_fn row, void *arg)
{
	pthread_once(&multi_once, build_all);
	const struct multi_def *d = &multi_defs[kind];
	struct db_param *params = xmalloc(sizeof *params * (size_t)(chunk_sizes[0] * d->n_cols));
	enum db_rc rc = DB_OK;
	int done = 0;
	*changed = 0;
	while (done < n && rc == DB_OK) {
		size_t c = 0;
		while (chunk_sizes[c] > n - done)
			c++;
		int k = chunk_sizes[c];
		for (int i = 0; i < k; i++)
			d->fill((const char *)rows + elem_size * (size_t)(done + i), params + i * d->n_cols);
		struct db_res *r = NULL;
		rc = db_exec(db, multi_sql[kind][c], params, k * d->n_cols, row ? &r : NULL);
		if (rc == DB_OK)
			*changed += db_changes(db);
		if (rc == DB_OK && row) {
			while ((rc = db_next(r)) == DB_ROW && (rc = row(r, arg)) == DB_OK)
				;
			db_res_free(r);
			if (rc == DB_DONE)
				rc = DB_OK;
		}
		done += k;
	}
	free(params);
	return rc;
}

static enum db_rc multi_select(struct db_conn *db, enum multi_kind kind, const int64_t *ids, int n, row_fn row,
                               void *arg)
{
	pthread_once(&multi_once, build_all);
	struct db_param params[64];
	enum db_rc rc = DB_OK;
	int done = 0;
	while (done < n && rc == DB_OK) {
		size_t c = 0;
		while (chunk_sizes[c] > n - done)
			c++;
		int k = chunk_sizes[c];
		for (int i = 0; i < k; i++)
			params[i] = DB_INT(ids[done + i]);
		struct db_res *r = NULL;
		rc = db_exec(db, multi_sql[kind][c], params, k, &r);
		if (rc != DB_OK)
			break;
		while ((rc = db_next(r)) == DB_ROW && (rc = row(r, arg)) == DB_OK)
			;
		db_res_free(r);
		if (rc == DB_DONE)
			rc = DB_OK;
		done += k;
	}
	return rc;
}

static enum db_rc insert_all(struct db_conn *db, enum multi_kind kind, const void *rows, size_t size, int n)
{
	int64_t changed = 0;
	enum db_rc rc = multi_run(db, kind, rows, size, n, &changed, NULL, NULL);
	if (rc != DB_OK)
		return rc;
	return changed == n ? DB_OK : DB_ERROR;
}

enum db_rc store_billing_insert_invoices(struct db_conn *db, const struct og_invoice *rows, int n)
{
	return insert_all(db, MULTI_INVOICES, rows, sizeof *rows, n);
}

enum db_rc store_billing_insert_lines(struct db_conn *db, const struct og_invoice_line *rows, int n)
{
	return insert_all(db, MULTI_LINES, rows, sizeof *rows, n);
}

enum db_rc store_billing_insert_events(struct db_conn *db, const struct og_event *rows, int n)
{
	return insert_all(db, MULTI_EVENTS, rows, sizeof *rows, n);
}

enum db_rc store_billing_roll_subs(struct db_conn *db, const struct store_sub_roll *rows, int n)
{
	int64_t changed = 0;
	enum db_rc rc = multi_run(db, MULTI_ROLLS, rows, sizeof *rows, n, &changed, NULL, NULL);
	if (rc != DB_OK)
		return rc;
	return changed == n ? DB_OK : DB_DONE;
}

/* ---- per-customer invoice numbers ---------------------------------------- */

struct numbers_ctx {
	struct store_customer_numbers *rows;
	int n, n_seen;
	struct og_arena *a;
};

static enum db_rc number_row(struct db_res *r, void *arg)
{
	struct numbers_ctx *c = arg;
	int64_t id = db_int(r, 0);
	int lo = 0, hi = c->n - 1; /* rows are sorted by customer_id */
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		struct store_customer_numbers *x = &c->rows[mid];
		if (x->customer_id == id) {
			if (x->prefix)
				return DB_ERROR; /* twice */
			if (db_isnull(r, 1))
				return DB_OK; /* no prefix: not counted, so DB_DONE */
			x->prefix = store__text(r, c->a, 1);
			x->first = db_int(r, 2) - x->n;
			c->n_seen++;
			return DB_OK;
		}
		if (x->customer_id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return DB_ERROR;
}

enum db_rc store_billing_customer_numbers(struct db_conn *db, struct og_arena *a, struct store_customer_numbers *rows,
                                          int n)
{
	for (int i = 0; i < n; i++) {
		if (i && rows[i].customer_id <= rows[i - 1].customer_id)
			return DB_ERROR; /* the caller's contract: sorted, distinct */
		rows[i].prefix = NULL;
	}
	struct numbers_ctx c = {.rows = rows, .n = n, .a = a};
	int64_t changed = 0;
	enum db_rc rc = multi_run(db, MULTI_NUMBERS, rows, sizeof *rows, n, &changed, number_row, &c);
	if (rc != DB_OK)
		return rc;
	return c.n_seen == n ? DB_OK : DB_DONE;
}

/* ---- overdue invoices ---------------------------------------------------- */

enum db_rc store_billing_overdue(struct db_conn *db, int64_t clock_id, int64_t now, int64_t after_due, int64_t after_id,
                                 int limit, int64_t *ids, int64_t *due, int *n)
{
	const char *sql =
	    dialect_sql(db_backend(db), clock_id ? &dialect_billing_overdue_clock : &dialect_billing_overdue);
	struct db_param params[] = {DB_INT(now), DB_INT(after_due), DB_INT(after_id), DB_INT(limit), DB_INT(clock_id)};
	struct db_res *r = NULL;
	*n = 0;
	enum db_rc rc = db_exec(db, sql, params, clock_id ? 5 : 4, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW && *n < limit) {
		ids[*n] = db_int(r, 0);
		due[*n] = db_int(r, 1);
		(*n)++;
	}
	db_res_free(r);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

enum db_rc store_billing_tune(struct db_conn *db)
{
	const char *sql = dialect_sql(db_backend(db), &dialect_billing_tune);
	return sql ? db_exec_script(db, sql) : DB_OK;
}

enum db_rc store_billing_db_file(struct db_conn *db, char *path, size_t size)
{
	const char *sql = dialect_sql(db_backend(db), &dialect_billing_db_file);
	if (!sql)
		return DB_DONE;
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(db, sql, NULL, 0, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	const char *file = rc == DB_ROW ? db_text(r, 0) : NULL;
	if (rc == DB_ROW && (!file || !*file || strlen(file) >= size))
		rc = DB_DONE;
	else if (rc == DB_ROW)
		memcpy(path, file, strlen(file) + 1);
	db_res_free(r);
	return rc;
}

enum db_rc store_billing_autocheckpoint(struct db_conn *db, bool on)
{
	const char *sql =
	    dialect_sql(db_backend(db), on ? &dialect_billing_autocheckpoint_on : &dialect_billing_autocheckpoint_off);
	return sql ? db_exec_script(db, sql) : DB_DONE;
}

enum db_rc store_billing_checkpoint(struct db_conn *db)
{
	const char *sql = dialect_sql(db_backend(db), &dialect_billing_checkpoint);
	return sql ? db_exec_script(db, sql) : DB_DONE;
}
