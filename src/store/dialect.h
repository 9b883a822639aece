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
 * alone. For SQLite the text is unchanged. */
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
const char *dialect_sql(enum db_backend backend, const struct dialect_sql *q);

/* One row, one column: 1 when a table named $1 exists (in the current
 * schema on PostgreSQL), else 0. */
extern const struct dialect_sql dialect_table_exists;
/* Serializes migrators: PostgreSQL takes a transaction-level advisory lock;
 * NULL on SQLite, where BEGIN IMMEDIATE already does. */
extern const struct dialect_sql dialect_migration_lock;

#endif
