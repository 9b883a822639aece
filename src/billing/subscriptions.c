/* The subscription lifecycle (see subscriptions.h): every decision about a
 * subscription that a request makes. Statuses move only through
 * billing_sub_transition (core/subscription_fsm.c); status tests read the
 * status as enum sub_status, never as a string. Periods come from
 * core/calendar.c, prorations from core/proration.c, invoices from
 * billing/service.c, rows from src/store. No HTTP here: parameters arrive
 * parsed, and errors name the API parameter at fault.
 *
 * Choices where Stripe leaves room (docs/api/subscriptions.md):
 * - a price's trial_period_days applies when the request names no trial;
 * - billing_cycle_anchor in the future bills [now, anchor) prorated against
 *   one full interval starting now; it cannot be combined with a trial;
 * - a draft shows a provisional period from its creation, replaced on
 *   confirm (Stripe never renders those fields as null);
 * - resume with billing_cycle_anchor=unchanged bills nothing for the rest of
 *   the current period; =now (the default) starts a new period and bills it;
 * - a change of interval, or billing_cycle_anchor=now, outside a paid period
 *   (draft, trialing, paused) moves no anchor: a draft's provisional period
 *   follows the new interval, a trial keeps its end as the anchor. */
#include "billing/subscriptions.h"
#include "billing/balance.h"
#include "core/calendar.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/proration.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400

/* ---- helpers ---- */

/* The stored status as the enum; SUB__COUNT for a value the state machine
 * does not know (billing_sub_transition reports that as a bug). */
static enum sub_status status_of(const struct og_subscription *s)
{
	return s->status;
}

/* Serving a paid period: changes are prorated, and an interval change or
 * billing_cycle_anchor=now starts a new period. */
static bool in_paid_status(const struct og_subscription *s)
{
	enum sub_status st = status_of(s);
	return st == SUB_ACTIVE || st == SUB_PAST_DUE;
}

static bool in_paid_period(const struct og_subscription *s, int64_t now)
{
	return in_paid_status(s) && s->current_period_start && now >= s->current_period_start &&
	       now < s->current_period_end;
}

static enum cal_interval interval_of(const struct og_subscription *s)
{
	return s->interval;
}

/* One interval from t on the subscription's calendar. */
static int64_t one_interval_after(const struct og_subscription *s, int64_t t)
{
	return cal_boundary(t, interval_of(s), (int)s->interval_count, 1);
}

/* The calendar stops at the end of year 9999 (CAL_TIME_INVALID past it). */
static enum og_ec check_period_end(struct billing_ctx *bc, int64_t end)
{
	if (end == CAL_TIME_INVALID || end <= 0)
		return og_err(bc->err, OG_EC_PARAM_INVALID, NULL,
		              "The billing period would end after the year 9999, the last date oneGuard bills.");
	return OG_EC_NONE;
}

/* "Now" for a customer: its test clock's frozen time, else the caller's. */
static enum og_ec clock_now(struct billing_ctx *bc, int64_t test_clock_id, int64_t *now)
{
	if (test_clock_id <= 0) {
		*now = bc->now;
		return OG_EC_NONE;
	}
	enum db_rc rc = store_test_clock_time(bc->db, test_clock_id, now);
	return rc == DB_ROW ? OG_EC_NONE : OG_BUG(bc->err, "an object's test clock is missing");
}

static enum og_ec load_items(struct billing_ctx *bc, struct billing_sub *bs)
{
	enum db_rc rc = store_sub_items_of(bc->db, bc->arena, bs->sub.id, BILLING_MAX_ITEMS, &bs->items, &bs->n_items);
	return rc == DB_OK ? OG_EC_NONE : billing_db_error(bc, rc, "subscription items");
}

static enum og_ec not_found(struct billing_ctx *bc, int64_t id, const char *param)
{
	char buf[ID_MAX_LEN];
	return og_err(bc->err, param ? OG_EC_PARAM_ID : OG_EC_RESOURCE_MISSING, param ? param : "id",
	              "No such subscription: '%s'", ids_encode(ID_SUBSCRIPTION, id, buf));
}

/* Loads subscription id with its items into *bs and sets *at to bc at the
 * customer's now. for_write: locks the row first, so concurrent changes
 * (another request, the billing engine) apply one after the other. A
 * missing subscription names param (NULL: the path's "id", a 404). */
static enum og_ec load(struct billing_ctx *bc, int64_t id, bool for_write, const char *param, struct billing_sub *bs,
                       struct billing_ctx *at)
{
	*bs = (struct billing_sub){0};
	enum db_rc rc = for_write ? store_subscription_lock(bc->db, id) : DB_ROW;
	if (rc == DB_ROW)
		rc = store_subscription_get(bc->db, bc->arena, id, &bs->sub);
	if (rc == DB_DONE || (rc == DB_ROW && !billing_owns(bc->customer_scope, bs->sub.customer_id)))
		return not_found(bc, id, param);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "subscription");
	enum og_ec ec = load_items(bc, bs);
	if (ec)
		return ec;
	*at = *bc;
	return clock_now(bc, bs->sub.test_clock_id, &at->now);
}

static enum og_ec write_sub(struct billing_ctx *bc, const struct og_subscription *s)
{
	enum db_rc rc = store_subscription_update(bc->db, s);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "subscription");
}

static bool same_interval(const struct og_price *p, enum cal_interval interval, int64_t count)
{
	return p->interval == interval && p->interval_count == count;
}

static enum og_ec mixed_intervals(struct billing_ctx *bc, const char *param, const struct og_price *p,
                                  enum cal_interval interval, int64_t count)
{
	char buf[ID_MAX_LEN];
	return og_err(bc->err, OG_EC_PARAM_INVALID, param,
	              "All items of a subscription must share one billing interval: the other items bill every "
	              "%lld %s, the price '%s' every %lld %s.",
	              (long long)count, cal_interval_name(interval), ids_encode(ID_PRICE, p->id, buf),
	              (long long)p->interval_count, cal_interval_name(p->interval));
}

/* A price usable on a subscription: exists, active, recurring, and in
 * currency when currency is set. */
static enum og_ec price_get(struct billing_ctx *bc, const char *param, int64_t price_id, const char *currency,
                            struct og_price *out)
{
	enum db_rc rc = store_price_get(bc->db, bc->arena, price_id, out);
	char buf[ID_MAX_LEN];
	if (rc == DB_DONE)
		return og_err(bc->err, OG_EC_PARAM_ID, param, "No such price: '%s'",
		              ids_encode(ID_PRICE, price_id, buf));
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "price");
	if (!out->active)
		return og_err(bc->err, OG_EC_PARAM_INVALID, param, "The price '%s' is archived (active=false).",
		              ids_encode(ID_PRICE, price_id, buf));
	if (out->type != PRICE_RECURRING)
		return og_err(bc->err, OG_EC_PARAM_INVALID, param,
		              "The price '%s' is a one-time price; a subscription needs recurring prices.",
		              ids_encode(ID_PRICE, price_id, buf));
	if (currency && strcmp(out->currency, currency))
		return og_err(bc->err, OG_EC_CURRENCY_MISMATCH, param,
		              "All items of a subscription must share one currency: this subscription bills in %s, "
		              "the price '%s' is in %s.",
		              currency, ids_encode(ID_PRICE, price_id, buf), out->currency);
	return OG_EC_NONE;
}

static const char *item_param(struct billing_ctx *bc, int i, const char *field)
{
	return arena_printf(bc->arena, "items[%d][%s]", i, field);
}

/* The first period of a draft confirmed at now, and the invoice it
 * issues: confirm issues it, the upcoming preview shows it. *trial_end is 0
 * without a trial; *anchor the new billing_cycle_anchor. */
static enum og_ec first_period(struct billing_ctx *bc, const struct og_subscription *s, int64_t now,
                               struct billing_invoice_spec *spec, int64_t *trial_end, int64_t *anchor)
{
	*spec = (struct billing_invoice_spec){.reason = BILLING_REASON_SUBSCRIPTION_CREATE,
	                                      .item_lines = true,
	                                      .cycle = true,
	                                      .include_pending = true,
	                                      .period_start = now};
	*trial_end = 0;
	if (s->requested_trial_end > now)
		*trial_end = s->requested_trial_end;
	else if (s->has_trial_period_days && s->trial_period_days > 0)
		*trial_end = now + s->trial_period_days * DAY;
	enum og_ec ec;
	if (*trial_end) {
		*anchor = *trial_end;
		spec->period_end = *trial_end;
		spec->trial = true;
	} else if (s->requested_anchor > now) {
		*anchor = s->requested_anchor;
		spec->period_end = s->requested_anchor;
		int64_t full_end = one_interval_after(s, now);
		if ((ec = check_period_end(bc, full_end)))
			return ec;
		spec->prorate_den = full_end - now;
	} else {
		*anchor = now;
		spec->period_end = one_interval_after(s, now);
	}
	return check_period_end(bc, spec->period_end);
}

/* Writes the proration items for one item going from old_it to new_it;
 * either side may be absent for an added or removed item. */
static enum og_ec prorate_item(struct billing_ctx *bc, const struct og_subscription *s,
                               const struct og_sub_item *old_it, const struct og_sub_item *new_it)
{
	/* A first period cut short to reach a future anchor was billed as its share
	 * of one full interval (first_period's prorate_den): prorate against that
	 * interval too, or the credit would exceed what was paid for the time. */
	int64_t period_start = s->current_period_start;
	if (s->current_period_end == s->billing_cycle_anchor && s->current_period_start < s->billing_cycle_anchor) {
		int64_t full_end = one_interval_after(s, s->current_period_start);
		if (full_end > s->current_period_end)
			period_start = s->current_period_end - (full_end - s->current_period_start);
	}
	struct proration pr;
	if (!proration_compute(period_start, s->current_period_end, bc->now, old_it ? old_it->unit_amount : 0,
	                       old_it ? old_it->quantity : 0, new_it ? new_it->unit_amount : 0,
	                       new_it ? new_it->quantity : 0, &pr))
		return og_err(bc->err, OG_EC_PARAM_AMOUNT, "items", "The proration amount is out of range.");
	char date[32];
	struct cal_civil c;
	cal_to_civil(bc->now, &c);
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
		    .description = arena_printf(bc->arena, "%s time on %lld × %s after %s", k ? "Remaining" : "Unused",
		                                (long long)sides[k]->quantity, billing_item_name(sides[k]), date),
		    .has_unit_amount = true,
		    .unit_amount = sides[k]->unit_amount,
		    .quantity = sides[k]->quantity,
		    .amount = amounts[k],
		    .currency = s->currency,
		    .period_start = bc->now,
		    .period_end = s->current_period_end,
		    .proration = true,
		    .metadata = "{}",
		    .created = bc->now,
		};
		enum db_rc rc = store_invoice_item_insert(bc->db, &ii);
		if (rc != DB_ROW)
			return billing_db_error(bc, rc, "invoice item");
	}
	return OG_EC_NONE;
}

/* An invoice now, [now, end), of the pending items (and the items for the
 * period with item_lines), when there is anything to bill. */
static enum og_ec invoice_now(struct billing_ctx *bc, struct billing_sub *bs, int64_t end, bool item_lines)
{
	struct og_subscription *s = &bs->sub;
	if (!item_lines) {
		struct store_list pending;
		enum db_rc rc =
		    store_invoice_items_pending(bc->db, bc->arena, s->customer_id, s->id, s->currency, &pending);
		if (rc != DB_OK)
			return billing_db_error(bc, rc, "invoice items");
		if (pending.n == 0)
			return OG_EC_NONE;
	}
	struct billing_invoice_spec spec = {.period_start = bc->now,
	                                    .period_end = end,
	                                    .reason = BILLING_REASON_SUBSCRIPTION_UPDATE,
	                                    .item_lines = item_lines,
	                                    .include_pending = true};
	return billing_subscription_invoice(bc, s, bs->items, bs->n_items, &spec, NULL, NULL, NULL);
}

/* ---- create, confirm, reads ---- */

/* draft -> active or trialing: the first period and its invoice. */
static enum og_ec confirm(struct billing_ctx *bc, struct billing_sub *bs)
{
	struct og_subscription *s = &bs->sub;
	struct billing_invoice_spec spec;
	int64_t trial_end, anchor;
	enum og_ec ec = first_period(bc, s, bc->now, &spec, &trial_end, &anchor);
	if (ec)
		return ec;
	if ((ec = billing_sub_transition(bc, s, trial_end ? SUB_EV_CONFIRM_TRIAL : SUB_EV_CONFIRM)))
		return ec;
	s->start_date = bc->now;
	s->billing_cycle_anchor = anchor;
	s->current_period_start = bc->now;
	s->current_period_end = spec.period_end;
	s->next_billing_at = spec.period_end;
	if (trial_end) {
		s->trial_start = bc->now;
		s->trial_end = trial_end;
	}
	if ((ec = billing_subscription_invoice(bc, s, bs->items, bs->n_items, &spec, NULL, NULL, NULL)))
		return ec;
	if ((ec = write_sub(bc, s)))
		return ec;
	return billing_sub_event(bc, "customer.subscription.updated", s, bs->items, bs->n_items, 0);
}

/* A draft's provisional period: anchored at its creation, one interval
 * long, so that a draft renders the integers Stripe always sends. Replaced
 * on confirm. */
static enum og_ec provisional_period(struct billing_ctx *bc, struct og_subscription *s)
{
	s->start_date = s->created;
	s->billing_cycle_anchor = s->created;
	s->current_period_start = s->created;
	s->current_period_end = one_interval_after(s, s->created);
	return check_period_end(bc, s->current_period_end);
}

enum og_ec billing_sub_create(struct billing_ctx *bc0, const struct billing_sub_create_input *in,
                              struct billing_sub *out)
{
	struct billing_ctx bc_at = *bc0, *bc = &bc_at;
	*out = (struct billing_sub){0};
	struct og_subscription *s = &out->sub;
	char buf[ID_MAX_LEN];
	if (in->n_items == 0)
		return og_err(bc->err, OG_EC_PARAM_MISSING, "items", "A subscription needs at least one item.");
	if (in->has_trial_period_days && in->has_trial_end)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "trial_end",
		              "Pass either trial_period_days or trial_end, not both.");
	if (in->has_days_until_due && in->collection_method != BILLING_COLLECT_SEND_INVOICE)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "days_until_due",
		              "days_until_due applies only with collection_method=send_invoice.");

	struct og_customer cus;
	enum db_rc rc = store_customer_get(bc->db, bc->arena, in->customer, &cus);
	if (rc == DB_DONE)
		return og_err(bc->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              ids_encode(ID_CUSTOMER, in->customer, buf));
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer");
	int64_t clock_id = 0;
	if ((rc = store_customer_test_clock(bc->db, in->customer, &clock_id)) != DB_ROW)
		return billing_db_error(bc, rc, "customer");
	enum og_ec ec = clock_now(bc0, clock_id, &bc->now);
	if (ec)
		return ec;
	int64_t now = bc->now;

	if (in->has_trial_end && in->trial_end <= now)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "trial_end", "trial_end must be in the future.");
	if (in->has_billing_cycle_anchor && (in->has_trial_period_days || in->has_trial_end))
		return og_err(bc->err, OG_EC_PARAM_INVALID, "billing_cycle_anchor",
		              "billing_cycle_anchor cannot be combined with a trial: the trial's end is the anchor.");

	struct og_price prices[BILLING_MAX_ITEMS];
	for (int i = 0; i < (int)in->n_items; i++) {
		const char *param = item_param(bc, i, "price");
		/* the first price fixes currency and interval */
		if ((ec = price_get(bc, param, in->items[i].price, i ? s->currency : NULL, &prices[i])))
			return ec;
		if (i == 0) {
			s->currency = prices[0].currency;
			s->interval = prices[0].interval;
			s->interval_count = prices[0].interval_count;
		} else if (!same_interval(&prices[i], s->interval, s->interval_count)) {
			return mixed_intervals(bc, param, &prices[i], s->interval, s->interval_count);
		}
		for (int j = 0; j < i; j++)
			if (in->items[j].price == in->items[i].price)
				return og_err(bc->err, OG_EC_PARAM_INVALID, param,
				              "The same price appears twice: use one item with a quantity.");
	}
	if (cus.currency && strcmp(cus.currency, s->currency))
		return og_err(bc->err, OG_EC_CURRENCY_MISMATCH, "items[0][price]",
		              "The customer is billed in %s; this subscription's prices are in %s.", cus.currency,
		              s->currency);
	if (in->has_billing_cycle_anchor) {
		int64_t limit = one_interval_after(s, now);
		if (in->billing_cycle_anchor <= now || in->billing_cycle_anchor > limit)
			return og_err(
			    bc->err, OG_EC_PARAM_INVALID, "billing_cycle_anchor",
			    "billing_cycle_anchor must be in the future and within one billing interval from now.");
	}

	s->customer_id = in->customer;
	s->test_clock_id = clock_id;
	s->status = SUB_DRAFT;
	bool send_invoice = in->collection_method == BILLING_COLLECT_SEND_INVOICE;
	s->collection_method = send_invoice ? COLLECTION_SEND_INVOICE : COLLECTION_CHARGE_AUTOMATICALLY;
	s->has_days_until_due = send_invoice;
	s->days_until_due = !send_invoice ? 0 : in->has_days_until_due ? in->days_until_due : 30;
	s->requested_anchor = in->has_billing_cycle_anchor ? in->billing_cycle_anchor : 0;
	s->requested_trial_end = in->has_trial_end ? in->trial_end : 0;
	if (in->has_trial_period_days) {
		s->has_trial_period_days = true;
		s->trial_period_days = in->trial_period_days;
	} else if (!in->has_trial_end && !in->has_billing_cycle_anchor && prices[0].has_trial_period_days) {
		s->has_trial_period_days = true;
		s->trial_period_days = prices[0].trial_period_days;
	}
	s->cancel_at_period_end = in->cancel_at_period_end;
	s->created = now;
	if ((ec = provisional_period(bc, s)))
		return ec;
	if ((ec = billing_metadata_apply(bc, NULL, in->metadata, &s->metadata)))
		return ec;
	if ((rc = store_subscription_insert(bc->db, s)) != DB_ROW)
		return billing_db_error(bc, rc, "subscription");
	for (int i = 0; i < (int)in->n_items; i++) {
		struct og_sub_item it = {.subscription_id = s->id,
		                         .price_id = in->items[i].price,
		                         .unit_amount = prices[i].unit_amount,
		                         .quantity = in->items[i].quantity,
		                         .created = now};
		if ((ec = billing_metadata_apply(bc, NULL, in->items[i].metadata, &it.metadata)))
			return ec;
		if ((rc = store_sub_item_insert(bc->db, &it)) != DB_ROW)
			return billing_db_error(bc, rc, "subscription item");
	}
	if ((ec = load_items(bc, out)))
		return ec;
	if ((ec = billing_sub_event(bc, "customer.subscription.created", s, out->items, out->n_items, 0)))
		return ec;
	return in->confirm ? confirm(bc, out) : OG_EC_NONE;
}

enum og_ec billing_sub_retrieve(struct billing_ctx *bc, int64_t id, struct billing_sub *out)
{
	struct billing_ctx at;
	return load(bc, id, false, NULL, out, &at);
}

bool billing_sub_exists(struct billing_ctx *bc, int64_t id)
{
	struct og_subscription s;
	return store_subscription_get(bc->db, bc->arena, id, &s) == DB_ROW &&
	       billing_owns(bc->customer_scope, s.customer_id);
}

enum og_ec billing_sub_confirm(struct billing_ctx *bc, int64_t id, struct billing_sub *out)
{
	struct billing_ctx at;
	enum og_ec ec = load(bc, id, true, NULL, out, &at);
	if (ec)
		return ec;
	if (status_of(&out->sub) != SUB_DRAFT)
		return og_err(bc->err, OG_EC_SUB_STATUS, NULL,
		              "Only a draft subscription can be confirmed; this one is '%s'.",
		              sub_status_name(out->sub.status));
	return confirm(&at, out);
}

enum og_ec billing_sub_list(struct billing_ctx *bc, const struct store_page *page,
                            const struct store_subscription_filter *filter, const struct store_range *created,
                            struct billing_sub **out, int *n, bool *has_more)
{
	struct store_subscription_filter f = *filter;
	struct store_list list = {0};
	if (billing_scope_filter(bc->customer_scope, &f.customer_id)) {
		enum db_rc rc = store_subscription_list(bc->db, bc->arena, page, &f, created, &list);
		if (rc != DB_OK)
			return billing_db_error(bc, rc, "subscriptions");
	}
	struct billing_sub *subs = arena_alloc(bc->arena, sizeof *subs * (size_t)(list.n + 1));
	for (int i = 0; i < list.n; i++) {
		subs[i] = (struct billing_sub){.sub = ((struct og_subscription *)list.rows)[i]};
		enum og_ec ec = load_items(bc, &subs[i]);
		if (ec)
			return ec;
	}
	*out = subs;
	*n = list.n;
	*has_more = list.has_more;
	return OG_EC_NONE;
}

/* ---- update ---- */

/* Refuses, before anything is written, an update that names one item twice
 * or would leave two items on one price: each change is then applied to the
 * subscription as it was, exactly once. */
static enum og_ec check_item_changes(struct billing_ctx *bc, const struct billing_sub *bs,
                                     const struct billing_sub_update_input *in)
{
	int64_t prices[BILLING_MAX_ITEMS * 2], owners[BILLING_MAX_ITEMS * 2];
	int n = 0;
	for (int j = 0; j < bs->n_items; j++, n++) {
		prices[n] = bs->items[j].price_id;
		owners[n] = bs->items[j].id;
	}
	for (int i = 0; i < (int)in->n_items; i++) {
		const struct billing_sub_item_input *x = &in->items[i];
		for (int k = 0; x->has_id && k < i; k++)
			if (in->items[k].has_id && in->items[k].id == x->id)
				return og_err(
				    bc->err, OG_EC_PARAM_INVALID, item_param(bc, i, "id"),
				    "items[%d] and items[%d] name the same subscription item: change it once.", k, i);
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
			if (k != at && prices[k] == x->price)
				return og_err(bc->err, OG_EC_PARAM_INVALID, item_param(bc, i, "price"),
				              "The subscription would have two items with this price: use one item "
				              "with a quantity.");
		if (at >= 0) {
			prices[at] = x->price;
		} else if (n < BILLING_MAX_ITEMS * 2) {
			prices[n] = x->price;
			owners[n++] = 0;
		}
	}
	return OG_EC_NONE;
}

/* One item change, checked: the item it changes (NULL for a new one) and
 * the price it moves to (with has_price). */
struct item_change {
	struct og_sub_item *cur;
	struct og_price price;
};

/* Checks every item change against the subscription as it is, before
 * anything is written, and finds the interval the items share after the
 * change (*interval, *count): the one of the items kept on their price,
 * else the one of the first new price; every new price must be on it. */
static enum og_ec check_items(struct billing_ctx *bc, struct billing_sub *bs, const struct billing_sub_update_input *in,
                              struct item_change *changes, enum cal_interval *interval, int64_t *count)
{
	const struct og_subscription *s = &bs->sub;
	enum og_ec ec = check_item_changes(bc, bs, in);
	if (ec)
		return ec;
	int n_live = bs->n_items;
	bool moved[BILLING_MAX_ITEMS] = {0}; /* the current item leaves its price */
	for (int i = 0; i < (int)in->n_items; i++) {
		const struct billing_sub_item_input *x = &in->items[i];
		struct item_change *c = &changes[i];
		c->cur = NULL;
		char buf[ID_MAX_LEN];
		for (int j = 0; x->has_id && j < bs->n_items; j++)
			if (bs->items[j].id == x->id) {
				c->cur = &bs->items[j];
				moved[j] = moved[j] || x->deleted || x->has_price;
			}
		if (x->has_id && !c->cur)
			return og_err(bc->err, OG_EC_PARAM_ID, item_param(bc, i, "id"),
			              "No such item on this subscription: '%s'", ids_encode(ID_SUB_ITEM, x->id, buf));
		const char *param = item_param(bc, i, "price");
		if (x->has_price && (ec = price_get(bc, param, x->price, s->currency, &c->price)))
			return ec;
		for (int j = 0; x->has_price && j < bs->n_items; j++)
			if (bs->items[j].price_id == x->price && &bs->items[j] != c->cur)
				return og_err(bc->err, OG_EC_PARAM_INVALID, param,
				              "This subscription already has an item with that price.");
		if (x->deleted) {
			if (!c->cur)
				return og_err(bc->err, OG_EC_PARAM_MISSING, "items",
				              "items[%d][deleted] needs items[%d][id].", i, i);
			if (--n_live < 1)
				return og_err(bc->err, OG_EC_PARAM_INVALID, "items",
				              "A subscription must keep at least one item; cancel it instead.");
			continue;
		}
		if (!c->cur) {
			if (!x->has_price)
				return og_err(bc->err, OG_EC_PARAM_MISSING, param, "A new item needs a price.");
			n_live++;
		}
	}
	bool have = false; /* the interval the items share, once one is known */
	for (int j = 0; j < bs->n_items && !have; j++)
		if (!moved[j]) {
			*interval = s->interval;
			*count = s->interval_count;
			have = true;
		}
	for (int i = 0; i < (int)in->n_items; i++) {
		const struct billing_sub_item_input *x = &in->items[i];
		if (x->deleted || !x->has_price)
			continue;
		if (!have) {
			*interval = changes[i].price.interval;
			*count = changes[i].price.interval_count;
			have = true;
		} else if (!same_interval(&changes[i].price, *interval, *count)) {
			return mixed_intervals(bc, item_param(bc, i, "price"), &changes[i].price, *interval, *count);
		}
	}
	if (!have) { /* nothing kept, nothing priced: cannot happen with one item kept */
		*interval = s->interval;
		*count = s->interval_count;
	}
	return OG_EC_NONE;
}

/* Applies the checked item changes; prorate: each change of amount during
 * the paid period gets its proration items. */
static enum og_ec apply_items(struct billing_ctx *bc, struct billing_sub *bs, const struct billing_sub_update_input *in,
                              const struct item_change *changes, bool prorate)
{
	struct og_subscription *s = &bs->sub;
	enum og_ec ec;
	enum db_rc rc;
	for (int i = 0; i < (int)in->n_items; i++) {
		const struct billing_sub_item_input *x = &in->items[i];
		const struct item_change *c = &changes[i];
		const char *product_name = NULL;
		if (x->has_price) {
			struct og_product prod;
			if (store_product_get(bc->db, bc->arena, c->price.product_id, &prod) == DB_ROW)
				product_name = prod.name;
		}
		if (x->deleted) {
			if (prorate && (ec = prorate_item(bc, s, c->cur, NULL)))
				return ec;
			if ((rc = store_sub_item_delete(bc->db, c->cur->id)) != DB_ROW)
				return billing_db_error(bc, rc, "subscription item");
			continue;
		}
		if (!c->cur) { /* a new item */
			struct og_sub_item it = {.subscription_id = s->id,
			                         .price_id = x->price,
			                         .unit_amount = c->price.unit_amount,
			                         .quantity = x->quantity,
			                         .created = bc->now};
			if ((ec = billing_metadata_apply(bc, NULL, x->metadata, &it.metadata)))
				return ec;
			if ((rc = store_sub_item_insert(bc->db, &it)) != DB_ROW)
				return billing_db_error(bc, rc, "subscription item");
			it.product_name = product_name;
			if (prorate && (ec = prorate_item(bc, s, NULL, &it)))
				return ec;
			continue;
		}
		struct og_sub_item next = *c->cur;
		if (x->has_price) {
			next.price_id = x->price;
			next.unit_amount = c->price.unit_amount;
			next.product_name = product_name;
			next.price_nickname = c->price.nickname;
		}
		if (x->has_quantity)
			next.quantity = x->quantity;
		if (x->has_metadata && (ec = billing_metadata_apply(bc, c->cur->metadata, x->metadata, &next.metadata)))
			return ec;
		bool amount_changed = next.unit_amount != c->cur->unit_amount || next.quantity != c->cur->quantity ||
		                      next.price_id != c->cur->price_id;
		if (prorate && amount_changed && (ec = prorate_item(bc, s, c->cur, &next)))
			return ec;
		if ((rc = store_sub_item_update(bc->db, &next)) != DB_ROW)
			return billing_db_error(bc, rc, "subscription item");
	}
	return OG_EC_NONE;
}

enum og_ec billing_sub_update(struct billing_ctx *bc0, int64_t id, const struct billing_sub_update_input *in,
                              struct billing_sub *out)
{
	struct billing_ctx bc_at, *bc = &bc_at;
	enum og_ec ec = load(bc0, id, true, NULL, out, bc);
	if (ec)
		return ec;
	struct og_subscription *s = &out->sub;
	int64_t mrr_before = billing_mrr(s, out->items, out->n_items);
	enum sub_status status_before = s->status;
	if ((ec = billing_sub_transition(bc, s, SUB_EV_UPDATE)))
		return ec;
	s->status = status_before;
	if (in->has_cancel_at_period_end)
		s->cancel_at_period_end = in->cancel_at_period_end;
	if (in->has_collection_method) {
		bool send_invoice = in->collection_method == BILLING_COLLECT_SEND_INVOICE;
		s->collection_method = (enum collection_method)in->collection_method;
		s->has_days_until_due = send_invoice;
		s->days_until_due = send_invoice ? (s->days_until_due ? s->days_until_due : 30) : 0;
	}
	if (in->has_days_until_due) {
		if (!s->has_days_until_due)
			return og_err(bc->err, OG_EC_PARAM_INVALID, "days_until_due",
			              "days_until_due applies only with collection_method=send_invoice.");
		s->days_until_due = in->days_until_due;
	}
	if (in->has_metadata && (ec = billing_metadata_apply(bc, s->metadata, in->metadata, &s->metadata)))
		return ec;

	struct item_change changes[BILLING_MAX_ITEMS];
	enum cal_interval interval = s->interval;
	int64_t count = 0;
	if ((ec = check_items(bc, out, in, changes, &interval, &count)))
		return ec;
	bool interval_change = interval != s->interval || count != s->interval_count;
	bool anchor_now = in->has_billing_cycle_anchor && in->billing_cycle_anchor == BILLING_ANCHOR_NOW;
	if (anchor_now && !in_paid_status(s))
		return og_err(bc->err, OG_EC_PARAM_INVALID, "billing_cycle_anchor",
		              "billing_cycle_anchor=now starts a new period of an active subscription; this one "
		              "is '%s'.",
		              sub_status_name(s->status));
	/* a new period from now: Stripe resets the anchor on an interval change */
	bool reset = (interval_change || anchor_now) && in_paid_status(s);
	bool prorate = in->proration_behavior != BILLING_PRORATE_NONE && in_paid_period(s, bc->now);
	if (reset && prorate) /* the unused time of the period ending now, item by item */
		for (int j = 0; j < out->n_items; j++)
			if ((ec = prorate_item(bc, s, &out->items[j], NULL)))
				return ec;
	if ((ec = apply_items(bc, out, in, changes, prorate && !reset)))
		return ec;
	if (in->has_items && (ec = load_items(bc, out)))
		return ec;
	if (interval_change) {
		s->interval = interval;
		s->interval_count = count;
	}
	if (reset) {
		s->billing_cycle_anchor = bc->now;
		s->current_period_start = bc->now;
		s->current_period_end = one_interval_after(s, bc->now);
		if ((ec = check_period_end(bc, s->current_period_end)))
			return ec;
		s->next_billing_at = s->current_period_end;
		if ((ec = invoice_now(bc, out, s->current_period_end, true)))
			return ec;
	} else if (interval_change && status_of(s) == SUB_DRAFT) {
		if ((ec = provisional_period(bc, s)))
			return ec;
	} else if (prorate && in->proration_behavior == BILLING_PRORATE_ALWAYS_INVOICE && in->has_items) {
		if ((ec = invoice_now(bc, out, s->current_period_end, false)))
			return ec;
	}
	if ((ec = write_sub(bc, s)))
		return ec;
	return billing_sub_event(bc, "customer.subscription.updated", s, out->items, out->n_items, mrr_before);
}

/* ---- cancel, pause, resume ---- */

/* The end of a subscription canceled now (its status already moved):
 * pending items go to the customer, nothing is due again, one event. */
static enum og_ec end_now(struct billing_ctx *bc, struct billing_sub *bs, int64_t mrr_before)
{
	struct og_subscription *s = &bs->sub;
	/* what was not invoiced now (a proration credit, say) waits for the
	 * customer's next invoice instead of staying on a subscription that will
	 * never bill again */
	enum db_rc rc = store_invoice_items_release(bc->db, s->id);
	if (rc != DB_OK)
		return billing_db_error(bc, rc, "invoice items");
	s->canceled_at = bc->now;
	s->ended_at = bc->now;
	s->next_billing_at = 0;
	s->cancel_at_period_end = false;
	enum og_ec ec = write_sub(bc, s);
	if (ec)
		return ec;
	return billing_sub_event(bc, "customer.subscription.deleted", s, bs->items, bs->n_items, mrr_before);
}

enum og_ec billing_sub_cancel(struct billing_ctx *bc0, int64_t id, const struct billing_sub_cancel_input *in,
                              struct billing_sub *out)
{
	struct billing_ctx bc_at, *bc = &bc_at;
	enum og_ec ec = load(bc0, id, true, NULL, out, bc);
	if (ec)
		return ec;
	struct og_subscription *s = &out->sub;
	int64_t mrr_before = billing_mrr(s, out->items, out->n_items);
	bool was_billing = in_paid_period(s, bc->now);
	bool was_draft = status_of(s) == SUB_DRAFT;
	if ((ec = billing_sub_transition(bc, s, SUB_EV_CANCEL)))
		return ec;
	if (in->prorate && was_billing) {
		for (int i = 0; i < out->n_items; i++) {
			/* credit only: the old item leaves, nothing replaces it */
			if ((ec = prorate_item(bc, s, &out->items[i], NULL)))
				return ec;
		}
	}
	/* a draft is never invoiced, not even the customer's pending items */
	if (in->invoice_now && !was_draft && (ec = invoice_now(bc, out, bc->now, false)))
		return ec;
	return end_now(bc, out, mrr_before);
}

enum og_ec billing_sub_cancel_all(struct billing_ctx *bc0, int64_t customer_id)
{
	enum { BATCH = 100 };
	int64_t ids[BATCH];
	int n;
	do {
		enum db_rc rc = store_subscription_ids_live(bc0->db, customer_id, BATCH, ids, &n);
		if (rc != DB_OK)
			return billing_db_error(bc0, rc, "subscriptions");
		for (int i = 0; i < n; i++) {
			struct billing_sub bs;
			struct billing_ctx bc;
			enum og_ec ec = load(bc0, ids[i], true, NULL, &bs, &bc);
			if (ec)
				return ec;
			int64_t mrr_before = billing_mrr(&bs.sub, bs.items, bs.n_items);
			if ((ec = billing_sub_transition(&bc, &bs.sub, SUB_EV_CANCEL)) ||
			    (ec = end_now(&bc, &bs, mrr_before)))
				return ec;
		}
	} while (n == BATCH);
	return OG_EC_NONE;
}

enum og_ec billing_sub_pause(struct billing_ctx *bc0, int64_t id, struct billing_sub *out)
{
	struct billing_ctx bc_at, *bc = &bc_at;
	enum og_ec ec = load(bc0, id, true, NULL, out, bc);
	if (ec)
		return ec;
	struct og_subscription *s = &out->sub;
	int64_t mrr_before = billing_mrr(s, out->items, out->n_items);
	if ((ec = billing_sub_transition(bc, s, SUB_EV_PAUSE)))
		return ec;
	s->paused_at = bc->now;
	s->next_billing_at = 0;
	if ((ec = write_sub(bc, s)))
		return ec;
	return billing_sub_event(bc, "customer.subscription.paused", s, out->items, out->n_items, mrr_before);
}

enum og_ec billing_sub_resume(struct billing_ctx *bc0, int64_t id, const struct billing_sub_resume_input *in,
                              struct billing_sub *out)
{
	struct billing_ctx bc_at, *bc = &bc_at;
	enum og_ec ec = load(bc0, id, true, NULL, out, bc);
	if (ec)
		return ec;
	struct og_subscription *s = &out->sub;
	if ((ec = billing_sub_transition(bc, s, SUB_EV_RESUME)))
		return ec;
	int64_t now = bc->now;
	s->paused_at = 0;
	if (s->trial_end > now) /* pausing ends a trial: billing starts on resume */
		s->trial_end = now;
	if (in->billing_cycle_anchor == BILLING_ANCHOR_NOW) {
		s->billing_cycle_anchor = now;
		s->current_period_start = now;
		s->current_period_end = one_interval_after(s, now);
		if ((ec = check_period_end(bc, s->current_period_end)))
			return ec;
		enum db_rc rc = store_invoice_cycle_exists(bc->db, s->id, now);
		if (rc == DB_DONE) {
			struct billing_invoice_spec cycle = {.period_start = s->current_period_start,
			                                     .period_end = s->current_period_end,
			                                     .reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
			                                     .item_lines = true,
			                                     .cycle = true,
			                                     .include_pending = true};
			if ((ec = billing_subscription_invoice(bc, s, out->items, out->n_items, &cycle, NULL, NULL,
			                                       NULL)))
				return ec;
		} else if (rc != DB_ROW) {
			return billing_db_error(bc, rc, "invoice");
		}
	} else {
		int64_t start, end, index;
		cal_period_at(s->billing_cycle_anchor, interval_of(s), (int)s->interval_count, now, &start, &end,
		              &index);
		if (start > now) { /* before the anchor (a trial paused and resumed): [now, anchor), billed from the
			              anchor */
			end = start;
			start = now;
		}
		if ((ec = check_period_end(bc, end)))
			return ec;
		s->current_period_start = start;
		s->current_period_end = end;
	}
	s->next_billing_at = s->current_period_end;
	if ((ec = write_sub(bc, s)))
		return ec;
	return billing_sub_event(bc, "customer.subscription.resumed", s, out->items, out->n_items, 0);
}

/* ---- the upcoming invoice ---- */

enum og_ec billing_sub_upcoming(struct billing_ctx *bc0, int64_t id, const char *param, struct og_invoice *inv,
                                struct og_invoice_line **lines, int *n_lines)
{
	struct billing_ctx bc_at, *bc = &bc_at;
	struct billing_sub bs;
	enum og_ec ec = load(bc0, id, false, param, &bs, bc);
	if (ec)
		return ec;
	const struct og_subscription *s = &bs.sub;
	enum sub_status st = status_of(s);
	if (st == SUB_CANCELED || st == SUB_PAUSED)
		return og_err(bc->err, OG_EC_RESOURCE_MISSING, param, "No upcoming invoice: the subscription is %s.",
		              sub_status_name(s->status));
	/* what the next invoice bills, as the engine or confirm will issue it */
	struct billing_invoice_spec next = {
	    .reason = BILLING_REASON_SUBSCRIPTION_CYCLE, .item_lines = true, .include_pending = true};
	if (st == SUB_DRAFT) {
		int64_t trial_end, anchor;
		if ((ec = first_period(bc, s, bc->now, &next, &trial_end, &anchor)))
			return ec;
	} else {
		next.period_start = s->current_period_end;
		int64_t index, pstart;
		cal_period_at(s->billing_cycle_anchor, interval_of(s), (int)s->interval_count, next.period_start,
		              &pstart, &next.period_end, &index);
		if (s->cancel_at_period_end) { /* the engine's final invoice: pending items only, no new period */
			next.item_lines = false;
			next.period_end = next.period_start;
		}
		if ((ec = check_period_end(bc, next.period_end)))
			return ec;
	}
	struct invoice_totals t;
	if ((ec = billing_invoice_lines(bc, s, bs.items, bs.n_items, &next, lines, n_lines, &t)))
		return ec;
	if (*n_lines == 0)
		return og_err(bc->err, OG_EC_RESOURCE_MISSING, param,
		              "No upcoming invoice: the subscription cancels at the end of its period.");
	*inv = (struct og_invoice){.customer_id = s->customer_id,
	                           .subscription_id = s->id,
	                           .status = INV_DRAFT,
	                           .currency = s->currency,
	                           .billing_reason = next.reason,
	                           .collection_method = s->collection_method,
	                           .has_days_until_due = s->has_days_until_due,
	                           .days_until_due = s->days_until_due,
	                           .period_start = next.period_start,
	                           .period_end = next.period_end,
	                           .subtotal = t.subtotal,
	                           .total = t.total,
	                           .amount_due = t.amount_due,
	                           .amount_remaining = t.amount_remaining,
	                           .metadata = "{}",
	                           .created = next.period_start};
	return billing_balance_preview(bc, inv);
}
