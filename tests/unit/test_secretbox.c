/* sys/secretbox.c: sealed values open to what was sealed (any bytes, a
 * fresh nonce each time), a changed byte anywhere or another key is caught
 * (and told apart), the key's text forms, and the key file: made 0600 by
 * the first of several processes starting at once (all read the same key),
 * refused when others may read it, when it is not a file, or when it holds
 * anything but 32 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/secretbox.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/og-secretbox-XXXXXX";

static struct secret_key *random_key(void)
{
	unsigned char raw[SECRET_KEY_BYTES];
	randombytes_buf(raw, sizeof raw);
	struct secret_key *k = secret_key_new(raw);
	assert_non_null(k);
	return k;
}

static void round_trip(void **state)
{
	(void)state;
	struct secret_key *k = random_key();
	const char *texts[] = {"", "whsec_0123456789abcdef", "'; DROP TABLE settings; --", "\xc3\xa9t\xc3\xa9 \\ %00"};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		size_t n = strlen(texts[i]);
		char sealed[SECRET_SEALED_SIZE(64)], again[SECRET_SEALED_SIZE(64)], plain[128];
		assert_int_equal(secret_seal(k, texts[i], n, sealed, sizeof sealed), SECRET_OK);
		assert_true(secret_is_sealed(sealed));
		assert_int_equal(strncmp(sealed + 5, secret_key_id(k), SECRET_KID_LEN), 0);
		assert_int_equal(sealed[5 + SECRET_KID_LEN], ':');
		if (n)
			assert_null(strstr(sealed, texts[i]));
		size_t len = 99;
		assert_int_equal(secret_open(k, sealed, plain, sizeof plain, &len), SECRET_OK);
		assert_int_equal(len, n);
		assert_string_equal(plain, texts[i]);
		/* a fresh nonce: the same text never seals to the same value */
		assert_int_equal(secret_seal(k, texts[i], n, again, sizeof again), SECRET_OK);
		assert_string_not_equal(sealed, again);
		assert_int_equal(strlen(sealed), strlen(again));
		assert_true(strlen(sealed) + 1 <= SECRET_SEALED_SIZE(n));
	}
	/* bytes, NUL included, and the largest */
	unsigned char bin[SECRET_MAX_PLAIN];
	randombytes_buf(bin, sizeof bin);
	bin[7] = 0;
	static char big[SECRET_SEALED_SIZE(SECRET_MAX_PLAIN)], back[SECRET_MAX_PLAIN + 1];
	assert_int_equal(secret_seal(k, bin, sizeof bin, big, sizeof big), SECRET_OK);
	assert_int_equal(strlen(big) + 1, SECRET_SEALED_SIZE(SECRET_MAX_PLAIN));
	size_t len = 0;
	assert_int_equal(secret_open(k, big, back, sizeof back, &len), SECRET_OK);
	assert_int_equal(len, sizeof bin);
	assert_memory_equal(back, bin, sizeof bin);
	/* too long, too little room */
	static unsigned char over[SECRET_MAX_PLAIN + 1];
	static char over_out[SECRET_SEALED_SIZE(SECRET_MAX_PLAIN + 1)];
	assert_int_equal(secret_seal(k, over, sizeof over, over_out, sizeof over_out), SECRET_NO_ROOM);
	char small[SECRET_SEALED_SIZE(5) - 1];
	assert_int_equal(secret_seal(k, "12345", 5, small, sizeof small), SECRET_NO_ROOM);
	assert_int_equal(secret_open(k, big, back, 100, NULL), SECRET_NO_ROOM);
	secret_key_free(k);
}

static void tamper_and_wrong_key(void **state)
{
	(void)state;
	struct secret_key *k = random_key(), *other = random_key();
	assert_string_not_equal(secret_key_id(k), secret_key_id(other));
	char sealed[SECRET_SEALED_SIZE(32)], plain[64];
	assert_int_equal(secret_seal(k, "sk_live_provider_key_1234", 25, sealed, sizeof sealed), SECRET_OK);
	assert_int_equal(secret_open(other, sealed, plain, sizeof plain, NULL), SECRET_OTHER_KEY);
	assert_string_equal(plain, "");

	/* every base64 character of nonce, ciphertext and tag, changed */
	size_t header = 5 + SECRET_KID_LEN + 1, n = strlen(sealed);
	int forged = 0;
	for (size_t i = header; i < n; i++) {
		char copy[sizeof sealed];
		memcpy(copy, sealed, n + 1);
		if (copy[i] == '=')
			continue;
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		enum secret_rc rc = secret_open(k, copy, plain, sizeof plain, NULL);
		/* the last character's low bits may be padding the decoder ignores or refuses */
		assert_true(rc == SECRET_FORGED || (rc == SECRET_MALFORMED && i >= n - 3));
		assert_string_equal(plain, "");
		forged += rc == SECRET_FORGED;
	}
	assert_true(forged >= (int)(n - header) - 3);

	/* a key of the same id cannot be made, but the kid is bound: moving a value
	 * to another kid does not open under that key either */
	char moved[sizeof sealed];
	memcpy(moved, sealed, n + 1);
	memcpy(moved + 5, secret_key_id(other), SECRET_KID_LEN);
	assert_int_equal(secret_open(other, moved, plain, sizeof plain, NULL), SECRET_FORGED);

	/* cut short, not the form */
	const char *bad[] = {"",
	                     "enc1:",
	                     "enc1:0123abcd:",
	                     "enc1:0123abcd:AAAA",
	                     "enc2:0123abcd:AAAAAAAAAAAAAAAAAAAA",
	                     "enc1:XYZ!abcd:AAAA",
	                     "plain text",
	                     "enc1:0123abcd"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(secret_open(k, bad[i], plain, sizeof plain, NULL), SECRET_MALFORMED);
	char cut[sizeof sealed];
	memcpy(cut, sealed, n - 8);
	cut[n - 8] = 0;
	enum secret_rc rc = secret_open(k, cut, plain, sizeof plain, NULL);
	assert_true(rc == SECRET_FORGED || rc == SECRET_MALFORMED);
	secret_key_free(k);
	secret_key_free(other);
	secret_key_free(NULL);
}

static void key_text_forms(void **state)
{
	(void)state;
	unsigned char raw[SECRET_KEY_BYTES], got[SECRET_KEY_BYTES];
	randombytes_buf(raw, sizeof raw);
	char hex[65], b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(secret_key_parse(hex, strlen(hex), got), 0);
	assert_memory_equal(got, raw, sizeof raw);
	assert_int_equal(secret_key_parse(b64, strlen(b64), got), 0);
	assert_memory_equal(got, raw, sizeof raw);
	char *padded = NULL;
	assert_true(asprintf(&padded, "  %s\n", b64) > 0);
	assert_int_equal(secret_key_parse(padded, strlen(padded), got), 0);
	free(padded);
	b64[strlen(b64) - 1] = 0; /* no padding */
	assert_int_equal(secret_key_parse(b64, strlen(b64), got), 0);
	assert_memory_equal(got, raw, sizeof raw);
	const char *bad[] = {"",
	                     "00",
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00",
	                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==" /* 31 bytes */};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(secret_key_parse(bad[i], strlen(bad[i]), got), -1);
}

static char *path_in_dir(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void key_file_made_and_read(void **state)
{
	(void)state;
	char err[512];
	const char *path = path_in_dir("made.key");
	bool created = false;
	assert_null(secret_key_file_load(path, false, &created, err, sizeof err));
	assert_non_null(strstr(err, "No such file"));
	mode_t old = umask(0); /* a lax umask must not make a lax file */
	struct secret_key *k = secret_key_file_load(path, true, &created, err, sizeof err);
	umask(old);
	assert_non_null(k);
	assert_true(created);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65); /* hex and a newline */
	/* read again: the same key; what it sealed opens */
	char sealed[SECRET_SEALED_SIZE(8)], plain[16];
	assert_int_equal(secret_seal(k, "whsec_42", 8, sealed, sizeof sealed), SECRET_OK);
	struct secret_key *again = secret_key_file_load(path, true, &created, err, sizeof err);
	assert_non_null(again);
	assert_false(created);
	assert_int_equal(secret_open(again, sealed, plain, sizeof plain, NULL), SECRET_OK);
	assert_string_equal(plain, "whsec_42");
	secret_key_free(again);
	/* 0400 is fine too; no temporary file is left behind */
	assert_int_equal(chmod(path, 0400), 0);
	again = secret_key_file_load(path, false, NULL, err, sizeof err);
	assert_non_null(again);
	secret_key_free(again);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
	FILE *p = popen(cmd, "r");
	int n_tmp = -1;
	assert_int_equal(fscanf(p, "%d", &n_tmp), 1);
	pclose(p);
	assert_int_equal(n_tmp, 0);
	/* raw 32 bytes and base64 text are read as the same key */
	unsigned char raw[SECRET_KEY_BYTES];
	randombytes_buf(raw, sizeof raw);
	struct secret_key *want = secret_key_new(raw);
	write_file(path_in_dir("raw.key"), raw, sizeof raw, 0600);
	char b64[64];
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	strcat(b64, "\n");
	write_file(path_in_dir("b64.key"), b64, strlen(b64), 0400);
	struct secret_key *a = secret_key_file_load(path_in_dir("raw.key"), false, NULL, err, sizeof err);
	struct secret_key *b = secret_key_file_load(path_in_dir("b64.key"), true, NULL, err, sizeof err);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(secret_key_id(a), secret_key_id(want));
	assert_string_equal(secret_key_id(b), secret_key_id(want));
	secret_key_free(a);
	secret_key_free(b);
	secret_key_free(want);
	secret_key_free(k);
}

static void key_file_refused(void **state)
{
	(void)state;
	char err[512];
	unsigned char raw[SECRET_KEY_BYTES] = {1, 2, 3};
	const char *path = path_in_dir("bad.key");
	mode_t modes[] = {0644, 0640, 0604, 0700, 0660, 0200};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_file(path, raw, sizeof raw, modes[i]);
		assert_null(secret_key_file_load(path, true, NULL, err, sizeof err));
		assert_non_null(strstr(err, "chmod 600"));
	}
	size_t lengths[] = {0, 31, 33, 64, 200, 300};
	static char long_text[300];
	memset(long_text, 'z', sizeof long_text);
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		write_file(path, long_text, lengths[i], 0600);
		assert_null(secret_key_file_load(path, true, NULL, err, sizeof err));
		assert_non_null(strstr(err, "32-byte key"));
	}
	/* a folder, and a folder that is not there: nothing made */
	assert_null(secret_key_file_load(dir, true, NULL, err, sizeof err));
	assert_non_null(strstr(err, "not a regular file"));
	assert_null(secret_key_file_load(path_in_dir("no/such.key"), true, NULL, err, sizeof err));
	assert_non_null(strstr(err, "cannot create"));
}

/* Eight processes start at once on a missing key file: exactly one makes
 * it, all eight end up with its key. */
static void key_file_race(void **state)
{
	(void)state;
	enum { N = 8 };
	for (int round = 0; round < 5; round++) {
		const char *path = path_in_dir("race.key");
		unlink(path);
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		int go[2];
		assert_int_equal(pipe(go), 0);
		pid_t pids[N];
		for (int i = 0; i < N; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				close(go[1]);
				char c;
				if (read(go[0], &c, 1) < 0) /* all start together */
					_exit(3);
				char err[256], line[32];
				bool created = false;
				struct secret_key *k = secret_key_file_load(path, true, &created, err, sizeof err);
				if (!k)
					_exit(2);
				int n = snprintf(line, sizeof line, "%s %d\n", secret_key_id(k), created ? 1 : 0);
				if (write(fds[1], line, (size_t)n) != n)
					_exit(4);
				_exit(0);
			}
		}
		close(go[0]);
		close(fds[1]);
		close(go[1]); /* EOF: go */
		for (int i = 0; i < N; i++) {
			int status;
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		char buf[N * 16 + 1];
		size_t len = 0;
		ssize_t got;
		while ((got = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
			len += (size_t)got;
		buf[len] = 0;
		close(fds[0]);
		char first[SECRET_KID_LEN + 1] = "";
		int n_lines = 0, n_created = 0;
		for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = 0;
			char kid[SECRET_KID_LEN + 1];
			int c = 0;
			assert_int_equal(sscanf(p, "%8s %d", kid, &c), 2);
			if (!first[0])
				memcpy(first, kid, sizeof kid);
			assert_string_equal(kid, first);
			n_created += c;
			n_lines++;
		}
		assert_int_equal(n_lines, N);
		assert_int_equal(n_created, 1);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() >= 0 && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),       cmocka_unit_test(tamper_and_wrong_key),
	    cmocka_unit_test(key_text_forms),   cmocka_unit_test(key_file_made_and_read),
	    cmocka_unit_test(key_file_refused), cmocka_unit_test(key_file_race),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
