/* The route matcher: finds the routes.c entry for a method and a decoded path
 * and captures its {name} segments into the request. No libevent and no
 * handler logic here; the table itself lives in routes.c.
 *
 * Rules (documented in docs/internals/http.md):
 *   - Paths are compared segment by segment; a literal segment matches
 *     exactly (case-sensitive), a {name} segment matches any one non-empty
 *     segment, and its value is copied into rq->arena.
 *   - Strict slashes: "/v1/customers/" and "/v1//customers" match nothing
 *     (404). One spelling per resource keeps logs, metrics and idempotency
 *     fingerprints unambiguous.
 *   - HEAD is answered by the GET route of the same path (the server sends
 *     no body for HEAD).
 *   - A path that exists under other methods only gives NULL with
 *     *path_matched set (405); otherwise *path_matched is false (404).
 *     rq->route is set to the pattern in both the match and the 405 case,
 *     NULL for a 404 (metrics never label by raw path).
 * The table has a few dozen rows: a linear scan costs less than building a
 * tree and keeps the order of routes.c meaningful (the first match wins). */
#include "http/router.h"

#include <string.h>

const char *req_path_param(const struct og_req *rq, int i)
{
	if (!rq || i < 0 || i >= rq->n_path_params || !rq->path_params[i])
		return "";
	return rq->path_params[i];
}

/* Matches pattern against path. On success fills vals/lens with up to
 * REQ_MAX_PATH_PARAMS captures and returns their count; -1 when the path
 * does not match. */
static int pattern_match(const char *pattern, const char *path, const char *vals[REQ_MAX_PATH_PARAMS],
                         size_t lens[REQ_MAX_PATH_PARAMS])
{
	const char *p = pattern, *s = path;
	int n = 0;
	if (*p != '/' || *s != '/')
		return -1;
	for (;;) {
		/* both point at a '/' here */
		p++;
		s++;
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
		if (slen == 0)
			return -1; /* an empty segment: "//" or a trailing '/' */
		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (n == REQ_MAX_PATH_PARAMS)
				return -1;
			vals[n] = s;
			lens[n++] = slen;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return -1;
		}
		p += plen;
		s += slen;
		if (!*p || !*s)
			return (!*p && !*s) ? n : -1;
	}
}

const struct route *router_match(struct og_req *rq, const char *method, const char *path, bool *path_matched)
{
	*path_matched = false;
	rq->route = NULL;
	if (!method || !path)
		return NULL;
	bool is_head = strcmp(method, "HEAD") == 0;
	const struct route *other_method = NULL;
	for (const struct route *r = routes; r->method; r++) {
		const char *vals[REQ_MAX_PATH_PARAMS];
		size_t lens[REQ_MAX_PATH_PARAMS];
		int n = pattern_match(r->pattern, path, vals, lens);
		if (n < 0)
			continue;
		if (strcmp(r->method, method) != 0 && !(is_head && strcmp(r->method, "GET") == 0)) {
			if (!other_method)
				other_method = r;
			continue;
		}
		for (int i = 0; i < n; i++)
			rq->path_params[i] = arena_strndup(rq->arena, vals[i], lens[i]);
		for (int i = n; i < REQ_MAX_PATH_PARAMS; i++)
			rq->path_params[i] = NULL;
		rq->n_path_params = n;
		rq->route = r->pattern;
		*path_matched = true;
		return r;
	}
	if (other_method) {
		*path_matched = true;
		rq->route = other_method->pattern;
	}
	return NULL;
}

size_t router_allow(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	if (size)
		buf[0] = 0;
	for (const struct route *r = routes; r->method; r++) {
		const char *vals[REQ_MAX_PATH_PARAMS];
		size_t lens[REQ_MAX_PATH_PARAMS];
		if (pattern_match(r->pattern, path, vals, lens) < 0)
			continue;
		bool seen = false; /* a method listed once even when two patterns match */
		for (const struct route *q = routes; q < r && !seen; q++)
			seen = strcmp(q->method, r->method) == 0 && pattern_match(q->pattern, path, vals, lens) >= 0;
		if (seen)
			continue;
		size_t m = strlen(r->method), sep = n ? 2 : 0;
		if (n + sep + m + 1 > size)
			break;
		if (sep)
			memcpy(buf + n, ", ", 2);
		memcpy(buf + n + sep, r->method, m + 1);
		n += sep + m;
	}
	return n;
}
