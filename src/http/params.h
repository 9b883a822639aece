/* Declarative parameter specs (after GNU Taler's JSON parse specs): an array
 * naming each expected parameter, its type and bounds, and where to store it.
 * One spec validates a JSON body, a form body (Stripe's nested keys, all
 * values strings to coerce) and a query string alike, rejects unknown
 * parameters, and names the failing one in the error ("items[0][price]").
 * Parsed strings are borrowed from the source json_t or copied into the
 * request arena; they live as long as the request.
 *
 *   const char *name = NULL; bool has_name = false; json_t *metadata = NULL;
 *   struct param_spec spec[] = {
 *       PARAM_STRING("name", &name, &has_name, 5000, P_REQUIRED),
 *       PARAM_METADATA("metadata", &metadata),
 *       PARAM_END,
 *   };
 *   ec = params_parse(rq, rq->body, spec, NULL);
 */
#ifndef OG_PARAMS_H
#define OG_PARAMS_H

#include "core/ids.h"
#include "http/req.h"

#include <jansson.h>
#include <stdbool.h>
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
	P_NULLABLE = 1u << 1, /* "" (form) or null (JSON) is accepted: *present = true,
	                       *is_null = true, string out = NULL */
};

struct param_spec;
typedef enum og_ec (*param_elem_fn)(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx);

struct param_spec {
	const char *name;
	enum param_type type;
	unsigned flags;
	void *out;
	bool *present; /* optional: set true when the parameter was given */
	bool *is_null; /* optional, with P_NULLABLE */
	int64_t min, max;
	const char *const *choices;   /* PT_ENUM */
	const struct param_spec *sub; /* PT_OBJECT */
	param_elem_fn elem;           /* PT_ARRAY */
	void *elem_ctx;               /* PT_ARRAY */
	enum id_kind id_kind;         /* PT_ID */
};

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
		.max = 99999999999LL                                                                                   \
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

/* Validates src (an object; NULL counts as empty) against spec. path is the
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
/* Spec entries for the three pagination parameters, to splice into a list
 * endpoint's spec (they write into *page). */
#define PARAMS_PAGE(page, kind)                                                                                        \
	PARAM_INT64("limit", &(page)->limit, NULL, 1, 100, 0),                                                         \
	    PARAM_ID("starting_after", kind, &(page)->starting_after, NULL, 0),                                        \
	    PARAM_ID("ending_before", kind, &(page)->ending_before, NULL, 0)

#endif
