/* Proration by the second, as Stripe does it: when a subscription's price or
 * quantity changes at change_at inside a period [period_start, period_end),
 * the customer gets back the unused part of the old amount (a credit line)
 * and pays the remaining part of the new one (a charge line):
 *   remaining = period_end - change_at,  period = period_end - period_start
 *   credit = -round(old_unit_amount * old_quantity * remaining / period)
 *   charge =  round(new_unit_amount * new_quantity * remaining / period)
 *   net    = credit + charge
 * Each line is rounded once, half away from zero (money.h); net is the sum of
 * the rounded lines, never rounded again, so it always equals what the
 * invoice shows. Formula and examples: docs/internals/money.md. */
#ifndef OG_PRORATION_H
#define OG_PRORATION_H

#include <stdbool.h>
#include <stdint.h>

struct proration {
	int64_t credit; /* <= 0: unused time on the old price */
	int64_t charge; /* >= 0: remaining time on the new price */
	int64_t net;    /* credit + charge */
};

/* Fills *out and returns true; false (and *out untouched) when
 * period_end <= period_start, change_at is outside [period_start, period_end],
 * a unit amount or quantity is negative (prices and quantities are never
 * negative, and it keeps the signs above), or a full-period amount
 * unit_amount * quantity overflows int64. */
bool proration_compute(int64_t period_start, int64_t period_end, int64_t change_at, int64_t old_unit_amount,
                       int64_t old_quantity, int64_t new_unit_amount, int64_t new_quantity, struct proration *out);

/* *out = round(amount * (period_end - from) / (period_end - period_start)),
 * the share of amount for [from, period_end): the unused time on cancel, for
 * instance (the caller negates it into a credit). Any sign of amount; |*out|
 * never exceeds |amount|. False (and *out untouched) when
 * period_end <= period_start or from is outside [period_start, period_end]. */
bool proration_amount(int64_t amount, int64_t period_start, int64_t period_end, int64_t from, int64_t *out);

#endif
