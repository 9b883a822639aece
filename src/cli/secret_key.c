/* The key of encryption at rest (sys/secretbox.h) for `serve` and
 * `migrate`: from ONEGUARD_SECRET_KEY, or from the key file
 * (--secret-key-file / ONEGUARD_SECRET_KEY_FILE, by default beside the
 * SQLite file or ./oneguard.key), made when missing; then checked against
 * the database: settings.secret_key_check holds a known text sealed under
 * the key of the first start, so a wrong key stops the start (exit 2)
 * instead of failing on the first secret read. */
#include "cli/cli.h"
#include "store/store.h"
#include "sys/secretbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_NAME "secret_key_check"
#define CHECK_TEXT "oneguard secret key check"

int cli_secret_key_path(const struct og_config *cfg, char *out, size_t out_size)
{
	int n;
	if (cfg->secret_key_file[0])
		n = snprintf(out, out_size, "%s", cfg->secret_key_file);
	else if (db_url_backend(cfg->db_url) == DB_SQLITE)
		n = snprintf(out, out_size, "%s.key", db_url_sqlite_path(cfg->db_url));
	else
		n = snprintf(out, out_size, "oneguard.key");
	return n > 0 && (size_t)n < out_size ? 0 : -1;
}

/* The key itself from the environment (not a flag: argv is visible to
 * every user of the machine). */
static struct secret_key *key_from_env(const char *text, const char *cmd)
{
	unsigned char raw[SECRET_KEY_BYTES];
	if (secret_key_parse(text, strlen(text), raw) != 0) {
		fprintf(stderr, "oneguard %s: ONEGUARD_SECRET_KEY must be 32 bytes as 64 hex digits or base64\n", cmd);
		return NULL;
	}
	struct secret_key *k = secret_key_new(raw);
	sodium_memzero(raw, sizeof raw);
	if (!k)
		fprintf(stderr, "oneguard %s: out of memory for the secret key\n", cmd);
	return k;
}

/* 0 when the key opens the database's check value (written now when
 * missing), -1 after printing why not. */
static int key_check(struct secret_key *k, struct db_conn *db, const char *cmd, const char *source)
{
	char stored[SECRET_SEALED_SIZE(sizeof CHECK_TEXT)];
	enum db_rc rc = store_setting_get(db, CHECK_NAME, stored, sizeof stored);
	if (rc == DB_DONE) {
		char sealed[sizeof stored];
		if (secret_seal(k, CHECK_TEXT, sizeof CHECK_TEXT - 1, sealed, sizeof sealed) != SECRET_OK ||
		    store_setting_insert(db, CHECK_NAME, sealed) != DB_OK) {
			fprintf(stderr, "oneguard %s: cannot store the secret key's check value: %s\n", cmd,
			        db_errmsg(db));
			return -1;
		}
		rc = store_setting_get(db, CHECK_NAME, stored, sizeof stored); /* another starter's may have won */
	}
	if (rc != DB_ROW) {
		fprintf(stderr, "oneguard %s: cannot read the secret key's check value (settings.%s)\n", cmd,
		        CHECK_NAME);
		return -1;
	}
	char plain[sizeof CHECK_TEXT];
	enum secret_rc src = secret_open(k, stored, plain, sizeof plain, NULL);
	if (src == SECRET_OK && !strcmp(plain, CHECK_TEXT))
		return 0;
	if (src == SECRET_OTHER_KEY)
		fprintf(stderr,
		        "oneguard %s: the secret key from %s (id %s) is not the one this database's secrets are "
		        "encrypted with (id %.*s); give the right key (docs/internals/secrets.md)\n",
		        cmd, source, secret_key_id(k), SECRET_KID_LEN, stored + sizeof SECRET_PREFIX - 1);
	else
		fprintf(stderr,
		        "oneguard %s: the secret key from %s does not open this database's check value "
		        "(settings.%s): a wrong key or a changed value\n",
		        cmd, source, CHECK_NAME);
	return -1;
}

struct secret_key *cli_secret_key_open(const struct og_config *cfg, struct db_conn *db, const char *cmd)
{
	const char *env = getenv("ONEGUARD_SECRET_KEY");
	char path[sizeof cfg->secret_key_file + 8], source[sizeof path + 16];
	struct secret_key *k = NULL;
	if (env && *env) {
		if (cfg->secret_key_file[0]) {
			fprintf(stderr,
			        "oneguard %s: both ONEGUARD_SECRET_KEY and a key file (--secret-key-file or "
			        "ONEGUARD_SECRET_KEY_FILE) are set: give one\n",
			        cmd);
			return NULL;
		}
		k = key_from_env(env, cmd);
		snprintf(source, sizeof source, "ONEGUARD_SECRET_KEY");
	} else {
		if (cli_secret_key_path(cfg, path, sizeof path) != 0) {
			fprintf(stderr, "oneguard %s: the secret key file's path is too long\n", cmd);
			return NULL;
		}
		char err[1200];
		bool created = false;
		k = secret_key_file_load(path, true, &created, err, sizeof err);
		if (!k) {
			fprintf(stderr, "oneguard %s: %s\n", cmd, err);
			return NULL;
		}
		if (created) {
			printf("oneguard %s: made the secret key %s (mode 0600); back it up apart from the database\n",
			       cmd, path);
			fflush(stdout);
		}
		snprintf(source, sizeof source, "%s", path);
	}
	if (k && key_check(k, db, cmd, source) != 0) {
		secret_key_free(k);
		k = NULL;
	}
	return k;
}
