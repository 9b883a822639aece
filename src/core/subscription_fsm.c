/* The one table of subscription transitions. A cell holds the target status
 * plus one, so that the zero an initializer leaves in every cell it does not
 * name means "refused". Canceled has no row: it is final.
 * Side effects of a transition (invoices, events, timestamps) are not here:
 * the callers do them in the same transaction that writes the new status. */
#include "core/subscription_fsm.h"

#include <string.h>

#define TO(status) ((unsigned char)((status) + 1))

/* clang-format off: one row per status reads as the state diagram */
static const unsigned char transitions[SUB__COUNT][SUB_EV__COUNT] = {
    [SUB_DRAFT] =
        {
            [SUB_EV_CONFIRM] = TO(SUB_ACTIVE),
            [SUB_EV_CONFIRM_TRIAL] = TO(SUB_TRIALING),
            [SUB_EV_UPDATE] = TO(SUB_DRAFT),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
        },
    [SUB_TRIALING] =
        {
            [SUB_EV_TRIAL_END] = TO(SUB_ACTIVE),
            [SUB_EV_PAYMENT_FAILED] = TO(SUB_PAST_DUE),
            [SUB_EV_PAUSE] = TO(SUB_PAUSED),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
            [SUB_EV_UPDATE] = TO(SUB_TRIALING),
        },
    [SUB_ACTIVE] =
        {
            [SUB_EV_PAYMENT_FAILED] = TO(SUB_PAST_DUE),
            [SUB_EV_PAUSE] = TO(SUB_PAUSED),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
            [SUB_EV_UPDATE] = TO(SUB_ACTIVE),
        },
    [SUB_PAST_DUE] =
        {
            [SUB_EV_PAYMENT_SUCCEEDED] = TO(SUB_ACTIVE),
            [SUB_EV_MARK_UNPAID] = TO(SUB_UNPAID),
            [SUB_EV_PAUSE] = TO(SUB_PAUSED),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
            [SUB_EV_UPDATE] = TO(SUB_PAST_DUE),
        },
    [SUB_UNPAID] =
        {
            [SUB_EV_PAYMENT_SUCCEEDED] = TO(SUB_ACTIVE),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
        },
    [SUB_PAUSED] =
        {
            [SUB_EV_RESUME] = TO(SUB_ACTIVE),
            [SUB_EV_CANCEL] = TO(SUB_CANCELED),
            [SUB_EV_UPDATE] = TO(SUB_PAUSED),
        },
};
/* clang-format on */

static const char *const status_names[SUB__COUNT] = {
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

bool sub_fsm_next(enum sub_status from, enum sub_event ev, enum sub_status *to)
{
	if ((unsigned)from >= SUB__COUNT || (unsigned)ev >= SUB_EV__COUNT)
		return false;
	unsigned char cell = transitions[from][ev];
	if (cell == 0)
		return false;
	if (to)
		*to = (enum sub_status)(cell - 1);
	return true;
}

const char *sub_status_name(enum sub_status s)
{
	return (unsigned)s < SUB__COUNT ? status_names[s] : NULL;
}

int sub_status_parse(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < SUB__COUNT; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *sub_event_name(enum sub_event ev)
{
	return (unsigned)ev < SUB_EV__COUNT ? event_names[ev] : NULL;
}
