/* Access control (issue 13, item 7): nobody reaches what is not theirs.
 *
 * - doc_matches_routes: the live route table (src/http/routes.c's routes[],
 *   linked in) and the table of docs/api/access.md are the same: a route
 *   without a row, a row without a route, or a cell that differs from the
 *   route's mask fails. A route added later is picked up by itself.
 * - every_route_every_principal: calls every route as every principal
 *   (anonymous, customer A, customer B, owner, admin, finance, support,
 *   analyst, the harness's secret key and, when restricted keys exist, a
 *   read-only rk) and checks the status: denied -> 401 (anonymous) or 403
 *   with the error envelope; allowed -> a parameter_unknown 400 from a
 *   deliberately unknown parameter (the access check runs before the
 *   parameters are read), or the 404 of an object that is not the
 *   caller's (a read: anything but 401/403/5xx). The whole walk writes
 *   nothing but sessions' last_seen and abuse counters.
 * - the ownership pass: customer B on customer A's objects gets 404 with
 *   the body of a missing id; A on its own succeeds; lists hold only its
 *   own; the inactive catalog is invisible to customers.
 * - support's metadata-only writes, a customer's own-field limits, CSRF.
 *
 * Users and sessions are made through the account service
 * (billing/accounts.h) against the server's database (at_db_url()). */
#include "api/lib/apitest.h"
#include "billing/accounts.h"
#include "core/arena.h"
#include "core/ids.h"
#include "http/access.h"
#include "http/router.h"
#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOC_PATH "docs/api/access.md"

/* ---- principals ---------------------------------------------------------- */

struct who {
	const char *label;
	enum principal pr;
	const char *auth;    /* at_req.auth: NULL the sk, "" none, else the header */
	char cookie[160];    /* "Cookie: og_session=..." or "" */
	char csrf[160];      /* "X-CSRF-Token: ..." or "" */
	int64_t customer_id; /* customers */
	int64_t user_id;
};

enum { W_ANON, W_CUS_A, W_CUS_B, W_OWNER, W_ADMIN, W_FINANCE, W_SUPPORT, W_ANALYST, W_SK, W_RK, W__COUNT };

static struct who who[W__COUNT] = {
    [W_ANON] = {.label = "anonymous", .pr = PR_ANON, .auth = ""},
    [W_CUS_A] = {.label = "customer A", .pr = PR_CUSTOMER, .auth = ""},
    [W_CUS_B] = {.label = "customer B", .pr = PR_CUSTOMER, .auth = ""},
    [W_OWNER] = {.label = "owner", .pr = PR_OWNER, .auth = ""},
    [W_ADMIN] = {.label = "admin", .pr = PR_ADMIN, .auth = ""},
    [W_FINANCE] = {.label = "finance", .pr = PR_FINANCE, .auth = ""},
    [W_SUPPORT] = {.label = "support", .pr = PR_SUPPORT, .auth = ""},
    [W_ANALYST] = {.label = "analyst", .pr = PR_ANALYST, .auth = ""},
    [W_SK] = {.label = "secret key", .pr = PR_SECRET_KEY, .auth = NULL},
    [W_RK] = {.label = "restricted key (read)", .pr = PR_RESTRICTED},
};

/* The objects the walk names: all customer A's where they belong to one. */
static struct {
	char cus_a[64], cus_b[64];
	char product[64], price[64];
	char product_off[64], price_off[64]; /* inactive */
	char sub_a[64], sub_a2[64], sub_b[64];
	char inv_a[64], inv_b[64];
	char item_a[64];
	char event[64];
	char clock[64];
	char probe_key[64];
	char user[64];            /* a staff user (the analyst) */
	char pm_a[64], pm_a2[64]; /* customer A's payment methods (the second is detached) */
	char btxn_a[64];          /* a balance transaction of customer A ({txn}) */
	char rk_secret[128];
} fx;

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

/* ---- requests ---------------------------------------------------------- */

/* Sends as w: the cookie and CSRF header of a session, a key, or nothing.
 * with_csrf false leaves the CSRF header out. */
static struct at_resp *send_as(const struct who *w, const char *method, const char *path, enum at_ctype ctype,
                               const char *body, bool with_csrf)
{
	const char *headers[3] = {NULL, NULL, NULL};
	int n = 0;
	if (w->cookie[0])
		headers[n++] = w->cookie;
	if (w->csrf[0] && with_csrf)
		headers[n++] = w->csrf;
	struct at_req rq = {.method = method,
	                    .path = path,
	                    .ctype = body ? ctype : AT_NONE,
	                    .body = body,
	                    .auth = w->auth,
	                    .headers = headers};
	return at_send(&rq);
}

static struct at_resp *as(int w, const char *method, const char *path, const char *form)
{
	return send_as(&who[w], method, path, AT_FORM, form, true);
}

/* s with every `from` replaced by `to` (per-test memory). */
static char *replace(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + nf, from))
		n++;
	char *out = at_keep(malloc(strlen(s) + n * (nt > nf ? nt - nf : 0) + 1));
	char *o = out;
	for (const char *p = s;;) {
		const char *hit = strstr(p, from);
		if (!hit) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, nt);
		o += nt;
		p = hit + nf;
	}
	return out;
}

/* other (the answer on another's object) must be exactly what a missing id
 * gets: the same status and the same body byte for byte, once the id the
 * request itself names is put in the missing one's place. */
static void expect_as_missing(const struct at_resp *other, const char *other_id, const struct at_resp *missing,
                              const char *missing_id)
{
	if (other->status != missing->status)
		AT_FAIL(other, "status %ld where a missing id gets %ld (%s)", other->status, missing->status,
		        missing->body);
	const char *want = replace(missing->body, missing_id, other_id);
	if (strcmp(other->body, want) != 0)
		AT_FAIL(other, "another customer's object is told apart from a missing one:\n    got  %s\n    want %s",
		        other->body, want);
}

/* A well-formed id of kind naming no row. */
static const char *missing_id(enum id_kind kind)
{
	char buf[ID_MAX_LEN];
	return at_strdup(ids_encode(kind, 987654321, buf));
}

/* ---- the database, for the fixtures and the fingerprint ------------------ */

/* Makes a user (staff role, or a customer with its customer when role is
 * ROLE_CUSTOMER) and a session for it, through the account service. */
static int make_session(struct who *w, enum user_role role, const char *email)
{
	char err[256];
	struct db_conn *db = db_open(at_db_url(), err, sizeof err);
	if (!db) {
		fprintf(stderr, "test_access: db_open: %s\n", err);
		return -1;
	}
	struct og_arena *arena = arena_new();
	struct og_error e;
	og_error_clear(&e);
	struct acct_ctx c = {.db = db, .arena = arena, .now = (int64_t)time(NULL), .err = &e};
	/* never checked: these users sign in by the session made here */
	static const char hash[] = "$argon2id$v=19$m=65536,t=2,p=1$dGVzdHRlc3R0ZXN0$dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0";
	struct og_user u;
	struct og_customer cus = {0};
	struct acct_new_session s;
	enum og_ec ec = OG_EC_NONE;
	int rc = -1;
	if (db_begin(db, true) != DB_OK)
		goto out;
	ec = role == ROLE_CUSTOMER ? accounts_signup_commit(&c, email, w->label, hash, &u, &cus)
	                           : accounts_staff_create(&c, email, w->label, role, hash, &u);
	if (!ec)
		ec = accounts_session_start(&c, u.id, &s);
	if (ec || db_commit(db) != DB_OK) {
		fprintf(stderr, "test_access: making %s: %s\n", email, e.message);
		goto out;
	}
	snprintf(w->cookie, sizeof w->cookie, "Cookie: og_session=%s", s.token);
	snprintf(w->csrf, sizeof w->csrf, "X-CSRF-Token: %s", s.csrf_token);
	w->customer_id = cus.id;
	w->user_id = u.id;
	rc = 0;
out:
	arena_free(arena);
	db_close(db);
	return rc;
}

/* The fingerprint's summary ("table:rows:hash ...") without the tables an
 * authenticated or sign-in call may write by design: sessions (last_seen,
 * touched at most once a minute) and auth_limits (abuse counters). */
static char *summary_without_sessions(const char *summary)
{
	char *out = at_keep(calloc(1, strlen(summary) + 1));
	const char *p = summary;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (!(n > 9 && !strncmp(p, "sessions:", 9)) && !(n > 12 && !strncmp(p, "auth_limits:", 12))) {
			if (*out)
				strcat(out, " ");
			strncat(out, p, n);
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return out;
}

static void expect_unchanged_but_sessions(const struct at_fingerprint *before)
{
	struct at_fingerprint now;
	at_fingerprint(&now);
	const char *a = summary_without_sessions(before->summary), *b = summary_without_sessions(now.summary);
	if (strcmp(a, b) != 0)
		AT_FAIL(NULL, "the walk wrote to the database:\n    before %s\n    after  %s", a, b);
}

/* ---- fixtures ------------------------------------------------------------ */

static const char *post_ok(const char *path, const char *form)
{
	struct at_resp *r = at_post_form(path, "%s", form);
	if (r->status != 200) {
		fprintf(stderr, "test_access fixture: POST %s %s -> %ld %s\n", path, form, r->status, r->body);
		return NULL;
	}
	return at_str(r, "id");
}

static const char *first_invoice_of(const char *sub)
{
	struct at_resp *r = at_get("/v1/invoices?subscription=%s", sub);
	return r->status == 200 ? at_str(r, "data[0].id") : NULL;
}

static int fixtures(void)
{
	static const struct {
		int w;
		enum user_role role;
		const char *email;
	} users[] = {
	    {W_CUS_A, ROLE_CUSTOMER, "ann@customer-a.example"}, {W_CUS_B, ROLE_CUSTOMER, "bob@customer-b.example"},
	    {W_OWNER, ROLE_OWNER, "owner@shop.example"},        {W_ADMIN, ROLE_ADMIN, "admin@shop.example"},
	    {W_FINANCE, ROLE_FINANCE, "finance@shop.example"},  {W_SUPPORT, ROLE_SUPPORT, "support@shop.example"},
	    {W_ANALYST, ROLE_ANALYST, "analyst@shop.example"},
	};
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		if (make_session(&who[users[i].w], users[i].role, users[i].email))
			return -1;
	char buf[ID_MAX_LEN];
	COPY(fx.cus_a, ids_encode(ID_CUSTOMER, who[W_CUS_A].customer_id, buf));
	COPY(fx.cus_b, ids_encode(ID_CUSTOMER, who[W_CUS_B].customer_id, buf));
	COPY(fx.user, ids_encode(ID_USER, who[W_ANALYST].user_id, buf));

	COPY(fx.product, post_ok("/v1/products", "name=Gold"));
	COPY(fx.price,
	     post_ok("/v1/prices",
	             at_fmt("product=%s&unit_amount=1000&currency=usd&recurring[interval]=month", fx.product)));
	COPY(fx.product_off, post_ok("/v1/products", "name=Retired&active=false"));
	COPY(fx.price_off,
	     post_ok("/v1/prices", at_fmt("product=%s&unit_amount=500&currency=usd&active=false", fx.product)));
	const char *sub_form = "customer=%s&items[0][price]=%s&confirm=true";
	COPY(fx.sub_a, post_ok("/v1/subscriptions", at_fmt(sub_form, fx.cus_a, fx.price)));
	COPY(fx.sub_a2, post_ok("/v1/subscriptions", at_fmt(sub_form, fx.cus_a, fx.price)));
	COPY(fx.sub_b, post_ok("/v1/subscriptions", at_fmt(sub_form, fx.cus_b, fx.price)));
	COPY(fx.inv_a, first_invoice_of(fx.sub_a));
	COPY(fx.inv_b, first_invoice_of(fx.sub_b));
	COPY(fx.item_a, post_ok("/v1/invoiceitems", at_fmt("customer=%s&amount=250&currency=usd", fx.cus_a)));
	COPY(fx.clock, post_ok("/v1/test_helpers/test_clocks", "frozen_time=1900000000"));
	COPY(fx.probe_key, post_ok("/v1/api_keys", "name=probe"));
	{ /* customer A's payment methods, attached by the secret key */
		const char *card = "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2040";
		COPY(fx.pm_a, post_ok("/v1/payment_methods", card));
		COPY(fx.pm_a2, post_ok("/v1/payment_methods", card));
		if (!post_ok(at_fmt("/v1/payment_methods/%s/attach", fx.pm_a), at_fmt("customer=%s", fx.cus_a)) ||
		    !post_ok(at_fmt("/v1/payment_methods/%s/attach", fx.pm_a2), at_fmt("customer=%s", fx.cus_a)))
			return -1;
	}
	COPY(fx.btxn_a, post_ok(at_fmt("/v1/customers/%s/balance_transactions", fx.cus_a), "amount=-100&currency=usd"));
	struct at_resp *ev = at_get("/v1/events?limit=1");
	COPY(fx.event, at_str(ev, "data[0].id"));
	{ /* the rk column: a restricted key that reads every resource */
		struct at_resp *r = at_post_form(
		    "/v1/api_keys", "name=reader&type=restricted&permissions[products]=read&permissions[prices]="
		                    "read&permissions[customers]=read&permissions[subscriptions]=read&"
		                    "permissions[invoices]=read&permissions[invoiceitems]=read&permissions["
		                    "events]=read&permissions[test_clocks]=read&permissions[payment_methods]=read");
		if (r->status != 200 || !at_str(r, "secret"))
			return -1;
		static char auth[160];
		snprintf(auth, sizeof auth, "Bearer %s", at_str(r, "secret"));
		who[W_RK].auth = auth;
	}
	const char *all[] = {fx.cus_a,     fx.cus_b, fx.product, fx.price, fx.product_off, fx.price_off, fx.sub_a,
	                     fx.sub_a2,    fx.sub_b, fx.inv_a,   fx.inv_b, fx.item_a,      fx.event,     fx.clock,
	                     fx.probe_key, fx.user,  fx.pm_a,    fx.pm_a2, fx.btxn_a};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (!all[i][0]) {
			fprintf(stderr, "test_access fixture: object %zu was not made\n", i);
			return -1;
		}
	return 0;
}

/* The object a route's {id} names (customer A's, or the catalog's) and its
 * kind. */
static const char *id_for_kind(const char *pattern, enum id_kind *kind)
{
	const struct {
		const char *prefix;
		const char *id;
		enum id_kind kind;
	} by_prefix[] = {
	    {"/v1/products/", fx.product, ID_PRODUCT},
	    {"/v1/prices/", fx.price, ID_PRICE},
	    {"/v1/customers/", fx.cus_a, ID_CUSTOMER},
	    {"/v1/subscriptions/", fx.sub_a, ID_SUBSCRIPTION},
	    {"/v1/invoices/", fx.inv_a, ID_INVOICE},
	    {"/v1/invoiceitems/", fx.item_a, ID_INVOICE_ITEM},
	    {"/v1/events/", fx.event, ID_EVENT},
	    {"/v1/test_helpers/test_clocks/", fx.clock, ID_TEST_CLOCK},
	    {"/v1/api_keys/", fx.probe_key, ID_API_KEY},
	    {"/v1/users/", fx.user, ID_USER},
	    {"/v1/payment_methods/", fx.pm_a, ID_PAYMENT_METHOD},
	};
	for (size_t i = 0; i < sizeof by_prefix / sizeof *by_prefix; i++)
		if (!strncmp(pattern, by_prefix[i].prefix, strlen(by_prefix[i].prefix))) {
			if (kind)
				*kind = by_prefix[i].kind;
			return by_prefix[i].id;
		}
	return NULL;
}

static const char *id_for(const char *pattern)
{
	return id_for_kind(pattern, NULL);
}

/* pattern with {id} filled (NULL when the test does not know the object),
 * and {txn} with customer A's balance transaction. */
static const char *path_of(const char *pattern, const char *id)
{
	const char *brace = strstr(pattern, "{id}");
	if (!brace)
		return pattern;
	if (!id)
		return NULL;
	const char *path = at_fmt("%.*s%s%s", (int)(brace - pattern), pattern, id, brace + 4);
	const char *txn = strstr(path, "{txn}");
	return txn ? at_fmt("%.*s%s%s", (int)(txn - path), path, fx.btxn_a, txn + 5) : path;
}

/* ---- the document ------------------------------------------------------ */

struct doc_row {
	char method[8];
	char path[128];
	char cell[PR__COUNT][32];
	bool seen;
};

static const struct {
	const char *column;
	enum principal pr;
} doc_columns[] = {
    {"anonymous", PR_ANON},  {"customer", PR_CUSTOMER}, {"owner", PR_OWNER},
    {"admin", PR_ADMIN},     {"finance", PR_FINANCE},   {"support", PR_SUPPORT},
    {"analyst", PR_ANALYST}, {"sk", PR_SECRET_KEY},     {"rk", PR_RESTRICTED},
};
#define N_DOC_COLUMNS (sizeof doc_columns / sizeof *doc_columns)

/* Splits a markdown table line into trimmed cells; returns their number. */
static int split_row(char *line, char **cells, int max)
{
	int n = 0;
	char *p = strchr(line, '|');
	if (!p)
		return 0;
	for (p++; *p && n < max;) {
		char *end = strchr(p, '|');
		if (!end)
			break;
		*end = 0;
		while (*p == ' ')
			p++;
		char *q = end;
		while (q > p && q[-1] == ' ')
			*--q = 0;
		cells[n++] = p;
		p = end + 1;
	}
	return n;
}

/* The table of docs/api/access.md whose header starts "| method | path |". */
static struct doc_row *read_doc(int *n_rows)
{
	FILE *f = fopen(DOC_PATH, "r");
	if (!f)
		AT_FAIL(NULL, "cannot open %s", DOC_PATH);
	struct doc_row *rows = at_keep(calloc(512, sizeof *rows));
	int col_of[16];
	int n = 0;
	bool in_table = false;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *cells[16];
		int nc = split_row(line, cells, 16);
		if (!in_table) {
			if (nc >= 2 && !strcmp(cells[0], "method") && !strcmp(cells[1], "path")) {
				in_table = true;
				for (int c = 0; c < 16; c++)
					col_of[c] = -1;
				for (size_t d = 0; d < N_DOC_COLUMNS; d++) {
					for (int c = 2; c < nc; c++)
						if (!strcmp(cells[c], doc_columns[d].column))
							col_of[c] = (int)doc_columns[d].pr;
					bool found = false;
					for (int c = 2; c < nc; c++)
						found |= col_of[c] == (int)doc_columns[d].pr;
					if (!found)
						AT_FAIL(NULL, "%s: the table has no column '%s'", DOC_PATH,
						        doc_columns[d].column);
				}
				if (!fgets(line, sizeof line, f)) /* the |---| line */
					break;
			}
			continue;
		}
		if (nc == 0)
			break; /* the table ends */
		if (n >= 512)
			AT_FAIL(NULL, "%s: too many rows", DOC_PATH);
		struct doc_row *r = &rows[n++];
		snprintf(r->method, sizeof r->method, "%s", cells[0]);
		snprintf(r->path, sizeof r->path, "%s", nc > 1 ? cells[1] : "");
		for (int c = 2; c < nc; c++)
			if (col_of[c] >= 0)
				snprintf(r->cell[col_of[c]], sizeof r->cell[0], "%s", cells[c]);
	}
	fclose(f);
	if (!in_table)
		AT_FAIL(NULL, "%s has no '| method | path |' table", DOC_PATH);
	*n_rows = n;
	return rows;
}

static bool is_catalog(const struct route *rt)
{
	return !strcmp(rt->resource, "products") || !strcmp(rt->resource, "prices");
}

/* What the doc must say for pr on route rt, from the route's mask. */
static const char *cell_of(const struct route *rt, enum principal pr)
{
	if (rt->allow & AC_ANON)
		return "✓";
	if (!(rt->allow & (1u << pr)))
		return "—";
	switch (pr) {
	case PR_CUSTOMER:
		return is_catalog(rt) ? "active" : "own";
	case PR_SUPPORT:
		return rt->flags & ROUTE_SUPPORT_METADATA ? "metadata" : "✓";
	case PR_RESTRICTED:
		return "by permission";
	default:
		return "✓";
	}
}

static void doc_matches_routes(void **state)
{
	(void)state;
	int n_rows;
	struct doc_row *rows = read_doc(&n_rows);
	int bad = 0;
	for (const struct route *rt = routes; rt->method; rt++) {
		struct doc_row *row = NULL;
		for (int i = 0; i < n_rows && !row; i++)
			if (!strcmp(rows[i].method, rt->method) && !strcmp(rows[i].path, rt->pattern))
				row = &rows[i];
		if (!row) {
			fprintf(stderr, "%s: no row for %s %s\n", DOC_PATH, rt->method, rt->pattern);
			bad++;
			continue;
		}
		if (row->seen) {
			fprintf(stderr, "%s: two rows for %s %s\n", DOC_PATH, rt->method, rt->pattern);
			bad++;
		}
		row->seen = true;
		for (size_t d = 0; d < N_DOC_COLUMNS; d++) {
			enum principal pr = doc_columns[d].pr;
			const char *want = cell_of(rt, pr);
			if (strcmp(row->cell[pr], want) != 0) {
				fprintf(stderr, "%s: %s %s, column %s says '%s'; routes.c's mask says '%s'\n", DOC_PATH,
				        rt->method, rt->pattern, doc_columns[d].column, row->cell[pr], want);
				bad++;
			}
		}
	}
	for (int i = 0; i < n_rows; i++)
		if (!rows[i].seen) {
			fprintf(stderr, "%s: the row %s %s names no route of routes.c\n", DOC_PATH, rows[i].method,
			        rows[i].path);
			bad++;
		}
	if (bad)
		AT_FAIL(NULL, "%d difference(s) between routes.c and %s (listed above)", bad, DOC_PATH);
}

/* ---- the walk ------------------------------------------------------------ */

static bool allowed(const struct route *rt, const struct who *w)
{
	if (rt->allow & AC_ANON)
		return true;
	if (!(rt->allow & (1u << w->pr)))
		return false;
	if (w->pr == PR_RESTRICTED) /* the walk's rk reads every resource and writes none */
		return !strcmp(rt->method, "GET");
	return true;
}

static void every_route_every_principal(void **state)
{
	(void)state;
	struct at_fingerprint before;
	at_fingerprint(&before);
	int n_routes = 0;
	for (const struct route *rt = routes; rt->method; rt++, n_routes++) {
		if (!strcmp(rt->pattern, "/metrics"))
			continue; /* public (the doc test holds its mask) and not JSON, which the harness reads */
		const char *path = path_of(rt->pattern, id_for(rt->pattern));
		if (!path)
			AT_FAIL(NULL, "%s %s: the walk knows no object for its {id}: add one to id_for()", rt->method,
			        rt->pattern);
		bool is_get = !strcmp(rt->method, "GET");
		for (int i = 0; i < W__COUNT; i++) {
			const struct who *w = &who[i];
			at_step("%s %s as %s", rt->method, rt->pattern, w->label);
			/* an unknown parameter: an allowed call stops at 400 and writes nothing */
			const char *probe = at_fmt("%s?zz_probe=1", path);
			struct at_resp *r = as(i, rt->method, probe, is_get ? NULL : "zz_probe=1");
			if (!allowed(rt, w)) {
				if (w->pr == PR_ANON)
					AT_ERROR(r, 401, "authentication_error", "api_key_missing", NULL);
				else
					AT_ERROR(r, 403, "permission_error", "forbidden", NULL);
				continue;
			}
			if (w->pr == PR_SUPPORT && (rt->flags & ROUTE_SUPPORT_METADATA)) {
				/* metadata only: the probe is another parameter */
				AT_ERROR(r, 403, "permission_error", "forbidden", "zz_probe");
				struct at_resp *m = send_as(w, rt->method, path, AT_JSON, "{\"metadata\":5}", true);
				if (m->status == 401 || m->status == 403)
					AT_FAIL(m, "support may send metadata on %s %s", rt->method, rt->pattern);
				AT_STATUS(m, 400);
				continue;
			}
			if (r->status == 401 || r->status == 403 || r->status >= 500)
				AT_FAIL(r, "%s may call %s %s", w->label, rt->method, rt->pattern);
			if (is_get)
				continue; /* reached its handler (a read: the fingerprint below holds it) */
			if (i == W_CUS_B && r->status == 404) { /* A's object, to B: missing (the ownership pass) */
				AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
				continue;
			}
			/* a write must stop at the probe, before it writes */
			AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "zz_probe");
		}
	}
	at_step("the walk of %d routes wrote nothing", n_routes);
	expect_unchanged_but_sessions(&before);
}

/* ---- ownership ---------------------------------------------------------- */

/* A harmless, valid body for a customer write route on its own object (the
 * ownership pass needs one per route that customers may write on). */
static const char *own_write_body(const struct route *rt)
{
	if (!strcmp(rt->pattern, "/v1/customers/{id}"))
		return "name=Ann%20Again";
	if (!strcmp(rt->pattern, "/v1/subscriptions/{id}"))
		return ""; /* DELETE: cancel (A's second subscription) */
	if (!strcmp(rt->pattern, "/v1/invoices/{id}/pay"))
		return "";
	if (!strcmp(rt->pattern, "/v1/payment_methods/{id}/attach"))
		return at_fmt("customer=%s", fx.cus_a); /* A's own, onto itself: no change */
	if (!strcmp(rt->pattern, "/v1/payment_methods/{id}/detach"))
		return ""; /* A then detaches its second */
	return NULL;
}

static void customer_objects_are_theirs_only(void **state)
{
	(void)state;
	int n_checked = 0;
	for (const struct route *rt = routes; rt->method; rt++) {
		if (!(rt->allow & AC_CUSTOMER) || !strstr(rt->pattern, "{id}") || is_catalog(rt))
			continue;
		enum id_kind kind;
		const char *a_id = id_for_kind(rt->pattern, &kind);
		if (!a_id)
			AT_FAIL(NULL, "%s %s: no object for its {id}: add one to id_for_kind()", rt->method,
			        rt->pattern);
		const char *gone = missing_id(kind);
		bool is_get = !strcmp(rt->method, "GET");
		const char *body = is_get ? NULL : own_write_body(rt);
		if (!is_get && !body)
			AT_FAIL(NULL, "%s %s: customers may write on it; give own_write_body() a harmless body for it",
			        rt->method, rt->pattern);
		at_step("%s %s: customer B on A's %s", rt->method, rt->pattern, a_id);
		struct at_fingerprint fp;
		at_fingerprint(&fp);
		struct at_resp *missing = as(W_CUS_B, rt->method, path_of(rt->pattern, gone), body);
		struct at_resp *other = as(W_CUS_B, rt->method, path_of(rt->pattern, a_id), body);
		AT_ERROR(missing, 404, "invalid_request_error", "resource_missing", "id");
		expect_as_missing(other, a_id, missing, gone);
		AT_UNCHANGED(&fp, other);
		/* and A on its own object gets it */
		at_step("%s %s: customer A on its own", rt->method, rt->pattern);
		if (is_get) {
			AT_STATUS(as(W_CUS_A, rt->method, path_of(rt->pattern, a_id), NULL), 200);
		} else if (!strcmp(rt->method, "DELETE")) {
			struct at_resp *r = as(W_CUS_A, "DELETE", path_of(rt->pattern, fx.sub_a2), "");
			AT_STATUS(r, 200);
			AT_STR(r, "status", "canceled");
		} else if (strstr(rt->pattern, "/detach")) {
			struct at_resp *r = as(W_CUS_A, "POST", path_of(rt->pattern, fx.pm_a2), body);
			AT_STATUS(r, 200);
			AT_NULL(r, "customer");
		} else if (strstr(rt->pattern, "/attach")) {
			struct at_resp *r = as(W_CUS_A, "POST", path_of(rt->pattern, a_id), body);
			AT_STATUS(r, 200);
			AT_STR(r, "customer", fx.cus_a);
		} else if (strstr(rt->pattern, "/pay")) {
			/* not 404: the service's answer (no payment method yet) */
			AT_ERROR(as(W_CUS_A, "POST", path_of(rt->pattern, a_id), body), 400, "invalid_request_error",
			         "parameter_missing", "paid_out_of_band");
		} else {
			struct at_resp *r = as(W_CUS_A, "POST", path_of(rt->pattern, a_id), body);
			AT_STATUS(r, 200);
			AT_STR(r, "name", "Ann Again");
		}
		n_checked++;
	}
	at_step("ownership checked on %d routes", n_checked);
	if (n_checked < 7) /* customers GET/POST, subscriptions GET/DELETE, invoices GET, lines, pay */
		AT_FAIL(NULL, "only %d customer routes with an id", n_checked);
}

/* Every element of a list reply has field == want. */
static void expect_all(const struct at_resp *r, const char *field, const char *want, size_t n_min)
{
	json_t *data = at_json_path(r->json, "data");
	if (!json_is_array(data) || json_array_size(data) < n_min)
		AT_FAIL(r, "expected a list of at least %zu", n_min);
	size_t i;
	json_t *v;
	json_array_foreach(data, i, v)
	{
		json_t *f = json_object_get(v, field);
		if (!json_is_string(f) || strcmp(json_string_value(f), want))
			AT_FAIL(r, "data[%zu].%s is not %s", i, field, want);
	}
}

static void customer_lists_hold_their_own(void **state)
{
	(void)state;
	at_step("customers: A's alone");
	struct at_resp *r = as(W_CUS_A, "GET", "/v1/customers?limit=100", NULL);
	AT_LIST(r, "/v1/customers", 1, false);
	AT_STR(r, "data[0].id", fx.cus_a);
	AT_LIST(as(W_CUS_B, "GET", "/v1/customers?limit=100", NULL), "/v1/customers", 1, false);
	AT_STR(as(W_CUS_B, "GET", "/v1/customers?limit=100", NULL), "data[0].id", fx.cus_b);
	/* the staff see them all */
	r = as(W_OWNER, "GET", "/v1/subscriptions?limit=100", NULL);
	if (!strstr(r->body, fx.sub_a) || !strstr(r->body, fx.sub_b))
		AT_FAIL(r, "the owner does not see both customers' subscriptions");
	AT_STR(as(W_SUPPORT, "GET", at_fmt("/v1/invoices/%s", fx.inv_b), NULL), "customer", fx.cus_b);
	if (json_array_size(at_json_path(as(W_ANALYST, "GET", "/v1/customers?limit=100", NULL)->json, "data")) < 2)
		AT_FAIL(NULL, "the analyst sees fewer than the two customers");

	at_step("subscriptions: A's own, never B's");
	r = as(W_CUS_A, "GET", "/v1/subscriptions?limit=100", NULL);
	expect_all(r, "customer", fx.cus_a, 1);
	if (strstr(r->body, fx.sub_b))
		AT_FAIL(r, "B's subscription in A's list");
	if (!strstr(r->body, fx.sub_a))
		AT_FAIL(r, "A's subscription missing from its list");
	expect_all(as(W_CUS_B, "GET", "/v1/subscriptions?limit=100", NULL), "customer", fx.cus_b, 1);
	at_step("customer=B from A: an empty list");
	AT_LIST(as(W_CUS_A, "GET", at_fmt("/v1/subscriptions?customer=%s", fx.cus_b), NULL), "/v1/subscriptions", 0,
	        false);
	expect_all(as(W_CUS_A, "GET", at_fmt("/v1/subscriptions?customer=%s", fx.cus_a), NULL), "customer", fx.cus_a,
	           1);

	at_step("invoices: A's own, never B's");
	r = as(W_CUS_A, "GET", "/v1/invoices?limit=100", NULL);
	expect_all(r, "customer", fx.cus_a, 1);
	if (strstr(r->body, fx.inv_b) || !strstr(r->body, fx.inv_a))
		AT_FAIL(r, "A's invoice list is not A's");
	AT_LIST(as(W_CUS_A, "GET", at_fmt("/v1/invoices?customer=%s", fx.cus_b), NULL), "/v1/invoices", 0, false);
	AT_LIST(as(W_CUS_A, "GET", at_fmt("/v1/invoices?subscription=%s", fx.sub_b), NULL), "/v1/invoices", 0, false);

	at_step("a cursor on B's object reads as a missing one");
	struct at_resp *miss =
	    as(W_CUS_A, "GET", at_fmt("/v1/subscriptions?starting_after=%s", missing_id(ID_SUBSCRIPTION)), NULL);
	AT_ERROR(miss, 400, "invalid_request_error", "resource_missing", "starting_after");
	struct at_resp *other = as(W_CUS_A, "GET", at_fmt("/v1/subscriptions?starting_after=%s", fx.sub_b), NULL);
	expect_as_missing(other, fx.sub_b, miss, missing_id(ID_SUBSCRIPTION));

	at_step("upcoming invoice of B's subscription, to A: as missing");
	const char *gone = missing_id(ID_SUBSCRIPTION);
	miss = as(W_CUS_A, "GET", at_fmt("/v1/invoices/upcoming?subscription=%s", gone), NULL);
	other = as(W_CUS_A, "GET", at_fmt("/v1/invoices/upcoming?subscription=%s", fx.sub_b), NULL);
	AT_ERROR(miss, 400, "invalid_request_error", "resource_missing", "subscription");
	expect_as_missing(other, fx.sub_b, miss, gone);
	AT_STATUS(as(W_CUS_A, "GET", at_fmt("/v1/invoices/upcoming?subscription=%s", fx.sub_a), NULL), 200);
}

/* Payment methods (issue 14): a customer user's own only. */
static void customer_payment_methods_are_their_own(void **state)
{
	(void)state;
	const char *card = "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2040";
	at_step("A creates one: attached to A at once");
	struct at_resp *r = as(W_CUS_A, "POST", "/v1/payment_methods", card);
	AT_STATUS(r, 200);
	AT_STR(r, "customer", fx.cus_a);
	const char *mine = at_str(r, "id");
	at_step("A's list: its own, without naming itself; customer=B: empty");
	r = as(W_CUS_A, "GET", "/v1/payment_methods?limit=100", NULL);
	expect_all(r, "customer", fx.cus_a, 2);
	if (!strstr(r->body, mine))
		AT_FAIL(r, "A's new payment method is not in its list");
	AT_LIST(as(W_CUS_A, "GET", at_fmt("/v1/payment_methods?customer=%s", fx.cus_b), NULL), "/v1/payment_methods", 0,
	        false);
	at_step("A cannot attach its own to B, nor take an unattached one");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = as(W_CUS_A, "POST", at_fmt("/v1/payment_methods/%s/attach", mine), at_fmt("customer=%s", fx.cus_b));
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "customer");
	expect_unchanged_but_sessions(&fp);
	r = as(W_SK, "POST", "/v1/payment_methods", card);
	AT_STATUS(r, 200);
	const char *loose = at_str(r, "id");
	at_fingerprint(&fp);
	r = as(W_CUS_A, "POST", at_fmt("/v1/payment_methods/%s/attach", loose), at_fmt("customer=%s", fx.cus_a));
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	expect_unchanged_but_sessions(&fp);
	at_step("A makes its own the default of its customer");
	r = as(W_CUS_A, "POST", at_fmt("/v1/customers/%s", fx.cus_a),
	       at_fmt("invoice_settings[default_payment_method]=%s", mine));
	AT_STATUS(r, 200);
	AT_STR(r, "invoice_settings.default_payment_method", mine);
}

static void customers_see_the_active_catalog(void **state)
{
	(void)state;
	static const struct {
		const char *base;
		enum id_kind kind;
	} kinds[] = {{"/v1/products", ID_PRODUCT}, {"/v1/prices", ID_PRICE}};
	for (size_t k = 0; k < 2; k++) {
		const char *off = k == 0 ? fx.product_off : fx.price_off;
		const char *on = k == 0 ? fx.product : fx.price;
		const char *gone = missing_id(kinds[k].kind);
		at_step("%s: the inactive one is missing to a customer", kinds[k].base);
		struct at_resp *miss = as(W_CUS_A, "GET", at_fmt("%s/%s", kinds[k].base, gone), NULL);
		AT_ERROR(miss, 404, "invalid_request_error", "resource_missing", "id");
		expect_as_missing(as(W_CUS_A, "GET", at_fmt("%s/%s", kinds[k].base, off), NULL), off, miss, gone);
		AT_STATUS(as(W_CUS_A, "GET", at_fmt("%s/%s", kinds[k].base, on), NULL), 200);
		AT_BOOL(as(W_ANALYST, "GET", at_fmt("%s/%s", kinds[k].base, off), NULL), "active", false);
		at_step("%s: lists hold active ones only", kinds[k].base);
		struct at_resp *r = as(W_CUS_A, "GET", at_fmt("%s?limit=100", kinds[k].base), NULL);
		if (strstr(r->body, off) || !strstr(r->body, on))
			AT_FAIL(r, "the customer's list is not the active catalog");
		AT_LIST(as(W_CUS_A, "GET", at_fmt("%s?active=false", kinds[k].base), NULL), kinds[k].base, 0, false);
		r = as(W_SK, "GET", at_fmt("%s?active=false", kinds[k].base), NULL);
		if (!strstr(r->body, off))
			AT_FAIL(r, "the key does not see the inactive one");
	}
}

static void customer_writes_are_limited(void **state)
{
	(void)state;
	static const char *const merchant_fields[] = {"description=x", "currency=usd", "metadata[k]=v",
	                                              "invoice_prefix=ZZZ1", "next_invoice_sequence=5"};
	for (size_t i = 0; i < sizeof merchant_fields / sizeof *merchant_fields; i++) {
		at_step("customer A sets %s on itself", merchant_fields[i]);
		struct at_fingerprint fp;
		at_fingerprint(&fp);
		struct at_resp *r = as(W_CUS_A, "POST", at_fmt("/v1/customers/%s", fx.cus_a), merchant_fields[i]);
		char param[64];
		snprintf(param, sizeof param, "%.*s", (int)strcspn(merchant_fields[i], "=["), merchant_fields[i]);
		AT_ERROR(r, 403, "permission_error", "forbidden", param);
		AT_UNCHANGED(&fp, r);
	}
	at_step("customer A may not record an out-of-band payment nor choose a prorated cancel");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *r = as(W_CUS_A, "POST", at_fmt("/v1/invoices/%s/pay", fx.inv_a), "paid_out_of_band=true");
	AT_ERROR(r, 403, "permission_error", "forbidden", "paid_out_of_band");
	AT_UNCHANGED(&fp, r);
	r = as(W_CUS_A, "DELETE", at_fmt("/v1/subscriptions/%s", fx.sub_a), "prorate=true");
	AT_ERROR(r, 403, "permission_error", "forbidden", "prorate");
	AT_UNCHANGED(&fp, r);
	at_step("an Idempotency-Key is the user's own: B cannot replay A's answer");
	const char *key = at_fmt("access-%ld", (long)time(NULL));
	const char *hdr_a[] = {who[W_CUS_A].cookie, who[W_CUS_A].csrf, NULL};
	const char *hdr_b[] = {who[W_CUS_B].cookie, who[W_CUS_B].csrf, NULL};
	struct at_req ra = {.method = "POST",
	                    .path = at_fmt("/v1/customers/%s", fx.cus_a),
	                    .ctype = AT_FORM,
	                    .body = "phone=555",
	                    .auth = "",
	                    .idempotency_key = key,
	                    .headers = hdr_a};
	AT_STR(at_send(&ra), "phone", "555");
	struct at_req rb = ra;
	rb.headers = hdr_b;
	AT_ERROR(at_send(&rb), 404, "invalid_request_error", "resource_missing", "id");
	/* the merchant may */
	AT_STR(as(W_FINANCE, "POST", at_fmt("/v1/invoices/%s/pay", fx.inv_b), "paid_out_of_band=true"), "status",
	       "paid");
}

static void support_writes_metadata_only(void **state)
{
	(void)state;
	at_step("support sets metadata on a subscription");
	struct at_resp *r = as(W_SUPPORT, "POST", at_fmt("/v1/subscriptions/%s", fx.sub_a), "metadata[ticket]=T-1");
	AT_STATUS(r, 200);
	AT_STR(r, "metadata.ticket", "T-1");
	at_step("support may not change anything else");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = as(W_SUPPORT, "POST", at_fmt("/v1/subscriptions/%s", fx.sub_a),
	       "metadata[ticket]=T-2&cancel_at_period_end=true");
	AT_ERROR(r, 403, "permission_error", "forbidden", "cancel_at_period_end");
	AT_UNCHANGED(&fp, r);
	r = as(W_SUPPORT, "POST", at_fmt("/v1/prices/%s", fx.price), "active=false");
	AT_ERROR(r, 403, "permission_error", "forbidden", "active");
	AT_UNCHANGED(&fp, r);
	AT_ERROR(as(W_SUPPORT, "POST", at_fmt("/v1/subscriptions/%s/resume", fx.sub_a), ""), 403, "permission_error",
	         "forbidden", NULL);
	AT_UNCHANGED(&fp, r);
}

static void cookie_writes_need_the_csrf_token(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("owner's cookie POST without X-CSRF-Token");
	struct at_resp *r = send_as(&who[W_OWNER], "POST", "/v1/customers", AT_FORM, "name=Forged", false);
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("with another session's token");
	struct who forged = who[W_OWNER];
	memcpy(forged.csrf, who[W_ADMIN].csrf, sizeof forged.csrf);
	r = send_as(&forged, "POST", "/v1/customers", AT_FORM, "name=Forged", true);
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("customer A's cookie DELETE without it");
	r = send_as(&who[W_CUS_A], "DELETE", at_fmt("/v1/subscriptions/%s", fx.sub_a), AT_NONE, NULL, false);
	AT_ERROR(r, 403, "permission_error", "csrf_token_invalid", "X-CSRF-Token");
	AT_UNCHANGED(&fp, r);
	at_step("a GET needs none");
	AT_STATUS(send_as(&who[W_CUS_A], "GET", at_fmt("/v1/customers/%s", fx.cus_a), AT_NONE, NULL, false), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(doc_matches_routes),
	    cmocka_unit_test(every_route_every_principal),
	    cmocka_unit_test(customer_lists_hold_their_own),
	    cmocka_unit_test(customer_payment_methods_are_their_own),
	    cmocka_unit_test(customers_see_the_active_catalog),
	    cmocka_unit_test(customer_writes_are_limited),
	    cmocka_unit_test(support_writes_metadata_only),
	    cmocka_unit_test(cookie_writes_need_the_csrf_token),
	    cmocka_unit_test(customer_objects_are_theirs_only), /* last: A cancels its second subscription */
	};
	static const char *const serve[] = {"--enable-test-clocks", NULL};
	at_serve_args(serve);
	return at_run("test_access", tests, sizeof tests / sizeof tests[0], fixtures);
}
