/* Tests for src/http/params.c: the form and JSON parsers and the spec
 * validator. Every type, every error code with the parameter it names,
 * form/JSON/query equivalence, and random bytes through both parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ids.h"
#include "http/params.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

struct fixture {
	struct og_req rq;
};

/* A request whose body is text (a form when is_form, else JSON) and whose
 * query string is query. Parse failures fail the test. */
static struct og_req *req_new(const char *body, bool is_form, const char *query)
{
	struct og_req *rq = calloc(1, sizeof *rq);
	rq->arena = arena_new();
	struct og_error err = {0};
	rq->body_is_form = is_form;
	if (is_form)
		rq->body = params_parse_form(body, strlen(body), &err);
	else
		rq->body = params_parse_json_body(body, strlen(body), &err);
	if (!rq->body)
		fail_msg("body did not parse: %s", err.message);
	rq->query = params_parse_form(query ? query : "", query ? strlen(query) : 0, &err);
	assert_non_null(rq->query);
	return rq;
}
static struct og_req *form(const char *body)
{
	return req_new(body, true, NULL);
}
static struct og_req *json(const char *body)
{
	return req_new(body, false, NULL);
}
static struct og_req *query(const char *q)
{
	return req_new("", false, q);
}

static void req_free(struct og_req *rq)
{
	json_decref(rq->body);
	json_decref(rq->query);
	arena_free(rq->arena);
	free(rq);
}

static enum og_ec parse(struct og_req *rq, const struct param_spec *spec)
{
	og_error_clear(&rq->err);
	return params_parse(rq, rq->body, spec, NULL);
}

#define assert_ok(rq, spec)                                                                                            \
	do {                                                                                                           \
		enum og_ec ec_ = parse((rq), (spec));                                                                  \
		if (ec_ != OG_EC_NONE)                                                                                 \
			fail_msg("expected success, got %s: %s (param %s)", og_ec_name(ec_), (rq)->err.message,        \
			         (rq)->err.param);                                                                     \
	} while (0)

/* Parses body (form or JSON) with spec and checks the error and the param. */
static void check_err(struct og_req *rq, const struct param_spec *spec, enum og_ec want, const char *param,
                      const char *message_part)
{
	enum og_ec ec = parse(rq, spec);
	if (ec != want)
		fail_msg("expected %s, got %s: %s", og_ec_name(want), og_ec_name(ec), rq->err.message);
	assert_int_equal(rq->err.ec, want);
	assert_string_equal(rq->err.param, param);
	if (message_part && !strstr(rq->err.message, message_part))
		fail_msg("message '%s' lacks '%s'", rq->err.message, message_part);
}

static void form_err(const char *body, const struct param_spec *spec, enum og_ec want, const char *param,
                     const char *message_part)
{
	struct og_req *rq = form(body);
	check_err(rq, spec, want, param, message_part);
	req_free(rq);
}

static void json_err(const char *body, const struct param_spec *spec, enum og_ec want, const char *param,
                     const char *message_part)
{
	struct og_req *rq = json(body);
	check_err(rq, spec, want, param, message_part);
	req_free(rq);
}

/* The parsed form as compact sorted JSON, for comparisons. */
static void assert_form(const char *text, const char *want_json)
{
	struct og_error err = {0};
	json_t *v = params_parse_form(text, strlen(text), &err);
	if (!v)
		fail_msg("form '%s' refused: %s", text, err.message);
	char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	if (strcmp(got, want_json) != 0)
		fail_msg("form '%s' gave %s, want %s", text, got, want_json);
	free(got);
}

static void assert_form_refused(const char *text, size_t len, const char *param, const char *message_part)
{
	struct og_error err = {0};
	json_t *v = params_parse_form(text, len, &err);
	if (v) {
		char *got = json_dumps(v, JSON_COMPACT);
		fail_msg("form '%s' accepted as %s", text, got);
	}
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	assert_string_equal(err.param, param);
	if (message_part && !strstr(err.message, message_part))
		fail_msg("message '%s' lacks '%s'", err.message, message_part);
}

/* ---- the form parser -------------------------------------------------- */

static void test_form_basics(void **state)
{
	(void)state;
	assert_form("", "{}");
	assert_form("&&&", "{}");
	assert_form("a=1", "{\"a\":\"1\"}");
	assert_form("a=1&b=two", "{\"a\":\"1\",\"b\":\"two\"}");
	assert_form("a", "{\"a\":\"\"}");
	assert_form("a=", "{\"a\":\"\"}");
	assert_form("a=x=y", "{\"a\":\"x=y\"}");
	assert_form("a=1&a=2", "{\"a\":\"2\"}"); /* last wins */
	assert_form("name=Jenny+Rosen", "{\"name\":\"Jenny Rosen\"}");
	assert_form("name=Jenny%20Rosen%2B1", "{\"name\":\"Jenny Rosen+1\"}");
	assert_form("e=a%40b.c&%61=%7e", "{\"a\":\"~\",\"e\":\"a@b.c\"}");
	assert_form("u=%C3%A9t%c3%a9", "{\"u\":\"\xC3\xA9t\xC3\xA9\"}");
	assert_form("u=\xE2\x82\xAC", "{\"u\":\"\xE2\x82\xAC\"}"); /* raw UTF-8 */
	assert_form("&a=1&&b=2&", "{\"a\":\"1\",\"b\":\"2\"}");
}

static void test_form_nesting(void **state)
{
	(void)state;
	assert_form("metadata[plan]=gold", "{\"metadata\":{\"plan\":\"gold\"}}");
	assert_form("metadata%5Bplan%5D=gold", "{\"metadata\":{\"plan\":\"gold\"}}");
	assert_form("metadata%5bplan%5d=gold&metadata[tier]=2", "{\"metadata\":{\"plan\":\"gold\",\"tier\":\"2\"}}");
	assert_form("items[0][price]=p&items[0][quantity]=2&items[1][price]=q",
	            "{\"items\":{\"0\":{\"price\":\"p\",\"quantity\":\"2\"},\"1\":{\"price\":\"q\"}}}");
	assert_form("a[]=x&a[]=y", "{\"a\":[\"x\",\"y\"]}");
	assert_form("a%5B%5D=x&a[]=y", "{\"a\":[\"x\",\"y\"]}");
	assert_form("a[b][]=1&a[b][]=2", "{\"a\":{\"b\":[\"1\",\"2\"]}}");
	assert_form("a[][b]=1&a[][c]=2&a[][b]=3", "{\"a\":[{\"b\":\"1\",\"c\":\"2\"},{\"b\":\"3\"}]}");
	assert_form("created[gte]=5&created[lt]=9", "{\"created\":{\"gte\":\"5\",\"lt\":\"9\"}}");
	assert_form("a[b]=1&a[b]=2", "{\"a\":{\"b\":\"2\"}}");
	assert_form("a[x y]=1", "{\"a\":{\"x y\":\"1\"}}");
	assert_form("a[]=", "{\"a\":[\"\"]}");
	assert_form("a[b]=1&c=2&a[d]=3", "{\"a\":{\"b\":\"1\",\"d\":\"3\"},\"c\":\"2\"}");
	/* 16 groups deep is the limit */
	assert_form(
	    "a[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16]=x",
	    "{\"a\":{\"1\":{\"2\":{\"3\":{\"4\":{\"5\":{\"6\":{\"7\":{\"8\":{\"9\":{\"10\":{\"11\":{\"12\":{\"13\":"
	    "{\"14\":{\"15\":{\"16\":\"x\"}}}}}}}}}}}}}}}}}");
}

static void test_form_refused(void **state)
{
	(void)state;
	assert_form_refused("a=%", 3, "a", "percent-encoding");
	assert_form_refused("a=%4", 4, "a", "percent-encoding");
	assert_form_refused("a=%zz", 5, "a", "percent-encoding");
	assert_form_refused("a=%4g", 5, "a", "percent-encoding");
	assert_form_refused("metadata[k]=%G0", 15, "metadata[k]", "percent-encoding");
	assert_form_refused("a%=1", 4, "a%", "percent-encoding in parameter name");
	assert_form_refused("a=%FF", 5, "a", "UTF-8");
	assert_form_refused("a=\xFF", 3, "a", "UTF-8");
	assert_form_refused("a=%C3", 5, "a", "UTF-8");           /* truncated sequence */
	assert_form_refused("a=%C0%AF", 8, "a", "UTF-8");        /* overlong '/' */
	assert_form_refused("a=%ED%A0%80", 11, "a", "UTF-8");    /* surrogate */
	assert_form_refused("a=%F4%90%80%80", 14, "a", "UTF-8"); /* past U+10FFFF */
	assert_form_refused("%FF=1", 5, "?", "UTF-8");
	assert_form_refused("\xC3(=1", 4, "?(", "UTF-8");
	assert_form_refused("a=x%00y", 7, "a", "NUL");
	assert_form_refused("a=x\0y", 5, "a", "NUL");
	assert_form_refused("a%00b=1", 7, "a?b", "UTF-8");
	assert_form_refused("=1", 2, "", "without a name");
	assert_form_refused("[a]=1", 5, "[a]", "Invalid parameter name");
	assert_form_refused("a[b=1", 5, "a[b", "Invalid parameter name");
	assert_form_refused("a[b]c=1", 7, "a[b]c", "Invalid parameter name");
	assert_form_refused("a[][]=1", 7, "a[][]", "Invalid parameter name");
	assert_form_refused("metadata[]]=x", 13, "metadata[]]",
	                    "Invalid parameter name"); /* a group ends at the first ']' */
	assert_form_refused("a=1&a[b]=2", 10, "a[b]", "Conflicting");
	assert_form_refused("a[b]=2&a=1", 10, "a", "Conflicting");
	assert_form_refused("a[]=1&a[0]=2", 12, "a[0]", "Conflicting");
	assert_form_refused("a[0]=1&a[]=2", 12, "a[]", "Conflicting");
	assert_form_refused("a[]=1&a[][b]=2", 14, "a[][b]", "Conflicting");
	assert_form_refused("a=1&a[]=2", 9, "a[]", "Conflicting");
	assert_form_refused("a[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][17]=x", 62,
	                    "a[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][17]", "nested");
	/* the error names the decoded key even when it is long (truncated to fit) */
	struct og_error err;
	char longkey[200];
	memset(longkey, 'k', sizeof longkey);
	memcpy(longkey + 190, "=%", 2);
	assert_null(params_parse_form(longkey, 192, &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	assert_int_equal(strlen(err.param), sizeof err.param - 1);
	/* a NULL text with length 0 is an empty form */
	json_t *v = params_parse_form(NULL, 0, &err);
	assert_true(json_is_object(v) && json_object_size(v) == 0);
	json_decref(v);
}

/* The one percent-decoder: forms ('+' is a space) and paths ('+' is itself). */
static void test_percent_decode(void **state)
{
	(void)state;
	char out[32];
	assert_int_equal(params_percent_decode("a+b%20c%2B", 10, true, out), 6);
	assert_string_equal(out, "a b c+");
	assert_int_equal(params_percent_decode("a+b%20c%2B", 10, false, out), 6);
	assert_string_equal(out, "a+b c+");
	assert_int_equal(params_percent_decode("%e2%82%AC", 9, false, out), 3);
	assert_string_equal(out, "\xE2\x82\xAC");
	assert_int_equal(params_percent_decode("x%00y", 5, false, out), 3); /* NUL decoded: the caller checks */
	assert_int_equal(out[1], 0);
	assert_int_equal(params_percent_decode("", 0, true, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(params_percent_decode("%", 1, false, out), -1);
	assert_int_equal(params_percent_decode("%4", 2, true, out), -1);
	assert_int_equal(params_percent_decode("%zz", 3, false, out), -1);
	assert_int_equal(params_percent_decode("ab%4g", 5, true, out), -1);
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(params_utf8_valid("", 0));
	assert_true(params_utf8_valid("abc", 3));
	assert_true(params_utf8_valid("a\0b", 3));
	assert_true(params_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", 13));
	assert_false(params_utf8_valid("\x80", 1));
	assert_false(params_utf8_valid("\xC1\xBF", 2));         /* overlong */
	assert_false(params_utf8_valid("\xE0\x9F\xBF", 3));     /* overlong */
	assert_false(params_utf8_valid("\xF0\x8F\xBF\xBF", 4)); /* overlong */
	assert_false(params_utf8_valid("\xED\xBF\xBF", 3));     /* surrogate */
	assert_false(params_utf8_valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(params_utf8_valid("\xF5\x80\x80\x80", 4));
	assert_false(params_utf8_valid("\xE2\x82", 2)); /* truncated */
	assert_false(params_utf8_valid("\xE2\x28\xA1", 3));
	/* the length is honoured */
	assert_true(params_utf8_valid("ok\xFF", 2));
}

static void test_form_long_pair(void **state)
{
	(void)state;
	/* longer than the parser's stack buffer */
	size_t n = 5000;
	char *text = malloc(n + 3);
	memcpy(text, "a=", 2);
	memset(text + 2, 'x', n);
	text[n + 2] = 0;
	struct og_error err;
	json_t *v = params_parse_form(text, n + 2, &err);
	assert_non_null(v);
	assert_int_equal(json_string_length(json_object_get(v, "a")), n);
	json_decref(v);
	text[n] = '%';
	assert_null(params_parse_form(text, n + 2, &err));
	assert_string_equal(err.param, "a");
	free(text);
}

/* ---- the JSON parser -------------------------------------------------- */

static void test_json_body(void **state)
{
	(void)state;
	struct og_error err;
	json_t *v = params_parse_json_body("{\"a\":1}", 7, &err);
	assert_true(json_is_object(v));
	json_decref(v);
	v = params_parse_json_body("", 0, &err);
	assert_true(json_is_object(v) && json_object_size(v) == 0);
	json_decref(v);
	v = params_parse_json_body(" \n{ } \n", 7, &err);
	assert_true(json_is_object(v));
	json_decref(v);

	assert_null(params_parse_json_body("[1,2]", 5, &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	assert_string_equal(err.param, "");
	assert_non_null(strstr(err.message, "must be a JSON object"));

	assert_null(params_parse_json_body("\"x\"", 3, &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);

	const char *bad = "{\n  \"a\": 1,\n  \"b\": tru\n}";
	assert_null(params_parse_json_body(bad, strlen(bad), &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	assert_non_null(strstr(err.message, "line 3"));
	assert_non_null(strstr(err.message, "column"));

	assert_null(params_parse_json_body("{\"a\":1} x", 9, &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	assert_null(params_parse_json_body("{\"a\":1,\"a\":2}", 13, &err));
	assert_non_null(strstr(err.message, "duplicate"));
	assert_null(params_parse_json_body("{\"a\":\"\\u0000\"}", 14, &err));
	assert_null(params_parse_json_body("{\"a\":\"\xFF\"}", 8, &err));
	assert_null(params_parse_json_body("{\"a\":99999999999999999999}", 26, &err));
	assert_int_equal(err.ec, OG_EC_BODY_INVALID);
	/* length is honoured: the text need not be NUL-terminated */
	v = params_parse_json_body("{}garbage", 2, &err);
	assert_non_null(v);
	json_decref(v);
}

/* ---- the validator, type by type -------------------------------------- */

static void test_string(void **state)
{
	(void)state;
	const char *name = NULL, *desc = "unchanged", *nick = NULL;
	bool has_name = false, has_desc = false, desc_null = false;
	struct param_spec spec[] = {
	    PARAM_STRING("name", &name, &has_name, 10, P_REQUIRED),
	    {.name = "description",
	     .type = PT_STRING,
	     .flags = P_NULLABLE,
	     .out = &desc,
	     .present = &has_desc,
	     .is_null = &desc_null,
	     .max = 20},
	    PARAM_STRING("nickname", &nick, NULL, 0, 0),
	    PARAM_END,
	};
	struct og_req *rq = form("name=Jenny+R&nickname=");
	assert_ok(rq, spec);
	assert_string_equal(name, "Jenny R");
	assert_true(has_name);
	assert_false(has_desc);
	assert_string_equal(desc, "unchanged");
	assert_string_equal(nick, ""); /* "" kept for a non-nullable optional string */
	req_free(rq);

	rq = json("{\"name\":\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\",\"description\":null}"); /* 10 bytes */
	assert_ok(rq, spec);
	assert_int_equal(strlen(name), 10);
	assert_true(has_desc && desc_null);
	assert_null(desc);
	req_free(rq);

	desc = "x";
	desc_null = false;
	rq = form("name=a&description=");
	assert_ok(rq, spec);
	assert_true(desc_null);
	assert_null(desc);
	req_free(rq);
	rq = json("{\"name\":\"a\",\"description\":\"\"}"); /* JSON "" is form "" */
	desc = "x";
	desc_null = false;
	assert_ok(rq, spec);
	assert_true(desc_null);
	assert_null(desc);
	req_free(rq);
	rq = json("{\"name\":\"a\",\"description\":\"d\"}");
	desc_null = true;
	assert_ok(rq, spec);
	assert_false(desc_null);
	assert_string_equal(desc, "d");
	req_free(rq);

	/* the default limit of a max-0 string is 5000 bytes */
	char *big = malloc(5000 + 40);
	int n = snprintf(big, 40, "name=a&nickname=");
	memset(big + n, 'x', 5001);
	big[n + 5001] = 0;
	form_err(big, spec, OG_EC_PARAM_TOO_LONG, "nickname", "at most 5000");
	big[n + 5000] = 0;
	rq = form(big);
	assert_ok(rq, spec);
	req_free(rq);
	free(big);

	/* a long multibyte value is quoted cut at a character boundary: the message stays UTF-8 */
	char multi[400] = "name=";
	for (int i = 0; i < 60; i++)
		memcpy(multi + 5 + 6 * i, "%C3%A9", 7);
	rq = form(multi);
	check_err(rq, spec, OG_EC_PARAM_TOO_LONG, "name", "...");
	json_t *msg = json_string(rq->err.message);
	assert_non_null(msg);
	json_decref(msg);
	req_free(rq);

	form_err("", spec, OG_EC_PARAM_MISSING, "name", "Missing required param: name.");
	json_err("{}", spec, OG_EC_PARAM_MISSING, "name", "Missing required param: name.");
	form_err("name=", spec, OG_EC_PARAM_MISSING, "name", NULL);
	json_err("{\"name\":\"\"}", spec, OG_EC_PARAM_MISSING, "name", NULL);
	json_err("{\"name\":null}", spec, OG_EC_PARAM_MISSING, "name", NULL);
	form_err("name=12345678901", spec, OG_EC_PARAM_TOO_LONG, "name", "at most 10 characters");
	json_err("{\"name\":\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9x\"}", spec, OG_EC_PARAM_TOO_LONG, "name", NULL);
	json_err("{\"name\":5}", spec, OG_EC_PARAM_INVALID, "name", "Invalid string: 5");
	json_err("{\"name\":true}", spec, OG_EC_PARAM_INVALID, "name", "Invalid string: true");
	json_err("{\"name\":{\"a\":1}}", spec, OG_EC_PARAM_INVALID, "name", "an object");
	json_err("{\"name\":[\"a\"]}", spec, OG_EC_PARAM_INVALID, "name", "a list");
	form_err("name[]=a", spec, OG_EC_PARAM_INVALID, "name", "a list");
	form_err("name[x]=a", spec, OG_EC_PARAM_INVALID, "name", "an object");
	json_err("{\"name\":\"a\",\"nickname\":null}", spec, OG_EC_PARAM_INVALID, "nickname", "cannot be null");
}

static void test_int64(void **state)
{
	(void)state;
	int64_t days = -1, any = 0;
	bool has_days = false;
	struct param_spec spec[] = {
	    PARAM_INT64("days", &days, &has_days, 0, 730, 0),
	    PARAM_INT64("any", &any, NULL, 0, 0, 0), /* 0, 0: the whole int64 range */
	    PARAM_END,
	};
	struct og_req *rq = form("days=30&any=-9223372036854775808");
	assert_ok(rq, spec);
	assert_int_equal(days, 30);
	assert_true(has_days);
	assert_true(any == INT64_MIN);
	req_free(rq);
	rq = json("{\"days\":730,\"any\":9223372036854775807}");
	assert_ok(rq, spec);
	assert_int_equal(days, 730);
	assert_true(any == INT64_MAX);
	req_free(rq);
	rq = form("days=007");
	assert_ok(rq, spec);
	assert_int_equal(days, 7);
	req_free(rq);
	days = 99;
	has_days = false;
	rq = form("");
	assert_ok(rq, spec);
	assert_int_equal(days, 99); /* absent: untouched */
	assert_false(has_days);
	req_free(rq);

	form_err("days=731", spec, OG_EC_PARAM_INTEGER, "days", "between 0 and 730");
	json_err("{\"days\":-1}", spec, OG_EC_PARAM_INTEGER, "days", "between 0 and 730");
	form_err("days=abc", spec, OG_EC_PARAM_INTEGER, "days", "Invalid integer: abc");
	form_err("days=1.5", spec, OG_EC_PARAM_INTEGER, "days", "Invalid integer: 1.5");
	form_err("days=+5", spec, OG_EC_PARAM_INTEGER, "days", NULL);
	form_err("days=+5", spec, OG_EC_PARAM_INTEGER, "days", NULL);
	form_err("days=5+", spec, OG_EC_PARAM_INTEGER, "days", NULL); /* "5 " */
	form_err("days=-", spec, OG_EC_PARAM_INTEGER, "days", NULL);
	form_err("days=0x10", spec, OG_EC_PARAM_INTEGER, "days", NULL);
	form_err("days=", spec, OG_EC_PARAM_INTEGER, "days", "Invalid integer: ");
	form_err("any=9223372036854775808", spec, OG_EC_PARAM_INTEGER, "any", "too large");
	form_err("any=-9223372036854775809", spec, OG_EC_PARAM_INTEGER, "any", "too large");
	form_err("any=99999999999999999999999", spec, OG_EC_PARAM_INTEGER, "any", "too large");
	json_err("{\"days\":\"5\"}", spec, OG_EC_PARAM_INVALID, "days", "Invalid integer: 5");
	json_err("{\"days\":5.0}", spec, OG_EC_PARAM_INVALID, "days", "Invalid integer: 5");
	json_err("{\"days\":true}", spec, OG_EC_PARAM_INVALID, "days", "Invalid integer: true");
	json_err("{\"days\":null}", spec, OG_EC_PARAM_INVALID, "days", "cannot be null");
	json_err("{\"days\":\"\"}", spec, OG_EC_PARAM_INVALID, "days", "Invalid integer: ");
	form_err("days[]=1", spec, OG_EC_PARAM_INVALID, "days", "Invalid integer: a list");
}

static void test_amount(void **state)
{
	(void)state;
	int64_t amount = -1, fee = -1;
	struct param_spec spec[] = {
	    PARAM_AMOUNT("unit_amount", &amount, NULL, P_REQUIRED),
	    {.name = "fee", .type = PT_AMOUNT, .out = &fee, .min = 1, .max = 100},
	    PARAM_END,
	};
	struct og_req *rq = form("unit_amount=0");
	assert_ok(rq, spec);
	assert_int_equal(amount, 0);
	req_free(rq);
	rq = json("{\"unit_amount\":99999999999,\"fee\":100}");
	assert_ok(rq, spec);
	assert_true(amount == 99999999999LL);
	assert_int_equal(fee, 100);
	req_free(rq);

	form_err("unit_amount=-1", spec, OG_EC_PARAM_AMOUNT, "unit_amount", "between 0 and 99999999999");
	json_err("{\"unit_amount\":-5}", spec, OG_EC_PARAM_AMOUNT, "unit_amount", NULL);
	json_err("{\"unit_amount\":100000000000}", spec, OG_EC_PARAM_AMOUNT, "unit_amount", NULL);
	form_err("unit_amount=99999999999999999999", spec, OG_EC_PARAM_AMOUNT, "unit_amount", "too large");
	form_err("unit_amount=-99999999999999999999", spec, OG_EC_PARAM_AMOUNT, "unit_amount", NULL);
	form_err("unit_amount=1&fee=0", spec, OG_EC_PARAM_AMOUNT, "fee", "between 1 and 100");
	form_err("unit_amount=12.50", spec, OG_EC_PARAM_INTEGER, "unit_amount", "Invalid integer: 12.50");
	json_err("{\"unit_amount\":12.5}", spec, OG_EC_PARAM_INVALID, "unit_amount", "Invalid integer: 12.5");
	json_err("{\"unit_amount\":\"100\"}", spec, OG_EC_PARAM_INVALID, "unit_amount", NULL);
	form_err("unit_amount=", spec, OG_EC_PARAM_MISSING, "unit_amount", NULL);
	json_err("{\"unit_amount\":null}", spec, OG_EC_PARAM_MISSING, "unit_amount", NULL);
	form_err("fee=1", spec, OG_EC_PARAM_MISSING, "unit_amount", NULL);
}

static void test_timestamp(void **state)
{
	(void)state;
	int64_t at = -1;
	bool has_at = false, at_null = false;
	struct param_spec spec[] = {
	    {.name = "trial_end",
	     .type = PT_TIMESTAMP,
	     .flags = P_NULLABLE,
	     .out = &at,
	     .present = &has_at,
	     .is_null = &at_null},
	    PARAM_END,
	};
	struct og_req *rq = form("trial_end=253402300799");
	assert_ok(rq, spec);
	assert_true(at == 253402300799LL);
	req_free(rq);
	rq = json("{\"trial_end\":0}");
	assert_ok(rq, spec);
	assert_int_equal(at, 0);
	assert_false(at_null);
	req_free(rq);
	rq = json("{\"trial_end\":null}");
	assert_ok(rq, spec);
	assert_true(has_at && at_null);
	req_free(rq);
	at_null = false;
	rq = form("trial_end=");
	assert_ok(rq, spec);
	assert_true(at_null);
	req_free(rq);
	form_err("trial_end=253402300800", spec, OG_EC_PARAM_INVALID, "trial_end", "between 0 and 253402300799");
	json_err("{\"trial_end\":-1}", spec, OG_EC_PARAM_INVALID, "trial_end", NULL);
	form_err("trial_end=now", spec, OG_EC_PARAM_INTEGER, "trial_end", "Invalid timestamp: now");
	form_err("trial_end=99999999999999999999", spec, OG_EC_PARAM_INTEGER, "trial_end", "too large");
	json_err("{\"trial_end\":\"1700000000\"}", spec, OG_EC_PARAM_INVALID, "trial_end", "Invalid timestamp");
}

static void test_bool(void **state)
{
	(void)state;
	bool active = false, has_active = false;
	struct param_spec spec[] = {PARAM_BOOL("active", &active, &has_active, 0), PARAM_END};
	struct og_req *rq = form("active=true");
	assert_ok(rq, spec);
	assert_true(active && has_active);
	req_free(rq);
	rq = form("active=false");
	assert_ok(rq, spec);
	assert_false(active);
	req_free(rq);
	rq = json("{\"active\":true}");
	assert_ok(rq, spec);
	assert_true(active);
	req_free(rq);
	rq = json("{\"active\":false}");
	assert_ok(rq, spec);
	assert_false(active);
	req_free(rq);
	/* forms and query strings: any letter case, as Stripe reads them */
	static const char *const truthy[] = {"active=True", "active=TRUE", "active=tRuE"};
	for (size_t i = 0; i < 3; i++) {
		active = false;
		rq = form(truthy[i]);
		assert_ok(rq, spec);
		assert_true(active);
		req_free(rq);
	}
	rq = form("active=False");
	active = true;
	assert_ok(rq, spec);
	assert_false(active);
	req_free(rq);
	rq = query("active=FALSE");
	active = true;
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_NONE);
	assert_false(active);
	req_free(rq);
	form_err("active=1", spec, OG_EC_PARAM_INVALID, "active", "Invalid boolean: 1");
	form_err("active=yes", spec, OG_EC_PARAM_INVALID, "active", NULL);
	form_err("active=truE%20", spec, OG_EC_PARAM_INVALID, "active", NULL);
	form_err("active=tru", spec, OG_EC_PARAM_INVALID, "active", NULL);
	form_err("active=truee", spec, OG_EC_PARAM_INVALID, "active", NULL);
	/* JSON stays strict: only true and false */
	json_err("{\"active\":\"True\"}", spec, OG_EC_PARAM_INVALID, "active", "Invalid boolean: True");
	json_err("{\"active\":\"TRUE\"}", spec, OG_EC_PARAM_INVALID, "active", NULL);
	form_err("active=", spec, OG_EC_PARAM_INVALID, "active", "Invalid boolean: ");
	json_err("{\"active\":\"true\"}", spec, OG_EC_PARAM_INVALID, "active", "Invalid boolean: true");
	json_err("{\"active\":1}", spec, OG_EC_PARAM_INVALID, "active", NULL);
	json_err("{\"active\":null}", spec, OG_EC_PARAM_INVALID, "active", "cannot be null");
}

static const char *const intervals[] = {"day", "week", "month", "year", NULL};
static const char *const two[] = {"charge_automatically", "send_invoice", NULL};

static void test_enum(void **state)
{
	(void)state;
	int interval = -1, method = -1;
	struct param_spec spec[] = {
	    PARAM_ENUM("interval", &interval, NULL, intervals, P_REQUIRED),
	    PARAM_ENUM("collection_method", &method, NULL, two, 0),
	    PARAM_END,
	};
	struct og_req *rq = form("interval=month&collection_method=send_invoice");
	assert_ok(rq, spec);
	assert_int_equal(interval, 2);
	assert_int_equal(method, 1);
	req_free(rq);
	rq = json("{\"interval\":\"year\"}");
	assert_ok(rq, spec);
	assert_int_equal(interval, 3);
	req_free(rq);
	form_err("interval=Month", spec, OG_EC_PARAM_INVALID, "interval",
	         "Invalid interval: must be one of day, week, month, or year (got Month).");
	form_err("interval=day&collection_method=x", spec, OG_EC_PARAM_INVALID, "collection_method",
	         "must be one of charge_automatically or send_invoice");
	json_err("{\"interval\":2}", spec, OG_EC_PARAM_INVALID, "interval", "(got 2)");
	form_err("interval=", spec, OG_EC_PARAM_MISSING, "interval", NULL);
}

static void test_id(void **state)
{
	(void)state;
	char id[ID_MAX_LEN], other[ID_MAX_LEN], body[128];
	ids_encode(ID_CUSTOMER, 42, id);
	ids_encode(ID_PRICE, 42, other);
	int64_t customer = 0;
	bool has = false;
	struct param_spec spec[] = {PARAM_ID("customer", ID_CUSTOMER, &customer, &has, P_REQUIRED), PARAM_END};
	snprintf(body, sizeof body, "customer=%s", id);
	struct og_req *rq = form(body);
	assert_ok(rq, spec);
	assert_int_equal(customer, 42);
	assert_true(has);
	req_free(rq);
	snprintf(body, sizeof body, "{\"customer\":\"%s\"}", id);
	rq = json(body);
	customer = 0;
	assert_ok(rq, spec);
	assert_int_equal(customer, 42);
	req_free(rq);

	snprintf(body, sizeof body, "customer=%s", other);
	char want[64];
	snprintf(want, sizeof want, "No such customer: '%s'", other);
	form_err(body, spec, OG_EC_PARAM_ID, "customer", want);
	form_err("customer=cus_nope", spec, OG_EC_PARAM_ID, "customer", "No such customer: 'cus_nope'");
	json_err("{\"customer\":\"x\"}", spec, OG_EC_PARAM_ID, "customer", "No such customer: 'x'");
	json_err("{\"customer\":42}", spec, OG_EC_PARAM_INVALID, "customer", "expected an id");
	form_err("customer=", spec, OG_EC_PARAM_MISSING, "customer", NULL);

	struct param_spec kinds[] = {PARAM_ID("k", ID_SUB_ITEM, &customer, NULL, 0), PARAM_END};
	form_err("k=si_x", kinds, OG_EC_PARAM_ID, "k", "No such subscription item: 'si_x'");
	kinds[0].id_kind = ID_API_KEY;
	form_err("k=x", kinds, OG_EC_PARAM_ID, "k", "No such API key");
	kinds[0].id_kind = ID_TEST_CLOCK;
	form_err("k=x", kinds, OG_EC_PARAM_ID, "k", "No such test clock");
}

static void test_currency(void **state)
{
	(void)state;
	const char *cur = NULL;
	bool cur_null = false;
	struct param_spec spec[] = {
	    {.name = "currency", .type = PT_CURRENCY, .flags = P_NULLABLE, .out = &cur, .is_null = &cur_null},
	    PARAM_END,
	};
	struct og_req *rq = form("currency=usd");
	assert_ok(rq, spec);
	assert_string_equal(cur, "usd");
	req_free(rq);
	rq = json("{\"currency\":\"EUR\"}");
	assert_ok(rq, spec);
	assert_string_equal(cur, "eur"); /* stored lowercase */
	req_free(rq);
	rq = form("currency=JPY");
	assert_ok(rq, spec);
	assert_string_equal(cur, "jpy");
	req_free(rq);
	rq = form("currency=");
	assert_ok(rq, spec);
	assert_null(cur);
	assert_true(cur_null);
	req_free(rq);
	form_err("currency=xyz", spec, OG_EC_PARAM_CURRENCY, "currency", "Invalid currency: xyz.");
	form_err("currency=usdd", spec, OG_EC_PARAM_CURRENCY, "currency", NULL);
	form_err("currency=us", spec, OG_EC_PARAM_CURRENCY, "currency", NULL);
	form_err("currency=usd+", spec, OG_EC_PARAM_CURRENCY, "currency", NULL);
	json_err("{\"currency\":840}", spec, OG_EC_PARAM_INVALID, "currency", "Invalid currency: 840");
}

static void test_metadata(void **state)
{
	(void)state;
	json_t *md = NULL;
	bool has_md = false;
	struct param_spec spec[] = {PARAM_METADATA("metadata", &md, &has_md), PARAM_END};
	struct og_req *rq = form("metadata[plan]=gold&metadata[old]=");
	assert_ok(rq, spec);
	assert_true(has_md);
	assert_string_equal(json_string_value(json_object_get(md, "plan")), "gold");
	assert_string_equal(json_string_value(json_object_get(md, "old")), ""); /* "" = unset that key */
	req_free(rq);
	rq = json("{\"metadata\":{\"plan\":\"gold\",\"old\":\"\"}}");
	assert_ok(rq, spec);
	assert_int_equal(json_object_size(md), 2);
	req_free(rq);
	rq = form("metadata=");
	assert_ok(rq, spec);
	assert_true(json_is_null(md)); /* clear all */
	req_free(rq);
	md = NULL;
	rq = json("{\"metadata\":null}");
	assert_ok(rq, spec);
	assert_true(json_is_null(md));
	req_free(rq);
	md = NULL;
	rq = json("{\"metadata\":\"\"}");
	assert_ok(rq, spec);
	assert_true(json_is_null(md));
	req_free(rq);
	rq = json("{\"metadata\":{}}");
	assert_ok(rq, spec);
	assert_true(json_is_object(md));
	req_free(rq);

	/* 50 keys, 40-byte keys and 500-byte values are the limits */
	char *body = malloc(20000);
	size_t n = 0;
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(body + n, 20000 - n, "%smetadata[k%d]=v", i ? "&" : "", i);
	rq = form(body);
	assert_ok(rq, spec);
	req_free(rq);
	snprintf(body + n, 20000 - n, "&metadata[k50]=v");
	form_err(body, spec, OG_EC_PARAM_INVALID, "metadata", "at most 50 keys");

	n = (size_t)snprintf(body, 20000, "metadata[");
	memset(body + n, 'k', 40);
	n += 40;
	n += (size_t)snprintf(body + n, 20000 - n, "]=");
	memset(body + n, 'v', 500);
	body[n + 500] = 0;
	rq = form(body);
	assert_ok(rq, spec);
	req_free(rq);
	memset(body + n, 'v', 501);
	body[n + 501] = 0;
	form_err(body, spec, OG_EC_PARAM_TOO_LONG, "metadata[kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk]", "500");
	form_err("metadata[kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk]=v", spec, OG_EC_PARAM_TOO_LONG,
	         "metadata[kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk]", "up to 40 characters");
	free(body);

	json_err("{\"metadata\":{\"n\":5}}", spec, OG_EC_PARAM_INVALID, "metadata[n]", "must be strings");
	json_err("{\"metadata\":{\"n\":null}}", spec, OG_EC_PARAM_INVALID, "metadata[n]", "must be strings");
	json_err("{\"metadata\":{\"n\":{\"x\":\"y\"}}}", spec, OG_EC_PARAM_INVALID, "metadata[n]", NULL);
	json_err("{\"metadata\":{\"\":\"y\"}}", spec, OG_EC_PARAM_INVALID, "metadata[]", "must not be empty");
	form_err("metadata[a][b]=c", spec, OG_EC_PARAM_INVALID, "metadata[a]", "an object");
	form_err("metadata[]=x", spec, OG_EC_PARAM_INVALID, "metadata", "a list");
	form_err("metadata=gold", spec, OG_EC_PARAM_INVALID, "metadata", "expected an object");
	json_err("{\"metadata\":[\"x\"]}", spec, OG_EC_PARAM_INVALID, "metadata", NULL);
	json_err("{\"metadata\":5}", spec, OG_EC_PARAM_INVALID, "metadata", NULL);
}

static void test_object(void **state)
{
	(void)state;
	int interval = -1;
	int64_t count = 1;
	bool has_rec = false, rec_null = false;
	struct param_spec recurring[] = {
	    PARAM_ENUM("interval", &interval, NULL, intervals, P_REQUIRED),
	    PARAM_INT64("interval_count", &count, NULL, 1, 365, 0),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    {.name = "recurring",
	     .type = PT_OBJECT,
	     .flags = P_NULLABLE,
	     .sub = recurring,
	     .present = &has_rec,
	     .is_null = &rec_null},
	    PARAM_END,
	};
	struct og_req *rq = form("recurring[interval]=week&recurring[interval_count]=2");
	assert_ok(rq, spec);
	assert_true(has_rec);
	assert_false(rec_null);
	assert_int_equal(interval, 1);
	assert_int_equal(count, 2);
	req_free(rq);
	rq = json("{\"recurring\":{\"interval\":\"day\"}}");
	assert_ok(rq, spec);
	assert_int_equal(interval, 0);
	req_free(rq);
	rq = json("{\"recurring\":null}");
	assert_ok(rq, spec);
	assert_true(rec_null);
	req_free(rq);
	rec_null = false;
	rq = form("recurring=");
	assert_ok(rq, spec);
	assert_true(rec_null);
	req_free(rq);

	form_err("recurring[interval_count]=2", spec, OG_EC_PARAM_MISSING, "recurring[interval]",
	         "Missing required param: recurring[interval].");
	form_err("recurring[interval]=fortnight", spec, OG_EC_PARAM_INVALID, "recurring[interval]", NULL);
	form_err("recurring[interval]=day&recurring[interval_count]=x", spec, OG_EC_PARAM_INTEGER,
	         "recurring[interval_count]", NULL);
	form_err("recurring[interval]=day&recurring[usage]=x", spec, OG_EC_PARAM_UNKNOWN, "recurring[usage]",
	         "Received unknown parameter: recurring[usage]");
	json_err("{\"recurring\":{\"interval\":\"day\",\"expand\":1}}", spec, OG_EC_PARAM_UNKNOWN, "recurring[expand]",
	         NULL); /* expand only at the top */
	json_err("{\"recurring\":\"month\"}", spec, OG_EC_PARAM_INVALID, "recurring", "Invalid object recurring");
	json_err("{\"recurring\":[]}", spec, OG_EC_PARAM_INVALID, "recurring", NULL);

	struct param_spec amounts[] = {{.name = "a", .type = PT_AMOUNT, .out = &count}, PARAM_END};
	form_err("a=100000000000", amounts, OG_EC_PARAM_AMOUNT, "a", "between 0 and 99999999999");
	struct param_spec required[] = {PARAM_OBJECT("recurring", recurring, NULL, P_REQUIRED), PARAM_END};
	json_err("{}", required, OG_EC_PARAM_MISSING, "recurring", NULL);
	json_err("{\"recurring\":null}", required, OG_EC_PARAM_MISSING, "recurring", NULL);
	form_err("recurring=", required, OG_EC_PARAM_MISSING, "recurring", NULL);
	struct param_spec plain[] = {PARAM_OBJECT("recurring", recurring, NULL, 0), PARAM_END};
	form_err("recurring=", plain, OG_EC_PARAM_INVALID, "recurring", NULL);
	json_err("{\"recurring\":null}", plain, OG_EC_PARAM_INVALID, "recurring", "cannot be null");
}

/* items: an array of {price, quantity} collected into a small struct */
struct item {
	int64_t price;
	int64_t quantity;
	const char *note;
};
struct items {
	struct item v[4];
	size_t n;
	char last_path[64];
};

static enum og_ec parse_item(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	struct items *items = ctx;
	struct item *it = &items->v[index];
	it->quantity = 1;
	struct param_spec spec[] = {
	    PARAM_ID("price", ID_PRICE, &it->price, NULL, P_REQUIRED),
	    PARAM_INT64("quantity", &it->quantity, NULL, 1, 1000000, 0),
	    PARAM_STRING("note", &it->note, NULL, 20, 0),
	    PARAM_END,
	};
	snprintf(items->last_path, sizeof items->last_path, "%s", path);
	items->n = index + 1;
	return params_parse(rq, elem, spec, path);
}

static enum og_ec parse_tag(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	const char **tags = ctx;
	if (!json_is_string(elem))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, path, "Invalid string: %s", path);
	tags[index] = json_string_value(elem);
	return OG_EC_NONE;
}

static void test_array(void **state)
{
	(void)state;
	struct items items = {0};
	const char *tags[8] = {0};
	bool has_items = false;
	struct param_spec spec[] = {
	    PARAM_ARRAY("items", parse_item, &items, &has_items, 3, P_REQUIRED),
	    PARAM_ARRAY("tags", parse_tag, tags, NULL, 0, 0),
	    PARAM_END,
	};
	char p0[ID_MAX_LEN], p1[ID_MAX_LEN], body[512];
	ids_encode(ID_PRICE, 7, p0);
	ids_encode(ID_PRICE, 8, p1);
	/* out of order keys are fine as long as 0..n-1 are all there */
	snprintf(body, sizeof body, "items[1][price]=%s&items[0][price]=%s&items[0][quantity]=3&tags[]=a&tags[]=b", p1,
	         p0);
	struct og_req *rq = form(body);
	assert_ok(rq, spec);
	assert_true(has_items);
	assert_int_equal(items.n, 2);
	assert_int_equal(items.v[0].price, 7);
	assert_int_equal(items.v[0].quantity, 3);
	assert_int_equal(items.v[1].price, 8);
	assert_int_equal(items.v[1].quantity, 1);
	assert_string_equal(items.last_path, "items[1]");
	assert_string_equal(tags[0], "a");
	assert_string_equal(tags[1], "b");
	req_free(rq);

	/* Rack-style items[][price] works too */
	snprintf(body, sizeof body, "items[][price]=%s&items[][price]=%s", p0, p1);
	rq = form(body);
	memset(&items, 0, sizeof items);
	assert_ok(rq, spec);
	assert_int_equal(items.n, 2);
	req_free(rq);

	snprintf(body, sizeof body, "{\"items\":[{\"price\":\"%s\"}],\"tags\":[]}", p0);
	rq = json(body);
	memset(&items, 0, sizeof items);
	assert_ok(rq, spec);
	assert_int_equal(items.n, 1);
	req_free(rq);

	/* errors name the element */
	snprintf(body, sizeof body, "items[0][price]=%s&items[1][quantity]=2", p0);
	form_err(body, spec, OG_EC_PARAM_MISSING, "items[1][price]", "Missing required param: items[1][price].");
	snprintf(body, sizeof body, "items[0][price]=%s&items[0][quantity]=0", p0);
	form_err(body, spec, OG_EC_PARAM_INTEGER, "items[0][quantity]", NULL);
	snprintf(body, sizeof body, "items[0][price]=%s&items[0][qty]=2", p0);
	form_err(body, spec, OG_EC_PARAM_UNKNOWN, "items[0][qty]", "Received unknown parameter: items[0][qty]");
	form_err("items[0][price]=nope", spec, OG_EC_PARAM_ID, "items[0][price]", "No such price: 'nope'");
	snprintf(body, sizeof body, "{\"items\":[{\"price\":\"%s\",\"note\":\"123456789012345678901\"}]}", p0);
	json_err(body, spec, OG_EC_PARAM_TOO_LONG, "items[0][note]", NULL);
	snprintf(body, sizeof body, "{\"items\":[{\"price\":\"%s\",\"quantity\":\"2\"}]}", p0);
	json_err(body, spec, OG_EC_PARAM_INVALID, "items[0][quantity]", "Invalid integer: 2");
	json_err("{\"items\":[\"x\"]}", spec, OG_EC_PARAM_INVALID, "items[0]", "Invalid object items[0]");
	json_err("{\"items\":[{},{},{},{}]}", spec, OG_EC_PARAM_INVALID, "items", "at most 3 elements");
	json_err("{\"items\":[{\"price\":5}],\"tags\":[1]}", spec, OG_EC_PARAM_INVALID, "items[0][price]", NULL);
	snprintf(body, sizeof body, "{\"items\":[{\"price\":\"%s\"}],\"tags\":[1]}", p0);
	json_err(body, spec, OG_EC_PARAM_INVALID, "tags[0]", NULL);

	/* form indexes must run 0..n-1 */
	snprintf(body, sizeof body, "items[1][price]=%s", p0);
	form_err(body, spec, OG_EC_PARAM_INVALID, "items", "unexpected index '1'");
	snprintf(body, sizeof body, "items[0][price]=%s&items[2][price]=%s", p0, p1);
	form_err(body, spec, OG_EC_PARAM_INVALID, "items", "unexpected index '2'");
	snprintf(body, sizeof body, "items[00][price]=%s", p0);
	form_err(body, spec, OG_EC_PARAM_INVALID, "items", "'00'");
	snprintf(body, sizeof body, "items[x][price]=%s", p0);
	form_err(body, spec, OG_EC_PARAM_INVALID, "items", "'x'");
	snprintf(body, sizeof body, "items[-1][price]=%s", p0);
	form_err(body, spec, OG_EC_PARAM_INVALID, "items", NULL);
	/* JSON must use a real array */
	snprintf(body, sizeof body, "{\"items\":{\"0\":{\"price\":\"%s\"}}}", p0);
	json_err(body, spec, OG_EC_PARAM_INVALID, "items", "Invalid array items: got an object");
	form_err("items=x", spec, OG_EC_PARAM_INVALID, "items", NULL);
	form_err("items=", spec, OG_EC_PARAM_MISSING, "items", NULL);
	form_err("tags[]=a", spec, OG_EC_PARAM_MISSING, "items", NULL);
	json_err("{\"items\":null}", spec, OG_EC_PARAM_MISSING, "items", NULL);

	/* an array spec without elem() is our bug */
	struct param_spec broken[] = {{.name = "a", .type = PT_ARRAY}, PARAM_END};
	form_err("a[]=1", broken, OG_EC_INTERNAL, "", NULL);
}

static void test_unknown_and_ignore(void **state)
{
	(void)state;
	const char *name = NULL;
	bool has_usage = false;
	struct param_spec spec[] = {
	    PARAM_STRING("name", &name, NULL, 100, 0),
	    PARAM_IGNORE("usage_type"),
	    {.name = "recurring", .type = PT_IGNORE, .present = &has_usage},
	    PARAM_END,
	};
	struct og_req *rq = form("name=x&expand[]=customer&expand[]=items&usage_type[a]=1&recurring=");
	assert_ok(rq, spec);
	assert_true(has_usage);
	req_free(rq);
	rq = json("{\"expand\":[\"customer\"],\"usage_type\":5,\"recurring\":null}");
	assert_ok(rq, spec);
	req_free(rq);
	form_err("name=x&nmae=y", spec, OG_EC_PARAM_UNKNOWN, "nmae", "Received unknown parameter: nmae");
	json_err("{\"bogus\":{\"a\":1}}", spec, OG_EC_PARAM_UNKNOWN, "bogus", NULL);
	/* unknown parameters are reported before invalid known ones */
	form_err("name[]=x&zzz=1", spec, OG_EC_PARAM_UNKNOWN, "zzz", NULL);

	/* an explicit path prefixes every name */
	rq = json("{\"a\":{\"b\":1}}");
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, json_object_get(rq->body, "a"), spec, "a"), OG_EC_PARAM_UNKNOWN);
	assert_string_equal(rq->err.param, "a[b]");
	/* a non-object source */
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, json_object_get(json_object_get(rq->body, "a"), "b"), spec, "a[b]"),
	                 OG_EC_PARAM_INVALID);
	assert_string_equal(rq->err.param, "a[b]");
	/* NULL is an empty object */
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, NULL, spec, NULL), OG_EC_NONE);
	req_free(rq);

	struct param_spec bad_type[] = {{.name = "x", .type = (enum param_type)99}, PARAM_END};
	form_err("x=1", bad_type, OG_EC_INTERNAL, "", NULL);
}

/* ---- the query string: coerced like a form, at every depth ------------- */

static void test_query(void **state)
{
	(void)state;
	struct og_page page = {0};
	int64_t gte = 0, lt = 0;
	bool active = false;
	char id[ID_MAX_LEN], q[128];
	ids_encode(ID_PRODUCT, 9, id);
	struct param_spec created[] = {
	    PARAM_TIMESTAMP("gte", &gte, NULL, 0),
	    PARAM_TIMESTAMP("lt", &lt, NULL, 0),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_PRODUCT),
	    PARAM_BOOL("active", &active, NULL, 0),
	    PARAM_OBJECT("created", created, NULL, 0),
	    PARAM_END,
	};
	snprintf(q, sizeof q, "limit=25&starting_after=%s&active=true&created[gte]=5&created%%5Blt%%5D=9", id);
	struct og_req *rq = query(q);
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_NONE);
	assert_int_equal(page.limit, 25);
	assert_int_equal(page.starting_after, 9);
	assert_int_equal(page.ending_before, 0);
	assert_true(active);
	assert_int_equal(gte, 5);
	assert_int_equal(lt, 9);
	/* the query's sub-objects are coerced when handed in alone, too */
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, json_object_get(rq->query, "created"), created, "created"), OG_EC_NONE);
	req_free(rq);

	rq = query("limit=0");
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_PARAM_INTEGER);
	assert_string_equal(rq->err.param, "limit");
	req_free(rq);
	rq = query("limit=101");
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_PARAM_INTEGER);
	req_free(rq);
	rq = query("ending_before=prod_x");
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_PARAM_ID);
	assert_string_equal(rq->err.param, "ending_before");
	assert_string_equal(rq->err.message, "No such product: 'prod_x'");
	req_free(rq);
	rq = query("expand[]=a&expand[]=b&created[gte]=x");
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_PARAM_INTEGER);
	assert_string_equal(rq->err.param, "created[gte]");
	req_free(rq);
	rq = query("created[gt]=1");
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_PARAM_UNKNOWN);
	assert_string_equal(rq->err.param, "created[gt]");
	req_free(rq);

	/* a JSON body is not coerced even when the query is present */
	rq = req_new("{\"limit\":\"5\"}", false, "limit=5");
	assert_int_equal(params_parse(rq, rq->body, spec, NULL), OG_EC_PARAM_INVALID);
	og_error_clear(&rq->err);
	assert_int_equal(params_parse(rq, rq->query, spec, NULL), OG_EC_NONE);
	req_free(rq);
}

/* ---- the same spec, the same values from a form and from JSON ----------- */

/* The static form: one constant spec, values land in struct order. */
struct order_item {
	int64_t price;
	int64_t quantity;
	const char *note;
};
struct order {
	struct {
		struct order_item v[4];
		size_t n;
	} items;
	bool has_items;
	const char *customer_name;
	int64_t days;
	bool has_days;
	bool auto_advance;
	int interval;
	const char *currency;
	json_t *metadata;
	int64_t trial_end;
	int64_t amount;
};

#define ITEM(m)  PARAM_AT(struct order_item, m)
#define ORDER(m) PARAM_AT(struct order, m)
static const struct param_spec order_item_spec[] = {
    PS_ID("price", ID_PRICE, ITEM(price), PARAM_NOWHERE, P_REQUIRED, "The price."),
    PS_INT64("quantity", ITEM(quantity), PARAM_NOWHERE, 1, 1000000, 0, "How many (default 1)."),
    PS_STRING("note", ITEM(note), PARAM_NOWHERE, 20, 0, "A note."),
    PS_END,
};
static const struct param_spec order_recurring_spec[] = {
    PS_ENUM("interval", ORDER(interval), PARAM_NOWHERE, intervals, P_REQUIRED, "The interval."),
    PS_END,
};
static const struct param_spec order_spec[] = {
    PS_ARRAY("items", struct order, items.v, items.n, order_item_spec, ORDER(has_items), P_REQUIRED, "The lines."),
    PS_STRING("name", ORDER(customer_name), PARAM_NOWHERE, 50, 0, "A name."),
    PS_INT64("days", ORDER(days), ORDER(has_days), 0, 100, 0, "Days."),
    PS_BOOL("auto_advance", ORDER(auto_advance), PARAM_NOWHERE, 0, "Advance."),
    PS_OBJECT("recurring", order_recurring_spec, PARAM_NOWHERE, PARAM_NOWHERE, 0, "Recurrence."),
    PS_CURRENCY("currency", ORDER(currency), PARAM_NOWHERE, 0, "Currency."),
    PS_METADATA("metadata", ORDER(metadata), PARAM_NOWHERE, "Metadata."),
    PS_TIMESTAMP("trial_end", ORDER(trial_end), PARAM_NOWHERE, 0, "Trial end."),
    PS_AMOUNT("amount", ORDER(amount), PARAM_NOWHERE, 0, "Amount."),
    PS_END,
};

static enum og_ec parse_order_from(struct og_req *rq, json_t *src, struct order *o)
{
	memset(o, 0, sizeof *o);
	o->interval = -1;
	for (size_t i = 0; i < 4; i++)
		o->items.v[i].quantity = 1; /* defaults are preset, as for any output */
	og_error_clear(&rq->err);
	return params_parse_into(rq, src, order_spec, o);
}

static enum og_ec parse_order(struct og_req *rq, struct order *o)
{
	return parse_order_from(rq, rq->body, o);
}

/* Copies tmpl into out with every "@P" replaced by id. */
static void subst(const char *tmpl, const char *id, char *out, size_t size)
{
	size_t n = 0, id_len = strlen(id);
	for (const char *t = tmpl; *t && n + id_len + 1 < size; t++) {
		if (t[0] == '@' && t[1] == 'P') {
			memcpy(out + n, id, id_len);
			n += id_len;
			t++;
		} else {
			out[n++] = *t;
		}
	}
	out[n] = 0;
}

static void test_form_json_equivalence(void **state)
{
	(void)state;
	char p0[ID_MAX_LEN], p1[ID_MAX_LEN], f[1024], j[1024];
	ids_encode(ID_PRICE, 1001, p0);
	ids_encode(ID_PRICE, 1002, p1);
	snprintf(f, sizeof f,
	         "items[0][price]=%s&items[0][quantity]=2&items[1][price]=%s&name=Jenny+Rosen&days=14"
	         "&auto_advance=false&recurring[interval]=month&currency=USD&metadata[plan]=gold&metadata[old]="
	         "&trial_end=1700000000&amount=1999",
	         p0, p1);
	snprintf(j, sizeof j,
	         "{\"items\":[{\"price\":\"%s\",\"quantity\":2},{\"price\":\"%s\"}],\"name\":\"Jenny Rosen\","
	         "\"days\":14,\"auto_advance\":false,\"recurring\":{\"interval\":\"month\"},\"currency\":\"USD\","
	         "\"metadata\":{\"plan\":\"gold\",\"old\":\"\"},\"trial_end\":1700000000,\"amount\":1999}",
	         p0, p1);
	struct og_req *rf = form(f), *rj = json(j);
	struct order a, b;
	assert_int_equal(parse_order(rf, &a), OG_EC_NONE);
	assert_int_equal(parse_order(rj, &b), OG_EC_NONE);
	assert_int_equal(a.items.n, 2);
	assert_int_equal(b.items.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a.items.v[i].price, b.items.v[i].price);
		assert_int_equal(a.items.v[i].quantity, b.items.v[i].quantity);
	}
	assert_int_equal(a.items.v[0].quantity, 2);
	assert_int_equal(a.items.v[1].quantity, 1);
	assert_string_equal(a.customer_name, b.customer_name);
	assert_int_equal(a.days, b.days);
	assert_true(a.has_days && b.has_days);
	assert_int_equal(a.auto_advance, b.auto_advance);
	assert_int_equal(a.interval, 2);
	assert_int_equal(b.interval, 2);
	assert_string_equal(a.currency, "usd");
	assert_string_equal(b.currency, "usd");
	assert_true(json_equal(a.metadata, b.metadata));
	assert_int_equal(a.trial_end, b.trial_end);
	assert_int_equal(a.amount, b.amount);
	req_free(rf);
	req_free(rj);

	/* the brief's example, verbatim */
	snprintf(f, sizeof f, "items[0][price]=%s&items[0][quantity]=2", p0);
	snprintf(j, sizeof j, "{\"items\":[{\"price\":\"%s\",\"quantity\":2}]}", p0);
	rf = form(f);
	rj = json(j);
	assert_int_equal(parse_order(rf, &a), OG_EC_NONE);
	assert_int_equal(parse_order(rj, &b), OG_EC_NONE);
	assert_int_equal(a.items.n, 1);
	assert_int_equal(b.items.n, 1);
	assert_int_equal(a.items.v[0].price, 1001);
	assert_int_equal(b.items.v[0].price, 1001);
	assert_int_equal(a.items.v[0].quantity, 2);
	assert_int_equal(b.items.v[0].quantity, 2);
	req_free(rf);
	req_free(rj);

	/* the same mistakes give the same code and param ("@P" is a good price id) */
	static const struct {
		const char *form, *json;
		enum og_ec ec;
		const char *param;
	} same[] = {
	    {"name=x", "{\"name\":\"x\"}", OG_EC_PARAM_MISSING, "items"},
	    {"items[0][quantity]=2", "{\"items\":[{\"quantity\":2}]}", OG_EC_PARAM_MISSING, "items[0][price]"},
	    {"items[0][price]=x", "{\"items\":[{\"price\":\"x\"}]}", OG_EC_PARAM_ID, "items[0][price]"},
	    {"items[0][price]=@P&items[0][quantity]=0", "{\"items\":[{\"price\":\"@P\",\"quantity\":0}]}",
	     OG_EC_PARAM_INTEGER, "items[0][quantity]"},
	    {"items[0][price]=@P&recurring[interval]=hour",
	     "{\"items\":[{\"price\":\"@P\"}],\"recurring\":{\"interval\":\"hour\"}}", OG_EC_PARAM_INVALID,
	     "recurring[interval]"},
	    {"items[0][price]=@P&recurring[x]=1", "{\"items\":[{\"price\":\"@P\"}],\"recurring\":{\"x\":1}}",
	     OG_EC_PARAM_UNKNOWN, "recurring[x]"},
	    {"items[0][price]=@P&currency=zzz", "{\"items\":[{\"price\":\"@P\"}],\"currency\":\"zzz\"}",
	     OG_EC_PARAM_CURRENCY, "currency"},
	    {"items[0][price]=@P&amount=-1", "{\"items\":[{\"price\":\"@P\"}],\"amount\":-1}", OG_EC_PARAM_AMOUNT,
	     "amount"},
	    {"items[0][price]=@P&days=101", "{\"items\":[{\"price\":\"@P\"}],\"days\":101}", OG_EC_PARAM_INTEGER,
	     "days"},
	    {"items[0][price]=@P&trial_end=253402300800", "{\"items\":[{\"price\":\"@P\"}],\"trial_end\":253402300800}",
	     OG_EC_PARAM_INVALID, "trial_end"},
	    {"items[0][price]=@P&x=1", "{\"items\":[{\"price\":\"@P\"}],\"x\":1}", OG_EC_PARAM_UNKNOWN, "x"},
	    {"items[0][price]=@P&name=012345678901234567890123456789012345678901234567890",
	     "{\"items\":[{\"price\":\"@P\"}],\"name\":\"012345678901234567890123456789012345678901234567890\"}",
	     OG_EC_PARAM_TOO_LONG, "name"},
	    {"items[0][price]=@P&metadata[a][b]=1",
	     "{\"items\":[{\"price\":\"@P\"}],\"metadata\":{\"a\":{\"b\":\"1\"}}}", OG_EC_PARAM_INVALID, "metadata[a]"},
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		char fb[1024], jb[1024];
		subst(same[i].form, p0, fb, sizeof fb);
		subst(same[i].json, p0, jb, sizeof jb);
		rf = form(fb);
		rj = json(jb);
		enum og_ec ef = parse_order(rf, &a), ej = parse_order(rj, &b);
		if (ef != same[i].ec || ej != same[i].ec)
			fail_msg("case %zu: form %s (%s), json %s (%s), want %s", i, og_ec_name(ef), rf->err.message,
			         og_ec_name(ej), rj->err.message, og_ec_name(same[i].ec));
		assert_string_equal(rf->err.param, same[i].param);
		assert_string_equal(rj->err.param, same[i].param);
		req_free(rf);
		req_free(rj);
	}
}

/* ---- the static form: one constant spec, read alike from every source -- */

static void test_static_spec(void **state)
{
	(void)state;
	char p0[ID_MAX_LEN], f[512], j[512];
	ids_encode(ID_PRICE, 1001, p0);
	snprintf(f, sizeof f, "items[0][price]=%s&items[1][price]=%s&items[1][quantity]=3&days=7&auto_advance=TRUE", p0,
	         p0);
	snprintf(j, sizeof j,
	         "{\"items\":[{\"price\":\"%s\"},{\"price\":\"%s\",\"quantity\":3}],\"days\":7,"
	         "\"auto_advance\":true}",
	         p0, p0);
	struct og_req *rf = form(f), *rj = json(j), *rq = query(f);
	struct order a, b, c;
	assert_int_equal(parse_order(rf, &a), OG_EC_NONE);
	assert_int_equal(parse_order(rj, &b), OG_EC_NONE);
	assert_int_equal(parse_order_from(rq, rq->query, &c), OG_EC_NONE);
	const struct order *all[] = {&a, &b, &c};
	for (int i = 0; i < 3; i++) {
		assert_true(all[i]->has_items);
		assert_int_equal(all[i]->items.n, 2);
		assert_int_equal(all[i]->items.v[0].price, 1001);
		assert_int_equal(all[i]->items.v[0].quantity, 1);
		assert_int_equal(all[i]->items.v[1].quantity, 3);
		assert_int_equal(all[i]->days, 7);
		assert_true(all[i]->has_days);
		assert_true(all[i]->auto_advance);
		assert_int_equal(all[i]->interval, -1); /* absent: untouched */
	}
	req_free(rf);
	req_free(rj);
	req_free(rq);

	/* more elements than the fixed array holds: refused, nothing past it written */
	rf = form("items[0][price]=x&items[1][price]=x&items[2][price]=x&items[3][price]=x&items[4][price]=x");
	assert_int_equal(parse_order(rf, &a), OG_EC_PARAM_INVALID);
	assert_string_equal(rf->err.param, "items");
	assert_non_null(strstr(rf->err.message, "at most 4"));
	req_free(rf);
	/* an element that is not an object names its index */
	rj = json("{\"items\":[\"x\"]}");
	assert_int_equal(parse_order(rj, &b), OG_EC_PARAM_INVALID);
	assert_string_equal(rj->err.param, "items[0]");
	req_free(rj);

	/* a nested struct at an offset; nullable flags; other keys let through */
	struct inner {
		const char *city;
		bool has_city;
	};
	struct outer {
		int64_t n;
		struct inner address;
		bool has_address, address_null;
	};
	static const struct param_spec inner_spec[] = {
	    PS_STRING("city", PARAM_AT(struct inner, city), PARAM_AT(struct inner, has_city), 20, 0, "City."),
	    PS_END,
	};
	static const struct param_spec outer_spec[] = {
	    PS_INT64("n", PARAM_AT(struct outer, n), PARAM_NOWHERE, 0, 9, 0, "A digit."),
	    {.name = "address",
	     .type = PT_OBJECT,
	     .flags = P_NULLABLE,
	     .sub = inner_spec,
	     .at = PARAM_AT(struct outer, address),
	     .present_at = PARAM_AT(struct outer, has_address),
	     .null_at = PARAM_AT(struct outer, address_null),
	     .doc = "An address."},
	    PS_IGNORE_OTHERS,
	    PS_END,
	};
	struct outer o = {0};
	rf = form("n=4&address[city]=Oslo&other=1");
	og_error_clear(&rf->err);
	assert_int_equal(params_parse_into(rf, rf->body, outer_spec, &o), OG_EC_NONE);
	assert_int_equal(o.n, 4);
	assert_string_equal(o.address.city, "Oslo");
	assert_true(o.address.has_city && o.has_address && !o.address_null);
	req_free(rf);
	memset(&o, 0, sizeof o);
	rj = json("{\"address\":null}");
	og_error_clear(&rj->err);
	assert_int_equal(params_parse_into(rj, rj->body, outer_spec, &o), OG_EC_NONE);
	assert_true(o.has_address && o.address_null && !o.address.has_city);
	req_free(rj);
	/* without PS_IGNORE_OTHERS the same key is unknown */
	rf = form("other=1");
	og_error_clear(&rf->err);
	assert_int_equal(params_parse_into(rf, rf->body, outer_spec, &o), OG_EC_NONE);
	assert_int_equal(params_parse_into(rf, rf->body, inner_spec, &o.address), OG_EC_PARAM_UNKNOWN);
	assert_string_equal(rf->err.param, "other");
	req_free(rf);
}

/* Collects "full:type:doc" lines. */
static int walk_collect(void *cls, const struct param_spec *sp, const char *full, int depth)
{
	char *out = cls;
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%d %s %s%s|", depth, full, params_type_name(sp->type),
	         (sp->flags & P_REQUIRED) ? " required" : "");
	return sp->doc ? 0 : -1; /* every static entry is documented */
}

static void test_spec_walk(void **state)
{
	(void)state;
	char out[1024] = "";
	assert_int_equal(params_spec_walk(order_spec, walk_collect, out), 0);
	assert_string_equal(out, "0 items array required|1 items[][price] id required|1 items[][quantity] integer|"
	                         "1 items[][note] string|0 name string|0 days integer|0 auto_advance boolean|"
	                         "0 recurring object|1 recurring[interval] enum required|0 currency currency|"
	                         "0 metadata metadata|0 trial_end timestamp|0 amount amount|");
	/* the bounds are in the table */
	assert_int_equal(order_spec[0].max, 4);
	assert_int_equal(order_spec[8].max, MONEY_AMOUNT_MAX);
	assert_ptr_equal(order_recurring_spec[0].choices, intervals);
}

/* ---- random input: no crash, no leak ---------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_fuzz(void **state)
{
	(void)state;
	/* bytes biased towards the characters the parsers care about */
	static const char alphabet[] = "ab0[]=&%+{}\":,\\1-9 xyzE.";
	static const char *const words[] = {"items", "[0]",      "[price]", "metadata", "[]",
	                                    "%5B",   "%5D",      "{\"a\":", "[1,2]",    "true",
	                                    "null",  "\"x\"",    "%C3%A9",  "%FF",      "\xC3\xA9",
	                                    "\xFF",  "quantity", "=",       "&",        "99999999999999999999"};
	char buf[512];
	int64_t q = 0, price = 0;
	const char *s = NULL;
	json_t *md = NULL;
	struct items items = {0};
	struct param_spec spec[] = {
	    PARAM_INT64("a", &q, NULL, 0, 0, 0),      PARAM_STRING("b", &s, NULL, 10, P_NULLABLE),
	    PARAM_METADATA("metadata", &md, NULL),    PARAM_ARRAY("items", parse_item, &items, NULL, 4, 0),
	    PARAM_ID("x", ID_PRICE, &price, NULL, 0), PARAM_END,
	};
	for (int round = 0; round < 40000; round++) {
		size_t n = 0, len = rng() % 96;
		while (n < len) {
			uint64_t r = rng();
			if (r % 4 == 0) {
				const char *w = words[(r >> 8) % (sizeof words / sizeof words[0])];
				size_t wl = strlen(w);
				if (n + wl >= sizeof buf)
					break;
				memcpy(buf + n, w, wl);
				n += wl;
			} else if (r % 4 == 1) {
				buf[n++] = (char)(r >> 16);
			} else {
				buf[n++] = alphabet[(r >> 16) % (sizeof alphabet - 1)];
			}
		}
		buf[n] = 0;
		struct og_error err;
		json_t *fv = params_parse_form(buf, n, &err);
		json_t *jv = params_parse_json_body(buf, n, &err);
		struct og_req rq = {.arena = arena_new()};
		for (int k = 0; k < 2; k++) {
			json_t *v = k ? jv : fv;
			if (!v)
				continue;
			rq.body = v;
			rq.body_is_form = k == 0;
			memset(&items, 0, sizeof items);
			og_error_clear(&rq.err);
			enum og_ec ec = params_parse(&rq, v, spec, NULL);
			assert_true(ec < OG_EC__COUNT);
			if (ec) /* every error names something printable and fits */
				assert_true(strlen(rq.err.message) > 0);
		}
		arena_free(rq.arena);
		json_decref(fv);
		json_decref(jv);
	}
}

int main(void)
{
	unsigned char ids_key[IDS_KEY_BYTES]; /* any installation's: ids here are made and read back */
	randombytes_buf(ids_key, sizeof ids_key);
	ids_set_key(ids_key);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_form_basics),
	    cmocka_unit_test(test_form_nesting),
	    cmocka_unit_test(test_form_refused),
	    cmocka_unit_test(test_utf8_valid),
	    cmocka_unit_test(test_percent_decode),
	    cmocka_unit_test(test_form_long_pair),
	    cmocka_unit_test(test_json_body),
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_int64),
	    cmocka_unit_test(test_amount),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_id),
	    cmocka_unit_test(test_currency),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_object),
	    cmocka_unit_test(test_array),
	    cmocka_unit_test(test_unknown_and_ignore),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_form_json_equivalence),
	    cmocka_unit_test(test_static_spec),
	    cmocka_unit_test(test_spec_walk),
	    cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
