/* The account service (billing/accounts.c) called directly, on SQLite and
 * PostgreSQL, with the fast (test-mode) password limits: sign-up, sign-in
 * and its sessions, the same answer for an unknown e-mail and a wrong
 * password, lockout, the limits, CSRF, sign-out, password change, reset by
 * mail (outbox) once, rehash when the limits rise, a full hashing pool, and
 * that the database holds no password or token in clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "billing/accounts.h"
#include "lib/acct_db.h"

#include <pthread.h>
#include <sodium.h>

#define T0 1700000000
#define PW "correct-horse-battery"

struct env {
	struct og_arena *arena;
	struct og_error err;
	struct acct_ctx c;
	struct og_workpool *pool;
};

static void env_init(struct env *e, struct db_conn *db)
{
	memset(e, 0, sizeof *e);
	e->arena = arena_new();
	e->c = (struct acct_ctx){.db = db, .arena = e->arena, .now = T0, .err = &e->err, .client_addr = "10.0.0.1"};
	e->pool = workpool_new(2, 8);
	password_use_fast_limits(true);
}

static void env_free(struct env *e)
{
	workpool_free(e->pool);
	arena_free(e->arena);
}

static int64_t count(struct db_conn *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_query_int(db, sql, NULL, 0, &n), DB_OK);
	return n;
}

static void signup_creates_user_and_customer(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	struct og_user u;
	struct og_customer cus;
	assert_int_equal(accounts_signup_run(&e.c, e.pool, "Cy@Example.com", "Cy", PW, &u, &cus), OG_EC_NONE);
	assert_int_equal(u.role, ROLE_CUSTOMER);
	assert_int_equal(u.customer_id, cus.id);
	assert_null(u.password_hash);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM customers WHERE email = 'Cy@Example.com' AND name = 'Cy'"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$%'"), 1);
	/* the address is taken in any letter case, and nothing more is written */
	assert_int_equal(accounts_signup_run(&e.c, e.pool, "cy@example.COM", "Cy2", PW, &u, &cus), OG_EC_EMAIL_TAKEN);
	assert_string_equal(e.err.param, "email");
	assert_int_equal(count(db, "SELECT COUNT(*) FROM customers"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users"), 1);
	/* bad input names the parameter and writes nothing */
	struct {
		const char *email, *password, *name;
		enum og_ec ec;
		const char *param;
	} bad[] = {
	    {NULL, PW, NULL, OG_EC_PARAM_MISSING, "email"},
	    {"nope", PW, NULL, OG_EC_PARAM_INVALID, "email"},
	    {"d@x.io", NULL, NULL, OG_EC_PARAM_MISSING, "password"},
	    {"d@x.io", "short", NULL, OG_EC_PASSWORD_WEAK, "password"},
	    {"d@x.io", "Password123", NULL, OG_EC_PASSWORD_WEAK, "password"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
		    accounts_signup_run(&e.c, e.pool, bad[i].email, bad[i].name, bad[i].password, &u, &cus), bad[i].ec);
		assert_string_equal(e.err.param, bad[i].param);
	}
	assert_int_equal(count(db, "SELECT COUNT(*) FROM customers"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users"), 1);
	/* signup is limited per client address */
	e.c.client_addr = "10.9.9.9";
	enum og_ec ec = OG_EC_NONE;
	int i;
	for (i = 0; i < 20 && ec != OG_EC_RATE_LIMITED; i++) {
		char email[32];
		snprintf(email, sizeof email, "s%d@x.io", i);
		ec = accounts_signup_run(&e.c, e.pool, email, NULL, PW, &u, &cus);
	}
	assert_int_equal(ec, OG_EC_RATE_LIMITED);
	assert_int_equal(i, 11);
	assert_true(e.c.retry_after > 0 && e.c.retry_after <= 3600);
	env_free(&e);
}

static void login_sessions_and_csrf(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	struct og_user staff;
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "ann@x.io", "Ann", ROLE_ADMIN, PW, &staff),
	                 OG_EC_NONE);
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "bob@x.io", NULL, ROLE_CUSTOMER, PW, &staff),
	                 OG_EC_PARAM_INVALID);
	struct acct_new_session s1, s2;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ANN@x.io", PW, &s1), OG_EC_NONE);
	assert_true(acct_token_well_formed(s1.token));
	assert_true(acct_token_well_formed(s1.csrf_token));
	assert_string_not_equal(s1.token, s1.csrf_token);
	/* a new token at each sign-in */
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s2), OG_EC_NONE);
	assert_string_not_equal(s1.token, s2.token);
	/* the database holds the token's hash only */
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sessions WHERE token_hash = '%s'", s1.token);
	assert_int_equal(count(db, sql), 0);
	char h[ACCT_HASH_LEN + 1];
	acct_token_hash(s1.token, h);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sessions WHERE token_hash = '%s'", h);
	assert_int_equal(count(db, sql), 1);

	struct og_session s;
	struct og_user u;
	bool touch = true;
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_NONE);
	assert_int_equal(u.id, staff.id);
	assert_int_equal(u.role, ROLE_ADMIN);
	assert_null(u.password_hash);
	assert_false(touch);
	/* CSRF: the session's own token, nothing else */
	assert_int_equal(accounts_csrf_check(&s, s1.csrf_token, &e.err), OG_EC_NONE);
	assert_int_equal(accounts_csrf_check(&s, s2.csrf_token, &e.err), OG_EC_CSRF_INVALID);
	assert_int_equal(accounts_csrf_check(&s, NULL, &e.err), OG_EC_CSRF_INVALID);
	assert_int_equal(accounts_csrf_check(&s, "", &e.err), OG_EC_CSRF_INVALID);
	/* forged tokens: malformed, or well-formed and unknown */
	assert_int_equal(accounts_session_authenticate(&e.c, "abc", &s, &u, &touch), OG_EC_SESSION_INVALID);
	char forged[ACCT_TOKEN_LEN + 1];
	memcpy(forged, s1.token, sizeof forged);
	forged[0] = forged[0] == 'a' ? 'b' : 'a';
	assert_int_equal(accounts_session_authenticate(&e.c, forged, &s, &u, &touch), OG_EC_SESSION_INVALID);
	/* idle: touched after a minute keeps it alive; 30 idle minutes end it */
	e.c.now = T0 + 1000;
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_NONE);
	assert_true(touch);
	assert_int_equal(accounts_session_touch(&e.c, &s), OG_EC_NONE);
	e.c.now = T0 + 2500; /* 1500 s after the touch, 2500 after sign-in */
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_NONE);
	assert_int_equal(accounts_session_authenticate(&e.c, s2.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	/* absolute: 12 hours, whatever the activity */
	e.c.now = T0 + ACCT_SESSION_ABSOLUTE;
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	/* logout revokes that session only */
	e.c.now = T0 + 10;
	struct acct_new_session s3;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s3), OG_EC_NONE);
	assert_int_equal(accounts_session_authenticate(&e.c, s3.token, &s, &u, &touch), OG_EC_NONE);
	assert_int_equal(accounts_logout(&e.c, s.id), OG_EC_NONE);
	assert_int_equal(accounts_session_authenticate(&e.c, s3.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_NONE);
	/* a disabled user's sessions stop working */
	assert_int_equal(store_user_get(db, e.arena, staff.id, &u), DB_ROW);
	u.disabled = true;
	assert_int_equal(store_user_update(db, &u), DB_ROW);
	assert_int_equal(accounts_session_authenticate(&e.c, s1.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s3), OG_EC_LOGIN_FAILED);
	env_free(&e);
}

static void unknown_and_wrong_answer_alike_then_lock(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	struct og_user staff;
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "ann@x.io", NULL, ROLE_OWNER, PW, &staff), OG_EC_NONE);
	struct acct_new_session s;
	struct og_error wrong, unknown;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", "wrong-horse-battery", &s), OG_EC_LOGIN_FAILED);
	wrong = e.err;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "zed@x.io", "wrong-horse-battery", &s), OG_EC_LOGIN_FAILED);
	unknown = e.err;
	assert_string_equal(wrong.message, unknown.message);
	assert_string_equal(wrong.param, unknown.param);
	/* five failures lock the address, known or not, until the window ends */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", "wrong", &s), OG_EC_LOGIN_FAILED);
		assert_int_equal(accounts_login_run(&e.c, e.pool, "zed@x.io", "wrong", &s), OG_EC_LOGIN_FAILED);
	}
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", "wrong", &s), OG_EC_LOGIN_FAILED);
	enum og_ec known_ec = e.err.ec;
	int64_t known_retry = e.c.retry_after;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "zed@x.io", "wrong", &s), known_ec);
	assert_int_equal(e.c.retry_after, known_retry);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "zed@x.io", PW, &s), OG_EC_ACCOUNT_LOCKED);
	struct og_error zed_locked = e.err;
	int64_t zed_retry = e.c.retry_after;
	/* locked: even the right password waits, and the answer is the unknown address's */
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s), OG_EC_ACCOUNT_LOCKED);
	assert_true(strstr(e.err.message, "locked") != NULL);
	assert_string_equal(e.err.message, zed_locked.message);
	assert_int_equal(e.c.retry_after, zed_retry);
	assert_true(zed_retry > 0 && zed_retry <= ACCT_LOCKOUT_WINDOW);
	struct og_user u;
	assert_int_equal(store_user_get(db, e.arena, staff.id, &u), DB_ROW);
	assert_int_equal(u.failed_logins, 4 + 1);
	assert_true(u.locked_until > T0);
	/* another address is not locked */
	assert_int_equal(accounts_login_run(&e.c, e.pool, "bob@x.io", "wrong", &s), OG_EC_LOGIN_FAILED);
	/* after the window, the right password works and clears the counters */
	e.c.now = acct_window_start(T0, ACCT_LOCKOUT_WINDOW) + ACCT_LOCKOUT_WINDOW;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s), OG_EC_NONE);
	assert_int_equal(store_user_get(db, e.arena, staff.id, &u), DB_ROW);
	assert_int_equal(u.failed_logins, 0);
	assert_int_equal(u.last_login, e.c.now);
	/* sign-in is limited per client address too */
	e.c.client_addr = "10.7.7.7";
	enum og_ec ec = OG_EC_NONE;
	int i;
	for (i = 0; i < 40 && ec != OG_EC_RATE_LIMITED; i++) {
		char email[32];
		snprintf(email, sizeof email, "u%d@x.io", i);
		ec = accounts_login_run(&e.c, e.pool, email, "wrong", &s);
	}
	assert_int_equal(ec, OG_EC_RATE_LIMITED);
	assert_int_equal(i, 31);
	env_free(&e);
}

static void password_change_revokes_everything(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	struct og_user staff;
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "ann@x.io", NULL, ROLE_FINANCE, PW, &staff),
	                 OG_EC_NONE);
	struct acct_new_session a1, a2, fresh;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &a1), OG_EC_NONE);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &a2), OG_EC_NONE);
	assert_int_equal(
	    accounts_password_change_run(&e.c, e.pool, staff.id, "not-the-password", "new-horse-battery", &fresh),
	    OG_EC_LOGIN_FAILED);
	assert_string_equal(e.err.param, "current_password");
	assert_int_equal(accounts_password_change_run(&e.c, e.pool, staff.id, PW, "qwertyuiop", &fresh),
	                 OG_EC_PASSWORD_WEAK);
	assert_int_equal(accounts_password_change_run(&e.c, e.pool, staff.id, PW, "new-horse-battery", &fresh),
	                 OG_EC_NONE);
	struct og_session s;
	struct og_user u;
	bool touch;
	assert_int_equal(accounts_session_authenticate(&e.c, a1.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	assert_int_equal(accounts_session_authenticate(&e.c, a2.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	assert_int_equal(accounts_session_authenticate(&e.c, fresh.token, &s, &u, &touch), OG_EC_NONE);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &a1), OG_EC_LOGIN_FAILED);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", "new-horse-battery", &a1), OG_EC_NONE);
	env_free(&e);
}

/* The reset link's token, read from the queued mail. */
static void token_from_outbox(struct db_conn *db, struct og_arena *a, char out[ACCT_TOKEN_LEN + 1])
{
	struct og_mail m[4];
	int n = 0;
	assert_int_equal(store_mail_due(db, a, INT64_MAX / 2, 4, m, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].to, "ann@x.io");
	const char *p = strstr(m[0].body, "https://billing.example/reset?token=");
	assert_non_null(p);
	memcpy(out, p + strlen("https://billing.example/reset?token="), ACCT_TOKEN_LEN);
	out[ACCT_TOKEN_LEN] = 0;
	assert_true(acct_token_well_formed(out));
}

static void reset_by_mail_once(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	struct og_user staff;
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "ann@x.io", NULL, ROLE_SUPPORT, PW, &staff),
	                 OG_EC_NONE);
	const char *link = "https://billing.example/reset?token=";
	/* an unknown address: the same answer, and nothing queued */
	assert_int_equal(accounts_reset_request_run(&e.c, "zed@x.io", link), OG_EC_NONE);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM mail_outbox"), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM password_resets"), 0);
	struct acct_new_session before;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &before), OG_EC_NONE);
	assert_int_equal(accounts_reset_request_run(&e.c, "Ann@X.io", link), OG_EC_NONE);
	char token[ACCT_TOKEN_LEN + 1];
	token_from_outbox(db, e.arena, token);
	/* stored hashed: the token is in the mail, not in password_resets */
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM password_resets WHERE token_hash = '%s'", token);
	assert_int_equal(count(db, sql), 0);
	/* a weak new password is refused before the token is spent */
	assert_int_equal(accounts_reset_confirm_run(&e.c, e.pool, token, "abc"), OG_EC_PASSWORD_WEAK);
	assert_int_equal(accounts_reset_confirm_run(&e.c, e.pool, "0000", "new-horse-battery"),
	                 OG_EC_RESET_TOKEN_INVALID);
	assert_string_equal(e.err.param, "token");
	e.c.now = T0 + 60;
	assert_int_equal(accounts_reset_confirm_run(&e.c, e.pool, token, "new-horse-battery"), OG_EC_NONE);
	/* once */
	assert_int_equal(accounts_reset_confirm_run(&e.c, e.pool, token, "other-horse-battery"),
	                 OG_EC_RESET_TOKEN_INVALID);
	struct og_session s;
	struct og_user u;
	bool touch;
	assert_int_equal(accounts_session_authenticate(&e.c, before.token, &s, &u, &touch), OG_EC_SESSION_INVALID);
	struct acct_new_session after;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", "new-horse-battery", &after), OG_EC_NONE);
	/* a second request makes the first link die; an hour makes the second die */
	assert_int_equal(db_exec(db, "DELETE FROM mail_outbox", NULL, 0, NULL), DB_OK);
	assert_int_equal(accounts_reset_request_run(&e.c, "ann@x.io", link), OG_EC_NONE);
	char t1[ACCT_TOKEN_LEN + 1], t2[ACCT_TOKEN_LEN + 1];
	token_from_outbox(db, e.arena, t1);
	assert_int_equal(db_exec(db, "DELETE FROM mail_outbox", NULL, 0, NULL), DB_OK);
	assert_int_equal(accounts_reset_request_run(&e.c, "ann@x.io", link), OG_EC_NONE);
	token_from_outbox(db, e.arena, t2);
	assert_int_equal(accounts_reset_check(&e.c, t1), OG_EC_RESET_TOKEN_INVALID);
	assert_int_equal(accounts_reset_check(&e.c, t2), OG_EC_NONE);
	e.c.now += ACCT_RESET_TTL;
	assert_int_equal(accounts_reset_check(&e.c, t2), OG_EC_RESET_TOKEN_INVALID);
	/* reset requests are limited per address (the same for unknown ones) */
	e.c.client_addr = NULL;
	enum og_ec ec = OG_EC_NONE;
	int i;
	for (i = 0; i < 10 && ec == OG_EC_NONE; i++)
		ec = accounts_reset_request_run(&e.c, "zed@x.io", link);
	assert_int_equal(ec, OG_EC_RATE_LIMITED);
	assert_int_equal(i, 6);
	/* no plaintext password anywhere */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users WHERE password_hash LIKE '%horse%'"), 0);
	env_free(&e);
}

static void rehash_when_limits_rise(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	if (db_backend(db) == DB_POSTGRES) {
		printf("NOTE: rehash tested on SQLite only (one interactive argon2id hash is enough)\n");
		return;
	}
	struct env e;
	env_init(&e, db);
	struct og_user staff;
	assert_int_equal(accounts_staff_create_run(&e.c, e.pool, "ann@x.io", NULL, ROLE_ANALYST, PW, &staff),
	                 OG_EC_NONE);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=8,%'"), 1);
	password_use_fast_limits(false);
	struct acct_new_session s;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s), OG_EC_NONE);
	password_use_fast_limits(true);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=65536,%'"),
	                 1);
	assert_int_equal(accounts_login_run(&e.c, e.pool, "ann@x.io", PW, &s), OG_EC_NONE);
	env_free(&e);
}

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void gated(struct workpool_job *job)
{
	(void)job;
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

static void full_pool_is_503(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct env e;
	env_init(&e, db);
	workpool_free(e.pool);
	e.pool = workpool_new(1, 1);
	gate_open = false;
	struct workpool_job busy = {.run = gated}, queued = {.run = gated};
	assert_int_equal(workpool_submit(e.pool, &busy), WORKPOOL_OK);
	while (workpool_waiting(e.pool) > 0)
		sched_yield();
	assert_int_equal(workpool_submit(e.pool, &queued), WORKPOOL_OK);
	struct og_user u;
	struct og_customer cus;
	assert_int_equal(accounts_signup_run(&e.c, e.pool, "d@x.io", NULL, PW, &u, &cus), OG_EC_UNAVAILABLE);
	assert_int_equal(og_ec_status(OG_EC_UNAVAILABLE), 503);
	assert_int_equal(e.c.retry_after, 1);
	struct acct_new_session s;
	assert_int_equal(accounts_login_run(&e.c, e.pool, "d@x.io", PW, &s), OG_EC_UNAVAILABLE);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM users"), 0);
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	env_free(&e);
}

ACCT_DB_MAIN("billing_accounts",
             ((const struct CMUnitTest[]){
                 ACCT_TEST(signup_creates_user_and_customer), ACCT_TEST(login_sessions_and_csrf),
                 ACCT_TEST(unknown_and_wrong_answer_alike_then_lock), ACCT_TEST(password_change_revokes_everything),
                 ACCT_TEST(reset_by_mail_once), ACCT_TEST(rehash_when_limits_rise), ACCT_TEST(full_pool_is_503)}))
