/* The account service's links (see accounts.h, "links"): invitations that
 * set a first password (staff from POST /v1/users, customers from
 * POST /v1/customers/{id}/invite) and billing portal sessions. Both reuse
 * the token rules of core/accounts.c: 32 random bytes as 64 hex digits,
 * only the SHA-256 stored, single use by one conditional UPDATE. An
 * invitation is a password reset token that lives longer
 * (ACCT_INVITE_TTL), so POST /v1/auth/password_reset/confirm redeems it. */
#include "billing/accounts.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static enum og_ec link_db_failed(struct acct_ctx *c, enum db_rc rc, const char *what)
{
	if (rc == DB_RETRY)
		return og_err(c->err, OG_EC_DB_BUSY, "", "The database is busy; retry.");
	return OG_BUG(c->err, what);
}

static const char *link_token(struct og_arena *a, char hash[ACCT_HASH_LEN + 1])
{
	uint8_t raw[ACCT_TOKEN_BYTES];
	char text[ACCT_TOKEN_LEN + 1];
	randombytes_buf(raw, sizeof raw);
	acct_token_format(raw, text);
	acct_token_hash(text, hash);
	const char *t = arena_strdup(a, text);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(text, sizeof text);
	return t;
}

enum og_ec accounts_invite(struct acct_ctx *c, const struct og_user *u, const char *link_base, int64_t *expires)
{
	enum db_rc rc;
	if ((rc = store_reset_invalidate_user(c->db, u->id, c->now)) != DB_OK)
		return link_db_failed(c, rc, "store_reset_invalidate_user");
	char hash[ACCT_HASH_LEN + 1];
	const char *token = link_token(c->arena, hash);
	int64_t id = 0;
	*expires = c->now + ACCT_INVITE_TTL;
	if ((rc = store_reset_insert(c->db, hash, u->id, c->now, *expires, &id)) != DB_ROW)
		return link_db_failed(c, rc, "store_reset_insert");
	char *body = arena_printf(c->arena,
	                          "Hello%s%s,\n\n"
	                          "an account was opened for you (%s) at oneGuard%s.\n"
	                          "Open this link within 7 days to choose your password:\n\n"
	                          "    %s%s\n\n"
	                          "The link works once. If you did not expect this mail, ignore it.\n",
	                          u->name && *u->name ? " " : "", u->name && *u->name ? u->name : "", u->email,
	                          u->role == ROLE_CUSTOMER ? " to manage your subscriptions and invoices" : "",
	                          link_base ? link_base : "", token);
	rc = store_mail_enqueue(c->db, u->email, "Your oneGuard account: choose a password", body, c->now, &id);
	sodium_memzero(body, strlen(body));
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_mail_enqueue");
	return OG_EC_NONE;
}

enum og_ec accounts_customer_user(struct acct_ctx *c, const struct og_customer *cus, struct og_user *out, bool *created)
{
	*created = false;
	enum db_rc rc = store_user_find_customer(c->db, c->arena, cus->id, out);
	if (rc == DB_ROW)
		return OG_EC_NONE;
	if (rc != DB_DONE)
		return link_db_failed(c, rc, "store_user_find_customer");
	if (!cus->email || !acct_email_valid(cus->email))
		return og_err(c->err, OG_EC_PARAM_INVALID, "customer",
		              "The customer has no valid email address to sign in with: set its email first.");
	*out = (struct og_user){
	    .email = cus->email, .name = cus->name, .role = ROLE_CUSTOMER, .customer_id = cus->id, .created = c->now};
	rc = store_user_insert(c->db, out);
	if (rc == DB_CONSTRAINT)
		return og_err(c->err, OG_EC_STATE_CONFLICT, "customer",
		              "Another user already signs in with this customer's email address.");
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_user_insert");
	*created = true;
	return OG_EC_NONE;
}

enum og_ec accounts_portal_create(struct acct_ctx *c, int64_t customer_id, const char *return_url,
                                  const char *link_base, struct og_portal_session *out)
{
	char hash[ACCT_HASH_LEN + 1];
	const char *token = link_token(c->arena, hash);
	*out = (struct og_portal_session){.customer_id = customer_id,
	                                  .return_url = return_url,
	                                  .created = c->now,
	                                  .expires = c->now + ACCT_PORTAL_TTL};
	enum db_rc rc = store_portal_session_insert(c->db, hash, out);
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_portal_session_insert");
	out->url = arena_printf(c->arena, "%s/portal/session/%s", link_base ? link_base : "", token);
	return OG_EC_NONE;
}

static enum og_ec portal_invalid(struct acct_ctx *c)
{
	return og_err(c->err, OG_EC_PORTAL_LINK_INVALID, "",
	              "This portal link is not valid: it was used, it expired, or it never existed.");
}

enum og_ec accounts_portal_redeem(struct acct_ctx *c, const char *token, struct og_user *user,
                                  struct acct_new_session *out)
{
	if (!acct_token_well_formed(token))
		return portal_invalid(c);
	char hash[ACCT_HASH_LEN + 1];
	acct_token_hash(token, hash);
	struct og_portal_session ps;
	enum db_rc rc = store_portal_session_find(c->db, c->arena, hash, &ps);
	if (rc == DB_DONE)
		return portal_invalid(c);
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_portal_session_find");
	if ((rc = store_portal_session_use(c->db, ps.id, c->now)) == DB_DONE)
		return portal_invalid(c); /* used, expired, or another request won it */
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_portal_session_use");
	struct og_customer cus;
	rc = store_customer_get(c->db, c->arena, ps.customer_id, &cus);
	if (rc == DB_DONE)
		return portal_invalid(c); /* the customer was deleted since */
	if (rc != DB_ROW)
		return link_db_failed(c, rc, "store_customer_get");
	bool created = false;
	enum og_ec ec = accounts_customer_user(c, &cus, user, &created);
	if (ec)
		return ec;
	if (user->disabled)
		return portal_invalid(c);
	user->password_hash = NULL;
	return accounts_session_start(c, user->id, out);
}

enum og_ec accounts_staff_update(struct acct_ctx *c, struct og_user *u, const struct acct_user_change *ch)
{
	bool was_owner = u->role == ROLE_OWNER && !u->disabled;
	if (ch->has_role) {
		if (!acct_role_is_staff(ch->role))
			return og_err(c->err, OG_EC_PARAM_INVALID, "role",
			              "role must be owner, admin, finance, support or analyst.");
		u->role = ch->role;
	}
	if (ch->has_name)
		u->name = ch->name;
	if (ch->has_disabled)
		u->disabled = ch->disabled;
	enum db_rc rc;
	if (was_owner && (u->role != ROLE_OWNER || u->disabled)) {
		int64_t n = 0;
		if ((rc = store_user_lock_role(c->db, ROLE_OWNER)) != DB_OK)
			return link_db_failed(c, rc, "store_user_lock_role");
		if ((rc = store_user_count_role(c->db, ROLE_OWNER, &n)) != DB_ROW)
			return link_db_failed(c, rc, "store_user_count_role");
		if (n <= 1)
			return og_err(c->err, OG_EC_STATE_CONFLICT,
			              ch->has_disabled && u->disabled ? "disabled" : "role",
			              "This is the last enabled owner: make another user owner first.");
	}
	u->updated = c->now;
	if ((rc = store_user_update(c->db, u)) != DB_ROW)
		return link_db_failed(c, rc, "store_user_update");
	if (u->disabled) {
		enum og_ec ec = accounts_revoke_all(c, u->id, NULL);
		if (ec)
			return ec;
	}
	return OG_EC_NONE;
}
