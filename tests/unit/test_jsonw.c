/* Unit tests for core/jsonw: the writer's text is compared byte for byte
 * with jansson's json_dumps(JSON_COMPACT) of the same values (every control
 * character, quotes, backslashes, '/', DEL, UTF-8, integer extremes), commas
 * and nesting, raw values, growth in both buffer modes, and a round trip
 * through json_loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"

/* jansson's compact text for v (any value); caller frees. */
static char *dumps(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(s);
	json_decref(v);
	return s;
}

static void assert_same_string(const char *s, size_t n)
{
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	jsonw_stringn(&w, s, n);
	json_t *j = json_stringn(s, n);
	assert_non_null(j);
	char *expect = dumps(j);
	assert_string_equal(jsonw_text(&w, NULL), expect);
	json_t *back = json_loads(jsonw_text(&w, NULL), JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	assert_non_null(back);
	assert_int_equal(json_string_length(back), n);
	assert_memory_equal(json_string_value(back), s, n);
	json_decref(back);
	free(expect);
	jsonw_free(&w);
}

static void test_every_control_char(void **state)
{
	(void)state;
	char all[32];
	for (int c = 0; c < 32; c++) {
		char s[3] = {'a', (char)c, 'z'};
		assert_same_string(s, 3);
		assert_same_string(s + 1, 1);
		all[c] = (char)c;
	}
	assert_same_string(all, sizeof all); /* NUL included: stringn takes a length */
}

static void test_quotes_backslash_slash_del_utf8(void **state)
{
	(void)state;
	assert_same_string("\"", 1);
	assert_same_string("\\", 1);
	assert_same_string("say \"hi\" \\ there / </script>", strlen("say \"hi\" \\ there / </script>"));
	assert_same_string("\x7f", 1);
	const char *utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac";
	assert_same_string(utf8, strlen(utf8));
	assert_same_string("", 0);
	/* every printable ASCII character */
	char ascii[95];
	for (int c = 32; c < 127; c++)
		ascii[c - 32] = (char)c;
	assert_same_string(ascii, sizeof ascii);
}

static void assert_same_int(int64_t v)
{
	struct og_jsonw w;
	jsonw_init(&w, NULL, 1);
	jsonw_int64(&w, v);
	char *expect = dumps(json_integer(v));
	assert_string_equal(jsonw_text(&w, NULL), expect);
	json_t *back = json_loads(jsonw_text(&w, NULL), JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	assert_true(json_integer_value(back) == v);
	json_decref(back);
	free(expect);
	jsonw_free(&w);
}

static void test_int64(void **state)
{
	(void)state;
	static const int64_t values[] = {0,
	                                 1,
	                                 -1,
	                                 9,
	                                 10,
	                                 -10,
	                                 99,
	                                 100,
	                                 12345678,
	                                 -98765,
	                                 INT32_MAX,
	                                 INT32_MIN,
	                                 INT64_MAX,
	                                 INT64_MIN,
	                                 INT64_MAX - 1,
	                                 INT64_MIN + 1,
	                                 1000000000000000000,
	                                 -999999999999999999};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		assert_same_int(values[i]);
}

static void test_scalars_and_empty_containers(void **state)
{
	(void)state;
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	jsonw_array_begin(&w);
	jsonw_bool(&w, true);
	jsonw_bool(&w, false);
	jsonw_null(&w);
	jsonw_string(&w, NULL); /* NULL is null */
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_string(&w, "x");
	jsonw_array_end(&w);
	size_t len;
	const char *text = jsonw_text(&w, &len);
	assert_string_equal(text, "[true,false,null,null,{},[],\"x\"]");
	assert_int_equal(len, strlen(text));
	jsonw_free(&w);
	jsonw_free(&w); /* twice: a no-op */
}

static void test_nesting_matches_jansson(void **state)
{
	(void)state;
	struct og_jsonw w;
	jsonw_init(&w, NULL, 2); /* tiny: grows many times */
	jsonw_object_begin(&w);
	jsonw_key_string(&w, "object", "list");
	jsonw_key(&w, "data");
	jsonw_array_begin(&w);
	for (int i = 0; i < 3; i++) {
		jsonw_object_begin(&w);
		jsonw_key_int64(&w, "n", i);
		jsonw_key(&w, "deep");
		for (int d = 0; d < 5; d++) {
			jsonw_array_begin(&w);
			jsonw_object_begin(&w);
			jsonw_key_bool(&w, "d", d % 2);
			jsonw_key(&w, "x");
		}
		jsonw_null(&w);
		for (int d = 0; d < 5; d++) {
			jsonw_object_end(&w);
			jsonw_array_end(&w);
		}
		jsonw_key_null(&w, "z");
		jsonw_key_raw(&w, "raw", "{\"a\":[1,2],\"b\":\"c\"}");
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);
	jsonw_key_bool(&w, "has_more", false);
	jsonw_key_string(&w, "k\"ey\n", "/v1/x");
	jsonw_object_end(&w);

	/* the same document built with jansson */
	json_t *doc = json_object();
	json_object_set_new(doc, "object", json_string("list"));
	json_t *data = json_array();
	for (int i = 0; i < 3; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "n", json_integer(i));
		json_t *inner = json_null();
		for (int d = 4; d >= 0; d--) {
			json_t *obj = json_object();
			json_object_set_new(obj, "d", json_boolean(d % 2));
			json_object_set_new(obj, "x", inner);
			inner = json_array();
			json_array_append_new(inner, obj);
		}
		json_object_set_new(o, "deep", inner);
		json_object_set_new(o, "z", json_null());
		json_object_set_new(o, "raw", json_loads("{\"a\":[1,2],\"b\":\"c\"}", 0, NULL));
		json_array_append_new(data, o);
	}
	json_object_set_new(doc, "data", data);
	json_object_set_new(doc, "has_more", json_false());
	json_object_set_new(doc, "k\"ey\n", json_string("/v1/x"));

	json_error_t err;
	json_t *back = json_loads(jsonw_text(&w, NULL), 0, &err);
	assert_non_null(back);
	assert_true(json_equal(back, doc));
	char *expect = dumps(doc);
	assert_string_equal(jsonw_text(&w, NULL), expect);
	free(expect);
	json_decref(back);
	jsonw_free(&w);
}

static void test_arena_mode_grows(void **state)
{
	(void)state;
	struct og_arena *a = arena_new();
	struct og_jsonw w;
	jsonw_init(&w, a, 1);
	char big[20000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0;
	big[7] = '\t';
	jsonw_array_begin(&w);
	for (int i = 0; i < 4; i++)
		jsonw_string(&w, big);
	jsonw_array_end(&w);
	size_t len;
	const char *text = jsonw_take(&w, &len); /* arena mode: the arena keeps it */
	assert_int_equal(len, 2 + 4 * (sizeof big - 1 + 2 + 1) + 3);
	json_t *back = json_loads(text, 0, NULL);
	assert_non_null(back);
	assert_int_equal(json_array_size(back), 4);
	assert_string_equal(json_string_value(json_array_get(back, 3)), big);
	json_decref(back);
	jsonw_free(&w); /* arena mode: a no-op */
	arena_free(a);
}

static void test_heap_take(void **state)
{
	(void)state;
	struct og_jsonw w;
	jsonw_init(&w, NULL, 0);
	jsonw_object_begin(&w);
	jsonw_key_int64(&w, "a", 1);
	jsonw_key_raw(&w, "m", "{}");
	jsonw_object_end(&w);
	size_t len;
	char *text = jsonw_take(&w, &len);
	assert_string_equal(text, "{\"a\":1,\"m\":{}}");
	assert_int_equal(len, 14);
	assert_null(jsonw_take(&w, &len));
	assert_int_equal(len, 0);
	jsonw_free(&w);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_control_char),
	    cmocka_unit_test(test_quotes_backslash_slash_del_utf8),
	    cmocka_unit_test(test_int64),
	    cmocka_unit_test(test_scalars_and_empty_containers),
	    cmocka_unit_test(test_nesting_matches_jansson),
	    cmocka_unit_test(test_arena_mode_grows),
	    cmocka_unit_test(test_heap_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
