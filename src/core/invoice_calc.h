/* Invoice arithmetic and the invoice state machine. Amounts are int64 minor
 * units and every sum is checked (core/money.h). Taxes and discounts do not
 * exist yet: total equals subtotal, and the fields are separate so they can
 * slot in between without changing callers. Invoice numbers are formatted
 * here; the counter that yields them lives in the store. */
#ifndef OG_INVOICE_CALC_H
#define OG_INVOICE_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *out = unit_amount * quantity. unit_amount may be negative (a credit line);
 * quantity may not. False, *out untouched, on a negative quantity or when
 * the product is beyond the amount cap (|amount| > MONEY_AMOUNT_MAX,
 * core/money.h; overflow included). */
bool invoice_line_amount(int64_t unit_amount, int64_t quantity, int64_t *out);

struct invoice_totals {
	int64_t subtotal;         /* sum of the line amounts */
	int64_t total;            /* subtotal (no tax or discount yet) */
	int64_t amount_due;       /* max(total, 0): a negative total is never collected */
	int64_t amount_paid;      /* as given */
	int64_t amount_remaining; /* amount_due - amount_paid, >= 0 */
};

/* Fills *out from n_lines line amounts (line_amounts may be NULL when
 * n_lines == 0) and what was paid so far. The sum is exact whatever the order
 * of the lines. False, *out untouched, when a line or the subtotal is beyond
 * the amount cap (MONEY_AMOUNT_MAX), when amount_paid < 0 or amount_paid >
 * amount_due. */
bool invoice_totals_compute(const int64_t *line_amounts, size_t n_lines, int64_t amount_paid,
                            struct invoice_totals *out);

enum invoice_status { INV_DRAFT, INV_OPEN, INV_PAID, INV_VOID, INV_UNCOLLECTIBLE, INV__COUNT };
enum invoice_event { INV_EV_FINALIZE, INV_EV_PAY, INV_EV_VOID, INV_EV_MARK_UNCOLLECTIBLE, INV_EV__COUNT };

/* The table (core/fsm.h), for tests and documentation. */
struct fsm_table;
extern const struct fsm_table invoice_fsm;

/* As sub_fsm_next (core/subscription_fsm.h): true and *to set (to may be NULL)
 * when the table allows ev from status from. A draft is finalized or deleted,
 * never voided; paid and void are final. */
bool invoice_fsm_next(enum invoice_status from, enum invoice_event ev, enum invoice_status *to);

/* "draft", "open", "paid", "void", "uncollectible"; NULL outside the enum. */
const char *invoice_status_name(enum invoice_status s);
/* The INV__COUNT names in the enum's order, then NULL: the one table (a
 * parameter spec's PS_ENUM choices read it too). */
extern const char *const invoice_status_names[];
/* The inverse of invoice_status_name: exact match, -1 for anything else. */
int invoice_status_parse(const char *s);
/* "finalize", "pay", "void", "mark_uncollectible" for error messages; NULL
 * outside the enum. */
const char *invoice_event_name(enum invoice_event ev);

/* Writes "<prefix>-<seq>" with seq zero-padded to at least 6 digits
 * ("INV-000042", "INV-1234567"). Returns what snprintf returns, or -1 with
 * buf set to "" (when n > 0) for a NULL prefix or seq < 0. */
int invoice_number_format(const char *prefix, int64_t seq, char *buf, size_t n);

/* Per-customer numbering (Stripe's): "<prefix>-<seq>" with seq zero-padded
 * to at least 4 digits ("K7Q2ZP1A-0001"). Same return as above. */
int invoice_customer_number_format(const char *prefix, int64_t seq, char *buf, size_t n);

#define INVOICE_PREFIX_MIN 3
#define INVOICE_PREFIX_MAX 12
/* True for a customer invoice_prefix: 3 to 12 of A-Z and 0-9. */
bool invoice_prefix_valid(const char *s);

#endif
