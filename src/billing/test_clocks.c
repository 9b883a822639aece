/* Test clocks (see test_clocks.h). No SQL here (store/test_clocks.c) and no
 * billing of our own: an advance is the engine's run at the clock's new
 * time (billing/engine.c), in the caller's transaction. Nobody can observe
 * a half-done advance, so the status Stripe calls "advancing" is never
 * seen: a clock is always "ready". The cost is that a very large advance
 * holds the write lock for as long as it runs; test clocks are for tests. */
#include "billing/test_clocks.h"
#include "billing/engine.h"
#include "billing/invoices.h"

enum og_ec billing_test_clock_create(struct billing_ctx *bc, const struct billing_test_clock_create_in *in,
                                     struct og_test_clock *out)
{
	if (in->frozen_time < 1)
		return og_err(bc->err, OG_EC_PARAM_INVALID, "frozen_time",
		              "frozen_time must be a Unix time in seconds after 1970-01-01T00:00:00Z.");
	*out = (struct og_test_clock){
	    .name = in->name && *in->name ? in->name : NULL,
	    .frozen_time = in->frozen_time,
	    .status = TEST_CLOCK_READY,
	    .created = bc->now,
	};
	enum og_ec ec = billing_metadata_apply(bc, NULL, in->metadata, &out->metadata);
	if (ec)
		return ec;
	enum db_rc rc = store_test_clock_insert(bc->db, out);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "test_clock insert");
}

enum og_ec billing_test_clock_get(struct billing_ctx *bc, int64_t id, struct og_test_clock *out)
{
	enum db_rc rc = store_test_clock_get(bc->db, bc->arena, id, out);
	if (rc == DB_DONE)
		return billing_not_found(bc, ID_TEST_CLOCK, "test_clock", id);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "test_clock");
}

enum og_ec billing_test_clock_advance(struct billing_ctx *bc, const struct billing_test_clock_advance_in *in,
                                      struct og_test_clock *out)
{
	enum og_ec ec = billing_test_clock_get(bc, in->clock_id, out);
	if (ec)
		return ec;
	if (in->frozen_time < out->frozen_time)
		return og_err(bc->err, OG_EC_CLOCK_BACKWARDS, "frozen_time",
		              "A test clock cannot move backwards: frozen_time %lld is before the clock's %lld.",
		              (long long)in->frozen_time, (long long)out->frozen_time);
	enum db_rc rc = store_test_clock_set(bc->db, out->id, in->frozen_time, TEST_CLOCK_READY);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "test_clock set");
	struct engine_opts opts = {
	    .now = in->frozen_time,
	    .clock_id = out->id,
	    .invoice_prefix = bc->invoice_prefix,
	    .per_customer_numbers = bc->per_customer_numbers,
	};
	struct engine_stats stats = {0};
	if ((ec = engine_run_in_txn(bc->db, &opts, &stats, bc->err)))
		return ec;
	if (stats.skipped > 0) /* the whole advance rolls back: the clock never stands past unbilled periods */
		return og_err(bc->err, OG_EC_INTERNAL, NULL,
		              "%lld subscription%s on this clock could not be billed; the clock did not move.",
		              (long long)stats.skipped, stats.skipped == 1 ? "" : "s");
	out->frozen_time = in->frozen_time;
	out->status = TEST_CLOCK_READY;
	return OG_EC_NONE;
}

enum og_ec billing_test_clock_delete(struct billing_ctx *bc, const struct billing_test_clock_ref_in *in)
{
	struct og_test_clock c;
	enum og_ec ec = billing_test_clock_get(bc, in->clock_id, &c);
	if (ec)
		return ec;
	int64_t n_customers = 0;
	enum db_rc rc = store_test_clock_count_customers(bc->db, c.id, &n_customers);
	if (rc != DB_ROW)
		return billing_db_error(bc, rc, "test_clock customers");
	if (n_customers > 0)
		return og_err(bc->err, OG_EC_STATE_CONFLICT, NULL,
		              "This test clock still has %lld customer%s; delete them first.", (long long)n_customers,
		              n_customers == 1 ? "" : "s");
	rc = store_test_clock_delete(bc->db, c.id);
	return rc == DB_ROW ? OG_EC_NONE : billing_db_error(bc, rc, "test_clock delete");
}
