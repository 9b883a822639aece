/* One shape for every state machine (subscriptions, invoices): a constant
 * list of allowed moves (from-state, event, to-state) with the names of the
 * states and events, and one lookup. A (state, event) pair the list does not
 * name is refused. States and events are small enum values, 0..n-1. */
#ifndef OG_FSM_H
#define OG_FSM_H

#include <stdbool.h>
#include <stddef.h>

struct fsm_move {
	int from;
	int event;
	int to;
};

struct fsm_table {
	const struct fsm_move *moves;
	size_t n_moves;
	const char *const *state_names; /* n_states names, the wire and database spellings */
	int n_states;
	const char *const *event_names; /* n_events names, for error messages */
	int n_events;
};

/* True, and *to set (to may be NULL to ask only), when t allows event ev
 * from state from; false otherwise, out-of-range values included, *to
 * untouched. */
bool fsm_next(const struct fsm_table *t, int from, int ev, int *to);

/* A state's or an event's name; NULL outside the table's range. */
const char *fsm_state_name(const struct fsm_table *t, int state);
const char *fsm_event_name(const struct fsm_table *t, int ev);
/* The inverse of fsm_state_name: exact match, -1 for anything else (NULL
 * included). */
int fsm_state_parse(const struct fsm_table *t, const char *name);

/* True when every move is in range and no (from, event) pair is listed
 * twice (a table the tests check once). */
bool fsm_table_valid(const struct fsm_table *t);

#endif
