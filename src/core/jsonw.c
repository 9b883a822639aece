/* The streaming JSON writer (see jsonw.h). A flat buffer that doubles when
 * full, a small stack of "a value was written at this depth" flags for the
 * commas, and an escape table built to reproduce jansson's compact output.
 * Nothing here allocates per value: strings are copied in runs between the
 * characters that need escaping, integers are formatted by hand. */
#include "core/jsonw.h"
#include "core/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define JSONW_DEFAULT_CAP 1024

/* For each byte: 0 copies it as is; otherwise the letter after the backslash
 * ('u' for \u00XX). Exactly jansson's set: '"', '\\' and bytes below 0x20. */
static const char escape_of[256] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\',
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u', [0x06] = 'u',
    [0x07] = 'u', [0x0B] = 'u', [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u',
    [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u',
    [0x1A] = 'u', [0x1B] = 'u', [0x1C] = 'u', [0x1D] = 'u', [0x1E] = 'u', [0x1F] = 'u',
};

static const char hex_upper[] = "0123456789ABCDEF";

void jsonw_init(struct og_jsonw *w, struct og_arena *arena, size_t initial_cap)
{
	memset(w, 0, sizeof *w);
	w->arena = arena;
	w->cap = initial_cap ? initial_cap : JSONW_DEFAULT_CAP;
	w->buf = arena ? arena_alloc(arena, w->cap) : xmalloc(w->cap);
	w->buf[0] = 0;
}

void jsonw_free(struct og_jsonw *w)
{
	if (!w->arena)
		free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void jsonw_reset(struct og_jsonw *w)
{
	struct og_arena *arena = w->arena;
	char *buf = w->buf;
	size_t cap = w->cap;
	memset(w, 0, sizeof *w);
	w->arena = arena;
	w->buf = buf;
	w->cap = cap;
	if (buf)
		buf[0] = 0;
}

/* Room for n more bytes plus the final NUL. */
static char *reserve(struct og_jsonw *w, size_t n)
{
	if (w->cap - w->len <= n) {
		size_t cap = w->cap ? w->cap : JSONW_DEFAULT_CAP;
		while (cap - w->len <= n)
			cap *= 2;
		if (w->arena) {
			char *fresh = arena_alloc(w->arena, cap);
			memcpy(fresh, w->buf, w->len);
			w->buf = fresh;
		} else {
			w->buf = xrealloc(w->buf, cap);
		}
		w->cap = cap;
	}
	return w->buf + w->len;
}

static void put(struct og_jsonw *w, const char *s, size_t n)
{
	memcpy(reserve(w, n), s, n);
	w->len += n;
}

static void put_char(struct og_jsonw *w, char c)
{
	*reserve(w, 1) = c;
	w->len++;
}

/* Before any value: the comma between array elements, or nothing after a key. */
static void value_start(struct og_jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	assert(!w->is_object[w->depth] && "an object member needs jsonw_key first");
	assert((w->depth > 0 || !w->has_member[0]) && "one top-level value only");
	if (w->has_member[w->depth])
		put_char(w, ',');
	w->has_member[w->depth] = true;
}

static void put_string(struct og_jsonw *w, const char *s, size_t n)
{
	/* worst case every byte becomes \u00XX: reserve once, write directly */
	char *out = reserve(w, n * 6 + 2), *start = out;
	*out++ = '"';
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && !escape_of[*p])
			p++;
		memcpy(out, run, (size_t)(p - run));
		out += p - run;
		if (p == end)
			break;
		char e = escape_of[*p];
		*out++ = '\\';
		*out++ = e;
		if (e == 'u') {
			*out++ = '0';
			*out++ = '0';
			*out++ = hex_upper[*p >> 4];
			*out++ = hex_upper[*p & 15];
		}
		p++;
	}
	*out++ = '"';
	w->len += (size_t)(out - start);
}

size_t jsonw_escape(char *out, size_t size, const char *s)
{
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		char e = escape_of[*p];
		size_t need = e == 0 ? 1 : e == 'u' ? 6 : 2;
		if (e == 0 && *p >= 0xC0) { /* a UTF-8 lead byte: the whole character fits or none of it */
			size_t n = 1;
			while ((p[n] & 0xC0) == 0x80)
				n++;
			need = n;
		}
		if (j + need >= size)
			break;
		if (e == 0) {
			memcpy(out + j, p, need);
			p += need - 1;
		} else {
			out[j] = '\\';
			out[j + 1] = e;
			if (e == 'u') {
				out[j + 2] = '0';
				out[j + 3] = '0';
				out[j + 4] = hex_upper[*p >> 4];
				out[j + 5] = hex_upper[*p & 15];
			}
		}
		j += need;
	}
	out[j] = 0;
	return j;
}

static void push(struct og_jsonw *w, bool is_object)
{
	value_start(w);
	assert(w->depth < JSONW_MAX_DEPTH && "JSON nested too deep");
	w->depth++;
	w->has_member[w->depth] = false;
	w->is_object[w->depth] = is_object;
	put_char(w, is_object ? '{' : '[');
}

static void pop(struct og_jsonw *w, bool is_object)
{
	assert(w->depth > 0 && w->is_object[w->depth] == is_object && !w->after_key && "unbalanced end");
	w->depth--;
	put_char(w, is_object ? '}' : ']');
}

void jsonw_object_begin(struct og_jsonw *w)
{
	push(w, true);
}

void jsonw_object_end(struct og_jsonw *w)
{
	pop(w, true);
}

void jsonw_array_begin(struct og_jsonw *w)
{
	push(w, false);
}

void jsonw_array_end(struct og_jsonw *w)
{
	pop(w, false);
}

void jsonw_key(struct og_jsonw *w, const char *key)
{
	assert(w->depth > 0 && w->is_object[w->depth] && !w->after_key && "a key outside an object");
	if (w->has_member[w->depth])
		put_char(w, ',');
	w->has_member[w->depth] = true;
	put_string(w, key, strlen(key));
	put_char(w, ':');
	w->after_key = true;
}

void jsonw_stringn(struct og_jsonw *w, const char *s, size_t n)
{
	value_start(w);
	put_string(w, s, n);
}

void jsonw_string(struct og_jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_stringn(w, s, strlen(s));
}

void jsonw_int64(struct og_jsonw *w, int64_t v)
{
	value_start(w);
	char digits[20];
	int n = 0;
	/* through uint64_t so that INT64_MIN negates without overflow */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	char *out = reserve(w, (size_t)n + 1);
	size_t len = 0;
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = digits[--n];
	w->len += len;
}

void jsonw_bool(struct og_jsonw *w, bool v)
{
	value_start(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jsonw_null(struct og_jsonw *w)
{
	value_start(w);
	put(w, "null", 4);
}

void jsonw_raw(struct og_jsonw *w, const char *text)
{
	value_start(w);
	put(w, text, strlen(text));
}

void jsonw_key_string(struct og_jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_string(w, s);
}

void jsonw_key_int64(struct og_jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int64(w, v);
}

void jsonw_key_bool(struct og_jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void jsonw_key_null(struct og_jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_null(w);
}

void jsonw_key_raw(struct og_jsonw *w, const char *key, const char *text)
{
	jsonw_key(w, key);
	jsonw_raw(w, text);
}

const char *jsonw_text(const struct og_jsonw *w, size_t *len)
{
	if (len)
		*len = w->len;
	if (!w->buf)
		return "";
	w->buf[w->len] = 0; /* cap > len: always room */
	return w->buf;
}

char *jsonw_take(struct og_jsonw *w, size_t *len)
{
	if (!w->buf) {
		if (len)
			*len = 0;
		return NULL;
	}
	char *text = (char *)jsonw_text(w, len);
	if (!w->arena) {
		w->buf = NULL;
		w->len = w->cap = 0;
	}
	return text;
}
