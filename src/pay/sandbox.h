/* The built-in sandbox provider (sandbox.c): Stripe's test cards, no
 * network; its ledger in the database (sandbox_charges). */
#ifndef OG_PAY_SANDBOX_H
#define OG_PAY_SANDBOX_H

#include "pay/provider.h"

extern const struct pay_provider pay_sandbox;

/* Test mode only (serve --test-mode): accept the sandbox's fault cards;
 * slow_delay_ms is the slow card's delay (-1 keeps it; default 200). */
void pay_sandbox_set_faults(bool on, int slow_delay_ms);

/* digits: a string of 0-9; Luhn's check. */
bool pay_luhn_valid(const char *digits);
/* Whether a card expiring exp_month/exp_year has expired at now (UTC): it
 * is valid through the last day of its month. */
bool pay_card_expired(int64_t exp_month, int64_t exp_year, int64_t now);

#endif
