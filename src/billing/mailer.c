/* The mail sender (see mailer.h): one pass reads due rows, claims each in
 * its own short transaction, sends it outside any transaction and records
 * the outcome in another. The thread wakes on mailer_wake or every
 * interval; it owns its connection, so a slow SMTP server holds no store
 * connection and no lock. Errors are logged with the mail's id, never its
 * text or link. */
#include "billing/mailer.h"
#include "core/arena.h"
#include "core/mem.h"
#include "store/accounts.h"
#include "sys/clock.h"
#include "sys/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t mailer_backoff(int64_t attempts)
{
	int64_t pause = 30;
	for (int64_t i = 1; i < attempts && pause < 3600; i++)
		pause *= 2;
	return pause < 3600 ? pause : 3600;
}

struct mark {
	const struct og_mail *m;
	int64_t now;
	bool sent;
	const char *error;
	enum db_rc rc;
};

static bool claim_txn(struct db_conn *db, void *arg)
{
	struct mark *k = arg;
	k->rc = store_mail_claim(db, k->m->id, k->m->next_attempt, k->now + MAILER_LEASE);
	return k->rc == DB_ROW;
}

static bool mark_txn(struct db_conn *db, void *arg)
{
	struct mark *k = arg;
	if (k->sent)
		k->rc = store_mail_sent(db, k->m->id, k->now);
	else
		k->rc = store_mail_failed(db, k->m->id, k->now + mailer_backoff(k->m->attempts + 1), k->error);
	return k->rc == DB_ROW || k->rc == DB_DONE;
}

bool mailer_deliver_due(struct db_conn *db, const struct mail_config *mc, int64_t now, int max, int *n_sent,
                        int *n_failed)
{
	struct og_arena *a = arena_new();
	struct og_mail *rows = arena_alloc(a, sizeof *rows * (size_t)(max > 0 ? max : 1));
	int n = 0, sent = 0, failed = 0;
	bool ok = store_mail_due(db, a, now, max, rows, &n) == DB_OK;
	for (int i = 0; ok && i < n; i++) {
		struct mark k = {.m = &rows[i], .now = now};
		enum db_rc rc = store_run_txn(db, true, claim_txn, &k);
		if (rc == DB_DONE)
			continue; /* another sender has it */
		if (rc != DB_OK) {
			ok = false;
			break;
		}
		char err[256] = "", path[512];
		struct mail_message msg = {.to = rows[i].to, .subject = rows[i].subject, .body = rows[i].body};
		k.sent = mail_send(mc, &msg, path, sizeof path, err, sizeof err);
		k.error = err;
		k.now = clock_now() > now ? clock_now() : now;
		if (k.sent) {
			sent++;
		} else {
			failed++;
			char esc[512];
			log_msg(LOG_WARN, "mail_failed", "\"mail\":%lld,\"attempts\":%lld,\"error\":\"%s\"",
			        (long long)rows[i].id, (long long)rows[i].attempts + 1,
			        log_json_escape(err, esc, sizeof esc));
		}
		if (store_run_txn(db, true, mark_txn, &k) != DB_OK)
			ok = false;
	}
	for (int i = 0; i < n; i++)
		if (rows[i].body)
			memset((char *)rows[i].body, 0, strlen(rows[i].body));
	arena_free(a);
	if (n_sent)
		*n_sent = sent;
	if (n_failed)
		*n_failed = failed;
	return ok;
}

struct og_mailer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping, woken;
	int interval;
	char *db_url, *smtp_url, *from, *dir;
	struct mail_config mc;
};

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct og_mailer *current;

static void *mailer_main(void *arg)
{
	struct og_mailer *m = arg;
	char err[512];
	struct db_conn *db = db_open(m->db_url, err, sizeof err);
	if (!db)
		log_msg(LOG_ERROR, "mailer", "\"message\":\"cannot open the database\"");
	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		pthread_mutex_unlock(&m->lock);
		if (db) {
			int sent = 0;
			while (mailer_deliver_due(db, &m->mc, clock_now(), 50, &sent, NULL) && sent == 50)
				;
		}
		pthread_mutex_lock(&m->lock);
		if (m->stopping)
			break;
		if (!m->woken) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += m->interval;
			pthread_cond_timedwait(&m->cond, &m->lock, &ts);
		}
		m->woken = false;
	}
	pthread_mutex_unlock(&m->lock);
	db_close(db);
	return NULL;
}

struct og_mailer *mailer_start(const char *db_url, const struct mail_config *mc, int interval)
{
	struct og_mailer *m = xcalloc(1, sizeof *m);
	m->interval = interval > 0 ? interval : 10;
	m->db_url = xstrdup(db_url);
	m->smtp_url = mc->smtp_url && *mc->smtp_url ? xstrdup(mc->smtp_url) : NULL; /* "": .eml files */
	m->from = xstrdup(mc->from ? mc->from : "oneguard@localhost");
	m->dir = xstrdup(mc->dir ? mc->dir : "mail");
	m->mc = (struct mail_config){.smtp_url = m->smtp_url, .from = m->from, .dir = m->dir, .timeout = mc->timeout};
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) {
		m->thread = 0;
		mailer_stop(m);
		return NULL;
	}
	pthread_mutex_lock(&current_lock);
	current = m;
	pthread_mutex_unlock(&current_lock);
	log_msg(LOG_INFO, "mailer", "\"transport\":\"%s\"", m->smtp_url ? "smtp" : "files");
	return m;
}

void mailer_stop(struct og_mailer *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&current_lock);
	if (current == m)
		current = NULL;
	pthread_mutex_unlock(&current_lock);
	if (m->thread) {
		pthread_mutex_lock(&m->lock);
		m->stopping = true;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->db_url);
	free(m->smtp_url);
	free(m->from);
	free(m->dir);
	free(m);
}

void mailer_wake(void)
{
	pthread_mutex_lock(&current_lock);
	if (current) {
		pthread_mutex_lock(&current->lock);
		current->woken = true;
		pthread_cond_signal(&current->cond);
		pthread_mutex_unlock(&current->lock);
	}
	pthread_mutex_unlock(&current_lock);
}
