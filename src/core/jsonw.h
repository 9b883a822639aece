/* A streaming JSON writer: appends compact JSON text to a growable buffer,
 * for the hot read paths that would otherwise build a jansson tree only to
 * dump it (an object, strdup'd keys and values per field; see
 * docs/internals/http.md). Pure: no I/O.
 *
 * The writer places the commas: call jsonw_key before each member value in an
 * object, and the value calls (jsonw_string, jsonw_int64, ..., or
 * jsonw_object_begin/jsonw_array_begin for a nested value) in order. The
 * jsonw_key_* shorthands write a member in one call.
 *
 * Output matches jansson's json_dumps(JSON_COMPACT) of the same values
 * byte for byte: strings escape '"', '\\', \b \f \n \r \t and the other
 * control characters as \u00XX (upper-case hex); '/' and bytes >= 0x7F pass
 * through, so UTF-8 text is copied as is. Strings must be valid UTF-8 (what
 * the request parsers admit); the writer does not check it. jsonw_raw copies
 * text that must already be one complete JSON value (stored compact JSON such
 * as metadata).
 *
 * Ownership: with an arena the buffer lives in it (growth abandons the old
 * buffer there; at most about twice the final size) and dies with it; without
 * one (NULL) the buffer is heap memory that jsonw_free releases, or that
 * jsonw_take hands to the caller (free() it).
 *
 * Misuse (a value where a key is due, unbalanced ends, nesting deeper than
 * JSONW_MAX_DEPTH) is a bug in the caller and is caught by assert(). */
#ifndef OG_JSONW_H
#define OG_JSONW_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_MAX_DEPTH 32

struct og_jsonw {
	struct og_arena *arena; /* NULL: heap buffer */
	char *buf;
	size_t len, cap; /* cap > len always: room for the final NUL */
	int depth;
	bool has_member[JSONW_MAX_DEPTH + 1]; /* at each depth: a value written, the next needs a comma */
	bool is_object[JSONW_MAX_DEPTH + 1];
	bool after_key; /* a key was written, its value is due */
};

/* Starts an empty document with room for initial_cap bytes (0: a default). */
void jsonw_init(struct og_jsonw *w, struct og_arena *arena, size_t initial_cap);
/* Heap mode: frees the buffer (a no-op in arena mode and after jsonw_take). */
void jsonw_free(struct og_jsonw *w);
/* Empties the document and keeps the buffer, to write the next one in it
 * (the billing engine renders one event after another this way). Text from
 * jsonw_text is overwritten: copy it first. */
void jsonw_reset(struct og_jsonw *w);

void jsonw_object_begin(struct og_jsonw *w);
void jsonw_object_end(struct og_jsonw *w);
void jsonw_array_begin(struct og_jsonw *w);
void jsonw_array_end(struct og_jsonw *w);
/* An object member's name; its value comes next. */
void jsonw_key(struct og_jsonw *w, const char *key);

/* A string value; NULL writes null (as the renderers' api_str does). */
void jsonw_string(struct og_jsonw *w, const char *s);
void jsonw_stringn(struct og_jsonw *w, const char *s, size_t n);
void jsonw_int64(struct og_jsonw *w, int64_t v);
void jsonw_bool(struct og_jsonw *w, bool v);
void jsonw_null(struct og_jsonw *w);
/* Pre-rendered JSON: text must be one complete, valid JSON value. */
void jsonw_raw(struct og_jsonw *w, const char *text);

/* key + value in one call */
void jsonw_key_string(struct og_jsonw *w, const char *key, const char *s);
void jsonw_key_int64(struct og_jsonw *w, const char *key, int64_t v);
void jsonw_key_bool(struct og_jsonw *w, const char *key, bool v);
void jsonw_key_null(struct og_jsonw *w, const char *key);
void jsonw_key_raw(struct og_jsonw *w, const char *key, const char *text);

/* Escapes s as the inside of a JSON string (no quotes), with the writer's
 * escapes, into out[size] (size >= 1), NUL-terminated. What does not fit is
 * left out whole: never half an escape nor half a UTF-8 character. Returns
 * the length written. For text inside a hand-built JSON line (the logger). */
size_t jsonw_escape(char *out, size_t size, const char *s);

/* The NUL-terminated text so far (borrowed: valid until the next write or
 * jsonw_free); *len (may be NULL) gets its length. A complete document when
 * every begin has had its end. */
const char *jsonw_text(const struct og_jsonw *w, size_t *len);
/* Heap mode: hands the buffer to the caller (free() it) and leaves w empty
 * (a second take gives NULL).
 * Arena mode: the arena's text, as jsonw_text. */
char *jsonw_take(struct og_jsonw *w, size_t *len);

#endif
