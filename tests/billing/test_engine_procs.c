/* `oneguard bill` as a process (OG_BIN, default build/san/oneguard):
 *
 *   - crash: 100,000 due subscriptions in a SQLite file; `oneguard bill` is
 *     killed with SIGKILL once some batches have committed; what it left is
 *     consistent (every subscription billed for all its due periods or not
 *     at all, numbers gap-free); a second run completes; then every due
 *     subscription has exactly one invoice per period and none is missing.
 *   - two engines at once over 20,000 due subscriptions, on PostgreSQL
 *     (FOR UPDATE SKIP LOCKED claims; when OG_TEST_PG_URL is set; with
 *     account numbering and with per-customer numbering, customers shared
 *     by both engines' batches) and on SQLite (one writer at a time): no
 *     duplicate, no gap.
 *
 * Subscriptions are seeded with one INSERT ... SELECT per table over a
 * recursive CTE. One in seven is two periods behind (two invoices), one in
 * ten has two items. The checks are SQL over the whole tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/testdb.h"
#include "store/db.h"
#include "store/store.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEC_1 1733011200 /* 2024-12-01: the anchor of the subscriptions two periods behind */
#define JAN_1 1735689600
#define FEB_1 1738368000
#define MAR_1 1740787200
#define UNTIL "1738368010" /* Feb 1 2025, 00:00:10 */

static const char *og_bin;

static const char seed_sql[] =
    "INSERT INTO products (name, created, updated) VALUES ('Gold', 1, 1);"
    "INSERT INTO products (name, created, updated) VALUES ('Silver', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (1, 'gold', 3000, 'usd', 'month', 1, 1);"
    "INSERT INTO prices (product_id, nickname, unit_amount, currency, recurring_interval, interval_count, created) "
    "VALUES (2, 'silver', 1000, 'usd', 'month', 1, 1);"
    "INSERT INTO customers (email, created, invoice_prefix) SELECT 'c' || CAST(i AS TEXT) || '@example.com', 1, "
    "'P' || CAST(i + 1000000 AS TEXT) FROM "
    "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT i FROM n) x;"
    "INSERT INTO subscriptions (customer_id, status, currency, recurring_interval, interval_count, "
    "collection_method, billing_cycle_anchor, current_period_start, current_period_end, next_billing_at, "
    "start_date, created) SELECT id, 'active', 'usd', 'month', 1, 'charge_automatically', "
    "CASE WHEN id %% 7 = 0 THEN 1733011200 ELSE 1735689600 END, CASE WHEN id %% 7 = 0 THEN 1733011200 ELSE "
    "1735689600 END, CASE WHEN id %% 7 = 0 THEN 1735689600 ELSE 1738368000 END, CASE WHEN id %% 7 = 0 THEN "
    "1735689600 ELSE 1738368000 END, 1733011200, 1 FROM customers;"
    "INSERT INTO subscription_items (subscription_id, price_id, unit_amount, quantity, created) "
    "SELECT id, 1, 3000, 1, 1 FROM subscriptions;"
    "INSERT INTO subscription_items (subscription_id, price_id, unit_amount, quantity, created) "
    "SELECT id, 2, 1000, 2, 1 FROM subscriptions WHERE customer_id %% 10 = 0;";

/* Runs OG_BIN with args; stdout to out_path (or /dev/null). Returns the pid. */
static pid_t spawn(const char *const *args, const char *out_path)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && !getenv("OG_TEST_VERBOSE")) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
		char *argv[16];
		int n = 0;
		argv[n++] = (char *)og_bin;
		for (int i = 0; args[i] && n < 15; i++)
			argv[n++] = (char *)args[i];
		argv[n] = NULL;
		execv(og_bin, argv);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int run(const char *const *args)
{
	return wait_exit(spawn(args, NULL));
}

static int64_t count(struct db_conn *db, const char *sql)
{
	int64_t n = -1;
	enum db_rc rc = db_query_int(db, sql, NULL, 0, &n);
	if (rc != DB_OK)
		fail_msg("%s: %d %s", sql, rc, db_errmsg(db));
	return n;
}

static struct db_conn *open_db(const char *url)
{
	char err[512];
	struct db_conn *db = db_open(url, err, sizeof err);
	if (!db)
		fail_msg("db_open %s: %s", url, err);
	return db;
}

/* A migrated database with n due subscriptions. */
static void prepare(const char *url, int n)
{
	const char *migrate[] = {"migrate", "--db", url, NULL};
	assert_int_equal(run(migrate), 0);
	struct db_conn *db = open_db(url);
	char sql[sizeof seed_sql + 32];
	snprintf(sql, sizeof sql, seed_sql, n);
	assert_int_equal(db_exec_script(db, sql), DB_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM subscriptions"), n);
	db_close(db);
}

static int64_t expected_invoices(int n)
{
	return n + n / 7;
}

/* Per-customer numbering: each customer's invoices carry its prefix and
 * sequences 1..k exactly once, k + 1 is its next_invoice_sequence, and the
 * account's counter was never used. */
static void check_customer_series(struct db_conn *db)
{
	assert_int_equal(count(db, "SELECT value FROM counters WHERE name = 'invoice_number'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM customers c WHERE c.next_invoice_sequence <> 1 + "
	                           "(SELECT count(*) FROM invoices i WHERE i.customer_id = c.id)"),
	                 0);
	assert_int_equal(
	    count(db, "SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE "
	              "substr(i.number, 1, length(c.invoice_prefix) + 1) <> c.invoice_prefix || '-' OR "
	              "length(i.number) < length(c.invoice_prefix) + 5 OR CAST(substr(i.number, "
	              "length(c.invoice_prefix) + 2) AS BIGINT) NOT BETWEEN 1 AND c.next_invoice_sequence - 1"),
	    0);
}

/* What any committed prefix of a run leaves: each subscription billed for
 * all its due periods (and rolled) or for none (and not rolled); one line
 * per item, one event per invoice; numbers 1..count exactly once (with
 * per_customer: per customer). */
static void check_consistent(struct db_conn *db, bool per_customer)
{
	assert_int_equal(count(db,
	                       "SELECT count(*) FROM subscriptions s WHERE (SELECT count(*) FROM invoices i WHERE "
	                       "i.subscription_id = s.id) <> CASE WHEN s.current_period_end = 1740787200 THEN (CASE "
	                       "WHEN s.billing_cycle_anchor = 1733011200 THEN 2 ELSE 1 END) ELSE 0 END"),
	                 0);
	assert_int_equal(count(db, "SELECT count(*) FROM subscriptions WHERE current_period_end = 1740787200 AND "
	                           "(next_billing_at <> 1740787200 OR current_period_start <> 1738368000)"),
	                 0);
	assert_int_equal(count(db, "SELECT count(*) FROM (SELECT subscription_id, cycle_period_start FROM invoices "
	                           "GROUP BY subscription_id, cycle_period_start HAVING count(*) > 1) d"),
	                 0);
	int64_t n = count(db, "SELECT count(*) FROM invoices");
	assert_int_equal(count(db, "SELECT count(*) FROM events WHERE type = 'invoice.finalized'"), n);
	assert_int_equal(count(db, "SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id"),
	                 count(db, "SELECT count(*) FROM invoices i JOIN subscription_items si ON si.subscription_id = "
	                           "i.subscription_id"));
	assert_int_equal(count(db, "SELECT count(DISTINCT number) FROM invoices"), n);
	if (per_customer) {
		check_customer_series(db);
		return;
	}
	assert_int_equal(count(db, "SELECT value FROM counters WHERE name = 'invoice_number'"), n);
	if (n) {
		assert_int_equal(count(db, "SELECT min(CAST(substr(number, 5) AS BIGINT)) FROM invoices"), 1);
		assert_int_equal(count(db, "SELECT max(CAST(substr(number, 5) AS BIGINT)) FROM invoices"), n);
	}
}

/* Everything due billed: every subscription has its periods, once. */
static void check_complete(struct db_conn *db, int n, bool per_customer)
{
	check_consistent(db, per_customer);
	assert_int_equal(count(db, "SELECT count(*) FROM invoices"), expected_invoices(n));
	assert_int_equal(count(db, "SELECT count(*) FROM subscriptions WHERE current_period_end <> 1740787200"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM subscriptions s WHERE NOT EXISTS (SELECT 1 FROM invoices i "
	                           "WHERE i.subscription_id = s.id AND i.cycle_period_start = 1738368000)"),
	                 0);
	assert_int_equal(count(db, "SELECT count(*) FROM subscriptions s WHERE s.billing_cycle_anchor = 1733011200 "
	                           "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription_id = s.id AND "
	                           "i.cycle_period_start = 1735689600)"),
	                 0);
	/* the older period of a subscription got the smaller number */
	assert_int_equal(count(db, "SELECT count(*) FROM invoices a JOIN invoices b ON a.subscription_id = "
	                           "b.subscription_id AND a.period_start < b.period_start WHERE a.id > b.id"),
	                 0);
}

static int64_t issued_in(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	long long n = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "  invoices issued %lld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static void test_sigkill_mid_run(void **state)
{
	(void)state;
	const int n = 100000;
	struct testdb_file file;
	assert_int_equal(testdb_file_create(&file, "og-test-crash", "crash.db"), 0);
	const char *url = file.url;
	prepare(url, n);
	struct db_conn *db = open_db(url);
	const char *bill[] = {"bill", "--db", url, "--until", UNTIL, "--batch", "500", NULL};
	int64_t seen = 0;
	int status = -1;
	pid_t pid = spawn(bill, NULL);
	/* wait for some committed batches, then kill without warning */
	while (pid) {
		seen = count(db, "SELECT count(*) FROM invoices");
		if (seen >= 15000) {
			kill(pid, SIGKILL);
			status = wait_exit(pid);
			break;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			fail_msg("oneguard bill ended (%d) before it could be killed",
			         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		usleep(2000);
	}
	assert_int_equal(status, 128 + SIGKILL);
	int64_t after_kill = count(db, "SELECT count(*) FROM invoices");
	printf("killed after %" PRId64 " of %" PRId64 " invoices\n", after_kill, expected_invoices(n));
	assert_true(after_kill >= 15000);
	assert_true(after_kill < expected_invoices(n));
	check_consistent(db, false);

	assert_int_equal(run(bill), 0);
	check_complete(db, n, false);
	/* and a third run finds nothing to do */
	assert_int_equal(run(bill), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM invoices"), expected_invoices(n));
	db_close(db);
	testdb_file_remove(&file);
}

/* Two `oneguard bill` at once; per_customer: --invoice-numbering customer,
 * with every other customer holding two subscriptions (neighbours in the
 * claim order, so batches of the two engines share customers). */
static void two_engines(const char *url, bool per_customer)
{
	const int n = 20000;
	prepare(url, n);
	if (per_customer) {
		struct db_conn *db = open_db(url);
		assert_int_equal(db_exec_script(db, "UPDATE subscriptions SET customer_id = customer_id - 1 "
		                                    "WHERE customer_id % 2 = 0"),
		                 DB_OK);
		db_close(db);
	}
	char out[2][64];
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		snprintf(out[i], sizeof out[i], "/tmp/og-test-two-%d-%d.out", (int)getpid(), i);
		const char *bill[] = {"bill",
		                      "--db",
		                      url,
		                      "--until",
		                      UNTIL,
		                      "--batch",
		                      "250",
		                      "--invoice-numbering",
		                      per_customer ? "customer" : "account",
		                      NULL};
		pids[i] = spawn(bill, out[i]);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(wait_exit(pids[i]), 0);
	int64_t a = issued_in(out[0]), b = issued_in(out[1]);
	printf("two engines: %" PRId64 " + %" PRId64 " invoices\n", a, b);
	unlink(out[0]);
	unlink(out[1]);
	assert_int_equal(a + b, expected_invoices(n));
	struct db_conn *db = open_db(url);
	check_complete(db, n, per_customer);
	db_close(db);
}

static void test_two_engines_postgres(void **state)
{
	(void)state;
	const char *base = getenv("OG_TEST_PG_URL");
	if (!base || !*base)
		skip();
	char name[64], url[1024];
	assert_int_equal(pg_testdb_create(base, "og_test_two", name, sizeof name, url, sizeof url), 0);
	two_engines(url, false);
	pg_testdb_drop(base, name);
}

static void test_two_engines_postgres_per_customer(void **state)
{
	(void)state;
	const char *base = getenv("OG_TEST_PG_URL");
	if (!base || !*base)
		skip();
	char name[64], url[1024];
	assert_int_equal(pg_testdb_create(base, "og_test_two_cus", name, sizeof name, url, sizeof url), 0);
	two_engines(url, true);
	pg_testdb_drop(base, name);
}

static void test_two_engines_sqlite(void **state)
{
	(void)state;
	struct testdb_file file;
	assert_int_equal(testdb_file_create(&file, "og-test-two", "two.db"), 0);
	two_engines(file.url, false);
	testdb_file_remove(&file);
}

int main(void)
{
	og_bin = getenv("OG_BIN");
	if (!og_bin || !*og_bin)
		og_bin = "build/san/oneguard";
	if (access(og_bin, X_OK) != 0) {
		fprintf(stderr, "test_engine_procs: cannot run %s (set OG_BIN)\n", og_bin);
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill_mid_run),
	    cmocka_unit_test(test_two_engines_sqlite),
	    cmocka_unit_test(test_two_engines_postgres),
	    cmocka_unit_test(test_two_engines_postgres_per_customer),
	};
	if (!getenv("OG_TEST_PG_URL"))
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL test of test_engine_procs was NOT run.\n");
	return cmocka_run_group_tests_name("billing_engine_processes", tests, NULL, NULL) ? 1 : 0;
}
