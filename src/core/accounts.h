/* Accounts, the pure part: roles, e-mail keys, the password policy, the
 * format of session and reset tokens and the arithmetic of their expiry.
 * No I/O and no randomness here: tokens are drawn by billing/accounts.c,
 * passwords hashed by sys/password.c, rows kept by store/users.c and
 * store/sessions.c. See docs/internals/accounts.md. */
#ifndef OG_CORE_ACCOUNTS_H
#define OG_CORE_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

/* The closed set of roles, stored as their names. */
enum user_role { ROLE_OWNER, ROLE_ADMIN, ROLE_FINANCE, ROLE_SUPPORT, ROLE_ANALYST, ROLE_CUSTOMER, ROLE__COUNT };
const char *acct_role_name(enum user_role role); /* "owner", ...; "" when out of range */
/* True and *role set when s names a role exactly (lowercase). */
bool acct_role_parse(const char *s, enum user_role *role);
bool acct_role_is_staff(enum user_role role); /* every role but customer */

/* An e-mail address: 3 to 254 bytes, one '@' with text on both sides and a
 * dot in the domain, no space, control character, quote or angle bracket
 * (it goes into mail headers). The key is the address with ASCII letters
 * lowercased: the unique key of users. */
#define ACCT_EMAIL_MAX 254
bool acct_email_valid(const char *email);
/* Writes the key of a valid address into out[ACCT_EMAIL_MAX + 1]; false
 * (out empty) when the address is not valid. */
bool acct_email_key(const char *email, char out[ACCT_EMAIL_MAX + 1]);

/* The password policy: at least ACCT_PASSWORD_MIN characters (UTF-8 code
 * points), at most ACCT_PASSWORD_MAX_BYTES bytes, valid UTF-8 without
 * control characters, and not one of the common passwords shipped with the
 * program (data/common_passwords.txt, compared without letter case). */
#define ACCT_PASSWORD_MIN       10
#define ACCT_PASSWORD_MAX_BYTES 256
enum acct_pw_verdict {
	ACCT_PW_OK,
	ACCT_PW_TOO_SHORT,
	ACCT_PW_TOO_LONG,
	ACCT_PW_INVALID, /* not UTF-8, or a control character */
	ACCT_PW_COMMON,
};
enum acct_pw_verdict acct_password_check(const char *password);
/* The message for a verdict, for the error shown to the user. */
const char *acct_password_verdict_message(enum acct_pw_verdict v);
/* Whether s is in the common list (lowercased first); the list's size. */
bool acct_password_is_common(const char *s);
int acct_common_password_count(void);

/* Tokens (sessions, CSRF, password resets, portal links): 32 random bytes
 * written as 64 lowercase hex digits. Only the SHA-256 of a token (64 hex)
 * is stored, so a database dump holds nothing that signs anyone in. */
#define ACCT_TOKEN_BYTES 32
#define ACCT_TOKEN_LEN   64
#define ACCT_HASH_LEN    64
void acct_token_format(const uint8_t raw[ACCT_TOKEN_BYTES], char out[ACCT_TOKEN_LEN + 1]);
/* True when s has the token's shape (64 lowercase hex digits). A forged
 * cookie of another shape is refused before any database read. */
bool acct_token_well_formed(const char *s);
/* The stored form of a token: the hex SHA-256 of its text. */
void acct_token_hash(const char *token, char out[ACCT_HASH_LEN + 1]);
/* Constant-time comparison of two NUL-terminated secrets of equal length
 * (false when the lengths differ; the length is not secret). */
bool acct_secret_equal(const char *a, const char *b);

/* Sessions: idle after 30 minutes without a request, over 12 hours after
 * sign-in whatever happens. last_seen is written at most once a minute
 * (ACCT_SESSION_TOUCH), so a busy session costs no write per request. */
#define ACCT_SESSION_IDLE     1800
#define ACCT_SESSION_ABSOLUTE 43200
#define ACCT_SESSION_TOUCH    60
enum acct_session_state {
	ACCT_SESSION_VALID,
	ACCT_SESSION_REVOKED,
	ACCT_SESSION_IDLE_EXPIRED,
	ACCT_SESSION_EXPIRED,
};
struct acct_session_times {
	int64_t created;
	int64_t last_seen;
	int64_t idle_expires; /* min(last_seen + idle, expires) */
	int64_t expires;      /* created + absolute */
	int64_t revoked_at;   /* 0 when live */
};
/* The times of a session started at now. */
struct acct_session_times acct_session_start(int64_t now);
enum acct_session_state acct_session_state(const struct acct_session_times *t, int64_t now);
/* True when a request at now should move last_seen (and idle_expires). */
bool acct_session_needs_touch(const struct acct_session_times *t, int64_t now);
/* Moves the idle expiry for a request at now, never past the absolute one. */
void acct_session_touch(struct acct_session_times *t, int64_t now);

/* Password reset tokens are valid one hour, once. */
#define ACCT_RESET_TTL 3600

/* Lockout: ACCT_LOCKOUT_FAILURES failed sign-ins for one address within
 * ACCT_LOCKOUT_WINDOW seconds lock it until the window ends. */
#define ACCT_LOCKOUT_FAILURES 5
#define ACCT_LOCKOUT_WINDOW   900
/* The start of the fixed window of `window` seconds holding now. */
int64_t acct_window_start(int64_t now, int64_t window);

#endif
