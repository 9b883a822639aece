/* The store: opening it, the write executor behind store_submit, the
 * per-thread read connections, and store_run_txn.
 *
 * SQLite: one writer thread, one connection, group commit. The writer takes
 * every queued job (up to STORE_BATCH_MAX), opens BEGIN IMMEDIATE, runs each
 * job inside SAVEPOINT job (ROLLBACK TO when run() returns false or left a
 * failed statement behind), COMMITs once and only then completes the jobs:
 * one fsync serves the batch and no job is acknowledged before it is
 * durable. Jobs arriving during a commit form the next batch, so batches
 * grow with load without any timer. BEGIN meeting a lock held by another
 * process (the billing CLI) is retried after a short wait.
 *
 * PostgreSQL: n_workers threads, each with its own connection, each job in
 * its own transaction; serialization failures and deadlocks (DB_RETRY) rerun
 * the job up to STORE_RETRIES times. The server groups concurrent commits.
 *
 * Read connections: store_thread_conn opens one per calling thread on first
 * use (a pthread key per store finds it; a list in the store lets
 * store_close close them all; a thread that exits closes its own).
 *
 * Invariants: complete() is called exactly once per submitted job, on an
 * executor thread, after its transaction ended; committed is true only when
 * the COMMIT containing the job's kept writes returned DB_OK. */
#include "store/store_internal.h"

#include "sys/log.h"
#include "core/mem.h"
#include "store/db_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_RETRIES         5
#define STORE_DEFAULT_WORKERS 8
#define STORE_BEGIN_ATTEMPTS  12 /* each may wait the 5 s busy timeout */

struct thread_conn {
	struct og_store *st;
	struct db_conn *conn;
	struct thread_conn *prev, *next;
};

struct worker {
	struct og_store *st;
	struct db_conn *conn;
	pthread_t thread;
	bool is_started;
};

struct og_store {
	enum db_backend backend;
	char *url;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a job was queued, or stopping */
	struct store_job *head, *tail;
	bool is_stopping;
	int n_workers;
	struct worker *workers;
	pthread_key_t key;
	struct thread_conn *readers;
	/* counters, under lock */
	uint64_t n_batches, n_jobs;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void log_db(const char *event, struct db_conn *db)
{
	char msg[600];
	log_msg(LOG_ERROR, event, "\"message\":\"%s\"", log_json_escape(db_errmsg(db), msg, sizeof msg));
}

/* ---- one job --------------------------------------------------------------- */

/* Runs job->run in an open transaction; true when its writes may be kept. */
static bool run_job(struct store_job *job, struct db_conn *db)
{
	db->failed_rc = 0;
	bool keep = job->run(job, db);
	return keep && !db__txn_failure(db);
}

/* Calls complete() for the jobs from first up to (not including) stop. */
static void complete_range(struct store_job *first, struct store_job *stop, bool committed)
{
	while (first != stop) {
		struct store_job *next = first->next; /* complete() may free the job */
		first->complete(first, committed && first->kept);
		first = next;
	}
}

/* ---- transactions ----------------------------------------------------------- */

/* One transaction around fn(db, arg), or around job->run when job is given,
 * retried on DB_RETRY: the body of store_run_txn and of a PostgreSQL worker. */
static enum db_rc txn_loop(struct db_conn *conn, bool write, bool (*fn)(struct db_conn *, void *), void *arg,
                           struct store_job *job)
{
	enum db_rc rc = DB_ERROR;
	for (int attempt = 0; attempt <= STORE_RETRIES; attempt++) {
		if (attempt)
			sleep_ms(1 << attempt); /* 2, 4 ... 32 ms */
		rc = db_begin(conn, write);
		if (rc == DB_RETRY)
			continue;
		if (rc != DB_OK)
			break;
		bool keep;
		if (job)
			keep = job->kept = run_job(job, conn);
		else
			keep = fn(conn, arg);
		enum db_rc failed = db__txn_failure(conn);
		if (!db_in_txn(conn)) {
			rc = db__fail(conn, DB_ERROR, "the transaction ended inside its callback");
		} else if (failed) {
			db_rollback(conn);
			rc = failed;
		} else if (!keep) {
			db_rollback(conn);
			return DB_DONE;
		} else {
			rc = db_commit(conn);
			if (rc != DB_OK)
				db_rollback(conn);
		}
		if (rc != DB_RETRY)
			break;
	}
	return rc;
}

enum db_rc store_run_txn(struct db_conn *conn, bool write, bool (*fn)(struct db_conn *db, void *arg), void *arg)
{
	return txn_loop(conn, write, fn, arg, NULL);
}

/* ---- SQLite: one writer, group commit ---------------------------------------- */

static enum db_rc begin_write(struct db_conn *db)
{
	enum db_rc rc = DB_RETRY;
	for (int attempt = 0; attempt < STORE_BEGIN_ATTEMPTS && rc == DB_RETRY; attempt++) {
		if (attempt)
			sleep_ms(10);
		rc = db_begin(db, true);
		if (rc == DB_RETRY)
			log_msg(LOG_WARN, "store_writer_busy",
			        "\"attempt\":%d,\"message\":\"another connection holds the write lock\"", attempt + 1);
	}
	return rc;
}

static void writer_batch(struct db_conn *db, struct store_job *batch)
{
	struct store_job *first = batch; /* jobs from here on are in this transaction */
	while (first) {
		if (begin_write(db) != DB_OK) {
			log_db("store_begin_failed", db);
			for (struct store_job *j = first; j; j = j->next)
				j->kept = false;
			complete_range(first, NULL, false);
			return;
		}
		struct store_job *job = first;
		for (; job; job = job->next) {
			job->kept = false;
			if (db_savepoint(db, "job") != DB_OK)
				break;
			bool keep = run_job(job, db);
			if (!db_in_txn(db)) /* SQLite gave up the transaction (I/O error, disk full) */
				break;
			if (keep) {
				job->kept = db_release(db, "job") == DB_OK;
			} else {
				db_rollback_to(db, "job");
				db_release(db, "job");
			}
		}
		if (job) { /* the transaction is lost: so is every job in it so far */
			log_db("store_batch_lost", db);
			db_rollback(db);
			struct store_job *rest = job->next;
			job->kept = false;
			complete_range(first, rest, false);
			first = rest;
			continue;
		}
		bool committed = db_commit(db) == DB_OK;
		if (!committed) {
			log_db("store_commit_failed", db);
			db_rollback(db);
		}
		complete_range(first, NULL, committed);
		return;
	}
}

/* Takes up to max queued jobs (caller holds the lock). */
static struct store_job *take_jobs(struct og_store *st, int max)
{
	struct store_job *batch = st->head, *last = st->head;
	int n = 1;
	while (n < max && last->next) {
		last = last->next;
		n++;
	}
	st->head = last->next;
	if (!st->head)
		st->tail = NULL;
	last->next = NULL;
	st->n_batches++;
	st->n_jobs += (uint64_t)n;
	return batch;
}

static void *executor_main(void *arg)
{
	struct worker *w = arg;
	struct og_store *st = w->st;
	int max = st->backend == DB_SQLITE ? STORE_BATCH_MAX : 1;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->head && !st->is_stopping)
			pthread_cond_wait(&st->wake, &st->lock);
		if (!st->head)
			break; /* stopping, and the queue is drained */
		struct store_job *batch = take_jobs(st, max);
		pthread_mutex_unlock(&st->lock);
		if (st->backend == DB_SQLITE) {
			writer_batch(w->conn, batch);
		} else {
			bool committed = txn_loop(w->conn, true, NULL, NULL, batch) == DB_OK;
			batch->complete(batch, committed);
		}
		pthread_mutex_lock(&st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- read connections ------------------------------------------------------ */

static void reader_unlink(struct og_store *st, struct thread_conn *tc)
{
	pthread_mutex_lock(&st->lock);
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		st->readers = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	pthread_mutex_unlock(&st->lock);
}

/* pthread key destructor: the thread exits while the store is open */
static void reader_destroy(void *arg)
{
	struct thread_conn *tc = arg;
	reader_unlink(tc->st, tc);
	db_close(tc->conn);
	free(tc);
}

struct db_conn *store_thread_conn(struct og_store *st)
{
	struct thread_conn *tc = pthread_getspecific(st->key);
	if (tc)
		return tc->conn;
	char err[512];
	struct db_conn *conn = db_open(st->url, err, sizeof err);
	if (!conn) {
		char msg[600];
		log_msg(LOG_ERROR, "store_read_conn_failed", "\"message\":\"%s\"",
		        log_json_escape(err, msg, sizeof msg));
		return NULL;
	}
	tc = xcalloc(1, sizeof *tc);
	tc->st = st;
	tc->conn = conn;
	pthread_mutex_lock(&st->lock);
	tc->next = st->readers;
	if (st->readers)
		st->readers->prev = tc;
	st->readers = tc;
	pthread_mutex_unlock(&st->lock);
	pthread_setspecific(st->key, tc);
	return conn;
}

void store_thread_release(struct og_store *st)
{
	struct thread_conn *tc = pthread_getspecific(st->key);
	if (!tc)
		return;
	pthread_setspecific(st->key, NULL);
	reader_destroy(tc);
}

/* ---- the store ------------------------------------------------------------- */

enum db_backend store_backend(const struct og_store *st)
{
	return st->backend;
}
const char *store_url(const struct og_store *st)
{
	return st->url;
}

void store__stats(struct og_store *st, uint64_t *n_batches, uint64_t *n_jobs)
{
	pthread_mutex_lock(&st->lock);
	*n_batches = st->n_batches;
	*n_jobs = st->n_jobs;
	pthread_mutex_unlock(&st->lock);
}

void store_submit(struct og_store *st, struct store_job *job)
{
	job->next = NULL;
	job->kept = false;
	pthread_mutex_lock(&st->lock);
	if (st->is_stopping) { /* a bug of the caller: say so, never lose the job silently */
		pthread_mutex_unlock(&st->lock);
		log_msg(LOG_ERROR, "store_submit_after_close", NULL);
		job->complete(job, false);
		return;
	}
	if (st->tail)
		st->tail->next = job;
	else
		st->head = job;
	st->tail = job;
	pthread_cond_signal(&st->wake);
	pthread_mutex_unlock(&st->lock);
}

static void store_free(struct og_store *st)
{
	for (int i = 0; i < st->n_workers; i++)
		db_close(st->workers[i].conn);
	free(st->workers);
	pthread_key_delete(st->key);
	while (st->readers) {
		struct thread_conn *tc = st->readers;
		st->readers = tc->next;
		db_close(tc->conn);
		free(tc);
	}
	pthread_cond_destroy(&st->wake);
	pthread_mutex_destroy(&st->lock);
	free(st->url);
	free(st);
}

struct og_store *store_open(const struct store_config *cfg, char *errbuf, unsigned errlen)
{
	int backend = db_url_backend(cfg->url);
	if (backend < 0) {
		snprintf(errbuf, errlen, "unsupported database URL \"%s\"", cfg->url ? cfg->url : "");
		return NULL;
	}
	struct db_conn *first = db_open(cfg->url, errbuf, errlen);
	if (!first)
		return NULL;
	if (store_schema_check(first, errbuf, errlen) != 0 || store_ids_key_load(first, errbuf, errlen) != 0) {
		db_close(first);
		return NULL;
	}
	struct og_store *st = xcalloc(1, sizeof *st);
	st->backend = (enum db_backend)backend;
	st->url = xstrdup(cfg->url);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->wake, NULL);
	if (pthread_key_create(&st->key, reader_destroy) != 0)
		abort(); /* out of keys: PTHREAD_KEYS_MAX stores open at once is our bug */
	st->n_workers = backend == DB_SQLITE ? 1 : cfg->n_workers > 0 ? cfg->n_workers : STORE_DEFAULT_WORKERS;
	st->workers = xcalloc((size_t)st->n_workers, sizeof *st->workers);
	st->workers[0].conn = first;
	for (int i = 1; i < st->n_workers; i++) {
		st->workers[i].conn = db_open(cfg->url, errbuf, errlen);
		if (!st->workers[i].conn) {
			store_free(st);
			return NULL;
		}
	}
	for (int i = 0; i < st->n_workers; i++) {
		st->workers[i].st = st;
		if (pthread_create(&st->workers[i].thread, NULL, executor_main, &st->workers[i]) != 0) {
			snprintf(errbuf, errlen, "cannot start executor thread %d", i);
			store_close(st);
			return NULL;
		}
		st->workers[i].is_started = true;
	}
	return st;
}

void store_close(struct og_store *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->is_stopping = true;
	pthread_cond_broadcast(&st->wake);
	pthread_mutex_unlock(&st->lock);
	for (int i = 0; i < st->n_workers; i++)
		if (st->workers[i].is_started)
			pthread_join(st->workers[i].thread, NULL);
	store_free(st);
}
