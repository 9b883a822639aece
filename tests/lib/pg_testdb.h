/* A fresh PostgreSQL database per test binary, from the server that
 * scripts/run-tests.sh starts (OG_TEST_PG_URL, a libpq conninfo or URL).
 * Header-only; link with libpq (the Makefile's LDLIBS has it).
 *
 *   char url[1024], name[64];
 *   if (pg_testdb_create(getenv("OG_TEST_PG_URL"), "store", name, sizeof name, url, sizeof url))
 *       ... fail ...
 *   ... db_open(url ...) ...
 *   pg_testdb_drop(getenv("OG_TEST_PG_URL"), name);
 *
 * Names are <prefix>_<pid>_<n>: binaries running at once never collide. The
 * whole cluster is thrown away after the run, so a test that crashes before
 * pg_testdb_drop leaves nothing behind for long. */
#ifndef OG_TESTS_PG_TESTDB_H
#define OG_TESTS_PG_TESTDB_H

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends 'value' quoted for a conninfo string. */
static inline void pg_testdb__append(char *out, size_t outlen, const char *key, const char *value)
{
	size_t n = strlen(out);
	n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s='", n ? " " : "", key);
	for (const char *p = value; *p && n + 3 < outlen; p++) {
		if (*p == '\'' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (n + 2 <= outlen) {
		out[n++] = '\'';
		out[n] = 0;
	}
}

/* base with its dbname replaced by dbname, as a keyword=value conninfo. */
static inline int pg_testdb_url(const char *base, const char *dbname, char *out, size_t outlen)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(base, &err);
	if (!opts) {
		fprintf(stderr, "pg_testdb: cannot parse %s: %s\n", base, err ? err : "?");
		PQfreemem(err);
		return -1;
	}
	out[0] = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
			pg_testdb__append(out, outlen, o->keyword, o->val);
	pg_testdb__append(out, outlen, "dbname", dbname);
	PQconninfoFree(opts);
	return 0;
}

static inline int pg_testdb__run(const char *base, const char *sql)
{
	PGconn *pg = PQconnectdb(base);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "pg_testdb: cannot connect to %s: %s", base, PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "pg_testdb: %s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : -1;
}

/* Creates a new database; its name goes to name, its conninfo to url. */
static inline int pg_testdb_create(const char *base, const char *prefix, char *name, size_t namelen, char *url,
                                   size_t urllen)
{
	static unsigned counter;
	char sql[160];
	if (!base || !*base)
		return -1;
	snprintf(name, namelen, "%s_%ld_%u", prefix, (long)getpid(), counter++);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (pg_testdb__run(base, sql) != 0)
		return -1;
	return pg_testdb_url(base, name, url, urllen);
}

static inline int pg_testdb_drop(const char *base, const char *name)
{
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	return pg_testdb__run(base, sql);
}

#endif
