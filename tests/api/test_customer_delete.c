/* Deleting a customer cancels its live subscriptions now (as Stripe does):
 * a deleted customer is never billed again. Canceled ones stay as they were;
 * each cancellation writes customer.subscription.deleted; the customer then
 * answers 404. Along the way: subscription lists and event snapshots render
 * items with full price objects, as retrieve does. SQLite and PostgreSQL. */
#include "api/lib/apitest.h"

#include <string.h>

static const char *make(const char *path, const char *fmt, const char *arg)
{
	struct at_resp *r = at_post_form(path, fmt, arg);
	AT_STATUS(r, 200);
	return at_strdup(at_str(r, "id"));
}

static void delete_customer_cancels_its_subscriptions(void **state)
{
	(void)state;
	at_step("a customer with an active, a draft, a paused and a canceled subscription");
	const char *prod = make("/v1/products", "name=%s", "Gold");
	struct at_resp *r =
	    at_post_form("/v1/prices", "product=%s&unit_amount=1000&currency=usd&recurring[interval]=month", prod);
	AT_STATUS(r, 200);
	const char *price = at_strdup(at_str(r, "id"));
	const char *cus = make("/v1/customers", "email=%s", "gone@example.com");
	const char *other = make("/v1/customers", "email=%s", "stays@example.com");
	const char *body = at_fmt("customer=%s&items[0][price]=%s&confirm=true", cus, price);
	const char *active = make("/v1/subscriptions", "%s", body);
	const char *draft = make("/v1/subscriptions", "%s", at_fmt("customer=%s&items[0][price]=%s", cus, price));
	const char *paused = make("/v1/subscriptions", "%s", body);
	AT_STATUS(at_post_form(at_fmt("/v1/subscriptions/%s/pause", paused), "%s", ""), 200);
	const char *canceled = make("/v1/subscriptions", "%s", body);
	r = at_delete("/v1/subscriptions/%s", canceled);
	AT_STATUS(r, 200);
	int64_t canceled_at = (int64_t)json_integer_value(at_json_path(r->json, "canceled_at"));
	const char *kept =
	    make("/v1/subscriptions", "%s", at_fmt("customer=%s&items[0][price]=%s&confirm=true", other, price));

	at_step("delete the customer");
	r = at_delete("/v1/customers/%s", cus);
	AT_STATUS(r, 200);
	AT_BOOL(r, "deleted", true);

	at_step("its live subscriptions are canceled and due no more");
	const char *ended[] = {active, draft, paused};
	for (int i = 0; i < 3; i++) {
		r = at_get("/v1/subscriptions/%s", ended[i]);
		AT_STATUS(r, 200);
		AT_STR(r, "status", "canceled");
		AT_NULL(r, "next_billing_at");
		if (json_is_null(at_json_path(r->json, "ended_at")))
			AT_FAIL(r, "a subscription of a deleted customer has no ended_at");
	}
	r = at_get("/v1/subscriptions/%s", canceled);
	AT_INT(r, "canceled_at", canceled_at);
	r = at_get("/v1/subscriptions/%s", kept);
	AT_STR(r, "status", "active");

	at_step("lists and events show items with full price objects, as retrieve does");
	r = at_get("/v1/subscriptions?customer=%s", other);
	AT_STR(r, "data[0].items.data[0].price.object", "price");
	AT_STR(r, "data[0].items.data[0].price.id", price);
	r = at_get("/v1/events?type=customer.subscription.deleted&limit=1");
	AT_STR(r, "data[0].data.object.items.data[0].price.object", "price");

	at_step("one customer.subscription.deleted event per cancellation (4 with the earlier one)");
	r = at_get("/v1/events?type=customer.subscription.deleted&limit=100");
	AT_STATUS(r, 200);
	size_t n = json_array_size(at_json_path(r->json, "data"));
	if (n != 4)
		AT_FAIL(r, "%zu customer.subscription.deleted events, want 4", n);

	at_step("the customer answers 404, and a new subscription for it is refused");
	AT_ERROR(at_get("/v1/customers/%s", cus), 404, "invalid_request_error", "resource_missing", "id");
	AT_ERROR(at_post_form("/v1/subscriptions", "customer=%s&items[0][price]=%s", cus, price), 400,
	         "invalid_request_error", "resource_missing", "customer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(delete_customer_cancels_its_subscriptions),
	};
	return at_run("test_customer_delete", tests, sizeof tests / sizeof tests[0], NULL) ? 1 : 0;
}
