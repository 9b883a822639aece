/* The installation's settings (table settings, migration 0003): today its id
 * key. settings.ids_key is 32 hex digits, the random SipHash key that keys
 * the public ids (core/ids.c), made once by store_migrate; or 'legacy' on a
 * database that had rows before keys existed, whose ids keep the constant
 * rounds. The key never changes once written: every public id depends on it.
 * Loading it keys the whole process (ids_set_key). */
#include "core/ids.h"
#include "store/store_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char get_sql[] = "SELECT value FROM settings WHERE name = 'ids_key'";

struct key_make {
	char hex[IDS_KEY_BYTES * 2 + 1];
	enum db_rc rc;
};

static bool key_make_txn(struct db_conn *db, void *arg)
{
	struct key_make *km = arg;
	/* a concurrent migrator may have written it first: the first one stays */
	static const char sql[] = "INSERT INTO settings (name, value) VALUES ('ids_key', $1) "
	                          "ON CONFLICT (name) DO NOTHING";
	const char *hex = km->hex;
	struct db_param params[] = {DB_TEXT(hex)};
	km->rc = db_exec(db, sql, params, 1, NULL);
	return km->rc == DB_OK;
}

enum db_rc store__ids_key_make(struct db_conn *c, char *errbuf, unsigned errlen)
{
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(c, get_sql, NULL, 0, &r);
	if (rc == DB_OK)
		rc = db_next(r);
	db_res_free(r);
	if (rc == DB_ROW)
		return DB_OK;
	if (rc != DB_DONE) {
		snprintf(errbuf, errlen, "cannot read the id key: %s", db_errmsg(c));
		return DB_ERROR;
	}
	unsigned char key[IDS_KEY_BYTES];
	struct key_make km = {.rc = DB_OK};
	randombytes_buf(key, sizeof key);
	sodium_bin2hex(km.hex, sizeof km.hex, key, sizeof key);
	sodium_memzero(key, sizeof key);
	rc = store_run_txn(c, true, key_make_txn, &km);
	sodium_memzero(km.hex, sizeof km.hex);
	if (rc != DB_OK) {
		snprintf(errbuf, errlen, "cannot store the id key: %s", db_errmsg(c));
		return DB_ERROR;
	}
	return DB_OK;
}

int store_ids_key_load(struct db_conn *c, char *errbuf, unsigned errlen)
{
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(c, get_sql, NULL, 0, &r);
	if (rc == DB_OK)
		rc = db_next(r);
	int result = -1;
	if (rc == DB_DONE) {
		snprintf(errbuf, errlen, "%s", "the database has no id key yet: run `oneguard migrate`");
	} else if (rc != DB_ROW) {
		snprintf(errbuf, errlen, "cannot read the id key: %s", db_errmsg(c));
	} else {
		const char *value = db_text(r, 0);
		unsigned char key[IDS_KEY_BYTES];
		size_t n = 0;
		const char *end = NULL;
		if (value && strcmp(value, "legacy") == 0) {
			ids_set_legacy();
			result = 0;
		} else if (value && strlen(value) == 2 * IDS_KEY_BYTES &&
		           sodium_hex2bin(key, sizeof key, value, strlen(value), NULL, &n, &end) == 0 &&
		           n == IDS_KEY_BYTES && *end == 0) {
			ids_set_key(key);
			result = 0;
		} else {
			snprintf(errbuf, errlen, "%s", "settings.ids_key is neither 'legacy' nor 32 hex digits");
		}
		sodium_memzero(key, sizeof key);
	}
	db_res_free(r);
	return result;
}

enum db_rc store_setting_get(struct db_conn *c, const char *name, char *out, size_t out_size)
{
	struct db_param params[] = {DB_TEXT(name)};
	struct db_res *r = NULL;
	enum db_rc rc = db_exec(c, "SELECT value FROM settings WHERE name = $1", params, 1, &r);
	if (rc == DB_OK)
		rc = db_next(r);
	if (rc == DB_ROW) {
		const char *value = db_text(r, 0);
		if (!value || strlen(value) >= out_size)
			rc = DB_ERROR;
		else
			memcpy(out, value, strlen(value) + 1);
	}
	db_res_free(r);
	return rc;
}

enum db_rc store_setting_insert(struct db_conn *c, const char *name, const char *value)
{
	struct db_param params[] = {DB_TEXT(name), DB_TEXT(value)};
	return db_exec(c, "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", params, 2,
	               NULL);
}
