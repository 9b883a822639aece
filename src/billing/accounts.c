/* The account service (see accounts.h): the decisions of sign-up, sign-in,
 * sessions, password change and reset, lockout and the abuse limits. Rows
 * come from store/users.c, store/sessions.c, store/auth_limits.c and
 * store/mail_outbox.c; the pure rules (policy, token text, expiry) from
 * core/accounts.c; argon2id from sys/password.c, always on a worker pool
 * and never inside a transaction. Tokens are drawn here (libsodium's
 * randombytes) and leave only in the answer (sessions) or in the queued
 * mail (resets). No HTTP here. */
#include "billing/accounts.h"
#include "billing/mailer.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static enum og_ec db_failed(struct acct_ctx *c, enum db_rc rc, const char *what)
{
	if (rc == DB_RETRY)
		return og_err(c->err, OG_EC_DB_BUSY, "", "The database is busy; retry.");
	return OG_BUG(c->err, what);
}

/* ---- limits ---- */

struct limit_rule {
	const char *name;
	int64_t window;
	int64_t per_address;
	int64_t per_email;
};
static const struct limit_rule limit_rules[] = {
    [ACCT_LIMIT_LOGIN] = {"login", 300, 30, 10},
    [ACCT_LIMIT_SIGNUP] = {"signup", 3600, 10, 5},
    [ACCT_LIMIT_RESET] = {"reset", 3600, 20, 5},
};

static enum og_ec limit_one(struct acct_ctx *c, const struct limit_rule *r, const char *what, const char *value,
                            int64_t max)
{
	char bucket[ACCT_EMAIL_MAX + 80];
	snprintf(bucket, sizeof bucket, "%s:%s:%s", r->name, what, value);
	int64_t start = acct_window_start(c->now, r->window), hits = 0;
	enum db_rc rc = store_limit_hit(c->db, bucket, start, &hits);
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_limit_hit");
	if (hits > max) {
		c->retry_after = start + r->window - c->now;
		return og_err(c->err, OG_EC_RATE_LIMITED, "", "Too many attempts; retry in %lld seconds.",
		              (long long)c->retry_after);
	}
	return OG_EC_NONE;
}

enum og_ec accounts_limit(struct acct_ctx *c, enum acct_limit_kind kind, const char *email)
{
	const struct limit_rule *r = &limit_rules[kind];
	enum og_ec ec = OG_EC_NONE;
	if (c->client_addr && *c->client_addr)
		ec = limit_one(c, r, "ip", c->client_addr, r->per_address);
	char key[ACCT_EMAIL_MAX + 1];
	if (!ec && email && acct_email_key(email, key))
		ec = limit_one(c, r, "email", key, r->per_email);
	return ec;
}

/* ---- the pool ---- */

struct pw_job {
	struct workpool_job job;
	const char *password;
	const char *hash; /* verify: the stored hash or NULL */
	bool verify;
	bool ok;
	char *out; /* hash: the new hash; verify: the rehash ("" when none) */
};

static void pw_run(struct workpool_job *job)
{
	struct pw_job *j = job->arg;
	if (!j->verify) {
		j->ok = password_hash(j->password, j->out);
		return;
	}
	bool needs_rehash = false;
	j->ok = password_verify(j->hash, j->password, j->out ? &needs_rehash : NULL);
	if (j->out) {
		j->out[0] = 0;
		if (j->ok && needs_rehash && !password_hash(j->password, j->out))
			j->out[0] = 0;
	}
}

static enum og_ec pool_run(struct og_workpool *pool, struct pw_job *j, struct og_error *err, int64_t *retry_after)
{
	j->job.run = pw_run;
	j->job.arg = j;
	if (workpool_run_wait(pool, &j->job) != WORKPOOL_OK) {
		if (retry_after)
			*retry_after = 1;
		return og_err(err, OG_EC_UNAVAILABLE, "", "Too many sign-ins at once; retry in a second.");
	}
	return OG_EC_NONE;
}

enum og_ec accounts_hash_on(struct og_workpool *pool, const char *password, char *out, struct og_error *err,
                            int64_t *retry_after)
{
	struct pw_job j = {.password = password, .out = out};
	enum og_ec ec = pool_run(pool, &j, err, retry_after);
	if (!ec && !j.ok)
		ec = OG_BUG(err, "password_hash: out of memory");
	return ec;
}

enum og_ec accounts_verify_on(struct og_workpool *pool, const char *hash, const char *password, bool *ok, char *rehash,
                              struct og_error *err, int64_t *retry_after)
{
	struct pw_job j = {.password = password, .hash = hash, .verify = true, .out = rehash};
	enum og_ec ec = pool_run(pool, &j, err, retry_after);
	*ok = !ec && j.ok;
	return ec;
}

/* ---- users ---- */

enum og_ec accounts_check_new_user(const char *email, const char *password, const char *name, struct og_error *err)
{
	if (!email || !*email)
		return og_err(err, OG_EC_PARAM_MISSING, "email", "Missing required param: email.");
	if (!acct_email_valid(email))
		return og_err(err, OG_EC_PARAM_INVALID, "email", "Invalid email address.");
	if (!password)
		return og_err(err, OG_EC_PARAM_MISSING, "password", "Missing required param: password.");
	enum acct_pw_verdict v = acct_password_check(password);
	if (v != ACCT_PW_OK)
		return og_err(err, OG_EC_PASSWORD_WEAK, "password", "%s", acct_password_verdict_message(v));
	if (name && strlen(name) > 200)
		return og_err(err, OG_EC_PARAM_TOO_LONG, "name", "name is at most 200 characters.");
	return OG_EC_NONE;
}

static enum og_ec insert_user(struct acct_ctx *c, struct og_user *u)
{
	enum db_rc rc = store_user_insert(c->db, u);
	if (rc == DB_CONSTRAINT)
		return og_err(c->err, OG_EC_EMAIL_TAKEN, "email", "An account with this email already exists.");
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_insert");
	return OG_EC_NONE;
}

enum og_ec accounts_staff_create(struct acct_ctx *c, const char *email, const char *name, enum user_role role,
                                 const char *password_hash, struct og_user *out)
{
	if (!acct_role_is_staff(role))
		return og_err(c->err, OG_EC_PARAM_INVALID, "role",
		              "role must be owner, admin, finance, support or analyst.");
	*out = (struct og_user){.email = arena_strdup(c->arena, email),
	                        .name = arena_strdup(c->arena, name),
	                        .role = role,
	                        .password_hash = NULL,
	                        .created = c->now};
	out->password_hash = password_hash;
	enum og_ec ec = insert_user(c, out);
	out->password_hash = NULL; /* the hash is not part of what callers show */
	return ec;
}

enum og_ec accounts_signup_commit(struct acct_ctx *c, const char *email, const char *name, const char *password_hash,
                                  struct og_user *user, struct og_customer *customer)
{
	*customer = (struct og_customer){.email = arena_strdup(c->arena, email),
	                                 .name = arena_strdup(c->arena, name),
	                                 .metadata = "{}",
	                                 .created = c->now};
	enum db_rc rc = store_customer_insert(c->db, customer);
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_customer_insert");
	*user = (struct og_user){.email = customer->email,
	                         .name = customer->name,
	                         .role = ROLE_CUSTOMER,
	                         .customer_id = customer->id,
	                         .password_hash = password_hash,
	                         .created = c->now};
	enum og_ec ec = insert_user(c, user);
	user->password_hash = NULL;
	return ec;
}

/* ---- sessions ---- */

static const char *new_token(struct og_arena *a)
{
	uint8_t raw[ACCT_TOKEN_BYTES];
	char text[ACCT_TOKEN_LEN + 1];
	randombytes_buf(raw, sizeof raw);
	acct_token_format(raw, text);
	const char *t = arena_strdup(a, text);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(text, sizeof text);
	return t;
}

enum og_ec accounts_session_start(struct acct_ctx *c, int64_t user_id, struct acct_new_session *out)
{
	char hash[ACCT_HASH_LEN + 1];
	memset(out, 0, sizeof *out);
	out->token = new_token(c->arena);
	out->csrf_token = new_token(c->arena);
	acct_token_hash(out->token, hash);
	out->session.user_id = user_id;
	out->session.token_hash = arena_strdup(c->arena, hash);
	out->session.csrf_token = out->csrf_token;
	out->session.times = acct_session_start(c->now);
	enum db_rc rc = store_session_insert(c->db, &out->session);
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_session_insert");
	return OG_EC_NONE;
}

static enum og_ec session_invalid(struct acct_ctx *c)
{
	return og_err(c->err, OG_EC_SESSION_INVALID, "", "The session is not valid: sign in again.");
}

enum og_ec accounts_session_authenticate(struct acct_ctx *c, const char *token, struct og_session *session,
                                         struct og_user *user, bool *needs_touch)
{
	*needs_touch = false;
	if (!acct_token_well_formed(token))
		return session_invalid(c);
	char hash[ACCT_HASH_LEN + 1];
	acct_token_hash(token, hash);
	enum db_rc rc = store_session_find(c->db, c->arena, hash, session);
	if (rc == DB_DONE)
		return session_invalid(c);
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_session_find");
	/* the index found it by equality; compare again in constant time */
	if (!acct_secret_equal(session->token_hash, hash) ||
	    acct_session_state(&session->times, c->now) != ACCT_SESSION_VALID)
		return session_invalid(c);
	rc = store_user_get(c->db, c->arena, session->user_id, user);
	if (rc == DB_DONE || (rc == DB_ROW && user->disabled))
		return session_invalid(c);
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_get");
	user->password_hash = NULL;
	*needs_touch = acct_session_needs_touch(&session->times, c->now);
	return OG_EC_NONE;
}

enum og_ec accounts_session_touch(struct acct_ctx *c, struct og_session *session)
{
	acct_session_touch(&session->times, c->now);
	enum db_rc rc = store_session_touch(c->db, session->id, session->times.last_seen, session->times.idle_expires);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_failed(c, rc, "store_session_touch");
	return OG_EC_NONE;
}

enum og_ec accounts_csrf_check(const struct og_session *session, const char *header, struct og_error *err)
{
	if (!header || !session->csrf_token || !acct_secret_equal(session->csrf_token, header))
		return og_err(err, OG_EC_CSRF_INVALID, "X-CSRF-Token",
		              "This request needs the X-CSRF-Token header of the session.");
	return OG_EC_NONE;
}

enum og_ec accounts_logout(struct acct_ctx *c, int64_t session_id)
{
	enum db_rc rc = store_session_revoke(c->db, session_id, c->now);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_failed(c, rc, "store_session_revoke");
	return OG_EC_NONE;
}

enum og_ec accounts_revoke_all(struct acct_ctx *c, int64_t user_id, int64_t *n)
{
	enum db_rc rc = store_session_revoke_user(c->db, user_id, c->now, n);
	if (rc != DB_OK)
		return db_failed(c, rc, "store_session_revoke_user");
	return OG_EC_NONE;
}

/* ---- sign-in ---- */

static void lockout_bucket(const char *email_key, char *out, size_t n)
{
	snprintf(out, n, "lockout:%s", email_key);
}

enum og_ec accounts_login_prepare(struct acct_ctx *c, const char *email, struct acct_login *l)
{
	memset(l, 0, sizeof *l);
	if (!acct_email_key(email, l->email_key))
		snprintf(l->email_key, sizeof l->email_key, "invalid");
	char bucket[ACCT_EMAIL_MAX + 16];
	lockout_bucket(l->email_key, bucket, sizeof bucket);
	int64_t start = acct_window_start(c->now, ACCT_LOCKOUT_WINDOW), failures = 0;
	enum db_rc rc = store_limit_count(c->db, bucket, start, &failures);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_failed(c, rc, "store_limit_count");
	if (failures >= ACCT_LOCKOUT_FAILURES) {
		c->retry_after = start + ACCT_LOCKOUT_WINDOW - c->now;
		return og_err(c->err, OG_EC_ACCOUNT_LOCKED, "",
		              "Too many failed sign-ins for this account: it is locked for %lld more seconds.",
		              (long long)c->retry_after);
	}
	struct og_user u;
	rc = store_user_find_email(c->db, c->arena, email, &u);
	if (rc == DB_ROW) {
		l->user_id = u.id;
		l->password_hash = u.password_hash;
		l->disabled = u.disabled;
	} else if (rc != DB_DONE) {
		return db_failed(c, rc, "store_user_find_email");
	}
	return OG_EC_NONE;
}

void accounts_login_verify(struct acct_login *l, const char *password)
{
	bool needs_rehash = false;
	/* a user without a password (invited) verifies against the dummy too */
	l->password_ok = password_verify(l->user_id ? l->password_hash : NULL, password, &needs_rehash);
	l->rehash[0] = 0;
	if (l->password_ok && needs_rehash && !password_hash(password, l->rehash))
		l->rehash[0] = 0;
}

enum og_ec accounts_login_commit(struct acct_ctx *c, struct acct_login *l, struct acct_new_session *out)
{
	enum db_rc rc;
	if (!l->password_ok || l->disabled || !l->user_id) {
		char bucket[ACCT_EMAIL_MAX + 16];
		lockout_bucket(l->email_key, bucket, sizeof bucket);
		int64_t start = acct_window_start(c->now, ACCT_LOCKOUT_WINDOW), failures = 0;
		rc = store_limit_hit(c->db, bucket, start, &failures);
		if (rc != DB_ROW)
			return db_failed(c, rc, "store_limit_hit");
		if (l->user_id) {
			int64_t locked_until = failures >= ACCT_LOCKOUT_FAILURES ? start + ACCT_LOCKOUT_WINDOW : 0;
			rc = store_user_login_failed(c->db, l->user_id, locked_until);
			if (rc != DB_ROW && rc != DB_DONE)
				return db_failed(c, rc, "store_user_login_failed");
		}
		return og_err(c->err, OG_EC_LOGIN_FAILED, "", "The email or the password is not right.");
	}
	char bucket[ACCT_EMAIL_MAX + 16];
	lockout_bucket(l->email_key, bucket, sizeof bucket);
	if ((rc = store_limit_clear(c->db, bucket)) != DB_OK)
		return db_failed(c, rc, "store_limit_clear");
	if ((rc = store_user_login_ok(c->db, l->user_id, c->now)) != DB_ROW)
		return db_failed(c, rc, "store_user_login_ok");
	if (l->rehash[0] && (rc = store_user_set_password(c->db, l->user_id, l->rehash, c->now)) != DB_ROW)
		return db_failed(c, rc, "store_user_set_password");
	return accounts_session_start(c, l->user_id, out);
}

/* ---- passwords ---- */

enum og_ec accounts_password_change_commit(struct acct_ctx *c, int64_t user_id, const char *new_hash,
                                           struct acct_new_session *out)
{
	enum db_rc rc = store_user_set_password(c->db, user_id, new_hash, c->now);
	if (rc == DB_DONE)
		return og_err(c->err, OG_EC_RESOURCE_MISSING, "", "No such user.");
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_set_password");
	enum og_ec ec = accounts_revoke_all(c, user_id, NULL);
	if (ec)
		return ec;
	if ((rc = store_reset_invalidate_user(c->db, user_id, c->now)) != DB_OK)
		return db_failed(c, rc, "store_reset_invalidate_user");
	return accounts_session_start(c, user_id, out);
}

enum og_ec accounts_reset_request(struct acct_ctx *c, const char *email, const char *link_base)
{
	struct og_user u;
	enum db_rc rc = store_user_find_email(c->db, c->arena, email, &u);
	if (rc == DB_DONE || (rc == DB_ROW && u.disabled))
		return OG_EC_NONE; /* the same answer as for a known address */
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_find_email");
	if ((rc = store_reset_invalidate_user(c->db, u.id, c->now)) != DB_OK)
		return db_failed(c, rc, "store_reset_invalidate_user");
	const char *token = new_token(c->arena);
	char hash[ACCT_HASH_LEN + 1];
	acct_token_hash(token, hash);
	int64_t id = 0;
	if ((rc = store_reset_insert(c->db, hash, u.id, c->now, c->now + ACCT_RESET_TTL, &id)) != DB_ROW)
		return db_failed(c, rc, "store_reset_insert");
	char *body = arena_printf(c->arena,
	                          "Hello,\n\n"
	                          "someone (we hope you) asked to reset the password of the account %s.\n"
	                          "Open this link within one hour to choose a new password:\n\n"
	                          "    %s%s\n\n"
	                          "The link works once. If you did not ask for it, ignore this mail: your\n"
	                          "password stays as it is.\n",
	                          u.email, link_base ? link_base : "", token);
	rc = store_mail_enqueue(c->db, u.email, "Reset your password", body, c->now, &id);
	sodium_memzero(body, strlen(body));
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_mail_enqueue");
	return OG_EC_NONE;
}

static enum og_ec reset_find(struct acct_ctx *c, const char *token, struct og_password_reset *r)
{
	if (!acct_token_well_formed(token))
		return og_err(c->err, OG_EC_RESET_TOKEN_INVALID, "token", "This reset link is not valid, or expired.");
	char hash[ACCT_HASH_LEN + 1];
	acct_token_hash(token, hash);
	enum db_rc rc = store_reset_find(c->db, hash, r);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_failed(c, rc, "store_reset_find");
	if (rc == DB_DONE || r->used_at || r->expires <= c->now)
		return og_err(c->err, OG_EC_RESET_TOKEN_INVALID, "token", "This reset link is not valid, or expired.");
	return OG_EC_NONE;
}

enum og_ec accounts_reset_check(struct acct_ctx *c, const char *token)
{
	struct og_password_reset r;
	return reset_find(c, token, &r);
}

enum og_ec accounts_reset_commit(struct acct_ctx *c, const char *token, const char *new_hash, struct og_user *user)
{
	struct og_password_reset r;
	enum og_ec ec = reset_find(c, token, &r);
	if (ec)
		return ec;
	enum db_rc rc = store_reset_use(c->db, r.id, c->now);
	if (rc == DB_DONE)
		return og_err(c->err, OG_EC_RESET_TOKEN_INVALID, "token", "This reset link is not valid, or expired.");
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_reset_use");
	if ((rc = store_user_set_password(c->db, r.user_id, new_hash, c->now)) != DB_ROW)
		return db_failed(c, rc, "store_user_set_password");
	if ((ec = accounts_revoke_all(c, r.user_id, NULL)))
		return ec;
	if ((rc = store_reset_invalidate_user(c->db, r.user_id, c->now)) != DB_OK)
		return db_failed(c, rc, "store_reset_invalidate_user");
	struct og_user u;
	if ((rc = store_user_get(c->db, c->arena, r.user_id, &u)) != DB_ROW)
		return db_failed(c, rc, "store_user_get");
	char key[ACCT_EMAIL_MAX + 1], bucket[ACCT_EMAIL_MAX + 16];
	if (acct_email_key(u.email, key)) {
		lockout_bucket(key, bucket, sizeof bucket);
		if ((rc = store_limit_clear(c->db, bucket)) != DB_OK)
			return db_failed(c, rc, "store_limit_clear");
	}
	if ((rc = store_user_clear_lockout(c->db, r.user_id)) != DB_ROW)
		return db_failed(c, rc, "store_user_clear_lockout");
	if (user) {
		*user = u;
		user->password_hash = NULL;
	}
	return OG_EC_NONE;
}

/* ---- the steps chained ---- */

/* One step in a transaction: fn's og_ec decides nothing about the commit
 * unless keep_on_error says the failure must be kept (a failed sign-in). */
struct step {
	struct acct_ctx *c;
	enum og_ec (*fn)(struct step *s);
	bool keep_on_error;
	enum og_ec ec;
	const void *in[4];
	void *out[3];
};

static bool step_txn(struct db_conn *db, void *arg)
{
	struct step *s = arg;
	s->c->db = db;
	og_error_clear(s->c->err);
	s->ec = s->fn(s);
	return s->ec == OG_EC_NONE || s->keep_on_error;
}

static enum og_ec run_step(struct acct_ctx *c, struct step *s, bool write)
{
	s->c = c;
	struct db_conn *db = c->db;
	enum db_rc rc = store_run_txn(db, write, step_txn, s);
	c->db = db;
	if (s->ec)
		return s->ec;
	if (rc == DB_RETRY)
		return og_err(c->err, OG_EC_DB_BUSY, "", "The database is busy; retry.");
	if (rc != DB_OK)
		return OG_BUG(c->err, "accounts transaction");
	return OG_EC_NONE;
}

static enum og_ec st_limit(struct step *s)
{
	return accounts_limit(s->c, *(const enum acct_limit_kind *)s->in[0], s->in[1]);
}

static enum og_ec run_limit(struct acct_ctx *c, enum acct_limit_kind kind, const char *email)
{
	struct step s = {.fn = st_limit, .in = {&kind, email}};
	return run_step(c, &s, true);
}

static enum og_ec st_staff(struct step *s)
{
	return accounts_staff_create(s->c, s->in[0], s->in[1], *(const enum user_role *)s->in[2], s->in[3], s->out[0]);
}

enum og_ec accounts_staff_create_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *name,
                                     enum user_role role, const char *password, struct og_user *out)
{
	enum og_ec ec = accounts_check_new_user(email, password, name, c->err);
	if (ec)
		return ec;
	char hash[PASSWORD_HASH_MAX];
	if ((ec = accounts_hash_on(pool, password, hash, c->err, &c->retry_after)))
		return ec;
	struct step s = {.fn = st_staff, .in = {email, name, &role, hash}, .out = {out}};
	return run_step(c, &s, true);
}

static enum og_ec st_signup(struct step *s)
{
	return accounts_signup_commit(s->c, s->in[0], s->in[1], s->in[2], s->out[0], s->out[1]);
}

enum og_ec accounts_signup_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *name,
                               const char *password, struct og_user *user, struct og_customer *customer)
{
	enum og_ec ec = accounts_check_new_user(email, password, name, c->err);
	if (ec || (ec = run_limit(c, ACCT_LIMIT_SIGNUP, email)))
		return ec;
	char hash[PASSWORD_HASH_MAX];
	if ((ec = accounts_hash_on(pool, password, hash, c->err, &c->retry_after)))
		return ec;
	struct step s = {.fn = st_signup, .in = {email, name, hash}, .out = {user, customer}};
	return run_step(c, &s, true);
}

static enum og_ec st_login_prepare(struct step *s)
{
	enum og_ec ec = accounts_limit(s->c, ACCT_LIMIT_LOGIN, s->in[0]);
	return ec ? ec : accounts_login_prepare(s->c, s->in[0], s->out[0]);
}

static enum og_ec st_login_commit(struct step *s)
{
	return accounts_login_commit(s->c, s->out[0], s->out[1]);
}

struct login_job {
	struct workpool_job job;
	struct acct_login *l;
	const char *password;
};

static void login_job_run(struct workpool_job *job)
{
	struct login_job *j = job->arg;
	accounts_login_verify(j->l, j->password);
}

enum og_ec accounts_login_run(struct acct_ctx *c, struct og_workpool *pool, const char *email, const char *password,
                              struct acct_new_session *out)
{
	struct acct_login l;
	/* the limits must count even when the sign-in then fails: kept */
	struct step s = {.fn = st_login_prepare, .in = {email}, .out = {&l}, .keep_on_error = true};
	enum og_ec ec = run_step(c, &s, true);
	if (ec)
		return ec;
	struct login_job j = {.job = {.run = login_job_run}, .l = &l, .password = password ? password : ""};
	j.job.arg = &j;
	if (workpool_run_wait(pool, &j.job) != WORKPOOL_OK) {
		c->retry_after = 1;
		return og_err(c->err, OG_EC_UNAVAILABLE, "", "Too many sign-ins at once; retry in a second.");
	}
	struct step commit = {.fn = st_login_commit, .out = {&l, out}, .keep_on_error = true};
	ec = run_step(c, &commit, true);
	sodium_memzero(l.rehash, sizeof l.rehash);
	return ec;
}

static enum og_ec st_change(struct step *s)
{
	return accounts_password_change_commit(s->c, *(const int64_t *)s->in[0], s->in[1], s->out[0]);
}

enum og_ec accounts_password_change_run(struct acct_ctx *c, struct og_workpool *pool, int64_t user_id,
                                        const char *old_password, const char *new_password,
                                        struct acct_new_session *out)
{
	struct og_user u;
	enum db_rc rc = store_user_get(c->db, c->arena, user_id, &u);
	if (rc == DB_DONE)
		return og_err(c->err, OG_EC_RESOURCE_MISSING, "", "No such user.");
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_get");
	enum acct_pw_verdict v = acct_password_check(new_password);
	if (v != ACCT_PW_OK)
		return og_err(c->err, OG_EC_PASSWORD_WEAK, "password", "%s", acct_password_verdict_message(v));
	bool ok = false;
	enum og_ec ec = accounts_verify_on(pool, u.password_hash, old_password ? old_password : "", &ok, NULL, c->err,
	                                   &c->retry_after);
	if (ec)
		return ec;
	if (!ok)
		return og_err(c->err, OG_EC_LOGIN_FAILED, "current_password", "The current password is not right.");
	char hash[PASSWORD_HASH_MAX];
	if ((ec = accounts_hash_on(pool, new_password, hash, c->err, &c->retry_after)))
		return ec;
	struct step s = {.fn = st_change, .in = {&user_id, hash}, .out = {out}};
	return run_step(c, &s, true);
}

static enum og_ec st_reset_request(struct step *s)
{
	return accounts_reset_request(s->c, s->in[0], s->in[1]);
}

enum og_ec accounts_reset_request_run(struct acct_ctx *c, const char *email, const char *link_base)
{
	enum og_ec ec = run_limit(c, ACCT_LIMIT_RESET, email);
	if (ec)
		return ec;
	struct step s = {.fn = st_reset_request, .in = {email, link_base}};
	if ((ec = run_step(c, &s, true)))
		return ec;
	mailer_wake();
	return OG_EC_NONE;
}

static enum og_ec st_reset_commit(struct step *s)
{
	return accounts_reset_commit(s->c, s->in[0], s->in[1], NULL);
}

enum og_ec accounts_reset_confirm_run(struct acct_ctx *c, struct og_workpool *pool, const char *token,
                                      const char *new_password)
{
	enum acct_pw_verdict v = acct_password_check(new_password);
	if (v != ACCT_PW_OK)
		return og_err(c->err, OG_EC_PASSWORD_WEAK, "password", "%s", acct_password_verdict_message(v));
	enum og_ec ec = accounts_reset_check(c, token);
	if (ec)
		return ec;
	char hash[PASSWORD_HASH_MAX];
	if ((ec = accounts_hash_on(pool, new_password, hash, c->err, &c->retry_after)))
		return ec;
	struct step s = {.fn = st_reset_commit, .in = {token, hash}};
	return run_step(c, &s, true);
}

enum og_ec accounts_customer_deleted(struct acct_ctx *c, int64_t customer_id)
{
	struct og_user u;
	enum db_rc rc = store_user_find_customer(c->db, c->arena, customer_id, &u);
	if (rc == DB_DONE)
		return OG_EC_NONE;
	if (rc != DB_ROW)
		return db_failed(c, rc, "store_user_find_customer");
	if (!u.disabled) {
		u.disabled = true;
		u.updated = c->now;
		if ((rc = store_user_update(c->db, &u)) != DB_ROW)
			return db_failed(c, rc, "store_user_update");
	}
	return accounts_revoke_all(c, u.id, NULL);
}
