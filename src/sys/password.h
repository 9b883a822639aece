/* Password hashing: argon2id through libsodium's crypto_pwhash_str with the
 * interactive limits (about 0.1-0.2 s and 64 MiB each, on purpose). Call
 * these on a worker pool (sys/workpool.h), never on an HTTP event loop and
 * never inside a database transaction. The policy (length, common
 * passwords) is core/accounts.h's. */
#ifndef OG_PASSWORD_H
#define OG_PASSWORD_H

#include <sodium.h>
#include <stdbool.h>

#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES /* 128, with the NUL */

/* Lowers the limits to libsodium's minimum, so a test suite (and its
 * valgrind pass) hashes in milliseconds. Only for test mode: the CLI
 * refuses the setting otherwise. Call once at start-up, before threads. */
void password_use_fast_limits(bool fast);
bool password_fast_limits(void);

/* Hashes password into out[PASSWORD_HASH_MAX] ("$argon2id$v=19$m=...").
 * False only when libsodium cannot allocate the memory the limits ask. */
bool password_hash(const char *password, char out[PASSWORD_HASH_MAX]);

/* Verifies password against hash. With hash NULL (an unknown e-mail) it
 * verifies against a dummy hash made with the same limits, so the answer
 * takes the same time and is always false. *needs_rehash (may be NULL) is
 * set when the password matched a hash made with other limits than today's:
 * the caller stores a fresh hash (crypto_pwhash_str_needs_rehash). */
bool password_verify(const char *hash, const char *password, bool *needs_rehash);

#endif
