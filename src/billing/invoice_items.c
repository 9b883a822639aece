/* Invoice items (see invoice_items.h): creating, changing and deleting
 * them, and keeping a draft's line and totals in step. No SQL here
 * (store/invoice_items.c); totals are recomputed by
 * billing_invoice_recompute, never summed here; money goes through the
 * checked helpers of core/invoice_calc.h. Every check comes before the
 * first write, so a refusal writes nothing.
 *
 * Choices where Stripe leaves room (docs/api/invoiceitems.md): exactly one
 * of amount, price and unit_amount; currency defaults to the invoice's, the
 * subscription's, then the customer's; invoice and subscription are
 * exclusive; an item's amount comes from its price for good once created
 * from one (quantity may change). */
#include "billing/invoice_items.h"
#include "model/render.h"
#include "core/invoice_calc.h"

#include <string.h>

static enum og_ec amount_too_large(struct billing_ctx *bc, const char *param, int64_t unit_amount, int64_t quantity)
{
	return og_err(bc->err, OG_EC_PARAM_AMOUNT, param,
	              "unit_amount %lld × quantity %lld is beyond the largest invoice item amount (±%lld minor units).",
	              (long long)unit_amount, (long long)quantity, BILLING_ITEM_AMOUNT_MAX);
}

/* it->amount = unit_amount * quantity, checked and bounded. */
static enum og_ec compute_amount(struct billing_ctx *bc, const char *param, struct og_invoice_item *it)
{
	int64_t amount;
	if (!invoice_line_amount(it->unit_amount, it->quantity, &amount) || amount > BILLING_ITEM_AMOUNT_MAX ||
	    amount < -BILLING_ITEM_AMOUNT_MAX)
		return amount_too_large(bc, param, it->unit_amount, it->quantity);
	it->amount = amount;
	return OG_EC_NONE;
}

static bool is_draft(const struct og_invoice *inv)
{
	return inv->status == INV_DRAFT;
}

/* The draft an item lives on, for a change: 409 unless it is a draft. */
static enum og_ec load_draft_of(struct billing_ctx *bc, const struct og_invoice_item *it, const char *action,
                                struct og_invoice *inv)
{
	enum db_rc rc = store_invoice_get_for_update(bc->db, bc->arena, it->invoice_id, inv);
	if (rc != DB_ROW)
		return rc == DB_DONE ? OG_BUG(bc->err, "an invoice item names a missing invoice")
		                     : billing_db_error(bc, rc, "invoice");
	if (!is_draft(inv)) {
		char item_id[ID_MAX_LEN], inv_id[ID_MAX_LEN];
		return og_err(bc->err, OG_EC_INVOICE_STATUS, NULL,
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
	size_t len;
	const char *json = jsonw_text(&w, &len);
	return billing_event(bc, type, "invoiceitem", it->id, it->customer_id, json);
}

/* for_write: lock the row for a read-modify-write (PostgreSQL) */
static enum og_ec load_item(struct billing_ctx *bc, int64_t id, bool for_write, struct og_invoice_item *it)
{
	enum db_rc rc = for_write ? store_invoice_item_get_for_update(bc->db, bc->arena, id, it)
	                          : store_invoice_item_get(bc->db, bc->arena, id, it);
	if (rc == DB_DONE)
		return billing_not_found(bc, ID_INVOICE_ITEM, "invoice item", id);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "invoice item");
}

enum og_ec billing_invoice_item_get(struct billing_ctx *bc, int64_t id, struct og_invoice_item *out)
{
	return load_item(bc, id, false, out);
}

static enum og_ec no_such(struct billing_ctx *bc, const char *param, enum id_kind kind, int64_t id)
{
	char buf[ID_MAX_LEN];
	return og_err(bc->err, OG_EC_PARAM_ID, param, "No such %s: '%s'", param, ids_encode(kind, id, buf));
}

static enum og_ec currency_mismatch(struct billing_ctx *bc, const char *currency, const char *what, const char *theirs)
{
	return og_err(bc->err, OG_EC_CURRENCY_MISMATCH, "currency",
	              "The invoice item's currency (%s) differs from the %s's (%s).", currency, what, theirs);
}

/* ---- create ---- */

/* Exactly one way to say how much. */
static enum og_ec check_amount_source(struct billing_ctx *bc, const struct billing_item_create_in *in)
{
	int n = in->has_amount + in->has_price + in->has_unit_amount;
	if (n == 0)
		return og_err(bc->err, OG_EC_PARAM_MISSING, "amount",
		              "Missing required param: amount. Pass amount (with currency), price, or unit_amount "
		              "(with quantity and currency).");
	if (n > 1)
		return og_err(bc->err, OG_EC_PARAM_INVALID, in->has_price && in->has_amount ? "price" : "unit_amount",
		              "Pass only one of amount, price and unit_amount.");
	if (in->has_amount && in->has_quantity)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "quantity",
		              "quantity goes with price or unit_amount; amount is the item's whole amount.");
	return OG_EC_NONE;
}

/* The price's amount, currency and (by default) its product's name. */
static enum og_ec apply_price(struct billing_ctx *bc, struct og_invoice_item *it, const char **currency)
{
	struct og_price price;
	enum db_rc rc = store_price_get(bc->db, bc->arena, it->price_id, &price);
	if (rc == DB_DONE)
		return no_such(bc, "price", ID_PRICE, it->price_id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "price");
	if (!price.active) {
		char buf[ID_MAX_LEN];
		return og_err(bc->err, OG_EC_PARAM_INVALID, "price", "The price '%s' is archived (active=false).",
		              ids_encode(ID_PRICE, price.id, buf));
	}
	if (*currency && strcmp(*currency, price.currency))
		return currency_mismatch(bc, *currency, "price", price.currency);
	*currency = price.currency;
	it->has_unit_amount = true;
	it->unit_amount = price.unit_amount;
	if (!it->description) {
		struct og_product prod;
		if ((rc = store_product_get(bc->db, bc->arena, price.product_id, &prod)) == DB_ROW)
			it->description = prod.name;
		else if (rc != DB_DONE)
			return billing_db_error(bc, rc, "product");
		if (!it->description)
			it->description = price.nickname;
	}
	return OG_EC_NONE;
}

/* The draft the new item goes on: the customer's, in its currency, with
 * room for one more line. */
static enum og_ec check_target_invoice(struct billing_ctx *bc, int64_t invoice_id, int64_t customer_id,
                                       const char **currency, struct og_invoice *inv)
{
	char buf[ID_MAX_LEN];
	enum db_rc rc = store_invoice_get_for_update(bc->db, bc->arena, invoice_id, inv);
	if (rc == DB_DONE)
		return no_such(bc, "invoice", ID_INVOICE, invoice_id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "invoice");
	if (inv->customer_id != customer_id)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "invoice", "The invoice '%s' belongs to another customer.",
		              ids_encode(ID_INVOICE, inv->id, buf));
	if (!is_draft(inv))
		return og_err(
		    bc->err, OG_EC_INVOICE_STATUS, "invoice",
		    "Cannot add an item to invoice %s: its status is '%s'. Items can be added only to drafts.",
		    ids_encode(ID_INVOICE, inv->id, buf), invoice_status_name(inv->status));
	if (*currency && strcmp(*currency, inv->currency))
		return currency_mismatch(bc, *currency, "invoice", inv->currency);
	*currency = inv->currency;
	int64_t n_lines = 0;
	if ((rc = store_invoice_line_count(bc->db, inv->id, &n_lines)) != DB_ROW)
		return billing_db_error(bc, rc, "invoice lines");
	if (n_lines >= BILLING_MAX_LINES)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "invoice",
		              "The invoice '%s' already has %d lines, the most an invoice can have.",
		              ids_encode(ID_INVOICE, inv->id, buf), BILLING_MAX_LINES);
	return OG_EC_NONE;
}

/* The subscription whose next invoice takes the item. */
static enum og_ec check_target_subscription(struct billing_ctx *bc, int64_t subscription_id, struct og_invoice_item *it,
                                            const char **currency)
{
	char buf[ID_MAX_LEN];
	struct og_subscription sub;
	enum db_rc rc = store_subscription_get(bc->db, bc->arena, subscription_id, &sub);
	if (rc == DB_DONE)
		return no_such(bc, "subscription", ID_SUBSCRIPTION, subscription_id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "subscription");
	if (sub.customer_id != it->customer_id)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "subscription",
		              "The subscription '%s' belongs to another customer.",
		              ids_encode(ID_SUBSCRIPTION, sub.id, buf));
	/* a canceled subscription issues no further invoice: no event leads anywhere from it */
	if (sub.status == SUB_CANCELED)
		return og_err(bc->err, OG_EC_SUB_STATUS, "subscription",
		              "The subscription '%s' is canceled: it will issue no further invoice.",
		              ids_encode(ID_SUBSCRIPTION, sub.id, buf));
	if (*currency && strcmp(*currency, sub.currency))
		return currency_mismatch(bc, *currency, "subscription", sub.currency);
	*currency = sub.currency;
	it->subscription_id = sub.id;
	return OG_EC_NONE;
}

static enum og_ec period_backwards(struct billing_ctx *bc)
{
	return og_err(bc->err, OG_EC_PARAM_INVALID, "period[end]", "period[end] must not be before period[start].");
}

enum og_ec billing_invoice_item_create(struct billing_ctx *bc, const struct billing_item_create_in *in,
                                       struct og_invoice_item *out)
{
	enum og_ec ec = check_amount_source(bc, in);
	if (ec)
		return ec;
	if (in->invoice_id && in->subscription_id)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "subscription",
		              "Pass invoice to add the item to a draft now, or subscription to leave it for that "
		              "subscription's next invoice, not both.");
	if (in->has_period && in->period_start > in->period_end)
		return period_backwards(bc);
	struct og_invoice_item *it = out;
	*it = (struct og_invoice_item){
	    .customer_id = in->customer_id,
	    .price_id = in->has_price ? in->price_id : 0,
	    .description = in->description && *in->description ? in->description : NULL,
	    .has_unit_amount = in->has_unit_amount,
	    .unit_amount = in->has_unit_amount ? in->unit_amount : 0,
	    .quantity = in->has_quantity ? in->quantity : 1,
	    .amount = in->has_amount ? in->amount : 0,
	};
	const char *currency = in->currency;
	struct og_customer cus;
	enum db_rc rc = store_customer_get(bc->db, bc->arena, it->customer_id, &cus);
	if (rc == DB_DONE)
		return no_such(bc, "customer", ID_CUSTOMER, it->customer_id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer");
	if (in->has_price && (ec = apply_price(bc, it, &currency)))
		return ec;
	struct og_invoice inv = {0};
	if (in->invoice_id && (ec = check_target_invoice(bc, in->invoice_id, it->customer_id, &currency, &inv)))
		return ec;
	if (in->subscription_id && (ec = check_target_subscription(bc, in->subscription_id, it, &currency)))
		return ec;
	if (!currency)
		currency = cus.currency;
	if (!currency)
		return og_err(bc->err, OG_EC_PARAM_MISSING, "currency",
		              "Missing required param: currency. The customer has no default currency.");
	it->currency = currency;
	if (it->has_unit_amount && (ec = compute_amount(bc, "quantity", it)))
		return ec;

	struct billing_ctx cbc = *bc;
	if ((ec = billing_customer_now(bc, it->customer_id, &cbc.now)))
		return ec;
	it->period_start = in->has_period ? in->period_start : cbc.now;
	it->period_end = in->has_period ? in->period_end : cbc.now;
	it->invoice_id = in->invoice_id;
	it->created = cbc.now;
	if ((ec = billing_metadata_apply(&cbc, NULL, in->metadata, &it->metadata)))
		return ec;
	if ((rc = store_invoice_item_insert(cbc.db, it)) != DB_ROW)
		return billing_db_error(&cbc, rc, "invoice item insert");
	if ((ec = item_event(&cbc, "invoiceitem.created", it)))
		return ec;
	if (in->invoice_id) {
		struct og_invoice_line line;
		billing_line_from_item(it, inv.id, &line);
		if ((rc = store_invoice_line_insert(cbc.db, &line)) != DB_ROW)
			return billing_db_error(&cbc, rc, "invoice line insert");
		if ((ec = billing_invoice_lines_changed(&cbc, &inv)))
			return ec;
	}
	return OG_EC_NONE;
}

/* ---- update and delete: while pending or on a draft ---- */

/* Applies the amount parameters of an update to it. */
static enum og_ec apply_amount_update(struct billing_ctx *bc, struct og_invoice_item *it,
                                      const struct billing_item_update_in *in)
{
	char buf[ID_MAX_LEN];
	if (in->has_amount && (in->has_unit_amount || in->has_quantity))
		return og_err(bc->err, OG_EC_PARAM_INVALID, "amount",
		              "Pass amount, or unit_amount and quantity, not both.");
	if (it->price_id && (in->has_amount || in->has_unit_amount))
		return og_err(
		    bc->err, OG_EC_PARAM_INVALID, in->has_amount ? "amount" : "unit_amount",
		    "The amount of this item comes from its price '%s'; change quantity, or delete the item and "
		    "create another.",
		    ids_encode(ID_PRICE, it->price_id, buf));
	if (in->has_amount) {
		it->amount = in->amount;
		it->has_unit_amount = false;
		it->unit_amount = 0;
		it->quantity = 1;
		return OG_EC_NONE;
	}
	if (in->has_unit_amount) {
		it->has_unit_amount = true;
		it->unit_amount = in->unit_amount;
	}
	if (in->has_quantity) {
		if (!it->has_unit_amount)
			return og_err(
			    bc->err, OG_EC_PARAM_INVALID, "quantity",
			    "This item has a fixed amount and no unit_amount: pass unit_amount with quantity, or a "
			    "new amount.");
		it->quantity = in->quantity;
	}
	if (in->has_unit_amount || in->has_quantity)
		return compute_amount(bc, in->has_quantity ? "quantity" : "unit_amount", it);
	return OG_EC_NONE;
}

/* The line of an item on a draft. */
static enum og_ec line_of(struct billing_ctx *bc, const struct og_invoice_item *it, struct og_invoice_line *line)
{
	enum db_rc rc = store_invoice_line_of_item(bc->db, bc->arena, it->id, line);
	if (rc == DB_ROW)
		return OG_EC_NONE;
	return rc == DB_DONE ? OG_BUG(bc->err, "an invoice item on a draft has no line")
	                     : billing_db_error(bc, rc, "invoice line");
}

enum og_ec billing_invoice_item_update(struct billing_ctx *bc, const struct billing_item_update_in *in,
                                       struct og_invoice_item *out)
{
	struct og_invoice_item *it = out;
	enum og_ec ec = load_item(bc, in->item_id, true, it);
	if (ec)
		return ec;
	bool any = in->has_amount || in->has_unit_amount || in->has_quantity || in->has_description || in->has_period ||
	           in->has_metadata;
	if (!any) /* nothing to change: no write, no event */
		return OG_EC_NONE;
	struct og_invoice inv = {0};
	if (it->invoice_id && (ec = load_draft_of(bc, it, "update", &inv)))
		return ec;
	if ((ec = apply_amount_update(bc, it, in)))
		return ec;
	if (in->has_period) {
		if (in->period_start > in->period_end)
			return period_backwards(bc);
		it->period_start = in->period_start;
		it->period_end = in->period_end;
	}
	const char *description = in->has_description ? in->description : it->description;
	it->description = description && *description ? description : NULL;
	if (in->has_metadata && (ec = billing_metadata_apply(bc, it->metadata, in->metadata, &it->metadata)))
		return ec;

	struct billing_ctx cbc = *bc;
	if ((ec = billing_customer_now(bc, it->customer_id, &cbc.now)))
		return ec;
	enum db_rc rc = store_invoice_item_update(cbc.db, it);
	if (rc != DB_ROW)
		return billing_db_error(&cbc, rc, "invoice item update");
	if ((ec = item_event(&cbc, "invoiceitem.updated", it)))
		return ec;
	if (it->invoice_id) {
		struct og_invoice_line line;
		if ((ec = line_of(&cbc, it, &line)))
			return ec;
		int64_t line_id = line.id;
		billing_line_from_item(it, it->invoice_id, &line);
		line.id = line_id;
		if ((rc = store_invoice_line_update(cbc.db, &line)) != DB_ROW)
			return billing_db_error(&cbc, rc, "invoice line update");
		if ((ec = billing_invoice_lines_changed(&cbc, &inv)))
			return ec;
	}
	return OG_EC_NONE;
}

enum og_ec billing_invoice_item_delete(struct billing_ctx *bc, const struct billing_item_ref_in *in,
                                       struct og_invoice_item *out)
{
	struct og_invoice_item *it = out;
	enum og_ec ec = load_item(bc, in->item_id, true, it);
	if (ec)
		return ec;
	struct og_invoice inv = {0};
	if (it->invoice_id && (ec = load_draft_of(bc, it, "delete", &inv)))
		return ec;
	struct billing_ctx cbc = *bc;
	if ((ec = billing_customer_now(bc, it->customer_id, &cbc.now)))
		return ec;
	enum db_rc rc = store_invoice_item_delete(cbc.db, it->id);
	if (rc != DB_ROW)
		return billing_db_error(&cbc, rc, "invoice item delete");
	if ((ec = item_event(&cbc, "invoiceitem.deleted", it)))
		return ec;
	if (it->invoice_id) {
		struct og_invoice_line line;
		if ((ec = line_of(&cbc, it, &line)))
			return ec;
		if ((rc = store_invoice_line_delete(cbc.db, line.id)) != DB_ROW)
			return billing_db_error(&cbc, rc, "invoice line delete");
		if ((ec = billing_invoice_lines_changed(&cbc, &inv)))
			return ec;
	}
	return OG_EC_NONE;
}
