/* Queries for the mail outbox (store/accounts.h): mail is written in the
 * transaction that decides to send it and delivered after the commit by a
 * sender (billing/mailer.c), which claims a row with a lease so two senders
 * never send it at once, and retries until it is sent. A sent mail keeps
 * its row (to, subject, times) without its body. */
#include "store/accounts.h"

enum db_rc store_mail_enqueue(struct db_conn *db, const char *to, const char *subject, const char *body, int64_t now,
                              int64_t *id)
{
	static const char sql[] = "INSERT INTO mail_outbox (to_addr, subject, body, created, next_attempt) "
	                          "VALUES ($1, $2, $3, $4, $4) RETURNING id";
	struct db_param params[] = {DB_TEXT(to), DB_TEXT(subject), DB_TEXT(body), DB_INT(now)};
	enum db_rc rc = db_query_int(db, sql, params, 4, id);
	return rc == DB_OK ? DB_ROW : rc;
}

enum db_rc store_mail_due(struct db_conn *db, struct og_arena *a, int64_t now, int max, struct og_mail *rows, int *n)
{
	static const char sql[] = "SELECT id, to_addr, subject, body, created, attempts, next_attempt FROM mail_outbox "
	                          "WHERE sent_at IS NULL AND next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2";
	struct db_param params[] = {DB_INT(now), DB_INT(max)};
	struct db_res *r = NULL;
	*n = 0;
	enum db_rc rc = db_exec(db, sql, params, 2, &r);
	if (rc != DB_OK)
		return rc;
	while ((rc = db_next(r)) == DB_ROW && *n < max) {
		struct og_mail *m = &rows[(*n)++];
		m->id = db_int(r, 0);
		m->to = store__text(r, a, 1);
		m->subject = store__text(r, a, 2);
		m->body = store__text(r, a, 3);
		m->created = db_int(r, 4);
		m->attempts = db_int(r, 5);
		m->next_attempt = db_int(r, 6);
	}
	db_res_free(r);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc store_mail_claim(struct db_conn *db, int64_t id, int64_t seen, int64_t lease_until)
{
	static const char sql[] = "UPDATE mail_outbox SET next_attempt = $3, attempts = attempts + 1 "
	                          "WHERE id = $1 AND next_attempt = $2 AND sent_at IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(seen), DB_INT(lease_until)};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_mail_sent(struct db_conn *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE mail_outbox SET sent_at = $2, body = NULL, last_error = NULL WHERE id = $1";
	struct db_param params[] = {DB_INT(id), DB_INT(now)};
	return store__exec_changes(db, sql, params, 2);
}

enum db_rc store_mail_failed(struct db_conn *db, int64_t id, int64_t next_attempt, const char *error)
{
	static const char sql[] = "UPDATE mail_outbox SET next_attempt = $2, last_error = $3 "
	                          "WHERE id = $1 AND sent_at IS NULL";
	struct db_param params[] = {DB_INT(id), DB_INT(next_attempt), DB_TEXT(error)};
	return store__exec_changes(db, sql, params, 3);
}

enum db_rc store_mail_count_unsent(struct db_conn *db, int64_t *n)
{
	static const char sql[] = "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL";
	enum db_rc rc = db_query_int(db, sql, NULL, 0, n);
	return rc == DB_OK ? DB_ROW : rc;
}
