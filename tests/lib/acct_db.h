/* A migrated, empty database per test on SQLite and, when OG_TEST_PG_URL is
 * set, on PostgreSQL: for the accounts suites (tests/store/test_accounts_store.c,
 * tests/billing/test_accounts.c, tests/billing/test_mail.c). Header-only.
 * Use ACCT_DB_MAIN(tests) as main. */
#ifndef OG_TEST_ACCT_DB_H
#define OG_TEST_ACCT_DB_H

#include "lib/pg_testdb.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct acct_db {
	enum db_backend backend;
	char dir[64];
	char pg_base[512];
	char pg_name[64];
	char url[1024];
	int n;
	struct db_conn *db; /* open and migrated during each test */
};

static int acct_db_group_sqlite(void **state)
{
	struct acct_db *f = calloc(1, sizeof *f);
	f->backend = DB_SQLITE;
	snprintf(f->dir, sizeof f->dir, "/tmp/og-acct-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int acct_db_group_pg(void **state)
{
	struct acct_db *f = calloc(1, sizeof *f);
	f->backend = DB_POSTGRES;
	snprintf(f->pg_base, sizeof f->pg_base, "%s", getenv("OG_TEST_PG_URL"));
	if (pg_testdb_create(f->pg_base, "og_test_acct", f->pg_name, sizeof f->pg_name, f->url, sizeof f->url) != 0)
		return -1;
	*state = f;
	return 0;
}

static int acct_db_group_teardown(void **state)
{
	struct acct_db *f = *state;
	if (f->backend == DB_SQLITE) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
	} else {
		pg_testdb_drop(f->pg_base, f->pg_name);
	}
	free(f);
	return 0;
}

static int acct_db_setup(void **state)
{
	struct acct_db *f = *state;
	char err[512];
	f->n++;
	if (f->backend == DB_SQLITE)
		snprintf(f->url, sizeof f->url, "sqlite:%s/t%d.db", f->dir, f->n);
	f->db = db_open(f->url, err, sizeof err);
	if (!f->db) {
		fprintf(stderr, "db_open: %s\n", err);
		return -1;
	}
	if (f->backend == DB_POSTGRES &&
	    db_exec_script(f->db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;") != DB_OK)
		return -1;
	int applied = 0;
	if (store_migrate(f->db, &applied, err, sizeof err) != DB_OK) {
		fprintf(stderr, "migrate: %s\n", err);
		return -1;
	}
	return 0;
}

static int acct_db_teardown(void **state)
{
	struct acct_db *f = *state;
	db_close(f->db);
	f->db = NULL;
	return 0;
}

#define ACCT_DB_MAIN(name, tests)                                                                                      \
	int main(void)                                                                                                 \
	{                                                                                                              \
		int failed =                                                                                           \
		    cmocka_run_group_tests_name(name "_sqlite", tests, acct_db_group_sqlite, acct_db_group_teardown);  \
		const char *pg = getenv("OG_TEST_PG_URL");                                                             \
		if (pg && *pg)                                                                                         \
			failed += cmocka_run_group_tests_name(name "_postgres", tests, acct_db_group_pg,               \
			                                      acct_db_group_teardown);                                 \
		else                                                                                                   \
			printf("NOTE: OG_TEST_PG_URL is not set: the PostgreSQL half of " name " was NOT run\n");      \
		return failed ? 1 : 0;                                                                                 \
	}

#define ACCT_TEST(fn) cmocka_unit_test_setup_teardown(fn, acct_db_setup, acct_db_teardown)

#endif
