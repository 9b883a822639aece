/* HTTP handlers for /v1/invoiceitems: one-off charges and credits that wait
 * (pending) for a customer's next invoice, or sit on a draft invoice as one
 * of its lines. Each write parses its parameters with a spec into the one
 * input struct of its service function (billing/invoice_items.h), calls it
 * and renders the item. What an item may be, its amount, its line on a
 * draft and the draft's totals are decided in src/billing/invoice_items.c;
 * no SQL, status test or money arithmetic here. */
#include "api/api.h"
#include "api/common.h"
#include "billing/invoice_items.h"

/* A signed amount: charges are positive, credits negative. */
#define PARAM_SIGNED_AMOUNT(n, o, p)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_AMOUNT, .out = (o), .present = (p), .min = -BILLING_ITEM_AMOUNT_MAX,           \
		.max = BILLING_ITEM_AMOUNT_MAX                                                                         \
	}

enum og_ec api_invoice_items_create(struct og_req *rq)
{
	struct billing_item_create_in in = {0};
	struct param_spec period[] = {
	    PARAM_TIMESTAMP("start", &in.period_start, NULL, P_REQUIRED),
	    PARAM_TIMESTAMP("end", &in.period_end, NULL, P_REQUIRED),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &in.customer_id, NULL, P_REQUIRED),
	    PARAM_SIGNED_AMOUNT("amount", &in.amount, &in.has_amount),
	    PARAM_CURRENCY("currency", &in.currency, &in.has_currency, 0),
	    PARAM_ID("price", ID_PRICE, &in.price_id, &in.has_price, 0),
	    PARAM_SIGNED_AMOUNT("unit_amount", &in.unit_amount, &in.has_unit_amount),
	    PARAM_INT64("quantity", &in.quantity, &in.has_quantity, 1, BILLING_ITEM_QUANTITY_MAX, 0),
	    PARAM_STRING("description", &in.description, NULL, BILLING_ITEM_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_OBJECT("period", period, &in.has_period, 0),
	    PARAM_ID("invoice", ID_INVOICE, &in.invoice_id, NULL, 0),
	    PARAM_ID("subscription", ID_SUBSCRIPTION, &in.subscription_id, NULL, 0),
	    PARAM_METADATA("metadata", &in.metadata, NULL),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
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

enum og_ec api_invoice_items_list(struct og_req *rq)
{
	struct item_list_in in = {0};
	struct param_spec spec[] = {
	    PARAMS_PAGE(&in.page, ID_INVOICE_ITEM),
	    PARAM_ID("customer", ID_CUSTOMER, &in.customer_id, NULL, 0),
	    PARAM_ID("invoice", ID_INVOICE, &in.invoice_id, NULL, 0),
	    PARAM_BOOL("pending", &in.pending, &in.has_pending, 0),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
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
	struct param_spec period[] = {
	    PARAM_TIMESTAMP("start", &in.period_start, NULL, P_REQUIRED),
	    PARAM_TIMESTAMP("end", &in.period_end, NULL, P_REQUIRED),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAM_SIGNED_AMOUNT("amount", &in.amount, &in.has_amount),
	    PARAM_SIGNED_AMOUNT("unit_amount", &in.unit_amount, &in.has_unit_amount),
	    PARAM_INT64("quantity", &in.quantity, &in.has_quantity, 1, BILLING_ITEM_QUANTITY_MAX, 0),
	    PARAM_STRING("description", &in.description, &in.has_description, BILLING_ITEM_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_OBJECT("period", period, &in.has_period, 0),
	    PARAM_METADATA("metadata", &in.metadata, &in.has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
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
