/* The sandbox payment provider (src/pay/sandbox.c) on both backends: every
 * test card's outcome at attach and at charge, Luhn, expiry (the last day
 * of the expiry month is still valid), cvc, fault cards only in test mode,
 * idempotent charges (a repeated key answers the first outcome and the
 * ledger holds one row), lookup for reconciliation and refunds that never
 * exceed the charge. */
#include "lib/testdb.h"
#include "pay/sandbox.h"
#include "store/payments.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

/* 2026-12-08 12:00 UTC */
#define NOW 1796731200
/* 2026-12-31 23:59:59 UTC and 2027-01-01 00:00:00 UTC */
#define DEC31_LAST 1798761599
#define JAN1       1798761600

static int attach(const char *number, int64_t month, int64_t year, const char *cvc, struct pay_card *card,
                  struct pay_error *err)
{
	struct pay_card_in in = {.number = number, .exp_month = month, .exp_year = year, .cvc = cvc};
	return pay_sandbox.attach_card(&pay_sandbox, NULL, &in, NOW, card, err);
}

static void refused(const char *number, int64_t month, int64_t year, const char *cvc, const char *code,
                    const char *decline, const char *param)
{
	struct pay_card card;
	struct pay_error err;
	assert_int_equal(attach(number, month, year, cvc, &card, &err), -1);
	assert_string_equal(err.code, code);
	assert_string_equal(err.decline_code, decline);
	assert_string_equal(err.param, param);
	assert_true(err.message[0]);
	if (*number)
		assert_null(strstr(err.message, number)); /* the number is never echoed */
}

static void attach_outcomes(void **state)
{
	(void)state;
	pay_sandbox_set_faults(false, 0);
	struct pay_card card;
	struct pay_error err;
	assert_int_equal(attach("4242424242424242", 12, 2030, "123", &card, &err), 0);
	assert_string_equal(card.brand, "visa");
	assert_string_equal(card.last4, "4242");
	assert_int_equal(card.exp_month, 12);
	assert_int_equal(card.exp_year, 2030);
	assert_string_equal(card.ref, "sandbox:succeeds");
	assert_null(strstr(card.ref, "4242424242"));
	/* spaces as people type them */
	assert_int_equal(attach("4242 4242 4242 4242", 1, 2031, NULL, &card, &err), 0);
	assert_int_equal(attach("4000000000000341", 12, 2030, "123", &card, &err), 0);
	assert_string_equal(card.last4, "0341");
	assert_int_equal(attach("4000000000000119", 12, 2030, "123", &card, &err), 0);
	assert_int_equal(attach("4000002760003184", 12, 2030, "123", &card, &err), 0);

	refused("4000000000000002", 12, 2030, "123", "card_declined", "generic_decline", "");
	refused("4000000000009995", 12, 2030, "123", "card_declined", "insufficient_funds", "");
	refused("4242424242424241", 12, 2030, "123", "incorrect_number", "", "card[number]"); /* Luhn */
	refused("4242abcd42424242", 12, 2030, "123", "incorrect_number", "", "card[number]");
	refused("42", 12, 2030, "123", "incorrect_number", "", "card[number]");
	refused("", 12, 2030, "123", "incorrect_number", "", "card[number]");
	refused("5555555555554444", 12, 2030, "123", "card_declined", "test_mode_live_card",
	        "card[number]"); /* unknown */
	refused("4242424242424242", 13, 2030, "123", "invalid_expiry_month", "", "card[exp_month]");
	refused("4242424242424242", 0, 2030, "123", "invalid_expiry_month", "", "card[exp_month]");
	refused("4242424242424242", 12, 2025, "123", "invalid_expiry_year", "", "card[exp_year]");
	refused("4242424242424242", 12, 2099, "123", "invalid_expiry_year", "", "card[exp_year]");
	refused("4242424242424242", 11, 2026, "123", "invalid_expiry_month", "", "card[exp_month]"); /* last month */
	refused("4242424242424242", 12, 2030, "12", "invalid_cvc", "", "card[cvc]");
	refused("4242424242424242", 12, 2030, "12a", "invalid_cvc", "", "card[cvc]");
	/* fault cards: refused like unknown cards outside test mode */
	refused("4000009900000012", 12, 2030, "123", "card_declined", "test_mode_live_card", "card[number]");
}

static void expiry_edge(void **state)
{
	(void)state;
	/* this month is still valid, through its last second */
	assert_false(pay_card_expired(12, 2026, NOW));
	assert_false(pay_card_expired(12, 2026, DEC31_LAST));
	assert_true(pay_card_expired(12, 2026, JAN1));
	assert_true(pay_card_expired(11, 2026, NOW));
	assert_true(pay_card_expired(12, 2025, NOW));
	assert_false(pay_card_expired(1, 2027, JAN1));
	assert_true(pay_luhn_valid("4242424242424242"));
	assert_false(pay_luhn_valid("4242424242424243"));
	assert_false(pay_luhn_valid(""));
}

static void charge(struct db_conn *db, const char *ref, const char *key, int64_t amount, struct pay_charge_out *out)
{
	struct pay_charge_in in = {
	    .amount = amount, .currency = "usd", .idempotency_key = key, .method_ref = ref, .now = NOW};
	pay_sandbox.charge(&pay_sandbox, db, &in, out);
}

static int64_t ledger_rows(struct db_conn *db)
{
	int64_t n = -1;
	assert_int_equal(db_query_int(db, "SELECT COUNT(*) FROM sandbox_charges", NULL, 0, &n), DB_OK);
	return n;
}

static const char *ref_of(const char *number)
{
	static struct pay_card card;
	struct pay_error err;
	assert_int_equal(attach(number, 12, 2030, "123", &card, &err), 0);
	return card.ref;
}

static void charge_outcomes(void **state)
{
	struct testdb *f = *state;
	pay_sandbox_set_faults(false, 0);
	struct pay_charge_out out;
	charge(f->db, ref_of("4242424242424242"), "k-ok", 1000, &out);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	assert_int_equal(out.amount, 1000);

	charge(f->db, ref_of("4000000000000341"), "k-341", 1000, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "card_declined");
	assert_false(out.err.retryable); /* a hard decline */

	charge(f->db, ref_of("4000000000000119"), "k-119", 1000, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "processing_error");
	assert_true(out.err.retryable);

	charge(f->db, ref_of("4000002760003184"), "k-3ds", 1000, &out);
	assert_int_equal(out.outcome, PAY_REQUIRES_ACTION);

	charge(f->db, "sandbox:nonsense", "k-bad", 1000, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "payment_method_unusable");
	assert_int_equal(ledger_rows(f->db), 5);
}

static void idempotent_charges(void **state)
{
	struct testdb *f = *state;
	pay_sandbox_set_faults(false, 0);
	struct pay_charge_out out;
	charge(f->db, ref_of("4242424242424242"), "same", 1500, &out);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	/* the same key again, even with another card and amount: the first outcome, no new charge */
	charge(f->db, ref_of("4000000000000341"), "same", 9999, &out);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	assert_int_equal(out.amount, 1500);
	assert_int_equal(ledger_rows(f->db), 1);
	/* a failed first outcome stays failed too */
	charge(f->db, ref_of("4000000000000341"), "declined", 700, &out);
	charge(f->db, ref_of("4242424242424242"), "declined", 700, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_int_equal(ledger_rows(f->db), 2);

	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "same", &out), PAY_FOUND);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	assert_int_equal(out.amount, 1500);
	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "never", &out), PAY_NOT_FOUND);
}

static void refunds(void **state)
{
	struct testdb *f = *state;
	pay_sandbox_set_faults(false, 0);
	struct pay_charge_out out;
	charge(f->db, ref_of("4242424242424242"), "paid", 1000, &out);
	pay_sandbox.refund(&pay_sandbox, f->db, "paid", "r1", 600, NOW, &out);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	pay_sandbox.refund(&pay_sandbox, f->db, "paid", "r1", 600, NOW, &out); /* the same refund again */
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	pay_sandbox.refund(&pay_sandbox, f->db, "paid", "r2", 401, NOW, &out); /* more than is left */
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "amount_too_large");
	pay_sandbox.refund(&pay_sandbox, f->db, "paid", "r3", 400, NOW, &out);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "paid", &out), PAY_FOUND);
	assert_int_equal(out.amount_refunded, 1000);
	pay_sandbox.refund(&pay_sandbox, f->db, "nothing", "r4", 1, NOW, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "charge_not_refundable");
}

static void faults(void **state)
{
	struct testdb *f = *state;
	pay_sandbox_set_faults(true, 50);
	struct pay_charge_out out;
	/* timeout: charged, but the caller cannot know; lookup tells */
	charge(f->db, ref_of("4000009900000012"), "t1", 1000, &out);
	assert_int_equal(out.outcome, PAY_UNKNOWN);
	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "t1", &out), PAY_FOUND);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	/* 500: unknown to the caller, nothing charged */
	charge(f->db, ref_of("4000009900000020"), "t2", 1000, &out);
	assert_int_equal(out.outcome, PAY_UNKNOWN);
	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "t2", &out), PAY_NOT_FOUND);
	/* 429: refused, retryable, nothing charged */
	charge(f->db, ref_of("4000009900000038"), "t3", 1000, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
	assert_string_equal(out.err.code, "rate_limit");
	assert_true(out.err.retryable);
	assert_int_equal(pay_sandbox.lookup(&pay_sandbox, f->db, "t3", &out), PAY_NOT_FOUND);
	/* slow: succeeds after the delay */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	charge(f->db, ref_of("4000009900000046"), "t4", 1000, &out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(out.outcome, PAY_SUCCEEDED);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 50);
	assert_int_equal(ledger_rows(f->db), 2);
	pay_sandbox_set_faults(false, 200);
	/* outside test mode a fault card's ref charges nothing */
	charge(f->db, "sandbox:fault_timeout", "t5", 1000, &out);
	assert_int_equal(out.outcome, PAY_FAILED);
}

/* With a database the card gets a fingerprint: a keyed hash of the number
 * under the installation's key (settings), equal for equal numbers only. */
static void fingerprints(void **state)
{
	struct testdb *f = *state;
	struct pay_card_in in = {.number = "4242424242424242", .exp_month = 12, .exp_year = 2030};
	struct pay_card a, b, c;
	struct pay_error err;
	assert_int_equal(pay_sandbox.attach_card(&pay_sandbox, f->db, &in, NOW, &a, &err), 0);
	assert_int_equal(strlen(a.fingerprint), 16);
	in.number = "4242 4242 4242 4242";
	in.exp_year = 2031;
	assert_int_equal(pay_sandbox.attach_card(&pay_sandbox, f->db, &in, NOW, &b, &err), 0);
	assert_string_equal(a.fingerprint, b.fingerprint);
	in.number = "4000000000000341";
	assert_int_equal(pay_sandbox.attach_card(&pay_sandbox, f->db, &in, NOW, &c, &err), 0);
	assert_string_not_equal(a.fingerprint, c.fingerprint);
	/* keyed: not the plain hash of the number */
	unsigned char h[8];
	char plain[17];
	crypto_generichash(h, sizeof h, (const unsigned char *)"4242424242424242", 16, NULL, 0);
	sodium_bin2hex(plain, sizeof plain, h, sizeof h);
	assert_string_not_equal(a.fingerprint, plain);
	int64_t n = 0;
	assert_int_equal(
	    db_query_int(f->db, "SELECT COUNT(*) FROM settings WHERE name = 'pay_fingerprint_key'", NULL, 0, &n),
	    DB_OK);
	assert_int_equal(n, 1);
}

static int sqlite_setup(void **s)
{
	return testdb_group_setup(s, DB_SQLITE, "og_test_sandbox");
}
static int pg_setup(void **s)
{
	return testdb_group_setup(s, DB_POSTGRES, "og_test_sandbox");
}

#define DBT(fn) cmocka_unit_test_setup_teardown(fn, testdb_test_setup_migrated, testdb_test_teardown)

int main(void)
{
	const struct CMUnitTest pure[] = {cmocka_unit_test(attach_outcomes), cmocka_unit_test(expiry_edge)};
	const struct CMUnitTest db[] = {DBT(charge_outcomes), DBT(idempotent_charges), DBT(refunds), DBT(faults),
	                                DBT(fingerprints)};
	int failed = cmocka_run_group_tests_name("sandbox", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("sandbox_sqlite", db, sqlite_setup, testdb_group_teardown);
	failed += cmocka_run_group_tests_name("sandbox_postgres", db, pg_setup, testdb_group_teardown);
	return failed;
}
