/* The logger's escaper is core/jsonw's (one JSON string escaper in the
 * program): quotes, backslashes and control characters are escaped, and a
 * buffer too small never ends in half an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/log.h"

#include <string.h>

static void test_escapes(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(log_json_escape("say \"hi\"\\\n\x01", buf, sizeof buf), "say \\\"hi\\\"\\\\\\n\\u0001");
	assert_string_equal(log_json_escape(NULL, buf, sizeof buf), "");
	assert_string_equal(log_json_escape("caf\xc3\xa9", buf, sizeof buf), "caf\xc3\xa9");
}

static void test_truncates_between_characters(void **state)
{
	(void)state;
	char buf[8];
	/* "ab" + "\"" escaped is 4 bytes; the next escape \u0001 (6) does not fit in the 3 left */
	assert_string_equal(log_json_escape("ab\"\x01zz", buf, sizeof buf), "ab\\\"");
	char tiny[4];
	/* "x" then an e-acute (2 bytes) fits, a third character does not */
	assert_string_equal(log_json_escape("x\xc3\xa9yy", tiny, sizeof tiny), "x\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_truncates_between_characters),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
