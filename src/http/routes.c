/* The route table: method, path pattern, handler, the resource a
 * restricted key's permission names, who may call it (http/access.h; 0
 * denies everyone), and whether it reads or writes. One line per endpoint;
 * docs/api/ documents each and docs/api/access.md lists who may call it
 * (tests/api/test_access.c holds the two equal and walks every route with
 * every role). */
#include "api/api.h"
#include "http/router.h"

const struct route routes[] = {
    {"GET", "/healthz", api_health_get, "", AC_ANON, ROUTE_RAW, 0},
    {"GET", "/metrics", api_metrics_get, "", AC_ANON, ROUTE_RAW, 0},

    /* sign-in (issue 13): flows chain the account service's steps (http/req.h) */
    {"POST", "/v1/auth/signup", api_auth_signup, "auth", AC_ANON, ROUTE_FLOW, 0},
    {"POST", "/v1/auth/login", api_auth_login, "auth", AC_ANON, ROUTE_FLOW, 0},
    {"POST", "/v1/auth/logout", api_auth_logout, "auth", AC_SESSIONS, ROUTE_WRITE, ROUTE_NO_PARAMS},
    {"GET", "/v1/auth/session", api_auth_session, "auth", AC_SESSIONS, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/auth/password", api_auth_password, "auth", AC_SESSIONS, ROUTE_FLOW, 0},
    {"POST", "/v1/auth/password_reset", api_auth_password_reset, "auth", AC_ANON, ROUTE_FLOW, 0},
    {"POST", "/v1/auth/password_reset/confirm", api_auth_password_reset_confirm, "auth", AC_ANON, ROUTE_FLOW, 0},
    {"GET", "/v1/users", api_users_list, "users", AC_OWNER, ROUTE_READ, 0},
    {"POST", "/v1/users", api_users_create, "users", AC_OWNER, ROUTE_FLOW, 0},
    {"GET", "/v1/users/{id}", api_users_retrieve, "users", AC_OWNER, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/users/{id}", api_users_update, "users", AC_OWNER, ROUTE_WRITE, 0},
    {"POST", "/v1/billing_portal/sessions", api_billing_portal_sessions_create, "billing_portal", AC_CARE, ROUTE_WRITE,
     0},
    {"GET", "/portal/session/{token}", api_billing_portal_redeem, "billing_portal", AC_ANON, ROUTE_FLOW,
     ROUTE_NO_PARAMS | ROUTE_SECRET_PATH},

    {"POST", "/v1/api_keys", api_api_keys_create, "api_keys", AC_OWNER | AC_ADMIN | AC_SK, ROUTE_WRITE, 0},
    {"GET", "/v1/api_keys", api_api_keys_list, "api_keys", AC_OWNER | AC_ADMIN | AC_SK, ROUTE_READ, 0},
    {"DELETE", "/v1/api_keys/{id}", api_api_keys_revoke, "api_keys", AC_OWNER | AC_ADMIN | AC_SK, ROUTE_WRITE,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/api_keys/{id}/roll", api_api_keys_roll, "api_keys", AC_OWNER | AC_ADMIN | AC_SK, ROUTE_WRITE, 0},

    {"GET", "/v1/audit_logs", api_audit_logs_list, "audit_logs", AC_OWNER | AC_ADMIN | AC_SK, ROUTE_READ, 0},

    {"POST", "/v1/products", api_products_create, "products", AC_MANAGERS, ROUTE_WRITE, 0},
    {"GET", "/v1/products", api_products_list, "products", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"GET", "/v1/products/{id}", api_products_retrieve, "products", AC_READERS | AC_CUSTOMER, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/products/{id}", api_products_update, "products", AC_MANAGERS | AC_SUPPORT, ROUTE_WRITE,
     ROUTE_SUPPORT_METADATA},
    {"DELETE", "/v1/products/{id}", api_products_delete, "products", AC_MANAGERS, ROUTE_WRITE, ROUTE_NO_PARAMS},

    {"POST", "/v1/prices", api_prices_create, "prices", AC_MANAGERS, ROUTE_WRITE, 0},
    {"GET", "/v1/prices", api_prices_list, "prices", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"GET", "/v1/prices/{id}", api_prices_retrieve, "prices", AC_READERS | AC_CUSTOMER, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/prices/{id}", api_prices_update, "prices", AC_MANAGERS | AC_SUPPORT, ROUTE_WRITE,
     ROUTE_SUPPORT_METADATA},

    {"POST", "/v1/customers", api_customers_create, "customers", AC_CARE, ROUTE_WRITE, 0},
    {"GET", "/v1/customers", api_customers_list, "customers", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"GET", "/v1/customers/{id}", api_customers_retrieve, "customers", AC_READERS | AC_CUSTOMER, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/customers/{id}", api_customers_update, "customers", AC_CARE | AC_CUSTOMER, ROUTE_WRITE, 0},
    {"DELETE", "/v1/customers/{id}", api_customers_delete, "customers", AC_CARE, ROUTE_WRITE, ROUTE_NO_PARAMS},
    {"POST", "/v1/customers/{id}/invite", api_customers_invite, "customers", AC_CARE, ROUTE_FLOW, ROUTE_NO_PARAMS},
    /* the customer balance moves money: finance may, support may not (issue 14) */
    {"POST", "/v1/customers/{id}/balance_transactions", api_balance_txns_create, "customers", AC_MONEY, ROUTE_WRITE, 0},
    {"GET", "/v1/customers/{id}/balance_transactions", api_balance_txns_list, "customers", AC_READERS | AC_CUSTOMER,
     ROUTE_READ, 0},
    {"GET", "/v1/customers/{id}/balance_transactions/{txn}", api_balance_txns_retrieve, "customers",
     AC_READERS | AC_CUSTOMER, ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/customers/{id}/balance_transactions/{txn}", api_balance_txns_update, "customers", AC_MONEY,
     ROUTE_WRITE, 0},

    {"GET", "/v1/customers/{id}/payment_methods", api_customers_payment_methods, "payment_methods",
     AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},

    /* payment methods (issue 14): money; a customer user its own only */
    {"POST", "/v1/payment_methods", api_payment_methods_create, "payment_methods", AC_MONEY | AC_CUSTOMER, ROUTE_WRITE,
     0},
    {"GET", "/v1/payment_methods", api_payment_methods_list, "payment_methods", AC_READERS | AC_CUSTOMER, ROUTE_READ,
     0},
    {"GET", "/v1/payment_methods/{id}", api_payment_methods_retrieve, "payment_methods", AC_READERS | AC_CUSTOMER,
     ROUTE_READ, ROUTE_NO_PARAMS},
    {"POST", "/v1/payment_methods/{id}", api_payment_methods_update, "payment_methods", AC_MONEY, ROUTE_WRITE, 0},
    {"POST", "/v1/payment_methods/{id}/attach", api_payment_methods_attach, "payment_methods", AC_MONEY | AC_CUSTOMER,
     ROUTE_WRITE, 0},
    {"POST", "/v1/payment_methods/{id}/detach", api_payment_methods_detach, "payment_methods", AC_MONEY | AC_CUSTOMER,
     ROUTE_WRITE, 0},

    {"POST", "/v1/subscriptions", api_subscriptions_create, "subscriptions", AC_MANAGERS, ROUTE_WRITE, 0},
    {"GET", "/v1/subscriptions", api_subscriptions_list, "subscriptions", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"GET", "/v1/subscriptions/{id}", api_subscriptions_retrieve, "subscriptions", AC_READERS | AC_CUSTOMER, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/subscriptions/{id}", api_subscriptions_update, "subscriptions", AC_MANAGERS | AC_SUPPORT, ROUTE_WRITE,
     ROUTE_SUPPORT_METADATA},
    {"DELETE", "/v1/subscriptions/{id}", api_subscriptions_cancel, "subscriptions", AC_CARE | AC_CUSTOMER, ROUTE_WRITE,
     0},
    {"POST", "/v1/subscriptions/{id}/confirm", api_subscriptions_confirm, "subscriptions", AC_MANAGERS, ROUTE_WRITE, 0},
    {"POST", "/v1/subscriptions/{id}/pause", api_subscriptions_pause, "subscriptions", AC_CARE, ROUTE_WRITE, 0},
    /* resuming bills a new period: not support's (it cancels and pauses) */
    {"POST", "/v1/subscriptions/{id}/resume", api_subscriptions_resume, "subscriptions", AC_MANAGERS, ROUTE_WRITE, 0},
    {"GET", "/v1/invoices/upcoming", api_invoices_upcoming, "invoices", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},

    {"POST", "/v1/invoices", api_invoices_create, "invoices", AC_MONEY, ROUTE_WRITE, 0},
    {"GET", "/v1/invoices", api_invoices_list, "invoices", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"GET", "/v1/invoices/{id}", api_invoices_retrieve, "invoices", AC_READERS | AC_CUSTOMER, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/invoices/{id}", api_invoices_update, "invoices", AC_MONEY | AC_SUPPORT, ROUTE_WRITE,
     ROUTE_SUPPORT_METADATA},
    {"DELETE", "/v1/invoices/{id}", api_invoices_delete, "invoices", AC_MONEY, ROUTE_WRITE, ROUTE_NO_PARAMS},
    {"GET", "/v1/invoices/{id}/lines", api_invoices_lines, "invoices", AC_READERS | AC_CUSTOMER, ROUTE_READ, 0},
    {"POST", "/v1/invoices/{id}/finalize", api_invoices_finalize, "invoices", AC_MONEY, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/pay", api_invoices_pay, "invoices", AC_MONEY | AC_CUSTOMER, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/void", api_invoices_void, "invoices", AC_MONEY, ROUTE_WRITE, 0},
    {"POST", "/v1/invoices/{id}/mark_uncollectible", api_invoices_mark_uncollectible, "invoices", AC_MONEY, ROUTE_WRITE,
     0},

    {"POST", "/v1/invoiceitems", api_invoice_items_create, "invoiceitems", AC_MONEY, ROUTE_WRITE, 0},
    {"GET", "/v1/invoiceitems", api_invoice_items_list, "invoiceitems", AC_READERS, ROUTE_READ, 0},
    {"GET", "/v1/invoiceitems/{id}", api_invoice_items_retrieve, "invoiceitems", AC_READERS, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/invoiceitems/{id}", api_invoice_items_update, "invoiceitems", AC_MONEY | AC_SUPPORT, ROUTE_WRITE,
     ROUTE_SUPPORT_METADATA},
    {"DELETE", "/v1/invoiceitems/{id}", api_invoice_items_delete, "invoiceitems", AC_MONEY, ROUTE_WRITE,
     ROUTE_NO_PARAMS},

    {"GET", "/v1/events", api_events_list, "events", AC_READERS, ROUTE_READ, 0},
    {"GET", "/v1/events/{id}", api_events_retrieve, "events", AC_READERS, ROUTE_READ, ROUTE_NO_PARAMS},

    {"POST", "/v1/test_helpers/test_clocks", api_test_clocks_create, "test_clocks", AC_MANAGERS, ROUTE_WRITE, 0},
    {"GET", "/v1/test_helpers/test_clocks", api_test_clocks_list, "test_clocks", AC_READERS, ROUTE_READ, 0},
    {"GET", "/v1/test_helpers/test_clocks/{id}", api_test_clocks_retrieve, "test_clocks", AC_READERS, ROUTE_READ,
     ROUTE_NO_PARAMS},
    {"DELETE", "/v1/test_helpers/test_clocks/{id}", api_test_clocks_delete, "test_clocks", AC_MANAGERS, ROUTE_WRITE,
     ROUTE_NO_PARAMS},
    {"POST", "/v1/test_helpers/test_clocks/{id}/advance", api_test_clocks_advance, "test_clocks", AC_MANAGERS,
     ROUTE_WRITE, 0},

    {NULL, NULL, NULL, NULL, 0, ROUTE_RAW, 0},
};
