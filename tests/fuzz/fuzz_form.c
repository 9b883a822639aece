/* Fuzzes params_parse_form (a Stripe-style form body: nested keys, %-escapes,
 * '+', a[]=x) and then params_parse of the result against a spec with every
 * parameter type (tests/fuzz/fuzz_params_spec.h). Also the query-string path:
 * the same object validated as rq->query. */
#include "fuzz_params_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the server hands the parser a NUL-terminated copy of the body */
	char *text = malloc(size + 1);
	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = 0;
	struct og_error err = {0};
	json_t *body = params_parse_form(text, size, &err);
	if (body) {
		FUZZ_CHECK(json_is_object(body));
		fz_params_check(body, true);
		json_decref(body);
	} else {
		FUZZ_CHECK(err.message[0] != 0);
	}
	free(text);
	return 0;
}
