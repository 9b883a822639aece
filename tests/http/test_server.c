/* Tests for src/http/server.c (with router.c, metrics.c and api/health.c)
 * over real sockets, with the store, authentication and idempotency
 * stubbed here: the HTTP tests link only src/core and params.o, so this file
 * includes the server's sources and provides the rest. A stub executor
 * thread stands in for the store's writer, so write jobs really complete on
 * another thread and hop back to their loop.
 *
 * Covered: routing (404/405/HEAD), the JSON error envelope and its headers,
 * query strings with raw and encoded brackets, body content types (JSON,
 * form, charset, 415), the body limit (JSON 413) and evhttp's hard cap,
 * oversized headers, auth, read and write dispatch, an uncommitted write
 * (500), an idempotent replay, /healthz, /metrics, a client leaving while its
 * write job runs, a flow's steps (ROUTE_FLOW: pool, executor, loop; a
 * failing step kept; a client leaving mid-flow), concurrency over
 * keep-alive connections, and a graceful
 * stop by SIGTERM that still answers the write in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/health.c"
#include "http/access.c"
#include "http/metrics.c"
#include "http/router.c"
#include "http/server.c"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <sys/time.h>

/* ---- stubs: store, database, auth, idempotency ------------------------- */

static char fake_conn;
static atomic_bool health_fails;
static atomic_bool next_commit_fails;
static atomic_int slow_ms;
static atomic_int jobs_run;
static atomic_int audits;            /* audit_write calls */
static atomic_bool next_audit_fails; /* the next audit_write answers 503 */
static atomic_bool last_kept;        /* the last job's run() result (kept = committed) */

struct db_conn *store_thread_conn(struct og_store *st)
{
	(void)st;
	return (struct db_conn *)&fake_conn;
}
void store_thread_release(struct og_store *st)
{
	(void)st;
}
enum db_rc db_begin(struct db_conn *c, bool write)
{
	(void)c;
	(void)write;
	return DB_OK;
}
enum db_rc db_commit(struct db_conn *c)
{
	(void)c;
	return DB_OK;
}
enum db_rc db_rollback(struct db_conn *c)
{
	(void)c;
	return DB_OK;
}
bool db_in_txn(struct db_conn *c)
{
	(void)c;
	return false;
}
enum db_rc db_query_int(struct db_conn *c, const char *sql, const struct db_param *params, int n_params, int64_t *out)
{
	(void)c;
	(void)sql;
	(void)params;
	(void)n_params;
	if (atomic_load(&health_fails))
		return DB_ERROR;
	*out = 1;
	return DB_OK;
}

/* the executor: one thread, FIFO */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct store_job *q_head, *q_tail;
static bool q_stop;
static pthread_t executor;

void store_submit(struct og_store *st, struct store_job *job)
{
	(void)st;
	job->next = NULL;
	pthread_mutex_lock(&q_lock);
	if (q_tail)
		q_tail->next = job;
	else
		q_head = job;
	q_tail = job;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
}

static void *executor_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q_lock);
	for (;;) {
		while (!q_head && !q_stop)
			pthread_cond_wait(&q_cond, &q_lock);
		if (!q_head && q_stop)
			break;
		struct store_job *job = q_head;
		q_head = job->next;
		if (!q_head)
			q_tail = NULL;
		pthread_mutex_unlock(&q_lock);
		int ms = atomic_load(&slow_ms);
		if (ms)
			usleep((useconds_t)ms * 1000);
		job->kept = job->run(job, (struct db_conn *)&fake_conn);
		atomic_store(&last_kept, job->kept);
		atomic_fetch_add(&jobs_run, 1);
		bool committed = job->kept && !atomic_exchange(&next_commit_fails, false);
		job->complete(job, committed);
		pthread_mutex_lock(&q_lock);
	}
	pthread_mutex_unlock(&q_lock);
	return NULL;
}

enum og_ec auth_authenticate(struct og_req *rq, struct db_conn *db)
{
	(void)db;
	if (!rq->authorization)
		return OG_EC_NONE; /* anonymous: access_check answers 401 */
	if (strcmp(rq->authorization, "Bearer sk_good") != 0)
		return og_err(&rq->err, OG_EC_AUTH_INVALID, NULL, "Invalid API key provided.");
	rq->actor.kind = ACTOR_API_KEY;
	rq->actor.api_key_id = 7;
	return OG_EC_NONE;
}

/* access.c's CSRF check for cookie sessions: no sessions here */
enum og_ec accounts_csrf_check(const struct og_session *session, const char *header, struct og_error *err)
{
	(void)session;
	(void)header;
	return og_err(err, OG_EC_CSRF_INVALID, NULL, "no sessions in this test");
}

enum og_ec idem_run(struct og_req *rq, api_handler_fn fn)
{
	if (rq->idempotency_key && !strcmp(rq->idempotency_key, "replay")) {
		rq->reply_text = arena_strdup(rq->arena, "{\"stored\":true}");
		rq->status = 200;
		rq->is_stored_reply = true;
		return OG_EC_NONE;
	}
	return fn(rq);
}

/* audit.c's hook, counted: the server calls it once after a write handler
 * succeeded, and its failure fails the write (nothing commits) */
enum og_ec audit_write(struct og_req *rq, const struct route *route)
{
	(void)route;
	assert_non_null(rq->db); /* inside the write's transaction */
	atomic_fetch_add(&audits, 1);
	if (atomic_exchange(&next_audit_fails, false))
		return og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.");
	return OG_EC_NONE;
}

/* ---- the test routes ---------------------------------------------------- */

/* Replies {"query":..,"body":..,"form":bool,"method":..,"actor":n,"db":bool,"params":[..]} */
/* The test handlers build their replies with jansson; the server sends text. */
static void reply_json(struct og_req *rq, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	rq->reply_text = arena_strdup(rq->arena, text);
	free(text);
	json_decref(o);
}

static enum og_ec echo(struct og_req *rq)
{
	json_t *o = json_object();
	json_object_set(o, "query", rq->query);
	json_object_set(o, "body", rq->body);
	json_object_set_new(o, "form", json_boolean(rq->body_is_form));
	json_object_set_new(o, "method", json_string(rq->method_name));
	json_object_set_new(o, "actor", json_integer(rq->actor.api_key_id));
	json_object_set_new(o, "db", json_boolean(rq->db != NULL));
	json_object_set_new(o, "raw_len", json_integer((json_int_t)rq->body_len));
	json_t *params = json_array();
	for (int i = 0; i < rq->n_path_params; i++)
		json_array_append_new(params, json_string(req_path_param(rq, i)));
	json_object_set_new(o, "params", params);
	reply_json(rq, o);
	return OG_EC_NONE;
}

static enum og_ec created(struct og_req *rq)
{
	reply_json(rq, json_pack("{s:s}", "object", "thing"));
	rq->status = 201;
	return OG_EC_NONE;
}

static enum og_ec conflict(struct og_req *rq)
{
	return og_err(&rq->err, OG_EC_STATE_CONFLICT, "status", "The thing is in the wrong state.");
}

static enum og_ec unfilled(struct og_req *rq)
{
	(void)rq;
	return OG_EC_FORBIDDEN; /* an error code without rq->err filled */
}

static enum og_ec silent(struct og_req *rq)
{
	(void)rq;
	return OG_EC_NONE; /* success without a reply: our bug */
}

static enum og_ec long_message(struct og_req *rq)
{
	/* a message cut in the middle of a UTF-8 character by og_error's buffer */
	char text[400];
	size_t n = 0;
	text[n++] = 'x';
	while (n + 2 < sizeof text) {
		text[n++] = (char)0xC3;
		text[n++] = (char)0xA9;
	}
	text[n] = 0;
	return og_err(&rq->err, OG_EC_PARAM_INVALID, "name", "%s", text);
}

static enum og_ec params_handler(struct og_req *rq)
{
	int64_t gte = 0;
	struct param_spec created_spec[] = {PARAM_TIMESTAMP("gte", &gte, NULL, 0), PARAM_END};
	struct param_spec spec[] = {PARAM_OBJECT("created", created_spec, NULL, 0), PARAM_END};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	reply_json(rq, json_pack("{s:I}", "gte", (json_int_t)gte));
	return OG_EC_NONE;
}

/* A flow (ROUTE_FLOW): the handler on the loop, a work step on the pool
 * (no database), a transaction step on the executor (?fail=1: it fails
 * and is kept), then the answer on the loop. Each step notes where it ran. */
static atomic_int flow_work_ms;
static atomic_int flow_txns;
struct flow_state {
	pthread_t loop;
	bool work_off_loop, work_no_db, txn_db, next_on_loop;
	bool fail;
};

static enum og_ec flow_txn(struct og_req *rq)
{
	struct flow_state *f = rq->flow;
	f->txn_db = rq->db == (struct db_conn *)&fake_conn;
	atomic_fetch_add(&flow_txns, 1);
	if (f->fail)
		return og_err(&rq->err, OG_EC_STATE_CONFLICT, NULL, "failed, and kept");
	return OG_EC_NONE;
}

static enum og_ec flow_answer(struct og_req *rq, enum og_ec ec)
{
	struct flow_state *f = rq->flow;
	f->next_on_loop = f->next_on_loop && pthread_equal(pthread_self(), f->loop);
	if (ec)
		return ec;
	reply_json(rq, json_pack("{s:b,s:b,s:b,s:b}", "work_off_loop", f->work_off_loop, "work_no_db", f->work_no_db,
	                         "txn_db", f->txn_db, "next_on_loop", f->next_on_loop));
	return OG_EC_NONE;
}

static enum og_ec flow_work(struct og_req *rq)
{
	struct flow_state *f = rq->flow;
	f->work_off_loop = !pthread_equal(pthread_self(), f->loop);
	f->work_no_db = rq->db == NULL;
	int ms = atomic_load(&flow_work_ms);
	if (ms)
		usleep((useconds_t)ms * 1000);
	return OG_EC_NONE;
}

static enum og_ec flow_worked(struct og_req *rq, enum og_ec ec)
{
	struct flow_state *f = rq->flow;
	f->next_on_loop = pthread_equal(pthread_self(), f->loop);
	return ec ? ec : req_then_txn(rq, flow_txn, true, flow_answer);
}

static enum og_ec flow_handler(struct og_req *rq)
{
	struct flow_state *f = arena_alloc(rq->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->loop = pthread_self();
	f->fail = json_object_get(rq->query, "fail") != NULL;
	rq->flow = f;
	return req_then_work(rq, flow_work, flow_worked);
}

const struct route routes[] = {
    {"POST", "/flow", flow_handler, "", AC_ANON, ROUTE_FLOW, 0},
    {"GET", "/healthz", api_health_get, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/metrics", api_metrics_get, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/echo", echo, "", AC_ANON, ROUTE_READ, 0},
    {"GET", "/echo/{a}/x/{b}", echo, "", AC_ANON, ROUTE_READ, 0},
    {"POST", "/echo", echo, "", AC_ANON, ROUTE_WRITE, 0},
    {"POST", "/raw", echo, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/private", echo, "private", AC_SK, ROUTE_READ, 0},
    {"POST", "/private", echo, "private", AC_SK, ROUTE_WRITE, 0},
    {"POST", "/things", created, "", AC_ANON, ROUTE_WRITE, 0},
    {"POST", "/conflict", conflict, "", AC_ANON, ROUTE_WRITE, 0},
    {"GET", "/unfilled", unfilled, "", AC_ANON, ROUTE_READ, 0},
    {"GET", "/silent", silent, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/long", long_message, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/params", params_handler, "", AC_ANON, ROUTE_READ, 0},
    {NULL, NULL, NULL, "", AC_ANON, ROUTE_RAW, 0},
};

/* ---- the server under test ------------------------------------------------ */

static struct og_config cfg;
static pthread_t server_thread;
static int serve_rc = -1;
static int port;

static void *server_main(void *arg)
{
	(void)arg;
	serve_rc = http_serve(&cfg, (struct og_store *)&fake_conn);
	return NULL;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	int p = bound_port(fd);
	close(fd);
	return p;
}

static int raw_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		data += w;
		len -= (size_t)w;
	}
}

/* Sends raw bytes, reads until the server closes or the timeout; returns
 * the response text (malloc'd). */
static char *raw_exchange(const char *request, size_t len)
{
	int fd = raw_connect();
	assert_true(fd >= 0);
	send_all(fd, request, len);
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap + 1);
	for (;;) {
		ssize_t r = recv(fd, out + n, cap - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap)
			break;
	}
	out[n] = 0;
	close(fd);
	return out;
}

static int setup_server(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_level(getenv("TEST_LOG") ? LOG_INFO : LOG_WARN);
	config_defaults(&cfg);
	port = free_port();
	cfg.listen_port = port;
	cfg.n_threads = 2;
	cfg.body_limit = 1024;
	cfg.idle_timeout = 1;
	pthread_create(&executor, NULL, executor_main, NULL);
	pthread_create(&server_thread, NULL, server_main, NULL);
	for (int i = 0; i < 200; i++) { /* wait until it answers */
		int fd = raw_connect();
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

/* ---- a small client ------------------------------------------------------- */

struct resp {
	long status;
	char *body;
	size_t len;
	char headers[8192];
	size_t hlen;
	json_t *json;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	r->body = realloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, data, size * n);
	r->len += size * n;
	r->body[r->len] = 0;
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t k = size * n;
	if (r->hlen + k < sizeof r->headers) {
		memcpy(r->headers + r->hlen, data, k);
		r->hlen += k;
		r->headers[r->hlen] = 0;
	}
	return k;
}

/* One request. extra is a NULL-terminated list of header lines. */
static void request(CURL *curl, const char *method, const char *path, const char *body, size_t body_len,
                    const char *const *extra, struct resp *r)
{
	memset(r, 0, sizeof *r);
	char url[2048];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	bool own = !curl;
	if (own)
		curl = curl_easy_init();
	else
		curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	struct curl_slist *list = curl_slist_append(NULL, "Expect:");
	for (int i = 0; extra && extra[i]; i++)
		list = curl_slist_append(list, extra[i]);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(list);
	if (own)
		curl_easy_cleanup(curl);
	if (r->body)
		r->json = json_loadb(r->body, r->len, 0, NULL);
}

static void resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
}

static bool has_header(const struct resp *r, const char *line)
{
	return strcasestr(r->headers, line) != NULL;
}

static const char *err_field(const struct resp *r, const char *field)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), field));
}

static void check_error(const struct resp *r, long status, const char *code, const char *param)
{
	if (r->status != status)
		fail_msg("status %ld, want %ld: %s", r->status, status, r->body ? r->body : "");
	assert_non_null(r->json);
	assert_string_equal(err_field(r, "code"), code);
	assert_non_null(err_field(r, "type"));
	assert_non_null(err_field(r, "message"));
	if (param)
		assert_string_equal(err_field(r, "param"), param);
	else
		assert_null(json_object_get(json_object_get(r->json, "error"), "param"));
	assert_true(has_header(r, "Content-Type: application/json"));
	assert_true(has_header(r, "Request-Id: req_"));
}

/* ---- tests ---------------------------------------------------------------- */

static void test_healthz(void **state)
{
	(void)state;
	struct resp r;
	request(NULL, "GET", "/healthz", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\",\"database\":\"ok\"}");
	assert_true(has_header(&r, "Content-Type: application/json\r\n"));
	const char *id = strcasestr(r.headers, "Request-Id: ");
	assert_non_null(id);
	id += 12;
	assert_memory_equal(id, "req_", 4);
	for (int i = 4; i < 20; i++)
		assert_non_null(strchr(base62, id[i]));
	assert_memory_equal(id + 20, "\r\n", 2);
	assert_false(has_header(&r, "Stripe-Should-Retry"));
	resp_free(&r);

	atomic_store(&health_fails, true);
	request(NULL, "GET", "/healthz", NULL, 0, NULL, &r);
	check_error(&r, 503, "service_unavailable", NULL);
	assert_true(has_header(&r, "Stripe-Should-Retry: true"));
	resp_free(&r);
	atomic_store(&health_fails, false);
}

static void test_routing(void **state)
{
	(void)state;
	struct resp r;
	request(NULL, "GET", "/nope", NULL, 0, NULL, &r);
	check_error(&r, 404, "route_missing", NULL);
	assert_non_null(strstr(err_field(&r, "message"), "GET: /nope"));
	resp_free(&r);
	request(NULL, "GET", "/healthz/", NULL, 0, NULL, &r);
	check_error(&r, 404, "route_missing", NULL);
	resp_free(&r);
	request(NULL, "DELETE", "/echo", NULL, 0, NULL, &r);
	check_error(&r, 405, "method_not_allowed", NULL);
	assert_true(has_header(&r, "Allow: GET, POST\r\n"));
	resp_free(&r);
	request(NULL, "PATCH", "/healthz", NULL, 0, NULL, &r);
	check_error(&r, 405, "method_not_allowed", NULL);
	resp_free(&r);
	request(NULL, "OPTIONS", "/healthz", NULL, 0, NULL, &r);
	check_error(&r, 405, "method_not_allowed", NULL);
	assert_true(has_header(&r, "Allow: GET\r\n"));
	resp_free(&r);

	/* HEAD: the GET route, its length, no body */
	request(NULL, "HEAD", "/healthz", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	assert_true(has_header(&r, "Content-Length: 31\r\n"));
	resp_free(&r);

	/* the path is decoded before matching; captures are decoded too */
	request(NULL, "GET", "/%65cho/a%20b/x/%E2%82%AC", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *params = json_object_get(r.json, "params");
	assert_string_equal(json_string_value(json_array_get(params, 0)), "a b");
	assert_string_equal(json_string_value(json_array_get(params, 1)), "\xE2\x82\xAC");
	resp_free(&r);
	static const char *const bad[] = {"/echo%ZZ", "/echo%2", "/%00", "/%FF", "/echo/%C3/x/y"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		request(NULL, "GET", bad[i], NULL, 0, NULL, &r);
		check_error(&r, 404, "route_missing", NULL);
		resp_free(&r);
	}
}

static void test_query(void **state)
{
	(void)state;
	struct resp r;
	/* raw brackets reach the parser: evhttp 2.1 parses request URIs with EVHTTP_URI_NONCONFORMANT */
	char *raw = raw_exchange("GET /echo?created[gte]=5&metadata%5Bk%5D=v+w&a[]=1&a[]=2 HTTP/1.1\r\n"
	                         "Host: x\r\nConnection: close\r\n\r\n",
	                         strlen("GET /echo?created[gte]=5&metadata%5Bk%5D=v+w&a[]=1&a[]=2 HTTP/1.1\r\n"
	                                "Host: x\r\nConnection: close\r\n\r\n"));
	assert_non_null(strstr(raw, "HTTP/1.1 200"));
	assert_non_null(
	    strstr(raw, "\"query\":{\"created\":{\"gte\":\"5\"},\"metadata\":{\"k\":\"v w\"},\"a\":[\"1\",\"2\"]}"));
	free(raw);

	request(NULL, "GET", "/params?created[gte]=1700000000", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "gte")), 1700000000);
	resp_free(&r);
	request(NULL, "GET", "/params?created%5Bgte%5D=x", NULL, 0, NULL, &r);
	check_error(&r, 400, "parameter_invalid_integer", "created[gte]");
	resp_free(&r);
	request(NULL, "GET", "/params?created[lt]=1", NULL, 0, NULL, &r);
	check_error(&r, 400, "parameter_unknown", "created[lt]");
	resp_free(&r);
	request(NULL, "GET", "/echo?a=%ZZ", NULL, 0, NULL, &r);
	check_error(&r, 400, "body_invalid", "a");
	resp_free(&r);
	request(NULL, "GET", "/echo?", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_object_size(json_object_get(r.json, "query")), 0);
	resp_free(&r);
}

static void test_bodies(void **state)
{
	(void)state;
	struct resp r;
	const char *json_ct[] = {"Content-Type: application/json", NULL};
	const char *json_charset[] = {"Content-Type: Application/JSON; charset=\"UTF-8\"", NULL};
	const char *form_ct[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	const char *form_charset[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	const char *latin1[] = {"Content-Type: application/x-www-form-urlencoded; charset=iso-8859-1", NULL};
	const char *text[] = {"Content-Type: text/plain", NULL};
	const char *none[] = {"Content-Type:", NULL};

	request(NULL, "POST", "/echo", "{\"a\":{\"b\":[1,2]}}", 17, json_ct, &r);
	assert_int_equal(r.status, 200);
	json_t *want = json_pack("{s:{s:[i,i]}}", "a", "b", 1, 2);
	assert_true(json_equal(json_object_get(r.json, "body"), want));
	json_decref(want);
	assert_false(json_is_true(json_object_get(r.json, "form")));
	assert_int_equal(json_integer_value(json_object_get(r.json, "raw_len")), 17);
	assert_true(json_is_true(json_object_get(r.json, "db"))); /* write handlers get the executor's connection */
	resp_free(&r);
	request(NULL, "POST", "/echo", "{}", 2, json_charset, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	request(NULL, "POST", "/echo", "items[0][price]=p&name=a+b", 26, form_ct, &r);
	assert_int_equal(r.status, 200);
	want = json_pack("{s:{s:{s:s}},s:s}", "items", "0", "price", "p", "name", "a b");
	assert_true(json_equal(json_object_get(r.json, "body"), want));
	json_decref(want);
	assert_true(json_is_true(json_object_get(r.json, "form")));
	resp_free(&r);
	request(NULL, "POST", "/echo", "a=1", 3, form_charset, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	/* an empty body is {} whatever the content type */
	request(NULL, "POST", "/echo", "", 0, text, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_object_size(json_object_get(r.json, "body")), 0);
	resp_free(&r);

	request(NULL, "POST", "/echo", "a=1", 3, text, &r);
	check_error(&r, 415, "unsupported_media_type", NULL);
	resp_free(&r);
	request(NULL, "POST", "/echo", "a=1", 3, none, &r);
	check_error(&r, 415, "unsupported_media_type", NULL);
	resp_free(&r);
	request(NULL, "POST", "/echo", "a=1", 3, latin1, &r);
	check_error(&r, 415, "unsupported_media_type", NULL);
	resp_free(&r);

	request(NULL, "POST", "/echo", "{\"a\":", 5, json_ct, &r);
	check_error(&r, 400, "body_invalid", NULL);
	assert_non_null(strstr(err_field(&r, "message"), "line 1"));
	resp_free(&r);
	request(NULL, "POST", "/echo", "[1]", 3, json_ct, &r);
	check_error(&r, 400, "body_invalid", NULL);
	resp_free(&r);
	request(NULL, "POST", "/echo", "a=%FF", 5, form_ct, &r);
	check_error(&r, 400, "body_invalid", "a");
	resp_free(&r);
	/* a ROUTE_RAW POST parses its body the same way, without a connection */
	request(NULL, "POST", "/raw", "a=1", 3, form_ct, &r);
	assert_int_equal(r.status, 200);
	assert_false(json_is_true(json_object_get(r.json, "db")));
	resp_free(&r);
}

static void test_limits(void **state)
{
	(void)state;
	struct resp r;
	const char *form_ct[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	char *big = malloc(64 * 1024);
	memset(big, 'a', 64 * 1024);
	big[0] = 'x';
	big[1] = '=';
	/* at the limit: fine */
	request(NULL, "POST", "/echo", big, 1024, form_ct, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* over it: our JSON 413 */
	request(NULL, "POST", "/echo", big, 1025, form_ct, &r);
	check_error(&r, 413, "body_too_large", NULL);
	assert_non_null(strstr(err_field(&r, "message"), "1025 bytes"));
	resp_free(&r);
	request(NULL, "POST", "/echo", big, 16 * 1024, form_ct, &r);
	check_error(&r, 413, "body_too_large", NULL);
	resp_free(&r);
	/* past the hard cap (16 x the limit) evhttp answers 413 itself */
	request(NULL, "POST", "/echo", big, 16 * 1024 + 1, form_ct, &r);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	free(big);

	/* headers past 16 KiB: evhttp refuses the request */
	char *header = malloc(20 * 1024);
	memcpy(header, "X-Big: ", 7);
	memset(header + 7, 'h', 20 * 1024 - 8);
	header[20 * 1024 - 1] = 0;
	const char *extra[] = {header, NULL};
	request(NULL, "GET", "/healthz", NULL, 0, extra, &r);
	assert_true(r.status == 413 || r.status == 400);
	resp_free(&r);
	free(header);
	/* ... and a 15 KiB header is fine */
	header = malloc(15 * 1024);
	memcpy(header, "X-Big: ", 7);
	memset(header + 7, 'h', 15 * 1024 - 8);
	header[15 * 1024 - 1] = 0;
	extra[0] = header;
	request(NULL, "GET", "/healthz", NULL, 0, extra, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	free(header);
}

static void test_auth_and_errors(void **state)
{
	(void)state;
	struct resp r;
	request(NULL, "GET", "/private", NULL, 0, NULL, &r);
	check_error(&r, 401, "api_key_missing", NULL);
	resp_free(&r);
	const char *bad[] = {"Authorization: Bearer sk_bad", NULL};
	request(NULL, "POST", "/private", "", 0, bad, &r);
	check_error(&r, 401, "api_key_invalid", NULL);
	resp_free(&r);
	const char *good[] = {"Authorization: Bearer sk_good", NULL};
	request(NULL, "GET", "/private", NULL, 0, good, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "actor")), 7);
	resp_free(&r);
	request(NULL, "POST", "/private", "", 0, good, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "actor")), 7);
	resp_free(&r);

	int audited = atomic_load(&audits);
	request(NULL, "POST", "/things", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"object\":\"thing\"}");
	assert_int_equal(atomic_load(&audits), audited + 1);
	resp_free(&r);
	request(NULL, "POST", "/conflict", NULL, 0, NULL, &r);
	check_error(&r, 409, "resource_state_conflict", "status");
	assert_true(has_header(&r, "Stripe-Should-Retry: false"));
	assert_int_equal(atomic_load(&audits), audited + 1); /* a failed write is not audited */
	resp_free(&r);
	/* the audit row cannot be written: the write fails with it */
	atomic_store(&next_audit_fails, true);
	request(NULL, "POST", "/things", NULL, 0, NULL, &r);
	check_error(&r, 503, "database_busy", NULL);
	resp_free(&r);
	request(NULL, "GET", "/unfilled", NULL, 0, NULL, &r);
	check_error(&r, 403, "forbidden", NULL);
	assert_string_equal(err_field(&r, "message"), "forbidden");
	resp_free(&r);
	request(NULL, "GET", "/silent", NULL, 0, NULL, &r);
	check_error(&r, 500, "internal_error", NULL);
	assert_true(has_header(&r, "Stripe-Should-Retry: true"));
	resp_free(&r);
	request(NULL, "GET", "/long", NULL, 0, NULL, &r);
	check_error(&r, 400, "parameter_invalid", "name");
	resp_free(&r);

	/* a write whose commit fails after the handler succeeded is a 500 */
	atomic_store(&next_commit_fails, true);
	request(NULL, "POST", "/things", NULL, 0, NULL, &r);
	check_error(&r, 500, "internal_error", NULL);
	resp_free(&r);

	/* a stored reply is sent as stored, marked as replayed */
	const char *replay[] = {"Idempotency-Key: replay", NULL};
	request(NULL, "POST", "/things", NULL, 0, replay, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"stored\":true}");
	assert_true(has_header(&r, "Idempotent-Replayed: true"));
	resp_free(&r);
	request(NULL, "POST", "/things", NULL, 0, NULL, &r);
	assert_false(has_header(&r, "Idempotent-Replayed"));
	resp_free(&r);
}

static void test_metrics(void **state)
{
	(void)state;
	struct resp r;
	request(NULL, "GET", "/healthz", NULL, 0, NULL, &r);
	resp_free(&r);
	request(NULL, "GET", "/metrics", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(r.body, "# TYPE oneguard_http_requests_total counter"));
	assert_non_null(
	    strstr(r.body, "oneguard_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"));
	assert_non_null(strstr(r.body, "oneguard_http_requests_total{route=\"-\",method=\"GET\",status=\"404\"}"));
	assert_non_null(
	    strstr(r.body, "oneguard_http_requests_total{route=\"/echo\",method=\"DELETE\",status=\"405\"}"));
	assert_non_null(strstr(r.body, "# TYPE oneguard_http_request_duration_seconds histogram"));
	assert_non_null(strstr(
	    r.body, "oneguard_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"}"));
	assert_non_null(
	    strstr(r.body, "oneguard_http_request_duration_seconds_sum{route=\"/healthz\",method=\"GET\"} 0."));
	/* no raw paths as labels */
	assert_null(strstr(r.body, "/nope"));
	resp_free(&r);
}

/* A client that sends a slow write and leaves before the answer. */
static void test_client_leaves(void **state)
{
	(void)state;
	atomic_store(&slow_ms, 300);
	int before = atomic_load(&jobs_run);
	for (int i = 0; i < 3; i++) {
		int fd = raw_connect();
		const char *req = "POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
		send_all(fd, req, strlen(req));
		usleep(20000);
		close(fd);
	}
	/* a pipelined second request on a connection that then closes */
	int fd = raw_connect();
	const char *two = "POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
	                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, two, strlen(two));
	shutdown(fd, SHUT_WR);
	close(fd);
	while (atomic_load(&jobs_run) < before + 4)
		usleep(10000);
	atomic_store(&slow_ms, 0);
	usleep(100000);
	struct resp r;
	request(NULL, "GET", "/healthz", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
}

/* A flow: each step where it belongs; a failing step kept (committed). */
static void test_flow(void **state)
{
	(void)state;
	struct resp r;
	request(NULL, "POST", "/flow", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	assert_true(json_is_true(json_object_get(r.json, "work_off_loop")));
	assert_true(json_is_true(json_object_get(r.json, "work_no_db")));
	assert_true(json_is_true(json_object_get(r.json, "txn_db")));
	assert_true(json_is_true(json_object_get(r.json, "next_on_loop")));
	assert_true(atomic_load(&last_kept));
	resp_free(&r);
	request(NULL, "POST", "/flow?fail=1", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 409);
	assert_true(atomic_load(&last_kept)); /* failed, and committed all the same */
	resp_free(&r);
}

/* A client that leaves while its flow's steps run: every step still runs,
 * the loop keeps counting it, and the server goes on serving. */
static void test_flow_client_leaves(void **state)
{
	(void)state;
	atomic_store(&flow_work_ms, 200);
	int before = atomic_load(&flow_txns);
	for (int i = 0; i < 3; i++) {
		int fd = raw_connect();
		const char *req = "POST /flow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
		send_all(fd, req, strlen(req));
		usleep(20000);
		close(fd);
	}
	for (int i = 0; i < 300 && atomic_load(&flow_txns) < before + 3; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&flow_txns), before + 3);
	atomic_store(&flow_work_ms, 0);
	usleep(100000);
	struct resp r;
	request(NULL, "GET", "/healthz", NULL, 0, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
}

/* An idle keep-alive connection is closed after cfg.idle_timeout seconds. */
static void test_idle_timeout(void **state)
{
	(void)state;
	int fd = raw_connect();
	const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, req, strlen(req));
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	int64_t t0 = clock_mono_ns();
	n = recv(fd, buf, sizeof buf, 0); /* blocks until the server closes */
	int64_t waited_ms = (clock_mono_ns() - t0) / 1000000;
	assert_int_equal(n, 0);
	assert_true(waited_ms >= 800 && waited_ms < 3000);
	close(fd);
}

/* Many clients on keep-alive connections, reads and writes mixed. */
struct worker {
	int n_ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CURL *curl = curl_easy_init();
	const char *form_ct[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	for (int i = 0; i < 100; i++) {
		struct resp r;
		if (i % 3 == 0)
			request(curl, "POST", "/echo", "a=1", 3, form_ct, &r);
		else
			request(curl, "GET", "/echo?x=1", NULL, 0, NULL, &r);
		if (r.status == 200 && r.json)
			w->n_ok++;
		resp_free(&r);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

static void test_concurrency(void **state)
{
	(void)state;
	enum { N = 8 };
	pthread_t t[N];
	struct worker w[N];
	memset(w, 0, sizeof w);
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].n_ok, 100);
	}
}

/* A write in flight when SIGTERM arrives is still answered; then the
 * server stops and http_serve returns 0. */
static void *slow_client(void *arg)
{
	struct resp *r = arg;
	request(NULL, "POST", "/things", NULL, 0, NULL, r);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	(void)state;
	atomic_store(&slow_ms, 400);
	struct resp r;
	pthread_t t;
	pthread_create(&t, NULL, slow_client, &r);
	usleep(100000); /* the job is on the executor now */
	kill(getpid(), SIGTERM);
	pthread_join(t, NULL);
	assert_int_equal(r.status, 201);
	assert_true(has_header(&r, "Connection: close"));
	resp_free(&r);
	pthread_join(server_thread, NULL);
	assert_int_equal(serve_rc, 0);
	/* nobody listens any more */
	assert_int_equal(raw_connect(), -1);
	atomic_store(&slow_ms, 0);
}

static int teardown_all(void **state)
{
	(void)state;
	pthread_mutex_lock(&q_lock);
	q_stop = true;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	pthread_join(executor, NULL);
	curl_global_cleanup();
	return 0;
}

/* Starting fails cleanly on a port another process holds. */
static void test_port_in_use(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	listen(fd, 1);
	struct og_config c;
	config_defaults(&c);
	c.listen_port = bound_port(fd);
	c.n_threads = 2;
	assert_int_equal(http_serve(&c, (struct og_store *)&fake_conn), 1);
	close(fd);
	snprintf(c.listen_host, sizeof c.listen_host, "no.such.host.invalid");
	assert_int_equal(http_serve(&c, (struct og_store *)&fake_conn), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthz),       cmocka_unit_test(test_routing),
	    cmocka_unit_test(test_query),         cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_limits),        cmocka_unit_test(test_auth_and_errors),
	    cmocka_unit_test(test_metrics),       cmocka_unit_test(test_client_leaves),
	    cmocka_unit_test(test_flow),          cmocka_unit_test(test_flow_client_leaves),
	    cmocka_unit_test(test_idle_timeout),  cmocka_unit_test(test_concurrency),
	    cmocka_unit_test(test_graceful_stop), cmocka_unit_test(test_port_in_use),
	};
	return cmocka_run_group_tests(tests, setup_server, teardown_all);
}
