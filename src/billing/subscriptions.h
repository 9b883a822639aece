/* The subscription lifecycle as service operations: create, confirm,
 * update (items, prorations, interval changes, billing_cycle_anchor=now),
 * cancel, pause, resume, the upcoming invoice, reads. Each takes a billing
 * context (the caller's transaction) and a plain input struct of parsed
 * parameters (ids as integers, enums as C enums, presence flags), decides
 * everything (statuses through core/subscription_fsm, periods through
 * core/calendar, prorations through core/proration, invoices through
 * billing/service.c) and hands back the subscription and its items.
 *
 * "Now": bc->now is the caller's clock; for a customer on a test clock the
 * operations use the clock's frozen time instead (they look it up).
 * Errors name the API parameter at fault ("items[1][price]"), as the
 * handlers render them. Nothing here knows HTTP: the API handlers
 * (src/api/subscriptions.c), the customer delete, and later the portal
 * and the payments code call the same functions. */
#ifndef OG_BILLING_SUBSCRIPTIONS_H
#define OG_BILLING_SUBSCRIPTIONS_H

#include "billing/service.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BILLING_SUB_TRIAL_DAYS_MAX     730
#define BILLING_SUB_QUANTITY_MAX       1000000
#define BILLING_SUB_DAYS_UNTIL_DUE_MAX 365

/* The values of the enum parameters, in the order of their wire names
 * (the handlers' choice lists index them). */
enum billing_collection { BILLING_COLLECT_CHARGE_AUTOMATICALLY, BILLING_COLLECT_SEND_INVOICE };
enum billing_proration { BILLING_PRORATE_CREATE, BILLING_PRORATE_ALWAYS_INVOICE, BILLING_PRORATE_NONE };
enum billing_anchor { BILLING_ANCHOR_NOW, BILLING_ANCHOR_UNCHANGED };

/* Its wire names are the model's collection_method_names. */
_Static_assert(BILLING_COLLECT_CHARGE_AUTOMATICALLY == (int)COLLECTION_CHARGE_AUTOMATICALLY &&
                   BILLING_COLLECT_SEND_INVOICE == (int)COLLECTION_SEND_INVOICE,
               "collection_method_names indexes enum billing_collection");

/* One element of items[]: on create price (required) and quantity; on
 * update id (an item to change, or to remove with deleted) or none (a new
 * item, price required). */
struct billing_sub_item_input {
	int64_t id;       /* si_; with has_id */
	int64_t price;    /* price_; with has_price */
	int64_t quantity; /* with has_quantity; 1 by default */
	json_t *metadata; /* the changes, borrowed; with has_metadata */
	bool has_id, has_price, has_quantity, has_metadata, deleted;
};

struct billing_sub_create_input {
	int64_t customer;
	struct billing_sub_item_input items[BILLING_MAX_ITEMS];
	size_t n_items; /* how many of items[] were given */
	int64_t trial_period_days, trial_end, billing_cycle_anchor, days_until_due;
	bool has_trial_period_days, has_trial_end, has_billing_cycle_anchor, has_days_until_due;
	bool cancel_at_period_end, confirm;
	enum billing_collection collection_method;
	json_t *metadata; /* borrowed, NULL when absent */
};

struct billing_sub_update_input {
	struct billing_sub_item_input items[BILLING_MAX_ITEMS];
	size_t n_items; /* how many of items[] were given */
	bool has_items;
	enum billing_proration proration_behavior;
	enum billing_anchor billing_cycle_anchor; /* with has_billing_cycle_anchor; unchanged by default */
	bool has_billing_cycle_anchor;
	bool cancel_at_period_end, has_cancel_at_period_end;
	enum billing_collection collection_method;
	bool has_collection_method;
	int64_t days_until_due;
	bool has_days_until_due;
	json_t *metadata; /* borrowed; with has_metadata (json null clears) */
	bool has_metadata;
};

struct billing_sub_cancel_input {
	bool prorate;     /* credit the unused time of each item */
	bool invoice_now; /* a final invoice of the pending items now */
};

struct billing_sub_resume_input {
	enum billing_anchor billing_cycle_anchor; /* now by default */
};

/* A subscription with its live items (oldest first), in bc->arena. */
struct billing_sub {
	struct og_subscription sub;
	struct og_sub_item *items;
	int n_items;
};

/* A draft with its items (and customer.subscription.created); with
 * in->confirm, confirmed at once. A draft carries a provisional period:
 * anchor, start_date and current_period_start at creation, the period end
 * one interval later; confirm replaces them. */
enum og_ec billing_sub_create(struct billing_ctx *bc, const struct billing_sub_create_input *in,
                              struct billing_sub *out);

/* The subscription id; OG_EC_RESOURCE_MISSING (param "id") when none. */
enum og_ec billing_sub_retrieve(struct billing_ctx *bc, int64_t id, struct billing_sub *out);
/* True when the subscription id exists (list cursors). */
bool billing_sub_exists(struct billing_ctx *bc, int64_t id);

/* draft -> active or trialing, the first period and its invoice. */
enum og_ec billing_sub_confirm(struct billing_ctx *bc, int64_t id, struct billing_sub *out);

/* Items, prorations, cancel_at_period_end, collection, metadata. A change
 * to prices of another interval, or billing_cycle_anchor=now, on a
 * subscription in a paid period (active, past_due) resets the anchor to
 * now: the unused time is credited (unless proration_behavior=none) and the
 * new period is invoiced at once (docs/api/subscriptions.md). */
enum og_ec billing_sub_update(struct billing_ctx *bc, int64_t id, const struct billing_sub_update_input *in,
                              struct billing_sub *out);

/* Cancels now. */
enum og_ec billing_sub_cancel(struct billing_ctx *bc, int64_t id, const struct billing_sub_cancel_input *in,
                              struct billing_sub *out);
/* Cancels every live subscription of a deleted customer now, without
 * prorations or a final invoice. */
enum og_ec billing_sub_cancel_all(struct billing_ctx *bc, int64_t customer_id);

enum og_ec billing_sub_pause(struct billing_ctx *bc, int64_t id, struct billing_sub *out);
enum og_ec billing_sub_resume(struct billing_ctx *bc, int64_t id, const struct billing_sub_resume_input *in,
                              struct billing_sub *out);

/* The next invoice of subscription id, written nowhere: for a draft the one
 * confirming it now would issue, else the next period's with the pending
 * items. *inv (status draft, no id), *lines and *n_lines in the arena.
 * A missing subscription is OG_EC_PARAM_ID naming param; paused, canceled
 * and nothing to bill are OG_EC_RESOURCE_MISSING naming param. */
enum og_ec billing_sub_upcoming(struct billing_ctx *bc, int64_t id, const char *param, struct og_invoice *inv,
                                struct og_invoice_line **lines, int *n_lines);

/* A page of subscriptions with their items: *out gets list->n of them. */
enum og_ec billing_sub_list(struct billing_ctx *bc, const struct store_page *page,
                            const struct store_subscription_filter *filter, const struct store_range *created,
                            struct billing_sub **out, int *n, bool *has_more);

#endif
