/* Payment methods (issue 14) against a real `oneguard serve` with the
 * sandbox provider, on each backend: create (the card checked by the
 * sandbox; only brand, last 4 and expiry kept), attach, detach, list by
 * customer both ways, update, the customer's
 * invoice_settings[default_payment_method] rules (attached to that
 * customer; detaching clears it), and each refused card with its status,
 * error body and parameter, nothing written. The card number is never in a
 * response, the database or the server's log. Scoping for customer users
 * is test_access's walk; bad inputs of the parser, cases/payment_methods.json. */
#include "api/lib/apitest.h"
#include "core/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#define CARD_OK "4242424242424242"

static const char *create_customer(void)
{
	struct at_resp *r = at_post_form("/v1/customers", "name=Payer");
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

static struct at_resp *create_pm(const char *number, int month, int year, const char *cvc)
{
	return at_post_form("/v1/payment_methods", "type=card&card[number]=%s&card[exp_month]=%d&card[exp_year]=%d%s%s",
	                    number, month, year, cvc ? "&card[cvc]=" : "", cvc ? cvc : "");
}

static const char *new_pm(void)
{
	struct at_resp *r = create_pm(CARD_OK, 12, 2040, "123");
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

/* The number is nowhere: not in the reply, the database or the log. */
static void expect_number_nowhere(const struct at_resp *r, const char *number)
{
	if (r && strstr(r->body, number))
		AT_FAIL(r, "the reply echoes the card number");
	const char *where = at_db_find(number);
	if (where)
		AT_FAIL(NULL, "the card number is stored in %s", where);
	FILE *f = fopen(at_log_path(), "r");
	if (!f)
		return;
	char line[8192];
	while (fgets(line, sizeof line, f))
		if (strstr(line, number)) {
			fclose(f);
			AT_FAIL(NULL, "the card number is in the server's log: %s", line);
		}
	fclose(f);
}

static void create_keeps_only_what_may_be_shown(void **state)
{
	(void)state;
	struct at_resp *r = create_pm(CARD_OK, 12, 2040, "123");
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "pm_");
	AT_STR(r, "object", "payment_method");
	AT_STR(r, "type", "card");
	AT_STR(r, "card.brand", "visa");
	AT_STR(r, "card.last4", "4242");
	AT_INT(r, "card.exp_month", 12);
	AT_INT(r, "card.exp_year", 2040);
	AT_STR(r, "card.funding", "credit");
	AT_NULL(r, "customer");
	AT_BOOL(r, "livemode", false);
	AT_NULL(r, "billing_details.name");
	AT_ABSENT(r, "card.number");
	/* the fingerprint: a keyed hash, the same for the same number only */
	const char *fp1 = at_str(r, "card.fingerprint");
	if (!fp1 || strlen(fp1) != 16)
		AT_FAIL(r, "card.fingerprint is not 16 characters");
	AT_STR(create_pm("4242 4242 4242 4242", 1, 2041, NULL), "card.fingerprint", fp1);
	const char *fp2 = at_str(create_pm("4000000000000341", 12, 2040, "123"), "card.fingerprint");
	if (!fp2 || !strcmp(fp1, fp2))
		AT_FAIL(r, "two card numbers share a fingerprint");
	AT_ABSENT(r, "card.cvc");
	expect_number_nowhere(r, CARD_OK);
	/* the same object on retrieve; JSON bodies work too */
	const char *id = at_str(r, "id");
	struct at_resp *g = at_get("/v1/payment_methods/%s", id);
	AT_STATUS(g, 200);
	AT_STR(g, "card.last4", "4242");
	struct at_resp *j =
	    at_post_json("/v1/payment_methods", "{\"type\":\"card\",\"card\":{\"number\":\"4000 0000 0000 0341\","
	                                        "\"exp_month\":1,\"exp_year\":2041,\"cvc\":\"1234\"},"
	                                        "\"billing_details\":{\"name\":\"Ann\"},\"metadata\":{\"k\":\"v\"}}");
	AT_STATUS(j, 200);
	AT_STR(j, "card.last4", "0341"); /* attaches; its charges fail (collection) */
	AT_STR(j, "billing_details.name", "Ann");
	AT_STR(j, "metadata.k", "v");
	expect_number_nowhere(j, "4000000000000341");
	AT_ERROR(at_get("/v1/payment_methods/pm_nothing"), 404, "invalid_request_error", "resource_missing", "id");
}

/* A create sent with an Idempotency-Key replays, and the stored request
 * fingerprint is keyed: its plain SHA-256 (which, next to the stored last
 * 4 and expiry, could be searched back to the number) is in no row. */
static void idempotent_create_keeps_no_plain_digest(void **state)
{
	(void)state;
	const char *body =
	    "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2040&card[cvc]=123";
	struct at_req rq = {.method = "POST",
	                    .path = "/v1/payment_methods",
	                    .ctype = AT_FORM,
	                    .body = body,
	                    .idempotency_key = "pm-digest-1"};
	struct at_resp *a = at_send(&rq);
	AT_STATUS(a, 200);
	struct at_resp *b = at_send(&rq);
	AT_STATUS(b, 200);
	AT_HEADER(b, "Idempotent-Replayed", "true");
	AT_STR(b, "id", at_str(a, "id"));
	char text[1024], hex[65];
	unsigned char h[crypto_hash_sha256_BYTES];
	snprintf(text, sizeof text, "POST /v1/payment_methods\n%s", body);
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	const char *where = at_db_find(hex);
	if (where)
		AT_FAIL(a, "the plain digest of the request is stored in %s", where);
	expect_number_nowhere(a, "4242424242424242");
}

/* Every refused card: status, Stripe's error, the parameter; nothing written. */
static void refused_cards(void **state)
{
	(void)state;
	const struct {
		const char *number;
		int month, year;
		const char *cvc;
		const char *code, *param;
	} cases[] = {
	    {"4000000000000002", 12, 2040, "123", "card_declined", NULL},
	    {"4000000000009995", 12, 2040, "123", "card_declined", NULL},
	    {"4242424242424241", 12, 2040, "123", "incorrect_number", "card[number]"},
	    {"5555555555554444", 12, 2040, "123", "card_declined", "card[number]"}, /* not a sandbox card */
	    {"4000009900000012", 12, 2040, "123", "card_declined", "card[number]"}, /* a fault card: test mode only */
	    {CARD_OK, 13, 2040, "123", "invalid_expiry_month", "card[exp_month]"},
	    {CARD_OK, 12, 2020, "123", "invalid_expiry_year", "card[exp_year]"},
	    {CARD_OK, 12, 2040, "12", "invalid_cvc", "card[cvc]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		at_step("card %s %d/%d cvc %s", cases[i].number, cases[i].month, cases[i].year, cases[i].cvc);
		struct at_fingerprint fp;
		at_fingerprint(&fp);
		struct at_resp *r = create_pm(cases[i].number, cases[i].month, cases[i].year, cases[i].cvc);
		AT_ERROR(r, 402, "card_error", cases[i].code, cases[i].param);
		AT_UNCHANGED(&fp, r);
		expect_number_nowhere(r, cases[i].number);
	}
	/* the decline code, as Stripe's error carries it */
	struct at_resp *r = create_pm("4000000000009995", 12, 2040, "123");
	AT_STR(r, "error.decline_code", "insufficient_funds");
	AT_STR(create_pm("4000000000000002", 12, 2040, "123"), "error.decline_code", "generic_decline");
	AT_ABSENT(create_pm(CARD_OK, 13, 2040, "123"), "error.decline_code");
	/* the parser's own refusals */
	AT_ERROR(at_post_form("/v1/payment_methods", "type=card"), 400, "invalid_request_error", "parameter_missing",
	         "card");
	AT_ERROR(at_post_form("/v1/payment_methods",
	                      "type=sepa_debit&card[number]=" CARD_OK "&card[exp_month]=1&card[exp_year]=2040"),
	         400, "invalid_request_error", "parameter_invalid", "type");
}

static void attach_list_detach(void **state)
{
	(void)state;
	const char *cus = create_customer(), *other = create_customer();
	const char *pm1 = new_pm(), *pm2 = new_pm();
	struct at_resp *r = at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "customer=%s", cus);
	AT_STATUS(r, 200);
	AT_STR(r, "customer", cus);
	AT_STATUS(at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm2), "customer=%s", cus), 200);
	/* again onto the same customer: no change */
	AT_STATUS(at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "customer=%s", cus), 200);

	r = at_get("/v1/payment_methods?customer=%s&type=card", cus);
	AT_LIST(r, "/v1/payment_methods", 2, false);
	AT_STR(r, "data[0].id", pm2); /* newest first */
	AT_STR(r, "data[1].id", pm1);
	r = at_get("/v1/customers/%s/payment_methods?limit=1", cus);
	AT_LIST(r, at_fmt("/v1/customers/%s/payment_methods", cus), 1, true);
	AT_STR(r, "data[0].id", pm2);
	r = at_get("/v1/customers/%s/payment_methods?starting_after=%s", cus, pm2);
	AT_STR(r, "data[0].id", pm1);
	AT_LIST(at_get("/v1/payment_methods?customer=%s", other), "/v1/payment_methods", 0, false);
	AT_ERROR(at_get("/v1/payment_methods"), 400, "invalid_request_error", "parameter_missing", "customer");

	/* attached to another customer: refused, nothing written */
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "customer=%s", other);
	AT_ERROR(r, 400, "invalid_request_error", "payment_method_unexpected_state", "customer");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "customer=cus_nothing");
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "customer");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "%s", "");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "customer");
	AT_UNCHANGED(&fp, r);

	/* the default: must be attached to that customer */
	r = at_post_form(at_fmt("/v1/customers/%s", other), "invoice_settings[default_payment_method]=%s", pm1);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "invoice_settings[default_payment_method]");
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/customers", "name=New&invoice_settings[default_payment_method]=%s", pm1);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "invoice_settings[default_payment_method]");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/customers/%s", cus), "invoice_settings[default_payment_method]=%s", pm1);
	AT_STATUS(r, 200);
	AT_STR(r, "invoice_settings.default_payment_method", pm1);
	AT_STR(at_get("/v1/customers/%s", cus), "invoice_settings.default_payment_method", pm1);
	r = at_post_form(at_fmt("/v1/customers/%s", cus), "invoice_settings[default_payment_method]=");
	AT_NULL(r, "invoice_settings.default_payment_method");
	AT_STATUS(at_post_form(at_fmt("/v1/customers/%s", cus), "invoice_settings[default_payment_method]=%s", pm1),
	          200);

	/* detaching the default clears it */
	r = at_post_form(at_fmt("/v1/payment_methods/%s/detach", pm1), "%s", "");
	AT_STATUS(r, 200);
	AT_NULL(r, "customer");
	AT_NULL(at_get("/v1/customers/%s", cus), "invoice_settings.default_payment_method");
	AT_LIST(at_get("/v1/payment_methods?customer=%s", cus), "/v1/payment_methods", 1, false);
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/payment_methods/%s/detach", pm1), "%s", "");
	AT_ERROR(r, 400, "invalid_request_error", "payment_method_unexpected_state", NULL);
	AT_UNCHANGED(&fp, r);
	/* detached, it may go to another customer */
	r = at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm1), "customer=%s", other);
	AT_STR(r, "customer", other);
	/* events under Stripe's names */
	r = at_get("/v1/events?limit=1");
	AT_STR(r, "data[0].type", "payment_method.attached");
}

static void update_metadata_and_billing_details(void **state)
{
	(void)state;
	const char *pm = new_pm();
	struct at_resp *r =
	    at_post_form(at_fmt("/v1/payment_methods/%s", pm),
	                 "metadata[a]=1&billing_details[name]=Ann&billing_details[address][country]=DK");
	AT_STATUS(r, 200);
	AT_STR(r, "metadata.a", "1");
	AT_STR(r, "billing_details.name", "Ann");
	AT_STR(r, "billing_details.address.country", "DK");
	AT_NULL(r, "billing_details.address.city");
	r = at_post_form(at_fmt("/v1/payment_methods/%s", pm), "billing_details[email]=ann@example.com&metadata[a]=");
	AT_STR(r, "billing_details.name", "Ann"); /* kept */
	AT_STR(r, "billing_details.email", "ann@example.com");
	AT_ABSENT(r, "metadata.a");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/payment_methods/%s", pm), "card[number]=" CARD_OK);
	AT_ERROR(r, 400, "invalid_request_error", "parameter_unknown", "card");
	AT_UNCHANGED(&fp, r);
}

/* A subscription's default_payment_method: the same rule (attached to its
 * customer); detaching clears it too. */
static void subscription_default_payment_method(void **state)
{
	(void)state;
	struct at_resp *r = at_post_form("/v1/products", "name=Plan");
	const char *product = at_str(r, "id");
	r = at_post_form("/v1/prices", "product=%s&unit_amount=1000&currency=usd&recurring[interval]=month", product);
	AT_STATUS(r, 200);
	const char *price = at_str(r, "id");
	const char *cus = create_customer(), *other = create_customer();
	const char *pm = new_pm(), *theirs = new_pm();
	AT_STATUS(at_post_form(at_fmt("/v1/payment_methods/%s/attach", pm), "customer=%s", cus), 200);
	AT_STATUS(at_post_form(at_fmt("/v1/payment_methods/%s/attach", theirs), "customer=%s", other), 200);

	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form("/v1/subscriptions", "customer=%s&items[0][price]=%s&default_payment_method=%s", cus, price,
	                 theirs);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "default_payment_method");
	AT_UNCHANGED(&fp, r);
	r = at_post_form("/v1/subscriptions", "customer=%s&items[0][price]=%s&default_payment_method=%s", cus, price,
	                 pm);
	AT_STATUS(r, 200);
	AT_STR(r, "default_payment_method", pm);
	const char *sub = at_str(r, "id");
	AT_STR(at_get("/v1/subscriptions/%s", sub), "default_payment_method", pm);
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/subscriptions/%s", sub), "default_payment_method=%s", theirs);
	AT_ERROR(r, 400, "invalid_request_error", "resource_missing", "default_payment_method");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/subscriptions/%s", sub), "default_payment_method=");
	AT_STATUS(r, 200);
	AT_NULL(r, "default_payment_method");
	AT_STATUS(at_post_form(at_fmt("/v1/subscriptions/%s", sub), "default_payment_method=%s", pm), 200);
	AT_STATUS(at_post_form(at_fmt("/v1/payment_methods/%s/detach", pm), "%s", ""), 200);
	AT_NULL(at_get("/v1/subscriptions/%s", sub), "default_payment_method");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(create_keeps_only_what_may_be_shown),
	    cmocka_unit_test(idempotent_create_keeps_no_plain_digest),
	    cmocka_unit_test(refused_cards),
	    cmocka_unit_test(attach_list_detach),
	    cmocka_unit_test(update_metadata_and_billing_details),
	    cmocka_unit_test(subscription_default_payment_method),
	};
	return at_run("test_payment_methods", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
