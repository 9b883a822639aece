/* The store: connections, transactions and the write executor.
 *
 * Reads run inline on the caller's thread with that thread's own connection
 * (store_thread_conn). Writes go through store_submit: a job runs inside a
 * transaction on the executor and completes after its commit:
 *   - SQLite: one writer thread with group commit. It takes every waiting job
 *     (up to STORE_BATCH_MAX), opens BEGIN IMMEDIATE, runs each job inside its
 *     own SAVEPOINT (rolled back alone when the job fails), COMMITs once, and
 *     only then calls each job's complete(). One fsync serves the batch.
 *   - PostgreSQL: a pool of worker threads, each with a connection, one
 *     transaction per job; serialization failures and deadlocks are retried.
 * Callers (the HTTP server, the billing worker) never see which.
 * See docs/internals/store.md. */
#ifndef OG_STORE_H
#define OG_STORE_H

#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>

#define STORE_BATCH_MAX 256

struct og_store;

struct store_config {
	const char *url; /* see db_open */
	int n_workers;   /* PostgreSQL executor threads (default 8) */
};

/* A unit of write work. run() is called inside a transaction on an executor
 * thread; it returns true to keep its writes, false to undo them (its
 * savepoint/transaction is rolled back). run() may be called more than once
 * when the transaction is retried: it must not keep state between calls
 * beyond what it resets itself. After the commit (or after the rollback, or
 * when the commit itself failed: then committed is false), complete() is
 * called once on the executor thread; it must not block. */
struct store_job {
	bool (*run)(struct store_job *job, struct db_conn *db);
	void (*complete)(struct store_job *job, bool committed);
	void *arg;
	/* executor's use */
	struct store_job *next;
	bool kept; /* run() returned true */
};

/* Opens the store: checks the schema version (refuses a database newer than
 * this binary knows, or one with migrations missing), loads the id key
 * (store_ids_key_load) and starts the executor.
 * Returns NULL with a reason in errbuf. */
struct og_store *store_open(const struct store_config *cfg, char *errbuf, unsigned errlen);
/* Stops the executor after the jobs already queued, closes connections. */
void store_close(struct og_store *st);
enum db_backend store_backend(const struct og_store *st);
const char *store_url(const struct og_store *st);

/* Queues a write job. Never blocks on the database. */
void store_submit(struct og_store *st, struct store_job *job);

/* The calling thread's own read connection to the store, opened on first use
 * and closed by store_close (or store_thread_release). NULL (logged) when
 * the database cannot be opened. A thread that exits without releasing has
 * its connection closed at exit; call store_close only after the threads
 * using the store have stopped. */
struct db_conn *store_thread_conn(struct og_store *st);
void store_thread_release(struct og_store *st);

/* Runs fn in one transaction on conn (a write transaction when write is
 * true), retrying DB_RETRY a few times; commits when fn returns true, rolls
 * back otherwise. Returns DB_OK when committed, DB_DONE when fn declined
 * (rolled back), or the failing rc. For the CLI, the billing engine and
 * tests, which own their connection. */
enum db_rc store_run_txn(struct db_conn *conn, bool write, bool (*fn)(struct db_conn *db, void *arg), void *arg);

/* Migrations (migrate.c). store_migrate applies every missing migration, each
 * in its own transaction, and records it with its checksum. *applied gets the
 * number applied now. store_schema_check returns 0 when the database is at
 * exactly this binary's version, -1 when migrations are missing, 1 when the
 * database is newer than the binary, with a message in errbuf. */
enum db_rc store_migrate(struct db_conn *c, int *applied, char *errbuf, unsigned errlen);
int store_schema_check(struct db_conn *c, char *errbuf, unsigned errlen);
int store_schema_latest(void);
/* *is_empty when the database has no tables at all (a new SQLite file, an
 * empty PostgreSQL schema): `serve` creates the schema there itself. */
enum db_rc store_db_is_empty(struct db_conn *c, bool *is_empty);

/* The installation's id key (store/settings.c): reads settings.ids_key and
 * keys the public ids of this process with it (ids_set_key, or
 * ids_set_legacy for a database from before keys). Call once a database is
 * opened and its schema checked, before any id is encoded: store_open does.
 * Returns 0, or -1 with a reason in errbuf (no key yet: run `oneguard
 * migrate`, which makes it). */
int store_ids_key_load(struct db_conn *c, char *errbuf, unsigned errlen);

/* Other settings rows (store/settings.c), e.g. secret_key_check: the value
 * of name into out (DB_ROW), DB_DONE when there is none; an insert that
 * keeps the first value when two processes write at once. */
enum db_rc store_setting_get(struct db_conn *c, const char *name, char *out, size_t out_size);
enum db_rc store_setting_insert(struct db_conn *c, const char *name, const char *value);

#endif
