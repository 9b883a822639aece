/* The route table: method, path pattern, handler, who may call it, and
 * whether it reads or writes. One line per endpoint; docs/api/ documents each. */
#include "api/api.h"
#include "http/router.h"

const struct route routes[] = {
    {"GET", "/healthz", api_health_get, AUTH_PUBLIC, ROUTE_RAW, 0},
    {"GET", "/metrics", api_metrics_get, AUTH_PUBLIC, ROUTE_RAW, 0},

    {"POST", "/v1/api_keys", api_api_keys_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/api_keys", api_api_keys_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"DELETE", "/v1/api_keys/{id}", api_api_keys_revoke, AUTH_SECRET_KEY, ROUTE_WRITE, ROUTE_NO_PARAMS},

    {"POST", "/v1/products", api_products_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/products", api_products_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/products/{id}", api_products_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/products/{id}", api_products_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"DELETE", "/v1/products/{id}", api_products_delete, AUTH_SECRET_KEY, ROUTE_WRITE, ROUTE_NO_PARAMS},

    {"POST", "/v1/prices", api_prices_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/prices", api_prices_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/prices/{id}", api_prices_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/prices/{id}", api_prices_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},

    {"POST", "/v1/customers", api_customers_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/customers", api_customers_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/customers/{id}", api_customers_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/customers/{id}", api_customers_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"DELETE", "/v1/customers/{id}", api_customers_delete, AUTH_SECRET_KEY, ROUTE_WRITE, ROUTE_NO_PARAMS},

    {"POST", "/v1/subscriptions", api_subscriptions_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/subscriptions", api_subscriptions_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/subscriptions/{id}", api_subscriptions_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/subscriptions/{id}", api_subscriptions_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"DELETE", "/v1/subscriptions/{id}", api_subscriptions_cancel, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/subscriptions/{id}/confirm", api_subscriptions_confirm, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/subscriptions/{id}/pause", api_subscriptions_pause, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/subscriptions/{id}/resume", api_subscriptions_resume, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/invoices/upcoming", api_invoices_upcoming, AUTH_SECRET_KEY, ROUTE_READ, 0},

    {"POST", "/v1/invoices", api_invoices_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/invoices", api_invoices_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/invoices/{id}", api_invoices_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/invoices/{id}", api_invoices_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"DELETE", "/v1/invoices/{id}", api_invoices_delete, AUTH_SECRET_KEY, ROUTE_WRITE, ROUTE_NO_PARAMS},
    {"GET", "/v1/invoices/{id}/lines", api_invoices_lines, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"POST", "/v1/invoices/{id}/finalize", api_invoices_finalize, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/pay", api_invoices_pay, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/void", api_invoices_void, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/mark_uncollectible", api_invoices_mark_uncollectible, AUTH_SECRET_KEY, ROUTE_WRITE, 0},

    {"POST", "/v1/invoiceitems", api_invoice_items_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/invoiceitems", api_invoice_items_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/invoiceitems/{id}", api_invoice_items_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/invoiceitems/{id}", api_invoice_items_update, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"DELETE", "/v1/invoiceitems/{id}", api_invoice_items_delete, AUTH_SECRET_KEY, ROUTE_WRITE, ROUTE_NO_PARAMS},

    {"GET", "/v1/events", api_events_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/events/{id}", api_events_retrieve, AUTH_SECRET_KEY, ROUTE_READ, ROUTE_NO_PARAMS},

    {"POST", "/v1/test_helpers/test_clocks", api_test_clocks_create, AUTH_SECRET_KEY, ROUTE_WRITE, 0},
    {"GET", "/v1/test_helpers/test_clocks", api_test_clocks_list, AUTH_SECRET_KEY, ROUTE_READ, 0},
    {"GET", "/v1/test_helpers/test_clocks/{id}", api_test_clocks_retrieve, AUTH_SECRET_KEY, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"DELETE", "/v1/test_helpers/test_clocks/{id}", api_test_clocks_delete, AUTH_SECRET_KEY, ROUTE_WRITE,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/test_helpers/test_clocks/{id}/advance", api_test_clocks_advance, AUTH_SECRET_KEY, ROUTE_WRITE, 0},

    {NULL, NULL, NULL, AUTH_PUBLIC, ROUTE_RAW, 0},
};
