/* Declarative parameter specs (after GNU Taler's JSON parse specs): a
 * constant table naming each expected parameter, its type, bounds, choices,
 * a one-line description, and where its value goes. One spec validates a
 * JSON body, a form body (Stripe's nested keys, all values strings to
 * coerce) and a query string alike, rejects unknown parameters, and names
 * the failing one in the error ("items[0][price]"). Parsed strings are
 * borrowed from the source json_t or copied into the request arena; they
 * live as long as the request.
 *
 * A spec is static: outputs are byte offsets into an input struct that the
 * handler passes to params_parse_into as base, so the table can be read
 * (documentation, OpenAPI: params_spec_walk) without running the handler.
 *
 *   struct product_in { const char *name; bool has_name; json_t *metadata; };
 *   #define IN(m) PARAM_AT(struct product_in, m)
 *   static const struct param_spec spec[] = {
 *       PS_STRING("name", IN(name), IN(has_name), 250, P_REQUIRED, "Shown to customers."),
 *       PS_METADATA("metadata", IN(metadata), PARAM_NOWHERE, "Your key-value pairs."),
 *       PS_END,
 *   };
 *   struct product_in in = {0};
 *   ec = params_parse_into(rq, rq->body, spec, &in);
 *
 * Every handler uses the static form (tools/check-style.sh refuses the
 * pointer form under src/). The older pointer form (PARAM_STRING("name",
 * &name, &has_name, ...) and params_parse) remains only for tests/http and
 * tests/fuzz, whose arrays of strings need its element callback; see
 * docs/internals/http.md. */
#ifndef OG_PARAMS_H
#define OG_PARAMS_H

#include "core/ids.h"
#include "core/money.h"
#include "http/req.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum param_type {
	PT_END = 0,
	PT_STRING,    /* out: const char **; max = longest length in bytes (UTF-8 checked) */
	PT_INT64,     /* out: int64_t *; [min, max]; form values are decimal strings */
	PT_BOOL,      /* out: bool *; JSON true/false, form "true"/"false" */
	PT_ENUM,      /* out: int *; choices: NULL-terminated const char *const[]; index stored */
	PT_ID,        /* out: int64_t *; id_kind: which prefix; a malformed id -> OG_EC_PARAM_ID */
	PT_CURRENCY,  /* out: const char **; a known ISO 4217 code, stored lowercase */
	PT_METADATA,  /* out: json_t ** (borrowed): object of string -> string (<= 50 keys,
	                 key <= 40, value <= 500); "" value = unset that key; the whole
	                 parameter "" or null -> json null = unset all */
	PT_OBJECT,    /* nested object parsed with sub (a spec); out unused */
	PT_ARRAY,     /* array (form: items[0]... an object with keys "0".."n") of elements,
	                 each handed to elem(); max = most elements */
	PT_TIMESTAMP, /* out: int64_t *; Unix seconds in [0, 253402300799] */
	PT_AMOUNT,    /* out: int64_t *; integer minor units in [min, max] (default 0..99999999999) */
	PT_IGNORE,    /* accepted, not used (e.g. expand) */
};

enum param_flags {
	P_REQUIRED = 1u << 0,
	P_NULLABLE = 1u << 1, /* "" (form) or null (JSON) is accepted: present = true,
	                       is_null = true, string out = NULL */
	P_OTHERS = 1u << 2,   /* PS_IGNORE_OTHERS: any key no other entry names is accepted */
};

/* Where a value goes in the static form: the byte offset of a member of the
 * input struct, plus one, so that 0 (PARAM_NOWHERE) means "not stored".
 * Members of nested structs and array elements work too
 * (PARAM_AT(struct in, page.limit), PARAM_AT(struct in, address[2])). */
#define PARAM_AT(type, member) (offsetof(type, member) + 1)
#define PARAM_NOWHERE          ((size_t)0)

struct param_spec;
/* The pointer form's array element callback (PARAM_ARRAY). */
typedef enum og_ec (*param_elem_fn)(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx);

struct param_spec {
	const char *name;
	enum param_type type;
	unsigned flags;
	/* the static form: PARAM_AT offsets into the base */
	size_t at;                    /* the value (its C type per enum param_type); PT_OBJECT: the
	                                 nested struct its sub-spec reads into, NOWHERE = same base;
	                                 PT_ARRAY: the first element of a fixed array */
	size_t present_at;            /* bool: set true when the parameter was given */
	size_t null_at;               /* bool, with P_NULLABLE: set true when given as ""/null */
	int64_t min, max;             /* bounds; PT_STRING: max length; PT_ARRAY: most elements */
	const char *const *choices;   /* PT_ENUM: NULL-terminated */
	const struct param_spec *sub; /* PT_OBJECT: its fields; PT_ARRAY (static): each element's fields */
	size_t elem_size;             /* PT_ARRAY (static): bytes between elements */
	size_t count_at;              /* PT_ARRAY (static): size_t, the number of elements given */
	enum id_kind id_kind;         /* PT_ID */
	const char *doc;              /* one line for the reference documentation */
	/* the pointer form (params_parse): tests only, see the top of this file */
	void *out;
	bool *present;
	bool *is_null;
	param_elem_fn elem; /* PT_ARRAY: called for each element */
	void *elem_ctx;
};

/* ---- the static form ---------------------------------------------------- */

#define PS_STRING(n, o, p, maxlen, fl, d)                                                                              \
	{                                                                                                              \
		.name = (n), .type = PT_STRING, .flags = (fl), .at = (o), .present_at = (p), .max = (maxlen),          \
		.doc = (d)                                                                                             \
	}
#define PS_INT64(n, o, p, lo, hi, fl, d)                                                                               \
	{                                                                                                              \
		.name = (n), .type = PT_INT64, .flags = (fl), .at = (o), .present_at = (p), .min = (lo), .max = (hi),  \
		.doc = (d)                                                                                             \
	}
#define PS_AMOUNT(n, o, p, fl, d)                                                                                      \
	{                                                                                                              \
		.name = (n), .type = PT_AMOUNT, .flags = (fl), .at = (o), .present_at = (p), .min = 0,                 \
		.max = MONEY_AMOUNT_MAX, .doc = (d)                                                                    \
	}
#define PS_BOOL(n, o, p, fl, d)                                                                                        \
	{                                                                                                              \
		.name = (n), .type = PT_BOOL, .flags = (fl), .at = (o), .present_at = (p), .doc = (d)                  \
	}
#define PS_ENUM(n, o, p, ch, fl, d)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_ENUM, .flags = (fl), .at = (o), .present_at = (p), .choices = (ch), .doc = (d) \
	}
#define PS_ID(n, kind, o, p, fl, d)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_ID, .flags = (fl), .at = (o), .present_at = (p), .id_kind = (kind), .doc = (d) \
	}
#define PS_CURRENCY(n, o, p, fl, d)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_CURRENCY, .flags = (fl), .at = (o), .present_at = (p), .doc = (d)              \
	}
#define PS_METADATA(n, o, p, d)                                                                                        \
	{                                                                                                              \
		.name = (n), .type = PT_METADATA, .at = (o), .present_at = (p), .doc = (d)                             \
	}
/* s: the nested spec; o: where its struct is (PARAM_NOWHERE: the same base) */
#define PS_OBJECT(n, s, o, p, fl, d)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_OBJECT, .flags = (fl), .sub = (s), .at = (o), .present_at = (p), .doc = (d)    \
	}
/* An array parsed into T's fixed array member (capacity = most elements),
 * each element with spec s relative to the element; the count goes to the
 * size_t member count_member. */
#define PS_ARRAY(n, T, member, count_member, s, p, fl, d)                                                              \
	{                                                                                                              \
		.name = (n), .type = PT_ARRAY, .flags = (fl), .sub = (s), .at = PARAM_AT(T, member),                   \
		.elem_size = sizeof(((T *)0)->member[0]),                                                              \
		.max = (int64_t)(sizeof(((T *)0)->member) / sizeof(((T *)0)->member[0])),                              \
		.count_at = PARAM_AT(T, count_member), .present_at = (p), .doc = (d)                                   \
	}
#define PS_TIMESTAMP(n, o, p, fl, d)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_TIMESTAMP, .flags = (fl), .at = (o), .present_at = (p), .doc = (d)             \
	}
#define PS_IGNORE(n, d)                                                                                                \
	{                                                                                                              \
		.name = (n), .type = PT_IGNORE, .doc = (d)                                                             \
	}
/* Accepts every other key unread: for a second look at part of a source
 * whose other keys another spec has checked (api_created_range). */
#define PS_IGNORE_OTHERS                                                                                               \
	{                                                                                                              \
		.name = "*", .type = PT_IGNORE, .flags = P_OTHERS, .doc = "Any other parameter (checked elsewhere)."   \
	}
#define PS_END                                                                                                         \
	{                                                                                                              \
		.name = NULL, .type = PT_END                                                                           \
	}

/* Validates src (an object; NULL counts as empty) against a static spec and
 * writes the values into base (the input struct the spec's offsets point
 * into). Same rules and errors as params_parse; pointer-form entries may be
 * mixed in. Returns OG_EC_NONE or an error code with rq->err filled. */
enum og_ec params_parse_into(struct og_req *rq, json_t *src, const struct param_spec *spec, void *base);

/* Calls fn once for every entry of spec in order, descending into
 * PT_OBJECT and PT_ARRAY sub-specs (after their own entry). full is the
 * parameter as a caller writes it in a form ("recurring[interval]",
 * "items[][price]"); depth is 0 at the top. A non-zero return from fn stops
 * the walk and is returned. For reference documentation and OpenAPI. */
typedef int (*param_walk_fn)(void *cls, const struct param_spec *sp, const char *full, int depth);
int params_spec_walk(const struct param_spec *spec, param_walk_fn fn, void *cls);

/* The type's name for documentation ("string", "integer", "boolean", ...). */
const char *params_type_name(enum param_type type);

/* ---- the pointer form (tests and fuzz drivers only; not in src/) -------- */

#define PARAM_STRING(n, o, p, maxlen, fl)                                                                              \
	{                                                                                                              \
		.name = (n), .type = PT_STRING, .flags = (fl), .out = (o), .present = (p), .max = (maxlen)             \
	}
#define PARAM_INT64(n, o, p, lo, hi, fl)                                                                               \
	{                                                                                                              \
		.name = (n), .type = PT_INT64, .flags = (fl), .out = (o), .present = (p), .min = (lo), .max = (hi)     \
	}
#define PARAM_AMOUNT(n, o, p, fl)                                                                                      \
	{                                                                                                              \
		.name = (n), .type = PT_AMOUNT, .flags = (fl), .out = (o), .present = (p), .min = 0,                   \
		.max = MONEY_AMOUNT_MAX                                                                                \
	}
#define PARAM_BOOL(n, o, p, fl)                                                                                        \
	{                                                                                                              \
		.name = (n), .type = PT_BOOL, .flags = (fl), .out = (o), .present = (p)                                \
	}
#define PARAM_ENUM(n, o, p, ch, fl)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_ENUM, .flags = (fl), .out = (o), .present = (p), .choices = (ch)               \
	}
#define PARAM_ID(n, kind, o, p, fl)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_ID, .flags = (fl), .out = (o), .present = (p), .id_kind = (kind)               \
	}
#define PARAM_CURRENCY(n, o, p, fl)                                                                                    \
	{                                                                                                              \
		.name = (n), .type = PT_CURRENCY, .flags = (fl), .out = (o), .present = (p)                            \
	}
#define PARAM_METADATA(n, o, p)                                                                                        \
	{                                                                                                              \
		.name = (n), .type = PT_METADATA, .out = (o), .present = (p)                                           \
	}
#define PARAM_OBJECT(n, s, p, fl)                                                                                      \
	{                                                                                                              \
		.name = (n), .type = PT_OBJECT, .flags = (fl), .sub = (s), .present = (p)                              \
	}
#define PARAM_ARRAY(n, fn, ctx, p, maxn, fl)                                                                           \
	{                                                                                                              \
		.name = (n), .type = PT_ARRAY, .flags = (fl), .elem = (fn), .elem_ctx = (ctx), .present = (p),         \
		.max = (maxn)                                                                                          \
	}
#define PARAM_TIMESTAMP(n, o, p, fl)                                                                                   \
	{                                                                                                              \
		.name = (n), .type = PT_TIMESTAMP, .flags = (fl), .out = (o), .present = (p)                           \
	}
#define PARAM_IGNORE(n)                                                                                                \
	{                                                                                                              \
		.name = (n), .type = PT_IGNORE                                                                         \
	}
#define PARAM_END                                                                                                      \
	{                                                                                                              \
		.name = NULL, .type = PT_END                                                                           \
	}

/* The pointer form: validates src (an object; NULL counts as empty) against
 * spec (outputs through its pointers). path is the
 * name of src itself for error messages ("items[0]"), NULL at the top level.
 * Coerces strings when rq->body_is_form or when src is rq->query. Unknown
 * keys are refused (OG_EC_PARAM_UNKNOWN) except "expand". Returns
 * OG_EC_NONE or an error code with rq->err filled. */
enum og_ec params_parse(struct og_req *rq, json_t *src, const struct param_spec *spec, const char *path);

/* Parsers the server uses to build rq->query and rq->body. Both return a new
 * object (caller owns) or NULL with err filled (OG_EC_BODY_INVALID naming the
 * offending key). Form rules: "a[b]=1" -> {"a":{"b":"1"}}, "a[0]=x" ->
 * {"a":{"0":"x"}} (arrays stay objects keyed by index; PT_ARRAY reads both),
 * "a[]=x&a[]=y" -> {"a":["x","y"]}, raw or %-encoded brackets, '+' is space. */
json_t *params_parse_form(const char *text, size_t len, struct og_error *err);
json_t *params_parse_json_body(const char *text, size_t len, struct og_error *err);

/* The one percent-decoder (forms, query strings, paths): src[0..len) into
 * dst (room for len + 1, NUL-terminated), %XX a byte; '+' a space when
 * plus_is_space (application/x-www-form-urlencoded), else itself (a path).
 * Returns the decoded length (the bytes may include NUL: check), or -1 on a
 * '%' not followed by two hex digits. */
long params_percent_decode(const char *src, size_t len, bool plus_is_space, char *dst);

/* True when s[0..len) is strict UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF); NUL bytes count as valid here. */
bool params_utf8_valid(const char *s, size_t len);

/* Pagination: limit (1..100, default 10), starting_after, ending_before
 * (ids of kind; each must name an existing object: the handler checks). */
struct og_page {
	int limit;
	int64_t starting_after; /* 0 when absent */
	int64_t ending_before;  /* 0 when absent */
};
/* Static spec entries for the three pagination parameters, to splice into
 * a list endpoint's spec; they write into the struct og_page member m of
 * the input struct T. */
#define PS_PAGE(T, m, kind)                                                                                            \
	PS_INT64("limit", PARAM_AT(T, m.limit), PARAM_NOWHERE, 1, 100, 0,                                              \
	         "How many objects to return, 1 to 100 (default 10)."),                                                \
	    PS_ID("starting_after", kind, PARAM_AT(T, m.starting_after), PARAM_NOWHERE, 0,                             \
	          "A cursor: return the objects after this one (newest first)."),                                      \
	    PS_ID("ending_before", kind, PARAM_AT(T, m.ending_before), PARAM_NOWHERE, 0,                               \
	          "A cursor: return the objects before this one.")
/* The pointer form of the same (writes into *page; tests only). */
#define PARAMS_PAGE(page, kind)                                                                                        \
	PARAM_INT64("limit", &(page)->limit, NULL, 1, 100, 0),                                                         \
	    PARAM_ID("starting_after", kind, &(page)->starting_after, NULL, 0),                                        \
	    PARAM_ID("ending_before", kind, &(page)->ending_before, NULL, 0)

#endif
