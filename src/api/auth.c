/* HTTP handlers for /v1/auth: sign-up, sign-in, sign-out, the session,
 * password change and reset (docs/api/auth.md). The decisions are the
 * account service's (billing/accounts.h); these handlers chain its steps as
 * a ROUTE_FLOW (http/req.h): check here, then each transaction on the store
 * executor (req_then_txn) and each argon2id hash on the worker pool
 * (req_then_work), never a hash on the loop or inside a transaction.
 * Steps that must commit when the operation fails (the limits, a failed
 * sign-in) run with keep_on_error. The session token leaves only in the
 * Set-Cookie header; the body has the CSRF token. */
#include "api/api.h"
#include "api/common.h"
#include "billing/accounts.h"
#include "billing/mailer.h"
#include "http/audit.h"
#include "http/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define AUTH_EMAIL_MAX    512
#define AUTH_PASSWORD_MAX 1024 /* longer than the policy's 256 bytes: a sign-in with it just fails */
#define AUTH_NAME_MAX     200

struct auth_in {
	const char *email;
	const char *password;
	const char *name;
	const char *old_password;
	const char *new_password;
	const char *token;
};
#define IN(m) PARAM_AT(struct auth_in, m)

static const struct param_spec signup_spec[] = {
    PS_STRING("email", IN(email), PARAM_NOWHERE, AUTH_EMAIL_MAX, P_REQUIRED, "The address to sign in with."),
    PS_STRING("password", IN(password), PARAM_NOWHERE, AUTH_PASSWORD_MAX, P_REQUIRED,
              "At least 10 characters, not a common password."),
    PS_STRING("name", IN(name), PARAM_NOWHERE, AUTH_NAME_MAX, P_NULLABLE, "The customer's name."),
    PS_END,
};
static const struct param_spec login_spec[] = {
    PS_STRING("email", IN(email), PARAM_NOWHERE, AUTH_EMAIL_MAX, P_REQUIRED, "The user's address."),
    PS_STRING("password", IN(password), PARAM_NOWHERE, AUTH_PASSWORD_MAX, P_REQUIRED, "The user's password."),
    PS_END,
};
static const struct param_spec password_spec[] = {
    PS_STRING("old_password", IN(old_password), PARAM_NOWHERE, AUTH_PASSWORD_MAX, P_REQUIRED, "The current password."),
    PS_STRING("new_password", IN(new_password), PARAM_NOWHERE, AUTH_PASSWORD_MAX, P_REQUIRED,
              "The new password: at least 10 characters, not a common password."),
    PS_END,
};
static const struct param_spec reset_spec[] = {
    PS_STRING("email", IN(email), PARAM_NOWHERE, AUTH_EMAIL_MAX, P_REQUIRED, "The account's address."),
    PS_END,
};
static const struct param_spec confirm_spec[] = {
    PS_STRING("token", IN(token), PARAM_NOWHERE, 128, P_REQUIRED, "The token of the mailed link."),
    PS_STRING("password", IN(password), PARAM_NOWHERE, AUTH_PASSWORD_MAX, P_REQUIRED,
              "The new password: at least 10 characters, not a common password."),
    PS_END,
};

static const struct param_spec none_spec[] = {PS_END};

/* What a flow keeps between its steps (rq->flow, in the arena). */
struct auth_flow {
	struct auth_in in;
	struct acct_login login;
	struct acct_new_session session;
	struct og_user user;
	struct og_customer customer;
	char hash[PASSWORD_HASH_MAX];
	bool ok;
};

static struct auth_flow *flow_new(struct og_req *rq)
{
	struct auth_flow *f = arena_alloc(rq->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	rq->flow = f;
	return f;
}

static struct acct_ctx ctx_of(struct og_req *rq)
{
	return (struct acct_ctx){
	    .db = rq->db, .arena = rq->arena, .now = rq->now, .client_addr = rq->client_addr, .err = &rq->err};
}

/* The service's answer, with its Retry-After for the 429/503 it gives. */
static enum og_ec done(struct og_req *rq, const struct acct_ctx *c, enum og_ec ec)
{
	if (ec && c->retry_after > 0)
		rq->retry_after = c->retry_after;
	return ec;
}

const char *api_session_cookie(struct og_arena *a, const char *public_url, const char *token, int64_t max_age)
{
	bool secure = public_url && strncmp(public_url, "https://", 8) == 0;
	return arena_printf(a, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s", AUTH_SESSION_COOKIE,
	                    token ? token : "", (long long)(max_age > 0 ? max_age : 0), secure ? "; Secure" : "");
}

/* A new session's answer: the cookie, and the session object. */
static enum og_ec reply_session(struct og_req *rq, const struct og_user *u, const struct acct_new_session *s)
{
	rq->set_cookie =
	    api_session_cookie(rq->arena, rq->cfg->public_url, s->token, s->session.times.expires - rq->now);
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_auth_session_render(&w, u, s->csrf_token, s->session.times.expires);
	return api_reply_jsonw(rq, &w);
}

static enum og_ec read_user(struct og_req *rq, int64_t id, struct og_user *u)
{
	enum db_rc rc = store_user_get(rq->db, rq->arena, id, u);
	if (rc != DB_ROW)
		return rc == DB_DONE
		           ? og_err(&rq->err, OG_EC_SESSION_INVALID, NULL, "The session is not valid: sign in again.")
		           : api_db_error(rq, rc, "user", NULL);
	return OG_EC_NONE;
}

static enum og_ec policy(struct og_req *rq, const char *password, const char *param)
{
	enum acct_pw_verdict v = acct_password_check(password);
	if (v != ACCT_PW_OK)
		return og_err(&rq->err, OG_EC_PASSWORD_WEAK, param, "%s", acct_password_verdict_message(v));
	return OG_EC_NONE;
}

/* ---- POST /v1/auth/signup ---- */

static enum og_ec signup_limit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	return done(rq, &c, accounts_limit(&c, ACCT_LIMIT_SIGNUP, f->in.email));
}

static enum og_ec signup_hash(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	f->ok = password_hash(f->in.password, f->hash);
	return OG_EC_NONE;
}

static enum og_ec signup_commit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = accounts_signup_commit(&c, f->in.email, f->in.name, f->hash, &f->user, &f->customer);
	if (!ec)
		ec = accounts_session_start(&c, f->user.id, &f->session);
	if (ec)
		return done(rq, &c, ec);
	/* the new customer is an event like any other customer's creation */
	if ((ec = api_reply_customer(rq, &f->customer)))
		return ec;
	char cus[ID_MAX_LEN];
	if ((ec = audit_flow_as(rq, f->user.id, (int)f->user.role, f->customer.id,
	                        ids_encode(ID_CUSTOMER, f->customer.id, cus))))
		return ec;
	return api_emit(rq, "customer.created", "customer", f->customer.id, f->customer.id);
}

static enum og_ec signup_done(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	sodium_memzero(f->hash, sizeof f->hash);
	if (ec)
		return ec;
	return reply_session(rq, &f->user, &f->session);
}

static enum og_ec signup_hashed(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	if (!ec && !f->ok)
		ec = OG_BUG(&rq->err, "password_hash failed");
	return ec ? ec : req_then_txn(rq, signup_commit, false, signup_done);
}

static enum og_ec signup_limited(struct og_req *rq, enum og_ec ec)
{
	return ec ? ec : req_then_work(rq, signup_hash, signup_hashed);
}

enum og_ec api_auth_signup(struct og_req *rq)
{
	if (!rq->cfg->signup)
		return og_err(&rq->err, OG_EC_SIGNUP_DISABLED, NULL,
		              "Sign-up is turned off on this server: ask the operator for an invitation.");
	struct auth_flow *f = flow_new(rq);
	enum og_ec ec = params_parse_into(rq, rq->body, signup_spec, &f->in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	if ((ec = accounts_check_new_user(f->in.email, f->in.password, f->in.name, &rq->err)))
		return ec;
	/* the limit counts even when the sign-up then fails: kept */
	return req_then_txn(rq, signup_limit, true, signup_limited);
}

/* ---- POST /v1/auth/login ---- */

static enum og_ec login_prepare(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = accounts_limit(&c, ACCT_LIMIT_LOGIN, f->in.email);
	if (!ec)
		ec = accounts_login_prepare(&c, f->in.email, &f->login);
	return done(rq, &c, ec);
}

static enum og_ec login_verify(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	accounts_login_verify(&f->login, f->in.password);
	return OG_EC_NONE;
}

static enum og_ec login_commit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = accounts_login_commit(&c, &f->login, &f->session);
	if (!ec)
		ec = read_user(rq, f->login.user_id, &f->user);
	char usr[ID_MAX_LEN];
	if (!ec)
		ec = audit_flow_as(rq, f->user.id, (int)f->user.role, f->user.customer_id,
		                   ids_encode(ID_USER, f->user.id, usr));
	return done(rq, &c, ec);
}

static enum og_ec login_done(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	sodium_memzero(f->login.rehash, sizeof f->login.rehash);
	if (ec)
		return ec;
	f->user.password_hash = NULL;
	return reply_session(rq, &f->user, &f->session);
}

static enum og_ec login_verified(struct og_req *rq, enum og_ec ec)
{
	/* a failure counts (and may lock the address): kept */
	return ec ? ec : req_then_txn(rq, login_commit, true, login_done);
}

static enum og_ec login_prepared(struct og_req *rq, enum og_ec ec)
{
	return ec ? ec : req_then_work(rq, login_verify, login_verified);
}

enum og_ec api_auth_login(struct og_req *rq)
{
	struct auth_flow *f = flow_new(rq);
	enum og_ec ec = params_parse_into(rq, rq->body, login_spec, &f->in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	/* the limits count even when the sign-in then fails: kept */
	return req_then_txn(rq, login_prepare, true, login_prepared);
}

/* ---- POST /v1/auth/logout (a write route) ---- */

enum og_ec api_auth_logout(struct og_req *rq)
{
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = accounts_logout(&c, rq->actor.session_id);
	if (ec)
		return ec;
	rq->set_cookie = api_session_cookie(rq->arena, rq->cfg->public_url, NULL, 0);
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_auth_logout_render(&w);
	return api_reply_jsonw(rq, &w);
}

/* ---- GET /v1/auth/session (a read route) ---- */

enum og_ec api_auth_session(struct og_req *rq)
{
	struct og_user u;
	enum og_ec ec = read_user(rq, rq->actor.user_id, &u);
	if (ec)
		return ec;
	u.password_hash = NULL;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_auth_session_render(&w, &u, rq->actor.csrf_token, rq->actor.session_expires);
	return api_reply_jsonw(rq, &w);
}

/* ---- POST /v1/auth/password ---- */

/* Counts the attempt like a sign-in of the user's address (a stolen
 * session cannot guess the password faster than a sign-in could), and
 * reads the stored hash. */
static enum og_ec change_prepare(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = read_user(rq, rq->actor.user_id, &f->user);
	if (!ec)
		ec = accounts_limit(&c, ACCT_LIMIT_LOGIN, f->user.email);
	return done(rq, &c, ec);
}

static enum og_ec change_hash(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	/* NULL (no password yet) verifies against the dummy: false */
	f->ok = password_verify(f->user.password_hash, f->in.old_password, NULL);
	if (f->ok && !password_hash(f->in.new_password, f->hash))
		return OG_BUG(&rq->err, "password_hash failed");
	return OG_EC_NONE;
}

static enum og_ec change_commit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	enum og_ec ec = accounts_password_change_commit(&c, f->user.id, f->hash, &f->session);
	char usr[ID_MAX_LEN];
	if (!ec)
		ec = audit_flow_as(rq, f->user.id, (int)f->user.role, f->user.customer_id,
		                   ids_encode(ID_USER, f->user.id, usr));
	return done(rq, &c, ec);
}

static enum og_ec change_done(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	sodium_memzero(f->hash, sizeof f->hash);
	if (ec)
		return ec;
	f->user.password_hash = NULL;
	return reply_session(rq, &f->user, &f->session);
}

static enum og_ec change_hashed(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	if (ec)
		return ec;
	if (!f->ok)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "old_password", "The current password is not right.");
	return req_then_txn(rq, change_commit, false, change_done);
}

static enum og_ec change_prepared(struct og_req *rq, enum og_ec ec)
{
	return ec ? ec : req_then_work(rq, change_hash, change_hashed);
}

enum og_ec api_auth_password(struct og_req *rq)
{
	struct auth_flow *f = flow_new(rq);
	enum og_ec ec = params_parse_into(rq, rq->body, password_spec, &f->in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	if ((ec = policy(rq, f->in.new_password, "new_password")))
		return ec;
	return req_then_txn(rq, change_prepare, true, change_prepared);
}

/* ---- POST /v1/auth/password_reset ---- */

static enum og_ec reset_limit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	return done(rq, &c, accounts_limit(&c, ACCT_LIMIT_RESET, f->in.email));
}

static enum og_ec reset_request(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	const char *base = arena_printf(rq->arena, "%s/reset?token=", rq->cfg->public_url);
	return done(rq, &c, accounts_reset_request(&c, f->in.email, base));
}

static enum og_ec reset_requested(struct og_req *rq, enum og_ec ec)
{
	if (ec)
		return ec;
	mailer_wake(); /* after the commit: the mail is in the outbox */
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_password_reset_render(&w, "requested");
	return api_reply_jsonw(rq, &w);
}

static enum og_ec reset_limited(struct og_req *rq, enum og_ec ec)
{
	return ec ? ec : req_then_txn(rq, reset_request, false, reset_requested);
}

enum og_ec api_auth_password_reset(struct og_req *rq)
{
	struct auth_flow *f = flow_new(rq);
	enum og_ec ec = params_parse_into(rq, rq->body, reset_spec, &f->in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	return req_then_txn(rq, reset_limit, true, reset_limited);
}

/* ---- POST /v1/auth/password_reset/confirm ---- */

static enum og_ec confirm_hash(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	if (!password_hash(f->in.password, f->hash))
		return OG_BUG(&rq->err, "password_hash failed");
	return OG_EC_NONE;
}

static enum og_ec confirm_commit(struct og_req *rq)
{
	struct auth_flow *f = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	struct og_user u;
	enum og_ec ec = accounts_reset_commit(&c, f->in.token, f->hash, &u);
	char usr[ID_MAX_LEN];
	if (!ec)
		ec = audit_flow_as(rq, u.id, (int)u.role, u.customer_id, ids_encode(ID_USER, u.id, usr));
	return done(rq, &c, ec);
}

static enum og_ec confirm_done(struct og_req *rq, enum og_ec ec)
{
	struct auth_flow *f = rq->flow;
	sodium_memzero(f->hash, sizeof f->hash);
	if (ec)
		return ec;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_password_reset_render(&w, "completed");
	return api_reply_jsonw(rq, &w);
}

static enum og_ec confirm_hashed(struct og_req *rq, enum og_ec ec)
{
	return ec ? ec : req_then_txn(rq, confirm_commit, false, confirm_done);
}

enum og_ec api_auth_password_reset_confirm(struct og_req *rq)
{
	struct auth_flow *f = flow_new(rq);
	enum og_ec ec = params_parse_into(rq, rq->body, confirm_spec, &f->in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	if ((ec = policy(rq, f->in.password, "password")))
		return ec;
	/* a dead link fails before any hashing (a read on the loop's connection) */
	struct acct_ctx c = ctx_of(rq);
	if ((ec = accounts_reset_check(&c, f->in.token)))
		return ec;
	return req_then_work(rq, confirm_hash, confirm_hashed);
}
