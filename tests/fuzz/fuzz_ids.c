/* Fuzzes ids_decode: the first byte picks the kind, the rest is the string
 * (cut at the first NUL). When decoding succeeds the id is positive and
 * ids_encode gives back exactly the same string; and any decoded id encodes
 * and decodes to itself for every kind. */
#include "core/ids.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ids_key();
	if (size < 1)
		return 0;
	enum id_kind kind = (enum id_kind)(data[0] % ID__COUNT);
	char *s = malloc(size);
	FUZZ_CHECK(s);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	for (int k = 0; k < ID__COUNT; k++) {
		int64_t id = 0;
		if (!ids_decode((enum id_kind)k, s, &id))
			continue;
		FUZZ_CHECK(id > 0);
		char buf[ID_MAX_LEN];
		ids_encode((enum id_kind)k, id, buf);
		FUZZ_CHECK(strcmp(buf, s) == 0);
		/* a string is the id of one kind only: the prefixes differ */
		int64_t other = 0;
		if (k != (int)kind)
			FUZZ_CHECK(!ids_decode(kind, s, &other));
	}
	/* the bytes as a row id: encode -> decode round trip when positive */
	if (size >= 9) {
		int64_t v;
		memcpy(&v, data + 1, sizeof v);
		if (v > 0) {
			char buf[ID_MAX_LEN];
			int64_t back = 0;
			ids_encode(kind, v, buf);
			FUZZ_CHECK(strlen(buf) < ID_MAX_LEN);
			FUZZ_CHECK(ids_decode(kind, buf, &back));
			FUZZ_CHECK(back == v);
		}
	}
	free(s);
	return 0;
}
