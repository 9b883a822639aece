/* The db.h API: picks a driver by URL and dispatches every call to it.
 *
 * What lives here: URL parsing (db_url_backend), the per-transaction
 * failed-statement mark (see struct db_conn in db_internal.h), savepoint name
 * checks, db_query_int, error text and logging helpers, and the pointer-keyed
 * hash map both drivers use to cache prepared statements. What does not: any
 * SQL or library call of a backend (db_sqlite.c, db_pg.c) and the few SQL
 * text differences (dialect.c). */
#include "store/db_internal.h"

#include "sys/log.h"
#include "core/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- URLs ---------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A libpq conninfo starts with "keyword=" (spaces allowed around '='). */
static bool is_conninfo(const char *url)
{
	const char *p = url;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *word = p;
	while (islower((unsigned char)*p) || *p == '_')
		p++;
	if (p == word)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

/* The SQLite path of a URL: "sqlite:PATH", "sqlite://" + "/abs/path", or a
 * bare path. */
const char *db_url_sqlite_path(const char *url)
{
	if (has_prefix(url, "sqlite:")) {
		url += strlen("sqlite:");
		if (has_prefix(url, "///"))
			url += 2;
	}
	return url;
}

int db_url_backend(const char *url)
{
	if (!url || !*url)
		return -1;
	if (has_prefix(url, "sqlite:"))
		return *db_url_sqlite_path(url) ? DB_SQLITE : -1;
	if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
		return DB_POSTGRES;
	if (strstr(url, "://")) /* another scheme */
		return -1;
	if (is_conninfo(url))
		return DB_POSTGRES;
	return DB_SQLITE;
}

/* ---- connections --------------------------------------------------------- */

struct db_conn *db_open(const char *url, char *errbuf, unsigned errlen)
{
	switch (db_url_backend(url)) {
	case DB_SQLITE:
		return db__sqlite_driver.open(db_url_sqlite_path(url), errbuf, errlen);
	case DB_POSTGRES:
		return db__pg_driver.open(url, errbuf, errlen);
	default:
		snprintf(errbuf, errlen, "unsupported database URL \"%s\" (want sqlite:PATH or postgres://...)",
		         url ? url : "");
		return NULL;
	}
}

void db_close(struct db_conn *c)
{
	if (c)
		c->drv->close(c);
}

enum db_backend db_backend(const struct db_conn *c)
{
	return c->drv->backend;
}

const char *db_errmsg(struct db_conn *c)
{
	return c->errmsg;
}

enum db_rc db__fail(struct db_conn *c, enum db_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
	va_end(ap);
	return rc;
}

void db__log_error(struct db_conn *c, const char *what, const char *sql)
{
	char msg[600], sqlbuf[400], sqltrunc[200];
	snprintf(sqltrunc, sizeof sqltrunc, "%s", sql ? sql : "");
	log_msg(LOG_ERROR, "db_error", "\"backend\":\"%s\",\"what\":\"%s\",\"message\":\"%s\",\"sql\":\"%s\"",
	        c->drv->name, what, log_json_escape(c->errmsg, msg, sizeof msg),
	        log_json_escape(sqltrunc, sqlbuf, sizeof sqlbuf));
}

enum db_rc db__txn_failure(const struct db_conn *c)
{
	return c->failed_rc;
}

/* Records the first failed statement of a transaction. */
static enum db_rc note(struct db_conn *c, enum db_rc rc)
{
	if (rc >= DB_CONSTRAINT && !c->failed_rc && c->drv->in_txn(c))
		c->failed_rc = rc;
	return rc;
}

/* ---- statements ---------------------------------------------------------- */

enum db_rc db_exec(struct db_conn *c, const char *sql, const struct db_param *params, int n_params, struct db_res **res)
{
	if (res)
		*res = NULL;
	c->n_exec++;
	return note(c, c->drv->exec(c, sql, params, n_params, res));
}

enum db_rc db_next(struct db_res *r)
{
	if (!r)
		return DB_DONE;
	return note(r->conn, r->drv->next(r));
}

bool db_isnull(struct db_res *r, int col)
{
	return r->drv->isnull(r, col);
}
int64_t db_int(struct db_res *r, int col)
{
	return r->drv->col_int(r, col);
}
const char *db_text(struct db_res *r, int col)
{
	return r->drv->col_text(r, col);
}

void db_res_free(struct db_res *r)
{
	if (r)
		r->drv->res_free(r);
}

int64_t db_changes(struct db_conn *c)
{
	return c->drv->changes(c);
}

enum db_rc db_query_int(struct db_conn *c, const char *sql, const struct db_param *params, int n_params, int64_t *out)
{
	struct db_res *r;
	enum db_rc rc = db_exec(c, sql, params, n_params, &r);
	if (rc != DB_OK)
		return rc;
	rc = db_next(r);
	if (rc == DB_ROW) {
		*out = db_int(r, 0);
		rc = DB_OK;
	}
	db_res_free(r);
	return rc;
}

enum db_rc db_exec_script(struct db_conn *c, const char *sql)
{
	return note(c, c->drv->exec_script(c, sql));
}

/* ---- transactions -------------------------------------------------------- */

static bool savepoint_name_ok(const char *name)
{
	if (!name || !*name || strlen(name) > 63)
		return false;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return false;
	return true;
}

enum db_rc db_begin(struct db_conn *c, bool write)
{
	c->failed_rc = 0;
	return c->drv->txn(c, write ? DB_TXN_BEGIN_WRITE : DB_TXN_BEGIN_READ, NULL);
}

enum db_rc db_commit(struct db_conn *c)
{
	enum db_rc failed = c->failed_rc;
	if (failed && c->drv->in_txn(c)) {
		/* What PostgreSQL does by itself; SQLite would commit the rest. */
		char why[sizeof c->errmsg];
		snprintf(why, sizeof why, "%s", c->errmsg);
		db_rollback(c);
		return db__fail(c, failed,
		                "not committed: a statement failed earlier in this transaction "
		                "and no ROLLBACK TO followed (%s)",
		                why);
	}
	enum db_rc rc = c->drv->txn(c, DB_TXN_COMMIT, NULL);
	if (!c->drv->in_txn(c))
		c->failed_rc = 0;
	return rc;
}

enum db_rc db_rollback(struct db_conn *c)
{
	c->failed_rc = 0;
	if (!c->drv->in_txn(c))
		return DB_OK;
	return c->drv->txn(c, DB_TXN_ROLLBACK, NULL);
}

static enum db_rc savepoint_op(struct db_conn *c, enum db_txn_op op, const char *name)
{
	if (!savepoint_name_ok(name))
		return db__fail(c, DB_ERROR, "bad savepoint name \"%s\" (want [a-z0-9_]{1,63})",
		                name ? name : "(null)");
	return c->drv->txn(c, op, name);
}

enum db_rc db_savepoint(struct db_conn *c, const char *name)
{
	return savepoint_op(c, DB_TXN_SAVEPOINT, name);
}

enum db_rc db_release(struct db_conn *c, const char *name)
{
	return savepoint_op(c, DB_TXN_RELEASE, name);
}

enum db_rc db_rollback_to(struct db_conn *c, const char *name)
{
	enum db_rc rc = savepoint_op(c, DB_TXN_ROLLBACK_TO, name);
	if (rc == DB_OK)
		c->failed_rc = 0;
	return rc;
}

bool db_in_txn(struct db_conn *c)
{
	return c->drv->in_txn(c);
}

/* ---- the statement cache map --------------------------------------------- */

static unsigned slot_of(const char *key, unsigned cap)
{
	uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;
	return (unsigned)(h >> 32) & (cap - 1);
}

void *db__cache_get(const struct db__cache *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (unsigned i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->values[i];
		if (!m->keys[i])
			return NULL;
	}
}

static void cache_insert(struct db__cache *m, const char *key, void *value)
{
	unsigned i = slot_of(key, m->cap);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->values[i] = value;
}

void db__cache_put(struct db__cache *m, const char *key, void *value)
{
	if ((m->n + 1) * 2 > m->cap) { /* keep the load at most one half */
		struct db__cache old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->keys = xcalloc(m->cap, sizeof *m->keys);
		m->values = xcalloc(m->cap, sizeof *m->values);
		m->n = 0;
		for (unsigned i = 0; i < old.cap; i++)
			if (old.keys[i])
				cache_insert(m, old.keys[i], old.values[i]);
		free(old.keys);
		free(old.values);
	}
	cache_insert(m, key, value);
}

void db__cache_clear(struct db__cache *m, void (*fn)(void *value, void *arg), void *arg)
{
	for (unsigned i = 0; i < m->cap; i++) {
		if (m->keys[i] && fn)
			fn(m->values[i], arg);
		m->keys[i] = NULL;
		m->values[i] = NULL;
	}
	m->n = 0;
}

void db__cache_free(struct db__cache *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof *m);
}
