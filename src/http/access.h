/* Access control in one table (issue 13): every route names who may call
 * it, as a mask of principals, and the resource its restricted-key
 * permission is read from. The router enforces it (access_check) before
 * any handler runs; deny by default: a route whose mask is 0 answers 403 to
 * everyone, and tests/api/test_access.c fails while any route has no
 * declaration or its declaration differs from docs/api/access.md.
 *
 * A customer user (PR_CUSTOMER) passes the table only for routes that
 * scope their answer to its own customer: the handler then answers another
 * customer's object with 404 exactly like a missing one (rq->actor.customer_id). */
#ifndef OG_ACCESS_H
#define OG_ACCESS_H

#include "http/req.h"

#include <stdbool.h>

/* Who a request is from, after authentication. */
enum principal {
	PR_ANON,       /* no credentials */
	PR_SECRET_KEY, /* sk_: everything but users */
	PR_RESTRICTED, /* rk_: per resource none / read / write */
	PR_OWNER,
	PR_ADMIN,
	PR_FINANCE,
	PR_SUPPORT,
	PR_ANALYST,
	PR_CUSTOMER,
	PR__COUNT,
};

#define AC_ANON     (1u << PR_ANON)
#define AC_SK       (1u << PR_SECRET_KEY)
#define AC_RK       (1u << PR_RESTRICTED) /* then the key's permission for the route's resource decides */
#define AC_OWNER    (1u << PR_OWNER)
#define AC_ADMIN    (1u << PR_ADMIN)
#define AC_FINANCE  (1u << PR_FINANCE)
#define AC_SUPPORT  (1u << PR_SUPPORT)
#define AC_ANALYST  (1u << PR_ANALYST)
#define AC_CUSTOMER (1u << PR_CUSTOMER) /* own objects only: the handler scopes */

/* The usual sets, named after the roles. */
#define AC_KEYS     (AC_SK | AC_RK)
#define AC_STAFF    (AC_OWNER | AC_ADMIN | AC_FINANCE | AC_SUPPORT | AC_ANALYST)
#define AC_READERS  (AC_STAFF | AC_KEYS)                         /* staff reads and keys */
#define AC_MANAGERS (AC_OWNER | AC_ADMIN | AC_KEYS)              /* catalog, subscriptions, clocks */
#define AC_MONEY    (AC_OWNER | AC_ADMIN | AC_FINANCE | AC_KEYS) /* invoices, payments, refunds */
#define AC_CARE     (AC_OWNER | AC_ADMIN | AC_SUPPORT | AC_KEYS) /* customers, cancel, pause */
#define AC_SESSIONS (AC_STAFF | AC_CUSTOMER)                     /* any signed-in user */

/* A restricted key's permission on a resource. */
enum key_perm { KEY_PERM_NONE, KEY_PERM_READ, KEY_PERM_WRITE };

/* The principal of an authenticated actor. */
enum principal access_principal(const struct og_actor *actor);
/* "anonymous", "secret_key", "restricted_key", "owner", ... */
const char *access_principal_name(enum principal p);

/* The permission that a restricted key's permissions text
 * ("customers=write,products=read", see access_perms_*) grants on resource. */
enum key_perm access_key_perm(const char *perms, const char *resource);

struct route;
/* OG_EC_NONE when the actor may call the route; else AUTH_MISSING (no
 * credentials, 401) or FORBIDDEN (403) with rq->err filled. */
enum og_ec access_check(const struct route *route, struct og_req *rq);
/* After the body is parsed: a support user on a ROUTE_SUPPORT_METADATA
 * route may send metadata only (FORBIDDEN naming the first other key). */
enum og_ec access_check_body(const struct route *route, struct og_req *rq);

#endif
