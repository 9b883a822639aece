/* The test database fixture every store-level suite shares: each group runs
 * on SQLite (a temp folder, one file per test) or on PostgreSQL (one fresh
 * database per group from OG_TEST_PG_URL, tests/lib/pg_testdb.h, its schema
 * dropped and recreated per test), and each test starts from an empty
 * database, migrated when asked. Header-only, like the rest of tests/lib.
 *
 *   static int sqlite_group_setup(void **s) { return testdb_group_setup(s, DB_SQLITE, "og_test_x"); }
 *   static int pg_group_setup(void **s)     { return testdb_group_setup(s, DB_POSTGRES, "og_test_x"); }
 *   ... cmocka_unit_test_setup_teardown(test_a, testdb_test_setup_migrated, testdb_test_teardown) ...
 *   ... cmocka_run_group_tests_name("x_sqlite", tests, sqlite_group_setup, testdb_group_teardown) ...
 *   in a test: struct testdb *f = *state; f->db (opened and migrated), f->url
 *
 * For one throw-away SQLite file outside a group: testdb_file_create and
 * testdb_file_remove. */
#ifndef OG_TESTS_TESTDB_H
#define OG_TESTS_TESTDB_H

#include "lib/pg_testdb.h"
#include "store/db.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct testdb {
	enum db_backend backend;
	char dir[128];      /* SQLite: the group's temp folder */
	char pg_base[512];  /* PostgreSQL: OG_TEST_PG_URL */
	char pg_name[64];   /* PostgreSQL: the group's database */
	char url[1024];     /* the current test's database */
	int n;              /* tests begun in this group */
	struct db_conn *db; /* open while a test that asked for it runs, else NULL */
};

/* Removes a SQLite database file and its -wal and -shm companions. */
static inline void testdb_remove_sqlite_files(const char *path)
{
	char name[1200];
	unlink(path);
	snprintf(name, sizeof name, "%s-wal", path);
	unlink(name);
	snprintf(name, sizeof name, "%s-shm", path);
	unlink(name);
}

/* A group on backend: *state gets a struct testdb. prefix names the temp
 * folder and the PostgreSQL database. */
static inline int testdb_group_setup(void **state, enum db_backend backend, const char *prefix)
{
	struct testdb *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->backend = backend;
	if (backend == DB_SQLITE) {
		snprintf(f->dir, sizeof f->dir, "/tmp/%s-XXXXXX", prefix);
		if (!mkdtemp(f->dir)) {
			free(f);
			return -1;
		}
	} else {
		const char *base = getenv("OG_TEST_PG_URL");
		snprintf(f->pg_base, sizeof f->pg_base, "%s", base ? base : "");
		if (pg_testdb_create(f->pg_base, prefix, f->pg_name, sizeof f->pg_name, f->url, sizeof f->url) != 0) {
			free(f);
			return -1;
		}
	}
	*state = f;
	return 0;
}

static inline int testdb_group_teardown(void **state)
{
	struct testdb *f = *state;
	if (!f)
		return 0;
	if (f->backend == DB_SQLITE)
		rmdir(f->dir);
	else
		pg_testdb_drop(f->pg_base, f->pg_name);
	free(f);
	*state = NULL;
	return 0;
}

/* A new empty database for the next test, at f->url; with migrate, opened
 * as f->db and migrated to the current schema. */
static inline int testdb_begin(struct testdb *f, bool migrate)
{
	char err[512];
	f->n++;
	f->db = NULL;
	if (f->backend == DB_SQLITE) {
		snprintf(f->url, sizeof f->url, "sqlite:%s/t%d.db", f->dir, f->n);
	} else {
		struct db_conn *c = db_open(f->url, err, sizeof err);
		if (!c) {
			fprintf(stderr, "testdb: db_open %s: %s\n", f->url, err);
			return -1;
		}
		enum db_rc rc = db_exec_script(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
		db_close(c);
		if (rc != DB_OK)
			return -1;
	}
	if (!migrate)
		return 0;
	f->db = db_open(f->url, err, sizeof err);
	if (!f->db) {
		fprintf(stderr, "testdb: db_open %s: %s\n", f->url, err);
		return -1;
	}
	int applied = 0;
	if (store_migrate(f->db, &applied, err, sizeof err) != DB_OK ||
	    store_ids_key_load(f->db, err, sizeof err) != 0) {
		fprintf(stderr, "testdb: migrate: %s\n", err);
		return -1;
	}
	return 0;
}

/* cmocka setup and teardown functions over testdb_begin. */
static inline int testdb_test_setup_empty(void **state)
{
	return testdb_begin(*state, false);
}

static inline int testdb_test_setup_migrated(void **state)
{
	return testdb_begin(*state, true);
}

static inline int testdb_test_teardown(void **state)
{
	struct testdb *f = *state;
	db_close(f->db);
	f->db = NULL;
	if (f->backend == DB_SQLITE)
		testdb_remove_sqlite_files(f->url + strlen("sqlite:"));
	return 0;
}

/* One SQLite database file, name, in a new temp folder /tmp/<prefix>-XXXXXX. */
struct testdb_file {
	char dir[64];
	char path[128];
	char url[160];
};

static inline int testdb_file_create(struct testdb_file *t, const char *prefix, const char *name)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
	snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
	return 0;
}

static inline void testdb_file_remove(struct testdb_file *t)
{
	testdb_remove_sqlite_files(t->path);
	rmdir(t->dir);
}

#endif
