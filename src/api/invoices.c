/* HTTP handlers for /v1/invoices (except GET /v1/invoices/upcoming, which
 * previews a subscription's next invoice: see subscriptions.c). No SQL here
 * (store/invoices.c, store/invoice_items.c), no arithmetic of our own
 * (core/invoice_calc.c, core/money.c), and the transitions are the table in
 * core/invoice_calc.c: this file asks invoice_fsm_next and never compares
 * statuses itself, except "draft" for edits.
 *
 * Invariants:
 *   - every change and its event are written in the request's one
 *     transaction (invoice.created, .updated, .finalized, .paid, .voided,
 *     .marked_uncollectible, .deleted), so both commit or neither does;
 *   - a draft's subtotal is the sum of its lines: every change of a line goes
 *     through api_invoice_lines_changed, and finalize checks it (OG_BUG when
 *     broken);
 *   - an invoice has at most API_INVOICE_LINES_MAX lines;
 *   - numbers are taken only at finalization (billing_invoice_finalize), so
 *     drafts, deleted drafts included, leave no gap;
 *   - every write handler reads the invoice with a row lock
 *     (store_invoice_get_for_update), so two concurrent transitions on
 *     PostgreSQL cannot both succeed from the same status.
 *
 * "Now" is the customer's (api_invoices_customer_now): its test clock's
 * frozen time when it has one, else the request's arrival time.
 *
 * Choices where Stripe leaves room (docs/api/invoices.md): currency defaults
 * to the customer's and is required when the customer has none; /pay
 * records only payments made outside oneGuard (paid_out_of_band=true) until
 * the payments issue; once finalized only metadata may change; a refused
 * transition is a 409 invoice_status_invalid naming the current status. */
#include "api/api.h"
#include "api/common.h"
#include "billing/service.h"
#include "core/invoice_calc.h"
#include "core/money.h"

#include <string.h>

#define INVOICE_DESCRIPTION_MAX        5000
#define INVOICE_DAYS_UNTIL_DUE_MAX     365
#define INVOICE_DAYS_UNTIL_DUE_DEFAULT 30

/* in the order of enum collection_method */
static const char *const collection_methods[] = {"charge_automatically", "send_invoice", NULL};
enum { COLLECT_AUTOMATICALLY = COLLECTION_CHARGE_AUTOMATICALLY, COLLECT_SEND_INVOICE = COLLECTION_SEND_INVOICE };
/* in the order of enum invoice_status */
static const char *const statuses[] = {"draft", "open", "paid", "void", "uncollectible", NULL};
static const char *const pending_behaviors[] = {"exclude", "include", NULL};
enum { PENDING_EXCLUDE, PENDING_INCLUDE };

enum og_ec api_invoices_customer_now(struct og_req *rq, int64_t customer_id, int64_t *now)
{
	int64_t clock_id = 0;
	enum db_rc rc = store_customer_test_clock(rq->db, customer_id, &clock_id);
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "customer", NULL);
	return api_clock_now(rq, rc == DB_ROW ? clock_id : 0, now);
}

void api_invoice_billing_ctx(struct og_req *rq, int64_t now, struct billing_ctx *bc)
{
	*bc = (struct billing_ctx){.db = rq->db,
	                           .arena = rq->arena,
	                           .invoice_prefix = rq->cfg ? rq->cfg->invoice_prefix : "INV",
	                           .now = now,
	                           .err = &rq->err};
}

/* An invoice with its lines (the first API_INVOICE_LINES_MAX), loaded for
 * one request. */
struct inv_state {
	struct og_invoice inv;
	struct og_invoice_line *lines;
	int n_lines;
	bool has_more;
	int64_t now; /* the customer's now; set by begin_change */
	struct billing_ctx bc;
};

static enum og_ec load_lines(struct og_req *rq, struct inv_state *st)
{
	struct store_list lines;
	enum db_rc rc = store_invoice_lines_of(rq->db, rq->arena, st->inv.id, &lines);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "invoice lines", NULL);
	st->lines = lines.rows;
	st->n_lines = lines.n;
	st->has_more = lines.has_more;
	return OG_EC_NONE;
}

/* for_write: lock the row for a read-modify-write (store_invoice_get_for_update) */
static enum og_ec load_invoice(struct og_req *rq, struct inv_state *st, bool for_write)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &id);
	if (ec)
		return ec;
	enum db_rc rc = for_write ? store_invoice_get_for_update(rq->db, rq->arena, id, &st->inv)
	                          : store_invoice_get(rq->db, rq->arena, id, &st->inv);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice", NULL);
	return load_lines(rq, st);
}

/* For a write: the customer's now and the billing context. */
static enum og_ec begin_change(struct og_req *rq, struct inv_state *st)
{
	enum og_ec ec = api_invoices_customer_now(rq, st->inv.customer_id, &st->now);
	if (ec)
		return ec;
	api_invoice_billing_ctx(rq, st->now, &st->bc);
	return OG_EC_NONE;
}

static enum og_ec reply_state(struct og_req *rq, const struct inv_state *st)
{
	return api_reply_invoice(rq, &st->inv, st->lines, st->n_lines, st->has_more);
}

static enum og_ec write_event(struct inv_state *st, const char *type)
{
	return billing_invoice_event(&st->bc, type, &st->inv, st->lines, st->n_lines, st->has_more);
}

static enum og_ec write_invoice(struct og_req *rq, const struct og_invoice *inv)
{
	enum db_rc rc = store_invoice_update(rq->db, inv);
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "invoice", NULL);
}

enum og_ec api_invoice_lines_changed(struct og_req *rq, struct billing_ctx *bc, struct og_invoice *inv)
{
	enum og_ec ec = billing_invoice_recompute(bc, inv);
	if (ec)
		return ec;
	struct inv_state st = {.inv = *inv, .bc = *bc};
	if ((ec = load_lines(rq, &st)))
		return ec;
	return write_event(&st, "invoice.updated");
}

/* The sum of the lines must be the subtotal (drafts keep it so on every
 * change; a mismatch is our bug, never the caller's). */
static enum og_ec check_subtotal(struct og_req *rq, const struct inv_state *st)
{
	if (st->has_more)
		return OG_BUG(&rq->err, "a draft invoice has more lines than an invoice may have");
	int64_t *amounts = arena_alloc(rq->arena, sizeof(int64_t) * (size_t)(st->n_lines + 1));
	for (int i = 0; i < st->n_lines; i++)
		amounts[i] = st->lines[i].amount;
	struct invoice_totals t;
	if (!invoice_totals_compute(amounts, (size_t)st->n_lines, st->inv.amount_paid, &t) ||
	    t.subtotal != st->inv.subtotal || t.total != st->inv.total || t.amount_due != st->inv.amount_due)
		return OG_BUG(&rq->err, "an invoice's subtotal differs from the sum of its lines");
	return OG_EC_NONE;
}

/* What a refused transition answers: 409 naming the current status, and
 * what can be done instead. */
static enum og_ec refuse(struct og_req *rq, const struct og_invoice *inv, const char *action)
{
	const char *hint = "";
	enum invoice_status from = inv->status;
	if (from == INV_DRAFT)
		hint = " A draft can be updated, finalized or deleted.";
	else if (from == INV_PAID || from == INV_VOID)
		hint = " Paid and void invoices are final.";
	else if (!strcmp(action, "delete") || !strcmp(action, "update"))
		hint = " Only drafts can change; void the invoice instead.";
	char id[ID_MAX_LEN];
	return og_err(&rq->err, OG_EC_INVOICE_STATUS, NULL, "Cannot %s invoice %s: its status is '%s'.%s", action,
	              ids_encode(ID_INVOICE, inv->id, id), invoice_status_name(inv->status), hint);
}

static enum og_ec transition(struct og_req *rq, struct og_invoice *inv, enum invoice_event ev)
{
	enum invoice_status to;
	if (!invoice_status_name(inv->status))
		return OG_BUG(&rq->err, "unknown invoice status in the database");
	if (!invoice_fsm_next(inv->status, ev, &to))
		return refuse(rq, inv, invoice_event_name(ev));
	inv->status = to;
	return OG_EC_NONE;
}

/* ---- reads ---- */

enum og_ec api_invoices_retrieve(struct og_req *rq)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, false);
	if (ec)
		return ec;
	return reply_state(rq, &st);
}

static bool invoice_exists(struct og_req *rq, int64_t id)
{
	struct og_invoice inv;
	return store_invoice_get(rq->db, rq->arena, id, &inv) == DB_ROW;
}

enum og_ec api_invoices_list(struct og_req *rq)
{
	struct og_page page = {0};
	struct store_invoice_filter f = {0};
	int status = -1;
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_INVOICE),
	    PARAM_ID("customer", ID_CUSTOMER, &f.customer_id, NULL, 0),
	    PARAM_ID("subscription", ID_SUBSCRIPTION, &f.subscription_id, NULL, 0),
	    PARAM_ENUM("status", &status, NULL, statuses, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	if (status >= 0) {
		f.has_status = true;
		f.status = (enum invoice_status)status;
	}
	/* the store takes an inclusive range with 0 meaning unbounded */
	int64_t lo, hi;
	if ((ec = api_created_range(rq, &lo, &hi)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, invoice_exists, &sp)))
		return ec;
	struct store_list list = {0};
	if (hi >= lo && hi >= 1) { /* else no invoice can match (every created is > 0) */
		f.created_gte = lo;
		f.created_lte = hi == INT64_MAX ? 0 : hi;
		enum db_rc rc = store_invoice_list(rq->db, rq->arena, &sp, &f, &list);
		if (rc != DB_OK)
			return api_db_error(rq, rc, "invoices", NULL);
	}
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++) {
		struct inv_state st = {.inv = ((struct og_invoice *)list.rows)[i]};
		if ((ec = load_lines(rq, &st)))
			return ec;
		model_invoice_render(&w, &st.inv, st.lines, st.n_lines, st.has_more);
	}
	return api_list_end(rq, &w, list.has_more, "/v1/invoices");
}

/* The invoice of the current path, for the line cursor check. */
static bool line_exists(struct og_req *rq, int64_t id)
{
	int64_t invoice_id;
	struct og_invoice_line l;
	return ids_decode(ID_INVOICE, req_path_param(rq, 0), &invoice_id) &&
	       store_invoice_line_get(rq->db, rq->arena, id, &l) == DB_ROW && l.invoice_id == invoice_id;
}

enum og_ec api_invoices_lines(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &id);
	if (ec)
		return ec;
	struct og_invoice inv;
	enum db_rc rc = store_invoice_get(rq->db, rq->arena, id, &inv);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice", NULL);
	struct og_page page = {0};
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_INVOICE_LINE),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->query, spec, NULL)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, line_exists, &sp)))
		return ec;
	struct store_list list;
	if ((rc = store_invoice_line_page(rq->db, rq->arena, id, &sp, &list)) != DB_OK)
		return api_db_error(rq, rc, "invoice lines", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_invoice_line_render(&w, (struct og_invoice_line *)list.rows + i);
	char buf[ID_MAX_LEN];
	return api_list_end(rq, &w, list.has_more,
	                    arena_printf(rq->arena, "/v1/invoices/%s/lines", ids_encode(ID_INVOICE, id, buf)));
}

/* ---- create: a draft for manual work ---- */

/* Attaches the customer's pending items that belong to no subscription, in
 * the invoice's currency, as lines (at most API_INVOICE_LINES_MAX: the rest
 * stay pending). */
static enum og_ec attach_pending(struct og_req *rq, struct inv_state *st)
{
	struct store_list pending;
	enum db_rc rc =
	    store_invoice_items_pending(rq->db, rq->arena, st->inv.customer_id, 0, st->inv.currency, &pending);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "pending invoice items", NULL);
	for (int i = 0, n_lines = 0; i < pending.n && n_lines < API_INVOICE_LINES_MAX; i++) {
		/* lock and read again: a concurrent change or attach of the item must
		 * not leave a line that disagrees with it (no-op on SQLite) */
		struct og_invoice_item it;
		rc = store_invoice_item_get_for_update(rq->db, rq->arena,
		                                       ((struct og_invoice_item *)pending.rows)[i].id, &it);
		if (rc == DB_DONE || (rc == DB_ROW && it.invoice_id))
			continue; /* deleted or taken meanwhile */
		if (rc != DB_ROW)
			return api_db_error(rq, rc, "invoice item", NULL);
		struct og_invoice_line l;
		billing_line_from_item(&it, st->inv.id, &l);
		if ((rc = store_invoice_line_insert(rq->db, &l)) != DB_ROW)
			return api_db_error(rq, rc, "invoice line", NULL);
		if ((rc = store_invoice_item_attach(rq->db, it.id, st->inv.id)) != DB_ROW)
			return api_db_error(rq, rc, "invoice item", NULL);
		n_lines++;
	}
	return OG_EC_NONE;
}

enum og_ec api_invoices_create(struct og_req *rq)
{
	int64_t customer_id = 0, days = 0;
	int method = COLLECT_AUTOMATICALLY, pending = PENDING_EXCLUDE;
	bool has_days = false;
	const char *currency = NULL, *description = NULL;
	json_t *metadata = NULL;
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &customer_id, NULL, P_REQUIRED),
	    PARAM_ENUM("collection_method", &method, NULL, collection_methods, 0),
	    PARAM_INT64("days_until_due", &days, &has_days, 1, INVOICE_DAYS_UNTIL_DUE_MAX, 0),
	    PARAM_STRING("description", &description, NULL, INVOICE_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_CURRENCY("currency", &currency, NULL, 0),
	    PARAM_ENUM("pending_invoice_items_behavior", &pending, NULL, pending_behaviors, 0),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
	if (has_days && method != COLLECT_SEND_INVOICE)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "days_until_due",
		              "days_until_due applies only to invoices with collection_method=send_invoice.");
	struct og_customer cus;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, customer_id, &cus);
	char buf[ID_MAX_LEN];
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              ids_encode(ID_CUSTOMER, customer_id, buf));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", "customer");
	if (!currency)
		currency = cus.currency;
	if (!currency)
		return og_err(&rq->err, OG_EC_PARAM_MISSING, "currency",
		              "Missing required param: currency. The customer has no default currency, so the "
		              "invoice needs one.");
	struct inv_state st = {0};
	if ((ec = api_invoices_customer_now(rq, customer_id, &st.now)))
		return ec;
	api_invoice_billing_ctx(rq, st.now, &st.bc);
	st.inv = (struct og_invoice){
	    .customer_id = customer_id,
	    .status = INV_DRAFT,
	    .currency = currency,
	    .billing_reason = BILLING_REASON_MANUAL,
	    .collection_method = (enum collection_method)method,
	    .has_days_until_due = method == COLLECT_SEND_INVOICE,
	    .days_until_due = has_days ? days : INVOICE_DAYS_UNTIL_DUE_DEFAULT,
	    .period_start = st.now,
	    .period_end = st.now,
	    .description = description && *description ? description : NULL,
	    .created = st.now,
	};
	if ((ec = api_metadata_apply(rq, NULL, metadata, &st.inv.metadata)))
		return ec;
	if ((rc = store_invoice_insert(rq->db, &st.inv)) != DB_ROW)
		return api_db_error(rq, rc, "invoice", NULL);
	if (pending == PENDING_INCLUDE && (ec = attach_pending(rq, &st)))
		return ec;
	if ((ec = billing_invoice_recompute(&st.bc, &st.inv)) || (ec = load_lines(rq, &st)))
		return ec;
	if ((ec = write_event(&st, "invoice.created")))
		return ec;
	return reply_state(rq, &st);
}

/* ---- update ---- */

enum og_ec api_invoices_update(struct og_req *rq)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, true);
	if (ec)
		return ec;
	struct og_invoice *inv = &st.inv;
	int method = -1;
	int64_t days = 0;
	bool has_days = false, has_description = false, has_metadata = false;
	const char *description = inv->description;
	json_t *metadata = NULL;
	struct param_spec spec[] = {
	    PARAM_ENUM("collection_method", &method, NULL, collection_methods, 0),
	    PARAM_INT64("days_until_due", &days, &has_days, 1, INVOICE_DAYS_UNTIL_DUE_MAX, 0),
	    PARAM_STRING("description", &description, &has_description, INVOICE_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_METADATA("metadata", &metadata, &has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (inv->status != INV_DRAFT) {
		const char *param = method >= 0       ? "collection_method"
		                    : has_days        ? "days_until_due"
		                    : has_description ? "description"
		                                      : NULL;
		if (param) {
			char id[ID_MAX_LEN];
			return og_err(&rq->err, OG_EC_INVOICE_STATUS, param,
			              "Cannot update %s of invoice %s: its status is '%s', and once an invoice is "
			              "finalized only its metadata can change.",
			              param, ids_encode(ID_INVOICE, inv->id, id), invoice_status_name(inv->status));
		}
	} else {
		if (method >= 0)
			inv->collection_method = (enum collection_method)method;
		bool send_invoice = inv->collection_method == COLLECTION_SEND_INVOICE;
		if (has_days && !send_invoice)
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "days_until_due",
			              "days_until_due applies only to invoices with collection_method=send_invoice.");
		if (!send_invoice) {
			inv->has_days_until_due = false;
			inv->days_until_due = 0;
		} else if (has_days || !inv->has_days_until_due) {
			inv->has_days_until_due = true;
			inv->days_until_due = has_days ? days : INVOICE_DAYS_UNTIL_DUE_DEFAULT;
		}
		inv->description = description && *description ? description : NULL;
	}
	if (has_metadata && (ec = api_metadata_apply(rq, inv->metadata, metadata, &inv->metadata)))
		return ec;
	bool any = method >= 0 || has_days || has_description || has_metadata;
	if (any) { /* an empty update writes nothing and sends no event */
		if ((ec = begin_change(rq, &st)) || (ec = write_invoice(rq, inv)) ||
		    (ec = write_event(&st, "invoice.updated")))
			return ec;
	}
	return reply_state(rq, &st);
}

/* ---- transitions ---- */

enum og_ec api_invoices_finalize(struct og_req *rq)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, true);
	if (ec)
		return ec;
	struct param_spec spec[] = {PARAM_END};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	struct og_invoice probe = st.inv; /* billing_invoice_finalize moves it; refuse here with our message */
	if ((ec = transition(rq, &probe, INV_EV_FINALIZE)))
		return ec;
	if ((ec = check_subtotal(rq, &st)) || (ec = begin_change(rq, &st)))
		return ec;
	if ((ec = billing_invoice_finalize(&st.bc, &st.inv, st.lines, st.n_lines)))
		return ec;
	return reply_state(rq, &st);
}

/* A paid invoice that was its subscription's latest brings a past_due or
 * unpaid subscription back to active. */
static enum og_ec reactivate_subscription(struct og_req *rq, struct inv_state *st)
{
	struct og_subscription sub;
	enum db_rc rc = store_subscription_lock(rq->db, st->inv.subscription_id);
	if (rc == DB_ROW)
		rc = store_subscription_get(rq->db, rq->arena, st->inv.subscription_id, &sub);
	if (rc == DB_DONE)
		return OG_EC_NONE;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	enum sub_status status = sub.status;
	if ((status != SUB_PAST_DUE && status != SUB_UNPAID) || sub.latest_invoice_id != st->inv.id)
		return OG_EC_NONE;
	struct og_sub_item *items = NULL;
	int n_items = 0;
	if ((rc = store_sub_items_of(rq->db, rq->arena, sub.id, BILLING_MAX_ITEMS, &items, &n_items)) != DB_OK)
		return api_db_error(rq, rc, "subscription items", NULL);
	int64_t mrr_before = billing_mrr(&sub, items, n_items);
	enum og_ec ec = billing_sub_transition(&st->bc, &sub, SUB_EV_PAYMENT_SUCCEEDED);
	if (ec)
		return ec;
	if ((rc = store_subscription_update(rq->db, &sub)) != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	return billing_sub_event(&st->bc, "customer.subscription.updated", &sub, items, n_items, mrr_before);
}

enum og_ec api_invoices_pay(struct og_req *rq)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, true);
	if (ec)
		return ec;
	bool out_of_band = false, has_out_of_band = false;
	struct param_spec spec[] = {
	    PARAM_BOOL("paid_out_of_band", &out_of_band, &has_out_of_band, 0),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	struct og_invoice *inv = &st.inv;
	if ((ec = transition(rq, inv, INV_EV_PAY)))
		return ec;
	if (!out_of_band)
		return og_err(&rq->err, has_out_of_band ? OG_EC_PARAM_INVALID : OG_EC_PARAM_MISSING, "paid_out_of_band",
		              "oneGuard cannot collect this invoice yet: card collection arrives with payments. To "
		              "record a payment made outside oneGuard, pass paid_out_of_band=true.");
	if ((ec = begin_change(rq, &st)))
		return ec;
	inv->amount_paid = inv->amount_due;
	inv->amount_remaining = 0;
	inv->paid_at = st.now;
	inv->paid_out_of_band = true;
	inv->past_due = false;
	if ((ec = write_invoice(rq, inv)) || (ec = write_event(&st, "invoice.paid")))
		return ec;
	if (inv->subscription_id && (ec = reactivate_subscription(rq, &st)))
		return ec;
	return reply_state(rq, &st);
}

static enum og_ec close_invoice(struct og_req *rq, enum invoice_event ev, const char *event_type)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, true);
	if (ec)
		return ec;
	struct param_spec spec[] = {PARAM_END};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if ((ec = transition(rq, &st.inv, ev)) || (ec = begin_change(rq, &st)))
		return ec;
	if (ev == INV_EV_VOID)
		st.inv.voided_at = st.now;
	else
		st.inv.marked_uncollectible_at = st.now;
	if ((ec = write_invoice(rq, &st.inv)) || (ec = write_event(&st, event_type)))
		return ec;
	return reply_state(rq, &st);
}

enum og_ec api_invoices_void(struct og_req *rq)
{
	return close_invoice(rq, INV_EV_VOID, "invoice.voided");
}

enum og_ec api_invoices_mark_uncollectible(struct og_req *rq)
{
	return close_invoice(rq, INV_EV_MARK_UNCOLLECTIBLE, "invoice.marked_uncollectible");
}

/* ---- delete: drafts only; their items become pending again ---- */

enum og_ec api_invoices_delete(struct og_req *rq)
{
	struct inv_state st = {0};
	enum og_ec ec = load_invoice(rq, &st, true);
	if (ec)
		return ec;
	if (st.inv.status != INV_DRAFT)
		return refuse(rq, &st.inv, "delete");
	if ((ec = begin_change(rq, &st)))
		return ec;
	enum db_rc rc = store_invoice_items_detach(rq->db, st.inv.id, NULL);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "invoice items", NULL);
	if ((rc = store_invoice_delete(rq->db, st.inv.id)) != DB_ROW)
		return api_db_error(rq, rc, "invoice", NULL);
	if ((ec = write_event(&st, "invoice.deleted")))
		return ec;
	return api_reply_deleted(rq, ID_INVOICE, st.inv.id, "invoice");
}
