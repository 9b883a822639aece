/* The one table of subscription transitions, in the shape every state
 * machine shares (core/fsm.h: a list of from-state, event, to-state moves;
 * a pair not listed is refused). Canceled has no moves: it is final.
 * Side effects of a transition (invoices, events, timestamps) are not here:
 * the callers do them in the same transaction that writes the new status. */
#include "core/subscription_fsm.h"
#include "core/fsm.h"

/* clang-format off: one line per move, grouped by status, reads as the state diagram */
static const struct fsm_move moves[] = {
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
/* clang-format on */

/* NULL-terminated: a parameter spec's PS_ENUM choices read it too */
const char *const sub_status_names[SUB__COUNT + 1] = {
    [SUB_DRAFT] = "draft",   [SUB_TRIALING] = "trialing", [SUB_ACTIVE] = "active", [SUB_PAST_DUE] = "past_due",
    [SUB_PAUSED] = "paused", [SUB_CANCELED] = "canceled", [SUB_UNPAID] = "unpaid",
};

static const char *const event_names[SUB_EV__COUNT] = {
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

const struct fsm_table sub_fsm = {
    .moves = moves,
    .n_moves = sizeof moves / sizeof moves[0],
    .state_names = sub_status_names,
    .n_states = SUB__COUNT,
    .event_names = event_names,
    .n_events = SUB_EV__COUNT,
};

bool sub_fsm_next(enum sub_status from, enum sub_event ev, enum sub_status *to)
{
	int next;
	if (!fsm_next(&sub_fsm, (int)from, (int)ev, &next))
		return false;
	if (to)
		*to = (enum sub_status)next;
	return true;
}

const char *sub_status_name(enum sub_status s)
{
	return fsm_state_name(&sub_fsm, (int)s);
}

int sub_status_parse(const char *s)
{
	return fsm_state_parse(&sub_fsm, s);
}

const char *sub_event_name(enum sub_event ev)
{
	return fsm_event_name(&sub_fsm, (int)ev);
}
