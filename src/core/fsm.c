/* The state-machine lookup shared by core/subscription_fsm.c and
 * core/invoice_calc.c: their tables are lists of struct fsm_move, read
 * here and nowhere else. Pure; a linear scan (a table has a few dozen
 * moves). */
#include "core/fsm.h"

#include <string.h>

bool fsm_next(const struct fsm_table *t, int from, int ev, int *to)
{
	if (from < 0 || from >= t->n_states || ev < 0 || ev >= t->n_events)
		return false;
	for (size_t i = 0; i < t->n_moves; i++) {
		if (t->moves[i].from == from && t->moves[i].event == ev) {
			if (to)
				*to = t->moves[i].to;
			return true;
		}
	}
	return false;
}

const char *fsm_state_name(const struct fsm_table *t, int state)
{
	return state >= 0 && state < t->n_states ? t->state_names[state] : NULL;
}

const char *fsm_event_name(const struct fsm_table *t, int ev)
{
	return ev >= 0 && ev < t->n_events ? t->event_names[ev] : NULL;
}

int fsm_state_parse(const struct fsm_table *t, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < t->n_states; i++)
		if (t->state_names[i] && strcmp(name, t->state_names[i]) == 0)
			return i;
	return -1;
}

bool fsm_table_valid(const struct fsm_table *t)
{
	for (size_t i = 0; i < t->n_moves; i++) {
		const struct fsm_move *m = &t->moves[i];
		if (m->from < 0 || m->from >= t->n_states || m->to < 0 || m->to >= t->n_states || m->event < 0 ||
		    m->event >= t->n_events)
			return false;
		for (size_t j = 0; j < i; j++)
			if (t->moves[j].from == m->from && t->moves[j].event == m->event)
				return false;
	}
	for (int i = 0; i < t->n_states; i++)
		if (!t->state_names[i])
			return false;
	for (int i = 0; i < t->n_events; i++)
		if (!t->event_names[i])
			return false;
	return true;
}
