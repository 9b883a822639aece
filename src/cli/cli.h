/* Subcommands and services the CLI starts, shared between its files. */
#ifndef OG_CLI_H
#define OG_CLI_H

#include "sys/config.h"
#include "store/store.h"

#include <stdbool.h>

/* Opens cfg->db_url; with check_schema, refuses a database that is not at
 * this binary's schema version (prints why) and loads its id key
 * (store_ids_key_load). NULL on failure. */
struct db_conn *cli_open_db(const struct og_config *cfg, bool check_schema);

/* The key of encryption at rest (secret_key.c): ONEGUARD_SECRET_KEY, or
 * the key file (made 0600 when missing), checked against the database's
 * check value (written at the first start). NULL after printing why: the
 * command exits 2. cmd names the command in messages. */
struct secret_key;
struct secret_key *cli_secret_key_open(const struct og_config *cfg, struct db_conn *db, const char *cmd);
/* The key file's path: --secret-key-file, else <sqlite path>.key, else
 * ./oneguard.key. -1 when too long. */
int cli_secret_key_path(const struct og_config *cfg, char *out, size_t out_size);

/* `oneguard users create|list` (users.c). */
int cli_users(struct og_config *cfg, int argc, char **argv);

/* `oneguard bill` (bill.c). */
int cli_bill(struct og_config *cfg, int argc, char **argv);

/* The in-server billing worker (bill.c): a thread that bills due
 * subscriptions every cfg->billing_interval seconds. NULL when off. */
struct cli_worker;
struct cli_worker *cli_worker_start(const struct og_config *cfg, struct og_store *st);
void cli_worker_stop(struct cli_worker *w); /* NULL is a no-op */
/* Runs the worker now instead of at its next interval (NULL: no-op).
 * engine_worker_wake() (billing/engine.h) reaches it without the pointer. */
void cli_worker_wake(struct cli_worker *w);

#endif
