/* The billing engine (src/billing/engine.c) against a real database: a
 * SQLite file, and a fresh PostgreSQL database when OG_TEST_PG_URL names a
 * server (scripts/run-tests.sh starts one). Each test gets an empty,
 * migrated database with a small catalog, seeds subscriptions directly
 * (store functions or SQL, never the API), runs the engine at chosen
 * "now"s and checks the rows with SQL: one invoice per subscription and
 * period, periods on the anchor's calendar, missed periods oldest first,
 * cancel_at_period_end, trial end, pending items taken once, paused and
 * test-clock subscriptions left alone, dry runs writing nothing, gap-free
 * numbers, a failing subscription skipped without stalling the rest, the
 * fast and general paths writing the same rows, the invoice.finalized event
 * carrying the full invoice with its lines as the model renders it, overdue
 * marking, the worker thread, and per-customer numbering (each customer's
 * own gap-free PREFIX-0001 series on both paths, migration 0004 giving
 * existing customers a prefix).
 *
 * The process-level tests (SIGKILL in the middle of `oneguard bill`, two
 * engines at once on PostgreSQL) are in test_engine_procs.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/render.h"
#include "billing/engine.h"
#include "billing/service.h"
#include "cli/cli.h"
#include "core/calendar.h"
#include "core/money.h"
#include "lib/testdb.h"
#include "sys/clock.h"
#include "sys/config.h"
#include "store/billing_run.h"
#include "store/resources.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures: tests/lib/testdb.h, migrated, plus a catalog ------------- */

static int sqlite_group_setup(void **state)
{
	return testdb_group_setup(state, DB_SQLITE, "og-test-engine");
}

static int pg_group_setup(void **state)
{
	return testdb_group_setup(state, DB_POSTGRES, "og_test_engine");
}

static const char catalog_sql[] =
    "INSERT INTO products (name, created, updated) VALUES ('Gold', 1, 1);"
    "INSERT INTO products (name, created, updated) VALUES ('Silver \"S\" \\ plan', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold-monthly', 3000, 'usd', 'month', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (2, NULL, 1000, 'usd', 'month', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold-yearly', 30000, 'usd', 'year', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold-daily', 100, 'usd', 'day', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold-eur', 2500, 'eur', 'month', 1, 1);";
enum { PRICE_GOLD = 1, PRICE_SILVER = 2, PRICE_YEARLY = 3, PRICE_DAILY = 4, PRICE_EUR = 5 };

static int test_setup(void **state)
{
	struct testdb *f = *state;
	if (testdb_begin(f, true) != 0)
		return -1;
	return db_exec_script(f->db, catalog_sql) == DB_OK ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t T(int y, int mo, int d)
{
	return cal_from_civil(y, mo, d, 0, 0, 0);
}

static int64_t count(struct db_conn *db, const char *sql)
{
	int64_t n = -1;
	enum db_rc rc = db_query_int(db, sql, NULL, 0, &n);
	if (rc != DB_OK)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return n;
}

static int64_t count1(struct db_conn *db, const char *sql, int64_t p1)
{
	int64_t n = -1;
	struct db_param params[] = {DB_INT(p1)};
	enum db_rc rc = db_query_int(db, sql, params, 1, &n);
	if (rc != DB_OK)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return n;
}

static int64_t new_customer(struct db_conn *db, int64_t clock_id)
{
	static int n_prefixes;
	char prefix[16];
	snprintf(prefix, sizeof prefix, "T%05d", ++n_prefixes % 100000);
	struct og_customer c = {.email = "c@example.com", .metadata = "{}", .created = 1, .invoice_prefix = prefix};
	assert_int_equal(store_customer_insert(db, &c), DB_ROW);
	if (clock_id)
		assert_int_equal(store_customer_set_test_clock(db, c.id, clock_id), DB_ROW);
	return c.id;
}

struct item_spec {
	int64_t price_id, unit_amount, quantity;
};

struct sub_spec {
	const char *status;   /* default active */
	const char *interval; /* default month */
	int64_t interval_count;
	const char *currency; /* default usd */
	int64_t anchor, cps, cpe;
	int64_t nba; /* 0: cpe */
	int64_t trial_start, trial_end;
	bool cancel_at_period_end, send_invoice;
	int64_t days_until_due;
	int64_t clock_id;
	int64_t customer_id; /* 0: a new customer */
	int n_items;         /* 0: one Gold item */
	struct item_spec items[3];
};

static int64_t add_sub(struct db_conn *db, struct sub_spec sp)
{
	struct og_subscription s = {
	    .customer_id = sp.customer_id ? sp.customer_id : new_customer(db, sp.clock_id),
	    .test_clock_id = sp.clock_id,
	    .status = sp.status ? (enum sub_status)model_enum_parse(&model_enum_sub_status, sp.status) : SUB_ACTIVE,
	    .currency = sp.currency ? sp.currency : "usd",
	    .interval =
	        sp.interval ? (enum cal_interval)model_enum_parse(&model_enum_interval, sp.interval) : CAL_MONTH,
	    .interval_count = sp.interval_count ? sp.interval_count : 1,
	    .collection_method = sp.send_invoice ? COLLECTION_SEND_INVOICE : COLLECTION_CHARGE_AUTOMATICALLY,
	    .has_days_until_due = sp.send_invoice,
	    .days_until_due = sp.days_until_due,
	    .billing_cycle_anchor = sp.anchor,
	    .current_period_start = sp.cps,
	    .current_period_end = sp.cpe,
	    .next_billing_at = sp.nba ? sp.nba : sp.cpe,
	    .trial_start = sp.trial_start,
	    .trial_end = sp.trial_end,
	    .cancel_at_period_end = sp.cancel_at_period_end,
	    .start_date = sp.cps,
	    .metadata = "{}",
	    .created = sp.cps,
	};
	bool bad_interval = !cal_interval_name(s.interval);
	if (bad_interval)
		s.interval = CAL_MONTH; /* written below as is: an interval oneGuard does not know */
	assert_int_equal(store_subscription_insert(db, &s), DB_ROW);
	if (bad_interval)
		assert_int_equal(db_exec(db, "UPDATE subscriptions SET recurring_interval = $2 WHERE id = $1",
		                         (struct db_param[]){DB_INT(s.id), DB_TEXT(sp.interval)}, 2, NULL),
		                 DB_OK);
	if (sp.n_items == 0) {
		sp.n_items = 1;
		sp.items[0] = (struct item_spec){PRICE_GOLD, 3000, 1};
	}
	for (int i = 0; i < sp.n_items; i++) {
		struct og_sub_item it = {.subscription_id = s.id,
		                         .price_id = sp.items[i].price_id,
		                         .unit_amount = sp.items[i].unit_amount,
		                         .quantity = sp.items[i].quantity,
		                         .metadata = "{}",
		                         .created = sp.cps};
		assert_int_equal(store_sub_item_insert(db, &it), DB_ROW);
	}
	return s.id;
}

static int64_t add_pending_item(struct db_conn *db, int64_t customer_id, int64_t sub_id, int64_t amount,
                                const char *currency)
{
	struct og_invoice_item it = {.customer_id = customer_id,
	                             .subscription_id = sub_id,
	                             .description = "Remaining time on 2 × Gold",
	                             .has_unit_amount = true,
	                             .unit_amount = amount,
	                             .quantity = 1,
	                             .amount = amount,
	                             .currency = currency,
	                             .period_start = T(2025, 1, 15),
	                             .period_end = T(2025, 2, 1),
	                             .proration = true,
	                             .metadata = "{}",
	                             .created = T(2025, 1, 15)};
	assert_int_equal(store_invoice_item_insert(db, &it), DB_ROW);
	return it.id;
}

static struct engine_stats run_opts(struct db_conn *db, struct engine_opts opts)
{
	struct engine_stats st = {0};
	struct og_error err = {0};
	if (!opts.invoice_prefix)
		opts.invoice_prefix = "INV";
	enum og_ec ec = engine_run(db, &opts, &st, &err);
	if (ec)
		fail_msg("engine_run: %s: %s", og_ec_name(ec), err.message);
	return st;
}

static struct engine_stats run_at(struct db_conn *db, int64_t now)
{
	return run_opts(db, (struct engine_opts){.now = now});
}

static struct og_subscription get_sub(struct db_conn *db, struct og_arena *a, int64_t id)
{
	struct og_subscription s;
	assert_int_equal(store_subscription_get(db, a, id, &s), DB_ROW);
	return s;
}

/* The invoices of a subscription, oldest id first. */
static int invoices_of(struct db_conn *db, struct og_arena *a, int64_t sub_id, struct og_invoice *out, int max)
{
	struct store_invoice_filter f = {.subscription_id = sub_id};
	struct store_page page = {.limit = 100};
	struct store_list list;
	assert_int_equal(store_invoice_list(db, a, &page, &f, &list), DB_OK);
	assert_true(list.n <= max);
	for (int i = 0; i < list.n; i++) /* the list is newest first */
		out[i] = ((struct og_invoice *)list.rows)[list.n - 1 - i];
	return list.n;
}

/* Every number INV-000001 .. INV-<n> exactly once over finalized invoices. */
static void assert_numbers_gap_free(struct db_conn *db)
{
	int64_t n = count(db, "SELECT count(*) FROM invoices WHERE number IS NOT NULL");
	assert_int_equal(count(db, "SELECT count(DISTINCT number) FROM invoices WHERE number IS NOT NULL"), n);
	if (n == 0)
		return;
	assert_int_equal(count(db, "SELECT min(CAST(substr(number, 5) AS BIGINT)) FROM invoices"), 1);
	assert_int_equal(count(db, "SELECT max(CAST(substr(number, 5) AS BIGINT)) FROM invoices"), n);
	assert_int_equal(count(db, "SELECT value FROM counters WHERE name = 'invoice_number'"), n);
}

/* ---- tests --------------------------------------------------------------- */

/* Due subscriptions get one invoice each, finalized and numbered, with a
 * line per item and one event; the period rolls; a second run at the same
 * time bills nothing. */
static void test_bills_due_once(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1), t2 = T(2025, 3, 1);
	int64_t s1 = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t s2 = add_sub(f->db, (struct sub_spec){.anchor = t0,
	                                              .cps = t0,
	                                              .cpe = t1,
	                                              .n_items = 2,
	                                              .items = {{PRICE_GOLD, 3000, 2}, {PRICE_SILVER, 1000, 3}}});
	int64_t later =
	    add_sub(f->db, (struct sub_spec){.anchor = T(2025, 1, 20), .cps = T(2025, 1, 20), .cpe = T(2025, 2, 20)});

	struct engine_stats st = run_at(f->db, t1 + 10);
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.invoices, 2);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.n_currencies, 1);
	assert_string_equal(st.totals[0].currency, "usd");
	assert_int_equal(st.totals[0].amount, 3000 + 6000 + 3000);

	struct og_invoice inv[4];
	assert_int_equal(invoices_of(f->db, a, s1, inv, 4), 1);
	assert_int_equal(inv[0].status, INV_OPEN);
	assert_int_equal(inv[0].billing_reason, BILLING_REASON_SUBSCRIPTION_CYCLE);
	assert_int_equal(inv[0].cycle_period_start, t1);
	assert_int_equal(inv[0].period_start, t1);
	assert_int_equal(inv[0].period_end, t2);
	assert_int_equal(inv[0].total, 3000);
	assert_int_equal(inv[0].amount_remaining, 3000);
	assert_int_equal(inv[0].created, t1 + 10);
	assert_int_equal(inv[0].finalized_at, t1 + 10);
	assert_int_equal(inv[0].due_date, 0);
	assert_non_null(inv[0].number);
	assert_int_equal(invoices_of(f->db, a, s2, inv, 4), 1);
	assert_int_equal(inv[0].total, 9000);
	struct store_list lines;
	assert_int_equal(store_invoice_lines_of(f->db, a, inv[0].id, &lines), DB_OK);
	assert_int_equal(lines.n, 2);
	struct og_invoice_line *l = lines.rows;
	assert_int_equal(l[0].amount, 6000);
	assert_int_equal(l[0].quantity, 2);
	assert_string_equal(l[0].description, "2 × Gold (at 30.00 USD / month)");
	assert_int_equal(l[1].amount, 3000);
	assert_string_equal(l[1].description, "3 × Silver \"S\" \\ plan (at 10.00 USD / month)");
	assert_int_equal(l[1].period_start, t1);
	assert_int_equal(l[1].period_end, t2);
	assert_int_equal(l[1].line_type, LINE_SUBSCRIPTION);

	struct og_subscription s = get_sub(f->db, a, s1);
	assert_int_equal(s.current_period_start, t1);
	assert_int_equal(s.current_period_end, t2);
	assert_int_equal(s.next_billing_at, t2);
	assert_int_equal(s.status, SUB_ACTIVE);
	assert_int_equal(invoices_of(f->db, a, later, inv, 4), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.finalized'"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events"), 2);

	st = run_at(f->db, t1 + 10);
	assert_int_equal(st.seen, 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 2);
	st = run_at(f->db, T(2025, 2, 21));
	assert_int_equal(st.invoices, 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 3);
	assert_numbers_gap_free(f->db);
	arena_free(a);
}

/* Periods follow the anchor's calendar, and a subscription several periods
 * behind gets one invoice per missed period, oldest first. */
static void test_anchor_calendar_and_missed_periods(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	/* monthly on Jan 31: Feb 28, Mar 31, Apr 30, May 31 */
	int64_t m =
	    add_sub(f->db, (struct sub_spec){.anchor = T(2025, 1, 31), .cps = T(2025, 1, 31), .cpe = T(2025, 2, 28)});
	/* yearly on Feb 29 2024: Feb 28 in common years, Feb 29 in 2028 */
	int64_t y = add_sub(f->db, (struct sub_spec){.interval = "year",
	                                             .anchor = T(2024, 2, 29),
	                                             .cps = T(2024, 2, 29),
	                                             .cpe = T(2025, 2, 28),
	                                             .items = {{PRICE_YEARLY, 30000, 1}},
	                                             .n_items = 1});
	struct engine_stats st = run_at(f->db, T(2025, 5, 1));
	assert_int_equal(st.invoices, 3 + 1);
	struct og_invoice inv[8];
	assert_int_equal(invoices_of(f->db, a, m, inv, 8), 3);
	int64_t want[][2] = {
	    {T(2025, 2, 28), T(2025, 3, 31)}, {T(2025, 3, 31), T(2025, 4, 30)}, {T(2025, 4, 30), T(2025, 5, 31)}};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(inv[i].period_start, want[i][0]);
		assert_int_equal(inv[i].period_end, want[i][1]);
		if (i)
			assert_true(strcmp(inv[i - 1].number, inv[i].number) < 0);
	}
	assert_int_equal(get_sub(f->db, a, m).current_period_end, T(2025, 5, 31));

	st = run_at(f->db, T(2028, 3, 1));
	assert_int_equal(invoices_of(f->db, a, y, inv, 8), 4);
	int64_t ywant[] = {T(2025, 2, 28), T(2026, 2, 28), T(2027, 2, 28), T(2028, 2, 29), T(2029, 2, 28)};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(inv[i].period_start, ywant[i]);
		assert_int_equal(inv[i].period_end, ywant[i + 1]);
		assert_int_equal(inv[i].total, 30000);
	}
	/* May 31 2025 .. Feb 29 2028: 34 more months, each period starting where
	 * the one before ended (only the first has no predecessor) */
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", m), 3 + 34);
	assert_int_equal(count1(f->db,
	                        "SELECT count(*) FROM invoices i WHERE i.subscription_id = $1 AND NOT EXISTS (SELECT 1 "
	                        "FROM invoices j WHERE j.subscription_id = i.subscription_id AND j.period_end = "
	                        "i.period_start)",
	                        m),
	                 1);
	assert_int_equal(get_sub(f->db, a, m).current_period_end, T(2028, 3, 31));
	assert_numbers_gap_free(f->db);
	arena_free(a);
}

/* A subscription years behind is billed across several batches of the same
 * run: every period, in order, and nothing twice. */
static void test_many_periods_across_batches(void **state)
{
	struct testdb *f = *state;
	int64_t start = T(2024, 1, 1);
	int64_t d = add_sub(f->db, (struct sub_spec){.interval = "day",
	                                             .anchor = start,
	                                             .cps = start,
	                                             .cpe = start + 86400,
	                                             .n_items = 1,
	                                             .items = {{PRICE_DAILY, 100, 1}}});
	int64_t m = add_sub(f->db, (struct sub_spec){.anchor = start, .cps = start, .cpe = T(2024, 2, 1)});
	struct engine_stats st =
	    run_opts(f->db, (struct engine_opts){.now = start + 400 * 86400 + 5, .batch_size = 10});
	assert_int_equal(st.skipped, 0);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", d), 400);
	assert_int_equal(
	    count1(f->db, "SELECT count(DISTINCT period_start) FROM invoices WHERE subscription_id = $1", d), 400);
	assert_int_equal(count1(f->db, "SELECT min(period_start) FROM invoices WHERE subscription_id = $1", d),
	                 start + 86400);
	assert_int_equal(count1(f->db, "SELECT max(period_end) FROM invoices WHERE subscription_id = $1", d),
	                 start + 401 * 86400);
	/* numbers increase with the period (oldest first) */
	assert_int_equal(
	    count1(f->db,
	           "SELECT count(*) FROM invoices a JOIN invoices b ON a.subscription_id = b.subscription_id "
	           "AND a.period_start < b.period_start WHERE a.subscription_id = $1 AND a.number > b.number",
	           d),
	    0);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", m), 13);
	assert_int_equal(st.invoices, 413);
	assert_numbers_gap_free(f->db);
}

/* cancel_at_period_end: canceled at the period's end, no invoice when
 * nothing is pending, a final invoice with the pending items otherwise. */
static void test_cancel_at_period_end(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t plain =
	    add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .cancel_at_period_end = true});
	int64_t cus = new_customer(f->db, 0);
	int64_t pend = add_sub(
	    f->db,
	    (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .cancel_at_period_end = true, .customer_id = cus});
	int64_t item = add_pending_item(f->db, cus, pend, 1234, "usd");

	struct engine_stats st = run_at(f->db, T(2025, 3, 15));
	assert_int_equal(st.canceled, 2);
	assert_int_equal(st.invoices, 1);
	struct og_subscription s = get_sub(f->db, a, plain);
	assert_int_equal(s.status, SUB_CANCELED);
	assert_int_equal(s.ended_at, t1);
	assert_int_equal(s.canceled_at, t1);
	assert_int_equal(s.next_billing_at, 0);
	assert_int_equal(s.current_period_end, t1);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", plain), 0);
	assert_int_equal(
	    count1(f->db, "SELECT count(*) FROM events WHERE type = 'customer.subscription.deleted' AND object_id = $1",
	           plain),
	    1);
	struct og_invoice inv[2];
	assert_int_equal(invoices_of(f->db, a, pend, inv, 2), 1);
	assert_int_equal(inv[0].total, 1234);
	assert_int_equal(inv[0].period_start, t1);
	assert_int_equal(inv[0].period_end, t1);
	struct og_invoice_item ii;
	assert_int_equal(store_invoice_item_get(f->db, a, item, &ii), DB_ROW);
	assert_int_equal(ii.invoice_id, inv[0].id);
	assert_int_equal(get_sub(f->db, a, pend).status, SUB_CANCELED);
	/* never billed again */
	st = run_at(f->db, T(2026, 1, 1));
	assert_int_equal(st.seen, 0);
	assert_numbers_gap_free(f->db);
	arena_free(a);
}

/* A trial that has ended becomes active and its first paid period is
 * billed at full price from the trial's end (the anchor). */
static void test_trial_end(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), trial_end = T(2025, 1, 15);
	int64_t id = add_sub(f->db, (struct sub_spec){.status = "trialing",
	                                              .anchor = trial_end,
	                                              .cps = t0,
	                                              .cpe = trial_end,
	                                              .trial_start = t0,
	                                              .trial_end = trial_end});
	int64_t early = add_sub(f->db, (struct sub_spec){.status = "trialing",
	                                                 .anchor = T(2025, 2, 1),
	                                                 .cps = t0,
	                                                 .cpe = T(2025, 2, 1),
	                                                 .trial_start = t0,
	                                                 .trial_end = T(2025, 2, 1)});
	struct engine_stats st = run_at(f->db, trial_end + 60);
	assert_int_equal(st.trials_ended, 1);
	assert_int_equal(st.invoices, 1);
	struct og_subscription s = get_sub(f->db, a, id);
	assert_int_equal(s.status, SUB_ACTIVE);
	assert_int_equal(s.current_period_start, trial_end);
	assert_int_equal(s.current_period_end, T(2025, 2, 15));
	struct og_invoice inv[2];
	assert_int_equal(invoices_of(f->db, a, id, inv, 2), 1);
	assert_int_equal(inv[0].total, 3000);
	assert_int_equal(inv[0].period_start, trial_end);
	assert_int_equal(
	    count1(f->db, "SELECT count(*) FROM events WHERE type = 'customer.subscription.updated' AND object_id = $1",
	           id),
	    1);
	assert_int_equal(count1(f->db,
	                        "SELECT mrr_after FROM events WHERE type = 'customer.subscription.updated' "
	                        "AND object_id = $1",
	                        id),
	                 3000);
	assert_int_equal(get_sub(f->db, a, early).status, SUB_TRIALING);
	arena_free(a);
}

/* Pending invoice items go on the next cycle invoice once, not again. */
static void test_pending_items_once(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t cus = new_customer(f->db, 0);
	int64_t id = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = cus});
	int64_t mine = add_pending_item(f->db, cus, id, 1500, "usd");
	int64_t loose = add_pending_item(f->db, cus, 0, -200, "usd"); /* the customer's, no subscription */
	int64_t other_currency = add_pending_item(f->db, cus, 0, 999, "eur");
	run_at(f->db, t1 + 1);
	struct og_invoice inv[4];
	assert_int_equal(invoices_of(f->db, a, id, inv, 4), 1);
	assert_int_equal(inv[0].total, 3000 + 1500 - 200);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", inv[0].id), 3);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoice_items WHERE invoice_id = $1", inv[0].id), 2);
	struct og_invoice_item ii;
	assert_int_equal(store_invoice_item_get(f->db, a, mine, &ii), DB_ROW);
	assert_int_equal(ii.invoice_id, inv[0].id);
	assert_int_equal(store_invoice_item_get(f->db, a, loose, &ii), DB_ROW);
	assert_int_equal(ii.invoice_id, inv[0].id);
	assert_int_equal(store_invoice_item_get(f->db, a, other_currency, &ii), DB_ROW);
	assert_int_equal(ii.invoice_id, 0);
	run_at(f->db, T(2025, 3, 1) + 1);
	assert_int_equal(invoices_of(f->db, a, id, inv, 4), 2);
	assert_int_equal(inv[1].total, 3000);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", inv[1].id), 1);
	assert_numbers_gap_free(f->db);
	arena_free(a);
}

/* Paused, draft and canceled subscriptions are never billed, even with a
 * stale next_billing_at; subscriptions on a test clock are left to it. */
static void test_paused_and_clock_skipped(void **state)
{
	struct testdb *f = *state;
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	add_sub(f->db, (struct sub_spec){.status = "paused", .anchor = t0, .cps = t0, .cpe = t1});
	add_sub(f->db, (struct sub_spec){.status = "draft", .anchor = t0, .cps = t0, .cpe = t1});
	add_sub(f->db, (struct sub_spec){.status = "canceled", .anchor = t0, .cps = t0, .cpe = t1});
	struct og_test_clock clock = {.name = "c", .frozen_time = t0, .created = t0};
	assert_int_equal(store_test_clock_insert(f->db, &clock), DB_ROW);
	int64_t on_clock = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .clock_id = clock.id});
	struct engine_stats st = run_at(f->db, T(2025, 6, 1));
	assert_int_equal(st.seen, 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 0);

	/* the clock's own run, inside the caller's transaction */
	assert_int_equal(db_begin(f->db, true), DB_OK);
	struct engine_opts opts = {.now = T(2025, 3, 1), .clock_id = clock.id, .invoice_prefix = "INV"};
	struct og_error err = {0};
	st = (struct engine_stats){0};
	assert_int_equal(engine_run_in_txn(f->db, &opts, &st, &err), OG_EC_NONE);
	assert_int_equal(db_commit(f->db), DB_OK);
	assert_int_equal(st.invoices, 2);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", on_clock), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 2);
	/* engine_run refuses an open transaction, engine_run_in_txn needs one */
	assert_int_not_equal(engine_run_in_txn(f->db, &opts, &st, &err), OG_EC_NONE);
	assert_int_equal(db_begin(f->db, true), DB_OK);
	opts.clock_id = 0;
	assert_int_not_equal(engine_run(f->db, &opts, &st, &err), OG_EC_NONE);
	assert_int_equal(db_rollback(f->db), DB_OK);
}

/* A dry run computes and counts everything and writes nothing. */
static void test_dry_run(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	for (int i = 0; i < 5; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t c = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .cancel_at_period_end = true});
	struct engine_stats st =
	    run_opts(f->db, (struct engine_opts){.now = T(2025, 3, 5), .dry_run = true, .batch_size = 2});
	assert_int_equal(st.seen, 6);
	assert_int_equal(st.invoices, 10);
	assert_int_equal(st.canceled, 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoice_lines"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events"), 0);
	assert_int_equal(count(f->db, "SELECT value FROM counters WHERE name = 'invoice_number'"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM subscriptions WHERE next_billing_at = 1738368000"), 6);
	assert_int_equal(get_sub(f->db, a, c).status, SUB_ACTIVE);
	arena_free(a);
}

/* One subscription that cannot be billed (here: an interval the calendar
 * does not know) is skipped and reported; the rest of its batch is billed,
 * numbers stay gap-free, and the next run skips it again. */
static void test_failing_subscription_skipped(void **state)
{
	struct testdb *f = *state;
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	for (int i = 0; i < 4; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t bad = add_sub(f->db, (struct sub_spec){.interval = "fortnight", .anchor = t0, .cps = t0, .cpe = t1});
	for (int i = 0; i < 4; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t cus = new_customer(f->db, 0); /* the general path in the same batch */
	int64_t gen = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = cus});
	add_pending_item(f->db, cus, gen, 100, "usd");

	struct engine_stats st = run_at(f->db, t1 + 1);
	assert_int_equal(st.seen, 10);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.n_skipped_ids, 1);
	assert_int_equal(st.skipped_ids[0], bad);
	assert_int_equal(st.invoices, 9);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 9);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", bad), 0);
	assert_numbers_gap_free(f->db);
	st = run_at(f->db, t1 + 2);
	assert_int_equal(st.seen, 1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 9);
}

/* A subscription whose cycle would bill over the amount cap (written before
 * the API refused such items: a price at the cap x 1,000,000, or two lines
 * at the cap) is skipped and reported with no invoice; so is one whose
 * pending item pushes the total over. The others of the batch are billed. */
static void test_over_cap_skipped(void **state)
{
	struct testdb *f = *state;
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t huge = add_sub(
	    f->db,
	    (struct sub_spec){
	        .anchor = t0, .cps = t0, .cpe = t1, .n_items = 1, .items = {{PRICE_GOLD, MONEY_AMOUNT_MAX, 1000000}}});
	int64_t two =
	    add_sub(f->db, (struct sub_spec){.anchor = t0,
	                                     .cps = t0,
	                                     .cpe = t1,
	                                     .n_items = 2,
	                                     .items = {{PRICE_GOLD, MONEY_AMOUNT_MAX, 1}, {PRICE_GOLD, 1, 1}}});
	int64_t cus = new_customer(f->db, 0);
	int64_t pending = add_sub(f->db, (struct sub_spec){.anchor = t0,
	                                                   .cps = t0,
	                                                   .cpe = t1,
	                                                   .customer_id = cus,
	                                                   .n_items = 1,
	                                                   .items = {{PRICE_GOLD, MONEY_AMOUNT_MAX, 1}}});
	add_pending_item(f->db, cus, pending, 1, "usd");
	add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});

	struct engine_stats st = run_at(f->db, t1 + 1);
	assert_int_equal(st.seen, 5);
	assert_int_equal(st.skipped, 3);
	assert_int_equal(st.invoices, 2);
	const int64_t over[] = {huge, two, pending};
	for (int i = 0; i < 3; i++)
		assert_int_equal(count1(f->db, "SELECT count(*) FROM invoices WHERE subscription_id = $1", over[i]), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 2);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoice_lines WHERE amount > $1", MONEY_AMOUNT_MAX), 0);
	assert_numbers_gap_free(f->db);
}

/* Invoice numbers are gap-free across fast and general subscriptions, many
 * batches and a limit. */
static void test_batches_limit_and_numbers(void **state)
{
	struct testdb *f = *state;
	/* 250 subscriptions due over 25 days, a few with pending items */
	static const char seed[] =
	    "INSERT INTO customers (email, created) SELECT 'bulk', 1 FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 250) SELECT i FROM n) x;"
	    "INSERT INTO subscriptions (customer_id, status, currency, recurring_interval, interval_count, "
	    "collection_method, billing_cycle_anchor, current_period_start, current_period_end, next_billing_at, "
	    "start_date, created) SELECT id, 'active', 'usd', 'month', 1, 'charge_automatically', "
	    "1735689600 + (id % 25) * 86400, 1735689600 + (id % 25) * 86400, 1738368000 + (id % 25) * 86400, "
	    "1738368000 + (id % 25) * 86400, 1735689600, 1735689600 FROM customers WHERE email = 'bulk';"
	    "INSERT INTO subscription_items (subscription_id, price_id, unit_amount, quantity, created) "
	    "SELECT id, 1, 3000, 1 + id % 3, 1 FROM subscriptions;";
	assert_int_equal(db_exec_script(f->db, seed), DB_OK);
	for (int64_t s = 7; s <= 250; s += 31)
		add_pending_item(f->db, s, s, 10 * s, "usd");
	struct engine_opts opts = {.now = T(2025, 2, 10), .limit = 7, .batch_size = 3};
	struct engine_stats st = run_opts(f->db, opts);
	assert_int_equal(st.seen, 7);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 7);
	st = run_opts(f->db, (struct engine_opts){.now = T(2025, 3, 1) - 1, .batch_size = 37});
	assert_int_equal(st.seen, 243);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 250);
	assert_int_equal(count(f->db, "SELECT count(DISTINCT subscription_id) FROM invoices"), 250);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoice_items WHERE invoice_id IS NULL"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.finalized'"), 250);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoice_lines"), 250 + 8);
	assert_int_equal(count(f->db, "SELECT count(*) FROM subscriptions WHERE next_billing_at < 1740787200"), 0);
	assert_numbers_gap_free(f->db);
}

/* Per-customer numbering: each customer's invoices are numbered
 * <its prefix>-0001 .. -<n> exactly once (from <start> for the customer
 * start_id), in the order they were issued (a subscription's periods
 * oldest first), whatever mix of fast and general path,
 * batches and subscriptions per customer billed them; the customer's
 * next_invoice_sequence follows the last, and the account's counter is
 * never touched. */
static void assert_customer_series_gap_free(struct db_conn *db, struct og_arena *a, int64_t start_id, int64_t start)
{
	assert_int_equal(count(db, "SELECT value FROM counters WHERE name = 'invoice_number'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM invoices WHERE number IS NULL"), 0);
	struct db_res *r = NULL;
	assert_int_equal(db_exec(db,
	                         "SELECT c.id, c.invoice_prefix, c.next_invoice_sequence, count(i.id) FROM customers c "
	                         "LEFT JOIN invoices i ON i.customer_id = c.id GROUP BY c.id, c.invoice_prefix, "
	                         "c.next_invoice_sequence ORDER BY c.id",
	                         NULL, 0, &r),
	                 DB_OK);
	int64_t ids[400], nexts[400], ns[400];
	const char *prefixes[400];
	int n_customers = 0;
	while (db_next(r) == DB_ROW && n_customers < 400) {
		ids[n_customers] = db_int(r, 0);
		prefixes[n_customers] = arena_strdup(a, db_text(r, 1));
		nexts[n_customers] = db_int(r, 2);
		ns[n_customers++] = db_int(r, 3);
	}
	db_res_free(r);
	for (int c = 0; c < n_customers; c++) {
		int64_t first = ids[c] == start_id ? start : 1;
		assert_int_equal(nexts[c], first + ns[c]);
		struct db_param p[] = {DB_INT(ids[c])};
		assert_int_equal(
		    db_exec(db, "SELECT number FROM invoices WHERE customer_id = $1 ORDER BY id", p, 1, &r), DB_OK);
		int64_t seq = first - 1;
		while (db_next(r) == DB_ROW) {
			char want[64];
			snprintf(want, sizeof want, "%s-%04" PRId64, prefixes[c], ++seq);
			assert_string_equal(db_text(r, 0), want);
		}
		db_res_free(r);
		assert_int_equal(seq, first - 1 + ns[c]);
	}
}

/* --invoice-numbering customer on the engine: fast and general paths,
 * several subscriptions per customer, several periods behind, small
 * batches, a customer starting at its own next_invoice_sequence, and a
 * second run a month later continuing every series. */
static void test_customer_numbering(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t cus[12];
	for (int i = 0; i < 12; i++)
		cus[i] = new_customer(f->db, 0);
	for (int i = 0; i < 12; i++) {
		/* two subscriptions for every third customer, one of them three periods behind */
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = cus[i]});
		if (i % 3 == 0)
			add_sub(f->db, (struct sub_spec){.anchor = T(2024, 11, 1),
			                                 .cps = T(2024, 10, 1),
			                                 .cpe = T(2024, 11, 1),
			                                 .customer_id = cus[i]});
	}
	add_pending_item(f->db, cus[4], 0, 700, "usd"); /* the general path */
	int64_t ending = add_sub(
	    f->db,
	    (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = cus[5], .cancel_at_period_end = true});
	add_pending_item(f->db, cus[5], ending, 300, "usd"); /* a final invoice for the ending one */
	struct db_param p[] = {DB_INT(cus[7])};
	assert_int_equal(db_exec(f->db, "UPDATE customers SET next_invoice_sequence = 42 WHERE id = $1", p, 1, NULL),
	                 DB_OK);

	struct engine_stats st =
	    run_opts(f->db, (struct engine_opts){.now = t1 + 1, .batch_size = 4, .per_customer_numbers = true});
	assert_int_equal(st.skipped, 0);
	/* 12 + 4 x 4 (three old periods and February) + 1 final invoice */
	assert_int_equal(st.invoices, 12 + 16 + 1);
	assert_customer_series_gap_free(f->db, a, cus[7], 42);
	assert_int_equal(
	    count1(f->db, "SELECT count(*) FROM invoices WHERE customer_id = $1 AND number LIKE '%-0042'", cus[7]), 1);

	st = run_opts(f->db,
	              (struct engine_opts){.now = T(2025, 3, 1) + 1, .batch_size = 5, .per_customer_numbers = true});
	assert_int_equal(st.invoices, 12 + 4);
	assert_int_equal(
	    count1(f->db, "SELECT count(*) FROM invoices WHERE customer_id = $1 AND number LIKE '%-0043'", cus[7]), 1);
	assert_customer_series_gap_free(f->db, a, cus[7], 42);
	arena_free(a);
}

/* Account numbering stays as it was with customers that have prefixes, and
 * a customer without a prefix (a row written by hand) cannot be billed per
 * customer: it is skipped and reported, the others are billed, and no
 * number is lost. */
static void test_customer_numbering_needs_a_prefix(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	for (int i = 0; i < 3; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t bare = new_customer(f->db, 0);
	struct db_param p[] = {DB_INT(bare)};
	assert_int_equal(db_exec(f->db, "UPDATE customers SET invoice_prefix = NULL WHERE id = $1", p, 1, NULL), DB_OK);
	int64_t bad = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = bare});
	struct engine_stats st = run_opts(f->db, (struct engine_opts){.now = t1 + 1, .per_customer_numbers = true});
	assert_int_equal(st.invoices, 3);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.skipped_ids[0], bad);
	assert_int_equal(db_exec(f->db,
	                         "DELETE FROM subscription_items WHERE subscription_id IN "
	                         "(SELECT id FROM subscriptions WHERE customer_id = $1)",
	                         p, 1, NULL),
	                 DB_OK);
	assert_int_equal(db_exec(f->db, "DELETE FROM subscriptions WHERE customer_id = $1", p, 1, NULL), DB_OK);
	assert_int_equal(db_exec(f->db, "DELETE FROM customers WHERE id = $1", p, 1, NULL), DB_OK);
	assert_customer_series_gap_free(f->db, a, 0, 1);
	/* account numbering afterwards: INV-000001.. as before, customers untouched */
	for (int i = 0; i < 2; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	st = run_at(f->db, t1 + 2);
	assert_int_equal(st.invoices, 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices WHERE number LIKE 'INV-00000_'"), 2);
	assert_int_equal(count(f->db, "SELECT value FROM counters WHERE name = 'invoice_number'"), 2);
	assert_int_equal(count(f->db, "SELECT max(next_invoice_sequence) FROM customers"), 2);
	arena_free(a);
}

/* Migration 0004 on a database that has customers: each gets an 8-character
 * prefix of A-Z 0-9, all different, and next_invoice_sequence 1. */
static void test_migration_gives_prefixes(void **state)
{
	struct testdb *f = *state;
	/* a fresh schema up to 0003, customers, then the rest */
	char err[512];
	int applied = 0;
	if (f->backend == DB_SQLITE) {
		db_close(f->db);
		testdb_remove_sqlite_files(f->url + strlen("sqlite:"));
	} else {
		assert_int_equal(db_exec_script(f->db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"), DB_OK);
		db_close(f->db);
	}
	f->db = db_open(f->url, err, sizeof err);
	assert_non_null(f->db);
	struct migration before[8];
	int n = 0;
	for (const struct migration *m = migrations; m->version && m->version < 4 && n < 7; m++)
		before[n++] = *m;
	before[n] = (struct migration){0};
	assert_int_equal(store__migrate_list(f->db, before, &applied, err, sizeof err), DB_OK);
	static const char seed[] =
	    "INSERT INTO customers (email, created) SELECT 'old', 1 FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 3000) SELECT i FROM n) x;";
	assert_int_equal(db_exec_script(f->db, seed), DB_OK);
	assert_int_equal(store_migrate(f->db, &applied, err, sizeof err), DB_OK);
	assert_int_equal(count(f->db, "SELECT count(DISTINCT invoice_prefix) FROM customers"), 3000);
	assert_int_equal(count(f->db, "SELECT count(*) FROM customers WHERE length(invoice_prefix) = 8 "
	                              "AND next_invoice_sequence = 1"),
	                 3000);
	struct db_res *r = NULL;
	assert_int_equal(db_exec(f->db, "SELECT invoice_prefix FROM customers", NULL, 0, &r), DB_OK);
	while (db_next(r) == DB_ROW)
		assert_true(invoice_prefix_valid(db_text(r, 0)));
	db_res_free(r);
	assert_int_equal(db_exec_script(f->db, catalog_sql), DB_OK); /* for the teardown's next test */
}

static void count_progress(void *arg, const struct engine_stats *st)
{
	int *calls = arg;
	(*calls)++;
	assert_true(st->seen > 0);
}

/* Progress after each committed batch; the stop flag ends the run between
 * batches. */
static void test_progress_and_stop(void **state)
{
	struct testdb *f = *state;
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	for (int i = 0; i < 5; i++)
		add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	volatile int stop = 1;
	struct engine_stats st = run_opts(f->db, (struct engine_opts){.now = t1, .stop = &stop});
	assert_int_equal(st.seen, 0);
	int calls = 0;
	stop = 0;
	st = run_opts(
	    f->db, (struct engine_opts){
	               .now = t1, .batch_size = 2, .progress = count_progress, .progress_arg = &calls, .stop = &stop});
	assert_int_equal(st.seen, 5);
	assert_int_equal(calls, 3);
}

/* Open send_invoice invoices past their due date are marked past_due once,
 * with an invoice.overdue event; due dates are days_until_due after
 * finalization. */
static void test_overdue(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t id = add_sub(
	    f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .send_invoice = true, .days_until_due = 10});
	struct engine_stats st = run_at(f->db, t1);
	assert_int_equal(st.marked_past_due, 0);
	struct og_invoice inv[2];
	assert_int_equal(invoices_of(f->db, a, id, inv, 2), 1);
	assert_int_equal(inv[0].due_date, t1 + 10 * 86400);
	assert_false(inv[0].past_due);
	st = run_at(f->db, t1 + 10 * 86400 - 1);
	assert_int_equal(st.marked_past_due, 0);
	st = run_at(f->db, t1 + 10 * 86400);
	assert_int_equal(st.marked_past_due, 1);
	assert_int_equal(invoices_of(f->db, a, id, inv, 2), 1);
	assert_true(inv[0].past_due);
	assert_int_equal(inv[0].status, INV_OPEN);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.overdue'"), 1);
	st = run_at(f->db, t1 + 11 * 86400);
	assert_int_equal(st.marked_past_due, 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.overdue'"), 1);
	arena_free(a);
}

/* The fast path and the general path write the same rows: two identical
 * subscriptions, one sent down the general path by a pending item in
 * another currency (which its invoice does not take). */
static void test_fast_and_general_paths_agree(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 31), t1 = T(2025, 2, 28);
	struct sub_spec sp = {.anchor = t0,
	                      .cps = t0,
	                      .cpe = t1,
	                      .send_invoice = true,
	                      .days_until_due = 7,
	                      .n_items = 2,
	                      .items = {{PRICE_GOLD, 3000, 2}, {PRICE_SILVER, 1000, 1}}};
	int64_t fast = add_sub(f->db, sp);
	sp.customer_id = new_customer(f->db, 0);
	int64_t general = add_sub(f->db, sp);
	add_pending_item(f->db, sp.customer_id, 0, 5, "eur");
	sp.customer_id = 0;
	sp.n_items = 1;
	sp.items[0] = (struct item_spec){PRICE_GOLD, 0, 1}; /* free: paid at once, on both paths */
	int64_t free_fast = add_sub(f->db, sp);
	sp.customer_id = new_customer(f->db, 0);
	int64_t free_general = add_sub(f->db, sp);
	add_pending_item(f->db, sp.customer_id, 0, 5, "eur");

	run_at(f->db, T(2025, 4, 2));
	int64_t pairs[][2] = {{fast, general}, {free_fast, free_general}};
	for (int p = 0; p < 2; p++) {
		struct og_invoice x[4], y[4];
		int n = invoices_of(f->db, a, pairs[p][0], x, 4);
		assert_int_equal(n, 2);
		assert_int_equal(invoices_of(f->db, a, pairs[p][1], y, 4), n);
		for (int i = 0; i < n; i++) {
			assert_int_equal(x[i].status, y[i].status);
			assert_string_equal(x[i].currency, y[i].currency);
			assert_int_equal(x[i].billing_reason, y[i].billing_reason);
			assert_int_equal(x[i].collection_method, y[i].collection_method);
			assert_int_equal(x[i].has_days_until_due, y[i].has_days_until_due);
			assert_int_equal(x[i].days_until_due, y[i].days_until_due);
			assert_int_equal(x[i].cycle_period_start, y[i].cycle_period_start);
			assert_int_equal(x[i].period_start, y[i].period_start);
			assert_int_equal(x[i].period_end, y[i].period_end);
			assert_int_equal(x[i].subtotal, y[i].subtotal);
			assert_int_equal(x[i].total, y[i].total);
			assert_int_equal(x[i].amount_due, y[i].amount_due);
			assert_int_equal(x[i].amount_paid, y[i].amount_paid);
			assert_int_equal(x[i].amount_remaining, y[i].amount_remaining);
			assert_int_equal(x[i].due_date, y[i].due_date);
			assert_int_equal(x[i].past_due, y[i].past_due);
			assert_null(x[i].description);
			assert_null(y[i].description);
			assert_string_equal(x[i].metadata, y[i].metadata);
			assert_int_equal(x[i].created, y[i].created);
			assert_int_equal(x[i].finalized_at, y[i].finalized_at);
			assert_int_equal(x[i].paid_at, y[i].paid_at);
			assert_int_equal(x[i].voided_at, y[i].voided_at);
			struct store_list lx, ly;
			assert_int_equal(store_invoice_lines_of(f->db, a, x[i].id, &lx), DB_OK);
			assert_int_equal(store_invoice_lines_of(f->db, a, y[i].id, &ly), DB_OK);
			assert_int_equal(lx.n, ly.n);
			for (int k = 0; k < lx.n; k++) {
				struct og_invoice_line *u = (struct og_invoice_line *)lx.rows + k;
				struct og_invoice_line *v = (struct og_invoice_line *)ly.rows + k;
				assert_int_equal(u->line_type, v->line_type);
				assert_string_equal(u->description, v->description);
				assert_int_equal(u->price_id, v->price_id);
				assert_int_equal(u->has_unit_amount, v->has_unit_amount);
				assert_int_equal(u->unit_amount, v->unit_amount);
				assert_int_equal(u->quantity, v->quantity);
				assert_int_equal(u->amount, v->amount);
				assert_string_equal(u->currency, v->currency);
				assert_int_equal(u->period_start, v->period_start);
				assert_int_equal(u->period_end, v->period_end);
				assert_int_equal(u->proration, v->proration);
				assert_int_equal(u->invoice_item_id, v->invoice_item_id);
			}
			/* the events: the same text but for the ids and the number */
			int64_t ex = 0, ey = 0;
			assert_int_equal(count1(f->db,
			                        "SELECT count(*) FROM events WHERE object_id = $1 AND type = "
			                        "'invoice.finalized'",
			                        x[i].id),
			                 1);
			assert_int_equal(db_query_int(f->db, "SELECT id FROM events WHERE object_id = $1",
			                              (struct db_param[]){DB_INT(x[i].id)}, 1, &ex),
			                 DB_OK);
			assert_int_equal(db_query_int(f->db, "SELECT id FROM events WHERE object_id = $1",
			                              (struct db_param[]){DB_INT(y[i].id)}, 1, &ey),
			                 DB_OK);
			struct og_event evx, evy;
			assert_int_equal(store_event_get(f->db, a, ex, &evx), DB_ROW);
			assert_int_equal(store_event_get(f->db, a, ey, &evy), DB_ROW);
			assert_string_equal(evx.type, evy.type);
			assert_int_equal(evx.created, evy.created);
			json_t *jx = json_loads(evx.data, 0, NULL), *jy = json_loads(evy.data, 0, NULL);
			assert_non_null(jx);
			assert_non_null(jy);
			const char *varying[] = {"id", "customer", "subscription", "number"};
			const char *line_varying[] = {"id", "invoice", "subscription", "subscription_item"};
			json_t *both[] = {json_object_get(jx, "object"), json_object_get(jy, "object")};
			for (int o = 0; o < 2; o++) {
				for (int k = 0; k < 4; k++)
					json_object_del(both[o], varying[k]);
				json_t *list = json_object_get(both[o], "lines");
				json_object_del(list, "url");
				assert_int_equal(json_array_size(json_object_get(list, "data")), lx.n);
				size_t li;
				json_t *line;
				json_array_foreach(json_object_get(list, "data"), li, line)
				{
					for (int k = 0; k < 4; k++)
						json_object_del(line, line_varying[k]);
				}
			}
			assert_true(json_equal(jx, jy));
			json_decref(jx);
			json_decref(jy);
		}
		/* the subscriptions alike */
		struct og_subscription sx = get_sub(f->db, a, pairs[p][0]), sy = get_sub(f->db, a, pairs[p][1]);
		assert_int_equal(sx.current_period_start, sy.current_period_start);
		assert_int_equal(sx.current_period_end, sy.current_period_end);
		assert_int_equal(sx.next_billing_at, sy.next_billing_at);
		assert_int_equal(sx.latest_invoice_id, x[1].id);
		assert_int_equal(sy.latest_invoice_id, y[1].id);
		assert_int_equal(sx.status, sy.status);
	}
	arena_free(a);
}

/* The fast path reserves ids past the largest ever used (issue 12): after
 * the newest invoice, a draft, and its line are deleted, the engine's
 * invoice and line get new ids, not theirs again. */
static void test_fast_path_never_reuses_ids(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t sub = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1});
	int64_t cus = new_customer(f->db, 0);
	struct db_param p[] = {DB_INT(cus)};
	assert_int_equal(
	    db_exec(f->db,
	            "INSERT INTO invoices (customer_id, status, currency, billing_reason, collection_method, "
	            "period_start, period_end, created) VALUES ($1, 'draft', 'usd', 'manual', "
	            "'charge_automatically', 1, 1, 1)",
	            p, 1, NULL),
	    DB_OK);
	int64_t draft = count(f->db, "SELECT max(id) FROM invoices");
	struct db_param lp[] = {DB_INT(draft)};
	assert_int_equal(db_exec(f->db,
	                         "INSERT INTO invoice_lines (invoice_id, line_type, amount, currency, period_start, "
	                         "period_end) VALUES ($1, 'invoiceitem', 5, 'usd', 1, 1)",
	                         lp, 1, NULL),
	                 DB_OK);
	int64_t line = count(f->db, "SELECT max(id) FROM invoice_lines");
	assert_int_equal(store_invoice_delete(f->db, draft), DB_ROW);
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices"), 0);

	struct engine_stats st = run_at(f->db, t1);
	assert_int_equal(st.invoices, 1);
	struct og_invoice inv[2];
	assert_int_equal(invoices_of(f->db, a, sub, inv, 2), 1);
	assert_true(inv[0].id > draft);
	assert_int_equal(count1(f->db, "SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", inv[0].id), 1);
	assert_true(count(f->db, "SELECT min(id) FROM invoice_lines") > line);
	arena_free(a);
}

/* A cycle invoice's invoice.finalized event carries the whole invoice, lines
 * included, exactly as GET /v1/invoices/{id} renders it (the model's one
 * renderer), on the fast path and on the general path alike. */
static void test_event_is_the_full_invoice(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t ids[3];
	ids[0] = add_sub(
	    f->db, (struct sub_spec){.anchor = t0,
	                             .cps = t0,
	                             .cpe = t1,
	                             .n_items = 3,
	                             .items = {{PRICE_SILVER, 1000, 4}, {PRICE_GOLD, 3000, 1}, {PRICE_GOLD, 5, 2}}});
	ids[1] = add_sub(f->db, (struct sub_spec){.anchor = t0,
	                                          .cps = t0,
	                                          .cpe = t1,
	                                          .send_invoice = true,
	                                          .days_until_due = 3,
	                                          .n_items = 1,
	                                          .items = {{PRICE_GOLD, 0, 1}}});
	int64_t cus = new_customer(f->db, 0); /* a pending item: the general path */
	ids[2] = add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = t1, .customer_id = cus});
	add_pending_item(f->db, cus, ids[2], 100, "usd");
	run_opts(f->db, (struct engine_opts){.now = t1 + 5, .invoice_prefix = "A\"B\\C"});
	int want_lines[] = {3, 1, 2};
	for (int s = 0; s < 3; s++) {
		struct og_invoice inv[2];
		assert_int_equal(invoices_of(f->db, a, ids[s], inv, 2), 1);
		struct store_list lines;
		assert_int_equal(store_invoice_lines_of(f->db, a, inv[0].id, &lines), DB_OK);
		assert_int_equal(lines.n, want_lines[s]);
		struct og_jsonw w;
		jsonw_init(&w, a, 0);
		jsonw_object_begin(&w);
		jsonw_key(&w, "object");
		model_invoice_render(&w, &inv[0], lines.rows, lines.n, false);
		jsonw_object_end(&w);
		assert_int_equal(
		    count1(f->db, "SELECT count(*) FROM events WHERE object_id = $1 AND type = 'invoice.finalized'",
		           inv[0].id),
		    1);
		int64_t ev_id = 0;
		assert_int_equal(db_query_int(f->db, "SELECT id FROM events WHERE object_id = $1",
		                              (struct db_param[]){DB_INT(inv[0].id)}, 1, &ev_id),
		                 DB_OK);
		struct og_event ev;
		assert_int_equal(store_event_get(f->db, a, ev_id, &ev), DB_ROW);
		assert_string_equal(ev.data, jsonw_text(&w, NULL));
		json_t *data = json_loads(ev.data, 0, NULL);
		assert_non_null(data);
		json_t *list = json_object_get(json_object_get(data, "object"), "lines");
		assert_int_equal(json_array_size(json_object_get(list, "data")), want_lines[s]);
		assert_int_equal(json_integer_value(json_object_get(list, "total_count")), want_lines[s]);
		json_decref(data);
	}
	assert_int_equal(count(f->db, "SELECT count(*) FROM invoices WHERE substr(number, 1, 6) = 'A\"B\\C-'"), 3);
	arena_free(a);
}

/* Claimed rows read back exactly as store_subscription_get reads them. */
static void test_claim_reads_whole_rows(void **state)
{
	struct testdb *f = *state;
	struct og_arena *a = arena_new();
	int64_t t0 = T(2025, 1, 1), t1 = T(2025, 2, 1);
	int64_t id = add_sub(
	    f->db, (struct sub_spec){.anchor = t0,
	                             .cps = t0,
	                             .cpe = t1,
	                             .send_invoice = true,
	                             .days_until_due = 9,
	                             .trial_start = 5,
	                             .trial_end = 6,
	                             .n_items = 3,
	                             .items = {{PRICE_SILVER, 1000, 4}, {PRICE_GOLD, 3000, 1}, {PRICE_YEARLY, 7, 2}}});
	assert_int_equal(db_begin(f->db, true), DB_OK);
	struct store_due_batch b;
	assert_int_equal(store_billing_claim(f->db, a, 0, t1, 0, 0, 10, BILLING_MAX_ITEMS, &b), DB_OK);
	assert_int_equal(b.n, 1);
	struct og_subscription s = get_sub(f->db, a, id);
	assert_memory_equal(&s.id, &b.subs[0].sub.id, offsetof(struct og_subscription, status));
	assert_int_equal(s.status, b.subs[0].sub.status);
	assert_string_equal(s.currency, b.subs[0].sub.currency);
	assert_int_equal(s.interval, b.subs[0].sub.interval);
	assert_int_equal(s.collection_method, b.subs[0].sub.collection_method);
	assert_string_equal(s.metadata, b.subs[0].sub.metadata);
	assert_int_equal(s.days_until_due, b.subs[0].sub.days_until_due);
	assert_int_equal(s.has_days_until_due, b.subs[0].sub.has_days_until_due);
	assert_int_equal(s.trial_end, b.subs[0].sub.trial_end);
	assert_int_equal(s.created, b.subs[0].sub.created);
	struct og_sub_item *items;
	int n;
	assert_int_equal(store_sub_items_of(f->db, a, id, BILLING_MAX_ITEMS, &items, &n), DB_OK);
	assert_int_equal(b.subs[0].n_items, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(items[i].id, b.subs[0].items[i].id);
		assert_int_equal(items[i].price_id, b.subs[0].items[i].price_id);
		assert_int_equal(items[i].quantity, b.subs[0].items[i].quantity);
		assert_int_equal(items[i].unit_amount, b.subs[0].items[i].unit_amount);
		assert_true(items[i].price_nickname == b.subs[0].items[i].price_nickname ||
		            !strcmp(items[i].price_nickname, b.subs[0].items[i].price_nickname));
		assert_string_equal(items[i].product_name, b.subs[0].items[i].product_name);
	}
	assert_false(b.subs[0].has_pending);
	/* the cursor excludes what it has passed */
	assert_int_equal(store_billing_claim(f->db, a, 0, t1, t1, id, 10, BILLING_MAX_ITEMS, &b), DB_OK);
	assert_int_equal(b.n, 0);
	assert_int_equal(db_rollback(f->db), DB_OK);
	arena_free(a);
}

/* The in-server worker bills at start, wakes on request, stops cleanly. */
static void test_worker(void **state)
{
	struct testdb *f = *state;
	if (f->backend != DB_SQLITE)
		skip(); /* the worker's code does not depend on the backend */
	int64_t now = clock_now();
	int64_t t0 = now - 40 * 86400;
	add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = now - 86400});
	struct og_config cfg;
	config_defaults(&cfg);
	snprintf(cfg.db_url, sizeof cfg.db_url, "%s", f->url);
	cfg.billing_interval = 3600;
	struct cli_worker *w = cli_worker_start(&cfg, NULL);
	assert_non_null(w);
	int64_t n = 0;
	for (int i = 0; i < 500 && n < 1; i++) {
		usleep(10000);
		n = count(f->db, "SELECT count(*) FROM invoices");
	}
	assert_int_equal(n, 1);
	add_sub(f->db, (struct sub_spec){.anchor = t0, .cps = t0, .cpe = now - 3600});
	engine_worker_wake();
	for (int i = 0; i < 500 && n < 2; i++) {
		usleep(10000);
		n = count(f->db, "SELECT count(*) FROM invoices");
	}
	assert_int_equal(n, 2);
	cli_worker_stop(w);
	engine_worker_wake(); /* no worker: a no-op */
	cfg.billing_interval = 0;
	assert_null(cli_worker_start(&cfg, NULL));
	cli_worker_stop(NULL);
}

#define ENGINE_TESTS(setup, teardown)                                                                                  \
	cmocka_unit_test_setup_teardown(test_bills_due_once, setup, teardown),                                         \
	    cmocka_unit_test_setup_teardown(test_anchor_calendar_and_missed_periods, setup, teardown),                 \
	    cmocka_unit_test_setup_teardown(test_many_periods_across_batches, setup, teardown),                        \
	    cmocka_unit_test_setup_teardown(test_cancel_at_period_end, setup, teardown),                               \
	    cmocka_unit_test_setup_teardown(test_trial_end, setup, teardown),                                          \
	    cmocka_unit_test_setup_teardown(test_pending_items_once, setup, teardown),                                 \
	    cmocka_unit_test_setup_teardown(test_paused_and_clock_skipped, setup, teardown),                           \
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),                                            \
	    cmocka_unit_test_setup_teardown(test_failing_subscription_skipped, setup, teardown),                       \
	    cmocka_unit_test_setup_teardown(test_over_cap_skipped, setup, teardown),                                   \
	    cmocka_unit_test_setup_teardown(test_batches_limit_and_numbers, setup, teardown),                          \
	    cmocka_unit_test_setup_teardown(test_progress_and_stop, setup, teardown),                                  \
	    cmocka_unit_test_setup_teardown(test_overdue, setup, teardown),                                            \
	    cmocka_unit_test_setup_teardown(test_fast_and_general_paths_agree, setup, teardown),                       \
	    cmocka_unit_test_setup_teardown(test_fast_path_never_reuses_ids, setup, teardown),                         \
	    cmocka_unit_test_setup_teardown(test_event_is_the_full_invoice, setup, teardown),                          \
	    cmocka_unit_test_setup_teardown(test_claim_reads_whole_rows, setup, teardown),                             \
	    cmocka_unit_test_setup_teardown(test_customer_numbering, setup, teardown),                                 \
	    cmocka_unit_test_setup_teardown(test_customer_numbering_needs_a_prefix, setup, teardown),                  \
	    cmocka_unit_test_setup_teardown(test_migration_gives_prefixes, setup, teardown),                           \
	    cmocka_unit_test_setup_teardown(test_worker, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {ENGINE_TESTS(test_setup, testdb_test_teardown)};
	int failed =
	    cmocka_run_group_tests_name("billing_engine_sqlite", tests, sqlite_group_setup, testdb_group_teardown);
	const char *pg = getenv("OG_TEST_PG_URL");
	if (pg && *pg)
		failed += cmocka_run_group_tests_name("billing_engine_postgres", tests, pg_group_setup,
		                                      testdb_group_teardown);
	else
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of test_engine was NOT run "
		       "(scripts/run-tests.sh starts a server and sets it).\n");
	return failed ? 1 : 0;
}
