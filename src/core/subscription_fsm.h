/* The subscription state machine: its statuses, the events that move a
 * subscription, and which moves are allowed, all in one table
 * (subscription_fsm.c, in the shape of core/fsm.h). Handlers and the billing engine ask sub_fsm_next
 * before changing a status and never test statuses themselves, so the rules
 * live in one place. Names are the wire and database spellings. */
#ifndef OG_SUBSCRIPTION_FSM_H
#define OG_SUBSCRIPTION_FSM_H

#include <stdbool.h>

enum sub_status {
	SUB_DRAFT,    /* created, not yet confirmed: nothing billed */
	SUB_TRIALING, /* confirmed with a trial: no charge until trial_end */
	SUB_ACTIVE,
	SUB_PAST_DUE, /* the latest invoice failed to collect; retrying */
	SUB_PAUSED,   /* no invoices until resumed */
	SUB_CANCELED, /* final */
	SUB_UNPAID,   /* retries exhausted: invoices still open, service stopped */
	SUB__COUNT
};

enum sub_event {
	SUB_EV_CONFIRM,
	SUB_EV_CONFIRM_TRIAL,
	SUB_EV_TRIAL_END,
	SUB_EV_PAYMENT_FAILED,
	SUB_EV_PAYMENT_SUCCEEDED,
	SUB_EV_MARK_UNPAID,
	SUB_EV_PAUSE,
	SUB_EV_RESUME,
	SUB_EV_CANCEL,
	SUB_EV_UPDATE,
	SUB_EV__COUNT
};

/* The table itself (core/fsm.h), for tests and documentation. */
struct fsm_table;
extern const struct fsm_table sub_fsm;

/* True, and *to set to the status event ev leads to from status from, when the
 * table allows it (to may be NULL to ask only); false otherwise, out-of-range
 * values included, and *to is left untouched. */
bool sub_fsm_next(enum sub_status from, enum sub_event ev, enum sub_status *to);

/* "draft", "trialing", "active", "past_due", "paused", "canceled", "unpaid";
 * NULL for a value outside the enum (a bug of the caller's). */
const char *sub_status_name(enum sub_status s);
/* The SUB__COUNT names in the enum's order, then NULL: the one table (a
 * parameter spec's PS_ENUM choices read it too). */
extern const char *const sub_status_names[];
/* The inverse of sub_status_name: exact match, -1 for anything else. */
int sub_status_parse(const char *s);
/* "confirm", "confirm_trial", "trial_end", "payment_failed",
 * "payment_succeeded", "mark_unpaid", "pause", "resume", "cancel", "update",
 * for error messages; NULL outside the enum. */
const char *sub_event_name(enum sub_event ev);

#endif
