/* HTTP handlers for /v1/users: staff users, for owners only (the route
 * table: AC_OWNER; not API keys, per issue 13: "owner users and the CLI").
 * A new user has no password: it gets a mailed invitation link (a reset
 * token valid 7 days, ACCT_INVITE_TTL) that POST
 * /v1/auth/password_reset/confirm redeems. The last enabled owner cannot
 * be demoted or disabled (409). See docs/api/users.md. */
#include "api/api.h"
#include "api/common.h"
#include "billing/accounts.h"
#include "billing/mailer.h"
#include "http/audit.h"
#include "http/idempotency.h"

#include <string.h>

#define USER_EMAIL_MAX 254
#define USER_NAME_MAX  200

/* the staff roles, in enum user_role order (customer users come from
 * customers: sign-up, invite, portal) */
static const char *const staff_role_names[] = {"owner", "admin", "finance", "support", "analyst", NULL};

struct user_in {
	const char *email;
	const char *name;
	bool has_name, name_null;
	enum user_role role;
	bool has_role;
	bool disabled;
	bool has_disabled;
	struct og_page page;
};
#define IN(m) PARAM_AT(struct user_in, m)

static const struct param_spec create_spec[] = {
    PS_STRING("email", IN(email), PARAM_NOWHERE, USER_EMAIL_MAX, P_REQUIRED, "The address the user signs in with."),
    PS_ENUM("role", IN(role), PARAM_NOWHERE, staff_role_names, P_REQUIRED,
            "owner, admin, finance, support or analyst."),
    PS_STRING("name", IN(name), PARAM_NOWHERE, USER_NAME_MAX, P_NULLABLE, "The user's name."),
    PS_END,
};
static const struct param_spec update_spec[] = {
    PS_ENUM("role", IN(role), IN(has_role), staff_role_names, 0, "owner, admin, finance, support or analyst."),
    {.name = "name",
     .type = PT_STRING,
     .flags = P_NULLABLE,
     .at = IN(name),
     .present_at = IN(has_name),
     .null_at = IN(name_null),
     .max = USER_NAME_MAX,
     .doc = "The user's name; \"\" clears it."},
    PS_BOOL("disabled", IN(disabled), IN(has_disabled), 0,
            "true: the user cannot sign in and its sessions end at once."),
    PS_END,
};
static const struct param_spec list_spec[] = {PS_PAGE(struct user_in, page, ID_USER), PS_END};
static const struct param_spec none_spec[] = {PS_END};

static struct acct_ctx ctx_of(struct og_req *rq)
{
	return (struct acct_ctx){.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
}

static enum og_ec reply_user(struct og_req *rq, const struct og_user *u)
{
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_user_render(&w, u);
	return api_reply_jsonw(rq, &w);
}

static bool user_exists(struct og_req *rq, int64_t id)
{
	struct og_user u;
	return store_user_get(rq->db, rq->arena, id, &u) == DB_ROW;
}

enum og_ec api_users_list(struct og_req *rq)
{
	struct user_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &in.page, user_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_user_list(rq->db, rq->arena, &sp, true, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "users", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_user_render(&w, (struct og_user *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/users");
}

enum og_ec api_users_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_USER, "user", &id);
	if (ec)
		return ec;
	struct og_user u;
	enum db_rc rc = store_user_get(rq->db, rq->arena, id, &u);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "user", NULL);
	return reply_user(rq, &u);
}

/* The create's transaction (inside idem_run: a replay answers the stored
 * user and mails nothing). */
static enum og_ec create_txn(struct og_req *rq)
{
	struct user_in *in = rq->flow;
	struct acct_ctx c = ctx_of(rq);
	struct og_user u;
	enum og_ec ec = accounts_staff_create(&c, in->email, in->name, in->role, NULL, &u);
	int64_t expires = 0;
	if (!ec)
		ec = accounts_invite(&c, &u, arena_printf(rq->arena, "%s/reset?token=", rq->cfg->public_url), &expires);
	return ec ? ec : reply_user(rq, &u);
}

static enum og_ec create_step(struct og_req *rq)
{
	enum og_ec ec = idem_run(rq, create_txn);
	return ec ? ec : audit_flow(rq);
}

static enum og_ec create_done(struct og_req *rq, enum og_ec ec)
{
	if (!ec && !rq->is_stored_reply)
		mailer_wake(); /* committed: the invitation is in the outbox */
	return ec;
}

enum og_ec api_users_create(struct og_req *rq)
{
	struct user_in *in = arena_alloc(rq->arena, sizeof *in);
	memset(in, 0, sizeof *in);
	rq->flow = in;
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, in);
	if (ec || (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	if (!acct_email_valid(in->email))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "email", "Invalid email address.");
	return req_then_txn(rq, create_step, false, create_done);
}

enum og_ec api_users_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_USER, "user", &id);
	if (ec)
		return ec;
	struct user_in in = {0};
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)) ||
	    (ec = params_parse_into(rq, rq->query, none_spec, NULL)))
		return ec;
	struct og_user u;
	enum db_rc rc = store_user_lock(rq->db, id); /* DB_DONE: no such user */
	if (rc == DB_ROW)
		rc = store_user_get(rq->db, rq->arena, id, &u);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "user", NULL);
	if (u.role == ROLE_CUSTOMER && in.has_role)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "role", "A customer's user keeps the customer role.");
	struct acct_user_change ch = {.has_role = in.has_role,
	                              .role = in.role,
	                              .has_name = in.has_name,
	                              .name = in.name_null ? NULL : in.name,
	                              .has_disabled = in.has_disabled,
	                              .disabled = in.disabled};
	struct acct_ctx c = ctx_of(rq);
	if ((ec = accounts_staff_update(&c, &u, &ch)))
		return ec;
	u.password_hash = NULL;
	return reply_user(rq, &u);
}
