/* HTTP handlers for /v1/subscriptions and GET /v1/invoices/upcoming. Each
 * parses its parameters with a spec into the one input struct of its
 * service operation, calls that one function of billing/subscriptions.c
 * (which decides everything: statuses, periods, prorations, invoices) and
 * renders the result. No SQL, no date math and no status tests here.
 * The specs are static tables (offsets into the input structs), readable
 * without running a handler, for the reference documentation. */
#include "api/api.h"
#include "api/common.h"
#include "store/payments.h"
#include "billing/subscriptions.h"

#include <string.h>

_Static_assert(sizeof(enum billing_collection) == sizeof(int), "PS_ENUM writes an int");
_Static_assert(sizeof(enum billing_proration) == sizeof(int), "PS_ENUM writes an int");
_Static_assert(sizeof(enum billing_anchor) == sizeof(int), "PS_ENUM writes an int");

/* The wire names, in the order of the service's enums. */
static const char *const proration_behaviors[] = {
    [BILLING_PRORATE_CREATE] = "create_prorations",
    [BILLING_PRORATE_ALWAYS_INVOICE] = "always_invoice",
    [BILLING_PRORATE_NONE] = "none",
    NULL,
};
static const char *const anchors[] = {
    [BILLING_ANCHOR_NOW] = "now",
    [BILLING_ANCHOR_UNCHANGED] = "unchanged",
    NULL,
};

static void billing_ctx_of(struct og_req *rq, struct billing_ctx *bc)
{
	*bc = (struct billing_ctx){.db = rq->db,
	                           .arena = rq->arena,
	                           .invoice_prefix = rq->cfg ? rq->cfg->invoice_prefix : "INV",
	                           .now = rq->now,
	                           .err = &rq->err,
	                           .request_id = rq->request_id,
	                           .idempotency_key = rq->idempotency_key,
	                           .customer_scope = rq->actor.customer_id};
	bc->per_customer_numbers = rq->cfg && rq->cfg->invoice_numbering == OG_NUMBERING_CUSTOMER;
}

/* The subscription as the API shows it, with full price objects. */
static enum og_ec reply_sub(struct og_req *rq, struct billing_ctx *bc, const struct billing_sub *bs)
{
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	enum og_ec ec = billing_subscription_write(bc, &w, &bs->sub, bs->items, bs->n_items);
	return ec ? ec : api_reply_jsonw(rq, &w);
}

/* ---- the specs ---- */

#define ITEM(m) PARAM_AT(struct billing_sub_item_input, m)
static const struct param_spec item_create_spec[] = {
    PS_ID("price", ID_PRICE, ITEM(price), ITEM(has_price), P_REQUIRED, "The recurring price of this item."),
    PS_INT64("quantity", ITEM(quantity), ITEM(has_quantity), 1, BILLING_SUB_QUANTITY_MAX, 0,
             "How many units (default 1)."),
    PS_METADATA("metadata", ITEM(metadata), ITEM(has_metadata), "Your key-value pairs on the item."),
    PS_END,
};
static const struct param_spec item_update_spec[] = {
    PS_ID("id", ID_SUB_ITEM, ITEM(id), ITEM(has_id), 0, "The item to change; absent: a new item."),
    PS_ID("price", ID_PRICE, ITEM(price), ITEM(has_price), 0, "The item's new price (required for a new item)."),
    PS_INT64("quantity", ITEM(quantity), ITEM(has_quantity), 1, BILLING_SUB_QUANTITY_MAX, 0,
             "How many units (a new item: default 1)."),
    PS_BOOL("deleted", ITEM(deleted), PARAM_NOWHERE, 0, "true with id: the item leaves (one must stay)."),
    PS_METADATA("metadata", ITEM(metadata), ITEM(has_metadata), "Changes to the item's key-value pairs."),
    PS_END,
};
#undef ITEM

#define IN(m) PARAM_AT(struct billing_sub_create_input, m)
static const struct param_spec create_spec[] = {
    PS_ID("customer", ID_CUSTOMER, IN(customer), PARAM_NOWHERE, P_REQUIRED, "The customer to bill."),
    PS_ARRAY("items", struct billing_sub_create_input, items, n_items, item_create_spec, PARAM_NOWHERE, P_REQUIRED,
             "The items, 1 to 20: active recurring prices of one currency and interval."),
    PS_INT64("trial_period_days", IN(trial_period_days), IN(has_trial_period_days), 0, BILLING_SUB_TRIAL_DAYS_MAX, 0,
             "Days of trial from now (not with trial_end)."),
    PS_TIMESTAMP("trial_end", IN(trial_end), IN(has_trial_end), 0,
                 "The trial's end, a Unix time in the future (not with trial_period_days)."),
    PS_TIMESTAMP("billing_cycle_anchor", IN(billing_cycle_anchor), IN(has_billing_cycle_anchor), 0,
                 "The time periods are counted from: in the future, within one interval (not with a trial)."),
    PS_BOOL("cancel_at_period_end", IN(cancel_at_period_end), PARAM_NOWHERE, 0,
            "Cancel at the end of the current period."),
    PS_ENUM("collection_method", IN(collection_method), PARAM_NOWHERE, collection_method_names, 0,
            "charge_automatically (the default) or send_invoice."),
    PS_INT64("days_until_due", IN(days_until_due), IN(has_days_until_due), 1, BILLING_SUB_DAYS_UNTIL_DUE_MAX, 0,
             "Days to pay an invoice, only with send_invoice (default 30)."),
    PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_BOOL("confirm", IN(confirm), PARAM_NOWHERE, 0, "true: create and confirm in one call."),
    PS_IGNORE("default_payment_method", "A payment method attached to the customer (read by dpm_spec)."),
    PS_END,
};
#undef IN

#define IN(m) PARAM_AT(struct billing_sub_update_input, m)
static const struct param_spec update_spec[] = {
    PS_ARRAY("items", struct billing_sub_update_input, items, n_items, item_update_spec, IN(has_items), 0,
             "Items to change (with id), remove (id and deleted) or add (without id)."),
    PS_ENUM("proration_behavior", IN(proration_behavior), PARAM_NOWHERE, proration_behaviors, 0,
            "create_prorations (the default), always_invoice or none."),
    PS_ENUM("billing_cycle_anchor", IN(billing_cycle_anchor), IN(has_billing_cycle_anchor), anchors, 0,
            "unchanged (the default) or now: start a new period now."),
    PS_BOOL("cancel_at_period_end", IN(cancel_at_period_end), IN(has_cancel_at_period_end), 0,
            "Cancel at the end of the current period."),
    PS_ENUM("collection_method", IN(collection_method), IN(has_collection_method), collection_method_names, 0,
            "charge_automatically or send_invoice."),
    PS_INT64("days_until_due", IN(days_until_due), IN(has_days_until_due), 1, BILLING_SUB_DAYS_UNTIL_DUE_MAX, 0,
             "Days to pay an invoice, only with send_invoice."),
    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Changes to your key-value pairs."),
    PS_IGNORE("default_payment_method", "A payment method attached to the customer, \"\" clears (dpm_spec)."),
    PS_END,
};
#undef IN

#define IN(m) PARAM_AT(struct billing_sub_cancel_input, m)
static const struct param_spec cancel_spec[] = {
    PS_BOOL("prorate", IN(prorate), PARAM_NOWHERE, 0, "Credit the unused time of each item."),
    PS_BOOL("invoice_now", IN(invoice_now), PARAM_NOWHERE, 0, "Invoice the pending items now, in a final invoice."),
    PS_IGNORE("cancellation_details", "Accepted for Stripe's clients, not stored."),
    PS_END,
};
#undef IN

static const struct param_spec resume_spec[] = {
    PS_ENUM("billing_cycle_anchor", PARAM_AT(struct billing_sub_resume_input, billing_cycle_anchor), PARAM_NOWHERE,
            anchors, 0, "now (the default: a new period starts now) or unchanged."),
    PS_IGNORE("proration_behavior", "Accepted for Stripe's clients; resuming does not prorate."),
    PS_END,
};

static const struct param_spec no_params[] = {PS_END};

/* issue 14: default_payment_method, read apart from the service's input
 * (collection, which uses it, comes later); "" clears it. */
struct dpm_input {
	int64_t pm;
	bool has, is_null;
};
static const struct param_spec dpm_spec[] = {
    {.name = "default_payment_method",
     .type = PT_ID,
     .flags = P_NULLABLE,
     .id_kind = ID_PAYMENT_METHOD,
     .at = PARAM_AT(struct dpm_input, pm),
     .present_at = PARAM_AT(struct dpm_input, has),
     .null_at = PARAM_AT(struct dpm_input, is_null),
     .doc = "Charged before the customer's default; must be attached to the customer."},
    PS_IGNORE_OTHERS,
    PS_END,
};

/* Checks the default payment method against customer_id (0: the
 * subscription's customer, read from sub_id). */
static enum og_ec dpm_check(struct og_req *rq, const struct dpm_input *d, int64_t customer_id, int64_t sub_id)
{
	if (!d->has || d->is_null)
		return OG_EC_NONE;
	if (!customer_id) {
		struct og_subscription s;
		enum db_rc rc = store_subscription_get(rq->db, rq->arena, sub_id, &s);
		if (rc != DB_ROW || !api_owns(rq, s.customer_id))
			return api_db_error(rq, rc == DB_ROW ? DB_DONE : rc, "subscription", NULL);
		customer_id = s.customer_id;
	}
	return api_payment_method_check_default(rq, customer_id, d->pm, "default_payment_method");
}

static enum og_ec dpm_apply(struct og_req *rq, const struct dpm_input *d, struct billing_sub *bs)
{
	if (!d->has)
		return OG_EC_NONE;
	bs->sub.default_payment_method_id = d->is_null ? 0 : d->pm;
	enum db_rc rc = store_subscription_set_default_pm(rq->db, bs->sub.id, bs->sub.default_payment_method_id);
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "subscription", NULL);
}

/* ---- the endpoints ---- */

enum og_ec api_subscriptions_create(struct og_req *rq)
{
	struct billing_sub_create_input in = {0};
	for (size_t i = 0; i < BILLING_MAX_ITEMS; i++)
		in.items[i].quantity = 1;
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct dpm_input dpm = {0};
	if ((ec = params_parse_into(rq, rq->body, dpm_spec, &dpm)) || (ec = dpm_check(rq, &dpm, in.customer, 0)))
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_create(&bc, &in, &bs)) || (ec = dpm_apply(rq, &dpm, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

enum og_ec api_subscriptions_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_retrieve(&bc, id, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

/* The path's subscription id and a body without parameters. */
static enum og_ec parse_no_params(struct og_req *rq, int64_t *id)
{
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", id);
	if (ec)
		return ec;
	return params_parse_into(rq, rq->body, no_params, NULL);
}

enum og_ec api_subscriptions_confirm(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = parse_no_params(rq, &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_confirm(&bc, id, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

enum og_ec api_subscriptions_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", &id);
	if (ec)
		return ec;
	struct billing_sub_update_input in = {.proration_behavior = BILLING_PRORATE_CREATE,
	                                      .billing_cycle_anchor = BILLING_ANCHOR_UNCHANGED};
	for (size_t i = 0; i < BILLING_MAX_ITEMS; i++)
		in.items[i].quantity = 1;
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	struct dpm_input dpm = {0};
	if ((ec = params_parse_into(rq, rq->body, dpm_spec, &dpm)) || (ec = dpm_check(rq, &dpm, 0, id)))
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_update(&bc, id, &in, &bs)) || (ec = dpm_apply(rq, &dpm, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

enum og_ec api_subscriptions_cancel(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", &id);
	if (ec)
		return ec;
	struct billing_sub_cancel_input in = {0};
	if ((ec = params_parse_into(rq, rq->body, cancel_spec, &in)))
		return ec;
	if (!json_object_size(rq->body) && json_object_size(rq->query) &&
	    (ec = params_parse_into(rq, rq->query, cancel_spec, &in))) /* DELETE parameters may come in the query */
		return ec;
	/* a customer user cancels; credits and a final invoice are the merchant's call */
	if (rq->actor.customer_id > 0 && (in.prorate || in.invoice_now))
		return api_customer_forbidden(rq, in.prorate ? "prorate" : "invoice_now",
		                              "proration and a final invoice are set by the merchant.");
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_cancel(&bc, id, &in, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

enum og_ec api_subscriptions_cancel_all(struct og_req *rq, int64_t customer_id)
{
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	return billing_sub_cancel_all(&bc, customer_id);
}

enum og_ec api_subscriptions_pause(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = parse_no_params(rq, &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_pause(&bc, id, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

enum og_ec api_subscriptions_resume(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_SUBSCRIPTION, "subscription", &id);
	if (ec)
		return ec;
	struct billing_sub_resume_input in = {.billing_cycle_anchor = BILLING_ANCHOR_NOW};
	if ((ec = params_parse_into(rq, rq->body, resume_spec, &in)))
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_resume(&bc, id, &in, &bs)))
		return ec;
	return reply_sub(rq, &bc, &bs);
}

/* ---- list ---- */

static bool sub_exists(struct og_req *rq, int64_t id)
{
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	return billing_sub_exists(&bc, id);
}

struct list_input {
	struct og_page page;
	struct store_subscription_filter filter;
	int status; /* enum sub_status, -1 = any */
};
#define IN(m) PARAM_AT(struct list_input, m)
static const struct param_spec list_spec[] = {
    PS_PAGE(struct list_input, page, ID_SUBSCRIPTION),
    PS_ID("customer", ID_CUSTOMER, IN(filter.customer_id), PARAM_NOWHERE, 0, "Only this customer's subscriptions."),
    PS_ID("price", ID_PRICE, IN(filter.price_id), PARAM_NOWHERE, 0, "Only subscriptions with an item of this price."),
    PS_ENUM("status", IN(status), PARAM_NOWHERE, sub_status_names, 0, "Only subscriptions in this status."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};
#undef IN

enum og_ec api_subscriptions_list(struct og_req *rq)
{
	struct list_input in = {.status = -1};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	if (in.status >= 0) {
		in.filter.has_status = true;
		in.filter.status = (enum sub_status)in.status;
	}
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, sub_exists, &sp)))
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub *subs;
	int n;
	bool has_more;
	if ((ec = billing_sub_list(&bc, &sp, &in.filter, &created, &subs, &n, &has_more)))
		return ec;
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < n; i++)
		if ((ec = billing_subscription_write(&bc, &w, &subs[i].sub, subs[i].items, subs[i].n_items)))
			return ec;
	return api_list_end(rq, &w, has_more, "/v1/subscriptions");
}

/* ---- GET /v1/invoices/upcoming ---- */

struct upcoming_in {
	int64_t subscription;
};
static const struct param_spec upcoming_spec[] = {
    PS_ID("subscription", ID_SUBSCRIPTION, PARAM_AT(struct upcoming_in, subscription), PARAM_NOWHERE, P_REQUIRED,
          "The subscription whose next invoice to preview."),
    PS_END,
};

enum og_ec api_invoices_upcoming(struct og_req *rq)
{
	struct upcoming_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, upcoming_spec, &in);
	if (ec)
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct og_invoice inv;
	struct og_invoice_line *lines;
	int n_lines;
	if ((ec = billing_sub_upcoming(&bc, in.subscription, "subscription", &inv, &lines, &n_lines)))
		return ec;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_upcoming_invoice_render(&w, &inv, lines, n_lines, inv.period_start);
	return api_reply_jsonw(rq, &w);
}
