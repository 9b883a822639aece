/* The rows of each resource as the rest of oneGuard sees them, and one
 * function per query (products.c, prices.c, customers.c, api_keys.c,
 * idempotency.c). Strings in returned rows are copied into the caller's
 * arena. Functions return enum db_rc: DB_ROW when a row was found or
 * written, DB_DONE when none, DB_CONSTRAINT, DB_RETRY or DB_ERROR. */
#ifndef OG_RESOURCES_H
#define OG_RESOURCES_H

#include "core/arena.h"
#include "model/objects.h"
#include "store/db.h"
#include "store/dialect.h"

#include <stdbool.h>
#include <stdint.h>

/* A timestamp or id where 0 means absent: bound as NULL. */
#define DB_OPT(x) DB_INT_OR_NULL((x) != 0, (x))

/* Cursor pagination, newest first: starting_after / ending_before are row
 * ids (0 when absent). */
struct store_page {
	int limit;
	int64_t starting_after;
	int64_t ending_before;
};

/* A list filter on the created column: gte <= created <= lte, both
 * inclusive. Passing NULL means any time (bound as 0 and INT64_MAX). */
struct store_range {
	int64_t gte;
	int64_t lte;
};

/* A list result: n rows of elem_size bytes in the arena. */
struct store_list {
	void *rows;
	int n;
	bool has_more;
};

/* list.c: the two parameters binding a created range (NULL -> 0 and
 * INT64_MAX), for " AND created >= $n AND created <= $n+1". */
#define STORE_RANGE_PARAMS(r) DB_INT((r) ? (r)->gte : 0), DB_INT((r) ? (r)->lte : INT64_MAX)

/* list.c: the shared cursor-paging runner. sql_desc pages backwards from $1
 * (id < $1 ORDER BY id DESC LIMIT $2), sql_asc forwards (id > $1 ORDER BY id
 * ASC LIMIT $2); filters bind as $3, $4, ... */
typedef void (*store_row_fn)(struct db_res *r, struct og_arena *a, void *row);
enum db_rc store__list(struct db_conn *db, struct og_arena *a, const char *sql_desc, const char *sql_asc,
                       const struct db_param *filters, int n_filters, const struct store_page *page, size_t row_size,
                       store_row_fn read_row, struct store_list *out);
/* Runs sql and reads its first row with read_row into out: DB_ROW, or
 * DB_DONE when there is none. */
enum db_rc store__get(struct db_conn *db, struct og_arena *a, const char *sql, const struct db_param *params,
                      int n_params, store_row_fn read_row, void *out);
/* A query for one row in its two forms: as written, and locking the row
 * until the transaction ends (the dialect's DIALECT_FOR_UPDATE suffix on
 * PostgreSQL; SQLite's single writer, BEGIN IMMEDIATE, needs none). Both
 * texts are static, so the statement cache keyed by address still works.
 *   static const struct store_row_sql by_id = STORE_ROW_SQL("SELECT ... WHERE id = $1"); */
struct store_row_sql {
	const char *plain;
	struct dialect_sql locked;
};
#define STORE_ROW_SQL(text)                                                                                            \
	{                                                                                                              \
		.plain = (text), .locked = {.sqlite = (text), .postgres = text DIALECT_FOR_UPDATE }                    \
	}
/* The one "read row (for update)" getter: store__get with q's plain or
 * locked text. read_row NULL only checks that the row exists (and locks it):
 * what the per-resource *_lock functions are. */
enum db_rc store__get_row(struct db_conn *db, struct og_arena *a, const struct store_row_sql *q, bool for_update,
                          const struct db_param *params, int n_params, store_row_fn read_row, void *out);
/* Runs a write: DB_ROW when it changed a row, DB_DONE when none matched. */
enum db_rc store__exec_changes(struct db_conn *db, const char *sql, const struct db_param *params, int n_params);
/* Copies column col as text into the arena (NULL stays NULL). */
const char *store__text(struct db_res *r, struct og_arena *a, int col);
/* Reads column col, the text of a value of e, as that value; NULL or a text
 * outside the table reads as e->n (the enum's X__COUNT, "unknown"). */
int store__enum(struct db_res *r, int col, const struct model_enum *e);

/* api_keys.c */
/* Writes k (last4, name, created, restricted, permissions); sets k->id. */
enum db_rc store_api_key_create(struct db_conn *db, const char *secret_hash, struct og_api_key *k);
/* A secret key (the command line's). */
enum db_rc store_api_key_insert(struct db_conn *db, const char *secret_hash, const char *last4, const char *name,
                                int64_t now, int64_t *id);
enum db_rc store_api_key_find_by_hash(struct db_conn *db, struct og_arena *a, const char *secret_hash,
                                      struct og_api_key *out);
enum db_rc store_api_key_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_api_key *out);
enum db_rc store_api_key_revoke(struct db_conn *db, int64_t id, int64_t now);
/* Sets when an active key stops working (a roll's grace period). */
enum db_rc store_api_key_expire(struct db_conn *db, int64_t id, int64_t at);
/* Secret keys other than except_id that keep working: not revoked, no
 * expiry (restricted keys do not count: they cannot manage keys). */
enum db_rc store_api_key_count_active(struct db_conn *db, int64_t except_id, int64_t *n);
/* Locks those keys' rows (PostgreSQL), so two revocations cannot both see
 * "another key is still active" and lock every caller out. */
enum db_rc store_api_key_lock_active(struct db_conn *db);
enum db_rc store_api_key_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                              struct store_list *out);

/* audit_logs.c */
enum db_rc store_audit_insert(struct db_conn *db, const struct og_audit_log *l);
struct store_audit_filter {
	int actor_kind;          /* 0: any; 1: an API key; 2: a user */
	int64_t actor_id;        /* with actor_kind */
	const char *object_type; /* an object's type ("customer"), or NULL: any */
	int64_t object_key;      /* with object_type: its row id */
};
enum db_rc store_audit_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                            const struct store_audit_filter *f, const struct store_range *created,
                            struct store_list *out);
enum db_rc store_audit_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_audit_log *out);

/* idempotency.c */
struct og_idem_row {
	int64_t id;
	const char *request_hash;
	int status;
	const char *response;
	int64_t created;
};
enum db_rc store_idem_get(struct db_conn *db, struct og_arena *a, int64_t api_key_id, const char *key,
                          struct og_idem_row *out);
enum db_rc store_idem_delete(struct db_conn *db, int64_t id);
enum db_rc store_idem_insert(struct db_conn *db, int64_t api_key_id, const char *key, const char *request_hash,
                             int status, const char *response, int64_t now);
/* Deletes keys created before `before`, at most `limit` of them. */
enum db_rc store_idem_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted);

/* products.c */
enum db_rc store_product_insert(struct db_conn *db, struct og_product *p); /* sets p->id */
enum db_rc store_product_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_product *out);
enum db_rc store_product_update(struct db_conn *db, const struct og_product *p);
enum db_rc store_product_delete(struct db_conn *db, int64_t id, int64_t now);
/* Takes the product's row lock for the rest of the transaction (PostgreSQL;
 * SQLite has one writer anyway): a price create and a product delete then
 * see each other. DB_DONE when the product is missing or deleted. */
enum db_rc store_product_lock(struct db_conn *db, int64_t id);
/* store_product_get, locking the row (store_invoice_get_for_update). */
enum db_rc store_product_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_product *out);
enum db_rc store_product_count_active_prices(struct db_conn *db, int64_t id, int64_t *n);
/* active: -1 any, 0 or 1 */
enum db_rc store_product_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, int active,
                              const struct store_range *created, struct store_list *out);

/* prices.c */
enum db_rc store_price_insert(struct db_conn *db, struct og_price *p); /* sets p->id; DB_CONSTRAINT: lookup_key taken */
enum db_rc store_price_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_price *out);
enum db_rc store_price_update(struct db_conn *db,
                              const struct og_price *p); /* nickname, active, lookup_key, metadata, trial */
/* The price's row lock for the rest of the transaction (read-modify-write). */
enum db_rc store_price_lock(struct db_conn *db, int64_t id);
enum db_rc store_price_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_price *out);
enum db_rc store_price_find_lookup_key(struct db_conn *db, const char *lookup_key, int64_t *id);
/* product_id 0 = any; active -1 any; currency NULL any; lookup_key NULL any */
struct store_price_filter {
	int64_t product_id;
	int active;
	const char *currency;
	const char *lookup_key;
};
enum db_rc store_price_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                            const struct store_price_filter *f, const struct store_range *created,
                            struct store_list *out);

/* customers.c */
enum db_rc store_customer_insert(struct db_conn *db, struct og_customer *c); /* sets c->id */
enum db_rc store_customer_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_customer *out);
enum db_rc store_customer_update(struct db_conn *db, const struct og_customer *c);
enum db_rc store_customer_delete(struct db_conn *db, int64_t id);
/* The customer's row lock for the rest of the transaction (read-modify-write). */
enum db_rc store_customer_lock(struct db_conn *db, int64_t id);
enum db_rc store_customer_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_customer *out);
/* The customer, deleted or not, whose invoice_prefix is prefix: DB_ROW with
 * *id, or DB_DONE. */
enum db_rc store_customer_find_prefix(struct db_conn *db, const char *prefix, int64_t *id);
/* DB_ROW when an invoice carries number, DB_DONE when none does. */
enum db_rc store_customer_number_issued(struct db_conn *db, const char *number);
/* Per-customer numbering: takes the customer's next invoice sequence and
 * moves it on by one (a row lock until commit, so numbers stay gap-free);
 * *prefix (arena, NULL when the row has none) and *seq. DB_DONE: no such
 * customer. */
enum db_rc store_customer_number_take(struct db_conn *db, struct og_arena *a, int64_t id, const char **prefix,
                                      int64_t *seq);
/* email NULL = any */
enum db_rc store_customer_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, const char *email,
                               const struct store_range *created, struct store_list *out);
/* As store_customer_list, limited to the one customer id (a customer
 * user's list: the filter is in the query). */
enum db_rc store_customer_list_one(struct db_conn *db, struct og_arena *a, int64_t id, const struct store_page *page,
                                   const char *email, const struct store_range *created, struct store_list *out);

/* ---- billing: subscriptions, invoices, invoice items, events, counters ----
 * Timestamps that may be absent read as 0 (every real time is > 0). */

/* test_clocks.c */
enum db_rc store_test_clock_insert(struct db_conn *db, struct og_test_clock *c);
enum db_rc store_test_clock_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_test_clock *out);
/* The frozen time of a clock, deleted or not (its objects keep living at it). */
enum db_rc store_test_clock_time(struct db_conn *db, int64_t id, int64_t *frozen_time);
enum db_rc store_test_clock_set(struct db_conn *db, int64_t id, int64_t frozen_time, enum test_clock_status status);
enum db_rc store_test_clock_delete(struct db_conn *db, int64_t id);
enum db_rc store_test_clock_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                 struct store_list *out);
/* The customer's test clock (0 when none). */
enum db_rc store_customer_test_clock(struct db_conn *db, int64_t customer_id, int64_t *clock_id);
enum db_rc store_customer_set_test_clock(struct db_conn *db, int64_t customer_id, int64_t clock_id);
/* Live (not deleted) customers on the clock. */
enum db_rc store_test_clock_count_customers(struct db_conn *db, int64_t clock_id, int64_t *n);

/* subscriptions.c */
enum db_rc store_subscription_insert(struct db_conn *db, struct og_subscription *s);
enum db_rc store_subscription_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_subscription *out);
/* Reads a row of the subscription columns (SUB_COLS in subscriptions.c, in
 * that order) into an og_subscription: shared with the engine's claim. */
void store__read_subscription(struct db_res *r, struct og_arena *a, void *row);
/* Ids of a customer's subscriptions that are not canceled, oldest first, at
 * most max. */
enum db_rc store_subscription_ids_live(struct db_conn *db, int64_t customer_id, int max, int64_t *ids, int *n);
/* Takes the subscription's row lock for the rest of the transaction, so
 * concurrent changes (API, billing engine) apply one after the other. */
enum db_rc store_subscription_lock(struct db_conn *db, int64_t id);
/* Writes every mutable column of s. */
enum db_rc store_subscription_update(struct db_conn *db, const struct og_subscription *s);
struct store_subscription_filter {
	int64_t customer_id; /* 0 = any */
	int64_t price_id;    /* 0 = any */
	bool has_status;     /* false = any, canceled included */
	enum sub_status status;
};
enum db_rc store_subscription_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                   const struct store_subscription_filter *f, const struct store_range *created,
                                   struct store_list *out);
enum db_rc store_sub_item_insert(struct db_conn *db, struct og_sub_item *it);
enum db_rc store_sub_item_update(struct db_conn *db, const struct og_sub_item *it);
enum db_rc store_sub_item_delete(struct db_conn *db, int64_t id);
/* The live items of a subscription, oldest first, with price nickname and
 * product name; at most max (an error past that). */
enum db_rc store_sub_items_of(struct db_conn *db, struct og_arena *a, int64_t subscription_id, int max,
                              struct og_sub_item **out, int *n);
/* Ids of subscriptions due at `now` (next_billing_at <= now), oldest due
 * first, strictly after the cursor (next_billing_at, id) > (after_at,
 * after_id) (pass 0, 0 to start); clock_id 0 = customers on real time only,
 * > 0 = that test clock's. */
enum db_rc store_subscriptions_due(struct db_conn *db, int64_t clock_id, int64_t now, int64_t after_at,
                                   int64_t after_id, int limit, int64_t *ids, int64_t *due_at, int *n);

/* invoices.c */
enum db_rc store_invoice_insert(struct db_conn *db, struct og_invoice *inv); /* DB_CONSTRAINT: period already billed */
enum db_rc store_invoice_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice *out);
/* As store_invoice_get, and locks the row until the transaction ends
 * (PostgreSQL FOR UPDATE; SQLite's single writer needs no lock): for a
 * read-modify-write that must not lose a concurrent change. */
enum db_rc store_invoice_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice *out);
enum db_rc store_invoice_update(struct db_conn *db, const struct og_invoice *inv);
struct store_invoice_filter {
	int64_t customer_id;
	int64_t subscription_id;
	bool has_status; /* false = any */
	enum invoice_status status;
	int64_t created_gte; /* 0 = none */
	int64_t created_lte; /* 0 = none */
};
enum db_rc store_invoice_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                              const struct store_invoice_filter *f, struct store_list *out);
enum db_rc store_invoice_line_insert(struct db_conn *db, struct og_invoice_line *l);
enum db_rc store_invoice_lines_of(struct db_conn *db, struct og_arena *a, int64_t invoice_id, struct store_list *out);
/* DB_ROW when the subscription's period starting at period_start is
 * already invoiced, DB_DONE when not. */
enum db_rc store_invoice_cycle_exists(struct db_conn *db, int64_t subscription_id, int64_t period_start);
/* Open send_invoice invoices past their due date, not yet marked. */
enum db_rc store_invoices_overdue(struct db_conn *db, int64_t now, int limit, int64_t *ids, int *n);
/* Deletes a draft and its lines (DB_DONE when it is not a draft or does not
 * exist). Detach its invoice items first (store_invoice_items_detach). */
enum db_rc store_invoice_delete(struct db_conn *db, int64_t id);
enum db_rc store_invoice_line_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice_line *out);
/* The line that bills an invoice item (DB_DONE when none). */
enum db_rc store_invoice_line_of_item(struct db_conn *db, struct og_arena *a, int64_t invoice_item_id,
                                      struct og_invoice_line *out);
/* Writes description, unit_amount, quantity, amount and the period. */
enum db_rc store_invoice_line_update(struct db_conn *db, const struct og_invoice_line *l);
enum db_rc store_invoice_line_delete(struct db_conn *db, int64_t id);
enum db_rc store_invoice_line_count(struct db_conn *db, int64_t invoice_id, int64_t *n);
/* One page of an invoice's lines in invoice order (oldest first): after
 * starting_after, or the page just before ending_before. */
enum db_rc store_invoice_line_page(struct db_conn *db, struct og_arena *a, int64_t invoice_id,
                                   const struct store_page *page, struct store_list *out);

/* invoice_items.c */
enum db_rc store_invoice_item_insert(struct db_conn *db, struct og_invoice_item *it);
enum db_rc store_invoice_item_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_invoice_item *out);
/* As store_invoice_item_get, locking the row (see store_invoice_get_for_update). */
enum db_rc store_invoice_item_get_for_update(struct db_conn *db, struct og_arena *a, int64_t id,
                                             struct og_invoice_item *out);
enum db_rc store_invoice_item_update(struct db_conn *db, const struct og_invoice_item *it);
enum db_rc store_invoice_item_delete(struct db_conn *db, int64_t id);
/* Pending items (no invoice yet) of a customer in a currency that belong to
 * subscription_id or to no subscription (subscription_id 0: only those with
 * none), oldest first. */
enum db_rc store_invoice_items_pending(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                       int64_t subscription_id, const char *currency, struct store_list *out);
/* Makes a canceled subscription's pending items the customer's: its next
 * invoice (of any subscription in that currency, or a manual one) takes them. */
enum db_rc store_invoice_items_release(struct db_conn *db, int64_t subscription_id);
enum db_rc store_invoice_item_attach(struct db_conn *db, int64_t id, int64_t invoice_id);
/* Makes the items of invoice_id pending again (a deleted draft); DB_OK. */
enum db_rc store_invoice_items_detach(struct db_conn *db, int64_t invoice_id, int64_t *n_detached);
struct store_invoice_item_filter {
	int64_t customer_id;
	int64_t invoice_id;
	int pending; /* -1 any, 1 only pending, 0 only attached to an invoice */
};
enum db_rc store_invoice_item_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                                   const struct store_invoice_item_filter *f, struct store_list *out);

/* events.c */
enum db_rc store_event_insert(struct db_conn *db, struct og_event *ev);
enum db_rc store_event_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_event *out);
enum db_rc store_event_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, const char *type,
                            const struct store_range *created, struct store_list *out);

/* counters.c: takes n consecutive values of a gap-free counter inside the
 * caller's transaction; *first is the first of them. */
enum db_rc store_counter_take(struct db_conn *db, const char *name, int64_t n, int64_t *first);

/* balance.c: customer balance transactions (migration 0009).
 * store_customer_balance: the balance and its currency (the balance's, else
 * the customer's; NULL before any). store_balance_txn_apply: THE writer of
 * customers.balance (moves it by t->amount and inserts t with its
 * ending_balance, in the caller's transaction); DB_DONE when the customer is
 * gone, holds another currency, or the new balance is beyond +-cap. */
/* lock: hold the customer row (PostgreSQL) until the transaction ends, so
 * what the caller decides from the balance stays true when it writes. */
enum db_rc store_customer_balance(struct db_conn *db, struct og_arena *a, int64_t customer_id, bool lock,
                                  int64_t *balance, const char **currency);
enum db_rc store_balance_txn_apply(struct db_conn *db, struct og_balance_txn *t, int64_t cap);
enum db_rc store_balance_txn_get(struct db_conn *db, struct og_arena *a, int64_t customer_id, int64_t id,
                                 struct og_balance_txn *out);
/* metadata NULL: unchanged; description changes only when set_description. */
enum db_rc store_balance_txn_update(struct db_conn *db, int64_t id, const char *description, bool set_description,
                                    const char *metadata);
enum db_rc store_balance_txn_list(struct db_conn *db, struct og_arena *a, int64_t customer_id,
                                  const struct store_page *page, struct store_list *out);
enum db_rc store_balance_txn_sum(struct db_conn *db, int64_t customer_id, int64_t *sum);

#endif
