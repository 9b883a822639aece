/* The invoice lifecycle (see invoices.h): manual drafts and the
 * transitions, moved here from the API handlers so that every caller takes
 * the same decisions. No SQL here (store/invoices.c, store/invoice_items.c),
 * no arithmetic of our own (core/invoice_calc.c, core/money.c): totals come
 * from billing_invoice_recompute and invoice_totals_compute, transitions
 * from invoice_fsm_next; "draft" is the one status tested directly, for the
 * edits (update, delete, line changes) that are not transitions.
 *
 * Invariants:
 *   - every change and its event are written in the caller's one
 *     transaction (invoice.created, .updated, .finalized, .paid, .voided,
 *     .marked_uncollectible, .deleted), so both commit or neither does;
 *   - a draft's subtotal is the sum of its lines: every change of a line goes
 *     through billing_invoice_lines_changed, and finalizing checks it
 *     (OG_BUG when broken);
 *   - an invoice has at most BILLING_MAX_LINES lines;
 *   - numbers are taken only at finalization (billing_invoice_finalize), so
 *     drafts, deleted drafts included, leave no gap;
 *   - a refusal writes nothing: every check comes before the first write.
 *
 * Choices where Stripe leaves room (docs/api/invoices.md): currency defaults
 * to the customer's and is required when the customer has none; pay records
 * only payments made outside oneGuard (paid_out_of_band=true) until the
 * payments issue; once finalized only metadata may change. */
#include "billing/invoices.h"
#include "billing/balance.h"
#include "model/render.h"
#include "core/invoice_calc.h"

#include <stdlib.h>
#include <string.h>

const char *const billing_pending_behaviors[] = {"exclude", "include", NULL};

enum og_ec billing_not_found(struct billing_ctx *bc, enum id_kind kind, const char *what, int64_t id)
{
	char buf[ID_MAX_LEN];
	return og_err(bc->err, OG_EC_RESOURCE_MISSING, "id", "No such %s: '%s'", what, ids_encode(kind, id, buf));
}

enum og_ec billing_customer_now(struct billing_ctx *bc, int64_t customer_id, int64_t *now)
{
	int64_t clock_id = 0;
	enum db_rc rc = store_customer_test_clock(bc->db, customer_id, &clock_id);
	if (rc == DB_DONE || (rc == DB_ROW && clock_id <= 0)) {
		*now = bc->now;
		return OG_EC_NONE;
	}
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer");
	rc = store_test_clock_time(bc->db, clock_id, now);
	return rc == DB_ROW ? OG_EC_NONE : OG_BUG(bc->err, "an object's test clock is missing");
}

/* bc at the customer's now: the context every write of one invoice uses. */
static enum og_ec at_customer(const struct billing_ctx *bc, int64_t customer_id, struct billing_ctx *out)
{
	*out = *bc;
	return billing_customer_now(out, customer_id, &out->now);
}

enum og_ec billing_invoice_load_lines(struct billing_ctx *bc, struct billing_invoice *out)
{
	struct store_list lines;
	enum db_rc rc = store_invoice_lines_of(bc->db, bc->arena, out->inv.id, &lines);
	if (rc != DB_OK)
		return billing_db_error(bc, rc, "invoice lines");
	out->lines = lines.rows;
	out->n_lines = lines.n;
	out->has_more = lines.has_more;
	return OG_EC_NONE;
}

/* for_write: lock the row for a read-modify-write */
static enum og_ec load(struct billing_ctx *bc, int64_t id, bool for_write, struct billing_invoice *out)
{
	*out = (struct billing_invoice){0};
	enum db_rc rc = for_write ? store_invoice_get_for_update(bc->db, bc->arena, id, &out->inv)
	                          : store_invoice_get(bc->db, bc->arena, id, &out->inv);
	if (rc == DB_DONE || (rc == DB_ROW && !billing_owns(bc->customer_scope, out->inv.customer_id)))
		return billing_not_found(bc, ID_INVOICE, "invoice", id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "invoice");
	return billing_invoice_load_lines(bc, out);
}

enum og_ec billing_invoice_get(struct billing_ctx *bc, int64_t id, struct billing_invoice *out)
{
	return load(bc, id, false, out);
}

enum og_ec billing_invoice_list(struct billing_ctx *bc, const struct store_page *page,
                                const struct store_invoice_filter *filter, struct billing_invoice **out, int *n,
                                bool *has_more)
{
	struct store_invoice_filter f = *filter;
	struct store_list list = {0};
	if (billing_scope_filter(bc->customer_scope, &f.customer_id)) {
		enum db_rc rc = store_invoice_list(bc->db, bc->arena, page, &f, &list);
		if (rc != DB_OK)
			return billing_db_error(bc, rc, "invoices");
	}
	struct billing_invoice *all = arena_alloc(bc->arena, sizeof *all * (size_t)(list.n + 1));
	for (int i = 0; i < list.n; i++) {
		all[i] = (struct billing_invoice){.inv = ((struct og_invoice *)list.rows)[i]};
		enum og_ec ec = billing_invoice_load_lines(bc, &all[i]);
		if (ec)
			return ec;
	}
	*out = all;
	*n = list.n;
	*has_more = list.has_more;
	return OG_EC_NONE;
}

static enum og_ec write_event(struct billing_ctx *bc, const struct billing_invoice *bi, const char *type)
{
	return billing_invoice_event(bc, type, &bi->inv, bi->lines, bi->n_lines, bi->has_more);
}

static enum og_ec write_invoice(struct billing_ctx *bc, const struct og_invoice *inv)
{
	enum db_rc rc = store_invoice_update(bc->db, inv);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "invoice update");
}

static bool is_draft(const struct og_invoice *inv)
{
	return inv->status == INV_DRAFT;
}

enum og_ec billing_invoice_lines_changed(struct billing_ctx *bc, struct og_invoice *inv)
{
	enum og_ec ec = billing_invoice_recompute(bc, inv);
	if (ec)
		return ec;
	struct billing_invoice bi = {.inv = *inv};
	if ((ec = billing_invoice_load_lines(bc, &bi)))
		return ec;
	return write_event(bc, &bi, "invoice.updated");
}

/* The sum of the lines must be the subtotal (drafts keep it so on every
 * change; a mismatch is our bug, never the caller's). */
static enum og_ec check_subtotal(struct billing_ctx *bc, const struct billing_invoice *bi)
{
	if (bi->has_more)
		return OG_BUG(bc->err, "a draft invoice has more lines than an invoice may have");
	int64_t *amounts = arena_alloc(bc->arena, sizeof(int64_t) * (size_t)(bi->n_lines + 1));
	for (int i = 0; i < bi->n_lines; i++)
		amounts[i] = bi->lines[i].amount;
	struct invoice_totals t;
	if (!invoice_totals_compute(amounts, (size_t)bi->n_lines, bi->inv.amount_paid, &t) ||
	    t.subtotal != bi->inv.subtotal || t.total != bi->inv.total || t.amount_due != bi->inv.amount_due)
		return OG_BUG(bc->err, "an invoice's subtotal differs from the sum of its lines");
	return OG_EC_NONE;
}

/* What a refused transition answers: 409 naming the current status, and
 * what can be done instead. */
static enum og_ec refuse(struct billing_ctx *bc, const struct og_invoice *inv, const char *action)
{
	const char *hint = "";
	int from = (int)inv->status;
	if (from == INV_DRAFT)
		hint = " A draft can be updated, finalized or deleted.";
	else if (from == INV_PAID || from == INV_VOID)
		hint = " Paid and void invoices are final.";
	else if (!strcmp(action, "delete") || !strcmp(action, "update"))
		hint = " Only drafts can change; void the invoice instead.";
	char id[ID_MAX_LEN];
	return og_err(bc->err, OG_EC_INVOICE_STATUS, NULL, "Cannot %s invoice %s: its status is '%s'.%s", action,
	              ids_encode(ID_INVOICE, inv->id, id), invoice_status_name(inv->status), hint);
}

/* The table's answer for ev from inv's status: *to, or the refusal. */
static enum og_ec transition_to(struct billing_ctx *bc, const struct og_invoice *inv, enum invoice_event ev,
                                enum invoice_status *to)
{
	int from = (int)inv->status;
	if (from < 0)
		return OG_BUG(bc->err, "unknown invoice status in the database");
	if (!invoice_fsm_next((enum invoice_status)from, ev, to))
		return refuse(bc, inv, invoice_event_name(ev));
	return OG_EC_NONE;
}

/* ---- create: a draft for manual work ---- */

/* Attaches the customer's pending items that belong to no subscription, in
 * the invoice's currency, as lines (at most BILLING_MAX_LINES: the rest
 * stay pending). */
static enum og_ec attach_pending(struct billing_ctx *bc, const struct og_invoice *inv)
{
	struct store_list pending;
	enum db_rc rc = store_invoice_items_pending(bc->db, bc->arena, inv->customer_id, 0, inv->currency, &pending);
	if (rc != DB_OK)
		return billing_db_error(bc, rc, "pending invoice items");
	for (int i = 0, n_lines = 0; i < pending.n && n_lines < BILLING_MAX_LINES; i++) {
		/* lock and read again: a concurrent change or attach of the item must
		 * not leave a line that disagrees with it (no-op on SQLite) */
		struct og_invoice_item it;
		rc = store_invoice_item_get_for_update(bc->db, bc->arena,
		                                       ((struct og_invoice_item *)pending.rows)[i].id, &it);
		if (rc == DB_DONE || (rc == DB_ROW && it.invoice_id))
			continue; /* deleted or taken meanwhile */
		if (rc != DB_ROW)
			return billing_db_error(bc, rc, "invoice item");
		struct og_invoice_line l;
		billing_line_from_item(&it, inv->id, &l);
		if ((rc = store_invoice_line_insert(bc->db, &l)) != DB_ROW)
			return billing_db_error(bc, rc, "invoice line insert");
		if ((rc = store_invoice_item_attach(bc->db, it.id, inv->id)) != DB_ROW)
			return billing_db_error(bc, rc, "invoice item attach");
		n_lines++;
	}
	return OG_EC_NONE;
}

static enum og_ec days_need_send_invoice(struct billing_ctx *bc)
{
	return og_err(bc->err, OG_EC_PARAM_INVALID, "days_until_due",
	              "days_until_due applies only to invoices with collection_method=send_invoice.");
}

enum og_ec billing_invoice_create(struct billing_ctx *bc, const struct billing_invoice_create_in *in,
                                  struct billing_invoice *out)
{
	bool send_invoice = in->collection_method == BILLING_SEND_INVOICE;
	if (in->has_days_until_due && !send_invoice)
		return days_need_send_invoice(bc);
	struct og_customer cus;
	enum db_rc rc = store_customer_get(bc->db, bc->arena, in->customer_id, &cus);
	char buf[ID_MAX_LEN];
	if (rc == DB_DONE)
		return og_err(bc->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              ids_encode(ID_CUSTOMER, in->customer_id, buf));
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer");
	const char *currency = in->currency ? in->currency : cus.currency;
	if (!currency)
		return og_err(bc->err, OG_EC_PARAM_MISSING, "currency",
		              "Missing required param: currency. The customer has no default currency, so the "
		              "invoice needs one.");
	struct billing_ctx cbc;
	enum og_ec ec = at_customer(bc, in->customer_id, &cbc);
	if (ec)
		return ec;
	*out = (struct billing_invoice){0};
	struct og_invoice *inv = &out->inv;
	*inv = (struct og_invoice){
	    .customer_id = in->customer_id,
	    .status = INV_DRAFT,
	    .currency = currency,
	    .billing_reason = BILLING_REASON_MANUAL,
	    .collection_method = send_invoice ? COLLECTION_SEND_INVOICE : COLLECTION_CHARGE_AUTOMATICALLY,
	    .has_days_until_due = send_invoice,
	    .days_until_due = in->has_days_until_due ? in->days_until_due : BILLING_INVOICE_DAYS_UNTIL_DUE_DEFAULT,
	    .period_start = cbc.now,
	    .period_end = cbc.now,
	    .description = in->description && *in->description ? in->description : NULL,
	    .created = cbc.now,
	};
	if ((ec = billing_metadata_apply(&cbc, NULL, in->metadata, &inv->metadata)))
		return ec;
	if ((rc = store_invoice_insert(cbc.db, inv)) != DB_ROW)
		return billing_db_error(&cbc, rc, "invoice insert");
	if (in->pending_invoice_items_behavior == BILLING_PENDING_INCLUDE && (ec = attach_pending(&cbc, inv)))
		return ec;
	if ((ec = billing_invoice_recompute(&cbc, inv)) || (ec = billing_invoice_load_lines(&cbc, out)))
		return ec;
	return write_event(&cbc, out, "invoice.created");
}

/* ---- update ---- */

enum og_ec billing_invoice_update(struct billing_ctx *bc, const struct billing_invoice_update_in *in,
                                  struct billing_invoice *out)
{
	enum og_ec ec = load(bc, in->invoice_id, true, out);
	if (ec)
		return ec;
	struct og_invoice *inv = &out->inv;
	if (!is_draft(inv)) {
		const char *param = in->has_collection_method ? "collection_method"
		                    : in->has_days_until_due  ? "days_until_due"
		                    : in->has_description     ? "description"
		                                              : NULL;
		if (param) {
			char id[ID_MAX_LEN];
			return og_err(bc->err, OG_EC_INVOICE_STATUS, param,
			              "Cannot update %s of invoice %s: its status is '%s', and once an invoice is "
			              "finalized only its metadata can change.",
			              param, ids_encode(ID_INVOICE, inv->id, id), invoice_status_name(inv->status));
		}
	} else {
		if (in->has_collection_method)
			inv->collection_method = (enum collection_method)in->collection_method;
		bool send_invoice = inv->collection_method == COLLECTION_SEND_INVOICE;
		if (in->has_days_until_due && !send_invoice)
			return days_need_send_invoice(bc);
		if (!send_invoice) {
			inv->has_days_until_due = false;
			inv->days_until_due = 0;
		} else if (in->has_days_until_due || !inv->has_days_until_due) {
			inv->has_days_until_due = true;
			inv->days_until_due =
			    in->has_days_until_due ? in->days_until_due : BILLING_INVOICE_DAYS_UNTIL_DUE_DEFAULT;
		}
		const char *description = in->has_description ? in->description : inv->description;
		inv->description = description && *description ? description : NULL;
	}
	if (in->has_metadata && (ec = billing_metadata_apply(bc, inv->metadata, in->metadata, &inv->metadata)))
		return ec;
	bool any = in->has_collection_method || in->has_days_until_due || in->has_description || in->has_metadata;
	if (!any) /* an empty update writes nothing and sends no event */
		return OG_EC_NONE;
	struct billing_ctx cbc;
	if ((ec = at_customer(bc, inv->customer_id, &cbc)) || (ec = write_invoice(&cbc, inv)))
		return ec;
	return write_event(&cbc, out, "invoice.updated");
}

/* ---- transitions ---- */

enum og_ec billing_invoice_finalize_draft(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                          struct billing_invoice *out)
{
	enum og_ec ec = load(bc, in->invoice_id, true, out);
	if (ec)
		return ec;
	enum invoice_status to;
	/* refuse here with the message naming the invoice; billing_invoice_finalize checks again */
	if ((ec = transition_to(bc, &out->inv, INV_EV_FINALIZE, &to)) || (ec = check_subtotal(bc, out)))
		return ec;
	struct billing_ctx cbc;
	if ((ec = at_customer(bc, out->inv.customer_id, &cbc)))
		return ec;
	return billing_invoice_finalize(&cbc, &out->inv, out->lines, out->n_lines);
}

/* A paid invoice that was its subscription's latest brings a past_due or
 * unpaid subscription back to active. */
static enum og_ec reactivate_subscription(struct billing_ctx *bc, const struct og_invoice *inv)
{
	struct og_subscription sub;
	enum db_rc rc = store_subscription_lock(bc->db, inv->subscription_id);
	if (rc == DB_ROW)
		rc = store_subscription_get(bc->db, bc->arena, inv->subscription_id, &sub);
	if (rc == DB_DONE)
		return OG_EC_NONE;
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "subscription");
	int status = (int)sub.status;
	if ((status != SUB_PAST_DUE && status != SUB_UNPAID) || sub.latest_invoice_id != inv->id)
		return OG_EC_NONE;
	struct og_sub_item *items = NULL;
	int n_items = 0;
	if ((rc = store_sub_items_of(bc->db, bc->arena, sub.id, BILLING_MAX_ITEMS, &items, &n_items)) != DB_OK)
		return billing_db_error(bc, rc, "subscription items");
	int64_t mrr_before = billing_mrr(&sub, items, n_items);
	enum og_ec ec = billing_sub_transition(bc, &sub, SUB_EV_PAYMENT_SUCCEEDED);
	if (ec)
		return ec;
	if ((rc = store_subscription_update(bc->db, &sub)) != DB_ROW)
		return billing_db_error(bc, rc, "subscription update");
	return billing_sub_event(bc, "customer.subscription.updated", &sub, items, n_items, mrr_before);
}

enum og_ec billing_invoice_pay(struct billing_ctx *bc, const struct billing_invoice_pay_in *in,
                               struct billing_invoice *out)
{
	enum og_ec ec = load(bc, in->invoice_id, true, out);
	if (ec)
		return ec;
	struct og_invoice *inv = &out->inv;
	enum invoice_status to;
	if ((ec = transition_to(bc, inv, INV_EV_PAY, &to)))
		return ec;
	if (!in->paid_out_of_band)
		return og_err(bc->err, in->has_paid_out_of_band ? OG_EC_PARAM_INVALID : OG_EC_PARAM_MISSING,
		              "paid_out_of_band",
		              "oneGuard cannot collect this invoice yet: card collection arrives with payments. To "
		              "record a payment made outside oneGuard, pass paid_out_of_band=true.");
	struct billing_ctx cbc;
	if ((ec = at_customer(bc, inv->customer_id, &cbc)))
		return ec;
	inv->status = to;
	inv->amount_paid = inv->amount_due;
	inv->amount_remaining = 0;
	inv->paid_at = cbc.now;
	inv->paid_out_of_band = true;
	inv->past_due = false;
	if ((ec = write_invoice(&cbc, inv)) || (ec = write_event(&cbc, out, "invoice.paid")))
		return ec;
	if (inv->subscription_id && (ec = reactivate_subscription(&cbc, inv)))
		return ec;
	return OG_EC_NONE;
}

static enum og_ec close_invoice(struct billing_ctx *bc, int64_t invoice_id, enum invoice_event ev,
                                const char *event_type, struct billing_invoice *out)
{
	enum og_ec ec = load(bc, invoice_id, true, out);
	if (ec)
		return ec;
	enum invoice_status to;
	struct billing_ctx cbc;
	if ((ec = transition_to(bc, &out->inv, ev, &to)) || (ec = at_customer(bc, out->inv.customer_id, &cbc)))
		return ec;
	out->inv.status = to;
	if (ev == INV_EV_VOID) {
		out->inv.voided_at = cbc.now;
		if ((ec = billing_balance_void(&cbc, &out->inv)))
			return ec;
	} else
		out->inv.marked_uncollectible_at = cbc.now;
	if ((ec = write_invoice(&cbc, &out->inv)))
		return ec;
	return write_event(&cbc, out, event_type);
}

enum og_ec billing_invoice_void(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                struct billing_invoice *out)
{
	return close_invoice(bc, in->invoice_id, INV_EV_VOID, "invoice.voided", out);
}

enum og_ec billing_invoice_mark_uncollectible(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                              struct billing_invoice *out)
{
	return close_invoice(bc, in->invoice_id, INV_EV_MARK_UNCOLLECTIBLE, "invoice.marked_uncollectible", out);
}

/* ---- delete: drafts only; their items become pending again ---- */

enum og_ec billing_invoice_delete(struct billing_ctx *bc, const struct billing_invoice_ref_in *in)
{
	struct billing_invoice bi;
	enum og_ec ec = load(bc, in->invoice_id, true, &bi);
	if (ec)
		return ec;
	if (!is_draft(&bi.inv))
		return refuse(bc, &bi.inv, "delete");
	struct billing_ctx cbc;
	if ((ec = at_customer(bc, bi.inv.customer_id, &cbc)))
		return ec;
	enum db_rc rc = store_invoice_items_detach(cbc.db, bi.inv.id, NULL);
	if (rc != DB_OK)
		return billing_db_error(&cbc, rc, "invoice items detach");
	if ((rc = store_invoice_delete(cbc.db, bi.inv.id)) != DB_ROW)
		return billing_db_error(&cbc, rc, "invoice delete");
	return write_event(&cbc, &bi, "invoice.deleted");
}
