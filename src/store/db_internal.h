/* Inside the database layer: the driver table that db.c dispatches to, the
 * common head of every connection and cursor, and the statement-cache map
 * both drivers use. Nothing outside src/store includes this file (tests may,
 * to look at the counters).
 *
 * A driver is a struct db_driver of function pointers (db_sqlite.c,
 * db_pg.c). Its connections begin with a struct db_conn and its cursors with
 * a struct db_res, so db.c can find the driver from either. db.c does the
 * bookkeeping common to both (the failed-statement mark, counters), the
 * drivers only talk to their library. */
#ifndef OG_DB_INTERNAL_H
#define OG_DB_INTERNAL_H

#include "store/db.h"

#include <stddef.h>
#include <stdint.h>

enum db_txn_op {
	DB_TXN_BEGIN_READ,
	DB_TXN_BEGIN_WRITE,
	DB_TXN_COMMIT,
	DB_TXN_ROLLBACK,
	DB_TXN_SAVEPOINT,
	DB_TXN_RELEASE,
	DB_TXN_ROLLBACK_TO,
};

struct db_driver {
	const char *name; /* "sqlite", "postgres": for logs */
	enum db_backend backend;
	/* target is the URL with any "sqlite:" prefix removed */
	struct db_conn *(*open)(const char *target, char *errbuf, unsigned errlen);
	void (*close)(struct db_conn *c);
	enum db_rc (*exec)(struct db_conn *c, const char *sql, const struct db_param *params, int n_params,
	                   struct db_res **res);
	enum db_rc (*next)(struct db_res *r);
	bool (*isnull)(struct db_res *r, int col);
	int64_t (*col_int)(struct db_res *r, int col);
	const char *(*col_text)(struct db_res *r, int col);
	void (*res_free)(struct db_res *r);
	int64_t (*changes)(struct db_conn *c);
	/* name is NULL except for the three savepoint operations; it has been
	 * checked to be [a-z0-9_]+ by db.c. A COMMIT that did not commit (the
	 * transaction had failed) must return an error, not DB_OK. */
	enum db_rc (*txn)(struct db_conn *c, enum db_txn_op op, const char *name);
	bool (*in_txn)(struct db_conn *c);
	enum db_rc (*exec_script)(struct db_conn *c, const char *sql);
};

extern const struct db_driver db__sqlite_driver;
extern const struct db_driver db__pg_driver;

struct db_conn {
	const struct db_driver *drv;
	/* The first failure (DB_CONSTRAINT, DB_RETRY, DB_ERROR) of a statement
	 * inside the current transaction, 0 when none since the transaction or
	 * the last ROLLBACK TO began. PostgreSQL refuses every statement after
	 * such a failure until ROLLBACK TO; this mark lets the executor and
	 * store_run_txn treat both backends alike: a transaction with an
	 * unrecovered failure is rolled back, never committed. */
	enum db_rc failed_rc;
	uint64_t n_prepared; /* statements prepared on this connection (tests) */
	uint64_t n_exec;     /* db_exec calls */
	char errmsg[512];
};

struct db_res {
	const struct db_driver *drv;
	struct db_conn *conn;
};

/* Sets c->errmsg (printf-style) and returns rc. */
enum db_rc db__fail(struct db_conn *c, enum db_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Logs a hard error once, with the SQL that caused it (truncated). */
void db__log_error(struct db_conn *c, const char *what, const char *sql);
/* The failure recorded in the current transaction (0 when none). */
enum db_rc db__txn_failure(const struct db_conn *c);

/* The statement cache: an open-addressing map from the address of the SQL
 * text to the driver's entry. Entries are owned by the driver; the map only
 * stores pointers. Keys are never removed one by one (db__cache_put replaces
 * a key's value; db__cache_clear empties all). */
struct db__cache {
	const char **keys;
	void **values;
	unsigned cap; /* power of two, or 0 before first use */
	unsigned n;
};
#define DB_CACHE_MAX 1024 /* past this, drivers run statements uncached */

void *db__cache_get(const struct db__cache *m, const char *key);
void db__cache_put(struct db__cache *m, const char *key, void *value);
/* Calls fn on every value, then empties the map (keeps its memory). */
void db__cache_clear(struct db__cache *m, void (*fn)(void *value, void *arg), void *arg);
void db__cache_free(struct db__cache *m);

#endif
