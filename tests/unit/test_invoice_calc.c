/* Unit tests for core/invoice_calc: line amounts and totals at the int64
 * edges and the amount cap, every (status, event) pair of the invoice table, names both ways,
 * and invoice numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/invoice_calc.h"
#include "core/money.h"

#define CAP MONEY_AMOUNT_MAX

static void test_line_amount(void **state)
{
	(void)state;
	int64_t out;
	assert_true(invoice_line_amount(1999, 3, &out));
	assert_int_equal(out, 5997);
	assert_true(invoice_line_amount(-1548, 1, &out));
	assert_int_equal(out, -1548);
	assert_true(invoice_line_amount(1999, 0, &out));
	assert_int_equal(out, 0);
	/* the cap itself is allowed, both signs */
	assert_true(invoice_line_amount(CAP, 1, &out));
	assert_int_equal(out, CAP);
	assert_true(invoice_line_amount(-CAP, 1, &out));
	assert_int_equal(out, -CAP);
	assert_true(invoice_line_amount(99999999999LL / 9, 9, &out)); /* 11111111111 * 9 */
	assert_int_equal(out, CAP);
	assert_true(invoice_line_amount(INT64_MAX, 0, &out));
	assert_int_equal(out, 0);

	out = 4242;
	assert_false(invoice_line_amount(100, -1, &out));
	assert_false(invoice_line_amount(-100, -1, &out));
	/* one minor unit past the cap, each sign */
	assert_false(invoice_line_amount(CAP + 1, 1, &out));
	assert_false(invoice_line_amount(-CAP - 1, 1, &out));
	/* the case: a price at the cap times quantity 1,000,000 (fits in int64, over the cap) */
	assert_false(invoice_line_amount(CAP, 1000000, &out));
	assert_false(invoice_line_amount(50000000000LL, 2, &out));
	/* and past int64 */
	assert_false(invoice_line_amount(INT64_MAX, 1, &out));
	assert_false(invoice_line_amount(INT64_MAX, 2, &out));
	assert_false(invoice_line_amount(INT64_MIN, 2, &out));
	assert_false(invoice_line_amount(INT64_C(1) << 32, INT64_C(1) << 31, &out));
	assert_int_equal(out, 4242);
	assert_true(money_within_cap(CAP) && money_within_cap(-CAP) && money_within_cap(0));
	assert_false(money_within_cap(CAP + 1) || money_within_cap(-CAP - 1) || money_within_cap(INT64_MIN));
}

static void assert_totals(const struct invoice_totals *t, int64_t subtotal, int64_t due, int64_t paid,
                          int64_t remaining)
{
	assert_int_equal(t->subtotal, subtotal);
	assert_int_equal(t->total, subtotal);
	assert_int_equal(t->amount_due, due);
	assert_int_equal(t->amount_paid, paid);
	assert_int_equal(t->amount_remaining, remaining);
}

static void test_totals(void **state)
{
	(void)state;
	struct invoice_totals t;
	const int64_t lines[] = {3097, -1548, 6000};
	assert_true(invoice_totals_compute(lines, 3, 0, &t));
	assert_totals(&t, 7549, 7549, 0, 7549);
	assert_true(invoice_totals_compute(lines, 3, 2000, &t));
	assert_totals(&t, 7549, 7549, 2000, 5549);
	assert_true(invoice_totals_compute(lines, 3, 7549, &t));
	assert_totals(&t, 7549, 7549, 7549, 0);
	assert_true(invoice_totals_compute(lines, 2, 0, &t));
	assert_totals(&t, 1549, 1549, 0, 1549);
	/* no lines */
	assert_true(invoice_totals_compute(NULL, 0, 0, &t));
	assert_totals(&t, 0, 0, 0, 0);
	/* a negative total is due as zero */
	const int64_t credit[] = {1548, -3097};
	assert_true(invoice_totals_compute(credit, 2, 0, &t));
	assert_totals(&t, -1549, 0, 0, 0);
}

static void test_totals_edges(void **state)
{
	(void)state;
	struct invoice_totals t;
	const int64_t cap_then_back[] = {CAP, 1, -1};
	const int64_t back_then_cap[] = {-1, CAP, 1};
	/* exact whatever the order: only the subtotal has to be within the cap */
	assert_true(invoice_totals_compute(cap_then_back, 3, CAP, &t));
	assert_totals(&t, CAP, CAP, CAP, 0);
	assert_true(invoice_totals_compute(back_then_cap, 3, 0, &t));
	assert_totals(&t, CAP, CAP, 0, CAP);
	const int64_t min_lines[] = {-CAP, -1, 1};
	assert_true(invoice_totals_compute(min_lines, 3, 0, &t));
	assert_totals(&t, -CAP, 0, 0, 0);
	const int64_t many_cap[] = {CAP, CAP, CAP, -CAP, -CAP, -CAP};
	assert_true(invoice_totals_compute(many_cap, 6, 0, &t));
	assert_totals(&t, 0, 0, 0, 0);

	struct invoice_totals untouched = {1, 2, 3, 4, 5};
	t = untouched;
	const int64_t over[] = {CAP, 1};
	const int64_t under[] = {-CAP, -1};
	const int64_t line_over[] = {CAP + 1, -2}; /* the sum fits, one line does not */
	const int64_t int64_edges[] = {INT64_MAX, INT64_MIN};
	assert_false(invoice_totals_compute(over, 2, 0, &t));
	assert_false(invoice_totals_compute(under, 2, 0, &t));
	assert_false(invoice_totals_compute(line_over, 2, 0, &t));
	assert_false(invoice_totals_compute(int64_edges, 2, 0, &t));
	assert_false(invoice_totals_compute(many_cap, 3, 0, &t));
	assert_false(invoice_totals_compute(NULL, 1, 0, &t));
	const int64_t lines[] = {1000};
	assert_false(invoice_totals_compute(lines, 1, -1, &t));
	assert_false(invoice_totals_compute(lines, 1, 1001, &t));
	const int64_t credit[] = {-500};
	assert_false(invoice_totals_compute(credit, 1, 1, &t)); /* nothing is due */
	assert_false(invoice_totals_compute(lines, 1, INT64_MIN, &t));
	assert_memory_equal(&t, &untouched, sizeof t);
}

static const struct {
	enum invoice_status from;
	enum invoice_event ev;
	enum invoice_status to;
} allowed[] = {
    {INV_DRAFT, INV_EV_FINALIZE, INV_OPEN},    {INV_OPEN, INV_EV_PAY, INV_PAID},
    {INV_OPEN, INV_EV_VOID, INV_VOID},         {INV_OPEN, INV_EV_MARK_UNCOLLECTIBLE, INV_UNCOLLECTIBLE},
    {INV_UNCOLLECTIBLE, INV_EV_PAY, INV_PAID}, {INV_UNCOLLECTIBLE, INV_EV_VOID, INV_VOID},
};
#define N_ALLOWED (sizeof allowed / sizeof allowed[0])

static int expected_target(int from, int ev)
{
	for (size_t i = 0; i < N_ALLOWED; i++)
		if ((int)allowed[i].from == from && (int)allowed[i].ev == ev)
			return (int)allowed[i].to;
	return -1;
}

static void test_fsm_whole_table(void **state)
{
	(void)state;
	size_t n_allowed = 0;
	for (int from = 0; from < INV__COUNT; from++) {
		for (int ev = 0; ev < INV_EV__COUNT; ev++) {
			enum invoice_status to = (enum invoice_status)99;
			bool ok = invoice_fsm_next((enum invoice_status)from, (enum invoice_event)ev, &to);
			int want = expected_target(from, ev);
			if (ok != (want >= 0))
				fail_msg("%s --%s--> %s, expected %s", invoice_status_name(from),
				         invoice_event_name(ev), ok ? "allowed" : "refused",
				         want >= 0 ? "allowed" : "refused");
			assert_int_equal(to, want >= 0 ? want : 99);
			n_allowed += ok;
			assert_int_equal(invoice_fsm_next((enum invoice_status)from, (enum invoice_event)ev, NULL), ok);
		}
	}
	assert_int_equal(n_allowed, 6);
	/* the two the brief singles out: a draft is never voided; paid and void are final */
	assert_false(invoice_fsm_next(INV_DRAFT, INV_EV_VOID, NULL));
	for (int ev = 0; ev < INV_EV__COUNT; ev++) {
		assert_false(invoice_fsm_next(INV_PAID, (enum invoice_event)ev, NULL));
		assert_false(invoice_fsm_next(INV_VOID, (enum invoice_event)ev, NULL));
	}
	enum invoice_status to = INV_OPEN;
	assert_false(invoice_fsm_next(INV__COUNT, INV_EV_PAY, &to));
	assert_false(invoice_fsm_next((enum invoice_status) - 1, INV_EV_PAY, &to));
	assert_false(invoice_fsm_next(INV_OPEN, INV_EV__COUNT, &to));
	assert_false(invoice_fsm_next(INV_OPEN, (enum invoice_event) - 1, &to));
	assert_int_equal(to, INV_OPEN);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const statuses[INV__COUNT] = {
	    [INV_DRAFT] = "draft",
	    [INV_OPEN] = "open",
	    [INV_PAID] = "paid",
	    [INV_VOID] = "void",
	    [INV_UNCOLLECTIBLE] = "uncollectible",
	};
	for (int s = 0; s < INV__COUNT; s++) {
		assert_string_equal(invoice_status_name((enum invoice_status)s), statuses[s]);
		assert_int_equal(invoice_status_parse(statuses[s]), s);
	}
	assert_int_equal(invoice_status_parse("Paid"), -1);
	assert_int_equal(invoice_status_parse("voided"), -1);
	assert_int_equal(invoice_status_parse(""), -1);
	assert_int_equal(invoice_status_parse(NULL), -1);
	assert_null(invoice_status_name(INV__COUNT));
	assert_null(invoice_status_name((enum invoice_status) - 1));

	static const char *const events[INV_EV__COUNT] = {
	    [INV_EV_FINALIZE] = "finalize",
	    [INV_EV_PAY] = "pay",
	    [INV_EV_VOID] = "void",
	    [INV_EV_MARK_UNCOLLECTIBLE] = "mark_uncollectible",
	};
	for (int ev = 0; ev < INV_EV__COUNT; ev++)
		assert_string_equal(invoice_event_name((enum invoice_event)ev), events[ev]);
	assert_null(invoice_event_name(INV_EV__COUNT));
	assert_null(invoice_event_name((enum invoice_event) - 1));
}

static void assert_number(const char *prefix, int64_t seq, const char *want)
{
	char buf[64];
	assert_int_equal(invoice_number_format(prefix, seq, buf, sizeof buf), strlen(want));
	assert_string_equal(buf, want);
}

static void test_number_format(void **state)
{
	(void)state;
	assert_number("INV", 42, "INV-000042");
	assert_number("INV", 1, "INV-000001");
	assert_number("INV", 0, "INV-000000");
	assert_number("INV", 999999, "INV-999999");
	assert_number("INV", 1000000, "INV-1000000");
	assert_number("ACME2027", 7, "ACME2027-000007");
	assert_number("", 7, "-000007");
	assert_number("INV", INT64_MAX, "INV-9223372036854775807");

	char buf[8] = "junk";
	assert_int_equal(invoice_number_format("INV", 42, buf, sizeof buf), 10);
	assert_string_equal(buf, "INV-000");
	assert_int_equal(invoice_number_format("INV", 42, NULL, 0), 10);
	snprintf(buf, sizeof buf, "junk");
	assert_int_equal(invoice_number_format("INV", -1, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	snprintf(buf, sizeof buf, "junk");
	assert_int_equal(invoice_number_format(NULL, 1, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(invoice_number_format("INV", INT64_MIN, NULL, 0), -1);
	assert_int_equal(invoice_number_format("INV", 1, NULL, 4), -1);
	snprintf(buf, sizeof buf, "keep");
	assert_int_equal(invoice_number_format("INV", -5, buf, 0), -1); /* n = 0: buf is not written */
	assert_string_equal(buf, "keep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_amount),     cmocka_unit_test(test_totals), cmocka_unit_test(test_totals_edges),
	    cmocka_unit_test(test_fsm_whole_table), cmocka_unit_test(test_names),  cmocka_unit_test(test_number_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
