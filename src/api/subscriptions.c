/* HTTP handlers for /v1/subscriptions and GET /v1/invoices/upcoming. Each
 * parses its parameters with a spec into the one input struct of its
 * service operation, calls that one function of billing/subscriptions.c
 * (which decides everything: statuses, periods, prorations, invoices) and
 * renders the result. No SQL, no date math and no status tests here.
 * Every spec output is a field of the input struct, so the specs can
 * become static offset-based tables. */
#include "api/api.h"
#include "api/common.h"
#include "billing/subscriptions.h"

#include <string.h>

_Static_assert(sizeof(enum billing_collection) == sizeof(int), "PARAM_ENUM writes an int");
_Static_assert(sizeof(enum billing_proration) == sizeof(int), "PARAM_ENUM writes an int");
_Static_assert(sizeof(enum billing_anchor) == sizeof(int), "PARAM_ENUM writes an int");

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
/* enum sub_status's order (core/subscription_fsm.h) */
static const char *const statuses[] = {"draft", "trialing", "active", "past_due", "paused", "canceled", "unpaid", NULL};

static void billing_ctx_of(struct og_req *rq, struct billing_ctx *bc)
{
	*bc = (struct billing_ctx){.db = rq->db,
	                           .arena = rq->arena,
	                           .invoice_prefix = rq->cfg ? rq->cfg->invoice_prefix : "INV",
	                           .now = rq->now,
	                           .err = &rq->err};
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

/* ---- items[] ---- */

struct items_ctx {
	struct billing_sub_item_input *items;
	int *n;
	bool for_update;
};

static enum og_ec parse_item(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	struct items_ctx *in = ctx;
	(void)index;
	struct billing_sub_item_input *it = &in->items[*in->n];
	*it = (struct billing_sub_item_input){.quantity = 1};
	struct param_spec spec[] = {
	    PARAM_ID("price", ID_PRICE, &it->price, &it->has_price, P_REQUIRED),
	    PARAM_INT64("quantity", &it->quantity, &it->has_quantity, 1, BILLING_SUB_QUANTITY_MAX, 0),
	    PARAM_METADATA("metadata", &it->metadata, &it->has_metadata),
	    PARAM_END,
	};
	struct param_spec spec_update[] = {
	    PARAM_ID("id", ID_SUB_ITEM, &it->id, &it->has_id, 0),
	    PARAM_ID("price", ID_PRICE, &it->price, &it->has_price, 0),
	    PARAM_INT64("quantity", &it->quantity, &it->has_quantity, 1, BILLING_SUB_QUANTITY_MAX, 0),
	    PARAM_BOOL("deleted", &it->deleted, NULL, 0),
	    PARAM_METADATA("metadata", &it->metadata, &it->has_metadata),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, elem, in->for_update ? spec_update : spec, path);
	if (ec)
		return ec;
	(*in->n)++;
	return OG_EC_NONE;
}

/* ---- the endpoints ---- */

enum og_ec api_subscriptions_create(struct og_req *rq)
{
	struct billing_sub_create_input in = {0};
	struct items_ctx items = {.items = in.items, .n = &in.n_items};
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &in.customer, NULL, P_REQUIRED),
	    PARAM_ARRAY("items", parse_item, &items, NULL, BILLING_MAX_ITEMS, P_REQUIRED),
	    PARAM_INT64("trial_period_days", &in.trial_period_days, &in.has_trial_period_days, 0,
	                BILLING_SUB_TRIAL_DAYS_MAX, 0),
	    PARAM_TIMESTAMP("trial_end", &in.trial_end, &in.has_trial_end, 0),
	    PARAM_TIMESTAMP("billing_cycle_anchor", &in.billing_cycle_anchor, &in.has_billing_cycle_anchor, 0),
	    PARAM_BOOL("cancel_at_period_end", &in.cancel_at_period_end, NULL, 0),
	    PARAM_ENUM("collection_method", &in.collection_method, NULL, billing_collection_methods, 0),
	    PARAM_INT64("days_until_due", &in.days_until_due, &in.has_days_until_due, 1, BILLING_SUB_DAYS_UNTIL_DUE_MAX,
	                0),
	    PARAM_METADATA("metadata", &in.metadata, NULL),
	    PARAM_BOOL("confirm", &in.confirm, NULL, 0),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_create(&bc, &in, &bs)))
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
	struct param_spec spec[] = {PARAM_END};
	return params_parse(rq, rq->body, spec, NULL);
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
	struct items_ctx items = {.items = in.items, .n = &in.n_items, .for_update = true};
	struct param_spec spec[] = {
	    PARAM_ARRAY("items", parse_item, &items, &in.has_items, BILLING_MAX_ITEMS, 0),
	    PARAM_ENUM("proration_behavior", &in.proration_behavior, NULL, proration_behaviors, 0),
	    PARAM_ENUM("billing_cycle_anchor", &in.billing_cycle_anchor, &in.has_billing_cycle_anchor, anchors, 0),
	    PARAM_BOOL("cancel_at_period_end", &in.cancel_at_period_end, &in.has_cancel_at_period_end, 0),
	    PARAM_ENUM("collection_method", &in.collection_method, &in.has_collection_method,
	               billing_collection_methods, 0),
	    PARAM_INT64("days_until_due", &in.days_until_due, &in.has_days_until_due, 1, BILLING_SUB_DAYS_UNTIL_DUE_MAX,
	                0),
	    PARAM_METADATA("metadata", &in.metadata, &in.has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct billing_sub bs;
	if ((ec = billing_sub_update(&bc, id, &in, &bs)))
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
	struct param_spec spec[] = {
	    PARAM_BOOL("prorate", &in.prorate, NULL, 0),
	    PARAM_BOOL("invoice_now", &in.invoice_now, NULL, 0),
	    PARAM_IGNORE("cancellation_details"),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (!json_object_size(rq->body) && json_object_size(rq->query) &&
	    (ec = params_parse(rq, rq->query, spec, NULL))) /* DELETE parameters may come in the query */
		return ec;
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
	struct param_spec spec[] = {
	    PARAM_ENUM("billing_cycle_anchor", &in.billing_cycle_anchor, NULL, anchors, 0),
	    PARAM_IGNORE("proration_behavior"),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
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

enum og_ec api_subscriptions_list(struct og_req *rq)
{
	struct list_input in = {.status = -1};
	struct param_spec spec[] = {
	    PARAMS_PAGE(&in.page, ID_SUBSCRIPTION),
	    PARAM_ID("customer", ID_CUSTOMER, &in.filter.customer_id, NULL, 0),
	    PARAM_ID("price", ID_PRICE, &in.filter.price_id, NULL, 0),
	    PARAM_ENUM("status", &in.status, NULL, statuses, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
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
	struct billing_ctx bc;
	billing_ctx_of(rq, &bc);
	struct og_invoice inv;
	struct og_invoice_line *lines;
	int n_lines;
	if ((ec = billing_sub_upcoming(&bc, sub_id, "subscription", &inv, &lines, &n_lines)))
		return ec;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_upcoming_invoice_render(&w, &inv, lines, n_lines, inv.period_start);
	return api_reply_jsonw(rq, &w);
}
