/* The SQLite driver of db.h.
 *
 * Connections are opened in WAL mode with synchronous=FULL, foreign_keys=ON,
 * extended result codes and a 5 s busy timeout. Each connection caches its
 * prepared statements in a map keyed by the address of the SQL text (the
 * text is also kept, so a buffer reused for other SQL is noticed and
 * prepared again, never run as the old statement). After use a statement is
 * reset and its bindings cleared. A statement that a cursor is still stepping
 * is "busy": running the same SQL again meanwhile (a nested query) prepares a
 * one-shot copy instead of disturbing the cursor.
 *
 * Parameters are "$1", "$2" ... and are bound by name through
 * sqlite3_bind_parameter_index: SQLite numbers "$N" parameters in order of
 * first appearance, so "$2 ... $1" bound by position would swap them.
 *
 * Result codes: SQLITE_CONSTRAINT* -> DB_CONSTRAINT, SQLITE_BUSY/LOCKED ->
 * DB_RETRY, anything else -> DB_ERROR (logged). No SQL of the application
 * lives here. */
#include "store/db_internal.h"

#include "core/mem.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_BUSY_TIMEOUT_MS 5000

struct sq_stmt {
	char *sql; /* copy of the text, to detect a reused address */
	sqlite3_stmt *stmt;
	int n_params;     /* the highest $N in the text */
	int *param_index; /* [k] = SQLite's index of "$k+1", 0 when unused */
	bool is_cached;
	bool is_busy; /* a cursor is stepping it */
};

struct sq_conn {
	struct db_conn base;
	sqlite3 *db;
	struct db__cache cache;
};

struct sq_res {
	struct db_res base;
	struct sq_stmt *st;   /* NULL once done */
	bool has_pending_row; /* db_exec already stepped onto the first row */
};

static struct sq_conn *sq(struct db_conn *c)
{
	return (struct sq_conn *)c;
}

static enum db_rc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_RETRY;
	default:
		return DB_ERROR;
	}
}

/* Records the connection's current error; logs it when it is a hard one. */
static enum db_rc sq_error(struct sq_conn *c, int rc, const char *what, const char *sql)
{
	enum db_rc mapped = map_rc(rc);
	db__fail(&c->base, mapped, "%s (%s, code %d)", sqlite3_errmsg(c->db), sqlite3_errstr(rc),
	         sqlite3_extended_errcode(c->db));
	if (mapped == DB_ERROR)
		db__log_error(&c->base, what, sql);
	return mapped;
}

/* ---- statements ---------------------------------------------------------- */

static void stmt_free(struct sq_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->stmt);
	free(st->param_index);
	free(st->sql);
	free(st);
}

static void stmt_free_cb(void *value, void *arg)
{
	(void)arg;
	stmt_free(value);
}

/* Only whitespace and semicolons may follow the one statement. */
static bool tail_is_empty(const char *tail)
{
	for (; tail && *tail; tail++)
		if (*tail != ';' && *tail != ' ' && *tail != '\t' && *tail != '\n' && *tail != '\r')
			return false;
	return true;
}

static enum db_rc stmt_prepare(struct sq_conn *c, const char *sql, bool persistent, struct sq_stmt **out)
{
	sqlite3_stmt *stmt = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
	if (rc != SQLITE_OK)
		return sq_error(c, rc, "prepare", sql);
	if (!stmt || !tail_is_empty(tail)) {
		sqlite3_finalize(stmt);
		enum db_rc r =
		    db__fail(&c->base, DB_ERROR,
		             stmt ? "db_exec runs one statement (use db_exec_script for several)" : "empty statement");
		db__log_error(&c->base, "prepare", sql);
		return r;
	}
	c->base.n_prepared++;
	int count = sqlite3_bind_parameter_count(stmt);
	struct sq_stmt *st = xcalloc(1, sizeof *st);
	st->stmt = stmt;
	st->sql = xstrdup(sql);
	st->param_index = xcalloc((size_t)count + 1, sizeof *st->param_index);
	for (int i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);
		char *end = NULL;
		long k = name && name[0] == '$' ? strtol(name + 1, &end, 10) : 0;
		if (k < 1 || k > count || !end || *end) {
			stmt_free(st);
			enum db_rc r =
			    db__fail(&c->base, DB_ERROR, "parameter \"%s\": write $1, $2, ...", name ? name : "?");
			db__log_error(&c->base, "prepare", sql);
			return r;
		}
		st->param_index[k - 1] = i;
		if (k > st->n_params)
			st->n_params = (int)k;
	}
	*out = st;
	return DB_OK;
}

/* The statement to run sql with: the cached one, or a fresh one. */
static enum db_rc stmt_get(struct sq_conn *c, const char *sql, struct sq_stmt **out)
{
	struct sq_stmt *st = db__cache_get(&c->cache, sql);
	if (st && !st->is_busy && strcmp(st->sql, sql) == 0) {
		*out = st;
		return DB_OK;
	}
	bool can_cache = st ? !st->is_busy : c->cache.n < DB_CACHE_MAX;
	struct sq_stmt *fresh = NULL;
	enum db_rc rc = stmt_prepare(c, sql, can_cache, &fresh);
	if (rc != DB_OK)
		return rc;
	if (can_cache) {
		stmt_free(st); /* same address, other text: the buffer was reused */
		fresh->is_cached = true;
		db__cache_put(&c->cache, sql, fresh);
	}
	*out = fresh;
	return DB_OK;
}

/* Done with st: reset it for the next use, or finalize a one-shot. */
static void stmt_done(struct sq_stmt *st)
{
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	st->is_busy = false;
	if (!st->is_cached)
		stmt_free(st);
}

static enum db_rc stmt_bind(struct sq_conn *c, struct sq_stmt *st, const struct db_param *params, int n_params,
                            bool copy_text)
{
	if (n_params != st->n_params) {
		db__fail(&c->base, DB_ERROR, "statement takes %d parameters, %d given", st->n_params, n_params);
		db__log_error(&c->base, "bind", st->sql);
		return DB_ERROR;
	}
	for (int k = 0; k < n_params; k++) {
		int i = st->param_index[k];
		int rc = SQLITE_OK;
		if (!i)
			continue;
		switch (params[k].type) {
		case DBP_NULL:
			rc = sqlite3_bind_null(st->stmt, i);
			break;
		case DBP_INT:
			rc = sqlite3_bind_int64(st->stmt, i, params[k].i);
			break;
		case DBP_TEXT:
			rc = params[k].s ? sqlite3_bind_text(st->stmt, i, params[k].s, -1,
			                                     copy_text ? SQLITE_TRANSIENT : SQLITE_STATIC)
			                 : sqlite3_bind_null(st->stmt, i);
			break;
		}
		if (rc != SQLITE_OK)
			return sq_error(c, rc, "bind", st->sql);
	}
	return DB_OK;
}

static enum db_rc sq_exec(struct db_conn *conn, const char *sql, const struct db_param *params, int n_params,
                          struct db_res **res)
{
	struct sq_conn *c = sq(conn);
	struct sq_stmt *st;
	enum db_rc rc = stmt_get(c, sql, &st);
	if (rc != DB_OK)
		return rc;
	/* a cursor steps later, after the caller's parameters may be gone */
	rc = stmt_bind(c, st, params, n_params, res != NULL);
	if (rc != DB_OK) {
		stmt_done(st);
		return rc;
	}
	int step = sqlite3_step(st->stmt);
	if (step == SQLITE_ROW && res) {
		struct sq_res *r = xcalloc(1, sizeof *r);
		r->base.drv = &db__sqlite_driver;
		r->base.conn = conn;
		r->st = st;
		r->has_pending_row = true;
		st->is_busy = true;
		*res = &r->base;
		return DB_OK;
	}
	while (step == SQLITE_ROW)
		step = sqlite3_step(st->stmt);
	if (step != SQLITE_DONE) {
		rc = sq_error(c, step, "step", sql);
		stmt_done(st);
		return rc;
	}
	stmt_done(st);
	if (res) { /* an empty cursor: db_next says DB_DONE */
		struct sq_res *r = xcalloc(1, sizeof *r);
		r->base.drv = &db__sqlite_driver;
		r->base.conn = conn;
		*res = &r->base;
	}
	return DB_OK;
}

static enum db_rc sq_next(struct db_res *res)
{
	struct sq_res *r = (struct sq_res *)res;
	if (r->has_pending_row) {
		r->has_pending_row = false;
		return DB_ROW;
	}
	if (!r->st)
		return DB_DONE;
	int step = sqlite3_step(r->st->stmt);
	if (step == SQLITE_ROW)
		return DB_ROW;
	enum db_rc rc = DB_DONE;
	if (step != SQLITE_DONE)
		rc = sq_error(sq(res->conn), step, "step", r->st->sql);
	stmt_done(r->st);
	r->st = NULL;
	return rc;
}

static bool sq_isnull(struct db_res *res, int col)
{
	struct sq_res *r = (struct sq_res *)res;
	return !r->st || sqlite3_column_type(r->st->stmt, col) == SQLITE_NULL;
}

static int64_t sq_int(struct db_res *res, int col)
{
	struct sq_res *r = (struct sq_res *)res;
	return r->st ? sqlite3_column_int64(r->st->stmt, col) : 0;
}

static const char *sq_text(struct db_res *res, int col)
{
	struct sq_res *r = (struct sq_res *)res;
	return r->st ? (const char *)sqlite3_column_text(r->st->stmt, col) : NULL;
}

static void sq_res_free(struct db_res *res)
{
	struct sq_res *r = (struct sq_res *)res;
	if (r->st)
		stmt_done(r->st);
	free(r);
}

static int64_t sq_changes(struct db_conn *c)
{
	return sqlite3_changes64(sq(c)->db);
}

/* ---- transactions and scripts -------------------------------------------- */

static bool sq_in_txn(struct db_conn *c)
{
	return !sqlite3_get_autocommit(sq(c)->db);
}

static enum db_rc sq_exec_script(struct db_conn *conn, const char *sql)
{
	struct sq_conn *c = sq(conn);
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return DB_OK;
	enum db_rc mapped = map_rc(sqlite3_extended_errcode(c->db));
	db__fail(conn, mapped, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	if (mapped == DB_ERROR)
		db__log_error(conn, "script", sql);
	return mapped;
}

static enum db_rc sq_txn(struct db_conn *conn, enum db_txn_op op, const char *name)
{
	/* literals, so the fixed ones are prepared once per connection */
	static const char *const fixed[] = {
	    [DB_TXN_BEGIN_READ] = "BEGIN",
	    [DB_TXN_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	    [DB_TXN_COMMIT] = "COMMIT",
	    [DB_TXN_ROLLBACK] = "ROLLBACK",
	};
	char sql[96];
	switch (op) {
	case DB_TXN_SAVEPOINT:
		snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
		return sq_exec_script(conn, sql);
	case DB_TXN_RELEASE:
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT %s", name);
		return sq_exec_script(conn, sql);
	case DB_TXN_ROLLBACK_TO:
		snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
		return sq_exec_script(conn, sql);
	default:
		return sq_exec(conn, fixed[op], NULL, 0, NULL);
	}
}

/* ---- connections --------------------------------------------------------- */

static void sq_close(struct db_conn *conn)
{
	struct sq_conn *c = sq(conn);
	db__cache_clear(&c->cache, stmt_free_cb, NULL);
	db__cache_free(&c->cache);
	sqlite3_close_v2(c->db);
	free(c);
}

static bool is_memory(const char *path)
{
	return !*path || strcmp(path, ":memory:") == 0;
}

static struct db_conn *sq_open(const char *path, char *errbuf, unsigned errlen)
{
	if (!sqlite3_threadsafe()) {
		snprintf(errbuf, errlen, "sqlite: this libsqlite3 was built without thread support");
		return NULL;
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "sqlite: cannot open %s: %s", path,
		         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return NULL;
	}
	struct sq_conn *c = xcalloc(1, sizeof *c);
	c->base.drv = &db__sqlite_driver;
	c->db = db;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, SQ_BUSY_TIMEOUT_MS);

	struct db_res *r = NULL;
	const char *mode = NULL;
	enum db_rc drc = sq_exec(&c->base, "PRAGMA journal_mode=WAL", NULL, 0, &r);
	if (drc == DB_OK && sq_next(r) == DB_ROW)
		mode = sq_text(r, 0);
	bool is_wal = mode && (strcmp(mode, "wal") == 0 || (strcmp(mode, "memory") == 0 && is_memory(path)));
	char mode_copy[32];
	snprintf(mode_copy, sizeof mode_copy, "%s", mode ? mode : "?");
	db_res_free(r);
	if (drc == DB_OK && !is_wal)
		db__fail(&c->base, DB_ERROR, "journal_mode is %s, not wal", mode_copy);
	if (drc == DB_OK && is_wal)
		/* temp_store=MEMORY: statement journals of multi-statement transactions
		 * (savepoints, the engine's batches) stay off the disk */
		drc = sq_exec_script(&c->base,
		                     "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
	if (drc != DB_OK || !is_wal) {
		snprintf(errbuf, errlen, "sqlite: cannot set up %s: %s", path, c->base.errmsg);
		sq_close(&c->base);
		return NULL;
	}
	return &c->base;
}

const struct db_driver db__sqlite_driver = {
    .name = "sqlite",
    .backend = DB_SQLITE,
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .next = sq_next,
    .isnull = sq_isnull,
    .col_int = sq_int,
    .col_text = sq_text,
    .res_free = sq_res_free,
    .changes = sq_changes,
    .txn = sq_txn,
    .in_txn = sq_in_txn,
    .exec_script = sq_exec_script,
};
