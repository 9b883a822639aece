/* The audit log: one row per successful write by a user or an API key, in
 * the write's own transaction (a write that rolls back leaves no row).
 *
 * The server calls audit_write after every write route's handler succeeds
 * (http/server.c job_run), so a new write route is audited without code:
 *   action  "METHOD pattern" of the route, e.g. "POST /v1/customers/{id}"
 *   object  the path's {id} when the route has one (a deletion, a key's
 *           roll: the key rolled); else the object the reply renders (its
 *           leading "id" and "object": a create)
 *   actor   the key or user (rq->actor), role its principal name (owner,
 *           ..., secret_key, restricted_key), with the client address, the
 *           Request-Id and the Idempotency-Key.
 * An idempotent replay writes nothing and records nothing. */
#ifndef OG_AUDIT_H
#define OG_AUDIT_H

#include "http/req.h"

struct route;

/* The hook: records the write route just run for rq (OG_EC_NONE when there
 * is nothing to record: an anonymous caller, a replay). Inside rq->db's
 * transaction. */
enum og_ec audit_write(struct og_req *rq, const struct route *route);

/* The same for a flow's write step (ROUTE_FLOW: the hook does not see
 * them) by an authenticated caller: users create, a customer's invite, a
 * password change. */
enum og_ec audit_flow(struct og_req *rq);

/* A flow's write by the user it concerns, for callers not yet signed in
 * (sign-up, sign-in, a reset, a portal link): recorded as that user, with
 * object_id (a public id) as its object. */
enum og_ec audit_flow_as(struct og_req *rq, int64_t user_id, int role, int64_t customer_id, const char *object_id);

/* Records one action by rq->actor in db's transaction, for flows the hook
 * does not see (sign-up, sign-in: fill rq->actor with the user first; an
 * anonymous actor is a bug). action: e.g. "POST /v1/auth/login";
 * object_type and object_id (a public id) may be NULL. */
enum og_ec audit_record(struct og_req *rq, struct db_conn *db, const char *action, const char *object_type,
                        const char *object_id);

/* The object name of a public id ("cus_..." -> "customer"), or NULL when
 * the text is no id. */
const char *audit_object_type_of(const char *public_id);
/* The same, and the object's row id in *key (the audit log's index). */
const char *audit_object_of(const char *public_id, int64_t *key);

#endif
