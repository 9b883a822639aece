/* The database driver interface: one API, two implementations
 * (db_sqlite.c, db_pg.c), chosen by the URL given to db_open.
 *
 * SQL is written once with $1, $2 ... placeholders; both backends accept it
 * (the SQLite driver binds by name with sqlite3_bind_parameter_index, since
 * SQLite numbers "$N" by first appearance). The few differences in SQL text
 * live in dialect.c. Pass SQL as string literals or other storage that lives
 * as long as the connection: drivers cache prepared statements keyed by the
 * SQL text's address.
 *
 * A connection belongs to one thread at a time. Results are cursors: column
 * values returned by db_text() stay valid only until the next db_next() or
 * db_res_free() on that cursor; copy what you keep (into the request arena). */
#ifndef OG_DB_H
#define OG_DB_H

#include <stdbool.h>
#include <stdint.h>

enum db_backend { DB_SQLITE, DB_POSTGRES };

enum db_rc {
	DB_OK = 0,     /* statement done (no rows, or cursor ready) */
	DB_ROW,        /* db_next: a row is ready */
	DB_DONE,       /* db_next: no more rows */
	DB_CONSTRAINT, /* a UNIQUE / FOREIGN KEY / CHECK constraint refused the write */
	DB_RETRY,      /* soft: SQLITE_BUSY, serialization failure (40001), deadlock (40P01) */
	DB_ERROR,      /* hard: anything else (logged by the driver) */
};

enum db_param_type { DBP_NULL, DBP_INT, DBP_TEXT };
struct db_param {
	enum db_param_type type;
	int64_t i;
	const char *s;
};
#define DB_INT(x)  ((struct db_param){.type = DBP_INT, .i = (int64_t)(x)})
#define DB_TEXT(x) ((struct db_param){.type = (x) ? DBP_TEXT : DBP_NULL, .s = (x)})
#define DB_NULLP   ((struct db_param){.type = DBP_NULL})
/* An int that is NULL when has is false. */
#define DB_INT_OR_NULL(has, x) ((has) ? DB_INT(x) : DB_NULLP)

struct db_conn;
struct db_res;

/* url: "sqlite:PATH" (or a bare path) or "postgres://..." / "postgresql://..."
 * / a libpq "host=... " conninfo. SQLite connections are opened in WAL mode
 * with synchronous=FULL, foreign_keys=ON and a busy timeout. Returns NULL and
 * writes a reason into errbuf on failure. */
struct db_conn *db_open(const char *url, char *errbuf, unsigned errlen);
void db_close(struct db_conn *c); /* NULL is a no-op */
enum db_backend db_backend(const struct db_conn *c);
/* The backend a URL names, without opening it; -1 when it names none. */
int db_url_backend(const char *url);
/* The file path of a SQLite URL (sqlite:PATH, sqlite:///abs, or a bare path). */
const char *db_url_sqlite_path(const char *url);

/* Runs sql with params. When res is non-NULL and the statement yields rows,
 * *res is a cursor to step with db_next (and must be freed with db_res_free);
 * otherwise the statement is run to completion. On failure *res is NULL.
 * (Both drivers: with res non-NULL, DB_OK always gives a cursor, empty when
 * there are no rows; db_next(NULL) is DB_DONE.) Parameter count must match
 * the highest $N, else DB_ERROR. */
enum db_rc db_exec(struct db_conn *c, const char *sql, const struct db_param *params, int n_params,
                   struct db_res **res);
enum db_rc db_next(struct db_res *r);
bool db_isnull(struct db_res *r, int col);
int64_t db_int(struct db_res *r, int col);      /* NULL reads as 0 */
const char *db_text(struct db_res *r, int col); /* NULL reads as NULL */
void db_res_free(struct db_res *r);             /* NULL is a no-op */
/* Rows changed by the last INSERT/UPDATE/DELETE run with db_exec on c. */
int64_t db_changes(struct db_conn *c);

/* Convenience: runs sql and reads the first column of the first row as an
 * integer. DB_DONE when there is no row. */
enum db_rc db_query_int(struct db_conn *c, const char *sql, const struct db_param *params, int n_params, int64_t *out);

/* Transactions. db_begin(c, true) takes the write lock at once (SQLite
 * BEGIN IMMEDIATE; PostgreSQL BEGIN). Savepoint names are [a-z0-9_].
 * On both backends a statement that fails inside a transaction marks it
 * failed until db_rollback_to (PostgreSQL's rule, applied to SQLite too):
 * db_commit then rolls back and returns that failure. To carry on after an
 * expected failure (a UNIQUE violation), wrap the statement in a savepoint
 * or use ON CONFLICT. */
enum db_rc db_begin(struct db_conn *c, bool write);
enum db_rc db_commit(struct db_conn *c);
enum db_rc db_rollback(struct db_conn *c);
enum db_rc db_savepoint(struct db_conn *c, const char *name);
enum db_rc db_release(struct db_conn *c, const char *name);
enum db_rc db_rollback_to(struct db_conn *c, const char *name);
bool db_in_txn(struct db_conn *c);

/* Runs a script of several statements (migrations); no parameters. */
enum db_rc db_exec_script(struct db_conn *c, const char *sql);

/* The driver's last error message for c ("" when none). */
const char *db_errmsg(struct db_conn *c);

#endif
