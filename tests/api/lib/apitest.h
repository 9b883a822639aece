/* apitest: the harness for API tests. Each test binary runs its cmocka tests
 * against a real `oneguard serve` child, once per backend: SQLite always, and
 * PostgreSQL too when OG_TEST_PG_URL is set (a libpq conninfo or URL to a
 * throw-away server on which we may CREATE and DROP databases).
 *
 * For each backend the harness makes a fresh database (SQLite: a file in a
 * temp directory; PostgreSQL: CREATE DATABASE og_<pid>_<n>), runs
 * `oneguard migrate` and `oneguard keys create` (keeping the secret), starts
 * `oneguard serve --threads 2 --billing-interval 0` (plus at_serve_args) on
 * 127.0.0.1 with a free port and waits for GET /healthz.
 * After the suite's tests, one more test stops the server with SIGTERM and
 * asserts that it exited 0 (a sanitizer report makes the exit status
 * nonzero) and that its log holds no sanitizer report. Then the PostgreSQL
 * database is dropped and the temp directory removed (kept, with the server
 * log, when OG_TEST_KEEP=1).
 *
 * Environment: OG_BIN (the oneguard binary; default build/san/oneguard),
 * OG_TEST_PG_URL, OG_TEST_KEEP. Tests run from the repository root.
 *
 * What does not live here: the tests themselves (tests/api/test_*.c), the
 * bad-input cases (tests/api/cases/, one JSON file per resource).
 *
 * Memory: responses, strings from at_fmt and the like belong to the current
 * test and are freed when it ends (also when it fails half-way), so tests
 * never free anything. Failing assertions report the file and line of the
 * test, the current step (at_step) and the request and response at fault. */
#ifndef OG_APITEST_H
#define OG_APITEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>

/* ---- running a suite ------------------------------------------------------ */

/* Runs tests (which must not have their own teardown) once per backend as the
 * cmocka groups "<suite> [sqlite]" and "<suite> [postgres]", each ending with
 * cmocka's summary. fixtures, when not NULL, runs after the server is up and
 * before the tests (requests made there live until the backend stops);
 * nonzero fails the group. Returns the number of failed tests, for main(). */
int at_run(const char *suite, const struct CMUnitTest *tests, size_t n_tests, int (*fixtures)(void));

/* Extra arguments for the next at_run's `oneguard serve`, e.g.
 * { "--enable-test-clocks", NULL } (copied; at most 16). at_run forgets
 * them when it returns; NULL forgets them at once. */
void at_serve_args(const char *const *args);

/* The backend under test: "sqlite" or "postgres". */
const char *at_backend_name(void);
/* The `--db` URL of the backend's database. */
const char *at_db_url(void);
/* The server's log file: its stderr (every log line) and the harness's notes. */
const char *at_log_path(void);
/* The --secret-key-file migrate and serve get (in the temp folder). */
const char *at_secret_key_path(void);
/* The secret of the API key the harness created (sent by default). */
const char *at_secret(void);

/* Names the step a test is at; failures print it. printf-style. */
void at_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- per-test memory ------------------------------------------------------ */

/* A string that lives until the current test ends. */
char *at_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *at_strdup(const char *s);
/* n copies of c. */
char *at_repeat(char c, size_t n);
/* s percent-encoded for a form body or query string (RFC 3986 unreserved
 * characters kept, everything else %XX). */
char *at_urlencode(const char *s);
/* Hands ptr (malloc'd) or json (one reference) to the current test. */
void *at_keep(void *ptr);
json_t *at_keep_json(json_t *json);

/* ---- HTTP ----------------------------------------------------------------- */

struct at_resp {
	long status;
	const char *method;
	const char *path;
	const char *req_body; /* the body sent, or NULL */
	char *body;           /* NUL-terminated */
	size_t body_len;
	json_t *json; /* the parsed body: never NULL (a body that is not JSON fails the test) */
	int n_headers;
	char **header_names;
	char **header_values;
};

enum at_ctype { AT_NONE, AT_JSON, AT_FORM };

struct at_req {
	const char *method;          /* "GET", "POST", "DELETE", ... */
	const char *path;            /* with the query string */
	enum at_ctype ctype;         /* Content-Type sent; AT_NONE sends none */
	const char *content_type;    /* when set, sent as is instead of ctype's */
	const char *body;            /* NULL: no body */
	size_t body_len;             /* 0: strlen(body) */
	const char *auth;            /* NULL: "Bearer <at_secret()>"; "": no Authorization header;
	                                otherwise the header's value */
	const char *idempotency_key; /* NULL: no Idempotency-Key header */
	const char *const *headers;  /* NULL or NULL-terminated extra "Name: value" lines */
};

/* Sends a request and returns the response (owned by the current test).
 * Fails the test when the transport fails, when the body is not JSON, when
 * the response has no Request-Id header or when its Content-Type is not
 * application/json. */
struct at_resp *at__send(const char *file, int line, const struct at_req *rq);
#define at_send(...) at__send(__FILE__, __LINE__, (__VA_ARGS__))

/* Sends n requests at once, each on its own connection, and waits for all;
 * out[i] is the response to rqs[i]. The same checks as at_send on each. */
void at__send_parallel(const char *file, int line, const struct at_req *rqs, int n, struct at_resp **out);
#define at_send_parallel(rqs, n, out) at__send_parallel(__FILE__, __LINE__, (rqs), (n), (out))

/* Shorthands with the default key. Paths are printf formats. */
struct at_resp *at__get(const char *file, int line, const char *path_fmt, ...) __attribute__((format(printf, 3, 4)));
struct at_resp *at__delete(const char *file, int line, const char *path_fmt, ...) __attribute__((format(printf, 3, 4)));
/* POST with a JSON or a form body (body_fmt is a printf format). */
struct at_resp *at__post_json(const char *file, int line, const char *path, const char *body_fmt, ...)
    __attribute__((format(printf, 4, 5)));
struct at_resp *at__post_form(const char *file, int line, const char *path, const char *body_fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define at_get(...)       at__get(__FILE__, __LINE__, __VA_ARGS__)
#define at_delete(...)    at__delete(__FILE__, __LINE__, __VA_ARGS__)
#define at_post_json(...) at__post_json(__FILE__, __LINE__, __VA_ARGS__)
#define at_post_form(...) at__post_form(__FILE__, __LINE__, __VA_ARGS__)

/* A response header's value (name case-insensitive), NULL when absent. */
const char *at_header(const struct at_resp *r, const char *name);

/* ---- JSON ----------------------------------------------------------------- */

/* The value at path ("error.param", "data[0].id", "metadata.k") or NULL. */
json_t *at_json_path(json_t *root, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *at_str(const struct at_resp *r, const char *path);

/* Assertions on a response; on failure they print the request and response. */
void at__expect_status(const char *file, int line, const struct at_resp *r, long status);
void at__expect_str(const char *file, int line, const struct at_resp *r, const char *path, const char *want);
void at__expect_int(const char *file, int line, const struct at_resp *r, const char *path, long long want);
void at__expect_bool(const char *file, int line, const struct at_resp *r, const char *path, bool want);
void at__expect_null(const char *file, int line, const struct at_resp *r, const char *path);
void at__expect_absent(const char *file, int line, const struct at_resp *r, const char *path);
void at__expect_prefix(const char *file, int line, const struct at_resp *r, const char *path, const char *prefix);
void at__expect_header(const char *file, int line, const struct at_resp *r, const char *name, const char *want);
/* An error envelope: status, error.type, error.code (when code is not NULL),
 * error.param (NULL: must be null or absent), a non-empty error.message. */
void at__expect_error(const char *file, int line, const struct at_resp *r, long status, const char *type,
                      const char *code, const char *param);
/* A list envelope: object "list", data an array of n items, has_more, url. */
void at__expect_list(const char *file, int line, const struct at_resp *r, const char *url, size_t n, bool has_more);
/* Fails the test with a message and the response (r may be NULL). */
void at__fail(const char *file, int line, const struct at_resp *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define AT_STATUS(r, s)            at__expect_status(__FILE__, __LINE__, (r), (s))
#define AT_STR(r, path, want)      at__expect_str(__FILE__, __LINE__, (r), (path), (want))
#define AT_INT(r, path, want)      at__expect_int(__FILE__, __LINE__, (r), (path), (want))
#define AT_BOOL(r, path, want)     at__expect_bool(__FILE__, __LINE__, (r), (path), (want))
#define AT_NULL(r, path)           at__expect_null(__FILE__, __LINE__, (r), (path))
#define AT_ABSENT(r, path)         at__expect_absent(__FILE__, __LINE__, (r), (path))
#define AT_PREFIX(r, path, prefix) at__expect_prefix(__FILE__, __LINE__, (r), (path), (prefix))
#define AT_HEADER(r, name, want)   at__expect_header(__FILE__, __LINE__, (r), (name), (want))
#define AT_ERROR(r, status, type, code, param)                                                                         \
	at__expect_error(__FILE__, __LINE__, (r), (status), (type), (code), (param))
#define AT_LIST(r, url, n, has_more) at__expect_list(__FILE__, __LINE__, (r), (url), (n), (has_more))
#define AT_FAIL(r, ...)              at__fail(__FILE__, __LINE__, (r), __VA_ARGS__)

/* ---- the database fingerprint --------------------------------------------- */

/* A hash of every row of every table of the test database, read through the
 * store driver (src/store/db.h) in one read transaction: tables from
 * sqlite_master or information_schema, rows ordered by the primary key.
 * summary names each table with its row count and a short hash, so a
 * mismatch says where. */
struct at_fingerprint {
	char hash[65];
	char summary[2048];
};
void at__fingerprint(const char *file, int line, struct at_fingerprint *out);
#define at_fingerprint(fp) at__fingerprint(__FILE__, __LINE__, (fp))
/* Where text occurs in any value of any row ("table.column"), or NULL. */
const char *at__db_find(const char *file, int line, const char *text);
#define at_db_find(text) at__db_find(__FILE__, __LINE__, (text))
/* Fails unless the database is exactly as `before` (nothing was written). */
void at__expect_unchanged(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r);
#define AT_UNCHANGED(before, r) at__expect_unchanged(__FILE__, __LINE__, (before), (r))
/* Fails unless the only change since `before` is one more audit_logs row: a
 * successful request that changed nothing is still audited. */
void at__expect_only_audited(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r);
#define AT_ONLY_AUDITED(before, r) at__expect_only_audited(__FILE__, __LINE__, (before), (r))
/* Fails when the database is still as `before` (something should have been written). */
void at__expect_changed(const char *file, int line, const struct at_fingerprint *before, const struct at_resp *r);
#define AT_CHANGED(before, r) at__expect_changed(__FILE__, __LINE__, (before), (r))

#endif
