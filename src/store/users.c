/* Queries for users (store/accounts.h). The unique key is email_key, the
 * address lowercased by core/accounts.c, so one address is one account in
 * any letter case on both backends. The role is stored as its name; a row
 * whose role this binary does not know reads as analyst (the least right),
 * which the CHECK constraint makes impossible anyway. */
#include "store/accounts.h"

#define USER_COLS                                                                                                      \
	"id, email, name, role, customer_id, password_hash, disabled, failed_logins, locked_until, last_login, "       \
	"created, updated"

static void read_user(struct db_res *r, struct og_arena *a, void *row)
{
	struct og_user *u = row;
	u->id = db_int(r, 0);
	u->email = store__text(r, a, 1);
	u->name = store__text(r, a, 2);
	if (!acct_role_parse(db_text(r, 3), &u->role))
		u->role = ROLE_ANALYST;
	u->customer_id = db_int(r, 4);
	u->password_hash = store__text(r, a, 5);
	u->disabled = db_int(r, 6) != 0;
	u->failed_logins = db_int(r, 7);
	u->locked_until = db_int(r, 8);
	u->last_login = db_int(r, 9);
	u->created = db_int(r, 10);
	u->updated = db_int(r, 11);
}

enum db_rc store_user_insert(struct db_conn *db, struct og_user *u)
{
	static const char sql[] =
	    "INSERT INTO users (email, email_key, name, role, customer_id, password_hash, "
	    "disabled, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id";
	char key_buf[ACCT_EMAIL_MAX + 1];
	if (!acct_email_key(u->email, key_buf))
		return DB_ERROR;
	const char *key = key_buf;
	struct db_param params[] = {DB_TEXT(u->email),
	                            DB_TEXT(key),
	                            DB_TEXT(u->name),
	                            DB_TEXT(acct_role_name(u->role)),
	                            DB_OPT(u->customer_id),
	                            DB_TEXT(u->password_hash),
	                            DB_INT(u->disabled ? 1 : 0),
	                            DB_INT(u->created)};
	enum db_rc rc = db_query_int(db, sql, params, 8, &u->id);
	if (rc == DB_OK)
		u->updated = u->created;
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_user_get(struct db_conn *db, struct og_arena *a, int64_t id, struct og_user *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__get(db, a, sql, params, 1, read_user, out);
}

enum db_rc store_user_find_email(struct db_conn *db, struct og_arena *a, const char *email, struct og_user *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM users WHERE email_key = $1";
	char key_buf[ACCT_EMAIL_MAX + 1];
	if (!acct_email_key(email, key_buf))
		return DB_DONE;
	const char *key = key_buf;
	struct db_param params[] = {DB_TEXT(key)};
	return store__get(db, a, sql, params, 1, read_user, out);
}

enum db_rc store_user_find_customer(struct db_conn *db, struct og_arena *a, int64_t customer_id, struct og_user *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM users WHERE customer_id = $1 ORDER BY id LIMIT 1";
	struct db_param params[] = {DB_INT(customer_id)};
	return store__get(db, a, sql, params, 1, read_user, out);
}

enum db_rc store_user_update(struct db_conn *db, const struct og_user *u)
{
	static const char sql[] = "UPDATE users SET name = $2, role = $3, disabled = $4, updated = $5 WHERE id = $1";
	struct db_param params[] = {DB_INT(u->id), DB_TEXT(u->name), DB_TEXT(acct_role_name(u->role)),
	                            DB_INT(u->disabled ? 1 : 0), DB_INT(u->updated)};
	return store__exec_changes(db, sql, params, 5);
}

enum db_rc store_user_set_password(struct db_conn *db, int64_t id, const char *password_hash, int64_t now)
{
	static const char sql[] = "UPDATE users SET password_hash = $2, updated = $3 WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_TEXT(password_hash), DB_INT(now)};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_user_login_failed(struct db_conn *db, int64_t id, int64_t locked_until)
{
	static const char sql[] = "UPDATE users SET failed_logins = failed_logins + 1, locked_until = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_INT(locked_until)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_user_login_ok(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE users SET failed_logins = 0, locked_until = 0, last_login = $2 WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_user_clear_lockout(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_user_lock(struct db_conn *db, int64_t id)
{
	static const char sql[] = "UPDATE users SET updated = updated WHERE id = $1";
	struct db_param params[] = {DB_INT(id)};
	return store__exec_changes(db, sql, params, 1);
}

enum db_rc store_user_count_role(struct db_conn *db, enum user_role role, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0";
	struct db_param params[] = {DB_TEXT(acct_role_name(role))};
	enum db_rc rc = db_query_int(db, sql, params, 1, n);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_user_list(struct db_conn *db, struct og_arena *a, const struct store_page *page, bool staff_only,
                           struct store_list *out)
{
	static const char desc[] = "SELECT " USER_COLS " FROM users WHERE id < $1 AND (role <> 'customer' OR $3 = 0) "
	                           "ORDER BY id DESC LIMIT $2";
	static const char asc[] = "SELECT " USER_COLS " FROM users WHERE id > $1 AND (role <> 'customer' OR $3 = 0) "
	                          "ORDER BY id ASC LIMIT $2";
	struct db_param f[] = {DB_INT(staff_only ? 1 : 0)};
	return store__list(db, a, desc, asc, f, 1, page, sizeof(struct og_user), read_user, out);
}

enum db_rc store_user_lock_role(struct db_conn *db, enum user_role role)
{
	static const char sql[] = "UPDATE users SET updated = updated WHERE role = $1 AND disabled = 0";
	struct db_param params[] = {DB_TEXT(acct_role_name(role))};
	return db_exec(db, sql, params, 1, NULL);
}
