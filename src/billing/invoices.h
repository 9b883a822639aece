/* The invoice lifecycle as service functions: manual drafts (create,
 * update, delete), the transitions finalize, pay, void and mark
 * uncollectible, and what a change of a draft's lines implies. The API
 * handlers (src/api/invoices.c), and later the portal and payments, call
 * these; each takes a billing context inside the caller's transaction and
 * one input struct of parsed parameters (ids as integers, enums as C enums,
 * presence flags), and gives its result through an out-parameter. Nothing
 * here knows HTTP.
 *
 * "Now" is the invoice's customer's: its test clock's frozen time when it
 * has one, else bc->now (billing_customer_now). Every write locks the
 * invoice row first (store_invoice_get_for_update), so two concurrent
 * transitions on PostgreSQL cannot both succeed from the same status. A
 * refused transition is OG_EC_INVOICE_STATUS (409) naming the current
 * status; the transitions themselves are the table in core/invoice_calc.c. */
#ifndef OG_BILLING_INVOICES_H
#define OG_BILLING_INVOICES_H

#include "billing/service.h"
#include "core/ids.h"

#define BILLING_INVOICE_DESCRIPTION_MAX        5000
#define BILLING_INVOICE_DAYS_UNTIL_DUE_MAX     365
#define BILLING_INVOICE_DAYS_UNTIL_DUE_DEFAULT 30

/* In the order of the model's collection_method_names (a parameter spec's
 * choices; the list filter's statuses are core's invoice_status_names). */
enum billing_collection_method { BILLING_CHARGE_AUTOMATICALLY, BILLING_SEND_INVOICE };
_Static_assert(BILLING_CHARGE_AUTOMATICALLY == (int)COLLECTION_CHARGE_AUTOMATICALLY &&
                   BILLING_SEND_INVOICE == (int)COLLECTION_SEND_INVOICE,
               "collection_method_names indexes enum billing_collection_method");
enum billing_pending_behavior { BILLING_PENDING_EXCLUDE, BILLING_PENDING_INCLUDE };
extern const char *const billing_pending_behaviors[]; /* NULL-terminated */
/* A parameter spec stores an enum choice as an int (PT_ENUM). */
_Static_assert(sizeof(enum billing_collection_method) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum billing_pending_behavior) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum invoice_status) == sizeof(int), "enum stored as int");

/* An invoice with its lines (the first BILLING_MAX_LINES; has_more when
 * there are more), in bc->arena. */
struct billing_invoice {
	struct og_invoice inv;
	struct og_invoice_line *lines;
	int n_lines;
	bool has_more;
};

/* The customer's now: its test clock's frozen time, else bc->now. */
enum og_ec billing_customer_now(struct billing_ctx *bc, int64_t customer_id, int64_t *now);

/* Reads invoice id with its lines; a missing one is 404 naming "id". */
enum og_ec billing_invoice_get(struct billing_ctx *bc, int64_t id, struct billing_invoice *out);
/* Reads the lines of out->inv (already read) into out. */
enum og_ec billing_invoice_load_lines(struct billing_ctx *bc, struct billing_invoice *out);

/* A page of invoices (the store's order, newest first) under filter, each
 * with its lines: *out (arena) gets *n of them. */
enum og_ec billing_invoice_list(struct billing_ctx *bc, const struct store_page *page,
                                const struct store_invoice_filter *filter, struct billing_invoice **out, int *n,
                                bool *has_more);

struct billing_invoice_create_in {
	int64_t customer_id;
	enum billing_collection_method collection_method;
	int64_t days_until_due;
	bool has_days_until_due;
	const char *description; /* NULL or "": none */
	const char *currency;    /* NULL: the customer's */
	enum billing_pending_behavior pending_invoice_items_behavior;
	json_t *metadata; /* a metadata parameter (billing_metadata_apply), or NULL */
};
/* A manual draft (billing_reason "manual") for the customer, with the
 * customer's pending items that belong to no subscription as lines when
 * asked (at most BILLING_MAX_LINES; the rest stay pending). Writes
 * invoice.created. */
enum og_ec billing_invoice_create(struct billing_ctx *bc, const struct billing_invoice_create_in *in,
                                  struct billing_invoice *out);

struct billing_invoice_update_in {
	int64_t invoice_id;
	enum billing_collection_method collection_method;
	bool has_collection_method;
	int64_t days_until_due;
	bool has_days_until_due;
	const char *description; /* NULL or "": clear */
	bool has_description;
	json_t *metadata;
	bool has_metadata;
};
/* A draft may change everything; a finalized invoice only its metadata
 * (409 naming the first other parameter given). An update that gives
 * nothing writes nothing and sends no event. */
enum og_ec billing_invoice_update(struct billing_ctx *bc, const struct billing_invoice_update_in *in,
                                  struct billing_invoice *out);

/* finalize, void, mark_uncollectible and delete take only the invoice. */
struct billing_invoice_ref_in {
	int64_t invoice_id;
};
/* draft -> open (or paid when nothing is due): checks that the lines sum
 * to the subtotal, then billing_invoice_finalize. */
enum og_ec billing_invoice_finalize_draft(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                          struct billing_invoice *out);

struct billing_invoice_pay_in {
	int64_t invoice_id;
	bool paid_out_of_band; /* only payments made outside oneGuard, for now */
	bool has_paid_out_of_band;
};
/* open or uncollectible -> paid. A subscription in past_due or unpaid whose
 * latest invoice this is becomes active again. */
enum og_ec billing_invoice_pay(struct billing_ctx *bc, const struct billing_invoice_pay_in *in,
                               struct billing_invoice *out);

enum og_ec billing_invoice_void(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                struct billing_invoice *out);
enum og_ec billing_invoice_mark_uncollectible(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                              struct billing_invoice *out);

/* Deletes a draft and its lines; its items become pending again. Writes
 * invoice.deleted. */
enum og_ec billing_invoice_delete(struct billing_ctx *bc, const struct billing_invoice_ref_in *in);

/* After a draft's lines changed: recomputes and writes its totals, and
 * writes invoice.updated with the new lines. */
enum og_ec billing_invoice_lines_changed(struct billing_ctx *bc, struct og_invoice *inv);

/* 404 (OG_EC_RESOURCE_MISSING naming "id") for the object a call is about,
 * "No such <what>: '<public id>'". */
enum og_ec billing_not_found(struct billing_ctx *bc, enum id_kind kind, const char *what, int64_t id);

#endif
