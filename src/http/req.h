/* One HTTP request as the rest of oneGuard sees it: no libevent types here
 * (src/http/server.c is the only file that includes libevent, so the HTTP
 * engine stays swappable).
 *
 * Ownership: the request owns its arena, query, body and reply; all die when
 * the reply has been sent. Handlers allocate from rq->arena. */
#ifndef OG_REQ_H
#define OG_REQ_H

#include "core/arena.h"
#include "sys/config.h"
#include "core/og_error.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum http_method { HTTP_GET, HTTP_POST, HTTP_DELETE, HTTP_PUT, HTTP_PATCH, HTTP_HEAD, HTTP_OTHER };

enum actor_kind { ACTOR_NONE, ACTOR_API_KEY, ACTOR_USER };

/* Who is calling (http/auth.c fills it): read by the access check
 * (http/access.h), the handlers and the audit log. */
struct og_actor {
	enum actor_kind kind;
	int64_t api_key_id;      /* ACTOR_API_KEY */
	bool key_restricted;     /* an rk_ key: key_perms decides per resource */
	const char *key_perms;   /* "customers=write,products=read" (arena), restricted keys */
	int64_t user_id;         /* ACTOR_USER */
	int role;                /* enum user_role (core/accounts.h), ACTOR_USER */
	int64_t session_id;      /* ACTOR_USER */
	const char *csrf_token;  /* the session's, ACTOR_USER (arena) */
	int64_t session_expires; /* the session's absolute end, ACTOR_USER */
	bool via_cookie;         /* authenticated by the session cookie (CSRF applies) */
	int64_t customer_id;     /* > 0 when the actor may only see one customer's objects */
};

#define REQ_MAX_PATH_PARAMS 4

struct og_req {
	struct og_arena *arena;
	enum http_method method;
	const char *method_name;                      /* "GET" ... */
	const char *path;                             /* decoded path, no query string */
	const char *uri;                              /* path with query string, as received */
	const char *route;                            /* the matched route pattern, for logs and metrics */
	const char *path_params[REQ_MAX_PATH_PARAMS]; /* values of {id}-style segments, in order */
	int n_path_params;
	json_t *query;        /* query string as a nested object (form rules); never NULL */
	json_t *body;         /* body as an object (JSON or form); never NULL */
	bool body_is_form;    /* values are strings to coerce (form body) */
	const char *body_raw; /* raw body bytes (NUL-terminated) for idempotency hashing */
	size_t body_len;
	const char *idempotency_key; /* NULL when absent */
	const char *authorization;   /* the Authorization header, NULL when absent */
	const char *cookie;          /* the Cookie header, NULL when absent */
	const char *csrf_header;     /* the X-CSRF-Token header, NULL when absent */
	char client_addr[64];        /* the peer's address, for limits and the audit log */
	char request_id[40];
	struct og_actor actor;
	const struct og_config *cfg;
	struct og_store *store;
	struct db_conn *db; /* this request's connection, inside its transaction */
	int64_t now;        /* clock_now() when the request arrived */

	/* the response */
	int status;                    /* 200 unless the handler sets another */
	struct og_error err;           /* filled when the handler returns an error */
	bool is_stored_reply;          /* reply_text is a stored (idempotent) response */
	const char *reply_stored_text; /* the idempotent copy when it differs from reply_text (a new API
	                                * key's secret is shown once and never stored); NULL: reply_text */
	char *reply_text;              /* pre-rendered body (arena), used instead of reply when set */
	const char *content_type;      /* NULL: application/json; else the Content-Type of reply_text
	                                  (static or arena storage), e.g. /metrics' text format */
	const char *set_cookie;        /* a Set-Cookie header value (arena), or NULL */
	int64_t retry_after;           /* seconds for a Retry-After header on 429/503; 0: none */
	const char *location;          /* a Location header (a 303), or NULL */

	void *flow; /* a ROUTE_FLOW handler's own state between its steps (arena) */

	void *priv; /* server's */
};

typedef enum og_ec (*api_handler_fn)(struct og_req *rq);

/* Path parameter i, or "" */
const char *req_path_param(const struct og_req *rq, int i);

/* ---- asynchronous flows (ROUTE_FLOW, see docs/internals/http.md) ----
 * A flow's handler runs on the loop thread outside any transaction (rq->db
 * is the loop's read connection, autocommit) and chains steps: each
 * req_then_* queues one step and returns REQ_PENDING, which the handler (or
 * the `next` that queued it) returns as is. When the step is done, next
 * runs on the loop thread with the step's result; it answers (returns an
 * og_ec, OG_EC_NONE with rq->reply_text) or queues another step. State
 * between steps lives in rq->flow (arena). */
#define REQ_PENDING ((enum og_ec)(OG_EC__COUNT + 1))
typedef enum og_ec (*req_next_fn)(struct og_req *rq, enum og_ec ec);
/* step runs on the store's executor inside a write transaction (rq->db; it
 * may run more than once when the transaction is retried). It commits when
 * step returns OG_EC_NONE, or always with keep_on_error (a failed sign-in
 * that must count). */
enum og_ec req_then_txn(struct og_req *rq, api_handler_fn step, bool keep_on_error, req_next_fn next);
/* step runs on the server's bounded worker pool (no database: rq->db is
 * NULL): password hashing. A full queue answers at once OG_EC_UNAVAILABLE
 * (503) with rq->retry_after = 1, and nothing is queued. */
enum og_ec req_then_work(struct og_req *rq, api_handler_fn step, req_next_fn next);

#endif
