/* Schema migrations: store_migrate, store_schema_check, store_schema_latest,
 * store_db_is_empty.
 *
 * The migrations are the numbered files of src/store/migrations/, embedded by
 * tools/embed_migrations.sh into migrations[] (ascending, ending with version
 * 0). Each is applied in its own write transaction together with its row in
 * schema_migrations (version, name, checksum, applied_at): the SHA-256 of the
 * file's text as written (before the dialect rewrite, so both backends record
 * the same checksum). An applied migration is never edited: a recorded
 * checksum that differs from the binary's is an error, as is a database
 * newer than the binary. Two processes migrating at once are safe: each
 * migration's transaction re-checks schema_migrations after taking the lock
 * (BEGIN IMMEDIATE on SQLite, pg_advisory_xact_lock on PostgreSQL).
 * On SQLite a migration runs with foreign key enforcement off (a table
 * rebuild drops a table others reference; the pragma cannot change inside a
 * transaction) and PRAGMA foreign_key_check must find nothing before its
 * commit. After the migrations, store_migrate makes the installation's id
 * key when the database has none (store/settings.c).
 * No resource queries here. */
#include "store/store_internal.h"

#include "sys/clock.h"
#include "store/dialect.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_RETRIES 5

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                                       " applied_at BIGINT NOT NULL)";

void store__migration_checksum(const char *sql, char out[65])
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	if (sodium_init() < 0)
		abort(); /* libsodium cannot run here at all */
	crypto_hash_sha256(hash, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(out, 65, hash, sizeof hash);
}

static int list_latest(const struct migration *list)
{
	int latest = 0;
	for (const struct migration *m = list; m->version; m++) {
		assert(m->version > latest); /* embed_migrations.sh sorts by file name */
		latest = m->version;
	}
	return latest;
}

int store_schema_latest(void)
{
	return list_latest(migrations);
}

static const struct migration *find(const struct migration *list, int64_t version)
{
	for (const struct migration *m = list; m->version; m++)
		if (m->version == version)
			return m;
	return NULL;
}

static bool checksum_matches(const struct migration *m, const char *recorded)
{
	char sum[65];
	store__migration_checksum(m->sql, sum);
	return recorded && strcmp(sum, recorded) == 0;
}

enum schema_state { SCHEMA_CURRENT = 0, SCHEMA_BEHIND = -1, SCHEMA_AHEAD = 1, SCHEMA_BROKEN = 2 };

static enum db_rc table_exists(struct db_conn *c, bool *exists)
{
	struct db_param p[] = {DB_TEXT("schema_migrations")};
	int64_t n = 0;
	enum db_rc rc = db_query_int(c, dialect_sql(db_backend(c), &dialect_table_exists), p, 1, &n);
	*exists = n > 0;
	return rc;
}

/* Compares schema_migrations with list; the message says what is wrong. */
static enum schema_state compare(struct db_conn *c, const struct migration *list, char *errbuf, unsigned errlen)
{
	int latest = list_latest(list);
	bool exists;
	snprintf(errbuf, errlen, "%s", "");
	if (table_exists(c, &exists) != DB_OK) {
		snprintf(errbuf, errlen, "cannot read the schema version: %s", db_errmsg(c));
		return SCHEMA_BROKEN;
	}
	if (!exists) {
		if (latest == 0)
			return SCHEMA_CURRENT;
		snprintf(errbuf, errlen,
		         "database has no schema yet (this oneguard needs version %d): "
		         "run `oneguard migrate`",
		         latest);
		return SCHEMA_BEHIND;
	}
	struct db_res *r;
	enum db_rc rc =
	    db_exec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version", NULL, 0, &r);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "cannot read schema_migrations: %s", db_errmsg(c));
		return SCHEMA_BROKEN;
	}
	int64_t newest = 0;
	int n_matched = 0;
	char broken[512] = "";
	while ((rc = db_next(r)) == DB_ROW) {
		int64_t version = db_int(r, 0);
		const char *name = db_text(r, 1);
		const struct migration *m = find(list, version);
		if (version > newest)
			newest = version;
		if (m && checksum_matches(m, db_text(r, 2)))
			n_matched++;
		else if (m && !broken[0])
			snprintf(broken, sizeof broken,
			         "migration %s was changed after it was applied (its checksum differs from the one "
			         "recorded): restore the applied text and put the change in a new migration",
			         m->name);
		else if (!m && version <= latest && !broken[0])
			snprintf(broken, sizeof broken,
			         "database has migration %lld (%s), which this oneguard does not know",
			         (long long)version, name ? name : "?");
	}
	db_res_free(r);
	if (rc != DB_DONE) {
		snprintf(errbuf, errlen, "cannot read schema_migrations: %s", db_errmsg(c));
		return SCHEMA_BROKEN;
	}
	if (newest > latest) {
		snprintf(errbuf, errlen,
		         "database schema is version %lld, this oneguard knows up to %d: "
		         "upgrade oneguard",
		         (long long)newest, latest);
		return SCHEMA_AHEAD;
	}
	if (broken[0]) {
		snprintf(errbuf, errlen, "%s", broken);
		return SCHEMA_BROKEN;
	}
	int n_known = 0;
	for (const struct migration *m = list; m->version; m++)
		n_known++;
	if (n_matched < n_known) {
		snprintf(errbuf, errlen,
		         "database schema is at version %lld, this oneguard needs %d: "
		         "run `oneguard migrate`",
		         (long long)newest, latest);
		return SCHEMA_BEHIND;
	}
	return SCHEMA_CURRENT;
}

int store__schema_check_list(struct db_conn *c, const struct migration *list, char *errbuf, unsigned errlen)
{
	enum schema_state s = compare(c, list, errbuf, errlen);
	return s == SCHEMA_BROKEN ? -1 : (int)s;
}

int store_schema_check(struct db_conn *c, char *errbuf, unsigned errlen)
{
	return store__schema_check_list(c, migrations, errbuf, errlen);
}

/* Nothing on PostgreSQL; on SQLite DB_ERROR when a row references a
 * missing one. */
static enum db_rc check_references(struct db_conn *c, const struct migration *m, char *errbuf, unsigned errlen)
{
	const char *sql = dialect_sql(db_backend(c), &dialect_migration_fk_check);
	if (!sql)
		return DB_OK;
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(c, sql, NULL, 0, &r);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "migration %s: cannot check references: %s", m->name, db_errmsg(c));
		return rc;
	}
	if ((rc = db_next(r)) == DB_ROW) {
		const char *table = db_text(r, 0);
		snprintf(errbuf, errlen, "migration %s leaves a row of %s referencing a missing row", m->name,
		         table ? table : "?");
		rc = DB_ERROR;
	} else {
		rc = rc == DB_DONE ? DB_OK : rc;
		if (rc != DB_OK)
			snprintf(errbuf, errlen, "migration %s: cannot check references: %s", m->name, db_errmsg(c));
	}
	db_res_free(r);
	return rc;
}

/* One migration in one transaction. *done is set when it was applied now. */
static enum db_rc apply_txn(struct db_conn *c, const struct migration *m, bool *done, char *errbuf, unsigned errlen)
{
	const char *lock = dialect_sql(db_backend(c), &dialect_migration_lock);
	*done = false;
	enum db_rc rc = db_begin(c, true);
	if (rc == DB_OK && lock)
		rc = db_exec(c, lock, NULL, 0, NULL);
	if (rc == DB_OK)
		rc = db_exec(c, create_table_sql, NULL, 0, NULL);
	/* another process may have applied it while we waited for the lock */
	struct db_param version[] = {DB_INT(m->version)};
	struct db_res *r = NULL;
	if (rc == DB_OK)
		rc = db_exec(c, "SELECT checksum FROM schema_migrations WHERE version = $1", version, 1, &r);
	if (rc == DB_OK && db_next(r) == DB_ROW) {
		bool same = checksum_matches(m, db_text(r, 0));
		db_res_free(r);
		db_rollback(c);
		if (same)
			return DB_OK;
		snprintf(errbuf, errlen, "migration %s was changed after it was applied", m->name);
		return DB_ERROR;
	}
	db_res_free(r);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "migration %s: %s", m->name, db_errmsg(c));
		db_rollback(c);
		return rc;
	}

	char *sql = dialect_migration_sql(db_backend(c), m->sql);
	rc = db_exec_script(c, sql);
	free(sql);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "migration %s failed: %s", m->name, db_errmsg(c));
		db_rollback(c);
		return rc == DB_RETRY ? rc : DB_ERROR;
	}
	if ((rc = check_references(c, m, errbuf, errlen)) != DB_OK) {
		db_rollback(c);
		return rc == DB_RETRY ? rc : DB_ERROR;
	}
	char sum[65];
	store__migration_checksum(m->sql, sum);
	const char *checksum = sum; /* DB_TEXT tests its argument for NULL */
	struct db_param row[] = {DB_INT(m->version), DB_TEXT(m->name), DB_TEXT(checksum), DB_INT(clock_now())};
	rc = db_exec(c,
	             "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
	             " VALUES ($1, $2, $3, $4)",
	             row, 4, NULL);
	if (rc == DB_OK)
		rc = db_commit(c);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "migration %s: cannot record it: %s", m->name, db_errmsg(c));
		db_rollback(c);
		return rc;
	}
	*done = true;
	return DB_OK;
}

static enum db_rc apply_one(struct db_conn *c, const struct migration *m, bool *done, char *errbuf, unsigned errlen)
{
	const char *fk_off = dialect_sql(db_backend(c), &dialect_migration_fk_off);
	if (fk_off && db_exec(c, fk_off, NULL, 0, NULL) != DB_OK) {
		snprintf(errbuf, errlen, "migration %s: %s", m->name, db_errmsg(c));
		return DB_ERROR;
	}
	enum db_rc rc = apply_txn(c, m, done, errbuf, errlen);
	const char *fk_on = dialect_sql(db_backend(c), &dialect_migration_fk_on);
	if (fk_on && db_exec(c, fk_on, NULL, 0, NULL) != DB_OK && rc == DB_OK) {
		snprintf(errbuf, errlen, "migration %s: %s", m->name, db_errmsg(c));
		rc = DB_ERROR;
	}
	return rc;
}

static bool is_recorded(struct db_conn *c, const struct migration *m)
{
	struct db_param version[] = {DB_INT(m->version)};
	int64_t n = 0;
	return db_query_int(c, "SELECT count(*) FROM schema_migrations WHERE version = $1", version, 1, &n) == DB_OK &&
	       n > 0;
}

enum db_rc store__migrate_list(struct db_conn *c, const struct migration *list, int *applied, char *errbuf,
                               unsigned errlen)
{
	*applied = 0;
	enum schema_state s = compare(c, list, errbuf, errlen);
	if (s == SCHEMA_AHEAD || s == SCHEMA_BROKEN)
		return DB_ERROR;
	if (s == SCHEMA_CURRENT)
		return DB_OK;
	bool exists = false;
	table_exists(c, &exists);
	for (const struct migration *m = list; m->version; m++) {
		if (exists && is_recorded(c, m))
			continue;
		enum db_rc rc;
		bool done;
		for (int attempt = 0;; attempt++) {
			rc = apply_one(c, m, &done, errbuf, errlen);
			if (rc != DB_RETRY || attempt == MIGRATE_RETRIES)
				break;
		}
		if (rc != DB_OK)
			return DB_ERROR;
		exists = true;
		*applied += done;
	}
	snprintf(errbuf, errlen, "%s", "");
	return DB_OK;
}

enum db_rc store_migrate(struct db_conn *c, int *applied, char *errbuf, unsigned errlen)
{
	enum db_rc rc = store__migrate_list(c, migrations, applied, errbuf, errlen);
	if (rc == DB_OK)
		rc = store__ids_key_make(c, errbuf, errlen);
	return rc;
}

enum db_rc store_db_is_empty(struct db_conn *c, bool *is_empty)
{
	int64_t n = -1;
	enum db_rc rc = db_query_int(c, dialect_sql(db_backend(c), &dialect_table_count), NULL, 0, &n);
	*is_empty = rc == DB_OK && n == 0;
	return rc;
}
