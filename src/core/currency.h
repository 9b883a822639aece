/* Currencies: the ISO 4217 codes oneGuard bills in and their minor-unit
 * exponents (2 for usd: 1 USD = 100 minor units; 0 for jpy; 3 for kwd).
 * Codes are lowercase on the wire and in the database, as Stripe spells them.
 * Only currencies in circulation are listed: no fund codes (bov, clf, usn...),
 * no precious metals (xau...), no withdrawn codes (hrk, sll...).
 * Pure data: no I/O, no allocation. */
#ifndef OG_CURRENCY_H
#define OG_CURRENCY_H

#include <stdbool.h>
#include <stddef.h>

struct currency {
	const char *code; /* lowercase ISO 4217 alphabetic code */
	int exponent;     /* digits after the decimal point: 0, 2 or 3 */
};

/* The entry for code, an exact lowercase three-letter match ("usd", not "USD"
 * nor "usd "); NULL for anything else, NULL included. The pointer is to static
 * data and stays valid for the life of the program. */
const struct currency *currency_find(const char *code);
bool currency_valid(const char *code);

/* The table in code order, for listing: entries 0..currency_count()-1;
 * currency_at returns NULL past the end. */
size_t currency_count(void);
const struct currency *currency_at(size_t i);

#endif
