/* The database layer: drivers (db.h), migrations and the executor
 * (store.h), run on a SQLite file and, when OG_TEST_PG_URL names a server
 * (scripts/run-tests.sh starts one), on a fresh PostgreSQL database.
 *
 * Every test gets an empty database: a new SQLite file, or the PostgreSQL
 * test database with its public schema dropped and created again. Tests do
 * not depend on the contents of the real migrations beyond "each applies
 * once, in order"; migration mechanics are tested with lists of their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ids.h"
#include "sys/clock.h"
#include "lib/pg_testdb.h"
#include "store/db_internal.h"
#include "store/dialect.h"
#include "store/store_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	enum db_backend backend;
	char dir[128];     /* SQLite: a temp folder */
	char pg_base[512]; /* PostgreSQL: OG_TEST_PG_URL */
	char pg_name[64];
	char url[1024]; /* this test's database */
	int n;          /* tests run in this group */
};

/* ---- fixtures ------------------------------------------------------------ */

static int sqlite_group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->backend = DB_SQLITE;
	snprintf(f->dir, sizeof f->dir, "/tmp/og-test-db-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int pg_group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->backend = DB_POSTGRES;
	snprintf(f->pg_base, sizeof f->pg_base, "%s", getenv("OG_TEST_PG_URL"));
	if (pg_testdb_create(f->pg_base, "og_test_db", f->pg_name, sizeof f->pg_name, f->url, sizeof f->url) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void remove_sqlite_files(const char *path)
{
	char name[1100];
	unlink(path);
	snprintf(name, sizeof name, "%s-wal", path);
	unlink(name);
	snprintf(name, sizeof name, "%s-shm", path);
	unlink(name);
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	if (f->backend == DB_SQLITE)
		rmdir(f->dir);
	else
		pg_testdb_drop(f->pg_base, f->pg_name);
	free(f);
	return 0;
}

static int test_setup(void **state)
{
	struct fixture *f = *state;
	f->n++;
	if (f->backend == DB_SQLITE) {
		snprintf(f->url, sizeof f->url, "sqlite:%s/t%d.db", f->dir, f->n);
		return 0;
	}
	char err[256];
	struct db_conn *c = db_open(f->url, err, sizeof err);
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	enum db_rc rc = db_exec_script(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
	db_close(c);
	return rc == DB_OK ? 0 : -1;
}

static int test_teardown(void **state)
{
	struct fixture *f = *state;
	if (f->backend == DB_SQLITE)
		remove_sqlite_files(f->url + strlen("sqlite:"));
	return 0;
}

static struct db_conn *open_db(struct fixture *f)
{
	char err[512];
	struct db_conn *c = db_open(f->url, err, sizeof err);
	if (!c)
		fail_msg("db_open %s: %s", f->url, err);
	return c;
}

/* Runs DDL written like a migration (INTEGER PRIMARY KEY rewritten for
 * PostgreSQL). */
static enum db_rc exec_ddl(struct db_conn *c, const char *sql)
{
	char *text = dialect_migration_sql(db_backend(c), sql);
	enum db_rc rc = db_exec_script(c, text);
	free(text);
	return rc;
}
#define EXEC_OK(c, sql) assert_int_equal(exec_ddl((c), (sql)), DB_OK)

static int64_t count_rows(struct db_conn *c, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_query_int(c, sql, NULL, 0, &n), DB_OK);
	return n;
}

static int n_migrations(void)
{
	int n = 0;
	while (migrations[n].version)
		n++;
	return n;
}

/* ---- URLs and dialect (no database) ---------------------------------------- */

static void test_url_backend(void **state)
{
	(void)state;
	assert_int_equal(db_url_backend("sqlite:oneguard.db"), DB_SQLITE);
	assert_int_equal(db_url_backend("sqlite:///tmp/x.db"), DB_SQLITE);
	assert_int_equal(db_url_backend("/tmp/x.db"), DB_SQLITE);
	assert_int_equal(db_url_backend("oneguard.db"), DB_SQLITE);
	assert_int_equal(db_url_backend("postgres://u@h/db"), DB_POSTGRES);
	assert_int_equal(db_url_backend("postgresql://u@h/db"), DB_POSTGRES);
	assert_int_equal(db_url_backend("host=/tmp port=5432 dbname=x"), DB_POSTGRES);
	assert_int_equal(db_url_backend("dbname = x"), DB_POSTGRES);
	assert_int_equal(db_url_backend("mysql://h/db"), -1);
	assert_int_equal(db_url_backend(""), -1);
	assert_int_equal(db_url_backend("sqlite:"), -1);
	assert_int_equal(db_url_backend(NULL), -1);
	char err[128];
	assert_null(db_open("mysql://h/db", err, sizeof err));
	assert_non_null(strstr(err, "unsupported"));
}

static void expect_rewrite(const char *in, const char *want)
{
	char *out = dialect_migration_sql(DB_POSTGRES, in);
	assert_string_equal(out, want);
	free(out);
	out = dialect_migration_sql(DB_SQLITE, in);
	assert_string_equal(out, in);
	free(out);
}

static void test_dialect_rewrite(void **state)
{
	(void)state;
	const char *id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
	char want[512];
	snprintf(want, sizeof want, "CREATE TABLE a (id %s, x BIGINT);", id);
	expect_rewrite("CREATE TABLE a (id INTEGER PRIMARY KEY, x BIGINT);", want);
	snprintf(want, sizeof want, "CREATE TABLE a (id %s,\n b TEXT)", id);
	expect_rewrite("CREATE TABLE a (id integer  primary\n  Key,\n b TEXT)", want);
	snprintf(want, sizeof want, "t (id %s)", id);
	expect_rewrite("t (id INTEGER PRIMARY KEY AUTOINCREMENT)", want);
	/* comments, quoted text and longer words stay */
	expect_rewrite("-- INTEGER PRIMARY KEY\n/* INTEGER PRIMARY KEY */ 'INTEGER PRIMARY KEY'",
	               "-- INTEGER PRIMARY KEY\n/* INTEGER PRIMARY KEY */ 'INTEGER PRIMARY KEY'");
	expect_rewrite("x MYINTEGER PRIMARY KEY, y INTEGER PRIMARY KEYS, z INTEGERPRIMARY KEY",
	               "x MYINTEGER PRIMARY KEY, y INTEGER PRIMARY KEYS, z INTEGERPRIMARY KEY");
	expect_rewrite("'it''s INTEGER PRIMARY KEY'", "'it''s INTEGER PRIMARY KEY'");
	/* SQLite-only blocks go, markers included, for PostgreSQL */
	expect_rewrite("A;\n-- [sqlite only]\nDROP TABLE x;\n-- [end sqlite only]\nB;", "A;\n\nB;");
	expect_rewrite("A;\n-- [sqlite only]\nDROP TABLE x;\n", "A;\n");
	expect_rewrite("'-- [sqlite only]' x", "'-- [sqlite only]' x");
	const struct dialect_sql q = {.sqlite = "A", .postgres = "B"};
	assert_ptr_equal(dialect_sql(DB_SQLITE, &q), q.sqlite);
	assert_ptr_equal(dialect_sql(DB_POSTGRES, &q), q.postgres);
}

/* ---- the driver ------------------------------------------------------------ */

static void test_bind_by_name(void **state)
{
	struct db_conn *c = open_db(*state);
	EXEC_OK(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, a BIGINT, b TEXT, c BIGINT)");
	/* $2 appears before $1, and twice */
	struct db_param p[] = {DB_TEXT("one"), DB_INT(42)};
	assert_int_equal(db_exec(c, "INSERT INTO t (a, b, c) VALUES ($2, $1, $2)", p, 2, NULL), DB_OK);
	struct db_res *r;
	assert_int_equal(db_exec(c, "SELECT a, b, c FROM t", NULL, 0, &r), DB_OK);
	assert_int_equal(db_next(r), DB_ROW);
	assert_int_equal(db_int(r, 0), 42);
	assert_string_equal(db_text(r, 1), "one");
	assert_int_equal(db_int(r, 2), 42);
	assert_int_equal(db_next(r), DB_DONE);
	db_res_free(r);

	struct db_param q[] = {DB_INT(3), DB_INT(7)};
	int64_t v = 0;
	assert_int_equal(db_query_int(c, "SELECT $2 * 1000 + $1 * 10 + $2", q, 2, &v), DB_OK);
	assert_int_equal(v, 7037);
	/* a 64-bit value in an expression with no column to type it */
	struct db_param big[] = {DB_INT(INT64_MAX / 2)};
	assert_int_equal(db_query_int(c, "SELECT $1 * 2", big, 1, &v), DB_OK);
	assert_int_equal(v, INT64_MAX / 2 * 2);
	struct db_param w[] = {DB_INT(42), DB_TEXT("one")};
	assert_int_equal(db_query_int(c, "SELECT count(*) FROM t WHERE b = $2 AND (a = $1 OR c = $1)", w, 2, &v),
	                 DB_OK);
	assert_int_equal(v, 1);

	/* the wrong number of parameters is an error on both backends */
	assert_int_equal(db_exec(c, "SELECT a FROM t WHERE a = $1", q, 2, NULL), DB_ERROR);
	assert_int_equal(db_exec(c, "SELECT a FROM t WHERE a = $1 AND c = $2", q, 1, NULL), DB_ERROR);
	assert_true(strlen(db_errmsg(c)) > 0);
	/* a PostgreSQL boolean reads as 1/0 like SQLite's */
	assert_int_equal(db_query_int(c, "SELECT 1 = 1", NULL, 0, &v), DB_OK);
	assert_int_equal(v, 1);
	assert_int_equal(db_query_int(c, "SELECT 1 = 2", NULL, 0, &v), DB_OK);
	assert_int_equal(v, 0);
	db_close(c);
}

static void test_roundtrip(void **state)
{
	struct db_conn *c = open_db(*state);
	EXEC_OK(c, "CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, s TEXT)");
	static const char utf8[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89";
	struct {
		bool has_i;
		int64_t i;
		const char *s;
	} rows[] = {
	    {false, 0, NULL},           {true, INT64_MIN, ""},        {true, INT64_MAX, utf8},
	    {true, 0, "it's \"q\" \\"}, {true, -1, "line1\nline2\t"},
	};
	const int n = (int)(sizeof rows / sizeof rows[0]);
	for (int k = 0; k < n; k++) {
		/* ids are left to the database: PostgreSQL's identity does not skip
		 * ids inserted explicitly, SQLite's rowid does */
		struct db_param p[] = {DB_INT_OR_NULL(rows[k].has_i, rows[k].i), DB_TEXT(rows[k].s)};
		assert_int_equal(db_exec(c, "INSERT INTO v (i, s) VALUES ($1, $2)", p, 2, NULL), DB_OK);
		assert_int_equal(db_changes(c), 1);
	}
	struct db_res *r;
	assert_int_equal(db_exec(c, "SELECT id, i, s FROM v ORDER BY id", NULL, 0, &r), DB_OK);
	for (int k = 0; k < n; k++) {
		assert_int_equal(db_next(r), DB_ROW);
		assert_int_equal(db_int(r, 0), k + 1);
		assert_int_equal(db_isnull(r, 1), !rows[k].has_i);
		assert_int_equal(db_int(r, 1), rows[k].has_i ? rows[k].i : 0);
		if (rows[k].s) {
			assert_false(db_isnull(r, 2));
			assert_string_equal(db_text(r, 2), rows[k].s);
		} else {
			assert_true(db_isnull(r, 2));
			assert_null(db_text(r, 2));
		}
	}
	assert_int_equal(db_next(r), DB_DONE);
	assert_int_equal(db_next(r), DB_DONE);
	db_res_free(r);

	/* RETURNING gives a cursor; no rows gives an empty one */
	struct db_param p[] = {DB_INT(5)};
	assert_int_equal(db_exec(c, "INSERT INTO v (i) VALUES ($1) RETURNING id", p, 1, &r), DB_OK);
	assert_int_equal(db_next(r), DB_ROW);
	assert_int_equal(db_int(r, 0), n + 1);
	db_res_free(r);
	assert_int_equal(db_exec(c, "SELECT id FROM v WHERE id < 0", NULL, 0, &r), DB_OK);
	assert_non_null(r);
	assert_int_equal(db_next(r), DB_DONE);
	db_res_free(r);
	int64_t v = 99;
	assert_int_equal(db_query_int(c, "SELECT id FROM v WHERE id < 0", NULL, 0, &v), DB_DONE);

	/* db_changes counts the last INSERT/UPDATE/DELETE, not later SELECTs */
	assert_int_equal(db_exec(c, "UPDATE v SET s = 'x' WHERE id <= 3", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_changes(c), 3);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM v"), n + 1);
	assert_int_equal(db_changes(c), 3);
	assert_int_equal(db_exec(c, "DELETE FROM v WHERE id < 0", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_changes(c), 0);
	db_close(c);
}

static void test_constraint(void **state)
{
	struct db_conn *c = open_db(*state);
	EXEC_OK(c, "CREATE TABLE parent (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE,"
	           " n BIGINT CHECK (n >= 0));"
	           "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parent (id));");
	assert_int_equal(db_exec(c, "INSERT INTO parent (id, k, n) VALUES (1, 'a', 1)", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO parent (id, k, n) VALUES (2, 'a', 1)", NULL, 0, NULL),
	                 DB_CONSTRAINT); /* UNIQUE */
	assert_true(strlen(db_errmsg(c)) > 0);
	assert_int_equal(db_exec(c, "INSERT INTO parent (id, k, n) VALUES (1, 'b', 1)", NULL, 0, NULL),
	                 DB_CONSTRAINT); /* PRIMARY KEY */
	assert_int_equal(db_exec(c, "INSERT INTO parent (id, k, n) VALUES (3, NULL, 1)", NULL, 0, NULL),
	                 DB_CONSTRAINT); /* NOT NULL */
	assert_int_equal(db_exec(c, "INSERT INTO parent (id, k, n) VALUES (4, 'c', -1)", NULL, 0, NULL),
	                 DB_CONSTRAINT); /* CHECK */
	assert_int_equal(db_exec(c, "INSERT INTO child (parent_id) VALUES (99)", NULL, 0, NULL),
	                 DB_CONSTRAINT); /* FOREIGN KEY */
	assert_int_equal(db_exec(c, "INSERT INTO child (parent_id) VALUES (1)", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "SELEC nonsense", NULL, 0, NULL), DB_ERROR);
	assert_int_equal(db_exec(c, "SELECT * FROM no_such_table", NULL, 0, NULL), DB_ERROR);
	assert_int_equal(db_exec(c, "SELECT 1; SELECT 2", NULL, 0, NULL), DB_ERROR);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM parent"), 1);
	db_close(c);
}

static void test_savepoint(void **state)
{
	struct db_conn *c = open_db(*state);
	EXEC_OK(c, "CREATE TABLE s (id INTEGER PRIMARY KEY, k TEXT UNIQUE)");
	assert_false(db_in_txn(c));
	assert_int_equal(db_begin(c, true), DB_OK);
	assert_true(db_in_txn(c));
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('a')", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_savepoint(c, "sp_1"), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('b')", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('a')", NULL, 0, NULL), DB_CONSTRAINT);
	assert_int_equal(db__txn_failure(c), DB_CONSTRAINT);
	assert_int_equal(db_rollback_to(c, "sp_1"), DB_OK);
	assert_int_equal(db__txn_failure(c), 0);
	assert_int_equal(db_release(c, "sp_1"), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('c')", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_commit(c), DB_OK);
	assert_false(db_in_txn(c));
	assert_int_equal(count_rows(c, "SELECT count(*) FROM s WHERE k IN ('a', 'c')"), 2);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM s WHERE k = 'b'"), 0);

	/* a failure nobody rolled back to: the commit refuses, on both backends */
	assert_int_equal(db_begin(c, true), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('d')", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('a')", NULL, 0, NULL), DB_CONSTRAINT);
	assert_int_equal(db_commit(c), DB_CONSTRAINT);
	assert_false(db_in_txn(c));
	assert_int_equal(count_rows(c, "SELECT count(*) FROM s WHERE k = 'd'"), 0);

	/* rollback; rollback outside a transaction is harmless */
	assert_int_equal(db_begin(c, false), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO s (k) VALUES ('e')", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_rollback(c), DB_OK);
	assert_int_equal(db_rollback(c), DB_OK);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM s"), 2);
	assert_int_equal(db_savepoint(c, "Bad-Name"), DB_ERROR);
	assert_int_equal(db_savepoint(c, ""), DB_ERROR);
	db_close(c);
}

static void test_stmt_cache(void **state)
{
	struct db_conn *c = open_db(*state);
	EXEC_OK(c, "CREATE TABLE k (id INTEGER PRIMARY KEY, v BIGINT)");
	static const char insert[] = "INSERT INTO k (v) VALUES ($1)";
	uint64_t before = c->n_prepared;
	for (int i = 0; i < 500; i++) {
		struct db_param p[] = {DB_INT(i)};
		assert_int_equal(db_exec(c, insert, p, 1, NULL), DB_OK);
	}
	assert_int_equal(c->n_prepared - before, 1);
	assert_int_equal(count_rows(c, "SELECT sum(v) FROM k"), 499 * 500 / 2);

	/* the same text at another address is another cache entry */
	char copy[sizeof insert];
	memcpy(copy, insert, sizeof insert);
	struct db_param p[] = {DB_INT(1000)};
	before = c->n_prepared;
	assert_int_equal(db_exec(c, copy, p, 1, NULL), DB_OK);
	assert_int_equal(db_exec(c, copy, p, 1, NULL), DB_OK);
	assert_int_equal(c->n_prepared - before, 1);
	/* a buffer reused for other SQL is prepared again, never run as the old */
	char buf[128];
	int64_t v;
	snprintf(buf, sizeof buf, "SELECT count(*) FROM k WHERE v = $1");
	assert_int_equal(db_query_int(c, buf, p, 1, &v), DB_OK);
	assert_int_equal(v, 2);
	snprintf(buf, sizeof buf, "SELECT count(*) FROM k WHERE v < $1");
	assert_int_equal(db_query_int(c, buf, p, 1, &v), DB_OK);
	assert_int_equal(v, 500);

	/* the same statement again while a cursor on it is open (nested) */
	static const char by_v[] = "SELECT id, v FROM k WHERE v < $1 ORDER BY id";
	struct db_param three[] = {DB_INT(3)};
	struct db_res *outer, *inner;
	assert_int_equal(db_exec(c, by_v, three, 1, &outer), DB_OK);
	int n_outer = 0;
	while (db_next(outer) == DB_ROW) {
		int64_t id = db_int(outer, 0);
		struct db_param two[] = {DB_INT(2)};
		assert_int_equal(db_exec(c, by_v, two, 1, &inner), DB_OK);
		int n_inner = 0;
		while (db_next(inner) == DB_ROW)
			n_inner++;
		db_res_free(inner);
		assert_int_equal(n_inner, 2);
		assert_int_equal(db_int(outer, 0), id); /* the outer cursor was not disturbed */
		n_outer++;
	}
	db_res_free(outer);
	assert_int_equal(n_outer, 3);
	/* a cursor freed early leaves the statement reusable */
	assert_int_equal(db_exec(c, by_v, three, 1, &outer), DB_OK);
	assert_int_equal(db_next(outer), DB_ROW);
	db_res_free(outer);
	before = c->n_prepared;
	assert_int_equal(db_exec(c, by_v, three, 1, &outer), DB_OK);
	db_res_free(outer);
	assert_int_equal(c->n_prepared, before);
	db_close(c);
}

/* ---- migrations ------------------------------------------------------------ */

static void test_migrate_real(void **state)
{
	struct db_conn *c = open_db(*state);
	char err[512];
	int applied = -1;
	int latest = store_schema_latest();
	if (latest > 0)
		assert_int_equal(store_schema_check(c, err, sizeof err), -1);
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, n_migrations());
	assert_int_equal(store_schema_check(c, err, sizeof err), 0);
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 0);
	if (latest > 0) {
		assert_int_equal(count_rows(c, "SELECT count(*) FROM schema_migrations"), n_migrations());
		assert_int_equal(count_rows(c, "SELECT max(version) FROM schema_migrations"), latest);
		char sum[65];
		store__migration_checksum(migrations[0].sql, sum);
		const char *sum_p = sum;
		struct db_param p[] = {DB_INT(migrations[0].version), DB_TEXT(sum_p)};
		int64_t n;
		assert_int_equal(db_query_int(c,
		                              "SELECT count(*) FROM schema_migrations WHERE version = $1"
		                              " AND checksum = $2",
		                              p, 2, &n),
		                 DB_OK);
		assert_int_equal(n, 1);
	}
	db_close(c);
}

static const struct migration list_v2[] = {
    {1, "0001_a",
     "-- a table; INTEGER PRIMARY KEY in a comment\n"
     "CREATE TABLE a (id INTEGER PRIMARY KEY, x BIGINT NOT NULL);\n"
     "CREATE INDEX a_x ON a (x, id);\n"},
    {2, "0002_b",
     "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id BIGINT REFERENCES a (id));\n"
     "INSERT INTO a (x) VALUES (7);\n"},
    {0, 0, 0},
};
static const struct migration list_v3[] = {
    {1, "0001_a", NULL}, /* filled from list_v2 */
    {2, "0002_b", NULL},
    {3, "0003_c", "ALTER TABLE a ADD COLUMN y TEXT;"},
    {0, 0, 0},
};

static void test_migrate_lists(void **state)
{
	struct db_conn *c = open_db(*state);
	char err[512];
	int applied = -1;
	assert_int_equal(store__schema_check_list(c, list_v2, err, sizeof err), -1);
	assert_non_null(strstr(err, "oneguard migrate"));
	assert_int_equal(store__migrate_list(c, list_v2, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 2);
	assert_int_equal(store__schema_check_list(c, list_v2, err, sizeof err), 0);
	assert_int_equal(store__migrate_list(c, list_v2, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 0);
	/* INTEGER PRIMARY KEY assigns ids on both backends */
	assert_int_equal(db_exec(c, "INSERT INTO a (x) VALUES (8)", NULL, 0, NULL), DB_OK);
	assert_int_equal(count_rows(c, "SELECT max(id) FROM a"), 2);
	assert_int_equal(db_exec(c, "INSERT INTO b (a_id) VALUES (2)", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO b (a_id) VALUES (99)", NULL, 0, NULL), DB_CONSTRAINT);

	/* a newer binary: one more migration to apply */
	struct migration v3[4];
	memcpy(v3, list_v3, sizeof v3);
	v3[0].sql = list_v2[0].sql;
	v3[1].sql = list_v2[1].sql;
	assert_int_equal(store__schema_check_list(c, v3, err, sizeof err), -1);
	assert_non_null(strstr(err, "database schema is at version 2, this oneguard needs 3"));
	assert_int_equal(store__migrate_list(c, v3, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 1);
	assert_int_equal(db_exec(c, "UPDATE a SET y = 'ok'", NULL, 0, NULL), DB_OK);

	/* the old binary on the newer database is refused */
	assert_int_equal(store__schema_check_list(c, list_v2, err, sizeof err), 1);
	assert_string_equal(err, "database schema is version 3, this oneguard knows up to 2: upgrade oneguard");
	assert_int_equal(store__migrate_list(c, list_v2, &applied, err, sizeof err), DB_ERROR);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err, "upgrade oneguard"));

	/* an applied migration edited afterwards */
	struct migration edited[4];
	memcpy(edited, v3, sizeof edited);
	edited[1].sql = "CREATE TABLE b (id INTEGER PRIMARY KEY);";
	assert_int_equal(store__schema_check_list(c, edited, err, sizeof err), -1);
	assert_non_null(strstr(err, "0002_b was changed after it was applied"));
	assert_int_equal(store__migrate_list(c, edited, &applied, err, sizeof err), DB_ERROR);
	assert_non_null(strstr(err, "0002_b was changed"));

	/* a failing migration leaves nothing behind: not its first statement,
	 * not its row */
	struct migration bad[5];
	memcpy(bad, v3, 3 * sizeof bad[0]);
	bad[3] = (struct migration){4, "0004_bad",
	                            "CREATE TABLE d (id INTEGER PRIMARY KEY);\n"
	                            "INSERT INTO no_such_table VALUES (1);\n"};
	bad[4] = (struct migration){0, 0, 0};
	assert_int_equal(store__migrate_list(c, bad, &applied, err, sizeof err), DB_ERROR);
	assert_non_null(strstr(err, "migration 0004_bad failed"));
	assert_int_equal(applied, 0);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM schema_migrations"), 3);
	assert_int_equal(db_exec(c, "SELECT id FROM d", NULL, 0, NULL), DB_ERROR);
	db_close(c);
}

static void test_future_version_refused(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = open_db(f);
	char err[512];
	int applied;
	int latest = store_schema_latest();
	struct store_config cfg = {.url = f->url};
	if (latest > 0) { /* an empty database is refused too */
		assert_null(store_open(&cfg, err, sizeof err));
		assert_non_null(strstr(err, "oneguard migrate"));
	}
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	struct og_store *st = store_open(&cfg, err, sizeof err);
	assert_non_null(st);
	store_close(st);

	EXEC_OK(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
	           " name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
	struct db_param p[] = {DB_INT(latest + 1), DB_TEXT("9999_future")};
	assert_int_equal(db_exec(c,
	                         "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
	                         " VALUES ($1, $2, 'x', 0)",
	                         p, 2, NULL),
	                 DB_OK);
	char want[200];
	snprintf(want, sizeof want, "database schema is version %d, this oneguard knows up to %d: upgrade oneguard",
	         latest + 1, latest);
	assert_int_equal(store_schema_check(c, err, sizeof err), 1);
	assert_string_equal(err, want);
	assert_null(store_open(&cfg, err, sizeof err));
	assert_string_equal(err, want);
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_ERROR);
	db_close(c);
}

/* ---- the id key and ids never reused (migration 0003) -------------------------- */

static void reset_db(struct fixture *f)
{
	if (f->backend == DB_SQLITE) {
		remove_sqlite_files(f->url + strlen("sqlite:"));
		return;
	}
	struct db_conn *c = open_db(f);
	assert_int_equal(db_exec_script(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"), DB_OK);
	db_close(c);
}

/* A new database gets a random key: two of them give their first product
 * different ids. */
static void test_ids_key_fresh(void **state)
{
	struct fixture *f = *state;
	char err[512], first[2][ID_MAX_LEN], key[2][64];
	for (int i = 0; i < 2; i++) {
		if (i)
			reset_db(f);
		struct db_conn *c = open_db(f);
		int applied;
		assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
		struct db_res *r = NULL;
		assert_int_equal(db_exec(c, "SELECT value FROM settings WHERE name = 'ids_key'", NULL, 0, &r), DB_OK);
		assert_int_equal(db_next(r), DB_ROW);
		snprintf(key[i], sizeof key[i], "%s", db_text(r, 0));
		db_res_free(r);
		assert_int_equal(strlen(key[i]), 32);
		assert_int_equal(store_ids_key_load(c, err, sizeof err), 0);
		ids_encode(ID_PRODUCT, 1, first[i]);
		/* migrating again keeps the key */
		assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
		assert_int_equal(count_rows(c, "SELECT count(*) FROM settings"), 1);
		db_close(c);
	}
	assert_string_not_equal(key[0], key[1]);
	assert_string_not_equal(first[0], first[1]);
	assert_string_not_equal(first[0], "prod_EJwJjSf6s2h"); /* the legacy id of row 1 */

	/* no key (a migrate cut short): the store refuses until migrate makes one */
	struct db_conn *c = open_db(f);
	assert_int_equal(db_exec(c, "DELETE FROM settings", NULL, 0, NULL), DB_OK);
	assert_int_equal(store_ids_key_load(c, err, sizeof err), -1);
	assert_non_null(strstr(err, "run `oneguard migrate`"));
	struct store_config cfg = {.url = f->url};
	assert_null(store_open(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "run `oneguard migrate`"));
	assert_int_equal(db_exec(c, "INSERT INTO settings (name, value) VALUES ('ids_key', 'xyz')", NULL, 0, NULL),
	                 DB_OK);
	assert_int_equal(store_ids_key_load(c, err, sizeof err), -1);
	assert_non_null(strstr(err, "32 hex digits"));
	assert_int_equal(db_exec(c, "DELETE FROM settings", NULL, 0, NULL), DB_OK);
	int applied;
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_ids_key_load(c, err, sizeof err), 0);
	db_close(c);
}

static void insert_invoice(struct db_conn *c, int64_t customer, const char *number)
{
	struct db_param p[] = {DB_INT(customer), DB_TEXT(number)};
	assert_int_equal(db_exec(c,
	                         "INSERT INTO invoices (customer_id, status, number, currency, billing_reason, "
	                         "collection_method, period_start, period_end, total, created) VALUES ($1, 'open', $2, "
	                         "'usd', 'manual', 'charge_automatically', 1, 2, 700, 3)",
	                         p, 2, NULL),
	                 DB_OK);
	int64_t id = count_rows(c, "SELECT max(id) FROM invoices");
	struct db_param lp[] = {DB_INT(id)};
	assert_int_equal(db_exec(c,
	                         "INSERT INTO invoice_lines (invoice_id, line_type, amount, currency, period_start, "
	                         "period_end) VALUES ($1, 'invoiceitem', 700, 'usd', 1, 2)",
	                         lp, 1, NULL),
	                 DB_OK);
}

/* A database from before migration 0003, with rows: it keeps the legacy
 * ids, its invoices and lines come through the SQLite rebuild intact with
 * their references enforced, and an invoice id deleted before the migration
 * (named by an event) is not handed out again. */
static void test_ids_existing_database(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = open_db(f);
	char err[512];
	int applied;
	struct migration v2[3] = {migrations[0], migrations[1], {0, 0, 0}};
	assert_int_equal(store__migrate_list(c, v2, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 2);
	assert_int_equal(
	    db_exec(c, "INSERT INTO products (name, created, updated) VALUES ('Gold', 1, 1)", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "INSERT INTO customers (created) VALUES (1)", NULL, 0, NULL), DB_OK);
	for (int i = 1; i <= 4; i++) {
		char number[16];
		snprintf(number, sizeof number, "INV-%d", i);
		insert_invoice(c, 1, i == 2 ? NULL : number);
	}
	assert_int_equal(db_exec(c,
	                         "INSERT INTO invoice_items (customer_id, invoice_id, amount, currency, period_start, "
	                         "period_end, created) VALUES (1, 2, 5, 'usd', 1, 2, 3)",
	                         NULL, 0, NULL),
	                 DB_OK);
	assert_int_equal(db_exec(c,
	                         "INSERT INTO events (type, object_type, object_id, data, created) "
	                         "VALUES ('invoice.deleted', 'invoice', 4, '{}', 5)",
	                         NULL, 0, NULL),
	                 DB_OK);
	/* the newest invoice and its line deleted before the migration */
	assert_int_equal(db_exec(c, "DELETE FROM invoice_lines WHERE invoice_id = 4", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "DELETE FROM invoices WHERE id = 4", NULL, 0, NULL), DB_OK);
	const char *snapshot_sql = "SELECT sum(id * 1000 + total) + count(number) * 7 FROM invoices";
	int64_t before = count_rows(c, snapshot_sql);

	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, n_migrations() - 2);
	assert_int_equal(store_schema_check(c, err, sizeof err), 0);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM settings WHERE name = 'ids_key' AND value = 'legacy'"), 1);
	assert_int_equal(store_ids_key_load(c, err, sizeof err), 0);
	char id[ID_MAX_LEN];
	assert_string_equal(ids_encode(ID_PRODUCT, 1, id), "prod_EJwJjSf6s2h");
	assert_string_equal(ids_encode(ID_INVOICE, 1, id), "in_HZrafbaqkLm");

	/* rows intact, indexes back, references still enforced */
	assert_int_equal(count_rows(c, snapshot_sql), before);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM invoice_lines"), 3);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM invoices WHERE number IS NULL"), 1);
	assert_int_equal(db_exec(c,
	                         "INSERT INTO invoice_lines (invoice_id, line_type, amount, currency, period_start, "
	                         "period_end) VALUES (999, 'invoiceitem', 1, 'usd', 1, 2)",
	                         NULL, 0, NULL),
	                 DB_CONSTRAINT);
	assert_int_equal(db_exec(c, "DELETE FROM invoices WHERE id = 2", NULL, 0, NULL), DB_CONSTRAINT);
	assert_int_equal(db_exec(c, "UPDATE invoices SET number = 'INV-1' WHERE id = 3", NULL, 0, NULL), DB_CONSTRAINT);
	if (f->backend == DB_SQLITE) {
		assert_int_equal(count_rows(c,
		                            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
		                            "name IN ('invoices_customer', 'invoices_subscription', 'invoices_status', "
		                            "'invoices_overdue', 'invoice_lines_invoice')"),
		                 5);
		assert_int_equal(count_rows(c, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	}

	/* the id deleted before the migration, then the newest after it: never again */
	insert_invoice(c, 1, NULL);
	int64_t next = count_rows(c, "SELECT max(id) FROM invoices");
	assert_int_equal(next, 5);
	int64_t line = count_rows(c, "SELECT max(id) FROM invoice_lines");
	assert_int_equal(db_exec(c, "DELETE FROM invoice_lines WHERE invoice_id = 5", NULL, 0, NULL), DB_OK);
	assert_int_equal(db_exec(c, "DELETE FROM invoices WHERE id = 5", NULL, 0, NULL), DB_OK);
	insert_invoice(c, 1, NULL);
	assert_int_equal(count_rows(c, "SELECT max(id) FROM invoices"), 6);
	assert_int_equal(count_rows(c, "SELECT max(id) FROM invoice_lines"), line + 1);
	db_close(c);
}

/* On SQLite a migration runs with foreign key enforcement off, so a table
 * others reference can be rebuilt; a migration that leaves a broken
 * reference is refused (PostgreSQL refuses it as it happens). */
static void test_migration_references(void **state)
{
	struct db_conn *c = open_db(*state);
	char err[512];
	int applied;
	static const struct migration base[] = {
	    {1, "0001_a",
	     "CREATE TABLE a (id INTEGER PRIMARY KEY, x BIGINT NOT NULL);\n"
	     "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id BIGINT NOT NULL REFERENCES a (id));\n"
	     "INSERT INTO a (x) VALUES (7);\nINSERT INTO b (a_id) VALUES (1);\n"},
	    {2, "0002_rebuild",
	     "-- [sqlite only]\n"
	     "CREATE TABLE a_new (id INTEGER PRIMARY KEY AUTOINCREMENT, x BIGINT NOT NULL);\n"
	     "INSERT INTO a_new (id, x) SELECT id, x FROM a;\nDROP TABLE a;\nALTER TABLE a_new RENAME TO a;\n"
	     "-- [end sqlite only]\n"},
	    {0, 0, 0},
	};
	assert_int_equal(store__migrate_list(c, base, &applied, err, sizeof err), DB_OK);
	assert_int_equal(applied, 2);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM b JOIN a ON a.id = b.a_id"), 1);
	assert_int_equal(db_exec(c, "INSERT INTO b (a_id) VALUES (42)", NULL, 0, NULL), DB_CONSTRAINT);

	struct migration broken[4] = {base[0], base[1], {3, "0003_orphan", "DELETE FROM a;\n"}, {0, 0, 0}};
	assert_int_equal(store__migrate_list(c, broken, &applied, err, sizeof err), DB_ERROR);
	if (db_backend(c) == DB_SQLITE)
		assert_non_null(strstr(err, "migration 0003_orphan leaves a row of b referencing a missing row"));
	else
		assert_non_null(strstr(err, "migration 0003_orphan failed"));
	assert_int_equal(count_rows(c, "SELECT count(*) FROM a"), 1);
	assert_int_equal(count_rows(c, "SELECT count(*) FROM schema_migrations"), 2);
	/* enforcement is back on for the connection */
	assert_int_equal(db_exec(c, "DELETE FROM a", NULL, 0, NULL), DB_CONSTRAINT);
	db_close(c);
}

/* ---- store_run_txn ----------------------------------------------------------- */

struct txn_arg {
	const char *mode;
	int calls;
};

static bool txn_fn(struct db_conn *db, void *arg)
{
	struct txn_arg *a = arg;
	a->calls++;
	struct db_param p[] = {DB_TEXT(a->mode)};
	if (db_exec(db, "INSERT INTO r (k) VALUES ($1)", p, 1, NULL) != DB_OK)
		return false;
	if (strcmp(a->mode, "decline") == 0)
		return false;
	if (strcmp(a->mode, "dup") == 0) /* fails, and claims success anyway */
		db_exec(db, "INSERT INTO r (k) VALUES ('keep')", NULL, 0, NULL);
	if (strcmp(a->mode, "retry") == 0 && a->calls < 3)
		db_exec_script(db, "DO $$ BEGIN RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END $$");
	return true;
}

static void test_run_txn(void **state)
{
	struct fixture *f = *state;
	struct db_conn *c = open_db(f);
	EXEC_OK(c, "CREATE TABLE r (id INTEGER PRIMARY KEY, k TEXT UNIQUE)");
	struct txn_arg keep = {"keep", 0}, decline = {"decline", 0}, dup = {"dup", 0};
	assert_int_equal(store_run_txn(c, true, txn_fn, &keep), DB_OK);
	assert_int_equal(store_run_txn(c, true, txn_fn, &decline), DB_DONE);
	assert_int_equal(store_run_txn(c, true, txn_fn, &dup), DB_CONSTRAINT);
	assert_int_equal(dup.calls, 1);
	assert_false(db_in_txn(c));
	assert_int_equal(count_rows(c, "SELECT count(*) FROM r"), 1);
	if (f->backend == DB_POSTGRES) { /* a serialization failure reruns the callback */
		struct txn_arg retry = {"retry", 0};
		assert_int_equal(store_run_txn(c, true, txn_fn, &retry), DB_OK);
		assert_int_equal(retry.calls, 3);
		assert_int_equal(count_rows(c, "SELECT count(*) FROM r WHERE k = 'retry'"), 1);
	}
	db_close(c);
}

/* ---- the executor ------------------------------------------------------------ */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n_done, n_committed;
};

struct row_job {
	struct store_job job;
	struct waiter *w;
	int thread, n;
	const char *mode; /* "insert", "decline", "fail", "recover", "block" */
	bool committed;
	atomic_int runs;
	/* "block": run() waits until released */
	pthread_mutex_t *gate_lock;
	pthread_cond_t *gate_cond;
	bool *is_started, *is_released;
};

static bool insert_row(struct db_conn *db, int thread, int n)
{
	struct db_param p[] = {DB_INT(thread), DB_INT(n)};
	return db_exec(db, "INSERT INTO job_rows (thread, n) VALUES ($1, $2)", p, 2, NULL) == DB_OK;
}

static bool row_job_run(struct store_job *job, struct db_conn *db)
{
	struct row_job *j = (struct row_job *)job;
	atomic_fetch_add(&j->runs, 1);
	if (strcmp(j->mode, "block") == 0) {
		pthread_mutex_lock(j->gate_lock);
		*j->is_started = true;
		pthread_cond_broadcast(j->gate_cond);
		while (!*j->is_released)
			pthread_cond_wait(j->gate_cond, j->gate_lock);
		pthread_mutex_unlock(j->gate_lock);
	}
	if (!insert_row(db, j->thread, j->n))
		return false;
	if (strcmp(j->mode, "decline") == 0) {
		insert_row(db, j->thread, j->n + 1000);
		return false;
	}
	if (strcmp(j->mode, "fail") == 0) { /* a failed statement, then "true" */
		insert_row(db, j->thread, j->n);
		return true;
	}
	if (strcmp(j->mode, "recover") == 0) { /* the same, recovered with a savepoint */
		if (db_savepoint(db, "dup") != DB_OK)
			return false;
		if (!insert_row(db, j->thread, j->n) && db_rollback_to(db, "dup") != DB_OK)
			return false;
		return db_release(db, "dup") == DB_OK;
	}
	return true;
}

static void row_job_complete(struct store_job *job, bool committed)
{
	struct row_job *j = (struct row_job *)job;
	j->committed = committed;
	pthread_mutex_lock(&j->w->lock);
	j->w->n_done++;
	j->w->n_committed += committed;
	pthread_cond_broadcast(&j->w->cond);
	pthread_mutex_unlock(&j->w->lock);
}

static void row_job_init(struct row_job *j, struct waiter *w, int thread, int n, const char *mode)
{
	memset(j, 0, sizeof *j);
	j->job.run = row_job_run;
	j->job.complete = row_job_complete;
	j->w = w;
	j->thread = thread;
	j->n = n;
	j->mode = mode;
}

static void waiter_wait(struct waiter *w, int n)
{
	pthread_mutex_lock(&w->lock);
	while (w->n_done < n)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static struct og_store *open_store_with_rows(struct fixture *f)
{
	struct db_conn *c = open_db(f);
	char err[512];
	int applied;
	assert_int_equal(store_migrate(c, &applied, err, sizeof err), DB_OK);
	EXEC_OK(c, "CREATE TABLE job_rows (id INTEGER PRIMARY KEY, thread BIGINT NOT NULL,"
	           " n BIGINT NOT NULL, UNIQUE (thread, n))");
	db_close(c);
	struct store_config cfg = {.url = f->url, .n_workers = 4};
	struct og_store *st = store_open(&cfg, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

#define N_SUBMITTERS 4
#define JOBS_EACH    250

struct submitter {
	struct og_store *st;
	struct row_job *jobs;
	int thread;
	int64_t seen_rows; /* read on this thread's own connection */
};

static void *submit_main(void *arg)
{
	struct submitter *s = arg;
	for (int i = 0; i < JOBS_EACH; i++)
		store_submit(s->st, &s->jobs[i].job);
	struct db_conn *db = store_thread_conn(s->st);
	if (db) {
		struct db_param p[] = {DB_INT(s->thread)};
		db_query_int(db, "SELECT count(*) FROM job_rows WHERE thread = $1", p, 1, &s->seen_rows);
		store_thread_release(s->st);
	}
	return NULL;
}

static void test_executor_many(void **state)
{
	struct fixture *f = *state;
	struct og_store *st = open_store_with_rows(f);
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct row_job *jobs = calloc(N_SUBMITTERS * JOBS_EACH, sizeof *jobs);
	struct submitter subs[N_SUBMITTERS];
	pthread_t threads[N_SUBMITTERS];
	for (int t = 0; t < N_SUBMITTERS; t++) {
		for (int i = 0; i < JOBS_EACH; i++)
			row_job_init(&jobs[t * JOBS_EACH + i], &w, t, i, "insert");
		subs[t] = (struct submitter){st, &jobs[t * JOBS_EACH], t, -1};
	}
	int64_t t0 = clock_mono_ns();
	for (int t = 0; t < N_SUBMITTERS; t++)
		assert_int_equal(pthread_create(&threads[t], NULL, submit_main, &subs[t]), 0);
	for (int t = 0; t < N_SUBMITTERS; t++)
		pthread_join(threads[t], NULL);
	waiter_wait(&w, N_SUBMITTERS * JOBS_EACH);
	int64_t t1 = clock_mono_ns();
	assert_int_equal(w.n_committed, N_SUBMITTERS * JOBS_EACH);
	for (int k = 0; k < N_SUBMITTERS * JOBS_EACH; k++) {
		assert_true(jobs[k].committed);
		assert_true(jobs[k].job.kept);
	}
	for (int t = 0; t < N_SUBMITTERS; t++)
		assert_true(subs[t].seen_rows >= 0 && subs[t].seen_rows <= JOBS_EACH);
	struct db_conn *db = store_thread_conn(st);
	assert_non_null(db);
	assert_ptr_equal(store_thread_conn(st), db);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM job_rows"), N_SUBMITTERS * JOBS_EACH);
	uint64_t n_batches, n_jobs;
	store__stats(st, &n_batches, &n_jobs);
	assert_int_equal(n_jobs, N_SUBMITTERS * JOBS_EACH);
	print_message("executor (%s): %d jobs in %" PRIu64 " batches, %.0f jobs/s\n",
	              f->backend == DB_SQLITE ? "sqlite" : "postgres", N_SUBMITTERS * JOBS_EACH, n_batches,
	              N_SUBMITTERS * JOBS_EACH / ((double)(t1 - t0) / 1e9));
	store_close(st); /* closes this thread's read connection too */
	free(jobs);
}

static void test_executor_failing_job(void **state)
{
	struct fixture *f = *state;
	struct og_store *st = open_store_with_rows(f);
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
	bool is_started = false, is_released = false;

	/* the blocker holds the writer, so the jobs after it queue into one batch */
	struct row_job blocker;
	row_job_init(&blocker, &w, 9, 0, "block");
	blocker.gate_lock = &gate_lock;
	blocker.gate_cond = &gate_cond;
	blocker.is_started = &is_started;
	blocker.is_released = &is_released;
	store_submit(st, &blocker.job);
	pthread_mutex_lock(&gate_lock);
	while (!is_started)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	uint64_t batches_before, jobs_before;
	store__stats(st, &batches_before, &jobs_before);

	enum { N = 20 };
	struct row_job jobs[N];
	for (int i = 0; i < N; i++) {
		const char *mode = i == 5 ? "decline" : i == 9 ? "fail" : i == 13 ? "recover" : "insert";
		row_job_init(&jobs[i], &w, 1, i, mode);
		store_submit(st, &jobs[i].job);
	}
	pthread_mutex_lock(&gate_lock);
	is_released = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	waiter_wait(&w, N + 1);

	assert_true(blocker.committed);
	for (int i = 0; i < N; i++) {
		bool should_commit = i != 5 && i != 9;
		if (jobs[i].committed != should_commit)
			fail_msg("job %d (%s): committed=%d", i, jobs[i].mode, jobs[i].committed);
		assert_int_equal(atomic_load(&jobs[i].runs), 1);
	}
	struct db_conn *db = store_thread_conn(st);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM job_rows WHERE thread = 1"), N - 2);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM job_rows WHERE thread = 1 AND n IN (5, 1005, 9)"), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM job_rows WHERE thread = 1 AND n = 13"), 1);
	uint64_t n_batches, n_jobs;
	store__stats(st, &n_batches, &n_jobs);
	if (f->backend == DB_SQLITE)
		assert_int_equal(n_batches - batches_before, 1); /* all twenty in one COMMIT */
	store_thread_release(st);
	store_close(st);
}

/* PostgreSQL: a job meeting a serialization failure is run again. */
struct retry_job {
	struct store_job job;
	struct waiter *w;
	int runs;
	bool committed;
};

static bool retry_job_run(struct store_job *job, struct db_conn *db)
{
	struct retry_job *j = (struct retry_job *)job;
	if (!insert_row(db, 7, 0))
		return false;
	if (++j->runs < 3)
		db_exec_script(db, "DO $$ BEGIN RAISE EXCEPTION 'again' USING ERRCODE = '40P01'; END $$");
	return true;
}

static void retry_job_complete(struct store_job *job, bool committed)
{
	struct retry_job *j = (struct retry_job *)job;
	j->committed = committed;
	pthread_mutex_lock(&j->w->lock);
	j->w->n_done++;
	pthread_cond_broadcast(&j->w->cond);
	pthread_mutex_unlock(&j->w->lock);
}

static void test_executor_retry(void **state)
{
	struct fixture *f = *state;
	if (f->backend != DB_POSTGRES)
		skip(); /* SQLite has one writer: nothing to retry inside a batch */
	struct og_store *st = open_store_with_rows(f);
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct retry_job j = {.job = {.run = retry_job_run, .complete = retry_job_complete}, .w = &w};
	store_submit(st, &j.job);
	waiter_wait(&w, 1);
	assert_true(j.committed);
	assert_int_equal(j.runs, 3);
	assert_int_equal(count_rows(store_thread_conn(st), "SELECT count(*) FROM job_rows WHERE thread = 7"), 1);
	store_close(st);
}

/* Read connections: one per thread, released explicitly or at thread exit. */
static void *reader_main(void *arg)
{
	struct og_store *st = arg;
	struct db_conn *a = store_thread_conn(st);
	struct db_conn *b = store_thread_conn(st);
	return a && a == b ? a : NULL; /* exits without releasing: the key's destructor closes it */
}

static void test_thread_conns(void **state)
{
	struct og_store *st = open_store_with_rows(*state);
	struct db_conn *mine = store_thread_conn(st);
	assert_non_null(mine);
	pthread_t t;
	void *theirs = NULL;
	assert_int_equal(pthread_create(&t, NULL, reader_main, st), 0);
	pthread_join(t, &theirs);
	assert_non_null(theirs);
	assert_ptr_not_equal(theirs, mine);
	store_thread_release(st);
	store_thread_release(st); /* twice is harmless */
	struct db_conn *again = store_thread_conn(st);
	assert_non_null(again);
	assert_int_equal(count_rows(again, "SELECT count(*) FROM job_rows"), 0);
	store_close(st);
}

/* ---- durability ------------------------------------------------------------- */

static int ack_fd = -1;

static bool durable_run(struct store_job *job, struct db_conn *db)
{
	struct row_job *j = (struct row_job *)job;
	return insert_row(db, 3, j->n);
}

static void durable_complete(struct store_job *job, bool committed)
{
	struct row_job *j = (struct row_job *)job;
	if (committed) {
		int32_t n = j->n;
		if (write(ack_fd, &n, sizeof n) != (ssize_t)sizeof n)
			_exit(3);
	}
	free(j);
}

/* The child: submits jobs as fast as it can and acknowledges each commit. */
static void durable_child(const char *url, int fd)
{
	ack_fd = fd;
	char err[512];
	struct store_config cfg = {.url = url, .n_workers = 4};
	struct og_store *st = store_open(&cfg, err, sizeof err);
	if (!st)
		_exit(2);
	for (int n = 0;; n++) {
		struct row_job *j = calloc(1, sizeof *j);
		j->job.run = durable_run;
		j->job.complete = durable_complete;
		j->n = n;
		store_submit(st, &j->job);
		if (n % 16 == 15)
			usleep(200);
	}
}

static void test_durability(void **state)
{
	struct fixture *f = *state;
	struct og_store *st = open_store_with_rows(f);
	store_close(st);
	if (f->backend == DB_SQLITE) { /* what every connection is opened with */
		struct db_conn *c = open_db(f);
		struct db_res *r;
		assert_int_equal(db_exec(c, "PRAGMA journal_mode", NULL, 0, &r), DB_OK);
		assert_int_equal(db_next(r), DB_ROW);
		assert_string_equal(db_text(r, 0), "wal");
		db_res_free(r);
		assert_int_equal(count_rows(c, "PRAGMA synchronous"), 2); /* FULL */
		assert_int_equal(count_rows(c, "PRAGMA foreign_keys"), 1);
		db_close(c);
	}
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test run that was killed */
		if (getppid() != parent)
			_exit(4);
		close(fds[0]);
		durable_child(f->url, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	enum { WANT = 300 };
	static int32_t acked[WANT];
	int n_acked = 0;
	while (n_acked < WANT) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		if (poll(&pfd, 1, 30000) != 1)
			break; /* the child is stuck: fail below rather than hang */
		ssize_t got = read(fds[0], &acked[n_acked], sizeof acked[0]);
		if (got != (ssize_t)sizeof acked[0])
			break;
		n_acked++;
	}
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	close(fds[0]);
	assert_int_equal(n_acked, WANT);
	assert_true(WIFSIGNALED(status));

	/* every acknowledged write survived the crash of its process */
	struct db_conn *c = open_db(f);
	for (int k = 0; k < n_acked; k++) {
		struct db_param p[] = {DB_INT(acked[k])};
		int64_t n = 0;
		assert_int_equal(db_query_int(c, "SELECT count(*) FROM job_rows WHERE thread = 3 AND n = $1", p, 1, &n),
		                 DB_OK);
		if (n != 1)
			fail_msg("acknowledged row %d is missing", acked[k]);
	}
	int64_t total = count_rows(c, "SELECT count(*) FROM job_rows");
	assert_true(total >= n_acked);
	db_close(c);
}

/* ---- main -------------------------------------------------------------------- */

#define DB_TESTS(SETUP, TEARDOWN)                                                                                      \
	cmocka_unit_test(test_url_backend), cmocka_unit_test(test_dialect_rewrite),                                    \
	    cmocka_unit_test_setup_teardown(test_bind_by_name, SETUP, TEARDOWN),                                       \
	    cmocka_unit_test_setup_teardown(test_roundtrip, SETUP, TEARDOWN),                                          \
	    cmocka_unit_test_setup_teardown(test_constraint, SETUP, TEARDOWN),                                         \
	    cmocka_unit_test_setup_teardown(test_savepoint, SETUP, TEARDOWN),                                          \
	    cmocka_unit_test_setup_teardown(test_stmt_cache, SETUP, TEARDOWN),                                         \
	    cmocka_unit_test_setup_teardown(test_migrate_real, SETUP, TEARDOWN),                                       \
	    cmocka_unit_test_setup_teardown(test_migrate_lists, SETUP, TEARDOWN),                                      \
	    cmocka_unit_test_setup_teardown(test_future_version_refused, SETUP, TEARDOWN),                             \
	    cmocka_unit_test_setup_teardown(test_ids_key_fresh, SETUP, TEARDOWN),                                      \
	    cmocka_unit_test_setup_teardown(test_ids_existing_database, SETUP, TEARDOWN),                              \
	    cmocka_unit_test_setup_teardown(test_migration_references, SETUP, TEARDOWN),                               \
	    cmocka_unit_test_setup_teardown(test_run_txn, SETUP, TEARDOWN),                                            \
	    cmocka_unit_test_setup_teardown(test_executor_many, SETUP, TEARDOWN),                                      \
	    cmocka_unit_test_setup_teardown(test_executor_failing_job, SETUP, TEARDOWN),                               \
	    cmocka_unit_test_setup_teardown(test_executor_retry, SETUP, TEARDOWN),                                     \
	    cmocka_unit_test_setup_teardown(test_thread_conns, SETUP, TEARDOWN),                                       \
	    cmocka_unit_test_setup_teardown(test_durability, SETUP, TEARDOWN)

int main(void)
{
	const struct CMUnitTest tests[] = {DB_TESTS(test_setup, test_teardown)};
	int failed = cmocka_run_group_tests_name("store_db_sqlite", tests, sqlite_group_setup, group_teardown);
	const char *pg = getenv("OG_TEST_PG_URL");
	if (pg && *pg) {
		failed += cmocka_run_group_tests_name("store_db_postgres", tests, pg_group_setup, group_teardown);
	} else {
		printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of test_db was NOT run "
		       "(scripts/run-tests.sh starts a server and sets it).\n");
	}
	return failed ? 1 : 0;
}
