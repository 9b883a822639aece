/* Customer balance transactions (issue 14): adjustments move
 * customer.balance, which always equals the sum of the customer's
 * transactions and the last one's ending_balance; list, retrieve and update
 * (description and metadata only); one currency per balance; the amount
 * cap. Each refusal checks status, error body and that nothing was written.
 * SQLite and PostgreSQL. */
#include "api/lib/apitest.h"

#include <string.h>

static const char *new_customer(const char *extra)
{
	struct at_resp *r = at_post_form("/v1/customers", "email=b@example.com%s", extra);
	AT_STATUS(r, 200);
	AT_INT(r, "balance", 0);
	return at_strdup(at_str(r, "id"));
}

static const char *adjust(const char *cus, long long amount, const char *currency, long long want_ending)
{
	struct at_resp *r = at_post_form(at_fmt("/v1/customers/%s/balance_transactions", cus),
	                                 "amount=%lld&currency=%s&description=test", amount, currency);
	AT_STATUS(r, 200);
	AT_PREFIX(r, "id", "cbtxn_");
	AT_STR(r, "object", "customer_balance_transaction");
	AT_INT(r, "amount", amount);
	AT_STR(r, "currency", currency);
	AT_STR(r, "customer", cus);
	AT_STR(r, "type", "adjustment");
	AT_NULL(r, "invoice");
	AT_INT(r, "ending_balance", want_ending);
	return at_strdup(at_str(r, "id"));
}

static void adjustments_move_the_balance(void **state)
{
	(void)state;
	const char *cus = new_customer("");
	at_step("a credit, a debit, a credit: each ending_balance is the running sum");
	const char *t1 = adjust(cus, -1500, "usd", -1500);
	adjust(cus, 499, "usd", -1001);
	const char *t3 = adjust(cus, -1, "usd", -1002);
	struct at_resp *r = at_get("/v1/customers/%s", cus);
	AT_STATUS(r, 200);
	AT_INT(r, "balance", -1002);

	at_step("the list is newest first and pages");
	r = at_get("/v1/customers/%s/balance_transactions", cus);
	AT_LIST(r, at_fmt("/v1/customers/%s/balance_transactions", cus), 3, false);
	AT_STR(r, "data[0].id", t3);
	AT_STR(r, "data[2].id", t1);
	r = at_get("/v1/customers/%s/balance_transactions?limit=1&starting_after=%s", cus, t3);
	AT_LIST(r, at_fmt("/v1/customers/%s/balance_transactions", cus), 1, true);

	at_step("retrieve and update description and metadata");
	r = at_get("/v1/customers/%s/balance_transactions/%s", cus, t1);
	AT_STATUS(r, 200);
	AT_INT(r, "amount", -1500);
	AT_STR(r, "description", "test");
	r = at_post_form(at_fmt("/v1/customers/%s/balance_transactions/%s", cus, t1),
	                 "description=goodwill&metadata[ticket]=42");
	AT_STATUS(r, 200);
	AT_STR(r, "description", "goodwill");
	AT_STR(r, "metadata.ticket", "42");
	AT_INT(r, "amount", -1500);
	AT_INT(r, "ending_balance", -1500);
	r = at_get("/v1/customers/%s/balance_transactions/%s", cus, t1);
	AT_STR(r, "description", "goodwill");

	at_step("another customer's transaction is not found under this customer");
	const char *other = new_customer("");
	AT_ERROR(at_get("/v1/customers/%s/balance_transactions/%s", other, t1), 404, "invalid_request_error",
	         "resource_missing", "id");
	AT_ERROR(at_get("/v1/customers/%s/balance_transactions/cbtxn_nope", cus), 404, "invalid_request_error",
	         "resource_missing", "id");
}

static void refusals_write_nothing(void **state)
{
	(void)state;
	const char *cus = new_customer("");
	adjust(cus, 1000, "usd", 1000);
	const char *path = at_fmt("/v1/customers/%s/balance_transactions", cus);
	struct at_fingerprint before;
	at_fingerprint(&before);

	at_step("another currency than the balance's");
	struct at_resp *r = at_post_form(path, "amount=100&currency=eur");
	AT_ERROR(r, 400, "invalid_request_error", "currency_mismatch", "currency");
	AT_UNCHANGED(&before, r);

	at_step("a zero amount, a missing amount, a missing currency");
	r = at_post_form(path, "amount=0&currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "amount_invalid", "amount");
	AT_UNCHANGED(&before, r);
	r = at_post_form(path, "currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "amount");
	AT_UNCHANGED(&before, r);
	r = at_post_form(path, "amount=5");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "currency");
	AT_UNCHANGED(&before, r);

	at_step("beyond the amount cap, alone or with the balance");
	r = at_post_form(path, "amount=100000000000&currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "amount_invalid", "amount");
	AT_UNCHANGED(&before, r);
	r = at_post_form(path, "amount=99999999999&currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "amount_invalid", "amount");
	AT_UNCHANGED(&before, r);
	r = at_post_form(path, "amount=9223372036854775807&currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "amount_invalid", "amount");
	AT_UNCHANGED(&before, r);

	at_step("a missing customer");
	r = at_post_form("/v1/customers/cus_nope/balance_transactions", "amount=5&currency=usd");
	AT_ERROR(r, 404, "invalid_request_error", "resource_missing", "id");
	AT_UNCHANGED(&before, r);

	at_step("the balance is where it was");
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", 1000);
}

static void customer_currency_decides(void **state)
{
	(void)state;
	const char *cus = new_customer("&currency=jpy");
	struct at_fingerprint before;
	at_fingerprint(&before);
	struct at_resp *r =
	    at_post_form(at_fmt("/v1/customers/%s/balance_transactions", cus), "amount=-5&currency=usd");
	AT_ERROR(r, 400, "invalid_request_error", "currency_mismatch", "currency");
	AT_UNCHANGED(&before, r);
	adjust(cus, -500, "jpy", -500);
}

/* A manual invoice of 500 for a customer holding 300 of credit. */
static const char *invoice_of(const char *cus, long long amount)
{
	AT_STATUS(at_post_form("/v1/invoiceitems", "customer=%s&amount=%lld&currency=usd", cus, amount), 200);
	struct at_resp *r =
	    at_post_form("/v1/invoices", "customer=%s&currency=usd&pending_invoice_items_behavior=include", cus);
	AT_STATUS(r, 200);
	return at_strdup(at_str(r, "id"));
}

static void credit_pays_an_invoice_and_void_gives_it_back(void **state)
{
	(void)state;
	const char *cus = new_customer("");
	adjust(cus, -300, "usd", -300);
	const char *inv = invoice_of(cus, 500);

	at_step("finalize: the credit pays 300 of 500");
	struct at_resp *r = at_post_form(at_fmt("/v1/invoices/%s/finalize", inv), "%s", "");
	AT_STATUS(r, 200);
	AT_STR(r, "status", "open");
	AT_INT(r, "total", 500);
	AT_INT(r, "amount_due", 200);
	AT_INT(r, "amount_remaining", 200);
	AT_INT(r, "starting_balance", -300);
	AT_INT(r, "ending_balance", 0);
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", 0);
	r = at_get("/v1/customers/%s/balance_transactions", cus);
	AT_STR(r, "data[0].type", "applied_to_invoice");
	AT_INT(r, "data[0].amount", 300);
	AT_STR(r, "data[0].invoice", inv);
	AT_INT(r, "data[0].ending_balance", 0);

	at_step("void: the 300 come back");
	r = at_post_form(at_fmt("/v1/invoices/%s/void", inv), "%s", "");
	AT_STATUS(r, 200);
	AT_STR(r, "status", "void");
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", -300);
	r = at_get("/v1/customers/%s/balance_transactions", cus);
	AT_STR(r, "data[0].type", "unapplied_from_invoice");
	AT_INT(r, "data[0].amount", -300);
	AT_INT(r, "data[0].ending_balance", -300);

	at_step("a credit larger than the invoice: paid at once, the rest stays");
	adjust(cus, -1000, "usd", -1300);
	inv = invoice_of(cus, 450);
	r = at_post_form(at_fmt("/v1/invoices/%s/finalize", inv), "%s", "");
	AT_STATUS(r, 200);
	AT_STR(r, "status", "paid");
	AT_INT(r, "amount_due", 0);
	AT_INT(r, "starting_balance", -1300);
	AT_INT(r, "ending_balance", -850);
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", -850);
}

/* A downgrade invoiced now credits more than it charges: the surplus
 * becomes the customer's credit, and the next cycle invoice consumes it. */
static void downgrade_credit_is_kept_and_consumed(void **state)
{
	(void)state;
	struct at_resp *r = at_post_form("/v1/test_helpers/test_clocks", "frozen_time=1700000000");
	AT_STATUS(r, 200);
	const char *clock = at_strdup(at_str(r, "id"));
	r = at_post_form("/v1/customers", "email=d@example.com&test_clock=%s", clock);
	AT_STATUS(r, 200);
	const char *cus = at_strdup(at_str(r, "id"));
	r = at_post_form("/v1/products", "name=Plan");
	const char *prod = at_strdup(at_str(r, "id"));
	r = at_post_form("/v1/prices", "product=%s&unit_amount=6000&currency=usd&recurring[interval]=month", prod);
	const char *big = at_strdup(at_str(r, "id"));
	r = at_post_form("/v1/prices", "product=%s&unit_amount=1000&currency=usd&recurring[interval]=month", prod);
	const char *small = at_strdup(at_str(r, "id"));
	r = at_post_form("/v1/subscriptions", "customer=%s&items[0][price]=%s&confirm=true", cus, big);
	AT_STATUS(r, 200);
	const char *sub = at_strdup(at_str(r, "id"));
	const char *item = at_strdup(at_str(r, "items.data[0].id"));
	long long period_end = (long long)json_integer_value(at_json_path(r->json, "current_period_end"));

	at_step("halfway, downgrade with always_invoice");
	long long mid = 1700000000 + (period_end - 1700000000) / 2;
	AT_STATUS(at_post_form(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "frozen_time=%lld", mid), 200);
	r = at_post_form(at_fmt("/v1/subscriptions/%s", sub),
	                 "items[0][id]=%s&items[0][price]=%s&proration_behavior=always_invoice", item, small);
	AT_STATUS(r, 200);
	r = at_get("/v1/invoices?customer=%s&limit=1", cus);
	AT_STATUS(r, 200);
	long long total = (long long)json_integer_value(at_json_path(r->json, "data[0].total"));
	if (total >= 0)
		AT_FAIL(r, "the downgrade invoice's total is %lld, want a credit", total);
	AT_STR(r, "data[0].status", "paid");
	AT_INT(r, "data[0].amount_due", 0);
	AT_INT(r, "data[0].starting_balance", 0);
	AT_INT(r, "data[0].ending_balance", total);
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", total);

	at_step("the next cycle invoice (1000) consumes the credit");
	AT_STATUS(
	    at_post_form(at_fmt("/v1/test_helpers/test_clocks/%s/advance", clock), "frozen_time=%lld", period_end),
	    200);
	r = at_get("/v1/invoices?customer=%s&limit=1", cus);
	AT_INT(r, "data[0].total", 1000);
	long long applied = -total < 1000 ? -total : 1000;
	AT_INT(r, "data[0].amount_due", 1000 - applied);
	AT_INT(r, "data[0].starting_balance", total);
	AT_INT(r, "data[0].ending_balance", total + applied);
	r = at_get("/v1/customers/%s", cus);
	AT_INT(r, "balance", total + applied);
}

static void opening_balance_on_create(void **state)
{
	(void)state;
	struct at_resp *r = at_post_form("/v1/customers", "email=o@example.com&currency=usd&balance=-700");
	AT_STATUS(r, 200);
	AT_INT(r, "balance", -700);
	const char *cus = at_strdup(at_str(r, "id"));
	r = at_get("/v1/customers/%s/balance_transactions", cus);
	AT_LIST(r, at_fmt("/v1/customers/%s/balance_transactions", cus), 1, false);
	AT_STR(r, "data[0].type", "initial");
	AT_INT(r, "data[0].amount", -700);
	AT_INT(r, "data[0].ending_balance", -700);

	struct at_fingerprint before;
	at_fingerprint(&before);
	r = at_post_form("/v1/customers", "email=o@example.com&balance=-700");
	AT_ERROR(r, 400, "invalid_request_error", "parameter_missing", "currency");
	AT_UNCHANGED(&before, r);
	r = at_post_form("/v1/customers", "email=o@example.com&currency=usd&balance=100000000000");
	AT_ERROR(r, 400, "invalid_request_error", "amount_invalid", "balance");
	AT_UNCHANGED(&before, r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(adjustments_move_the_balance),
	    cmocka_unit_test(refusals_write_nothing),
	    cmocka_unit_test(customer_currency_decides),
	    cmocka_unit_test(credit_pays_an_invoice_and_void_gives_it_back),
	    cmocka_unit_test(downgrade_credit_is_kept_and_consumed),
	    cmocka_unit_test(opening_balance_on_create),
	};
	static const char *const args[] = {"--enable-test-clocks", NULL};
	at_serve_args(args);
	return at_run("test_balance", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
