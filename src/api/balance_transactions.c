/* HTTP handlers for /v1/customers/{id}/balance_transactions: Stripe's
 * customer balance transactions. Create writes an `adjustment` (negative
 * amount: a credit the customer holds); description and metadata may change
 * later, the amount never. Each handler parses into the service's input
 * (billing/balance.h) and renders the transaction; no SQL here.
 *
 * A customer user reads its own customer's transactions only (another
 * customer answers 404 exactly like a missing one); writing is the
 * merchant's (the route table). */
#include "api/api.h"
#include "api/common.h"
#include "billing/balance.h"
#include "core/money.h"

#define IN(m) PARAM_AT(struct billing_balance_in, m)
static const struct param_spec create_spec[] = {
    {.name = "amount",
     .type = PT_AMOUNT,
     .flags = P_REQUIRED,
     .at = IN(amount),
     .min = -MONEY_AMOUNT_MAX,
     .max = MONEY_AMOUNT_MAX,
     .doc = "Minor units, not 0: negative credits the customer, positive is owed."},
    PS_CURRENCY("currency", IN(currency), PARAM_NOWHERE, P_REQUIRED,
                "Three-letter ISO code; the balance's own currency once it has one."),
    PS_STRING("description", IN(description), PARAM_NOWHERE, BILLING_BALANCE_DESCRIPTION_MAX, P_NULLABLE,
              "An arbitrary string."),
    PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_END,
};
#undef IN

#define UP(m) PARAM_AT(struct billing_balance_update_in, m)
static const struct param_spec update_spec[] = {
    PS_STRING("description", UP(description), UP(has_description), BILLING_BALANCE_DESCRIPTION_MAX, P_NULLABLE,
              "An arbitrary string; \"\" clears it."),
    PS_METADATA("metadata", UP(metadata), PARAM_NOWHERE, "Your key-value pairs."),
    PS_END,
};
#undef UP

struct list_in {
	struct og_page page;
};
static const struct param_spec list_spec[] = {
    PS_PAGE(struct list_in, page, ID_BALANCE_TXN),
    PS_END,
};

/* The customer of the path; another customer's (for a customer user) is
 * answered as missing. */
static enum og_ec path_customer(struct og_req *rq, int64_t *id)
{
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", id);
	if (ec)
		return ec;
	struct og_customer c;
	enum db_rc rc = api_owns(rq, *id) ? store_customer_get(rq->db, rq->arena, *id, &c) : DB_DONE;
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "customer", NULL);
}

/* Path parameter 1: the transaction ({txn}). */
static enum og_ec path_txn(struct og_req *rq, int64_t *id)
{
	const char *s = req_path_param(rq, 1);
	if (!ids_decode(ID_BALANCE_TXN, s, id))
		return og_err(&rq->err, OG_EC_RESOURCE_MISSING, "id", "No such customer_balance_transaction: '%.64s'",
		              s);
	return OG_EC_NONE;
}

static enum og_ec reply_txn(struct og_req *rq, const struct og_balance_txn *t)
{
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_balance_txn_render(&w, t);
	return api_reply_jsonw(rq, &w);
}

enum og_ec api_balance_txns_create(struct og_req *rq)
{
	struct billing_balance_in in = {.type = BTXN_ADJUSTMENT};
	enum og_ec ec = path_customer(rq, &in.customer_id);
	if (ec)
		return ec;
	if ((ec = params_parse_into(rq, rq->body, create_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_balance_txn out;
	if ((ec = billing_balance_apply(&bc, &in, &out)))
		return ec;
	return reply_txn(rq, &out);
}

enum og_ec api_balance_txns_retrieve(struct og_req *rq)
{
	int64_t customer_id, id;
	enum og_ec ec = path_customer(rq, &customer_id);
	if (ec || (ec = path_txn(rq, &id)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_balance_txn out;
	if ((ec = billing_balance_txn_get(&bc, customer_id, id, &out)))
		return ec;
	return reply_txn(rq, &out);
}

enum og_ec api_balance_txns_update(struct og_req *rq)
{
	struct billing_balance_update_in in = {0};
	enum og_ec ec = path_customer(rq, &in.customer_id);
	if (ec || (ec = path_txn(rq, &in.id)))
		return ec;
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	struct billing_ctx bc;
	api_invoice_billing_ctx(rq, &bc);
	struct og_balance_txn out;
	if ((ec = billing_balance_txn_update(&bc, &in, &out)))
		return ec;
	return reply_txn(rq, &out);
}

/* api_page's exists callback has no context: the customer of the list
 * this thread is answering. */
static _Thread_local int64_t list_customer;

static bool txn_exists(struct og_req *rq, int64_t id)
{
	struct og_balance_txn t;
	return store_balance_txn_get(rq->db, rq->arena, list_customer, id, &t) == DB_ROW;
}

enum og_ec api_balance_txns_list(struct og_req *rq)
{
	int64_t customer_id;
	enum og_ec ec = path_customer(rq, &customer_id);
	if (ec)
		return ec;
	struct list_in in = {0};
	if ((ec = params_parse_into(rq, rq->query, list_spec, &in)))
		return ec;
	list_customer = customer_id;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, txn_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_balance_txn_list(rq->db, rq->arena, customer_id, &sp, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "customer_balance_transactions", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_balance_txn_render(&w, (struct og_balance_txn *)list.rows + i);
	char url[96];
	char cid[ID_MAX_LEN];
	snprintf(url, sizeof url, "/v1/customers/%s/balance_transactions", ids_encode(ID_CUSTOMER, customer_id, cid));
	return api_list_end(rq, &w, list.has_more, url);
}
