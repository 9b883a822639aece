/* The end-to-end test of automatic billing (issue 4, item 5) and of the
 * subscription lifecycle (issue 3, "done means"), against a real `oneguard
 * serve --enable-test-clocks` on SQLite and PostgreSQL.
 *
 * Each scenario puts its customers on its own test clock and advances it
 * step by step (across two years for the month-end and Feb 29 anchors),
 * and after every step compares the invoices that appeared with EXPECTED
 * VALUES WRITTEN HERE, worked out by hand from the rules, not by the code
 * under test:
 *   - periods from the anchor, the anchor's day clamped to the month's
 *     length (Jan 31 monthly: Feb 28, Mar 31, Apr 30 ...; Feb 29 monthly:
 *     Mar 29 ... Jan 29, Feb 28 in common years; Feb 29 yearly: Feb 28 in
 *     common years, Feb 29 in leap years);
 *   - proration by the second, each line rounded once, half away from zero:
 *     credit = -round(old * remaining / period), charge = round(new *
 *     remaining / period). Three upgrades are the cases of
 *     tests/vectors/proration.json (marked "vector"); the others are worked
 *     out next to them.
 * Invoice numbers must follow each other with no gap in the order the
 * invoices are issued. For every invoice: lines sum to the subtotal, total =
 * subtotal, amount_due = max(0, total), status open (or paid when nothing is
 * due), and one invoice.finalized event. Before every advance,
 * GET /v1/invoices/upcoming of each subscription that falls due must match
 * the invoice the advance then issues.
 *
 * The transitions scenario walks a subscription through every allowed
 * transition and tries every refused one: 409 subscription_status_invalid,
 * a message naming the current status, and the database fingerprint
 * unchanged. The last test checks invariants over every invoice of the run.
 *
 * Conventions: times are "YYYY-MM-DDTHH:MM:SSZ" (billing_helpers.h); amounts
 * are usd cents; subscriptions are named by a label ("S1") in each world. */
#include "api/billing_helpers.h"
#include "api/lib/apitest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a world: one clock, its subscriptions, the invoices seen ------------- */

#define MAX_SUBS  12
#define MAX_FRESH 64

struct world {
	const char *clock;
	const char *now; /* the clock's frozen time */
	int n_subs;
	const char *labels[MAX_SUBS];
	const char *subs[MAX_SUBS];
	json_t *seen;             /* invoice id -> true: every invoice looked at */
	json_t *fresh[MAX_FRESH]; /* new invoices (with "_lines"), in number order */
	int n_fresh, fresh_pos;
	long long next_number; /* of the next invoice; 0 before the first */
	int n_invoices;
};

static struct world *world_new(const char *iso)
{
	struct world *w = at_keep(calloc(1, sizeof *w));
	w->clock = bh_clock(iso);
	w->now = iso;
	w->seen = at_keep_json(json_object());
	return w;
}

static const char *sub_id(const struct world *w, const char *label)
{
	for (int i = 0; i < w->n_subs; i++)
		if (!strcmp(w->labels[i], label))
			return w->subs[i];
	AT_FAIL(NULL, "no subscription labelled %s in this world", label);
	return NULL;
}

static const char *sub_label(const struct world *w, const char *id)
{
	for (int i = 0; i < w->n_subs && id; i++)
		if (!strcmp(w->subs[i], id))
			return w->labels[i];
	return "(not of this world)";
}

static long long number_of(const char *number)
{
	const char *dash = number ? strrchr(number, '-') : NULL;
	return dash ? strtoll(dash + 1, NULL, 10) : -1;
}

static int by_number(const void *a, const void *b)
{
	long long x = number_of(json_string_value(json_object_get(*(json_t *const *)a, "number")));
	long long y = number_of(json_string_value(json_object_get(*(json_t *const *)b, "number")));
	return x < y ? -1 : x > y;
}

/* Checks what every issued invoice must satisfy, whatever it bills. */
static void check_invoice_invariants(const struct at_resp *r, json_t *inv, json_t *lines)
{
	long long subtotal = json_integer_value(json_object_get(inv, "subtotal"));
	long long total = json_integer_value(json_object_get(inv, "total"));
	long long due = json_integer_value(json_object_get(inv, "amount_due"));
	long long paid = json_integer_value(json_object_get(inv, "amount_paid"));
	long long remaining = json_integer_value(json_object_get(inv, "amount_remaining"));
	const char *status = json_string_value(json_object_get(inv, "status"));
	const char *id = json_string_value(json_object_get(inv, "id"));
	long long sum = 0;
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
	{
		sum += json_integer_value(json_object_get(l, "amount"));
		const char *type = json_string_value(json_object_get(l, "type"));
		/* in these scenarios every invoice item is a proration */
		if (type && !strcmp(type, "invoiceitem") && !json_is_true(json_object_get(l, "proration")))
			AT_FAIL(r, "invoice %s line %zu: an invoice item that is not a proration", id, i);
	}
	if (sum != subtotal)
		AT_FAIL(r, "invoice %s: the lines sum to %lld, the subtotal is %lld", id, sum, subtotal);
	if (total != subtotal)
		AT_FAIL(r, "invoice %s: total %lld != subtotal %lld", id, total, subtotal);
	/* the customer balance (issue 14): a credit pays part of a positive
	 * total; a negative total becomes credit, never lost */
	long long moved = json_integer_value(json_object_get(inv, "ending_balance")) -
	                  json_integer_value(json_object_get(inv, "starting_balance"));
	if (total < 0 && moved != total)
		AT_FAIL(r, "invoice %s: a total of %lld moved the balance by %lld", id, total, moved);
	if (due != (subtotal > 0 ? subtotal - moved : 0) || (total >= 0 && moved < 0))
		AT_FAIL(r, "invoice %s: amount_due %lld for a total of %lld (balance moved %lld)", id, due, total,
		        moved);
	if (paid != 0 || remaining != (due > 0 ? due : 0))
		AT_FAIL(r, "invoice %s: amount_paid %lld, amount_remaining %lld for amount_due %lld", id, paid,
		        remaining, due);
	if (!status || strcmp(status, due > 0 ? "open" : "paid"))
		AT_FAIL(r, "invoice %s: status %s with amount_due %lld", id, status ? status : "null", due);
	if (number_of(json_string_value(json_object_get(inv, "number"))) <= 0)
		AT_FAIL(r, "invoice %s has no number", id);
	if (strcmp(json_string_value(json_object_get(inv, "currency")), "usd"))
		AT_FAIL(r, "invoice %s is not in usd", id);
}

static json_t *lines_of(const char *invoice)
{
	struct at_resp *r = at_get("/v1/invoices/%s/lines?limit=100", invoice);
	AT_STATUS(r, 200);
	AT_BOOL(r, "has_more", false);
	return json_object_get(r->json, "data");
}

/* Reads the invoices of the world's subscriptions that were not seen yet
 * and queues them, in number order, for expect_inv. */
static void collect(struct world *w)
{
	json_t *found[MAX_FRESH];
	int n = 0;
	for (int s = 0; s < w->n_subs; s++) {
		struct at_resp *r = bh_invoices_of(w->subs[s]);
		size_t i;
		json_t *inv;
		json_array_foreach(json_object_get(r->json, "data"), i, inv)
		{
			const char *id = json_string_value(json_object_get(inv, "id"));
			if (json_object_get(w->seen, id))
				continue;
			json_object_set_new(w->seen, id, json_true());
			if (n == MAX_FRESH)
				AT_FAIL(r, "more than %d new invoices at once", MAX_FRESH);
			json_t *copy = at_keep_json(json_deep_copy(inv));
			json_t *lines = lines_of(id);
			json_object_set(copy, "_lines", lines);
			check_invoice_invariants(r, copy, lines);
			found[n++] = copy;
		}
	}
	qsort(found, (size_t)n, sizeof found[0], by_number);
	if (w->fresh_pos == w->n_fresh) /* all consumed: start the queue over */
		w->fresh_pos = w->n_fresh = 0;
	if (w->n_fresh + n > MAX_FRESH)
		AT_FAIL(NULL, "too many invoices not yet expected");
	for (int i = 0; i < n; i++)
		w->fresh[w->n_fresh++] = found[i];
}

static const char *describe_invoice(const struct world *w, json_t *inv)
{
	char *lines = at_strdup("");
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(inv, "_lines"), i, l)
	{
		lines = at_fmt("%s%s%lld", lines, i ? ", " : "",
		               (long long)json_integer_value(json_object_get(l, "amount")));
	}
	return at_fmt("%s %s %s [%s, %s) subtotal %lld lines [%s] number %s",
	              sub_label(w, json_string_value(json_object_get(inv, "subscription"))),
	              json_string_value(json_object_get(inv, "id")),
	              json_string_value(json_object_get(inv, "billing_reason")),
	              bh_iso(json_integer_value(json_object_get(inv, "period_start"))),
	              bh_iso(json_integer_value(json_object_get(inv, "period_end"))),
	              (long long)json_integer_value(json_object_get(inv, "subtotal")), lines,
	              json_string_value(json_object_get(inv, "number")));
}

/* No invoice appeared that the test did not expect. */
static void expect_none_at(const char *file, int line, struct world *w)
{
	if (w->fresh_pos < w->n_fresh)
		at__fail(file, line, NULL, "unexpected invoice at %s: %s", w->now,
		         describe_invoice(w, w->fresh[w->fresh_pos]));
}
#define EXPECT_NONE(w) expect_none_at(__FILE__, __LINE__, (w))

/* The next new invoice, in number order, is exactly this one. */
static void expect_inv(const char *file, int line, struct world *w, const char *label, const char *reason,
                       const char *start, const char *end, long long subtotal, const long long *lines, size_t n_lines)
{
	const char *want = at_fmt("%s %s [%s, %s) subtotal %lld", label, reason, start, end, subtotal);
	if (w->fresh_pos >= w->n_fresh)
		at__fail(file, line, NULL, "no new invoice at %s; want %s", w->now, want);
	json_t *inv = w->fresh[w->fresh_pos++];
	const char *got = describe_invoice(w, inv);
	const char *sub = json_string_value(json_object_get(inv, "subscription"));
	if (!sub || strcmp(sub, sub_id(w, label)))
		at__fail(file, line, NULL, "invoice of the wrong subscription:\n    got  %s\n    want %s", got, want);
	if (strcmp(json_string_value(json_object_get(inv, "billing_reason")), reason) ||
	    json_integer_value(json_object_get(inv, "period_start")) != bh_time(start) ||
	    json_integer_value(json_object_get(inv, "period_end")) != bh_time(end) ||
	    json_integer_value(json_object_get(inv, "subtotal")) != subtotal)
		at__fail(file, line, NULL, "invoice differs:\n    got  %s\n    want %s", got, want);
	json_t *ls = json_object_get(inv, "_lines");
	bool same = json_array_size(ls) == n_lines;
	for (size_t i = 0; same && i < n_lines; i++)
		same = json_integer_value(json_object_get(json_array_get(ls, i), "amount")) == lines[i];
	if (!same) {
		char *w_lines = at_strdup("");
		for (size_t i = 0; i < n_lines; i++)
			w_lines = at_fmt("%s%s%lld", w_lines, i ? ", " : "", lines[i]);
		at__fail(file, line, NULL, "invoice lines differ:\n    got  %s\n    want lines [%s]", got, w_lines);
	}
	/* subscription lines bill the invoice's period */
	size_t i;
	json_t *l;
	json_array_foreach(ls, i, l)
	{
		if (!strcmp(json_string_value(json_object_get(l, "type")), "subscription") &&
		    (json_integer_value(at_json_path(l, "period.start")) != bh_time(start) ||
		     json_integer_value(at_json_path(l, "period.end")) != bh_time(end)))
			at__fail(file, line, NULL, "line %zu does not bill the invoice's period: %s", i, got);
	}
	if (json_integer_value(json_object_get(inv, "created")) != bh_time(w->now))
		at__fail(file, line, NULL, "invoice created at %s, not at the clock's time %s: %s",
		         bh_iso(json_integer_value(json_object_get(inv, "created"))), w->now, got);
	long long number = number_of(json_string_value(json_object_get(inv, "number")));
	if (w->next_number && number != w->next_number)
		at__fail(file, line, NULL, "invoice number %lld, want %lld (sequential, no gap): %s", number,
		         w->next_number, got);
	w->next_number = number + 1;
	w->n_invoices++;
}
#define LINES(...) (const long long[]){__VA_ARGS__}, sizeof((const long long[]){__VA_ARGS__}) / sizeof(long long)
#define EXPECT_INV(w, label, reason, start, end, subtotal, ...)                                                        \
	expect_inv(__FILE__, __LINE__, (w), (label), (reason), (start), (end), (subtotal), LINES(__VA_ARGS__))

/* ---- subscriptions ----------------------------------------------------------- */

/* Creates a subscription for cus from the JSON members in body_fmt (without
 * "customer" and the braces) and tracks it as label. */
static struct at_resp *sub_create(struct world *w, const char *label, const char *cus, const char *members)
{
	if (w->n_subs == MAX_SUBS)
		AT_FAIL(NULL, "too many subscriptions in one world");
	EXPECT_NONE(w);
	struct at_resp *r = at_post_json("/v1/subscriptions", "{\"customer\":\"%s\",%s}", cus, members);
	AT_STATUS(r, 200);
	AT_STR(r, "test_clock", w->clock);
	w->labels[w->n_subs] = label;
	w->subs[w->n_subs++] = at_str(r, "id");
	collect(w);
	return r;
}

/* POST /v1/subscriptions/{label}[/action] with a JSON body; 200 expected. */
static struct at_resp *sub_post(struct world *w, const char *label, const char *action, const char *body)
{
	EXPECT_NONE(w);
	struct at_resp *r = at_post_json(
	    at_fmt("/v1/subscriptions/%s%s%s", sub_id(w, label), action ? "/" : "", action ? action : ""), "%s", body);
	AT_STATUS(r, 200);
	collect(w);
	return r;
}

static const char *item_of(struct world *w, const char *label)
{
	struct at_resp *r = at_get("/v1/subscriptions/%s", sub_id(w, label));
	AT_STATUS(r, 200);
	return at_str(r, "items.data[0].id");
}

static void expect_sub_at(const char *file, int line, struct world *w, const char *label, const char *status,
                          const char *period_start, const char *period_end, const char *next_billing_at)
{
	struct at_resp *r = at_get("/v1/subscriptions/%s", sub_id(w, label));
	at__expect_status(file, line, r, 200);
	at__expect_str(file, line, r, "status", status);
	bh__expect_time(file, line, r, "current_period_start", period_start);
	bh__expect_time(file, line, r, "current_period_end", period_end);
	bh__expect_time(file, line, r, "next_billing_at", next_billing_at);
}
#define EXPECT_SUB(w, label, status, start, end, next)                                                                 \
	expect_sub_at(__FILE__, __LINE__, (w), (label), (status), (start), (end), (next))

/* Compares GET /v1/invoices/upcoming (taken before the advance) with the
 * invoice the advance issued. */
static void compare_upcoming(struct world *w, const char *label, const struct at_resp *up, json_t *inv)
{
	const char *got = describe_invoice(w, inv);
	static const char *const keys[] = {"period_start", "period_end",     "subtotal",     "total",
	                                   "currency",     "billing_reason", "subscription", "customer"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (!json_equal(json_object_get(up->json, keys[k]), json_object_get(inv, keys[k])))
			AT_FAIL(up, "%s: the upcoming invoice's %s differs from the invoice the advance issued: %s",
			        label, keys[k], got);
	/* amount_due before the customer balance: another subscription of the
	 * customer may use the credit the preview saw first (issue 14) */
	long long due_up = json_integer_value(json_object_get(up->json, "amount_due")) +
	                   json_integer_value(json_object_get(up->json, "ending_balance")) -
	                   json_integer_value(json_object_get(up->json, "starting_balance"));
	long long due_inv = json_integer_value(json_object_get(inv, "amount_due")) +
	                    json_integer_value(json_object_get(inv, "ending_balance")) -
	                    json_integer_value(json_object_get(inv, "starting_balance"));
	long long total = json_integer_value(json_object_get(inv, "total"));
	if (total >= 0 && due_up != due_inv)
		AT_FAIL(up,
		        "%s: the upcoming invoice's amount_due before the balance is %lld, the issued one's %lld: %s",
		        label, due_up, due_inv, got);
	json_t *want = json_object_get(json_object_get(up->json, "lines"), "data");
	json_t *have = json_object_get(inv, "_lines");
	if (json_array_size(want) != json_array_size(have))
		AT_FAIL(up, "%s: the upcoming invoice has %zu lines, the issued one %zu: %s", label,
		        json_array_size(want), json_array_size(have), got);
	static const char *const line_keys[] = {"amount",   "period",      "proration", "type",
	                                        "quantity", "unit_amount", "price",     "description"};
	for (size_t i = 0; i < json_array_size(want); i++)
		for (size_t k = 0; k < sizeof line_keys / sizeof line_keys[0]; k++)
			if (!json_equal(json_object_get(json_array_get(want, i), line_keys[k]),
			                json_object_get(json_array_get(have, i), line_keys[k])))
				AT_FAIL(up, "%s: upcoming line %zu's %s differs from the issued invoice's: %s", label,
				        i, line_keys[k], got);
}

/* Advances the world's clock to iso. Before: every subscription that falls
 * due by then has its upcoming invoice read; after: the new invoices are
 * collected and each preview is compared with its subscription's first new
 * invoice (or, when there was no upcoming invoice, none may appear). */
static void step(struct world *w, const char *iso)
{
	EXPECT_NONE(w);
	at_step("advance %s to %s", w->clock, iso);
	long long t = bh_time(iso);
	struct at_resp *up[MAX_SUBS] = {0};
	for (int s = 0; s < w->n_subs; s++) {
		struct at_resp *r = at_get("/v1/subscriptions/%s", w->subs[s]);
		AT_STATUS(r, 200);
		json_t *next = at_json_path(r->json, "next_billing_at");
		if (json_is_integer(next) && json_integer_value(next) <= t) {
			up[s] = at_get("/v1/invoices/upcoming?subscription=%s", w->subs[s]);
			if (up[s]->status != 200 && up[s]->status != 404)
				AT_FAIL(up[s], "upcoming invoice of %s", w->labels[s]);
		}
	}
	bh_advance(w->clock, iso);
	w->now = iso;
	collect(w);
	for (int s = 0; s < w->n_subs; s++) {
		if (!up[s])
			continue;
		json_t *first = NULL;
		for (int i = w->fresh_pos; i < w->n_fresh && !first; i++)
			if (!strcmp(json_string_value(json_object_get(w->fresh[i], "subscription")), w->subs[s]))
				first = w->fresh[i];
		if (up[s]->status == 404) {
			if (first)
				AT_FAIL(up[s], "%s had no upcoming invoice, but the advance issued %s", w->labels[s],
				        describe_invoice(w, first));
			continue;
		}
		if (!first)
			AT_FAIL(up[s], "%s was due and had an upcoming invoice, but the advance issued none",
			        w->labels[s]);
		compare_upcoming(w, w->labels[s], up[s], first);
	}
}

/* ---- events -------------------------------------------------------------------- */

/* object id -> number of events of type about it, over every page. */
static json_t *event_counts(const char *type)
{
	json_t *counts = at_keep_json(json_object());
	const char *after = NULL;
	for (int page = 0; page < 1000; page++) {
		struct at_resp *r = after ? at_get("/v1/events?type=%s&limit=100&starting_after=%s", type, after)
		                          : at_get("/v1/events?type=%s&limit=100", type);
		AT_STATUS(r, 200);
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(r->json, "data"), i, e)
		{
			const char *t = json_string_value(json_object_get(e, "type"));
			if (!t || strcmp(t, type))
				AT_FAIL(r, "the type filter let a %s event through", t ? t : "?");
			const char *obj = json_string_value(at_json_path(e, "data.object.id"));
			if (!obj)
				AT_FAIL(r, "event without data.object.id");
			json_object_set_new(counts, obj,
			                    json_integer(json_integer_value(json_object_get(counts, obj)) + 1));
			after = json_string_value(json_object_get(e, "id"));
		}
		if (!json_is_true(json_object_get(r->json, "has_more")))
			return counts;
	}
	AT_FAIL(NULL, "too many %s events", type);
	return counts;
}

static void expect_events_at(const char *file, int line, struct world *w, const char *label, const char *type,
                             long long min, long long max)
{
	long long n = json_integer_value(json_object_get(event_counts(type), sub_id(w, label)));
	if (n < min || n > max)
		at__fail(file, line, NULL, "%s has %lld %s event(s), want %lld..%lld", label, n, type, min, max);
}
#define EXPECT_EVENTS(w, label, type, n)     expect_events_at(__FILE__, __LINE__, (w), (label), (type), (n), (n))
#define EXPECT_EVENTS_MIN(w, label, type, n) expect_events_at(__FILE__, __LINE__, (w), (label), (type), (n), 1000000)

/* Every invoice of the world has exactly one invoice.finalized event, and
 * the world saw exactly n_invoices of them. */
static void expect_invoice_events(struct world *w, int n_invoices)
{
	at_step("events: one invoice.finalized per invoice");
	EXPECT_NONE(w);
	if (w->n_invoices != n_invoices)
		AT_FAIL(NULL, "the scenario expected %d invoices, counted %d", n_invoices, w->n_invoices);
	json_t *counts = event_counts("invoice.finalized");
	const char *id;
	json_t *v;
	json_object_foreach(w->seen, id, v)
	{
		if (json_integer_value(json_object_get(counts, id)) != 1)
			AT_FAIL(NULL, "invoice %s has %lld invoice.finalized events", id,
			        (long long)json_integer_value(json_object_get(counts, id)));
	}
	if ((int)json_object_size(w->seen) != n_invoices)
		AT_FAIL(NULL, "%zu invoices in the database for this world, want %d", json_object_size(w->seen),
		        n_invoices);
}

/* ---- the scenarios ---------------------------------------------------------------- */

/* Monthly (Basic 30.00, upgraded to Pro 60.00 with create_prorations) and
 * yearly (300.00 x 2) subscriptions anchored on Jan 31 2027, two years. */
static void month_end_anchor_two_years(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-31T00:00:00Z");
	const char *prod = bh_product("Thirty-first");
	const char *basic = bh_price(prod, 3000, "month", NULL);
	const char *pro = bh_price(prod, 6000, "month", NULL);
	const char *yearly = bh_price(prod, 30000, "year", NULL);
	const char *cus = bh_customer(w->clock);

	at_step("S1 monthly and Y1 yearly start on Jan 31");
	sub_create(w, "S1", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", basic));
	EXPECT_INV(w, "S1", "subscription_create", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	sub_create(w, "Y1", cus, at_fmt("\"items\":[{\"price\":\"%s\",\"quantity\":2}],\"confirm\":true", yearly));
	EXPECT_INV(w, "Y1", "subscription_create", "2027-01-31T00:00:00Z", "2028-01-31T00:00:00Z", 60000, 60000);
	EXPECT_SUB(w, "S1", "active", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", "2027-02-28T00:00:00Z");
	EXPECT_SUB(w, "Y1", "active", "2027-01-31T00:00:00Z", "2028-01-31T00:00:00Z", "2028-01-31T00:00:00Z");

	step(w, "2027-02-27T23:59:59Z");
	step(w, "2027-02-28T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);

	/* period [Feb 28, Mar 31) is 31 days; on Mar 16, 15 days remain:
	 * credit -round(3000 * 15/31) = -round(1451.61) = -1452,
	 * charge  round(6000 * 15/31) =  round(2903.23) =  2903 */
	step(w, "2027-03-16T00:00:00Z");
	at_step("upgrade S1 to Pro on Mar 16 with create_prorations");
	struct at_resp *r = sub_post(w, "S1", NULL,
	                             at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],"
	                                    "\"proration_behavior\":\"create_prorations\"}",
	                                    item_of(w, "S1"), pro));
	AT_STR(r, "items.data[0].price.id", pro);
	EXPECT_NONE(w);
	step(w, "2027-03-31T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 7451, 6000, -1452,
	           2903);
	step(w, "2027-04-30T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z", 6000, 6000);
	step(w, "2027-05-31T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-05-31T00:00:00Z", "2027-06-30T00:00:00Z", 6000, 6000);
	step(w, "2027-06-30T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-06-30T00:00:00Z", "2027-07-31T00:00:00Z", 6000, 6000);

	at_step("three months in one advance: one invoice per period, oldest first");
	step(w, "2027-10-01T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-07-31T00:00:00Z", "2027-08-31T00:00:00Z", 6000, 6000);
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-08-31T00:00:00Z", "2027-09-30T00:00:00Z", 6000, 6000);
	EXPECT_INV(w, "S1", "subscription_cycle", "2027-09-30T00:00:00Z", "2027-10-31T00:00:00Z", 6000, 6000);
	EXPECT_SUB(w, "S1", "active", "2027-09-30T00:00:00Z", "2027-10-31T00:00:00Z", "2027-10-31T00:00:00Z");

	static const char *const months[][2] = {
	    {"2027-10-31T00:00:00Z", "2027-11-30T00:00:00Z"}, {"2027-11-30T00:00:00Z", "2027-12-31T00:00:00Z"},
	    {"2027-12-31T00:00:00Z", "2028-01-31T00:00:00Z"}, {"2028-01-31T00:00:00Z", "2028-02-29T00:00:00Z"},
	    {"2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z"}, {"2028-03-31T00:00:00Z", "2028-04-30T00:00:00Z"},
	    {"2028-04-30T00:00:00Z", "2028-05-31T00:00:00Z"}, {"2028-05-31T00:00:00Z", "2028-06-30T00:00:00Z"},
	    {"2028-06-30T00:00:00Z", "2028-07-31T00:00:00Z"}, {"2028-07-31T00:00:00Z", "2028-08-31T00:00:00Z"},
	    {"2028-08-31T00:00:00Z", "2028-09-30T00:00:00Z"}, {"2028-09-30T00:00:00Z", "2028-10-31T00:00:00Z"},
	    {"2028-10-31T00:00:00Z", "2028-11-30T00:00:00Z"}, {"2028-11-30T00:00:00Z", "2028-12-31T00:00:00Z"},
	};
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
		step(w, months[i][0]);
		EXPECT_INV(w, "S1", "subscription_cycle", months[i][0], months[i][1], 6000, 6000);
		if (!strcmp(months[i][0], "2028-01-31T00:00:00Z")) /* same due time: the older subscription first */
			EXPECT_INV(w, "Y1", "subscription_cycle", "2028-01-31T00:00:00Z", "2029-01-31T00:00:00Z", 60000,
			           60000);
	}
	EXPECT_SUB(w, "Y1", "active", "2028-01-31T00:00:00Z", "2029-01-31T00:00:00Z", "2029-01-31T00:00:00Z");

	at_step("cancel S1 at the end of its period");
	step(w, "2028-12-15T00:00:00Z");
	r = sub_post(w, "S1", NULL, "{\"cancel_at_period_end\":true}");
	AT_BOOL(r, "cancel_at_period_end", true);
	BH_TIME(r, "cancel_at", "2028-12-31T00:00:00Z");
	AT_STR(r, "status", "active");
	AT_ERROR(at_get("/v1/invoices/upcoming?subscription=%s", sub_id(w, "S1")), 404, "invalid_request_error",
	         "resource_missing", "subscription");
	step(w, "2028-12-31T00:00:00Z");
	EXPECT_NONE(w);
	r = at_get("/v1/subscriptions/%s", sub_id(w, "S1"));
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "ended_at", "2028-12-31T00:00:00Z");
	BH_TIME(r, "next_billing_at", NULL);
	step(w, "2029-01-31T00:00:00Z");
	EXPECT_INV(w, "Y1", "subscription_cycle", "2029-01-31T00:00:00Z", "2030-01-31T00:00:00Z", 60000, 60000);

	EXPECT_EVENTS(w, "S1", "customer.subscription.created", 1);
	EXPECT_EVENTS_MIN(w, "S1", "customer.subscription.updated", 3); /* confirm, upgrade, cancel_at_period_end */
	EXPECT_EVENTS(w, "S1", "customer.subscription.deleted", 1);
	EXPECT_EVENTS(w, "Y1", "customer.subscription.created", 1);
	EXPECT_EVENTS(w, "Y1", "customer.subscription.deleted", 0);
	expect_invoice_events(w, 1 + 22 + 3); /* S1: create + 22 cycles; Y1: create + 2 */
}

/* Monthly (25.00) and yearly (300.00) subscriptions anchored on Feb 29 2028:
 * two years month by month, then the yearly one to Feb 29 2032. */
static void feb29_anchor_two_years(void **state)
{
	(void)state;
	struct world *w = world_new("2028-02-29T00:00:00Z");
	const char *prod = bh_product("Leap day");
	const char *monthly = bh_price(prod, 2500, "month", NULL);
	const char *yearly = bh_price(prod, 30000, "year", NULL);
	const char *cus = bh_customer(w->clock);

	sub_create(w, "M2", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", monthly));
	EXPECT_INV(w, "M2", "subscription_create", "2028-02-29T00:00:00Z", "2028-03-29T00:00:00Z", 2500, 2500);
	sub_create(w, "Y2", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", yearly));
	EXPECT_INV(w, "Y2", "subscription_create", "2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z", 30000, 30000);

	static const char *const months[][2] = {
	    {"2028-03-29T00:00:00Z", "2028-04-29T00:00:00Z"}, {"2028-04-29T00:00:00Z", "2028-05-29T00:00:00Z"},
	    {"2028-05-29T00:00:00Z", "2028-06-29T00:00:00Z"}, {"2028-06-29T00:00:00Z", "2028-07-29T00:00:00Z"},
	    {"2028-07-29T00:00:00Z", "2028-08-29T00:00:00Z"}, {"2028-08-29T00:00:00Z", "2028-09-29T00:00:00Z"},
	    {"2028-09-29T00:00:00Z", "2028-10-29T00:00:00Z"}, {"2028-10-29T00:00:00Z", "2028-11-29T00:00:00Z"},
	    {"2028-11-29T00:00:00Z", "2028-12-29T00:00:00Z"}, {"2028-12-29T00:00:00Z", "2029-01-29T00:00:00Z"},
	    {"2029-01-29T00:00:00Z", "2029-02-28T00:00:00Z"}, {"2029-02-28T00:00:00Z", "2029-03-29T00:00:00Z"},
	    {"2029-03-29T00:00:00Z", "2029-04-29T00:00:00Z"}, {"2029-04-29T00:00:00Z", "2029-05-29T00:00:00Z"},
	    {"2029-05-29T00:00:00Z", "2029-06-29T00:00:00Z"}, {"2029-06-29T00:00:00Z", "2029-07-29T00:00:00Z"},
	    {"2029-07-29T00:00:00Z", "2029-08-29T00:00:00Z"}, {"2029-08-29T00:00:00Z", "2029-09-29T00:00:00Z"},
	    {"2029-09-29T00:00:00Z", "2029-10-29T00:00:00Z"}, {"2029-10-29T00:00:00Z", "2029-11-29T00:00:00Z"},
	    {"2029-11-29T00:00:00Z", "2029-12-29T00:00:00Z"}, {"2029-12-29T00:00:00Z", "2030-01-29T00:00:00Z"},
	    {"2030-01-29T00:00:00Z", "2030-02-28T00:00:00Z"}, {"2030-02-28T00:00:00Z", "2030-03-29T00:00:00Z"},
	};
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
		step(w, months[i][0]);
		EXPECT_INV(w, "M2", "subscription_cycle", months[i][0], months[i][1], 2500, 2500);
		if (!strcmp(months[i][0], "2029-02-28T00:00:00Z"))
			EXPECT_INV(w, "Y2", "subscription_cycle", "2029-02-28T00:00:00Z", "2030-02-28T00:00:00Z", 30000,
			           30000);
		if (!strcmp(months[i][0], "2030-02-28T00:00:00Z"))
			EXPECT_INV(w, "Y2", "subscription_cycle", "2030-02-28T00:00:00Z", "2031-02-28T00:00:00Z", 30000,
			           30000);
	}

	at_step("cancel M2 now (no proration, no final invoice)");
	step(w, "2030-03-01T00:00:00Z");
	EXPECT_NONE(w);
	struct at_resp *r = at_delete("/v1/subscriptions/%s", sub_id(w, "M2"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "canceled_at", "2030-03-01T00:00:00Z");
	BH_TIME(r, "ended_at", "2030-03-01T00:00:00Z");
	collect(w);
	EXPECT_NONE(w);

	at_step("the yearly one to the next leap day in one advance");
	step(w, "2032-02-29T00:00:00Z");
	EXPECT_INV(w, "Y2", "subscription_cycle", "2031-02-28T00:00:00Z", "2032-02-29T00:00:00Z", 30000, 30000);
	EXPECT_INV(w, "Y2", "subscription_cycle", "2032-02-29T00:00:00Z", "2033-02-28T00:00:00Z", 30000, 30000);
	EXPECT_SUB(w, "Y2", "active", "2032-02-29T00:00:00Z", "2033-02-28T00:00:00Z", "2033-02-28T00:00:00Z");
	EXPECT_SUB(w, "M2", "canceled", "2030-02-28T00:00:00Z", "2030-03-29T00:00:00Z", NULL);

	EXPECT_EVENTS(w, "M2", "customer.subscription.deleted", 1);
	expect_invoice_events(w, 25 + 5); /* M2: create + 24 cycles; Y2: create + 4 */
}

/* Trials: one to a given trial_end (Jan 31, so the paid periods are anchored
 * on the 31st), one from the price's trial_period_days (14 days from Jan 17:
 * Jan 31 too). Then T2 is canceled mid-period with a prorated credit. */
static void trials_then_month_end(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-17T00:00:00Z");
	const char *prod = bh_product("Trial");
	const char *plain = bh_price(prod, 3000, "month", NULL);
	const char *with_trial = bh_price(prod, 3000, "month", "\"trial_period_days\":14");
	const char *cus = bh_customer(w->clock);

	at_step("T1: trial_end Jan 31; a zero invoice for the trial, paid at once");
	struct at_resp *r = sub_create(w, "T1", cus,
	                               at_fmt("\"items\":[{\"price\":\"%s\"}],\"trial_end\":%lld,\"confirm\":true",
	                                      plain, bh_time("2027-01-31T00:00:00Z")));
	AT_STR(r, "status", "trialing");
	BH_TIME(r, "trial_start", "2027-01-17T00:00:00Z");
	BH_TIME(r, "trial_end", "2027-01-31T00:00:00Z");
	EXPECT_INV(w, "T1", "subscription_create", "2027-01-17T00:00:00Z", "2027-01-31T00:00:00Z", 0, 0);
	EXPECT_SUB(w, "T1", "trialing", "2027-01-17T00:00:00Z", "2027-01-31T00:00:00Z", "2027-01-31T00:00:00Z");

	at_step("T2: the price's 14 trial days");
	r = sub_create(w, "T2", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", with_trial));
	AT_STR(r, "status", "trialing");
	BH_TIME(r, "trial_end", "2027-01-31T00:00:00Z");
	EXPECT_INV(w, "T2", "subscription_create", "2027-01-17T00:00:00Z", "2027-01-31T00:00:00Z", 0, 0);

	step(w, "2027-01-30T00:00:00Z");
	at_step("the trials end on Jan 31: active, the first paid periods");
	step(w, "2027-01-31T00:00:00Z");
	EXPECT_INV(w, "T1", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "T2", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	EXPECT_SUB(w, "T1", "active", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", "2027-02-28T00:00:00Z");
	EXPECT_SUB(w, "T2", "active", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", "2027-02-28T00:00:00Z");
	step(w, "2027-02-28T00:00:00Z");
	EXPECT_INV(w, "T1", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "T2", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);
	step(w, "2027-03-31T00:00:00Z");
	EXPECT_INV(w, "T1", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "T2", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 3000, 3000);

	/* [Mar 31, Apr 30) is 30 days, 15 left on Apr 15: -round(3000 * 15/30) = -1500 */
	at_step("cancel T2 on Apr 15 with prorate and invoice_now: a credit invoice, nothing due");
	step(w, "2027-04-15T00:00:00Z");
	r = at_delete("/v1/subscriptions/%s?prorate=true&invoice_now=true", sub_id(w, "T2"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	collect(w);
	EXPECT_INV(w, "T2", "subscription_update", "2027-04-15T00:00:00Z", "2027-04-15T00:00:00Z", -1500, -1500);
	step(w, "2027-04-30T00:00:00Z");
	EXPECT_INV(w, "T1", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z", 3000, 3000);

	EXPECT_EVENTS_MIN(w, "T1", "customer.subscription.updated", 2); /* confirm, trial end */
	EXPECT_EVENTS(w, "T2", "customer.subscription.deleted", 1);
	expect_invoice_events(w, 5 + 5);
}

/* Upgrades whose prorations are the cases of tests/vectors/proration.json:
 * a quantity change with always_invoice, a price change with
 * create_prorations, a change on Feb 29 with always_invoice; and a change
 * with proration_behavior=none. */
static void upgrades_with_prorations(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-01T00:00:00Z");
	const char *prod = bh_product("Prorated");
	const char *p1000 = bh_price(prod, 1000, "month", NULL);
	const char *p3000 = bh_price(prod, 3000, "month", NULL);
	const char *p6000 = bh_price(prod, 6000, "month", NULL);
	const char *cus = bh_customer(w->clock);

	sub_create(w, "Q", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", p1000));
	EXPECT_INV(w, "Q", "subscription_create", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 1000, 1000);
	step(w, "2027-02-01T00:00:00Z");
	EXPECT_INV(w, "Q", "subscription_cycle", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", 1000, 1000);

	at_step("vector: quantity 1 -> 5 on Feb 8 12:00 with always_invoice");
	step(w, "2027-02-08T12:00:00Z");
	sub_post(w, "Q", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"quantity\":5}],\"proration_behavior\":\"always_invoice\"}",
	                item_of(w, "Q")));
	EXPECT_INV(w, "Q", "subscription_update", "2027-02-08T12:00:00Z", "2027-03-01T00:00:00Z", 2929, -732, 3661);
	step(w, "2027-03-01T00:00:00Z");
	EXPECT_INV(w, "Q", "subscription_cycle", "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z", 5000, 5000);

	at_step("vector: 30.00 -> 60.00 on Mar 16 with create_prorations");
	sub_create(w, "V", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", p3000));
	EXPECT_INV(w, "V", "subscription_create", "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z", 3000, 3000);
	step(w, "2027-03-16T00:00:00Z");
	sub_post(w, "V", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],\"proration_behavior\":\"create_prorations\"}",
	                item_of(w, "V"), p6000));
	EXPECT_NONE(w);
	step(w, "2027-04-01T00:00:00Z");
	EXPECT_INV(w, "Q", "subscription_cycle", "2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z", 5000, 5000);
	EXPECT_INV(w, "V", "subscription_cycle", "2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z", 7549, 6000, -1548,
	           3097);

	at_step("quantity 5 -> 2 with proration_behavior=none: no prorations");
	step(w, "2027-04-10T00:00:00Z");
	sub_post(
	    w, "Q", NULL,
	    at_fmt("{\"items\":[{\"id\":\"%s\",\"quantity\":2}],\"proration_behavior\":\"none\"}", item_of(w, "Q")));
	EXPECT_NONE(w);
	step(w, "2027-05-01T00:00:00Z");
	EXPECT_INV(w, "Q", "subscription_cycle", "2027-05-01T00:00:00Z", "2027-06-01T00:00:00Z", 2000, 2000);
	EXPECT_INV(w, "V", "subscription_cycle", "2027-05-01T00:00:00Z", "2027-06-01T00:00:00Z", 6000, 6000);
	expect_invoice_events(w, 9);

	at_step("vector: 9.99 x 3 -> 19.99 x 3 on Feb 29 2028 with always_invoice");
	struct world *w2 = world_new("2028-02-01T00:00:00Z");
	const char *p999 = bh_price(prod, 999, "month", NULL);
	const char *p1999 = bh_price(prod, 1999, "month", NULL);
	const char *cus2 = bh_customer(w2->clock);
	w2->next_number = w->next_number;
	sub_create(w2, "W", cus2, at_fmt("\"items\":[{\"price\":\"%s\",\"quantity\":3}],\"confirm\":true", p999));
	EXPECT_INV(w2, "W", "subscription_create", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", 2997, 2997);
	step(w2, "2028-02-29T00:00:00Z");
	sub_post(w2, "W", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],\"proration_behavior\":\"always_invoice\"}",
	                item_of(w2, "W"), p1999));
	EXPECT_INV(w2, "W", "subscription_update", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z", 104, -103, 207);
	step(w2, "2028-03-01T00:00:00Z");
	EXPECT_INV(w2, "W", "subscription_cycle", "2028-03-01T00:00:00Z", "2028-04-01T00:00:00Z", 5997, 5997);
	expect_invoice_events(w2, 3);
}

/* Anchors set in the future with billing_cycle_anchor: a monthly and a
 * quarterly (interval_count 3) subscription confirmed on Jan 15 and anchored
 * on Jan 31, whose first invoices prorate [Jan 15, Jan 31) against one full
 * interval from Jan 15; an upgrade inside that short first period; and a
 * trial paused and resumed (keeping the anchor) before its anchor. */
static void future_anchor_on_the_31st(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-15T00:00:00Z");
	const char *prod = bh_product("Anchored");
	const char *monthly = bh_price(prod, 3000, "month", NULL);
	const char *quarterly = bh_price(prod, 9000, "month", "\"interval_count\":3");
	const char *pro = bh_price(prod, 6000, "month", NULL);
	const char *cus = bh_customer(w->clock);
	long long anchor = bh_time("2027-01-31T00:00:00Z");

	/* [Jan 15, Feb 15) is 31 days; [Jan 15, Jan 31) 16: round(3000 * 16/31) = round(1548.39) = 1548 */
	at_step("A1 monthly, anchored on Jan 31");
	struct at_resp *r = sub_create(
	    w, "A1", cus,
	    at_fmt("\"items\":[{\"price\":\"%s\"}],\"billing_cycle_anchor\":%lld,\"confirm\":true", monthly, anchor));
	BH_TIME(r, "billing_cycle_anchor", "2027-01-31T00:00:00Z");
	EXPECT_INV(w, "A1", "subscription_create", "2027-01-15T00:00:00Z", "2027-01-31T00:00:00Z", 1548, 1548);
	EXPECT_SUB(w, "A1", "active", "2027-01-15T00:00:00Z", "2027-01-31T00:00:00Z", "2027-01-31T00:00:00Z");
	/* [Jan 15, Apr 15) is 31 + 28 + 31 = 90 days: round(9000 * 16/90) = 1600 */
	at_step("Q3 every 3 months, anchored on Jan 31");
	sub_create(
	    w, "Q3", cus,
	    at_fmt("\"items\":[{\"price\":\"%s\"}],\"billing_cycle_anchor\":%lld,\"confirm\":true", quarterly, anchor));
	EXPECT_INV(w, "Q3", "subscription_create", "2027-01-15T00:00:00Z", "2027-01-31T00:00:00Z", 1600, 1600);
	at_step("T3 trial to Jan 31, paused on Jan 20, resumed on Jan 25 keeping the anchor");
	r = sub_create(w, "T3", cus,
	               at_fmt("\"items\":[{\"price\":\"%s\"}],\"trial_end\":%lld,\"confirm\":true", monthly, anchor));
	AT_STR(r, "status", "trialing");
	EXPECT_INV(w, "T3", "subscription_create", "2027-01-15T00:00:00Z", "2027-01-31T00:00:00Z", 0, 0);
	at_step("U monthly, anchored on Jan 31, upgraded on Jan 20 with create_prorations");
	sub_create(
	    w, "U", cus,
	    at_fmt("\"items\":[{\"price\":\"%s\"}],\"billing_cycle_anchor\":%lld,\"confirm\":true", monthly, anchor));
	EXPECT_INV(w, "U", "subscription_create", "2027-01-15T00:00:00Z", "2027-01-31T00:00:00Z", 1548, 1548);
	step(w, "2027-01-20T00:00:00Z");
	sub_post(w, "T3", "pause", "{}");
	/* the short period [Jan 15, Jan 31) was billed as 16/31 of a month, so it is
	 * prorated against the 31 days of [Jan 15, Feb 15): 11 days remain,
	 * credit -round(3000 * 11/31) = -round(1064.52) = -1065 (not 11/16 of
	 * 3000, more than the 1548 paid), charge round(6000 * 11/31) = 2129 */
	sub_post(w, "U", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],\"proration_behavior\":\"create_prorations\"}",
	                item_of(w, "U"), pro));
	step(w, "2027-01-25T00:00:00Z");
	r = sub_post(w, "T3", "resume", "{\"billing_cycle_anchor\":\"unchanged\"}");
	AT_STR(r, "status", "active");
	BH_TIME(r, "trial_end", "2027-01-25T00:00:00Z");
	EXPECT_NONE(w);
	/* before the anchor no anchored period holds now: [now, anchor) is served free, billing starts at the anchor */
	EXPECT_SUB(w, "T3", "active", "2027-01-25T00:00:00Z", "2027-01-31T00:00:00Z", "2027-01-31T00:00:00Z");

	step(w, "2027-01-31T00:00:00Z");
	EXPECT_INV(w, "A1", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "Q3", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-04-30T00:00:00Z", 9000, 9000);
	EXPECT_INV(w, "T3", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "U", "subscription_cycle", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 7064, 6000, -1065,
	           2129);
	step(w, "2027-02-28T00:00:00Z");
	EXPECT_INV(w, "A1", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "T3", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "U", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 6000, 6000);
	step(w, "2027-03-31T00:00:00Z");
	EXPECT_INV(w, "A1", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "T3", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "U", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 6000, 6000);
	step(w, "2027-04-30T00:00:00Z");
	EXPECT_INV(w, "A1", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "Q3", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-07-31T00:00:00Z", 9000, 9000);
	EXPECT_INV(w, "T3", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "U", "subscription_cycle", "2027-04-30T00:00:00Z", "2027-05-31T00:00:00Z", 6000, 6000);

	at_step("cancel A1, T3 and U, then Q3 alone to Feb 2028 in one advance");
	step(w, "2027-05-01T00:00:00Z");
	AT_STATUS(at_delete("/v1/subscriptions/%s", sub_id(w, "A1")), 200);
	AT_STATUS(at_delete("/v1/subscriptions/%s", sub_id(w, "T3")), 200);
	AT_STATUS(at_delete("/v1/subscriptions/%s", sub_id(w, "U")), 200);
	collect(w);
	step(w, "2028-02-01T00:00:00Z");
	EXPECT_INV(w, "Q3", "subscription_cycle", "2027-07-31T00:00:00Z", "2027-10-31T00:00:00Z", 9000, 9000);
	EXPECT_INV(w, "Q3", "subscription_cycle", "2027-10-31T00:00:00Z", "2028-01-31T00:00:00Z", 9000, 9000);
	EXPECT_INV(w, "Q3", "subscription_cycle", "2028-01-31T00:00:00Z", "2028-04-30T00:00:00Z", 9000, 9000);
	EXPECT_SUB(w, "Q3", "active", "2028-01-31T00:00:00Z", "2028-04-30T00:00:00Z", "2028-04-30T00:00:00Z");
	expect_invoice_events(w, 5 + 6 + 5 + 5);
}

/* Cancel at the period end with pending prorations: the final invoice
 * takes them and bills no new period ([end, end)); and a cancel at the
 * period end that is taken back. */
static void cancel_at_period_end_with_prorations(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-31T00:00:00Z");
	const char *prod = bh_product("Leaving");
	const char *basic = bh_price(prod, 3000, "month", NULL);
	const char *pro = bh_price(prod, 6000, "month", NULL);
	const char *cus = bh_customer(w->clock);
	sub_create(w, "X", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", basic));
	EXPECT_INV(w, "X", "subscription_create", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	sub_create(w, "Y", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", basic));
	EXPECT_INV(w, "Y", "subscription_create", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);

	/* [Jan 31, Feb 28) is 28 days, 18 left on Feb 10:
	 * credit -round(3000 * 18/28) = -round(1928.57) = -1929, charge round(6000 * 18/28) = round(3857.14) = 3857 */
	at_step("X: upgraded on Feb 10, then set to cancel at the period end");
	step(w, "2027-02-10T00:00:00Z");
	sub_post(w, "X", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],\"proration_behavior\":\"create_prorations\"}",
	                item_of(w, "X"), pro));
	sub_post(w, "X", NULL, "{\"cancel_at_period_end\":true}");
	at_step("Y: set to cancel at the period end, then taken back");
	sub_post(w, "Y", NULL, "{\"cancel_at_period_end\":true}");
	struct at_resp *r = sub_post(w, "Y", NULL, "{\"cancel_at_period_end\":false}");
	AT_BOOL(r, "cancel_at_period_end", false);
	AT_NULL(r, "cancel_at");
	EXPECT_NONE(w);

	step(w, "2027-02-28T00:00:00Z");
	EXPECT_INV(w, "X", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-02-28T00:00:00Z", 1928, -1929, 3857);
	EXPECT_INV(w, "Y", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);
	r = at_get("/v1/subscriptions/%s", sub_id(w, "X"));
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "ended_at", "2027-02-28T00:00:00Z");
	step(w, "2027-03-31T00:00:00Z");
	EXPECT_INV(w, "Y", "subscription_cycle", "2027-03-31T00:00:00Z", "2027-04-30T00:00:00Z", 3000, 3000);
	EXPECT_EVENTS(w, "X", "customer.subscription.deleted", 1);
	EXPECT_EVENTS(w, "Y", "customer.subscription.deleted", 0);
	expect_invoice_events(w, 2 + 3);
}

/* Pause (no invoices while paused) and resume, both ways: from the resume
 * time (a new anchor, billed at once) and keeping the anchor (nothing billed
 * for the rest of the period). */
static void pause_and_resume(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-31T00:00:00Z");
	const char *price = bh_price(bh_product("Pausable"), 3000, "month", NULL);
	const char *cus = bh_customer(w->clock);
	sub_create(w, "P", cus, at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", price));
	EXPECT_INV(w, "P", "subscription_create", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	step(w, "2027-02-28T00:00:00Z");
	EXPECT_INV(w, "P", "subscription_cycle", "2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z", 3000, 3000);

	at_step("pause on Mar 10; nothing is billed until May 15");
	step(w, "2027-03-10T00:00:00Z");
	struct at_resp *r = sub_post(w, "P", "pause", "{}");
	AT_STR(r, "status", "paused");
	BH_TIME(r, "paused_at", "2027-03-10T00:00:00Z");
	BH_TIME(r, "next_billing_at", NULL);
	AT_ERROR(at_get("/v1/invoices/upcoming?subscription=%s", sub_id(w, "P")), 404, "invalid_request_error",
	         "resource_missing", "subscription");
	step(w, "2027-03-31T00:00:00Z");
	step(w, "2027-05-15T00:00:00Z");
	EXPECT_NONE(w);

	at_step("resume on May 15 from now: a new anchor, its first period billed at once");
	r = sub_post(w, "P", "resume", "{}");
	AT_STR(r, "status", "active");
	BH_TIME(r, "paused_at", NULL);
	BH_TIME(r, "billing_cycle_anchor", "2027-05-15T00:00:00Z");
	EXPECT_INV(w, "P", "subscription_cycle", "2027-05-15T00:00:00Z", "2027-06-15T00:00:00Z", 3000, 3000);
	EXPECT_SUB(w, "P", "active", "2027-05-15T00:00:00Z", "2027-06-15T00:00:00Z", "2027-06-15T00:00:00Z");
	step(w, "2027-06-15T00:00:00Z");
	EXPECT_INV(w, "P", "subscription_cycle", "2027-06-15T00:00:00Z", "2027-07-15T00:00:00Z", 3000, 3000);

	at_step("pause on Jul 1, resume on Jul 20 keeping the anchor: [Jul 15, Aug 15) is not billed");
	step(w, "2027-07-01T00:00:00Z");
	sub_post(w, "P", "pause", "{}");
	step(w, "2027-07-20T00:00:00Z");
	EXPECT_NONE(w);
	r = sub_post(w, "P", "resume", "{\"billing_cycle_anchor\":\"unchanged\"}");
	AT_STR(r, "status", "active");
	BH_TIME(r, "billing_cycle_anchor", "2027-05-15T00:00:00Z");
	EXPECT_NONE(w);
	EXPECT_SUB(w, "P", "active", "2027-07-15T00:00:00Z", "2027-08-15T00:00:00Z", "2027-08-15T00:00:00Z");
	step(w, "2027-08-15T00:00:00Z");
	EXPECT_INV(w, "P", "subscription_cycle", "2027-08-15T00:00:00Z", "2027-09-15T00:00:00Z", 3000, 3000);

	EXPECT_EVENTS(w, "P", "customer.subscription.paused", 2);
	EXPECT_EVENTS(w, "P", "customer.subscription.resumed", 2);
	expect_invoice_events(w, 5);
}

/* Price changes between intervals and billing_cycle_anchor=now, as Stripe
 * does them: the anchor moves to the change, the unused time of the old
 * period is credited (unless proration_behavior=none) and the new period is
 * invoiced at once (subscription_update), the credit on the same invoice.
 * A draft's provisional period and a trial follow the new interval without
 * a new period. Monthly prices 30.00, yearly 300.00. */
static void interval_changes_and_anchor_now(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-01T00:00:00Z");
	const char *prod = bh_product("Intervals");
	const char *monthly = bh_price(prod, 3000, "month", NULL);
	const char *yearly = bh_price(prod, 30000, "year", NULL);
	const char *cus = bh_customer(w->clock);
	const char *on_monthly = at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", monthly);
	const char *on_yearly = at_fmt("\"items\":[{\"price\":\"%s\"}],\"confirm\":true", yearly);
	struct at_resp *r;

	at_step("S1, S3, S4 monthly and S2, S5 yearly from Jan 1; D a monthly draft; T monthly on trial to Jan 15");
	sub_create(w, "S1", cus, on_monthly);
	EXPECT_INV(w, "S1", "subscription_create", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 3000, 3000);
	sub_create(w, "S2", cus, on_yearly);
	EXPECT_INV(w, "S2", "subscription_create", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", 30000, 30000);
	sub_create(w, "S3", cus, on_monthly);
	EXPECT_INV(w, "S3", "subscription_create", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 3000, 3000);
	sub_create(w, "S4", cus, on_monthly);
	EXPECT_INV(w, "S4", "subscription_create", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 3000, 3000);
	sub_create(w, "S5", cus, on_yearly);
	EXPECT_INV(w, "S5", "subscription_create", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", 30000, 30000);
	sub_create(w, "D", cus, at_fmt("\"items\":[{\"price\":\"%s\"}]", monthly));
	EXPECT_SUB(w, "D", "draft", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", NULL);
	sub_create(w, "T", cus,
	           at_fmt("\"items\":[{\"price\":\"%s\"}],\"trial_end\":%lld,\"confirm\":true", monthly,
	                  bh_time("2027-01-15T00:00:00Z")));
	EXPECT_INV(w, "T", "subscription_create", "2027-01-01T00:00:00Z", "2027-01-15T00:00:00Z", 0, 0);

	/* [Jan 1, Feb 1) is 31 days, 21 left on Jan 11: credit -round(3000 * 21/31) = -round(2032.26) = -2032;
	 * the year [Jan 11 2027, Jan 11 2028) is charged in full: 30000 */
	at_step("S1 monthly -> yearly on Jan 11: credit for 21 of 31 days, the year charged at once");
	step(w, "2027-01-11T00:00:00Z");
	r = sub_post(w, "S1", NULL, at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}]}", item_of(w, "S1"), yearly));
	AT_STR(r, "status", "active");
	AT_STR(r, "items.data[0].price.recurring.interval", "year");
	BH_TIME(r, "billing_cycle_anchor", "2027-01-11T00:00:00Z");
	BH_TIME(r, "items.data[0].current_period_end", "2028-01-11T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_update", "2027-01-11T00:00:00Z", "2028-01-11T00:00:00Z", 27968, 30000, -2032);
	EXPECT_SUB(w, "S1", "active", "2027-01-11T00:00:00Z", "2028-01-11T00:00:00Z", "2028-01-11T00:00:00Z");
	AT_STR(r, "latest_invoice", json_string_value(json_object_get(w->fresh[w->fresh_pos - 1], "id")));

	at_step("S4 monthly -> yearly on Jan 11 with proration_behavior=none: no credit, the year charged at once");
	sub_post(w, "S4", NULL,
	         at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}],\"proration_behavior\":\"none\"}",
	                item_of(w, "S4"), yearly));
	EXPECT_INV(w, "S4", "subscription_update", "2027-01-11T00:00:00Z", "2028-01-11T00:00:00Z", 30000, 30000);
	EXPECT_SUB(w, "S4", "active", "2027-01-11T00:00:00Z", "2028-01-11T00:00:00Z", "2028-01-11T00:00:00Z");

	at_step("D, a draft, moved to the yearly price: its provisional period follows, nothing billed");
	sub_post(w, "D", NULL, at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}]}", item_of(w, "D"), yearly));
	EXPECT_SUB(w, "D", "draft", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", NULL);

	at_step("T, trialing: billing_cycle_anchor=now is refused; moved to yearly, the trial keeps its end");
	struct at_fingerprint before;
	at_fingerprint(&before);
	r = at_post_json(at_fmt("/v1/subscriptions/%s", sub_id(w, "T")), "{\"billing_cycle_anchor\":\"now\"}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "billing_cycle_anchor");
	AT_UNCHANGED(&before, r);
	sub_post(w, "T", NULL, at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}]}", item_of(w, "T"), yearly));
	EXPECT_NONE(w);
	EXPECT_SUB(w, "T", "trialing", "2027-01-01T00:00:00Z", "2027-01-15T00:00:00Z", "2027-01-15T00:00:00Z");

	/* 11 of 31 days left on Jan 21: credit -round(3000 * 11/31) = -round(1064.52) = -1065 */
	at_step("S3 billing_cycle_anchor=unchanged changes nothing; =now on Jan 21 starts [Jan 21, Feb 21)");
	step(w, "2027-01-21T00:00:00Z");
	EXPECT_INV(w, "T", "subscription_cycle", "2027-01-15T00:00:00Z", "2028-01-15T00:00:00Z", 30000, 30000);
	r = sub_post(w, "S3", NULL, "{\"billing_cycle_anchor\":\"unchanged\"}");
	BH_TIME(r, "billing_cycle_anchor", "2027-01-01T00:00:00Z");
	EXPECT_NONE(w);
	r = sub_post(w, "S3", NULL, "{\"billing_cycle_anchor\":\"now\"}");
	BH_TIME(r, "billing_cycle_anchor", "2027-01-21T00:00:00Z");
	EXPECT_INV(w, "S3", "subscription_update", "2027-01-21T00:00:00Z", "2027-02-21T00:00:00Z", 1935, 3000, -1065);
	EXPECT_SUB(w, "S3", "active", "2027-01-21T00:00:00Z", "2027-02-21T00:00:00Z", "2027-02-21T00:00:00Z");
	step(w, "2027-02-01T00:00:00Z");
	step(w, "2027-02-21T00:00:00Z");
	EXPECT_INV(w, "S3", "subscription_cycle", "2027-02-21T00:00:00Z", "2027-03-21T00:00:00Z", 3000, 3000);
	AT_STATUS(at_delete("/v1/subscriptions/%s", sub_id(w, "S3")), 200);

	/* [Jan 1 2027, Jan 1 2028) is 365 days, 184 left on Jul 1:
	 * credit -round(30000 * 184/365) = -round(15123.29) = -15123; the month 3000; total -12123:
	 * nothing is due, the invoice is paid at once (no customer balance carries the rest) */
	at_step("S5 yearly -> monthly on Jul 1: a credit larger than the month");
	step(w, "2027-07-01T00:00:00Z");
	sub_post(w, "S5", NULL, at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}]}", item_of(w, "S5"), monthly));
	EXPECT_INV(w, "S5", "subscription_update", "2027-07-01T00:00:00Z", "2027-08-01T00:00:00Z", -12123, 3000,
	           -15123);
	AT_STR(at_get("/v1/invoices/%s", json_string_value(json_object_get(w->fresh[w->fresh_pos - 1], "id"))),
	       "status", "paid");
	AT_STATUS(at_delete("/v1/subscriptions/%s", sub_id(w, "S5")), 200);

	/* 31 of 365 days left on Dec 1: credit -round(30000 * 31/365) = -round(2547.95) = -2548 */
	at_step("S2 yearly -> monthly on Dec 1: monthly from Dec 1");
	step(w, "2027-12-01T00:00:00Z");
	r = sub_post(w, "S2", NULL,
	             at_fmt("{\"items\":[{\"id\":\"%s\",\"price\":\"%s\"}]}", item_of(w, "S2"), monthly));
	AT_STR(r, "items.data[0].price.recurring.interval", "month");
	BH_TIME(r, "billing_cycle_anchor", "2027-12-01T00:00:00Z");
	EXPECT_INV(w, "S2", "subscription_update", "2027-12-01T00:00:00Z", "2028-01-01T00:00:00Z", 452, 3000, -2548);
	EXPECT_SUB(w, "S2", "active", "2027-12-01T00:00:00Z", "2028-01-01T00:00:00Z", "2028-01-01T00:00:00Z");

	at_step("the next periods: S2 monthly from Jan 1, S1 and S4 yearly from Jan 11 2028");
	step(w, "2028-01-01T00:00:00Z");
	EXPECT_INV(w, "S2", "subscription_cycle", "2028-01-01T00:00:00Z", "2028-02-01T00:00:00Z", 3000, 3000);
	step(w, "2028-01-11T00:00:00Z");
	EXPECT_INV(w, "S1", "subscription_cycle", "2028-01-11T00:00:00Z", "2029-01-11T00:00:00Z", 30000, 30000);
	EXPECT_INV(w, "S4", "subscription_cycle", "2028-01-11T00:00:00Z", "2029-01-11T00:00:00Z", 30000, 30000);
	EXPECT_EVENTS(w, "S1", "customer.subscription.updated", 2); /* confirm, the change */
	expect_invoice_events(w, 3 + 3 + 3 + 3 + 2 + 2);
}

/* ---- transitions ----------------------------------------------------------------- */

static void expect_refused_at(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r,
                              const char *status)
{
	at__expect_error(file, line, r, 409, "invalid_request_error", "subscription_status_invalid", NULL);
	const char *msg = at_str(r, "error.message");
	if (!msg || !strstr(msg, at_fmt("'%s'", status)))
		at__fail(file, line, r, "the message does not name the current status '%s'", status);
	at__expect_unchanged(file, line, before, r);
}
/* A refused request: 409 naming status, and nothing written. */
#define REFUSED(status, call)                                                                                          \
	do {                                                                                                           \
		struct at_fingerprint fp_;                                                                             \
		at_fingerprint(&fp_);                                                                                  \
		struct at_resp *r_ = (call);                                                                           \
		expect_refused_at(__FILE__, __LINE__, &fp_, r_, (status));                                             \
	} while (0)

static struct at_resp *post_sub(const char *sub, const char *action, const char *body)
{
	return at_post_json(at_fmt("/v1/subscriptions/%s%s%s", sub, action ? "/" : "", action ? action : ""), "%s",
	                    body);
}

/* Every refused request a subscription in status can get. */
static void refuse_all_but(const char *sub, const char *status, const char *price)
{
	at_step("refused while %s", status);
	bool is_draft = !strcmp(status, "draft"), is_canceled = !strcmp(status, "canceled");
	bool is_paused = !strcmp(status, "paused");
	if (!is_draft)
		REFUSED(status, post_sub(sub, "confirm", "{}"));
	if (is_draft || is_paused || is_canceled)
		REFUSED(status, post_sub(sub, "pause", "{}"));
	if (!is_paused)
		REFUSED(status, post_sub(sub, "resume", "{}"));
	if (is_canceled) {
		REFUSED(status, post_sub(sub, NULL, "{\"metadata\":{\"k\":\"v\"}}"));
		REFUSED(status, post_sub(sub, NULL, "{\"cancel_at_period_end\":true}"));
		REFUSED(status, post_sub(sub, NULL, at_fmt("{\"items\":[{\"price\":\"%s\"}]}", price)));
		REFUSED(status, at_delete("/v1/subscriptions/%s", sub));
		REFUSED(status, at_delete("/v1/subscriptions/%s?prorate=true&invoice_now=true", sub));
	}
}

static void every_transition_and_every_refusal(void **state)
{
	(void)state;
	struct world *w = world_new("2027-01-31T00:00:00Z");
	const char *price = bh_price(bh_product("Transitions"), 3000, "month", NULL);
	const char *other = bh_price(bh_product("Transitions too"), 4000, "month", NULL);
	const char *cus = bh_customer(w->clock);
	const char *items = at_fmt("\"items\":[{\"price\":\"%s\"}]", price);
	struct at_resp *r;

	at_step("A: draft; nothing is billed, the upcoming invoice previews the first");
	r = sub_create(w, "A", cus, items);
	AT_STR(r, "status", "draft");
	EXPECT_NONE(w);
	/* a draft's provisional period: from its creation, one interval, never null */
	EXPECT_SUB(w, "A", "draft", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", NULL);
	BH_TIME(r, "billing_cycle_anchor", "2027-01-31T00:00:00Z");
	BH_TIME(r, "start_date", "2027-01-31T00:00:00Z");
	BH_TIME(r, "items.data[0].current_period_start", "2027-01-31T00:00:00Z");
	BH_TIME(r, "items.data[0].current_period_end", "2027-02-28T00:00:00Z");
	struct at_resp *preview = at_get("/v1/invoices/upcoming?subscription=%s", sub_id(w, "A"));
	AT_STATUS(preview, 200);
	refuse_all_but(sub_id(w, "A"), "draft", other);
	r = sub_post(w, "A", NULL, "{\"metadata\":{\"stage\":\"draft\"}}"); /* draft -> draft */
	AT_STR(r, "status", "draft");
	EXPECT_NONE(w);

	at_step("A: draft -> active");
	r = sub_post(w, "A", "confirm", "{}");
	AT_STR(r, "status", "active");
	EXPECT_INV(w, "A", "subscription_create", "2027-01-31T00:00:00Z", "2027-02-28T00:00:00Z", 3000, 3000);
	compare_upcoming(w, "A", preview, w->fresh[w->fresh_pos - 1]);
	refuse_all_but(sub_id(w, "A"), "active", other);

	at_step("A: active -> paused -> active");
	step(w, "2027-02-10T00:00:00Z");
	r = sub_post(w, "A", "pause", "{}");
	AT_STR(r, "status", "paused");
	refuse_all_but(sub_id(w, "A"), "paused", other);
	r = sub_post(w, "A", NULL, "{\"metadata\":{\"stage\":\"paused\"}}"); /* paused -> paused */
	AT_STR(r, "status", "paused");
	r = sub_post(w, "A", "resume", "{}");
	AT_STR(r, "status", "active");
	EXPECT_INV(w, "A", "subscription_cycle", "2027-02-10T00:00:00Z", "2027-03-10T00:00:00Z", 3000, 3000);

	at_step("A: active -> canceled");
	r = at_delete("/v1/subscriptions/%s", sub_id(w, "A"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	collect(w);
	EXPECT_NONE(w);
	refuse_all_but(sub_id(w, "A"), "canceled", other);
	AT_ERROR(at_get("/v1/invoices/upcoming?subscription=%s", sub_id(w, "A")), 404, "invalid_request_error",
	         "resource_missing", "subscription");

	at_step("B: draft -> canceled, never billed");
	sub_create(w, "B", cus, items);
	r = at_delete("/v1/subscriptions/%s", sub_id(w, "B"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "canceled_at", "2027-02-10T00:00:00Z");
	collect(w);
	EXPECT_NONE(w);
	refuse_all_but(sub_id(w, "B"), "canceled", other);

	at_step("B2: a draft canceled with invoice_now bills nothing, even with the customer's pending items");
	const char *cus2 = bh_customer(w->clock);
	r = at_post_json("/v1/invoiceitems", "{\"customer\":\"%s\",\"amount\":500,\"currency\":\"usd\"}", cus2);
	AT_STATUS(r, 200);
	const char *pending_item = at_str(r, "id");
	sub_create(w, "B2", cus2, items);
	r = at_delete("/v1/subscriptions/%s?invoice_now=true&prorate=true", sub_id(w, "B2"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	collect(w);
	EXPECT_NONE(w);
	AT_NULL(at_get("/v1/invoiceitems/%s", pending_item), "invoice");

	at_step("C: draft -> trialing -> active");
	sub_create(w, "C", cus, at_fmt("%s,\"trial_period_days\":7", items));
	r = sub_post(w, "C", "confirm", "{}");
	AT_STR(r, "status", "trialing");
	EXPECT_INV(w, "C", "subscription_create", "2027-02-10T00:00:00Z", "2027-02-17T00:00:00Z", 0, 0);
	refuse_all_but(sub_id(w, "C"), "trialing", other);
	r = sub_post(w, "C", NULL, "{\"metadata\":{\"stage\":\"trialing\"}}"); /* trialing -> trialing */
	AT_STR(r, "status", "trialing");

	at_step("D: draft -> trialing -> canceled; E: trialing -> paused -> canceled");
	sub_create(w, "D", cus, at_fmt("%s,\"trial_period_days\":7,\"confirm\":true", items));
	EXPECT_INV(w, "D", "subscription_create", "2027-02-10T00:00:00Z", "2027-02-17T00:00:00Z", 0, 0);
	r = at_delete("/v1/subscriptions/%s", sub_id(w, "D"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	sub_create(w, "E", cus, at_fmt("%s,\"trial_period_days\":7,\"confirm\":true", items));
	EXPECT_INV(w, "E", "subscription_create", "2027-02-10T00:00:00Z", "2027-02-17T00:00:00Z", 0, 0);
	r = sub_post(w, "E", "pause", "{}");
	AT_STR(r, "status", "paused");
	r = at_delete("/v1/subscriptions/%s", sub_id(w, "E"));
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
	collect(w);
	EXPECT_NONE(w);

	at_step("F: active with cancel_at_period_end -> canceled by the clock, no cycle invoice");
	sub_create(w, "F", cus, at_fmt("%s,\"cancel_at_period_end\":true,\"confirm\":true", items));
	EXPECT_INV(w, "F", "subscription_create", "2027-02-10T00:00:00Z", "2027-03-10T00:00:00Z", 3000, 3000);
	AT_STR(at_get("/v1/subscriptions/%s", sub_id(w, "F")), "status", "active");

	at_step("G: a draft that stays a draft");
	sub_create(w, "G", cus, items);

	at_step("the trial of C ends on Feb 17");
	step(w, "2027-02-17T00:00:00Z");
	EXPECT_INV(w, "C", "subscription_cycle", "2027-02-17T00:00:00Z", "2027-03-17T00:00:00Z", 3000, 3000);
	EXPECT_SUB(w, "C", "active", "2027-02-17T00:00:00Z", "2027-03-17T00:00:00Z", "2027-03-17T00:00:00Z");
	refuse_all_but(sub_id(w, "C"), "active", other);

	at_step("F ends on Mar 10");
	step(w, "2027-03-10T00:00:00Z");
	EXPECT_NONE(w);
	r = at_get("/v1/subscriptions/%s", sub_id(w, "F"));
	AT_STR(r, "status", "canceled");
	BH_TIME(r, "ended_at", "2027-03-10T00:00:00Z");
	refuse_all_but(sub_id(w, "F"), "canceled", other);

	at_step("months later the draft G has still no invoice");
	step(w, "2027-03-17T00:00:00Z");
	EXPECT_INV(w, "C", "subscription_cycle", "2027-03-17T00:00:00Z", "2027-04-17T00:00:00Z", 3000, 3000);
	step(w, "2027-06-01T00:00:00Z");
	EXPECT_INV(w, "C", "subscription_cycle", "2027-04-17T00:00:00Z", "2027-05-17T00:00:00Z", 3000, 3000);
	EXPECT_INV(w, "C", "subscription_cycle", "2027-05-17T00:00:00Z", "2027-06-17T00:00:00Z", 3000, 3000);
	AT_LIST(bh_invoices_of(sub_id(w, "G")), "/v1/invoices", 0, false);
	EXPECT_SUB(w, "G", "draft", "2027-02-10T00:00:00Z", "2027-03-10T00:00:00Z", NULL);

	at_step("events");
	static const char *const labels[] = {"A", "B", "B2", "C", "D", "E", "F", "G"};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		EXPECT_EVENTS(w, labels[i], "customer.subscription.created", 1);
	EXPECT_EVENTS(w, "A", "customer.subscription.paused", 1);
	EXPECT_EVENTS(w, "A", "customer.subscription.resumed", 1);
	EXPECT_EVENTS(w, "E", "customer.subscription.paused", 1);
	static const char *const ended[] = {"A", "B", "B2", "D", "E", "F"};
	for (size_t i = 0; i < sizeof ended / sizeof ended[0]; i++)
		EXPECT_EVENTS(w, ended[i], "customer.subscription.deleted", 1);
	EXPECT_EVENTS(w, "C", "customer.subscription.deleted", 0);
	EXPECT_EVENTS(w, "G", "customer.subscription.deleted", 0);
	EXPECT_EVENTS(w, "G", "customer.subscription.updated", 0);
	expect_invoice_events(w, 2 + 5 + 1 + 1 + 1); /* A, C (trial and 4 cycles), D, E, F */
}

/* ---- over the whole run -------------------------------------------------------------- */

/* Every invoice of the run (this backend's database): numbered 1..N with no
 * gap and no duplicate, lines summing to the subtotal. Runs last. */
static void every_invoice_numbered_without_gaps(void **state)
{
	(void)state;
	json_t *numbers = at_keep_json(json_object());
	long long max = 0, count = 0;
	const char *after = NULL;
	for (;;) {
		struct at_resp *r = after ? at_get("/v1/invoices?limit=100&starting_after=%s", after)
		                          : at_get("/v1/invoices?limit=100");
		AT_STATUS(r, 200);
		size_t i;
		json_t *inv;
		json_array_foreach(json_object_get(r->json, "data"), i, inv)
		{
			after = json_string_value(json_object_get(inv, "id"));
			const char *number = json_string_value(json_object_get(inv, "number"));
			if (!number)
				AT_FAIL(r, "invoice %s has no number (the scenarios make no drafts)", after);
			if (json_object_get(numbers, number))
				AT_FAIL(r, "invoice number %s is used twice", number);
			json_object_set_new(numbers, number, json_true());
			long long n = number_of(number);
			if (n > max)
				max = n;
			count++;
			json_t *lines = lines_of(after);
			check_invoice_invariants(r, inv, lines);
		}
		if (!json_is_true(json_object_get(r->json, "has_more")))
			break;
	}
	if (count == 0 || max != count)
		AT_FAIL(NULL, "%lld invoices, the highest number is %lld: numbers have a gap", count, max);
	printf("note: %lld invoices, numbered 1..%lld without a gap\n", count, max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(month_end_anchor_two_years),
	    cmocka_unit_test(feb29_anchor_two_years),
	    cmocka_unit_test(trials_then_month_end),
	    cmocka_unit_test(upgrades_with_prorations),
	    cmocka_unit_test(future_anchor_on_the_31st),
	    cmocka_unit_test(cancel_at_period_end_with_prorations),
	    cmocka_unit_test(pause_and_resume),
	    cmocka_unit_test(interval_changes_and_anchor_now),
	    cmocka_unit_test(every_transition_and_every_refusal),
	    cmocka_unit_test(every_invoice_numbered_without_gaps),
	};
	static const char *const enable[] = {"--enable-test-clocks", NULL};
	at_serve_args(enable);
	return at_run("test_lifecycle", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
