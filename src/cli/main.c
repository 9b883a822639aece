/* The oneguard command: serve, migrate, keys create, version, help (and,
 * with the billing engine, bill). Each subcommand parses its options with
 * cli/config.c and exits 0 on success, 1 on failure, 2 on bad usage. */
#include "cli/cli.h"
#include "cli/config.h"
#include "billing/mailer.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "api/api.h"
#include "core/arena.h"
#include "http/auth.h"
#include "http/idempotency.h"
#include "http/server.h"
#include "store/resources.h"
#include "store/store.h"
#include "sys/secretbox.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#ifndef OG_VERSION
#define OG_VERSION "0.1.0"
#endif

static const char usage_main[] = "usage: oneguard COMMAND [OPTIONS]\n"
                                 "\n"
                                 "commands:\n"
                                 "  serve         serve the HTTP API (and run the billing worker)\n"
                                 "  migrate       apply missing database migrations\n"
                                 "  keys create   create an API secret key and print it once\n"
                                 "  users         create and list staff users (users create --role owner ...)\n"
                                 "  bill          bill every subscription that is due, then exit\n"
                                 "  version       print the version\n"
                                 "  help          this text\n"
                                 "\n"
                                 "`oneguard COMMAND --help` lists each command's options.\n";

static const char usage_serve[] = "usage: oneguard serve [OPTIONS]\n\nServes the API (on a new empty database, creates "
                                  "the schema first). Options:\n";
static const char usage_migrate[] = "usage: oneguard migrate [OPTIONS]\n\nApplies missing migrations. Options:\n";
static const char usage_keys[] =
    "usage: oneguard keys create [--name NAME] [--restricted --permissions R=LEVEL,...] [OPTIONS]\n\n"
    "Creates an API key and prints its secret once: a secret key (sk_), or with --restricted a\n"
    "restricted key (rk_) that may only use the resources its permissions name. Options:\n"
    "  --name NAME\n      a label for the key\n"
    "  --restricted\n      a restricted key\n"
    "  --permissions R=LEVEL,...\n      its permissions, e.g. products=read,customers=write (none, read,\n"
    "      write; see docs/api/api_keys.md)\n";
static const char usage_version[] = "usage: oneguard version\n";

static int cmd_migrate(struct og_config *cfg, int argc, char **argv)
{
	int n_rest;
	char *rest[1];
	int rc = cli_config_parse(cfg, CLI_OPTS_DB, argc, argv, usage_migrate, &n_rest, rest, 0);
	if (rc)
		return rc == 1 ? 0 : rc;
	log_set_level((enum log_level)cfg->log_level);
	struct db_conn *db = cli_open_db(cfg, false);
	if (!db)
		return 1;
	char err[512] = "";
	int applied = 0;
	enum db_rc drc = store_migrate(db, &applied, err, sizeof err);
	if (drc != DB_OK) {
		db_close(db);
		fprintf(stderr, "oneguard migrate: %s\n", err);
		return 1;
	}
	/* the key of encryption at rest: made on the first migration, checked on every one */
	struct secret_key *key = cli_secret_key_open(cfg, db, "migrate");
	db_close(db);
	if (!key)
		return 2;
	secret_key_free(key);
	printf("oneguard migrate: %d migration(s) applied; schema at version %d\n", applied, store_schema_latest());
	return 0;
}

struct key_create {
	const char *name;
	bool restricted;
	const char *permissions; /* the stored text */
	char secret[AUTH_SECRET_LEN + 1];
	int64_t id;
	enum db_rc rc;
};

static bool key_create_txn(struct db_conn *db, void *arg)
{
	struct key_create *kc = arg;
	char hash[65], last4[5];
	api_key_secret_new(kc->restricted, kc->secret, hash, last4);
	struct og_api_key k = {.last4 = last4,
	                       .name = kc->name,
	                       .created = clock_now(),
	                       .restricted = kc->restricted,
	                       .permissions = kc->permissions};
	kc->rc = store_api_key_create(db, hash, &k);
	kc->id = k.id;
	return kc->rc == DB_ROW;
}

/* "products=read,customers=write" as the stored permissions text, checked
 * as the API checks permissions[...] (api_key_permissions); NULL with a
 * message on stderr when it is not right. */
static const char *cli_permissions(struct og_arena *a, const char *text)
{
	json_t *obj = json_object();
	for (const char *p = text; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq || eq == p) {
			fprintf(stderr,
			        "oneguard keys create: --permissions takes RESOURCE=LEVEL,... (e.g. products=read)\n");
			json_decref(obj);
			return NULL;
		}
		char *resource = arena_strndup(a, p, (size_t)(eq - p));
		json_object_set_new(obj, resource, json_stringn(eq + 1, len - (size_t)(eq - p) - 1));
		p += len;
		if (*p == ',')
			p++;
	}
	struct og_error err;
	og_error_clear(&err);
	const char *out = NULL;
	if (api_key_permissions(a, obj, &out, &err) != OG_EC_NONE) {
		fprintf(stderr, "oneguard keys create: --permissions: %s\n", err.message);
		out = NULL;
	}
	json_decref(obj);
	return out;
}

static int cmd_keys(struct og_config *cfg, int argc, char **argv)
{
	const char *name = NULL, *perm_text = NULL;
	bool restricted = false;
	/* --name, --restricted and --permissions are this command's own options;
	 * take them out before the shared parser */
	char *args[64];
	int n = 0;
	for (int i = 0; i < argc && n < 63; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--name=", 7)) {
			name = argv[i] + 7;
			continue;
		}
		if (!strcmp(argv[i], "--restricted")) {
			restricted = true;
			continue;
		}
		if (!strcmp(argv[i], "--permissions") && i + 1 < argc) {
			perm_text = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--permissions=", 14)) {
			perm_text = argv[i] + 14;
			continue;
		}
		args[n++] = argv[i];
	}
	int n_rest;
	char *rest[1];
	int rc = cli_config_parse(cfg, CLI_OPTS_DB, n, args, usage_keys, &n_rest, rest, 1);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (n_rest != 1 || strcmp(rest[0], "create") != 0) {
		fputs(usage_keys, stderr);
		return 2;
	}
	if (name && strlen(name) > 100) {
		fprintf(stderr, "oneguard keys create: --name is at most 100 characters\n");
		return 2;
	}
	if (perm_text && !restricted) {
		fprintf(stderr, "oneguard keys create: --permissions needs --restricted\n");
		return 2;
	}
	struct og_arena *arena = arena_new();
	const char *perms = restricted ? cli_permissions(arena, perm_text ? perm_text : "") : "";
	if (!perms) {
		arena_free(arena);
		return 2;
	}
	log_set_level((enum log_level)cfg->log_level);
	struct db_conn *db = cli_open_db(cfg, true);
	if (!db) {
		arena_free(arena);
		return 1;
	}
	struct key_create kc = {.name = name, .restricted = restricted, .permissions = perms};
	enum db_rc drc = store_run_txn(db, true, key_create_txn, &kc);
	db_close(db);
	arena_free(arena);
	if (drc != DB_OK) {
		fprintf(stderr, "oneguard keys create: could not store the key (%d)\n", (int)drc);
		return 1;
	}
	printf("%s\n", kc.secret);
	sodium_memzero(kc.secret, sizeof kc.secret);
	return 0;
}

/* A new empty database (no tables at all) gets the schema, as `oneguard
 * migrate` would make it; a database at an older version is left to that
 * command (the store refuses it). Then, with no API key at all, one is
 * created and printed once. Then the key of encryption at rest, into
 * *key (made when missing, checked against the database): 2 when refused. */
static int serve_prepare(const struct og_config *cfg, struct secret_key **key)
{
	struct db_conn *db = cli_open_db(cfg, false);
	if (!db)
		return 1;
	bool is_empty = false;
	char err[512] = "";
	enum db_rc drc = store_db_is_empty(db, &is_empty);
	if (drc == DB_OK && is_empty) {
		int applied = 0;
		drc = store_migrate(db, &applied, err, sizeof err);
		if (drc != DB_OK) {
			fprintf(stderr, "oneguard serve: cannot create the schema: %s\n", err);
			db_close(db);
			return 1;
		}
		printf("oneguard serve: a new database: created the schema (version %d)\n", store_schema_latest());
		fflush(stdout);
	}
	db_close(db);
	if (drc != DB_OK) {
		fprintf(stderr, "oneguard serve: cannot read the database (%d)\n", (int)drc);
		return 1;
	}
	db = cli_open_db(cfg, true);
	if (!db)
		return 1;
	int64_t n = 0;
	drc = db_query_int(db, "SELECT COUNT(*) FROM api_keys", NULL, 0, &n);
	if (drc == DB_OK && n == 0) {
		struct key_create kc = {.name = "admin"};
		drc = store_run_txn(db, true, key_create_txn, &kc);
		if (drc == DB_OK) {
			printf("oneguard: created the first admin API key. It is shown only this once; keep it:\n\n"
			       "    %s\n\n",
			       kc.secret);
			fflush(stdout);
		}
		sodium_memzero(kc.secret, sizeof kc.secret);
	}
	if (drc != DB_OK) {
		db_close(db);
		fprintf(stderr, "oneguard serve: could not read or create API keys (%d)\n", (int)drc);
		return 1;
	}
	*key = cli_secret_key_open(cfg, db, "serve");
	db_close(db);
	return *key ? 0 : 2;
}

static int cmd_serve(struct og_config *cfg, int argc, char **argv)
{
	int n_rest;
	char *rest[1];
	int rc = cli_config_parse(cfg, CLI_OPTS_DB | CLI_OPTS_SERVE, argc, argv, usage_serve, &n_rest, rest, 0);
	if (rc)
		return rc == 1 ? 0 : rc;
	log_set_level((enum log_level)cfg->log_level);
	/* the secret key lives, locked in memory, until the server stops; the
	 * handlers of stored secrets (webhooks, payment providers) will take it */
	struct secret_key *key = NULL;
	rc = serve_prepare(cfg, &key);
	if (rc)
		return rc;
	{ /* request fingerprints keyed: a body may hold a card number */
		unsigned char sub[SECRET_KEY_BYTES];
		secret_key_derive(key, "idempotency", sub);
		idem_set_key(sub);
		sodium_memzero(sub, sizeof sub);
	}
	char err[512];
	struct store_config sc = {.url = cfg->db_url, .n_workers = cfg->n_db_workers};
	struct og_store *st = store_open(&sc, err, sizeof err);
	if (!st) {
		secret_key_free(key);
		fprintf(stderr, "oneguard serve: %s\n", err);
		return 1;
	}
	char host[256];
	log_msg(LOG_INFO, "serve", "\"listen\":\"%s:%d\",\"db\":\"%s\",\"threads\":%d,\"test_clocks\":%s",
	        log_json_escape(cfg->listen_host, host, sizeof host), cfg->listen_port,
	        db_url_backend(cfg->db_url) == DB_POSTGRES ? "postgres" : "sqlite", cfg->n_threads,
	        cfg->enable_test_clocks ? "true" : "false");
	struct cli_worker *worker = cli_worker_start(cfg, st);
	struct mail_config mc = {.smtp_url = cfg->smtp_url, .from = cfg->mail_from, .dir = cfg->mail_dir};
	struct og_mailer *mailer = mailer_start(cfg->db_url, &mc, 10);
	rc = http_serve(cfg, st);
	mailer_stop(mailer);
	cli_worker_stop(worker);
	store_close(st);
	secret_key_free(key); /* wiped */
	return rc;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "oneguard: libsodium failed to initialise\n");
		return 1;
	}
	log_install_hooks();
	mail_global_init();
	struct og_config cfg;
	config_defaults(&cfg);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		if (argc > 2 && !strcmp(argv[2], "--help")) {
			fputs(usage_version, stdout);
			return 0;
		}
		if (argc > 2) {
			fputs(usage_version, stderr);
			return 2;
		}
		printf("oneguard %s\n", OG_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "serve"))
		return cmd_serve(&cfg, argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(&cfg, argc - 1, argv + 1);
	if (!strcmp(cmd, "keys"))
		return cmd_keys(&cfg, argc - 1, argv + 1);
	if (!strcmp(cmd, "bill"))
		return cli_bill(&cfg, argc - 1, argv + 1);
	if (!strcmp(cmd, "users"))
		return cli_users(&cfg, argc - 1, argv + 1);
	fprintf(stderr, "oneguard: unknown command '%s'\n\n%s", cmd, usage_main);
	return 2;
}
