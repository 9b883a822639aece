/* The account service (issue 13): sign-up, sign-in, sessions, sign-out,
 * password change and reset, lockout and the abuse limits. The HTTP
 * handlers (a later step) and the CLI call it; it never includes http or
 * api. See docs/internals/accounts.md.
 *
 * Passwords are hashed (argon2id, ~0.1-0.2 s) outside every database
 * transaction and off the event loops, so each operation that hashes is cut
 * into steps:
 *
 *   check      pure validation of the input                 (caller's thread)
 *   prepare    a short transaction: limits, lockout, reads  (a store job)
 *   hash       argon2id on the worker pool                  (sys/workpool.h)
 *   commit     a short transaction: the writes              (a store job)
 *
 * The step functions take a struct acct_ctx whose db is inside the caller's
 * transaction. The accounts_*_run functions chain the steps for callers
 * that own a connection and a thread (the CLI, tests): they run each
 * transaction with store_run_txn and wait for the pool.
 *
 * Answers that must not tell whether an e-mail is known (login, reset
 * request) are the same for both: the same error, and a hash computed in
 * both cases (against a dummy for an unknown address). */
#ifndef OG_BILLING_ACCOUNTS_H
#define OG_BILLING_ACCOUNTS_H

#include "core/og_error.h"
#include "store/accounts.h"
#include "sys/password.h"
#include "sys/workpool.h"

struct acct_ctx {
	struct db_conn *db;     /* inside the caller's transaction */
	struct og_arena *arena; /* rows and strings of the answer */
	int64_t now;
	const char *client_addr; /* the caller's address for the limits; NULL: not limited by address */
	struct og_error *err;    /* filled on failure */
	int64_t retry_after;     /* seconds, set with RATE_LIMITED / ACCOUNT_LOCKED / UNAVAILABLE */
};

/* A new session: the token and CSRF token in clear, for the response only
 * (the cookie and the body); the store keeps the token's hash. */
struct acct_new_session {
	struct og_session session;
	const char *token;      /* 64 hex, in the arena */
	const char *csrf_token; /* 64 hex, in the arena */
};

/* The abuse limits: per client address and per account, fixed windows. */
enum acct_limit_kind { ACCT_LIMIT_LOGIN, ACCT_LIMIT_SIGNUP, ACCT_LIMIT_RESET };

/* Counts one attempt of kind for the client address and (when not NULL)
 * the e-mail, and refuses it with OG_EC_RATE_LIMITED (retry_after set) when
 * a limit is passed. Run it in its own transaction before the work, so an
 * attempt that fails later still counts. */
enum og_ec accounts_limit(struct acct_ctx *c, enum acct_limit_kind kind, const char *email);

/* ---- passwords on the pool ---- */

/* Hashes password on pool and waits. OG_EC_UNAVAILABLE (retry_after 1) when
 * the pool's queue is full. out[PASSWORD_HASH_MAX]. */
enum og_ec accounts_hash_on(struct og_workpool *pool, const char *password, char *out, struct og_error *err,
                            int64_t *retry_after);
/* Verifies on pool and waits (hash NULL: against the dummy). *ok, and with
 * rehash non-NULL, a fresh hash in rehash[PASSWORD_HASH_MAX] ("" when the
 * hash's limits are today's). */
enum og_ec accounts_verify_on(struct og_workpool *pool, const char *hash, const char *password, bool *ok, char *rehash,
                              struct og_error *err, int64_t *retry_after);

/* ---- staff and customer users ---- */

/* Validates e-mail (param "email"), password ("password": PASSWORD_WEAK
 * with the policy's message) and name (at most 200 bytes). */
enum og_ec accounts_check_new_user(const char *email, const char *password, const char *name, struct og_error *err);

/* Commits a staff user (role not customer) with the password hash.
 * EMAIL_TAKEN when the address is in use. *out gets the row. */
enum og_ec accounts_staff_create(struct acct_ctx *c, const char *email, const char *name, enum user_role role,
                                 const char *password_hash, struct og_user *out);

/* Sign-up: commits the customer row and its customer user in one
 * transaction. EMAIL_TAKEN when the address is in use (signup may say so;
 * it is rate-limited). */
enum og_ec accounts_signup_commit(struct acct_ctx *c, const char *email, const char *name, const char *password_hash,
                                  struct og_user *user, struct og_customer *customer);

/* ---- sign-in ---- */

struct acct_login {
	char email_key[ACCT_EMAIL_MAX + 1];
	int64_t user_id;           /* 0: unknown address (verify against the dummy) */
	const char *password_hash; /* arena; NULL for unknown or no password set */
	bool disabled;
	/* set by the hash step */
	bool password_ok;
	char rehash[PASSWORD_HASH_MAX];
};

/* The prepare step of a sign-in: the limits per address, the lockout of the
 * address (known or not alike: ACCOUNT_LOCKED with retry_after), the user's
 * hash. A malformed e-mail reads as unknown. */
enum og_ec accounts_login_prepare(struct acct_ctx *c, const char *email, struct acct_login *l);
/* The hash step: verifies password (pool thread, no database). */
void accounts_login_verify(struct acct_login *l, const char *password);
/* The commit step: on a wrong password (or unknown, or disabled user)
 * counts a failure, locks the address at the fifth within the window, and
 * returns LOGIN_FAILED, the same for all three; on success clears the
 * failures, stores the rehash if any, and starts a session. The caller
 * commits on failure too (the failure must count): see the _run function. */
enum og_ec accounts_login_commit(struct acct_ctx *c, struct acct_login *l, struct acct_new_session *out);

/* ---- sessions ---- */

/* Starts a session for user_id: new random token and CSRF token. */
enum og_ec accounts_session_start(struct acct_ctx *c, int64_t user_id, struct acct_new_session *out);

/* The session of a cookie token (a read; no transaction needed): its row
 * and its user. SESSION_INVALID for a malformed, unknown, revoked or expired
 * token, or a disabled user. *needs_touch: call accounts_session_touch in a
 * write transaction (at most once a minute per session). */
enum og_ec accounts_session_authenticate(struct acct_ctx *c, const char *token, struct og_session *session,
                                         struct og_user *user, bool *needs_touch);
enum og_ec accounts_session_touch(struct acct_ctx *c, struct og_session *session);
/* A cookie-authenticated unsafe request: the X-CSRF-Token header must
 * equal the session's (constant time). CSRF_INVALID otherwise. */
enum og_ec accounts_csrf_check(const struct og_session *session, const char *header, struct og_error *err);
/* Sign-out: revokes the one session. */
enum og_ec accounts_logout(struct acct_ctx *c, int64_t session_id);
/* Revokes every session of the user (n may be NULL). */
enum og_ec accounts_revoke_all(struct acct_ctx *c, int64_t user_id, int64_t *n);

/* ---- passwords ---- */

/* Password change, commit step (the caller verified the old password and
 * hashed the new one on the pool): stores the hash, revokes every session
 * and pending reset of the user, starts a fresh session for the caller. */
enum og_ec accounts_password_change_commit(struct acct_ctx *c, int64_t user_id, const char *new_hash,
                                           struct acct_new_session *out);

/* Reset request: for a known, enabled user, makes a single-use token valid
 * ACCT_RESET_TTL and queues the mail with the link link_base + token (in
 * the same transaction: the outbox). Unknown addresses get nothing and the
 * same OG_EC_NONE. The token never leaves this function but in the mail. */
enum og_ec accounts_reset_request(struct acct_ctx *c, const char *email, const char *link_base);
/* Reset confirm, check step (a read): RESET_TOKEN_INVALID (param "token")
 * unless the token is known, unused and unexpired. */
enum og_ec accounts_reset_check(struct acct_ctx *c, const char *token);
/* Reset confirm, commit step: uses the token (once: a second confirm gets
 * RESET_TOKEN_INVALID), stores the hash, revokes every session and other
 * reset token of the user, and clears the lockout. */
enum og_ec accounts_reset_commit(struct acct_ctx *c, const char *token, const char *new_hash,
                                 struct og_user *user); /* user: NULL or the user whose password it set */

/* ---- the steps chained, for the CLI and tests ---- */

/* Each runs its transactions with store_run_txn on db and its hashing on
 * pool; ctx->db is set by them. */
enum og_ec accounts_staff_create_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *name,
                                     enum user_role role, const char *password, struct og_user *out);
enum og_ec accounts_signup_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *name,
                               const char *password, struct og_user *user, struct og_customer *customer);
enum og_ec accounts_login_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *password,
                              struct acct_new_session *out);
enum og_ec accounts_password_change_run(struct acct_ctx *c, struct og_workpool *pool, int64_t user_id,
                                        const char *old_password, const char *new_password,
                                        struct acct_new_session *out);
enum og_ec accounts_reset_request_run(struct acct_ctx *c, const char *email, const char *link_base);
enum og_ec accounts_reset_confirm_run(struct acct_ctx *c, struct og_workpool *pool, const char *token,
                                      const char *new_password);

/* ---- links: invitations and billing portal sessions (account_links.c) ---- */

#define ACCT_INVITE_TTL (7 * 86400) /* an invitation link: 7 days */
#define ACCT_PORTAL_TTL (15 * 60)   /* a billing portal link: 15 minutes */

/* Mails u a link link_base + token that sets its password (a reset token
 * valid ACCT_INVITE_TTL: POST /v1/auth/password_reset/confirm takes it);
 * older links of u die. *expires: when this one does. */
enum og_ec accounts_invite(struct acct_ctx *c, const struct og_user *u, const char *link_base, int64_t *expires);
/* The customer's user, created without a password when missing (*created).
 * OG_EC_PARAM_INVALID naming "customer" when the customer has no valid email;
 * STATE_CONFLICT when another user holds that email. */
enum og_ec accounts_customer_user(struct acct_ctx *c, const struct og_customer *cus, struct og_user *out,
                                  bool *created);
/* A billing portal session for the customer: a single-use token valid
 * ACCT_PORTAL_TTL, stored hashed; out->url = link_base/portal/session/<token>. */
enum og_ec accounts_portal_create(struct acct_ctx *c, int64_t customer_id, const char *return_url,
                                  const char *link_base, struct og_portal_session *out);
/* Redeems a portal token: marks it used (one conditional UPDATE), makes the
 * customer's user when missing and starts a session. PORTAL_LINK_INVALID,
 * the same for a used, expired or unknown token. */
enum og_ec accounts_portal_redeem(struct acct_ctx *c, const char *token, struct og_user *user,
                                  struct acct_new_session *out);

/* A customer deleted in this transaction: its customer user (if any) is
 * disabled and signed out, so nobody signs in to a deleted customer. */
enum og_ec accounts_customer_deleted(struct acct_ctx *c, int64_t customer_id);

/* A staff user's change (POST /v1/users/{id}): only the has_* members apply. */
struct acct_user_change {
	bool has_role, has_name, has_disabled;
	enum user_role role;
	const char *name;
	bool disabled;
};
/* Applies ch to u (a staff user, read in this transaction) and stores it:
 * STATE_CONFLICT when it would leave no enabled owner; disabling revokes
 * the user's sessions. */
enum og_ec accounts_staff_update(struct acct_ctx *c, struct og_user *u, const struct acct_user_change *ch);

#endif
