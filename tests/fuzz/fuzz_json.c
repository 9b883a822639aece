/* Fuzzes params_parse_json_body and then params_parse of the result against
 * the spec of tests/fuzz/fuzz_params_spec.h (every parameter type). */
#include "fuzz_params_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = 0;
	struct og_error err = {0};
	json_t *body = params_parse_json_body(text, size, &err);
	if (body) {
		FUZZ_CHECK(json_is_object(body));
		fz_params_check(body, false);
		json_decref(body);
	} else {
		FUZZ_CHECK(err.message[0] != 0);
	}
	free(text);
	return 0;
}
