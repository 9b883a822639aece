/* HTTP handlers for /v1/invoices (except GET /v1/invoices/upcoming, which
 * previews a subscription's next invoice: see subscriptions.c). Each one
 * parses its parameters with a static spec into the one input struct of its
 * service function (billing/invoices.h), calls that function and renders
 * the result. The lifecycle (drafts, transitions, events, "now" at the
 * customer's test clock) lives in src/billing/invoices.c; no SQL, status
 * test or money arithmetic here.
 *
 * The path id is decoded first, so a malformed one answers 404 before any
 * parameter is looked at. A refused transition is a 409
 * invoice_status_invalid naming the current status (the service's). */
#include "api/api.h"
#include "api/common.h"
#include "billing/invoices.h"

void api_invoice_billing_ctx(struct og_req *rq, struct billing_ctx *bc)
{
	*bc = (struct billing_ctx){.db = rq->db,
	                           .arena = rq->arena,
	                           .invoice_prefix =
	                               rq->cfg && rq->cfg->invoice_prefix[0] ? rq->cfg->invoice_prefix : "INV",
	                           .now = rq->now,
	                           .err = &rq->err};
	bc->per_customer_numbers = rq->cfg && rq->cfg->invoice_numbering == OG_NUMBERING_CUSTOMER;
}

static enum og_ec reply_invoice(struct og_req *rq, const struct billing_invoice *bi)
{
	return api_reply_invoice(rq, &bi->inv, bi->lines, bi->n_lines, bi->has_more);
}

/* ---- reads ---- */

enum og_ec api_invoices_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_invoice out;
	if ((ec = billing_invoice_get(&bc, id, &out)))
		return ec;
	if (api_customer_hidden(rq, out.inv.customer_id))
		return api_db_error(rq, DB_DONE, "invoice", NULL);
	return reply_invoice(rq, &out);
}

static bool invoice_exists(struct og_req *rq, int64_t id)
{
	struct og_invoice inv;
	return store_invoice_get(rq->db, rq->arena, id, &inv) == DB_ROW;
}

struct invoice_list_in {
	struct og_page page;
	int64_t customer_id, subscription_id;
	enum invoice_status status;
	bool has_status;
};
#define IN(m) PARAM_AT(struct invoice_list_in, m)
static const struct param_spec list_spec[] = {
    PS_PAGE(struct invoice_list_in, page, ID_INVOICE),
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), PARAM_NOWHERE, 0, "Only this customer's invoices."),
    PS_ID("subscription", ID_SUBSCRIPTION, IN(subscription_id), PARAM_NOWHERE, 0, "Only this subscription's invoices."),
    PS_ENUM("status", IN(status), IN(has_status), invoice_status_names, 0, "Only invoices in this status."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};
#undef IN

enum og_ec api_invoices_list(struct og_req *rq)
{
	struct invoice_list_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	struct store_invoice_filter f = {
	    .customer_id = api_customer_filter(rq, in.customer_id),
	    .subscription_id = in.subscription_id,
	    .has_status = in.has_status,
	    .status = (enum invoice_status)in.status, /* invoice_status_names is in the enum's order */
	};
	/* the store takes an inclusive range with 0 meaning unbounded */
	int64_t lo, hi;
	if ((ec = api_created_range(rq, &lo, &hi)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, invoice_exists, &sp)))
		return ec;
	struct billing_invoice *invoices = NULL;
	int n = 0;
	bool has_more = false;
	if (hi >= lo && hi >= 1) { /* else no invoice can match (every created is > 0) */
		f.created_gte = lo;
		f.created_lte = hi == INT64_MAX ? 0 : hi;
		struct billing_ctx bc;
		api_invoice_billing_ctx(rq, &bc);
		if ((ec = billing_invoice_list(&bc, &sp, &f, &invoices, &n, &has_more)))
			return ec;
	}
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < n; i++)
		model_invoice_render(&w, &invoices[i].inv, invoices[i].lines, invoices[i].n_lines,
		                     invoices[i].has_more);
	return api_list_end(rq, &w, has_more, "/v1/invoices");
}

/* The invoice of the current path, for the line cursor check. */
static bool line_exists(struct og_req *rq, int64_t id)
{
	int64_t invoice_id;
	struct og_invoice_line l;
	return ids_decode(ID_INVOICE, req_path_param(rq, 0), &invoice_id) &&
	       store_invoice_line_get(rq->db, rq->arena, id, &l) == DB_ROW && l.invoice_id == invoice_id;
}

struct lines_in {
	struct og_page page;
};
static const struct param_spec lines_spec[] = {
    PS_PAGE(struct lines_in, page, ID_INVOICE_LINE),
    PS_END,
};

enum og_ec api_invoices_lines(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &id);
	if (ec)
		return ec;
	struct og_invoice inv;
	enum db_rc rc = store_invoice_get(rq->db, rq->arena, id, &inv);
	if (rc == DB_ROW && api_customer_hidden(rq, inv.customer_id))
		rc = DB_DONE;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "invoice", NULL);
	struct lines_in in = {0};
	if ((ec = params_parse_into(rq, rq->query, lines_spec, &in)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, line_exists, &sp)))
		return ec;
	struct store_list list;
	if ((rc = store_invoice_line_page(rq->db, rq->arena, id, &sp, &list)) != DB_OK)
		return api_db_error(rq, rc, "invoice lines", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_invoice_line_render(&w, (struct og_invoice_line *)list.rows + i);
	char buf[ID_MAX_LEN];
	return api_list_end(rq, &w, list.has_more,
	                    arena_printf(rq->arena, "/v1/invoices/%s/lines", ids_encode(ID_INVOICE, id, buf)));
}

/* ---- writes: parse, one service call, render ---- */

#define IN(m) PARAM_AT(struct billing_invoice_create_in, m)
static const struct param_spec create_spec[] = {
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), PARAM_NOWHERE, P_REQUIRED, "The customer to bill."),
    PS_ENUM("collection_method", IN(collection_method), PARAM_NOWHERE, collection_method_names, 0,
            "charge_automatically (the default) or send_invoice."),
    PS_INT64("days_until_due", IN(days_until_due), IN(has_days_until_due), 1, BILLING_INVOICE_DAYS_UNTIL_DUE_MAX, 0,
             "Days to pay, only with send_invoice (default 30)."),
    PS_STRING("description", IN(description), PARAM_NOWHERE, BILLING_INVOICE_DESCRIPTION_MAX, P_NULLABLE,
              "Shown on the invoice; \"\" or null for none."),
    PS_CURRENCY("currency", IN(currency), PARAM_NOWHERE, 0,
                "Three-letter ISO 4217 code (default: the customer's; required when it has none)."),
    PS_ENUM("pending_invoice_items_behavior", IN(pending_invoice_items_behavior), PARAM_NOWHERE,
            billing_pending_behaviors, 0,
            "exclude (the default) or include: attach the customer's pending items of no subscription."),
    PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_END,
};
#undef IN

#define IN(m) PARAM_AT(struct billing_invoice_update_in, m)
static const struct param_spec update_spec[] = {
    PS_ENUM("collection_method", IN(collection_method), IN(has_collection_method), collection_method_names, 0,
            "charge_automatically or send_invoice (a draft only)."),
    PS_INT64("days_until_due", IN(days_until_due), IN(has_days_until_due), 1, BILLING_INVOICE_DAYS_UNTIL_DUE_MAX, 0,
             "Days to pay, only with send_invoice (a draft only)."),
    PS_STRING("description", IN(description), IN(has_description), BILLING_INVOICE_DESCRIPTION_MAX, P_NULLABLE,
              "Shown on the invoice; \"\" or null clears it (a draft only)."),
    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Changes to your key-value pairs."),
    PS_END,
};
#undef IN

static const struct param_spec pay_spec[] = {
    PS_BOOL("paid_out_of_band", PARAM_AT(struct billing_invoice_pay_in, paid_out_of_band),
            PARAM_AT(struct billing_invoice_pay_in, has_paid_out_of_band), 0,
            "true: the invoice was paid outside oneGuard (the only way to pay, for now)."),
    PS_END,
};

static const struct param_spec no_params[] = {PS_END};

enum og_ec api_invoices_create(struct og_req *rq)
{
	struct billing_invoice_create_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_invoice out;
	if ((ec = billing_invoice_create(&bc, &in, &out)))
		return ec;
	return reply_invoice(rq, &out);
}

enum og_ec api_invoices_update(struct og_req *rq)
{
	struct billing_invoice_update_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &in.invoice_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_invoice out;
	if ((ec = billing_invoice_update(&bc, &in, &out)))
		return ec;
	return reply_invoice(rq, &out);
}

typedef enum og_ec (*invoice_action_fn)(struct billing_ctx *bc, const struct billing_invoice_ref_in *in,
                                        struct billing_invoice *out);

/* finalize, void, mark_uncollectible: the path's invoice and no parameter. */
static enum og_ec invoice_action(struct og_req *rq, invoice_action_fn action)
{
	struct billing_invoice_ref_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &in.invoice_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, no_params, NULL)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_invoice out;
	if ((ec = action(&bc, &in, &out)))
		return ec;
	return reply_invoice(rq, &out);
}

enum og_ec api_invoices_finalize(struct og_req *rq)
{
	return invoice_action(rq, billing_invoice_finalize_draft);
}

enum og_ec api_invoices_void(struct og_req *rq)
{
	return invoice_action(rq, billing_invoice_void);
}

enum og_ec api_invoices_mark_uncollectible(struct og_req *rq)
{
	return invoice_action(rq, billing_invoice_mark_uncollectible);
}

enum og_ec api_invoices_pay(struct og_req *rq)
{
	struct billing_invoice_pay_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &in.invoice_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, pay_spec, &in)))
		return ec;
	if (rq->actor.customer_id) { /* its own invoices only */
		struct og_invoice inv;
		enum db_rc rc = store_invoice_get(rq->db, rq->arena, in.invoice_id, &inv);
		if (rc == DB_ROW && api_customer_hidden(rq, inv.customer_id))
			rc = DB_DONE;
		if (rc != DB_ROW)
			return api_db_error(rq, rc, "invoice", NULL);
	}
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct billing_invoice out;
	if ((ec = billing_invoice_pay(&bc, &in, &out)))
		return ec;
	return reply_invoice(rq, &out);
}

enum og_ec api_invoices_delete(struct og_req *rq)
{
	struct billing_invoice_ref_in in = {0};
	enum og_ec ec = api_path_id(rq, ID_INVOICE, "invoice", &in.invoice_id);
	if (ec)
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	if ((ec = billing_invoice_delete(&bc, &in)))
		return ec;
	return api_reply_deleted(rq, ID_INVOICE, in.invoice_id, "invoice");
}
