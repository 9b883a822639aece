/* The accounts' queries (store/users.c, sessions.c, mail_outbox.c,
 * auth_limits.c) on migration 0005, on SQLite and PostgreSQL: every query,
 * the unique e-mail in any letter case, the role and customer constraints,
 * single use of reset tokens, the outbox claim, the limit counters, and
 * the purges of dead credentials the billing worker runs (in batches:
 * only what is dead, oldest first, never more than asked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/acct_db.h"
#include "store/accounts.h"

#define T0 1700000000

static int64_t count(struct db_conn *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_query_int(db, sql, NULL, 0, &n), DB_OK);
	return n;
}

static int64_t add_user(struct db_conn *db, const char *email, enum user_role role, int64_t customer_id)
{
	struct og_user u = {.email = email,
	                    .name = "N",
	                    .role = role,
	                    .customer_id = customer_id,
	                    .password_hash = "$argon2id$x",
	                    .created = T0};
	assert_int_equal(store_user_insert(db, &u), DB_ROW);
	assert_true(u.id > 0);
	return u.id;
}

static void users(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct og_arena *a = arena_new();
	int64_t ann = add_user(db, "Ann@Example.com", ROLE_OWNER, 0);
	struct og_user u;
	assert_int_equal(store_user_get(db, a, ann, &u), DB_ROW);
	assert_string_equal(u.email, "Ann@Example.com");
	assert_int_equal(u.role, ROLE_OWNER);
	assert_string_equal(u.password_hash, "$argon2id$x");
	assert_int_equal(u.customer_id, 0);
	assert_false(u.disabled);
	assert_int_equal(u.created, T0);
	assert_int_equal(u.updated, T0);
	/* one account per address, in any letter case */
	struct og_user dup = {.email = "ann@EXAMPLE.com", .role = ROLE_ADMIN, .created = T0};
	assert_int_equal(store_user_insert(db, &dup), DB_CONSTRAINT);
	assert_int_equal(store_user_find_email(db, a, "ANN@example.COM", &u), DB_ROW);
	assert_int_equal(u.id, ann);
	assert_int_equal(store_user_find_email(db, a, "bob@example.com", &u), DB_DONE);
	assert_int_equal(store_user_find_email(db, a, "not an address", &u), DB_DONE);
	struct og_user bad = {.email = "nope", .role = ROLE_ADMIN, .created = T0};
	assert_int_equal(store_user_insert(db, &bad), DB_ERROR);
	/* a customer user needs its customer; staff must not have one */
	int64_t cus = 0;
	assert_int_equal(db_query_int(db,
	                              "INSERT INTO customers (email, name, metadata, created) "
	                              "VALUES ('c@x.io', 'C', '{}', 1) RETURNING id",
	                              NULL, 0, &cus),
	                 DB_OK);
	struct og_user orphan = {.email = "o@x.io", .role = ROLE_CUSTOMER, .created = T0};
	assert_int_equal(store_user_insert(db, &orphan), DB_CONSTRAINT);
	struct og_user staff_cus = {.email = "s@x.io", .role = ROLE_SUPPORT, .customer_id = cus, .created = T0};
	assert_int_equal(store_user_insert(db, &staff_cus), DB_CONSTRAINT);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO users (email, email_key, role, created, updated) "
	                         "VALUES ('r@x.io', 'r@x.io', 'root', 1, 1)",
	                         NULL, 0, NULL),
	                 DB_CONSTRAINT);
	int64_t c1 = add_user(db, "c@x.io", ROLE_CUSTOMER, cus);
	assert_int_equal(store_user_find_customer(db, a, cus, &u), DB_ROW);
	assert_int_equal(u.id, c1);
	assert_int_equal(store_user_find_customer(db, a, cus + 100, &u), DB_DONE);
	int64_t fin = add_user(db, "f@x.io", ROLE_FINANCE, 0);
	/* update: name, role, disabled */
	assert_int_equal(store_user_get(db, a, fin, &u), DB_ROW);
	u.name = "Fay";
	u.role = ROLE_ANALYST;
	u.disabled = true;
	u.updated = T0 + 5;
	assert_int_equal(store_user_update(db, &u), DB_ROW);
	assert_int_equal(store_user_get(db, a, fin, &u), DB_ROW);
	assert_string_equal(u.name, "Fay");
	assert_int_equal(u.role, ROLE_ANALYST);
	assert_true(u.disabled);
	assert_int_equal(u.updated, T0 + 5);
	int64_t n = 0;
	assert_int_equal(store_user_count_role(db, ROLE_OWNER, &n), DB_ROW);
	assert_int_equal(n, 1);
	assert_int_equal(store_user_count_role(db, ROLE_ANALYST, &n), DB_ROW);
	assert_int_equal(n, 0); /* disabled users do not count */
	/* password and the failure counters */
	assert_int_equal(store_user_set_password(db, ann, "$argon2id$y", T0 + 9), DB_ROW);
	assert_int_equal(store_user_login_failed(db, ann, 0), DB_ROW);
	assert_int_equal(store_user_login_failed(db, ann, T0 + 900), DB_ROW);
	assert_int_equal(store_user_get(db, a, ann, &u), DB_ROW);
	assert_string_equal(u.password_hash, "$argon2id$y");
	assert_int_equal(u.failed_logins, 2);
	assert_int_equal(u.locked_until, T0 + 900);
	assert_int_equal(store_user_clear_lockout(db, ann), DB_ROW);
	assert_int_equal(store_user_login_failed(db, ann, 0), DB_ROW);
	assert_int_equal(store_user_login_ok(db, ann, T0 + 10), DB_ROW);
	assert_int_equal(store_user_get(db, a, ann, &u), DB_ROW);
	assert_int_equal(u.failed_logins, 0);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(u.last_login, T0 + 10);
	assert_int_equal(store_user_lock(db, ann), DB_ROW);
	assert_int_equal(store_user_lock(db, 9999), DB_DONE);
	assert_int_equal(store_user_set_password(db, 9999, "h", 1), DB_DONE);
	/* lists: newest first, staff only or all, paged */
	struct store_page page = {.limit = 2};
	struct store_list list;
	assert_int_equal(store_user_list(db, a, &page, true, &list), DB_OK);
	assert_int_equal(list.n, 2);
	assert_true(list.has_more == false);
	const struct og_user *rows = list.rows;
	assert_int_equal(rows[0].id, fin);
	assert_int_equal(rows[1].id, ann);
	assert_int_equal(store_user_list(db, a, &page, false, &list), DB_OK);
	assert_int_equal(list.n, 2);
	assert_true(list.has_more);
	rows = list.rows;
	assert_int_equal(rows[0].id, fin);
	assert_int_equal(rows[1].id, c1);
	arena_free(a);
}

static void sessions_and_resets(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct og_arena *a = arena_new();
	int64_t ann = add_user(db, "ann@x.io", ROLE_ADMIN, 0);
	int64_t bob = add_user(db, "bob@x.io", ROLE_ADMIN, 0);
	struct og_session s = {.user_id = ann, .token_hash = "h1", .csrf_token = "c1", .times = acct_session_start(T0)};
	assert_int_equal(store_session_insert(db, &s), DB_ROW);
	struct og_session s2 = {
	    .user_id = ann, .token_hash = "h2", .csrf_token = "c2", .times = acct_session_start(T0)};
	assert_int_equal(store_session_insert(db, &s2), DB_ROW);
	struct og_session s3 = {
	    .user_id = bob, .token_hash = "h3", .csrf_token = "c3", .times = acct_session_start(T0)};
	assert_int_equal(store_session_insert(db, &s3), DB_ROW);
	struct og_session dup = s;
	assert_int_equal(store_session_insert(db, &dup), DB_CONSTRAINT);
	struct og_session got;
	assert_int_equal(store_session_find(db, a, "h1", &got), DB_ROW);
	assert_int_equal(got.id, s.id);
	assert_int_equal(got.user_id, ann);
	assert_string_equal(got.csrf_token, "c1");
	assert_int_equal(got.times.idle_expires, T0 + ACCT_SESSION_IDLE);
	assert_int_equal(got.times.expires, T0 + ACCT_SESSION_ABSOLUTE);
	assert_int_equal(got.times.revoked_at, 0);
	assert_int_equal(store_session_find(db, a, "nope", &got), DB_DONE);
	/* touch moves forward only */
	assert_int_equal(store_session_touch(db, s.id, T0 + 100, T0 + 1900), DB_ROW);
	assert_int_equal(store_session_touch(db, s.id, T0 + 50, T0 + 1850), DB_DONE);
	assert_int_equal(store_session_find(db, a, "h1", &got), DB_ROW);
	assert_int_equal(got.times.last_seen, T0 + 100);
	assert_int_equal(got.times.idle_expires, T0 + 1900);
	/* revoke one, then all of ann's: bob's stays */
	assert_int_equal(store_session_revoke(db, s.id, T0 + 200), DB_ROW);
	assert_int_equal(store_session_revoke(db, s.id, T0 + 201), DB_DONE);
	assert_int_equal(store_session_touch(db, s.id, T0 + 300, T0 + 2100), DB_DONE);
	int64_t n = 0;
	assert_int_equal(store_session_revoke_user(db, ann, T0 + 300, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_find(db, a, "h2", &got), DB_ROW);
	assert_int_equal(got.times.revoked_at, T0 + 300);
	assert_int_equal(store_session_find(db, a, "h3", &got), DB_ROW);
	assert_int_equal(got.times.revoked_at, 0);
	/* purge: revoked before the cut, or expired */
	assert_int_equal(store_session_purge(db, T0 + 250, 10, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_purge(db, T0 + ACCT_SESSION_ABSOLUTE + 1, 10, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM sessions"), 0);

	/* reset tokens: single use, one hour, invalidated together */
	int64_t r1 = 0, r2 = 0;
	assert_int_equal(store_reset_insert(db, "rh1", ann, T0, T0 + ACCT_RESET_TTL, &r1), DB_ROW);
	assert_int_equal(store_reset_insert(db, "rh2", ann, T0, T0 + ACCT_RESET_TTL, &r2), DB_ROW);
	struct og_password_reset r;
	assert_int_equal(store_reset_find(db, "rh1", &r), DB_ROW);
	assert_int_equal(r.id, r1);
	assert_int_equal(r.user_id, ann);
	assert_int_equal(r.expires, T0 + 3600);
	assert_int_equal(r.used_at, 0);
	assert_int_equal(store_reset_find(db, "rhx", &r), DB_DONE);
	assert_int_equal(store_reset_use(db, r1, T0 + ACCT_RESET_TTL), DB_DONE); /* expired */
	assert_int_equal(store_reset_use(db, r1, T0 + 10), DB_ROW);
	assert_int_equal(store_reset_use(db, r1, T0 + 11), DB_DONE); /* once */
	assert_int_equal(store_reset_invalidate_user(db, ann, T0 + 12), DB_OK);
	assert_int_equal(store_reset_find(db, "rh2", &r), DB_ROW);
	assert_int_equal(r.used_at, T0 + 12);
	assert_int_equal(store_reset_use(db, r2, T0 + 13), DB_DONE);
	arena_free(a);
}

static void outbox(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	struct og_arena *a = arena_new();
	int64_t m1 = 0, m2 = 0;
	assert_int_equal(store_mail_enqueue(db, "a@x.io", "S1", "body 1", T0, &m1), DB_ROW);
	assert_int_equal(store_mail_enqueue(db, "b@x.io", "S2", "body 2", T0 + 5, &m2), DB_ROW);
	struct og_mail rows[4];
	int n = 0;
	assert_int_equal(store_mail_due(db, a, T0 + 1, 4, rows, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, m1);
	assert_string_equal(rows[0].to, "a@x.io");
	assert_string_equal(rows[0].subject, "S1");
	assert_string_equal(rows[0].body, "body 1");
	assert_int_equal(rows[0].attempts, 0);
	/* one sender wins the claim */
	assert_int_equal(store_mail_claim(db, m1, T0, T0 + 300), DB_ROW);
	assert_int_equal(store_mail_claim(db, m1, T0, T0 + 300), DB_DONE);
	assert_int_equal(store_mail_due(db, a, T0 + 10, 4, rows, &n), DB_OK);
	assert_int_equal(n, 1); /* m1 is leased: only m2 */
	assert_int_equal(rows[0].id, m2);
	assert_int_equal(store_mail_failed(db, m1, T0 + 30, "smtp: refused"), DB_ROW);
	assert_int_equal(store_mail_due(db, a, T0 + 30, 4, rows, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, m2);
	assert_int_equal(rows[1].id, m1);
	assert_int_equal(rows[1].attempts, 1);
	assert_int_equal(store_mail_sent(db, m1, T0 + 31), DB_ROW);
	int64_t unsent = 0;
	assert_int_equal(store_mail_count_unsent(db, &unsent), DB_ROW);
	assert_int_equal(unsent, 1);
	/* a sent mail keeps no body (it may have held a reset link) */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM mail_outbox WHERE body IS NULL AND sent_at IS NOT NULL"), 1);
	assert_int_equal(store_mail_failed(db, m1, T0 + 99, "late"), DB_DONE);
	arena_free(a);
}

static void limits(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	int64_t hits = 0;
	assert_int_equal(store_limit_count(db, "login:ip:1.2.3.4", 900, &hits), DB_DONE);
	assert_int_equal(hits, 0);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(store_limit_hit(db, "login:ip:1.2.3.4", 900, &hits), DB_ROW);
		assert_int_equal(hits, i);
	}
	assert_int_equal(store_limit_hit(db, "login:ip:1.2.3.4", 1200, &hits), DB_ROW);
	assert_int_equal(hits, 1); /* a new window */
	assert_int_equal(store_limit_hit(db, "login:ip:5.6.7.8", 900, &hits), DB_ROW);
	assert_int_equal(hits, 1);
	assert_int_equal(store_limit_count(db, "login:ip:1.2.3.4", 900, &hits), DB_ROW);
	assert_int_equal(hits, 3);
	int64_t n = 0;
	assert_int_equal(store_limit_purge(db, 1000, 10, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_limit_clear(db, "login:ip:1.2.3.4"), DB_OK);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM auth_limits"), 0);
}

/* What the worker purges (cli/bill.c), at a cut of T0 + 5000. */
static void purges(void **state)
{
	struct db_conn *db = ((struct acct_db *)*state)->db;
	int64_t ann = add_user(db, "ann@x.io", ROLE_ADMIN, 0);
	const int64_t cut = T0 + 5000;
	/* sessions: 0 live, 1 idle-expired, 2 absolute-expired, 3 revoked, 4 revoked after the cut, 5 live */
	struct acct_session_times times[6];
	times[0] = acct_session_start(cut - 10);
	times[1] = acct_session_start(cut - ACCT_SESSION_IDLE - 10);
	times[2] = acct_session_start(cut - ACCT_SESSION_ABSOLUTE - 10);
	times[2].idle_expires = times[2].expires;
	times[3] = acct_session_start(cut - 100);
	times[3].revoked_at = cut - 50;
	times[4] = acct_session_start(cut - 100);
	times[4].revoked_at = cut + 1;
	times[5] = acct_session_start(cut);
	for (int i = 0; i < 6; i++) {
		char h[16];
		snprintf(h, sizeof h, "h%d", i);
		struct og_session s = {.user_id = ann, .token_hash = h, .csrf_token = "c", .times = times[i]};
		assert_int_equal(store_session_insert(db, &s), DB_ROW);
		if (times[i].revoked_at)
			assert_int_equal(store_session_revoke(db, s.id, times[i].revoked_at), DB_ROW);
	}
	int64_t n = -1;
	assert_int_equal(store_session_purge(db, cut, 2, &n), DB_OK); /* a batch of 2: the oldest two */
	assert_int_equal(n, 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM sessions WHERE token_hash IN ('h1', 'h2')"), 0);
	assert_int_equal(store_session_purge(db, cut, 2, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_purge(db, cut, 2, &n), DB_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM sessions WHERE token_hash IN ('h0', 'h4', 'h5')"), 3);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM sessions"), 3);

	/* reset tokens: used, expired, used after the cut, live */
	int64_t ids[4];
	const char *hashes[] = {"r0", "r1", "r2", "r3"};
	int64_t expires[] = {cut + 100, cut - 1, cut + 100, cut + 100};
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_reset_insert(db, hashes[i], ann, cut - 3000, expires[i], &ids[i]), DB_ROW);
	assert_int_equal(store_reset_use(db, ids[0], cut - 10), DB_ROW);
	assert_int_equal(store_reset_use(db, ids[2], cut + 10), DB_ROW);
	assert_int_equal(store_reset_purge(db, cut, 1, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM password_resets WHERE token_hash = 'r0'"), 0);
	assert_int_equal(store_reset_purge(db, cut, 10, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_reset_purge(db, cut, 10, &n), DB_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM password_resets WHERE token_hash IN ('r2', 'r3')"), 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM password_resets"), 2);

	/* limit windows: three old ones in two buckets, one current */
	int64_t hits = 0;
	assert_int_equal(store_limit_hit(db, "b", cut - 900, &hits), DB_ROW);
	assert_int_equal(store_limit_hit(db, "a", cut - 600, &hits), DB_ROW);
	assert_int_equal(store_limit_hit(db, "b", cut - 600, &hits), DB_ROW);
	assert_int_equal(store_limit_hit(db, "a", cut, &hits), DB_ROW);
	assert_int_equal(store_limit_purge(db, cut, 2, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM auth_limits WHERE bucket = 'b'"), 1); /* b at cut - 600 */
	assert_int_equal(store_limit_purge(db, cut, 2, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM auth_limits"), 1);
	assert_int_equal(store_limit_count(db, "a", cut, &hits), DB_ROW);
	assert_int_equal(hits, 1);
}

ACCT_DB_MAIN("store_accounts", ((const struct CMUnitTest[]){ACCT_TEST(users), ACCT_TEST(sessions_and_resets),
                                                            ACCT_TEST(outbox), ACCT_TEST(limits), ACCT_TEST(purges)}))
