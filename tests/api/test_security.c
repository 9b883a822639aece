/* Security (issue 13, item 11), against a real `oneguard serve` on each
 * backend:
 *  - hostile text (SQL metacharacters, script tags, backslashes, %-escapes,
 *    multi-byte UTF-8) in every free-text field of every resource that takes
 *    text, by JSON and by form, comes back verbatim from create, retrieve and
 *    list, and the tables it names are still there;
 *  - session cookies: forged, malformed, expired (idle and absolute),
 *    revoked (sign-out, every session, password change) and a disabled
 *    user's are 401; one user's session never works for another (another's
 *    CSRF token 403, another customer's object 404);
 *  - no password, session token, CSRF token, reset token or API key secret
 *    in any server log line, in any response after the one that created it,
 *    or (CSRF tokens aside, stored on purpose) anywhere in the database;
 *  - the billing worker purges dead sessions, reset tokens and old limit
 *    windows, and keeps live ones.
 * Users and sessions are made through the account service (billing/accounts.h)
 * on the test's own connection to the server's database, as the sign-in
 * routes would. Constant-time comparison is a rule of tools/check-style.sh. */
#include "api/lib/apitest.h"
#include "billing/accounts.h"
#include "core/ids.h"
#include "store/accounts.h"
#include "store/store.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char mail_dir[] = "/tmp/og-security-mail-XXXXXX";
static struct og_arena *arena; /* account rows and tokens, for the whole run */
static struct og_workpool *pool;
static int n_unique;

static const char *unique_email(const char *who)
{
	return at_fmt("%s-%d-%d@security.example", who, (int)getpid() % 100000, ++n_unique);
}

/* ---- hostile text ------------------------------------------------------------ */

/* Each at most 40 bytes (a metadata key's limit), no NUL, no '[' or ']' (form keys). */
static const char *const hostile[] = {
    "'; DROP TABLE customers; --",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "\xc3\x9c"
    "n"
    "\xc3\xaf"
    "c"
    "\xc3\xb8"
    "d"
    "\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
    "back\\slash \\\\ \\n \\u0000 \\\"",
    "%00 %27 %3Cb%3E &amp; + = ?",
    "Robert'); DELETE FROM api_keys;--",
};
#define N_HOSTILE ((int)(sizeof hostile / sizeof hostile[0]))
/* e-mail addresses must look like local@domain without white space */
static const char *const hostile_email[] = {
    "o'brien';--@x.io",
    "\"or\"1=1--@x.io",
    "<script>alert(1)</script>@x.io",
    "\xc3\xbc"
    "n"
    "\xc3\xaf"
    "@b"
    "\xc3\xbc"
    ".example",
    "back\\slash\\\\@x.io",
    "%00%27%3C@x.io",
    "robert');delete--@x.io",
};

/* A resource and its free-text fields (dotted paths, the same in the request
 * and the object). */
struct resource {
	const char *name;
	const char *path;     /* create and list */
	bool retrieve;        /* GET path/{id} exists */
	const char *event;    /* the type of its creation event, whose data.object is the object */
	const char *text[10]; /* NULL-terminated */
	bool email;           /* customers: "email" from hostile_email */
	bool metadata;
	bool item_metadata; /* subscriptions: items[0].metadata too */
};

/* The fields, from the handlers' static specs (src/api/). Left out: the
 * customer's address.country (two letters), invoice_prefix (3-12 A-Z0-9),
 * ids, enums and numbers. */
static const struct resource resources[] = {
    {"customers",
     "/v1/customers",
     true,
     "customer.created",
     {"name", "phone", "description", "address.city", "address.line1", "address.line2", "address.postal_code",
      "address.state", NULL},
     true,
     true,
     false},
    {"products", "/v1/products", true, "product.created", {"name", "description", NULL}, false, true, false},
    {"prices", "/v1/prices", true, "price.created", {"nickname", "lookup_key", NULL}, false, true, false},
    {"invoices", "/v1/invoices", true, "invoice.created", {"description", NULL}, false, true, false},
    {"invoiceitems", "/v1/invoiceitems", true, "invoiceitem.created", {"description", NULL}, false, true, false},
    {"subscriptions", "/v1/subscriptions", true, "customer.subscription.created", {NULL}, false, true, true},
    {"test_clocks", "/v1/test_helpers/test_clocks", true, NULL, {"name", NULL}, false, true, false},
    {"api_keys", "/v1/api_keys", false, NULL, {"name", NULL}, false, false, false},
};

static void json_set_path(json_t *root, const char *dotted, json_t *value)
{
	const char *dot = strchr(dotted, '.');
	if (!dot) {
		json_object_set_new(root, dotted, value);
		return;
	}
	char *head = at_strdup(dotted);
	head[dot - dotted] = 0;
	json_t *child = json_object_get(root, head);
	if (!child) {
		child = json_object();
		json_object_set_new(root, head, child);
	}
	json_set_path(child, dot + 1, value);
}

static json_t *json_get_path(json_t *root, const char *dotted)
{
	const char *dot = strchr(dotted, '.');
	if (!dot)
		return json_object_get(root, dotted);
	char *head = at_strdup(dotted);
	head[dot - dotted] = 0;
	return json_get_path(json_object_get(root, head), dot + 1);
}

/* A form body of a JSON object: a[b]=..., items[0][price]=... */
static void form_append(char **out, const char *key, json_t *v)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *sub;
		json_object_foreach(v, k, sub)
		{
			form_append(out, at_fmt("%s[%s]", key, k), sub);
		}
		return;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *sub;
		json_array_foreach(v, i, sub)
		{
			form_append(out, at_fmt("%s[%zu]", key, i), sub);
		}
		return;
	}
	const char *text = json_is_string(v)    ? json_string_value(v)
	                   : json_is_integer(v) ? at_fmt("%lld", (long long)json_integer_value(v))
	                   : json_is_true(v)    ? "true"
	                                        : "false";
	*out = at_fmt("%s%s%s=%s", *out, **out ? "&" : "", at_urlencode(key), at_urlencode(text));
}

static char *form_body(json_t *obj)
{
	char *out = at_strdup("");
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		form_append(&out, k, v);
	}
	return out;
}

/* Fails unless obj holds every string of sent at the same place. */
static void expect_verbatim(const struct at_resp *r, json_t *obj, json_t *sent, const struct resource *res)
{
	for (int j = 0; res->text[j]; j++) {
		json_t *want = json_get_path(sent, res->text[j]), *got = json_get_path(obj, res->text[j]);
		if (!json_is_string(got) || strcmp(json_string_value(got), json_string_value(want)) != 0)
			AT_FAIL(r, "%s.%s: want '%s'", res->name, res->text[j], json_string_value(want));
	}
	if (res->email && !json_equal(json_object_get(obj, "email"), json_object_get(sent, "email")))
		AT_FAIL(r, "%s.email is not what was sent", res->name);
	if (res->metadata && !json_equal(json_object_get(obj, "metadata"), json_object_get(sent, "metadata")))
		AT_FAIL(r, "%s.metadata is not what was sent", res->name);
	if (res->item_metadata &&
	    !json_equal(at_json_path(obj, "items.data[0].metadata"),
	                json_object_get(json_array_get(json_object_get(sent, "items"), 0), "metadata")))
		AT_FAIL(r, "%s.items.data[0].metadata is not what was sent", res->name);
}

/* The required parameters of each resource, around the text. */
static json_t *base_body(const struct resource *res, const char *customer, const char *product,
                         const char *recurring_price)
{
	json_t *b = json_object();
	if (!strcmp(res->name, "prices")) {
		json_object_set_new(b, "product", json_string(product));
		json_object_set_new(b, "unit_amount", json_integer(1500));
		json_object_set_new(b, "currency", json_string("usd"));
	} else if (!strcmp(res->name, "invoices")) {
		json_object_set_new(b, "customer", json_string(customer));
		json_object_set_new(b, "currency", json_string("usd"));
	} else if (!strcmp(res->name, "invoiceitems")) {
		json_object_set_new(b, "customer", json_string(customer));
		json_object_set_new(b, "amount", json_integer(250));
		json_object_set_new(b, "currency", json_string("usd"));
	} else if (!strcmp(res->name, "subscriptions")) {
		json_object_set_new(b, "customer", json_string(customer));
		json_t *item = json_object();
		json_object_set_new(item, "price", json_string(recurring_price));
		json_t *items = json_array();
		json_array_append_new(items, item);
		json_object_set_new(b, "items", items);
	} else if (!strcmp(res->name, "test_clocks")) {
		json_object_set_new(b, "frozen_time", json_integer((json_int_t)time(NULL)));
	}
	return at_keep_json(b);
}

static json_t *metadata_of(int k)
{
	json_t *m = json_object();
	json_object_set_new(m, hostile[k % N_HOSTILE], json_string(hostile[(k + 1) % N_HOSTILE]));
	json_object_set_new(m, "note", json_string(hostile[(k + 2) % N_HOSTILE]));
	return m;
}

/* Every resource, N_HOSTILE objects each: field j of object k gets
 * hostile[(j + k) % N], so every field sees every string; even k by JSON,
 * odd k by form. Then each is retrieved and found in the list. */
static void hostile_text_verbatim(void **state)
{
	(void)state;
	at_step("prerequisites");
	struct at_resp *r = at_post_json("/v1/customers", "{\"name\":\"Host\"}");
	AT_STATUS(r, 200);
	const char *customer = at_str(r, "id");
	r = at_post_json("/v1/products", "{\"name\":\"Hostile goods\"}");
	AT_STATUS(r, 200);
	const char *product = at_str(r, "id");
	r = at_post_json(
	    "/v1/prices",
	    "{\"product\":\"%s\",\"unit_amount\":900,\"currency\":\"usd\",\"recurring\":{\"interval\":\"month\"}}",
	    product);
	AT_STATUS(r, 200);
	const char *recurring_price = at_str(r, "id");

	for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
		const struct resource *res = &resources[i];
		const char *ids[N_HOSTILE];
		json_t *sent[N_HOSTILE];
		for (int k = 0; k < N_HOSTILE; k++) {
			at_step("%s: create %d (%s)", res->name, k, k % 2 ? "form" : "json");
			json_t *body = json_deep_copy(base_body(res, customer, product, recurring_price));
			at_keep_json(body);
			for (int j = 0; res->text[j]; j++)
				json_set_path(body, res->text[j], json_string(hostile[(j + k) % N_HOSTILE]));
			if (res->email)
				json_object_set_new(body, "email", json_string(hostile_email[k % N_HOSTILE]));
			if (res->metadata)
				json_object_set_new(body, "metadata", metadata_of(k));
			if (res->item_metadata)
				json_object_set_new(json_array_get(json_object_get(body, "items"), 0), "metadata",
				                    metadata_of(k + 3));
			sent[k] = body;
			if (k % 2) {
				r = at_send(&(struct at_req){
				    .method = "POST", .path = res->path, .ctype = AT_FORM, .body = form_body(body)});
			} else {
				char *text = at_keep(json_dumps(body, JSON_COMPACT));
				r = at_send(&(struct at_req){
				    .method = "POST", .path = res->path, .ctype = AT_JSON, .body = text});
			}
			AT_STATUS(r, 200);
			expect_verbatim(r, r->json, body, res);
			ids[k] = at_str(r, "id");
			if (res->retrieve) {
				at_step("%s: retrieve %d", res->name, k);
				r = at_get("%s/%s", res->path, ids[k]);
				AT_STATUS(r, 200);
				expect_verbatim(r, r->json, body, res);
			}
		}
		at_step("%s: list", res->name);
		r = at_get("%s?limit=100", res->path);
		AT_STATUS(r, 200);
		json_t *data = json_object_get(r->json, "data");
		for (int k = 0; k < N_HOSTILE; k++) {
			json_t *found = NULL, *item;
			size_t n;
			json_array_foreach(data, n, item)
			{
				if (!strcmp(json_string_value(json_object_get(item, "id")), ids[k]))
					found = item;
			}
			if (!found)
				AT_FAIL(r, "%s %s is not in the list", res->name, ids[k]);
			expect_verbatim(r, found, sent[k], res);
		}
		if (!res->event)
			continue;
		at_step("%s: the %s events carry the text verbatim", res->name, res->event);
		r = at_get("/v1/events?type=%s&limit=100", res->event);
		AT_STATUS(r, 200);
		data = json_object_get(r->json, "data");
		for (int k = 0; k < N_HOSTILE; k++) {
			json_t *found = NULL, *item;
			size_t n;
			json_array_foreach(data, n, item)
			{
				json_t *obj = at_json_path(item, "data.object");
				if (!strcmp(json_string_value(json_object_get(obj, "id")), ids[k]))
					found = obj;
			}
			if (!found)
				AT_FAIL(r, "no %s event for %s", res->event, ids[k]);
			expect_verbatim(r, found, sent[k], res);
		}
	}

	at_step("filters with hostile text find exactly their objects");
	for (int k = 0; k < N_HOSTILE; k++) {
		r = at_get("/v1/customers?email=%s", at_urlencode(hostile_email[k]));
		AT_STATUS(r, 200);
		json_t *data = json_object_get(r->json, "data");
		if (json_array_size(data) != 1 ||
		    strcmp(json_string_value(json_object_get(json_array_get(data, 0), "email")), hostile_email[k]) != 0)
			AT_FAIL(r, "the email filter '%s' did not find its one customer", hostile_email[k]);
		r = at_get("/v1/events?type=%s", at_urlencode(hostile[k]));
		AT_STATUS(r, 200);
		AT_LIST(r, "/v1/events", 0, false);
	}

	at_step("every table is still there");
	r = at_get("/v1/customers?limit=100");
	AT_STATUS(r, 200);
	if (json_array_size(json_object_get(r->json, "data")) < (size_t)N_HOSTILE + 1)
		AT_FAIL(r, "customers went missing");
	r = at_get("/v1/api_keys");
	AT_STATUS(r, 200);
}

/* ---- accounts through the service ---------------------------------------------- */

struct txn_call {
	enum og_ec (*fn)(struct acct_ctx *c, void *arg);
	void *arg;
	struct acct_ctx *c;
	enum og_ec ec;
};

static bool txn_cb(struct db_conn *db, void *arg)
{
	struct txn_call *t = arg;
	t->c->db = db;
	t->ec = t->fn(t->c, t->arg);
	return t->ec == OG_EC_NONE;
}

static struct db_conn *db_connect(void)
{
	char err[512];
	struct db_conn *db = db_open(at_db_url(), err, sizeof err);
	if (!db)
		fail_msg("cannot open %s: %s", at_db_url(), err);
	return db;
}

/* Runs fn in a write transaction at now on a connection of its own. */
static enum og_ec acct_txn(int64_t now, enum og_ec (*fn)(struct acct_ctx *c, void *arg), void *arg)
{
	struct og_error err;
	og_error_clear(&err);
	struct acct_ctx c = {.arena = arena, .now = now, .err = &err};
	struct txn_call t = {.fn = fn, .arg = arg, .c = &c};
	struct db_conn *db = db_connect();
	enum db_rc rc = store_run_txn(db, true, txn_cb, &t);
	db_close(db);
	if (rc != DB_OK && t.ec == OG_EC_NONE)
		fail_msg("transaction failed (%d)", (int)rc);
	return t.ec;
}

struct user {
	const char *email, *password;
	int64_t id, customer_id;
	const char *customer; /* public id, customers */
};

struct make_user {
	struct user *u;
	const char *hash;
	bool customer;
};

static enum og_ec make_user_fn(struct acct_ctx *c, void *arg)
{
	struct make_user *m = arg;
	struct og_user row;
	if (!m->customer) {
		enum og_ec ec = accounts_staff_create(c, m->u->email, "Staff", ROLE_OWNER, m->hash, &row);
		m->u->id = row.id;
		return ec;
	}
	struct og_customer cus;
	enum og_ec ec = accounts_signup_commit(c, m->u->email, "Cust", m->hash, &row, &cus);
	m->u->id = row.id;
	m->u->customer_id = cus.id;
	return ec;
}

static struct user *user_new(const char *who, bool customer)
{
	struct user *u = at_keep(calloc(1, sizeof *u));
	u->email = unique_email(who);
	u->password = at_fmt("Pw-%s-%u-long-enough", who, randombytes_random());
	char hash[PASSWORD_HASH_MAX];
	assert_true(password_hash(u->password, hash));
	struct make_user m = {.u = u, .hash = hash, .customer = customer};
	assert_int_equal(acct_txn(time(NULL), make_user_fn, &m), OG_EC_NONE);
	if (customer) {
		char buf[ID_MAX_LEN];
		u->customer = at_strdup(ids_encode(ID_CUSTOMER, u->customer_id, buf));
	}
	return u;
}

struct sess {
	char token[ACCT_TOKEN_LEN + 1], csrf[ACCT_TOKEN_LEN + 1];
	int64_t id;
};

struct start_session {
	int64_t user_id;
	struct sess *s;
};

static void sess_copy(struct sess *s, const struct acct_new_session *ns)
{
	snprintf(s->token, sizeof s->token, "%s", ns->token);
	snprintf(s->csrf, sizeof s->csrf, "%s", ns->csrf_token);
	s->id = ns->session.id;
}

static enum og_ec start_session_fn(struct acct_ctx *c, void *arg)
{
	struct start_session *ss = arg;
	struct acct_new_session ns;
	enum og_ec ec = accounts_session_start(c, ss->user_id, &ns);
	if (!ec)
		sess_copy(ss->s, &ns);
	return ec;
}

/* A session of user started at now. */
static struct sess *session_at(const struct user *u, int64_t now)
{
	struct sess *s = at_keep(calloc(1, sizeof *s));
	struct start_session ss = {.user_id = u->id, .s = s};
	assert_int_equal(acct_txn(now, start_session_fn, &ss), OG_EC_NONE);
	return s;
}

static enum og_ec logout_fn(struct acct_ctx *c, void *arg)
{
	return accounts_logout(c, ((struct sess *)arg)->id);
}

static enum og_ec revoke_all_fn(struct acct_ctx *c, void *arg)
{
	return accounts_revoke_all(c, ((struct user *)arg)->id, NULL);
}

static enum og_ec disable_fn(struct acct_ctx *c, void *arg)
{
	struct og_user row;
	if (store_user_get(c->db, c->arena, ((struct user *)arg)->id, &row) != DB_ROW)
		return og_err(c->err, OG_EC_INTERNAL, NULL, "no user");
	row.disabled = true;
	row.updated = c->now;
	return store_user_update(c->db, &row) == DB_ROW ? OG_EC_NONE : og_err(c->err, OG_EC_INTERNAL, NULL, "update");
}

/* ---- requests with a session cookie ---------------------------------------------- */

static struct at_resp *with_cookie(const char *method, const char *path, const char *token, const char *csrf,
                                   const char *form)
{
	const char *headers[3] = {at_fmt("Cookie: theme=dark; og_session=%s", token), NULL, NULL};
	if (csrf)
		headers[1] = at_fmt("X-CSRF-Token: %s", csrf);
	return at_send(&(struct at_req){.method = method,
	                                .path = path,
	                                .auth = "",
	                                .ctype = form ? AT_FORM : AT_NONE,
	                                .body = form,
	                                .headers = headers});
}

static void expect_session_refused(const struct at_resp *r)
{
	AT_STATUS(r, 401);
	AT_STR(r, "error.type", "authentication_error");
	if (!at_str(r, "error.message") || !*at_str(r, "error.message"))
		AT_FAIL(r, "no error message");
}

static void bad_sessions_are_401(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct user *owner = user_new("owner", false);
	struct sess *live = session_at(owner, now);
	at_step("a live session works");
	struct at_resp *r = with_cookie("GET", "/v1/customers", live->token, NULL, NULL);
	AT_STATUS(r, 200);

	at_step("forged: well formed and random");
	for (int i = 0; i < 3; i++) {
		unsigned char raw[ACCT_TOKEN_BYTES];
		char forged[ACCT_TOKEN_LEN + 1];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(forged, sizeof forged, raw, sizeof raw);
		r = with_cookie("GET", "/v1/customers", forged, NULL, NULL);
		expect_session_refused(r);
		AT_STR(r, "error.code", "session_invalid");
	}
	at_step("forged: the live token's hash as a token");
	char h[ACCT_HASH_LEN + 1];
	acct_token_hash(live->token, h);
	expect_session_refused(with_cookie("GET", "/v1/customers", h, NULL, NULL));

	at_step("malformed");
	char upper[ACCT_TOKEN_LEN + 1];
	for (int i = 0; i <= ACCT_TOKEN_LEN; i++)
		upper[i] =
		    live->token[i] >= 'a' && live->token[i] <= 'f' ? (char)(live->token[i] - 32) : live->token[i];
	const char *malformed[] = {
	    "",
	    "x",
	    at_fmt("%.63s", live->token),
	    at_fmt("%sa", live->token),
	    at_fmt("%.63sg", live->token),
	    at_fmt("%.62s'%%", live->token),
	    upper,
	    "' OR '1'='1",
	    at_repeat('a', 127),
	    at_repeat('a', 1000),
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		at_step("malformed %zu", i);
		expect_session_refused(with_cookie("GET", "/v1/customers", malformed[i], NULL, NULL));
	}

	at_step("expired: absolute and idle");
	struct sess *old = session_at(owner, now - ACCT_SESSION_ABSOLUTE - 60);
	r = with_cookie("GET", "/v1/customers", old->token, NULL, NULL);
	expect_session_refused(r);
	AT_STR(r, "error.code", "session_invalid");
	struct sess *idle = session_at(owner, now - ACCT_SESSION_IDLE - 60);
	expect_session_refused(with_cookie("GET", "/v1/customers", idle->token, NULL, NULL));

	at_step("signed out");
	struct sess *out = session_at(owner, now);
	AT_STATUS(with_cookie("GET", "/v1/customers", out->token, NULL, NULL), 200);
	assert_int_equal(acct_txn(now, logout_fn, out), OG_EC_NONE);
	expect_session_refused(with_cookie("GET", "/v1/customers", out->token, NULL, NULL));
	AT_STATUS(with_cookie("GET", "/v1/customers", live->token, NULL, NULL), 200); /* only that one */

	at_step("every session revoked");
	struct sess *other = session_at(owner, now);
	assert_int_equal(acct_txn(now, revoke_all_fn, owner), OG_EC_NONE);
	expect_session_refused(with_cookie("GET", "/v1/customers", live->token, NULL, NULL));
	expect_session_refused(with_cookie("GET", "/v1/customers", other->token, NULL, NULL));

	at_step("password change: the old sessions die, the new one works");
	struct sess *before = session_at(owner, now);
	struct og_error err;
	og_error_clear(&err);
	struct acct_ctx c = {.db = NULL, .arena = arena, .now = now, .err = &err};
	struct acct_new_session ns;
	struct db_conn *db = db_connect();
	c.db = db;
	const char *new_password = at_fmt("New-%s", owner->password);
	enum og_ec ec = accounts_password_change_run(&c, pool, owner->id, owner->password, new_password, &ns);
	db_close(db);
	assert_int_equal(ec, OG_EC_NONE);
	struct sess fresh;
	sess_copy(&fresh, &ns);
	expect_session_refused(with_cookie("GET", "/v1/customers", before->token, NULL, NULL));
	AT_STATUS(with_cookie("GET", "/v1/customers", fresh.token, NULL, NULL), 200);

	at_step("a disabled user's session");
	struct user *gone = user_new("disabled", false);
	struct sess *gs = session_at(gone, now);
	AT_STATUS(with_cookie("GET", "/v1/customers", gs->token, NULL, NULL), 200);
	assert_int_equal(acct_txn(now, disable_fn, gone), OG_EC_NONE);
	expect_session_refused(with_cookie("GET", "/v1/customers", gs->token, NULL, NULL));
	/* with an API key as well, the key is what authenticates */
	r = at_send(
	    &(struct at_req){.method = "GET",
	                     .path = "/v1/customers",
	                     .headers = (const char *const[]){at_fmt("Cookie: og_session=%s", gs->token), NULL}});
	AT_STATUS(r, 200);
}

static void one_user_never_acts_as_another(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct user *a = user_new("cust-a", true), *b = user_new("cust-b", true);
	struct sess *sa = session_at(a, now), *sb = session_at(b, now);

	at_step("each reads its own customer, not the other's (404 like a missing one)");
	struct at_resp *r = with_cookie("GET", at_fmt("/v1/customers/%s", a->customer), sa->token, NULL, NULL);
	AT_STATUS(r, 200);
	AT_STR(r, "id", a->customer);
	r = with_cookie("GET", at_fmt("/v1/customers/%s", b->customer), sa->token, NULL, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	r = with_cookie("GET", at_fmt("/v1/customers/%s", a->customer), sb->token, NULL, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	at_step("a's list holds a only");
	r = with_cookie("GET", "/v1/customers", sa->token, NULL, NULL);
	AT_STATUS(r, 200);
	AT_LIST(r, "/v1/customers", 1, false);
	AT_STR(r, "data[0].id", a->customer);
	r = with_cookie("GET", at_fmt("/v1/customers?email=%s", at_urlencode(b->email)), sa->token, NULL, NULL);
	AT_STATUS(r, 200);
	AT_LIST(r, "/v1/customers", 0, false);
	r = with_cookie("GET", at_fmt("/v1/customers?starting_after=%s", a->customer), sa->token, NULL, NULL);
	AT_STATUS(r, 200);
	AT_LIST(r, "/v1/customers", 0, false);

	at_step("b's cookie with a's CSRF token: 403, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	const char *b_path = at_fmt("/v1/customers/%s", b->customer);
	r = with_cookie("POST", b_path, sb->token, sa->csrf, "name=Mallory");
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	r = with_cookie("POST", b_path, sb->token, NULL, "name=Mallory");
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("a's own session and CSRF on b's customer: 404, nothing written");
	r = with_cookie("POST", b_path, sa->token, sa->csrf, "name=Mallory");
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	AT_UNCHANGED(&fp, r);
	at_step("a customer may not delete, even itself");
	r = with_cookie("DELETE", at_fmt("/v1/customers/%s", a->customer), sa->token, sa->csrf, NULL);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("b's cookie and b's token: allowed (the 403 above was the CSRF token)");
	r = with_cookie("POST", b_path, sb->token, sb->csrf, "name=Bea");
	AT_STATUS(r, 200);
	AT_STR(r, "name", "Bea");
}

/* An active subscription of the customer and its first invoice (made with
 * the admin key). */
static void subscribe(const char *customer, const char **sub, const char **invoice)
{
	struct at_resp *r = at_post_json("/v1/products", "{\"name\":\"Scoped\"}");
	AT_STATUS(r, 200);
	r = at_post_json("/v1/prices",
	                 "{\"product\":\"%s\",\"unit_amount\":700,\"currency\":\"usd\",\"recurring\":{"
	                 "\"interval\":\"month\"}}",
	                 at_str(r, "id"));
	AT_STATUS(r, 200);
	r = at_post_json("/v1/subscriptions", "{\"customer\":\"%s\",\"items\":[{\"price\":\"%s\"}]}", customer,
	                 at_str(r, "id"));
	AT_STATUS(r, 200);
	*sub = at_str(r, "id");
	r = at_post_form(at_fmt("/v1/subscriptions/%s/confirm", *sub), "%s", "");
	AT_STATUS(r, 200);
	r = at_get("/v1/invoices?subscription=%s", *sub);
	AT_STATUS(r, 200);
	AT_LIST(r, "/v1/invoices", 1, false);
	*invoice = at_str(r, "data[0].id");
}

/* The same for subscriptions and invoices: another customer's answer 404
 * like missing ones, lists hold the caller's own only, and neither cancel
 * nor pay reaches another's. */
static void customers_see_their_own_billing_only(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct user *a = user_new("bill-a", true), *b = user_new("bill-b", true);
	struct sess *sa = session_at(a, now), *sb = session_at(b, now);
	const char *sub_a, *inv_a, *sub_b, *inv_b;
	subscribe(a->customer, &sub_a, &inv_a);
	subscribe(b->customer, &sub_b, &inv_b);

	at_step("b reads its own");
	AT_STATUS(with_cookie("GET", at_fmt("/v1/subscriptions/%s", sub_b), sb->token, NULL, NULL), 200);
	AT_STATUS(with_cookie("GET", at_fmt("/v1/invoices/%s", inv_b), sb->token, NULL, NULL), 200);
	AT_STATUS(with_cookie("GET", at_fmt("/v1/invoices/%s/lines", inv_b), sb->token, NULL, NULL), 200);
	AT_STATUS(with_cookie("GET", at_fmt("/v1/invoices/upcoming?subscription=%s", sub_b), sb->token, NULL, NULL),
	          200);

	at_step("a reads none of b's");
	struct at_resp *r = with_cookie("GET", at_fmt("/v1/subscriptions/%s", sub_b), sa->token, NULL, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	r = with_cookie("GET", at_fmt("/v1/invoices/%s", inv_b), sa->token, NULL, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	r = with_cookie("GET", at_fmt("/v1/invoices/%s/lines", inv_b), sa->token, NULL, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	/* as for a missing subscription: a parameter that names nothing is 400 */
	r = with_cookie("GET", at_fmt("/v1/invoices/upcoming?subscription=%s", sub_b), sa->token, NULL, NULL);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "subscription");

	at_step("a's lists hold its own only, whatever the filter");
	r = with_cookie("GET", "/v1/subscriptions?limit=100", sa->token, NULL, NULL);
	AT_LIST(r, "/v1/subscriptions", 1, false);
	AT_STR(r, "data[0].id", sub_a);
	r = with_cookie("GET", at_fmt("/v1/subscriptions?customer=%s", b->customer), sa->token, NULL, NULL);
	AT_LIST(r, "/v1/subscriptions", 0, false);
	r = with_cookie("GET", "/v1/invoices?limit=100", sa->token, NULL, NULL);
	AT_LIST(r, "/v1/invoices", 1, false);
	AT_STR(r, "data[0].id", inv_a);
	r = with_cookie("GET", at_fmt("/v1/invoices?customer=%s", b->customer), sa->token, NULL, NULL);
	AT_LIST(r, "/v1/invoices", 0, false);
	r = with_cookie("GET", at_fmt("/v1/invoices?subscription=%s", sub_b), sa->token, NULL, NULL);
	AT_LIST(r, "/v1/invoices", 0, false);

	at_step("a cannot cancel b's subscription nor pay b's invoice");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = with_cookie("DELETE", at_fmt("/v1/subscriptions/%s", sub_b), sa->token, sa->csrf, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	AT_UNCHANGED(&fp, r);
	r = with_cookie("POST", at_fmt("/v1/invoices/%s/pay", inv_b), sa->token, sa->csrf, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	AT_UNCHANGED(&fp, r);
	at_step("b reaches its own (the 404s above were the scope)");
	/* no payment method yet: the service's own refusal, past the scope */
	r = with_cookie("POST", at_fmt("/v1/invoices/%s/pay", inv_b), sb->token, sb->csrf, NULL);
	if (r->status == 404 || r->status == 403)
		AT_FAIL(r, "b's own invoice must pass the scope");
	r = with_cookie("DELETE", at_fmt("/v1/subscriptions/%s", sub_b), sb->token, sb->csrf, NULL);
	AT_STATUS(r, 200);
	AT_STR(r, "status", "canceled");
}

/* ---- secrets never shown again --------------------------------------------------- */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	return at_keep(buf);
}

/* The reset token mailed to address: the server's mailer writes the .eml
 * file (within its 10 s pass). */
static const char *reset_token_from_mail(const char *address)
{
	for (int waited = 0; waited < 40000; waited += 200) {
		DIR *d = opendir(mail_dir);
		assert_non_null(d);
		struct dirent *e;
		const char *found = NULL;
		while ((e = readdir(d)) && !found) {
			if (!strstr(e->d_name, ".eml"))
				continue;
			char *text = read_all(at_fmt("%s/%s", mail_dir, e->d_name));
			char *tok = text && strstr(text, address) ? strstr(text, "token=") : NULL;
			if (tok && strspn(tok + 6, "0123456789abcdef") >= ACCT_TOKEN_LEN)
				found = at_fmt("%.64s", tok + 6);
		}
		closedir(d);
		if (found)
			return found;
		usleep(200000);
	}
	fail_msg("no mail to %s in %s", address, mail_dir);
	return NULL;
}

static enum og_ec reset_request_fn(struct acct_ctx *c, void *arg)
{
	return accounts_reset_request(c, ((struct user *)arg)->email, "http://127.0.0.1:8080/reset?token=");
}

static void expect_absent_from(const char *where, const char *text, const char *const *secrets, int n)
{
	for (int i = 0; i < n; i++)
		if (strstr(text, secrets[i]))
			fail_msg("secret %d (%.12s...) appears in %s", i, secrets[i], where);
}

static void secrets_never_shown_again(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct user *owner = user_new("secret-owner", false), *cust = user_new("secret-cust", true);
	struct sess *so = session_at(owner, now), *sc = session_at(cust, now);

	at_step("an API key: its secret in the create response only");
	struct at_resp *r = at_post_form("/v1/api_keys", "name=ci");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "secret", "sk_");
	const char *key_secret = at_str(r, "secret");
	const char *key_id = at_str(r, "id");

	at_step("a password reset, mailed");
	assert_int_equal(acct_txn(now, reset_request_fn, cust), OG_EC_NONE);
	const char *reset_token = reset_token_from_mail(cust->email);

	/* the key as a Basic credential (what Stripe's clients send), base64 of "sk_...:" */
	char basic[256];
	const char *user_pass = at_fmt("%s:", key_secret);
	sodium_bin2base64(basic, sizeof basic, (const unsigned char *)user_pass, strlen(user_pass),
	                  sodium_base64_VARIANT_ORIGINAL);
	const char *secrets[] = {owner->password, cust->password, so->token,  sc->token,   so->csrf,
	                         sc->csrf,        reset_token,    key_secret, at_secret(), basic};
	const int n_secrets = (int)(sizeof secrets / sizeof secrets[0]);

	at_step("requests that carry the secrets, good and bad");
	struct at_resp *seen[16];
	int n_seen = 0;
	seen[n_seen++] = with_cookie("GET", "/v1/customers", so->token, NULL, NULL);
	seen[n_seen++] = with_cookie("POST", "/v1/customers", so->token, so->csrf, "name=Logged");
	seen[n_seen++] = with_cookie("POST", "/v1/customers", so->token, sc->csrf, "name=Nope");
	seen[n_seen++] = with_cookie("GET", at_fmt("/v1/customers/%s", cust->customer), sc->token, NULL, NULL);
	seen[n_seen++] =
	    with_cookie("POST", at_fmt("/v1/customers/%s", cust->customer), sc->token, sc->csrf, "name=Mine");
	seen[n_seen++] = at_send(
	    &(struct at_req){.method = "GET", .path = "/v1/customers", .auth = at_fmt("Bearer %s", key_secret)});
	seen[n_seen++] = at_send(
	    &(struct at_req){.method = "GET", .path = "/v1/customers?limit=1", .auth = at_fmt("Basic %s", basic)});
	seen[n_seen++] = at_send(
	    &(struct at_req){.method = "GET", .path = "/v1/customers", .auth = at_fmt("Bearer %sx", key_secret)});
	seen[n_seen++] = at_get("/v1/api_keys?limit=100");
	seen[n_seen++] = at_get("/v1/events?limit=100");
	AT_STATUS(seen[0], 200);
	AT_STATUS(seen[1], 200);
	AT_STATUS(seen[2], 403);
	AT_STATUS(seen[3], 200);
	AT_STATUS(seen[4], 200);
	AT_STATUS(seen[5], 200);
	AT_STATUS(seen[6], 200);
	AT_STATUS(seen[7], 401);
	AT_STATUS(seen[8], 200);
	/* the key is listed, redacted */
	bool listed = false;
	json_t *item;
	size_t i;
	json_array_foreach(json_object_get(seen[8]->json, "data"), i, item)
	{
		if (!strcmp(json_string_value(json_object_get(item, "id")), key_id)) {
			listed = true;
			if (json_object_get(item, "secret"))
				AT_FAIL(seen[8], "the list shows a key's secret");
		}
	}
	if (!listed)
		AT_FAIL(seen[8], "the new key is not listed");
	for (int k = 0; k < n_seen; k++) {
		const char *body = seen[k]->body;
		for (int s = 0; s < n_secrets; s++) {
			if (strstr(body, secrets[s]))
				AT_FAIL(seen[k], "secret %d (%.12s...) is in this response", s, secrets[s]);
		}
	}

	at_step("a password sent where it does not belong: echoed to its sender, never logged");
	r = at_post_form("/v1/customers", "email=%s", at_urlencode(owner->password));
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "email");
	r = at_post_form("/v1/customers", "password=%s", at_urlencode(cust->password));
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "password");
	r = with_cookie("POST", "/v1/customers", so->token, so->csrf, at_fmt("phone=%s", at_repeat('9', 65)));
	AT_ERROR(r, 400, "invalid_request_error", "string_too_long", "phone");

	at_step("the server log");
	usleep(300000); /* access log lines are written after the response */
	char *log = read_all(at_log_path());
	assert_non_null(log);
	assert_non_null(strstr(log, "/v1/api_keys")); /* it does log requests */
	expect_absent_from("the server log", log, secrets, n_secrets);
	char *eml_mention = strstr(log, ".eml");
	assert_non_null(eml_mention); /* the mailer logged the file, not its body */

	at_step("the database: no secret in any value of any row");
	/* (the CSRF tokens are stored as they are, on purpose: docs/internals/accounts.md) */
	const char *db_secrets[] = {owner->password, cust->password, so->token,   sc->token,
	                            reset_token,     key_secret,     at_secret(), basic};
	for (size_t k = 0; k < sizeof db_secrets / sizeof db_secrets[0]; k++) {
		const char *where = at_db_find(db_secrets[k]);
		if (where)
			fail_msg("secret %zu (%.12s...) is stored in %s", k, db_secrets[k], where);
	}
	char h[ACCT_HASH_LEN + 1];
	acct_token_hash(so->token, h);
	assert_non_null(at_db_find(h)); /* the search works: the hash is there */
	acct_token_hash(reset_token, h);
	assert_non_null(at_db_find(h));
}

/* ---- the worker purges ------------------------------------------------------------ */

static int64_t count_where(struct db_conn *db, const char *sql, int64_t v)
{
	int64_t n = -1;
	struct db_param p[] = {DB_INT(v)};
	assert_int_equal(db_query_int(db, sql, p, 1, &n), DB_OK);
	return n;
}

static void worker_purges_dead_credentials(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct user *u = user_new("purge", false);
	struct sess *dead = session_at(u, now - ACCT_SESSION_ABSOLUTE - 60);
	struct sess *idle = session_at(u, now - ACCT_SESSION_IDLE - 60);
	struct sess *out = session_at(u, now);
	assert_int_equal(acct_txn(now, logout_fn, out), OG_EC_NONE);
	struct sess *live = session_at(u, now);
	struct db_conn *db = db_connect();
	int64_t used = 0, expired = 0, fresh = 0, hits = 0;
	assert_int_equal(store_reset_insert(db, "purge-used", u->id, now - 100, now + 3000, &used), DB_ROW);
	assert_int_equal(store_reset_use(db, used, now - 50), DB_ROW);
	assert_int_equal(store_reset_insert(db, "purge-expired", u->id, now - 7200, now - 3600, &expired), DB_ROW);
	assert_int_equal(store_reset_insert(db, "purge-fresh", u->id, now, now + 3600, &fresh), DB_ROW);
	assert_int_equal(store_limit_hit(db, "purge:old", now - 3 * 86400, &hits), DB_ROW);
	assert_int_equal(store_limit_hit(db, "purge:new", now - 60, &hits), DB_ROW);

	at_step("waiting for the worker (every second here)");
	const char *dead_sessions = "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND (expires < %lld OR "
	                            "idle_expires < %lld OR revoked_at IS NOT NULL)";
	const char *sql = at_fmt(dead_sessions, (long long)now, (long long)now);
	int64_t left = -1;
	for (int waited = 0; waited < 20000; waited += 200) {
		left = count_where(db, sql, u->id) +
		       count_where(db, "SELECT COUNT(*) FROM password_resets WHERE id = $1", used) +
		       count_where(db, "SELECT COUNT(*) FROM password_resets WHERE id = $1", expired) +
		       count_where(db, "SELECT COUNT(*) FROM auth_limits WHERE bucket = 'purge:old' AND hits >= $1", 1);
		if (left == 0)
			break;
		usleep(200000);
	}
	(void)dead;
	(void)idle;
	assert_int_equal(left, 0);
	at_step("live ones stay");
	char h[ACCT_HASH_LEN + 1];
	acct_token_hash(live->token, h);
	const char *live_hash = h;
	struct db_param p[] = {DB_TEXT(live_hash)};
	int64_t n = -1;
	assert_int_equal(db_query_int(db, "SELECT COUNT(*) FROM sessions WHERE token_hash = $1", p, 1, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_where(db, "SELECT COUNT(*) FROM password_resets WHERE id = $1", fresh), 1);
	assert_int_equal(
	    count_where(db, "SELECT COUNT(*) FROM auth_limits WHERE bucket = 'purge:new' AND hits = $1", 1), 1);
	db_close(db);
	AT_STATUS(with_cookie("GET", "/v1/customers", live->token, NULL, NULL), 200);
	char *log = read_all(at_log_path());
	assert_non_null(strstr(log, "\"purged\""));
}

int main(void)
{
	if (sodium_init() < 0 || !mkdtemp(mail_dir))
		return 1;
	password_use_fast_limits(true);
	arena = arena_new();
	pool = workpool_new(1, 4);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hostile_text_verbatim),          cmocka_unit_test(bad_sessions_are_401),
	    cmocka_unit_test(one_user_never_acts_as_another), cmocka_unit_test(secrets_never_shown_again),
	    cmocka_unit_test(worker_purges_dead_credentials), cmocka_unit_test(customers_see_their_own_billing_only),
	};
	const char *const args[] = {"--test-mode",          "--test-fast-passwords", "--mail-dir", mail_dir,
	                            "--enable-test-clocks", "--billing-interval",    "1",          NULL};
	at_serve_args(args);
	int failed = at_run("test_security", tests, sizeof tests / sizeof tests[0], NULL);
	workpool_free(pool);
	arena_free(arena);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", mail_dir);
	if (system(cmd) != 0)
		failed++;
	return failed ? 1 : 0;
}
