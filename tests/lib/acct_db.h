/* The accounts suites' names for the shared two-backend fixture
 * (tests/lib/testdb.h): a migrated, empty database per test on SQLite and,
 * when OG_TEST_PG_URL is set, on PostgreSQL. Use ACCT_DB_MAIN(name, tests)
 * as main and ACCT_TEST(fn) for each test. Header-only. */
#ifndef OG_TEST_ACCT_DB_H
#define OG_TEST_ACCT_DB_H

#include "lib/testdb.h"

#include <stdio.h>

#define acct_db testdb /* struct acct_db is the shared struct testdb */

static inline int acct_db_group_sqlite(void **state)
{
	return testdb_group_setup(state, DB_SQLITE, "og-acct");
}

static inline int acct_db_group_pg(void **state)
{
	return testdb_group_setup(state, DB_POSTGRES, "og_test_acct");
}

#define acct_db_group_teardown testdb_group_teardown
#define acct_db_setup          testdb_test_setup_migrated
#define acct_db_teardown       testdb_test_teardown

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
