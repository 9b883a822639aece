/* Checked int64 arithmetic on minor units and the one rounding rule (see
 * money.h). No floating point anywhere in this file (tools/check-style.sh
 * enforces it). Division and rounding happen in exactly one place,
 * money_muldiv, on an exact 128-bit product. */
#include "core/money.h"
#include "core/currency.h"

#include <inttypes.h>
#include <stdio.h>

bool money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

bool money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

bool money_neg(int64_t a, int64_t *out)
{
	return money_sub(0, a, out);
}

bool money_mul(int64_t amount, int64_t quantity, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(amount, quantity, &r))
		return false;
	*out = r;
	return true;
}

bool money_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out)
{
	if (c <= 0)
		return false;
	/* |a*b| <= 2^126 fits in __int128; C division truncates toward zero, so
	 * the remainder carries the sign of the product and |2r| < 2c <= 2^64. */
	__int128 product = (__int128)a * b;
	__int128 quotient = product / c;
	__int128 remainder = product % c;
	__int128 twice_abs_rem = remainder < 0 ? -2 * remainder : 2 * remainder;
	if (twice_abs_rem >= c)
		quotient += product < 0 ? -1 : 1;
	if (quotient < INT64_MIN || quotient > INT64_MAX)
		return false;
	*out = (int64_t)quotient;
	return true;
}

static uint64_t pow10_u64(int exponent)
{
	uint64_t p = 1;
	while (exponent-- > 0)
		p *= 10;
	return p;
}

static void upper_code(const char *code, char out[4])
{
	for (int i = 0; i < 3; i++)
		out[i] = (char)(code[i] - 'a' + 'A');
	out[3] = '\0';
}

int money_format(int64_t amount, const char *currency, char *buf, size_t n)
{
	const struct currency *cur = currency_find(currency);
	if (!cur || (!buf && n > 0)) {
		if (buf && n > 0)
			buf[0] = '\0';
		return -1;
	}
	char code[4];
	upper_code(cur->code, code);
	/* the magnitude in uint64_t: -INT64_MIN does not fit in int64_t */
	uint64_t magnitude = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
	const char *sign = amount < 0 ? "-" : "";
	if (cur->exponent == 0)
		return snprintf(buf, n, "%s%" PRIu64 " %s", sign, magnitude, code);
	uint64_t scale = pow10_u64(cur->exponent);
	return snprintf(buf, n, "%s%" PRIu64 ".%0*" PRIu64 " %s", sign, magnitude / scale, cur->exponent,
	                magnitude % scale, code);
}

bool money_within_cap(int64_t amount)
{
	return amount >= -MONEY_AMOUNT_MAX && amount <= MONEY_AMOUNT_MAX;
}
