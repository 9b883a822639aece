/* Fuzzes cal_parse_iso8601 ("YYYY-MM-DDTHH:MM:SSZ" only). On success the
 * time formats back to exactly the input; any parsed time agrees with
 * cal_to_civil. The bytes as an int64 also go through cal_format_iso8601 into
 * buffers of every small size, and back through the parser when in domain. */
#include "core/calendar.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = 0;
	int64_t t = INT64_C(0x5a5a5a5a5a5a5a5a);
	if (cal_parse_iso8601(s, &t)) {
		FUZZ_CHECK(strlen(s) == 20);
		char buf[21];
		FUZZ_CHECK(cal_format_iso8601(t, buf, sizeof buf) == 20);
		FUZZ_CHECK(strcmp(buf, s) == 0);
	} else {
		FUZZ_CHECK(t == INT64_C(0x5a5a5a5a5a5a5a5a));
	}
	free(s);

	if (size >= 8) {
		int64_t v;
		memcpy(&v, data, sizeof v);
		if (data[0] & 1) /* keep half the values near the domain */
			v %= INT64_C(300000000000);
		char full[32];
		int r = cal_format_iso8601(v, full, sizeof full);
		FUZZ_CHECK(r == 20 || r == -1);
		if (r == -1) {
			FUZZ_CHECK(full[0] == 0);
		} else {
			int64_t back = 0;
			FUZZ_CHECK(cal_parse_iso8601(full, &back) && back == v);
			for (size_t n = 0; n <= 21; n++) {
				char *buf = n ? malloc(n) : NULL;
				FUZZ_CHECK(cal_format_iso8601(v, buf, n) == 20);
				if (n > 0) {
					FUZZ_CHECK(strlen(buf) == (n > 20 ? 20 : n - 1));
					FUZZ_CHECK(memcmp(buf, full, strlen(buf)) == 0);
				}
				free(buf);
			}
		}
	}
	return 0;
}
