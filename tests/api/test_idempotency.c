/* Idempotency-Key on write requests (src/http/idempotency.c), against a real
 * server on each backend: a repeat with the same key and the same request
 * returns the stored first response and writes nothing; the same key with
 * another request is refused; failed requests are not stored, so a corrected
 * retry with the same key runs; keys are scoped to the API key that sent
 * them; GET and DELETE ignore the header; concurrent requests with one key
 * create one object. */
#include "api/lib/apitest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int n_keys;

/* An Idempotency-Key no other test uses. */
static const char *fresh_key(void)
{
	return at_fmt("idem-%ld-%d", (long)getpid(), ++n_keys);
}

static struct at_resp *post(const char *path, enum at_ctype ctype, const char *body, const char *key, const char *auth)
{
	return at_send(&(struct at_req){
	    .method = "POST", .path = path, .ctype = ctype, .body = body, .idempotency_key = key, .auth = auth});
}

static void expect_not_replayed(const struct at_resp *r)
{
	const char *h = at_header(r, "Idempotent-Replayed");
	if (h && strcmp(h, "false") != 0)
		AT_FAIL(r, "a first response says Idempotent-Replayed: %s", h);
}

static void same_key_same_body_replays(void **state)
{
	(void)state;
	const char *key = fresh_key();
	const char *body = "{\"name\":\"Once\",\"metadata\":{\"k\":\"v\"}}";
	at_step("the first request creates the product");
	struct at_fingerprint before;
	at_fingerprint(&before);
	struct at_resp *first = post("/v1/products", AT_JSON, body, key, NULL);
	AT_STATUS(first, 200);
	AT_PREFIX(first, "id", "prod_");
	expect_not_replayed(first);
	AT_CHANGED(&before, first);

	at_step("the repeat returns the stored response and writes nothing");
	struct at_fingerprint after_first;
	at_fingerprint(&after_first);
	for (int i = 0; i < 2; i++) {
		struct at_resp *again = post("/v1/products", AT_JSON, body, key, NULL);
		AT_STATUS(again, 200);
		AT_HEADER(again, "Idempotent-Replayed", "true");
		AT_STR(again, "id", at_str(first, "id"));
		if (!json_equal(first->json, again->json))
			AT_FAIL(again, "the replay differs from the first response %s", first->body);
		if (!strcmp(at_header(first, "Request-Id"), at_header(again, "Request-Id")))
			AT_FAIL(again, "the replay reuses the first Request-Id");
		AT_UNCHANGED(&after_first, again);
	}
	at_step("exactly one product was made");
	struct at_resp *list = at_get("/v1/products?limit=2");
	AT_STR(list, "data[0].id", at_str(first, "id"));
	if (!strcmp(at_str(list, "data[1].id") ? at_str(list, "data[1].id") : "", at_str(first, "id")))
		AT_FAIL(list, "the product is listed twice");
}

static void form_bodies_replay_too(void **state)
{
	(void)state;
	const char *key = fresh_key();
	const char *body = "email=form%40example.com&metadata[a]=b";
	struct at_resp *first = post("/v1/customers", AT_FORM, body, key, NULL);
	AT_STATUS(first, 200);
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	struct at_resp *again = post("/v1/customers", AT_FORM, body, key, NULL);
	AT_STATUS(again, 200);
	AT_HEADER(again, "Idempotent-Replayed", "true");
	AT_STR(again, "id", at_str(first, "id"));
	AT_STR(again, "email", "form@example.com");
	AT_UNCHANGED(&fp, again);

	at_step("an update replays as well, even after the object changed");
	const char *path = at_fmt("/v1/customers/%s", at_str(first, "id"));
	const char *ukey = fresh_key();
	struct at_resp *u1 = post(path, AT_FORM, "name=First", ukey, NULL);
	AT_STATUS(u1, 200);
	AT_STATUS(at_post_form(path, "name=Second"), 200);
	at_fingerprint(&fp);
	struct at_resp *u2 = post(path, AT_FORM, "name=First", ukey, NULL);
	AT_STATUS(u2, 200);
	AT_HEADER(u2, "Idempotent-Replayed", "true");
	AT_STR(u2, "name", "First");
	AT_UNCHANGED(&fp, u2);
	AT_STR(at_get("%s", path), "name", "Second");
}

static void same_key_other_request_is_refused(void **state)
{
	(void)state;
	const char *key = fresh_key();
	struct at_resp *first = post("/v1/products", AT_JSON, "{\"name\":\"A\"}", key, NULL);
	AT_STATUS(first, 200);
	struct at_fingerprint fp;
	at_fingerprint(&fp);

	at_step("another body");
	struct at_resp *r = post("/v1/products", AT_JSON, "{\"name\":\"B\"}", key, NULL);
	AT_ERROR(r, 400, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key");
	at_step("the same parameters spelled as a form: the body bytes differ");
	r = post("/v1/products", AT_FORM, "name=A", key, NULL);
	AT_ERROR(r, 400, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key");
	at_step("another path");
	r = post("/v1/customers", AT_JSON, "{\"name\":\"A\"}", key, NULL);
	AT_ERROR(r, 400, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key");
	at_step("another id in the path");
	r = post(at_fmt("/v1/products/%s", at_str(first, "id")), AT_JSON, "{\"name\":\"A\"}", key, NULL);
	AT_ERROR(r, 400, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key");
	AT_UNCHANGED(&fp, r);

	at_step("the original request still replays");
	r = post("/v1/products", AT_JSON, "{\"name\":\"A\"}", key, NULL);
	AT_STATUS(r, 200);
	AT_HEADER(r, "Idempotent-Replayed", "true");
	AT_STR(r, "id", at_str(first, "id"));
}

static void errors_are_not_stored(void **state)
{
	(void)state;
	const char *key = fresh_key();
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("a failing request with a key");
	struct at_resp *r = post("/v1/prices", AT_JSON, "{\"unit_amount\":100,\"currency\":\"usd\"}", key, NULL);
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "product");
	AT_UNCHANGED(&fp, r);
	at_step("it fails the same way again (not replayed, not a mismatch)");
	r = post("/v1/prices", AT_JSON, "{\"unit_amount\":100,\"currency\":\"usd\"}", key, NULL);
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "product");
	expect_not_replayed(r);

	at_step("the corrected request with the same key succeeds");
	struct at_resp *p = at_post_json("/v1/products", "{\"name\":\"for prices\"}");
	AT_STATUS(p, 200);
	const char *body = at_fmt("{\"product\":\"%s\",\"unit_amount\":100,\"currency\":\"usd\"}", at_str(p, "id"));
	struct at_resp *ok = post("/v1/prices", AT_JSON, body, key, NULL);
	AT_STATUS(ok, 200);
	AT_PREFIX(ok, "id", "price_");
	expect_not_replayed(ok);
	at_step("and from then on replays");
	r = post("/v1/prices", AT_JSON, body, key, NULL);
	AT_STATUS(r, 200);
	AT_HEADER(r, "Idempotent-Replayed", "true");
	AT_STR(r, "id", at_str(ok, "id"));

	at_step("a 404 is not stored either");
	const char *key404 = fresh_key();
	r = post("/v1/customers/cus_00000000000", AT_FORM, "name=x", key404, NULL);
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	r = post("/v1/customers", AT_FORM, "name=x", key404, NULL);
	AT_STATUS(r, 200);
}

static void keys_are_per_api_key(void **state)
{
	(void)state;
	at_step("a second API key");
	struct at_resp *k = at_post_form("/v1/api_keys", "name=second");
	AT_STATUS(k, 200);
	const char *other = at_fmt("Bearer %s", at_str(k, "secret"));

	const char *key = fresh_key();
	const char *body = "{\"name\":\"per key\"}";
	at_step("the same Idempotency-Key and body under two API keys: two products");
	struct at_resp *mine = post("/v1/products", AT_JSON, body, key, NULL);
	AT_STATUS(mine, 200);
	struct at_resp *theirs = post("/v1/products", AT_JSON, body, key, other);
	AT_STATUS(theirs, 200);
	expect_not_replayed(theirs);
	if (!strcmp(at_str(mine, "id"), at_str(theirs, "id")))
		AT_FAIL(theirs, "the second API key got the first one's stored response");

	at_step("each replays its own");
	struct at_resp *r = post("/v1/products", AT_JSON, body, key, other);
	AT_HEADER(r, "Idempotent-Replayed", "true");
	AT_STR(r, "id", at_str(theirs, "id"));
	r = post("/v1/products", AT_JSON, body, key, NULL);
	AT_HEADER(r, "Idempotent-Replayed", "true");
	AT_STR(r, "id", at_str(mine, "id"));

	at_step("a different body under the other API key is that key's own mismatch");
	r = post("/v1/products", AT_JSON, "{\"name\":\"other\"}", key, other);
	AT_ERROR(r, 400, "idempotency_error", "idempotency_key_in_use", "Idempotency-Key");
}

static void key_length_and_methods(void **state)
{
	(void)state;
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	at_step("a key of 256 characters is refused");
	struct at_resp *r = post("/v1/products", AT_JSON, "{\"name\":\"long key\"}", at_repeat('k', 256), NULL);
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "Idempotency-Key");
	AT_UNCHANGED(&fp, r);
	at_step("255 characters are fine");
	const char *prefix = fresh_key();
	const char *key255 = at_fmt("%s%s", prefix, at_repeat('k', 255 - strlen(prefix)));
	r = post("/v1/products", AT_JSON, "{\"name\":\"long key\"}", key255, NULL);
	AT_STATUS(r, 200);
	r = post("/v1/products", AT_JSON, "{\"name\":\"long key\"}", key255, NULL);
	AT_HEADER(r, "Idempotent-Replayed", "true");

	at_step("GET ignores the header");
	at_fingerprint(&fp);
	r = at_send(&(struct at_req){.method = "GET", .path = "/v1/products?limit=1", .idempotency_key = "get-key"});
	AT_STATUS(r, 200);
	expect_not_replayed(r);
	r = at_send(
	    &(struct at_req){.method = "GET", .path = "/v1/products?limit=1", .idempotency_key = at_repeat('g', 300)});
	AT_STATUS(r, 200);
	AT_UNCHANGED(&fp, r);

	at_step("DELETE ignores the header: a second DELETE is a 404, not a replay");
	struct at_resp *c = at_post_form("/v1/customers", "name=to+delete");
	AT_STATUS(c, 200);
	const char *path = at_fmt("/v1/customers/%s", at_str(c, "id"));
	r = at_send(&(struct at_req){.method = "DELETE", .path = path, .idempotency_key = "del-key"});
	AT_STATUS(r, 200);
	AT_BOOL(r, "deleted", true);
	r = at_send(&(struct at_req){.method = "DELETE", .path = path, .idempotency_key = "del-key"});
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
}

/* Many requests with one key at the same moment: exactly one runs. On
 * SQLite the single writer serializes them (the rest replay); on PostgreSQL
 * the losers of the race on the key's unique index answer 409. */
static void concurrent_requests_with_one_key(void **state)
{
	(void)state;
	enum { N = 12, ROUNDS = 4 };
	for (int round = 0; round < ROUNDS; round++) {
		at_step("round %d: %d requests at once with one key", round + 1, N);
		const char *key = fresh_key();
		const char *name = at_fmt("concurrent %s", key);
		const char *body = at_fmt("{\"name\":\"%s\"}", name);
		struct at_req rqs[N];
		struct at_resp *out[N];
		for (int i = 0; i < N; i++)
			rqs[i] = (struct at_req){.method = "POST",
			                         .path = "/v1/products",
			                         .ctype = AT_JSON,
			                         .body = body,
			                         .idempotency_key = key};
		at_send_parallel(rqs, N, out);
		const char *id = NULL;
		for (int i = 0; i < N; i++) {
			if (out[i]->status == 200) {
				if (!id)
					id = at_str(out[i], "id");
				AT_STR(out[i], "id", id);
			} else {
				/* the one retryable 409: the client should simply retry */
				AT_ERROR(out[i], 409, "idempotency_error", "idempotency_key_in_progress",
				         "Idempotency-Key");
				AT_HEADER(out[i], "Stripe-Should-Retry", "true");
			}
		}
		if (!id)
			AT_FAIL(out[0], "no request of %d succeeded", N);
		at_step("round %d: a retry replays the one product", round + 1);
		struct at_resp *r = post("/v1/products", AT_JSON, body, key, NULL);
		AT_STATUS(r, 200);
		AT_HEADER(r, "Idempotent-Replayed", "true");
		AT_STR(r, "id", id);
		r = at_get("/v1/products?limit=100");
		int n_named = 0;
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(r->json, "data"), i, p)
		{
			n_named += !strcmp(json_string_value(json_object_get(p, "name")), name);
		}
		if (n_named != 1)
			AT_FAIL(r, "%d products named '%s', want 1", n_named, name);
	}
}

static void api_key_secret_is_not_stored(void **state)
{
	(void)state;
	/* api_keys.c: "The secret is shown once, in the create response; only
	 * its hash is stored." That must hold with an Idempotency-Key too. */
	at_step("create an API key with an Idempotency-Key");
	const char *key = fresh_key();
	struct at_resp *r = post("/v1/api_keys", AT_FORM, "name=idem", key, NULL);
	AT_STATUS(r, 200);
	const char *secret = at_str(r, "secret");
	if (!secret)
		AT_FAIL(r, "no secret in the create response");
	at_step("the secret is nowhere in the database");
	const char *where = at_db_find(secret);
	if (where)
		AT_FAIL(r, "the secret of a new API key is stored in clear in %s", where);
	at_step("a replay answers the same key, without its secret");
	struct at_resp *again = post("/v1/api_keys", AT_FORM, "name=idem", key, NULL);
	AT_STATUS(again, 200);
	AT_HEADER(again, "Idempotent-Replayed", "true");
	AT_STR(again, "id", at_str(r, "id"));
	AT_STR(again, "redacted", at_str(r, "redacted"));
	AT_ABSENT(again, "secret");
	at_step("the secret works, once made");
	AT_STATUS(at_send(&(struct at_req){
	              .method = "GET", .path = "/v1/api_keys?limit=1", .auth = at_fmt("Bearer %s", secret)}),
	          200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(same_key_same_body_replays),
	    cmocka_unit_test(form_bodies_replay_too),
	    cmocka_unit_test(same_key_other_request_is_refused),
	    cmocka_unit_test(errors_are_not_stored),
	    cmocka_unit_test(keys_are_per_api_key),
	    cmocka_unit_test(key_length_and_methods),
	    cmocka_unit_test(concurrent_requests_with_one_key),
	    cmocka_unit_test(api_key_secret_is_not_stored),
	};
	return at_run("test_idempotency", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
