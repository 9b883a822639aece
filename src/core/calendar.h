/* UTC calendar and billing periods. Timestamps are int64_t Unix seconds (no
 * leap seconds), proleptic Gregorian calendar, always UTC: per-customer time
 * zones are a later feature and will convert at the edges, not here.
 *
 * Billing periods. A subscription has an anchor (a timestamp) and an interval
 * (count x day|week|month|year). Boundary n is n*count intervals after the
 * anchor, always computed FROM THE ANCHOR, never from the previous boundary,
 * so a short month does not shorten every later period:
 *   - day and week: exact multiples of 86400 and 604800 seconds;
 *   - month and year: the anchor's month moved on by n*count (x12 for years),
 *     the anchor's day clamped to that month's length, the anchor's time of
 *     day kept. Jan 31 monthly: Feb 28 (29 in leap years), Mar 31, Apr 30...
 *     Feb 29 yearly: Feb 28 in common years, Feb 29 in leap years.
 * Period n is [boundary(n), boundary(n+1)).
 *
 * Domain: years 0000..9999 (what the ISO 8601 form below can write), i.e.
 * [CAL_TIME_MIN, CAL_TIME_MAX]. Functions that cannot fit their answer in it
 * say so: CAL_TIME_INVALID, -1 or false, as documented on each.
 * Pure: no I/O, no allocation, no time(); "now" is always an argument. */
#ifndef OG_CALENDAR_H
#define OG_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_TIME_MIN     INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define CAL_TIME_MAX     INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define CAL_TIME_INVALID INT64_MIN             /* "no such time": see cal_boundary */
#define CAL_DAY_SECONDS  86400
#define CAL_WEEK_SECONDS 604800

enum cal_interval { CAL_DAY, CAL_WEEK, CAL_MONTH, CAL_YEAR };

/* "day", "week", "month", "year" -> the enum; -1 for anything else (NULL too). */
int cal_interval_parse(const char *s);
/* The name above; NULL for a value outside the enum (a bug of the caller's). */
const char *cal_interval_name(enum cal_interval iv);
/* The names in enum cal_interval's order, then NULL: the one table (a
 * parameter spec's PS_ENUM choices read it too). */
extern const char *const cal_interval_names[];
/* Stripe's limit, at most one year: 1 <= count and day <= 365, week <= 52,
 * month <= 12, year == 1. */
bool cal_interval_count_valid(enum cal_interval iv, int64_t count);

/* Boundary n (n >= 0; boundary 0 is the anchor), as described above.
 * Works for any count >= 1 (the API limits it with cal_interval_count_valid).
 * Returns CAL_TIME_INVALID when iv is not an interval, count < 1, n < 0, the
 * anchor is outside [CAL_TIME_MIN, CAL_TIME_MAX] or the boundary is after
 * CAL_TIME_MAX. */
int64_t cal_boundary(int64_t anchor, enum cal_interval iv, int count, int64_t n);

/* The period [*start, *end) that holds t, and its number *index: the largest
 * n >= 0 with boundary(n) <= t, or n = 0 when t is before the anchor (so
 * *start may then be after t). Constant time: n is estimated arithmetically
 * and corrected by at most one step, whatever the distance to the anchor.
 * When cal_boundary would fail for n or n + 1 (bad arguments, or the period
 * ends after CAL_TIME_MAX), *start = *end = CAL_TIME_INVALID and *index = -1. */
void cal_period_at(int64_t anchor, enum cal_interval iv, int count, int64_t t, int64_t *start, int64_t *end,
                   int64_t *index);

/* Seconds since the epoch of a UTC civil time (Howard Hinnant's
 * days_from_civil, no timegm). Any int values are accepted without overflow:
 * month is normalized into the year (month 13 is January of the next year,
 * month 0 December of the previous one) and day, hour, minute and second add
 * linearly (day 0 is the last day of the previous month). */
int64_t cal_from_civil(int year, int month, int day, int hour, int minute, int second);

struct cal_civil {
	int year, month, day;     /* month 1..12, day 1..31 */
	int hour, minute, second; /* 0..23, 0..59, 0..59 */
	int weekday;              /* 0 = Sunday .. 6 = Saturday, as struct tm */
};

/* The UTC civil time of t; t is first clamped to [CAL_TIME_MIN, CAL_TIME_MAX]. */
void cal_to_civil(int64_t t, struct cal_civil *out);

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (20 characters, uppercase T and Z, no
 * offset, no fraction) naming a real date and time (second 60 is refused).
 * False, *out untouched, for anything else. */
bool cal_parse_iso8601(const char *s, int64_t *out);
/* Writes t in that form; returns what snprintf returns (20 when it fits in
 * n >= 21), or -1 with buf set to "" when t is outside the domain. */
int cal_format_iso8601(int64_t t, char *buf, size_t n);

/* 28..31; 0 when month is not 1..12. */
int cal_days_in_month(int year, int month);
bool cal_is_leap(int year);

#endif
