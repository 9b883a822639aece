/* HTTP handlers for /v1/invoiceitems: one-off charges and credits that wait
 * (pending) for a customer's next invoice, or sit on a draft invoice as one
 * of its lines. No SQL here (store/invoice_items.c); totals are recomputed
 * by billing_invoice_recompute, never summed here; money goes through the
 * checked helpers of core/money.h and core/invoice_calc.h.
 *
 * Invariants:
 *   - an item on an invoice has exactly one line on it, and changes with it:
 *     creating, updating or deleting the item changes the line and the
 *     draft's totals in the same transaction (api_invoice_lines_changed);
 *   - once its invoice is finalized an item cannot change (409);
 *   - |amount| <= ITEM_AMOUNT_MAX, whether given or unit_amount * quantity;
 *   - a change reads what it changes with a row lock (the item, then its
 *     invoice: store_*_get_for_update), so concurrent requests on PostgreSQL
 *     cannot lose each other's writes (a deadlock is retried by the store).
 *
 * Choices where Stripe leaves room (docs/api/invoiceitems.md): exactly one
 * of amount, price and unit_amount; currency defaults to the invoice's, the
 * subscription's, then the customer's; invoice and subscription are
 * exclusive; an item's amount comes from its price for good once created
 * from one (quantity may change). */
#include "api/api.h"
#include "api/common.h"
#include "billing/service.h"
#include "core/invoice_calc.h"
#include "core/money.h"

#include <string.h>

#define ITEM_DESCRIPTION_MAX 5000
#define ITEM_AMOUNT_MAX      99999999999LL
#define ITEM_QUANTITY_MAX    1000000

/* A signed amount: charges are positive, credits negative. */
#define PARAM_SIGNED_AMOUNT(n, o, p)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_AMOUNT, .out = (o), .present = (p), .min = -ITEM_AMOUNT_MAX,                   \
		.max = ITEM_AMOUNT_MAX                                                                                 \
	}

static enum og_ec amount_too_large(struct og_req *rq, const char *param, int64_t unit_amount, int64_t quantity)
{
	return og_err(&rq->err, OG_EC_PARAM_AMOUNT, param,
	              "unit_amount %lld × quantity %lld is beyond the largest invoice item amount (±%lld minor units).",
	              (long long)unit_amount, (long long)quantity, ITEM_AMOUNT_MAX);
}

/* it->amount = unit_amount * quantity, checked and bounded. */
static enum og_ec compute_amount(struct og_req *rq, const char *param, struct og_invoice_item *it)
{
	int64_t amount;
	if (!invoice_line_amount(it->unit_amount, it->quantity, &amount) || amount > ITEM_AMOUNT_MAX ||
	    amount < -ITEM_AMOUNT_MAX)
		return amount_too_large(rq, param, it->unit_amount, it->quantity);
	it->amount = amount;
	return OG_EC_NONE;
}

/* The draft an item lives on, for a change: 409 unless it is a draft. */
static enum og_ec load_draft_of(struct og_req *rq, const struct og_invoice_item *it, const char *action,
                                struct og_invoice *inv)
{
	enum db_rc rc = store_invoice_get_for_update(rq->db, rq->arena, it->invoice_id, inv);
	if (rc != DB_ROW)
		return rc == DB_DONE ? OG_BUG(&rq->err, "an invoice item names a missing invoice")
		                     : api_db_error(rq, rc, "invoice", NULL);
	if (inv->status != INV_DRAFT) {
		char item_id[ID_MAX_LEN], inv_id[ID_MAX_LEN];
		return og_err(&rq->err, OG_EC_INVOICE_STATUS, NULL,
		              "Cannot %s invoice item %s: it is on invoice %s, whose status is '%s'. Items can change "
		              "only while pending or on a draft invoice.",
		              action, ids_encode(ID_INVOICE_ITEM, it->id, item_id),
		              ids_encode(ID_INVOICE, inv->id, inv_id), invoice_status_name(inv->status));
	}
	return OG_EC_NONE;
}

static enum og_ec item_event(struct billing_ctx *bc, const char *type, const struct og_invoice_item *it)
{
	struct og_jsonw w;
	jsonw_init(&w, bc->arena, 0);
	model_invoice_item_render(&w, it);
	return billing_event(bc, type, "invoiceitem", it->id, it->customer_id, jsonw_take(&w, NULL));
}

/* for_write: lock the row for a read-modify-write (PostgreSQL) */
static enum og_ec load_item(struct og_req *rq, struct og_invoice_item *it, bool for_write)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE_ITEM, "invoice item", &id);
	if (ec)
		return ec;
	enum db_rc rc = for_write ? store_invoice_item_get_for_update(rq->db, rq->arena, id, it)
	                          : store_invoice_item_get(rq->db, rq->arena, id, it);
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "invoice item", NULL);
}

static enum og_ec no_such(struct og_req *rq, const char *param, enum id_kind kind, int64_t id)
{
	char buf[ID_MAX_LEN];
	return og_err(&rq->err, OG_EC_PARAM_ID, param, "No such %s: '%s'", param, ids_encode(kind, id, buf));
}

static enum og_ec currency_mismatch(struct og_req *rq, const char *currency, const char *what, const char *theirs)
{
	return og_err(&rq->err, OG_EC_CURRENCY_MISMATCH, "currency",
	              "The invoice item's currency (%s) differs from the %s's (%s).", currency, what, theirs);
}

/* ---- create ---- */

struct item_input {
	struct og_invoice_item it;
	int64_t invoice_id, subscription_id;
	bool has_amount, has_price, has_unit_amount, has_quantity, has_currency, has_period;
	const char *currency;
	json_t *metadata;
};

/* Exactly one way to say how much. */
static enum og_ec check_amount_source(struct og_req *rq, const struct item_input *in)
{
	int n = in->has_amount + in->has_price + in->has_unit_amount;
	if (n == 0)
		return og_err(&rq->err, OG_EC_PARAM_MISSING, "amount",
		              "Missing required param: amount. Pass amount (with currency), price, or unit_amount "
		              "(with quantity and currency).");
	if (n > 1)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, in->has_price && in->has_amount ? "price" : "unit_amount",
		              "Pass only one of amount, price and unit_amount.");
	if (in->has_amount && in->has_quantity)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "quantity",
		              "quantity goes with price or unit_amount; amount is the item's whole amount.");
	return OG_EC_NONE;
}

/* The price's amount, currency and (by default) its product's name. */
static enum og_ec apply_price(struct og_req *rq, struct item_input *in)
{
	struct og_price price;
	enum db_rc rc = store_price_get(rq->db, rq->arena, in->it.price_id, &price);
	if (rc == DB_DONE)
		return no_such(rq, "price", ID_PRICE, in->it.price_id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", "price");
	if (!price.active) {
		char buf[ID_MAX_LEN];
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "price", "The price '%s' is archived (active=false).",
		              ids_encode(ID_PRICE, price.id, buf));
	}
	if (in->currency && strcmp(in->currency, price.currency))
		return currency_mismatch(rq, in->currency, "price", price.currency);
	in->currency = price.currency;
	in->it.has_unit_amount = true;
	in->it.unit_amount = price.unit_amount;
	if (!in->it.description) {
		struct og_product prod;
		if ((rc = store_product_get(rq->db, rq->arena, price.product_id, &prod)) == DB_ROW)
			in->it.description = prod.name;
		else if (rc != DB_DONE)
			return api_db_error(rq, rc, "product", NULL);
		if (!in->it.description)
			in->it.description = price.nickname;
	}
	return OG_EC_NONE;
}

/* The draft the new item goes on: the customer's, in its currency, with
 * room for one more line. */
static enum og_ec check_target_invoice(struct og_req *rq, struct item_input *in, struct og_invoice *inv)
{
	char buf[ID_MAX_LEN];
	enum db_rc rc = store_invoice_get_for_update(rq->db, rq->arena, in->invoice_id, inv);
	if (rc == DB_DONE)
		return no_such(rq, "invoice", ID_INVOICE, in->invoice_id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice", "invoice");
	if (inv->customer_id != in->it.customer_id)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice", "The invoice '%s' belongs to another customer.",
		              ids_encode(ID_INVOICE, inv->id, buf));
	if (inv->status != INV_DRAFT)
		return og_err(
		    &rq->err, OG_EC_INVOICE_STATUS, "invoice",
		    "Cannot add an item to invoice %s: its status is '%s'. Items can be added only to drafts.",
		    ids_encode(ID_INVOICE, inv->id, buf), invoice_status_name(inv->status));
	if (in->currency && strcmp(in->currency, inv->currency))
		return currency_mismatch(rq, in->currency, "invoice", inv->currency);
	in->currency = inv->currency;
	int64_t n_lines = 0;
	if ((rc = store_invoice_line_count(rq->db, inv->id, &n_lines)) != DB_ROW)
		return api_db_error(rq, rc, "invoice lines", NULL);
	if (n_lines >= API_INVOICE_LINES_MAX)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "invoice",
		              "The invoice '%s' already has %d lines, the most "
		              "an invoice can have.",
		              ids_encode(ID_INVOICE, inv->id, buf), API_INVOICE_LINES_MAX);
	return OG_EC_NONE;
}

/* The subscription whose next invoice takes the item. */
static enum og_ec check_target_subscription(struct og_req *rq, struct item_input *in)
{
	char buf[ID_MAX_LEN];
	struct og_subscription sub;
	enum db_rc rc = store_subscription_get(rq->db, rq->arena, in->subscription_id, &sub);
	if (rc == DB_DONE)
		return no_such(rq, "subscription", ID_SUBSCRIPTION, in->subscription_id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "subscription", "subscription");
	if (sub.customer_id != in->it.customer_id)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "subscription",
		              "The subscription '%s' belongs to another customer.",
		              ids_encode(ID_SUBSCRIPTION, sub.id, buf));
	if (sub.status == SUB_CANCELED)
		return og_err(&rq->err, OG_EC_SUB_STATUS, "subscription",
		              "The subscription '%s' is canceled: it will issue no further invoice.",
		              ids_encode(ID_SUBSCRIPTION, sub.id, buf));
	if (in->currency && strcmp(in->currency, sub.currency))
		return currency_mismatch(rq, in->currency, "subscription", sub.currency);
	in->currency = sub.currency;
	in->it.subscription_id = sub.id;
	return OG_EC_NONE;
}

enum og_ec api_invoice_items_create(struct og_req *rq)
{
	struct item_input in = {.it = {.quantity = 1}};
	struct og_invoice_item *it = &in.it;
	struct param_spec period[] = {
	    PARAM_TIMESTAMP("start", &it->period_start, NULL, P_REQUIRED),
	    PARAM_TIMESTAMP("end", &it->period_end, NULL, P_REQUIRED),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &it->customer_id, NULL, P_REQUIRED),
	    PARAM_SIGNED_AMOUNT("amount", &it->amount, &in.has_amount),
	    PARAM_CURRENCY("currency", &in.currency, &in.has_currency, 0),
	    PARAM_ID("price", ID_PRICE, &it->price_id, &in.has_price, 0),
	    PARAM_SIGNED_AMOUNT("unit_amount", &it->unit_amount, &in.has_unit_amount),
	    PARAM_INT64("quantity", &it->quantity, &in.has_quantity, 1, ITEM_QUANTITY_MAX, 0),
	    PARAM_STRING("description", &it->description, NULL, ITEM_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_OBJECT("period", period, &in.has_period, 0),
	    PARAM_ID("invoice", ID_INVOICE, &in.invoice_id, NULL, 0),
	    PARAM_ID("subscription", ID_SUBSCRIPTION, &in.subscription_id, NULL, 0),
	    PARAM_METADATA("metadata", &in.metadata, NULL),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
	if ((ec = check_amount_source(rq, &in)))
		return ec;
	if (in.invoice_id && in.subscription_id)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "subscription",
		              "Pass invoice to add the item to a draft now, or subscription to leave it for that "
		              "subscription's next invoice, not both.");
	if (in.has_period && it->period_start > it->period_end)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "period[end]",
		              "period[end] must not be before period[start].");
	if (it->description && !*it->description)
		it->description = NULL;
	struct og_customer cus;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, it->customer_id, &cus);
	if (rc == DB_DONE)
		return no_such(rq, "customer", ID_CUSTOMER, it->customer_id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", "customer");
	if (in.has_price && (ec = apply_price(rq, &in)))
		return ec;
	struct og_invoice inv = {0};
	if (in.invoice_id && (ec = check_target_invoice(rq, &in, &inv)))
		return ec;
	if (in.subscription_id && (ec = check_target_subscription(rq, &in)))
		return ec;
	if (!in.currency)
		in.currency = cus.currency;
	if (!in.currency)
		return og_err(&rq->err, OG_EC_PARAM_MISSING, "currency",
		              "Missing required param: currency. The customer has no default currency.");
	it->currency = in.currency;
	if (in.has_unit_amount)
		it->has_unit_amount = true;
	if (it->has_unit_amount && (ec = compute_amount(rq, "quantity", it)))
		return ec;

	int64_t now;
	if ((ec = api_invoices_customer_now(rq, it->customer_id, &now)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, now, &bc);
	if (!in.has_period)
		it->period_start = it->period_end = now;
	it->invoice_id = in.invoice_id;
	it->created = now;
	if ((ec = api_metadata_apply(rq, NULL, in.metadata, &it->metadata)))
		return ec;
	if ((rc = store_invoice_item_insert(rq->db, it)) != DB_ROW)
		return api_db_error(rq, rc, "invoice item", NULL);
	if ((ec = item_event(&bc, "invoiceitem.created", it)))
		return ec;
	if (in.invoice_id) {
		struct og_invoice_line line;
		billing_line_from_item(it, inv.id, &line);
		if ((rc = store_invoice_line_insert(rq->db, &line)) != DB_ROW)
			return api_db_error(rq, rc, "invoice line", NULL);
		if ((ec = api_invoice_lines_changed(rq, &bc, &inv)))
			return ec;
	}
	return api_reply_invoice_item(rq, it);
}

/* ---- reads ---- */

enum og_ec api_invoice_items_retrieve(struct og_req *rq)
{
	struct og_invoice_item it;
	enum og_ec ec = load_item(rq, &it, false);
	if (ec)
		return ec;
	return api_reply_invoice_item(rq, &it);
}

static bool item_exists(struct og_req *rq, int64_t id)
{
	struct og_invoice_item it;
	return store_invoice_item_get(rq->db, rq->arena, id, &it) == DB_ROW;
}

enum og_ec api_invoice_items_list(struct og_req *rq)
{
	struct og_page page = {0};
	struct store_invoice_item_filter f = {.pending = -1};
	bool pending = false, has_pending = false;
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_INVOICE_ITEM),
	    PARAM_ID("customer", ID_CUSTOMER, &f.customer_id, NULL, 0),
	    PARAM_ID("invoice", ID_INVOICE, &f.invoice_id, NULL, 0),
	    PARAM_BOOL("pending", &pending, &has_pending, 0),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	if (has_pending)
		f.pending = pending ? 1 : 0;
	struct store_page sp;
	if ((ec = api_page(rq, &page, item_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_invoice_item_list(rq->db, rq->arena, &sp, &f, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "invoice items", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_invoice_item_render(&w, (struct og_invoice_item *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/invoiceitems");
}

/* ---- update and delete: while pending or on a draft ---- */

/* Applies the amount parameters of an update to it. */
static enum og_ec apply_amount_update(struct og_req *rq, struct og_invoice_item *it, bool has_amount, int64_t amount,
                                      bool has_unit_amount, int64_t unit_amount, bool has_quantity, int64_t quantity)
{
	char buf[ID_MAX_LEN];
	if (has_amount && (has_unit_amount || has_quantity))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "amount",
		              "Pass amount, or unit_amount and quantity, not both.");
	if (it->price_id && (has_amount || has_unit_amount))
		return og_err(
		    &rq->err, OG_EC_PARAM_INVALID, has_amount ? "amount" : "unit_amount",
		    "The amount of this item comes from its price '%s'; change quantity, or delete the item and "
		    "create another.",
		    ids_encode(ID_PRICE, it->price_id, buf));
	if (has_amount) {
		it->amount = amount;
		it->has_unit_amount = false;
		it->unit_amount = 0;
		it->quantity = 1;
		return OG_EC_NONE;
	}
	if (has_unit_amount) {
		it->has_unit_amount = true;
		it->unit_amount = unit_amount;
	}
	if (has_quantity) {
		if (!it->has_unit_amount)
			return og_err(
			    &rq->err, OG_EC_PARAM_INVALID, "quantity",
			    "This item has a fixed amount and no unit_amount: pass unit_amount with quantity, or a "
			    "new amount.");
		it->quantity = quantity;
	}
	if (has_unit_amount || has_quantity)
		return compute_amount(rq, has_quantity ? "quantity" : "unit_amount", it);
	return OG_EC_NONE;
}

enum og_ec api_invoice_items_update(struct og_req *rq)
{
	struct og_invoice_item it;
	enum og_ec ec = load_item(rq, &it, true);
	if (ec)
		return ec;
	int64_t amount = 0, unit_amount = 0, quantity = 0, start = it.period_start, end = it.period_end;
	bool has_amount = false, has_unit_amount = false, has_quantity = false, has_description = false,
	     has_period = false, has_metadata = false;
	const char *description = it.description;
	json_t *metadata = NULL;
	struct param_spec period[] = {
	    PARAM_TIMESTAMP("start", &start, NULL, P_REQUIRED),
	    PARAM_TIMESTAMP("end", &end, NULL, P_REQUIRED),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAM_SIGNED_AMOUNT("amount", &amount, &has_amount),
	    PARAM_SIGNED_AMOUNT("unit_amount", &unit_amount, &has_unit_amount),
	    PARAM_INT64("quantity", &quantity, &has_quantity, 1, ITEM_QUANTITY_MAX, 0),
	    PARAM_STRING("description", &description, &has_description, ITEM_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_OBJECT("period", period, &has_period, 0),
	    PARAM_METADATA("metadata", &metadata, &has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	bool any = has_amount || has_unit_amount || has_quantity || has_description || has_period || has_metadata;
	if (!any) /* nothing to change: no write, no event */
		return api_reply_invoice_item(rq, &it);
	struct og_invoice inv = {0};
	if (it.invoice_id && (ec = load_draft_of(rq, &it, "update", &inv)))
		return ec;
	if ((ec = apply_amount_update(rq, &it, has_amount, amount, has_unit_amount, unit_amount, has_quantity,
	                              quantity)))
		return ec;
	if (start > end)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "period[end]",
		              "period[end] must not be before period[start].");
	it.period_start = start;
	it.period_end = end;
	it.description = description && *description ? description : NULL;
	if (has_metadata && (ec = api_metadata_apply(rq, it.metadata, metadata, &it.metadata)))
		return ec;

	int64_t now;
	if ((ec = api_invoices_customer_now(rq, it.customer_id, &now)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, now, &bc);
	enum db_rc rc = store_invoice_item_update(rq->db, &it);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice item", NULL);
	if ((ec = item_event(&bc, "invoiceitem.updated", &it)))
		return ec;
	if (it.invoice_id) {
		struct og_invoice_line line;
		if ((rc = store_invoice_line_of_item(rq->db, rq->arena, it.id, &line)) != DB_ROW)
			return rc == DB_DONE ? OG_BUG(&rq->err, "an invoice item on a draft has no line")
			                     : api_db_error(rq, rc, "invoice line", NULL);
		int64_t line_id = line.id;
		billing_line_from_item(&it, it.invoice_id, &line);
		line.id = line_id;
		if ((rc = store_invoice_line_update(rq->db, &line)) != DB_ROW)
			return api_db_error(rq, rc, "invoice line", NULL);
		if ((ec = api_invoice_lines_changed(rq, &bc, &inv)))
			return ec;
	}
	return api_reply_invoice_item(rq, &it);
}

enum og_ec api_invoice_items_delete(struct og_req *rq)
{
	struct og_invoice_item it;
	enum og_ec ec = load_item(rq, &it, true);
	if (ec)
		return ec;
	struct og_invoice inv = {0};
	if (it.invoice_id && (ec = load_draft_of(rq, &it, "delete", &inv)))
		return ec;
	int64_t now;
	if ((ec = api_invoices_customer_now(rq, it.customer_id, &now)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, now, &bc);
	enum db_rc rc = store_invoice_item_delete(rq->db, it.id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice item", NULL);
	if ((ec = item_event(&bc, "invoiceitem.deleted", &it)))
		return ec;
	if (it.invoice_id) {
		struct og_invoice_line line;
		if ((rc = store_invoice_line_of_item(rq->db, rq->arena, it.id, &line)) != DB_ROW)
			return rc == DB_DONE ? OG_BUG(&rq->err, "an invoice item on a draft has no line")
			                     : api_db_error(rq, rc, "invoice line", NULL);
		if ((rc = store_invoice_line_delete(rq->db, line.id)) != DB_ROW)
			return api_db_error(rq, rc, "invoice line", NULL);
		if ((ec = api_invoice_lines_changed(rq, &bc, &inv)))
			return ec;
	}
	return api_reply_deleted(rq, ID_INVOICE_ITEM, it.id, "invoiceitem");
}
