/* HTTP handlers for /v1/invoiceitems: one-off charges and credits that wait
 * (pending) for a customer's next invoice, or sit on a draft invoice as one
 * of its lines. Each write parses its parameters with a static spec into the one
 * input struct of its service function (billing/invoice_items.h), calls it
 * and renders the item. What an item may be, its amount, its line on a
 * draft and the draft's totals are decided in src/billing/invoice_items.c;
 * no SQL, status test or money arithmetic here. */
#include "api/api.h"
#include "api/common.h"
#include "billing/invoice_items.h"

/* A signed amount: charges are positive, credits negative. */
#define PS_SIGNED_AMOUNT(n, o, p, d)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_AMOUNT, .at = (o), .present_at = (p), .min = -BILLING_ITEM_AMOUNT_MAX,         \
		.max = BILLING_ITEM_AMOUNT_MAX, .doc = (d)                                                             \
	}

#define IN(m) PARAM_AT(struct billing_item_create_in, m)
static const struct param_spec create_period_spec[] = {
    PS_TIMESTAMP("start", IN(period_start), PARAM_NOWHERE, P_REQUIRED, "The period's start, Unix seconds."),
    PS_TIMESTAMP("end", IN(period_end), PARAM_NOWHERE, P_REQUIRED, "The period's end (>= start), Unix seconds."),
    PS_END,
};
static const struct param_spec create_spec[] = {
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), PARAM_NOWHERE, P_REQUIRED, "The customer to bill."),
    PS_SIGNED_AMOUNT("amount", IN(amount), IN(has_amount),
                     "The whole amount in minor units (negative: a credit), without quantity."),
    PS_CURRENCY("currency", IN(currency), IN(has_currency), 0,
                "Three-letter ISO 4217 code (default: the invoice's, subscription's, price's or customer's)."),
    PS_ID("price", ID_PRICE, IN(price_id), IN(has_price), 0, "An active price: unit_amount and currency come from it."),
    PS_SIGNED_AMOUNT("unit_amount", IN(unit_amount), IN(has_unit_amount),
                     "The amount of one unit in minor units (may be negative), with quantity."),
    PS_INT64("quantity", IN(quantity), IN(has_quantity), 1, BILLING_ITEM_QUANTITY_MAX, 0,
             "How many units, with price or unit_amount (default 1)."),
    PS_STRING("description", IN(description), PARAM_NOWHERE, BILLING_ITEM_DESCRIPTION_MAX, P_NULLABLE,
              "Shown on the invoice line (a price item: default the product's name)."),
    PS_OBJECT("period", create_period_spec, PARAM_NOWHERE, IN(has_period), 0,
              "The period the item covers (default now..now)."),
    PS_ID("invoice", ID_INVOICE, IN(invoice_id), PARAM_NOWHERE, 0,
          "A draft of the same customer to add the item to as a line."),
    PS_ID("subscription", ID_SUBSCRIPTION, IN(subscription_id), PARAM_NOWHERE, 0,
          "A subscription whose next invoice takes the item (not with invoice)."),
    PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_END,
};
#undef IN

#define IN(m) PARAM_AT(struct billing_item_update_in, m)
static const struct param_spec update_period_spec[] = {
    PS_TIMESTAMP("start", IN(period_start), PARAM_NOWHERE, P_REQUIRED, "The period's start, Unix seconds."),
    PS_TIMESTAMP("end", IN(period_end), PARAM_NOWHERE, P_REQUIRED, "The period's end (>= start), Unix seconds."),
    PS_END,
};
static const struct param_spec update_spec[] = {
    PS_SIGNED_AMOUNT("amount", IN(amount), IN(has_amount),
                     "The whole amount in minor units (negative: a credit), without quantity."),
    PS_SIGNED_AMOUNT("unit_amount", IN(unit_amount), IN(has_unit_amount),
                     "The amount of one unit in minor units (may be negative)."),
    PS_INT64("quantity", IN(quantity), IN(has_quantity), 1, BILLING_ITEM_QUANTITY_MAX, 0, "How many units."),
    PS_STRING("description", IN(description), IN(has_description), BILLING_ITEM_DESCRIPTION_MAX, P_NULLABLE,
              "Shown on the invoice line; \"\" or null clears it."),
    PS_OBJECT("period", update_period_spec, PARAM_NOWHERE, IN(has_period), 0, "The period the item covers."),
    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Changes to your key-value pairs."),
    PS_END,
};
#undef IN

enum og_ec api_invoice_items_create(struct og_req *rq)
{
	struct billing_item_create_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_invoice_item out;
	if ((ec = billing_invoice_item_create(&bc, &in, &out)))
		return ec;
	return api_reply_invoice_item(rq, &out);
}

/* ---- reads ---- */

enum og_ec api_invoice_items_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE_ITEM, "invoice item", &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_invoice_item out;
	if ((ec = billing_invoice_item_get(&bc, id, &out)))
		return ec;
	return api_reply_invoice_item(rq, &out);
}

static bool item_exists(struct og_req *rq, int64_t id)
{
	struct og_invoice_item it;
	return store_invoice_item_get(rq->db, rq->arena, id, &it) == DB_ROW;
}

struct item_list_in {
	struct og_page page;
	int64_t customer_id, invoice_id;
	bool pending, has_pending;
};
#define IN(m) PARAM_AT(struct item_list_in, m)
static const struct param_spec list_spec[] = {
    PS_PAGE(struct item_list_in, page, ID_INVOICE_ITEM),
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), PARAM_NOWHERE, 0, "Only this customer's items."),
    PS_ID("invoice", ID_INVOICE, IN(invoice_id), PARAM_NOWHERE, 0, "Only the items on this invoice."),
    PS_BOOL("pending", IN(pending), IN(has_pending), 0, "Only pending (true) or invoiced (false) items."),
    PS_END,
};
#undef IN

enum og_ec api_invoice_items_list(struct og_req *rq)
{
	struct item_list_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	struct store_invoice_item_filter f = {
	    .customer_id = in.customer_id,
	    .invoice_id = in.invoice_id,
	    .pending = in.has_pending ? in.pending : -1,
	};
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, item_exists, &sp)))
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

/* ---- update and delete ---- */

enum og_ec api_invoice_items_update(struct og_req *rq)
{
	struct billing_item_update_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE_ITEM, "invoice item", &in.item_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_invoice_item out;
	if ((ec = billing_invoice_item_update(&bc, &in, &out)))
		return ec;
	return api_reply_invoice_item(rq, &out);
}

enum og_ec api_invoice_items_delete(struct og_req *rq)
{
	struct billing_item_ref_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE_ITEM, "invoice item", &in.item_id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_invoice_item out;
	if ((ec = billing_invoice_item_delete(&bc, &in, &out)))
		return ec;
	return api_reply_deleted(rq, ID_INVOICE_ITEM, out.id, "invoiceitem");
}
