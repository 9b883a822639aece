/* Run-time configuration (the system part, src/sys), filled by the CLI from flags and ONEGUARD_*
 * environment variables (src/cli/config.c). Plain data: no I/O here. */
#ifndef OG_CONFIG_H
#define OG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* --invoice-numbering: one series for the account (INV-000001, the default)
 * or one per customer (its invoice_prefix: K7Q2ZP1A-0001). */
enum og_numbering { OG_NUMBERING_ACCOUNT = 0, OG_NUMBERING_CUSTOMER };

struct og_config {
	char listen_host[128];   /* default 127.0.0.1 */
	int listen_port;         /* default 8080 */
	char db_url[1024];       /* default sqlite:oneguard.db */
	int n_threads;           /* event loops; default: number of cores */
	int n_db_workers;        /* PostgreSQL executor threads; default 8 */
	int log_level;           /* enum log_level */
	size_t body_limit;       /* bytes; default 64 KiB */
	int idle_timeout;        /* seconds a keep-alive connection may idle; default 60 */
	bool enable_test_clocks; /* default on with SQLite, off with PostgreSQL */
	char invoice_prefix[16]; /* default "INV" */
	int invoice_numbering;   /* enum og_numbering; default account */
	int billing_interval;    /* seconds between billing worker runs; 0 = off; default 60 */
	bool access_log;         /* default on */
	/* accounts (issue 13) */
	bool test_mode;       /* --test-mode: allows the test-only settings below */
	bool fast_passwords;  /* test only: argon2id at libsodium's minimum limits */
	char smtp_url[1024];  /* "" = write mail as .eml files into mail_dir */
	char mail_from[256];  /* default oneguard@localhost */
	char mail_dir[1024];  /* default ./mail */
	char public_url[256]; /* where users reach oneguard; default http://127.0.0.1:8080 */
	bool signup;          /* POST /v1/auth/signup open to anyone; default on */
	/* encryption at rest (sys/secretbox.h): "" = beside the SQLite file (<db>.key), ./oneguard.key for
	 * PostgreSQL; ONEGUARD_SECRET_KEY (the key itself) is read by cli/secret_key.c */
	char secret_key_file[1024];
	/* issue 14: who takes the money (pay/provider.h): sandbox (default), stripe, manual */
	char payment_provider[16];
};

void config_defaults(struct og_config *cfg);

#endif
