/* Payment providers (issue 14): one interface that the rest of oneGuard
 * calls to take money, whichever provider a deployment uses
 * (--payment-provider sandbox|stripe|manual; sandbox is the default).
 * The provider's name is recorded on every payment method (and, later, on
 * every attempt), so a row is always settled through the provider that
 * made it.
 *
 * The contract (docs/internals/payments.md):
 *  - A call may block (the network, for Stripe; the sandbox's own ledger
 *    write and its slow fault). So it is never made inside a database
 *    transaction, on an HTTP event loop or in the SQLite writer: callers
 *    commit what they intend first (the attempt and its idempotency key),
 *    call, then record the outcome in a new transaction. `db` is a
 *    connection the provider may use outside any transaction (the sandbox
 *    keeps its ledger there); a network provider ignores it.
 *  - charge is idempotent by key: the same key never charges twice and a
 *    repeat answers the first outcome. After a crash or an unknown
 *    outcome, lookup(key) tells what happened; never charge with a new key
 *    to find out.
 *  - PAY_UNKNOWN (a timeout, a 5xx) means the money may or may not have
 *    moved: record it as unknown and reconcile with lookup; do not retry
 *    blindly.
 *  - A card number and cvc are only ever in pay_card_in, for the duration
 *    of attach_card: never stored, logged or put in an error message.
 * Providers are stateless between calls apart from what they keep in the
 * database; one struct pay_provider is shared by every thread. */
#ifndef OG_PAY_PROVIDER_H
#define OG_PAY_PROVIDER_H

#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

enum pay_outcome {
	PAY_SUCCEEDED,
	PAY_FAILED,          /* see pay_error: a decline (hard or retryable) or a refusal */
	PAY_REQUIRES_ACTION, /* the customer must authenticate (3-D Secure) */
	PAY_UNKNOWN,         /* timeout or provider error: reconcile with lookup */
};

/* Stripe's error shape: code ("card_declined", "processing_error",
 * "incorrect_number", ...), decline_code ("insufficient_funds", ...; "" when
 * none), a message safe to show the customer and param (the request's
 * parameter at fault, "card[number]"; "" when none). retryable: a later
 * attempt may succeed (processing_error, rate limits); a hard decline is
 * never retried. */
struct pay_error {
	char code[48];
	char decline_code[48];
	char message[200];
	char param[32];
	bool retryable;
};

/* What a customer typed (attach_card). */
struct pay_card_in {
	const char *number; /* digits, spaces allowed */
	int64_t exp_month;
	int64_t exp_year;
	const char *cvc; /* NULL when not given */
};

/* What is kept of a card: never the number. ref is the provider's handle
 * to charge it with (the sandbox's behaviour token, Stripe's pm_ id). */
struct pay_card {
	char ref[64];
	char brand[16];
	char last4[5];
	char funding[16];
	char country[3];
	char fingerprint[40]; /* a keyed hash of the number; "" when none */
	int64_t exp_month;
	int64_t exp_year;
};

struct pay_charge_in {
	int64_t amount;              /* minor units, > 0 */
	const char *currency;        /* lowercase ISO code */
	const char *idempotency_key; /* the attempt's key, committed before the call */
	const char *method_ref;      /* pay_card.ref of the payment method */
	int64_t now;
};

struct pay_charge_out {
	enum pay_outcome outcome;
	struct pay_error err; /* PAY_FAILED (and PAY_UNKNOWN: what went wrong) */
	int64_t amount;       /* what was charged (lookup: the first call's) */
	int64_t amount_refunded;
};

enum pay_found { PAY_FOUND, PAY_NOT_FOUND, PAY_LOOKUP_FAILED };

struct pay_provider {
	const char *name; /* "sandbox", "stripe", "manual": recorded on rows */
	void *state;      /* the provider's own configuration */
	/* Checks a card and makes it chargeable: 0 and *out, or -1 and *err
	 * (a refusal naming its param, or a decline at attach). */
	int (*attach_card)(const struct pay_provider *p, struct db_conn *db, const struct pay_card_in *in, int64_t now,
	                   struct pay_card *out, struct pay_error *err);
	/* Charges once per idempotency key (see the contract above). */
	void (*charge)(const struct pay_provider *p, struct db_conn *db, const struct pay_charge_in *in,
	               struct pay_charge_out *out);
	/* What the charge with this key came to, for reconciliation. */
	enum pay_found (*lookup)(const struct pay_provider *p, struct db_conn *db, const char *idempotency_key,
	                         struct pay_charge_out *out);
	/* Refunds amount of the charge made with charge_key, once per
	 * refund_key; never more than was charged (PAY_FAILED,
	 * "amount_too_large"). */
	void (*refund)(const struct pay_provider *p, struct db_conn *db, const char *charge_key, const char *refund_key,
	               int64_t amount, int64_t now, struct pay_charge_out *out);
};

/* The providers a deployment may choose: the provider of that name, or
 * NULL when oneGuard has none by it ("stripe" is not built yet; "manual"
 * takes no card and charges nothing: money is recorded by staff). */
const struct pay_provider *pay_provider_get(const char *name);
/* Whether name is a provider oneGuard knows (built or not). */
bool pay_provider_known(const char *name);

#endif
