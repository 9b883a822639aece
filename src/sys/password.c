/* argon2id hashing and verification (see password.h). The limits are the
 * interactive ones, or libsodium's minimum in test mode. The dummy hash for
 * unknown e-mails is made once per limit setting, lazily and under a mutex,
 * so the first unknown-email login costs one hash more (rare; logged by no
 * one). */
#include "sys/password.h"

#include <pthread.h>
#include <string.h>

static bool fast;
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char dummy[2][PASSWORD_HASH_MAX]; /* [fast] */

void password_use_fast_limits(bool on)
{
	fast = on;
}

bool password_fast_limits(void)
{
	return fast;
}

static unsigned long long ops_limit(void)
{
	return fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
}

static size_t mem_limit(void)
{
	/* 8 KiB is argon2's floor; 64 MiB the interactive setting */
	return fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

bool password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
	return crypto_pwhash_str(out, password, strlen(password), ops_limit(), mem_limit()) == 0;
}

static const char *dummy_hash(void)
{
	pthread_mutex_lock(&dummy_mu);
	char *d = dummy[fast ? 1 : 0];
	if (!d[0]) {
		unsigned char raw[24];
		char text[49];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(text, sizeof text, raw, sizeof raw);
		if (!password_hash(text, d))
			d[0] = 0;
	}
	pthread_mutex_unlock(&dummy_mu);
	return d;
}

bool password_verify(const char *hash, const char *password, bool *needs_rehash)
{
	if (needs_rehash)
		*needs_rehash = false;
	bool known = hash && *hash;
	const char *h = known ? hash : dummy_hash();
	bool ok = crypto_pwhash_str_verify(h, password, strlen(password)) == 0;
	if (!known || !ok)
		return false;
	if (needs_rehash)
		*needs_rehash = crypto_pwhash_str_needs_rehash(hash, ops_limit(), mem_limit()) != 0;
	return true;
}
