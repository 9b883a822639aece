/* The route table (routes.c) and its matcher. Authorization is a column of
 * the table and is enforced before the handler runs; whether a route writes
 * decides where it runs (reads inline on the loop thread, writes on the
 * store's executor inside one transaction). */
#ifndef OG_ROUTER_H
#define OG_ROUTER_H

#include "http/access.h"
#include "http/req.h"

enum route_kind {
	ROUTE_READ,  /* runs inline in a read transaction on the loop's connection */
	ROUTE_WRITE, /* runs on the write executor in one transaction; Idempotency-Key honoured */
	ROUTE_RAW,   /* runs inline with no database transaction (healthz, metrics) */
	ROUTE_FLOW,  /* runs inline with no transaction and chains steps (req_then_txn/work: sign-in) */
};

enum route_flags {
	ROUTE_NO_PARAMS = 1u << 0,        /* takes no parameters: any in the query or body is refused (400) */
	ROUTE_SUPPORT_METADATA = 1u << 1, /* support may call it with a body of metadata only (403 else) */
	ROUTE_SECRET_PATH = 1u << 2,      /* the path holds a secret (a portal link's token): logged as the pattern */
};

struct route {
	const char *method;  /* "GET", "POST", "DELETE" */
	const char *pattern; /* "/v1/customers/{id}" */
	api_handler_fn fn;
	const char *resource; /* what a restricted key's permission names: "customers" ... */
	unsigned allow;       /* who may call it: AC_* of http/access.h; 0 denies everyone */
	enum route_kind kind;
	unsigned flags; /* enum route_flags */
};

extern const struct route routes[]; /* ends with { NULL } */

/* Finds the route for method and path, filling rq->path_params and
 * rq->route. Returns NULL with *path_matched true when the path exists under
 * another method (405), false when no route has that path (404). */
const struct route *router_match(struct og_req *rq, const char *method, const char *path, bool *path_matched);

/* The methods that have a route for path, "GET, POST" style, for the Allow
 * header of a 405. Writes at most size bytes (NUL included) into buf and
 * returns the length. */
size_t router_allow(const char *path, char *buf, size_t size);

#endif
