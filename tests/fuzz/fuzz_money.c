/* Fuzzes the checked money operations against __int128 reference math. The
 * input is read as an operation selector byte, then little-endian int64
 * operands (three, zero-padded). Each of money_add/sub/neg/mul/muldiv must
 * return true with the exact (for muldiv: rounded half away from zero) result
 * exactly when that result fits in int64_t, and leave *out untouched
 * otherwise. money_format is run into heap buffers of every small size (ASan
 * catches any write past n) and checked against a reference rendering. */
#include "core/currency.h"
#include "core/money.h"
#include "fuzz.h"

#include <inttypes.h>
#include <string.h>

#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a5a5a)

static bool fits(__int128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

static void check(bool ok, int64_t out, __int128 want, bool want_ok)
{
	FUZZ_CHECK(ok == want_ok);
	if (ok)
		FUZZ_CHECK((__int128)out == want);
	else
		FUZZ_CHECK(out == UNTOUCHED);
}

/* a * b / c rounded half away from zero; *ok false when c <= 0 */
static __int128 ref_muldiv(int64_t a, int64_t b, int64_t c, bool *ok)
{
	*ok = c > 0;
	if (!*ok)
		return 0;
	__int128 p = (__int128)a * b;
	__int128 q = p / c, r = p % c;
	__int128 ar = r < 0 ? -r : r;
	if (2 * ar >= c)
		q += p < 0 ? -1 : 1;
	return q;
}

static void check_format(int64_t amount, const struct currency *cur)
{
	/* the reference text */
	char want[64];
	uint64_t mag = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
	char code[4];
	for (int i = 0; i < 3; i++)
		code[i] = (char)(cur->code[i] - 'a' + 'A');
	code[3] = 0;
	int wn;
	if (cur->exponent == 0) {
		wn = snprintf(want, sizeof want, "%s%" PRIu64 " %s", amount < 0 ? "-" : "", mag, code);
	} else {
		uint64_t scale = 1;
		for (int i = 0; i < cur->exponent; i++)
			scale *= 10;
		wn = snprintf(want, sizeof want, "%s%" PRIu64 ".%0*" PRIu64 " %s", amount < 0 ? "-" : "", mag / scale,
		              cur->exponent, mag % scale, code);
	}
	FUZZ_CHECK(wn > 0 && (size_t)wn < sizeof want);
	for (size_t n = 0; n <= (size_t)wn + 1; n++) {
		char *buf = n ? malloc(n) : NULL;
		FUZZ_CHECK(!n || buf);
		int r = money_format(amount, cur->code, buf, n);
		FUZZ_CHECK(r == wn);
		if (n > 0) {
			size_t len = strlen(buf); /* NUL-terminated within n, or ASan reports */
			FUZZ_CHECK(len == ((size_t)wn < n ? (size_t)wn : n - 1));
			FUZZ_CHECK(memcmp(buf, want, len) == 0);
		}
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	int64_t v[3] = {0, 0, 0};
	size_t rest = size - 1 < sizeof v ? size - 1 : sizeof v;
	memcpy(v, data + 1, rest);
	int64_t a = v[0], b = v[1], c = v[2];
	int64_t out;
	__int128 want;
	bool ok, ref_ok; /* the call before reading out: argument order is unspecified */

	out = UNTOUCHED;
	want = (__int128)a + b;
	ok = money_add(a, b, &out);
	check(ok, out, want, fits(want));
	out = UNTOUCHED;
	want = (__int128)a - b;
	ok = money_sub(a, b, &out);
	check(ok, out, want, fits(want));
	out = UNTOUCHED;
	want = -(__int128)a;
	ok = money_neg(a, &out);
	check(ok, out, want, fits(want));
	out = UNTOUCHED;
	want = (__int128)a * b;
	ok = money_mul(a, b, &out);
	check(ok, out, want, fits(want));
	out = UNTOUCHED;
	want = ref_muldiv(a, b, c, &ref_ok);
	ok = money_muldiv(a, b, c, &out);
	check(ok, out, want, ref_ok && fits(want));
	/* small divisors too: raw bytes rarely give c in 1..1000 */
	int64_t small = (int64_t)(sel % 200) + 1;
	out = UNTOUCHED;
	want = ref_muldiv(a, b, small, &ref_ok);
	ok = money_muldiv(a, b, small, &out);
	check(ok, out, want, ref_ok && fits(want));

	/* money_format: the currency from sel, the amount a (and the edges) */
	size_t nc = currency_count();
	FUZZ_CHECK(nc > 0);
	const struct currency *cur = currency_at(sel % nc);
	FUZZ_CHECK(cur && currency_find(cur->code) == cur);
	check_format(a, cur);
	if (sel & 0x80) {
		check_format(INT64_MIN, cur);
		check_format(INT64_MAX, cur);
	}
	/* unknown currencies: -1 and "" */
	char buf[8] = "xxxxxxx";
	char code[4] = {(char)(b & 0x7f), (char)((b >> 8) & 0x7f), (char)((b >> 16) & 0x7f), 0};
	int r = money_format(a, code, buf, sizeof buf);
	if (!currency_find(code))
		FUZZ_CHECK(r == -1 && buf[0] == 0);
	FUZZ_CHECK(money_format(a, cur->code, NULL, 0) >= 0);
	return 0;
}
