/* The access check of the route table (see access.h). */
#include "http/access.h"
#include "billing/accounts.h"
#include "core/accounts.h"
#include "http/router.h"

#include <string.h>

static const char *const principal_names[PR__COUNT] = {
    [PR_ANON] = "anonymous",  [PR_SECRET_KEY] = "secret_key", [PR_RESTRICTED] = "restricted_key",
    [PR_OWNER] = "owner",     [PR_ADMIN] = "admin",           [PR_FINANCE] = "finance",
    [PR_SUPPORT] = "support", [PR_ANALYST] = "analyst",       [PR_CUSTOMER] = "customer",
};

const char *access_principal_name(enum principal p)
{
	return p < PR__COUNT ? principal_names[p] : "";
}

enum principal access_principal(const struct og_actor *a)
{
	switch (a->kind) {
	case ACTOR_API_KEY:
		return a->key_restricted ? PR_RESTRICTED : PR_SECRET_KEY;
	case ACTOR_USER:
		switch ((enum user_role)a->role) {
		case ROLE_OWNER:
			return PR_OWNER;
		case ROLE_ADMIN:
			return PR_ADMIN;
		case ROLE_FINANCE:
			return PR_FINANCE;
		case ROLE_SUPPORT:
			return PR_SUPPORT;
		case ROLE_ANALYST:
			return PR_ANALYST;
		case ROLE_CUSTOMER:
			return PR_CUSTOMER;
		default:
			return PR_ANON; /* never: the store's CHECK holds the roles */
		}
	default:
		return PR_ANON;
	}
}

enum key_perm access_key_perm(const char *perms, const char *resource)
{
	if (!perms || !resource || !*resource)
		return KEY_PERM_NONE;
	size_t rlen = strlen(resource);
	for (const char *p = perms; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > rlen + 1 && memcmp(p, resource, rlen) == 0 && p[rlen] == '=') {
			const char *v = p + rlen + 1;
			size_t vlen = len - rlen - 1;
			if (vlen == 5 && memcmp(v, "write", 5) == 0)
				return KEY_PERM_WRITE;
			if (vlen == 4 && memcmp(v, "read", 4) == 0)
				return KEY_PERM_READ;
			return KEY_PERM_NONE;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return KEY_PERM_NONE;
}

static bool method_is_safe(enum http_method m)
{
	return m == HTTP_GET || m == HTTP_HEAD;
}

enum og_ec access_check(const struct route *route, struct og_req *rq)
{
	if (route->allow & AC_ANON)
		return OG_EC_NONE; /* public: anyone */
	enum principal p = access_principal(&rq->actor);
	if (p == PR_ANON)
		return og_err(&rq->err, OG_EC_AUTH_MISSING, NULL,
		              "You did not provide an API key or a session. Send 'Authorization: Bearer sk_...', "
		              "or sign in with POST /v1/auth/login.");
	if (!(route->allow & (1u << p)))
		return og_err(&rq->err, OG_EC_FORBIDDEN, NULL, "A caller with the %s role may not %s %s.",
		              access_principal_name(p), rq->method_name, route->pattern);
	if (p == PR_RESTRICTED) {
		enum key_perm need = method_is_safe(rq->method) ? KEY_PERM_READ : KEY_PERM_WRITE;
		if (access_key_perm(rq->actor.key_perms, route->resource) < need)
			return og_err(&rq->err, OG_EC_FORBIDDEN, NULL,
			              "This restricted key does not have the '%s' permission on '%s'.",
			              need == KEY_PERM_READ ? "read" : "write", route->resource);
	}
	/* a browser sends the cookie with any cross-site form: an unsafe request
	 * must also prove it read the session (the CSRF token) */
	if (rq->actor.via_cookie && !method_is_safe(rq->method)) {
		struct og_session s = {.csrf_token = rq->actor.csrf_token};
		enum og_ec ec = accounts_csrf_check(&s, rq->csrf_header, &rq->err);
		if (ec)
			return ec;
	}
	return OG_EC_NONE;
}

enum og_ec access_check_body(const struct route *route, struct og_req *rq)
{
	if (!(route->flags & ROUTE_SUPPORT_METADATA) || access_principal(&rq->actor) != PR_SUPPORT)
		return OG_EC_NONE;
	const char *key;
	json_t *v;
	(void)v;
	json_object_foreach(rq->body, key, v)
	{
		if (strcmp(key, "metadata") != 0)
			return og_err(&rq->err, OG_EC_FORBIDDEN, key,
			              "The support role may change only the metadata of this object, not '%s'.", key);
	}
	if (json_object_size(rq->query) != 0)
		return og_err(&rq->err, OG_EC_FORBIDDEN, NULL,
		              "The support role may change only the metadata of this object.");
	return OG_EC_NONE;
}
