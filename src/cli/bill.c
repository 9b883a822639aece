/* `oneguard bill` and the in-server billing worker: the two places the
 * billing engine (src/billing/engine.c) runs on real time. Test clocks run
 * it themselves, inside their advance (src/api/test_clocks.c). No billing
 * logic and no SQL here: options, progress, the summary, and a thread.
 *
 * `oneguard bill [--until TIME] [--dry-run] [--limit N] [--batch N]`
 * bills what is due at TIME (default now) and exits: 0 when everything due
 * was billed, 1 when something failed (a subscription skipped, a database
 * error, stopped by a signal), 2 on bad usage. A progress bar goes to
 * stderr when it is a terminal; the summary to stdout. SIGINT and SIGTERM
 * stop it after the current batch (every batch is a transaction, so a kill
 * at any moment loses at most that batch, which the next run bills).
 *
 * The worker: a thread with its own database connection that runs the
 * engine at start and then every cfg->billing_interval seconds (0 = no
 * worker), or sooner when woken (cli_worker_wake, engine_worker_wake); after
 * each run it purges expired idempotency keys and dead credentials
 * (purge_expired). It stops after its current batch when the server shuts
 * down. */
#include "billing/engine.h"
#include "cli/cli.h"
#include "store/resources.h"
#include "cli/config.h"
#include "core/calendar.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "core/mem.h"
#include "core/money.h"
#include "store/accounts.h"
#include "store/billing_run.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BILL_MAX_BATCH 100000
/* a bulk run: ~15 ms of write lock per batch, and faster than 1000 at a
 * million subscriptions (fewer WAL syncs); docs/internals/billing.md */
#define BILL_DEFAULT_BATCH 2000
#define WORKER_BATCH       200 /* a few milliseconds of write lock */
#define WORKER_PAUSE_MS    3   /* then room for the API's writes */

static const char usage_bill[] =
    "usage: oneguard bill [--until TIME] [--dry-run] [--limit N] [--batch N] [OPTIONS]\n"
    "\n"
    "Bills every subscription due at TIME (on real time; test clocks bill when\n"
    "they advance), marks overdue invoices, prints a summary and exits.\n"
    "  --until TIME\n      bill what is due at TIME: Unix seconds or 2027-01-31T00:00:00Z (default now)\n"
    "  --dry-run\n      compute and count everything, write nothing\n"
    "  --limit N\n      stop after N subscriptions\n"
    "  --batch N\n      subscriptions per transaction, 1 to 100000 (default 2000)\n";

/* ---- options --------------------------------------------------------------- */

struct bill_args {
	int64_t until;
	bool has_until, dry_run;
	int64_t limit;
	int batch;
};

static bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Unix seconds or the ISO 8601 form of core/calendar.h. */
static bool parse_time(const char *s, int64_t *out)
{
	if (cal_parse_iso8601(s, out))
		return true;
	return *s >= '0' && *s <= '9' && parse_int64(s, 0, CAL_TIME_MAX, out);
}

/* Takes bill's own options out of argv (the rest goes to the shared
 * parser). 0, or 2 after printing why. */
static int take_args(int argc, char **argv, struct bill_args *a, int *n_out, char **out)
{
	*n_out = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		const char *names[] = {"--until", "--limit", "--batch"};
		int which = -1;
		for (int k = 0; k < 3; k++) {
			size_t len = strlen(names[k]);
			if (!strncmp(arg, names[k], len) && (arg[len] == 0 || arg[len] == '=')) {
				which = k;
				value = arg[len] == '=' ? arg + len + 1 : NULL;
			}
		}
		if (which < 0) {
			if (!strcmp(arg, "--dry-run"))
				a->dry_run = true;
			else
				out[(*n_out)++] = argv[i];
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "oneguard bill: %s needs a value\n%s", names[which], usage_bill);
				return 2;
			}
			value = argv[++i];
		}
		int64_t v;
		switch (which) {
		case 0:
			if (!parse_time(value, &a->until)) {
				fprintf(
				    stderr,
				    "oneguard bill: --until: expected Unix seconds or YYYY-MM-DDTHH:MM:SSZ, got '%s'\n",
				    value);
				return 2;
			}
			a->has_until = true;
			break;
		case 1:
			if (!parse_int64(value, 1, INT64_MAX, &a->limit)) {
				fprintf(stderr, "oneguard bill: --limit: expected a whole number >= 1, got '%s'\n",
				        value);
				return 2;
			}
			break;
		default:
			if (!parse_int64(value, 1, BILL_MAX_BATCH, &v)) {
				fprintf(stderr,
				        "oneguard bill: --batch: expected a whole number from 1 to %d, got '%s'\n",
				        BILL_MAX_BATCH, value);
				return 2;
			}
			a->batch = (int)v;
		}
	}
	return 0;
}

/* ---- progress and summary ---------------------------------------------------- */

struct progress {
	int64_t total; /* due at the start */
	int64_t started_ns;
	int64_t last_ns;
	bool drawn;
};

static void draw_progress(void *arg, const struct engine_stats *st)
{
	struct progress *p = arg;
	int64_t now_ns = clock_mono_ns();
	if (p->drawn && now_ns - p->last_ns < 100000000) /* ten frames a second at most */
		return;
	p->last_ns = now_ns;
	p->drawn = true;
	int64_t total = p->total > st->seen ? p->total : st->seen;
	int width = 30, filled = total ? (int)(st->seen * width / total) : width;
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[width] = 0;
	double secs = (double)(now_ns - p->started_ns) / 1e9;
	fprintf(stderr, "\r[%s] %3d%%  %" PRId64 "/%" PRId64 " subscriptions  %" PRId64 " invoices  %.0f/s ", bar,
	        total ? (int)(st->seen * 100 / total) : 100, st->seen, total, st->invoices,
	        secs > 0 ? (double)st->invoices / secs : 0.0);
	fflush(stderr);
}

static void print_summary(FILE *f, const struct engine_stats *st, int64_t until, bool dry_run, bool stopped)
{
	char when[32];
	cal_format_iso8601(until, when, sizeof when);
	double secs = (double)st->elapsed_ns / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(f, "oneguard bill: due at %s%s%s\n", when, dry_run ? " (dry run: nothing was written)" : "",
	        stopped ? " (stopped before the end)" : "");
	fprintf(f, "  subscriptions seen   %" PRId64 "\n", st->seen);
	fprintf(f, "  invoices issued      %" PRId64 "\n", st->invoices);
	fprintf(f, "  canceled at period end %" PRId64 ", trials ended %" PRId64 ", marked past due %" PRId64 "\n",
	        st->canceled, st->trials_ended, st->marked_past_due);
	for (int i = 0; i < st->n_currencies; i++) {
		char amount[64];
		money_format(st->totals[i].amount, st->totals[i].currency, amount, sizeof amount);
		fprintf(f, "  total billed         %s\n", amount);
	}
	if (st->n_currencies == 0)
		fprintf(f, "  total billed         nothing\n");
	fprintf(f, "  time taken           %.2f s\n", secs);
	fprintf(f, "  invoices per second  %.0f\n", secs > 0 ? (double)st->invoices / secs : 0.0);
	fprintf(f, "  peak memory (RSS)    %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	if (st->skipped) {
		fprintf(f,
		        "  skipped              %" PRId64
		        " (failed alone; see the log; billed by a later run once fixed):",
		        st->skipped);
		for (int i = 0; i < st->n_skipped_ids; i++)
			fprintf(f, " %" PRId64, st->skipped_ids[i]);
		fprintf(f, "%s\n", st->skipped > st->n_skipped_ids ? " ..." : "");
	}
}

static volatile int bill_stop;

static void on_signal(int sig)
{
	(void)sig;
	bill_stop = 1;
}

int cli_bill(struct og_config *cfg, int argc, char **argv)
{
	struct bill_args a = {.batch = BILL_DEFAULT_BATCH};
	char **rest_argv = xcalloc((size_t)argc + 1, sizeof *rest_argv);
	int n_rest_argv = 0;
	int rc = take_args(argc, argv, &a, &n_rest_argv, rest_argv);
	if (!rc) {
		int n_pos;
		char *pos[1];
		rc = cli_config_parse(cfg, CLI_OPTS_DB | CLI_OPTS_BILL, n_rest_argv, rest_argv, usage_bill, &n_pos, pos,
		                      0);
		if (rc == 1)
			rc = -1; /* --help: printed */
	}
	free(rest_argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	log_set_level((enum log_level)cfg->log_level);
	struct db_conn *db = cli_open_db(cfg, true);
	if (!db)
		return 1;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int64_t until = a.has_until ? a.until : clock_now();
	struct progress prog = {.started_ns = clock_mono_ns()};
	bool tty = isatty(STDERR_FILENO);
	if (tty && store_billing_count_due(db, 0, until, &prog.total) != DB_ROW)
		prog.total = 0;
	struct engine_opts opts = {
	    .now = until,
	    .batch_size = a.batch,
	    .limit = a.limit,
	    .dry_run = a.dry_run,
	    .invoice_prefix = cfg->invoice_prefix,
	    .per_customer_numbers = cfg->invoice_numbering == OG_NUMBERING_CUSTOMER,
	    .progress = tty ? draw_progress : NULL,
	    .progress_arg = &prog,
	    .stop = &bill_stop,
	};
	struct engine_stats stats = {0};
	struct og_error err = {0};
	enum og_ec ec = engine_run(db, &opts, &stats, &err);
	db_close(db);
	if (tty && prog.drawn) {
		prog.drawn = false; /* the last frame, whatever the throttle */
		draw_progress(&prog, &stats);
		fputc('\n', stderr);
	}
	print_summary(stdout, &stats, until, a.dry_run, bill_stop != 0);
	if (ec) {
		fprintf(stderr, "oneguard bill: %s (%s)\n", err.message, og_ec_name(ec));
		return 1;
	}
	return stats.skipped || bill_stop ? 1 : 0;
}

/* ---- the in-server worker ---------------------------------------------------- */

struct cli_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_stopping, is_woken;
	volatile int stop_flag; /* the engine's: stop after the current batch */
	int interval;
	char db_url[sizeof(((struct og_config *)0)->db_url)];
	char invoice_prefix[sizeof(((struct og_config *)0)->invoice_prefix)];
	bool per_customer_numbers;
};

static void worker_log_run(const struct engine_stats *st, enum og_ec ec, const struct og_error *err)
{
	if (ec) {
		char msg[600];
		log_msg(LOG_ERROR, "billing_worker_failed", "\"error\":\"%s\",\"message\":\"%s\"", og_ec_name(ec),
		        log_json_escape(err->message, msg, sizeof msg));
		return;
	}
	if (!st->seen && !st->marked_past_due)
		return;
	log_msg(st->skipped ? LOG_WARN : LOG_INFO, "billing_run",
	        "\"seen\":%" PRId64 ",\"invoices\":%" PRId64 ",\"canceled\":%" PRId64 ",\"trials_ended\":%" PRId64
	        ",\"marked_past_due\":%" PRId64 ",\"skipped\":%" PRId64 ",\"ms\":%" PRId64,
	        st->seen, st->invoices, st->canceled, st->trials_ended, st->marked_past_due, st->skipped,
	        st->elapsed_ns / 1000000);
}

/* What the worker deletes after each run: rows made before `now - keep`
 * that nothing reads any more. Each kind a bounded batch in its own short
 * transaction, so a backlog never holds the write lock long (the next run
 * takes the next batch).
 *  - idempotency keys live 24 hours (http/idempotency.c);
 *  - sessions expired (idle or absolute) or revoked, and password reset
 *    tokens used or expired: dead credentials, gone at once;
 *  - abuse-limit windows (billing/accounts.c): kept a day, longer than any
 *    window (the longest is an hour). */
struct purge {
	const char *what;
	enum db_rc (*run)(struct db_conn *db, int64_t before, int limit, int64_t *n_deleted);
	int64_t keep;
	int limit;
};
static const struct purge purges[] = {
    {"idempotency_keys", store_idem_purge, 24 * 3600, 5000},
    {"sessions", store_session_purge, 0, 1000},
    {"password_resets", store_reset_purge, 0, 1000},
    {"auth_limits", store_limit_purge, 24 * 3600, 1000},
};

struct purge_arg {
	const struct purge *p;
	int64_t before, n;
	enum db_rc rc;
};

static bool purge_txn(struct db_conn *db, void *arg)
{
	struct purge_arg *pa = arg;
	pa->rc = pa->p->run(db, pa->before, pa->p->limit, &pa->n);
	return pa->rc == DB_OK;
}

static void purge_expired(struct db_conn *db, int64_t now)
{
	for (size_t i = 0; i < sizeof purges / sizeof purges[0]; i++) {
		struct purge_arg pa = {.p = &purges[i], .before = now - purges[i].keep};
		enum db_rc rc = store_run_txn(db, true, purge_txn, &pa);
		if (rc != DB_OK)
			log_msg(LOG_WARN, "purge_failed", "\"what\":\"%s\",\"rc\":%d", purges[i].what, (int)rc);
		else if (pa.n)
			log_msg(LOG_INFO, "purged", "\"what\":\"%s\",\"rows\":%" PRId64, purges[i].what, pa.n);
	}
}

static void *worker_main(void *arg)
{
	struct cli_worker *w = arg;
	struct db_conn *db = NULL;
	bool first = true;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (!first && !w->is_stopping && !w->is_woken) {
			struct timespec deadline;
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_sec += w->interval;
			while (!w->is_stopping && !w->is_woken &&
			       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
				;
		}
		first = false;
		if (w->is_stopping)
			break;
		w->is_woken = false;
		pthread_mutex_unlock(&w->lock);
		if (!db) {
			char errbuf[512];
			db = db_open(w->db_url, errbuf, sizeof errbuf);
			if (!db) {
				char msg[600];
				log_msg(LOG_ERROR, "billing_worker_db", "\"message\":\"%s\"",
				        log_json_escape(errbuf, msg, sizeof msg));
			}
		}
		if (db) {
			/* small batches with a pause between them: on SQLite the API's writer
			 * waits for the write lock while a batch runs */
			struct engine_opts opts = {.now = clock_now(),
			                           .batch_size = WORKER_BATCH,
			                           .pause_ms = db_backend(db) == DB_SQLITE ? WORKER_PAUSE_MS : 0,
			                           .invoice_prefix = w->invoice_prefix,
			                           .per_customer_numbers = w->per_customer_numbers,
			                           .stop = &w->stop_flag};
			struct engine_stats stats = {0};
			struct og_error err = {0};
			enum og_ec ec = engine_run(db, &opts, &stats, &err);
			worker_log_run(&stats, ec, &err);
			purge_expired(db, opts.now);
			if (ec && db_in_txn(db)) { /* never left open, but a broken connection is reopened */
				db_close(db);
				db = NULL;
			}
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	db_close(db);
	return NULL;
}

void cli_worker_wake(struct cli_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->is_woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void wake_cb(void *arg)
{
	cli_worker_wake(arg);
}

struct cli_worker *cli_worker_start(const struct og_config *cfg, struct og_store *st)
{
	(void)st; /* the worker has its own connection: a long batch must not hold the store's */
	if (cfg->billing_interval <= 0)
		return NULL;
	struct cli_worker *w = xcalloc(1, sizeof *w);
	w->interval = cfg->billing_interval;
	snprintf(w->db_url, sizeof w->db_url, "%s", cfg->db_url);
	snprintf(w->invoice_prefix, sizeof w->invoice_prefix, "%s", cfg->invoice_prefix);
	w->per_customer_numbers = cfg->invoice_numbering == OG_NUMBERING_CUSTOMER;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		log_msg(LOG_ERROR, "billing_worker_start", "\"message\":\"pthread_create failed\"");
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	engine_worker_set_waker(wake_cb, w);
	log_msg(LOG_INFO, "billing_worker", "\"interval\":%d", w->interval);
	return w;
}

void cli_worker_stop(struct cli_worker *w)
{
	if (!w)
		return;
	engine_worker_set_waker(NULL, NULL);
	pthread_mutex_lock(&w->lock);
	w->is_stopping = true;
	w->stop_flag = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
