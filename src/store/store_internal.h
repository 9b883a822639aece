/* Store internals shared by migrate.c and executor.c, and open to the store
 * tests: the migration functions with an explicit migration list (the
 * public ones in store.h use the embedded migrations[]). */
#ifndef OG_STORE_INTERNAL_H
#define OG_STORE_INTERNAL_H

#include "store/migrations.h"
#include "store/store.h"

/* As store_migrate / store_schema_check, for the list (ascending versions,
 * ending with version 0). */
enum db_rc store__migrate_list(struct db_conn *c, const struct migration *list, int *applied, char *errbuf,
                               unsigned errlen);
int store__schema_check_list(struct db_conn *c, const struct migration *list, char *errbuf, unsigned errlen);
/* The checksum recorded for a migration: SHA-256 of its SQL, in hex. */
void store__migration_checksum(const char *sql, char out[65]);

/* Makes the installation's id key (settings.ids_key, random) unless the
 * database has one (or 'legacy', set by migration 0003 on a database that
 * had rows). Idempotent; safe against a concurrent migrator. */
enum db_rc store__ids_key_make(struct db_conn *c, char *errbuf, unsigned errlen);

/* Executor counters: batches taken from the queue and jobs in them (on
 * PostgreSQL every batch is one job). */
void store__stats(struct og_store *st, uint64_t *n_batches, uint64_t *n_jobs);

#endif
