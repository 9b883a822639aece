/* The PostgreSQL driver of db.h (libpq).
 *
 * Each distinct SQL text is prepared once per connection (PQprepare, named
 * "og<N>", keyed by the address of the text; the text is kept to notice a
 * reused buffer) and run with PQexecPrepared. Parameters travel as text:
 * ints are formatted as decimal and declared int8 when prepared, so
 * "$1 * 10" or "SELECT $1" keep 64-bit values (text and NULL parameters are
 * left for the server to infer from context). A cursor walks the PGresult,
 * which holds every row: queries that may return many rows page with LIMIT.
 *
 * Reading: db_int parses the text with strtoll and reads "t"/"f" (a
 * PostgreSQL boolean such as "x IS NULL") as 1/0, as SQLite would return.
 *
 * SQLSTATE 23xxx -> DB_CONSTRAINT; 40001 (serialization failure) and 40P01
 * (deadlock) -> DB_RETRY; anything else -> DB_ERROR (logged). A failed
 * statement aborts a PostgreSQL transaction until ROLLBACK or ROLLBACK TO a
 * savepoint; db.c keeps the same mark for both backends. A connection found
 * broken outside a transaction is reset (and its prepared statements
 * forgotten) before the next statement. No SQL of the application here. */
#include "store/db_internal.h"

#include "core/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_INT8OID      20
#define PG_STACK_PARAMS 16

struct pg_stmt {
	char *sql; /* copy of the text, to detect a reused address */
	char name[24];
	uint64_t int_mask; /* parameters prepared as int8 (the first 64) */
	int n_params;      /* as the server counts them */
};

struct pg_conn {
	struct db_conn base;
	PGconn *pg;
	struct db__cache cache;
	unsigned next_id;
	int64_t changes;
};

struct pg_res {
	struct db_res base;
	PGresult *res; /* NULL for an empty cursor */
	int row;       /* -1 before the first db_next */
	int n_rows;
};

static struct pg_conn *pgc(struct db_conn *c)
{
	return (struct pg_conn *)c;
}

/* ---- errors -------------------------------------------------------------- */

static enum db_rc map_sqlstate(const char *state)
{
	if (!state)
		return DB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_RETRY;
	return DB_ERROR;
}

static void copy_message(struct pg_conn *c, const char *msg, const char *state)
{
	db__fail(&c->base, DB_ERROR, "%s%s%s", msg ? msg : "", state ? " SQLSTATE " : "", state ? state : "");
	/* libpq messages end in a newline; keep one line */
	char *nl;
	while ((nl = strchr(c->base.errmsg, '\n')))
		*nl = ' ';
}

/* Maps a failed PGresult (which it clears) to a db_rc and records it. */
static enum db_rc pg_failed(struct pg_conn *c, PGresult *res, const char *what, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum db_rc rc = map_sqlstate(state);
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	copy_message(c, msg && *msg ? msg : PQerrorMessage(c->pg), state);
	PQclear(res);
	if (rc == DB_ERROR)
		db__log_error(&c->base, what, sql);
	return rc;
}

static bool result_ok(PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* ---- statements ---------------------------------------------------------- */

static void stmt_free_cb(void *value, void *arg)
{
	(void)arg;
	struct pg_stmt *st = value;
	free(st->sql);
	free(st);
}

static bool pg_in_txn(struct db_conn *conn)
{
	PGTransactionStatusType ts = PQtransactionStatus(pgc(conn)->pg);
	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR || ts == PQTRANS_ACTIVE;
}

/* Resets a broken connection, but never mid-transaction: the caller would
 * carry on as if its earlier statements still counted. */
static enum db_rc ensure_connected(struct pg_conn *c)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		return DB_OK;
	if (pg_in_txn(&c->base))
		return db__fail(&c->base, DB_ERROR, "connection lost inside a transaction");
	PQreset(c->pg);
	db__cache_clear(&c->cache, stmt_free_cb, NULL); /* the server forgot them */
	if (PQstatus(c->pg) != CONNECTION_OK) {
		copy_message(c, PQerrorMessage(c->pg), NULL);
		db__log_error(&c->base, "reconnect", NULL);
		return DB_ERROR;
	}
	return DB_OK;
}

static uint64_t int_mask_of(const struct db_param *params, int n_params)
{
	uint64_t mask = 0;
	for (int k = 0; k < n_params && k < 64; k++)
		if (params[k].type == DBP_INT)
			mask |= (uint64_t)1 << k;
	return mask;
}

static void types_of(uint64_t mask, int n_params, unsigned *types)
{
	for (int k = 0; k < n_params; k++)
		types[k] = k < 64 && (mask >> k & 1) ? PG_INT8OID : 0;
}

static void deallocate(struct pg_conn *c, const char *name)
{
	char sql[64];
	snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
	PQclear(PQexec(c->pg, sql)); /* may fail in an aborted transaction: harmless */
}

static bool is_ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '$' || (unsigned char)ch >= 0x80;
}

/* The highest $N in sql, outside quotes, comments and dollar-quoted text.
 * Declared parameter types make PostgreSQL accept extra, unused parameters;
 * counting them here makes a wrong count fail as it does on SQLite. */
static int count_params(const char *sql)
{
	int highest = 0;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			char quote = *p++;
			while (*p && !(*p == quote && p[1] != quote))
				p += *p == quote ? 2 : 1;
			if (*p)
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9' && (p == sql || !is_ident_char(p[-1]))) {
			int n = (int)strtol(p + 1, (char **)&p, 10);
			if (n > highest)
				highest = n;
		} else if (*p == '$' && (p == sql || !is_ident_char(p[-1]))) {
			const char *tag_end = p + 1; /* $tag$ ... $tag$ */
			while (*tag_end && *tag_end != '$' && is_ident_char(*tag_end))
				tag_end++;
			if (*tag_end != '$') {
				p++;
				continue;
			}
			size_t tag_len = (size_t)(tag_end - p) + 1;
			const char *close = p + tag_len;
			while ((close = strchr(close, '$')) && strncmp(close, p, tag_len) != 0)
				close++;
			p = close ? close + tag_len : p + strlen(p);
		} else {
			p++;
		}
	}
	return highest;
}

/* The prepared statement for sql with these parameter types; NULL in *out
 * (and DB_OK) when the cache is full: run it unnamed. */
static enum db_rc stmt_get(struct pg_conn *c, const char *sql, const struct db_param *params, int n_params,
                           struct pg_stmt **out)
{
	uint64_t mask = int_mask_of(params, n_params);
	struct pg_stmt *st = db__cache_get(&c->cache, sql);
	bool same_text = st && strcmp(st->sql, sql) == 0;
	if (same_text && (mask & ~st->int_mask) == 0) {
		*out = st;
		return DB_OK;
	}
	*out = NULL;
	if (!st && c->cache.n >= DB_CACHE_MAX)
		return DB_OK;
	if (st) { /* other text at this address, or an int where a NULL was first */
		if (st->name[0])
			deallocate(c, st->name);
		if (same_text)
			mask |= st->int_mask;
	} else {
		st = xcalloc(1, sizeof *st);
		db__cache_put(&c->cache, sql, st);
	}
	free(st->sql);
	st->sql = xstrdup(sql);
	st->int_mask = 0;
	snprintf(st->name, sizeof st->name, "og%u", c->next_id++);
	unsigned stack_types[PG_STACK_PARAMS];
	unsigned *types = n_params <= PG_STACK_PARAMS ? stack_types : xcalloc((size_t)n_params, sizeof *types);
	types_of(mask, n_params, types);
	PGresult *res = PQprepare(c->pg, st->name, sql, n_params, types);
	if (types != stack_types)
		free(types);
	if (!result_ok(res)) {
		st->name[0] = 0; /* nothing prepared under this entry */
		st->sql[0] = 0;  /* so the next call prepares again */
		return pg_failed(c, res, "prepare", sql);
	}
	PQclear(res);
	st->n_params = count_params(sql);
	c->base.n_prepared++;
	st->int_mask = mask;
	*out = st;
	return DB_OK;
}

static void count_changes(struct pg_conn *c, PGresult *res)
{
	const char *status = PQcmdStatus(res);
	if (strncmp(status, "INSERT", 6) && strncmp(status, "UPDATE", 6) && strncmp(status, "DELETE", 6) &&
	    strncmp(status, "MERGE", 5))
		return;
	c->changes = strtoll(PQcmdTuples(res), NULL, 10);
}

static struct pg_res *res_new(struct db_conn *conn, PGresult *res)
{
	struct pg_res *r = xcalloc(1, sizeof *r);
	r->base.drv = &db__pg_driver;
	r->base.conn = conn;
	r->res = res;
	r->row = -1;
	r->n_rows = res ? PQntuples(res) : 0;
	return r;
}

static enum db_rc pg_exec(struct db_conn *conn, const char *sql, const struct db_param *params, int n_params,
                          struct db_res **out)
{
	struct pg_conn *c = pgc(conn);
	enum db_rc rc = ensure_connected(c);
	if (rc != DB_OK)
		return rc;
	struct pg_stmt *st;
	rc = stmt_get(c, sql, params, n_params, &st);
	if (rc != DB_OK)
		return rc;
	if (st && st->n_params != n_params) {
		db__fail(conn, DB_ERROR, "statement takes %d parameters, %d given", st->n_params, n_params);
		db__log_error(conn, "bind", sql);
		return DB_ERROR;
	}

	const char *stack_values[PG_STACK_PARAMS];
	char stack_nums[PG_STACK_PARAMS][24];
	bool on_heap = n_params > PG_STACK_PARAMS;
	const char **values = on_heap ? xcalloc((size_t)n_params, sizeof *values) : stack_values;
	char(*nums)[24] = on_heap ? xcalloc((size_t)n_params, sizeof *nums) : stack_nums;
	for (int k = 0; k < n_params; k++) {
		switch (params[k].type) {
		case DBP_INT:
			snprintf(nums[k], sizeof nums[k], "%" PRId64, params[k].i);
			values[k] = nums[k];
			break;
		case DBP_TEXT:
			values[k] = params[k].s;
			break;
		default:
			values[k] = NULL;
		}
	}
	PGresult *res;
	if (st) {
		res = PQexecPrepared(c->pg, st->name, n_params, values, NULL, NULL, 0);
	} else {
		unsigned stack_types[PG_STACK_PARAMS];
		unsigned *types = on_heap ? xcalloc((size_t)n_params, sizeof *types) : stack_types;
		types_of(int_mask_of(params, n_params), n_params, types);
		res = PQexecParams(c->pg, sql, n_params, types, values, NULL, NULL, 0);
		if (on_heap)
			free(types);
	}
	if (on_heap) {
		free(values);
		free(nums);
	}
	if (!result_ok(res))
		return pg_failed(c, res, "exec", sql);
	count_changes(c, res);
	if (!out) {
		PQclear(res);
		return DB_OK;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		res = NULL;
	}
	*out = &res_new(conn, res)->base;
	return DB_OK;
}

static enum db_rc pg_next(struct db_res *res)
{
	struct pg_res *r = (struct pg_res *)res;
	if (r->row + 1 >= r->n_rows) {
		r->row = r->n_rows;
		return DB_DONE;
	}
	r->row++;
	return DB_ROW;
}

static bool pg_isnull(struct db_res *res, int col)
{
	struct pg_res *r = (struct pg_res *)res;
	if (!r->res || r->row < 0 || r->row >= r->n_rows || col < 0 || col >= PQnfields(r->res))
		return true;
	return PQgetisnull(r->res, r->row, col);
}

static const char *pg_text(struct db_res *res, int col)
{
	struct pg_res *r = (struct pg_res *)res;
	return pg_isnull(res, col) ? NULL : PQgetvalue(r->res, r->row, col);
}

static int64_t pg_int(struct db_res *res, int col)
{
	const char *s = pg_text(res, col);
	if (!s)
		return 0;
	if (s[0] == 't' && !s[1])
		return 1;
	if (s[0] == 'f' && !s[1])
		return 0;
	errno = 0;
	long long v = strtoll(s, NULL, 10); /* a numeric "12.5" reads as 12; out of range clamps */
	return (int64_t)v;
}

static void pg_res_free(struct db_res *res)
{
	struct pg_res *r = (struct pg_res *)res;
	PQclear(r->res);
	free(r);
}

static int64_t pg_changes(struct db_conn *c)
{
	return pgc(c)->changes;
}

/* ---- transactions and scripts -------------------------------------------- */

static enum db_rc simple(struct pg_conn *c, const char *sql, PGresult **keep)
{
	PGresult *res = PQexec(c->pg, sql);
	if (!result_ok(res))
		return pg_failed(c, res, "exec", sql);
	if (keep)
		*keep = res;
	else
		PQclear(res);
	return DB_OK;
}

static enum db_rc pg_exec_script(struct db_conn *conn, const char *sql)
{
	struct pg_conn *c = pgc(conn);
	enum db_rc rc = ensure_connected(c);
	if (rc != DB_OK)
		return rc;
	PGresult *res = PQexec(c->pg, sql);
	/* comments only (a migration's SQLite-only block dropped): nothing to
	 * run, as on SQLite */
	if (PQresultStatus(res) == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return DB_OK;
	}
	if (!result_ok(res))
		return pg_failed(c, res, "exec", sql);
	PQclear(res);
	return DB_OK;
}

static enum db_rc pg_txn(struct db_conn *conn, enum db_txn_op op, const char *name)
{
	struct pg_conn *c = pgc(conn);
	char sql[96];
	switch (op) {
	case DB_TXN_BEGIN_READ:
	case DB_TXN_BEGIN_WRITE: {
		enum db_rc rc = ensure_connected(c);
		return rc != DB_OK ? rc : simple(c, "BEGIN", NULL);
	}
	case DB_TXN_COMMIT: {
		PGresult *res = NULL;
		enum db_rc rc = simple(c, "COMMIT", &res);
		if (rc != DB_OK)
			return rc;
		/* COMMIT of a failed transaction "succeeds" as a ROLLBACK */
		bool committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
		PQclear(res);
		return committed ? DB_OK
		                 : db__fail(conn, DB_ERROR, "transaction had failed: rolled back, not committed");
	}
	case DB_TXN_ROLLBACK:
		return simple(c, "ROLLBACK", NULL);
	case DB_TXN_SAVEPOINT:
		snprintf(sql, sizeof sql, "SAVEPOINT %s", name);
		return simple(c, sql, NULL);
	case DB_TXN_RELEASE:
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT %s", name);
		return simple(c, sql, NULL);
	case DB_TXN_ROLLBACK_TO:
		snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
		return simple(c, sql, NULL);
	}
	return DB_ERROR;
}

/* ---- connections --------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* "relation already exists, skipping" and the like */
}

static void pg_close(struct db_conn *conn)
{
	struct pg_conn *c = pgc(conn);
	db__cache_clear(&c->cache, stmt_free_cb, NULL);
	db__cache_free(&c->cache);
	PQfinish(c->pg);
	free(c);
}

static struct db_conn *pg_open(const char *url, char *errbuf, unsigned errlen)
{
	PGconn *pg = PQconnectdb(url);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", pg ? PQerrorMessage(pg) : "out of memory");
		char *nl;
		while ((nl = strchr(msg, '\n')))
			*nl = ' ';
		snprintf(errbuf, errlen, "postgres: cannot connect: %s", msg);
		PQfinish(pg);
		return NULL;
	}
	if (PQserverVersion(pg) < 100000) {
		snprintf(errbuf, errlen, "postgres: server version %d is too old (need 10 or newer)",
		         PQserverVersion(pg));
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, ignore_notice, NULL);
	if (PQsetClientEncoding(pg, "UTF8") != 0) {
		snprintf(errbuf, errlen, "postgres: cannot set client encoding UTF8");
		PQfinish(pg);
		return NULL;
	}
	struct pg_conn *c = xcalloc(1, sizeof *c);
	c->base.drv = &db__pg_driver;
	c->pg = pg;
	return &c->base;
}

const struct db_driver db__pg_driver = {
    .name = "postgres",
    .backend = DB_POSTGRES,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .next = pg_next,
    .isnull = pg_isnull,
    .col_int = pg_int,
    .col_text = pg_text,
    .res_free = pg_res_free,
    .changes = pg_changes,
    .txn = pg_txn,
    .in_txn = pg_in_txn,
    .exec_script = pg_exec_script,
};
