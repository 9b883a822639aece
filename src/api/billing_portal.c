/* Billing portal sessions (docs/api/billing_portal.md), Stripe's
 * POST /v1/billing_portal/sessions: a single-use link, valid 15 minutes,
 * that signs the customer in to the portal. The token is in the url of
 * the create reply only (a replay with the same Idempotency-Key answers
 * without it); the store keeps its SHA-256. GET /portal/session/{token}
 * redeems it: one conditional UPDATE marks it used, the customer's user is
 * made when missing, a session starts (the cookie) and the answer is a 303
 * to /portal/. A used, expired or unknown link answers the same 404. */
#include "api/api.h"
#include "api/common.h"
#include "billing/accounts.h"
#include "http/audit.h"

#include <string.h>

#define RETURN_URL_MAX 2048

struct portal_in {
	int64_t customer;
	const char *return_url;
};
#define IN(m) PARAM_AT(struct portal_in, m)

static const struct param_spec create_spec[] = {
    PS_ID("customer", ID_CUSTOMER, IN(customer), PARAM_NOWHERE, P_REQUIRED, "The customer to sign in."),
    PS_STRING("return_url", IN(return_url), PARAM_NOWHERE, RETURN_URL_MAX, P_NULLABLE,
              "Where the portal sends the customer back to (http or https)."),
    PS_END,
};

enum og_ec api_billing_portal_sessions_create(struct og_req *rq)
{
	struct portal_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	if (in.return_url && strncmp(in.return_url, "https://", 8) != 0 && strncmp(in.return_url, "http://", 7) != 0)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "return_url", "return_url must be an http or https URL.");
	struct og_customer cus;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, in.customer, &cus);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              json_string_value(json_object_get(rq->body, "customer")));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", "customer");
	/* the link makes the customer's user when it has none: it needs an address */
	struct og_user u;
	rc = store_user_find_customer(rq->db, rq->arena, cus.id, &u);
	if (rc == DB_DONE && (!cus.email || !acct_email_valid(cus.email)))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "customer",
		              "The customer has no valid email address to sign in with: set its email first.");
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "user", NULL);
	struct acct_ctx c = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	struct og_portal_session ps;
	if ((ec = accounts_portal_create(&c, cus.id, in.return_url, rq->cfg->public_url, &ps)))
		return ec;
	/* the url is a credential: shown once, never stored with the key */
	struct og_jsonw w;
	const char *url = ps.url;
	ps.url = NULL;
	api_jsonw_init(rq, &w);
	model_portal_session_render(&w, &ps);
	rq->reply_stored_text = jsonw_take(&w, NULL);
	ps.url = url;
	api_jsonw_init(rq, &w);
	model_portal_session_render(&w, &ps);
	return api_reply_jsonw(rq, &w);
}

struct redeem_flow {
	struct og_user user;
	struct acct_new_session session;
};

static enum og_ec redeem_step(struct og_req *rq)
{
	struct redeem_flow *f = rq->flow;
	struct acct_ctx c = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	enum og_ec ec = accounts_portal_redeem(&c, req_path_param(rq, 0), &f->user, &f->session);
	char usr[ID_MAX_LEN];
	if (!ec)
		ec = audit_flow_as(rq, f->user.id, (int)f->user.role, f->user.customer_id,
		                   ids_encode(ID_USER, f->user.id, usr));
	return ec;
}

static enum og_ec redeem_done(struct og_req *rq, enum og_ec ec)
{
	struct redeem_flow *f = rq->flow;
	if (ec)
		return ec;
	rq->set_cookie = api_session_cookie(rq->arena, rq->cfg->public_url, f->session.token,
	                                    f->session.session.times.expires - rq->now);
	rq->location = "/portal/";
	rq->status = 303;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_auth_session_render(&w, &f->user, f->session.csrf_token, f->session.session.times.expires);
	ec = api_reply_jsonw(rq, &w);
	rq->status = 303;
	return ec;
}

enum og_ec api_billing_portal_redeem(struct og_req *rq)
{
	if (rq->method == HTTP_HEAD) /* a link checker's HEAD must not spend the link */
		return og_err(&rq->err, OG_EC_METHOD_NOT_ALLOWED, NULL, "A portal link is opened with GET only.");
	struct redeem_flow *f = arena_alloc(rq->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	rq->flow = f;
	return req_then_txn(rq, redeem_step, false, redeem_done);
}
