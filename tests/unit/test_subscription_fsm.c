/* Unit tests for core/subscription_fsm: every (status, event) pair of the
 * whole table, allowed and refused, against the table written out again
 * here from the specification; names both ways; reachability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/fsm.h"
#include "core/invoice_calc.h"
#include "core/subscription_fsm.h"

static const struct {
	enum sub_status from;
	enum sub_event ev;
	enum sub_status to;
} allowed[] = {
    {SUB_DRAFT, SUB_EV_CONFIRM, SUB_ACTIVE},
    {SUB_DRAFT, SUB_EV_CONFIRM_TRIAL, SUB_TRIALING},
    {SUB_DRAFT, SUB_EV_UPDATE, SUB_DRAFT},
    {SUB_DRAFT, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_TRIALING, SUB_EV_TRIAL_END, SUB_ACTIVE},
    {SUB_TRIALING, SUB_EV_PAYMENT_FAILED, SUB_PAST_DUE},
    {SUB_TRIALING, SUB_EV_PAUSE, SUB_PAUSED},
    {SUB_TRIALING, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_TRIALING, SUB_EV_UPDATE, SUB_TRIALING},
    {SUB_ACTIVE, SUB_EV_PAYMENT_FAILED, SUB_PAST_DUE},
    {SUB_ACTIVE, SUB_EV_PAUSE, SUB_PAUSED},
    {SUB_ACTIVE, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_ACTIVE, SUB_EV_UPDATE, SUB_ACTIVE},
    {SUB_PAST_DUE, SUB_EV_PAYMENT_SUCCEEDED, SUB_ACTIVE},
    {SUB_PAST_DUE, SUB_EV_MARK_UNPAID, SUB_UNPAID},
    {SUB_PAST_DUE, SUB_EV_PAUSE, SUB_PAUSED},
    {SUB_PAST_DUE, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_PAST_DUE, SUB_EV_UPDATE, SUB_PAST_DUE},
    {SUB_UNPAID, SUB_EV_PAYMENT_SUCCEEDED, SUB_ACTIVE},
    {SUB_UNPAID, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_PAUSED, SUB_EV_RESUME, SUB_ACTIVE},
    {SUB_PAUSED, SUB_EV_CANCEL, SUB_CANCELED},
    {SUB_PAUSED, SUB_EV_UPDATE, SUB_PAUSED},
};
#define N_ALLOWED (sizeof allowed / sizeof allowed[0])

/* The expected target of (from, ev), or -1 when the pair is refused. */
static int expected_target(int from, int ev)
{
	for (size_t i = 0; i < N_ALLOWED; i++)
		if ((int)allowed[i].from == from && (int)allowed[i].ev == ev)
			return (int)allowed[i].to;
	return -1;
}

static void test_whole_table(void **state)
{
	(void)state;
	size_t n_allowed = 0, n_refused = 0;
	for (int from = 0; from < SUB__COUNT; from++) {
		for (int ev = 0; ev < SUB_EV__COUNT; ev++) {
			enum sub_status to = (enum sub_status)99;
			bool ok = sub_fsm_next((enum sub_status)from, (enum sub_event)ev, &to);
			int want = expected_target(from, ev);
			if (ok != (want >= 0))
				fail_msg("%s --%s--> %s, expected %s", sub_status_name(from), sub_event_name(ev),
				         ok ? "allowed" : "refused", want >= 0 ? "allowed" : "refused");
			if (want >= 0) {
				assert_int_equal(to, want);
				n_allowed++;
			} else {
				assert_int_equal(to, 99); /* untouched */
				n_refused++;
			}
			/* asking without an out-parameter gives the same answer */
			assert_int_equal(sub_fsm_next((enum sub_status)from, (enum sub_event)ev, NULL), ok);
		}
	}
	assert_int_equal(n_allowed, N_ALLOWED);
	assert_int_equal(n_allowed, 23);
	assert_int_equal(n_refused, SUB__COUNT * SUB_EV__COUNT - 23);
}

static void test_out_of_range(void **state)
{
	(void)state;
	enum sub_status to = SUB_ACTIVE;
	assert_false(sub_fsm_next(SUB__COUNT, SUB_EV_CANCEL, &to));
	assert_false(sub_fsm_next((enum sub_status) - 1, SUB_EV_CANCEL, &to));
	assert_false(sub_fsm_next(SUB_ACTIVE, SUB_EV__COUNT, &to));
	assert_false(sub_fsm_next(SUB_ACTIVE, (enum sub_event) - 1, &to));
	assert_false(sub_fsm_next((enum sub_status)1000000, (enum sub_event)1000000, &to));
	assert_int_equal(to, SUB_ACTIVE);
}

static void test_properties(void **state)
{
	(void)state;
	/* canceled is final; every other status can be canceled */
	for (int ev = 0; ev < SUB_EV__COUNT; ev++)
		assert_false(sub_fsm_next(SUB_CANCELED, (enum sub_event)ev, NULL));
	for (int s = 0; s < SUB__COUNT; s++) {
		enum sub_status to;
		if (s == SUB_CANCELED)
			continue;
		assert_true(sub_fsm_next((enum sub_status)s, SUB_EV_CANCEL, &to));
		assert_int_equal(to, SUB_CANCELED);
	}
	/* every status is reachable from draft (SUB__COUNT rounds of relaxation) */
	bool reached[SUB__COUNT] = {[SUB_DRAFT] = true};
	for (int round = 0; round < SUB__COUNT; round++) {
		for (int s = 0; s < SUB__COUNT; s++) {
			if (!reached[s])
				continue;
			for (int ev = 0; ev < SUB_EV__COUNT; ev++) {
				enum sub_status to;
				if (sub_fsm_next((enum sub_status)s, (enum sub_event)ev, &to))
					reached[to] = true;
			}
		}
	}
	for (int s = 0; s < SUB__COUNT; s++)
		assert_true(reached[s]);
}

static void test_status_names(void **state)
{
	(void)state;
	static const char *const names[SUB__COUNT] = {
	    [SUB_DRAFT] = "draft",   [SUB_TRIALING] = "trialing", [SUB_ACTIVE] = "active", [SUB_PAST_DUE] = "past_due",
	    [SUB_PAUSED] = "paused", [SUB_CANCELED] = "canceled", [SUB_UNPAID] = "unpaid",
	};
	for (int s = 0; s < SUB__COUNT; s++) {
		assert_string_equal(sub_status_name((enum sub_status)s), names[s]);
		assert_int_equal(sub_status_parse(names[s]), s);
	}
	static const char *const unknown[] = {"Active",   "ACTIVE",     "active ", "cancelled",
	                                      "past-due", "incomplete", "",        "dra"};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		assert_int_equal(sub_status_parse(unknown[i]), -1);
	assert_int_equal(sub_status_parse(NULL), -1);
	assert_null(sub_status_name(SUB__COUNT));
	assert_null(sub_status_name((enum sub_status) - 1));
}

static void test_event_names(void **state)
{
	(void)state;
	static const char *const names[SUB_EV__COUNT] = {
	    [SUB_EV_CONFIRM] = "confirm",
	    [SUB_EV_CONFIRM_TRIAL] = "confirm_trial",
	    [SUB_EV_TRIAL_END] = "trial_end",
	    [SUB_EV_PAYMENT_FAILED] = "payment_failed",
	    [SUB_EV_PAYMENT_SUCCEEDED] = "payment_succeeded",
	    [SUB_EV_MARK_UNPAID] = "mark_unpaid",
	    [SUB_EV_PAUSE] = "pause",
	    [SUB_EV_RESUME] = "resume",
	    [SUB_EV_CANCEL] = "cancel",
	    [SUB_EV_UPDATE] = "update",
	};
	for (int ev = 0; ev < SUB_EV__COUNT; ev++)
		assert_string_equal(sub_event_name((enum sub_event)ev), names[ev]);
	assert_null(sub_event_name(SUB_EV__COUNT));
	assert_null(sub_event_name((enum sub_event) - 1));
}

/* core/fsm.h: the one table shape and lookup both machines use. */
static void test_fsm_shape(void **state)
{
	(void)state;
	assert_true(fsm_table_valid(&sub_fsm));
	assert_true(fsm_table_valid(&invoice_fsm));
	/* the lookup answers what the tables list, both machines alike */
	int to = -1;
	assert_true(fsm_next(&sub_fsm, SUB_DRAFT, SUB_EV_CONFIRM, &to));
	assert_int_equal(to, SUB_ACTIVE);
	assert_true(fsm_next(&invoice_fsm, INV_OPEN, INV_EV_PAY, &to));
	assert_int_equal(to, INV_PAID);
	to = 42;
	assert_false(fsm_next(&invoice_fsm, INV_DRAFT, INV_EV_VOID, &to));
	assert_false(fsm_next(&sub_fsm, -1, SUB_EV_CONFIRM, &to));
	assert_false(fsm_next(&sub_fsm, SUB_DRAFT, SUB_EV__COUNT, &to));
	assert_int_equal(to, 42);
	assert_string_equal(fsm_state_name(&invoice_fsm, INV_UNCOLLECTIBLE), "uncollectible");
	assert_null(fsm_state_name(&invoice_fsm, INV__COUNT));
	assert_int_equal(fsm_state_parse(&sub_fsm, "past_due"), SUB_PAST_DUE);
	assert_int_equal(fsm_state_parse(&sub_fsm, NULL), -1);
	/* a table listing a pair twice, or a move out of range, is not valid */
	static const char *const names[] = {"a", "b"};
	static const struct fsm_move twice[] = {{0, 0, 1}, {0, 0, 0}};
	static const struct fsm_move out[] = {{0, 0, 2}};
	struct fsm_table t = {twice, 2, names, 2, names, 2};
	assert_false(fsm_table_valid(&t));
	t.moves = out;
	t.n_moves = 1;
	assert_false(fsm_table_valid(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_table),  cmocka_unit_test(test_out_of_range), cmocka_unit_test(test_properties),
	    cmocka_unit_test(test_status_names), cmocka_unit_test(test_event_names),  cmocka_unit_test(test_fsm_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
