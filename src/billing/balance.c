/* Customer balance (see balance.h). */
#include "billing/balance.h"
#include "billing/invoices.h"
#include "core/money.h"

#include <string.h>

enum og_ec billing_balance_apply(struct billing_ctx *bc, const struct billing_balance_in *in,
                                 struct og_balance_txn *out)
{
	if (!billing_owns(bc->customer_scope, in->customer_id))
		return billing_not_found(bc, ID_CUSTOMER, "customer", in->customer_id);
	if (in->amount == 0 || !money_within_cap(in->amount))
		return og_err(bc->err, OG_EC_PARAM_AMOUNT, "amount",
		              "amount must be a non-zero integer of minor units within +-%lld.",
		              (long long)MONEY_AMOUNT_MAX);
	int64_t balance = 0;
	const char *currency = NULL;
	enum db_rc rc = store_customer_balance(bc->db, bc->arena, in->customer_id, true, &balance, &currency);
	if (rc == DB_DONE)
		return billing_not_found(bc, ID_CUSTOMER, "customer", in->customer_id);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer balance");
	if (currency && strcmp(currency, in->currency) != 0)
		return og_err(bc->err, OG_EC_CURRENCY_MISMATCH, "currency",
		              "The customer's balance is in %s; a transaction in %s cannot change it.", currency,
		              in->currency);
	int64_t ending;
	if (!money_add(balance, in->amount, &ending) || !money_within_cap(ending))
		return og_err(bc->err, OG_EC_PARAM_AMOUNT, "amount",
		              "The customer's balance would be beyond the amount cap (+-%lld minor units).",
		              (long long)MONEY_AMOUNT_MAX);
	*out = (struct og_balance_txn){
	    .customer_id = in->customer_id,
	    .amount = in->amount,
	    .currency = in->currency,
	    .description = in->description && *in->description ? in->description : NULL,
	    .invoice_id = in->invoice_id,
	    .type = in->type,
	    .created = bc->now,
	};
	enum og_ec ec = billing_metadata_apply(bc, NULL, in->metadata, &out->metadata);
	if (ec)
		return ec;
	rc = store_balance_txn_apply(bc->db, out, MONEY_AMOUNT_MAX);
	if (rc == DB_DONE) /* the checks above passed in this transaction: only a concurrent writer gets here */
		return og_err(bc->err, OG_EC_STATE_CONFLICT, NULL, "The customer's balance changed meanwhile; retry.");
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "balance transaction");
}

enum og_ec billing_balance_txn_get(struct billing_ctx *bc, int64_t customer_id, int64_t id, struct og_balance_txn *out)
{
	enum db_rc rc = billing_owns(bc->customer_scope, customer_id)
	                    ? store_balance_txn_get(bc->db, bc->arena, customer_id, id, out)
	                    : DB_DONE;
	if (rc == DB_DONE)
		return billing_not_found(bc, ID_BALANCE_TXN, "customer_balance_transaction", id);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "balance transaction");
}

enum og_ec billing_balance_txn_update(struct billing_ctx *bc, const struct billing_balance_update_in *in,
                                      struct og_balance_txn *out)
{
	enum og_ec ec = billing_balance_txn_get(bc, in->customer_id, in->id, out);
	if (ec)
		return ec;
	const char *metadata = NULL;
	if (in->metadata && (ec = billing_metadata_apply(bc, out->metadata, in->metadata, &metadata)))
		return ec;
	const char *description = in->description && *in->description ? in->description : NULL;
	enum db_rc rc = store_balance_txn_update(bc->db, out->id, description, in->has_description, metadata);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "balance transaction update");
	if (in->has_description)
		out->description = description;
	if (metadata)
		out->metadata = metadata;
	return OG_EC_NONE;
}

/* The rule (docs/internals/billing.md, "Customer balance"): cents move
 * exactly, never rounded: applied = min(-balance, amount_due). */
static enum og_ec balance_move(struct billing_ctx *bc, struct og_invoice *inv, bool lock, int64_t *amount)
{
	int64_t balance = 0;
	const char *currency = NULL;
	enum db_rc rc = store_customer_balance(bc->db, bc->arena, inv->customer_id, lock, &balance, &currency);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "customer balance");
	inv->starting_balance = inv->ending_balance = balance;
	*amount = 0;
	if (inv->total < 0)
		*amount = inv->total; /* the surplus credit becomes the customer's */
	else if (balance < 0 && inv->amount_due > 0 && currency && !strcmp(currency, inv->currency))
		*amount = -balance < inv->amount_due ? -balance : inv->amount_due;
	return OG_EC_NONE;
}

enum og_ec billing_balance_preview(struct billing_ctx *bc, struct og_invoice *inv)
{
	int64_t amount;
	enum og_ec ec = balance_move(bc, inv, false, &amount); /* a read: no lock */
	if (ec || amount == 0)
		return ec;
	if (amount > 0) {
		inv->amount_due -= amount;
		inv->amount_remaining -= amount;
	}
	inv->ending_balance = inv->starting_balance + amount; /* both within the cap: no overflow */
	return OG_EC_NONE;
}

enum og_ec billing_balance_finalize(struct billing_ctx *bc, struct og_invoice *inv)
{
	int64_t amount;
	enum og_ec ec = balance_move(bc, inv, true, &amount);
	if (ec || amount == 0)
		return ec;
	struct billing_balance_in in = {
	    .customer_id = inv->customer_id,
	    .amount = amount,
	    .currency = inv->currency,
	    .type = BTXN_APPLIED_TO_INVOICE,
	    .invoice_id = inv->id,
	};
	struct billing_ctx sbc = *bc;
	sbc.customer_scope = 0; /* the service's own move, whoever asked */
	struct og_balance_txn t;
	if ((ec = billing_balance_apply(&sbc, &in, &t)))
		return ec;
	if (amount > 0) {
		inv->amount_due -= amount;
		inv->amount_remaining -= amount;
	}
	inv->ending_balance = t.ending_balance;
	inv->starting_balance = t.ending_balance - amount;
	return OG_EC_NONE;
}

enum og_ec billing_balance_void(struct billing_ctx *bc, const struct og_invoice *inv)
{
	int64_t consumed;
	if (!money_sub(inv->ending_balance, inv->starting_balance, &consumed) || consumed <= 0)
		return OG_EC_NONE;
	struct billing_balance_in in = {
	    .customer_id = inv->customer_id,
	    .amount = -consumed,
	    .currency = inv->currency,
	    .type = BTXN_UNAPPLIED_FROM_INVOICE,
	    .invoice_id = inv->id,
	};
	struct billing_ctx sbc = *bc;
	sbc.customer_scope = 0;
	struct og_balance_txn t;
	return billing_balance_apply(&sbc, &in, &t);
}
