/* Test clocks as service functions: a frozen "now" that customers created
 * with `test_clock` (and their subscriptions) live at; advancing one runs
 * the billing engine for its subscriptions inside the caller's transaction
 * (engine_run_in_txn), so an advance either happens whole (time moved,
 * every period billed) or not at all. The API handlers
 * (src/api/test_clocks.c) call these; whether the server allows test clocks
 * at all is theirs to check. Nothing here knows HTTP.
 *
 * A clock never moves backwards; advancing to its current time moves
 * nothing and bills whatever is due then. A clock that a live customer uses
 * cannot be deleted (409). */
#ifndef OG_BILLING_TEST_CLOCKS_H
#define OG_BILLING_TEST_CLOCKS_H

#include "billing/service.h"

#define BILLING_TEST_CLOCK_NAME_MAX 300

struct billing_test_clock_create_in {
	int64_t frozen_time; /* >= 1 */
	const char *name;    /* NULL or "": none */
	json_t *metadata;
};
enum og_ec billing_test_clock_create(struct billing_ctx *bc, const struct billing_test_clock_create_in *in,
                                     struct og_test_clock *out);

/* Reads clock id; a missing one is 404 naming "id". */
enum og_ec billing_test_clock_get(struct billing_ctx *bc, int64_t id, struct og_test_clock *out);

struct billing_test_clock_advance_in {
	int64_t clock_id;
	int64_t frozen_time; /* >= the clock's frozen time (400 test_clock_backwards naming frozen_time) */
};
/* Moves the clock and bills every subscription on it up to the new time.
 * When a subscription cannot be billed the whole advance fails (500, the
 * caller rolls back): the clock never stands past unbilled periods. */
enum og_ec billing_test_clock_advance(struct billing_ctx *bc, const struct billing_test_clock_advance_in *in,
                                      struct og_test_clock *out);

struct billing_test_clock_ref_in {
	int64_t clock_id;
};
/* Deletes a clock no customer uses (409 naming how many do). */
enum og_ec billing_test_clock_delete(struct billing_ctx *bc, const struct billing_test_clock_ref_in *in);

#endif
