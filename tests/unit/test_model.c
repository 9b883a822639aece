/* The domain model's renderers (src/model/render.c):
 *   1. every object renders with exactly its field table's members, in the
 *      table's order, each value of the table's JSON type (null only where
 *      the table allows it, enums from their tables, ids of their kind,
 *      nested objects and lists by their own tables), for ordinary rows and
 *      edge cases (absent optional values, unknown stored enum text, odd
 *      strings, stored JSON that is not an object);
 *   2. the output is byte for byte what the API wrote before the model
 *      existed: the jansson renderers of src/api (render.c and the
 *      api_render_* of customers.c, prices.c, products.c, api_keys.c) are
 *      kept below, unchanged but for the enums, as the reference, and each
 *      row is checked against json_dumps(JSON_COMPACT) of their tree;
 *   3. the enum name tables read back what they write.
 * No database: rows are built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/ids.h"
#include "core/jsonw.h"
#include "model/render.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const odd_text =
    "tab\there \"quoted\" back\\slash /slash\n\r\b\f\x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80";

/* Stored metadata as api_metadata_apply writes it: compact, sorted keys. */
static char *stored_metadata(void)
{
	json_t *md = json_object();
	json_object_set_new(md, "zeta", json_string("last"));
	json_object_set_new(md, "alpha", json_string(odd_text));
	json_object_set_new(md, "order_id", json_string("6735"));
	char *text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(md);
	return text;
}

/* Stored address as the customers handler writes it. */
static char *stored_address(void)
{
	json_t *a = json_object();
	json_object_set_new(a, "city",
	                    json_string("K\xc3\xb8"
	                                "benhavn"));
	json_object_set_new(a, "country", json_string("DK"));
	json_object_set_new(a, "line1", json_string("N\xc3\xb8rregade 1"));
	json_object_set_new(a, "line2", json_null());
	json_object_set_new(a, "postal_code", json_string("1165"));
	json_object_set_new(a, "state", json_null());
	char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	return text;
}

/* ---- the reference: the API's renderers before the model ----------------- */

static json_t *api_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void api_set_id(json_t *obj, const char *key, enum id_kind kind, int64_t id)
{
	if (id <= 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	char buf[ID_MAX_LEN];
	json_object_set_new(obj, key, json_string(ids_encode(kind, id, buf)));
}

static json_t *api_json_text(const char *text, bool null_when_empty)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	if (v)
		return v;
	return null_when_empty ? json_null() : json_object();
}

static json_t *ref_customer(const struct og_customer *c)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_CUSTOMER, c->id);
	json_object_set_new(o, "object", json_string("customer"));
	json_object_set_new(o, "address", api_json_text(c->address, true));
	json_object_set_new(o, "balance", json_integer(c->balance));
	json_object_set_new(o, "created", json_integer(c->created));
	json_object_set_new(o, "currency", api_str(c->currency));
	json_object_set_new(o, "description", api_str(c->description));
	json_object_set_new(o, "email", api_str(c->email));
	json_object_set_new(o, "invoice_prefix", api_str(c->invoice_prefix));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(c->metadata, false));
	json_object_set_new(o, "name", api_str(c->name));
	json_object_set_new(o, "next_invoice_sequence", json_integer(c->next_invoice_sequence));
	json_object_set_new(o, "phone", api_str(c->phone));
	json_t *is = json_object();
	api_set_id(is, "default_payment_method", ID_PAYMENT_METHOD, c->default_payment_method_id);
	json_object_set_new(o, "invoice_settings", is);
	api_set_id(o, "test_clock", ID_TEST_CLOCK, c->test_clock_id);
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *ref_payment_method(const struct og_payment_method *pm)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_PAYMENT_METHOD, pm->id);
	json_object_set_new(o, "object", json_string("payment_method"));
	json_object_set_new(o, "billing_details", api_json_text(pm->billing_details, false));
	json_t *card = json_object();
	json_object_set_new(card, "brand", json_string(pm->brand ? pm->brand : "unknown"));
	json_object_set_new(card, "country", str_or_null(pm->country));
	json_object_set_new(card, "exp_month", json_integer(pm->exp_month));
	json_object_set_new(card, "exp_year", json_integer(pm->exp_year));
	json_object_set_new(card, "fingerprint", str_or_null(pm->fingerprint));
	json_object_set_new(card, "funding", str_or_null(pm->funding));
	json_object_set_new(card, "last4", json_string(pm->last4 ? pm->last4 : ""));
	json_object_set_new(o, "card", card);
	json_object_set_new(o, "created", json_integer(pm->created));
	api_set_id(o, "customer", ID_CUSTOMER, pm->customer_id);
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(pm->metadata, false));
	json_object_set_new(o, "type", json_string("card"));
	return o;
}
static json_t *ref_product(const struct og_product *p)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_PRODUCT, p->id);
	json_object_set_new(o, "object", json_string("product"));
	json_object_set_new(o, "active", json_boolean(p->active));
	json_object_set_new(o, "created", json_integer(p->created));
	json_object_set_new(o, "description", api_str(p->description));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(p->metadata, false));
	json_object_set_new(o, "name", api_str(p->name));
	json_object_set_new(o, "updated", json_integer(p->updated));
	return o;
}
static json_t *ref_price(const struct og_price *p)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_PRICE, p->id);
	json_object_set_new(o, "object", json_string("price"));
	json_object_set_new(o, "active", json_boolean(p->active));
	json_object_set_new(o, "billing_scheme", json_string("per_unit"));
	json_object_set_new(o, "created", json_integer(p->created));
	json_object_set_new(o, "currency", api_str(p->currency));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "lookup_key", api_str(p->lookup_key));
	json_object_set_new(o, "metadata", api_json_text(p->metadata, false));
	json_object_set_new(o, "nickname", api_str(p->nickname));
	api_set_id(o, "product", ID_PRODUCT, p->product_id);
	if (p->type == PRICE_RECURRING) {
		json_t *r = json_object();
		json_object_set_new(r, "interval", api_str(cal_interval_name(p->interval)));
		json_object_set_new(r, "interval_count", json_integer(p->interval_count));
		json_object_set_new(r, "trial_period_days",
		                    p->has_trial_period_days ? json_integer(p->trial_period_days) : json_null());
		json_object_set_new(r, "usage_type", json_string("licensed"));
		json_object_set_new(o, "recurring", r);
		json_object_set_new(o, "type", json_string("recurring"));
	} else {
		json_object_set_new(o, "recurring", json_null());
		json_object_set_new(o, "type", json_string("one_time"));
	}
	json_object_set_new(o, "unit_amount", json_integer(p->unit_amount));
	char dec[24];
	snprintf(dec, sizeof dec, "%lld", (long long)p->unit_amount);
	json_object_set_new(o, "unit_amount_decimal", json_string(dec));
	return o;
}

static json_t *ref_key(const struct og_api_key *k, const char *secret)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_API_KEY, k->id);
	json_object_set_new(o, "object", json_string("api_key"));
	json_object_set_new(o, "created", json_integer(k->created));
	json_object_set_new(o, "expires_at", k->expires_at ? json_integer(k->expires_at) : json_null());
	json_object_set_new(o, "last4", json_string(k->last4 ? k->last4 : ""));
	json_object_set_new(o, "name", api_str(k->name));
	json_t *perms = json_null();
	if (k->restricted) { /* the reference parses the text its own way */
		perms = json_object();
		char buf[256];
		snprintf(buf, sizeof buf, "%s", k->permissions ? k->permissions : "");
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '=');
			*eq = 0;
			json_object_set_new(perms, tok, json_string(eq + 1));
		}
	}
	json_object_set_new(o, "permissions", perms);
	char redacted[16];
	snprintf(redacted, sizeof redacted, "%s_...%s", k->restricted ? "rk" : "sk", k->last4 ? k->last4 : "");
	json_object_set_new(o, "redacted", json_string(redacted));
	json_object_set_new(o, "revoked", json_boolean(k->revoked_at != 0));
	json_object_set_new(o, "revoked_at", k->revoked_at ? json_integer(k->revoked_at) : json_null());
	if (secret)
		json_object_set_new(o, "secret", json_string(secret));
	json_object_set_new(o, "type", json_string(k->restricted ? "restricted" : "secret"));
	return o;
}

static json_t *ref_audit_log(const struct og_audit_log *l)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_AUDIT_LOG, l->id);
	json_object_set_new(o, "object", json_string("audit_log"));
	json_object_set_new(o, "action", api_str(l->action));
	json_t *actor = json_object();
	json_object_set_new(actor, "type", json_string(l->actor_is_user ? "user" : "api_key"));
	api_set_id(actor, "id", l->actor_is_user ? ID_USER : ID_API_KEY, l->actor_id);
	json_object_set_new(o, "actor", actor);
	json_object_set_new(o, "client_addr", api_str(l->client_addr));
	json_object_set_new(o, "created", json_integer(l->created));
	json_object_set_new(o, "idempotency_key", api_str(l->idempotency_key));
	json_object_set_new(o, "request_id", api_str(l->request_id));
	json_object_set_new(o, "role", api_str(l->role));
	json_t *target = json_object();
	json_object_set_new(target, "type", api_str(l->object_type));
	json_object_set_new(target, "id", api_str(l->object_id));
	json_object_set_new(o, "target", target);
	return o;
}

static json_t *ts(int64_t t)
{
	return t ? json_integer(t) : json_null();
}

static json_t *id_or_null(enum id_kind kind, int64_t id)
{
	char buf[ID_MAX_LEN];
	return id > 0 ? json_string(ids_encode(kind, id, buf)) : json_null();
}

static json_t *ref_sub_item(const struct og_sub_item *it, const struct og_subscription *sub, json_t *price)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_SUB_ITEM, it->id);
	json_object_set_new(o, "object", json_string("subscription_item"));
	json_object_set_new(o, "created", json_integer(it->created));
	json_object_set_new(o, "current_period_start", ts(sub->current_period_start));
	json_object_set_new(o, "current_period_end", ts(sub->current_period_end));
	json_object_set_new(o, "metadata", api_json_text(it->metadata, false));
	json_object_set_new(o, "price", price ? price : id_or_null(ID_PRICE, it->price_id));
	json_object_set_new(o, "quantity", json_integer(it->quantity));
	api_set_id(o, "subscription", ID_SUBSCRIPTION, it->subscription_id);
	return o;
}

static json_t *ref_subscription(const struct og_subscription *s, const struct og_sub_item *items, int n_items,
                                json_t **prices)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_SUBSCRIPTION, s->id);
	json_object_set_new(o, "object", json_string("subscription"));
	json_object_set_new(o, "billing_cycle_anchor", ts(s->billing_cycle_anchor));
	json_object_set_new(o, "cancel_at", s->cancel_at_period_end ? ts(s->current_period_end) : json_null());
	json_object_set_new(o, "cancel_at_period_end", json_boolean(s->cancel_at_period_end));
	json_object_set_new(o, "canceled_at", ts(s->canceled_at));
	json_object_set_new(o, "collection_method", api_str(collection_method_name(s->collection_method)));
	json_object_set_new(o, "created", json_integer(s->created));
	json_object_set_new(o, "currency", api_str(s->currency));
	json_object_set_new(o, "current_period_start", ts(s->current_period_start));
	json_object_set_new(o, "current_period_end", ts(s->current_period_end));
	api_set_id(o, "customer", ID_CUSTOMER, s->customer_id);
	json_object_set_new(o, "days_until_due", s->has_days_until_due ? json_integer(s->days_until_due) : json_null());
	api_set_id(o, "default_payment_method", ID_PAYMENT_METHOD, s->default_payment_method_id);
	json_object_set_new(o, "ended_at", ts(s->ended_at));
	json_t *list = json_object();
	json_t *data = json_array();
	for (int i = 0; i < n_items; i++)
		json_array_append_new(data, ref_sub_item(&items[i], s, prices ? prices[i] : NULL));
	json_object_set_new(list, "object", json_string("list"));
	json_object_set_new(list, "data", data);
	json_object_set_new(list, "has_more", json_false());
	json_object_set_new(list, "url", json_string(s->id > 0 ? "/v1/subscription_items" : ""));
	json_object_set_new(list, "total_count", json_integer(n_items));
	json_object_set_new(o, "items", list);
	json_object_set_new(o, "latest_invoice", id_or_null(ID_INVOICE, s->latest_invoice_id));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(s->metadata, false));
	json_object_set_new(o, "next_pending_invoice_item_invoice", json_null());
	json_t *pause = json_null();
	if (s->paused_at) {
		pause = json_object();
		json_object_set_new(pause, "behavior", json_string("void"));
		json_object_set_new(pause, "resumes_at", json_null());
	}
	json_object_set_new(o, "pause_collection", pause);
	json_object_set_new(o, "paused_at", ts(s->paused_at));
	json_object_set_new(o, "start_date", ts(s->start_date));
	json_object_set_new(o, "status", api_str(sub_status_name(s->status)));
	json_object_set_new(o, "test_clock", id_or_null(ID_TEST_CLOCK, s->test_clock_id));
	json_object_set_new(o, "trial_start", ts(s->trial_start));
	json_object_set_new(o, "trial_end", ts(s->trial_end));
	json_object_set_new(o, "next_billing_at", ts(s->next_billing_at));
	return o;
}

static json_t *ref_invoice_line(const struct og_invoice_line *l)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_INVOICE_LINE, l->id);
	json_object_set_new(o, "object", json_string("line_item"));
	json_object_set_new(o, "amount", json_integer(l->amount));
	json_object_set_new(o, "currency", api_str(l->currency));
	json_object_set_new(o, "description", api_str(l->description));
	json_object_set_new(o, "invoice", id_or_null(ID_INVOICE, l->invoice_id));
	json_object_set_new(o, "invoice_item", id_or_null(ID_INVOICE_ITEM, l->invoice_item_id));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", json_object());
	json_t *period = json_object();
	json_object_set_new(period, "start", json_integer(l->period_start));
	json_object_set_new(period, "end", json_integer(l->period_end));
	json_object_set_new(o, "period", period);
	json_object_set_new(o, "price", id_or_null(ID_PRICE, l->price_id));
	json_object_set_new(o, "proration", json_boolean(l->proration));
	json_object_set_new(o, "quantity", json_integer(l->quantity));
	json_object_set_new(o, "subscription", id_or_null(ID_SUBSCRIPTION, l->subscription_id));
	json_object_set_new(o, "subscription_item", id_or_null(ID_SUB_ITEM, l->subscription_item_id));
	json_object_set_new(o, "type", api_str(line_type_name(l->line_type)));
	json_object_set_new(o, "unit_amount", l->has_unit_amount ? json_integer(l->unit_amount) : json_null());
	return o;
}

static json_t *ref_invoice(const struct og_invoice *inv, const struct og_invoice_line *lines, int n_lines,
                           bool has_more)
{
	json_t *o = json_object();
	char buf[ID_MAX_LEN];
	api_set_id(o, "id", ID_INVOICE, inv->id);
	json_object_set_new(o, "object", json_string("invoice"));
	json_object_set_new(o, "amount_due", json_integer(inv->amount_due));
	json_object_set_new(o, "amount_paid", json_integer(inv->amount_paid));
	json_object_set_new(o, "amount_remaining", json_integer(inv->amount_remaining));
	json_object_set_new(o, "attempted", json_false());
	json_object_set_new(o, "auto_advance", json_false());
	json_object_set_new(o, "billing_reason", api_str(billing_reason_name(inv->billing_reason)));
	json_object_set_new(o, "collection_method", api_str(collection_method_name(inv->collection_method)));
	json_object_set_new(o, "created", json_integer(inv->created));
	json_object_set_new(o, "currency", api_str(inv->currency));
	api_set_id(o, "customer", ID_CUSTOMER, inv->customer_id);
	json_object_set_new(o, "days_until_due",
	                    inv->has_days_until_due ? json_integer(inv->days_until_due) : json_null());
	json_object_set_new(o, "description", api_str(inv->description));
	json_object_set_new(o, "due_date", ts(inv->due_date));
	json_object_set_new(o, "ending_balance", json_integer(inv->ending_balance));
	json_t *lo = json_object();
	json_t *data = json_array();
	for (int i = 0; lines && i < n_lines; i++)
		json_array_append_new(data, ref_invoice_line(&lines[i]));
	json_object_set_new(lo, "object", json_string("list"));
	json_object_set_new(lo, "data", data);
	json_object_set_new(lo, "has_more", json_boolean(has_more));
	char url[64];
	snprintf(url, sizeof url, "/v1/invoices/%s/lines",
	         inv->id > 0 ? ids_encode(ID_INVOICE, inv->id, buf) : "upcoming");
	json_object_set_new(lo, "url", json_string(url));
	json_object_set_new(lo, "total_count", json_integer(n_lines));
	json_object_set_new(o, "lines", lo);
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(inv->metadata, false));
	json_object_set_new(o, "number", api_str(inv->number));
	json_object_set_new(o, "paid", json_boolean(inv->status == INV_PAID));
	json_object_set_new(o, "paid_out_of_band", json_boolean(inv->paid_out_of_band));
	json_object_set_new(o, "past_due", json_boolean(inv->past_due));
	json_object_set_new(o, "period_start", json_integer(inv->period_start));
	json_object_set_new(o, "period_end", json_integer(inv->period_end));
	json_object_set_new(o, "starting_balance", json_integer(inv->starting_balance));
	json_object_set_new(o, "status", api_str(invoice_status_name(inv->status)));
	json_t *st = json_object();
	json_object_set_new(st, "finalized_at", ts(inv->finalized_at));
	json_object_set_new(st, "marked_uncollectible_at", ts(inv->marked_uncollectible_at));
	json_object_set_new(st, "paid_at", ts(inv->paid_at));
	json_object_set_new(st, "voided_at", ts(inv->voided_at));
	json_object_set_new(o, "status_transitions", st);
	json_object_set_new(o, "subscription", id_or_null(ID_SUBSCRIPTION, inv->subscription_id));
	json_object_set_new(o, "subtotal", json_integer(inv->subtotal));
	json_object_set_new(o, "total", json_integer(inv->total));
	return o;
}

static json_t *ref_invoice_item(const struct og_invoice_item *it)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_INVOICE_ITEM, it->id);
	json_object_set_new(o, "object", json_string("invoiceitem"));
	json_object_set_new(o, "amount", json_integer(it->amount));
	json_object_set_new(o, "currency", api_str(it->currency));
	api_set_id(o, "customer", ID_CUSTOMER, it->customer_id);
	json_object_set_new(o, "date", json_integer(it->created));
	json_object_set_new(o, "description", api_str(it->description));
	json_object_set_new(o, "invoice", id_or_null(ID_INVOICE, it->invoice_id));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(it->metadata, false));
	json_t *period = json_object();
	json_object_set_new(period, "start", json_integer(it->period_start));
	json_object_set_new(period, "end", json_integer(it->period_end));
	json_object_set_new(o, "period", period);
	json_object_set_new(o, "price", id_or_null(ID_PRICE, it->price_id));
	json_object_set_new(o, "proration", json_boolean(it->proration));
	json_object_set_new(o, "quantity", json_integer(it->quantity));
	json_object_set_new(o, "subscription", id_or_null(ID_SUBSCRIPTION, it->subscription_id));
	json_object_set_new(o, "subscription_item", id_or_null(ID_SUB_ITEM, it->subscription_item_id));
	json_object_set_new(o, "unit_amount", it->has_unit_amount ? json_integer(it->unit_amount) : json_null());
	return o;
}

static json_t *ref_event(const struct og_event *e)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_EVENT, e->id);
	json_object_set_new(o, "object", json_string("event"));
	json_object_set_new(o, "api_version", json_string("oneguard-1"));
	json_object_set_new(o, "created", json_integer(e->created));
	json_t *data = api_json_text(e->data, false);
	json_object_set_new(o, "data", data);
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "pending_webhooks", json_integer(0));
	json_t *req = json_object();
	json_object_set_new(req, "id", api_str(e->request_id));
	json_object_set_new(req, "idempotency_key", api_str(e->idempotency_key));
	json_object_set_new(o, "request", req);
	json_object_set_new(o, "type", api_str(e->type));
	return o;
}

static json_t *ref_test_clock(const struct og_test_clock *c)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_TEST_CLOCK, c->id);
	json_object_set_new(o, "object", json_string("test_helpers.test_clock"));
	json_object_set_new(o, "created", json_integer(c->created));
	json_object_set_new(o, "frozen_time", json_integer(c->frozen_time));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(c->metadata, false));
	json_object_set_new(o, "name", api_str(c->name));
	json_object_set_new(o, "status", api_str(test_clock_status_name(c->status)));
	return o;
}

/* ---- 1. the field tables -------------------------------------------------- */

static void check_object(json_t *obj, const struct model_object *mo, const char *path);

static void check_value(json_t *v, const struct model_field *f, const char *path)
{
	if (json_is_null(v)) {
		if (!(f->flags & MF_NULLABLE))
			fail_msg("%s.%s: null but not nullable", path, f->name);
		return;
	}
	char sub[256];
	snprintf(sub, sizeof sub, "%s.%s", path, f->name);
	switch (f->type) {
	case MT_STRING:
		if (!json_is_string(v))
			fail_msg("%s: not a string", sub);
		break;
	case MT_INTEGER:
	case MT_TIMESTAMP:
		if (!json_is_integer(v))
			fail_msg("%s: not an integer", sub);
		break;
	case MT_BOOLEAN:
		if (!json_is_boolean(v))
			fail_msg("%s: not a boolean", sub);
		break;
	case MT_CONST:
		if (!json_is_string(v) || strcmp(json_string_value(v), f->const_value))
			fail_msg("%s: not \"%s\"", sub, f->const_value);
		break;
	case MT_ENUM:
		if (!json_is_string(v) || model_enum_parse(f->enum_type, json_string_value(v)) == f->enum_type->n)
			fail_msg("%s: not a value of %s", sub, f->enum_type->name);
		break;
	case MT_ID: {
		if (json_is_object(v) && (f->flags & MF_EXPANDABLE)) {
			check_object(v, f->object, sub);
			break;
		}
		int64_t id;
		if (!json_is_string(v) || !ids_decode(f->id_kind, json_string_value(v), &id))
			fail_msg("%s: not an id of kind %s", sub, ids_prefix(f->id_kind));
		break;
	}
	case MT_METADATA: {
		if (!json_is_object(v))
			fail_msg("%s: metadata not an object", sub);
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			if (!json_is_string(x))
				fail_msg("%s.%s: metadata value not a string", sub, k);
		}
		break;
	}
	case MT_JSON:
		if (!json_is_object(v) && !json_is_array(v))
			fail_msg("%s: not an object or array", sub);
		break;
	case MT_OBJECT:
		check_object(v, f->object, sub);
		break;
	case MT_LIST: {
		if (!json_is_object(v) || strcmp(json_string_value(json_object_get(v, "object")), "list"))
			fail_msg("%s: not a list", sub);
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(v, "data"), i, x)
		{
			check_object(x, f->object, sub);
		}
		if (!json_is_boolean(json_object_get(v, "has_more")) || !json_is_string(json_object_get(v, "url")) ||
		    !json_is_integer(json_object_get(v, "total_count")))
			fail_msg("%s: a list without has_more, url, total_count", sub);
		break;
	}
	}
}

/* obj has the table's members in its order; optional ones may be absent. */
static void check_object(json_t *obj, const struct model_object *mo, const char *path)
{
	if (!json_is_object(obj))
		fail_msg("%s: not an object (%s)", path, mo->name);
	int i = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		while (i < mo->n_fields && strcmp(mo->fields[i].name, key) && (mo->fields[i].flags & MF_OPTIONAL))
			i++;
		if (i >= mo->n_fields || strcmp(mo->fields[i].name, key))
			fail_msg("%s: member \"%s\" is not next in the table of %s", path, key, mo->name);
		check_value(v, &mo->fields[i], path);
		i++;
	}
	for (; i < mo->n_fields; i++)
		if (!(mo->fields[i].flags & MF_OPTIONAL))
			fail_msg("%s: member \"%s\" of %s missing", path, mo->fields[i].name, mo->name);
}

/* text matches the table of mo (NULL: a corrupt row, no table to match) and
 * is byte for byte the reference tree (stolen; NULL: no reference). */
static void check_text(const char *text, const struct model_object *mo, json_t *reference)
{
	json_error_t err;
	json_t *parsed = json_loads(text, 0, &err);
	if (!parsed)
		fail_msg("not JSON (%s): %s", err.text, text);
	if (mo)
		check_object(parsed, mo, mo->name);
	if (reference) {
		char *expect = json_dumps(reference, JSON_COMPACT);
		assert_string_equal(text, expect);
		free(expect);
		json_decref(reference);
	}
	json_decref(parsed);
}

#define RENDER(call, mo, reference)                                                                                    \
	do {                                                                                                           \
		struct og_jsonw w_;                                                                                    \
		struct og_jsonw *w = &w_;                                                                              \
		jsonw_init(w, NULL, 0);                                                                                \
		call;                                                                                                  \
		check_text(jsonw_text(w, NULL), (mo), (reference));                                                    \
		jsonw_free(w);                                                                                         \
	} while (0)

/* ---- the objects ----------------------------------------------------------- */

static const char *const stored_json[] = {"{}", "", "null", "[1]", "{\"a\":\"b\"}"};
#define N_STORED 5

static void test_customers(void **state)
{
	(void)state;
	char *md = stored_metadata(), *addr = stored_address();
	struct og_customer bare = {.id = 1, .created = 1700000000}; /* every text NULL */
	RENDER(model_customer_render(w, &bare), &model_customer, ref_customer(&bare));
	struct og_customer full = {.id = INT32_MAX,
	                           .email = "jenny.rosen@example.com",
	                           .name = odd_text,
	                           .phone = "+45 12 34 56 78",
	                           .description = "",
	                           .address = addr,
	                           .currency = "dkk",
	                           .metadata = md,
	                           .created = INT64_MAX,
	                           .test_clock_id = 42,
	                           .default_payment_method_id = 9};
	RENDER(model_customer_render(w, &full), &model_customer, ref_customer(&full));
	/* payment methods (issue 14): bare and full */
	struct og_payment_method pm_bare = {
	    .id = 1, .brand = "visa", .last4 = "4242", .exp_month = 12, .exp_year = 2030};
	RENDER(model_payment_method_render(w, &pm_bare), &model_payment_method, ref_payment_method(&pm_bare));
	struct og_payment_method pm_full = {.id = INT32_MAX,
	                                    .ref = "sandbox:succeeds",
	                                    .customer_id = 5,
	                                    .brand = "visa",
	                                    .last4 = "0341",
	                                    .exp_month = 1,
	                                    .exp_year = 2031,
	                                    .funding = "credit",
	                                    .country = "US",
	                                    .billing_details =
	                                        "{\"address\":null,\"email\":null,\"name\":\"Ann\",\"phone\":null}",
	                                    .metadata = md,
	                                    .created = 1700000000};
	RENDER(model_payment_method_render(w, &pm_full), &model_payment_method, ref_payment_method(&pm_full));
	/* stored JSON as it may also be: empty object, missing, or not an object
	 * (byte-compatible only: an array is not an address) */
	for (int i = 0; i < N_STORED; i++) {
		struct og_customer c = {.id = 7, .address = stored_json[i], .metadata = stored_json[i], .created = 0};
		struct og_jsonw w;
		jsonw_init(&w, NULL, 0);
		model_customer_render(&w, &c);
		json_t *r = ref_customer(&c);
		char *expect = json_dumps(r, JSON_COMPACT);
		assert_string_equal(jsonw_text(&w, NULL), expect);
		free(expect);
		json_decref(r);
		jsonw_free(&w);
	}
	free(md);
	free(addr);
}

static void test_prices_and_products(void **state)
{
	(void)state;
	char *md = stored_metadata();
	struct og_price one_time = {.id = 3, .product_id = 9, .unit_amount = 0, .currency = "usd", .created = 1};
	RENDER(model_price_render(w, &one_time), &model_price, ref_price(&one_time));
	struct og_price monthly = {.id = 4,
	                           .product_id = 9,
	                           .nickname = odd_text,
	                           .unit_amount = 99999999999,
	                           .currency = "eur",
	                           .type = PRICE_RECURRING,
	                           .interval = CAL_MONTH,
	                           .interval_count = 3,
	                           .lookup_key = "gold_monthly",
	                           .active = true,
	                           .metadata = md,
	                           .created = 1700000000};
	RENDER(model_price_render(w, &monthly), &model_price, ref_price(&monthly));
	monthly.has_trial_period_days = true;
	monthly.trial_period_days = 14;
	monthly.active = false;
	monthly.unit_amount = -5; /* not accepted by the API, but printed alike */
	RENDER(model_price_render(w, &monthly), &model_price, ref_price(&monthly));
	monthly.trial_period_days = 0;
	monthly.interval = CAL_YEAR;
	monthly.unit_amount = INT64_MIN;
	monthly.metadata = NULL;
	RENDER(model_price_render(w, &monthly), &model_price, ref_price(&monthly));

	struct og_product bare = {.id = 5, .name = "Gold", .created = 10, .updated = 10};
	RENDER(model_product_render(w, &bare), &model_product, ref_product(&bare));
	struct og_product full = {.id = 6,
	                          .name = odd_text,
	                          .description = odd_text,
	                          .active = true,
	                          .metadata = md,
	                          .created = 1,
	                          .updated = 2};
	RENDER(model_product_render(w, &full), &model_product, ref_product(&full));
	free(md);
}

static void test_keys_clocks_events(void **state)
{
	(void)state;
	struct og_api_key key = {.id = 2, .last4 = "abcd", .name = odd_text, .created = 5};
	RENDER(model_api_key_render(w, &key, NULL), &model_api_key, ref_key(&key, NULL));
	RENDER(model_api_key_render(w, &key, "sk_secret"), &model_api_key, ref_key(&key, "sk_secret"));
	key.revoked_at = 9;
	key.name = NULL;
	key.last4 = NULL;
	RENDER(model_api_key_render(w, &key, NULL), &model_api_key, ref_key(&key, NULL));
	/* a restricted key on its way out (rolled with a grace period) */
	key.restricted = true;
	key.permissions = "customers=write,products=read";
	key.expires_at = 12;
	key.last4 = "wxyz";
	RENDER(model_api_key_render(w, &key, "rk_secret"), &model_api_key, ref_key(&key, "rk_secret"));
	key.permissions = ""; /* every permission none */
	RENDER(model_api_key_render(w, &key, NULL), &model_api_key, ref_key(&key, NULL));

	struct og_audit_log al = {.id = 7,
	                          .created = 3,
	                          .actor_id = 2,
	                          .role = "secret_key",
	                          .action = "POST /v1/customers/{id}",
	                          .object_type = "customer",
	                          .object_id = "cus_x",
	                          .client_addr = "127.0.0.1",
	                          .request_id = "req_abc",
	                          .idempotency_key = odd_text};
	RENDER(model_audit_log_render(w, &al), &model_audit_log, ref_audit_log(&al));
	al.actor_is_user = true;
	al.role = "owner";
	al.object_type = al.object_id = al.client_addr = al.idempotency_key = NULL;
	RENDER(model_audit_log_render(w, &al), &model_audit_log, ref_audit_log(&al));

	struct og_test_clock clock = {.id = 3, .name = "Q1", .frozen_time = 1700000000, .metadata = "{}", .created = 1};
	RENDER(model_test_clock_render(w, &clock), &model_test_clock, ref_test_clock(&clock));
	clock.status = TEST_CLOCK_ADVANCING;
	clock.name = NULL;
	RENDER(model_test_clock_render(w, &clock), &model_test_clock, ref_test_clock(&clock));

	struct og_event ev = {.id = 4,
	                      .type = "customer.created",
	                      .data = "{\"object\":{\"id\":\"cus_x\",\"object\":\"customer\"}}",
	                      .created = 8};
	RENDER(model_event_render(w, &ev), &model_event, ref_event(&ev));
	ev.request_id = "req_abc"; /* caused by an API request */
	ev.idempotency_key = odd_text;
	RENDER(model_event_render(w, &ev), &model_event, ref_event(&ev));
	ev.data = NULL; /* a corrupt row: data {} as before */
	RENDER(model_event_render(w, &ev), NULL, ref_event(&ev));

	RENDER(model_deleted_render(w, ID_PRODUCT, 12, "product"), &model_deleted, NULL);
	RENDER((model_list_begin(w), model_list_end(w, true, "/v1/products")), &model_list, NULL);
	/* the error envelope, with and without a parameter, quotes escaped */
	RENDER(model_error_render(w, "invalid_request_error", "parameter_missing", "Missing \"name\".", "name"),
	       &model_error, NULL);
	RENDER(model_error_render(w, "api_error", "internal", "An internal error occurred.", ""), &model_error, NULL);
	RENDER(model_error_render_decline(w, "card_error", "card_declined", "Your card has insufficient funds.", NULL,
	                                  "insufficient_funds"),
	       &model_error, NULL);
}

static struct og_subscription a_subscription(void)
{
	return (struct og_subscription){.id = 11,
	                                .customer_id = 2,
	                                .status = SUB_ACTIVE,
	                                .currency = "usd",
	                                .interval = CAL_MONTH,
	                                .interval_count = 1,
	                                .collection_method = COLLECTION_CHARGE_AUTOMATICALLY,
	                                .billing_cycle_anchor = 1700000000,
	                                .current_period_start = 1700000000,
	                                .current_period_end = 1702592000,
	                                .next_billing_at = 1702592000,
	                                .start_date = 1700000000,
	                                .latest_invoice_id = 9,
	                                .default_payment_method_id = 4,
	                                .metadata = "{\"k\":\"v\"}",
	                                .created = 1700000000};
}

static void test_subscriptions(void **state)
{
	(void)state;
	struct og_sub_item items[2] = {
	    {.id = 1,
	     .subscription_id = 11,
	     .price_id = 4,
	     .unit_amount = 3000,
	     .quantity = 2,
	     .metadata = "{}",
	     .created = 3},
	    {.id = 2, .subscription_id = 11, .price_id = 5, .unit_amount = 7, .quantity = 1, .created = 4},
	};
	struct og_price prices[2] = {
	    {.id = 4,
	     .product_id = 1,
	     .currency = "usd",
	     .type = PRICE_RECURRING,
	     .interval = CAL_MONTH,
	     .interval_count = 1,
	     .unit_amount = 3000,
	     .metadata = "{}",
	     .active = true,
	     .created = 1},
	    {.id = 5,
	     .product_id = 1,
	     .currency = "usd",
	     .type = PRICE_RECURRING,
	     .interval = CAL_MONTH,
	     .interval_count = 1,
	     .has_trial_period_days = true,
	     .trial_period_days = 7,
	     .unit_amount = 7,
	     .created = 1},
	};
	struct og_subscription s = a_subscription();
	json_t *ref_prices[2] = {ref_price(&prices[0]), ref_price(&prices[1])};
	RENDER(model_subscription_render(w, &s, items, 2, prices), &model_subscription,
	       ref_subscription(&s, items, 2, ref_prices));
	RENDER(model_subscription_render(w, &s, items, 2, NULL), &model_subscription,
	       ref_subscription(&s, items, 2, NULL));
	/* paused, cancelling, send_invoice, on a clock, trialing dates */
	s.paused_at = 1701000000;
	s.status = SUB_PAUSED;
	s.cancel_at_period_end = true;
	s.collection_method = COLLECTION_SEND_INVOICE;
	s.has_days_until_due = true;
	s.days_until_due = 30;
	s.test_clock_id = 3;
	s.trial_start = 1;
	s.trial_end = 2;
	RENDER(model_subscription_render(w, &s, items, 1, NULL), &model_subscription,
	       ref_subscription(&s, items, 1, NULL));
	/* a new draft: no items, nothing set */
	struct og_subscription bare = {
	    .id = 12, .customer_id = 2, .status = SUB_DRAFT, .currency = "eur", .created = 1};
	RENDER(model_subscription_render(w, &bare, NULL, 0, NULL), &model_subscription,
	       ref_subscription(&bare, NULL, 0, NULL));
	RENDER(model_sub_item_render(w, &items[0], &s, NULL), &model_sub_item, ref_sub_item(&items[0], &s, NULL));
	/* a stored status oneGuard does not know renders as null: byte-compatible,
	 * though no longer of the table's type */
	bare.status = SUB__COUNT;
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	model_subscription_render(&w, &bare, NULL, 0, NULL);
	json_t *r = ref_subscription(&bare, NULL, 0, NULL);
	char *expect = json_dumps(r, JSON_COMPACT);
	assert_string_equal(jsonw_text(&w, NULL), expect);
	assert_non_null(strstr(expect, "\"status\":null"));
	free(expect);
	json_decref(r);
	jsonw_free(&w);
}

static void test_invoices(void **state)
{
	(void)state;
	struct og_invoice_line lines[3] = {
	    {.id = 1,
	     .invoice_id = 9,
	     .line_type = LINE_SUBSCRIPTION,
	     .subscription_id = 11,
	     .subscription_item_id = 1,
	     .price_id = 4,
	     .description = "2 × Gold (at $30.00 / month)",
	     .has_unit_amount = true,
	     .unit_amount = 3000,
	     .quantity = 2,
	     .amount = 6000,
	     .currency = "usd",
	     .period_start = 1,
	     .period_end = 2},
	    {.id = 2,
	     .invoice_id = 9,
	     .line_type = LINE_INVOICEITEM,
	     .invoice_item_id = 5,
	     .description = odd_text,
	     .quantity = 1,
	     .amount = -100,
	     .currency = "usd",
	     .period_start = 1,
	     .period_end = 1,
	     .proration = true},
	    {.id = 3, .invoice_id = 9, .line_type = LINE_INVOICEITEM, .quantity = 1, .currency = "usd"},
	};
	struct og_invoice inv = {.id = 9,
	                         .customer_id = 2,
	                         .subscription_id = 11,
	                         .status = INV_OPEN,
	                         .number = "INV-000001",
	                         .currency = "usd",
	                         .billing_reason = BILLING_REASON_SUBSCRIPTION_CYCLE,
	                         .collection_method = COLLECTION_SEND_INVOICE,
	                         .has_days_until_due = true,
	                         .days_until_due = 30,
	                         .period_start = 1,
	                         .period_end = 2,
	                         .subtotal = 5900,
	                         .total = 5900,
	                         .amount_due = 5900,
	                         .amount_remaining = 5900,
	                         .due_date = 100,
	                         .description = odd_text,
	                         .metadata = "{}",
	                         .created = 1,
	                         .finalized_at = 1};
	RENDER(model_invoice_render(w, &inv, lines, 3, false), &model_invoice, ref_invoice(&inv, lines, 3, false));
	RENDER(model_invoice_render(w, &inv, lines, 2, true), &model_invoice, ref_invoice(&inv, lines, 2, true));
	inv.status = INV_PAID;
	inv.paid_at = 5;
	inv.past_due = true;
	inv.paid_out_of_band = true;
	RENDER(model_invoice_render(w, &inv, NULL, 0, false), &model_invoice, ref_invoice(&inv, NULL, 0, false));
	/* a manual draft: no number, no subscription, nothing due yet */
	struct og_invoice draft = {.id = 10,
	                           .customer_id = 2,
	                           .status = INV_DRAFT,
	                           .currency = "eur",
	                           .billing_reason = BILLING_REASON_MANUAL,
	                           .created = 3};
	RENDER(model_invoice_render(w, &draft, NULL, 0, false), &model_invoice, ref_invoice(&draft, NULL, 0, false));
	/* the upcoming invoice: no id yet, next_payment_attempt at the end */
	draft.id = 0;
	json_t *up = ref_invoice(&draft, lines, 1, false);
	json_object_set_new(up, "next_payment_attempt", json_integer(77));
	RENDER(model_upcoming_invoice_render(w, &draft, lines, 1, 77), &model_invoice, up);
	for (int i = 0; i < 3; i++)
		RENDER(model_invoice_line_render(w, &lines[i]), &model_invoice_line, ref_invoice_line(&lines[i]));

	struct og_invoice_item it = {.id = 5,
	                             .customer_id = 2,
	                             .description = odd_text,
	                             .quantity = 1,
	                             .amount = -100,
	                             .currency = "usd",
	                             .period_start = 1,
	                             .period_end = 1,
	                             .metadata = "{}",
	                             .created = 1};
	RENDER(model_invoice_item_render(w, &it), &model_invoice_item, ref_invoice_item(&it));
	it.subscription_id = 11;
	it.subscription_item_id = 1;
	it.invoice_id = 9;
	it.price_id = 4;
	it.has_unit_amount = true;
	it.unit_amount = 3000;
	it.proration = true;
	it.metadata = NULL;
	RENDER(model_invoice_item_render(w, &it), &model_invoice_item, ref_invoice_item(&it));
}

/* ---- 3. the enums ---------------------------------------------------------- */

static void test_enums(void **state)
{
	(void)state;
	const struct model_enum *all[] = {&model_enum_sub_status,     &model_enum_invoice_status,
	                                  &model_enum_interval,       &model_enum_collection_method,
	                                  &model_enum_billing_reason, &model_enum_line_type,
	                                  &model_enum_price_type,     &model_enum_test_clock_status};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const struct model_enum *e = all[i];
		assert_true(e->n > 0);
		for (int v = 0; v < e->n; v++) {
			const char *name = model_enum_name(e, v);
			assert_non_null(name);
			assert_int_equal(model_enum_parse(e, name), v);
		}
		assert_null(model_enum_name(e, e->n));
		assert_null(model_enum_name(e, -1));
		assert_int_equal(model_enum_parse(e, NULL), e->n);
		assert_int_equal(model_enum_parse(e, "nonsense"), e->n);
		assert_int_equal(model_enum_parse(e, ""), e->n);
	}
	assert_string_equal(collection_method_name(COLLECTION_SEND_INVOICE), "send_invoice");
	assert_int_equal(collection_method_parse("charge_automatically"), COLLECTION_CHARGE_AUTOMATICALLY);
	assert_int_equal(billing_reason_parse("subscription_cycle"), BILLING_REASON_SUBSCRIPTION_CYCLE);
	assert_string_equal(billing_reason_name(BILLING_REASON_MANUAL), "manual");
	assert_int_equal(line_type_parse("invoiceitem"), LINE_INVOICEITEM);
	assert_string_equal(line_type_name(LINE_SUBSCRIPTION), "subscription");
	assert_string_equal(price_type_name(PRICE_ONE_TIME), "one_time");
	assert_int_equal(test_clock_status_parse("ready"), TEST_CLOCK_READY);
	assert_string_equal(test_clock_status_name(TEST_CLOCK_ADVANCING), "advancing");
	assert_null(test_clock_status_name(TEST_CLOCK__COUNT));
	/* the core's enums keep their own tables: the descriptors agree */
	assert_string_equal(model_enum_name(&model_enum_sub_status, SUB_PAST_DUE), "past_due");
	assert_string_equal(model_enum_name(&model_enum_invoice_status, INV_UNCOLLECTIBLE), "uncollectible");
	assert_string_equal(model_enum_name(&model_enum_interval, CAL_YEAR), "year");
}

/* The sign-in objects (issue 13): each matches its table, bare and full; a
 * user never shows its password hash, a portal session its url only when
 * given. */
static void test_accounts_objects(void **state)
{
	(void)state;
	struct og_user bare = {.id = 1, .email = "a@b.example", .created = 5}; /* staff, never signed in */
	RENDER(model_user_render(w, &bare), &model_user, NULL);
	struct og_user full = {.id = INT32_MAX,
	                       .email = "ada@shop.example",
	                       .name = odd_text,
	                       .role = ROLE_CUSTOMER,
	                       .customer_id = 7,
	                       .password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
	                       .disabled = true,
	                       .last_login = 9,
	                       .created = 1,
	                       .updated = 2};
	RENDER(model_user_render(w, &full), &model_user, NULL);
	RENDER(model_auth_session_render(w, &full, "00ff", 43200), &model_auth_session, NULL);
	RENDER(model_password_reset_render(w, "requested"), &model_password_reset, NULL);
	RENDER(model_auth_logout_render(w), &model_auth_logout, NULL);
	RENDER(model_invitation_render(w, &bare, 99), &model_invitation, NULL);
	RENDER(model_invitation_render(w, &full, 99), &model_invitation, NULL);
	struct og_portal_session ps = {.id = 3, .customer_id = 7, .created = 100, .expires = 1000};
	RENDER(model_portal_session_render(w, &ps), &model_portal_session, NULL);
	struct og_balance_txn bt = {.id = 4,
	                            .customer_id = 7,
	                            .amount = -1500,
	                            .currency = "usd",
	                            .type = BTXN_APPLIED_TO_INVOICE,
	                            .ending_balance = -300,
	                            .created = 5};
	RENDER(model_balance_txn_render(w, &bt), &model_balance_txn, NULL);
	bt.invoice_id = 9;
	bt.description = "credit";
	bt.metadata = "{\"a\":\"b\"}";
	RENDER(model_balance_txn_render(w, &bt), &model_balance_txn, NULL);
	ps.return_url = "https://shop.example/account";
	ps.url = "https://billing.example/portal/session/ab";
	RENDER(model_portal_session_render(w, &ps), &model_portal_session, NULL);

	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	model_user_render(&w, &full);
	const char *text = jsonw_text(&w, NULL);
	assert_null(strstr(text, "argon2id"));
	assert_non_null(strstr(text, "\"role\":\"customer\""));
	jsonw_free(&w);
}

/* Every table: names unique, each field's description set, the kind-specific
 * pointers present. */
static void test_tables_well_formed(void **state)
{
	(void)state;
	int n_objects = 0;
	for (const struct model_object *const *o = model_objects; *o; o++, n_objects++) {
		const struct model_object *mo = *o;
		assert_non_null(mo->name);
		assert_non_null(mo->description);
		assert_true(mo->n_fields > 0);
		for (int i = 0; i < mo->n_fields; i++) {
			const struct model_field *f = &mo->fields[i];
			assert_non_null(f->name);
			assert_non_null(f->description);
			for (int j = 0; j < i; j++)
				assert_string_not_equal(f->name, mo->fields[j].name);
			if (f->type == MT_ENUM)
				assert_non_null(f->enum_type);
			if (f->type == MT_OBJECT || f->type == MT_LIST || (f->flags & MF_EXPANDABLE))
				assert_non_null(f->object);
			if (f->type == MT_CONST)
				assert_non_null(f->const_value);
		}
	}
	assert_int_equal(n_objects, 23);
}

/* jsonw_escape, the escaper the logger uses. */
static void test_escape(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(jsonw_escape(out, sizeof out, "a\"b\\c\n\x01"), 15);
	assert_string_equal(out, "a\\\"b\\\\c\\n\\u0001");
	assert_int_equal(jsonw_escape(out, sizeof out, NULL), 0);
	assert_string_equal(out, "");
	/* never half an escape or half a character */
	assert_int_equal(jsonw_escape(out, 3, "a\"b"), 1);
	assert_string_equal(out, "a");
	assert_int_equal(jsonw_escape(out, 4, "ab\xc3\xa9"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(jsonw_escape(out, 5, "ab\xc3\xa9"), 4);
	assert_string_equal(out, "ab\xc3\xa9");
	/* the same text as the writer's string values */
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	jsonw_string(&w, odd_text);
	char big[256];
	size_t n = jsonw_escape(big, sizeof big, odd_text);
	const char *text = jsonw_text(&w, NULL);
	assert_int_equal(strlen(text), n + 2);
	assert_memory_equal(text + 1, big, n);
	jsonw_free(&w);
	/* jsonw_reset: the next document in the same buffer */
	jsonw_init(&w, NULL, 8);
	jsonw_object_begin(&w);
	jsonw_key_string(&w, "a", odd_text);
	jsonw_object_end(&w);
	jsonw_reset(&w);
	jsonw_array_begin(&w);
	jsonw_int64(&w, 1);
	jsonw_array_end(&w);
	assert_string_equal(jsonw_text(&w, NULL), "[1]");
	jsonw_free(&w);
}

int main(void)
{
	unsigned char ids_key[IDS_KEY_BYTES]; /* any installation's: ids here are made and read back */
	randombytes_buf(ids_key, sizeof ids_key);
	ids_set_key(ids_key);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_customers),
	    cmocka_unit_test(test_prices_and_products),
	    cmocka_unit_test(test_keys_clocks_events),
	    cmocka_unit_test(test_subscriptions),
	    cmocka_unit_test(test_invoices),
	    cmocka_unit_test(test_enums),
	    cmocka_unit_test(test_tables_well_formed),
	    cmocka_unit_test(test_accounts_objects),
	    cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
