/* HTTP handlers, one file per resource (products.c, prices.c, ...). Each
 * parses its parameters with a static spec (http/params.h), calls one
 * service function (src/billing) or store query, and renders its result with
 * the model (rq->reply_text); on failure it fills rq->err and returns
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
enum og_ec api_api_keys_roll(struct og_req *rq);
/* permissions[RESOURCE]=none|read|write (a JSON object) as the stored text
 * "customers=write,products=read" (sorted, read and write entries only, in
 * arena). The resources are those of routes restricted keys may call.
 * OG_EC_PARAM_UNKNOWN naming permissions[foo] for another resource,
 * OG_EC_PARAM_INVALID for a bad level or a value that is not an object. */
enum og_ec api_key_permissions(struct og_arena *arena, json_t *v, const char **out, struct og_error *err);
/* A new secret: sk_ or, restricted, rk_ + 32 base62; its SHA-256 (hex) and
 * last four characters (http/auth.h's AUTH_SECRET_LEN). */
void api_key_secret_new(bool restricted, char secret[36], char hash[65], char last4[5]);

/* audit_logs.c */
enum og_ec api_audit_logs_list(struct og_req *rq);

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

/* payment_methods.c (issue 14) */
enum og_ec api_payment_methods_create(struct og_req *rq);
enum og_ec api_payment_methods_retrieve(struct og_req *rq);
enum og_ec api_payment_methods_update(struct og_req *rq);
enum og_ec api_payment_methods_attach(struct og_req *rq);
enum og_ec api_payment_methods_detach(struct og_req *rq);
enum og_ec api_payment_methods_list(struct og_req *rq);
enum og_ec api_customers_payment_methods(struct og_req *rq);
/* A default payment method (a customer's invoice_settings, a
 * subscription's) must be attached to customer_id: else 400 naming param. */
enum og_ec api_payment_method_check_default(struct og_req *rq, int64_t customer_id, int64_t pm_id, const char *param);

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
/* Cancels every live subscription of a customer now (customer delete). */
enum og_ec api_subscriptions_cancel_all(struct og_req *rq, int64_t customer_id);

/* invoices.c */
enum og_ec api_invoices_create(struct og_req *rq);
enum og_ec api_invoices_retrieve(struct og_req *rq);
enum og_ec api_invoices_update(struct og_req *rq);
enum og_ec api_invoices_list(struct og_req *rq);
enum og_ec api_invoices_lines(struct og_req *rq);
enum og_ec api_invoices_finalize(struct og_req *rq);
enum og_ec api_invoices_pay(struct og_req *rq);
enum og_ec api_invoices_void(struct og_req *rq);
enum og_ec api_invoices_mark_uncollectible(struct og_req *rq);
enum og_ec api_invoices_delete(struct og_req *rq);

/* invoices.c, shared with invoice_items.c and test_clocks.c: a billing
 * context on rq's connection, arena and error, at the request's arrival
 * time (the service moves it to a customer's test clock). */
struct billing_ctx;
void api_invoice_billing_ctx(struct og_req *rq, struct billing_ctx *bc);

/* balance_transactions.c: /v1/customers/{id}/balance_transactions */
enum og_ec api_balance_txns_create(struct og_req *rq);
enum og_ec api_balance_txns_list(struct og_req *rq);
enum og_ec api_balance_txns_retrieve(struct og_req *rq);
enum og_ec api_balance_txns_update(struct og_req *rq);

/* invoice_items.c */
enum og_ec api_invoice_items_create(struct og_req *rq);
enum og_ec api_invoice_items_retrieve(struct og_req *rq);
enum og_ec api_invoice_items_update(struct og_req *rq);
enum og_ec api_invoice_items_list(struct og_req *rq);
enum og_ec api_invoice_items_delete(struct og_req *rq);

/* events.c */
enum og_ec api_events_list(struct og_req *rq);
enum og_ec api_events_retrieve(struct og_req *rq);

/* test_clocks.c: /v1/test_helpers/test_clocks (403 unless --enable-test-clocks) */
enum og_ec api_test_clocks_create(struct og_req *rq);
enum og_ec api_test_clocks_retrieve(struct og_req *rq);
enum og_ec api_test_clocks_list(struct og_req *rq);
enum og_ec api_test_clocks_delete(struct og_req *rq);
enum og_ec api_test_clocks_advance(struct og_req *rq);

/* auth.c: sign-up, sign-in, sessions, passwords (issue 13; flows: req_then_*) */
enum og_ec api_auth_signup(struct og_req *rq);
enum og_ec api_auth_login(struct og_req *rq);
enum og_ec api_auth_logout(struct og_req *rq);
enum og_ec api_auth_password(struct og_req *rq);
enum og_ec api_auth_password_reset(struct og_req *rq);
enum og_ec api_auth_password_reset_confirm(struct og_req *rq);
enum og_ec api_auth_session(struct og_req *rq);
/* The Set-Cookie value of the session cookie: token for max_age seconds
 * (NULL and 0: clears it); Secure when public_url is https. Arena text. */
const char *api_session_cookie(struct og_arena *a, const char *public_url, const char *token, int64_t max_age);

/* users.c: staff users, owners only */
enum og_ec api_users_list(struct og_req *rq);
enum og_ec api_users_create(struct og_req *rq);
enum og_ec api_users_retrieve(struct og_req *rq);
enum og_ec api_users_update(struct og_req *rq);

/* customer_invite.c: POST /v1/customers/{id}/invite */
enum og_ec api_customers_invite(struct og_req *rq);

/* billing_portal.c */
enum og_ec api_billing_portal_sessions_create(struct og_req *rq);
enum og_ec api_billing_portal_redeem(struct og_req *rq);

#endif
