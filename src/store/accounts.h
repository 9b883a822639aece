/* Rows and queries of accounts (issue 13): users (users.c), sessions and
 * password reset tokens (sessions.c), the mail outbox (mail_outbox.c) and
 * the counters of the abuse limits (auth_limits.c). Secrets arrive here
 * already hashed: the store never sees a password, a session token or a
 * reset token. Same conventions as store/resources.h (DB_ROW / DB_DONE /
 * DB_CONSTRAINT / DB_RETRY / DB_ERROR, strings copied into the arena).
 * The row structs move to the domain model (src/model) with issue 12. */
#ifndef OG_STORE_ACCOUNTS_H
#define OG_STORE_ACCOUNTS_H

#include "core/accounts.h"
#include "store/resources.h"

/* struct og_user is in model/objects.h (rendered by model_user_render). */

struct og_session {
	int64_t id;
	int64_t user_id;
	const char *token_hash;
	const char *csrf_token;
	struct acct_session_times times;
};

struct og_password_reset {
	int64_t id;
	int64_t user_id;
	int64_t created;
	int64_t expires;
	int64_t used_at; /* 0 while unused */
};

struct og_mail {
	int64_t id;
	const char *to;
	const char *subject;
	const char *body;
	int64_t created;
	int64_t attempts;
	int64_t next_attempt;
};

/* users.c. The unique key is the address's acct_email_key (computed here
 * from u->email, which must be valid: DB_ERROR otherwise). */
enum db_rc store_user_insert(struct db_conn *db, struct og_user *u); /* sets id; DB_CONSTRAINT: email taken */
enum db_rc store_user_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_user *out);
/* By address, in any letter case. DB_DONE when none (or email not valid). */
enum db_rc store_user_find_email(struct db_conn *db, struct og_arena *a, const char *email, struct og_user *out);
/* The user of a customer (customer users), DB_DONE when none. */
enum db_rc store_user_find_customer(struct db_conn *db, struct og_arena *a, int64_t customer_id, struct og_user *out);
/* Name, role, disabled and updated (email, password and counters have their own). */
enum db_rc store_user_update(struct db_conn *db, const struct og_user *u);
enum db_rc store_user_set_password(struct db_conn *db, int64_t id, const char *password_hash, int64_t now);
/* A failed sign-in: failed_logins + 1 and locked_until (0: not locked). */
enum db_rc store_user_login_failed(struct db_conn *db, int64_t id, int64_t locked_until);
/* A sign-in: counters cleared, last_login = now. */
enum db_rc store_user_login_ok(struct db_conn *db, int64_t id, int64_t now);
/* Clears the failure counter and the lock (a password reset). */
enum db_rc store_user_clear_lockout(struct db_conn *db, int64_t id);
/* The row lock for a read-modify-write (PostgreSQL; SQLite has one writer). */
enum db_rc store_user_lock(struct db_conn *db, int64_t id);
/* Row locks on every active user of a role (PostgreSQL; SQLite has one
 * writer): the last-owner check reads a count that cannot change under it. */
enum db_rc store_user_lock_role(struct db_conn *db, enum user_role role);
/* Active (not disabled) users of a role. */
enum db_rc store_user_count_role(struct db_conn *db, enum user_role role, int64_t *n);
/* staff_only: without customer users. Newest first, like every list. */
enum db_rc store_user_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, bool staff_only,
                           struct store_list *out);

/* sessions.c: sessions. token_hash and csrf_token are copied into the arena. */
enum db_rc store_session_insert(struct db_conn *db, struct og_session *s); /* sets id */
/* By the token's hash; revoked and expired sessions are returned too, the
 * caller decides (acct_session_state). */
enum db_rc store_session_find(struct db_conn *db, struct og_arena *a, const char *token_hash, struct og_session *out);
enum db_rc store_session_touch(struct db_conn *db, int64_t id, int64_t last_seen, int64_t idle_expires);
/* DB_ROW when it was live, DB_DONE when already revoked or missing. */
enum db_rc store_session_revoke(struct db_conn *db, int64_t id, int64_t now);
/* Every live session of a user; *n how many (may be NULL). */
enum db_rc store_session_revoke_user(struct db_conn *db, int64_t user_id, int64_t now, int64_t *n);
/* Deletes sessions that expired (idle or absolute) or were revoked before
 * `before`, oldest first, at most limit. */
enum db_rc store_session_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted);

/* sessions.c: password reset tokens. */
enum db_rc store_reset_insert(struct db_conn *db, const char *token_hash, int64_t user_id, int64_t now, int64_t expires,
                              int64_t *id);
enum db_rc store_reset_find(struct db_conn *db, const char *token_hash, struct og_password_reset *out);
/* Marks the token used if it is unused and not expired at now: DB_ROW for
 * the one caller that wins, DB_DONE for everyone else (single use). */
enum db_rc store_reset_use(struct db_conn *db, int64_t id, int64_t now);
/* Marks every unused token of the user used (a new request or a password
 * change makes the older links die). */
enum db_rc store_reset_invalidate_user(struct db_conn *db, int64_t user_id, int64_t now);
/* Deletes tokens used or expired before `before`, oldest first, at most limit. */
enum db_rc store_reset_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted);

/* mail_outbox.c */
enum db_rc store_mail_enqueue(struct db_conn *db, const char *to, const char *subject, const char *body, int64_t now,
                              int64_t *id);
/* Up to max unsent mails due at now (next_attempt <= now), oldest first. */
enum db_rc store_mail_due(struct db_conn *db, struct og_arena *a, int64_t now, int max, struct og_mail *rows, int *n);
/* Takes a due mail for the sender: moves next_attempt from `seen` to
 * lease_until and counts the attempt. DB_ROW when this caller won it,
 * DB_DONE when another sender did (or it was sent). A sender that dies
 * mid-send leaves it to be retried after the lease. */
enum db_rc store_mail_claim(struct db_conn *db, int64_t id, int64_t seen, int64_t lease_until);
/* Sent: sent_at = now and the body (which may hold a link) deleted. */
enum db_rc store_mail_sent(struct db_conn *db, int64_t id, int64_t now);
/* Not sent: retry at next_attempt; error is a short reason, no body text. */
enum db_rc store_mail_failed(struct db_conn *db, int64_t id, int64_t next_attempt, const char *error);
enum db_rc store_mail_count_unsent(struct db_conn *db, int64_t *n);

/* auth_limits.c: fixed-window counters. Adds one hit to (bucket,
 * window_start) and returns the count after it. */
enum db_rc store_limit_hit(struct db_conn *db, const char *bucket, int64_t window_start, int64_t *hits);
/* The count of (bucket, window_start) without adding (0 when none). */
enum db_rc store_limit_count(struct db_conn *db, const char *bucket, int64_t window_start, int64_t *hits);
enum db_rc store_limit_clear(struct db_conn *db, const char *bucket);
/* Deletes windows that started before `before`, oldest first, at most limit. */
enum db_rc store_limit_purge(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted);

/* portal_sessions.c: billing portal sessions (token_hash: SHA-256 of the
 * link's token). insert sets s->id. */
enum db_rc store_portal_session_insert(struct db_conn *db, const char *token_hash, struct og_portal_session *s);
enum db_rc store_portal_session_find(struct db_conn *db, struct og_arena *a, const char *token_hash,
                                     struct og_portal_session *out);
/* Marks it used if unused and not expired at now: DB_ROW for the one caller
 * that wins, DB_DONE for everyone else. */
enum db_rc store_portal_session_use(struct db_conn *db, int64_t id, int64_t now);

#endif
