/* Proration lines (formula in proration.h). The only arithmetic here is
 * checked (core/money.h) and the only rounding is money_muldiv's, once per
 * line. No floating point, no time(): the instants are arguments. */
#include "core/proration.h"
#include "core/money.h"

#include <assert.h>

bool proration_amount(int64_t amount, int64_t period_start, int64_t period_end, int64_t from, int64_t *out)
{
	int64_t period;
	if (!money_sub(period_end, period_start, &period) || period <= 0)
		return false;
	if (from < period_start || from > period_end)
		return false;
	/* from is inside the period, so the remaining time fits: no overflow check */
	return money_muldiv(amount, period_end - from, period, out);
}

bool proration_compute(int64_t period_start, int64_t period_end, int64_t change_at, int64_t old_unit_amount,
                       int64_t old_quantity, int64_t new_unit_amount, int64_t new_quantity, struct proration *out)
{
	if (old_unit_amount < 0 || old_quantity < 0 || new_unit_amount < 0 || new_quantity < 0)
		return false;
	int64_t old_amount, new_amount, unused_old, remaining_new;
	if (!money_mul(old_unit_amount, old_quantity, &old_amount) ||
	    !money_mul(new_unit_amount, new_quantity, &new_amount))
		return false;
	if (!proration_amount(old_amount, period_start, period_end, change_at, &unused_old))
		return false;
	/* the same period and instant were just accepted, and a share never
	 * exceeds its amount: the second line cannot fail */
	bool is_ok = proration_amount(new_amount, period_start, period_end, change_at, &remaining_new);
	assert(is_ok);
	(void)is_ok;
	/* 0 <= unused_old <= old_amount and remaining_new >= 0: no overflow below */
	out->credit = -unused_old;
	out->charge = remaining_new;
	out->net = remaining_new - unused_old;
	return true;
}
