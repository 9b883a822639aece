/* The API test harness (see apitest.h): backends and their databases, the
 * `oneguard` child processes, a libcurl client, JSON assertions and the
 * database fingerprint. Nothing here knows a resource: tests do.
 *
 * Invariants: one backend is live at a time (at_run runs them one after the
 * other); every allocation a test can reach is in the per-test pool, freed
 * by the teardown at_run installs on every test, so a failing assertion
 * (cmocka longjmps out of the test) leaks nothing; helpers that hold a
 * resource (a database connection) release it before failing. */
#include "api/lib/apitest.h"

#include "lib/pg_testdb.h"
#include "store/db.h"
#include "store/store.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define AT_START_TIMEOUT_MS 20000
#define AT_STOP_TIMEOUT_MS  20000
#define AT_LOG_TAIL         4000

struct at_backend {
	const char *name;   /* "sqlite" or "postgres" */
	char db_url[1200];  /* what `oneguard --db` gets and the fingerprint opens */
	char pg_dbname[64]; /* the database we created (postgres) */
	char secret[128];
	char base_url[64];
	char workdir[128];
	char log_path[192];
	char key_path[192]; /* --secret-key-file: in the temp folder for both backends */
	pid_t pid;          /* the server, 0 when not running */
	int exit_status;    /* of the server, once stopped */
	CURL *curl;
};

static struct at_backend backend;
static void fp_close(void);
static const char *og_bin;
static const char *pg_admin_url;
#define AT_MAX_SERVE_ARGS 16
static char *serve_args[AT_MAX_SERVE_ARGS];
static int n_serve_args;
static char current_step[256];

/* ---- per-test memory ------------------------------------------------------ */

struct pool_item {
	void *ptr;
	json_t *json;
	struct pool_item *next;
};
static struct pool_item *pool;

void *at_keep(void *ptr)
{
	struct pool_item *it = calloc(1, sizeof *it);
	if (!it)
		abort();
	it->ptr = ptr;
	it->next = pool;
	pool = it;
	return ptr;
}

json_t *at_keep_json(json_t *json)
{
	struct pool_item *it = calloc(1, sizeof *it);
	if (!it)
		abort();
	it->json = json;
	it->next = pool;
	pool = it;
	return json;
}

static void pool_free(void)
{
	while (pool) {
		struct pool_item *it = pool;
		pool = it->next;
		free(it->ptr);
		json_decref(it->json);
		free(it);
	}
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

char *at_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vfmt(fmt, ap);
	va_end(ap);
	return at_keep(s);
}

char *at_strdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return at_keep(d);
}

char *at_repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memset(s, c, n);
	s[n] = 0;
	return at_keep(s);
}

char *at_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return at_keep(out);
}

void at_step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(current_step, sizeof current_step, fmt, ap);
	va_end(ap);
}

void at_serve_args(const char *const *args)
{
	for (int i = 0; i < n_serve_args; i++)
		free(serve_args[i]);
	n_serve_args = 0;
	for (; args && *args; args++) {
		if (n_serve_args == AT_MAX_SERVE_ARGS) {
			fprintf(stderr, "apitest: more than %d serve arguments\n", AT_MAX_SERVE_ARGS);
			abort();
		}
		serve_args[n_serve_args] = strdup(*args);
		if (!serve_args[n_serve_args])
			abort();
		n_serve_args++;
	}
}

const char *at_backend_name(void)
{
	return backend.name;
}
const char *at_db_url(void)
{
	return backend.db_url;
}
const char *at_log_path(void)
{
	return backend.log_path;
}
const char *at_secret_key_path(void)
{
	return backend.key_path;
}
const char *at_secret(void)
{
	return backend.secret;
}

/* ---- failures ------------------------------------------------------------- */

static void print_response(const struct at_resp *r)
{
	if (!r)
		return;
	print_error("  request:  %s %s\n", r->method, r->path);
	if (r->req_body)
		print_error("  body:     %.600s%s\n", r->req_body, strlen(r->req_body) > 600 ? "..." : "");
	print_error("  response: %ld %.2000s\n", r->status, r->body ? r->body : "");
}

static void fail_at(const char *file, int line, const struct at_resp *r, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	print_error("[%s] %s%s%s\n", backend.name ? backend.name : "-", current_step[0] ? "step '" : "", current_step,
	            current_step[0] ? "': " : "");
	print_error("  %s\n", msg);
	print_response(r);
	_fail(file, line);
}

void at__fail(const char *file, int line, const struct at_resp *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_at(file, line, r, fmt, ap);
	va_end(ap);
}

/* Prints the end of the server log (when something went wrong with it). */
static void print_log_tail(void)
{
	FILE *f = fopen(backend.log_path, "r");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	long from = size > AT_LOG_TAIL ? size - AT_LOG_TAIL : 0;
	fseek(f, from, SEEK_SET);
	char buf[AT_LOG_TAIL + 1];
	size_t n = fread(buf, 1, AT_LOG_TAIL, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "---- end of the server log %s ----\n%s\n---- (end) ----\n", backend.log_path, buf);
}

/* ---- processes ------------------------------------------------------------ */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Our environment without ONEGUARD_* settings, for the children: they get
 * their configuration from the command line only. Built before fork. */
static char **child_env(void)
{
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (!env)
		abort();
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "ONEGUARD_", 9) != 0)
			env[k++] = *e;
	return env;
}

/* In the child: stdout to out_fd (or the log), stderr to the log, dies with
 * us. Only async-signal-safe calls here. */
static void child_exec(char *const argv[], char *const env[], int out_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int log_fd = open(backend.log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0)
		_exit(127);
	dup2(out_fd >= 0 ? out_fd : log_fd, 1);
	dup2(log_fd, 2);
	execve(argv[0], argv, env);
	static const char msg[] = "apitest: cannot run the oneguard binary (OG_BIN)\n";
	ssize_t ignored = write(2, msg, sizeof msg - 1);
	(void)ignored;
	_exit(127);
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
	FILE *f = fopen(backend.log_path, "a");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* Runs argv to completion, its stdout into out (NUL-terminated, trailing
 * newline removed). Returns the exit status, or -1 when it did not exit. */
static int run_capture(char *const argv[], char *out, size_t out_size)
{
	log_line("apitest: running %s %s", argv[0], argv[1]);
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	char **env = child_env();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		free(env);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(argv, env, fds[1]);
	}
	free(env);
	close(fds[1]);
	size_t len = 0;
	char chunk[256];
	for (;;) {
		ssize_t n = read(fds[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n < out_size - 1 - len ? (size_t)n : out_size - 1 - len;
		memcpy(out + len, chunk, take);
		len += take;
	}
	close(fds[0]);
	out[len] = 0;
	while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = 0;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
	socklen_t len = sizeof a;
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* GET path (with our key when authenticated): its status, or 0 when the
 * server does not answer. */
static long probe(const char *path, bool authenticated)
{
	CURL *c = curl_easy_init();
	char url[128], auth[192];
	snprintf(url, sizeof url, "%s%s", backend.base_url, path);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", backend.secret);
	struct curl_slist *hl = authenticated ? curl_slist_append(NULL, auth) : NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	return status;
}

/* Waits up to ms for the server to exit; true when it did (status kept). */
static bool wait_exit(long ms)
{
	long deadline = now_ms() + ms;
	for (;;) {
		int status;
		pid_t p = waitpid(backend.pid, &status, WNOHANG);
		if (p == backend.pid) {
			backend.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			backend.pid = 0;
			return true;
		}
		if (p < 0 && errno != EINTR) {
			backend.pid = 0;
			backend.exit_status = -1;
			return true;
		}
		if (now_ms() > deadline)
			return false;
		sleep_ms(10);
	}
}

/* Starts `oneguard serve` and waits until /healthz answers 200. */
static int server_start(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int port = free_port();
		if (port <= 0) {
			fprintf(stderr, "apitest: no free port\n");
			return -1;
		}
		snprintf(backend.base_url, sizeof backend.base_url, "http://127.0.0.1:%d", port);
		char listen[32];
		snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
		char *argv[16 + AT_MAX_SERVE_ARGS] = {(char *)og_bin,
		                                      "serve",
		                                      "--db",
		                                      backend.db_url,
		                                      "--listen",
		                                      listen,
		                                      "--threads",
		                                      "2",
		                                      "--billing-interval",
		                                      "0",
		                                      "--secret-key-file",
		                                      backend.key_path};
		for (int i = 0; i < n_serve_args; i++)
			argv[12 + i] = serve_args[i];
		log_line("apitest: starting %s serve --listen %s", og_bin, listen);
		char **env = child_env();
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0) {
			free(env);
			return -1;
		}
		if (pid == 0)
			child_exec(argv, env, -1);
		free(env);
		backend.pid = pid;
		long deadline = now_ms() + AT_START_TIMEOUT_MS;
		bool exited = false, foreign = false;
		while (now_ms() < deadline) {
			/* healthy, still our child, and it knows our key: not another
			 * suite's server that took the port before ours could bind it */
			if (probe("/healthz", false) == 200 && !wait_exit(0)) {
				long status = probe("/v1/api_keys?limit=1", true);
				if (status == 200)
					return 0;
				fprintf(stderr,
				        "apitest: [%s] the server on port %d answers %ld to our key (attempt %d)\n",
				        backend.name, port, status, attempt + 1);
				foreign = true;
				break;
			}
			if (wait_exit(0)) {
				exited = true;
				break;
			}
			sleep_ms(20);
		}
		if (foreign) { /* try another port */
			kill(backend.pid, SIGKILL);
			wait_exit(AT_STOP_TIMEOUT_MS);
			continue;
		}
		if (!exited) {
			fprintf(stderr, "apitest: [%s] the server did not answer GET /healthz with 200 within %d ms\n",
			        backend.name, AT_START_TIMEOUT_MS);
			kill(backend.pid, SIGKILL);
			wait_exit(AT_STOP_TIMEOUT_MS);
			print_log_tail();
			return -1;
		}
		fprintf(stderr, "apitest: [%s] the server exited with status %d on start (attempt %d)\n", backend.name,
		        backend.exit_status, attempt + 1);
	}
	print_log_tail();
	return -1;
}

/* ---- PostgreSQL databases ------------------------------------------------- */

/* One database per backend start, og_<pid>_<n>: tests/lib/pg_testdb.h. */
static int pg_create(void)
{
	return pg_testdb_create(pg_admin_url, "og", backend.pg_dbname, sizeof backend.pg_dbname, backend.db_url,
	                        sizeof backend.db_url);
}

static void pg_drop(void)
{
	if (backend.pg_dbname[0] && pg_testdb_drop(pg_admin_url, backend.pg_dbname) == 0)
		backend.pg_dbname[0] = 0;
}

/* ---- a backend's life ----------------------------------------------------- */

static void remove_workdir(void)
{
	if (!backend.workdir[0])
		return;
	const char *keep = getenv("OG_TEST_KEEP");
	if (keep && *keep && strcmp(keep, "0") != 0) {
		fprintf(stderr, "apitest: [%s] kept %s (OG_TEST_KEEP)\n", backend.name, backend.workdir);
		return;
	}
	static const char *const files[] = {"og.db",         "og.db-wal",  "og.db-shm",
	                                    "og.db-journal", "server.log", "secret.key"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", backend.workdir, files[i]);
		unlink(path);
	}
	rmdir(backend.workdir);
	backend.workdir[0] = 0;
}

static int backend_start(void)
{
	snprintf(backend.workdir, sizeof backend.workdir, "/tmp/og-apitest-XXXXXX");
	if (!mkdtemp(backend.workdir)) {
		fprintf(stderr, "apitest: mkdtemp: %s\n", strerror(errno));
		backend.workdir[0] = 0;
		return -1;
	}
	snprintf(backend.log_path, sizeof backend.log_path, "%s/server.log", backend.workdir);
	snprintf(backend.key_path, sizeof backend.key_path, "%s/secret.key", backend.workdir);
	if (!strcmp(backend.name, "sqlite")) {
		snprintf(backend.db_url, sizeof backend.db_url, "sqlite:%s/og.db", backend.workdir);
	} else if (pg_create()) {
		return -1;
	}
	char out[512];
	char *migrate[] = {(char *)og_bin,      "migrate",        "--db", backend.db_url,
	                   "--secret-key-file", backend.key_path, NULL};
	int rc = run_capture(migrate, out, sizeof out);
	if (rc != 0) {
		fprintf(stderr, "apitest: [%s] `oneguard migrate` exited %d\n", backend.name, rc);
		print_log_tail();
		return -1;
	}
	char *keys[] = {(char *)og_bin, "keys", "create", "--db", backend.db_url, NULL};
	rc = run_capture(keys, out, sizeof out);
	if (rc != 0 || strncmp(out, "sk_", 3) != 0 || strchr(out, '\n') || strlen(out) >= sizeof backend.secret) {
		fprintf(stderr, "apitest: [%s] `oneguard keys create` exited %d and printed '%s' (want one sk_ line)\n",
		        backend.name, rc, out);
		print_log_tail();
		return -1;
	}
	memcpy(backend.secret, out, strlen(out) + 1); /* length checked above */
	/* tests make and read ids of this database: key them like the server */
	char err[512];
	struct db_conn *db = db_open(backend.db_url, err, sizeof err);
	rc = db ? store_ids_key_load(db, err, sizeof err) : -1;
	db_close(db);
	if (rc != 0) {
		fprintf(stderr, "apitest: [%s] cannot load the id key: %s\n", backend.name, err);
		return -1;
	}
	if (server_start())
		return -1;
	backend.curl = curl_easy_init();
	return backend.curl ? 0 : -1;
}

static void backend_cleanup(void)
{
	fp_close();
	if (backend.curl) {
		curl_easy_cleanup(backend.curl);
		backend.curl = NULL;
	}
	if (backend.pid > 0) {
		kill(backend.pid, SIGKILL);
		wait_exit(AT_STOP_TIMEOUT_MS);
	}
	pg_drop();
	remove_workdir();
}

static int (*suite_fixtures)(void);

static int group_setup(void **state)
{
	(void)state;
	current_step[0] = 0;
	int rc = backend_start();
	if (rc == 0 && suite_fixtures) {
		at_step("fixtures");
		rc = suite_fixtures();
		current_step[0] = 0;
		if (rc)
			fprintf(stderr, "apitest: [%s] the suite's fixtures failed\n", backend.name);
	}
	if (rc)
		backend_cleanup();
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	pool_free();
	backend_cleanup();
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	pool_free();
	current_step[0] = 0;
	return 0;
}

/* The last test of every group: SIGTERM, exit 0, no sanitizer report. */
static void server_stops_cleanly(void **state)
{
	(void)state;
	if (backend.curl) { /* drop our keep-alive connection first */
		curl_easy_cleanup(backend.curl);
		backend.curl = NULL;
	}
	if (backend.pid <= 0)
		AT_FAIL(NULL, "the server is not running (exit status %d)", backend.exit_status);
	kill(backend.pid, SIGTERM);
	if (!wait_exit(AT_STOP_TIMEOUT_MS)) {
		kill(backend.pid, SIGKILL);
		wait_exit(AT_STOP_TIMEOUT_MS);
		print_log_tail();
		AT_FAIL(NULL, "the server did not exit within %d ms of SIGTERM", AT_STOP_TIMEOUT_MS);
	}
	FILE *f = fopen(backend.log_path, "r");
	char line[4096];
	const char *report = NULL;
	while (f && !report && fgets(line, sizeof line, f)) {
		if (strstr(line, "AddressSanitizer") || strstr(line, "LeakSanitizer") || strstr(line, "runtime error:"))
			report = line;
	}
	if (f)
		fclose(f);
	if (backend.exit_status != 0 || report) {
		print_log_tail();
		AT_FAIL(NULL, "the server exited with status %d%s%s", backend.exit_status,
		        report ? "; sanitizer report: " : "", report ? report : "");
	}
}

int at_run(const char *suite, const struct CMUnitTest *tests, size_t n_tests, int (*fixtures)(void))
{
	og_bin = getenv("OG_BIN");
	if (!og_bin || !*og_bin)
		og_bin = "build/san/oneguard";
	pg_admin_url = getenv("OG_TEST_PG_URL");
	if (pg_admin_url && !*pg_admin_url)
		pg_admin_url = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_ALL) != 0) {
		fprintf(stderr, "apitest: libsodium or libcurl failed to initialise\n");
		return 1;
	}
	struct CMUnitTest *all = calloc(n_tests + 1, sizeof *all);
	if (!all)
		abort();
	for (size_t i = 0; i < n_tests; i++) {
		all[i] = tests[i];
		if (all[i].teardown_func) {
			fprintf(stderr, "apitest: test %s has its own teardown; the harness needs it\n", all[i].name);
			free(all);
			return 1;
		}
		all[i].teardown_func = test_teardown;
	}
	all[n_tests] = (struct CMUnitTest)cmocka_unit_test_teardown(server_stops_cleanly, test_teardown);
	suite_fixtures = fixtures;

	const char *names[2] = {"sqlite", "postgres"};
	int n_backends = pg_admin_url ? 2 : 1;
	if (!pg_admin_url)
		printf("note: OG_TEST_PG_URL is not set: %s runs on SQLite only\n", suite);
	if (access(og_bin, X_OK) != 0)
		fprintf(stderr, "apitest: OG_BIN=%s is not an executable: %s\n", og_bin, strerror(errno));
	int failed = 0;
	for (int b = 0; b < n_backends; b++) {
		memset(&backend, 0, sizeof backend);
		backend.name = names[b];
		char group[160];
		snprintf(group, sizeof group, "%s [%s]", suite, names[b]);
		failed += _cmocka_run_group_tests(group, all, n_tests + 1, group_setup, group_teardown);
	}
	free(all);
	curl_global_cleanup();
	at_serve_args(NULL);
	return failed;
}

/* ---- HTTP ----------------------------------------------------------------- */

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			abort();
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	buf_add(arg, ptr, size * n);
	return size * n;
}

struct headers {
	int n, cap;
	char **names, **values;
};

static void headers_clear(struct headers *h)
{
	for (int i = 0; i < h->n; i++) {
		free(h->names[i]);
		free(h->values[i]);
	}
	h->n = 0;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct headers *h = arg;
	size_t len = size * n;
	if (len >= 5 && !strncmp(ptr, "HTTP/", 5)) { /* a new response (after 100 Continue) */
		headers_clear(h);
		return len;
	}
	const char *colon = memchr(ptr, ':', len);
	if (!colon)
		return len;
	const char *v = colon + 1, *end = ptr + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->names = realloc(h->names, (size_t)h->cap * sizeof *h->names);
		h->values = realloc(h->values, (size_t)h->cap * sizeof *h->values);
		if (!h->names || !h->values)
			abort();
	}
	h->names[h->n] = strndup(ptr, (size_t)(colon - ptr));
	h->values[h->n] = strndup(v, (size_t)(end - v));
	if (!h->names[h->n] || !h->values[h->n])
		abort();
	h->n++;
	return len;
}

const char *at_header(const struct at_resp *r, const char *name)
{
	for (int i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->header_names[i], name))
			return r->header_values[i];
	return NULL;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static struct curl_slist *add_header(struct curl_slist *list, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = vfmt(fmt, ap);
	va_end(ap);
	struct curl_slist *l = curl_slist_append(list, line);
	free(line);
	if (!l)
		abort();
	return l;
}

/* One request in flight: its handle's settings, and what comes back. */
struct pending {
	struct at_resp *r;
	struct curl_slist *hl;
	struct buf body;
	struct headers headers;
};

/* Sets c up to send rq; the response will be filled into p->r. */
static void prepare(CURL *c, const struct at_req *rq, struct pending *p)
{
	memset(p, 0, sizeof *p);
	struct at_resp *r = at_keep(calloc(1, sizeof *r));
	if (!r)
		abort();
	p->r = r;
	r->method = at_strdup(rq->method);
	r->path = at_strdup(rq->path);
	size_t body_len = rq->body ? (rq->body_len ? rq->body_len : strlen(rq->body)) : 0;
	if (rq->body) {
		char *copy = at_keep(malloc(body_len + 1));
		memcpy(copy, rq->body, body_len);
		copy[body_len] = 0;
		r->req_body = copy;
	}

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, at_fmt("%s%s", backend.base_url, rq->path));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	struct curl_slist *hl = NULL;
	if (!rq->auth)
		hl = add_header(hl, "Authorization: Bearer %s", backend.secret);
	else if (*rq->auth)
		hl = add_header(hl, "Authorization: %s", rq->auth);
	if (rq->content_type)
		hl = add_header(hl, "Content-Type: %s", rq->content_type);
	else if (rq->ctype == AT_JSON)
		hl = add_header(hl, "Content-Type: application/json");
	else if (rq->ctype == AT_FORM)
		hl = add_header(hl, "Content-Type: application/x-www-form-urlencoded");
	else
		hl = add_header(hl, "Content-Type:"); /* curl would add a form type to a POST */
	if (rq->idempotency_key)
		hl = add_header(hl, "Idempotency-Key: %s", rq->idempotency_key);
	hl = add_header(hl, "Expect:"); /* send bodies at once, no 100-continue */
	for (const char *const *h = rq->headers; h && *h; h++)
		hl = add_header(hl, "%s", *h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	p->hl = hl;

	if (!strcmp(rq->method, "GET") && !rq->body) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(rq->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
		if (rq->body || !strcmp(rq->method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->req_body ? r->req_body : "");
		}
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &p->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p->headers);
}

/* Moves what came back into p->r (owned by the test) and frees the rest;
 * returns an error message or NULL when the response is acceptable. */
static const char *complete(CURL *c, struct pending *p, CURLcode cc)
{
	struct at_resp *r = p->r;
	curl_slist_free_all(p->hl);
	p->hl = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = at_keep(p->body.data ? p->body.data : strdup(""));
	r->body_len = p->body.len;
	r->n_headers = p->headers.n;
	r->header_names = at_keep(p->headers.names);
	r->header_values = at_keep(p->headers.values);
	for (int i = 0; i < p->headers.n; i++) {
		at_keep(p->headers.names[i]);
		at_keep(p->headers.values[i]);
	}
	if (cc != CURLE_OK)
		return at_fmt("%s %s: %s", r->method, r->path, curl_easy_strerror(cc));
	json_error_t jerr;
	r->json = json_loadb(r->body, r->body_len, 0, &jerr);
	if (!r->json)
		return at_fmt("the response body is not JSON: %s", jerr.text);
	at_keep_json(r->json);
	const char *rid = at_header(r, "Request-Id");
	if (!rid || !*rid)
		return "the response has no Request-Id header";
	const char *ct = at_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0)
		return at_fmt("Content-Type is '%s', not application/json", ct ? ct : "(none)");
	return NULL;
}

struct at_resp *at__send(const char *file, int line, const struct at_req *rq)
{
	CURL *c = backend.curl;
	if (!c)
		at__fail(file, line, NULL, "no server to send %s %s to", rq->method, rq->path);
	struct pending p;
	prepare(c, rq, &p);
	const char *why = complete(c, &p, curl_easy_perform(c));
	if (why)
		at__fail(file, line, p.r, "%s", why);
	return p.r;
}

void at__send_parallel(const char *file, int line, const struct at_req *rqs, int n, struct at_resp **out)
{
	if (!backend.curl)
		at__fail(file, line, NULL, "no server to send to");
	CURLM *m = curl_multi_init();
	CURL **handles = calloc((size_t)n, sizeof *handles);
	struct pending *ps = calloc((size_t)n, sizeof *ps);
	if (!m || !handles || !ps)
		abort();
	for (int i = 0; i < n; i++) {
		handles[i] = curl_easy_init();
		if (!handles[i])
			abort();
		prepare(handles[i], &rqs[i], &ps[i]);
		curl_easy_setopt(handles[i], CURLOPT_FORBID_REUSE, 1L);
		curl_multi_add_handle(m, handles[i]);
	}
	int running = n;
	while (running > 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	CURLcode *codes = calloc((size_t)n, sizeof *codes);
	if (!codes)
		abort();
	for (int i = 0; i < n; i++)
		codes[i] = CURLE_RECV_ERROR; /* unless the multi handle says otherwise */
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left)))
		for (int i = 0; i < n; i++)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == handles[i])
				codes[i] = msg->data.result;
	const char *why = NULL;
	struct at_resp *bad = NULL;
	for (int i = 0; i < n; i++) {
		const char *w = complete(handles[i], &ps[i], codes[i]);
		out[i] = ps[i].r;
		if (w && !why) {
			why = w;
			bad = ps[i].r;
		}
		curl_multi_remove_handle(m, handles[i]);
		curl_easy_cleanup(handles[i]);
	}
	curl_multi_cleanup(m);
	free(codes);
	free(ps);
	free(handles);
	if (why)
		at__fail(file, line, bad, "%s", why);
}

struct at_resp *at__get(const char *file, int line, const char *path_fmt, ...)
{
	va_list ap;
	va_start(ap, path_fmt);
	char *path = at_keep(vfmt(path_fmt, ap));
	va_end(ap);
	return at__send(file, line, &(struct at_req){.method = "GET", .path = path});
}

struct at_resp *at__delete(const char *file, int line, const char *path_fmt, ...)
{
	va_list ap;
	va_start(ap, path_fmt);
	char *path = at_keep(vfmt(path_fmt, ap));
	va_end(ap);
	return at__send(file, line, &(struct at_req){.method = "DELETE", .path = path});
}

struct at_resp *at__post_json(const char *file, int line, const char *path, const char *body_fmt, ...)
{
	va_list ap;
	va_start(ap, body_fmt);
	char *body = at_keep(vfmt(body_fmt, ap));
	va_end(ap);
	return at__send(file, line, &(struct at_req){.method = "POST", .path = path, .ctype = AT_JSON, .body = body});
}

struct at_resp *at__post_form(const char *file, int line, const char *path, const char *body_fmt, ...)
{
	va_list ap;
	va_start(ap, body_fmt);
	char *body = at_keep(vfmt(body_fmt, ap));
	va_end(ap);
	return at__send(file, line, &(struct at_req){.method = "POST", .path = path, .ctype = AT_FORM, .body = body});
}

/* ---- JSON ----------------------------------------------------------------- */

json_t *at_json_path(json_t *root, const char *path)
{
	json_t *v = root;
	const char *p = path;
	while (v && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			char *end;
			long i = strtol(p + 1, &end, 10);
			if (*end != ']' || i < 0)
				return NULL;
			v = json_array_get(v, (size_t)i);
			p = end + 1;
			continue;
		}
		size_t n = strcspn(p, ".[");
		char key[256];
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = 0;
		v = json_object_get(v, key);
		p += n;
	}
	return v;
}

const char *at_str(const struct at_resp *r, const char *path)
{
	return json_string_value(at_json_path(r->json, path));
}

static const char *describe(json_t *v)
{
	if (!v)
		return "(absent)";
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return s ? at_keep(s) : "(?)";
}

void at__expect_status(const char *file, int line, const struct at_resp *r, long status)
{
	if (r->status != status)
		at__fail(file, line, r, "status %ld, want %ld", r->status, status);
}

void at__expect_str(const char *file, int line, const struct at_resp *r, const char *path, const char *want)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
		at__fail(file, line, r, "%s is %s, want \"%s\"", path, describe(v), want);
}

void at__expect_int(const char *file, int line, const struct at_resp *r, const char *path, long long want)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_integer(v) || json_integer_value(v) != want)
		at__fail(file, line, r, "%s is %s, want %lld", path, describe(v), want);
}

void at__expect_bool(const char *file, int line, const struct at_resp *r, const char *path, bool want)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_boolean(v) || json_is_true(v) != want)
		at__fail(file, line, r, "%s is %s, want %s", path, describe(v), want ? "true" : "false");
}

void at__expect_null(const char *file, int line, const struct at_resp *r, const char *path)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_null(v))
		at__fail(file, line, r, "%s is %s, want null", path, describe(v));
}

void at__expect_absent(const char *file, int line, const struct at_resp *r, const char *path)
{
	json_t *v = at_json_path(r->json, path);
	if (v)
		at__fail(file, line, r, "%s is %s, want it absent", path, describe(v));
}

void at__expect_prefix(const char *file, int line, const struct at_resp *r, const char *path, const char *prefix)
{
	json_t *v = at_json_path(r->json, path);
	if (!json_is_string(v) || strncmp(json_string_value(v), prefix, strlen(prefix)) != 0)
		at__fail(file, line, r, "%s is %s, want a string starting \"%s\"", path, describe(v), prefix);
}

void at__expect_header(const char *file, int line, const struct at_resp *r, const char *name, const char *want)
{
	const char *v = at_header(r, name);
	if (!v || strcmp(v, want) != 0)
		at__fail(file, line, r, "header %s is '%s', want '%s'", name, v ? v : "(absent)", want);
}

void at__expect_error(const char *file, int line, const struct at_resp *r, long status, const char *type,
                      const char *code, const char *param)
{
	at__expect_status(file, line, r, status);
	json_t *err = json_object_get(r->json, "error");
	if (!json_is_object(err))
		at__fail(file, line, r, "no error object");
	at__expect_str(file, line, r, "error.type", type);
	if (code)
		at__expect_str(file, line, r, "error.code", code);
	json_t *p = json_object_get(err, "param");
	if (param) {
		at__expect_str(file, line, r, "error.param", param);
	} else if (p && !json_is_null(p)) {
		at__fail(file, line, r, "error.param is %s, want null", describe(p));
	}
	const char *msg = json_string_value(json_object_get(err, "message"));
	if (!msg || !*msg)
		at__fail(file, line, r, "error.message is empty");
}

void at__expect_list(const char *file, int line, const struct at_resp *r, const char *url, size_t n, bool has_more)
{
	at__expect_status(file, line, r, 200);
	at__expect_str(file, line, r, "object", "list");
	at__expect_str(file, line, r, "url", url);
	at__expect_bool(file, line, r, "has_more", has_more);
	json_t *data = json_object_get(r->json, "data");
	if (!json_is_array(data) || json_array_size(data) != n)
		at__fail(file, line, r, "data has %zu item(s), want %zu",
		         json_is_array(data) ? json_array_size(data) : 0, n);
}

/* ---- the database fingerprint --------------------------------------------- */

/* One connection per backend, opened on first use and closed with the
 * backend; the schema (tables, columns, the SELECT for each) is read once
 * per connection: migrations do not run while tests do. Drivers cache
 * prepared statements by the address of their SQL text, so every SQL string
 * lives until the connection is closed. */
#define FP_MAX_TABLES 128
#define FP_MAX_COLS   64

struct fp_table {
	char name[64];
	int n_cols;
	char cols[FP_MAX_COLS][64];
	char *select;
};

static struct {
	struct db_conn *db;
	int n_tables; /* -1: schema not read yet */
	struct fp_table tables[FP_MAX_TABLES];
	char err[512];
	const char *needle; /* at_db_find: the text looked for */
	char found[192];    /* where it was found: "table.column" */
} fp = {.n_tables = -1};

static void fp_close(void)
{
	db_close(fp.db);
	fp.db = NULL;
	for (int i = 0; i < fp.n_tables; i++)
		free(fp.tables[i].select);
	fp.n_tables = -1;
}

/* Appends to a NUL-terminated buffer, truncating. */
static void appendf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Reads column 0 of every row of sql into names (at most max). */
static int fp_names(const char *sql, const char *arg, char names[][64], int max, int *n)
{
	struct db_param p[1] = {DB_TEXT(arg)};
	struct db_res *res = NULL;
	enum db_rc rc = db_exec(fp.db, sql, p, arg ? 1 : 0, &res);
	*n = 0;
	if (rc != DB_OK) {
		snprintf(fp.err, sizeof fp.err, "%s: %s", sql, db_errmsg(fp.db));
		return -1;
	}
	while ((rc = db_next(res)) == DB_ROW) {
		if (*n == max) {
			snprintf(fp.err, sizeof fp.err, "more than %d names from %s", max, sql);
			db_res_free(res);
			return -1;
		}
		snprintf(names[(*n)++], 64, "%s", db_text(res, 0) ? db_text(res, 0) : "");
	}
	db_res_free(res);
	if (rc != DB_DONE) {
		snprintf(fp.err, sizeof fp.err, "%s: %s", sql, db_errmsg(fp.db));
		return -1;
	}
	return 0;
}

/* Columns of t and its SELECT: every column as text, ordered by the primary
 * key and then by every column (a total order even without a key). */
static int fp_table_schema(struct fp_table *t)
{
	static char pk[16][64];
	int n_pk = 0;
	if (db_backend(fp.db) == DB_POSTGRES) {
		if (fp_names("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
		             "AND table_name = $1 ORDER BY ordinal_position",
		             t->name, t->cols, FP_MAX_COLS, &t->n_cols) ||
		    fp_names(
		        "SELECT k.column_name FROM information_schema.table_constraints c "
		        "JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name "
		        "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
		        "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' AND c.table_name = $1 "
		        "ORDER BY k.ordinal_position",
		        t->name, pk, 16, &n_pk))
			return -1;
	} else {
		if (fp_names("SELECT name FROM pragma_table_info($1) ORDER BY cid", t->name, t->cols, FP_MAX_COLS,
		             &t->n_cols) ||
		    fp_names("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk", t->name, pk, 16, &n_pk))
			return -1;
	}
	if (t->n_cols == 0) {
		snprintf(fp.err, sizeof fp.err, "table %s has no columns", t->name);
		return -1;
	}
	char select[8192] = "SELECT ", order[2048] = " ORDER BY ";
	for (int i = 0; i < t->n_cols; i++)
		appendf(select, sizeof select, "%sCAST(\"%s\" AS TEXT)", i ? ", " : "", t->cols[i]);
	for (int i = 0; i < n_pk; i++)
		appendf(order, sizeof order, "\"%s\", ", pk[i]);
	for (int i = 0; i < t->n_cols; i++)
		appendf(order, sizeof order, "%d%s", i + 1, i + 1 < t->n_cols ? ", " : "");
	if (asprintf(&t->select, "%s FROM \"%s\"%s", select, t->name, order) < 0)
		abort();
	return 0;
}

static int fp_schema(void)
{
	static char names[FP_MAX_TABLES][64];
	int n = 0;
	const char *sql = db_backend(fp.db) == DB_POSTGRES
	                      ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
	                        "AND table_type = 'BASE TABLE' ORDER BY table_name"
	                      : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
	                        "ORDER BY name";
	if (fp_names(sql, NULL, names, FP_MAX_TABLES, &n))
		return -1;
	if (n == 0) {
		snprintf(fp.err, sizeof fp.err, "the database has no tables");
		return -1;
	}
	fp.n_tables = 0;
	for (int i = 0; i < n; i++) {
		struct fp_table *t = &fp.tables[i];
		memset(t, 0, sizeof *t);
		memcpy(t->name, names[i], sizeof t->name); /* both 64 bytes, NUL-terminated */
		fp.n_tables = i + 1;
		if (fp_table_schema(t))
			return -1;
	}
	return 0;
}

static void hash_field(crypto_generichash_state *st, const char *s, bool is_null)
{
	unsigned char tag = is_null ? 'N' : 'V';
	crypto_generichash_update(st, &tag, 1);
	if (is_null)
		return;
	uint64_t len = strlen(s);
	crypto_generichash_update(st, (const unsigned char *)&len, sizeof len);
	crypto_generichash_update(st, (const unsigned char *)s, len);
}

static int fp_table_hash(const struct fp_table *t, crypto_generichash_state *all, char *summary, size_t summary_size)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	hash_field(&st, t->name, false);
	for (int i = 0; i < t->n_cols; i++)
		hash_field(&st, t->cols[i], false);
	struct db_res *res = NULL;
	enum db_rc rc = db_exec(fp.db, t->select, NULL, 0, &res);
	if (rc != DB_OK) {
		snprintf(fp.err, sizeof fp.err, "%s: %s", t->select, db_errmsg(fp.db));
		return -1;
	}
	long n_rows = 0;
	while ((rc = db_next(res)) == DB_ROW) {
		n_rows++;
		hash_field(&st, "row", false);
		for (int i = 0; i < t->n_cols; i++) {
			const char *value = db_isnull(res, i) ? NULL : db_text(res, i);
			hash_field(&st, value, value == NULL);
			if (fp.needle && value && !fp.found[0] && strstr(value, fp.needle))
				appendf(fp.found, sizeof fp.found, "%.64s.%.64s", t->name, t->cols[i]);
		}
	}
	db_res_free(res);
	if (rc != DB_DONE) {
		snprintf(fp.err, sizeof fp.err, "%s: %s", t->select, db_errmsg(fp.db));
		return -1;
	}
	unsigned char h[32];
	crypto_generichash_final(&st, h, sizeof h);
	crypto_generichash_update(all, h, sizeof h);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	appendf(summary, summary_size, "%s%s:%ld:%.8s", summary[0] ? " " : "", t->name, n_rows, hex);
	return 0;
}

/* One attempt: a read transaction over every table. */
static int fp_once(struct at_fingerprint *out)
{
	if (!fp.db) {
		fp.db = db_open(backend.db_url, fp.err, sizeof fp.err);
		if (!fp.db)
			return -1;
	}
	if (db_begin(fp.db, false) != DB_OK) {
		snprintf(fp.err, sizeof fp.err, "BEGIN: %s", db_errmsg(fp.db));
		return -1;
	}
	int rc = fp.n_tables < 0 ? fp_schema() : 0;
	crypto_generichash_state all;
	crypto_generichash_init(&all, NULL, 0, 32);
	out->summary[0] = 0;
	fp.found[0] = 0;
	for (int i = 0; rc == 0 && i < fp.n_tables; i++)
		rc = fp_table_hash(&fp.tables[i], &all, out->summary, sizeof out->summary);
	db_rollback(fp.db);
	if (rc)
		return -1;
	unsigned char h[32];
	crypto_generichash_final(&all, h, sizeof h);
	sodium_bin2hex(out->hash, sizeof out->hash, h, sizeof h);
	return 0;
}

/* Fingerprints the database; with needle, also notes where it occurs. A
 * failure (a busy database, a dropped connection) starts over on a new
 * connection a few times before failing the test. */
static void fingerprint(const char *file, int line, struct at_fingerprint *out, const char *needle, char *found,
                        size_t found_size)
{
	memset(out, 0, sizeof *out);
	fp.needle = needle;
	int rc = -1;
	for (int attempt = 0; attempt < 10 && rc; attempt++) {
		if (attempt) {
			fp_close();
			sleep_ms(50);
		}
		rc = fp_once(out);
	}
	fp.needle = NULL;
	if (found)
		snprintf(found, found_size, "%s", rc ? "" : fp.found);
	if (rc) {
		char err[512];
		snprintf(err, sizeof err, "%s", fp.err);
		fp_close();
		at__fail(file, line, NULL, "cannot fingerprint the database %s: %s", backend.db_url, err);
	}
}

void at__fingerprint(const char *file, int line, struct at_fingerprint *out)
{
	fingerprint(file, line, out, NULL, NULL, 0);
}

const char *at__db_find(const char *file, int line, const char *needle)
{
	struct at_fingerprint unused;
	char found[192];
	fingerprint(file, line, &unused, needle, found, sizeof found);
	return found[0] ? at_strdup(found) : NULL;
}

void at__expect_unchanged(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r)
{
	struct at_fingerprint now;
	at__fingerprint(file, line, &now);
	if (strcmp(now.hash, before->hash) != 0)
		at__fail(file, line, r, "the request wrote to the database:\n    before: %s\n    after:  %s",
		         before->summary, now.summary);
}

/* The summary's "table:rows:hash" entry of table, copied into out ("" when absent). */
static void fp_entry(const char *summary, const char *table, char *out, size_t size)
{
	size_t n = strlen(table);
	out[0] = 0;
	for (const char *p = summary; p && *p; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL)
		if (strncmp(p, table, n) == 0 && p[n] == ':') {
			size_t len = strcspn(p, " ");
			snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), p);
			return;
		}
}

void at__expect_only_audited(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r)
{
	struct at_fingerprint now;
	at__fingerprint(file, line, &now);
	/* every other table as before: the summaries without audit_logs' entry */
	char was[sizeof before->summary], is[sizeof now.summary], e_was[128], e_is[128];
	fp_entry(before->summary, "audit_logs", e_was, sizeof e_was);
	fp_entry(now.summary, "audit_logs", e_is, sizeof e_is);
	snprintf(was, sizeof was, "%s", before->summary);
	snprintf(is, sizeof is, "%s", now.summary);
	char *w = strstr(was, e_was), *i = strstr(is, e_is);
	if (!e_was[0] || !e_is[0] || !w || !i)
		at__fail(file, line, r, "no audit_logs table in the fingerprint: %s", now.summary);
	memmove(w, w + strlen(e_was), strlen(w + strlen(e_was)) + 1);
	memmove(i, i + strlen(e_is), strlen(i + strlen(e_is)) + 1);
	if (strcmp(was, is) != 0)
		at__fail(file, line, r, "the request wrote more than its audit row:\n    before: %s\n    after:  %s",
		         before->summary, now.summary);
	long n_was = strtol(strchr(e_was, ':') + 1, NULL, 10), n_is = strtol(strchr(e_is, ':') + 1, NULL, 10);
	if (n_is != n_was + 1)
		at__fail(file, line, r, "audit_logs went from %ld to %ld rows, want one more", n_was, n_is);
}

void at__expect_changed(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r)
{
	struct at_fingerprint now;
	at__fingerprint(file, line, &now);
	if (strcmp(now.hash, before->hash) == 0)
		at__fail(file, line, r, "the database did not change: %s", now.summary);
}
