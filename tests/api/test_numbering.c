/* API tests for invoice numbering, against a real `oneguard serve` on each
 * backend.
 *
 * Suite "test_numbering" runs the server with --invoice-numbering customer
 * (and test clocks): customers carry invoice_prefix (random, 8 of A-Z 0-9,
 * when not given) and next_invoice_sequence, both settable on create and
 * update; every invoice a customer gets, the subscription's first, the
 * cycle invoices the clock's advances issue and a manual one finalized
 * through /v1/invoices, is numbered PREFIX-0001, -0002, ... in its own
 * series, without gaps, whatever other customers are billed in between;
 * once a series has started its prefix and sequence cannot change (400
 * naming the parameter, nothing written).
 * Suite "test_numbering_account" runs it as is: the account's INV-000001
 * series, whatever the customers' prefixes, which stay untouched.
 * The bad-input matrix for the two parameters is in cases/customers.json. */
#include "api/billing_helpers.h"
#include "api/lib/apitest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_prefix_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* a customer on clock (NULL: real time) with more JSON members in extra */
static struct at_resp *new_customer(const char *clock, const char *extra)
{
	struct at_resp *r =
	    at_post_json("/v1/customers", "{\"name\":\"Numbered\"%s%s%s%s%s}", clock ? ",\"test_clock\":\"" : "",
	                 clock ? clock : "", clock ? "\"" : "", extra ? "," : "", extra ? extra : "");
	AT_STATUS(r, 200);
	return r;
}

static const char *subscribe(const char *customer, const char *price)
{
	struct at_resp *r =
	    at_post_json("/v1/subscriptions", "{\"customer\":\"%s\",\"items\":[{\"price\":\"%s\"}],\"confirm\":true}",
	                 customer, price);
	AT_STATUS(r, 200);
	return at_str(r, "id");
}

/* The customer's invoice numbers, oldest first, as "A-0001,A-0002". */
static const char *numbers_of(const char *customer)
{
	struct at_resp *r = at_get("/v1/invoices?customer=%s&limit=100", customer);
	AT_STATUS(r, 200);
	const char *out = "";
	for (size_t i = bh_count(r); i-- > 0;)
		out = at_fmt("%s%s%s", out, *out ? "," : "", at_str(r, at_fmt("data[%zu].number", i)));
	return out;
}

static void customers_show_their_numbering(void **state)
{
	(void)state;
	at_step("a new customer gets 8 random characters and sequence 1");
	struct at_resp *r = new_customer(NULL, NULL);
	const char *prefix = at_str(r, "invoice_prefix");
	if (!prefix || strlen(prefix) != 8)
		AT_FAIL(r, "invoice_prefix is not 8 characters");
	for (const char *p = prefix; *p; p++)
		if (!is_prefix_char(*p))
			AT_FAIL(r, "invoice_prefix has a character outside A-Z 0-9");
	AT_INT(r, "next_invoice_sequence", 1);
	const char *second = at_str(new_customer(NULL, NULL), "invoice_prefix");
	if (!strcmp(prefix, second))
		AT_FAIL(r, "two customers got the same random prefix");

	at_step("both set on create (form), shown by retrieve and list");
	r = at_post_form("/v1/customers", "name=Set&invoice_prefix=SETONE&next_invoice_sequence=7");
	AT_STATUS(r, 200);
	const char *id = at_str(r, "id");
	AT_STR(r, "invoice_prefix", "SETONE");
	AT_INT(r, "next_invoice_sequence", 7);
	r = at_get("/v1/customers/%s", id);
	AT_STR(r, "invoice_prefix", "SETONE");
	AT_INT(r, "next_invoice_sequence", 7);
	r = at_get("/v1/customers?limit=1");
	AT_STR(r, "data[0].invoice_prefix", "SETONE");
	AT_INT(r, "data[0].next_invoice_sequence", 7);

	at_step("both change on update while no invoice is numbered");
	r = at_post_json(at_fmt("/v1/customers/%s", id), "{\"invoice_prefix\":\"SETTWO\",\"next_invoice_sequence\":3}");
	AT_STATUS(r, 200);
	AT_STR(r, "invoice_prefix", "SETTWO");
	AT_INT(r, "next_invoice_sequence", 3);
	at_step("the old prefix is free again, the new one is taken");
	AT_STATUS(at_post_form("/v1/customers", "invoice_prefix=SETONE"), 200);
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form("/v1/customers", "invoice_prefix=SETTWO");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "invoice_prefix");
	AT_UNCHANGED(&fp, r);
	at_step("an update naming its own prefix is fine");
	AT_STATUS(at_post_form(at_fmt("/v1/customers/%s", id), "invoice_prefix=SETTWO&name=Same"), 200);
}

static void each_customer_has_its_own_series(void **state)
{
	(void)state;
	const char *price = bh_price(bh_product("Numbered plan"), 1500, "month", NULL);
	const char *clock = bh_clock("2027-01-15T00:00:00Z");
	const char *alpha = at_str(new_customer(clock, "\"invoice_prefix\":\"ALPHA\""), "id");
	const char *beta =
	    at_str(new_customer(clock, "\"invoice_prefix\":\"BETA7\",\"next_invoice_sequence\":42"), "id");

	at_step("the first invoices: each customer's own first number");
	const char *alpha_sub = subscribe(alpha, price);
	subscribe(beta, price);
	const char *alpha_second = subscribe(alpha, price);
	if (strcmp(numbers_of(alpha), "ALPHA-0001,ALPHA-0002"))
		AT_FAIL(NULL, "alpha's numbers: %s", numbers_of(alpha));
	if (strcmp(numbers_of(beta), "BETA7-0042"))
		AT_FAIL(NULL, "beta's numbers: %s", numbers_of(beta));

	at_step("three cycles on the clock: the series go on, oldest period first");
	bh_advance(clock, "2027-04-16T00:00:00Z");
	const char *want_alpha =
	    "ALPHA-0001,ALPHA-0002,ALPHA-0003,ALPHA-0004,ALPHA-0005,ALPHA-0006,ALPHA-0007,ALPHA-0008";
	if (strcmp(numbers_of(alpha), want_alpha))
		AT_FAIL(NULL, "alpha's numbers: %s", numbers_of(alpha));
	if (strcmp(numbers_of(beta), "BETA7-0042,BETA7-0043,BETA7-0044,BETA7-0045"))
		AT_FAIL(NULL, "beta's numbers: %s", numbers_of(beta));
	struct at_resp *r = bh_invoices_of(alpha_sub);
	/* a subscription's missed periods one after the other, oldest first */
	AT_STR(r, "data[0].number", "ALPHA-0005");
	AT_STR(r, "data[2].number", "ALPHA-0003");
	AT_STR(r, "data[3].number", "ALPHA-0001");
	AT_STR(bh_invoices_of(alpha_second), "data[0].number", "ALPHA-0008");
	AT_INT(at_get("/v1/customers/%s", alpha), "next_invoice_sequence", 9);
	AT_INT(at_get("/v1/customers/%s", beta), "next_invoice_sequence", 46);

	at_step("a manual invoice takes the next number when finalized, a draft takes none");
	r = at_post_json("/v1/invoiceitems", "{\"customer\":\"%s\",\"amount\":500,\"currency\":\"usd\"}", beta);
	AT_STATUS(r, 200);
	r = at_post_json("/v1/invoices",
	                 "{\"customer\":\"%s\",\"currency\":\"usd\",\"pending_invoice_items_behavior\":\"include\"}",
	                 beta);
	AT_STATUS(r, 200);
	const char *manual = at_str(r, "id");
	AT_NULL(r, "number");
	AT_INT(at_get("/v1/customers/%s", beta), "next_invoice_sequence", 46);
	r = at_post_json(at_fmt("/v1/invoices/%s/finalize", manual), "{}");
	AT_STATUS(r, 200);
	AT_STR(r, "number", "BETA7-0046");

	at_step("once numbered, the prefix and the sequence cannot change; nothing is written");
	struct at_fingerprint fp;
	at_fingerprint(&fp);
	r = at_post_form(at_fmt("/v1/customers/%s", alpha), "invoice_prefix=OMEGA");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "invoice_prefix");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/customers/%s", alpha), "next_invoice_sequence=2&name=Renamed");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "next_invoice_sequence");
	AT_UNCHANGED(&fp, r);
	r = at_post_form(at_fmt("/v1/customers/%s", alpha), "next_invoice_sequence=100");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_invalid", "next_invoice_sequence");
	AT_UNCHANGED(&fp, r);
	at_step("sending the current values is accepted");
	r = at_post_form(at_fmt("/v1/customers/%s", alpha), "invoice_prefix=ALPHA&next_invoice_sequence=9&name=Same");
	AT_STATUS(r, 200);
	AT_STR(r, "name", "Same");
}

static void account_numbering_ignores_prefixes(void **state)
{
	(void)state;
	const char *price = bh_price(bh_product("Account plan"), 900, "month", NULL);
	const char *cus = at_str(new_customer(NULL, "\"invoice_prefix\":\"ACCT1\""), "id");
	const char *other = at_str(new_customer(NULL, NULL), "id");
	subscribe(cus, price);
	subscribe(other, price);
	subscribe(cus, price);
	at_step("one series for the account, in order of finalization");
	if (strcmp(numbers_of(cus), "INV-000001,INV-000003"))
		AT_FAIL(NULL, "numbers: %s", numbers_of(cus));
	if (strcmp(numbers_of(other), "INV-000002"))
		AT_FAIL(NULL, "numbers: %s", numbers_of(other));
	AT_INT(at_get("/v1/customers/%s", cus), "next_invoice_sequence", 1);
	at_step("the customer's own series never started: it may still change");
	AT_STATUS(at_post_form(at_fmt("/v1/customers/%s", cus), "invoice_prefix=ACCT2&next_invoice_sequence=5"), 200);
}

int main(void)
{
	const struct CMUnitTest per_customer[] = {
	    cmocka_unit_test(customers_show_their_numbering),
	    cmocka_unit_test(each_customer_has_its_own_series),
	};
	const struct CMUnitTest account[] = {
	    cmocka_unit_test(account_numbering_ignores_prefixes),
	};
	static const char *const customer_args[] = {"--enable-test-clocks", "--invoice-numbering", "customer", NULL};
	at_serve_args(customer_args);
	int failed = at_run("test_numbering", per_customer, sizeof per_customer / sizeof per_customer[0], NULL);
	failed += at_run("test_numbering_account", account, sizeof account / sizeof account[0], NULL);
	return failed ? 1 : 0;
}
