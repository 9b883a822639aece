/* Id encoding: a 4-round Feistel network on the two 32-bit halves, then
 * fixed-width base62. The round function is SipHash-2-4 (libsodium's
 * crypto_shorthash, pure computation) keyed with the installation's random
 * key, over the kind, the round number and the half: without the key the
 * permutation is a pseudo-random one, so consecutive rows give unrelated ids
 * and an id says nothing about a row count. Databases created before the key
 * existed (migration 0003) keep the legacy rounds, keyed with constants, so
 * their ids never change. The key is process-wide, set once at start-up
 * (store_ids_key_load) before any thread encodes; encoding without one is a
 * bug and aborts. Changing a database's key changes every public id: never
 * do it. No I/O here. */
#include "core/ids.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static_assert(IDS_KEY_BYTES == crypto_shorthash_KEYBYTES, "the id key is a SipHash key");

static const char *const prefixes[ID__COUNT] = {
    "prod", "price", "cus", "sub", "si", "in", "il", "ii", "evt", "key", "clock", "usr", "audit", "bps", "pm", "cbtxn",
};

enum key_mode { KEY_UNSET, KEY_LEGACY, KEY_SIPHASH };
static enum key_mode key_mode;
static unsigned char siphash_key[IDS_KEY_BYTES];

static const uint32_t legacy_round_keys[4] = {0x9e3779b9u, 0x7f4a7c15u, 0xf39cc060u, 0x5ced3a43u};
static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
#define ID_DIGITS 11
#define N_ROUNDS  4

void ids_set_key(const unsigned char key[IDS_KEY_BYTES])
{
	memcpy(siphash_key, key, IDS_KEY_BYTES);
	key_mode = KEY_SIPHASH;
}

void ids_set_legacy(void)
{
	sodium_memzero(siphash_key, sizeof siphash_key);
	key_mode = KEY_LEGACY;
}

const char *ids_prefix(enum id_kind kind)
{
	return kind < ID__COUNT ? prefixes[kind] : "obj";
}

/* the rounds of databases from before migration 0003: a fixed mixer */
static uint32_t legacy_round(uint32_t x, uint32_t key)
{
	uint32_t h = x ^ key;
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

/* F(kind, round, half): the low 32 bits of SipHash(key, kind || round || half) */
static uint32_t round_fn(enum id_kind kind, int round, uint32_t half)
{
	switch (key_mode) {
	case KEY_SIPHASH: {
		unsigned char in[6] = {(unsigned char)kind,         (unsigned char)round,
		                       (unsigned char)half,         (unsigned char)(half >> 8),
		                       (unsigned char)(half >> 16), (unsigned char)(half >> 24)};
		unsigned char out[crypto_shorthash_BYTES];
		crypto_shorthash(out, in, sizeof in, siphash_key);
		return (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24;
	}
	case KEY_LEGACY:
		return legacy_round(half, legacy_round_keys[round] + (uint32_t)kind * 0x61c88647u);
	case KEY_UNSET:
		break;
	}
	abort(); /* no key: the program encoded an id before store_ids_key_load */
}

static uint64_t permute(enum id_kind kind, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
	for (int i = 0; i < N_ROUNDS; i++) {
		uint32_t t = r;
		r = l ^ round_fn(kind, i, r);
		l = t;
	}
	return ((uint64_t)l << 32) | r;
}

static uint64_t unpermute(enum id_kind kind, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
	for (int i = N_ROUNDS - 1; i >= 0; i--) {
		uint32_t t = l;
		l = r ^ round_fn(kind, i, l);
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
