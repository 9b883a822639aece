/* Invoice items as service functions: one-off charges and credits that wait
 * (pending) for a customer's next invoice, or sit on a draft invoice as one
 * of its lines. The API handlers (src/api/invoice_items.c) call these, each
 * with a billing context inside the caller's transaction and one input
 * struct of parsed parameters. Nothing here knows HTTP.
 *
 * Invariants:
 *   - an item on an invoice has exactly one line on it, and changes with it:
 *     creating, updating or deleting the item changes the line and the
 *     draft's totals in the same transaction (billing_invoice_lines_changed);
 *   - once its invoice is finalized an item cannot change (409 naming the
 *     invoice's status);
 *   - |amount| <= BILLING_ITEM_AMOUNT_MAX, whether given or
 *     unit_amount * quantity;
 *   - a change reads what it changes with a row lock (the item, then its
 *     invoice), so concurrent requests on PostgreSQL cannot lose each
 *     other's writes. */
#ifndef OG_BILLING_INVOICE_ITEMS_H
#define OG_BILLING_INVOICE_ITEMS_H

#include "billing/invoices.h"
#include "core/money.h"

#define BILLING_ITEM_DESCRIPTION_MAX 5000
#define BILLING_ITEM_AMOUNT_MAX      MONEY_AMOUNT_MAX
#define BILLING_ITEM_QUANTITY_MAX    1000000

struct billing_item_create_in {
	int64_t customer_id;
	int64_t amount; /* signed: a credit is negative */
	bool has_amount;
	const char *currency; /* NULL: the invoice's, the subscription's, the price's or the customer's */
	bool has_currency;
	int64_t price_id;
	bool has_price;
	int64_t unit_amount;
	bool has_unit_amount;
	int64_t quantity; /* 1 when absent */
	bool has_quantity;
	const char *description; /* NULL or "": the price's product name, or none */
	int64_t period_start, period_end;
	bool has_period;         /* else [now, now] */
	int64_t invoice_id;      /* 0: pending; else a draft of the customer */
	int64_t subscription_id; /* 0: any next invoice; else that subscription's */
	json_t *metadata;
};
/* Exactly one of amount, price and unit_amount; invoice and subscription
 * are exclusive. Writes invoiceitem.created (and invoice.updated for a
 * draft). */
enum og_ec billing_invoice_item_create(struct billing_ctx *bc, const struct billing_item_create_in *in,
                                       struct og_invoice_item *out);

/* Reads item id; a missing one is 404 naming "id". */
enum og_ec billing_invoice_item_get(struct billing_ctx *bc, int64_t id, struct og_invoice_item *out);

struct billing_item_update_in {
	int64_t item_id;
	int64_t amount;
	bool has_amount;
	int64_t unit_amount;
	bool has_unit_amount;
	int64_t quantity;
	bool has_quantity;
	const char *description; /* NULL or "": clear */
	bool has_description;
	int64_t period_start, period_end;
	bool has_period;
	json_t *metadata;
	bool has_metadata;
};
/* While pending or on a draft. An item made from a price keeps the price's
 * unit amount (only quantity may change). An update that gives nothing
 * writes nothing. *out is the item as it is afterwards. */
enum og_ec billing_invoice_item_update(struct billing_ctx *bc, const struct billing_item_update_in *in,
                                       struct og_invoice_item *out);

struct billing_item_ref_in {
	int64_t item_id;
};
/* While pending or on a draft: deletes the item (and its line). *out is the
 * item as it was. */
enum og_ec billing_invoice_item_delete(struct billing_ctx *bc, const struct billing_item_ref_in *in,
                                       struct og_invoice_item *out);

#endif
