/* Shared by the fuzz drivers (tests/fuzz/fuzz_*.c): the libFuzzer entry point
 * and a check that aborts with a message (so both libFuzzer and the corpus
 * replayer, tests/fuzz/replay.c, report it as a crash). */
#ifndef OG_FUZZ_H
#define OG_FUZZ_H

#include "core/ids.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);                  \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* Drivers that touch ids key them first, once, with a fixed key (an input
 * replays the same under libFuzzer and the replayer). */
static inline void fuzz_ids_key(void)
{
	static bool is_keyed;
	static const unsigned char key[IDS_KEY_BYTES] = {'o', 'n', 'e', 'G', 'u', 'a', 'r', 'd',
	                                                 'f', 'u', 'z', 'z', 'i', 'n', 'g', '!'};
	if (!is_keyed)
		ids_set_key(key);
	is_keyed = true;
}

#endif
