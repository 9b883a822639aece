/* The sandbox provider: built in, no network, deterministic. Cards are
 * Stripe's test card numbers with Stripe's outcomes; anything else is
 * refused. A payment method keeps a behaviour token as its ref
 * ("sandbox:succeeds"), never the number. Charges and refunds are written
 * to its ledger (sandbox_charges, migration 0008) one row per idempotency
 * key, so a repeated key answers the first outcome and charges once, and
 * lookup answers reconciliation after a crash.
 *
 * Fault cards (sandbox only, refused unless pay_sandbox_set_faults(true),
 * which serve does only with --test-mode):
 *   4000009900000012 timeout: charges (the ledger says succeeded) but the
 *                    caller hears PAY_UNKNOWN, as when a response is lost
 *   4000009900000020 500: PAY_UNKNOWN api_error, nothing charged
 *   4000009900000038 429: PAY_FAILED rate_limit (retryable), nothing charged
 *   4000009900000046 slow success: succeeds after the slow delay */
#include "pay/sandbox.h"
#include "store/payments.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum behaviour {
	B_SUCCEEDS,
	B_ATTACH_DECLINED,
	B_ATTACH_INSUFFICIENT,
	B_CHARGE_DECLINED,
	B_PROCESSING_ERROR,
	B_REQUIRES_ACTION,
	B_FAULT_TIMEOUT,
	B_FAULT_500,
	B_FAULT_429,
	B_FAULT_SLOW,
};

static const struct test_card {
	const char *number;
	enum behaviour b;
	const char *ref;
} cards[] = {
    {"4242424242424242", B_SUCCEEDS, "sandbox:succeeds"},
    {"4000000000000002", B_ATTACH_DECLINED, NULL},
    {"4000000000009995", B_ATTACH_INSUFFICIENT, NULL},
    {"4000000000000341", B_CHARGE_DECLINED, "sandbox:charge_declined"},
    {"4000000000000119", B_PROCESSING_ERROR, "sandbox:processing_error"},
    {"4000002760003184", B_REQUIRES_ACTION, "sandbox:requires_action"},
    {"4000009900000012", B_FAULT_TIMEOUT, "sandbox:fault_timeout"},
    {"4000009900000020", B_FAULT_500, "sandbox:fault_500"},
    {"4000009900000038", B_FAULT_429, "sandbox:fault_429"},
    {"4000009900000046", B_FAULT_SLOW, "sandbox:fault_slow"},
};
#define N_CARDS ((int)(sizeof cards / sizeof cards[0]))

static bool faults_on;
static int slow_ms = 200;

void pay_sandbox_set_faults(bool on, int slow_delay_ms)
{
	faults_on = on;
	if (slow_delay_ms >= 0)
		slow_ms = slow_delay_ms;
}

static bool is_fault(enum behaviour b)
{
	return b == B_FAULT_TIMEOUT || b == B_FAULT_500 || b == B_FAULT_429 || b == B_FAULT_SLOW;
}

static void set_err(struct pay_error *e, const char *code, const char *decline, const char *param, bool retryable,
                    const char *msg)
{
	memset(e, 0, sizeof *e);
	snprintf(e->code, sizeof e->code, "%s", code);
	snprintf(e->decline_code, sizeof e->decline_code, "%s", decline ? decline : "");
	snprintf(e->param, sizeof e->param, "%s", param ? param : "");
	snprintf(e->message, sizeof e->message, "%s", msg);
	e->retryable = retryable;
}

bool pay_luhn_valid(const char *digits)
{
	size_t n = strlen(digits);
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		if (d < 0 || d > 9)
			return false;
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return n > 0 && sum % 10 == 0;
}

bool pay_card_expired(int64_t exp_month, int64_t exp_year, int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	int64_t year = tm.tm_year + 1900, month = tm.tm_mon + 1;
	/* valid through the last day of its month */
	return exp_year < year || (exp_year == year && exp_month < month);
}

static int sandbox_attach(const struct pay_provider *p, struct db_conn *db, const struct pay_card_in *in, int64_t now,
                          struct pay_card *out, struct pay_error *err)
{
	(void)p;
	(void)db;
	memset(out, 0, sizeof *out);
	char digits[24];
	size_t n = 0;
	for (const char *s = in->number ? in->number : ""; *s; s++) {
		if (*s == ' ' || *s == '-')
			continue;
		if (!isdigit((unsigned char)*s) || n + 1 >= sizeof digits) {
			n = 0;
			break;
		}
		digits[n++] = *s;
	}
	digits[n] = 0;
	if (n < 12 || n > 19 || !pay_luhn_valid(digits)) {
		set_err(err, "incorrect_number", NULL, "card[number]", false, "Your card number is incorrect.");
		return -1;
	}
	if (in->exp_month < 1 || in->exp_month > 12) {
		set_err(err, "invalid_expiry_month", NULL, "card[exp_month]", false,
		        "Your card's expiration month is invalid: use 1 to 12.");
		return -1;
	}
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	int64_t year = tm.tm_year + 1900;
	if (in->exp_year < year || in->exp_year > year + 50) {
		set_err(err, "invalid_expiry_year", NULL, "card[exp_year]", false,
		        in->exp_year < year ? "Your card's expiration year is in the past."
		                            : "Your card's expiration year is invalid.");
		return -1;
	}
	if (pay_card_expired(in->exp_month, in->exp_year, now)) {
		set_err(err, "invalid_expiry_month", NULL, "card[exp_month]", false,
		        "Your card's expiration date is in the past.");
		return -1;
	}
	if (in->cvc) {
		size_t len = strlen(in->cvc);
		bool ok = len == 3 || len == 4;
		for (size_t i = 0; ok && i < len; i++)
			ok = isdigit((unsigned char)in->cvc[i]);
		if (!ok) {
			set_err(err, "invalid_cvc", NULL, "card[cvc]", false,
			        "Your card's security code is invalid: 3 or 4 digits.");
			return -1;
		}
	}
	const struct test_card *card = NULL;
	for (int i = 0; i < N_CARDS; i++)
		if (!strcmp(cards[i].number, digits))
			card = &cards[i];
	if (!card || (is_fault(card->b) && !faults_on)) {
		set_err(err, "card_declined", "test_mode_live_card", "card[number]", false,
		        "Your card was declined: the sandbox accepts Stripe's test card numbers only.");
		return -1;
	}
	if (card->b == B_ATTACH_DECLINED) {
		set_err(err, "card_declined", "generic_decline", "", false, "Your card was declined.");
		return -1;
	}
	if (card->b == B_ATTACH_INSUFFICIENT) {
		set_err(err, "card_declined", "insufficient_funds", "", false, "Your card has insufficient funds.");
		return -1;
	}
	/* a keyed hash of the number (the installation's key): the same card
	 * gives the same fingerprint, and the number cannot be read back or
	 * tried against it without the key */
	char key_hex[65];
	if (db && store_pay_fingerprint_key(db, key_hex) == DB_ROW) {
		unsigned char key[32], h[8];
		if (!sodium_hex2bin(key, sizeof key, key_hex, 64, NULL, NULL, NULL) &&
		    !crypto_generichash(h, sizeof h, (const unsigned char *)digits, n, key, sizeof key))
			sodium_bin2hex(out->fingerprint, sizeof out->fingerprint, h, sizeof h);
		sodium_memzero(key, sizeof key);
		sodium_memzero(key_hex, sizeof key_hex);
	}
	snprintf(out->ref, sizeof out->ref, "%s", card->ref);
	snprintf(out->brand, sizeof out->brand, "visa");
	snprintf(out->last4, sizeof out->last4, "%s", digits + n - 4);
	snprintf(out->funding, sizeof out->funding, "credit");
	snprintf(out->country, sizeof out->country, "US");
	out->exp_month = in->exp_month;
	out->exp_year = in->exp_year;
	return 0;
}

static enum behaviour ref_behaviour(const char *ref, bool *known)
{
	*known = false;
	for (int i = 0; i < N_CARDS; i++)
		if (cards[i].ref && ref && !strcmp(cards[i].ref, ref)) {
			*known = true;
			return cards[i].b;
		}
	return B_SUCCEEDS;
}

static void row_to_out(const struct store_sandbox_row *row, struct pay_charge_out *out)
{
	memset(out, 0, sizeof *out);
	out->amount = row->amount;
	if (!strcmp(row->outcome, "succeeded"))
		out->outcome = PAY_SUCCEEDED;
	else if (!strcmp(row->outcome, "requires_action"))
		out->outcome = PAY_REQUIRES_ACTION;
	else
		out->outcome = PAY_FAILED;
	snprintf(out->err.code, sizeof out->err.code, "%s", row->code);
	snprintf(out->err.decline_code, sizeof out->err.decline_code, "%s", row->decline_code);
	snprintf(out->err.message, sizeof out->err.message, "%s", row->message);
	out->err.retryable = row->retryable;
}

static void unknown(struct pay_charge_out *out, const char *msg)
{
	memset(out, 0, sizeof *out);
	out->outcome = PAY_UNKNOWN;
	set_err(&out->err, "api_error", NULL, NULL, true, msg);
}

static void sandbox_charge(const struct pay_provider *p, struct db_conn *db, const struct pay_charge_in *in,
                           struct pay_charge_out *out)
{
	(void)p;
	struct store_sandbox_row row;
	enum db_rc rc = store_sandbox_get(db, in->idempotency_key, &row);
	if (rc == DB_ROW) { /* a repeat: the first outcome, nothing charged again */
		row_to_out(&row, out);
		return;
	}
	if (rc != DB_DONE) {
		unknown(out, "The sandbox's ledger could not be read.");
		return;
	}
	bool known;
	enum behaviour b = ref_behaviour(in->method_ref, &known);
	memset(&row, 0, sizeof row);
	snprintf(row.kind, sizeof row.kind, "charge");
	snprintf(row.method_ref, sizeof row.method_ref, "%s", in->method_ref ? in->method_ref : "");
	snprintf(row.currency, sizeof row.currency, "%s", in->currency ? in->currency : "");
	row.amount = in->amount;
	snprintf(row.outcome, sizeof row.outcome, "failed");
	if (!known || (is_fault(b) && !faults_on)) {
		snprintf(row.code, sizeof row.code, "payment_method_unusable");
		snprintf(row.message, sizeof row.message, "The sandbox cannot charge this payment method.");
	} else if (b == B_FAULT_500) {
		unknown(out, "The sandbox answered 500 (fault card): nothing was charged.");
		return;
	} else if (b == B_FAULT_429) {
		memset(out, 0, sizeof *out);
		out->outcome = PAY_FAILED;
		set_err(&out->err, "rate_limit", NULL, NULL, true,
		        "Too many requests (fault card): nothing was charged.");
		return;
	} else if (b == B_CHARGE_DECLINED) {
		snprintf(row.code, sizeof row.code, "card_declined");
		snprintf(row.decline_code, sizeof row.decline_code, "generic_decline");
		snprintf(row.message, sizeof row.message, "Your card was declined.");
	} else if (b == B_PROCESSING_ERROR) {
		snprintf(row.code, sizeof row.code, "processing_error");
		snprintf(row.message, sizeof row.message, "An error occurred while processing your card. Try again.");
		row.retryable = true;
	} else if (b == B_REQUIRES_ACTION) {
		snprintf(row.outcome, sizeof row.outcome, "requires_action");
		snprintf(row.code, sizeof row.code, "authentication_required");
		snprintf(row.message, sizeof row.message, "This payment requires authentication.");
	} else {
		snprintf(row.outcome, sizeof row.outcome, "succeeded");
		if (b == B_FAULT_SLOW && slow_ms > 0) {
			struct timespec ts = {slow_ms / 1000, (long)(slow_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	rc = store_sandbox_insert(db, in->idempotency_key, NULL, &row, in->now);
	if (rc == DB_DONE) { /* another call with the key won: its outcome */
		if (store_sandbox_get(db, in->idempotency_key, &row) == DB_ROW)
			row_to_out(&row, out);
		else
			unknown(out, "The sandbox's ledger could not be read.");
		return;
	}
	if (rc != DB_ROW) {
		unknown(out, "The sandbox's ledger could not be written.");
		return;
	}
	if (b == B_FAULT_TIMEOUT && faults_on) {
		unknown(out, "The sandbox timed out (fault card); the charge may have been made.");
		return;
	}
	row_to_out(&row, out);
}

static enum pay_found sandbox_lookup(const struct pay_provider *p, struct db_conn *db, const char *key,
                                     struct pay_charge_out *out)
{
	(void)p;
	struct store_sandbox_row row;
	enum db_rc rc = store_sandbox_get(db, key, &row);
	if (rc == DB_DONE)
		return PAY_NOT_FOUND;
	if (rc != DB_ROW)
		return PAY_LOOKUP_FAILED;
	row_to_out(&row, out);
	if (!strcmp(row.kind, "charge") && store_sandbox_refunded(db, key, &out->amount_refunded) != DB_ROW)
		return PAY_LOOKUP_FAILED;
	return PAY_FOUND;
}

static void sandbox_refund(const struct pay_provider *p, struct db_conn *db, const char *charge_key,
                           const char *refund_key, int64_t amount, int64_t now, struct pay_charge_out *out)
{
	(void)p;
	struct store_sandbox_row row, charge;
	memset(out, 0, sizeof *out);
	if (db_begin(db, true) != DB_OK) {
		unknown(out, "The sandbox's ledger is busy.");
		return;
	}
	enum db_rc rc = store_sandbox_get(db, refund_key, &row);
	if (rc == DB_ROW) {
		db_rollback(db);
		row_to_out(&row, out);
		return;
	}
	rc = store_sandbox_get(db, charge_key, &charge);
	int64_t refunded = 0;
	if (rc == DB_ROW && store_sandbox_refunded(db, charge_key, &refunded) != DB_ROW)
		rc = DB_ERROR;
	if (rc != DB_ROW && rc != DB_DONE) {
		db_rollback(db);
		unknown(out, "The sandbox's ledger could not be read.");
		return;
	}
	memset(&row, 0, sizeof row);
	snprintf(row.kind, sizeof row.kind, "refund");
	row.amount = amount;
	snprintf(row.outcome, sizeof row.outcome, "failed");
	if (rc == DB_DONE || strcmp(charge.kind, "charge") || strcmp(charge.outcome, "succeeded")) {
		snprintf(row.code, sizeof row.code, "charge_not_refundable");
		snprintf(row.message, sizeof row.message, "No succeeded charge was made with that key.");
	} else if (amount <= 0 || amount > charge.amount - refunded) {
		snprintf(row.code, sizeof row.code, "amount_too_large");
		snprintf(row.message, sizeof row.message, "The refund exceeds what is left of the charge.");
	} else {
		snprintf(row.outcome, sizeof row.outcome, "succeeded");
	}
	snprintf(row.currency, sizeof row.currency, "%s", rc == DB_ROW ? charge.currency : "");
	rc = store_sandbox_insert(db, refund_key, charge_key, &row, now);
	if ((rc != DB_ROW && rc != DB_DONE) || db_commit(db) != DB_OK) {
		if (db_in_txn(db))
			db_rollback(db);
		unknown(out, "The sandbox's ledger could not be written.");
		return;
	}
	row_to_out(&row, out);
}

const struct pay_provider pay_sandbox = {
    .name = "sandbox",
    .attach_card = sandbox_attach,
    .charge = sandbox_charge,
    .lookup = sandbox_lookup,
    .refund = sandbox_refund,
};
