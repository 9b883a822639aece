/* Sign-in over HTTP (issue 13): /v1/auth, /v1/users, customer invitations
 * and billing portal sessions, against a real `oneguard serve` on each
 * backend, with --test-fast-passwords and --mail-dir (mail lands as .eml
 * files; the tests read the links from them). Staff users are made with
 * `oneguard users create` on the suite's database.
 *
 * The abuse limits count per client address (127.0.0.1 for every test of
 * a backend): the tests together stay under the login limit (30 per 5
 * minutes) and the sign-up limit (10 per hour); limits_answer_429 runs last
 * because it spends the login limit on purpose. A second suite runs a
 * server with --signup off and an https --public-url; a third one with the
 * real argon2id limits, where 24 sign-ins at once fill the password pool's
 * queue (503 + Retry-After: 1). Expiry (reset 1 hour, portal 15 minutes)
 * is tested by moving the stored expires into the past: the server's clock
 * cannot be moved. */
#include "api/lib/apitest.h"
#include "core/ids.h"
#include "lib/cli_run.h"
#include "store/db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PW       "Blue-Lantern-4417"
#define PW2      "Green-Harbour-9052"
#define STAFF_PW "Amber-Quarry-6613"

static char mail_dir[] = "/tmp/og-auth-mail-XXXXXX";
static int n_unique;

static const char *email(const char *what)
{
	return at_fmt("%s-%d-%d@shop.example", what, (int)getpid() % 100000, ++n_unique);
}

/* ---- sessions ---- */

struct sess {
	const char *token;
	const char *csrf;
	const char *user;
	const char *customer;
};

/* The session a 200 (or 303) answer started: the cookie's token, the body's
 * CSRF token and user. */
static struct sess *sess_of(const struct at_resp *r)
{
	const char *sc = at_header(r, "Set-Cookie");
	if (!sc || strncmp(sc, "og_session=", 11) != 0)
		AT_FAIL(r, "no session cookie");
	struct sess *s = at_keep(calloc(1, sizeof *s));
	s->token = at_fmt("%.64s", sc + 11);
	if (strlen(s->token) != 64)
		AT_FAIL(r, "the cookie's token is not 64 characters");
	s->csrf = at_str(r, "csrf_token");
	s->user = at_str(r, "user.id");
	s->customer = at_str(r, "user.customer");
	/* the token is in the cookie only */
	if (strstr(r->body, s->token))
		AT_FAIL(r, "the session token is in the body");
	return s;
}

/* A request with the session cookie (no API key); csrf: send the session's
 * X-CSRF-Token; csrf_value overrides it when not NULL. */
static struct at_resp *as_csrf(const struct sess *s, const char *method, const char *path, const char *json, bool csrf,
                               const char *csrf_value)
{
	const char **h = at_keep(calloc(3, sizeof *h));
	h[0] = at_fmt("Cookie: og_session=%s", s->token);
	if (csrf)
		h[1] = at_fmt("X-CSRF-Token: %s", csrf_value ? csrf_value : s->csrf);
	return at_send(&(struct at_req){.method = method,
	                                .path = path,
	                                .ctype = json ? AT_JSON : AT_NONE,
	                                .body = json,
	                                .auth = "",
	                                .headers = (const char *const *)h});
}

static struct at_resp *as(const struct sess *s, const char *method, const char *path, const char *json)
{
	return as_csrf(s, method, path, json, true, NULL);
}

/* A public POST (no credentials). */
static struct at_resp *post_anon(const char *path, const char *json)
{
	return at_send(&(struct at_req){.method = "POST", .path = path, .ctype = AT_JSON, .body = json, .auth = ""});
}

static struct at_resp *login(const char *mail, const char *password)
{
	return post_anon("/v1/auth/login", at_fmt("{\"email\":\"%s\",\"password\":\"%s\"}", mail, password));
}

static struct sess *signup(const char *mail)
{
	struct at_resp *r =
	    post_anon("/v1/auth/signup", at_fmt("{\"email\":\"%s\",\"password\":\"" PW "\",\"name\":\"Jenny\"}", mail));
	AT_STATUS(r, 200);
	return sess_of(r);
}

/* A staff user made with `oneguard users create` (password STAFF_PW). */
static const char *staff(const char *mail, const char *role)
{
	char out[4096];
	const char *const env[] = {"ONEGUARD_PASSWORD=" STAFF_PW, NULL};
	const char *const args[] = {"users",  "create",    "--test-mode", "--test-fast-passwords",
	                            "--db",   at_db_url(), "--email",     mail,
	                            "--role", role,        NULL};
	int rc = cli_run(out, sizeof out, env, args);
	if (rc != 0)
		AT_FAIL(NULL, "users create exited %d: %s", rc, out);
	return at_fmt("%.15s", out);
}

static struct sess *staff_session(const char *role)
{
	const char *mail = email(role);
	staff(mail, role);
	struct at_resp *r = login(mail, STAFF_PW);
	AT_STATUS(r, 200);
	AT_STR(r, "user.role", role);
	return sess_of(r);
}

/* ---- mail ---- */

/* The token of the newest link mailed to `to` (waits for the mailer; the
 * file is removed once read, so the next call waits for a new mail). */
static const char *mail_token(const char *to)
{
	const char *want = at_fmt("To: %s\r\n", to);
	for (int tries = 0; tries < 300; tries++) {
		DIR *d = opendir(mail_dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			if (len < 4 || strcmp(e->d_name + len - 4, ".eml") != 0)
				continue; /* not "x.eml.tmp": the mailer renames it when it is whole */
			char *path = at_fmt("%s/%s", mail_dir, e->d_name);
			FILE *f = fopen(path, "r");
			if (!f)
				continue;
			char buf[8192];
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[n] = 0;
			char *t = strstr(buf, "token=");
			if (!strstr(buf, want) || !t)
				continue;
			unlink(path);
			closedir(d);
			return at_fmt("%.64s", t + 6);
		}
		if (d)
			closedir(d);
		usleep(50 * 1000);
	}
	AT_FAIL(NULL, "no mail to %s in %s", to, mail_dir);
	return NULL;
}

static bool mail_waiting_for(const char *to)
{
	const char *want = at_fmt("To: %s\r\n", to);
	bool found = false;
	DIR *d = opendir(mail_dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		FILE *f = fopen(at_fmt("%s/%s", mail_dir, e->d_name), "r");
		if (!f)
			continue;
		char buf[8192];
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		found = found || strstr(buf, want);
	}
	if (d)
		closedir(d);
	return found;
}

static void db_exec_sql(const char *sql)
{
	char err[256];
	struct db_conn *c = db_open(at_db_url(), err, sizeof err);
	if (!c)
		AT_FAIL(NULL, "db_open: %s", err);
	enum db_rc rc = db_exec(c, sql, NULL, 0, NULL);
	db_close(c);
	if (rc != DB_OK)
		AT_FAIL(NULL, "%s failed", sql);
}

/* ---- the tests ---- */

static void signup_starts_a_session(void **state)
{
	(void)state;
	const char *mail = email("signup");
	at_step("sign up");
	struct at_resp *r =
	    post_anon("/v1/auth/signup", at_fmt("{\"email\":\"%s\",\"password\":\"" PW "\",\"name\":\"Jenny\"}", mail));
	AT_STATUS(r, 200);
	AT_STR(r, "object", "auth_session");
	AT_STR(r, "user.object", "user");
	AT_PREFIX(r, "user.id", "usr_");
	AT_STR(r, "user.role", "customer");
	AT_STR(r, "user.email", mail);
	AT_PREFIX(r, "user.customer", "cus_");
	const char *cookie = at_header(r, "Set-Cookie");
	if (!cookie || !strstr(cookie, "; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200") || strstr(cookie, "Secure"))
		AT_FAIL(r, "cookie attributes: %s", cookie ? cookie : "(none)");
	AT_HEADER(r, "Cache-Control", "no-store");
	struct sess *s = sess_of(r);
	if (!s->csrf || strlen(s->csrf) != 64)
		AT_FAIL(r, "csrf_token");
	long long expires = (long long)json_integer_value(at_json_path(r->json, "expires_at"));
	if (llabs(expires - ((long long)time(NULL) + 43200)) > 60)
		AT_FAIL(r, "expires_at is not 12 hours ahead");

	at_step("the session says who is signed in");
	r = as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL);
	AT_STATUS(r, 200);
	AT_STR(r, "user.id", s->user);
	AT_STR(r, "user.role", "customer");
	AT_STR(r, "csrf_token", s->csrf);
	at_step("the customer exists for the API");
	AT_STATUS(at_get("/v1/customers/%s", s->customer), 200);

	at_step("a taken address");
	r = post_anon("/v1/auth/signup", at_fmt("{\"email\":\"%s\",\"password\":\"" PW "\"}", mail));
	AT_ERROR(r, 400, "invalid_request_error", "email_taken", "email");

	struct at_fingerprint fp;
	at_step("a weak password writes nothing");
	at_fingerprint(&fp);
	r = post_anon("/v1/auth/signup", at_fmt("{\"email\":\"%s\",\"password\":\"password123\"}", email("weak")));
	AT_ERROR(r, 400, "invalid_request_error", "password_too_weak", "password");
	AT_UNCHANGED(&fp, r);
	at_step("no email writes nothing");
	r = post_anon("/v1/auth/signup", "{\"password\":\"" PW "\"}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "email");
	AT_UNCHANGED(&fp, r);
	at_step("a bad email writes nothing");
	r = post_anon("/v1/auth/signup", "{\"email\":\"no-at-sign\",\"password\":\"" PW "\"}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "email");
	AT_UNCHANGED(&fp, r);
}

static void login_failures_look_alike(void **state)
{
	(void)state;
	const char *mail = email("login");
	struct sess *first = signup(mail);
	at_step("wrong password");
	struct at_resp *wrong = login(mail, "Not-The-Password-1");
	AT_ERROR(wrong, 401, "authentication_error", "invalid_credentials", NULL);
	at_step("unknown address");
	struct at_resp *unknown = login(email("nobody"), PW);
	AT_ERROR(unknown, 401, "authentication_error", "invalid_credentials", NULL);
	if (strcmp(wrong->body, unknown->body) != 0)
		AT_FAIL(unknown, "differs from the wrong password's answer: %s", wrong->body);
	if (at_header(wrong, "Set-Cookie") || at_header(unknown, "Set-Cookie"))
		AT_FAIL(wrong, "a failed sign-in set a cookie");
	at_step("the right password: a new token");
	struct at_resp *r = login(mail, PW);
	AT_STATUS(r, 200);
	struct sess *s = sess_of(r);
	if (!strcmp(s->token, first->token) || !strcmp(s->csrf, first->csrf))
		AT_FAIL(r, "the sign-in reused the sign-up's token");
	AT_STR(r, "user.id", first->user);

	at_step("missing password writes nothing");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = post_anon("/v1/auth/login", at_fmt("{\"email\":\"%s\"}", mail));
	AT_ERROR(r, 400, "invalid_request_error", NULL, "password");
	AT_UNCHANGED(&fp, r);
}

static void lockout_after_five_failures(void **state)
{
	(void)state;
	const char *mail = email("lock");
	signup(mail);
	for (int i = 0; i < 5; i++) {
		at_step("failure %d", i + 1);
		AT_ERROR(login(mail, "Not-The-Password-1"), 401, "authentication_error", "invalid_credentials", NULL);
	}
	at_step("locked, even with the right password");
	struct at_resp *r = login(mail, PW);
	AT_ERROR(r, 429, "rate_limit_error", "account_locked", NULL);
	const char *ra = at_header(r, "Retry-After");
	if (!ra || atol(ra) <= 0 || atol(ra) > 900)
		AT_FAIL(r, "Retry-After");
}

static void logout_revokes(void **state)
{
	(void)state;
	struct sess *s = signup(email("logout"));
	at_step("sign out");
	struct at_resp *r = as(s, "POST", "/v1/auth/logout", NULL);
	AT_STATUS(r, 200);
	AT_STR(r, "object", "auth_logout");
	const char *cookie = at_header(r, "Set-Cookie");
	if (!cookie || strncmp(cookie, "og_session=;", 12) != 0 || !strstr(cookie, "Max-Age=0"))
		AT_FAIL(r, "the cookie is not cleared");
	at_step("the old cookie is dead");
	r = as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL);
	AT_ERROR(r, 401, "authentication_error", "session_invalid", NULL);
}

/* Deleting a customer ends its user: the session dies and the password no
 * longer signs in, like a wrong one. */
static void deleted_customer_cannot_sign_in(void **state)
{
	(void)state;
	const char *mail = email("deleted");
	struct sess *s = signup(mail);
	AT_STATUS(as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL), 200);
	at_step("the merchant deletes the customer");
	AT_STATUS(at_delete("/v1/customers/%s", s->customer), 200);
	at_step("its session is over");
	AT_ERROR(as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL), 401, "authentication_error",
	         "session_invalid", NULL);
	at_step("and its password signs in no more");
	struct at_resp *r = login(mail, PW);
	AT_ERROR(r, 401, "authentication_error", "invalid_credentials", NULL);
}

static void csrf_needed_for_cookie_posts(void **state)
{
	(void)state;
	struct sess *s = signup(email("csrf"));
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("no X-CSRF-Token");
	struct at_resp *r = as_csrf(s, "POST", "/v1/auth/logout", NULL, false, NULL);
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("a wrong X-CSRF-Token");
	r = as_csrf(s, "POST", "/v1/auth/logout", NULL, true, at_fmt("%064d", 7));
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("the session still works, then the right token signs out");
	AT_STATUS(as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL), 200);
	AT_STATUS(as(s, "POST", "/v1/auth/logout", NULL), 200);
}

static void password_change_revokes_sessions(void **state)
{
	(void)state;
	const char *mail = email("change");
	struct sess *a = signup(mail);
	struct at_resp *r = login(mail, PW);
	AT_STATUS(r, 200);
	struct sess *b = sess_of(r);

	at_step("a wrong old password");
	r = as(b, "POST", "/v1/auth/password",
	       "{\"old_password\":\"Not-The-Password-1\",\"new_password\":\"" PW2 "\"}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "old_password");
	at_step("a weak new password writes nothing");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = as(b, "POST", "/v1/auth/password", "{\"old_password\":\"" PW "\",\"new_password\":\"short\"}");
	AT_ERROR(r, 400, "invalid_request_error", "password_too_weak", "new_password");
	AT_UNCHANGED(&fp, r);

	at_step("the change");
	r = as(b, "POST", "/v1/auth/password", "{\"old_password\":\"" PW "\",\"new_password\":\"" PW2 "\"}");
	AT_STATUS(r, 200);
	struct sess *c = sess_of(r);
	AT_STR(r, "user.id", a->user);
	at_step("every older session is dead");
	AT_ERROR(as_csrf(a, "GET", "/v1/auth/session", NULL, false, NULL), 401, "authentication_error",
	         "session_invalid", NULL);
	AT_ERROR(as_csrf(b, "GET", "/v1/auth/session", NULL, false, NULL), 401, "authentication_error",
	         "session_invalid", NULL);
	AT_STATUS(as_csrf(c, "GET", "/v1/auth/session", NULL, false, NULL), 200);
	at_step("the new password signs in");
	AT_STATUS(login(mail, PW2), 200);
}

static void password_reset_single_use(void **state)
{
	(void)state;
	const char *mail = email("reset");
	struct sess *s = signup(mail);
	at_step("request for a known and an unknown address: the same answer");
	struct at_resp *known = post_anon("/v1/auth/password_reset", at_fmt("{\"email\":\"%s\"}", mail));
	AT_STATUS(known, 200);
	AT_STR(known, "object", "password_reset");
	AT_STR(known, "status", "requested");
	const char *nobody = email("nobody");
	struct at_resp *unknown = post_anon("/v1/auth/password_reset", at_fmt("{\"email\":\"%s\"}", nobody));
	AT_STATUS(unknown, 200);
	if (strcmp(known->body, unknown->body) != 0)
		AT_FAIL(unknown, "differs from the known address's answer");
	at_step("the token is in the mail only");
	const char *token = mail_token(mail);
	if (strstr(known->body, token))
		AT_FAIL(known, "the reset token is in the answer");
	/* the outbox deletes the mail's body once it is marked sent, just after
	 * the file is written */
	const char *where = at_db_find(token);
	for (int i = 0; where && i < 100; i++) {
		usleep(20 * 1000);
		where = at_db_find(token);
	}
	if (where)
		AT_FAIL(known, "the reset token is stored in clear (%s)", where);
	if (mail_waiting_for(nobody))
		AT_FAIL(unknown, "an unknown address got mail");

	at_step("confirm");
	const char *body = at_fmt("{\"token\":\"%s\",\"password\":\"" PW2 "\"}", token);
	struct at_resp *r = post_anon("/v1/auth/password_reset/confirm", body);
	AT_STATUS(r, 200);
	AT_STR(r, "status", "completed");
	at_step("the old sessions died");
	AT_ERROR(as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL), 401, "authentication_error",
	         "session_invalid", NULL);
	at_step("a second use writes nothing");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = post_anon("/v1/auth/password_reset/confirm", body);
	AT_ERROR(r, 400, "invalid_request_error", "reset_token_invalid", "token");
	AT_UNCHANGED(&fp, r);
	at_step("an unknown token writes nothing");
	r = post_anon("/v1/auth/password_reset/confirm", at_fmt("{\"token\":\"%064d\",\"password\":\"" PW2 "\"}", 1));
	AT_ERROR(r, 400, "invalid_request_error", "reset_token_invalid", "token");
	AT_UNCHANGED(&fp, r);

	at_step("an expired token");
	AT_STATUS(post_anon("/v1/auth/password_reset", at_fmt("{\"email\":\"%s\"}", mail)), 200);
	token = mail_token(mail);
	db_exec_sql("UPDATE password_resets SET expires = created - 1 WHERE used_at IS NULL");
	at_fingerprint(&fp);
	r = post_anon("/v1/auth/password_reset/confirm", at_fmt("{\"token\":\"%s\",\"password\":\"" PW "\"}", token));
	AT_ERROR(r, 400, "invalid_request_error", "reset_token_invalid", "token");
	AT_UNCHANGED(&fp, r);
	at_step("the reset password signs in");
	AT_STATUS(login(mail, PW2), 200);
}

static void users_are_for_owners(void **state)
{
	(void)state;
	struct sess *owner = staff_session("owner");
	struct sess *admin = staff_session("admin");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("an admin may not list users");
	struct at_resp *r = as_csrf(admin, "GET", "/v1/users", NULL, false, NULL);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	at_step("nor a secret key");
	AT_ERROR(at_get("/v1/users"), 403, "permission_error", "forbidden", NULL);
	at_step("nor create one");
	const char *mail = email("support");
	r = as(admin, "POST", "/v1/users", at_fmt("{\"email\":\"%s\",\"role\":\"support\"}", mail));
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/users", "{\"email\":\"%s\",\"role\":\"support\"}", mail);
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("a bad role writes nothing");
	r = as(owner, "POST", "/v1/users", at_fmt("{\"email\":\"%s\",\"role\":\"customer\"}", mail));
	AT_ERROR(r, 400, "invalid_request_error", NULL, "role");
	AT_UNCHANGED(&fp, r);

	at_step("the owner lists and creates");
	r = as_csrf(owner, "GET", "/v1/users?limit=100", NULL, false, NULL);
	AT_STATUS(r, 200);
	AT_STR(r, "object", "list");
	r = as(owner, "POST", "/v1/users", at_fmt("{\"email\":\"%s\",\"role\":\"support\",\"name\":\"Sam\"}", mail));
	AT_STATUS(r, 200);
	AT_STR(r, "object", "user");
	AT_STR(r, "role", "support");
	AT_NULL(r, "last_login");
	const char *id = at_str(r, "id");
	AT_STR(as_csrf(owner, "GET", at_fmt("/v1/users/%s", id), NULL, false, NULL), "email", mail);
	at_step("the invitation sets the password");
	const char *token = mail_token(mail);
	AT_STATUS(
	    post_anon("/v1/auth/password_reset/confirm", at_fmt("{\"token\":\"%s\",\"password\":\"" PW "\"}", token)),
	    200);
	r = login(mail, PW);
	AT_STATUS(r, 200);
	struct sess *support = sess_of(r);

	at_step("disabling a user ends its sessions");
	r = as(owner, "POST", at_fmt("/v1/users/%s", id), "{\"disabled\":true}");
	AT_STATUS(r, 200);
	AT_BOOL(r, "disabled", true);
	AT_ERROR(as_csrf(support, "GET", "/v1/auth/session", NULL, false, NULL), 401, "authentication_error",
	         "session_invalid", NULL);

	at_step("the last owner stays an owner");
	const char *owner_id = owner->user;
	at_fingerprint(&fp);
	r = as(owner, "POST", at_fmt("/v1/users/%s", owner_id), "{\"role\":\"admin\"}");
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", "role");
	AT_UNCHANGED(&fp, r);
	r = as(owner, "POST", at_fmt("/v1/users/%s", owner_id), "{\"disabled\":true}");
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", "disabled");
	AT_UNCHANGED(&fp, r);
	at_step("with a second owner, the first may step down");
	const char *mail2 = email("owner2");
	r = as(owner, "POST", "/v1/users", at_fmt("{\"email\":\"%s\",\"role\":\"owner\"}", mail2));
	AT_STATUS(r, 200);
	mail_token(mail2); /* sent: the outbox is quiet for the next test */
	r = as(owner, "POST", at_fmt("/v1/users/%s", owner_id), "{\"role\":\"admin\"}");
	AT_STATUS(r, 200);
	AT_STR(r, "role", "admin");
	at_step("the session now says admin");
	AT_STR(as_csrf(owner, "GET", "/v1/auth/session", NULL, false, NULL), "user.role", "admin");
}

static const char *customer_with(const char *mail)
{
	struct at_resp *r = mail ? at_post_json("/v1/customers", "{\"email\":\"%s\",\"name\":\"Ada\"}", mail)
	                         : at_post_json("/v1/customers", "{\"name\":\"No Mail\"}");
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

static void portal_sessions_single_use(void **state)
{
	(void)state;
	const char *cus = customer_with(email("portal"));
	at_step("create");
	struct at_resp *r = at_post_json("/v1/billing_portal/sessions",
	                                 "{\"customer\":\"%s\",\"return_url\":\"https://shop.example/account\"}", cus);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "bps_");
	AT_STR(r, "object", "billing_portal.session");
	AT_STR(r, "customer", cus);
	AT_STR(r, "return_url", "https://shop.example/account");
	AT_BOOL(r, "livemode", false);
	AT_PREFIX(r, "url", "http://127.0.0.1:8080/portal/session/");
	long long created = (long long)json_integer_value(at_json_path(r->json, "created"));
	AT_INT(r, "expires_at", created + 900);
	const char *path = strstr(at_str(r, "url"), "/portal/session/");
	if (at_db_find(path + strlen("/portal/session/")))
		AT_FAIL(r, "the portal token is stored in clear");

	at_step("redeem: a session and a 303");
	r = at_send(&(struct at_req){.method = "GET", .path = path, .auth = ""});
	AT_STATUS(r, 303);
	AT_HEADER(r, "Location", "/portal/");
	AT_STR(r, "user.role", "customer");
	AT_STR(r, "user.customer", cus);
	struct sess *s = sess_of(r);
	AT_STR(as_csrf(s, "GET", "/v1/auth/session", NULL, false, NULL), "user.customer", cus);

	at_step("a second use, an unknown and an expired link: the same 404");
	struct at_resp *again = at_send(&(struct at_req){.method = "GET", .path = path, .auth = ""});
	AT_ERROR(again, 404, "invalid_request_error", "portal_session_invalid", NULL);
	struct at_resp *unknown =
	    at_send(&(struct at_req){.method = "GET", .path = at_fmt("/portal/session/%064d", 3), .auth = ""});
	AT_ERROR(unknown, 404, "invalid_request_error", "portal_session_invalid", NULL);
	r = at_post_json("/v1/billing_portal/sessions", "{\"customer\":\"%s\"}", cus);
	AT_STATUS(r, 200);
	const char *path2 = at_strdup(strstr(at_str(r, "url"), "/portal/session/"));
	db_exec_sql("UPDATE portal_sessions SET expires = created - 1 WHERE used_at IS NULL");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *expired = at_send(&(struct at_req){.method = "GET", .path = path2, .auth = ""});
	AT_ERROR(expired, 404, "invalid_request_error", "portal_session_invalid", NULL);
	AT_UNCHANGED(&fp, expired);
	if (strcmp(again->body, unknown->body) || strcmp(again->body, expired->body))
		AT_FAIL(expired, "the three answers differ");

	at_step("bad input writes nothing");
	const char *bare = customer_with(NULL);
	at_fingerprint(&fp);
	r = at_post_json("/v1/billing_portal/sessions", "{\"customer\":\"%s\"}", bare);
	AT_ERROR(r, 400, "invalid_request_error", NULL, "customer");
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/billing_portal/sessions", "{}");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "customer");
	AT_UNCHANGED(&fp, r);
	char missing[ID_MAX_LEN];
	r = at_post_json("/v1/billing_portal/sessions", "{\"customer\":\"%s\"}",
	                 ids_encode(ID_CUSTOMER, 987654321, missing));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "customer");
	AT_UNCHANGED(&fp, r);
	r = at_post_json("/v1/billing_portal/sessions", "{\"customer\":\"%s\",\"return_url\":\"javascript:x\"}", cus);
	AT_ERROR(r, 400, "invalid_request_error", NULL, "return_url");
	AT_UNCHANGED(&fp, r);
	at_step("a customer session may not make portal sessions");
	r = as(s, "POST", "/v1/billing_portal/sessions", at_fmt("{\"customer\":\"%s\"}", cus));
	AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
}

/* Two opens of one link at once: exactly one signs in. A replayed create
 * (Idempotency-Key) answers the same session without its url. */
static void portal_link_race_and_replay(void **state)
{
	(void)state;
	const char *cus = customer_with(email("race"));
	const char *key = at_fmt("bps-%d-%d", (int)getpid(), ++n_unique);
	struct at_req create = {.method = "POST",
	                        .path = "/v1/billing_portal/sessions",
	                        .ctype = AT_JSON,
	                        .body = at_fmt("{\"customer\":\"%s\"}", cus),
	                        .idempotency_key = key};
	struct at_resp *first = at_send(&create);
	AT_STATUS(first, 200);
	const char *url = at_str(first, "url");
	if (!url)
		AT_FAIL(first, "no url");
	at_step("the replay has no url");
	struct at_resp *again = at_send(&create);
	AT_STATUS(again, 200);
	AT_HEADER(again, "Idempotent-Replayed", "true");
	AT_STR(again, "id", at_str(first, "id"));
	AT_NULL(again, "url");

	at_step("two opens at once");
	const char *path = strstr(url, "/portal/session/");
	struct at_req open[2] = {{.method = "GET", .path = path, .auth = ""},
	                         {.method = "GET", .path = path, .auth = ""}};
	struct at_resp *out[2];
	at_send_parallel(open, 2, out);
	int won = (out[0]->status == 303) + (out[1]->status == 303);
	int lost = (out[0]->status == 404) + (out[1]->status == 404);
	if (won != 1 || lost != 1)
		AT_FAIL(out[1], "expected one 303 and one 404, got %ld and %ld", out[0]->status, out[1]->status);
}

/* POST /v1/users under an Idempotency-Key: a replay answers the stored
 * user and mails nothing. */
static void users_create_replay(void **state)
{
	(void)state;
	struct sess *owner = staff_session("owner");
	const char *mail = email("replay");
	const char **h = at_keep(calloc(4, sizeof *h));
	h[0] = at_fmt("Cookie: og_session=%s", owner->token);
	h[1] = at_fmt("X-CSRF-Token: %s", owner->csrf);
	struct at_req rq = {.method = "POST",
	                    .path = "/v1/users",
	                    .ctype = AT_JSON,
	                    .body = at_fmt("{\"email\":\"%s\",\"role\":\"finance\"}", mail),
	                    .auth = "",
	                    .idempotency_key = at_fmt("usr-%d-%d", (int)getpid(), ++n_unique),
	                    .headers = (const char *const *)h};
	struct at_resp *first = at_send(&rq);
	AT_STATUS(first, 200);
	mail_token(mail);
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *again = at_send(&rq);
	AT_STATUS(again, 200);
	AT_HEADER(again, "Idempotent-Replayed", "true");
	AT_STR(again, "id", at_str(first, "id"));
	AT_UNCHANGED(&fp, again);
	usleep(300 * 1000);
	if (mail_waiting_for(mail))
		AT_FAIL(again, "the replay mailed again");
}

static void customer_invite_mails_a_link(void **state)
{
	(void)state;
	const char *mail = email("invite");
	const char *cus = customer_with(mail);
	at_step("invite");
	struct at_resp *r = at_post_json(at_fmt("/v1/customers/%s/invite", cus), "{}");
	AT_STATUS(r, 200);
	AT_STR(r, "object", "invitation");
	AT_STR(r, "customer", cus);
	AT_STR(r, "email", mail);
	AT_PREFIX(r, "user", "usr_");
	const char *token = mail_token(mail);
	AT_STATUS(
	    post_anon("/v1/auth/password_reset/confirm", at_fmt("{\"token\":\"%s\",\"password\":\"" PW "\"}", token)),
	    200);
	r = login(mail, PW);
	AT_STATUS(r, 200);
	AT_STR(r, "user.customer", cus);

	at_step("again, once it has a password: 409, nothing written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_json(at_fmt("/v1/customers/%s/invite", cus), "{}");
	AT_ERROR(r, 409, "invalid_request_error", "resource_state_conflict", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("a customer without email: 400, nothing written");
	const char *bare = customer_with(NULL);
	at_fingerprint(&fp);
	r = at_post_json(at_fmt("/v1/customers/%s/invite", bare), "{}");
	AT_ERROR(r, 400, "invalid_request_error", NULL, "email");
	AT_UNCHANGED(&fp, r);
}

/* Last: spends the address's sign-in limit. */
static void limits_answer_429(void **state)
{
	(void)state;
	struct at_resp *r = NULL;
	for (int i = 0; i < 40; i++) {
		r = login(email("flood"), "Not-The-Password-1");
		if (r->status == 429)
			break;
		AT_ERROR(r, 401, "authentication_error", "invalid_credentials", NULL);
	}
	AT_ERROR(r, 429, "rate_limit_error", "rate_limit", NULL);
	const char *ra = at_header(r, "Retry-After");
	if (!ra || atol(ra) <= 0 || atol(ra) > 300)
		AT_FAIL(r, "Retry-After");
}

/* ---- the second server: --signup off, https public url ---- */

static void signup_off_and_secure_cookie(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("sign-up is off");
	struct at_resp *r =
	    post_anon("/v1/auth/signup", at_fmt("{\"email\":\"%s\",\"password\":\"" PW "\"}", email("off")));
	AT_ERROR(r, 403, "permission_error", "signup_disabled", NULL);
	AT_UNCHANGED(&fp, r);
	at_step("an https public url makes the cookie Secure");
	const char *mail = email("secure");
	staff(mail, "analyst");
	r = login(mail, STAFF_PW);
	AT_STATUS(r, 200);
	const char *cookie = at_header(r, "Set-Cookie");
	if (!cookie || !strstr(cookie, "; HttpOnly; SameSite=Lax; Max-Age=43200; Secure"))
		AT_FAIL(r, "cookie: %s", cookie ? cookie : "(none)");
	AT_STR(r, "user.role", "analyst");
	AT_NULL(r, "user.customer");
}

/* ---- the third server: real argon2id limits, the pool's queue fills ---- */

static void busy_pool_answers_503(void **state)
{
	(void)state;
	enum { N = 24 };
	struct at_req rqs[N];
	struct at_resp *out[N];
	for (int i = 0; i < N; i++)
		rqs[i] = (struct at_req){.method = "POST",
		                         .path = "/v1/auth/login",
		                         .ctype = AT_JSON,
		                         .body = at_fmt("{\"email\":\"%s\",\"password\":\"" PW "\"}", email("busy")),
		                         .auth = ""};
	at_send_parallel(rqs, N, out);
	int busy = 0;
	for (int i = 0; i < N; i++) {
		if (out[i]->status == 503) {
			AT_ERROR(out[i], 503, "api_error", "service_unavailable", NULL);
			AT_HEADER(out[i], "Retry-After", "1");
			busy++;
		} else {
			AT_ERROR(out[i], 401, "authentication_error", "invalid_credentials", NULL);
		}
	}
	if (busy == 0)
		AT_FAIL(out[0], "%d sign-ins at once on %ld cores never filled the pool's queue", N,
		        sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void)
{
	if (!mkdtemp(mail_dir))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signup_starts_a_session),
	    cmocka_unit_test(login_failures_look_alike),
	    cmocka_unit_test(lockout_after_five_failures),
	    cmocka_unit_test(logout_revokes),
	    cmocka_unit_test(deleted_customer_cannot_sign_in),
	    cmocka_unit_test(csrf_needed_for_cookie_posts),
	    cmocka_unit_test(password_change_revokes_sessions),
	    cmocka_unit_test(password_reset_single_use),
	    cmocka_unit_test(users_are_for_owners),
	    cmocka_unit_test(portal_sessions_single_use),
	    cmocka_unit_test(portal_link_race_and_replay),
	    cmocka_unit_test(users_create_replay),
	    cmocka_unit_test(customer_invite_mails_a_link),
	    cmocka_unit_test(limits_answer_429), /* last: it spends the sign-in limit */
	};
	const char *const args[] = {"--test-mode", "--test-fast-passwords", "--mail-dir", mail_dir, NULL};
	at_serve_args(args);
	int failed = at_run("test_auth", tests, sizeof tests / sizeof tests[0], NULL);

	const struct CMUnitTest tests2[] = {cmocka_unit_test(signup_off_and_secure_cookie)};
	const char *const args2[] = {
	    "--test-mode",  "--test-fast-passwords",        "--mail-dir", mail_dir, "--signup", "off",
	    "--public-url", "https://billing.shop.example", NULL};
	at_serve_args(args2);
	failed += at_run("test_auth_signup_off", tests2, 1, NULL);

	const struct CMUnitTest tests3[] = {cmocka_unit_test(busy_pool_answers_503)};
	const char *const args3[] = {"--mail-dir", mail_dir, NULL};
	at_serve_args(args3);
	failed += at_run("test_auth_busy_pool", tests3, 1, NULL);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", mail_dir);
	if (system(cmd) != 0)
		failed++;
	return failed ? 1 : 0;
}
