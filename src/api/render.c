/* Renderings of subscriptions, invoices, invoice items, events and test
 * clocks in Stripe's shapes. Absent timestamps (0) render as null. */
#include "api/render.h"
#include "api/common.h"

#include <string.h>

static json_t *ts(int64_t t)
{
	return t ? json_integer(t) : json_null();
}

static json_t *id_or_null(enum id_kind kind, int64_t id)
{
	char buf[ID_MAX_LEN];
	return id > 0 ? json_string(ids_encode(kind, id, buf)) : json_null();
}

json_t *render_sub_item(const struct og_sub_item *it, const struct og_subscription *sub, json_t *price)
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

json_t *render_subscription(const struct og_subscription *s, const struct og_sub_item *items, int n_items,
                            json_t **prices)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_SUBSCRIPTION, s->id);
	json_object_set_new(o, "object", json_string("subscription"));
	json_object_set_new(o, "billing_cycle_anchor", ts(s->billing_cycle_anchor));
	json_object_set_new(o, "cancel_at", s->cancel_at_period_end ? ts(s->current_period_end) : json_null());
	json_object_set_new(o, "cancel_at_period_end", json_boolean(s->cancel_at_period_end));
	json_object_set_new(o, "canceled_at", ts(s->canceled_at));
	json_object_set_new(o, "collection_method", api_str(s->collection_method));
	json_object_set_new(o, "created", json_integer(s->created));
	json_object_set_new(o, "currency", api_str(s->currency));
	json_object_set_new(o, "current_period_start", ts(s->current_period_start));
	json_object_set_new(o, "current_period_end", ts(s->current_period_end));
	api_set_id(o, "customer", ID_CUSTOMER, s->customer_id);
	json_object_set_new(o, "days_until_due", s->has_days_until_due ? json_integer(s->days_until_due) : json_null());
	json_object_set_new(o, "ended_at", ts(s->ended_at));
	json_t *list = json_object();
	json_t *data = json_array();
	for (int i = 0; i < n_items; i++)
		json_array_append_new(data, render_sub_item(&items[i], s, prices ? prices[i] : NULL));
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
	json_object_set_new(o, "status", api_str(s->status));
	json_object_set_new(o, "test_clock", id_or_null(ID_TEST_CLOCK, s->test_clock_id));
	json_object_set_new(o, "trial_start", ts(s->trial_start));
	json_object_set_new(o, "trial_end", ts(s->trial_end));
	json_object_set_new(o, "next_billing_at", ts(s->next_billing_at));
	return o;
}

json_t *render_invoice_line(const struct og_invoice_line *l)
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
	json_object_set_new(o, "type", api_str(l->line_type));
	json_object_set_new(o, "unit_amount", l->has_unit_amount ? json_integer(l->unit_amount) : json_null());
	return o;
}

json_t *render_invoice(const struct og_invoice *inv, const struct og_invoice_line *lines, int n_lines, bool has_more)
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
	json_object_set_new(o, "billing_reason", api_str(inv->billing_reason));
	json_object_set_new(o, "collection_method", api_str(inv->collection_method));
	json_object_set_new(o, "created", json_integer(inv->created));
	json_object_set_new(o, "currency", api_str(inv->currency));
	api_set_id(o, "customer", ID_CUSTOMER, inv->customer_id);
	json_object_set_new(o, "days_until_due",
	                    inv->has_days_until_due ? json_integer(inv->days_until_due) : json_null());
	json_object_set_new(o, "description", api_str(inv->description));
	json_object_set_new(o, "due_date", ts(inv->due_date));
	json_t *lo = json_object();
	json_t *data = json_array();
	for (int i = 0; lines && i < n_lines; i++)
		json_array_append_new(data, render_invoice_line(&lines[i]));
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
	json_object_set_new(o, "paid", json_boolean(!strcmp(inv->status, "paid")));
	json_object_set_new(o, "paid_out_of_band", json_boolean(inv->paid_out_of_band));
	json_object_set_new(o, "past_due", json_boolean(inv->past_due));
	json_object_set_new(o, "period_start", json_integer(inv->period_start));
	json_object_set_new(o, "period_end", json_integer(inv->period_end));
	json_object_set_new(o, "status", api_str(inv->status));
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

json_t *render_invoice_item(const struct og_invoice_item *it)
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

json_t *render_event(const struct og_event *e)
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
	json_object_set_new(o, "type", api_str(e->type));
	return o;
}

json_t *render_test_clock(const struct og_test_clock *c)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_TEST_CLOCK, c->id);
	json_object_set_new(o, "object", json_string("test_helpers.test_clock"));
	json_object_set_new(o, "created", json_integer(c->created));
	json_object_set_new(o, "frozen_time", json_integer(c->frozen_time));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "metadata", api_json_text(c->metadata, false));
	json_object_set_new(o, "name", api_str(c->name));
	json_object_set_new(o, "status", api_str(c->status));
	return o;
}
