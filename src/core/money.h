/* Money: amounts are int64_t counts of a currency's minor unit (cents for usd,
 * yen for jpy, fils for kwd; see core/currency.h), never floating point.
 * Every operation is checked: it returns false on overflow and leaves *out
 * untouched, so a caller cannot bill a wrapped-around amount.
 *
 * THE rounding rule, the only one in oneGuard: a quotient that is not whole is
 * rounded to the nearest minor unit, and an exact half is rounded AWAY FROM
 * ZERO (2.5 -> 3, -2.5 -> -3, 2.4 -> 2, -2.6 -> -3). money_muldiv is the one
 * function that divides money; everything that prorates or splits an amount
 * goes through it, once per line. Rationale and examples:
 * docs/internals/money.md. */
#ifndef OG_MONEY_H
#define OG_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* THE amount cap: no price, line, invoice item or invoice total may be
 * larger in magnitude than this many minor units (999,999,999.99 USD; the
 * limit Stripe documents for an amount). Input is checked against it when
 * parsed (PT_AMOUNT), and every computed line and total is checked before
 * anything is written (invoice_line_amount, invoice_totals_compute);
 * docs/internals/money.md. */
#define MONEY_AMOUNT_MAX 99999999999LL

/* True when -MONEY_AMOUNT_MAX <= amount <= MONEY_AMOUNT_MAX. */
bool money_within_cap(int64_t amount);

/* *out = a + b, a - b, -a, amount * quantity; false (and *out untouched) when
 * the exact result does not fit in int64_t. */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_sub(int64_t a, int64_t b, int64_t *out);
bool money_neg(int64_t a, int64_t *out); /* false only for INT64_MIN */
bool money_mul(int64_t amount, int64_t quantity, int64_t *out);

/* *out = a * b / c rounded half away from zero, computed exactly: the product
 * is formed in 128 bits, so it never overflows, whatever a and b are.
 * False when c <= 0 or when the rounded result does not fit in int64_t. */
bool money_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out);

/* Writes amount in major units with the currency's exponent and its uppercase
 * code: "12.34 USD", "-5.00 EUR", "1000 JPY", "1.234 KWD" (no thousands
 * separators). currency is a lowercase code known to currency_find.
 * Returns what snprintf returns (the length the whole text needs, so a result
 * >= n means buf was too small; buf is NUL-terminated whenever n > 0), or -1
 * for an unknown currency or a NULL buf with n > 0, with buf set to "". */
int money_format(int64_t amount, const char *currency, char *buf, size_t n);

#endif
