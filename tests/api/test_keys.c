/* Restricted keys, key roll, the audit log and events' request (issue 13),
 * against a real `oneguard serve` on each backend (tests/api/lib/apitest.h):
 *   - a restricted key (rk_) reads and writes only what its permissions
 *     name, per the route table's resource; refusals are 403
 *     permission_error and write nothing; it cannot manage keys or read
 *     the audit log; bad permissions are 400 naming the parameter;
 *   - roll: a new key of the same type, permissions and name; the old one
 *     stops at once, or after expires_in (checked by sleeping past it);
 *     a revoked key cannot be rolled; the last secret key that keeps
 *     working cannot be revoked (restricted and expiring keys do not count);
 *   - the audit log: one row per successful write, with the actor, role,
 *     action, object, Request-Id, Idempotency-Key and client address; none
 *     for a failed write or a replay; the list's filters;
 *   - events carry request.id (the Request-Id) and request.idempotency_key,
 *     and null for the billing engine's own events.
 * The bad-input matrix of these endpoints is data: cases/api_keys.json and
 * cases/audit_logs.json. */
#include "api/billing_helpers.h"
#include "api/lib/apitest.h"
#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_unique;

static const char *unique(const char *what)
{
	return at_fmt("%s-%d-%d", what, (int)getpid() % 100000, ++n_unique);
}

static struct at_resp *send_as(const char *secret, const char *method, const char *path, const char *form)
{
	return at_send(&(struct at_req){.method = method,
	                                .path = path,
	                                .ctype = form ? AT_FORM : AT_NONE,
	                                .body = form,
	                                .auth = at_fmt("Bearer %s", secret)});
}

/* A new key made with the harness key; form holds the parameters. */
static struct at_resp *create_key(const char *form)
{
	struct at_resp *r = at_post_form("/v1/api_keys", "%s", form);
	AT_STATUS(r, 200);
	return r;
}

static void expect_secret_shape(const struct at_resp *r, const char *prefix)
{
	const char *s = at_str(r, "secret");
	if (!s || strncmp(s, prefix, 3) != 0 || strlen(s) != 35)
		AT_FAIL(r, "the secret is not %s + 32 characters", prefix);
	for (const char *p = s + 3; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			AT_FAIL(r, "the secret is not base62");
	AT_STR(r, "last4", s + 31);
	AT_STR(r, "redacted", at_fmt("%.3s...%s", prefix, s + 31));
	if (at_db_find(s))
		AT_FAIL(r, "the secret is stored in clear (%s)", at_db_find(s));
}

/* The key's row as GET /v1/api_keys lists it. */
static json_t *listed_key(const char *id)
{
	struct at_resp *r = at_get("/v1/api_keys?limit=100");
	AT_STATUS(r, 200);
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(r->json, "data"), i, k)
	{
		if (!strcmp(json_string_value(json_object_get(k, "id")), id))
			return k;
	}
	AT_FAIL(r, "key %s is not listed", id);
	return NULL;
}

/* ---- restricted keys ------------------------------------------------------- */

static void restricted_key_reads_only_what_it_may(void **state)
{
	(void)state;
	at_step("a restricted key: products read, prices none, customers unnamed");
	const char *name = unique("reader");
	struct at_resp *r =
	    create_key(at_fmt("name=%s&type=restricted&permissions[products]=read&permissions[prices]=none", name));
	AT_PREFIX(r, "id", "key_");
	AT_STR(r, "type", "restricted");
	AT_STR(r, "name", name);
	AT_STR(r, "permissions.products", "read");
	AT_ABSENT(r, "permissions.prices"); /* none is not stored */
	AT_ABSENT(r, "permissions.customers");
	AT_NULL(r, "expires_at");
	expect_secret_shape(r, "rk_");
	const char *rk = at_str(r, "secret");

	at_step("GET /v1/products: allowed");
	const char *prod_name = unique("p");
	const char *prod = bh_product(prod_name);
	AT_STATUS(send_as(rk, "GET", "/v1/products?limit=1", NULL), 200);
	AT_STATUS(send_as(rk, "GET", at_fmt("/v1/products/%s", prod), NULL), 200);

	at_step("writes to products, and anything on prices or customers: 403, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = send_as(rk, "POST", "/v1/products", "name=nope");
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
	r = send_as(rk, "POST", at_fmt("/v1/products/%s", prod), "name=renamed");
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	r = send_as(rk, "DELETE", at_fmt("/v1/products/%s", prod), NULL);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_ERROR(send_as(rk, "GET", "/v1/prices", NULL), 403, "permission_error", "forbidden", NULL);
	AT_ERROR(send_as(rk, "GET", "/v1/customers", NULL), 403, "permission_error", "forbidden", NULL);
	r = send_as(rk, "POST", "/v1/customers", "email=x@example.com");
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
	AT_STR(at_get("/v1/products/%s", prod), "name", prod_name);

	at_step("listed with its type and permissions, without its secret");
	json_t *k = listed_key(at_str(r = create_key("type=restricted&permissions[events]=read"), "id"));
	if (strcmp(json_string_value(json_object_get(k, "type")), "restricted") ||
	    strcmp(json_string_value(json_object_get(json_object_get(k, "permissions"), "events")), "read") ||
	    json_object_get(k, "secret"))
		AT_FAIL(r, "the listed key is not as created");
}

static void restricted_key_writes_what_it_may(void **state)
{
	(void)state;
	at_step("products write, customers read (JSON body)");
	struct at_resp *r = at_post_json("/v1/api_keys", "{\"type\":\"restricted\",\"permissions\":"
	                                                 "{\"products\":\"write\",\"customers\":\"read\"}}");
	AT_STATUS(r, 200);
	AT_STR(r, "permissions.products", "write");
	AT_STR(r, "permissions.customers", "read");
	const char *rk = at_str(r, "secret");
	const char *key_id = at_str(r, "id");

	at_step("write implies read: create, update, read, delete a product");
	r = send_as(rk, "POST", "/v1/products", "name=made-by-rk");
	AT_STATUS(r, 200);
	const char *prod = at_str(r, "id");
	AT_STATUS(send_as(rk, "POST", at_fmt("/v1/products/%s", prod), "name=renamed-by-rk"), 200);
	AT_STR(send_as(rk, "GET", at_fmt("/v1/products/%s", prod), NULL), "name", "renamed-by-rk");
	AT_STATUS(send_as(rk, "DELETE", at_fmt("/v1/products/%s", prod), NULL), 200);

	at_step("customers read only");
	AT_STATUS(send_as(rk, "GET", "/v1/customers?limit=1", NULL), 200);
	AT_ERROR(send_as(rk, "POST", "/v1/customers", "name=x"), 403, "permission_error", "forbidden", NULL);

	at_step("its writes are in the audit log as restricted_key");
	r = at_get("/v1/audit_logs?actor=%s", key_id);
	AT_LIST(r, "/v1/audit_logs", 3, false);
	AT_STR(r, "data[0].action", "DELETE /v1/products/{id}");
	AT_STR(r, "data[1].action", "POST /v1/products/{id}");
	AT_STR(r, "data[2].action", "POST /v1/products");
	AT_STR(r, "data[2].role", "restricted_key");
	AT_STR(r, "data[2].actor.type", "api_key");
	AT_STR(r, "data[2].actor.id", key_id);
	AT_STR(r, "data[2].target.id", prod);
	AT_STR(r, "data[2].target.type", "product");
}

static void restricted_key_bad_permissions(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("an unknown resource, a bad level, permissions on a secret key: 400 naming the parameter");
	struct at_resp *r =
	    at_post_form("/v1/api_keys", "type=restricted&permissions[products]=read&permissions[foo]=read");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "permissions[foo]");
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/api_keys", "type=restricted&permissions[customers]=owner");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "permissions[customers]");
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/api_keys", "permissions[customers]=read");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "permissions");
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/api_keys", "type=restricted&permissions[api_keys]=write");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "permissions[api_keys]");
	r = at_post_form("/v1/api_keys", "type=root");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "type");
	AT_UNCHANGED(&fp, r);

	at_step("every resource of a route restricted keys may call can be named");
	static const char *const resources[] = {"products", "prices",       "customers",   "subscriptions",
	                                        "invoices", "invoiceitems", "test_clocks", "events"};
	for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
		r = at_post_form("/v1/api_keys", "type=restricted&permissions[%s]=read", resources[i]);
		AT_STATUS(r, 200);
		AT_STR(r, at_fmt("permissions.%s", resources[i]), "read");
	}
}

static void restricted_key_cannot_manage_keys(void **state)
{
	(void)state;
	const char *victim = at_str(create_key("name=victim"), "id");
	struct at_resp *r = create_key("type=restricted&permissions[products]=write&permissions[customers]=write");
	const char *rk = at_str(r, "secret");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("create, list, revoke, roll keys and the audit log: 403, nothing written");
	r = send_as(rk, "POST", "/v1/api_keys", "name=escalate");
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	r = send_as(rk, "POST", "/v1/api_keys", "type=restricted&permissions[products]=read");
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_ERROR(send_as(rk, "GET", "/v1/api_keys", NULL), 403, "permission_error", "forbidden", NULL);
	r = send_as(rk, "DELETE", at_fmt("/v1/api_keys/%s", victim), NULL);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	r = send_as(rk, "POST", at_fmt("/v1/api_keys/%s/roll", victim), NULL);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_ERROR(send_as(rk, "GET", "/v1/audit_logs", NULL), 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
}

/* ---- roll, revoke --------------------------------------------------------- */

static void roll_stops_the_old_key_at_once(void **state)
{
	(void)state;
	const char *name = unique("rolled");
	struct at_resp *r = create_key(at_fmt("name=%s", name));
	const char *old_id = at_str(r, "id"), *old = at_str(r, "secret");

	at_step("roll without expires_in");
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", old_id), "%s", "");
	AT_STATUS(r, 200);
	AT_STR(r, "type", "secret");
	AT_STR(r, "name", name);
	AT_NULL(r, "permissions");
	expect_secret_shape(r, "sk_");
	const char *new_id = at_str(r, "id"), *fresh = at_str(r, "secret");
	if (!strcmp(new_id, old_id) || !strcmp(fresh, old))
		AT_FAIL(r, "the roll did not make a new key");

	at_step("the old key is revoked, the new one works");
	r = send_as(old, "GET", "/v1/products?limit=1", NULL);
	AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);
	AT_STR(r, "error.message", "This API key has been revoked.");
	AT_STATUS(send_as(fresh, "GET", "/v1/products?limit=1", NULL), 200);
	json_t *k = listed_key(old_id);
	if (!json_is_true(json_object_get(k, "revoked")))
		AT_FAIL(r, "the rolled key is not revoked");

	at_step("rolling the revoked key: 409, nothing written; a missing one: 404");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", old_id), "%s", "");
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
	char buf[ID_MAX_LEN];
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", ids_encode(ID_API_KEY, 987654321, buf)), "%s", "");
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	AT_UNCHANGED(&fp, r);

	at_step("a key may roll itself");
	r = send_as(fresh, "POST", at_fmt("/v1/api_keys/%s/roll", new_id), NULL);
	AT_STATUS(r, 200);
	AT_ERROR(send_as(fresh, "GET", "/v1/products", NULL), 401, "authentication_error", "api_key_invalid", NULL);
	AT_STATUS(send_as(at_str(r, "secret"), "GET", "/v1/products?limit=1", NULL), 200);
}

static void roll_with_a_grace_period(void **state)
{
	(void)state;
	struct at_resp *r = create_key("name=graceful&type=restricted&permissions[products]=read");
	const char *old_id = at_str(r, "id"), *old = at_str(r, "secret");

	at_step("roll with expires_in=2");
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", old_id), "expires_in=2");
	AT_STATUS(r, 200);
	AT_STR(r, "type", "restricted");
	AT_STR(r, "name", "graceful");
	AT_STR(r, "permissions.products", "read");
	expect_secret_shape(r, "rk_");
	const char *fresh = at_str(r, "secret");
	long long rolled_at = bh_int(r, "created");
	json_t *k = listed_key(old_id);
	if (json_integer_value(json_object_get(k, "expires_at")) != rolled_at + 2 ||
	    json_is_true(json_object_get(k, "revoked")))
		AT_FAIL(r, "the old key does not expire 2 s after the roll");

	at_step("both work right after");
	AT_STATUS(send_as(old, "GET", "/v1/products?limit=1", NULL), 200);
	AT_STATUS(send_as(fresh, "GET", "/v1/products?limit=1", NULL), 200);
	AT_ERROR(send_as(old, "POST", "/v1/products", "name=x"), 403, "permission_error", "forbidden", NULL);

	at_step("after the grace period the old one has expired");
	sleep(3);
	r = send_as(old, "GET", "/v1/products?limit=1", NULL);
	AT_ERROR(r, 401, "authentication_error", "api_key_invalid", NULL);
	AT_STR(r, "error.message", "This API key has expired.");
	AT_STATUS(send_as(fresh, "GET", "/v1/products?limit=1", NULL), 200);

	at_step("an expired key cannot be rolled again");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", old_id), "expires_in=60");
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
}

/* The harness key's id: the actor of a write it makes. */
static const char *own_key_id(void)
{
	struct at_resp *r = at_post_form("/v1/products", "name=%s", unique("whoami"));
	AT_STATUS(r, 200);
	r = at_get("/v1/audit_logs?object=%s", at_str(r, "id"));
	AT_LIST(r, "/v1/audit_logs", 1, false);
	return at_str(r, "data[0].actor.id");
}

/* Revokes every working secret key but the harness's. */
static void only_own_secret_key(const char *own)
{
	struct at_resp *r = at_get("/v1/api_keys?limit=100");
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(r->json, "data"), i, k)
	{
		const char *id = json_string_value(json_object_get(k, "id"));
		if (strcmp(id, own) != 0 && json_is_false(json_object_get(k, "revoked")))
			AT_STATUS(at_delete("/v1/api_keys/%s", id), 200);
	}
}

static void last_secret_key_stays(void **state)
{
	(void)state;
	const char *own = own_key_id();
	only_own_secret_key(own);
	struct at_fingerprint fp;

	at_step("a restricted key does not count: the harness key stays");
	const char *rk_id = at_str(create_key("type=restricted&permissions[products]=write"), "id");
	at_fingerprint(&fp);
	struct at_resp *r = at_delete("/v1/api_keys/%s", own);
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("a restricted key can always be revoked");
	AT_STATUS(at_delete("/v1/api_keys/%s", rk_id), 200);

	at_step("a secret key on its way out (rolled, expiring) does not count either");
	const char *s_id = at_str(create_key("name=second"), "id");
	r = at_post_form(at_fmt("/v1/api_keys/%s/roll", s_id), "expires_in=600");
	AT_STATUS(r, 200);
	const char *s2_id = at_str(r, "id");
	AT_STATUS(at_delete("/v1/api_keys/%s", s2_id), 200); /* the harness key stays */
	at_fingerprint(&fp);
	r = at_delete("/v1/api_keys/%s", own);
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("the expiring one can be revoked");
	AT_STATUS(at_delete("/v1/api_keys/%s", s_id), 200);
	AT_STATUS(at_get("/v1/products?limit=1"), 200);
}

/* ---- the audit log --------------------------------------------------------- */

static void audit_rows_for_writes(void **state)
{
	(void)state;
	const char *ikey = unique("ik");
	at_step("create a customer with an Idempotency-Key");
	struct at_resp *c = at_send(&(struct at_req){.method = "POST",
	                                             .path = "/v1/customers",
	                                             .ctype = AT_FORM,
	                                             .body = "email=audit@example.com",
	                                             .idempotency_key = ikey});
	AT_STATUS(c, 200);
	const char *cus = at_str(c, "id");
	const char *own = NULL;
	struct at_resp *r = at_get("/v1/audit_logs?object=%s", cus);
	AT_LIST(r, "/v1/audit_logs", 1, false);
	AT_PREFIX(r, "data[0].id", "audit_");
	AT_STR(r, "data[0].object", "audit_log");
	AT_STR(r, "data[0].action", "POST /v1/customers");
	AT_STR(r, "data[0].actor.type", "api_key");
	AT_PREFIX(r, "data[0].actor.id", "key_");
	own = at_str(r, "data[0].actor.id");
	AT_STR(r, "data[0].role", "secret_key");
	AT_STR(r, "data[0].target.type", "customer");
	AT_STR(r, "data[0].target.id", cus);
	AT_STR(r, "data[0].request_id", at_header(c, "Request-Id"));
	AT_STR(r, "data[0].idempotency_key", ikey);
	AT_STR(r, "data[0].client_addr", "127.0.0.1");
	if (bh_int(r, "data[0].created") != bh_int(c, "created"))
		AT_FAIL(r, "the audit row's time is not the write's");

	at_step("a replay of the create writes nothing, so no second row");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_send(&(struct at_req){.method = "POST",
	                             .path = "/v1/customers",
	                             .ctype = AT_FORM,
	                             .body = "email=audit@example.com",
	                             .idempotency_key = ikey});
	AT_STATUS(r, 200);
	AT_HEADER(r, "Idempotent-Replayed", "true");
	AT_UNCHANGED(&fp, r);

	at_step("a failed write: no row (same transaction)");
	r = at_post_form(at_fmt("/v1/customers/%s", cus), "email=%s", at_repeat('e', 600));
	AT_STATUS(r, 400);
	AT_UNCHANGED(&fp, r);
	char missing[ID_MAX_LEN];
	r = at_delete("/v1/products/%s", ids_encode(ID_PRODUCT, 987654321, missing));
	AT_STATUS(r, 404);
	AT_UNCHANGED(&fp, r);

	at_step("update and delete: the path's object");
	struct at_resp *u = at_post_form(at_fmt("/v1/customers/%s", cus), "name=Audited");
	AT_STATUS(u, 200);
	struct at_resp *d = at_delete("/v1/customers/%s", cus);
	AT_STATUS(d, 200);
	r = at_get("/v1/audit_logs?object=%s", cus);
	AT_LIST(r, "/v1/audit_logs", 3, false);
	AT_STR(r, "data[0].action", "DELETE /v1/customers/{id}");
	AT_STR(r, "data[0].request_id", at_header(d, "Request-Id"));
	AT_NULL(r, "data[0].idempotency_key");
	AT_STR(r, "data[0].target.id", cus);
	AT_STR(r, "data[0].target.type", "customer");
	AT_STR(r, "data[1].action", "POST /v1/customers/{id}");
	AT_STR(r, "data[1].request_id", at_header(u, "Request-Id"));

	at_step("keys: create (the new key), roll (the rolled key), revoke");
	struct at_resp *k = create_key("name=audited");
	const char *kid = at_str(k, "id");
	struct at_resp *rolled = at_post_form(at_fmt("/v1/api_keys/%s/roll", kid), "expires_in=30");
	AT_STATUS(rolled, 200);
	struct at_resp *rv = at_delete("/v1/api_keys/%s", kid);
	AT_STATUS(rv, 200);
	r = at_get("/v1/audit_logs?object=%s", kid);
	AT_LIST(r, "/v1/audit_logs", 3, false);
	AT_STR(r, "data[0].action", "DELETE /v1/api_keys/{id}");
	AT_STR(r, "data[1].action", "POST /v1/api_keys/{id}/roll");
	AT_STR(r, "data[1].request_id", at_header(rolled, "Request-Id"));
	AT_STR(r, "data[2].action", "POST /v1/api_keys");
	AT_STR(r, "data[2].target.type", "api_key");
	AT_STR(r, "data[2].request_id", at_header(k, "Request-Id"));
	r = at_get("/v1/audit_logs?object=%s", at_str(rolled, "id"));
	AT_LIST(r, "/v1/audit_logs", 0, false); /* the new key is the roll's reply, not its object */
	if (strstr(at_get("/v1/audit_logs?limit=100")->body, at_str(rolled, "secret")))
		AT_FAIL(NULL, "a secret is in the audit log");

	at_step("filters: actor, created, both; pagination");
	r = at_get("/v1/audit_logs?actor=%s&object=%s", own, cus);
	AT_LIST(r, "/v1/audit_logs", 3, false);
	r = at_get("/v1/audit_logs?actor=%s&object=%s", kid, cus);
	AT_LIST(r, "/v1/audit_logs", 0, false);
	char buf[ID_MAX_LEN];
	r = at_get("/v1/audit_logs?actor=%s", ids_encode(ID_USER, 987654321, buf));
	AT_LIST(r, "/v1/audit_logs", 0, false);
	r = at_get("/v1/audit_logs?object=%s&created[gt]=%lld", cus, bh_int(c, "created") + 100000);
	AT_LIST(r, "/v1/audit_logs", 0, false);
	r = at_get("/v1/audit_logs?object=%s&created[gte]=%lld", cus, bh_int(c, "created"));
	AT_LIST(r, "/v1/audit_logs", 3, false);
	r = at_get("/v1/audit_logs?object=%s&limit=2", cus);
	AT_LIST(r, "/v1/audit_logs", 2, true);
	r = at_get("/v1/audit_logs?object=%s&limit=2&starting_after=%s", cus, at_str(r, "data[1].id"));
	AT_LIST(r, "/v1/audit_logs", 1, false);
	AT_STR(r, "data[0].action", "POST /v1/customers");
}

/* ---- events' request ------------------------------------------------------- */

static void events_carry_their_request(void **state)
{
	(void)state;
	const char *ikey = unique("ev");
	at_step("an event of a request with an Idempotency-Key");
	struct at_resp *p = at_send(&(struct at_req){.method = "POST",
	                                             .path = "/v1/products",
	                                             .ctype = AT_FORM,
	                                             .body = at_fmt("name=%s", unique("evp")),
	                                             .idempotency_key = ikey});
	AT_STATUS(p, 200);
	struct at_resp *r = at_get("/v1/events?type=product.created&limit=1");
	AT_LIST(r, "/v1/events", 1, true);
	AT_STR(r, "data[0].data.object.id", at_str(p, "id"));
	AT_PREFIX(r, "data[0].request.id", "req_");
	AT_STR(r, "data[0].request.id", at_header(p, "Request-Id"));
	AT_STR(r, "data[0].request.idempotency_key", ikey);
	AT_STR(at_get("/v1/events/%s", at_str(r, "data[0].id")), "request.id", at_header(p, "Request-Id"));

	at_step("without one: idempotency_key null");
	p = at_post_form("/v1/products", "name=%s", unique("evq"));
	r = at_get("/v1/events?type=product.created&limit=1");
	AT_STR(r, "data[0].data.object.id", at_str(p, "id"));
	AT_STR(r, "data[0].request.id", at_header(p, "Request-Id"));
	AT_NULL(r, "data[0].request.idempotency_key");

	at_step("a subscription's events (the billing service) carry it too");
	const char *clock = bh_clock("2027-01-01T00:00:00Z");
	const char *cus = bh_customer(clock);
	const char *price = bh_price(bh_product(unique("evsub")), 1000, "month", NULL);
	struct at_resp *s = at_post_form("/v1/subscriptions", "customer=%s&items[0][price]=%s", cus, price);
	AT_STATUS(s, 200);
	struct at_resp *conf = at_post_form(at_fmt("/v1/subscriptions/%s/confirm", at_str(s, "id")), "%s", "");
	AT_STATUS(conf, 200);
	r = at_get("/v1/events?type=invoice.finalized&limit=1");
	AT_STR(r, "data[0].request.id", at_header(conf, "Request-Id"));

	at_step("the billing engine's own events: request.id null");
	AT_STATUS(bh_advance(clock, "2027-02-01T00:00:01Z"), 200);
	r = at_get("/v1/events?type=invoice.finalized&limit=1");
	if (!strcmp(at_str(r, "data[0].data.object.id"),
	            at_str(at_get("/v1/events?type=invoice.finalized&limit=2"), "data[1].data.object.id")))
		AT_FAIL(r, "the advance made no invoice");
	AT_STR(r, "data[0].data.object.customer", cus);
	AT_NULL(r, "data[0].request.id");
	AT_NULL(r, "data[0].request.idempotency_key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(restricted_key_reads_only_what_it_may),
	    cmocka_unit_test(restricted_key_writes_what_it_may),
	    cmocka_unit_test(restricted_key_bad_permissions),
	    cmocka_unit_test(restricted_key_cannot_manage_keys),
	    cmocka_unit_test(roll_stops_the_old_key_at_once),
	    cmocka_unit_test(roll_with_a_grace_period),
	    cmocka_unit_test(audit_rows_for_writes),
	    cmocka_unit_test(events_carry_their_request),
	    cmocka_unit_test(last_secret_key_stays), /* last: it revokes the other keys */
	};
	static const char *const serve_args[] = {"--enable-test-clocks", NULL};
	at_serve_args(serve_args);
	return at_run("test_keys", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
