/* The bad-input matrix: every file tests/api/cases/<resource>.json is an
 * array of requests that must be refused, each run as one cmocka test on
 * each backend against a real server. A case:
 *
 *   { "name": "missing name",                      unique within its file
 *     "method": "POST", "path": "/v1/products",    path may hold a query string
 *     "content_type": "json" | "form" | "raw",     raw: no Content-Type, unless
 *     "raw_content_type": "text/plain",              this optional one is given
 *     "body": "{}",                                optional; sent verbatim
 *     "oversize": true,                            optional; the body must then be
 *                                                    over the 65536-byte limit
 *     "expect_status": 400, "expect_type": "invalid_request_error",
 *     "expect_code": "parameter_missing",          optional
 *     "expect_param": "name" | null,
 *     "comment": "..." }                           optional, for readers
 *
 * Paths, bodies and expect_param may hold placeholders, filled before
 * sending:
 *   {{product}} {{price}} {{customer}}            live fixtures (the product has
 *                                                  the price, an active one with
 *                                                  lookup_key "fixture_lookup_key";
 *                                                  the customer has invoice_prefix
 *                                                  FIXTURE1, the deleted one DELETED1)
 *   {{second_price}}                              another price of the product
 *   {{new_product}} {{new_customer}}              made for this case alone (before the
 *   {{new_api_key}}                                 fingerprint), so a case that wrongly
 *                                                  deletes one breaks no other case
 *   {{deleted_product}} {{deleted_customer}}      well-formed ids of deleted rows
 *   {{revoked_api_key}}                           a revoked API key's id
 *   {{missing_product}} {{missing_price}}         well-formed ids that name
 *   {{missing_customer}} {{missing_api_key}}        no row at all
 *   {{missing_test_clock}} {{missing_subscription}}
 *   {{missing_subscription_item}}
 *   {{missing_payment_method}}
 *   {{new_payment_method}}                        an unattached sandbox card (4242), made
 *                                                  for this case alone
 *   {{other_currency_price}}                      an active monthly price in eur
 *   {{yearly_price}}                              an active yearly price in usd
 *   {{archived_price}}                            a monthly usd price, active=false
 *   {{other_monthly_price}}                       another active monthly usd price
 *                                                  ({{second_price}} is one-time, eur)
 *   {{subscriber}}                                the customer of the subscriptions below
 *   {{subscription}}                              a draft subscription of {{price}}
 *   {{subscription_item}}                           and its one item
 *   {{active_subscription}}                       confirmed (send_invoice): active
 *   {{active_subscription_item}}                    and its one item
 *   {{eur_customer}}                              a customer billed in eur
 *   {{canceled_subscription}}                     a draft, then canceled
 *   {{cap_price}}                                 a monthly usd price at the amount cap,
 *                                                  99999999999 (MONEY_AMOUNT_MAX)
 *   {{cap_subscription}}                          a draft of one {{cap_price}} whose
 *                                                  customer has a pending 1-cent item: its
 *                                                  first invoice would be over the cap
 *   {{test_clock}} {{clocked_customer}}           a test clock frozen at 1700000000 and a
 *                                                  customer living on it (so it cannot be
 *                                                  deleted); only in test_clocks.json, whose
 *                                                  cases run on a server started with
 *                                                  --enable-test-clocks (every other file's
 *                                                  server has test clocks disabled)
 *   {{a*251}}                                     251 copies of 'a' (any one
 *                                                  character, any count)
 *   {{oversize}}                                  70000 copies of 'a'
 *
 * For each case the runner checks the status, error.type, error.code when
 * given, error.param, a non-empty error.message, and that the database
 * fingerprint did not change: a refused request writes nothing. A case file
 * with an unknown field or placeholder fails its test, so typos cannot turn a
 * case into a no-op. */
#include "api/lib/apitest.h"
#include "core/ids.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES_GLOB   "tests/api/cases/*.json"
#define BODY_LIMIT   65536
#define OVERSIZE_LEN 70000
/* The one case file whose server runs with --enable-test-clocks. */
#define CLOCK_CASES "test_clocks.json"

/* Whether the server of the current run has test clocks enabled. */
static bool clocks_enabled;

struct fixture {
	const char *name;
	char value[ID_MAX_LEN];
};

static struct fixture fixtures[] = {
    {"product", ""},
    {"price", ""},
    {"customer", ""},
    {"deleted_product", ""},
    {"deleted_customer", ""},
    {"revoked_api_key", ""},
    {"missing_product", ""},
    {"missing_price", ""},
    {"missing_customer", ""},
    {"missing_api_key", ""},
    {"second_price", ""},
    {"missing_test_clock", ""},
    {"missing_subscription", ""},
    {"missing_subscription_item", ""},
    {"other_currency_price", ""},
    {"yearly_price", ""},
    {"archived_price", ""},
    {"subscriber", ""},
    {"subscription", ""},
    {"active_subscription", ""},
    {"canceled_subscription", ""},
    {"test_clock", ""},
    {"clocked_customer", ""},
    {"subscription_item", ""},
    {"active_subscription_item", ""},
    {"other_monthly_price", ""},
    {"eur_customer", ""},
    {"cap_price", ""},
    {"cap_subscriber", ""},
    {"cap_subscription", ""},
    {"missing_payment_method", ""},
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

static void fixture_set(const char *name, const char *value)
{
	for (size_t i = 0; i < N_FIXTURES; i++)
		if (!strcmp(fixtures[i].name, name))
			snprintf(fixtures[i].value, sizeof fixtures[i].value, "%s", value);
}

/* ---- placeholders --------------------------------------------------------- */

/* Objects made for the current case alone: {{new_product}} and the like. */
static struct {
	const char *name, *path, *body;
	const char *id; /* made for the current case, NULL until asked for */
} fresh[] = {
    {"new_product", "/v1/products", "name=Made+for+one+case", NULL},
    {"new_customer", "/v1/customers", "name=Made+for+one+case", NULL},
    {"new_api_key", "/v1/api_keys", "name=made-for-one-case", NULL},
    {"new_payment_method", "/v1/payment_methods",
     "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2040", NULL},
};
#define N_FRESH (sizeof fresh / sizeof fresh[0])

static const char *fresh_id(const char *name)
{
	for (size_t i = 0; i < N_FRESH; i++) {
		if (strcmp(fresh[i].name, name) != 0)
			continue;
		if (!fresh[i].id) {
			struct at_resp *r = at_post_form(fresh[i].path, "%s", fresh[i].body);
			AT_STATUS(r, 200);
			fresh[i].id = at_str(r, "id");
		}
		return fresh[i].id;
	}
	return NULL;
}

/* template with its placeholders filled (NULL and *bad set on an unknown one). */
static char *expand(const char *template, const char **bad)
{
	char *out = at_strdup("");
	const char *p = template;
	*bad = NULL;
	for (;;) {
		const char *open = strstr(p, "{{");
		if (!open)
			return at_fmt("%s%s", out, p);
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			*bad = "an unclosed {{";
			return NULL;
		}
		char *name = at_fmt("%.*s", (int)(close - open - 2), open + 2);
		const char *value = NULL;
		for (size_t i = 0; i < N_FIXTURES && !value; i++)
			if (!strcmp(fixtures[i].name, name))
				value = fixtures[i].value;
		char c;
		unsigned long n;
		int used = 0;
		if (!value)
			value = fresh_id(name);
		if (!value && !strcmp(name, "oversize"))
			value = at_repeat('a', OVERSIZE_LEN);
		else if (!value && sscanf(name, "%c*%lu%n", &c, &n, &used) == 2 && name[used] == 0 && n <= 1000000)
			value = at_repeat(c, n);
		if (!value) {
			*bad = name;
			return NULL;
		}
		out = at_fmt("%s%.*s%s", out, (int)(open - p), p, value);
		p = close + 2;
	}
}

/* ---- cases ---------------------------------------------------------------- */

struct bad_case {
	char *test_name; /* "products.json: missing name" */
	char *file;
	json_t *c;
};

static const char *const case_fields[] = {
    "name",          "method",      "path",        "content_type", "raw_content_type", "body", "oversize",
    "expect_status", "expect_type", "expect_code", "expect_param", "comment",          NULL};

/* Why the case is malformed, or NULL. */
static const char *case_invalid(json_t *c)
{
	if (!json_is_object(c))
		return "not an object";
	const char *key;
	json_t *v;
	json_object_foreach(c, key, v)
	{
		const char *const *f = case_fields;
		while (*f && strcmp(*f, key) != 0)
			f++;
		if (!*f)
			return at_fmt("unknown field \"%s\"", key);
	}
	static const char *const strings[] = {"name", "method", "path", "content_type", "expect_type", NULL};
	for (const char *const *f = strings; *f; f++)
		if (!json_is_string(json_object_get(c, *f)))
			return at_fmt("\"%s\" must be a string", *f);
	if (!json_is_integer(json_object_get(c, "expect_status")))
		return "\"expect_status\" must be an integer";
	json_t *param = json_object_get(c, "expect_param");
	if (!param || !(json_is_string(param) || json_is_null(param)))
		return "\"expect_param\" must be a string or null";
	json_t *code = json_object_get(c, "expect_code");
	if (code && !json_is_string(code))
		return "\"expect_code\" must be a string";
	json_t *body = json_object_get(c, "body");
	if (body && !json_is_string(body))
		return "\"body\" must be a string";
	const char *ct = json_string_value(json_object_get(c, "content_type"));
	if (strcmp(ct, "json") && strcmp(ct, "form") && strcmp(ct, "raw"))
		return "\"content_type\" must be json, form or raw";
	json_t *raw_ct = json_object_get(c, "raw_content_type");
	if (raw_ct && (!json_is_string(raw_ct) || strcmp(ct, "raw") != 0))
		return "\"raw_content_type\" is a string, only with content_type raw";
	json_t *oversize = json_object_get(c, "oversize");
	if (oversize && !json_is_boolean(oversize))
		return "\"oversize\" must be a boolean";
	return NULL;
}

static void run_case(void **state)
{
	const struct bad_case *bc = *state;
	json_t *c = bc->c;
	const char *why = case_invalid(c);
	if (why)
		AT_FAIL(NULL, "%s: the case is malformed: %s", bc->file, why);
	at_step("%s", bc->test_name);
	for (size_t i = 0; i < N_FRESH; i++)
		fresh[i].id = NULL;

	const char *bad;
	const char *path = expand(json_string_value(json_object_get(c, "path")), &bad);
	if (!path)
		AT_FAIL(NULL, "unknown placeholder in the path: %s", bad);
	const char *ct = json_string_value(json_object_get(c, "content_type"));
	bool oversize = json_is_true(json_object_get(c, "oversize"));
	json_t *body_template = json_object_get(c, "body");
	const char *body = NULL;
	if (body_template) {
		body = expand(json_string_value(body_template), &bad);
		if (!body)
			AT_FAIL(NULL, "unknown placeholder in the body: %s", bad);
	} else if (oversize) {
		body = !strcmp(ct, "json") ? at_fmt("{\"name\":\"%s\"}", at_repeat('a', OVERSIZE_LEN))
		                           : at_fmt("name=%s", at_repeat('a', OVERSIZE_LEN));
	}
	size_t body_len = body ? strlen(body) : 0;
	if (oversize && body_len <= BODY_LIMIT)
		AT_FAIL(NULL, "an oversize case's body has %zu bytes, not more than %d", body_len, BODY_LIMIT);
	if (!oversize && body_len > BODY_LIMIT)
		AT_FAIL(NULL, "the body has %zu bytes: flag the case \"oversize\"", body_len);

	struct at_req rq = {
	    .method = json_string_value(json_object_get(c, "method")),
	    .path = path,
	    .ctype = !strcmp(ct, "json")   ? AT_JSON
	             : !strcmp(ct, "form") ? AT_FORM
	                                   : AT_NONE,
	    .content_type = json_string_value(json_object_get(c, "raw_content_type")),
	    .body = body,
	    .body_len = body_len,
	};
	struct at_fingerprint before;
	at_fingerprint(&before);
	struct at_resp *r = at_send(&rq);
	json_t *param_template = json_object_get(c, "expect_param");
	const char *param = NULL;
	if (json_is_string(param_template) && !(param = expand(json_string_value(param_template), &bad)))
		AT_FAIL(NULL, "unknown placeholder in expect_param: %s", bad);
	AT_ERROR(r, (long)json_integer_value(json_object_get(c, "expect_status")),
	         json_string_value(json_object_get(c, "expect_type")),
	         json_string_value(json_object_get(c, "expect_code")), param);
	AT_UNCHANGED(&before, r);
}

/* ---- fixtures and self-checks -------------------------------------------- */

static const char *fixture_get(const char *name)
{
	for (size_t i = 0; i < N_FIXTURES; i++)
		if (!strcmp(fixtures[i].name, name))
			return fixtures[i].value;
	return NULL;
}

/* POSTs a form (placeholders filled from the fixtures made so far) and keeps
 * the reply's id as fixture `name`; 0, or -1 having said what failed. */
static int make_one(const char *name, const char *method, const char *path, const char *body)
{
	const char *bad;
	const char *p = expand(path, &bad), *b = p ? expand(body, &bad) : NULL;
	if (!p || !b) {
		fprintf(stderr, "bad_input: fixture %s: unknown placeholder %s\n", name, bad);
		return -1;
	}
	struct at_req rq = {.method = method, .path = p, .ctype = AT_FORM, .body = b, .body_len = strlen(b)};
	struct at_resp *r = at_send(&rq);
	if (r->status != 200 || !at_str(r, "id")) {
		fprintf(stderr, "bad_input: fixture %s: %s %s: %ld %s\n", name, method, p, r->status, r->body);
		return -1;
	}
	if (name)
		fixture_set(name, at_str(r, "id"));
	return 0;
}

/* The fixtures of subscriptions and test clocks. */
static int make_more_fixtures(void)
{
	static const struct {
		const char *fixture, *method, *path, *body;
	} steps[] = {
	    {"other_currency_price", "POST", "/v1/prices",
	     "product={{product}}&unit_amount=700&currency=eur&recurring[interval]=month"},
	    {"yearly_price", "POST", "/v1/prices",
	     "product={{product}}&unit_amount=9000&currency=usd&recurring[interval]=year"},
	    {"archived_price", "POST", "/v1/prices",
	     "product={{product}}&unit_amount=300&currency=usd&recurring[interval]=month"},
	    {NULL, "POST", "/v1/prices/{{archived_price}}", "active=false"},
	    {"other_monthly_price", "POST", "/v1/prices",
	     "product={{product}}&unit_amount=250&currency=usd&recurring[interval]=month"},
	    {"subscriber", "POST", "/v1/customers", "name=Subscriber"},
	    {"eur_customer", "POST", "/v1/customers", "name=Euro&currency=eur"},
	    {"subscription", "POST", "/v1/subscriptions", "customer={{subscriber}}&items[0][price]={{price}}"},
	    {"active_subscription", "POST", "/v1/subscriptions",
	     "customer={{subscriber}}&items[0][price]={{price}}&collection_method=send_invoice&confirm=true"},
	    {"canceled_subscription", "POST", "/v1/subscriptions", "customer={{subscriber}}&items[0][price]={{price}}"},
	    {NULL, "DELETE", "/v1/subscriptions/{{canceled_subscription}}", ""},
	    {"cap_price", "POST", "/v1/prices",
	     "product={{product}}&unit_amount=99999999999&currency=usd&recurring[interval]=month"},
	    {"cap_subscriber", "POST", "/v1/customers", "name=At+the+cap"},
	    {"cap_subscription", "POST", "/v1/subscriptions",
	     "customer={{cap_subscriber}}&items[0][price]={{cap_price}}"},
	    {NULL, "POST", "/v1/invoiceitems", "customer={{cap_subscriber}}&amount=1&currency=usd"},
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (make_one(steps[i].fixture, steps[i].method, steps[i].path, steps[i].body))
			return -1;
	struct at_resp *r = at_get("/v1/subscriptions/%s", fixture_get("active_subscription"));
	if (r->status != 200 || !at_str(r, "status") || strcmp(at_str(r, "status"), "active") != 0) {
		fprintf(stderr, "bad_input: fixture active_subscription is not active: %ld %s\n", r->status, r->body);
		return -1;
	}
	r = at_get("/v1/subscriptions/%s", fixture_get("subscription"));
	if (r->status != 200 || !at_str(r, "items.data[0].id")) {
		fprintf(stderr, "bad_input: fixture subscription_item: %ld %s\n", r->status, r->body);
		return -1;
	}
	fixture_set("subscription_item", at_str(r, "items.data[0].id"));
	r = at_get("/v1/subscriptions/%s", fixture_get("active_subscription"));
	if (r->status != 200 || !at_str(r, "items.data[0].id")) {
		fprintf(stderr, "bad_input: fixture active_subscription_item: %ld %s\n", r->status, r->body);
		return -1;
	}
	fixture_set("active_subscription_item", at_str(r, "items.data[0].id"));
	if (clocks_enabled &&
	    (make_one("test_clock", "POST", "/v1/test_helpers/test_clocks", "frozen_time=1700000000&name=Fixture") ||
	     make_one("clocked_customer", "POST", "/v1/customers", "name=Clocked&test_clock={{test_clock}}")))
		return -1;
	return 0;
}

static int make_fixtures(void)
{
	/* Runs in the group setup, where a failed assertion cannot longjmp:
	 * check by hand and say what failed. */
	struct {
		const char *fixture, *method, *path, *body, *field;
	} steps[] = {
	    {"product", "POST", "/v1/products", "name=Fixture+product", "id"},
	    {"deleted_product", "POST", "/v1/products", "name=Deleted+product", "id"},
	    {"customer", "POST", "/v1/customers", "email=fixture%40example.com&name=Fixture&invoice_prefix=FIXTURE1",
	     "id"},
	    {"deleted_customer", "POST", "/v1/customers", "name=Deleted&invoice_prefix=DELETED1", "id"},
	    {"revoked_api_key", "POST", "/v1/api_keys", "name=revoked", "id"},
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct at_resp *r = at_post_form(steps[i].path, "%s", steps[i].body);
		if (r->status != 200 || !at_str(r, "id")) {
			fprintf(stderr, "bad_input: fixture %s: %ld %s\n", steps[i].fixture, r->status, r->body);
			return -1;
		}
		fixture_set(steps[i].fixture, at_str(r, "id"));
	}
	struct at_resp *r = at_post_form(
	    "/v1/prices",
	    "product=%s&unit_amount=1000&currency=usd&recurring[interval]=month&lookup_key=fixture_lookup_key",
	    fixtures[0].value);
	if (r->status != 200 || !at_str(r, "id")) {
		fprintf(stderr, "bad_input: fixture price: %ld %s\n", r->status, r->body);
		return -1;
	}
	fixture_set("price", at_str(r, "id"));
	r = at_post_form("/v1/prices", "product=%s&unit_amount=5&currency=eur", fixtures[0].value);
	if (r->status != 200 || !at_str(r, "id")) {
		fprintf(stderr, "bad_input: fixture second_price: %ld %s\n", r->status, r->body);
		return -1;
	}
	fixture_set("second_price", at_str(r, "id"));
	const char *deletes[] = {at_fmt("/v1/products/%s", fixtures[3].value),
	                         at_fmt("/v1/customers/%s", fixtures[4].value),
	                         at_fmt("/v1/api_keys/%s", fixtures[5].value)};
	for (size_t i = 0; i < 3; i++) {
		r = at_delete("%s", deletes[i]);
		if (r->status != 200) {
			fprintf(stderr, "bad_input: DELETE %s: %ld %s\n", deletes[i], r->status, r->body);
			return -1;
		}
	}
	char buf[ID_MAX_LEN];
	fixture_set("missing_product", ids_encode(ID_PRODUCT, 987654321, buf));
	fixture_set("missing_price", ids_encode(ID_PRICE, 987654321, buf));
	fixture_set("missing_customer", ids_encode(ID_CUSTOMER, 987654321, buf));
	fixture_set("missing_api_key", ids_encode(ID_API_KEY, 987654321, buf));
	fixture_set("missing_test_clock", ids_encode(ID_TEST_CLOCK, 987654321, buf));
	fixture_set("missing_subscription", ids_encode(ID_SUBSCRIPTION, 987654321, buf));
	fixture_set("missing_subscription_item", ids_encode(ID_SUB_ITEM, 987654321, buf));
	fixture_set("missing_payment_method", ids_encode(ID_PAYMENT_METHOD, 987654321, buf));
	if (make_more_fixtures())
		return -1;
	for (size_t i = 0; i < N_FIXTURES; i++)
		if (!fixtures[i].value[0] && (clocks_enabled || (strcmp(fixtures[i].name, "test_clock") &&
		                                                 strcmp(fixtures[i].name, "clocked_customer")))) {
			fprintf(stderr, "bad_input: fixture %s was not made\n", fixtures[i].name);
			return -1;
		}
	return 0;
}

/* The fingerprint must see a write, or "nothing was written" proves nothing. */
static void fingerprint_sees_writes(void **state)
{
	(void)state;
	struct at_fingerprint before;
	at_fingerprint(&before);
	struct at_resp *r = at_post_form(at_fmt("/v1/customers/%s", fixtures[2].value), "metadata[seen]=1");
	AT_STATUS(r, 200);
	AT_CHANGED(&before, r);
	at_fingerprint(&before);
	r = at_post_form(at_fmt("/v1/customers/%s", fixtures[2].value), "metadata[seen]=");
	AT_STATUS(r, 200);
	AT_CHANGED(&before, r);
}

static struct bad_case *cases;
static size_t n_cases;

/* Every endpoint of src/http/routes.c that takes input has cases. */
static void every_endpoint_has_cases(void **state)
{
	(void)state;
	static const char *const endpoints[][2] = {
	    {"POST", "/v1/api_keys"},
	    {"GET", "/v1/api_keys"},
	    {"DELETE", "/v1/api_keys/*"},
	    {"GET", "/v1/audit_logs"},
	    {"POST", "/v1/products"},
	    {"GET", "/v1/products"},
	    {"GET", "/v1/products/*"},
	    {"POST", "/v1/products/*"},
	    {"DELETE", "/v1/products/*"},
	    {"POST", "/v1/prices"},
	    {"GET", "/v1/prices"},
	    {"GET", "/v1/prices/*"},
	    {"POST", "/v1/prices/*"},
	    {"POST", "/v1/customers"},
	    {"GET", "/v1/customers"},
	    {"GET", "/v1/customers/*"},
	    {"POST", "/v1/customers/*"},
	    {"DELETE", "/v1/customers/*"},
	    {"POST", "/v1/customers/*/balance_transactions"},
	    {"GET", "/v1/customers/*/balance_transactions"},
	    {"POST", "/v1/subscriptions"},
	    {"GET", "/v1/subscriptions"},
	    {"GET", "/v1/subscriptions/*"},
	    {"POST", "/v1/subscriptions/*"},
	    {"DELETE", "/v1/subscriptions/*"},
	    {"GET", "/v1/invoices/upcoming"},
	    {"POST", "/v1/test_helpers/test_clocks"},
	    {"GET", "/v1/test_helpers/test_clocks"},
	    {"GET", "/v1/test_helpers/test_clocks/*"},
	    {"DELETE", "/v1/test_helpers/test_clocks/*"},
	};
	for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++) {
		const char *pattern = endpoints[e][1];
		size_t stem = strcspn(pattern, "*");
		bool has_id = pattern[stem] == '*';
		int n = 0;
		for (size_t i = 0; i < n_cases; i++) {
			const char *method = json_string_value(json_object_get(cases[i].c, "method"));
			const char *path = json_string_value(json_object_get(cases[i].c, "path"));
			if (!method || !path || strcmp(method, endpoints[e][0]) != 0 ||
			    strncmp(path, pattern, stem) != 0)
				continue;
			const char *rest = path + stem;
			size_t seg = strcspn(rest, "/?");
			if (has_id ? (seg > 0 && (rest[seg] == 0 || rest[seg] == '?')) : (seg == 0 && rest[0] != '/'))
				n++;
		}
		if (n < 3)
			AT_FAIL(NULL, "%s %s has %d bad-input case(s); every endpoint needs its matrix",
			        endpoints[e][0], pattern, n);
	}
}

static int load_cases(void)
{
	glob_t g;
	if (glob(CASES_GLOB, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		fprintf(stderr, "bad_input: no case files %s (run from the repository root)\n", CASES_GLOB);
		return -1;
	}
	for (size_t f = 0; f < g.gl_pathc; f++) {
		json_error_t jerr;
		json_t *arr = json_load_file(g.gl_pathv[f], JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_array(arr)) {
			fprintf(stderr, "bad_input: %s: %s\n", g.gl_pathv[f], arr ? "not a JSON array" : jerr.text);
			json_decref(arr);
			globfree(&g);
			return -1;
		}
		const char *base = strrchr(g.gl_pathv[f], '/') + 1;
		size_t i;
		json_t *c;
		json_array_foreach(arr, i, c)
		{
			cases = realloc(cases, (n_cases + 1) * sizeof *cases);
			if (!cases)
				abort();
			const char *name = json_string_value(json_object_get(c, "name"));
			char *test_name = NULL;
			if (asprintf(&test_name, "%s: %s", base, name ? name : "(unnamed)") < 0)
				abort();
			for (size_t k = 0; k < n_cases; k++)
				if (!strcmp(cases[k].test_name, test_name)) {
					fprintf(stderr, "bad_input: two cases named '%s'\n", test_name);
					free(test_name);
					json_decref(arr);
					globfree(&g);
					return -1;
				}
			cases[n_cases].test_name = test_name;
			cases[n_cases].file = strdup(g.gl_pathv[f]);
			cases[n_cases].c = json_incref(c);
			n_cases++;
		}
		json_decref(arr);
	}
	globfree(&g);
	return 0;
}

int main(void)
{
	if (load_cases())
		return 1;
	/* Two servers: every case file but CLOCK_CASES against one with test
	 * clocks disabled (as in production), CLOCK_CASES against one with them
	 * enabled, so its cases reach the checks behind the 403. */
	struct CMUnitTest *tests = calloc(n_cases + 2, sizeof *tests);
	struct CMUnitTest *clock_tests = calloc(n_cases + 1, sizeof *clock_tests);
	if (!tests || !clock_tests)
		abort();
	size_t n_tests = 0, n_clock_tests = 0;
	tests[n_tests++] = (struct CMUnitTest)cmocka_unit_test(fingerprint_sees_writes);
	tests[n_tests++] = (struct CMUnitTest)cmocka_unit_test(every_endpoint_has_cases);
	for (size_t i = 0; i < n_cases; i++) {
		const char *base = strrchr(cases[i].file, '/') + 1;
		struct CMUnitTest t = {.name = cases[i].test_name, .test_func = run_case, .initial_state = &cases[i]};
		if (!strcmp(base, CLOCK_CASES))
			clock_tests[n_clock_tests++] = t;
		else
			tests[n_tests++] = t;
	}
	int failed = at_run("test_bad_input", tests, n_tests, make_fixtures);
	if (n_clock_tests) {
		static const char *const enable[] = {"--enable-test-clocks", NULL};
		at_serve_args(enable);
		clocks_enabled = true;
		failed += at_run("test_bad_input_test_clocks", clock_tests, n_clock_tests, make_fixtures);
	}
	free(clock_tests);
	for (size_t i = 0; i < n_cases; i++) {
		free(cases[i].test_name);
		free(cases[i].file);
		json_decref(cases[i].c);
	}
	free(cases);
	free(tests);
	return failed ? 1 : 0;
}
