/* The billing engine: bills every subscription whose period has ended by
 * "now", exactly once, in batches. For each due subscription, in order:
 * applies cancel_at_period_end, ends a trial, rolls the period forward on
 * the anchor's calendar, issues the cycle invoice (with pending items),
 * finalizes it and hands it to collection (a no-op until payments land).
 * A subscription several periods behind gets one invoice per missed period,
 * oldest first. Paused, draft and canceled subscriptions are never due
 * (next_billing_at is NULL). Open send_invoice invoices past their due date
 * are marked past_due. The engine never calls time(): now is an argument.
 *
 * Exactly once by construction: the cycle invoice's unique key
 * (subscription_id, cycle_period_start) and the period roll commit in the
 * same transaction. See docs/internals/billing.md. */
#ifndef OG_BILLING_ENGINE_H
#define OG_BILLING_ENGINE_H

#include "core/og_error.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

#define ENGINE_MAX_CURRENCIES  16
#define ENGINE_MAX_SKIPPED_IDS 16

struct engine_currency_total {
	char currency[4];
	int64_t amount;
};

struct engine_stats {
	int64_t seen;     /* due subscriptions looked at */
	int64_t invoices; /* cycle invoices issued */
	int64_t canceled; /* subscriptions ended by cancel_at_period_end */
	int64_t trials_ended;
	int64_t marked_past_due; /* send_invoice invoices past their due date */
	int64_t skipped;         /* subscriptions that failed alone and were left for the next run */
	int n_skipped_ids;       /* the first ENGINE_MAX_SKIPPED_IDS of them (row ids), for reports */
	int64_t skipped_ids[ENGINE_MAX_SKIPPED_IDS];
	int n_currencies;
	struct engine_currency_total totals[ENGINE_MAX_CURRENCIES]; /* billed per currency */
	int64_t elapsed_ns;
};

struct engine_opts {
	int64_t now;                /* bill what is due at this time */
	int64_t clock_id;           /* 0: customers on real time; > 0: that test clock's customers only */
	int batch_size;             /* subscriptions per transaction (default 1000) */
	int64_t limit;              /* stop after this many subscriptions (0 = no limit) */
	bool dry_run;               /* compute and count, write nothing (rolls back) */
	const char *invoice_prefix; /* account numbering: INV-000001 */
	bool per_customer_numbers;  /* number from each customer's invoice_prefix and sequence instead */
	/* called after each committed batch (may be NULL) */
	void (*progress)(void *arg, const struct engine_stats *st);
	void *progress_arg;
	volatile int *stop; /* when non-NULL and set, stop after the current batch */
	int pause_ms;       /* sleep between batches, so other writers get the SQLite write
	                     * lock (the in-server worker; 0 for `oneguard bill`) */
};

/* Runs the engine on db, which it owns for the duration: each batch is its
 * own write transaction (BEGIN IMMEDIATE on SQLite; FOR UPDATE SKIP LOCKED
 * claims on PostgreSQL, so several engines can run at once). */
enum og_ec engine_run(struct db_conn *db, const struct engine_opts *opts, struct engine_stats *stats,
                      struct og_error *err);

/* Runs the engine inside the caller's open write transaction (a test clock
 * advance): no BEGIN/COMMIT of its own. Each batch runs in a savepoint;
 * a subscription that fails alone is rolled back to its own savepoint and
 * counted in stats->skipped (the caller decides whether to keep the rest).
 * DB_BUSY (a serialization failure) is returned, not retried. */
enum og_ec engine_run_in_txn(struct db_conn *db, const struct engine_opts *opts, struct engine_stats *stats,
                             struct og_error *err);

/* Waking the in-server worker (cli/bill.c) before its next interval, for
 * code that knows there is billing to do now. Thread-safe; a no-op when no
 * worker runs in this process. The worker registers its waker when it
 * starts and unregisters it (NULL) before it stops. (A test clock advance
 * does not need it: it bills its clock's subscriptions in its own
 * transaction with engine_run_in_txn.) */
void engine_worker_wake(void);
void engine_worker_set_waker(void (*wake)(void *arg), void *arg);

#endif
