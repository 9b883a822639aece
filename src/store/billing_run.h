/* The billing engine's batch queries (billing_run.c): claiming a batch of
 * due subscriptions with their items in one statement, reserving row ids,
 * writing many invoices, lines, events and period rolls with multi-row
 * statements, and taking many customers' invoice numbers at once.
 * Everything else the engine writes goes through the ordinary one-row
 * functions of resources.h. Only src/billing/engine.c calls these.
 *
 * Every function runs inside the caller's write transaction. The claim
 * locks what it returns on PostgreSQL (FOR UPDATE SKIP LOCKED, so two
 * engines never take the same subscription); on SQLite the transaction is
 * BEGIN IMMEDIATE and the only writer. Rows handed to the insert functions
 * carry their ids (from store_billing_ids), so nothing is read back. */
#ifndef OG_STORE_BILLING_RUN_H
#define OG_STORE_BILLING_RUN_H

#include "store/resources.h"

/* One claimed subscription: the full row, its live items (oldest first,
 * with price nickname and product name) and whether its customer has any
 * pending invoice item (a hint: the engine reads the exact list when set). */
struct store_due_sub {
	struct og_subscription sub;
	struct og_sub_item *items;
	int n_items;
	bool has_pending;
	bool has_balance; /* the customer's balance is not 0: the general path applies it */
};

struct store_due_batch {
	struct store_due_sub *subs; /* in (next_billing_at, id) order */
	int n;
};

/* Claims up to limit subscriptions due at now (next_billing_at <= now)
 * strictly after the cursor (next_billing_at, id) > (after_at, after_id),
 * oldest due first. clock_id 0: customers on real time; > 0: that test
 * clock's. Draft, paused and canceled subscriptions are never claimed, even
 * with a stale next_billing_at. Rows and strings go into the arena. A
 * subscription with more than max_items live items gets n_items = -1. */
enum db_rc store_billing_claim(struct db_conn *db, struct og_arena *a, int64_t clock_id, int64_t now, int64_t after_at,
                               int64_t after_id, int limit, int max_items, struct store_due_batch *out);

/* How many subscriptions are due at now (for a progress bar). */
enum db_rc store_billing_count_due(struct db_conn *db, int64_t clock_id, int64_t now, int64_t *n);

enum store_billing_table { STORE_BT_INVOICES, STORE_BT_INVOICE_LINES, STORE_BT_EVENTS };

/* n fresh ids for rows of table, written to ids[0..n-1]: on SQLite the
 * next n after the largest ever used (sqlite_sequence: never a deleted
 * row's; valid while this write transaction lasts), on
 * PostgreSQL n values of the table's identity sequence. */
enum db_rc store_billing_ids(struct db_conn *db, enum store_billing_table table, int n, int64_t *ids);

/* Inserts n rows that carry their ids, a few dozen per statement. */
enum db_rc store_billing_insert_invoices(struct db_conn *db, const struct og_invoice *rows, int n);
enum db_rc store_billing_insert_lines(struct db_conn *db, const struct og_invoice_line *rows, int n);
enum db_rc store_billing_insert_events(struct db_conn *db, const struct og_event *rows, int n);

/* A period roll: the columns the engine's fast path changes. */
struct store_sub_roll {
	int64_t id;
	int64_t current_period_start, current_period_end, next_billing_at;
	int64_t latest_invoice_id;
};
/* Writes n rolls; DB_DONE when a subscription was missing. */
enum db_rc store_billing_roll_subs(struct db_conn *db, const struct store_sub_roll *rows, int n);

/* Per-customer invoice numbering: n numbers from one customer's series. */
struct store_customer_numbers {
	int64_t customer_id, n; /* in */
	const char *prefix;     /* out (arena): the customer's invoice_prefix */
	int64_t first;          /* out: the first of the n sequences taken */
};
/* Takes rows[i].n numbers from each customer's next_invoice_sequence (which
 * moves on by n), a few dozen customers per UPDATE ... RETURNING. rows must
 * be sorted by customer_id without repeats (PostgreSQL locks the rows in
 * that order, so two engines do not deadlock over shared customers).
 * DB_DONE when a customer is missing or has no prefix. */
enum db_rc store_billing_customer_numbers(struct db_conn *db, struct og_arena *a, struct store_customer_numbers *rows,
                                          int n);

/* Open send_invoice invoices past their due date and not yet marked, of
 * the customers on clock_id (0: real time), at most limit, in (due_date,
 * id) order after the cursor (after_due, after_id); their ids and due
 * dates. Locked (SKIP LOCKED) on PostgreSQL. */
enum db_rc store_billing_overdue(struct db_conn *db, int64_t clock_id, int64_t now, int64_t after_due, int64_t after_id,
                                 int limit, int64_t *ids, int64_t *due, int *n);

/* Tunes a connection the engine owns for bulk writing (SQLite: temporary
 * files in memory, a larger page cache; nothing on PostgreSQL). */
enum db_rc store_billing_tune(struct db_conn *db);

/* WAL checkpoints off the engine's connection (SQLite; PostgreSQL has none
 * of these and they return DB_DONE): the main database file's path into
 * path (DB_DONE when it has none, e.g. in memory); automatic checkpoints
 * on this connection off or back on; one passive checkpoint, run by a
 * helper connection on another thread. */
enum db_rc store_billing_db_file(struct db_conn *db, char *path, size_t size);
enum db_rc store_billing_autocheckpoint(struct db_conn *db, bool on);
enum db_rc store_billing_checkpoint(struct db_conn *db);

#endif
