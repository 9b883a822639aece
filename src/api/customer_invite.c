/* POST /v1/customers/{id}/invite: mails the customer a link to choose a
 * password for the customer portal (docs/api/customers.md, "Invite").
 * The customer's user is made (without a password) when it has none. A
 * customer whose user already has a password answers 409: it signs in, or
 * resets its password itself. A flow (http/req.h) so that the mailer is
 * woken after the commit; the transaction runs inside idem_run. */
#include "api/api.h"
#include "api/common.h"
#include "billing/accounts.h"
#include "billing/mailer.h"
#include "http/audit.h"
#include "http/idempotency.h"

static enum og_ec invite_txn(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	struct og_customer cus;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, id, &cus);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	if (!cus.email || !*cus.email)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "email",
		              "The customer has no email address to mail the invitation to: set its email first.");
	struct acct_ctx c = {.db = rq->db, .arena = rq->arena, .now = rq->now, .err = &rq->err};
	struct og_user u;
	bool created = false;
	if ((ec = accounts_customer_user(&c, &cus, &u, &created)))
		return ec;
	if (u.password_hash)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL,
		              "This customer already has a password: it signs in, or resets its password.");
	if (u.disabled)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL, "This customer's user is disabled.");
	int64_t expires = 0;
	if ((ec = accounts_invite(&c, &u, arena_printf(rq->arena, "%s/reset?token=", rq->cfg->public_url), &expires)))
		return ec;
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_invitation_render(&w, &u, expires);
	return api_reply_jsonw(rq, &w);
}

static enum og_ec invite_step(struct og_req *rq)
{
	enum og_ec ec = idem_run(rq, invite_txn);
	return ec ? ec : audit_flow(rq);
}

static enum og_ec invite_done(struct og_req *rq, enum og_ec ec)
{
	if (!ec && !rq->is_stored_reply)
		mailer_wake();
	return ec;
}

enum og_ec api_customers_invite(struct og_req *rq)
{
	return req_then_txn(rq, invite_step, false, invite_done);
}
