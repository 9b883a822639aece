/* Customer balance (Stripe's customer.balance and its
 * customer_balance_transactions; issue 14). The balance is in minor units
 * of one currency (the customer's currency, else its first transaction's);
 * negative is a credit the customer holds. billing_balance_apply is the one
 * way to change it: it checks the currency and the amount cap with the
 * money helpers, then store_balance_txn_apply moves the balance and writes
 * the transaction (with its ending_balance) in the caller's transaction, so
 * the balance always equals the sum of its transactions. Nothing here knows
 * HTTP. */
#ifndef OG_BILLING_BALANCE_H
#define OG_BILLING_BALANCE_H

#include "billing/service.h"

#define BILLING_BALANCE_DESCRIPTION_MAX 350

struct billing_balance_in {
	int64_t customer_id;
	int64_t amount;       /* != 0, within the amount cap; negative credits the customer */
	const char *currency; /* lowercase ISO code */
	const char *description;
	json_t *metadata;
	enum balance_txn_type type;
	int64_t invoice_id; /* 0: none */
};
/* 404 for a missing customer (or another's, under customer_scope); 400
 * currency_mismatch naming currency when the balance holds another one;
 * 400 amount_invalid naming amount when the new balance would be beyond
 * the amount cap. */
enum og_ec billing_balance_apply(struct billing_ctx *bc, const struct billing_balance_in *in,
                                 struct og_balance_txn *out);

/* Reads transaction id of customer_id (404 naming "id" when missing or not
 * that customer's). */
enum og_ec billing_balance_txn_get(struct billing_ctx *bc, int64_t customer_id, int64_t id, struct og_balance_txn *out);

struct billing_balance_update_in {
	int64_t customer_id, id;
	const char *description;
	bool has_description;
	json_t *metadata;
};
enum og_ec billing_balance_txn_update(struct billing_ctx *bc, const struct billing_balance_update_in *in,
                                      struct og_balance_txn *out);

/* At finalization (billing_invoice_finalize, before the paid/open
 * decision): a credit (negative balance in the invoice's currency) pays
 * what it can of amount_due (an applied_to_invoice transaction of +applied);
 * a negative total credits the balance (applied_to_invoice of total) instead
 * of being dropped. Sets inv->starting_balance and ending_balance; no
 * transaction and both 0-changes when neither applies. */
enum og_ec billing_balance_finalize(struct billing_ctx *bc, struct og_invoice *inv);

/* What billing_balance_finalize would do to inv, written nowhere (the
 * upcoming invoice). */
enum og_ec billing_balance_preview(struct billing_ctx *bc, struct og_invoice *inv);

/* Voiding an invoice that consumed credit gives the credit back (an
 * unapplied_from_invoice transaction). */
enum og_ec billing_balance_void(struct billing_ctx *bc, const struct og_invoice *inv);

#endif
