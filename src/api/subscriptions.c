/* HTTP handlers for /v1/subscriptions and GET /v1/invoices/upcoming.
 * The state machine is core/subscription_fsm.c, the date math
 * core/calendar.c and core/proration.c, invoicing billing/service.c, SQL
 * store/subscriptions.c. "Now" is the customer's: its test clock's frozen
 * time when it has one.
 *
 * Choices where Stripe leaves room (docs/api/subscriptions.md):
 * - a price's trial_period_days applies when the request names no trial;
 * - billing_cycle_anchor in the future bills [now, anchor) prorated against
 *   one full interval starting now; it cannot be combined with a trial;
 * - resume with billing_cycle_anchor=unchanged bills nothing for the rest of
 *   the current period; =now (the default) starts a new period and bills it. */
#include "api/api.h"
#include "api/common.h"
#include "billing/service.h"
#include "core/calendar.h"
#include "core/invoice_calc.h"
#include "core/money.h"
#include "core/proration.h"

#include <string.h>

#define SUB_TRIAL_DAYS_MAX     730
#define SUB_QUANTITY_MAX       1000000
#define SUB_DAYS_UNTIL_DUE_MAX 365
#define DAY                    86400

static const char *const collection_methods[] = {"charge_automatically", "send_invoice", NULL};
static const char *const proration_behaviors[] = {"create_prorations", "always_invoice", "none", NULL};
enum { PRORATE_CREATE, PRORATE_ALWAYS_INVOICE, PRORATE_NONE };
static const char *const resume_anchors[] = {"now", "unchanged", NULL};

/* A subscription with its live items, loaded for one request. */
struct sub_state {
	struct og_subscription sub;
	struct og_sub_item *items;
	int n_items;
	int64_t now; /* the customer's now */
	struct billing_ctx bc;
};

static void ctx_init(struct og_req *rq, struct sub_state *st)
{
	st->bc = (struct billing_ctx){.db = rq->db,
	                              .arena = rq->arena,
	                              .invoice_prefix = rq->cfg ? rq->cfg->invoice_prefix : "INV",
	                              .now = st->now,
	                              .err = &rq->err};
}

static enum og_ec load_items(struct og_req *rq, struct sub_state *st)
{
	enum db_rc rc = store_sub_items_of(rq->db, rq->arena, st->sub.id, BILLING_MAX_ITEMS, &st->items, &st->n_items);
	return rc == DB_OK ? OG_EC_NONE : api_db_error(rq, rc, "subscription items", NULL);
}

/* for_write: lock the row first, so concurrent changes (another request,
 * the billing engine) apply one after the other */
static enum og_ec load_sub(struct og_req *rq, struct sub_state *st, bool for_write)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", &id);
	if (ec)
		return ec;
	enum db_rc rc = for_write ? store_subscription_lock(rq->db, id) : DB_ROW;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	rc = store_subscription_get(rq->db, rq->arena, id, &st->sub);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	if ((ec = load_items(rq, st)))
		return ec;
	if ((ec = api_clock_now(rq, st->sub.test_clock_id, &st->now)))
		return ec;
	ctx_init(rq, st);
	return OG_EC_NONE;
}

/* The subscription as the API shows it, with full price objects. */
static enum og_ec reply_sub(struct og_req *rq, struct sub_state *st)
{
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	enum og_ec ec = billing_subscription_write(&st->bc, &w, &st->sub, st->items, st->n_items);
	return ec ? ec : api_reply_jsonw(rq, &w);
}

static enum og_ec write_sub(struct og_req *rq, struct sub_state *st)
{
	enum db_rc rc = store_subscription_update(rq->db, &st->sub);
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "subscription", NULL);
}

/* A price usable on this subscription: exists, active, recurring, and in the
 * subscription's currency and interval (when sub is set). */
static enum og_ec check_price(struct og_req *rq, const char *param, int64_t price_id, const struct og_subscription *sub,
                              struct og_price *out)
{
	enum db_rc rc = store_price_get(rq->db, rq->arena, price_id, out);
	char buf[ID_MAX_LEN];
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, param, "No such price: '%s'",
		              ids_encode(ID_PRICE, price_id, buf));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", param);
	if (!out->active)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, param, "The price '%s' is archived (active=false).",
		              ids_encode(ID_PRICE, price_id, buf));
	if (out->type != PRICE_RECURRING)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, param,
		              "The price '%s' is a one-time price; a subscription needs recurring prices.",
		              ids_encode(ID_PRICE, price_id, buf));
	if (sub && (strcmp(out->currency, sub->currency) || out->interval != sub->interval ||
	            out->interval_count != sub->interval_count))
		return og_err(&rq->err, OG_EC_CURRENCY_MISMATCH, param,
		              "All items of a subscription must share currency and billing interval: this "
		              "subscription bills %s every %lld %s, the price '%s' %s every %lld %s.",
		              sub->currency, (long long)sub->interval_count, cal_interval_name(sub->interval),
		              ids_encode(ID_PRICE, price_id, buf), out->currency, (long long)out->interval_count,
		              cal_interval_name(out->interval));
	return OG_EC_NONE;
}

/* The calendar stops at the end of year 9999 (CAL_TIME_INVALID past it). */
static enum og_ec check_period_end(struct og_req *rq, int64_t end)
{
	if (end == CAL_TIME_INVALID || end <= 0)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, NULL,
		              "The billing period would end after the year 9999, the last date oneGuard bills.");
	return OG_EC_NONE;
}

/* ---- confirm: draft -> active or trialing, first invoice ---- */

static enum og_ec confirm(struct og_req *rq, struct sub_state *st)
{
	struct og_subscription *s = &st->sub;
	int64_t now = st->now;
	int64_t trial_end = 0;
	if (s->requested_trial_end > now)
		trial_end = s->requested_trial_end;
	else if (s->has_trial_period_days && s->trial_period_days > 0)
		trial_end = now + s->trial_period_days * DAY;
	enum og_ec ec = billing_sub_transition(&st->bc, s, trial_end ? SUB_EV_CONFIRM_TRIAL : SUB_EV_CONFIRM);
	if (ec)
		return ec;
	enum cal_interval iv = s->interval;
	struct billing_invoice_spec spec = {.reason = BILLING_REASON_SUBSCRIPTION_CREATE,
	                                    .item_lines = true,
	                                    .cycle = true,
	                                    .include_pending = true,
	                                    .period_start = now};
	s->start_date = now;
	if (trial_end) {
		s->trial_start = now;
		s->trial_end = trial_end;
		s->billing_cycle_anchor = trial_end;
		s->current_period_start = now;
		s->current_period_end = trial_end;
		spec.period_end = trial_end;
		spec.trial = true;
	} else {
		int64_t anchor = s->requested_anchor > now ? s->requested_anchor : now;
		s->billing_cycle_anchor = anchor;
		s->current_period_start = now;
		if (anchor == now) {
			s->current_period_end = cal_boundary(anchor, iv, (int)s->interval_count, 1);
		} else {
			s->current_period_end = anchor;
			int64_t full_end = cal_boundary(now, iv, (int)s->interval_count, 1);
			if ((ec = check_period_end(rq, full_end)))
				return ec;
			spec.prorate_den = full_end - now;
		}
		spec.period_end = s->current_period_end;
	}
	if ((ec = check_period_end(rq, s->current_period_end)))
		return ec;
	s->next_billing_at = s->current_period_end;
	if ((ec = billing_subscription_invoice(&st->bc, s, st->items, st->n_items, &spec, NULL, NULL, NULL)))
		return ec;
	if ((ec = write_sub(rq, st)))
		return ec;
	return billing_sub_event(&st->bc, "customer.subscription.updated", s, st->items, st->n_items, 0);
}

/* ---- create ---- */

struct item_input {
	int64_t id; /* si_ for updates */
	int64_t price;
	int64_t quantity;
	bool has_id, has_price, has_quantity, deleted;
	json_t *metadata;
	bool has_metadata;
};

struct items_input {
	struct item_input items[BILLING_MAX_ITEMS];
	int n;
	bool for_update;
};

static enum og_ec parse_item(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	struct items_input *in = ctx;
	(void)index;
	struct item_input *it = &in->items[in->n];
	*it = (struct item_input){.quantity = 1};
	struct param_spec spec[] = {
	    PARAM_ID("price", ID_PRICE, &it->price, &it->has_price, in->for_update ? 0 : P_REQUIRED),
	    PARAM_INT64("quantity", &it->quantity, &it->has_quantity, 1, SUB_QUANTITY_MAX, 0),
	    PARAM_METADATA("metadata", &it->metadata, &it->has_metadata),
	    PARAM_END,
	};
	struct param_spec spec_update[] = {
	    PARAM_ID("id", ID_SUB_ITEM, &it->id, &it->has_id, 0),
	    PARAM_ID("price", ID_PRICE, &it->price, &it->has_price, 0),
	    PARAM_INT64("quantity", &it->quantity, &it->has_quantity, 1, SUB_QUANTITY_MAX, 0),
	    PARAM_BOOL("deleted", &it->deleted, NULL, 0),
	    PARAM_METADATA("metadata", &it->metadata, &it->has_metadata),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, elem, in->for_update ? spec_update : spec, path);
	if (ec)
		return ec;
	in->n++;
	return OG_EC_NONE;
}

enum og_ec api_subscriptions_create(struct og_req *rq)
{
	struct sub_state st = {0};
	struct og_subscription *s = &st.sub;
	struct items_input in = {0};
	int64_t customer_id = 0, trial_days = 0, trial_end = 0, anchor = 0, days_until_due = 0;
	bool has_trial_days = false, has_trial_end = false, has_anchor = false, has_days = false, do_confirm = false;
	bool cancel_at_period_end = false;
	int collection = 0;
	json_t *metadata = NULL;
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &customer_id, NULL, P_REQUIRED),
	    PARAM_ARRAY("items", parse_item, &in, NULL, BILLING_MAX_ITEMS, P_REQUIRED),
	    PARAM_INT64("trial_period_days", &trial_days, &has_trial_days, 0, SUB_TRIAL_DAYS_MAX, 0),
	    PARAM_TIMESTAMP("trial_end", &trial_end, &has_trial_end, 0),
	    PARAM_TIMESTAMP("billing_cycle_anchor", &anchor, &has_anchor, 0),
	    PARAM_BOOL("cancel_at_period_end", &cancel_at_period_end, NULL, 0),
	    PARAM_ENUM("collection_method", &collection, NULL, collection_methods, 0),
	    PARAM_INT64("days_until_due", &days_until_due, &has_days, 1, SUB_DAYS_UNTIL_DUE_MAX, 0),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_BOOL("confirm", &do_confirm, NULL, 0),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
	if (in.n == 0)
		return og_err(&rq->err, OG_EC_PARAM_MISSING, "items", "A subscription needs at least one item.");
	if (has_trial_days && has_trial_end)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "trial_end",
		              "Pass either trial_period_days or trial_end, not both.");
	if (has_days && collection != 1)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "days_until_due",
		              "days_until_due applies only with collection_method=send_invoice.");

	struct og_customer cus;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, customer_id, &cus);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              json_string_value(json_object_get(rq->body, "customer")));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	int64_t clock_id = 0;
	if ((rc = store_customer_test_clock(rq->db, customer_id, &clock_id)) != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if ((ec = api_clock_now(rq, clock_id, &st.now)))
		return ec;
	ctx_init(rq, &st);

	if (has_trial_end && trial_end <= st.now)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "trial_end", "trial_end must be in the future.");
	if (has_anchor && (has_trial_days || has_trial_end))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "billing_cycle_anchor",
		              "billing_cycle_anchor cannot be combined with a trial: the trial's end is the anchor.");

	struct og_price prices[BILLING_MAX_ITEMS];
	for (int i = 0; i < in.n; i++) {
		char param[48];
		snprintf(param, sizeof param, "items[%d][price]", i);
		if ((ec = check_price(rq, param, in.items[i].price, i ? s : NULL, &prices[i])))
			return ec;
		if (i == 0) { /* the first price fixes currency and interval */
			s->currency = prices[0].currency;
			s->interval = prices[0].interval;
			s->interval_count = prices[0].interval_count;
		}
		for (int j = 0; j < i; j++)
			if (in.items[j].price == in.items[i].price)
				return og_err(&rq->err, OG_EC_PARAM_INVALID, param,
				              "The same price appears twice: use one item with a quantity.");
	}
	if (cus.currency && strcmp(cus.currency, s->currency))
		return og_err(&rq->err, OG_EC_CURRENCY_MISMATCH, "items[0][price]",
		              "The customer is billed in %s; this subscription's prices are in %s.", cus.currency,
		              s->currency);
	if (has_anchor) {
		enum cal_interval iv = s->interval;
		int64_t limit = cal_boundary(st.now, iv, (int)s->interval_count, 1);
		if (anchor <= st.now || anchor > limit)
			return og_err(
			    &rq->err, OG_EC_PARAM_INVALID, "billing_cycle_anchor",
			    "billing_cycle_anchor must be in the future and within one billing interval from now.");
	}

	s->customer_id = customer_id;
	s->test_clock_id = clock_id;
	s->status = SUB_DRAFT;
	s->collection_method = (enum collection_method)collection;
	s->has_days_until_due = s->collection_method == COLLECTION_SEND_INVOICE;
	s->days_until_due = has_days ? days_until_due : 30;
	if (!s->has_days_until_due)
		s->days_until_due = 0;
	s->requested_anchor = has_anchor ? anchor : 0;
	s->requested_trial_end = has_trial_end ? trial_end : 0;
	if (has_trial_days) {
		s->has_trial_period_days = true;
		s->trial_period_days = trial_days;
	} else if (!has_trial_end && !has_anchor && prices[0].has_trial_period_days) {
		s->has_trial_period_days = true;
		s->trial_period_days = prices[0].trial_period_days;
	}
	s->cancel_at_period_end = cancel_at_period_end;
	s->created = st.now;
	if ((ec = api_metadata_apply(rq, NULL, metadata, &s->metadata)))
		return ec;
	if ((rc = store_subscription_insert(rq->db, s)) != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	for (int i = 0; i < in.n; i++) {
		struct og_sub_item it = {.subscription_id = s->id,
		                         .price_id = in.items[i].price,
		                         .unit_amount = prices[i].unit_amount,
		                         .quantity = in.items[i].quantity,
		                         .created = st.now};
		if ((ec = api_metadata_apply(rq, NULL, in.items[i].metadata, &it.metadata)))
			return ec;
		if ((rc = store_sub_item_insert(rq->db, &it)) != DB_ROW)
			return api_db_error(rq, rc, "subscription item", NULL);
	}
	if ((ec = load_items(rq, &st)))
		return ec;
	if ((ec = billing_sub_event(&st.bc, "customer.subscription.created", s, st.items, st.n_items, 0)))
		return ec;
	if (do_confirm && (ec = confirm(rq, &st)))
		return ec;
	return reply_sub(rq, &st);
}

enum og_ec api_subscriptions_retrieve(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, false);
	return ec ? ec : reply_sub(rq, &st);
}

enum og_ec api_subscriptions_confirm(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, true);
	if (ec)
		return ec;
	struct param_spec spec[] = {PARAM_END};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (st.sub.status != SUB_DRAFT)
		return og_err(&rq->err, OG_EC_SUB_STATUS, NULL,
		              "Only a draft subscription can be confirmed; this one is '%s'.",
		              sub_status_name(st.sub.status));
	if ((ec = confirm(rq, &st)))
		return ec;
	return reply_sub(rq, &st);
}

/* ---- update: items, prorations, cancel_at_period_end, metadata ---- */

/* Writes the proration items for one item going from (old) to (new); either
 * side may be absent (quantity 0) for an added or removed item. */
static enum og_ec prorate_item(struct og_req *rq, struct sub_state *st, const struct og_sub_item *old_it,
                               const struct og_sub_item *new_it)
{
	const struct og_subscription *s = &st->sub;
	/* A first period cut short to reach a future anchor was billed as its share
	 * of one full interval (confirm's prorate_den): prorate against that
	 * interval too, or the credit would exceed what was paid for the time. */
	int64_t period_start = s->current_period_start;
	if (s->current_period_end == s->billing_cycle_anchor && s->current_period_start < s->billing_cycle_anchor) {
		enum cal_interval iv = s->interval;
		int64_t full_end = cal_boundary(s->current_period_start, iv, (int)s->interval_count, 1);
		if (full_end > s->current_period_end)
			period_start = s->current_period_end - (full_end - s->current_period_start);
	}
	struct proration pr;
	if (!proration_compute(period_start, s->current_period_end, st->now, old_it ? old_it->unit_amount : 0,
	                       old_it ? old_it->quantity : 0, new_it ? new_it->unit_amount : 0,
	                       new_it ? new_it->quantity : 0, &pr))
		return og_err(&rq->err, OG_EC_PARAM_AMOUNT, "items", "The proration amount is out of range.");
	char date[32];
	struct cal_civil c;
	cal_to_civil(st->now, &c);
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	snprintf(date, sizeof date, "%d %s %d", c.day, months[(c.month - 1) % 12], c.year);
	const struct og_sub_item *sides[2] = {old_it, new_it};
	int64_t amounts[2] = {pr.credit, pr.charge};
	for (int k = 0; k < 2; k++) {
		if (!sides[k] || amounts[k] == 0)
			continue;
		struct og_invoice_item ii = {
		    .customer_id = s->customer_id,
		    .subscription_id = s->id,
		    .subscription_item_id = sides[k]->id,
		    .price_id = sides[k]->price_id,
		    .description = arena_printf(rq->arena, "%s time on %lld × %s after %s", k ? "Remaining" : "Unused",
		                                (long long)sides[k]->quantity, billing_item_name(sides[k]), date),
		    .has_unit_amount = true,
		    .unit_amount = sides[k]->unit_amount,
		    .quantity = sides[k]->quantity,
		    .amount = amounts[k],
		    .currency = s->currency,
		    .period_start = st->now,
		    .period_end = s->current_period_end,
		    .proration = true,
		    .metadata = "{}",
		    .created = st->now,
		};
		enum db_rc rc = store_invoice_item_insert(rq->db, &ii);
		if (rc != DB_ROW)
			return api_db_error(rq, rc, "invoice item", NULL);
	}
	return OG_EC_NONE;
}

static bool in_period(const struct sub_state *st)
{
	const struct og_subscription *s = &st->sub;
	return (s->status == SUB_ACTIVE || s->status == SUB_PAST_DUE) && s->current_period_start &&
	       st->now >= s->current_period_start && st->now < s->current_period_end;
}

/* Refuses, before anything is written, an update that names one item twice
 * or would leave two items on one price: each change is then applied to the
 * subscription as it was, exactly once. */
static enum og_ec check_item_changes(struct og_req *rq, const struct sub_state *st, const struct items_input *in)
{
	char param[48];
	int64_t prices[BILLING_MAX_ITEMS * 2], owners[BILLING_MAX_ITEMS * 2];
	int n = 0;
	for (int j = 0; j < st->n_items; j++, n++) {
		prices[n] = st->items[j].price_id;
		owners[n] = st->items[j].id;
	}
	for (int i = 0; i < in->n; i++) {
		const struct item_input *x = &in->items[i];
		for (int k = 0; x->has_id && k < i; k++)
			if (in->items[k].has_id && in->items[k].id == x->id) {
				snprintf(param, sizeof param, "items[%d][id]", i);
				return og_err(
				    &rq->err, OG_EC_PARAM_INVALID, param,
				    "items[%d] and items[%d] name the same subscription item: change it once.", k, i);
			}
		/* the price set after this change */
		int at = -1;
		for (int k = 0; x->has_id && k < n; k++)
			if (owners[k] == x->id)
				at = k;
		if (x->deleted && at >= 0) {
			prices[at] = 0;
			continue;
		}
		if (!x->has_price)
			continue;
		for (int k = 0; k < n; k++)
			if (k != at && prices[k] == x->price) {
				snprintf(param, sizeof param, "items[%d][price]", i);
				return og_err(
				    &rq->err, OG_EC_PARAM_INVALID, param,
				    "The subscription would have two items with this price: use one item with a "
				    "quantity.");
			}
		if (at >= 0) {
			prices[at] = x->price;
		} else if (n < BILLING_MAX_ITEMS * 2) {
			prices[n] = x->price;
			owners[n++] = 0;
		}
	}
	return OG_EC_NONE;
}

enum og_ec api_subscriptions_update(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, true);
	if (ec)
		return ec;
	struct og_subscription *s = &st.sub;
	struct items_input in = {.for_update = true};
	int proration = PRORATE_CREATE, collection = -1;
	json_t *metadata = NULL;
	bool has_metadata = false, has_items = false, has_days = false;
	int64_t days_until_due = 0;
	struct param_spec spec[] = {
	    PARAM_ARRAY("items", parse_item, &in, &has_items, BILLING_MAX_ITEMS, 0),
	    PARAM_ENUM("proration_behavior", &proration, NULL, proration_behaviors, 0),
	    PARAM_BOOL("cancel_at_period_end", &s->cancel_at_period_end, NULL, 0),
	    PARAM_ENUM("collection_method", &collection, NULL, collection_methods, 0),
	    PARAM_INT64("days_until_due", &days_until_due, &has_days, 1, SUB_DAYS_UNTIL_DUE_MAX, 0),
	    PARAM_METADATA("metadata", &metadata, &has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	int64_t mrr_before = billing_mrr(s, st.items, st.n_items);
	enum sub_status status_before = s->status;
	if ((ec = billing_sub_transition(&st.bc, s, SUB_EV_UPDATE)))
		return ec;
	s->status = status_before;
	if (collection >= 0) {
		s->collection_method = (enum collection_method)collection;
		bool send_invoice = s->collection_method == COLLECTION_SEND_INVOICE;
		s->has_days_until_due = send_invoice;
		s->days_until_due = send_invoice ? (s->days_until_due ? s->days_until_due : 30) : 0;
	}
	if (has_days) {
		if (s->collection_method != COLLECTION_SEND_INVOICE)
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "days_until_due",
			              "days_until_due applies only with collection_method=send_invoice.");
		s->days_until_due = days_until_due;
	}
	if (has_metadata && (ec = api_metadata_apply(rq, s->metadata, metadata, &s->metadata)))
		return ec;

	if ((ec = check_item_changes(rq, &st, &in)))
		return ec;
	bool prorate = proration != PRORATE_NONE && in_period(&st);
	int n_live = st.n_items;
	for (int i = 0; i < in.n; i++) {
		struct item_input *x = &in.items[i];
		char param[48];
		struct og_sub_item *cur = NULL;
		if (x->has_id) {
			for (int j = 0; j < st.n_items; j++)
				if (st.items[j].id == x->id)
					cur = &st.items[j];
			if (!cur) {
				snprintf(param, sizeof param, "items[%d][id]", i);
				char buf[ID_MAX_LEN];
				return og_err(&rq->err, OG_EC_PARAM_ID, param,
				              "No such item on this subscription: '%s'",
				              ids_encode(ID_SUB_ITEM, x->id, buf));
			}
		}
		snprintf(param, sizeof param, "items[%d][price]", i);
		struct og_price price;
		if (x->has_price && (ec = check_price(rq, param, x->price, s, &price)))
			return ec;
		if (x->has_price)
			for (int j = 0; j < st.n_items; j++)
				if (st.items[j].price_id == x->price && &st.items[j] != cur)
					return og_err(&rq->err, OG_EC_PARAM_INVALID, param,
					              "This subscription already has an item with that price.");
		if (x->deleted) {
			if (!cur)
				return og_err(&rq->err, OG_EC_PARAM_MISSING, "items",
				              "items[%d][deleted] needs items[%d][id].", i, i);
			if (--n_live < 1)
				return og_err(&rq->err, OG_EC_PARAM_INVALID, "items",
				              "A subscription must keep at least one item; cancel it instead.");
			if (prorate && (ec = prorate_item(rq, &st, cur, NULL)))
				return ec;
			enum db_rc rc = store_sub_item_delete(rq->db, cur->id);
			if (rc != DB_ROW)
				return api_db_error(rq, rc, "subscription item", NULL);
			continue;
		}
		if (!cur) { /* a new item */
			if (!x->has_price)
				return og_err(&rq->err, OG_EC_PARAM_MISSING, param, "A new item needs a price.");
			struct og_sub_item it = {.subscription_id = s->id,
			                         .price_id = x->price,
			                         .unit_amount = price.unit_amount,
			                         .quantity = x->quantity,
			                         .created = st.now,
			                         .product_name = NULL};
			if ((ec = api_metadata_apply(rq, NULL, x->metadata, &it.metadata)))
				return ec;
			enum db_rc rc = store_sub_item_insert(rq->db, &it);
			if (rc != DB_ROW)
				return api_db_error(rq, rc, "subscription item", NULL);
			n_live++;
			if (prorate) {
				struct og_product prod;
				if (store_product_get(rq->db, rq->arena, price.product_id, &prod) == DB_ROW)
					it.product_name = prod.name;
				if ((ec = prorate_item(rq, &st, NULL, &it)))
					return ec;
			}
			continue;
		}
		struct og_sub_item next = *cur;
		if (x->has_price) {
			next.price_id = x->price;
			next.unit_amount = price.unit_amount;
			struct og_product prod;
			if (store_product_get(rq->db, rq->arena, price.product_id, &prod) == DB_ROW)
				next.product_name = prod.name;
			next.price_nickname = price.nickname;
		}
		if (x->has_quantity)
			next.quantity = x->quantity;
		if (x->has_metadata && (ec = api_metadata_apply(rq, cur->metadata, x->metadata, &next.metadata)))
			return ec;
		bool amount_changed = next.unit_amount != cur->unit_amount || next.quantity != cur->quantity ||
		                      next.price_id != cur->price_id;
		if (prorate && amount_changed && (ec = prorate_item(rq, &st, cur, &next)))
			return ec;
		enum db_rc rc = store_sub_item_update(rq->db, &next);
		if (rc != DB_ROW)
			return api_db_error(rq, rc, "subscription item", NULL);
	}
	if (has_items && (ec = load_items(rq, &st)))
		return ec;
	if (prorate && proration == PRORATE_ALWAYS_INVOICE && has_items) {
		struct billing_invoice_spec spec_now = {.period_start = st.now,
		                                        .period_end = s->current_period_end,
		                                        .reason = BILLING_REASON_SUBSCRIPTION_UPDATE,
		                                        .include_pending = true};
		struct store_list pending;
		enum db_rc rc =
		    store_invoice_items_pending(rq->db, rq->arena, s->customer_id, s->id, s->currency, &pending);
		if (rc != DB_OK)
			return api_db_error(rq, rc, "invoice items", NULL);
		if (pending.n > 0 &&
		    (ec = billing_subscription_invoice(&st.bc, s, st.items, st.n_items, &spec_now, NULL, NULL, NULL)))
			return ec;
	}
	if ((ec = write_sub(rq, &st)))
		return ec;
	if ((ec = billing_sub_event(&st.bc, "customer.subscription.updated", s, st.items, st.n_items, mrr_before)))
		return ec;
	return reply_sub(rq, &st);
}

/* ---- cancel, pause, resume ---- */

/* The end of a subscription canceled now (its status already moved):
 * pending items go to the customer, nothing is due again, one event. */
static enum og_ec end_now(struct og_req *rq, struct sub_state *st, int64_t mrr_before)
{
	struct og_subscription *s = &st->sub;
	/* what was not invoiced now (a proration credit, say) waits for the
	 * customer's next invoice instead of staying on a subscription that will
	 * never bill again */
	enum db_rc rc = store_invoice_items_release(rq->db, s->id);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "invoice items", NULL);
	s->canceled_at = st->now;
	s->ended_at = st->now;
	s->next_billing_at = 0;
	s->cancel_at_period_end = false;
	enum og_ec ec = write_sub(rq, st);
	if (ec)
		return ec;
	return billing_sub_event(&st->bc, "customer.subscription.deleted", s, st->items, st->n_items, mrr_before);
}

enum og_ec api_subscriptions_cancel(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, true);
	if (ec)
		return ec;
	struct og_subscription *s = &st.sub;
	bool prorate = false, invoice_now = false;
	struct param_spec spec[] = {
	    PARAM_BOOL("prorate", &prorate, NULL, 0),
	    PARAM_BOOL("invoice_now", &invoice_now, NULL, 0),
	    PARAM_IGNORE("cancellation_details"),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (!json_object_size(rq->body) && json_object_size(rq->query) &&
	    (ec = params_parse(rq, rq->query, spec, NULL))) /* DELETE parameters may come in the query */
		return ec;
	int64_t mrr_before = billing_mrr(s, st.items, st.n_items);
	bool was_billing = in_period(&st);
	bool was_draft = s->status == SUB_DRAFT;
	if ((ec = billing_sub_transition(&st.bc, s, SUB_EV_CANCEL)))
		return ec;
	if (prorate && was_billing) {
		for (int i = 0; i < st.n_items; i++) {
			/* credit only: the old item leaves, nothing replaces it */
			if ((ec = prorate_item(rq, &st, &st.items[i], NULL)))
				return ec;
		}
	}
	if (invoice_now && !was_draft) { /* a draft is never invoiced, not even the customer's pending items */
		struct store_list pending;
		enum db_rc rc =
		    store_invoice_items_pending(rq->db, rq->arena, s->customer_id, s->id, s->currency, &pending);
		if (rc != DB_OK)
			return api_db_error(rq, rc, "invoice items", NULL);
		struct billing_invoice_spec final = {.period_start = st.now,
		                                     .period_end = st.now,
		                                     .reason = BILLING_REASON_SUBSCRIPTION_UPDATE,
		                                     .include_pending = true};
		if (pending.n > 0 &&
		    (ec = billing_subscription_invoice(&st.bc, s, st.items, st.n_items, &final, NULL, NULL, NULL)))
			return ec;
	}
	if ((ec = end_now(rq, &st, mrr_before)))
		return ec;
	return reply_sub(rq, &st);
}

/* Deleting a customer cancels its live subscriptions now (as Stripe does),
 * without prorations or a final invoice: nothing bills a deleted customer. */
enum og_ec api_subscriptions_cancel_all(struct og_req *rq, int64_t customer_id)
{
	enum { BATCH = 100 };
	int64_t ids[BATCH];
	int n;
	do {
		enum db_rc rc = store_subscription_ids_live(rq->db, customer_id, BATCH, ids, &n);
		if (rc != DB_OK)
			return api_db_error(rq, rc, "subscriptions", NULL);
		for (int i = 0; i < n; i++) {
			struct sub_state st = {0};
			enum og_ec ec;
			if ((rc = store_subscription_lock(rq->db, ids[i])) != DB_ROW ||
			    (rc = store_subscription_get(rq->db, rq->arena, ids[i], &st.sub)) != DB_ROW)
				return api_db_error(rq, rc, "subscription", NULL);
			if ((ec = load_items(rq, &st)) || (ec = api_clock_now(rq, st.sub.test_clock_id, &st.now)))
				return ec;
			ctx_init(rq, &st);
			int64_t mrr_before = billing_mrr(&st.sub, st.items, st.n_items);
			if ((ec = billing_sub_transition(&st.bc, &st.sub, SUB_EV_CANCEL)) ||
			    (ec = end_now(rq, &st, mrr_before)))
				return ec;
		}
	} while (n == BATCH);
	return OG_EC_NONE;
}

enum og_ec api_subscriptions_pause(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, true);
	if (ec)
		return ec;
	struct param_spec spec[] = {PARAM_END};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	int64_t mrr_before = billing_mrr(&st.sub, st.items, st.n_items);
	if ((ec = billing_sub_transition(&st.bc, &st.sub, SUB_EV_PAUSE)))
		return ec;
	st.sub.paused_at = st.now;
	st.sub.next_billing_at = 0;
	if ((ec = write_sub(rq, &st)))
		return ec;
	if ((ec = billing_sub_event(&st.bc, "customer.subscription.paused", &st.sub, st.items, st.n_items, mrr_before)))
		return ec;
	return reply_sub(rq, &st);
}

enum og_ec api_subscriptions_resume(struct og_req *rq)
{
	struct sub_state st = {0};
	enum og_ec ec = load_sub(rq, &st, true);
	if (ec)
		return ec;
	struct og_subscription *s = &st.sub;
	int anchor_mode = 0;
	struct param_spec spec[] = {
	    PARAM_ENUM("billing_cycle_anchor", &anchor_mode, NULL, resume_anchors, 0),
	    PARAM_IGNORE("proration_behavior"),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if ((ec = billing_sub_transition(&st.bc, s, SUB_EV_RESUME)))
		return ec;
	enum cal_interval iv = s->interval;
	s->paused_at = 0;
	if (s->trial_end > st.now) /* pausing ends a trial: billing starts on resume */
		s->trial_end = st.now;
	if (anchor_mode == 0) {
		s->billing_cycle_anchor = st.now;
		s->current_period_start = st.now;
		s->current_period_end = cal_boundary(st.now, iv, (int)s->interval_count, 1);
		if ((ec = check_period_end(rq, s->current_period_end)))
			return ec;
		enum db_rc rc = store_invoice_cycle_exists(rq->db, s->id, st.now);
		if (rc == DB_DONE) {
			struct billing_invoice_spec cycle = {.period_start = s->current_period_start,
			                                     .period_end = s->current_period_end,
			                                     .reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
			                                     .item_lines = true,
			                                     .cycle = true,
			                                     .include_pending = true};
			if ((ec = billing_subscription_invoice(&st.bc, s, st.items, st.n_items, &cycle, NULL, NULL,
			                                       NULL)))
				return ec;
		} else if (rc != DB_ROW) {
			return api_db_error(rq, rc, "invoice", NULL);
		}
	} else {
		int64_t start, end, index;
		cal_period_at(s->billing_cycle_anchor, iv, (int)s->interval_count, st.now, &start, &end, &index);
		if (start > st.now) { /* before the anchor (a trial paused and resumed): [now, anchor), billed from the
			                 anchor */
			end = start;
			start = st.now;
		}
		if ((ec = check_period_end(rq, end)))
			return ec;
		s->current_period_start = start;
		s->current_period_end = end;
	}
	s->next_billing_at = s->current_period_end;
	if ((ec = write_sub(rq, &st)))
		return ec;
	if ((ec = billing_sub_event(&st.bc, "customer.subscription.resumed", s, st.items, st.n_items, 0)))
		return ec;
	return reply_sub(rq, &st);
}

/* ---- list ---- */

static bool sub_exists(struct og_req *rq, int64_t id)
{
	struct og_subscription s;
	return store_subscription_get(rq->db, rq->arena, id, &s) == DB_ROW;
}

static const char *const status_names[] = {"draft",  "trialing", "active", "past_due",
                                           "paused", "canceled", "unpaid", NULL};

enum og_ec api_subscriptions_list(struct og_req *rq)
{
	struct og_page page = {0};
	struct store_subscription_filter f = {0};
	int status = -1;
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_SUBSCRIPTION),
	    PARAM_ID("customer", ID_CUSTOMER, &f.customer_id, NULL, 0),
	    PARAM_ID("price", ID_PRICE, &f.price_id, NULL, 0),
	    PARAM_ENUM("status", &status, NULL, status_names, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	if (status >= 0) {
		f.has_status = true;
		f.status = (enum sub_status)status;
	}
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, sub_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_subscription_list(rq->db, rq->arena, &sp, &f, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "subscriptions", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++) {
		struct og_subscription *s = (struct og_subscription *)list.rows + i;
		struct og_sub_item *items;
		int n;
		if ((rc = store_sub_items_of(rq->db, rq->arena, s->id, BILLING_MAX_ITEMS, &items, &n)) != DB_OK)
			return api_db_error(rq, rc, "subscription items", NULL);
		struct billing_ctx bc = {.db = rq->db, .arena = rq->arena, .err = &rq->err};
		if ((ec = billing_subscription_write(&bc, &w, s, items, n)))
			return ec;
	}
	return api_list_end(rq, &w, list.has_more, "/v1/subscriptions");
}

/* ---- GET /v1/invoices/upcoming ---- */

enum og_ec api_invoices_upcoming(struct og_req *rq)
{
	int64_t sub_id = 0;
	struct param_spec spec[] = {
	    PARAM_ID("subscription", ID_SUBSCRIPTION, &sub_id, NULL, P_REQUIRED),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	struct sub_state st = {0};
	struct og_subscription *s = &st.sub;
	enum db_rc rc = store_subscription_get(rq->db, rq->arena, sub_id, s);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "subscription", "No such subscription: '%s'",
		              json_string_value(json_object_get(rq->query, "subscription")));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "subscription", NULL);
	if ((ec = load_items(rq, &st)) || (ec = api_clock_now(rq, s->test_clock_id, &st.now)))
		return ec;
	ctx_init(rq, &st);
	enum cal_interval iv = s->interval;
	int count = (int)s->interval_count;

	/* what the next invoice bills, as the engine or confirm will issue it */
	struct billing_invoice_spec next = {
	    .reason = BILLING_REASON_SUBSCRIPTION_CYCLE, .item_lines = true, .include_pending = true};
	if (s->status == SUB_CANCELED || s->status == SUB_PAUSED)
		return og_err(&rq->err, OG_EC_RESOURCE_MISSING, "subscription",
		              "No upcoming invoice: the subscription is %s.", sub_status_name(s->status));
	if (s->status == SUB_DRAFT) {
		next.reason = BILLING_REASON_SUBSCRIPTION_CREATE;
		next.period_start = st.now;
		int64_t trial_end = s->requested_trial_end > st.now ? s->requested_trial_end
		                    : (s->has_trial_period_days && s->trial_period_days > 0)
		                        ? st.now + s->trial_period_days * DAY
		                        : 0;
		if (trial_end) {
			next.period_end = trial_end;
			next.trial = true;
		} else if (s->requested_anchor > st.now) {
			next.period_end = s->requested_anchor;
			int64_t full_end = cal_boundary(st.now, iv, count, 1);
			if ((ec = check_period_end(rq, full_end)))
				return ec;
			next.prorate_den = full_end - st.now;
		} else {
			next.period_end = cal_boundary(st.now, iv, count, 1);
		}
	} else {
		next.period_start = s->current_period_end;
		int64_t index, pstart;
		cal_period_at(s->billing_cycle_anchor, iv, count, next.period_start, &pstart, &next.period_end, &index);
		if (s->cancel_at_period_end) { /* the engine's final invoice: pending items only, no new period */
			next.item_lines = false;
			next.period_end = next.period_start;
		}
	}
	if ((ec = check_period_end(rq, next.period_end)))
		return ec;
	struct og_invoice_line *lines;
	int n_lines;
	struct invoice_totals t;
	if ((ec = billing_invoice_lines(&st.bc, s, st.items, st.n_items, &next, &lines, &n_lines, &t)))
		return ec;
	if (n_lines == 0)
		return og_err(&rq->err, OG_EC_RESOURCE_MISSING, "subscription",
		              "No upcoming invoice: the subscription cancels at the end of its period.");
	int64_t start = next.period_start, end = next.period_end;
	enum billing_reason reason = next.reason;
	struct og_invoice inv = {.customer_id = s->customer_id,
	                         .subscription_id = s->id,
	                         .status = INV_DRAFT,
	                         .currency = s->currency,
	                         .billing_reason = reason,
	                         .collection_method = s->collection_method,
	                         .has_days_until_due = s->has_days_until_due,
	                         .days_until_due = s->days_until_due,
	                         .period_start = start,
	                         .period_end = end,
	                         .subtotal = t.subtotal,
	                         .total = t.total,
	                         .amount_due = t.amount_due,
	                         .amount_remaining = t.amount_remaining,
	                         .metadata = "{}",
	                         .created = start};
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_upcoming_invoice_render(&w, &inv, lines, n_lines, start);
	return api_reply_jsonw(rq, &w);
}
