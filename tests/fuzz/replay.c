/* Corpus replayer: linked with one fuzz driver (tests/fuzz/fuzz_<name>.c)
 * instead of libFuzzer, so `make test` runs every committed corpus entry
 * under gcc's ASan+UBSan. Usage:
 *   build/san/tests/fuzz_<name> [CORPUS_DIR|FILE]...
 * With no argument the directory is tests/fuzz/corpus/<name>, <name> taken
 * from argv[0]'s basename minus "fuzz_" (scripts/run-tests.sh runs the
 * binaries from the repository root without arguments). A crash or sanitizer
 * report aborts the run; otherwise it ends with "N passed, 0 failed". */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the driver over one file; false when it cannot be read. */
static bool run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return false;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	bool ok = buf && !ferror(f);
	fclose(f);
	if (ok) {
		/* an exactly-sized copy, so ASan sees reads past the input */
		uint8_t *in = malloc(len ? len : 1);
		memcpy(in, buf, len);
		LLVMFuzzerTestOneInput(in, len);
		free(in);
	} else {
		fprintf(stderr, "replay: %s: read error\n", path);
	}
	free(buf);
	return ok;
}

/* Runs every regular file of dir in name order; counts into passed and failed. */
static void run_dir(const char *dir, int *passed, int *failed)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		(*failed)++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			FUZZ_CHECK(nn);
			names = nn;
		}
		names[n] = strdup(e->d_name);
		FUZZ_CHECK(names[n]);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	if (n == 0) {
		fprintf(stderr, "replay: %s: empty corpus\n", dir);
		(*failed)++;
	}
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(dir) + 1 + strlen(names[i]) + 1;
		char *path = malloc(plen);
		FUZZ_CHECK(path);
		snprintf(path, plen, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path))
				(*passed)++;
			else
				(*failed)++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			struct stat st;
			if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
				run_dir(argv[i], &passed, &failed);
			else if (run_file(argv[i]))
				passed++;
			else
				failed++;
		}
	} else {
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (strncmp(base, "fuzz_", 5) == 0)
			base += 5;
		char dir[512];
		snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", base);
		printf("replay: corpus %s\n", dir);
		run_dir(dir, &passed, &failed);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
