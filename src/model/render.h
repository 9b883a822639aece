/* One renderer per object of the domain model: each writes its object as
 * Stripe-shaped JSON with core/jsonw, the members in the order of the
 * object's field table (model/fields.h, declared beside the renderer in
 * render.c). Every reply, event and report renders through these: the API
 * handlers, the billing service and the engine's fast path alike, so one
 * object has one shape wherever it appears. Pure: no I/O, no allocation
 * beyond the writer's buffer.
 *
 * Values: absent timestamps and ids (0) render as null; stored JSON text
 * (metadata, an address, an event's payload) is copied as is when it looks
 * like an object (it was written compact from validated input), else {} or
 * null; an enum value outside its table (a stored text oneGuard does not
 * know) renders as null. */
#ifndef OG_MODEL_RENDER_H
#define OG_MODEL_RENDER_H

#include "core/jsonw.h"
#include "model/fields.h"
#include "model/objects.h"

void model_product_render(struct og_jsonw *w, const struct og_product *p);
void model_price_render(struct og_jsonw *w, const struct og_price *p);
void model_customer_render(struct og_jsonw *w, const struct og_customer *c);
/* secret: the new key's secret, shown once in the create reply, or NULL. */
void model_api_key_render(struct og_jsonw *w, const struct og_api_key *k, const char *secret);
/* Users and sign-in (issue 13). A user never shows its password hash. */
void model_user_render(struct og_jsonw *w, const struct og_user *u);
/* Who is signed in: the user, the session's CSRF token (for X-CSRF-Token)
 * and when the session ends at the latest. Never the session token. */
void model_auth_session_render(struct og_jsonw *w, const struct og_user *u, const char *csrf_token, int64_t expires_at);
/* {"object":"password_reset","status":"requested"|"completed"} */
void model_password_reset_render(struct og_jsonw *w, const char *status);
/* {"object":"auth_logout","signed_out":true} */
void model_auth_logout_render(struct og_jsonw *w);
/* An invitation mailed to u (the link is only in the mail). */
void model_invitation_render(struct og_jsonw *w, const struct og_user *u, int64_t expires_at);
/* Stripe's billing_portal.session; url only in the create reply (NULL: null). */
void model_portal_session_render(struct og_jsonw *w, const struct og_portal_session *s);
/* A payment method (issue 14): never the card number; ref is not shown. */
void model_payment_method_render(struct og_jsonw *w, const struct og_payment_method *pm);
void model_balance_txn_render(struct og_jsonw *w, const struct og_balance_txn *t);
void model_test_clock_render(struct og_jsonw *w, const struct og_test_clock *c);
/* price: the item's price, rendered whole (expanded), or NULL for its id. */
void model_sub_item_render(struct og_jsonw *w, const struct og_sub_item *it, const struct og_subscription *sub,
                           const struct og_price *price);
/* items: the live items; prices: one per item (expanded), or NULL. */
void model_subscription_render(struct og_jsonw *w, const struct og_subscription *s, const struct og_sub_item *items,
                               int n_items, const struct og_price *prices);
void model_invoice_line_render(struct og_jsonw *w, const struct og_invoice_line *l);
/* lines: the invoice's lines (may be NULL when n_lines is 0); has_more: the
 * list holds the first n_lines of more. */
void model_invoice_render(struct og_jsonw *w, const struct og_invoice *inv, const struct og_invoice_line *lines,
                          int n_lines, bool has_more);
/* The upcoming invoice (GET /v1/invoices/upcoming): an invoice not written
 * yet (id 0), with next_payment_attempt. */
void model_upcoming_invoice_render(struct og_jsonw *w, const struct og_invoice *inv,
                                   const struct og_invoice_line *lines, int n_lines, int64_t next_payment_attempt);
void model_invoice_item_render(struct og_jsonw *w, const struct og_invoice_item *it);
void model_event_render(struct og_jsonw *w, const struct og_event *e);
void model_audit_log_render(struct og_jsonw *w, const struct og_audit_log *l);
/* {"error":{"type","code","message"[,"param"]}}: every error answer; param
 * NULL or "" leaves it out. The strings must be valid UTF-8. */
void model_error_render(struct og_jsonw *w, const char *type, const char *code, const char *message, const char *param);
/* As model_error_render, with a card_error's decline_code (NULL or "": left out). */
void model_error_render_decline(struct og_jsonw *w, const char *type, const char *code, const char *message,
                                const char *param, const char *decline_code);
/* {"id":..,"object":..,"deleted":true} */
void model_deleted_render(struct og_jsonw *w, enum id_kind kind, int64_t id, const char *object);

/* A list reply: model_list_begin writes {"object":"list","data":[ ; render
 * each element, then model_list_end closes with has_more and url. */
void model_list_begin(struct og_jsonw *w);
void model_list_end(struct og_jsonw *w, bool has_more, const char *url);

/* An event's payload, {"object": <object_json>}, into the writer (a new
 * document): object_json is one object's rendered text. */
void model_event_data(struct og_jsonw *w, const char *object_json);

#endif
