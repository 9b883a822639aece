/* Request parameters: the two body parsers (Stripe-style forms and JSON) and
 * the declarative spec validator every handler uses (see params.h and
 * docs/internals/http.md).
 *
 * What lives here: turning bytes into a json_t tree (params_parse_form,
 * params_parse_json_body) and checking a tree against a spec (params_parse).
 * What does not: anything about sockets, the store or the request's life;
 * this file links with src/core alone so its tests need no server.
 *
 * Invariants:
 *   - A form tree holds only objects, arrays and strings; every string and
 *     every key is valid UTF-8 without NUL bytes.
 *   - The same spec gives the same values (and the same error codes for the
 *     same mistakes) whether the parameters came as a form, a query string
 *     or JSON: forms are "coerced" (strings read as integers and booleans),
 *     JSON is taken at its type. "" from a form and null from JSON both
 *     mean "no value" where a spec allows it; JSON "" is treated like form ""
 *     so a client may switch encodings without changing meaning.
 *   - Outputs are written only for parameters present; absent parameters
 *     leave *out and *present untouched (callers preset defaults).
 *   - Every error names the parameter as the caller spelled its path
 *     ("items[0][price]"), with the code from og_error.def. */
#include "http/params.h"
#include "core/currency.h"
#include "core/mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FORM_MAX_DEPTH     16   /* bracket groups in one form key */
#define MSG_VALUE_MAX      100  /* bytes of a caller's value quoted in a message */
#define NAME_MAX_LEN       160  /* a parameter's full name, "a[b][0][c]" */
#define STRING_DEFAULT_MAX 5000 /* PT_STRING with max 0 */
#define METADATA_MAX_KEYS  50
#define METADATA_KEY_MAX   40
#define METADATA_VALUE_MAX 500
#define TIMESTAMP_MAX      253402300799LL /* 9999-12-31T23:59:59Z */
#define AMOUNT_MAX_DEFAULT MONEY_AMOUNT_MAX

/* ---- UTF-8 ------------------------------------------------------------ */

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			unsigned cc = s[i + k];
			if ((cc & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (cc & 0x3F);
		}
		if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
			return false;
		if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))
			return false;
		i += need + 1;
	}
	return true;
}

bool params_utf8_valid(const char *s, size_t len)
{
	return utf8_valid((const unsigned char *)s, len);
}

/* The longest prefix of valid UTF-8 s[0..n) that is at most max bytes and
 * ends on a character boundary. */
static size_t utf8_clip(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	size_t k = max;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

/* Copies bytes that may be anything (a raw, undecodable form key) into buf as
 * printable ASCII, '?' for the rest, so an error can still name it. */
static const char *ascii_safe(const char *s, size_t n, char *buf, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[j++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	buf[j] = 0;
	return buf;
}

/* ---- forms ------------------------------------------------------------ */

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long params_percent_decode(const char *src, size_t len, bool plus_is_space, char *dst)
{
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '%') {
			if (len - i < 3)
				return -1;
			int hi = hex_value((unsigned char)src[i + 1]), lo = hex_value((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		dst[j++] = c;
	}
	dst[j] = 0;
	return (long)j;
}

static enum og_ec form_conflict(struct og_error *err, const char *key)
{
	return og_err(err, OG_EC_BODY_INVALID, key,
	              "Conflicting parameter: %s is given both as a single value and as a nested object or list.", key);
}

static enum og_ec form_bad_name(struct og_error *err, const char *key)
{
	return og_err(err, OG_EC_BODY_INVALID, key,
	              "Invalid parameter name: %s (expected name, name[key], name[0] or name[] nested at most %d "
	              "deep).",
	              key, FORM_MAX_DEPTH);
}

/* Stores the decoded pair key=value into root following the bracket rules in
 * params.h. key and value are valid UTF-8 without NUL bytes. */
static enum og_ec form_set(json_t *root, const char *key, const char *value, size_t value_len, struct og_error *err)
{
	const char *seg[FORM_MAX_DEPTH + 1];
	size_t seg_len[FORM_MAX_DEPTH + 1];
	int n = 0;
	size_t i = strcspn(key, "[");
	if (i == 0)
		return form_bad_name(err, key);
	seg[n] = key;
	seg_len[n++] = i;
	while (key[i]) {
		if (key[i] != '[' || n > FORM_MAX_DEPTH)
			return form_bad_name(err, key);
		const char *close = strchr(key + i + 1, ']');
		if (!close)
			return form_bad_name(err, key);
		seg[n] = key + i + 1;
		seg_len[n++] = (size_t)(close - (key + i + 1));
		i = (size_t)(close - key) + 1;
	}

	json_t *node = root;
	for (int s = 0; s < n; s++) {
		if (s == n - 1) {
			json_t *old = json_object_getn(node, seg[s], seg_len[s]);
			if (old && !json_is_string(old))
				return form_conflict(err, key);
			json_object_setn_new_nocheck(node, seg[s], seg_len[s], json_stringn_nocheck(value, value_len));
			return OG_EC_NONE;
		}
		if (seg_len[s + 1] == 0) { /* name[] : a list */
			json_t *list = json_object_getn(node, seg[s], seg_len[s]);
			if (!list) {
				list = json_array();
				json_object_setn_new_nocheck(node, seg[s], seg_len[s], list);
			} else if (!json_is_array(list)) {
				return form_conflict(err, key);
			}
			if (s + 1 == n - 1) {
				json_array_append_new(list, json_stringn_nocheck(value, value_len));
				return OG_EC_NONE;
			}
			/* name[][k]=v: fill the last element unless it already has k (Rack's rule) */
			if (seg_len[s + 2] == 0)
				return form_bad_name(err, key);
			size_t size = json_array_size(list);
			json_t *last = size ? json_array_get(list, size - 1) : NULL;
			if (last && !json_is_object(last))
				return form_conflict(err, key);
			if (!last || json_object_getn(last, seg[s + 2], seg_len[s + 2])) {
				last = json_object();
				json_array_append_new(list, last);
			}
			node = last;
			s++;
			continue;
		}
		json_t *child = json_object_getn(node, seg[s], seg_len[s]);
		if (!child) {
			child = json_object();
			json_object_setn_new_nocheck(node, seg[s], seg_len[s], child);
		} else if (!json_is_object(child)) {
			return form_conflict(err, key);
		}
		node = child;
	}
	return OG_EC_NONE; /* not reached: the loop returns at the last segment */
}

static enum og_ec form_add_pair(json_t *root, const char *pair, size_t len, struct og_error *err)
{
	const char *eq = memchr(pair, '=', len);
	size_t key_len = eq ? (size_t)(eq - pair) : len;
	const char *raw_value = eq ? eq + 1 : pair + len;
	size_t raw_value_len = eq ? len - key_len - 1 : 0;

	char stack[512];
	size_t need = key_len + 1 + raw_value_len + 1;
	char *buf = need <= sizeof stack ? stack : xmalloc(need);
	char *key = buf, *value = buf + key_len + 1;
	char safe[64];
	enum og_ec ec = OG_EC_NONE;

	long kn = params_percent_decode(pair, key_len, true, key);
	if (kn < 0) {
		ec = og_err(err, OG_EC_BODY_INVALID, ascii_safe(pair, key_len, safe, sizeof safe),
		            "Invalid percent-encoding in parameter name: %s", safe);
		goto out;
	}
	if (kn == 0) {
		ec = og_err(err, OG_EC_BODY_INVALID, NULL, "Invalid parameter: a value without a name.");
		goto out;
	}
	if (!utf8_valid((const unsigned char *)key, (size_t)kn) || memchr(key, 0, (size_t)kn)) {
		ec = og_err(err, OG_EC_BODY_INVALID, ascii_safe(key, (size_t)kn, safe, sizeof safe),
		            "Invalid parameter name: %s is not valid UTF-8 text.", safe);
		goto out;
	}
	long vn = params_percent_decode(raw_value, raw_value_len, true, value);
	if (vn < 0) {
		ec =
		    og_err(err, OG_EC_BODY_INVALID, key, "Invalid percent-encoding in the value of parameter: %s", key);
		goto out;
	}
	if (!utf8_valid((const unsigned char *)value, (size_t)vn)) {
		ec = og_err(err, OG_EC_BODY_INVALID, key, "Invalid UTF-8 in the value of parameter: %s", key);
		goto out;
	}
	if (memchr(value, 0, (size_t)vn)) {
		ec = og_err(err, OG_EC_BODY_INVALID, key, "The value of parameter %s contains a NUL byte.", key);
		goto out;
	}
	ec = form_set(root, key, value, (size_t)vn, err);
out:
	if (buf != stack)
		free(buf);
	return ec;
}

json_t *params_parse_form(const char *text, size_t len, struct og_error *err)
{
	json_t *root = json_object();
	const char *p = text, *end = text ? text + len : text;
	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		if (amp > p && form_add_pair(root, p, (size_t)(amp - p), err) != OG_EC_NONE) {
			json_decref(root);
			return NULL;
		}
		p = amp + 1;
	}
	return root;
}

json_t *params_parse_json_body(const char *text, size_t len, struct og_error *err)
{
	if (len == 0)
		return json_object();
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		og_err(err, OG_EC_BODY_INVALID, NULL, "Invalid JSON in the request body: %s (line %d, column %d).",
		       jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		og_err(err, OG_EC_BODY_INVALID, NULL, "The request body must be a JSON object.");
		return NULL;
	}
	return v;
}

/* ---- the spec validator ----------------------------------------------- */

/* Whether needle is root or lies inside it (query strings are small trees). */
static bool tree_contains(json_t *root, const json_t *needle, int depth)
{
	if (!root || depth > FORM_MAX_DEPTH + 2)
		return false;
	if (root == needle)
		return true;
	if (json_is_object(root)) {
		const char *k;
		json_t *v;
		json_object_foreach(root, k, v)
		{
			if (tree_contains(v, needle, depth + 1))
				return true;
		}
	} else if (json_is_array(root)) {
		size_t i;
		json_t *v;
		json_array_foreach(root, i, v)
		{
			if (tree_contains(v, needle, depth + 1))
				return true;
		}
	}
	return false;
}

/* A short, printable rendering of a caller's value for messages. */
static const char *repr(const json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		size_t k = utf8_clip(s, n, MSG_VALUE_MAX);
		snprintf(buf, size, "%.*s%s", (int)k, s, k < n ? "..." : "");
		break;
	}
	case JSON_INTEGER:
		snprintf(buf, size, "%" PRId64, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "false");
		break;
	case JSON_NULL:
		snprintf(buf, size, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, size, "an object");
		break;
	case JSON_ARRAY:
	default:
		snprintf(buf, size, "a list");
		break;
	}
	return buf;
}

/* Strict decimal int64: an optional '-', then digits only. Returns 0 with
 * *out set, -1 when not a number, 1 when the number does not fit. */
static int decimal_parse(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool negative = n > 0 && s[0] == '-';
	if (negative)
		i = 1;
	if (i == n)
		return -1;
	for (size_t k = i; k < n; k++)
		if (s[k] < '0' || s[k] > '9')
			return -1;
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t acc = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (acc > (limit - d) / 10)
			return 1;
		acc = acc * 10 + d;
	}
	if (negative)
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return 0;
}

struct pctx {
	struct og_req *rq;
	bool coerce; /* values are form strings */
};

/* Where an output goes: the pointer form's pointer, else the static form's
 * offset into base (NULL when the spec stores nothing there). */
static void *slot(void *base, size_t at, void *ptr)
{
	if (ptr)
		return ptr;
	if (!at || !base)
		return NULL;
	return (char *)base + (at - 1);
}

static void set_flag(void *base, size_t at, bool *ptr, bool value)
{
	bool *flag = slot(base, at, ptr);
	if (flag)
		*flag = value;
}

/* s[0..n) equals word (lowercase ASCII) in any letter case. */
static bool ascii_ieq(const char *s, size_t n, const char *word)
{
	size_t i = 0;
	for (; i < n && word[i]; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c != word[i])
			return false;
	}
	return i == n && !word[i];
}

/* Reads an integer: a JSON integer, or with coercion a decimal string.
 * Returns OG_EC_NONE; PARAM_INVALID for a JSON value of another type;
 * PARAM_INTEGER for a form string that is not a decimal integer;
 * overflow_ec for one that does not fit in int64. */
static enum og_ec read_int(const struct pctx *cx, json_t *v, const char *name, enum og_ec overflow_ec, const char *what,
                           int64_t *out)
{
	char buf[MSG_VALUE_MAX + 8];
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return OG_EC_NONE;
	}
	if (!cx->coerce || !json_is_string(v))
		return og_err(&cx->rq->err, OG_EC_PARAM_INVALID, name, "Invalid %s: %s", what,
		              repr(v, buf, sizeof buf));
	int rc = decimal_parse(json_string_value(v), json_string_length(v), out);
	if (rc < 0)
		return og_err(&cx->rq->err, OG_EC_PARAM_INTEGER, name, "Invalid %s: %s", what,
		              repr(v, buf, sizeof buf));
	if (rc > 0)
		return og_err(&cx->rq->err, overflow_ec, name, "Invalid %s: %s is too large.", what,
		              repr(v, buf, sizeof buf));
	return OG_EC_NONE;
}

/* out = "path[key]" (or "key" without a path), truncated to fit; key_len
 * bytes of key. */
static const char *name_join(char *out, size_t size, const char *path, const char *key, size_t key_len)
{
	size_t n = 0;
	size_t path_len = path ? strlen(path) : 0;
	const char *parts[4] = {path, path ? "[" : NULL, key, path ? "]" : NULL};
	size_t lens[4] = {path_len, path ? 1 : 0, key_len, path ? 1 : 0};
	for (int i = 0; i < 4; i++) {
		size_t take = lens[i] < size - 1 - n ? lens[i] : size - 1 - n;
		if (take)
			memcpy(out + n, parts[i], take);
		n += take;
	}
	out[n] = 0;
	return out;
}

static const char *id_thing(enum id_kind kind)
{
	switch (kind) {
	case ID_PRODUCT:
		return "product";
	case ID_PRICE:
		return "price";
	case ID_CUSTOMER:
		return "customer";
	case ID_SUBSCRIPTION:
		return "subscription";
	case ID_SUB_ITEM:
		return "subscription item";
	case ID_INVOICE:
		return "invoice";
	case ID_INVOICE_LINE:
		return "invoice line item";
	case ID_INVOICE_ITEM:
		return "invoice item";
	case ID_EVENT:
		return "event";
	case ID_API_KEY:
		return "API key";
	case ID_TEST_CLOCK:
		return "test clock";
	default:
		return "object";
	}
}

static enum og_ec parse_spec(const struct pctx *cx, json_t *src, const struct param_spec *spec, const char *path,
                             void *base);

static enum og_ec parse_metadata(const struct pctx *cx, json_t *v, const char *name, json_t **out)
{
	struct og_error *err = &cx->rq->err;
	char buf[MSG_VALUE_MAX + 8];
	if (!json_is_object(v))
		return og_err(err, OG_EC_PARAM_INVALID, name,
		              "Invalid %s: expected an object of string keys and string values, got %s.", name,
		              repr(v, buf, sizeof buf));
	if (json_object_size(v) > METADATA_MAX_KEYS)
		return og_err(err, OG_EC_PARAM_INVALID, name,
		              "Invalid %s: at most %d keys are allowed, %zu were given.", name, METADATA_MAX_KEYS,
		              json_object_size(v));
	const char *key;
	json_t *value;
	json_object_foreach(v, key, value)
	{
		size_t key_len = strlen(key);
		char kname[NAME_MAX_LEN];
		size_t clip = utf8_clip(key, key_len, METADATA_KEY_MAX);
		name_join(kname, sizeof kname, name, key, clip);
		if (key_len == 0)
			return og_err(err, OG_EC_PARAM_INVALID, kname, "Invalid %s: keys must not be empty.", name);
		if (key_len > METADATA_KEY_MAX)
			return og_err(err, OG_EC_PARAM_TOO_LONG, kname,
			              "Invalid %s: keys can have up to %d characters; '%.*s...' has %zu.", name,
			              METADATA_KEY_MAX, (int)clip, key, key_len);
		if (!json_is_string(value))
			return og_err(err, OG_EC_PARAM_INVALID, kname,
			              "Invalid %s: values must be strings (use \"\" to unset a key), got %s.", kname,
			              repr(value, buf, sizeof buf));
		if (json_string_length(value) > METADATA_VALUE_MAX)
			return og_err(err, OG_EC_PARAM_TOO_LONG, kname,
			              "Invalid %s: values can have up to %d characters.", kname, METADATA_VALUE_MAX);
	}
	if (out)
		*out = v;
	return OG_EC_NONE;
}

/* Canonical array index: "0" or [1-9][0-9]* below limit. */
static bool index_parse(const char *s, size_t limit, size_t *out)
{
	if (!*s || (s[0] == '0' && s[1]))
		return false;
	size_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (size_t)(*s - '0');
		if (v >= limit)
			return false;
	}
	*out = v;
	return true;
}

static enum og_ec parse_array(const struct pctx *cx, const struct param_spec *sp, json_t *v, const char *name,
                              void *base)
{
	struct og_error *err = &cx->rq->err;
	char buf[MSG_VALUE_MAX + 8];
	size_t n;
	bool is_list = json_is_array(v);
	if (is_list) {
		n = json_array_size(v);
	} else if (cx->coerce && json_is_object(v)) {
		n = json_object_size(v);
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e)
		{
			size_t index;
			(void)e;
			/* n distinct keys, each an index below n: exactly 0..n-1 */
			if (!index_parse(k, n, &index))
				return og_err(
				    err, OG_EC_PARAM_INVALID, name,
				    "Invalid array %s: unexpected index '%.40s'; indexes must run 0, 1, 2 ... without "
				    "gaps.",
				    name, k);
		}
	} else {
		return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid array %s: got %s.", name,
		              repr(v, buf, sizeof buf));
	}
	if (sp->max > 0 && n > (uint64_t)sp->max)
		return og_err(err, OG_EC_PARAM_INVALID, name,
		              "Invalid array %s: at most %" PRId64 " elements are allowed.", name, sp->max);
	/* the static form: a fixed array in the base, one sub-spec per element */
	char *elems = sp->elem ? NULL : slot(base, sp->at, NULL);
	if (!sp->elem && (!elems || !sp->sub || !sp->elem_size || sp->max <= 0))
		return OG_BUG(err, "PT_ARRAY spec without elem() or an element spec");
	for (size_t i = 0; i < n; i++) {
		json_t *e;
		if (is_list) {
			e = json_array_get(v, i);
		} else {
			char key[24];
			snprintf(key, sizeof key, "%zu", i);
			e = json_object_get(v, key);
		}
		const char *elem_path = arena_printf(cx->rq->arena, "%s[%zu]", name, i);
		enum og_ec ec = sp->elem ? sp->elem(cx->rq, e, i, elem_path, sp->elem_ctx)
		                         : parse_spec(cx, e, sp->sub, elem_path, elems + i * sp->elem_size);
		if (ec)
			return ec;
	}
	size_t *count = slot(base, sp->count_at, NULL);
	if (count)
		*count = n;
	return OG_EC_NONE;
}

static enum og_ec parse_enum(const struct pctx *cx, const struct param_spec *sp, json_t *v, const char *name, int *out)
{
	if (json_is_string(v) && sp->choices) {
		const char *s = json_string_value(v);
		for (int i = 0; sp->choices[i]; i++) {
			if (strcmp(s, sp->choices[i]) == 0) {
				if (out)
					*out = i;
				return OG_EC_NONE;
			}
		}
	}
	char list[256] = "";
	size_t used = 0;
	int count = 0;
	while (sp->choices && sp->choices[count])
		count++;
	for (int i = 0; i < count && used < sizeof list; i++) {
		const char *sep = i == 0 ? "" : i < count - 1 ? ", " : count > 2 ? ", or " : " or ";
		int w = snprintf(list + used, sizeof list - used, "%s%s", sep, sp->choices[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	char buf[MSG_VALUE_MAX + 8];
	return og_err(&cx->rq->err, OG_EC_PARAM_INVALID, name, "Invalid %s: must be one of %s (got %s).", sp->name,
	              list, repr(v, buf, sizeof buf));
}

static enum og_ec parse_currency(const struct pctx *cx, json_t *v, const char *name, const char **out)
{
	char buf[MSG_VALUE_MAX + 8];
	if (!json_is_string(v))
		return og_err(&cx->rq->err, OG_EC_PARAM_INVALID, name, "Invalid currency: %s",
		              repr(v, buf, sizeof buf));
	const char *s = json_string_value(v);
	const struct currency *cur = NULL;
	if (json_string_length(v) == 3) {
		char code[4];
		for (int i = 0; i < 3; i++)
			code[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
		code[3] = 0;
		cur = currency_find(code);
	}
	if (!cur)
		return og_err(&cx->rq->err, OG_EC_PARAM_CURRENCY, name,
		              "Invalid currency: %s. Use a three-letter ISO 4217 code in circulation, such as usd.",
		              repr(v, buf, sizeof buf));
	if (out)
		*out = cur->code;
	return OG_EC_NONE;
}

/* Stores a parsed value of type T when the spec has somewhere to put it. */
#define STORE(T, value)                                                                                                \
	do {                                                                                                           \
		if (out)                                                                                               \
			*(T *)out = (value);                                                                           \
	} while (0)

static enum og_ec parse_value(const struct pctx *cx, const struct param_spec *sp, json_t *v, const char *name,
                              void *base)
{
	void *out = slot(base, sp->at, sp->out);
	struct og_error *err = &cx->rq->err;
	char buf[MSG_VALUE_MAX + 8];
	enum og_ec ec;
	int64_t i64 = 0;

	if (sp->type == PT_IGNORE)
		goto given;
	bool is_null = json_is_null(v);
	bool is_empty = json_is_string(v) && json_string_length(v) == 0;
	if (sp->type == PT_METADATA) {
		if (is_null || is_empty) {
			STORE(json_t *, json_null());
			goto given;
		}
	} else if (is_null || (is_empty && ((sp->flags & P_NULLABLE) || sp->type != PT_STRING))) {
		if (sp->flags & P_NULLABLE) {
			set_flag(base, sp->null_at, sp->is_null, true);
			if (sp->type == PT_STRING || sp->type == PT_CURRENCY)
				STORE(const char *, NULL);
			goto given;
		}
		if (sp->flags & P_REQUIRED)
			return og_err(err, OG_EC_PARAM_MISSING, name, "Missing required param: %s.", name);
		if (is_null)
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid %s: it cannot be null.", name);
		/* form "" for a non-string type: the type's own message below */
	} else if (is_empty && (sp->flags & P_REQUIRED)) {
		return og_err(err, OG_EC_PARAM_MISSING, name, "Missing required param: %s.", name);
	}

	switch (sp->type) {
	case PT_STRING: {
		if (!json_is_string(v))
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid string: %s", repr(v, buf, sizeof buf));
		size_t len = json_string_length(v);
		int64_t max = sp->max > 0 ? sp->max : STRING_DEFAULT_MAX;
		if (len > (uint64_t)max)
			return og_err(err, OG_EC_PARAM_TOO_LONG, name,
			              "Invalid string: %s; %s must be at most %" PRId64 " characters (got %zu).",
			              repr(v, buf, sizeof buf), name, max, len);
		if (strlen(json_string_value(v)) != len) /* jansson refuses \u0000 unless asked; keep it so */
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid string: %s contains a NUL character.",
			              name);
		STORE(const char *, json_string_value(v));
		break;
	}
	case PT_INT64: {
		if ((ec = read_int(cx, v, name, OG_EC_PARAM_INTEGER, "integer", &i64)))
			return ec;
		int64_t lo = sp->min, hi = sp->max;
		if (lo == 0 && hi == 0) {
			lo = INT64_MIN;
			hi = INT64_MAX;
		}
		if (i64 < lo || i64 > hi)
			return og_err(err, OG_EC_PARAM_INTEGER, name,
			              "Invalid integer: %" PRId64 "; %s must be between %" PRId64 " and %" PRId64 ".",
			              i64, name, lo, hi);
		STORE(int64_t, i64);
		break;
	}
	case PT_AMOUNT: {
		if ((ec = read_int(cx, v, name, OG_EC_PARAM_AMOUNT, "integer", &i64)))
			return ec;
		int64_t lo = sp->min, hi = sp->max;
		if (lo == 0 && hi == 0)
			hi = AMOUNT_MAX_DEFAULT;
		if (i64 < lo || i64 > hi)
			return og_err(err, OG_EC_PARAM_AMOUNT, name,
			              "Invalid amount: %" PRId64
			              "; %s must be an integer number of minor units between %" PRId64 " and %" PRId64
			              ".",
			              i64, name, lo, hi);
		STORE(int64_t, i64);
		break;
	}
	case PT_TIMESTAMP:
		if ((ec = read_int(cx, v, name, OG_EC_PARAM_INTEGER, "timestamp", &i64)))
			return ec;
		if (i64 < 0 || i64 > TIMESTAMP_MAX)
			return og_err(err, OG_EC_PARAM_INVALID, name,
			              "Invalid timestamp: %" PRId64 "; %s must be Unix seconds between 0 and %lld.",
			              i64, name, TIMESTAMP_MAX);
		STORE(int64_t, i64);
		break;
	case PT_BOOL:
		/* forms and query strings in any letter case, as Stripe reads them
		 * (a client library sends "True"); JSON only as true and false */
		if (json_is_boolean(v)) {
			STORE(bool, json_is_true(v));
		} else if (cx->coerce && json_is_string(v) &&
		           ascii_ieq(json_string_value(v), json_string_length(v), "true")) {
			STORE(bool, true);
		} else if (cx->coerce && json_is_string(v) &&
		           ascii_ieq(json_string_value(v), json_string_length(v), "false")) {
			STORE(bool, false);
		} else {
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid boolean: %s", repr(v, buf, sizeof buf));
		}
		break;
	case PT_ENUM:
		if ((ec = parse_enum(cx, sp, v, name, out)))
			return ec;
		break;
	case PT_ID: {
		if (!json_is_string(v))
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid %s: expected an id, got %s.", name,
			              repr(v, buf, sizeof buf));
		if (!ids_decode(sp->id_kind, json_string_value(v), &i64))
			return og_err(err, OG_EC_PARAM_ID, name, "No such %s: '%s'", id_thing(sp->id_kind),
			              repr(v, buf, sizeof buf));
		STORE(int64_t, i64);
		break;
	}
	case PT_CURRENCY:
		if ((ec = parse_currency(cx, v, name, out)))
			return ec;
		break;
	case PT_METADATA:
		if ((ec = parse_metadata(cx, v, name, out)))
			return ec;
		break;
	case PT_OBJECT:
		if (!json_is_object(v))
			return og_err(err, OG_EC_PARAM_INVALID, name, "Invalid object %s: got %s.", name,
			              repr(v, buf, sizeof buf));
		/* the nested struct at sp->at, or the same base when it has none */
		if ((ec = parse_spec(cx, v, sp->sub, name, sp->at ? slot(base, sp->at, NULL) : base)))
			return ec;
		break;
	case PT_ARRAY:
		if ((ec = parse_array(cx, sp, v, name, base)))
			return ec;
		break;
	case PT_IGNORE:
	case PT_END:
	default:
		return OG_BUG(err, "parameter spec with an unknown type");
	}
	set_flag(base, sp->null_at, sp->is_null, false);
given:
	set_flag(base, sp->present_at, sp->present, true);
	return OG_EC_NONE;
}

#undef STORE

static enum og_ec parse_spec(const struct pctx *cx, json_t *src, const struct param_spec *spec, const char *path,
                             void *base)
{
	struct og_error *err = &cx->rq->err;
	char name[NAME_MAX_LEN];
	if (src && !json_is_object(src)) {
		char buf[MSG_VALUE_MAX + 8];
		return og_err(err, OG_EC_PARAM_INVALID, path, "Invalid object%s%s: got %s.", path ? " " : "",
		              path ? path : "", repr(src, buf, sizeof buf));
	}
	if (src) {
		const char *key;
		json_t *v;
		json_object_foreach(src, key, v)
		{
			const struct param_spec *sp = spec;
			while (sp->name && !(sp->flags & P_OTHERS) && strcmp(sp->name, key) != 0)
				sp++;
			if (sp->name || (!path && !strcmp(key, "expand")))
				continue;
			size_t key_len = strlen(key);
			size_t clip = utf8_clip(key, key_len, MSG_VALUE_MAX);
			name_join(name, sizeof name, path, key, clip);
			return og_err(err, OG_EC_PARAM_UNKNOWN, name, "Received unknown parameter: %s", name);
		}
	}
	for (const struct param_spec *sp = spec; sp->name; sp++) {
		if (sp->flags & P_OTHERS)
			continue;
		const char *full = sp->name;
		if (path) {
			full = name_join(name, sizeof name, path, sp->name, strlen(sp->name));
		}
		json_t *v = src ? json_object_get(src, sp->name) : NULL;
		if (!v) {
			if (sp->flags & P_REQUIRED)
				return og_err(err, OG_EC_PARAM_MISSING, full, "Missing required param: %s.", full);
			continue;
		}
		enum og_ec ec = parse_value(cx, sp, v, full, base);
		if (ec)
			return ec;
	}
	return OG_EC_NONE;
}

enum og_ec params_parse(struct og_req *rq, json_t *src, const struct param_spec *spec, const char *path)
{
	struct pctx cx = {
	    .rq = rq,
	    .coerce = rq->body_is_form || (src && rq->query && tree_contains(rq->query, src, 0)),
	};
	return parse_spec(&cx, src, spec, path, NULL);
}

enum og_ec params_parse_into(struct og_req *rq, json_t *src, const struct param_spec *spec, void *base)
{
	struct pctx cx = {
	    .rq = rq,
	    .coerce = rq->body_is_form || (src && rq->query && tree_contains(rq->query, src, 0)),
	};
	return parse_spec(&cx, src, spec, NULL, base);
}

/* ---- reading a spec (documentation) ------------------------------------ */

static int walk(const struct param_spec *spec, const char *prefix, int depth, param_walk_fn fn, void *cls)
{
	char full[NAME_MAX_LEN];
	for (const struct param_spec *sp = spec; sp->name; sp++) {
		if (prefix)
			snprintf(full, sizeof full, "%s[%s]", prefix, sp->name);
		else
			snprintf(full, sizeof full, "%s", sp->name);
		int rc = fn(cls, sp, full, depth);
		if (rc)
			return rc;
		if (sp->sub && (sp->type == PT_OBJECT || sp->type == PT_ARRAY)) {
			char inner[NAME_MAX_LEN + 2];
			snprintf(inner, sizeof inner, "%s%s", full, sp->type == PT_ARRAY ? "[]" : "");
			if ((rc = walk(sp->sub, inner, depth + 1, fn, cls)))
				return rc;
		}
	}
	return 0;
}

int params_spec_walk(const struct param_spec *spec, param_walk_fn fn, void *cls)
{
	return walk(spec, NULL, 0, fn, cls);
}

const char *params_type_name(enum param_type type)
{
	switch (type) {
	case PT_STRING:
		return "string";
	case PT_INT64:
		return "integer";
	case PT_BOOL:
		return "boolean";
	case PT_ENUM:
		return "enum";
	case PT_ID:
		return "id";
	case PT_CURRENCY:
		return "currency";
	case PT_METADATA:
		return "metadata";
	case PT_OBJECT:
		return "object";
	case PT_ARRAY:
		return "array";
	case PT_TIMESTAMP:
		return "timestamp";
	case PT_AMOUNT:
		return "amount";
	case PT_IGNORE:
		return "ignored";
	case PT_END:
	default:
		return "end";
	}
}
