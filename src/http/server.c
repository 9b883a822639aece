/* The HTTP server: the only file that includes libevent.
 *
 * Threads (see docs/internals/http.md):
 *   - n event loops, each a thread with its own event_base, evhttp and
 *     listening socket; all sockets are bound to one host:port with
 *     SO_REUSEPORT so the kernel spreads connections across loops.
 *   - The thread that called http_serve supervises: it waits for SIGINT or
 *     SIGTERM (a self-pipe written by the signal handler) and asks the loops
 *     to stop.
 *   - Write jobs run on the store's executor threads; their completion is
 *     handed back to the loop that owns the request (a mutex-protected list
 *     per loop and a persistent event made active with event_active, which
 *     is thread-safe after evthread_use_pthreads), because evhttp may only
 *     be used from its loop's thread.
 *
 * A request: on_request builds a struct og_req in a fresh arena (decoded
 * path, query and body parsed by params.c, headers copied), matches the
 * route, authenticates, and dispatches by route kind: ROUTE_RAW inline,
 * ROUTE_READ inline inside a read transaction on the loop thread's own
 * connection (opened before authentication, so the key lookup runs in it),
 * ROUTE_WRITE as a store_job (idem_run inside the executor's transaction). finish() is the one place that renders a
 * response: the error envelope or the reply, the headers, the metrics and the access log.
 *
 * Invariants:
 *   - A request whose write job is in flight is touched by no one but the
 *     executor until its completion reaches the loop; the loop's in-flight
 *     count keeps the loop (and its evhttp) alive until every job it
 *     submitted has completed, so completions never reach freed memory.
 *   - After evhttp_send_reply, the evhttp_request is never touched again
 *     (libevent frees it once it is written, or at once if the client left).
 *   - Every response body is JSON, except /metrics (text) and the pages
 *     evhttp itself sends for requests it cannot parse (see the docs). */
#include "http/server.h"
#include "core/jsonw.h"
#include "model/render.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "core/mem.h"
#include "http/access.h"
#include "http/audit.h"
#include "http/auth.h"
#include "http/idempotency.h"
#include "http/metrics.h"
#include "http/params.h"
#include "http/router.h"
#include "sys/workpool.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADERS_MAX          (16 * 1024) /* request line + headers */
#define BODY_HARD_CAP_FACTOR 16          /* evhttp's own limit, a multiple of cfg->body_limit */
#define LISTEN_BACKLOG       1024
#define STOP_GRACE_MS        200 /* after the last in-flight job, to flush replies */
#define MAX_LOOPS            256

struct loop;

/* One request being served. Lives in its own arena, which finish() frees. */
struct http_ctx {
	struct og_req rq; /* first: handlers see only this */
	struct evhttp_request *req;
	struct loop *loop;
	const struct route *route;
	struct store_job job;
	int64_t t0_ns;
	enum og_ec ec;    /* the write job's result */
	bool committed;   /* the write job's commit succeeded */
	bool client_gone; /* the connection closed while the job ran */
	struct http_ctx *next_done;
	/* a ROUTE_FLOW step in flight (req_then_txn / req_then_work) */
	api_handler_fn flow_step;
	req_next_fn flow_next; /* NULL: no step in flight */
	bool flow_keep;        /* commit the step's writes even when it fails */
	bool closecb_set;      /* on_client_close is registered */
	struct workpool_job work;
};

struct server;

struct loop {
	struct server *srv;
	int index;
	pthread_t thread;
	bool thread_started;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *wake;   /* completions are waiting in done_* */
	struct event *stop;   /* the supervisor asks this loop to stop */
	struct event *grace;  /* stopping: time to flush the last replies */
	pthread_mutex_t lock; /* guards done_head/done_tail and the wake activation */
	struct http_ctx *done_head, *done_tail;
	int n_inflight; /* write jobs submitted and not yet answered (loop thread) */
	bool stopping;  /* loop thread */
};

struct server {
	const struct og_config *cfg;
	struct og_store *store;
	struct loop *loops;
	int n_loops;
	struct og_workpool *pool; /* password hashing for flows: threads = cores */
	size_t body_limit;
	atomic_int n_finished; /* loop threads that have returned */
};

/* ---- small helpers ---------------------------------------------------- */

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* "req_" + 16 base62 characters from libsodium's CSPRNG. The random bytes are
 * drawn a block at a time per thread (one getrandom call per 64 requests, not
 * one per request); ids are not secrets, only unpredictable. */
static void request_id_new(char out[40])
{
	static _Thread_local uint64_t pool[128];
	static _Thread_local size_t n_left;
	if (n_left < 2) {
		randombytes_buf(pool, sizeof pool);
		n_left = sizeof pool / sizeof pool[0];
	}
	uint64_t r[2] = {pool[n_left - 1], pool[n_left - 2]};
	n_left -= 2;
	memcpy(out, "req_", 4);
	for (int i = 0; i < 16; i++) {
		uint64_t *w = &r[i / 8];
		out[4 + i] = base62[*w % 62];
		*w /= 62;
	}
	out[20] = 0;
}

static enum http_method method_of(enum evhttp_cmd_type cmd, const char **name)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		*name = "GET";
		return HTTP_GET;
	case EVHTTP_REQ_POST:
		*name = "POST";
		return HTTP_POST;
	case EVHTTP_REQ_DELETE:
		*name = "DELETE";
		return HTTP_DELETE;
	case EVHTTP_REQ_PUT:
		*name = "PUT";
		return HTTP_PUT;
	case EVHTTP_REQ_PATCH:
		*name = "PATCH";
		return HTTP_PATCH;
	case EVHTTP_REQ_HEAD:
		*name = "HEAD";
		return HTTP_HEAD;
	case EVHTTP_REQ_OPTIONS:
		*name = "OPTIONS";
		return HTTP_OTHER;
	case EVHTTP_REQ_TRACE:
		*name = "TRACE";
		return HTTP_OTHER;
	case EVHTTP_REQ_CONNECT:
		*name = "CONNECT";
		return HTTP_OTHER;
	default:
		*name = "OTHER";
		return HTTP_OTHER;
	}
}

/* Percent-decodes a path ('+' stays '+'). NULL when an escape is malformed,
 * or the result holds a NUL byte or is not UTF-8. */
static char *path_decode(struct og_arena *a, const char *raw)
{
	size_t n = strlen(raw);
	char *out = arena_alloc(a, n + 1);
	long j = params_percent_decode(raw, n, false, out);
	if (j < 0 || memchr(out, 0, (size_t)j) || !params_utf8_valid(out, (size_t)j))
		return NULL;
	return out;
}

/* s as printable ASCII ('?' for anything else), cut to fit buf. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t j = 0;
	for (; *s && j + 1 < size; s++)
		buf[j++] = ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7F) ? *s : '?';
	buf[j] = 0;
	return buf;
}

/* Text that should be UTF-8 but may have been cut in the middle of a
 * character by a fixed-size buffer (struct og_error's fields), made valid
 * into buf: a cut character at the end is dropped; anything else invalid
 * becomes '?'. */
static const char *utf8_text(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	for (int cut = 0; cut <= 3 && (size_t)cut <= n; cut++)
		if (params_utf8_valid(buf, n - (size_t)cut)) {
			buf[n - (size_t)cut] = 0;
			return buf;
		}
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return buf;
}

/* Media type of a Content-Type header: 1 JSON, 2 form, 0 anything else.
 * Parameters other than charset are ignored; a charset must be UTF-8. */
static int media_type(const char *ct, bool *bad_charset)
{
	*bad_charset = false;
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, "; \t");
	int kind = 0;
	if (n == 16 && strncasecmp(ct, "application/json", n) == 0)
		kind = 1;
	else if (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0)
		kind = 2;
	if (!kind)
		return 0;
	const char *p = ct + n;
	while (*p) {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		size_t plen = strcspn(p, ";");
		if (plen > 8 && strncasecmp(p, "charset=", 8) == 0) {
			const char *v = p + 8;
			size_t vlen = plen - 8;
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (!((vlen == 5 && strncasecmp(v, "utf-8", 5) == 0) ||
			      (vlen == 4 && strncasecmp(v, "utf8", 4) == 0)))
				*bad_charset = true;
		}
		p += plen;
	}
	return kind;
}

static int route_index_of(const char *pattern)
{
	for (int i = 0; pattern && routes[i].method; i++)
		if (routes[i].pattern == pattern)
			return i;
	return -1;
}

/* ---- the one renderer ------------------------------------------------- */

static void ctx_free(struct http_ctx *cx)
{
	json_decref(cx->rq.query);
	json_decref(cx->rq.body);
	arena_free(cx->rq.arena); /* cx lives in it: last */
}

/* Answers the request: the error envelope when ec is set, else the reply.
 * Records metrics and the access log, then frees the request. */
static void finish(struct http_ctx *cx, enum og_ec ec)
{
	struct og_req *rq = &cx->rq;
	struct loop *lp = cx->loop;
	struct evhttp_request *req = cx->req;
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evhttp_request_get_output_buffer(req);
	const char *content_type = "application/json";
	int status = 200;

	if (ec == OG_EC_NONE) {
		if (rq->reply_text) {
			evbuffer_add(buf, rq->reply_text, strlen(rq->reply_text));
		} else {
			ec = OG_BUG(&rq->err, "handler succeeded without a reply");
		}
		if (ec == OG_EC_NONE) {
			status = rq->status ? rq->status : 200;
			if (rq->content_type)
				content_type = rq->content_type;
			if (rq->is_stored_reply)
				evhttp_add_header(headers, "Idempotent-Replayed", "true");
		} else {
			evbuffer_drain(buf, evbuffer_get_length(buf));
		}
	}
	if (ec != OG_EC_NONE) {
		if (rq->err.ec != ec) { /* the handler returned a code without filling err for it */
			struct og_error was = rq->err;
			og_err(&rq->err, ec, was.param, "%s", was.message[0] ? was.message : og_ec_code(ec));
		}
		status = og_ec_status(ec);
		char message[sizeof rq->err.message], param[sizeof rq->err.param];
		struct og_jsonw w;
		jsonw_init(&w, rq->arena, 512);
		char decline[sizeof rq->err.decline_code];
		model_error_render_decline(&w, og_ec_type(ec), og_ec_code(ec),
		                           utf8_text(rq->err.message, message, sizeof message),
		                           utf8_text(rq->err.param, param, sizeof param),
		                           utf8_text(rq->err.decline_code, decline, sizeof decline));
		size_t len;
		const char *text = jsonw_text(&w, &len);
		evbuffer_add(buf, text, len);
		if (ec == OG_EC_IDEMPOTENCY_IN_PROGRESS)
			evhttp_add_header(headers, "Stripe-Should-Retry", "true");
		else if (status == 409)
			evhttp_add_header(headers, "Stripe-Should-Retry", "false");
		else if (status >= 500)
			evhttp_add_header(headers, "Stripe-Should-Retry", "true");
		if (ec == OG_EC_METHOD_NOT_ALLOWED) {
			char allow[128];
			router_allow(rq->path, allow, sizeof allow);
			evhttp_add_header(headers, "Allow", allow);
		}
	}
	evhttp_add_header(headers, "Content-Type", content_type);
	evhttp_add_header(headers, "Request-Id", rq->request_id);
	if (rq->set_cookie) { /* a session's answer: no cache may keep it */
		evhttp_add_header(headers, "Set-Cookie", rq->set_cookie);
		evhttp_add_header(headers, "Cache-Control", "no-store");
	}
	if (rq->location)
		evhttp_add_header(headers, "Location", rq->location);
	if (rq->retry_after > 0 && (status == 429 || status == 503)) {
		char ra[24];
		snprintf(ra, sizeof ra, "%lld", (long long)rq->retry_after);
		evhttp_add_header(headers, "Retry-After", ra);
	}
	if (lp->stopping)
		evhttp_add_header(headers, "Connection", "close");
	if (rq->method == HTTP_HEAD) {
		/* the length the GET would have, and no body */
		char len[24];
		snprintf(len, sizeof len, "%zu", evbuffer_get_length(buf));
		evhttp_add_header(headers, "Content-Length", len);
		evbuffer_drain(buf, evbuffer_get_length(buf));
	}
	evhttp_send_reply(req, status, NULL, NULL);
	cx->req = NULL; /* libevent's now */

	int64_t us = (clock_mono_ns() - cx->t0_ns) / 1000;
	int route_index = cx->route ? (int)(cx->route - routes) : route_index_of(rq->route);
	metrics_observe(lp->index, route_index, rq->method, status, us);
	if (lp->srv->cfg->access_log) {
		char path[512];
		log_msg(
		    LOG_INFO, "http_request",
		    "\"method\":\"%s\",\"route\":\"%s\",\"path\":\"%s\",\"status\":%d,\"duration_ms\":%" PRId64
		    ".%03" PRId64 ",\"request_id\":\"%s\"%s%s%s%s",
		    rq->method_name, rq->route ? rq->route : "-",
		    log_json_escape(cx->route && (cx->route->flags & ROUTE_SECRET_PATH) ? cx->route->pattern : rq->path,
		                    path, sizeof path),
		    status, us / 1000, us % 1000, rq->request_id, ec ? ",\"error\":\"" : "", ec ? og_ec_code(ec) : "",
		    ec ? "\"" : "", cx->client_gone ? ",\"client_gone\":true" : "");
	}
	ctx_free(cx);
}

/* ---- stopping --------------------------------------------------------- */

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *lp = arg;
	if (lp->n_inflight == 0)
		event_base_loopbreak(lp->base);
}

/* Stops the loop once nothing it submitted is still running. */
static void maybe_finish(struct loop *lp)
{
	if (!lp->stopping || lp->n_inflight > 0)
		return;
	struct timeval tv = {0, STOP_GRACE_MS * 1000};
	evtimer_add(lp->grace, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *lp = arg;
	if (lp->stopping)
		return;
	lp->stopping = true;
	if (lp->bound) { /* stop accepting; connections already open are served until the loop ends */
		evhttp_del_accept_socket(lp->http, lp->bound);
		lp->bound = NULL;
	}
	maybe_finish(lp);
}

/* ---- write jobs ------------------------------------------------------- */

static bool job_run(struct store_job *job, struct db_conn *db)
{
	struct http_ctx *cx = job->arg;
	struct og_req *rq = &cx->rq;
	/* run() may be retried: start from a clean response every time */
	og_error_clear(&rq->err);
	rq->reply_text = NULL;
	rq->reply_stored_text = NULL;
	rq->set_cookie = NULL;
	rq->retry_after = 0;
	rq->content_type = NULL;
	rq->status = 0;
	rq->is_stored_reply = false;
	rq->db = db;
	cx->ec = idem_run(rq, cx->route->fn);
	if (cx->ec == OG_EC_NONE) /* the audit row commits with the write, or neither does */
		cx->ec = audit_write(rq, cx->route);
	rq->db = NULL;
	return cx->ec == OG_EC_NONE;
}

/* Executor thread: hand the request back to its loop. */
static void job_complete(struct store_job *job, bool committed)
{
	struct http_ctx *cx = job->arg;
	struct loop *lp = cx->loop;
	cx->committed = committed;
	cx->next_done = NULL;
	pthread_mutex_lock(&lp->lock);
	if (lp->done_tail)
		lp->done_tail->next_done = cx;
	else
		lp->done_head = cx;
	lp->done_tail = cx;
	/* under the lock: the loop cannot finish (and free wake) before this returns */
	event_active(lp->wake, EV_READ, 0);
	pthread_mutex_unlock(&lp->lock);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct http_ctx *cx = arg;
	cx->client_gone = true;
}

static enum og_ec flow_continue(struct http_ctx *cx, enum og_ec ec);

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *lp = arg;
	pthread_mutex_lock(&lp->lock);
	struct http_ctx *cx = lp->done_head;
	lp->done_head = lp->done_tail = NULL;
	pthread_mutex_unlock(&lp->lock);
	while (cx) {
		struct http_ctx *next = cx->next_done;
		lp->n_inflight--;
		enum og_ec ec = cx->ec;
		if (ec == OG_EC_NONE && !cx->committed)
			ec = OG_BUG(&cx->rq.err, "write job's transaction did not commit");
		if (cx->flow_next && (ec = flow_continue(cx, ec)) == REQ_PENDING) {
			cx = next; /* its next step is in flight (the client may be gone: steps still run) */
			continue;
		}
		struct evhttp_connection *evcon = evhttp_request_get_connection(cx->req);
		if (evcon && !cx->client_gone)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
		finish(cx, ec);
		cx = next;
	}
	maybe_finish(lp);
}

/* ---- flows ------------------------------------------------------------ */

/* A flow's step was queued (loop thread): the loop stays alive for it, and
 * a client that leaves is noted (the steps still run to their end: a failed
 * sign-in must count). */
static void flow_pending(struct http_ctx *cx)
{
	cx->loop->n_inflight++;
	if (!cx->closecb_set) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(cx->req);
		if (evcon)
			evhttp_connection_set_closecb(evcon, on_client_close, cx);
		cx->closecb_set = true;
	}
}

static bool flow_txn_run(struct store_job *job, struct db_conn *db)
{
	struct http_ctx *cx = job->arg;
	struct og_req *rq = &cx->rq;
	/* run() may be retried: start from a clean answer every time */
	og_error_clear(&rq->err);
	rq->reply_text = NULL;
	rq->reply_stored_text = NULL;
	rq->is_stored_reply = false;
	rq->db = db;
	cx->ec = cx->flow_step(rq);
	rq->db = NULL;
	return cx->ec == OG_EC_NONE || cx->flow_keep;
}

/* Pool thread: run the step, then hand the request back like a write job. */
static void flow_work_run(struct workpool_job *job)
{
	struct http_ctx *cx = job->arg;
	cx->ec = cx->flow_step(&cx->rq);
	job_complete(&cx->job, true);
}

enum og_ec req_then_txn(struct og_req *rq, api_handler_fn step, bool keep_on_error, req_next_fn next)
{
	struct http_ctx *cx = rq->priv;
	cx->flow_step = step;
	cx->flow_next = next;
	cx->flow_keep = keep_on_error;
	cx->job.run = flow_txn_run;
	cx->job.complete = job_complete;
	cx->job.arg = cx;
	flow_pending(cx);
	rq->db = NULL;
	store_submit(rq->store, &cx->job);
	return REQ_PENDING;
}

enum og_ec req_then_work(struct og_req *rq, api_handler_fn step, req_next_fn next)
{
	struct http_ctx *cx = rq->priv;
	struct og_workpool *pool = cx->loop->srv->pool;
	cx->flow_step = step;
	cx->flow_next = next;
	cx->job.arg = cx;
	cx->work.run = flow_work_run;
	cx->work.arg = cx;
	/* before the submit: from then on the request is the pool thread's */
	struct db_conn *db = rq->db;
	rq->db = NULL;
	flow_pending(cx);
	if (!pool || workpool_submit(pool, &cx->work) != WORKPOOL_OK) {
		cx->loop->n_inflight--;
		cx->flow_next = NULL;
		rq->db = db;
		rq->retry_after = 1;
		return og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "Too many sign-ins at once; retry in a second.");
	}
	return REQ_PENDING;
}

/* A flow's step is done (loop thread): its next runs with the loop's read
 * connection and answers or queues another step (REQ_PENDING). */
static enum og_ec flow_continue(struct http_ctx *cx, enum og_ec ec)
{
	struct og_req *rq = &cx->rq;
	req_next_fn next = cx->flow_next;
	cx->flow_next = NULL;
	rq->db = store_thread_conn(rq->store);
	if (!rq->db)
		ec = og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "The database is unavailable.");
	else if (ec != OG_EC_NONE && rq->err.ec != ec) /* the step's error text stays as it filled it */
		og_err(&rq->err, ec, NULL, "%s", og_ec_code(ec));
	if (rq->db)
		ec = next(rq, ec);
	if (ec != REQ_PENDING) {
		if (rq->db && db_in_txn(rq->db))
			db_rollback(rq->db);
		rq->db = NULL;
	}
	return ec;
}

/* ---- a request -------------------------------------------------------- */

static enum og_ec read_body(struct http_ctx *cx)
{
	struct og_req *rq = &cx->rq;
	struct evbuffer *in = evhttp_request_get_input_buffer(cx->req);
	size_t len = evbuffer_get_length(in);
	char *raw = arena_alloc(rq->arena, len + 1);
	if (len)
		evbuffer_copyout(in, raw, len);
	raw[len] = 0;
	rq->body_raw = raw;
	rq->body_len = len;
	if (len == 0)
		return OG_EC_NONE; /* rq->body stays {} */
	bool bad_charset;
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(cx->req), "Content-Type");
	int kind = media_type(ct, &bad_charset);
	if (bad_charset)
		return og_err(&rq->err, OG_EC_MEDIA_TYPE, NULL, "Request bodies must be UTF-8 (charset=utf-8).");
	json_t *body = NULL;
	if (kind == 1) {
		body = params_parse_json_body(raw, len, &rq->err);
	} else if (kind == 2) {
		body = params_parse_form(raw, len, &rq->err);
		rq->body_is_form = true;
	} else {
		char safe[80];
		return og_err(
		    &rq->err, OG_EC_MEDIA_TYPE, NULL,
		    "Unsupported Content-Type '%s': send application/x-www-form-urlencoded or application/json.",
		    printable(ct ? ct : "", safe, sizeof safe));
	}
	if (!body)
		return rq->err.ec;
	json_decref(rq->body);
	rq->body = body;
	return OG_EC_NONE;
}

/* A read route's transaction opens before authentication, so the key lookup
 * and the handler's queries share one snapshot and one read lock (on SQLite
 * every read transaction takes and drops a WAL read mark: a lookup of its own
 * doubled that per request). */
static enum og_ec read_begin(struct og_req *rq)
{
	enum db_rc rc = db_begin(rq->db, false);
	if (rc != DB_OK)
		return rc == DB_RETRY
		           ? og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.")
		           : og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "The database is unavailable.");
	return OG_EC_NONE;
}

/* Runs a read route's handler inside the transaction read_begin opened, and
 * ends it: committed on success, rolled back otherwise. */
static enum og_ec run_read(struct http_ctx *cx)
{
	struct og_req *rq = &cx->rq;
	struct db_conn *db = rq->db;
	enum db_rc rc;
	enum og_ec ec = cx->route->fn(rq);
	if (ec == OG_EC_NONE) {
		rc = db_commit(db);
		if (rc != DB_OK)
			ec = rc == DB_RETRY
			         ? og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy; retry the request.")
			         : OG_BUG(&rq->err, "read transaction did not commit");
	} else {
		db_rollback(db);
	}
	if (db_in_txn(db)) /* a handler that committed or failed oddly leaves nothing open */
		db_rollback(db);
	return ec;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct loop *lp = arg;
	struct server *srv = lp->srv;
	struct og_arena *arena = arena_new();
	struct http_ctx *cx = arena_alloc(arena, sizeof *cx);
	struct og_req *rq = &cx->rq;
	cx->t0_ns = clock_mono_ns();
	cx->req = req;
	cx->loop = lp;
	rq->arena = arena;
	rq->priv = cx;
	rq->cfg = srv->cfg;
	rq->store = srv->store;
	rq->now = clock_now();
	request_id_new(rq->request_id);
	rq->method = method_of(evhttp_request_get_command(req), &rq->method_name);
	rq->query = json_object();
	rq->body = json_object();
	const char *uri = evhttp_request_get_uri(req);
	rq->uri = arena_strdup(arena, uri ? uri : "");

	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	rq->idempotency_key = arena_strdup(arena, evhttp_find_header(in, "Idempotency-Key"));
	rq->authorization = arena_strdup(arena, evhttp_find_header(in, "Authorization"));
	rq->cookie = arena_strdup(arena, evhttp_find_header(in, "Cookie"));
	rq->csrf_header = arena_strdup(arena, evhttp_find_header(in, "X-CSRF-Token"));
	{
		char *peer = NULL;
		ev_uint16_t peer_port = 0;
		struct evhttp_connection *evc = evhttp_request_get_connection(req);
		if (evc)
			evhttp_connection_get_peer(evc, &peer, &peer_port);
		snprintf(rq->client_addr, sizeof rq->client_addr, "%s", peer ? peer : "");
	}

	enum og_ec ec;
	const struct evhttp_uri *parsed = evhttp_request_get_evhttp_uri(req);
	const char *raw_path = parsed ? evhttp_uri_get_path(parsed) : NULL;
	rq->path = raw_path ? path_decode(arena, raw_path) : NULL;
	if (!rq->path) {
		rq->path = "";
		ec = og_err(&rq->err, OG_EC_ROUTE_MISSING, NULL,
		            "Unrecognized request URL: the path is not valid percent-encoded UTF-8.");
		goto answer;
	}
	bool path_matched;
	cx->route = router_match(rq, rq->method_name, rq->path, &path_matched);
	if (!cx->route) {
		/* the path is UTF-8; json_text() repairs a character cut at the end */
		ec = path_matched ? og_err(&rq->err, OG_EC_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %.180s.",
		                           rq->method_name, rq->path)
		                  : og_err(&rq->err, OG_EC_ROUTE_MISSING, NULL,
		                           "Unrecognized request URL (%s: %.180s).", rq->method_name, rq->path);
		goto answer;
	}
	size_t body_len = evbuffer_get_length(evhttp_request_get_input_buffer(req));
	if (body_len > srv->body_limit) {
		ec = og_err(&rq->err, OG_EC_BODY_TOO_LARGE, NULL,
		            "The request body is %zu bytes; the limit is %zu bytes.", body_len, srv->body_limit);
		goto answer;
	}
	bool is_public = (cx->route->allow & AC_ANON) != 0;
	if (cx->route->kind != ROUTE_RAW || !is_public) {
		rq->db = store_thread_conn(srv->store);
		if (!rq->db) {
			ec = og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "The database is unavailable.");
			goto answer;
		}
	}
	if (cx->route->kind == ROUTE_READ && (ec = read_begin(rq))) {
		rq->db = NULL;
		goto answer;
	}
	/* a public route ignores credentials; any other authenticates, then the
	 * route table decides (deny by default) */
	if (!is_public && ((ec = auth_authenticate(rq, rq->db)) || (ec = access_check(cx->route, rq))))
		goto answer;
	const char *query = parsed ? evhttp_uri_get_query(parsed) : NULL;
	if (query && *query) {
		json_t *q = params_parse_form(query, strlen(query), &rq->err);
		if (!q) {
			ec = rq->err.ec;
			goto answer;
		}
		json_decref(rq->query);
		rq->query = q;
	}
	if ((ec = read_body(cx)))
		goto answer;
	if ((ec = access_check_body(cx->route, rq)))
		goto answer;
	if (cx->route->flags & ROUTE_NO_PARAMS) {
		static const struct param_spec none[] = {PS_END};
		if ((ec = params_parse_into(rq, rq->query, none, NULL)) ||
		    (ec = params_parse_into(rq, rq->body, none, NULL)))
			goto answer;
	}

	switch (cx->route->kind) {
	case ROUTE_RAW:
		rq->db = NULL;
		ec = cx->route->fn(rq);
		break;
	case ROUTE_READ:
		ec = run_read(cx);
		rq->db = NULL;
		break;
	case ROUTE_WRITE: {
		rq->db = NULL;
		cx->job.run = job_run;
		cx->job.complete = job_complete;
		cx->job.arg = cx;
		lp->n_inflight++;
		struct evhttp_connection *evcon = evhttp_request_get_connection(req);
		if (evcon)
			evhttp_connection_set_closecb(evcon, on_client_close, cx);
		store_submit(srv->store, &cx->job);
		return; /* answered by on_wake */
	}
	case ROUTE_FLOW:
		ec = cx->route->fn(rq); /* on this thread, no transaction: it chains its steps */
		if (ec == REQ_PENDING)
			return; /* answered by on_wake after its last step */
		if (cx->closecb_set) {
			struct evhttp_connection *evcon = evhttp_request_get_connection(req);
			if (evcon && !cx->client_gone)
				evhttp_connection_set_closecb(evcon, NULL, NULL);
		}
		break;
	default:
		ec = OG_BUG(&rq->err, "route with an unknown kind");
		break;
	}
answer:
	if (rq->db && db_in_txn(rq->db)) /* a read route refused before its handler ran */
		db_rollback(rq->db);
	rq->db = NULL;
	finish(cx, ec);
}

/* ---- sockets ---------------------------------------------------------- */

/* A listening socket on host:port. With reuseport, SO_REUSEPORT is set so
 * every loop can bind its own. Returns the fd or -1 with a reason. */
static int listen_socket(const char *host, int port, bool reuseport, char *why, size_t why_size)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char port_text[16];
	snprintf(port_text, sizeof port_text, "%d", port);
	int rc = getaddrinfo(host && *host ? host : NULL, port_text, &hints, &res);
	if (rc != 0) {
		snprintf(why, why_size, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, why_size, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
		snprintf(why, why_size, "SO_REUSEPORT: %s", strerror(errno));
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* inherited by accepted sockets */
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		snprintf(why, why_size, "bind %s:%d: %s", host, port, strerror(errno));
		goto fail;
	}
	if (reuseport && listen(fd, LISTEN_BACKLOG) != 0) {
		snprintf(why, why_size, "listen: %s", strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	close(fd);
	freeaddrinfo(res);
	return -1;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* ---- signals ---------------------------------------------------------- */

static volatile sig_atomic_t signal_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	if (signal_fd >= 0) {
		ssize_t w = write(signal_fd, &c, 1);
		(void)w;
	}
	errno = saved;
}

/* ---- loops ------------------------------------------------------------ */

static void *loop_main(void *arg)
{
	struct loop *lp = arg;
	if (event_base_loop(lp->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		log_msg(LOG_ERROR, "http_loop_failed", "\"loop\":%d", lp->index);
	store_thread_release(lp->srv->store);
	atomic_fetch_add(&lp->srv->n_finished, 1);
	return NULL;
}

static void loop_free(struct loop *lp)
{
	if (lp->http)
		evhttp_free(lp->http); /* closes the listener and idle connections */
	if (lp->wake) {
		pthread_mutex_lock(&lp->lock); /* a completion still inside job_complete() finishes first */
		pthread_mutex_unlock(&lp->lock);
		event_free(lp->wake);
	}
	if (lp->stop)
		event_free(lp->stop);
	if (lp->grace)
		event_free(lp->grace);
	if (lp->base)
		event_base_free(lp->base);
	pthread_mutex_destroy(&lp->lock);
}

static bool loop_init(struct loop *lp, struct server *srv, int index, int fd, char *why, size_t why_size)
{
	const struct og_config *cfg = srv->cfg;
	lp->srv = srv;
	lp->index = index;
	pthread_mutex_init(&lp->lock, NULL);
	/* the changelist folds each request's read-off/write-on/write-off/read-on
	 * into at most one epoll_ctl per loop iteration (no dup'd fds here) */
	struct event_config *ev_cfg = event_config_new();
	if (ev_cfg)
		event_config_set_flag(ev_cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	lp->base = ev_cfg ? event_base_new_with_config(ev_cfg) : NULL;
	if (ev_cfg)
		event_config_free(ev_cfg);
	lp->http = lp->base ? evhttp_new(lp->base) : NULL;
	if (!lp->http) {
		snprintf(why, why_size, "could not create an event loop");
		close(fd);
		return false;
	}
	size_t hard_cap =
	    srv->body_limit > SIZE_MAX / BODY_HARD_CAP_FACTOR ? SIZE_MAX / 2 : srv->body_limit * BODY_HARD_CAP_FACTOR;
	if (hard_cap > (size_t)INT32_MAX)
		hard_cap = (size_t)INT32_MAX;
	evhttp_set_max_body_size(lp->http, (ev_ssize_t)hard_cap);
	evhttp_set_max_headers_size(lp->http, HEADERS_MAX);
	evhttp_set_timeout(lp->http, cfg->idle_timeout > 0 ? cfg->idle_timeout : 60);
	evhttp_set_allowed_methods(lp->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	                                         EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(lp->http, "application/json");
	evhttp_set_gencb(lp->http, on_request, lp);
	lp->bound = evhttp_accept_socket_with_handle(lp->http, fd);
	if (!lp->bound) {
		snprintf(why, why_size, "could not listen on the socket");
		close(fd);
		return false;
	}
	lp->wake = event_new(lp->base, -1, EV_PERSIST, on_wake, lp);
	lp->stop = event_new(lp->base, -1, 0, on_stop, lp);
	lp->grace = evtimer_new(lp->base, on_grace, lp);
	if (!lp->wake || !lp->stop || !lp->grace) {
		snprintf(why, why_size, "could not create loop events");
		return false;
	}
	return true;
}

int http_serve(const struct og_config *cfg, struct og_store *st)
{
	if (sodium_init() < 0 || evthread_use_pthreads() != 0) {
		log_msg(LOG_ERROR, "http_start_failed",
		        "\"reason\":\"libsodium or libevent threads did not initialise\"");
		return 1;
	}
	struct server srv = {.cfg = cfg, .store = st};
	srv.body_limit = cfg->body_limit ? cfg->body_limit : 64 * 1024;
	srv.n_loops = cfg->n_threads < 1 ? 1 : cfg->n_threads > MAX_LOOPS ? MAX_LOOPS : cfg->n_threads;
	srv.loops = xcalloc((size_t)srv.n_loops, sizeof *srv.loops);
	atomic_init(&srv.n_finished, 0);

	int rc = 1, sig_pipe[2] = {-1, -1};
	struct sigaction old_int, old_term, old_pipe, sa;
	bool handlers_set = false;
	char why[256] = "";
	int n_ready = 0, n_threads = 0;

	/* Refuse a port another process serves: a probe without SO_REUSEPORT
	 * fails even against SO_REUSEPORT listeners, which would otherwise
	 * silently share the port with us. */
	int port = cfg->listen_port;
	if (port != 0) {
		int probe = listen_socket(cfg->listen_host, port, false, why, sizeof why);
		if (probe < 0)
			goto out;
		close(probe);
	}
	for (int i = 0; i < srv.n_loops; i++) {
		int fd = listen_socket(cfg->listen_host, port, true, why, sizeof why);
		if (fd < 0)
			goto out;
		if (port == 0)
			port = bound_port(fd); /* an ephemeral port: the other loops join it */
		if (!loop_init(&srv.loops[i], &srv, i, fd, why, sizeof why)) {
			n_ready = i + 1;
			goto out;
		}
		n_ready = i + 1;
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(why, sizeof why, "pipe: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	signal_fd = sig_pipe[1];
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN; /* a write to a closed socket is an error return, not a death */
	sigaction(SIGPIPE, &sa, &old_pipe);
	handlers_set = true;

	{
		/* password hashing for the sign-in flows: one thread per core, a short
		 * queue (each argon2id hash holds 64 MiB); beyond it, 503 + Retry-After */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		int n = cores > 0 ? (int)cores : 1;
		srv.pool = workpool_new(n, 4 * n);
		if (!srv.pool) {
			snprintf(why, sizeof why, "could not start the password worker pool");
			goto out;
		}
	}
	metrics_start(srv.n_loops);
	for (int i = 0; i < srv.n_loops; i++) {
		if (pthread_create(&srv.loops[i].thread, NULL, loop_main, &srv.loops[i]) != 0) {
			snprintf(why, sizeof why, "could not start loop thread %d", i);
			break;
		}
		srv.loops[i].thread_started = true;
		n_threads++;
	}
	if (n_threads == srv.n_loops) {
		char host[256];
		log_msg(LOG_INFO, "http_listening", "\"host\":\"%s\",\"port\":%d,\"loops\":%d,\"body_limit\":%zu",
		        log_json_escape(cfg->listen_host, host, sizeof host), port, srv.n_loops, srv.body_limit);
		rc = 0;
	}

	/* Supervise: the first signal stops the loops gracefully, a second exits at once. */
	int n_signals = n_threads == srv.n_loops ? 0 : 1;
	if (n_signals)
		for (int i = 0; i < n_threads; i++)
			event_active(srv.loops[i].stop, 0, 0);
	while (atomic_load(&srv.n_finished) < n_threads) {
		struct pollfd pfd = {.fd = sig_pipe[0], .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		unsigned char c;
		while (read(sig_pipe[0], &c, 1) == 1) {
			if (++n_signals == 1) {
				log_msg(LOG_INFO, "http_stopping", "\"signal\":%d", (int)c);
				for (int i = 0; i < n_threads; i++)
					event_active(srv.loops[i].stop, 0, 0);
			} else {
				log_msg(LOG_WARN, "http_forced_exit", "\"signal\":%d", (int)c);
				_exit(1);
			}
		}
	}
	for (int i = 0; i < n_threads; i++)
		pthread_join(srv.loops[i].thread, NULL);
	if (n_threads)
		log_msg(LOG_INFO, "http_stopped", "\"loops\":%d", n_threads);

out:
	if (rc != 0 && why[0]) {
		char msg[300];
		log_msg(LOG_ERROR, "http_start_failed", "\"reason\":\"%s\"", log_json_escape(why, msg, sizeof msg));
	}
	for (int i = 0; i < n_ready; i++)
		loop_free(&srv.loops[i]);
	workpool_free(srv.pool); /* every job completed: the loops waited for them */
	free(srv.loops);
	metrics_stop();
	if (handlers_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
	}
	signal_fd = -1;
	if (sig_pipe[0] >= 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
	}
	return rc;
}
