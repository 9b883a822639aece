/* The billing service (see service.h). Amounts are int64 minor units with
 * checked arithmetic from core/money.h; an overflow is refused, never
 * wrapped. Events are written in the same transaction as their change. */
#include "billing/service.h"
#include "billing/balance.h"
#include "core/calendar.h"
#include "core/invoice_calc.h"
#include "core/money.h"
#include "model/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum og_ec billing_db_error(struct billing_ctx *bc, enum db_rc rc, const char *what)
{
	if (rc == DB_RETRY)
		return og_err(bc->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.");
	return OG_BUG(bc->err, what);
}

const char *billing_item_name(const struct og_sub_item *it)
{
	if (it->product_name && *it->product_name)
		return it->product_name;
	if (it->price_nickname && *it->price_nickname)
		return it->price_nickname;
	return "subscription item";
}

const char *billing_item_description(struct billing_ctx *bc, const struct og_subscription *sub,
                                     const struct og_sub_item *it)
{
	char amount[48];
	money_format(it->unit_amount, sub->currency, amount, sizeof amount);
	const char *interval = cal_interval_name(sub->interval);
	if (!interval)
		interval = "period";
	if (sub->interval_count == 1)
		return arena_printf(bc->arena, "%lld × %s (at %s / %s)", (long long)it->quantity, billing_item_name(it),
		                    amount, interval);
	return arena_printf(bc->arena, "%lld × %s (at %s / every %lld %ss)", (long long)it->quantity,
	                    billing_item_name(it), amount, (long long)sub->interval_count, interval);
}

int64_t billing_mrr(const struct og_subscription *sub, const struct og_sub_item *items, int n_items)
{
	if (sub->status != SUB_ACTIVE && sub->status != SUB_PAST_DUE && sub->status != SUB_UNPAID)
		return 0; /* draft, trialing, paused, canceled (and unknown) bring nothing */
	int64_t sum = 0;
	for (int i = 0; i < n_items; i++) {
		int64_t line;
		if (!money_mul(items[i].unit_amount, items[i].quantity, &line) || !money_add(sum, line, &sum))
			return 0;
	}
	/* normalise to a month: the amount per interval * months-per-interval^-1 */
	int64_t num = 1, den = sub->interval_count > 0 ? sub->interval_count : 1;
	enum cal_interval iv = sub->interval;
	if (iv == CAL_YEAR)
		den *= 12;
	else if (iv == CAL_WEEK)
		num = 52, den *= 12;
	else if (iv == CAL_DAY)
		num = 365, den *= 12;
	int64_t mrr = 0;
	if (!money_muldiv(sum, num, den, &mrr))
		return 0;
	return mrr;
}

/* {"object": object_json} in the arena. */
static const char *event_payload(struct billing_ctx *bc, const char *object_json)
{
	struct og_jsonw w;
	jsonw_init(&w, bc->arena, strlen(object_json) + 16);
	model_event_data(&w, object_json);
	return jsonw_take(&w, NULL);
}

enum og_ec billing_event(struct billing_ctx *bc, const char *type, const char *object_type, int64_t object_id,
                         int64_t customer_id, const char *object_json)
{
	struct og_event ev = {.type = type,
	                      .object_type = object_type,
	                      .object_id = object_id,
	                      .customer_id = customer_id,
	                      .data = event_payload(bc, object_json),
	                      .created = bc->now,
	                      .request_id = bc->request_id,
	                      .idempotency_key = bc->idempotency_key};
	enum db_rc rc = store_event_insert(bc->db, &ev);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "event insert");
	return OG_EC_NONE;
}

enum og_ec billing_invoice_event(struct billing_ctx *bc, const char *type, const struct og_invoice *inv,
                                 const struct og_invoice_line *lines, int n_lines, bool has_more)
{
	struct og_jsonw w;
	jsonw_init(&w, bc->arena, 0);
	model_invoice_render(&w, inv, lines, n_lines, has_more);
	return billing_event(bc, type, "invoice", inv->id, inv->customer_id, jsonw_take(&w, NULL));
}

enum og_ec billing_subscription_write(struct billing_ctx *bc, struct og_jsonw *w, const struct og_subscription *sub,
                                      const struct og_sub_item *items, int n_items)
{
	if (n_items > BILLING_MAX_ITEMS)
		n_items = BILLING_MAX_ITEMS;
	struct og_price *prices = arena_alloc(bc->arena, sizeof *prices * (size_t)(n_items + 1));
	for (int i = 0; i < n_items; i++) {
		enum db_rc rc = store_price_get(bc->db, bc->arena, items[i].price_id, &prices[i]);
		if (rc != DB_ROW)
			return billing_db_error(bc, rc, "subscription item price");
	}
	model_subscription_render(w, sub, items, n_items, prices);
	return OG_EC_NONE;
}

enum og_ec billing_sub_event(struct billing_ctx *bc, const char *type, const struct og_subscription *sub,
                             const struct og_sub_item *items, int n_items, int64_t mrr_before)
{
	/* every create and change of a subscription's items ends here, inside
	 * its transaction: one that could bill over the cap is refused before
	 * it commits (a canceled or paused one bills nothing more) */
	if (sub->status != SUB_CANCELED && sub->status != SUB_PAUSED) {
		enum og_ec fit = billing_items_fit(bc, items, n_items);
		if (fit)
			return fit;
	}
	struct og_jsonw w;
	jsonw_init(&w, bc->arena, 0);
	jsonw_object_begin(&w);
	jsonw_key(&w, "object");
	enum og_ec ec = billing_subscription_write(bc, &w, sub, items, n_items);
	if (ec)
		return ec;
	jsonw_object_end(&w);
	struct og_event ev = {.type = type,
	                      .object_type = "subscription",
	                      .object_id = sub->id,
	                      .customer_id = sub->customer_id,
	                      .currency = sub->currency,
	                      .has_mrr = true,
	                      .mrr_before = mrr_before,
	                      .mrr_after = billing_mrr(sub, items, n_items),
	                      .data = jsonw_take(&w, NULL),
	                      .created = bc->now,
	                      .request_id = bc->request_id,
	                      .idempotency_key = bc->idempotency_key};
	enum db_rc rc = store_event_insert(bc->db, &ev);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "event insert");
	return OG_EC_NONE;
}

enum og_ec billing_sub_transition(struct billing_ctx *bc, struct og_subscription *sub, enum sub_event ev)
{
	enum sub_status to;
	if (!sub_status_name(sub->status))
		return OG_BUG(bc->err, "unknown subscription status in the database");
	if (!sub_fsm_next(sub->status, ev, &to))
		return og_err(bc->err, OG_EC_SUB_STATUS, NULL, "Cannot %s a subscription whose status is '%s'.",
		              sub_event_name(ev), sub_status_name(sub->status));
	sub->status = to;
	return OG_EC_NONE;
}

static enum og_ec overflow(struct billing_ctx *bc)
{
	return og_err(bc->err, OG_EC_PARAM_AMOUNT, NULL,
	              "A line or the total of this invoice would exceed the largest amount, %lld minor units.",
	              (long long)MONEY_AMOUNT_MAX);
}

enum og_ec billing_items_fit(struct billing_ctx *bc, const struct og_sub_item *items, int n_items)
{
	int64_t amounts[BILLING_MAX_ITEMS];
	struct invoice_totals t;
	if (n_items < 0 || n_items > BILLING_MAX_ITEMS)
		return OG_BUG(bc->err, "more subscription items than an invoice holds");
	for (int i = 0; i < n_items; i++)
		if (!invoice_line_amount(items[i].unit_amount, items[i].quantity, &amounts[i]))
			return og_err(
			    bc->err, OG_EC_PARAM_AMOUNT, "items",
			    "unit_amount %lld × quantity %lld is more than the largest amount an invoice line "
			    "may have, %lld minor units.",
			    (long long)items[i].unit_amount, (long long)items[i].quantity, (long long)MONEY_AMOUNT_MAX);
	if (!invoice_totals_compute(amounts, (size_t)n_items, 0, &t))
		return og_err(bc->err, OG_EC_PARAM_AMOUNT, "items",
		              "The items together would bill more than the largest amount an invoice may have, %lld "
		              "minor units.",
		              (long long)MONEY_AMOUNT_MAX);
	return OG_EC_NONE;
}

/* The next number of the invoice's series, taken inside the caller's
 * transaction (a rollback returns it, so the series stays gap-free): the
 * account's counter row, or the customer's own row with per-customer
 * numbering (no row shared between customers, so two workers billing
 * different customers never wait for each other here). */
static enum og_ec take_number(struct billing_ctx *bc, const struct og_invoice *inv, const char **out)
{
	char number[64];
	int64_t seq = 0;
	enum db_rc rc;
	if (bc->per_customer_numbers) {
		const char *prefix = NULL;
		rc = store_customer_number_take(bc->db, bc->arena, inv->customer_id, &prefix, &seq);
		if (rc != DB_ROW)
			return billing_db_error(bc, rc, "customer invoice number");
		if (!prefix)
			return og_err(bc->err, OG_EC_INTERNAL, NULL, "The customer has no invoice_prefix.");
		invoice_customer_number_format(prefix, seq, number, sizeof number);
	} else {
		rc = store_counter_take(bc->db, "invoice_number", 1, &seq);
		if (rc != DB_ROW)
			return billing_db_error(bc, rc, "invoice number");
		invoice_number_format(bc->invoice_prefix, seq, number, sizeof number);
	}
	*out = arena_strdup(bc->arena, number);
	return OG_EC_NONE;
}

enum og_ec billing_invoice_finalize(struct billing_ctx *bc, struct og_invoice *inv, const struct og_invoice_line *lines,
                                    int n_lines)
{
	enum invoice_status to;
	if (!invoice_fsm_next(inv->status, INV_EV_FINALIZE, &to))
		return og_err(bc->err, OG_EC_INVOICE_STATUS, NULL, "Cannot finalize an invoice whose status is '%s'.",
		              invoice_status_name(inv->status) ? invoice_status_name(inv->status) : "unknown");
	enum og_ec ec = take_number(bc, inv, &inv->number);
	if (ec)
		return ec;
	inv->status = to;
	inv->finalized_at = bc->now;
	if (inv->collection_method == COLLECTION_SEND_INVOICE) {
		int64_t days = inv->has_days_until_due ? inv->days_until_due : 30;
		inv->due_date = bc->now + days * 86400;
	}
	if ((ec = billing_balance_finalize(bc, inv)))
		return ec;
	bool paid_now = inv->amount_due == 0;
	if (paid_now) { /* nothing to collect: paid at once, as Stripe does */
		inv->status = INV_PAID;
		inv->paid_at = bc->now;
		inv->amount_remaining = 0;
	}
	enum db_rc rc = store_invoice_update(bc->db, inv);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "invoice finalize");
	ec = billing_invoice_event(bc, "invoice.finalized", inv, lines, n_lines, false);
	if (!ec && paid_now && !bc->quiet_events)
		ec = billing_invoice_event(bc, "invoice.paid", inv, lines, n_lines, false);
	return ec;
}

enum og_ec billing_invoice_recompute(struct billing_ctx *bc, struct og_invoice *inv)
{
	struct store_list lines;
	enum db_rc rc = store_invoice_lines_of(bc->db, bc->arena, inv->id, &lines);
	if (rc != DB_OK)
		return billing_db_error(bc, rc, "invoice lines");
	int64_t *amounts = arena_alloc(bc->arena, sizeof(int64_t) * (size_t)(lines.n + 1));
	for (int i = 0; i < lines.n; i++)
		amounts[i] = ((struct og_invoice_line *)lines.rows)[i].amount;
	struct invoice_totals t;
	if (!invoice_totals_compute(amounts, (size_t)lines.n, inv->amount_paid, &t))
		return overflow(bc);
	inv->subtotal = t.subtotal;
	inv->total = t.total;
	inv->amount_due = t.amount_due;
	inv->amount_remaining = t.amount_remaining;
	rc = store_invoice_update(bc->db, inv);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "invoice update");
}

void billing_line_from_item(const struct og_invoice_item *it, int64_t invoice_id, struct og_invoice_line *l)
{
	*l = (struct og_invoice_line){
	    .invoice_id = invoice_id,
	    .line_type = LINE_INVOICEITEM,
	    .subscription_id = it->subscription_id,
	    .subscription_item_id = it->subscription_item_id,
	    .invoice_item_id = it->id,
	    .price_id = it->price_id,
	    .description = it->description,
	    .has_unit_amount = it->has_unit_amount,
	    .unit_amount = it->unit_amount,
	    .quantity = it->quantity,
	    .amount = it->amount,
	    .currency = it->currency,
	    .period_start = it->period_start,
	    .period_end = it->period_end,
	    .proration = it->proration,
	};
}

enum og_ec billing_invoice_lines(struct billing_ctx *bc, const struct og_subscription *sub,
                                 const struct og_sub_item *items, int n_items, const struct billing_invoice_spec *spec,
                                 struct og_invoice_line **lines_out, int *n_lines_out, struct invoice_totals *totals)
{
	struct store_list pending = {0};
	enum db_rc rc;
	if (spec->include_pending) {
		rc = store_invoice_items_pending(bc->db, bc->arena, sub->customer_id, sub->id, sub->currency, &pending);
		if (rc != DB_OK)
			return billing_db_error(bc, rc, "pending invoice items");
		/* an invoice has at most BILLING_MAX_LINES lines: the newest items wait for the next one */
		int room = BILLING_MAX_LINES - (spec->item_lines ? n_items : 0);
		if (pending.n > room)
			pending.n = room;
	}
	/* a trial bills 0 now, but the items' full amounts are what its
	 * cycles will bill: checked against the cap all the same */
	enum og_ec ec;
	if (spec->item_lines && (ec = billing_items_fit(bc, items, n_items)))
		return ec;
	int n_lines = (spec->item_lines ? n_items : 0) + pending.n;
	struct og_invoice_line *lines = arena_alloc(bc->arena, sizeof *lines * (size_t)(n_lines + 1));
	int64_t *amounts = arena_alloc(bc->arena, sizeof(int64_t) * (size_t)(n_lines + 1));
	int k = 0;
	for (int i = 0; spec->item_lines && i < n_items; i++, k++) {
		const struct og_sub_item *it = &items[i];
		struct og_invoice_line *l = &lines[k];
		l->line_type = LINE_SUBSCRIPTION;
		l->subscription_id = sub->id;
		l->subscription_item_id = it->id;
		l->price_id = it->price_id;
		l->has_unit_amount = true;
		l->unit_amount = it->unit_amount;
		l->quantity = it->quantity;
		l->currency = sub->currency;
		l->period_start = spec->period_start;
		l->period_end = spec->period_end;
		if (spec->trial) {
			l->amount = 0;
			l->description = arena_printf(bc->arena, "Trial period for %s", billing_item_name(it));
		} else {
			if (!invoice_line_amount(it->unit_amount, it->quantity, &l->amount))
				return overflow(bc);
			l->description = billing_item_description(bc, sub, it);
			if (spec->prorate_den > 0) {
				if (!money_muldiv(l->amount, spec->period_end - spec->period_start, spec->prorate_den,
				                  &l->amount))
					return overflow(bc);
				l->proration = true;
				l->description = arena_printf(bc->arena, "Remaining time on %s", l->description);
			}
		}
		amounts[k] = l->amount;
	}
	for (int i = 0; i < pending.n; i++, k++) {
		billing_line_from_item((struct og_invoice_item *)pending.rows + i, 0, &lines[k]);
		amounts[k] = lines[k].amount;
	}
	if (!invoice_totals_compute(amounts, (size_t)n_lines, 0, totals))
		return overflow(bc);
	*lines_out = lines;
	*n_lines_out = n_lines;
	return OG_EC_NONE;
}

enum og_ec billing_subscription_invoice(struct billing_ctx *bc, struct og_subscription *sub,
                                        const struct og_sub_item *items, int n_items,
                                        const struct billing_invoice_spec *spec, struct og_invoice *out,
                                        struct og_invoice_line **lines_out, int *n_lines_out)
{
	struct og_invoice_line *lines;
	int n_lines;
	struct invoice_totals t;
	enum og_ec ec = billing_invoice_lines(bc, sub, items, n_items, spec, &lines, &n_lines, &t);
	if (ec)
		return ec;
	enum db_rc rc;

	struct og_invoice inv = {
	    .customer_id = sub->customer_id,
	    .subscription_id = sub->id,
	    .status = INV_DRAFT,
	    .currency = sub->currency,
	    .billing_reason = spec->reason,
	    .collection_method = sub->collection_method,
	    .has_days_until_due = sub->has_days_until_due,
	    .days_until_due = sub->days_until_due,
	    .cycle_period_start = spec->cycle ? spec->period_start : 0,
	    .period_start = spec->period_start,
	    .period_end = spec->period_end,
	    .subtotal = t.subtotal,
	    .total = t.total,
	    .amount_due = t.amount_due,
	    .amount_remaining = t.amount_remaining,
	    .metadata = "{}",
	    .created = bc->now,
	};
	rc = store_invoice_insert(bc->db, &inv);
	if (rc == DB_CONSTRAINT)
		return og_err(bc->err, OG_EC_STATE_CONFLICT, NULL,
		              "This subscription period has already been invoiced.");
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "invoice insert");
	for (int i = 0; i < n_lines; i++) {
		lines[i].invoice_id = inv.id;
		if ((rc = store_invoice_line_insert(bc->db, &lines[i])) != DB_ROW)
			return billing_db_error(bc, rc, "invoice line insert");
		if (lines[i].invoice_item_id &&
		    (rc = store_invoice_item_attach(bc->db, lines[i].invoice_item_id, inv.id)) != DB_ROW)
			return billing_db_error(bc, rc, "invoice item attach");
	}
	if (!bc->quiet_events && (ec = billing_invoice_event(bc, "invoice.created", &inv, lines, n_lines, false)))
		return ec;
	if ((ec = billing_invoice_finalize(bc, &inv, lines, n_lines)))
		return ec;
	sub->latest_invoice_id = inv.id;
	if (out)
		*out = inv;
	if (lines_out)
		*lines_out = lines;
	if (n_lines_out)
		*n_lines_out = n_lines;
	return OG_EC_NONE;
}

enum og_ec billing_metadata_apply(struct billing_ctx *bc, const char *stored, json_t *changes, const char **out)
{
	json_t *md = NULL; /* most stored metadata is "{}": skip the parser */
	if (stored && strcmp(stored, "{}"))
		md = json_loads(stored, 0, NULL);
	if (!json_is_object(md)) {
		json_decref(md);
		md = json_object();
	}
	if (json_is_null(changes)) {
		json_object_clear(md);
	} else if (json_is_object(changes)) {
		const char *k;
		json_t *v;
		json_object_foreach(changes, k, v)
		{
			const char *s = json_string_value(v);
			if (s && *s == 0)
				json_object_del(md, k);
			else
				json_object_set(md, k, v);
		}
	}
	if (json_object_size(md) > 50) {
		json_decref(md);
		return og_err(bc->err, OG_EC_PARAM_INVALID, "metadata", "Metadata can have at most 50 keys.");
	}
	char *text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(md);
	*out = arena_strdup(bc->arena, text ? text : "{}");
	free(text);
	return OG_EC_NONE;
}
