/* The billing service: the operations that both the API handlers and the
 * billing engine perform inside their transaction: issuing a subscription's
 * invoice with its pending items, finalizing invoices (gap-free numbers),
 * subscription state transitions, and writing events. Pure logic comes from
 * src/core; rows from src/store. No HTTP here. */
#ifndef OG_BILLING_SERVICE_H
#define OG_BILLING_SERVICE_H

#include "core/og_error.h"
#include "core/invoice_calc.h"
#include "core/jsonw.h"
#include "core/subscription_fsm.h"
#include "store/resources.h"

#include <jansson.h>

struct billing_ctx {
	struct db_conn *db;          /* inside the caller's transaction */
	struct og_arena *arena;      /* rows and strings */
	const char *invoice_prefix;  /* account numbering: one series, <prefix>-000001 */
	bool per_customer_numbers;   /* else: the customer's invoice_prefix and next_invoice_sequence */
	int64_t now;                 /* the clock's now, or the test clock's frozen time */
	struct og_error *err;        /* filled on failure */
	const char *request_id;      /* the API request writing, for its events' request; NULL: the engine */
	const char *idempotency_key; /* that request's Idempotency-Key, or NULL */
	bool quiet_events;           /* the engine: one event per cycle invoice, invoice.finalized with the full
	                              * invoice (its fast path writes the same row; billing/engine.c) */
	int64_t customer_scope;      /* > 0: the caller is that customer's user: another customer's
	                              * subscription or invoice answers exactly like a missing one, and
	                              * lists hold only its own (billing_owns) */
};

/* Whether a caller limited to customer `scope` (> 0; 0: not limited, keys
 * and staff) may see or change an object of customer_id: the one decision
 * "is this object the caller's?" (api_owns and the services' loads ask it;
 * a comparison, no query). */
static inline bool billing_owns(int64_t scope, int64_t customer_id)
{
	return scope <= 0 || scope == customer_id;
}

/* A list's customer filter under the caller's scope: a scoped caller's list
 * is always its own; false when the filter names another customer (the
 * list is then empty, never the other's). */
static inline bool billing_scope_filter(int64_t scope, int64_t *customer_id)
{
	if (scope <= 0)
		return true;
	if (*customer_id && *customer_id != scope)
		return false;
	*customer_id = scope;
	return true;
}

#define BILLING_MAX_ITEMS 20
#define BILLING_MAX_LINES 1000 /* lines on one invoice */

struct billing_invoice_spec {
	int64_t period_start, period_end;
	enum billing_reason reason;
	bool item_lines;      /* bill each item for the period */
	bool trial;           /* item lines are free trial lines */
	bool cycle;           /* the period's one invoice: unique (subscription, period_start) */
	int64_t prorate_den;  /* > 0: item lines are prorated (end - start) / prorate_den */
	bool include_pending; /* take the customer's pending invoice items */
};

/* Issues and finalizes an invoice for sub. Returns OG_EC_STATE_CONFLICT when
 * the period already has its invoice (the unique key refused it). Sets
 * sub->latest_invoice_id (the caller writes sub). *out gets the invoice,
 * *lines / *n_lines its lines (arena), either may be NULL. */
enum og_ec billing_subscription_invoice(struct billing_ctx *bc, struct og_subscription *sub,
                                        const struct og_sub_item *items, int n_items,
                                        const struct billing_invoice_spec *spec, struct og_invoice *out,
                                        struct og_invoice_line **lines, int *n_lines);

/* The lines and totals an invoice for sub under spec has, written nowhere:
 * the invoice billing_subscription_invoice issues and the upcoming preview
 * share them by construction. Lines are in the arena. */
enum og_ec billing_invoice_lines(struct billing_ctx *bc, const struct og_subscription *sub,
                                 const struct og_sub_item *items, int n_items, const struct billing_invoice_spec *spec,
                                 struct og_invoice_line **lines, int *n_lines, struct invoice_totals *totals);

/* The invoice line of an invoice item (invoice_id 0 while not written). */
void billing_line_from_item(const struct og_invoice_item *it, int64_t invoice_id, struct og_invoice_line *l);

/* draft -> open (or paid at once when nothing is due): takes the next
 * invoice number, sets the due date for send_invoice, writes the invoice
 * and the events. lines are for the event snapshot. */
enum og_ec billing_invoice_finalize(struct billing_ctx *bc, struct og_invoice *inv, const struct og_invoice_line *lines,
                                    int n_lines);

/* Recomputes a draft's totals from its lines and writes it. */
enum og_ec billing_invoice_recompute(struct billing_ctx *bc, struct og_invoice *inv);

/* The amount cap (MONEY_AMOUNT_MAX, core/money.h) for a subscription's
 * items: each unit_amount × quantity and their sum, what a cycle invoice of
 * them bills before pending items. 400 amount_invalid naming "items" when
 * over. billing_sub_event and billing_invoice_lines call it, so every
 * create, confirm, update, preview and cycle is checked before writing. */
enum og_ec billing_items_fit(struct billing_ctx *bc, const struct og_sub_item *items, int n_items);

/* Applies a state-machine event to sub->status; a refused transition is a
 * 409 naming the current status. */
enum og_ec billing_sub_transition(struct billing_ctx *bc, struct og_subscription *sub, enum sub_event ev);

/* Monthly recurring revenue of the items at the subscription's interval,
 * rounded half away from zero. 0 for draft, paused, canceled. */
int64_t billing_mrr(const struct og_subscription *sub, const struct og_sub_item *items, int n_items);

/* Renders the subscription as the API shows it into w (model renderer),
 * each item with its full price object (one price read per item). On a
 * store error bc->err is filled and w is left unbalanced (discard it). */
enum og_ec billing_subscription_write(struct billing_ctx *bc, struct og_jsonw *w, const struct og_subscription *sub,
                                      const struct og_sub_item *items, int n_items);

/* Writes an event in the current transaction: its payload is
 * {"object": object_json}, object_json the object's text as its model
 * renderer wrote it (borrowed). */
enum og_ec billing_event(struct billing_ctx *bc, const char *type, const char *object_type, int64_t object_id,
                         int64_t customer_id, const char *object_json);
/* billing_event with the invoice and its lines rendered by the model. */
enum og_ec billing_invoice_event(struct billing_ctx *bc, const char *type, const struct og_invoice *inv,
                                 const struct og_invoice_line *lines, int n_lines, bool has_more);
/* A subscription event carrying MRR before and after. */
enum og_ec billing_sub_event(struct billing_ctx *bc, const char *type, const struct og_subscription *sub,
                             const struct og_sub_item *items, int n_items, int64_t mrr_before);

/* Applies a metadata parameter (the parser's json changes: null clears
 * all, "" removes a key, other values set it) to stored metadata text. At
 * most 50 keys afterwards (else 400 naming metadata). *out gets compact,
 * key-sorted JSON text in the arena. */
enum og_ec billing_metadata_apply(struct billing_ctx *bc, const char *stored, json_t *changes, const char **out);

/* The DB error of a store call as an og_error (DB_RETRY: 503, else 500). */
enum og_ec billing_db_error(struct billing_ctx *bc, enum db_rc rc, const char *what);

/* "1 × Gold (at 30.00 USD / month)" into the arena. */
const char *billing_item_description(struct billing_ctx *bc, const struct og_subscription *sub,
                                     const struct og_sub_item *it);
const char *billing_item_name(const struct og_sub_item *it);

#endif
