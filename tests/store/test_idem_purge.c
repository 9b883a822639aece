/* Expired idempotency keys: store_idem_purge deletes those created before a
 * time, oldest first, at most `limit` per call, and leaves the rest. The
 * billing worker calls it every run (src/cli/bill.c). SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/testdb.h"
#include "store/resources.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int64_t count_keys(struct db_conn *db)
{
	int64_t n = -1;
	assert_int_equal(db_query_int(db, "SELECT COUNT(*) FROM idempotency_keys", NULL, 0, &n), DB_OK);
	return n;
}

static void purge_deletes_only_expired_oldest_first(void **state)
{
	(void)state;
	struct testdb_file file;
	assert_int_equal(testdb_file_create(&file, "og-idem", "idem.db"), 0);
	char err[256];
	struct db_conn *db = db_open(file.url, err, sizeof err);
	assert_non_null(db);
	int applied = 0;
	assert_int_equal(store_migrate(db, &applied, err, sizeof err), DB_OK);

	/* keys created at 100, 200, ..., 1000 */
	for (int i = 1; i <= 10; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		assert_int_equal(store_idem_insert(db, 1, key, "h", 200, "{}", i * 100), DB_OK);
	}
	int64_t n = 0;
	/* before 650 with a limit of 4: the four oldest go (100..400) */
	assert_int_equal(store_idem_purge(db, 650, 4, &n), DB_OK);
	assert_int_equal(n, 4);
	assert_int_equal(count_keys(db), 6);
	struct og_arena *a = arena_new();
	struct og_idem_row row;
	assert_int_equal(store_idem_get(db, a, 1, "k4", &row), DB_DONE);
	assert_int_equal(store_idem_get(db, a, 1, "k5", &row), DB_ROW);
	/* again: 500 and 600 are older than 650; 700.. stay */
	assert_int_equal(store_idem_purge(db, 650, 4, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count_keys(db), 4);
	assert_int_equal(store_idem_get(db, a, 1, "k7", &row), DB_ROW);
	/* nothing left to purge before 650 */
	assert_int_equal(store_idem_purge(db, 650, 4, &n), DB_OK);
	assert_int_equal(n, 0);
	arena_free(a);
	db_close(db);
	testdb_file_remove(&file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(purge_deletes_only_expired_oldest_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
