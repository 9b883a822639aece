/* Encryption at rest (secretbox.h): the sealed text form and the key file. */
#include "sys/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEADER_LEN  (sizeof SECRET_PREFIX - 1 + SECRET_KID_LEN + 1) /* "enc1:" kid ":" */

_Static_assert(NONCE_BYTES == 24 && TAG_BYTES == 16, "SECRET_SEALED_SIZE counts 24 + 16 bytes");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == SECRET_KEY_BYTES, "key size");

struct secret_key {
	unsigned char key[SECRET_KEY_BYTES];
	char kid[SECRET_KID_LEN + 1];
};

struct secret_key *secret_key_new(const unsigned char raw[SECRET_KEY_BYTES])
{
	struct secret_key *k = sodium_malloc(sizeof *k);
	if (!k)
		return NULL;
	memcpy(k->key, raw, SECRET_KEY_BYTES);
	/* the id: a keyed hash of a constant, so it names the key without telling it */
	static const char label[] = "oneguard secret key id";
	unsigned char h[crypto_generichash_BYTES_MIN];
	crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1, raw, SECRET_KEY_BYTES);
	char hex[sizeof h * 2 + 1];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	memcpy(k->kid, hex, SECRET_KID_LEN);
	k->kid[SECRET_KID_LEN] = 0;
	sodium_mprotect_readonly(k);
	return k;
}

void secret_key_free(struct secret_key *k)
{
	if (k)
		sodium_free(k); /* wipes it */
}

const char *secret_key_id(const struct secret_key *k)
{
	return k->kid;
}

bool secret_is_sealed(const char *text)
{
	return text && strncmp(text, SECRET_PREFIX, sizeof SECRET_PREFIX - 1) == 0;
}

enum secret_rc secret_seal(const struct secret_key *k, const void *plain, size_t len, char *out, size_t out_size)
{
	if (len > SECRET_MAX_PLAIN || out_size < SECRET_SEALED_SIZE(len))
		return SECRET_NO_ROOM;
	unsigned char buf[NONCE_BYTES + SECRET_MAX_PLAIN + TAG_BYTES];
	int n = snprintf(out, out_size, "%s%s:", SECRET_PREFIX, k->kid);
	if (n != (int)HEADER_LEN)
		return SECRET_NO_ROOM;
	randombytes_buf(buf, NONCE_BYTES);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_BYTES, &clen, plain, len, (const unsigned char *)out,
	                                           HEADER_LEN, NULL, buf, k->key);
	sodium_bin2base64(out + HEADER_LEN, out_size - HEADER_LEN, buf, NONCE_BYTES + (size_t)clen,
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(buf, sizeof buf);
	return SECRET_OK;
}

enum secret_rc secret_open(const struct secret_key *k, const char *sealed, char *out, size_t out_size, size_t *len)
{
	if (out_size)
		out[0] = 0;
	if (!secret_is_sealed(sealed) || strlen(sealed) < HEADER_LEN || sealed[HEADER_LEN - 1] != ':')
		return SECRET_MALFORMED;
	const char *kid = sealed + sizeof SECRET_PREFIX - 1;
	for (int i = 0; i < SECRET_KID_LEN; i++)
		if (!((kid[i] >= '0' && kid[i] <= '9') || (kid[i] >= 'a' && kid[i] <= 'f')))
			return SECRET_MALFORMED;
	unsigned char buf[NONCE_BYTES + SECRET_MAX_PLAIN + TAG_BYTES];
	size_t blen = 0;
	const char *end = NULL;
	const char *b64 = sealed + HEADER_LEN;
	if (sodium_base642bin(buf, sizeof buf, b64, strlen(b64), NULL, &blen, &end, sodium_base64_VARIANT_ORIGINAL) !=
	        0 ||
	    *end || blen < NONCE_BYTES + TAG_BYTES)
		return SECRET_MALFORMED;
	if (memcmp(kid, k->kid, SECRET_KID_LEN) != 0) /* the id is public: no need for constant time */
		return SECRET_OTHER_KEY;
	size_t plain_len = blen - NONCE_BYTES - TAG_BYTES;
	if (out_size < plain_len + 1)
		return SECRET_NO_ROOM;
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &mlen, NULL, buf + NONCE_BYTES,
	                                               blen - NONCE_BYTES, (const unsigned char *)sealed, HEADER_LEN,
	                                               buf, k->key) != 0) {
		sodium_memzero(out, out_size);
		return SECRET_FORGED;
	}
	out[mlen] = 0;
	if (len)
		*len = (size_t)mlen;
	return SECRET_OK;
}

/* ---- the key's text and file ----------------------------------------------- */

int secret_key_parse(const char *text, size_t len, unsigned char raw[SECRET_KEY_BYTES])
{
	while (len && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	size_t n = 0;
	const char *end = NULL;
	if (len == SECRET_KEY_BYTES * 2 && sodium_hex2bin(raw, SECRET_KEY_BYTES, text, len, NULL, &n, &end) == 0 &&
	    n == SECRET_KEY_BYTES && end == text + len)
		return 0;
	static const int variants[] = {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING};
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		unsigned char buf[SECRET_KEY_BYTES + 3];
		if (sodium_base642bin(buf, sizeof buf, text, len, NULL, &n, &end, variants[v]) == 0 &&
		    end == text + len && n == SECRET_KEY_BYTES) {
			memcpy(raw, buf, SECRET_KEY_BYTES);
			sodium_memzero(buf, sizeof buf);
			return 0;
		}
		sodium_memzero(buf, sizeof buf);
	}
	sodium_memzero(raw, SECRET_KEY_BYTES);
	return -1;
}

/* Makes the key file: a temporary file only we opened (O_EXCL, 0600), then
 * link(2), which unlike rename fails when the name exists: a concurrent
 * starter's file is never replaced. 0 made, 1 someone else's is there, -1. */
static int key_file_make(const char *path, char *err, size_t errlen)
{
	char tmp[4096 + 32];
	unsigned char raw[SECRET_KEY_BYTES];
	char hex[SECRET_KEY_BYTES * 2 + 2];
	char rnd[17];
	randombytes_buf(raw, 8);
	sodium_bin2hex(rnd, sizeof rnd, raw, 8);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, rnd) >= sizeof tmp) {
		snprintf(err, errlen, "the key file's path is too long");
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the key file %s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	hex[SECRET_KEY_BYTES * 2] = '\n';
	size_t len = SECRET_KEY_BYTES * 2 + 1;
	bool ok = fchmod(fd, 0600) == 0 && write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
	sodium_memzero(hex, sizeof hex);
	int saved = errno;
	close(fd);
	if (!ok) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write the key file %s: %s", path, strerror(saved));
		return -1;
	}
	int rc = link(tmp, path) == 0 ? 0 : errno == EEXIST ? 1 : -1;
	saved = errno;
	unlink(tmp);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the key file %s: %s", path, strerror(saved));
		return -1;
	}
	if (rc == 0) { /* the new name durable too */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return rc;
}

struct secret_key *secret_key_file_load(const char *path, bool create, bool *created, char *err, size_t errlen)
{
	if (created)
		*created = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		int made = key_file_make(path, err, errlen);
		if (made < 0)
			return NULL;
		if (created)
			*created = made == 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the key file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "the key file %s is not a regular file", path);
		return NULL;
	}
	unsigned mode = (unsigned)st.st_mode & 07777;
	if (mode != 0600 && mode != 0400) {
		close(fd);
		snprintf(err, errlen,
		         "the key file %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", path,
		         mode, path);
		return NULL;
	}
	char buf[256];
	size_t len = 0;
	ssize_t got;
	while (len < sizeof buf && (got = read(fd, buf + len, sizeof buf - len)) > 0)
		len += (size_t)got;
	close(fd);
	unsigned char raw[SECRET_KEY_BYTES];
	struct secret_key *k = NULL;
	if (len == SECRET_KEY_BYTES)
		memcpy(raw, buf, SECRET_KEY_BYTES);
	else if (len == sizeof buf || secret_key_parse(buf, len, raw) != 0) {
		sodium_memzero(buf, sizeof buf);
		snprintf(err, errlen,
		         "the key file %s holds %zu%s bytes: it must hold a 32-byte key (raw, 64 hex digits or base64)",
		         path, len, len == sizeof buf ? " or more" : "");
		return NULL;
	}
	sodium_memzero(buf, sizeof buf);
	k = secret_key_new(raw);
	sodium_memzero(raw, sizeof raw);
	if (!k)
		snprintf(err, errlen, "out of memory for the key");
	return k;
}

void secret_key_derive(const struct secret_key *k, const char *purpose, unsigned char out[SECRET_KEY_BYTES])
{
	crypto_generichash(out, SECRET_KEY_BYTES, (const unsigned char *)purpose, strlen(purpose), k->key,
	                   sizeof k->key);
}
