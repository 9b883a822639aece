/* The few places where SQLite and PostgreSQL want different SQL text.
 * Everything else is written once, in the common dialect both read:
 * $1 placeholders, BIGINT integers, TEXT, RETURNING, ON CONFLICT ... DO
 * NOTHING/UPDATE, CAST(x AS BIGINT) (not "::"), LIMIT. See
 * docs/internals/store.md. */
#ifndef OG_DIALECT_H
#define OG_DIALECT_H

#include "store/db.h"

/* Migration SQL (common dialect) adapted for backend, as a malloc'd string
 * the caller frees. For PostgreSQL, "INTEGER PRIMARY KEY" (any case and
 * spacing; a following AUTOINCREMENT is dropped) becomes "BIGINT GENERATED
 * BY DEFAULT AS IDENTITY PRIMARY KEY"; comments and quoted text are left
 * alone; a block from a line "-- [sqlite only]" to a line
 * "-- [end sqlite only]" (both included) is dropped. For SQLite the text is
 * unchanged. */
char *dialect_migration_sql(enum db_backend backend, const char *sql);

/* A query whose text differs per backend. Define one as a static const next
 * to the store function that runs it:
 *
 *   static const struct dialect_sql claim_due = {
 *       .sqlite = "SELECT id FROM subscriptions WHERE next_billing_at <= $1"
 *                 " ORDER BY next_billing_at LIMIT $2",
 *       .postgres = "SELECT id FROM subscriptions WHERE next_billing_at <= $1"
 *                   " ORDER BY next_billing_at LIMIT $2 FOR UPDATE SKIP LOCKED",
 *   };
 *   db_exec(db, dialect_sql(db_backend(db), &claim_due), params, 2, &res);
 *
 * (on SQLite the single writer already excludes other claimers). The text
 * returned is one of the two pointers, stable for the life of the program,
 * so the statement cache keyed by address works. NULL means "nothing to run
 * on this backend". */
struct dialect_sql {
	const char *sqlite;
	const char *postgres;
};

/* What locks the rows a PostgreSQL SELECT reads until the transaction ends,
 * as a suffix to paste after a literal (STORE_ROW_SQL); SQLite has none. */
#define DIALECT_FOR_UPDATE " FOR UPDATE"
const char *dialect_sql(enum db_backend backend, const struct dialect_sql *q);

/* One row, one column: 1 when a table named $1 exists (in the current
 * schema on PostgreSQL), else 0. */
extern const struct dialect_sql dialect_table_exists;
/* Serializes migrators: PostgreSQL takes a transaction-level advisory lock;
 * NULL on SQLite, where BEGIN IMMEDIATE already does. */
extern const struct dialect_sql dialect_migration_lock;
/* SQLite: foreign key enforcement off around a migration's transaction (a
 * table rebuild drops a table others reference), and the check before its
 * commit (a row per broken reference). NULL on PostgreSQL. */
extern const struct dialect_sql dialect_migration_fk_off;
extern const struct dialect_sql dialect_migration_fk_on;
extern const struct dialect_sql dialect_migration_fk_check;
/* One row, one column: the number of tables (and views, indexes...) in the
 * database (the current schema on PostgreSQL): 0 for a new empty one. */
extern const struct dialect_sql dialect_table_count;

/* The billing engine (store/billing_run.c). Claim a batch of due
 * subscriptions: $1 now, ($2, $3) the cursor (next_billing_at, id), $4 the
 * batch size, and for the _clock variant $5 the test clock. PostgreSQL
 * locks the claimed rows with FOR UPDATE SKIP LOCKED, so concurrent engines
 * take disjoint batches; SQLite runs it inside BEGIN IMMEDIATE, the only
 * writer. */
extern const struct dialect_sql dialect_billing_claim;
extern const struct dialect_sql dialect_billing_claim_clock;
/* Overdue send_invoice invoices (id, due_date): $1 now, ($2, $3) the cursor
 * (due_date, id), $4 limit, [$5 clock]; SKIP LOCKED on PostgreSQL. */
extern const struct dialect_sql dialect_billing_overdue;
extern const struct dialect_sql dialect_billing_overdue_clock;
/* Fresh row ids: SQLite reads the largest id ever used (no parameter; the
 * engine holds the write lock): sqlite_sequence for the AUTOINCREMENT
 * tables (a deleted newest row's id is not handed out again; inserting the
 * reserved ids explicitly moves it on), or the largest id present;
 * PostgreSQL draws $1 values from the identity sequence. Index by enum
 * store_billing_table. */
extern const struct dialect_sql dialect_billing_ids[3];
/* Connection settings for bulk billing; NULL on PostgreSQL. */
extern const struct dialect_sql dialect_billing_tune;
/* The WAL checkpoint helper of a billing run (SQLite; NULL on PostgreSQL):
 * the main database file, automatic checkpoints off / on, one passive
 * checkpoint. */
extern const struct dialect_sql dialect_billing_db_file;
extern const struct dialect_sql dialect_billing_autocheckpoint_off;
extern const struct dialect_sql dialect_billing_autocheckpoint_on;
extern const struct dialect_sql dialect_billing_checkpoint;

#endif
