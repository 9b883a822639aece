/* Invoice line and total arithmetic, the one table of invoice transitions,
 * and invoice numbers. No floating point (tools/check-style.sh), no I/O.
 * Invariants: amount_paid + amount_remaining == amount_due (asserted); every
 * line and every subtotal these functions accept is within the one amount
 * cap, MONEY_AMOUNT_MAX (core/money.h), so whatever they approve can be
 * written. */
#include "core/invoice_calc.h"
#include "core/fsm.h"
#include "core/money.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool invoice_line_amount(int64_t unit_amount, int64_t quantity, int64_t *out)
{
	int64_t amount;
	if (quantity < 0 || !money_mul(unit_amount, quantity, &amount) || !money_within_cap(amount))
		return false;
	*out = amount;
	return true;
}

/* The exact sum, accumulated in 128 bits so that only the result has to fit:
 * the same lines in any order give the same answer. */
static bool sum_lines(const int64_t *line_amounts, size_t n_lines, int64_t *out)
{
	__int128 sum = 0;
	if (n_lines > 0 && !line_amounts)
		return false;
	for (size_t i = 0; i < n_lines; i++) {
		if (!money_within_cap(line_amounts[i]))
			return false;
		sum += line_amounts[i]; /* n_lines * 2^63 < 2^127: cannot overflow */
	}
	if (sum < -MONEY_AMOUNT_MAX || sum > MONEY_AMOUNT_MAX)
		return false;
	*out = (int64_t)sum;
	return true;
}

bool invoice_totals_compute(const int64_t *line_amounts, size_t n_lines, int64_t amount_paid,
                            struct invoice_totals *out)
{
	int64_t subtotal;
	if (!sum_lines(line_amounts, n_lines, &subtotal))
		return false;
	int64_t due = subtotal > 0 ? subtotal : 0;
	if (amount_paid < 0 || amount_paid > due)
		return false;
	out->subtotal = subtotal;
	out->total = subtotal;
	out->amount_due = due;
	out->amount_paid = amount_paid;
	out->amount_remaining = due - amount_paid;
	assert(out->amount_paid + out->amount_remaining == out->amount_due);
	return true;
}

/* clang-format off: one line per move reads as the state diagram (core/fsm.h) */
static const struct fsm_move moves[] = {
    {INV_DRAFT, INV_EV_FINALIZE, INV_OPEN},

    {INV_OPEN, INV_EV_PAY, INV_PAID},
    {INV_OPEN, INV_EV_VOID, INV_VOID},
    {INV_OPEN, INV_EV_MARK_UNCOLLECTIBLE, INV_UNCOLLECTIBLE},

    {INV_UNCOLLECTIBLE, INV_EV_PAY, INV_PAID},
    {INV_UNCOLLECTIBLE, INV_EV_VOID, INV_VOID},
};
/* clang-format on */

/* NULL-terminated: a parameter spec's PS_ENUM choices read it too */
const char *const invoice_status_names[INV__COUNT + 1] = {
    [INV_DRAFT] = "draft",
    [INV_OPEN] = "open",
    [INV_PAID] = "paid",
    [INV_VOID] = "void",
    [INV_UNCOLLECTIBLE] = "uncollectible",
};

static const char *const event_names[INV_EV__COUNT] = {
    [INV_EV_FINALIZE] = "finalize",
    [INV_EV_PAY] = "pay",
    [INV_EV_VOID] = "void",
    [INV_EV_MARK_UNCOLLECTIBLE] = "mark_uncollectible",
};

const struct fsm_table invoice_fsm = {
    .moves = moves,
    .n_moves = sizeof moves / sizeof moves[0],
    .state_names = invoice_status_names,
    .n_states = INV__COUNT,
    .event_names = event_names,
    .n_events = INV_EV__COUNT,
};

bool invoice_fsm_next(enum invoice_status from, enum invoice_event ev, enum invoice_status *to)
{
	int next;
	if (!fsm_next(&invoice_fsm, (int)from, (int)ev, &next))
		return false;
	if (to)
		*to = (enum invoice_status)next;
	return true;
}

const char *invoice_status_name(enum invoice_status s)
{
	return fsm_state_name(&invoice_fsm, (int)s);
}

int invoice_status_parse(const char *s)
{
	return fsm_state_parse(&invoice_fsm, s);
}

const char *invoice_event_name(enum invoice_event ev)
{
	return fsm_event_name(&invoice_fsm, (int)ev);
}

int invoice_number_format(const char *prefix, int64_t seq, char *buf, size_t n)
{
	if (!prefix || seq < 0 || (!buf && n > 0)) {
		if (buf && n > 0)
			buf[0] = '\0';
		return -1;
	}
	return snprintf(buf, n, "%s-%06" PRId64, prefix, seq);
}

int invoice_customer_number_format(const char *prefix, int64_t seq, char *buf, size_t n)
{
	if (!prefix || seq < 0 || (!buf && n > 0)) {
		if (buf && n > 0)
			buf[0] = '\0';
		return -1;
	}
	return snprintf(buf, n, "%s-%04" PRId64, prefix, seq);
}

bool invoice_prefix_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n >= INVOICE_PREFIX_MIN && n <= INVOICE_PREFIX_MAX;
}
