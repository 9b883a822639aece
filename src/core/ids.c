/* Id encoding: a 4-round Feistel network on the two 32-bit halves, keyed per
 * kind, then fixed-width base62. Changing the keys changes every public id:
 * never do it on a deployed database. */
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

static const char *const prefixes[ID__COUNT] = {
    "prod", "price", "cus", "sub", "si", "in", "il", "ii", "evt", "key", "clock", "usr",
};

static const uint32_t round_keys[4] = {0x9e3779b9u, 0x7f4a7c15u, 0xf39cc060u, 0x5ced3a43u};
static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
#define ID_DIGITS 11

const char *ids_prefix(enum id_kind kind)
{
	return kind < ID__COUNT ? prefixes[kind] : "obj";
}

static uint32_t round_fn(uint32_t x, uint32_t key)
{
	uint32_t h = x ^ key;
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static uint64_t permute(enum id_kind kind, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
	for (int i = 0; i < 4; i++) {
		uint32_t t = r;
		r = l ^ round_fn(r, round_keys[i] + (uint32_t)kind * 0x61c88647u);
		l = t;
	}
	return ((uint64_t)l << 32) | r;
}

static uint64_t unpermute(enum id_kind kind, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
	for (int i = 3; i >= 0; i--) {
		uint32_t t = l;
		l = r ^ round_fn(l, round_keys[i] + (uint32_t)kind * 0x61c88647u);
		r = t;
	}
	return ((uint64_t)l << 32) | r;
}

char *ids_encode(enum id_kind kind, int64_t id, char out[ID_MAX_LEN])
{
	uint64_t v = permute(kind, (uint64_t)id);
	char digits[ID_DIGITS];
	for (int i = ID_DIGITS - 1; i >= 0; i--) {
		digits[i] = alphabet[v % 62];
		v /= 62;
	}
	/* by hand, not snprintf: the billing engine writes three ids per invoice */
	const char *prefix = ids_prefix(kind);
	size_t n = strlen(prefix); /* at most 5: the whole id fits ID_MAX_LEN */
	memcpy(out, prefix, n);
	out[n] = '_';
	memcpy(out + n + 1, digits, ID_DIGITS);
	out[n + 1 + ID_DIGITS] = 0;
	return out;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

bool ids_decode(enum id_kind kind, const char *s, int64_t *id)
{
	if (!s || kind >= ID__COUNT)
		return false;
	size_t plen = strlen(prefixes[kind]);
	if (strncmp(s, prefixes[kind], plen) != 0 || s[plen] != '_')
		return false;
	s += plen + 1;
	if (strlen(s) != ID_DIGITS)
		return false;
	uint64_t v = 0;
	for (int i = 0; i < ID_DIGITS; i++) {
		int d = digit_value(s[i]);
		if (d < 0)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / 62)
			return false;
		v = v * 62 + (uint64_t)d;
	}
	uint64_t raw = unpermute(kind, v);
	if (raw == 0 || raw > (uint64_t)INT64_MAX)
		return false;
	*id = (int64_t)raw;
	return true;
}
