/* UTC civil time and billing period boundaries (rules in calendar.h).
 * Civil conversions are Howard Hinnant's days_from_civil/civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html): exact integer
 * arithmetic, no timegm, no time zone database, no loops over years.
 * Invariants: every timestamp this file returns lies in
 * [CAL_TIME_MIN, CAL_TIME_MAX] or is CAL_TIME_INVALID; month and year
 * boundaries are computed from the anchor, so clamping never accumulates. */
#include "core/calendar.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define CAL_YEAR_MAX 9999

const char *const cal_interval_names[] = {"day", "week", "month", "year", NULL};
#define N_INTERVALS (sizeof cal_interval_names / sizeof cal_interval_names[0] - 1)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool cal_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int cal_days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	return month == 2 && cal_is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to year-month-01, month already in 1..12. */
static int64_t days_from_civil(int64_t year, int month)
{
	year -= month <= 2;
	int64_t era = floor_div(year, 400);
	int64_t yoe = year - era * 400;                                    /* [0, 399] */
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

int64_t cal_from_civil(int year, int month, int day, int hour, int minute, int second)
{
	/* every intermediate fits in int64 for any int arguments: |days| < 2^40 */
	int64_t month0 = (int64_t)month - 1;
	int64_t full_year = year + floor_div(month0, 12);
	int normal_month = (int)(month0 - floor_div(month0, 12) * 12) + 1;
	int64_t days = days_from_civil(full_year, normal_month) + day - 1;
	return days * CAL_DAY_SECONDS + (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
}

static void civil_from_days(int64_t z, struct cal_civil *out)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = (int)(yoe + era * 400 + (out->month <= 2));
}

void cal_to_civil(int64_t t, struct cal_civil *out)
{
	if (t < CAL_TIME_MIN)
		t = CAL_TIME_MIN;
	if (t > CAL_TIME_MAX)
		t = CAL_TIME_MAX;
	int64_t days = floor_div(t, CAL_DAY_SECONDS);
	int64_t secs = t - days * CAL_DAY_SECONDS;
	civil_from_days(days, out);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	/* 1970-01-01 was a Thursday (4) */
	out->weekday = (int)(days + 4 - floor_div(days + 4, 7) * 7);
}

int cal_interval_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < N_INTERVALS; i++)
		if (strcmp(s, cal_interval_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *cal_interval_name(enum cal_interval iv)
{
	return (unsigned)iv < N_INTERVALS ? cal_interval_names[iv] : NULL;
}

bool cal_interval_count_valid(enum cal_interval iv, int64_t count)
{
	/* one year at most, as Stripe allows */
	static const int64_t max_count[] = {[CAL_DAY] = 365, [CAL_WEEK] = 52, [CAL_MONTH] = 12, [CAL_YEAR] = 1};
	return (unsigned)iv < N_INTERVALS && count >= 1 && count <= max_count[iv];
}

static bool in_domain(int64_t t)
{
	return t >= CAL_TIME_MIN && t <= CAL_TIME_MAX;
}

static bool period_args_valid(int64_t anchor, enum cal_interval iv, int count)
{
	return (unsigned)iv < N_INTERVALS && count >= 1 && in_domain(anchor);
}

/* One step of count intervals: in seconds for days and weeks, in months for
 * months and years. iv is valid (period_args_valid). */
static int64_t step_length(enum cal_interval iv, int count)
{
	static const int64_t unit[] = {
	    [CAL_DAY] = CAL_DAY_SECONDS, [CAL_WEEK] = CAL_WEEK_SECONDS, [CAL_MONTH] = 1, [CAL_YEAR] = 12};
	return unit[iv] * count;
}

static bool is_month_based(enum cal_interval iv)
{
	return iv == CAL_MONTH || iv == CAL_YEAR;
}

/* Months since year 0, January: a linear month index. */
static int64_t month_index(const struct cal_civil *c)
{
	return (int64_t)c->year * 12 + c->month - 1;
}

static int64_t add_seconds(int64_t anchor, int64_t seconds_per_step, int64_t n)
{
	int64_t span;
	if (__builtin_mul_overflow(seconds_per_step, n, &span) || span > CAL_TIME_MAX - anchor)
		return CAL_TIME_INVALID;
	return anchor + span;
}

static int64_t add_months(int64_t anchor, int64_t months_per_step, int64_t n)
{
	struct cal_civil a;
	cal_to_civil(anchor, &a);
	int64_t months, target;
	const int64_t last_index = (int64_t)CAL_YEAR_MAX * 12 + 11;
	if (__builtin_mul_overflow(months_per_step, n, &months) || months > last_index - month_index(&a))
		return CAL_TIME_INVALID;
	target = month_index(&a) + months;
	int year = (int)(target / 12), month = (int)(target % 12) + 1;
	int day = a.day < cal_days_in_month(year, month) ? a.day : cal_days_in_month(year, month);
	int64_t t = cal_from_civil(year, month, day, a.hour, a.minute, a.second);
	/* the target month is at most 9999-12 and the time of day under a day */
	assert(in_domain(t));
	return t;
}

int64_t cal_boundary(int64_t anchor, enum cal_interval iv, int count, int64_t n)
{
	if (!period_args_valid(anchor, iv, count) || n < 0)
		return CAL_TIME_INVALID;
	int64_t step = step_length(iv, count);
	return is_month_based(iv) ? add_months(anchor, step, n) : add_seconds(anchor, step, n);
}

/* The period number of t, or one more: exact for days and weeks; for months
 * and years it counts whole steps of calendar months between the anchor's
 * month and t's, which overshoots by one when t falls in a boundary's month
 * before that boundary's clamped day and time. t is in [anchor, CAL_TIME_MAX]. */
static int64_t estimate_index(int64_t anchor, enum cal_interval iv, int count, int64_t t)
{
	int64_t step = step_length(iv, count);
	if (!is_month_based(iv))
		return (t - anchor) / step;
	struct cal_civil a, c;
	cal_to_civil(anchor, &a);
	cal_to_civil(t, &c);
	return (month_index(&c) - month_index(&a)) / step;
}

static void period_invalid(int64_t *start, int64_t *end, int64_t *index)
{
	*start = *end = CAL_TIME_INVALID;
	*index = -1;
}

void cal_period_at(int64_t anchor, enum cal_interval iv, int count, int64_t t, int64_t *start, int64_t *end,
                   int64_t *index)
{
	/* past CAL_TIME_MAX the period holding t would end outside the domain */
	if (!period_args_valid(anchor, iv, count) || t > CAL_TIME_MAX) {
		period_invalid(start, end, index);
		return;
	}
	int64_t n = t < anchor ? 0 : estimate_index(anchor, iv, count, t);
	int64_t s = cal_boundary(anchor, iv, count, n);
	if (s > t && n > 0)
		s = cal_boundary(anchor, iv, count, --n);
	int64_t e = cal_boundary(anchor, iv, count, n + 1);
	if (e == CAL_TIME_INVALID) {
		period_invalid(start, end, index);
		return;
	}
	assert(s != CAL_TIME_INVALID && t < e && (s <= t || n == 0));
	*start = s;
	*end = e;
	*index = n;
}

/* Matches s against pat, where 'd' stands for one ASCII digit and any other
 * character for itself; both must end together. */
static bool match_pattern(const char *s, const char *pat)
{
	for (; *pat; s++, pat++) {
		if (*pat == 'd' ? (*s < '0' || *s > '9') : *s != *pat)
			return false;
	}
	return *s == '\0';
}

static int digits_at(const char *s, int pos, int len)
{
	int v = 0;
	for (int i = pos; i < pos + len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool cal_parse_iso8601(const char *s, int64_t *out)
{
	if (!s || !match_pattern(s, "dddd-dd-ddTdd:dd:ddZ"))
		return false;
	int year = digits_at(s, 0, 4), month = digits_at(s, 5, 2), day = digits_at(s, 8, 2);
	int hour = digits_at(s, 11, 2), minute = digits_at(s, 14, 2), second = digits_at(s, 17, 2);
	if (month < 1 || month > 12 || day < 1 || day > cal_days_in_month(year, month) || hour > 23 || minute > 59 ||
	    second > 59)
		return false;
	*out = cal_from_civil(year, month, day, hour, minute, second);
	return true;
}

int cal_format_iso8601(int64_t t, char *buf, size_t n)
{
	if (!in_domain(t) || (!buf && n > 0)) {
		if (buf && n > 0)
			buf[0] = '\0';
		return -1;
	}
	struct cal_civil c;
	cal_to_civil(t, &c);
	return snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
}
