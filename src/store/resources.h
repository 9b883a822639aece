/* The rows of each resource as the rest of oneGuard sees them, and one
 * function per query (products.c, prices.c, customers.c, api_keys.c,
 * idempotency.c). Strings in returned rows are copied into the caller's
 * arena. Functions return enum db_rc: DB_ROW when a row was found or
 * written, DB_DONE when none, DB_CONSTRAINT, DB_RETRY or DB_ERROR. */
#ifndef OG_RESOURCES_H
#define OG_RESOURCES_H

#include "core/arena.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* Cursor pagination, newest first: starting_after / ending_before are row
 * ids (0 when absent). */
struct store_page {
	int limit;
	int64_t starting_after;
	int64_t ending_before;
};

/* A list result: n rows of elem_size bytes in the arena. */
struct store_list {
	void *rows;
	int n;
	bool has_more;
};

struct og_api_key {
	int64_t id;
	const char *last4;
	const char *name;
	int64_t created;
	int64_t revoked_at; /* 0 when active */
};

struct og_product {
	int64_t id;
	const char *name;
	const char *description;
	bool active;
	const char *metadata; /* JSON object text */
	int64_t created;
	int64_t updated;
};

struct og_price {
	int64_t id;
	int64_t product_id;
	const char *nickname;
	int64_t unit_amount;
	const char *currency;
	const char *interval;     /* NULL for a one-time price */
	int64_t interval_count;
	bool has_trial_period_days;
	int64_t trial_period_days;
	const char *lookup_key;
	bool active;
	const char *metadata;
	int64_t created;
};

struct og_customer {
	int64_t id;
	const char *email;
	const char *name;
	const char *phone;
	const char *description;
	const char *address;  /* JSON object text or NULL */
	const char *currency;
	const char *metadata;
	int64_t created;
};

/* list.c: the shared cursor-paging runner. sql_desc pages backwards from $1
 * (id < $1 ORDER BY id DESC LIMIT $2), sql_asc forwards (id > $1 ORDER BY id
 * ASC LIMIT $2); filters bind as $3, $4, ... */
typedef void (*store_row_fn)(struct db_res *r, struct og_arena *a, void *row);
enum db_rc store__list(struct db_conn *db, struct og_arena *a, const char *sql_desc, const char *sql_asc,
                       const struct db_param *filters, int n_filters, const struct store_page *page,
                       size_t row_size, store_row_fn read_row, struct store_list *out);
/* Copies column col as text into the arena (NULL stays NULL). */
const char *store__text(struct db_res *r, struct og_arena *a, int col);

/* api_keys.c */
enum db_rc store_api_key_insert(struct db_conn *db, const char *secret_hash, const char *last4, const char *name,
                                int64_t now, int64_t *id);
enum db_rc store_api_key_find_by_hash(struct db_conn *db, const char *secret_hash, int64_t *id, int64_t *revoked_at);
enum db_rc store_api_key_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_api_key *out);
enum db_rc store_api_key_revoke(struct db_conn *db, int64_t id, int64_t now);
enum db_rc store_api_key_count_active(struct db_conn *db, int64_t *n);
enum db_rc store_api_key_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                              struct store_list *out);

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
enum db_rc store_product_count_active_prices(struct db_conn *db, int64_t id, int64_t *n);
/* active: -1 any, 0 or 1 */
enum db_rc store_product_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, int active,
                              struct store_list *out);

/* prices.c */
enum db_rc store_price_insert(struct db_conn *db, struct og_price *p); /* sets p->id; DB_CONSTRAINT: lookup_key taken */
enum db_rc store_price_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_price *out);
enum db_rc store_price_update(struct db_conn *db, const struct og_price *p); /* nickname, active, lookup_key, metadata, trial */
enum db_rc store_price_find_lookup_key(struct db_conn *db, const char *lookup_key, int64_t *id);
/* product_id 0 = any; active -1 any; currency NULL any; lookup_key NULL any */
struct store_price_filter {
	int64_t product_id;
	int active;
	const char *currency;
	const char *lookup_key;
};
enum db_rc store_price_list(struct db_conn *db, struct og_arena *a, const struct store_page *page,
                            const struct store_price_filter *f, struct store_list *out);

/* customers.c */
enum db_rc store_customer_insert(struct db_conn *db, struct og_customer *c); /* sets c->id */
enum db_rc store_customer_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_customer *out);
enum db_rc store_customer_update(struct db_conn *db, const struct og_customer *c);
enum db_rc store_customer_delete(struct db_conn *db, int64_t id);
/* email NULL = any */
enum db_rc store_customer_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, const char *email,
                               struct store_list *out);

#endif
