/* Helpers shared by the API tests of billing with test clocks
 * (test_test_clocks.c, test_lifecycle.c): times written as ISO 8601 in the
 * tests, the catalog objects a scenario needs, clocks and their advances.
 * Header-only (static inline, so a test may use only some); everything
 * returned lives until the current test ends (apitest.h). Times are parsed
 * with libc's timegm, not with oneGuard's calendar: the expected values stay
 * independent of the code under test. */
#ifndef OG_TESTS_BILLING_HELPERS_H
#define OG_TESTS_BILLING_HELPERS_H

#include "api/lib/apitest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Unix seconds of "YYYY-MM-DDTHH:MM:SSZ"; fails the test on anything else. */
static inline long long bh_time(const char *iso)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		AT_FAIL(NULL, "bad time in the test: '%s'", iso);
	return (long long)timegm(&tm);
}

/* The ISO 8601 form of t (for messages). */
static inline const char *bh_iso(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return at_fmt("%lld", t);
	return at_strdup(buf);
}

/* The integer at path (fails when absent or not an integer). */
static inline long long bh_int(const struct at_resp *r, const char *path)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_integer(v))
		AT_FAIL(r, "%s is not an integer", path);
	return (long long)json_integer_value(v);
}

/* A timestamp field equal to the ISO time want (or null when want is NULL). */
static inline void bh__expect_time(const char *file, int line, const struct at_resp *r, const char *path,
                                   const char *want)
{
	json_t *v = at_json_path(r->json, path);
	if (!want) {
		if (v && !json_is_null(v))
			at__fail(file, line, r, "%s is set, want null", path);
		return;
	}
	if (!json_is_integer(v))
		at__fail(file, line, r, "%s is not a timestamp, want %s", path, want);
	if (json_integer_value(v) != bh_time(want))
		at__fail(file, line, r, "%s is %s, want %s", path, bh_iso(json_integer_value(v)), want);
}
#define BH_TIME(r, path, want) bh__expect_time(__FILE__, __LINE__, (r), (path), (want))

static inline const char *bh_product(const char *name)
{
	struct at_resp *r = at_post_json("/v1/products", "{\"name\":\"%s\"}", name);
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

/* A recurring usd price; extra is more JSON for "recurring" (may be NULL),
 * e.g. "\"trial_period_days\":14". */
static inline const char *bh_price(const char *product, long long amount, const char *interval, const char *extra)
{
	struct at_resp *r = at_post_json("/v1/prices",
	                                 "{\"product\":\"%s\",\"unit_amount\":%lld,\"currency\":\"usd\","
	                                 "\"recurring\":{\"interval\":\"%s\"%s%s}}",
	                                 product, amount, interval, extra ? "," : "", extra ? extra : "");
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

static inline const char *bh_clock(const char *iso)
{
	struct at_resp *r =
	    at_post_json("/v1/test_helpers/test_clocks", "{\"frozen_time\":%lld,\"name\":\"%s\"}", bh_time(iso), iso);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "clock_");
	return at_str(r, "id");
}

/* A customer on clock (NULL: on real time). */
static inline const char *bh_customer(const char *clock)
{
	struct at_resp *r =
	    clock ? at_post_json("/v1/customers", "{\"name\":\"On a clock\",\"test_clock\":\"%s\"}", clock)
	          : at_post_json("/v1/customers", "{\"name\":\"On real time\"}");
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

/* POST .../advance; the response (not checked). */
static inline struct at_resp *bh_advance_raw(const char *clock, long long t)
{
	return at_post_json(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "{\"frozen_time\":%lld}", t);
}

/* Advances clock to iso and checks the reply: 200, the new time, ready. */
static inline struct at_resp *bh_advance(const char *clock, const char *iso)
{
	struct at_resp *r = bh_advance_raw(clock, bh_time(iso));
	AT_STATUS(r, 200);
	AT_STR(r, "id", clock);
	BH_TIME(r, "frozen_time", iso);
	AT_STR(r, "status", "ready");
	return r;
}

/* The subscription's invoices, newest first (at most 100). */
static inline struct at_resp *bh_invoices_of(const char *sub)
{
	struct at_resp *r = at_get("/v1/invoices?subscription=%s&limit=100", sub);
	AT_STATUS(r, 200);
	if (json_is_true(json_object_get(r->json, "has_more")))
		AT_FAIL(r, "more than 100 invoices: the test does not expect that many");
	return r;
}

static inline size_t bh_count(const struct at_resp *r)
{
	return json_array_size(json_object_get(r->json, "data"));
}

#endif
