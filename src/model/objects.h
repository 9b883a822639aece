/* The objects of the domain model as oneGuard holds them in memory: one
 * struct per object (product, price, customer, subscription and its items,
 * invoice and its lines, invoice item, event, test clock, API key). The
 * store reads and writes them (src/store), the service and the engine
 * change them (src/billing), and src/model/render.h writes each one as
 * Stripe-shaped JSON. Statuses and other closed sets are enums
 * (model/enums.h). Strings are borrowed (usually from an arena); a
 * timestamp or id of 0 means absent. Pure types: no I/O. */
#ifndef OG_MODEL_OBJECTS_H
#define OG_MODEL_OBJECTS_H

#include "core/accounts.h"
#include "model/enums.h"

#include <stdbool.h>
#include <stdint.h>

/* A user: staff (owner ... analyst) or a customer's (role customer). */
struct og_user {
	int64_t id;
	const char *email;
	const char *name;
	enum user_role role;
	int64_t customer_id;       /* customers only; 0 for staff */
	const char *password_hash; /* argon2id string; NULL: no password set yet (invited) */
	bool disabled;
	int64_t failed_logins;
	int64_t locked_until; /* 0 when not locked */
	int64_t last_login;   /* 0 when never */
	int64_t created;
	int64_t updated;
};

/* A billing portal session: a single-use sign-in link for a customer,
 * valid 15 minutes; the store keeps the token's SHA-256 only. */
struct og_portal_session {
	int64_t id;
	int64_t customer_id;
	const char *return_url;
	const char *url; /* with the token: only in the create reply */
	int64_t created;
	int64_t expires;
	int64_t used_at; /* 0 while unused */
};

struct og_api_key {
	int64_t id;
	const char *last4;
	const char *name;
	int64_t created;
	int64_t revoked_at;      /* 0 when active */
	bool restricted;         /* an rk_ key: permissions decides per resource */
	const char *permissions; /* "customers=write,products=read" (sorted; "" for secret keys) */
	int64_t expires_at;      /* 0: never (set by a roll with a grace period) */
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
	enum price_type type;
	enum cal_interval interval; /* recurring prices only */
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
	const char *address; /* JSON object text or NULL */
	const char *currency;
	const char *metadata;
	int64_t created;
	int64_t test_clock_id;             /* 0 when on real time; set with store_customer_set_test_clock */
	const char *invoice_prefix;        /* 3-12 of A-Z 0-9, unique (migration 0004 gave old rows one) */
	int64_t next_invoice_sequence;     /* per-customer numbering: the next invoice's sequence */
	int64_t default_payment_method_id; /* invoice_settings.default_payment_method; 0: none (issue 14) */
	int64_t balance;                   /* minor units; negative: a credit the customer holds (migration 0009) */
};

/* A payment method (issue 14), Stripe's card kind: only what may be shown
 * and the provider's handle; never the card number or cvc. */
struct og_payment_method {
	int64_t id;
	const char *provider; /* "sandbox", "stripe": who charges it */
	const char *ref;      /* the provider's handle; never rendered */
	int64_t customer_id;  /* 0 while not attached */
	const char *brand;
	const char *last4;
	int64_t exp_month;
	int64_t exp_year;
	const char *funding;
	const char *country;
	const char *fingerprint;
	const char *billing_details; /* JSON object text */
	const char *metadata;
	int64_t created;
};

/* One change of a customer's balance (Stripe's customer_balance_transaction);
 * ending_balance is the balance after it. */
struct og_balance_txn {
	int64_t id;
	int64_t customer_id;
	int64_t amount;
	const char *currency;
	const char *description;
	int64_t invoice_id; /* 0: none */
	enum balance_txn_type type;
	int64_t ending_balance;
	int64_t created;
	const char *metadata;
};

struct og_test_clock {
	int64_t id;
	const char *name;
	int64_t frozen_time;
	enum test_clock_status status;
	const char *metadata;
	int64_t created;
};

struct og_subscription {
	int64_t id;
	int64_t customer_id;
	int64_t test_clock_id;
	enum sub_status status;
	const char *currency;
	enum cal_interval interval;
	int64_t interval_count;
	enum collection_method collection_method;
	bool has_days_until_due;
	int64_t days_until_due;
	int64_t billing_cycle_anchor;
	int64_t requested_anchor;
	bool has_trial_period_days;
	int64_t trial_period_days;
	int64_t requested_trial_end;
	int64_t current_period_start;
	int64_t current_period_end;
	int64_t next_billing_at;
	int64_t trial_start;
	int64_t trial_end;
	bool cancel_at_period_end;
	int64_t canceled_at;
	int64_t ended_at;
	int64_t paused_at;
	int64_t start_date;
	int64_t latest_invoice_id;
	int64_t default_payment_method_id; /* issue 14: 0 = the customer's default */
	const char *metadata;
	int64_t created;
};

struct og_sub_item {
	int64_t id;
	int64_t subscription_id;
	int64_t price_id;
	int64_t unit_amount;
	int64_t quantity;
	const char *metadata;
	int64_t created;
	/* read-only, joined from the price and product when listed */
	const char *price_nickname;
	const char *product_name;
};

struct og_invoice {
	int64_t id;
	int64_t customer_id;
	int64_t subscription_id;
	enum invoice_status status;
	const char *number;
	const char *currency;
	enum billing_reason billing_reason;
	enum collection_method collection_method;
	bool has_days_until_due;
	int64_t days_until_due;
	int64_t cycle_period_start; /* 0 = not a cycle invoice */
	int64_t period_start;
	int64_t period_end;
	int64_t subtotal, total, amount_due, amount_paid, amount_remaining;
	int64_t due_date;
	bool past_due;
	bool paid_out_of_band;
	const char *description;
	const char *metadata;
	int64_t created;
	int64_t finalized_at, paid_at, voided_at, marked_uncollectible_at;
	/* the customer's balance before and after finalization applied it
	 * (migration 0009; both 0 when it had none) */
	int64_t starting_balance, ending_balance;
};

struct og_invoice_line {
	int64_t id;
	int64_t invoice_id;
	enum line_type line_type;
	int64_t subscription_id;
	int64_t subscription_item_id;
	int64_t invoice_item_id;
	int64_t price_id;
	const char *description;
	bool has_unit_amount;
	int64_t unit_amount;
	int64_t quantity;
	int64_t amount;
	const char *currency;
	int64_t period_start, period_end;
	bool proration;
};

struct og_invoice_item {
	int64_t id;
	int64_t customer_id;
	int64_t subscription_id;
	int64_t subscription_item_id;
	int64_t invoice_id;
	int64_t price_id;
	const char *description;
	bool has_unit_amount;
	int64_t unit_amount;
	int64_t quantity;
	int64_t amount;
	const char *currency;
	int64_t period_start, period_end;
	bool proration;
	const char *metadata;
	int64_t created;
};

struct og_event {
	int64_t id;
	const char *type;
	const char *object_type;
	int64_t object_id;
	int64_t customer_id;
	const char *currency;
	bool has_mrr;
	int64_t mrr_before, mrr_after;
	const char *data; /* JSON text: {"object": {...}} */
	int64_t created;
	const char *request_id;      /* the API request that caused it (NULL: the billing engine) */
	const char *idempotency_key; /* that request's Idempotency-Key, or NULL */
};

/* One successful write by a user or an API key (the audit log). */
struct og_audit_log {
	int64_t id;
	int64_t created;
	bool actor_is_user; /* else an API key */
	int64_t actor_id;   /* users.id or api_keys.id */
	const char *role;   /* the user's role, or secret_key / restricted_key */
	const char *action; /* "POST /v1/customers/{id}": the method and the route's pattern */
	const char *object_type;
	const char *object_id; /* the public id */
	int64_t object_key;    /* its row id (the store's index); 0 when there is no object */
	const char *client_addr;
	const char *request_id;
	const char *idempotency_key;
};

#endif
