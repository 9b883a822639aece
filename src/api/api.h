/* HTTP handlers, one file per resource (products.c, prices.c, ...). Each
 * parses its parameters with a spec (http/params.h), calls src/core and
 * src/store, and renders rq->reply; on failure it fills rq->err and returns
 * the code (the server renders every error once). Handlers run inside one
 * transaction (rq->db): reads inline, writes on the store's executor. */
#ifndef OG_API_H
#define OG_API_H

#include "http/req.h"

/* health.c: GET /healthz, GET /metrics */
enum og_ec api_health_get(struct og_req *rq);
enum og_ec api_metrics_get(struct og_req *rq);

/* api_keys.c */
enum og_ec api_api_keys_create(struct og_req *rq);
enum og_ec api_api_keys_list(struct og_req *rq);
enum og_ec api_api_keys_revoke(struct og_req *rq);

/* products.c */
enum og_ec api_products_create(struct og_req *rq);
enum og_ec api_products_retrieve(struct og_req *rq);
enum og_ec api_products_update(struct og_req *rq);
enum og_ec api_products_list(struct og_req *rq);
enum og_ec api_products_delete(struct og_req *rq);

/* prices.c */
enum og_ec api_prices_create(struct og_req *rq);
enum og_ec api_prices_retrieve(struct og_req *rq);
enum og_ec api_prices_update(struct og_req *rq);
enum og_ec api_prices_list(struct og_req *rq);

/* customers.c */
enum og_ec api_customers_create(struct og_req *rq);
enum og_ec api_customers_retrieve(struct og_req *rq);
enum og_ec api_customers_update(struct og_req *rq);
enum og_ec api_customers_list(struct og_req *rq);
enum og_ec api_customers_delete(struct og_req *rq);

/* subscriptions.c */
enum og_ec api_subscriptions_create(struct og_req *rq);
enum og_ec api_subscriptions_retrieve(struct og_req *rq);
enum og_ec api_subscriptions_update(struct og_req *rq);
enum og_ec api_subscriptions_list(struct og_req *rq);
enum og_ec api_subscriptions_cancel(struct og_req *rq);
enum og_ec api_subscriptions_confirm(struct og_req *rq);
enum og_ec api_subscriptions_pause(struct og_req *rq);
enum og_ec api_subscriptions_resume(struct og_req *rq);
enum og_ec api_invoices_upcoming(struct og_req *rq);

/* test_clocks.c: /v1/test_helpers/test_clocks (403 unless --enable-test-clocks) */
enum og_ec api_test_clocks_create(struct og_req *rq);
enum og_ec api_test_clocks_retrieve(struct og_req *rq);
enum og_ec api_test_clocks_list(struct og_req *rq);
enum og_ec api_test_clocks_delete(struct og_req *rq);
enum og_ec api_test_clocks_advance(struct og_req *rq);

#endif
