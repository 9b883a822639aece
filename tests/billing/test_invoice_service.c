/* The invoice lifecycle service (src/billing/invoices.c, invoice_items.c,
 * test_clocks.c) called directly, without a server, on a SQLite file and
 * on a fresh PostgreSQL database when OG_TEST_PG_URL names a server. Each
 * test gets an empty, migrated database with one product and price, and
 * calls the service functions the API handlers call, outside any
 * transaction: a refusal must leave every table as it was (checked with a
 * fingerprint of the tables), since nothing would roll back a write made
 * before it. Covered: the transitions and their 409s naming the status,
 * paid_out_of_band, a paid invoice reactivating its past_due subscription,
 * drafts (pending items taken and given back, updates, delete), metadata
 * the only change after finalization, items keeping their draft's line and
 * totals, and "now" at the customer's test clock (create, advance, delete). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "billing/invoice_items.h"
#include "billing/invoices.h"
#include "billing/test_clocks.h"
#include "core/arena.h"
#include "lib/testdb.h"
#include "store/resources.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW     1735689600 /* 2025-01-01: the request's arrival time */
#define FROZEN  1704067200 /* 2024-01-01: a test clock's time */
#define PRICE_1 1

/* The shared two-backend database (tests/lib/testdb.h) comes first, so
 * the fixture is also a struct testdb for its setup and teardown. */
struct fixture {
	struct testdb t;
	struct db_conn *db;
	struct og_arena *arena;
	struct og_error err;
	struct billing_ctx bc;
};

/* ---- fixtures ------------------------------------------------------------ */

static int group_setup(void **state, enum db_backend backend, const char *prefix)
{
	void *t = NULL;
	if (testdb_group_setup(&t, backend, prefix) != 0)
		return -1;
	struct fixture *f = calloc(1, sizeof *f);
	f->t = *(struct testdb *)t;
	free(t);
	*state = f;
	return 0;
}

static int sqlite_group_setup(void **state)
{
	return group_setup(state, DB_SQLITE, "og-test-invsvc");
}

static int pg_group_setup(void **state)
{
	return group_setup(state, DB_POSTGRES, "og_test_invsvc");
}

static int group_teardown(void **state)
{
	return testdb_group_teardown(state); /* frees the fixture: t is its first member */
}

static const char catalog_sql[] =
    "INSERT INTO products (name, created, updated) VALUES ('Gold', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold-monthly', 3000, 'usd', 'month', 1, 1);";

static int test_setup(void **state)
{
	struct fixture *f = *state;
	if (testdb_begin(&f->t, true) != 0)
		return -1;
	f->db = f->t.db;
	f->arena = arena_new();
	f->err = (struct og_error){0};
	f->bc =
	    (struct billing_ctx){.db = f->db, .arena = f->arena, .invoice_prefix = "INV", .now = NOW, .err = &f->err};
	return db_exec_script(f->db, catalog_sql) == DB_OK ? 0 : -1;
}

static int test_teardown(void **state)
{
	struct fixture *f = *state;
	arena_free(f->arena);
	f->db = NULL;
	return testdb_test_teardown(state);
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t query_int(struct db_conn *db, const char *sql)
{
	int64_t n = -1;
	enum db_rc rc = db_query_int(db, sql, NULL, 0, &n);
	if (rc != DB_OK)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return n;
}

/* Enough of every table a lifecycle call writes to see any write. */
struct fingerprint {
	int64_t v[12];
};

static struct fingerprint fingerprint(struct db_conn *db)
{
	static const char *const sql[] = {
	    "SELECT count(*) FROM events",
	    "SELECT count(*) FROM invoices",
	    "SELECT coalesce(sum(subtotal + total + amount_due + amount_paid + amount_remaining), 0) FROM invoices",
	    "SELECT coalesce(sum(coalesce(finalized_at, 0) + coalesce(paid_at, 0) + coalesce(voided_at, 0) + "
	    "coalesce(marked_uncollectible_at, 0)), 0) FROM invoices",
	    "SELECT count(*) FROM invoices WHERE status = 'draft'",
	    "SELECT count(*) FROM invoices WHERE status = 'open'",
	    "SELECT count(*) FROM invoices WHERE number IS NOT NULL",
	    "SELECT count(*) FROM invoice_lines",
	    "SELECT coalesce(sum(amount), 0) FROM invoice_lines",
	    "SELECT count(*) FROM invoice_items WHERE invoice_id IS NULL",
	    "SELECT coalesce(sum(amount * 7 + quantity), 0) FROM invoice_items",
	    "SELECT count(*) FROM subscriptions WHERE status = 'active'",
	};
	struct fingerprint fp;
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
		fp.v[i] = query_int(db, sql[i]);
	return fp;
}

static void assert_unchanged(struct db_conn *db, const struct fingerprint *before)
{
	struct fingerprint now = fingerprint(db);
	for (int i = 0; i < 12; i++)
		if (now.v[i] != before->v[i])
			fail_msg("fingerprint %d changed: %lld -> %lld", i, (long long)before->v[i],
			         (long long)now.v[i]);
}

static int64_t new_customer(struct fixture *f, const char *currency, int64_t clock_id)
{
	struct og_customer c = {.email = "c@example.com", .currency = currency, .metadata = "{}", .created = 1};
	assert_int_equal(store_customer_insert(f->db, &c), DB_ROW);
	if (clock_id)
		assert_int_equal(store_customer_set_test_clock(f->db, c.id, clock_id), DB_ROW);
	return c.id;
}

#define ASSERT_OK(call)                                                                                                \
	do {                                                                                                           \
		enum og_ec ec_ = (call);                                                                               \
		if (ec_)                                                                                               \
			fail_msg("%s: %s: %s", #call, og_ec_name(ec_), f->err.message);                                \
	} while (0)

/* The call fails with ec, naming param (NULL: none), and writes nothing. */
#define ASSERT_REFUSED(call, want_ec, want_param)                                                                      \
	do {                                                                                                           \
		struct fingerprint before_ = fingerprint(f->db);                                                       \
		f->err = (struct og_error){0};                                                                         \
		enum og_ec ec_ = (call);                                                                               \
		if (ec_ != (want_ec))                                                                                  \
			fail_msg("%s: %s, wanted %s (%s)", #call, og_ec_name(ec_), og_ec_name(want_ec),                \
			         f->err.message);                                                                      \
		const char *want_param_ = (want_param);                                                                \
		if (want_param_)                                                                                       \
			assert_string_equal(f->err.param, want_param_);                                                \
		else                                                                                                   \
			assert_string_equal(f->err.param, "");                                                         \
		assert_unchanged(f->db, &before_);                                                                     \
	} while (0)

/* A draft for a usd customer with one item of amount, through the service. */
static struct billing_invoice draft_with_item(struct fixture *f, int64_t customer_id, int64_t amount)
{
	struct billing_invoice bi;
	ASSERT_OK(billing_invoice_create(&f->bc, &(struct billing_invoice_create_in){.customer_id = customer_id}, &bi));
	struct og_invoice_item it;
	ASSERT_OK(billing_invoice_item_create(
	    &f->bc,
	    &(struct billing_item_create_in){
	        .customer_id = customer_id, .amount = amount, .has_amount = true, .invoice_id = bi.inv.id},
	    &it));
	ASSERT_OK(billing_invoice_get(&f->bc, bi.inv.id, &bi));
	return bi;
}

/* ---- tests --------------------------------------------------------------- */

/* draft -> open -> paid, each a step of the table; every refused step is
 * OG_EC_INVOICE_STATUS naming the status and writes nothing. */
static void test_transitions_and_refusals(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, "usd", 0);
	struct billing_invoice bi = draft_with_item(f, cus, 500);
	struct billing_invoice_ref_in ref = {.invoice_id = bi.inv.id};
	assert_string_equal(invoice_status_name(bi.inv.status), "draft");
	assert_int_equal(bi.inv.subtotal, 500);
	assert_int_equal(bi.n_lines, 1);

	/* a draft is never voided, paid or marked uncollectible */
	ASSERT_REFUSED(billing_invoice_void(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	assert_non_null(strstr(f->err.message, "'draft'"));
	ASSERT_REFUSED(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){bi.inv.id, true, true}, &bi),
	               OG_EC_INVOICE_STATUS, NULL);
	ASSERT_REFUSED(billing_invoice_mark_uncollectible(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);

	ASSERT_OK(billing_invoice_finalize_draft(&f->bc, &ref, &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "open");
	assert_string_equal(bi.inv.number, "INV-000001");
	assert_int_equal(bi.inv.finalized_at, NOW);
	assert_int_equal(bi.inv.amount_due, 500);
	ASSERT_REFUSED(billing_invoice_finalize_draft(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	assert_non_null(strstr(f->err.message, "'open'"));
	ASSERT_REFUSED(billing_invoice_delete(&f->bc, &ref), OG_EC_INVOICE_STATUS, NULL);

	/* pay records only payments made outside oneGuard */
	ASSERT_REFUSED(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){.invoice_id = bi.inv.id}, &bi),
	               OG_EC_PARAM_MISSING, "paid_out_of_band");
	ASSERT_REFUSED(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){bi.inv.id, false, true}, &bi),
	               OG_EC_PARAM_INVALID, "paid_out_of_band");
	ASSERT_OK(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){bi.inv.id, true, true}, &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "paid");
	assert_int_equal(bi.inv.amount_paid, 500);
	assert_int_equal(bi.inv.amount_remaining, 0);
	assert_int_equal(bi.inv.paid_at, NOW);
	assert_true(bi.inv.paid_out_of_band);

	/* paid is final */
	ASSERT_REFUSED(billing_invoice_void(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	assert_non_null(strstr(f->err.message, "its status is 'paid'"));
	ASSERT_REFUSED(billing_invoice_mark_uncollectible(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	ASSERT_REFUSED(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){bi.inv.id, true, true}, &bi),
	               OG_EC_INVOICE_STATUS, NULL);
	/* one event per change: created, updated (the item), item created, finalized, paid */
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.paid'"), 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 5);

	/* a missing invoice is a 404 naming id */
	ASSERT_REFUSED(billing_invoice_void(&f->bc, &(struct billing_invoice_ref_in){.invoice_id = 999}, &bi),
	               OG_EC_RESOURCE_MISSING, "id");
}

/* open -> uncollectible -> void; the timestamps come from now. */
static void test_void_and_uncollectible(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, "usd", 0);
	struct billing_invoice bi = draft_with_item(f, cus, 700);
	struct billing_invoice_ref_in ref = {.invoice_id = bi.inv.id};
	ASSERT_OK(billing_invoice_finalize_draft(&f->bc, &ref, &bi));
	f->bc.now = NOW + 10;
	ASSERT_OK(billing_invoice_mark_uncollectible(&f->bc, &ref, &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "uncollectible");
	assert_int_equal(bi.inv.marked_uncollectible_at, NOW + 10);
	ASSERT_REFUSED(billing_invoice_mark_uncollectible(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	f->bc.now = NOW + 20;
	ASSERT_OK(billing_invoice_void(&f->bc, &ref, &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "void");
	assert_int_equal(bi.inv.voided_at, NOW + 20);
	ASSERT_REFUSED(billing_invoice_void(&f->bc, &ref, &bi), OG_EC_INVOICE_STATUS, NULL);
	assert_non_null(strstr(f->err.message, "'void'"));
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE type IN ('invoice.voided', "
	                                  "'invoice.marked_uncollectible')"),
	                 2);
}

/* A draft takes the customer's loose pending items when asked, can change,
 * and gives them back when deleted, without taking a number. */
static void test_draft_create_update_delete(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, NULL, 0);
	struct og_invoice_item it;
	struct billing_invoice scratch;
	/* no currency anywhere: refused, nothing written */
	ASSERT_REFUSED(
	    billing_invoice_create(&f->bc, &(struct billing_invoice_create_in){.customer_id = cus}, &scratch),
	    OG_EC_PARAM_MISSING, "currency");
	ASSERT_REFUSED(billing_invoice_create(
	                   &f->bc,
	                   &(struct billing_invoice_create_in){
	                       .customer_id = cus, .currency = "usd", .has_days_until_due = true, .days_until_due = 10},
	                   &scratch),
	               OG_EC_PARAM_INVALID, "days_until_due");
	ASSERT_REFUSED(
	    billing_invoice_create(&f->bc, &(struct billing_invoice_create_in){.customer_id = 999}, &scratch),
	    OG_EC_PARAM_ID, "customer");
	ASSERT_OK(billing_invoice_item_create(
	    &f->bc,
	    &(struct billing_item_create_in){
	        .customer_id = cus, .price_id = PRICE_1, .has_price = true, .quantity = 2, .has_quantity = true},
	    &it));
	assert_int_equal(it.amount, 6000);
	assert_string_equal(it.currency, "usd");
	assert_string_equal(it.description, "Gold");
	assert_int_equal(it.invoice_id, 0);

	struct billing_invoice bi;
	ASSERT_OK(billing_invoice_create(&f->bc,
	                                 &(struct billing_invoice_create_in){
	                                     .customer_id = cus,
	                                     .currency = "usd",
	                                     .collection_method = BILLING_SEND_INVOICE,
	                                     .pending_invoice_items_behavior = BILLING_PENDING_INCLUDE,
	                                 },
	                                 &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "draft");
	assert_int_equal(bi.inv.billing_reason, BILLING_REASON_MANUAL);
	assert_int_equal(bi.inv.collection_method, COLLECTION_SEND_INVOICE);
	assert_int_equal(bi.inv.days_until_due, BILLING_INVOICE_DAYS_UNTIL_DUE_DEFAULT);
	assert_null(bi.inv.number);
	assert_int_equal(bi.n_lines, 1);
	assert_int_equal(bi.inv.subtotal, 6000);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM invoice_items WHERE invoice_id IS NULL"), 0);

	json_t *md = json_pack("{s:s}", "k", "v");
	struct billing_invoice_update_in up = {.invoice_id = bi.inv.id,
	                                       .collection_method = BILLING_CHARGE_AUTOMATICALLY,
	                                       .has_collection_method = true,
	                                       .description = "Hello",
	                                       .has_description = true,
	                                       .metadata = md,
	                                       .has_metadata = true};
	ASSERT_OK(billing_invoice_update(&f->bc, &up, &bi));
	json_decref(md);
	assert_int_equal(bi.inv.collection_method, COLLECTION_CHARGE_AUTOMATICALLY);
	assert_false(bi.inv.has_days_until_due);
	assert_string_equal(bi.inv.description, "Hello");
	assert_string_equal(bi.inv.metadata, "{\"k\":\"v\"}");
	/* days_until_due needs send_invoice */
	ASSERT_REFUSED(billing_invoice_update(&f->bc,
	                                      &(struct billing_invoice_update_in){.invoice_id = bi.inv.id,
	                                                                          .days_until_due = 5,
	                                                                          .has_days_until_due = true},
	                                      &bi),
	               OG_EC_PARAM_INVALID, "days_until_due");
	/* an empty update writes nothing */
	ASSERT_REFUSED(
	    billing_invoice_update(&f->bc, &(struct billing_invoice_update_in){.invoice_id = bi.inv.id}, &bi),
	    OG_EC_NONE, NULL);

	ASSERT_OK(billing_invoice_delete(&f->bc, &(struct billing_invoice_ref_in){.invoice_id = bi.inv.id}));
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM invoices"), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM invoice_lines"), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM invoice_items WHERE invoice_id IS NULL"), 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE type = 'invoice.deleted'"), 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM counters WHERE name = 'invoice_number' AND value > 0"),
	                 0);
}

/* Once finalized only metadata may change, for the invoice and its items. */
static void test_finalized_only_metadata(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, "usd", 0);
	struct billing_invoice bi = draft_with_item(f, cus, 500);
	int64_t item_id = bi.lines[0].invoice_item_id;
	ASSERT_OK(billing_invoice_finalize_draft(&f->bc, &(struct billing_invoice_ref_in){bi.inv.id}, &bi));
	ASSERT_REFUSED(billing_invoice_update(&f->bc,
	                                      &(struct billing_invoice_update_in){
	                                          .invoice_id = bi.inv.id, .description = "x", .has_description = true},
	                                      &bi),
	               OG_EC_INVOICE_STATUS, "description");
	ASSERT_REFUSED(billing_invoice_item_update(
	                   &f->bc,
	                   &(struct billing_item_update_in){.item_id = item_id, .amount = 1, .has_amount = true},
	                   &(struct og_invoice_item){0}),
	               OG_EC_INVOICE_STATUS, NULL);
	ASSERT_REFUSED(
	    billing_invoice_item_delete(&f->bc, &(struct billing_item_ref_in){item_id}, &(struct og_invoice_item){0}),
	    OG_EC_INVOICE_STATUS, NULL);
	ASSERT_REFUSED(billing_invoice_item_create(
	                   &f->bc,
	                   &(struct billing_item_create_in){
	                       .customer_id = cus, .amount = 5, .has_amount = true, .invoice_id = bi.inv.id},
	                   &(struct og_invoice_item){0}),
	               OG_EC_INVOICE_STATUS, "invoice");
	json_t *md = json_pack("{s:s}", "paid_by", "wire");
	ASSERT_OK(billing_invoice_update(
	    &f->bc, &(struct billing_invoice_update_in){.invoice_id = bi.inv.id, .metadata = md, .has_metadata = true},
	    &bi));
	json_decref(md);
	assert_string_equal(bi.inv.metadata, "{\"paid_by\":\"wire\"}");
	assert_string_equal(invoice_status_name(bi.inv.status), "open");
}

/* An item on a draft keeps exactly one line there, and the draft's totals
 * follow every change; bad amounts are refused before any write. */
static void test_items_keep_the_draft_in_step(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, "usd", 0);
	struct billing_invoice bi = draft_with_item(f, cus, 500);
	int64_t item_id = bi.lines[0].invoice_item_id;
	struct og_invoice_item it;
	ASSERT_OK(billing_invoice_item_update(
	    &f->bc,
	    &(struct billing_item_update_in){
	        .item_id = item_id, .unit_amount = 250, .has_unit_amount = true, .quantity = 3, .has_quantity = true},
	    &it));
	assert_int_equal(it.amount, 750);
	ASSERT_OK(billing_invoice_get(&f->bc, bi.inv.id, &bi));
	assert_int_equal(bi.n_lines, 1);
	assert_int_equal(bi.lines[0].amount, 750);
	assert_int_equal(bi.inv.subtotal, 750);

	/* a credit: the total goes negative, nothing is due */
	ASSERT_OK(billing_invoice_item_create(
	    &f->bc,
	    &(struct billing_item_create_in){
	        .customer_id = cus, .amount = -1000, .has_amount = true, .invoice_id = bi.inv.id},
	    &it));
	ASSERT_OK(billing_invoice_get(&f->bc, bi.inv.id, &bi));
	assert_int_equal(bi.inv.subtotal, -250);
	assert_int_equal(bi.inv.amount_due, 0);

	ASSERT_REFUSED(billing_invoice_item_update(&f->bc,
	                                           &(struct billing_item_update_in){.item_id = item_id,
	                                                                            .unit_amount = 99999999999LL,
	                                                                            .has_unit_amount = true,
	                                                                            .quantity = 2,
	                                                                            .has_quantity = true},
	                                           &it),
	               OG_EC_PARAM_AMOUNT, "quantity");
	ASSERT_REFUSED(billing_invoice_item_update(
	                   &f->bc,
	                   &(struct billing_item_update_in){
	                       .item_id = item_id, .period_start = 20, .period_end = 10, .has_period = true},
	                   &it),
	               OG_EC_PARAM_INVALID, "period[end]");
	ASSERT_REFUSED(
	    billing_invoice_item_create(
	        &f->bc,
	        &(struct billing_item_create_in){
	            .customer_id = cus, .amount = 5, .has_amount = true, .unit_amount = 5, .has_unit_amount = true},
	        &it),
	    OG_EC_PARAM_INVALID, "unit_amount");

	ASSERT_OK(billing_invoice_item_delete(&f->bc, &(struct billing_item_ref_in){item_id}, &it));
	assert_int_equal(it.id, item_id);
	ASSERT_OK(billing_invoice_get(&f->bc, bi.inv.id, &bi));
	assert_int_equal(bi.n_lines, 1);
	assert_int_equal(bi.inv.subtotal, -1000);
	ASSERT_REFUSED(billing_invoice_item_get(&f->bc, item_id, &it), OG_EC_RESOURCE_MISSING, "id");

	/* the list carries each invoice's lines */
	struct billing_invoice *list;
	int n;
	bool has_more;
	ASSERT_OK(billing_invoice_list(&f->bc, &(struct store_page){.limit = 10},
	                               &(struct store_invoice_filter){.customer_id = cus}, &list, &n, &has_more));
	assert_int_equal(n, 1);
	assert_false(has_more);
	assert_int_equal(list[0].inv.id, bi.inv.id);
	assert_int_equal(list[0].n_lines, 1);
	assert_int_equal(list[0].lines[0].amount, -1000);
}

/* Paying the latest invoice of a past_due subscription makes it active. */
static void test_pay_reactivates_subscription(void **state)
{
	struct fixture *f = *state;
	int64_t cus = new_customer(f, "usd", 0);
	struct og_subscription s = {.customer_id = cus,
	                            .status = SUB_PAST_DUE,
	                            .currency = "usd",
	                            .interval = CAL_MONTH,
	                            .interval_count = 1,
	                            .collection_method = COLLECTION_CHARGE_AUTOMATICALLY,
	                            .billing_cycle_anchor = NOW,
	                            .current_period_start = NOW,
	                            .current_period_end = NOW + 31 * 86400,
	                            .next_billing_at = NOW + 31 * 86400,
	                            .start_date = NOW,
	                            .metadata = "{}",
	                            .created = NOW};
	assert_int_equal(store_subscription_insert(f->db, &s), DB_ROW);
	struct og_invoice inv = {.customer_id = cus,
	                         .subscription_id = s.id,
	                         .status = INV_OPEN,
	                         .number = "INV-000009",
	                         .currency = "usd",
	                         .billing_reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
	                         .collection_method = COLLECTION_CHARGE_AUTOMATICALLY,
	                         .subtotal = 0,
	                         .metadata = "{}",
	                         .created = NOW};
	assert_int_equal(store_invoice_insert(f->db, &inv), DB_ROW);
	s.latest_invoice_id = inv.id;
	assert_int_equal(store_subscription_update(f->db, &s), DB_ROW);
	struct billing_invoice bi;
	ASSERT_OK(billing_invoice_pay(&f->bc, &(struct billing_invoice_pay_in){inv.id, true, true}, &bi));
	assert_string_equal(invoice_status_name(bi.inv.status), "paid");
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM subscriptions WHERE status = 'active'"), 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE type = 'customer.subscription.updated'"),
	                 1);
}

/* Everything for a customer on a test clock happens at the clock's time;
 * a clock never moves backwards and cannot go while a customer uses it. */
static void test_customer_on_a_test_clock(void **state)
{
	struct fixture *f = *state;
	struct og_test_clock c;
	ASSERT_REFUSED(billing_test_clock_create(&f->bc, &(struct billing_test_clock_create_in){.frozen_time = 0}, &c),
	               OG_EC_PARAM_INVALID, "frozen_time");
	ASSERT_OK(billing_test_clock_create(
	    &f->bc, &(struct billing_test_clock_create_in){.frozen_time = FROZEN, .name = ""}, &c));
	assert_null(c.name);
	assert_int_equal(c.created, NOW);
	int64_t cus = new_customer(f, "usd", c.id);
	struct billing_invoice bi = draft_with_item(f, cus, 100);
	assert_int_equal(bi.inv.created, FROZEN);
	assert_int_equal(bi.inv.period_start, FROZEN);
	ASSERT_OK(billing_invoice_finalize_draft(&f->bc, &(struct billing_invoice_ref_in){bi.inv.id}, &bi));
	assert_int_equal(bi.inv.finalized_at, FROZEN);

	ASSERT_REFUSED(
	    billing_test_clock_advance(
	        &f->bc, &(struct billing_test_clock_advance_in){.clock_id = c.id, .frozen_time = FROZEN - 1}, &c),
	    OG_EC_CLOCK_BACKWARDS, "frozen_time");
	/* an advance runs the engine in the caller's transaction */
	assert_int_equal(db_begin(f->db, true), DB_OK);
	ASSERT_OK(billing_test_clock_advance(
	    &f->bc, &(struct billing_test_clock_advance_in){.clock_id = c.id, .frozen_time = FROZEN + 3600}, &c));
	assert_int_equal(db_commit(f->db), DB_OK);
	assert_int_equal(c.frozen_time, FROZEN + 3600);
	ASSERT_OK(billing_invoice_void(&f->bc, &(struct billing_invoice_ref_in){bi.inv.id}, &bi));
	assert_int_equal(bi.inv.voided_at, FROZEN + 3600);

	ASSERT_REFUSED(billing_test_clock_delete(&f->bc, &(struct billing_test_clock_ref_in){c.id}),
	               OG_EC_STATE_CONFLICT, NULL);
	int64_t other;
	ASSERT_OK(billing_customer_now(&f->bc, new_customer(f, "usd", 0), &other));
	assert_int_equal(other, NOW);
}

/* The parameter choices are the enums' names, in the enums' order. */
static void test_choice_tables(void **state)
{
	(void)state;
	for (int i = 0; i < INV__COUNT; i++)
		assert_string_equal(invoice_status_names[i], invoice_status_name((enum invoice_status)i));
	assert_null(invoice_status_names[INV__COUNT]);
	assert_string_equal(collection_method_names[BILLING_SEND_INVOICE], "send_invoice");
	assert_string_equal(collection_method_names[BILLING_CHARGE_AUTOMATICALLY], "charge_automatically");
	assert_null(collection_method_names[COLLECTION__COUNT]);
	assert_string_equal(billing_pending_behaviors[BILLING_PENDING_INCLUDE], "include");
}

#define SERVICE_TESTS(setup, teardown)                                                                                 \
	cmocka_unit_test(test_choice_tables),                                                                          \
	    cmocka_unit_test_setup_teardown(test_transitions_and_refusals, setup, teardown),                           \
	    cmocka_unit_test_setup_teardown(test_void_and_uncollectible, setup, teardown),                             \
	    cmocka_unit_test_setup_teardown(test_draft_create_update_delete, setup, teardown),                         \
	    cmocka_unit_test_setup_teardown(test_finalized_only_metadata, setup, teardown),                            \
	    cmocka_unit_test_setup_teardown(test_items_keep_the_draft_in_step, setup, teardown),                       \
	    cmocka_unit_test_setup_teardown(test_pay_reactivates_subscription, setup, teardown),                       \
	    cmocka_unit_test_setup_teardown(test_customer_on_a_test_clock, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {SERVICE_TESTS(test_setup, test_teardown)};
	int failed = cmocka_run_group_tests_name("invoice_service_sqlite", tests, sqlite_group_setup, group_teardown);
	const char *pg = getenv("OG_TEST_PG_URL");
	if (pg && *pg)
		failed +=
		    cmocka_run_group_tests_name("invoice_service_postgres", tests, pg_group_setup, group_teardown);
	else
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of test_invoice_service was NOT run "
		       "(scripts/run-tests.sh starts a server and sets it).\n");
	return failed ? 1 : 0;
}
