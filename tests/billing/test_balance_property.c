/* The customer balance invariant under random operations (issue 14): on a
 * real store (SQLite: 10,000 operations; PostgreSQL, when OG_TEST_PG_URL is
 * set: 1,000, as each costs round trips), adjustments, invoices that consume
 * credit, invoices with a negative total, and voids, chosen by a seeded
 * generator, through the service functions the API calls. After every step,
 * for every customer: balance == the sum of its transactions == the last
 * transaction's ending_balance, and every finalized invoice's amount_due is
 * its total less the credit it consumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "billing/balance.h"
#include "billing/invoice_items.h"
#include "billing/invoices.h"
#include "core/arena.h"
#include "lib/testdb.h"
#include "store/resources.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW         1735689600
#define N_CUSTOMERS 5
#define MAX_OPEN    64

struct fixture {
	struct testdb t;
	int n_ops;
};

static int group_setup(void **state, enum db_backend backend, const char *prefix, int n_ops)
{
	void *t = NULL;
	if (testdb_group_setup(&t, backend, prefix) != 0)
		return -1;
	struct fixture *f = calloc(1, sizeof *f);
	f->t = *(struct testdb *)t;
	f->n_ops = n_ops;
	free(t);
	*state = f;
	return 0;
}

static int sqlite_setup(void **state)
{
	return group_setup(state, DB_SQLITE, "og-test-balprop", 10000);
}

static int pg_setup(void **state)
{
	return group_setup(state, DB_POSTGRES, "og_test_balprop", 1000);
}

static int group_teardown(void **state)
{
	return testdb_group_teardown(state);
}

static int64_t one_int(struct db_conn *db, const char *sql, int64_t id)
{
	struct db_param p[] = {DB_INT(id)};
	int64_t v = 0;
	enum db_rc rc = db_query_int(db, sql, p, 1, &v);
	if (rc != DB_OK && rc != DB_DONE)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return v;
}

static void check_invariant(struct db_conn *db, const int64_t *customers, int step)
{
	for (int i = 0; i < N_CUSTOMERS; i++) {
		int64_t balance = one_int(db, "SELECT balance FROM customers WHERE id = $1", customers[i]);
		int64_t sum = 0;
		assert_int_equal(store_balance_txn_sum(db, customers[i], &sum), DB_ROW);
		int64_t last =
		    one_int(db,
		            "SELECT ending_balance FROM customer_balance_transactions WHERE customer_id = $1 "
		            "ORDER BY id DESC LIMIT 1",
		            customers[i]);
		if (balance != sum || balance != last)
			fail_msg("step %d, customer %d: balance %lld, sum %lld, last ending_balance %lld", step, i,
			         (long long)balance, (long long)sum, (long long)last);
	}
}

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}
static int64_t between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

#define OK(call)                                                                                                       \
	do {                                                                                                           \
		enum og_ec ec_ = (call);                                                                               \
		if (ec_)                                                                                               \
			fail_msg("step %d: %s: %s: %s", step, #call, og_ec_name(ec_), err.message);                    \
	} while (0)

static void random_operations(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(testdb_begin(&f->t, true), 0);
	struct db_conn *db = f->t.db;
	assert_int_equal(db_begin(db, true), DB_OK);
	struct og_error err = {0};
	int64_t customers[N_CUSTOMERS];
	for (int i = 0; i < N_CUSTOMERS; i++) {
		struct og_customer c = {.email = "p@example.com", .currency = "usd", .metadata = "{}", .created = 1};
		assert_int_equal(store_customer_insert(db, &c), DB_ROW);
		customers[i] = c.id;
	}
	int64_t open[MAX_OPEN];
	int n_open = 0;
	int counts[4] = {0};
	for (int step = 0; step < f->n_ops; step++) {
		struct og_arena *a = arena_new();
		struct billing_ctx bc = {.db = db, .arena = a, .invoice_prefix = "INV", .now = NOW + step, .err = &err};
		err = (struct og_error){0};
		int64_t cus = customers[between(0, N_CUSTOMERS - 1)];
		int op = (int)between(0, 3);
		if (op == 3 && n_open == 0)
			op = 1;
		counts[op]++;
		if (op == 0) { /* an adjustment, either way */
			int64_t amount = between(-6000, 6000);
			struct og_balance_txn t;
			if (amount)
				OK(billing_balance_apply(&bc,
				                         &(struct billing_balance_in){.customer_id = cus,
				                                                      .amount = amount,
				                                                      .currency = "usd",
				                                                      .type = BTXN_ADJUSTMENT},
				                         &t));
		} else { /* an invoice of one item: positive (1) or negative (2) */
			int64_t amount = op == 1 ? between(1, 8000) : between(-8000, -1);
			if (op == 3) { /* void an open one instead */
				int k = (int)between(0, n_open - 1);
				struct billing_invoice bi;
				OK(billing_invoice_void(&bc, &(struct billing_invoice_ref_in){.invoice_id = open[k]},
				                        &bi));
				open[k] = open[--n_open];
			} else {
				struct billing_invoice bi;
				OK(billing_invoice_create(&bc, &(struct billing_invoice_create_in){.customer_id = cus},
				                          &bi));
				struct og_invoice_item it;
				OK(billing_invoice_item_create(
				    &bc,
				    &(struct billing_item_create_in){.customer_id = cus,
				                                     .amount = amount,
				                                     .has_amount = true,
				                                     .invoice_id = bi.inv.id},
				    &it));
				OK(billing_invoice_finalize_draft(
				    &bc, &(struct billing_invoice_ref_in){.invoice_id = bi.inv.id}, &bi));
				const struct og_invoice *inv = &bi.inv;
				int64_t moved = inv->ending_balance - inv->starting_balance;
				if (inv->total != amount || (amount < 0 && (moved != amount || inv->amount_due != 0)) ||
				    (amount > 0 && (moved < 0 || inv->amount_due != amount - moved)))
					fail_msg("step %d: total %lld, amount_due %lld, balance %lld -> %lld", step,
					         (long long)inv->total, (long long)inv->amount_due,
					         (long long)inv->starting_balance, (long long)inv->ending_balance);
				if (inv->status == INV_OPEN && n_open < MAX_OPEN)
					open[n_open++] = inv->id;
			}
		}
		check_invariant(db, customers, step);
		arena_free(a);
	}
	assert_int_equal(db_commit(db), DB_OK);
	printf("balance property: %d steps (%d adjustments, %d invoices, %d negative invoices, %d voids)\n", f->n_ops,
	       counts[0], counts[1], counts[2], counts[3]);
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0 && counts[3] > 0);
}

static int test_teardown(void **state)
{
	return testdb_test_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(random_operations, test_teardown)};
	int failed = cmocka_run_group_tests_name("balance_property_sqlite", tests, sqlite_setup, group_teardown);
	const char *pg = getenv("OG_TEST_PG_URL");
	if (pg && *pg)
		failed += cmocka_run_group_tests_name("balance_property_postgres", tests, pg_setup, group_teardown);
	else
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of test_balance_property was NOT run.\n");
	return failed ? 1 : 0;
}
