/* Encryption at rest for secrets oneGuard must read back (webhook signing
 * secrets, payment provider keys): XChaCha20-Poly1305 (libsodium's
 * crypto_aead_xchacha20poly1305_ietf) under one 32-byte key kept outside
 * the database, a fresh random nonce per value. The stored text is
 *
 *     enc1:<kid>:<base64(nonce || ciphertext || tag)>
 *
 * enc1 the format version, kid 8 hex digits naming the key (a keyed hash
 * of a constant: it says nothing of the key), both bound as additional
 * data. A value sealed under another key is told apart from a forged one
 * by its kid, which is what key rotation will use (docs/internals/secrets.md).
 * Passwords and tokens are not for this: they are hashed, never recoverable. */
#ifndef OG_SECRETBOX_H
#define OG_SECRETBOX_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_KEY_BYTES 32
#define SECRET_KID_LEN   8 /* hex digits */
#define SECRET_PREFIX    "enc1:"
/* The longest plaintext secret_seal takes. */
#define SECRET_MAX_PLAIN 4096
/* Room for the sealed text of n plaintext bytes, with its NUL. */
#define SECRET_SEALED_SIZE(n)                                                                                          \
	(sizeof SECRET_PREFIX - 1 + SECRET_KID_LEN + 1 + ((24 + (size_t)(n) + 16 + 2) / 3) * 4 + 1)

enum secret_rc {
	SECRET_OK = 0,
	SECRET_MALFORMED, /* not enc1:<kid>:<base64> */
	SECRET_OTHER_KEY, /* sealed under another key (its kid differs) */
	SECRET_FORGED,    /* this key's kid but the tag does not verify: changed or forged */
	SECRET_NO_ROOM,   /* out too small, or plaintext over SECRET_MAX_PLAIN */
};

/* The key, in memory from sodium_malloc (locked, guarded, read-only except
 * while being set; wiped by secret_key_free). */
struct secret_key;

struct secret_key *secret_key_new(const unsigned char raw[SECRET_KEY_BYTES]);
void secret_key_free(struct secret_key *k); /* NULL is a no-op */
/* The key's id: SECRET_KID_LEN hex digits and a NUL. */
const char *secret_key_id(const struct secret_key *k);

/* Seals plain (len bytes, may hold any byte) into out as NUL-terminated text. */
enum secret_rc secret_seal(const struct secret_key *k, const void *plain, size_t len, char *out, size_t out_size);
/* Opens sealed text into out (NUL-terminated; *len, when not NULL, the
 * plaintext's length). On failure out is wiped. */
enum secret_rc secret_open(const struct secret_key *k, const char *sealed, char *out, size_t out_size, size_t *len);
/* A 32-byte subkey for one purpose ("idempotency", ...): BLAKE2b keyed by
 * the key over the purpose's name. Secret like the key; wipe it after use. */
void secret_key_derive(const struct secret_key *k, const char *purpose, unsigned char out[SECRET_KEY_BYTES]);

/* Whether text has the sealed form's prefix (not whether it opens). */
bool secret_is_sealed(const char *text);

/* ---- where the key comes from ----------------------------------------------- */

/* A key written as text: 64 hex digits or base64 of 32 bytes (with or
 * without padding); surrounding white space ignored. 0, or -1 when it is not
 * exactly 32 bytes in one of those forms. */
int secret_key_parse(const char *text, size_t len, unsigned char raw[SECRET_KEY_BYTES]);

/* Reads the key file at path; when it does not exist and create is set,
 * makes one first: 32 random bytes as hex, mode 0600, written to a
 * temporary file of its own (O_EXCL) and linked into place, so when two
 * processes start at once one file wins and both read it. The file must be
 * a regular file of mode 0600 or 0400 holding the raw 32 bytes or the text
 * form above. NULL with the reason in err; *created (may be NULL) says
 * whether this call made the file. */
struct secret_key *secret_key_file_load(const char *path, bool create, bool *created, char *err, size_t errlen);

#endif
