/* The billing engine (see engine.h and docs/internals/billing.md).
 *
 * A run is a loop of batches. Each batch is one write transaction (a
 * savepoint inside the caller's transaction for engine_run_in_txn): it
 * claims up to batch_size due subscriptions in (next_billing_at, id) order
 * after a cursor, bills them, and commits once. Per subscription, in order:
 * cancel_at_period_end ends it (a final invoice takes any pending items),
 * an ended trial becomes active, then every period that has ended by "now"
 * is rolled forward on the anchor's calendar and invoiced, oldest first.
 * After the subscriptions, open send_invoice invoices past their due date
 * are marked past_due (event invoice.overdue).
 *
 * Two paths write the same rows:
 *   - the fast path, for the common subscription (active, past_due or
 *     unpaid, 1..BILLING_MAX_ITEMS items, no pending invoice items, no customer balance, not
 *     cancelling): the whole batch's invoices, lines, events and period
 *     rolls are computed in memory and written with multi-row statements
 *     (store/billing_run.c), with one block of invoice numbers and of row
 *     ids per batch;
 *   - the general path, for everything else, one subscription at a time
 *     through billing/service.c (the code the API uses).
 * Both take the period from period_after(), the line amounts and totals
 * from core/invoice_calc.h, the descriptions from billing_item_description
 * and the invoice.finalized event's text from model_invoice_render (the
 * whole invoice with its lines, as the API renders it); the tests compare
 * their rows.
 *
 * Failure: a batch that hits an unexpected error is rolled back and run
 * again one subscription at a time, each in its own savepoint; one that
 * fails alone is rolled back, logged, counted in stats.skipped and passed
 * by the cursor, so it cannot stall the run. DB_RETRY (SQLite busy,
 * PostgreSQL serialization failure or deadlock) retries the whole batch.
 *
 * Exactly once: the period roll and the invoice commit together, and the
 * unique key (subscription_id, cycle_period_start) refuses a second invoice
 * for a period whatever else runs. The general path also asks whether the
 * period already has its invoice (a period billed by the API's resume) and
 * then only rolls forward.
 *
 * Memory: one arena per run, reset per batch; a batch issues at most
 * ENGINE_BUDGET_FACTOR * batch_size invoices (a subscription years behind
 * is billed across several batches: the cursor stays before it until it is
 * current). Nothing here calls time(): "now" is opts->now. */
#include "billing/engine.h"

#include "billing/service.h"
#include "core/calendar.h"
#include "sys/clock.h"
#include "core/ids.h"
#include "core/invoice_calc.h"
#include "sys/log.h"
#include "core/mem.h"
#include "core/money.h"
#include "core/subscription_fsm.h"
#include "model/render.h"
#include "store/billing_run.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_DEFAULT_BATCH 1000
#define ENGINE_MAX_BATCH     100000
#define ENGINE_BUDGET_FACTOR 4     /* invoices per batch, at most, per subscription claimed */
#define ENGINE_RETRIES       6     /* DB_RETRY: the batch again, after 2, 4 ... 64 ms */
#define ENGINE_EVENT_CAP     16384 /* the event writer's first buffer: an invoice of 8 lines fits */
#define SP_BATCH             "og_engine_batch"
#define SP_SUB               "og_engine_sub"

struct run {
	struct db_conn *db;
	const struct engine_opts *opts;
	struct engine_stats *stats; /* what committed */
	struct og_error *err;
	struct og_arena *arena; /* this batch's rows and strings */
	bool in_txn;
	int batch_size;
	int64_t budget; /* invoices per batch */
	const char *prefix;
	int64_t cursor_at, cursor_id;
	struct desc_cache *descriptions; /* this batch's line descriptions */
	struct og_jsonw event_w;         /* the fast path's event text, one after another (heap) */
};

/* ---- shared pieces of the two paths -------------------------------------- */

/* The period that starts at start on s's anchor calendar: [start, *end).
 * A start before the anchor runs to the anchor. False when the calendar
 * cannot place it (no anchor, a bad interval, past year 9999). */
static bool period_after(const struct og_subscription *s, int64_t start, int64_t *end)
{
	enum cal_interval iv = s->interval;
	if (!cal_interval_name(iv) || s->interval_count < 1 || s->interval_count > INT_MAX ||
	    s->billing_cycle_anchor <= 0)
		return false;
	if (start < s->billing_cycle_anchor) {
		*end = s->billing_cycle_anchor;
		return true;
	}
	int64_t ps, pe, index;
	cal_period_at(s->billing_cycle_anchor, iv, (int)s->interval_count, start, &ps, &pe, &index);
	if (pe == CAL_TIME_INVALID || pe <= start)
		return false;
	*end = pe;
	return true;
}

/* How many periods s must roll to be current at now (current_period_end >
 * now), at most max; *complete says whether that many suffice, *first_end
 * is where the first one ends. -1 when the calendar fails. */
static int64_t periods_due(const struct og_subscription *s, int64_t now, int64_t max, bool *complete,
                           int64_t *first_end)
{
	int64_t n = 0, start = s->current_period_end;
	while (start <= now && n < max) {
		int64_t end;
		if (!period_after(s, start, &end))
			return -1;
		if (n == 0)
			*first_end = end;
		start = end;
		n++;
	}
	*complete = start > now;
	return n;
}

static void event_row(const struct og_invoice *inv, const char *data, struct og_event *ev)
{
	*ev = (struct og_event){.type = "invoice.finalized",
	                        .object_type = "invoice",
	                        .object_id = inv->id,
	                        .customer_id = inv->customer_id,
	                        .data = data,
	                        .created = inv->created};
}

/* Hands a finalized invoice to payment collection. This is where the
 * payments issue plugs in (charge_automatically: a charge attempt through
 * a pay_provider; send_invoice: nothing until the customer pays). Until
 * then it does nothing and invoices stay open. Called inside the batch's
 * transaction, after the invoice is written, on both paths. */
static enum og_ec collect_invoice(struct billing_ctx *bc, const struct og_invoice *inv)
{
	(void)bc;
	(void)inv;
	return OG_EC_NONE;
}

static void tally_invoice(struct engine_stats *t, const struct og_invoice *inv)
{
	t->invoices++;
	for (int i = 0; i < t->n_currencies; i++)
		if (!strcmp(t->totals[i].currency, inv->currency)) {
			t->totals[i].amount += inv->total;
			return;
		}
	if (t->n_currencies < ENGINE_MAX_CURRENCIES) {
		struct engine_currency_total *c = &t->totals[t->n_currencies++];
		snprintf(c->currency, sizeof c->currency, "%s", inv->currency);
		c->amount = inv->total;
	}
}

static void stats_merge(struct engine_stats *into, const struct engine_stats *from)
{
	into->seen += from->seen;
	into->invoices += from->invoices;
	into->canceled += from->canceled;
	into->trials_ended += from->trials_ended;
	into->marked_past_due += from->marked_past_due;
	into->skipped += from->skipped;
	for (int i = 0; i < from->n_skipped_ids && into->n_skipped_ids < ENGINE_MAX_SKIPPED_IDS; i++)
		into->skipped_ids[into->n_skipped_ids++] = from->skipped_ids[i];
	for (int i = 0; i < from->n_currencies; i++) {
		int j = 0;
		while (j < into->n_currencies && strcmp(into->totals[j].currency, from->totals[i].currency))
			j++;
		if (j == into->n_currencies) {
			if (j == ENGINE_MAX_CURRENCIES)
				continue;
			into->n_currencies++;
			into->totals[j] = from->totals[i];
			continue;
		}
		into->totals[j].amount += from->totals[i].amount;
	}
}

static struct billing_ctx ctx_of(struct run *r)
{
	return (struct billing_ctx){.db = r->db,
	                            .arena = r->arena,
	                            .invoice_prefix = r->prefix,
	                            .per_customer_numbers = r->opts->per_customer_numbers,
	                            .now = r->opts->now,
	                            .err = r->err,
	                            .quiet_events = true};
}

static enum og_ec db_fail(struct run *r, enum db_rc rc, const char *what)
{
	struct billing_ctx bc = ctx_of(r);
	return billing_db_error(&bc, rc, what);
}

/* Line descriptions repeat across a batch (a few prices, the same
 * quantities): billing_item_description's text for the same inputs is
 * kept here, in the batch arena, and dropped with it. */
#define DESC_CACHE_SLOTS 256

struct desc_entry {
	int64_t price_id, unit_amount, quantity, interval_count;
	enum cal_interval interval;
	const char *currency, *nickname, *product_name, *text;
};

struct desc_cache {
	struct desc_entry slots[DESC_CACHE_SLOTS];
};

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *describe(struct run *r, struct billing_ctx *bc, const struct og_subscription *s,
                            const struct og_sub_item *it)
{
	uint64_t h =
	    ((uint64_t)it->price_id * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)it->quantity * 0xC2B2AE3D27D4EB4Full);
	struct desc_entry *e = &r->descriptions->slots[(h >> 40) % DESC_CACHE_SLOTS];
	if (e->text && e->price_id == it->price_id && e->unit_amount == it->unit_amount &&
	    e->quantity == it->quantity && e->interval_count == s->interval_count &&
	    same_str(e->currency, s->currency) && e->interval == s->interval &&
	    same_str(e->nickname, it->price_nickname) && same_str(e->product_name, it->product_name))
		return e->text;
	*e = (struct desc_entry){.price_id = it->price_id,
	                         .unit_amount = it->unit_amount,
	                         .quantity = it->quantity,
	                         .interval_count = s->interval_count,
	                         .currency = s->currency,
	                         .interval = s->interval,
	                         .nickname = it->price_nickname,
	                         .product_name = it->product_name,
	                         .text = billing_item_description(bc, s, it)};
	return e->text;
}

/* ---- the general path: one subscription through billing/service.c -------- */

static bool is_status(const struct og_subscription *s, enum sub_status st)
{
	return s->status == st;
}

static enum og_ec cancel_at_period_end(struct run *r, struct billing_ctx *bc, struct store_due_sub *d,
                                       struct engine_stats *t)
{
	struct og_subscription *s = &d->sub;
	int64_t end = s->current_period_end;
	int64_t mrr_before = billing_mrr(s, d->items, d->n_items);
	struct store_list pending;
	enum db_rc rc = store_invoice_items_pending(r->db, r->arena, s->customer_id, s->id, s->currency, &pending);
	if (rc != DB_OK)
		return db_fail(r, rc, "pending invoice items");
	enum og_ec ec;
	if (pending.n > 0) {
		/* the final invoice: the pending items only, as the period's invoice */
		rc = store_invoice_cycle_exists(r->db, s->id, end);
		if (rc == DB_DONE) {
			struct billing_invoice_spec spec = {.period_start = end,
			                                    .period_end = end,
			                                    .reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
			                                    .cycle = true,
			                                    .include_pending = true};
			struct og_invoice inv;
			if ((ec = billing_subscription_invoice(bc, s, d->items, d->n_items, &spec, &inv, NULL, NULL)) ||
			    (ec = collect_invoice(bc, &inv)))
				return ec;
			tally_invoice(t, &inv);
		} else if (rc != DB_ROW) {
			return db_fail(r, rc, "cycle invoice lookup");
		}
	}
	if ((ec = billing_sub_transition(bc, s, SUB_EV_CANCEL)))
		return ec;
	if (!s->canceled_at)
		s->canceled_at = end;
	s->ended_at = end;
	s->next_billing_at = 0;
	if ((rc = store_subscription_update(r->db, s)) != DB_ROW)
		return db_fail(r, rc, "subscription update");
	if ((ec = billing_sub_event(bc, "customer.subscription.deleted", s, d->items, d->n_items, mrr_before)))
		return ec;
	t->canceled++;
	return OG_EC_NONE;
}

/* Bills d through the service, at most max_invoices periods; *complete
 * when it is current afterwards (or ended). */
static enum og_ec bill_general(struct run *r, struct store_due_sub *d, int64_t max_invoices, struct engine_stats *t,
                               bool *complete)
{
	struct og_subscription *s = &d->sub;
	struct billing_ctx bc = ctx_of(r);
	int64_t now = r->opts->now;
	*complete = true;
	if (d->n_items < 0)
		return og_err(r->err, OG_EC_INTERNAL, NULL, "The subscription has more than %d items.",
		              BILLING_MAX_ITEMS);
	if (s->cancel_at_period_end)
		return cancel_at_period_end(r, &bc, d, t);
	int64_t mrr_before = billing_mrr(s, d->items, d->n_items);
	bool trial_ended = false;
	enum og_ec ec;
	if (is_status(s, SUB_TRIALING)) {
		if (s->trial_end > now)
			return og_err(r->err, OG_EC_INTERNAL, NULL,
			              "The subscription is trialing until %" PRId64 " but its period ended at %" PRId64
			              ".",
			              s->trial_end, s->current_period_end);
		if ((ec = billing_sub_transition(&bc, s, SUB_EV_TRIAL_END)))
			return ec;
		trial_ended = true;
	}
	enum db_rc rc;
	int64_t n = 0;
	while (s->current_period_end <= now && n < max_invoices) {
		int64_t start = s->current_period_end, end;
		if (!period_after(s, start, &end))
			return og_err(r->err, OG_EC_INTERNAL, NULL,
			              "No billing period follows %" PRId64 " on this calendar.", start);
		rc = store_invoice_cycle_exists(r->db, s->id, start);
		if (rc == DB_DONE) {
			struct billing_invoice_spec spec = {.period_start = start,
			                                    .period_end = end,
			                                    .reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
			                                    .item_lines = true,
			                                    .cycle = true,
			                                    .include_pending = true};
			struct og_invoice inv;
			if ((ec =
			         billing_subscription_invoice(&bc, s, d->items, d->n_items, &spec, &inv, NULL, NULL)) ||
			    (ec = collect_invoice(&bc, &inv)))
				return ec;
			tally_invoice(t, &inv);
		} else if (rc != DB_ROW) { /* DB_ROW: the period has its invoice already; roll on */
			return db_fail(r, rc, "cycle invoice lookup");
		}
		s->current_period_start = start;
		s->current_period_end = end;
		s->next_billing_at = end;
		n++;
	}
	*complete = s->current_period_end > now;
	if ((rc = store_subscription_update(r->db, s)) != DB_ROW)
		return db_fail(r, rc, "subscription update");
	if (trial_ended) {
		if ((ec = billing_sub_event(&bc, "customer.subscription.updated", s, d->items, d->n_items, mrr_before)))
			return ec;
		t->trials_ended++;
	}
	return OG_EC_NONE;
}

/* ---- the fast path ------------------------------------------------------- */

static bool is_fast(const struct store_due_sub *d)
{
	const struct og_subscription *s = &d->sub;
	enum sub_status st = s->status;
	return (st == SUB_ACTIVE || st == SUB_PAST_DUE || st == SUB_UNPAID) && !s->cancel_at_period_end &&
	       !d->has_pending && !d->has_balance && d->n_items >= 1 && d->n_items <= BILLING_MAX_ITEMS;
}

/* What a batch does with each claimed subscription. */
struct plan {
	bool fast;
	int64_t n_invoices; /* fast: periods to bill */
	int64_t first_end;  /* the end of the first of them */
	bool complete;      /* current once done */
};

/* Finalizes a fast-path invoice as billing_invoice_finalize does, with the
 * number taken for it. */
static enum og_ec finalize_fields(struct run *r, struct og_invoice *inv, const char *number)
{
	enum invoice_status to;
	if (!invoice_fsm_next(INV_DRAFT, INV_EV_FINALIZE, &to))
		return OG_BUG(r->err, "a draft cannot be finalized");
	inv->number = number;
	inv->status = to;
	inv->finalized_at = r->opts->now;
	if (inv->collection_method == COLLECTION_SEND_INVOICE) {
		int64_t days = inv->has_days_until_due ? inv->days_until_due : 30;
		inv->due_date = r->opts->now + days * 86400;
	}
	if (inv->amount_due == 0) {
		inv->status = INV_PAID;
		inv->paid_at = r->opts->now;
		inv->amount_remaining = 0;
	}
	return OG_EC_NONE;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The numbers of the fast path's invoices, in the arena. Account numbering:
 * one block from the counter row. Per-customer numbering: each customer's
 * block from its own row (one UPDATE ... RETURNING per few dozen customers,
 * in customer id order), its invoices numbered in batch order, so a
 * customer's periods are numbered oldest first. Either way the numbers are
 * taken in this transaction and all used in it: gap-free. */
static enum og_ec take_numbers(struct run *r, const struct og_invoice *invs, int64_t n_inv, const char **numbers)
{
	struct og_arena *a = r->arena;
	char number[64];
	enum db_rc rc;
	if (!r->opts->per_customer_numbers) {
		int64_t first = 0;
		if ((rc = store_counter_take(r->db, "invoice_number", n_inv, &first)) != DB_ROW)
			return db_fail(r, rc, "invoice numbers");
		for (int64_t i = 0; i < n_inv; i++) {
			invoice_number_format(r->prefix, first + i, number, sizeof number);
			numbers[i] = arena_strdup(a, number);
		}
		return OG_EC_NONE;
	}
	int64_t *ids = arena_alloc(a, sizeof *ids * (size_t)n_inv);
	for (int64_t i = 0; i < n_inv; i++)
		ids[i] = invs[i].customer_id;
	qsort(ids, (size_t)n_inv, sizeof *ids, cmp_int64);
	struct store_customer_numbers *rows = arena_alloc(a, sizeof *rows * (size_t)n_inv);
	int n = 0;
	for (int64_t i = 0; i < n_inv; i++) {
		if (n && rows[n - 1].customer_id == ids[i])
			rows[n - 1].n++;
		else
			rows[n++] = (struct store_customer_numbers){.customer_id = ids[i], .n = 1};
	}
	rc = store_billing_customer_numbers(r->db, a, rows, n);
	if (rc == DB_DONE) /* the batch again one by one: the service names the customer's problem */
		return og_err(r->err, OG_EC_INTERNAL, NULL, "A customer of this batch has no invoice_prefix.");
	if (rc != DB_OK)
		return db_fail(r, rc, "customer invoice numbers");
	int64_t *used = arena_alloc(a, sizeof *used * (size_t)n); /* zeroed */
	for (int64_t i = 0; i < n_inv; i++) {
		int lo = 0, hi = n - 1, k = -1;
		while (lo <= hi && k < 0) {
			int mid = lo + (hi - lo) / 2;
			if (rows[mid].customer_id == invs[i].customer_id)
				k = mid;
			else if (rows[mid].customer_id < invs[i].customer_id)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (k < 0 || used[k] >= rows[k].n)
			return OG_BUG(r->err, "an invoice's customer has no number block");
		invoice_customer_number_format(rows[k].prefix, rows[k].first + used[k]++, number, sizeof number);
		numbers[i] = arena_strdup(a, number);
	}
	return OG_EC_NONE;
}

/* Writes the fast subscriptions of the batch: n_inv invoices, n_lines lines. */
static enum og_ec write_fast(struct run *r, struct store_due_sub *subs, const struct plan *plans, int n_subs,
                             int64_t n_inv, int64_t n_lines, struct engine_stats *t)
{
	if (n_inv == 0)
		return OG_EC_NONE;
	struct og_arena *a = r->arena;
	enum db_rc rc;
	int64_t *inv_ids = arena_alloc(a, sizeof(int64_t) * (size_t)n_inv);
	int64_t *line_ids = arena_alloc(a, sizeof(int64_t) * (size_t)n_lines);
	int64_t *event_ids = arena_alloc(a, sizeof(int64_t) * (size_t)n_inv);
	if ((rc = store_billing_ids(r->db, STORE_BT_INVOICES, (int)n_inv, inv_ids)) != DB_OK ||
	    (rc = store_billing_ids(r->db, STORE_BT_INVOICE_LINES, (int)n_lines, line_ids)) != DB_OK ||
	    (rc = store_billing_ids(r->db, STORE_BT_EVENTS, (int)n_inv, event_ids)) != DB_OK)
		return db_fail(r, rc, "row ids");
	struct og_invoice *invs = arena_alloc(a, sizeof *invs * (size_t)n_inv);
	struct og_invoice_line *lines = arena_alloc(a, sizeof *lines * (size_t)n_lines);
	struct og_event *events = arena_alloc(a, sizeof *events * (size_t)n_inv);
	struct store_sub_roll *rolls = arena_alloc(a, sizeof *rolls * (size_t)n_subs);
	struct billing_ctx bc = ctx_of(r);
	int64_t now = r->opts->now;
	int64_t k = 0, kl = 0;
	int n_rolls = 0;
	enum og_ec ec;
	const char *descriptions[BILLING_MAX_ITEMS];
	int64_t amounts[BILLING_MAX_ITEMS];
	for (int i = 0; i < n_subs; i++) {
		if (!plans[i].fast || plans[i].n_invoices == 0)
			continue;
		struct store_due_sub *d = &subs[i];
		struct og_subscription *s = &d->sub;
		for (int j = 0; j < d->n_items; j++) {
			descriptions[j] = describe(r, &bc, s, &d->items[j]);
			if (!invoice_line_amount(d->items[j].unit_amount, d->items[j].quantity, &amounts[j]))
				return OG_BUG(r->err, "a line amount the plan computed overflows");
		}
		struct invoice_totals totals;
		if (!invoice_totals_compute(amounts, (size_t)d->n_items, 0, &totals))
			return OG_BUG(r->err, "totals the plan computed overflow");
		int64_t start = s->current_period_end, end = 0;
		for (int64_t p = 0; p < plans[i].n_invoices; p++, k++) {
			if (p == 0)
				end = plans[i].first_end;
			else if (!period_after(s, start, &end))
				return OG_BUG(r->err, "a period the plan computed is gone");
			struct og_invoice *inv = &invs[k];
			*inv = (struct og_invoice){
			    .id = inv_ids[k],
			    .customer_id = s->customer_id,
			    .subscription_id = s->id,
			    .status = INV_DRAFT,
			    .currency = s->currency,
			    .billing_reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
			    .collection_method = s->collection_method,
			    .has_days_until_due = s->has_days_until_due,
			    .days_until_due = s->days_until_due,
			    .cycle_period_start = start,
			    .period_start = start,
			    .period_end = end,
			    .subtotal = totals.subtotal,
			    .total = totals.total,
			    .amount_due = totals.amount_due,
			    .amount_remaining = totals.amount_remaining,
			    .metadata = "{}",
			    .created = now,
			};
			for (int j = 0; j < d->n_items; j++, kl++) {
				const struct og_sub_item *it = &d->items[j];
				lines[kl] = (struct og_invoice_line){.id = line_ids[kl],
				                                     .invoice_id = inv->id,
				                                     .line_type = LINE_SUBSCRIPTION,
				                                     .subscription_id = s->id,
				                                     .subscription_item_id = it->id,
				                                     .price_id = it->price_id,
				                                     .description = descriptions[j],
				                                     .has_unit_amount = true,
				                                     .unit_amount = it->unit_amount,
				                                     .quantity = it->quantity,
				                                     .amount = amounts[j],
				                                     .currency = s->currency,
				                                     .period_start = start,
				                                     .period_end = end};
			}
			tally_invoice(t, inv);
			start = end;
		}
		rolls[n_rolls++] = (struct store_sub_roll){.id = s->id,
		                                           .current_period_start = invs[k - 1].period_start,
		                                           .current_period_end = end,
		                                           .next_billing_at = end,
		                                           .latest_invoice_id = invs[k - 1].id};
	}
	if (k != n_inv || kl != n_lines)
		return OG_BUG(r->err, "the fast path wrote other counts than it planned");
	/* Everything that does not need an invoice number first: on PostgreSQL
	 * the account counter's row lock, held from the number block to the
	 * commit, serializes concurrent engines, so it is taken as late as it
	 * can be (per-customer numbering has no shared row). */
	if ((rc = store_billing_roll_subs(r->db, rolls, n_rolls)) != DB_OK)
		return db_fail(r, rc, "subscription roll");
	const char **numbers = arena_alloc(a, sizeof *numbers * (size_t)n_inv);
	if ((ec = take_numbers(r, invs, n_inv, numbers)))
		return ec;
	int64_t first_line = 0;
	for (int64_t i = 0; i < n_inv; i++) {
		struct og_invoice *inv = &invs[i];
		if ((ec = finalize_fields(r, inv, numbers[i])))
			return ec;
		/* the full invoice with its lines, as the API renders it: into the
		 * run's reusable writer, then one copy into the batch arena */
		const struct og_invoice_line *inv_lines = lines + first_line;
		int n_inv_lines = 0;
		while (first_line + n_inv_lines < n_lines && inv_lines[n_inv_lines].invoice_id == inv->id)
			n_inv_lines++;
		first_line += n_inv_lines;
		jsonw_reset(&r->event_w);
		jsonw_object_begin(&r->event_w);
		jsonw_key(&r->event_w, "object");
		model_invoice_render(&r->event_w, inv, inv_lines, n_inv_lines, false);
		jsonw_object_end(&r->event_w);
		size_t len;
		const char *json = jsonw_text(&r->event_w, &len);
		event_row(inv, arena_strndup(a, json, len), &events[i]);
		events[i].id = event_ids[i];
	}
	if ((rc = store_billing_insert_invoices(r->db, invs, (int)n_inv)) != DB_OK)
		return db_fail(r, rc, "invoice insert");
	if ((rc = store_billing_insert_lines(r->db, lines, (int)n_lines)) != DB_OK)
		return db_fail(r, rc, "invoice line insert");
	if ((rc = store_billing_insert_events(r->db, events, (int)n_inv)) != DB_OK)
		return db_fail(r, rc, "event insert");
	for (int64_t i = 0; i < n_inv; i++)
		if ((ec = collect_invoice(&bc, &invs[i])))
			return ec;
	return OG_EC_NONE;
}

/* ---- batches ------------------------------------------------------------- */

static enum db_rc txn_begin(struct run *r)
{
	return r->in_txn ? db_savepoint(r->db, SP_BATCH) : db_begin(r->db, true);
}

static enum db_rc txn_end(struct run *r, bool keep)
{
	if (r->in_txn) {
		enum db_rc rc = keep ? DB_OK : db_rollback_to(r->db, SP_BATCH);
		enum db_rc rc2 = db_release(r->db, SP_BATCH);
		return rc != DB_OK ? rc : rc2;
	}
	return keep ? db_commit(r->db) : db_rollback(r->db);
}

static void report_skip(struct run *r, const struct og_subscription *s, struct engine_stats *t)
{
	char id[ID_MAX_LEN], msg[600], dbmsg[600];
	log_msg(LOG_WARN, "billing_skipped", "\"subscription\":\"%s\",\"error\":\"%s\",\"db\":\"%s\"",
	        ids_encode(ID_SUBSCRIPTION, s->id, id), log_json_escape(r->err->message, msg, sizeof msg),
	        log_json_escape(db_errmsg(r->db), dbmsg, sizeof dbmsg));
	t->skipped++;
	if (t->n_skipped_ids < ENGINE_MAX_SKIPPED_IDS)
		t->skipped_ids[t->n_skipped_ids++] = s->id;
}

struct batch_result {
	int n_claimed;
	int n_done; /* subscriptions looked at (seen) */
	bool moved; /* the cursor advanced */
	int64_t cursor_at, cursor_id;
};

/* One subscription at a time, each in a savepoint (the fallback). */
static enum og_ec process_each(struct run *r, struct store_due_batch *b, struct engine_stats *t,
                               struct batch_result *res)
{
	int64_t budget = r->budget;
	for (int i = 0; i < b->n; i++) {
		struct store_due_sub *d = &b->subs[i];
		int64_t key_at = d->sub.next_billing_at, key_id = d->sub.id;
		if (budget <= 0)
			break;
		enum db_rc rc = db_savepoint(r->db, SP_SUB);
		if (rc != DB_OK)
			return db_fail(r, rc, "savepoint");
		struct engine_stats one = {0};
		bool complete = true;
		enum og_ec ec = bill_general(r, d, budget, &one, &complete);
		if (ec == OG_EC_DB_BUSY)
			return ec; /* a serialization failure: the whole batch again */
		if (ec) {
			if ((rc = db_rollback_to(r->db, SP_SUB)) != DB_OK || (rc = db_release(r->db, SP_SUB)) != DB_OK)
				return db_fail(r, rc, "rollback to savepoint");
			report_skip(r, &d->sub, t);
			complete = true; /* passed by the cursor: left for the next run */
		} else if ((rc = db_release(r->db, SP_SUB)) != DB_OK) {
			return db_fail(r, rc, "release savepoint");
		}
		stats_merge(t, &one);
		budget -= one.invoices;
		t->seen++;
		res->n_done++;
		if (!complete)
			break; /* the cursor stays before it: a later batch bills the rest */
		res->cursor_at = key_at;
		res->cursor_id = key_id;
		res->moved = true;
	}
	return OG_EC_NONE;
}

/* True when d's line amounts and totals are within the amount cap
 * (MONEY_AMOUNT_MAX: the same check as billing_items_fit); else the general
 * path refuses it and the run skips and reports it. */
static bool amounts_fit(const struct store_due_sub *d)
{
	int64_t amounts[BILLING_MAX_ITEMS];
	struct invoice_totals totals;
	for (int j = 0; j < d->n_items; j++)
		if (!invoice_line_amount(d->items[j].unit_amount, d->items[j].quantity, &amounts[j]))
			return false;
	return invoice_totals_compute(amounts, (size_t)d->n_items, 0, &totals);
}

/* The whole batch at once: the fast subscriptions with multi-row writes,
 * then the others through the general path. */
static enum og_ec process_batch(struct run *r, struct store_due_batch *b, struct engine_stats *t,
                                struct batch_result *res)
{
	struct plan *plans = arena_alloc(r->arena, sizeof *plans * (size_t)(b->n + 1));
	int64_t *keys = arena_alloc(r->arena, sizeof(int64_t) * 2 * (size_t)(b->n + 1));
	int64_t budget = r->budget, n_inv = 0, n_lines = 0;
	int n = 0;
	while (n < b->n && budget > 0) {
		struct store_due_sub *d = &b->subs[n];
		struct plan *p = &plans[n];
		keys[2 * n] = d->sub.next_billing_at;
		keys[2 * n + 1] = d->sub.id;
		int64_t due = periods_due(&d->sub, r->opts->now, budget, &p->complete, &p->first_end);
		p->fast = due > 0 && is_fast(d) && amounts_fit(d);
		if (due <= 0 || d->sub.cancel_at_period_end) { /* one step of the general path */
			due = 1;
			p->complete = true;
		}
		p->n_invoices = due;
		if (p->fast) {
			n_inv += due;
			n_lines += due * d->n_items;
		}
		budget -= due;
		n++;
		if (!p->complete)
			break; /* billed up to the budget; the rest in a later batch */
	}
	enum og_ec ec = write_fast(r, b->subs, plans, n, n_inv, n_lines, t);
	if (ec)
		return ec;
	for (int i = 0; i < n; i++) {
		if (plans[i].fast)
			continue;
		if ((ec = bill_general(r, &b->subs[i], plans[i].n_invoices, t, &plans[i].complete)))
			return ec;
	}
	t->seen += n;
	res->n_done = n;
	for (int i = 0; i < n && plans[i].complete; i++) {
		res->cursor_at = keys[2 * i];
		res->cursor_id = keys[2 * i + 1];
		res->moved = true;
	}
	return OG_EC_NONE;
}

/* Claims and bills one batch in one transaction. *retry: the failure was
 * DB_RETRY and the same batch may simply run again. */
static enum og_ec run_batch(struct run *r, int limit, bool one_by_one, struct engine_stats *t, struct batch_result *res,
                            bool *retry)
{
	*retry = false;
	memset(res, 0, sizeof *res);
	arena_reset(r->arena);
	memset(r->descriptions, 0, sizeof *r->descriptions);
	enum db_rc rc = txn_begin(r);
	if (rc != DB_OK) {
		*retry = rc == DB_RETRY;
		return db_fail(r, rc, "begin");
	}
	struct store_due_batch b;
	rc = store_billing_claim(r->db, r->arena, r->opts->clock_id, r->opts->now, r->cursor_at, r->cursor_id, limit,
	                         BILLING_MAX_ITEMS, &b);
	enum og_ec ec = OG_EC_NONE;
	if (rc != DB_OK)
		ec = db_fail(r, rc, "claim due subscriptions");
	else if (b.n > 0)
		ec = one_by_one ? process_each(r, &b, t, res) : process_batch(r, &b, t, res);
	res->n_claimed = rc == DB_OK ? b.n : 0;
	if (ec) {
		txn_end(r, false);
		*retry = ec == OG_EC_DB_BUSY;
		return ec;
	}
	rc = txn_end(r, !r->opts->dry_run && b.n > 0);
	if (rc != DB_OK) {
		*retry = rc == DB_RETRY;
		return db_fail(r, rc, "commit");
	}
	return OG_EC_NONE;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool stopped(const struct run *r)
{
	return r->opts->stop && *r->opts->stop;
}

static enum og_ec run_subscriptions(struct run *r)
{
	for (;;) {
		if (stopped(r))
			return OG_EC_NONE;
		int limit = r->batch_size;
		if (r->opts->limit > 0) {
			int64_t left = r->opts->limit - r->stats->seen;
			if (left <= 0)
				return OG_EC_NONE;
			if (left < limit)
				limit = (int)left;
		}
		struct engine_stats t;
		struct batch_result res;
		bool retry = false, one_by_one = false;
		enum og_ec ec;
		for (int attempt = 0;; attempt++) {
			memset(&t, 0, sizeof t);
			ec = run_batch(r, limit, one_by_one, &t, &res, &retry);
			if (!ec)
				break;
			if (retry) {
				if (r->in_txn || attempt >= ENGINE_RETRIES)
					return ec;
				sleep_ms(2 << attempt);
				continue;
			}
			if (one_by_one)
				return ec; /* failed outside any one subscription: the database itself */
			char msg[300];
			log_msg(LOG_WARN, "billing_batch_failed", "\"error\":\"%s\",\"retry\":\"one at a time\"",
			        log_json_escape(r->err->message, msg, sizeof msg));
			one_by_one = true;
			attempt = -1;
		}
		if (res.n_claimed == 0)
			return OG_EC_NONE;
		stats_merge(r->stats, &t);
		if (res.moved) {
			r->cursor_at = res.cursor_at;
			r->cursor_id = res.cursor_id;
		}
		if (r->opts->progress)
			r->opts->progress(r->opts->progress_arg, r->stats);
		if (r->opts->pause_ms > 0 && !r->in_txn)
			sleep_ms(r->opts->pause_ms);
	}
}

/* Marks open send_invoice invoices past their due date: past_due = 1 and
 * an invoice.overdue event with the invoice, a batch per transaction. */
static enum og_ec run_overdue(struct run *r)
{
	int64_t after_due = 0, after_id = 0;
	int64_t *ids = xmalloc(sizeof *ids * (size_t)r->batch_size);
	int64_t *due = xmalloc(sizeof *due * (size_t)r->batch_size);
	enum og_ec ec = OG_EC_NONE;
	for (;;) {
		if (stopped(r))
			break;
		arena_reset(r->arena);
		enum db_rc rc = txn_begin(r);
		if (rc != DB_OK) {
			ec = db_fail(r, rc, "begin");
			break;
		}
		int n = 0;
		struct engine_stats t = {0};
		struct billing_ctx bc = ctx_of(r);
		rc = store_billing_overdue(r->db, r->opts->clock_id, r->opts->now, after_due, after_id, r->batch_size,
		                           ids, due, &n);
		if (rc != DB_OK)
			ec = db_fail(r, rc, "overdue invoices");
		for (int i = 0; !ec && i < n; i++) {
			struct og_invoice inv;
			struct store_list lines;
			if ((rc = store_invoice_get(r->db, r->arena, ids[i], &inv)) != DB_ROW) {
				ec = db_fail(r, rc, "invoice");
				break;
			}
			inv.past_due = true;
			if ((rc = store_invoice_update(r->db, &inv)) != DB_ROW ||
			    (rc = store_invoice_lines_of(r->db, r->arena, inv.id, &lines)) != DB_OK) {
				ec = db_fail(r, rc, "invoice past due");
				break;
			}
			ec = billing_invoice_event(&bc, "invoice.overdue", &inv, lines.rows, lines.n, lines.has_more);
			t.marked_past_due++;
			after_due = due[i];
			after_id = ids[i];
		}
		if (ec) {
			txn_end(r, false);
			break;
		}
		if ((rc = txn_end(r, !r->opts->dry_run && n > 0)) != DB_OK) {
			ec = db_fail(r, rc, "commit");
			break;
		}
		stats_merge(r->stats, &t);
		if (n < r->batch_size)
			break;
	}
	free(ids);
	free(due);
	return ec;
}

/* ---- the WAL checkpointer (SQLite) --------------------------------------- *
 * With synchronous=FULL each commit appends the batch's pages to the WAL
 * and syncs it; every 1000 pages the committing connection would also copy
 * the WAL back into the database and sync that, stalling the engine. During
 * engine_run a helper thread with its own connection does those
 * checkpoints instead (passive: they never block the writer), on the other
 * core, and the engine's connection has automatic checkpoints off until
 * the run ends. Durability is the same: it comes from the WAL sync at each
 * commit. */
struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_stopping;
	struct db_conn *db;
};

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->is_stopping) {
		pthread_mutex_unlock(&c->lock);
		store_billing_checkpoint(c->db); /* busy or not, the next round tries again */
		pthread_mutex_lock(&c->lock);
		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += 20 * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (!c->is_stopping)
			pthread_cond_timedwait(&c->cond, &c->lock, &deadline);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* NULL when the database is not a SQLite file (or anything fails: the
 * engine then checkpoints as usual). */
static struct checkpointer *checkpointer_start(struct db_conn *db)
{
	char path[4096], url[4200], errbuf[256];
	if (store_billing_db_file(db, path, sizeof path) != DB_ROW)
		return NULL;
	snprintf(url, sizeof url, "sqlite:%s", path);
	struct db_conn *helper = db_open(url, errbuf, sizeof errbuf);
	if (!helper)
		return NULL;
	if (store_billing_autocheckpoint(db, false) != DB_OK) {
		db_close(helper);
		return NULL;
	}
	struct checkpointer *c = xcalloc(1, sizeof *c);
	c->db = helper;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		db_close(helper);
		free(c);
		store_billing_autocheckpoint(db, true);
		return NULL;
	}
	return c;
}

static void checkpointer_stop(struct checkpointer *c, struct db_conn *db)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->is_stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	db_close(c->db);
	free(c);
	store_billing_autocheckpoint(db, true);
}

static enum og_ec run(struct db_conn *db, const struct engine_opts *opts, struct engine_stats *stats,
                      struct og_error *err, bool in_txn)
{
	int64_t started = clock_mono_ns();
	struct og_error scratch;
	if (!err)
		err = &scratch;
	struct run r = {
	    .db = db,
	    .opts = opts,
	    .stats = stats,
	    .err = err,
	    .in_txn = in_txn,
	    .batch_size = opts->batch_size > 0 ? opts->batch_size : ENGINE_DEFAULT_BATCH,
	    .prefix = opts->invoice_prefix && *opts->invoice_prefix ? opts->invoice_prefix : "INV",
	};
	if (r.batch_size > ENGINE_MAX_BATCH)
		r.batch_size = ENGINE_MAX_BATCH;
	r.budget = (int64_t)r.batch_size * ENGINE_BUDGET_FACTOR;
	if (in_txn != db_in_txn(db))
		return og_err(err, OG_EC_INTERNAL, NULL,
		              in_txn ? "engine_run_in_txn needs an open transaction"
		                     : "engine_run needs a connection outside any transaction");
	if (!in_txn && store_billing_tune(db) != DB_OK)
		log_msg(LOG_WARN, "billing_tune_failed", "\"db\":\"%s\"",
		        db_backend(db) == DB_POSTGRES ? "postgres" : "sqlite");
	r.arena = arena_new();
	r.descriptions = xcalloc(1, sizeof *r.descriptions);
	jsonw_init(&r.event_w, NULL, ENGINE_EVENT_CAP);
	struct checkpointer *ckpt = in_txn || opts->dry_run ? NULL : checkpointer_start(db);
	enum og_ec ec = run_subscriptions(&r);
	if (!ec)
		ec = run_overdue(&r);
	checkpointer_stop(ckpt, db);
	arena_free(r.arena);
	free(r.descriptions);
	jsonw_free(&r.event_w);
	stats->elapsed_ns += clock_mono_ns() - started;
	return ec;
}

enum og_ec engine_run(struct db_conn *db, const struct engine_opts *opts, struct engine_stats *stats,
                      struct og_error *err)
{
	return run(db, opts, stats, err, false);
}

enum og_ec engine_run_in_txn(struct db_conn *db, const struct engine_opts *opts, struct engine_stats *stats,
                             struct og_error *err)
{
	return run(db, opts, stats, err, true);
}

/* ---- waking the worker --------------------------------------------------- */

static pthread_mutex_t waker_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*waker_fn)(void *arg);
static void *waker_arg;

void engine_worker_set_waker(void (*wake)(void *arg), void *arg)
{
	pthread_mutex_lock(&waker_lock);
	waker_fn = wake;
	waker_arg = arg;
	pthread_mutex_unlock(&waker_lock);
}

void engine_worker_wake(void)
{
	pthread_mutex_lock(&waker_lock);
	if (waker_fn)
		waker_fn(waker_arg);
	pthread_mutex_unlock(&waker_lock);
}
