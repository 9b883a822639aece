/* Option table: one line per setting, shared by flags, environment
 * variables and help text. */
#include "cli/config.h"
#include "cli/cli.h"
#include "pay/provider.h"
#include "pay/sandbox.h"
#include "store/store.h"
#include "sys/log.h"
#include "sys/password.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind {
	OPT_LISTEN,
	OPT_STRING,
	OPT_INT,
	OPT_BOOL_ON,
	OPT_BOOL_OFF,
	OPT_LOG_LEVEL,
	OPT_SIZE,
	OPT_NUMBERING,
	OPT_ONOFF
};

struct opt {
	const char *flag;
	const char *env;
	enum opt_kind kind;
	unsigned set;
	size_t offset;
	size_t size;   /* OPT_STRING buffer size */
	long min, max; /* OPT_INT */
	const char *help;
};

#define OFF(f) offsetof(struct og_config, f)
static const struct opt opts[] = {
    {"--db", "ONEGUARD_DB", OPT_STRING, CLI_OPTS_DB, OFF(db_url), sizeof(((struct og_config *)0)->db_url), 0, 0,
     "database: sqlite:PATH or postgres://... (default sqlite:oneguard.db)"},
    {"--log-level", "ONEGUARD_LOG_LEVEL", OPT_LOG_LEVEL, CLI_OPTS_DB, OFF(log_level), 0, 0, 0,
     "debug, info, warn or error (default info)"},
    {"--listen", "ONEGUARD_LISTEN", OPT_LISTEN, CLI_OPTS_SERVE, 0, 0, 0, 0,
     "HOST:PORT to serve on (default 127.0.0.1:8080)"},
    {"--threads", "ONEGUARD_THREADS", OPT_INT, CLI_OPTS_SERVE, OFF(n_threads), 0, 1, 256,
     "HTTP event loops (default: one per core)"},
    {"--db-workers", "ONEGUARD_DB_WORKERS", OPT_INT, CLI_OPTS_SERVE, OFF(n_db_workers), 0, 1, 256,
     "PostgreSQL write connections (default 8)"},
    {"--body-limit", "ONEGUARD_BODY_LIMIT", OPT_SIZE, CLI_OPTS_SERVE, OFF(body_limit), 0, 1024, 16 << 20,
     "largest request body in bytes (default 65536)"},
    {"--idle-timeout", "ONEGUARD_IDLE_TIMEOUT", OPT_INT, CLI_OPTS_SERVE, OFF(idle_timeout), 0, 1, 3600,
     "seconds a keep-alive connection may idle (default 60)"},
    {"--enable-test-clocks", "ONEGUARD_TEST_CLOCKS", OPT_BOOL_ON, CLI_OPTS_SERVE, OFF(enable_test_clocks), 0, 0, 0,
     "allow /v1/test_helpers/test_clocks (default off)"},
    {"--disable-test-clocks", NULL, OPT_BOOL_OFF, CLI_OPTS_SERVE, OFF(enable_test_clocks), 0, 0, 0,
     "refuse test clocks"},
    {"--no-access-log", NULL, OPT_BOOL_OFF, CLI_OPTS_SERVE, OFF(access_log), 0, 0, 0, "do not log a line per request"},
    {"--billing-interval", "ONEGUARD_BILLING_INTERVAL", OPT_INT, CLI_OPTS_SERVE, OFF(billing_interval), 0, 0, 86400,
     "seconds between billing runs in the server, 0 = off (default 60)"},
    {"--invoice-prefix", "ONEGUARD_INVOICE_PREFIX", OPT_STRING, CLI_OPTS_SERVE | CLI_OPTS_BILL, OFF(invoice_prefix),
     sizeof(((struct og_config *)0)->invoice_prefix), 0, 0, "prefix of invoice numbers (default INV)"},
    {"--invoice-numbering", "ONEGUARD_INVOICE_NUMBERING", OPT_NUMBERING, CLI_OPTS_SERVE | CLI_OPTS_BILL,
     OFF(invoice_numbering), 0, 0, 0,
     "account (one series, INV-000001; default) or customer (each customer's invoice_prefix: ABC-0001)"},
    {"--smtp-url", "ONEGUARD_SMTP_URL", OPT_STRING, CLI_OPTS_SERVE, OFF(smtp_url),
     sizeof(((struct og_config *)0)->smtp_url), 0, 0,
     "send mail through this SMTP server, smtp://[USER:PASS@]HOST:PORT or smtps://... (default: write .eml "
     "files to --mail-dir)"},
    {"--mail-from", "ONEGUARD_MAIL_FROM", OPT_STRING, CLI_OPTS_SERVE, OFF(mail_from),
     sizeof(((struct og_config *)0)->mail_from), 0, 0, "the sender address of mail (default oneguard@localhost)"},
    {"--mail-dir", "ONEGUARD_MAIL_DIR", OPT_STRING, CLI_OPTS_SERVE, OFF(mail_dir),
     sizeof(((struct og_config *)0)->mail_dir), 0, 0, "folder for mail without SMTP (default ./mail)"},
    {"--public-url", "ONEGUARD_PUBLIC_URL", OPT_STRING, CLI_OPTS_SERVE, OFF(public_url),
     sizeof(((struct og_config *)0)->public_url), 0, 0,
     "the URL users reach oneguard at, for links in mail (default http://127.0.0.1:8080)"},
    {"--signup", "ONEGUARD_SIGNUP", OPT_ONOFF, CLI_OPTS_SERVE, OFF(signup), 0, 0, 0,
     "on or off: whether anyone may create a customer account with POST /v1/auth/signup (default on)"},
    {"--secret-key-file", "ONEGUARD_SECRET_KEY_FILE", OPT_STRING, CLI_OPTS_DB, OFF(secret_key_file),
     sizeof(((struct og_config *)0)->secret_key_file), 0, 0,
     "the key that encrypts stored secrets, made (mode 0600) by serve and migrate when missing (default: the "
     "SQLite file's path + .key, ./oneguard.key for PostgreSQL); or the key itself, 64 hex digits or base64, in "
     "env ONEGUARD_SECRET_KEY"},
    {"--payment-provider", "ONEGUARD_PAYMENT_PROVIDER", OPT_STRING, CLI_OPTS_SERVE, OFF(payment_provider),
     sizeof(((struct og_config *)0)->payment_provider), 0, 0,
     "who takes the money: sandbox (built in, Stripe's test cards; default), stripe or manual (not built yet)"},
    {"--test-mode", NULL, OPT_BOOL_ON, CLI_OPTS_DB, OFF(test_mode), 0, 0, 0,
     "test suites only: allows the test-only settings"},
    {"--test-fast-passwords", "ONEGUARD_TEST_FAST_PASSWORDS", OPT_BOOL_ON, CLI_OPTS_DB, OFF(fast_passwords), 0, 0, 0,
     "test suites only (needs --test-mode): hash passwords with the lowest argon2id limits"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static int apply(struct og_config *cfg, const struct opt *o, const char *value, const char *source)
{
	char *field = (char *)cfg + o->offset;
	char *end;
	long v;
	switch (o->kind) {
	case OPT_STRING:
		if (strlen(value) >= o->size || !*value) {
			fprintf(stderr, "oneguard: %s: value must be 1 to %zu characters\n", source, o->size - 1);
			return 2;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case OPT_LISTEN: {
		const char *colon = strrchr(value, ':');
		if (!colon || colon == value || (size_t)(colon - value) >= sizeof cfg->listen_host) {
			fprintf(stderr, "oneguard: %s: expected HOST:PORT, got '%s'\n", source, value);
			return 2;
		}
		errno = 0;
		v = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || v < 0 || v > 65535) {
			fprintf(stderr, "oneguard: %s: bad port in '%s'\n", source, value);
			return 2;
		}
		memcpy(cfg->listen_host, value, (size_t)(colon - value));
		cfg->listen_host[colon - value] = 0;
		cfg->listen_port = (int)v;
		return 0;
	}
	case OPT_INT:
	case OPT_SIZE:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || *end || end == value || v < o->min || v > o->max) {
			fprintf(stderr, "oneguard: %s: expected a whole number from %ld to %ld, got '%s'\n", source,
			        o->min, o->max, value);
			return 2;
		}
		if (o->kind == OPT_SIZE)
			*(size_t *)field = (size_t)v;
		else
			*(int *)field = (int)v;
		return 0;
	case OPT_BOOL_ON:
	case OPT_BOOL_OFF:
	case OPT_ONOFF: /* takes a value: --signup off */
		if (!value) {
			*(bool *)field = o->kind == OPT_BOOL_ON;
		} else if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "on")) {
			*(bool *)field = true;
		} else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "off")) {
			*(bool *)field = false;
		} else {
			fprintf(stderr, "oneguard: %s: expected 1/0, true/false or on/off, got '%s'\n", source, value);
			return 2;
		}
		return 0;
	case OPT_LOG_LEVEL:
		v = log_level_parse(value);
		if (v < 0) {
			fprintf(stderr, "oneguard: %s: expected debug, info, warn or error, got '%s'\n", source, value);
			return 2;
		}
		*(int *)field = (int)v;
		return 0;
	case OPT_NUMBERING:
		if (!strcmp(value, "account")) {
			*(int *)field = OG_NUMBERING_ACCOUNT;
		} else if (!strcmp(value, "customer")) {
			*(int *)field = OG_NUMBERING_CUSTOMER;
		} else {
			fprintf(stderr, "oneguard: %s: expected account or customer, got '%s'\n", source, value);
			return 2;
		}
		return 0;
	}
	return 2;
}

void cli_config_print_options(FILE *f, unsigned opt_set)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (!(opts[i].set & opt_set))
			continue;
		bool takes_value = opts[i].kind != OPT_BOOL_ON && opts[i].kind != OPT_BOOL_OFF;
		fprintf(f, "  %s%s\n      %s%s%s\n", opts[i].flag, takes_value ? " VALUE" : "", opts[i].help,
		        opts[i].env ? "; env " : "", opts[i].env ? opts[i].env : "");
	}
	fprintf(f, "  --help\n      this text\n");
}

int cli_config_parse(struct og_config *cfg, unsigned opt_set, int argc, char **argv, const char *usage, int *n_rest,
                     char **rest, int max_rest)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		const char *env = opts[i].env ? getenv(opts[i].env) : NULL;
		if (!(opts[i].set & opt_set) || !env || !*env)
			continue;
		int rc = apply(cfg, &opts[i], opts[i].kind == OPT_BOOL_OFF ? NULL : env, opts[i].env);
		if (rc)
			return rc;
	}
	*n_rest = 0;
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			cli_config_print_options(stdout, opt_set);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0) {
			if (*n_rest >= max_rest) {
				fprintf(stderr, "oneguard %s: unexpected argument '%s'\n%s", argv[0], arg, usage);
				return 2;
			}
			rest[(*n_rest)++] = argv[a];
			continue;
		}
		const char *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct opt *o = NULL;
		for (size_t i = 0; i < N_OPTS; i++)
			if ((opts[i].set & opt_set) && strlen(opts[i].flag) == name_len &&
			    !strncmp(opts[i].flag, arg, name_len))
				o = &opts[i];
		if (!o) {
			fprintf(stderr, "oneguard %s: unknown option '%s'\n%s", argv[0], arg, usage);
			cli_config_print_options(stderr, opt_set);
			return 2;
		}
		const char *value = NULL;
		bool takes_value = o->kind != OPT_BOOL_ON && o->kind != OPT_BOOL_OFF;
		if (takes_value) {
			if (eq)
				value = eq + 1;
			else if (a + 1 < argc)
				value = argv[++a];
			else {
				fprintf(stderr, "oneguard %s: %s needs a value\n%s", argv[0], o->flag, usage);
				return 2;
			}
		} else if (eq) {
			fprintf(stderr, "oneguard %s: %s takes no value\n%s", argv[0], o->flag, usage);
			return 2;
		}
		int rc = apply(cfg, o, value, o->flag);
		if (rc) {
			fputs(usage, stderr);
			return rc;
		}
	}
	/* weak password hashing only where a test suite asked for it in so many words */
	if (cfg->fast_passwords && !cfg->test_mode) {
		fprintf(stderr,
		        "oneguard %s: ONEGUARD_TEST_FAST_PASSWORDS / --test-fast-passwords is for test suites: "
		        "it needs --test-mode\n",
		        argv[0]);
		return 2;
	}
	password_use_fast_limits(cfg->fast_passwords);
	if (!pay_provider_known(cfg->payment_provider)) {
		fprintf(stderr, "oneguard %s: --payment-provider: expected sandbox, stripe or manual, got '%s'\n",
		        argv[0], cfg->payment_provider);
		return 2;
	}
	if (!pay_provider_get(cfg->payment_provider)) {
		fprintf(stderr, "oneguard %s: --payment-provider %s is not built yet; use sandbox\n", argv[0],
		        cfg->payment_provider);
		return 2;
	}
	/* the sandbox's fault cards (timeouts, 500, 429) only where a test suite asked */
	pay_sandbox_set_faults(cfg->test_mode, -1);
	return 0;
}

/* Here rather than in main.c, which the test binaries leave out: every
 * subcommand that opens the database goes through it. check_schema: the
 * schema must be current and the id key loaded. */
struct db_conn *cli_open_db(const struct og_config *cfg, bool check_schema)
{
	char err[512];
	struct db_conn *db = db_open(cfg->db_url, err, sizeof err);
	if (!db) {
		fprintf(stderr, "oneguard: cannot open database %s: %s\n", cfg->db_url, err);
		return NULL;
	}
	if (check_schema &&
	    (store_schema_check(db, err, sizeof err) != 0 || store_ids_key_load(db, err, sizeof err) != 0)) {
		fprintf(stderr, "oneguard: %s\n", err);
		db_close(db);
		return NULL;
	}
	return db;
}
