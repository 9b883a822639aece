/* The renderers of the domain model (see render.h) and, above each, its
 * object's field table (fields.h). A renderer writes exactly its table's
 * members in the table's order; tests/unit/test_model.c renders every
 * object, edge cases included, and checks the keys and JSON types against
 * the table. Change the two together. Pure: jsonw only, no jansson. */
#include "model/render.h"

#include <stdio.h>
#include <string.h>

/* ---- table and writer helpers -------------------------------------------- */

#define N_OF(t)                      ((int)(sizeof(t) / sizeof((t)[0])))
#define OBJECT(var, nm, desc, table) const struct model_object var = {nm, desc, table, N_OF(table)}

#define F_CONST(n, v)                                                                                                  \
	{                                                                                                              \
		.name = n, .type = MT_CONST, .const_value = v, .description = "The object's kind."                     \
	}
#define F(n, t, fl, d)                                                                                                 \
	{                                                                                                              \
		.name = n, .type = t, .flags = fl, .description = d                                                    \
	}
#define F_ID(n, k, fl, d)                                                                                              \
	{                                                                                                              \
		.name = n, .type = MT_ID, .flags = fl, .id_kind = k, .description = d                                  \
	}
#define F_IDX(n, k, o, fl, d)                                                                                          \
	{                                                                                                              \
		.name = n, .type = MT_ID, .flags = (fl) | MF_EXPANDABLE, .id_kind = k, .object = &o, .description = d  \
	}
#define F_ENUM(n, e, fl, d)                                                                                            \
	{                                                                                                              \
		.name = n, .type = MT_ENUM, .flags = fl, .enum_type = &e, .description = d                             \
	}
#define F_OBJ(n, o, fl, d)                                                                                             \
	{                                                                                                              \
		.name = n, .type = MT_OBJECT, .flags = fl, .object = &o, .description = d                              \
	}
#define F_LIST(n, o, d)                                                                                                \
	{                                                                                                              \
		.name = n, .type = MT_LIST, .object = &o, .description = d                                             \
	}
#define F_LIVEMODE F("livemode", MT_BOOLEAN, 0, "Always false: oneGuard has no live mode.")
#define F_METADATA F("metadata", MT_METADATA, 0, "Key-value pairs set by the caller.")

static void w_id(struct og_jsonw *w, const char *key, enum id_kind kind, int64_t id)
{
	if (id <= 0) {
		jsonw_key_null(w, key);
		return;
	}
	char buf[ID_MAX_LEN];
	jsonw_key_string(w, key, ids_encode(kind, id, buf));
}

static void w_ts(struct og_jsonw *w, const char *key, int64_t t)
{
	if (t)
		jsonw_key_int64(w, key, t);
	else
		jsonw_key_null(w, key);
}

static void w_opt_int(struct og_jsonw *w, const char *key, bool has, int64_t v)
{
	if (has)
		jsonw_key_int64(w, key, v);
	else
		jsonw_key_null(w, key);
}

/* Stored JSON text as is when it is an object or array; else null or {}. */
static void w_json_text(struct og_jsonw *w, const char *key, const char *text, bool null_when_empty)
{
	size_t n = text ? strlen(text) : 0;
	if (n >= 2 && ((text[0] == '{' && text[n - 1] == '}') || (text[0] == '[' && text[n - 1] == ']')))
		jsonw_key_raw(w, key, text);
	else if (null_when_empty)
		jsonw_key_null(w, key);
	else
		jsonw_key_raw(w, key, "{}");
}

static void w_enum(struct og_jsonw *w, const char *key, const struct model_enum *e, int v)
{
	jsonw_key_string(w, key, model_enum_name(e, v));
}

static void w_period(struct og_jsonw *w, int64_t start, int64_t end)
{
	jsonw_key(w, "period");
	jsonw_object_begin(w);
	jsonw_key_int64(w, "start", start);
	jsonw_key_int64(w, "end", end);
	jsonw_object_end(w);
}

static const struct model_field period_fields[] = {
    F("start", MT_TIMESTAMP, 0, "The start of the period."),
    F("end", MT_TIMESTAMP, 0, "The end of the period (exclusive)."),
};
static OBJECT(model_period, "period", "A billing period [start, end).", period_fields);

/* ---- product ------------------------------------------------------------- */

static const struct model_field product_fields[] = {
    F_ID("id", ID_PRODUCT, 0, "Unique identifier."),
    F_CONST("object", "product"),
    F("active", MT_BOOLEAN, 0, "Whether the product can be used for new prices and subscriptions."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("description", MT_STRING, MF_NULLABLE, "The product's description."),
    F_LIVEMODE,
    F_METADATA,
    F("name", MT_STRING, 0, "The product's name, shown to customers."),
    F("updated", MT_TIMESTAMP, 0, "Time of the last update."),
};
OBJECT(model_product, "product", "What is sold.", product_fields);

void model_product_render(struct og_jsonw *w, const struct og_product *p)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_PRODUCT, p->id);
	jsonw_key_string(w, "object", "product");
	jsonw_key_bool(w, "active", p->active);
	jsonw_key_int64(w, "created", p->created);
	jsonw_key_string(w, "description", p->description);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", p->metadata, false);
	jsonw_key_string(w, "name", p->name);
	jsonw_key_int64(w, "updated", p->updated);
	jsonw_object_end(w);
}

/* ---- price --------------------------------------------------------------- */

static const char *const usage_type_names[] = {"licensed"};
static const char *usage_type_of(int v)
{
	return v == 0 ? usage_type_names[0] : NULL;
}
static const struct model_enum usage_type = {"usage_type", 1, usage_type_of};
static const char *billing_scheme_of(int v)
{
	return v == 0 ? "per_unit" : NULL;
}
static const struct model_enum billing_scheme = {"billing_scheme", 1, billing_scheme_of};

static const struct model_field recurring_fields[] = {
    F_ENUM("interval", model_enum_interval, 0, "The billing interval."),
    F("interval_count", MT_INTEGER, 0, "Intervals between two bills."),
    F("trial_period_days", MT_INTEGER, MF_NULLABLE, "Trial days new subscriptions get by default."),
    F_ENUM("usage_type", usage_type, 0, "Always licensed: billed per quantity."),
};
static OBJECT(model_recurring, "price.recurring", "How a recurring price recurs.", recurring_fields);

static const struct model_field price_fields[] = {
    F_ID("id", ID_PRICE, 0, "Unique identifier."),
    F_CONST("object", "price"),
    F("active", MT_BOOLEAN, 0, "Whether the price can be used for new subscriptions."),
    F_ENUM("billing_scheme", billing_scheme, 0, "Always per_unit."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lower case."),
    F_LIVEMODE,
    F("lookup_key", MT_STRING, MF_NULLABLE, "A unique key to find the price by."),
    F_METADATA,
    F("nickname", MT_STRING, MF_NULLABLE, "A name for the price, not shown to customers."),
    F_ID("product", ID_PRODUCT, 0, "The product the price belongs to."),
    F_OBJ("recurring", model_recurring, MF_NULLABLE, "The recurrence; null for a one-time price."),
    F_ENUM("type", model_enum_price_type, 0, "one_time or recurring."),
    F("unit_amount", MT_INTEGER, 0, "The amount per unit in minor units."),
    F("unit_amount_decimal", MT_STRING, 0, "unit_amount as a decimal string."),
};
OBJECT(model_price, "price", "How much and how often a product costs.", price_fields);

void model_price_render(struct og_jsonw *w, const struct og_price *p)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_PRICE, p->id);
	jsonw_key_string(w, "object", "price");
	jsonw_key_bool(w, "active", p->active);
	jsonw_key_string(w, "billing_scheme", "per_unit");
	jsonw_key_int64(w, "created", p->created);
	jsonw_key_string(w, "currency", p->currency);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_string(w, "lookup_key", p->lookup_key);
	w_json_text(w, "metadata", p->metadata, false);
	jsonw_key_string(w, "nickname", p->nickname);
	w_id(w, "product", ID_PRODUCT, p->product_id);
	if (p->type == PRICE_RECURRING) {
		jsonw_key(w, "recurring");
		jsonw_object_begin(w);
		w_enum(w, "interval", &model_enum_interval, (int)p->interval);
		jsonw_key_int64(w, "interval_count", p->interval_count);
		w_opt_int(w, "trial_period_days", p->has_trial_period_days, p->trial_period_days);
		jsonw_key_string(w, "usage_type", "licensed");
		jsonw_object_end(w);
	} else {
		jsonw_key_null(w, "recurring");
	}
	jsonw_key_string(w, "type", price_type_name(p->type));
	jsonw_key_int64(w, "unit_amount", p->unit_amount);
	char dec[24];
	snprintf(dec, sizeof dec, "%lld", (long long)p->unit_amount);
	jsonw_key_string(w, "unit_amount_decimal", dec);
	jsonw_object_end(w);
}

/* ---- customer ------------------------------------------------------------ */

static const struct model_field address_fields[] = {
    F("city", MT_STRING, MF_NULLABLE, "City."),
    F("country", MT_STRING, MF_NULLABLE, "Two-letter country code."),
    F("line1", MT_STRING, MF_NULLABLE, "Street, PO box or company name."),
    F("line2", MT_STRING, MF_NULLABLE, "Apartment, suite, unit or building."),
    F("postal_code", MT_STRING, MF_NULLABLE, "ZIP or postal code."),
    F("state", MT_STRING, MF_NULLABLE, "State, county, province or region."),
};
static OBJECT(model_address, "address", "A postal address.", address_fields);

/* issue 14: Stripe's invoice_settings, its default payment method only */
static const struct model_field invoice_settings_fields[] = {
    F_ID("default_payment_method", ID_PAYMENT_METHOD, MF_NULLABLE,
         "The payment method invoices are charged to when the subscription names none."),
};
static OBJECT(model_invoice_settings, "customer.invoice_settings", "How the customer's invoices are paid.",
              invoice_settings_fields);

static const struct model_field customer_fields[] = {
    F_ID("id", ID_CUSTOMER, 0, "Unique identifier."),
    F_CONST("object", "customer"),
    F_OBJ("address", model_address, MF_NULLABLE, "The customer's address."),
    F("balance", MT_INTEGER, 0, "Minor units; negative is a credit the customer holds, applied to the next invoice."),
    F("created", MT_TIMESTAMP, 0, "Time of creation (the test clock's time on a test clock)."),
    F("currency", MT_STRING, MF_NULLABLE, "The customer's default currency."),
    F("description", MT_STRING, MF_NULLABLE, "A description, not shown to the customer."),
    F("email", MT_STRING, MF_NULLABLE, "The customer's email address."),
    F("invoice_prefix", MT_STRING, MF_NULLABLE, "The prefix of the customer's invoice numbers (3-12 of A-Z 0-9)."),
    F_LIVEMODE,
    F_METADATA,
    F("name", MT_STRING, MF_NULLABLE, "The customer's full name or business name."),
    F("next_invoice_sequence", MT_INTEGER, 0, "The sequence number of the customer's next invoice."),
    F("phone", MT_STRING, MF_NULLABLE, "The customer's phone number."),
    F_OBJ("invoice_settings", model_invoice_settings, 0, "How the customer's invoices are paid (issue 14)."),
    F_ID("test_clock", ID_TEST_CLOCK, MF_NULLABLE, "The test clock the customer lives on."),
};
OBJECT(model_customer, "customer", "Who pays.", customer_fields);

void model_customer_render(struct og_jsonw *w, const struct og_customer *c)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_CUSTOMER, c->id);
	jsonw_key_string(w, "object", "customer");
	w_json_text(w, "address", c->address, true);
	jsonw_key_int64(w, "balance", c->balance);
	jsonw_key_int64(w, "created", c->created);
	jsonw_key_string(w, "currency", c->currency);
	jsonw_key_string(w, "description", c->description);
	jsonw_key_string(w, "email", c->email);
	jsonw_key_string(w, "invoice_prefix", c->invoice_prefix);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", c->metadata, false);
	jsonw_key_string(w, "name", c->name);
	jsonw_key_int64(w, "next_invoice_sequence", c->next_invoice_sequence);
	jsonw_key_string(w, "phone", c->phone);
	jsonw_key(w, "invoice_settings");
	jsonw_object_begin(w);
	w_id(w, "default_payment_method", ID_PAYMENT_METHOD, c->default_payment_method_id);
	jsonw_object_end(w);
	w_id(w, "test_clock", ID_TEST_CLOCK, c->test_clock_id);
	jsonw_object_end(w);
}

/* ---- payment method (issue 14) ------------------------------------------- */

static const struct model_field card_fields[] = {
    F("brand", MT_STRING, 0, "visa, mastercard, amex, ..."),
    F("country", MT_STRING, MF_NULLABLE, "Two-letter country code of the card's issuer."),
    F("exp_month", MT_INTEGER, 0, "Expiry month, 1-12."),
    F("exp_year", MT_INTEGER, 0, "Expiry year, four digits."),
    F("fingerprint", MT_STRING, MF_NULLABLE, "Identifies the card number without revealing it (null: not kept)."),
    F("funding", MT_STRING, MF_NULLABLE, "credit, debit, prepaid or unknown."),
    F("last4", MT_STRING, 0, "The card number's last four digits."),
};
static OBJECT(model_card, "payment_method.card", "What is kept of a card: never its number or cvc.", card_fields);

static const struct model_field payment_method_fields[] = {
    F_ID("id", ID_PAYMENT_METHOD, 0, "Unique identifier."),
    F_CONST("object", "payment_method"),
    F("billing_details", MT_JSON, 0, "address, email, name and phone of the card holder (each may be null)."),
    F_OBJ("card", model_card, 0, "The card."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F_ID("customer", ID_CUSTOMER, MF_NULLABLE, "The customer it is attached to; null when detached."),
    F_LIVEMODE,
    F_METADATA,
    F("type", MT_STRING, 0, "Always card."),
};
OBJECT(model_payment_method, "payment_method", "A way to pay: a card.", payment_method_fields);

static void w_str_or_null(struct og_jsonw *w, const char *key, const char *s)
{
	if (s && *s)
		jsonw_key_string(w, key, s);
	else
		jsonw_key_null(w, key);
}

void model_payment_method_render(struct og_jsonw *w, const struct og_payment_method *pm)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_PAYMENT_METHOD, pm->id);
	jsonw_key_string(w, "object", "payment_method");
	w_json_text(w, "billing_details", pm->billing_details, false);
	jsonw_key(w, "card");
	jsonw_object_begin(w);
	jsonw_key_string(w, "brand", pm->brand ? pm->brand : "unknown");
	w_str_or_null(w, "country", pm->country);
	jsonw_key_int64(w, "exp_month", pm->exp_month);
	jsonw_key_int64(w, "exp_year", pm->exp_year);
	w_str_or_null(w, "fingerprint", pm->fingerprint);
	w_str_or_null(w, "funding", pm->funding);
	jsonw_key_string(w, "last4", pm->last4 ? pm->last4 : "");
	jsonw_object_end(w);
	jsonw_key_int64(w, "created", pm->created);
	w_id(w, "customer", ID_CUSTOMER, pm->customer_id);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", pm->metadata, false);
	jsonw_key_string(w, "type", "card");
	jsonw_object_end(w);
}

/* ---- API key ------------------------------------------------------------- */

static const struct model_field api_key_fields[] = {
    F_ID("id", ID_API_KEY, 0, "Unique identifier."),
    F_CONST("object", "api_key"),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("expires_at", MT_TIMESTAMP, MF_NULLABLE, "When a rolled key stops working; null: never."),
    F("last4", MT_STRING, 0, "The secret's last four characters."),
    F("name", MT_STRING, MF_NULLABLE, "A name for the key."),
    F("permissions", MT_JSON, MF_NULLABLE,
      "A restricted key's permissions, resource to read or write; null for a secret key (everything)."),
    F("redacted", MT_STRING, 0, "The key with all but its last four characters hidden."),
    F("revoked", MT_BOOLEAN, 0, "Whether the key was revoked."),
    F("revoked_at", MT_TIMESTAMP, MF_NULLABLE, "When the key was revoked."),
    F("secret", MT_STRING, MF_OPTIONAL, "The secret key; only in the reply that creates it."),
    F("type", MT_STRING, 0, "secret (sk_: every resource) or restricted (rk_: its permissions)."),
};
OBJECT(model_api_key, "api_key", "A key for programs: secret or restricted.", api_key_fields);

/* "customers=write,products=read" as {"customers":"write","products":"read"}. */
static void w_permissions(struct og_jsonw *w, const char *perms)
{
	jsonw_object_begin(w);
	for (const char *p = perms ? perms : ""; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq && eq > p && (size_t)(eq - p) < 64) {
			char name[64];
			memcpy(name, p, (size_t)(eq - p));
			name[eq - p] = 0;
			jsonw_key(w, name);
			jsonw_stringn(w, eq + 1, len - (size_t)(eq - p) - 1);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	jsonw_object_end(w);
}

void model_api_key_render(struct og_jsonw *w, const struct og_api_key *k, const char *secret)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_API_KEY, k->id);
	jsonw_key_string(w, "object", "api_key");
	jsonw_key_int64(w, "created", k->created);
	w_ts(w, "expires_at", k->expires_at);
	jsonw_key_string(w, "last4", k->last4 ? k->last4 : "");
	jsonw_key_string(w, "name", k->name);
	if (k->restricted) {
		jsonw_key(w, "permissions");
		w_permissions(w, k->permissions);
	} else {
		jsonw_key_null(w, "permissions");
	}
	char redacted[16];
	snprintf(redacted, sizeof redacted, "%s_...%s", k->restricted ? "rk" : "sk", k->last4 ? k->last4 : "");
	jsonw_key_string(w, "redacted", redacted);
	jsonw_key_bool(w, "revoked", k->revoked_at != 0);
	w_ts(w, "revoked_at", k->revoked_at);
	if (secret)
		jsonw_key_string(w, "secret", secret);
	jsonw_key_string(w, "type", k->restricted ? "restricted" : "secret");
	jsonw_object_end(w);
}

/* ---- users and sign-in ---------------------------------------------------- */

static const struct model_field user_fields[] = {
    F_ID("id", ID_USER, 0, "Unique identifier."),
    F_CONST("object", "user"),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F_ID("customer", ID_CUSTOMER, MF_NULLABLE, "The customer a customer user belongs to; null for staff."),
    F("disabled", MT_BOOLEAN, 0, "A disabled user cannot sign in; its sessions end at once."),
    F("email", MT_STRING, 0, "The address the user signs in with."),
    F("last_login", MT_TIMESTAMP, MF_NULLABLE, "The last successful sign-in."),
    F_LIVEMODE,
    F("name", MT_STRING, MF_NULLABLE, "The user's name."),
    F_ENUM("role", model_enum_user_role, 0, "owner, admin, finance, support, analyst or customer."),
    F("updated", MT_TIMESTAMP, MF_NULLABLE, "Time of the last update."),
};
OBJECT(model_user, "user", "Someone who signs in: staff or a customer.", user_fields);

void model_user_render(struct og_jsonw *w, const struct og_user *u)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_USER, u->id);
	jsonw_key_string(w, "object", "user");
	jsonw_key_int64(w, "created", u->created);
	w_id(w, "customer", ID_CUSTOMER, u->customer_id);
	jsonw_key_bool(w, "disabled", u->disabled);
	jsonw_key_string(w, "email", u->email);
	w_ts(w, "last_login", u->last_login);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_string(w, "name", u->name);
	w_enum(w, "role", &model_enum_user_role, (int)u->role);
	w_ts(w, "updated", u->updated);
	jsonw_object_end(w);
}

static const struct model_field auth_session_fields[] = {
    F_CONST("object", "auth_session"),
    F("csrf_token", MT_STRING, 0, "Send it as X-CSRF-Token with every unsafe request made with the cookie."),
    F("expires_at", MT_TIMESTAMP, 0, "When the session ends at the latest (it also ends after 30 idle minutes)."),
    F("livemode", MT_BOOLEAN, 0, "Always false: oneGuard has no live mode."),
    F_OBJ("user", model_user, 0, "The signed-in user."),
};
OBJECT(model_auth_session, "auth_session", "A signed-in session (the token is only in the cookie).",
       auth_session_fields);

void model_auth_session_render(struct og_jsonw *w, const struct og_user *u, const char *csrf_token, int64_t expires_at)
{
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "auth_session");
	jsonw_key_string(w, "csrf_token", csrf_token);
	jsonw_key_int64(w, "expires_at", expires_at);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key(w, "user");
	model_user_render(w, u);
	jsonw_object_end(w);
}

static const struct model_field password_reset_fields[] = {
    F_CONST("object", "password_reset"),
    F("status", MT_STRING, 0, "requested (a mail went out if the address is known) or completed."),
};
OBJECT(model_password_reset, "password_reset", "The answer of the password reset routes.", password_reset_fields);

void model_password_reset_render(struct og_jsonw *w, const char *status)
{
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "password_reset");
	jsonw_key_string(w, "status", status);
	jsonw_object_end(w);
}

static const struct model_field auth_logout_fields[] = {
    F_CONST("object", "auth_logout"),
    F("signed_out", MT_BOOLEAN, 0, "Always true: the session is revoked and the cookie cleared."),
};
OBJECT(model_auth_logout, "auth_logout", "The answer of POST /v1/auth/logout.", auth_logout_fields);

void model_auth_logout_render(struct og_jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "auth_logout");
	jsonw_key_bool(w, "signed_out", true);
	jsonw_object_end(w);
}

static const struct model_field invitation_fields[] = {
    F_CONST("object", "invitation"),
    F_ID("customer", ID_CUSTOMER, MF_NULLABLE, "The customer invited; null for staff."),
    F("email", MT_STRING, 0, "Where the link was mailed."),
    F("expires_at", MT_TIMESTAMP, 0, "When the link stops working."),
    F_ID("user", ID_USER, 0, "The user the link sets a password for."),
};
OBJECT(model_invitation, "invitation", "A mailed link to set a first password.", invitation_fields);

void model_invitation_render(struct og_jsonw *w, const struct og_user *u, int64_t expires_at)
{
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "invitation");
	w_id(w, "customer", ID_CUSTOMER, u->customer_id);
	jsonw_key_string(w, "email", u->email);
	jsonw_key_int64(w, "expires_at", expires_at);
	w_id(w, "user", ID_USER, u->id);
	jsonw_object_end(w);
}

static const struct model_field portal_session_fields[] = {
    F_ID("id", ID_PORTAL_SESSION, 0, "Unique identifier."),
    F_CONST("object", "billing_portal.session"),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F_ID("customer", ID_CUSTOMER, 0, "The customer the link signs in."),
    F("expires_at", MT_TIMESTAMP, 0, "When the link stops working (15 minutes after creation)."),
    F_LIVEMODE,
    F("return_url", MT_STRING, MF_NULLABLE, "Where the portal sends the customer back to."),
    F("url", MT_STRING, MF_NULLABLE, "The single-use link; only in the reply that creates it."),
};
OBJECT(model_portal_session, "billing_portal.session", "A single-use sign-in link to the customer portal.",
       portal_session_fields);

void model_portal_session_render(struct og_jsonw *w, const struct og_portal_session *s)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_PORTAL_SESSION, s->id);
	jsonw_key_string(w, "object", "billing_portal.session");
	jsonw_key_int64(w, "created", s->created);
	w_id(w, "customer", ID_CUSTOMER, s->customer_id);
	jsonw_key_int64(w, "expires_at", s->expires);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_string(w, "return_url", s->return_url);
	jsonw_key_string(w, "url", s->url);
	jsonw_object_end(w);
}

/* ---- customer balance transaction ---------------------------------------- */

static const struct model_field balance_txn_fields[] = {
    F_ID("id", ID_BALANCE_TXN, 0, "Unique identifier."),
    F_CONST("object", "customer_balance_transaction"),
    F("amount", MT_INTEGER, 0, "Minor units; negative credits the customer, positive debits."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lowercase."),
    F_ID("customer", ID_CUSTOMER, 0, "The customer whose balance changed."),
    F("description", MT_STRING, MF_NULLABLE, "An arbitrary string."),
    F("ending_balance", MT_INTEGER, 0, "The customer's balance after this transaction."),
    F_ID("invoice", ID_INVOICE, MF_NULLABLE, "The invoice that applied or made this transaction."),
    F_LIVEMODE,
    F_METADATA,
    F_ENUM("type", model_enum_balance_txn_type, 0, "Why the balance changed."),
};
OBJECT(model_balance_txn, "customer_balance_transaction", "One change of a customer's balance.", balance_txn_fields);

void model_balance_txn_render(struct og_jsonw *w, const struct og_balance_txn *t)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_BALANCE_TXN, t->id);
	jsonw_key_string(w, "object", "customer_balance_transaction");
	jsonw_key_int64(w, "amount", t->amount);
	jsonw_key_int64(w, "created", t->created);
	jsonw_key_string(w, "currency", t->currency);
	w_id(w, "customer", ID_CUSTOMER, t->customer_id);
	jsonw_key_string(w, "description", t->description);
	jsonw_key_int64(w, "ending_balance", t->ending_balance);
	w_id(w, "invoice", ID_INVOICE, t->invoice_id);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", t->metadata, false);
	w_enum(w, "type", &model_enum_balance_txn_type, (int)t->type);
	jsonw_object_end(w);
}

/* ---- test clock ---------------------------------------------------------- */

static const struct model_field test_clock_fields[] = {
    F_ID("id", ID_TEST_CLOCK, 0, "Unique identifier."),
    F_CONST("object", "test_helpers.test_clock"),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("frozen_time", MT_TIMESTAMP, 0, "The clock's time."),
    F_LIVEMODE,
    F_METADATA,
    F("name", MT_STRING, MF_NULLABLE, "A name for the clock."),
    F_ENUM("status", model_enum_test_clock_status, 0, "ready, or advancing while it bills."),
};
OBJECT(model_test_clock, "test_helpers.test_clock", "A clock its customers' objects live at.", test_clock_fields);

void model_test_clock_render(struct og_jsonw *w, const struct og_test_clock *c)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_TEST_CLOCK, c->id);
	jsonw_key_string(w, "object", "test_helpers.test_clock");
	jsonw_key_int64(w, "created", c->created);
	jsonw_key_int64(w, "frozen_time", c->frozen_time);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", c->metadata, false);
	jsonw_key_string(w, "name", c->name);
	w_enum(w, "status", &model_enum_test_clock_status, (int)c->status);
	jsonw_object_end(w);
}

/* ---- subscription item and subscription ---------------------------------- */

static const struct model_field sub_item_fields[] = {
    F_ID("id", ID_SUB_ITEM, 0, "Unique identifier."),
    F_CONST("object", "subscription_item"),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("current_period_start", MT_TIMESTAMP, MF_NULLABLE, "Start of the subscription's current period."),
    F("current_period_end", MT_TIMESTAMP, MF_NULLABLE, "End of the subscription's current period."),
    F_METADATA,
    F_IDX("price", ID_PRICE, model_price, MF_NULLABLE, "The price billed (expanded in a subscription)."),
    F("quantity", MT_INTEGER, 0, "How many units."),
    F_ID("subscription", ID_SUBSCRIPTION, MF_NULLABLE, "The subscription the item belongs to."),
};
OBJECT(model_sub_item, "subscription_item", "A price and quantity on a subscription.", sub_item_fields);

void model_sub_item_render(struct og_jsonw *w, const struct og_sub_item *it, const struct og_subscription *sub,
                           const struct og_price *price)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_SUB_ITEM, it->id);
	jsonw_key_string(w, "object", "subscription_item");
	jsonw_key_int64(w, "created", it->created);
	w_ts(w, "current_period_start", sub->current_period_start);
	w_ts(w, "current_period_end", sub->current_period_end);
	w_json_text(w, "metadata", it->metadata, false);
	if (price) {
		jsonw_key(w, "price");
		model_price_render(w, price);
	} else {
		w_id(w, "price", ID_PRICE, it->price_id);
	}
	jsonw_key_int64(w, "quantity", it->quantity);
	w_id(w, "subscription", ID_SUBSCRIPTION, it->subscription_id);
	jsonw_object_end(w);
}

static const struct model_field pause_fields[] = {
    F("behavior", MT_STRING, 0, "Always void: no invoices while paused."),
    F("resumes_at", MT_TIMESTAMP, MF_NULLABLE, "Always null: resumed by a call."),
};
static OBJECT(model_pause, "subscription.pause_collection", "How a paused subscription is paused.", pause_fields);

static const struct model_field subscription_fields[] = {
    F_ID("id", ID_SUBSCRIPTION, 0, "Unique identifier."),
    F_CONST("object", "subscription"),
    F("billing_cycle_anchor", MT_TIMESTAMP, MF_NULLABLE, "The time periods are counted from."),
    F("cancel_at", MT_TIMESTAMP, MF_NULLABLE, "When it will be canceled (cancel_at_period_end)."),
    F("cancel_at_period_end", MT_BOOLEAN, 0, "Whether it ends at the end of the current period."),
    F("canceled_at", MT_TIMESTAMP, MF_NULLABLE, "When it was canceled."),
    F_ENUM("collection_method", model_enum_collection_method, 0, "How its invoices are collected."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lower case."),
    F("current_period_start", MT_TIMESTAMP, MF_NULLABLE, "Start of the current period."),
    F("current_period_end", MT_TIMESTAMP, MF_NULLABLE, "End of the current period."),
    F_ID("customer", ID_CUSTOMER, 0, "The customer who pays."),
    F("days_until_due", MT_INTEGER, MF_NULLABLE, "send_invoice: days an invoice is due after finalizing."),
    F_ID("default_payment_method", ID_PAYMENT_METHOD, MF_NULLABLE,
         "Charged before the customer's invoice_settings.default_payment_method (issue 14)."),
    F("ended_at", MT_TIMESTAMP, MF_NULLABLE, "When it ended."),
    F_LIST("items", model_sub_item, "The subscription's items."),
    F_ID("latest_invoice", ID_INVOICE, MF_NULLABLE, "The last invoice issued for it."),
    F_LIVEMODE,
    F_METADATA,
    F("next_pending_invoice_item_invoice", MT_TIMESTAMP, MF_NULLABLE, "Always null."),
    F_OBJ("pause_collection", model_pause, MF_NULLABLE, "Set while paused."),
    F("paused_at", MT_TIMESTAMP, MF_NULLABLE, "When it was paused."),
    F("start_date", MT_TIMESTAMP, MF_NULLABLE, "When it started."),
    F_ENUM("status", model_enum_sub_status, 0, "The subscription's status."),
    F_ID("test_clock", ID_TEST_CLOCK, MF_NULLABLE, "The test clock it lives on."),
    F("trial_start", MT_TIMESTAMP, MF_NULLABLE, "Start of the trial."),
    F("trial_end", MT_TIMESTAMP, MF_NULLABLE, "End of the trial."),
    F("next_billing_at", MT_TIMESTAMP, MF_NULLABLE, "When the engine bills it next (oneGuard's own)."),
};
OBJECT(model_subscription, "subscription", "A customer's recurring purchase.", subscription_fields);

void model_subscription_render(struct og_jsonw *w, const struct og_subscription *s, const struct og_sub_item *items,
                               int n_items, const struct og_price *prices)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_SUBSCRIPTION, s->id);
	jsonw_key_string(w, "object", "subscription");
	w_ts(w, "billing_cycle_anchor", s->billing_cycle_anchor);
	w_ts(w, "cancel_at", s->cancel_at_period_end ? s->current_period_end : 0);
	jsonw_key_bool(w, "cancel_at_period_end", s->cancel_at_period_end);
	w_ts(w, "canceled_at", s->canceled_at);
	w_enum(w, "collection_method", &model_enum_collection_method, (int)s->collection_method);
	jsonw_key_int64(w, "created", s->created);
	jsonw_key_string(w, "currency", s->currency);
	w_ts(w, "current_period_start", s->current_period_start);
	w_ts(w, "current_period_end", s->current_period_end);
	w_id(w, "customer", ID_CUSTOMER, s->customer_id);
	w_opt_int(w, "days_until_due", s->has_days_until_due, s->days_until_due);
	w_id(w, "default_payment_method", ID_PAYMENT_METHOD, s->default_payment_method_id);
	w_ts(w, "ended_at", s->ended_at);
	jsonw_key(w, "items");
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "list");
	jsonw_key(w, "data");
	jsonw_array_begin(w);
	for (int i = 0; i < n_items; i++)
		model_sub_item_render(w, &items[i], s, prices ? &prices[i] : NULL);
	jsonw_array_end(w);
	jsonw_key_bool(w, "has_more", false);
	jsonw_key_string(w, "url", s->id > 0 ? "/v1/subscription_items" : "");
	jsonw_key_int64(w, "total_count", n_items);
	jsonw_object_end(w);
	w_id(w, "latest_invoice", ID_INVOICE, s->latest_invoice_id);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", s->metadata, false);
	jsonw_key_null(w, "next_pending_invoice_item_invoice");
	jsonw_key(w, "pause_collection");
	if (s->paused_at) {
		jsonw_object_begin(w);
		jsonw_key_string(w, "behavior", "void");
		jsonw_key_null(w, "resumes_at");
		jsonw_object_end(w);
	} else {
		jsonw_null(w);
	}
	w_ts(w, "paused_at", s->paused_at);
	w_ts(w, "start_date", s->start_date);
	w_enum(w, "status", &model_enum_sub_status, (int)s->status);
	w_id(w, "test_clock", ID_TEST_CLOCK, s->test_clock_id);
	w_ts(w, "trial_start", s->trial_start);
	w_ts(w, "trial_end", s->trial_end);
	w_ts(w, "next_billing_at", s->next_billing_at);
	jsonw_object_end(w);
}

/* ---- invoice line and invoice -------------------------------------------- */

static const struct model_field invoice_line_fields[] = {
    F_ID("id", ID_INVOICE_LINE, 0, "Unique identifier."),
    F_CONST("object", "line_item"),
    F("amount", MT_INTEGER, 0, "The line's amount in minor units."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lower case."),
    F("description", MT_STRING, MF_NULLABLE, "What the line bills."),
    F_ID("invoice", ID_INVOICE, MF_NULLABLE, "The invoice the line is on."),
    F_ID("invoice_item", ID_INVOICE_ITEM, MF_NULLABLE, "The invoice item it bills (type invoiceitem)."),
    F_LIVEMODE,
    F_METADATA,
    F_OBJ("period", model_period, 0, "The period the line bills."),
    F_ID("price", ID_PRICE, MF_NULLABLE, "The price billed."),
    F("proration", MT_BOOLEAN, 0, "Whether it bills part of a period."),
    F("quantity", MT_INTEGER, 0, "How many units."),
    F_ID("subscription", ID_SUBSCRIPTION, MF_NULLABLE, "The subscription billed."),
    F_ID("subscription_item", ID_SUB_ITEM, MF_NULLABLE, "The subscription item billed (type subscription)."),
    F_ENUM("type", model_enum_line_type, 0, "subscription or invoiceitem."),
    F("unit_amount", MT_INTEGER, MF_NULLABLE, "The amount per unit in minor units."),
};
OBJECT(model_invoice_line, "line_item", "One line of an invoice.", invoice_line_fields);

void model_invoice_line_render(struct og_jsonw *w, const struct og_invoice_line *l)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_INVOICE_LINE, l->id);
	jsonw_key_string(w, "object", "line_item");
	jsonw_key_int64(w, "amount", l->amount);
	jsonw_key_string(w, "currency", l->currency);
	jsonw_key_string(w, "description", l->description);
	w_id(w, "invoice", ID_INVOICE, l->invoice_id);
	w_id(w, "invoice_item", ID_INVOICE_ITEM, l->invoice_item_id);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_raw(w, "metadata", "{}");
	w_period(w, l->period_start, l->period_end);
	w_id(w, "price", ID_PRICE, l->price_id);
	jsonw_key_bool(w, "proration", l->proration);
	jsonw_key_int64(w, "quantity", l->quantity);
	w_id(w, "subscription", ID_SUBSCRIPTION, l->subscription_id);
	w_id(w, "subscription_item", ID_SUB_ITEM, l->subscription_item_id);
	w_enum(w, "type", &model_enum_line_type, (int)l->line_type);
	w_opt_int(w, "unit_amount", l->has_unit_amount, l->unit_amount);
	jsonw_object_end(w);
}

static const struct model_field transitions_fields[] = {
    F("finalized_at", MT_TIMESTAMP, MF_NULLABLE, "When it was finalized."),
    F("marked_uncollectible_at", MT_TIMESTAMP, MF_NULLABLE, "When it was marked uncollectible."),
    F("paid_at", MT_TIMESTAMP, MF_NULLABLE, "When it was paid."),
    F("voided_at", MT_TIMESTAMP, MF_NULLABLE, "When it was voided."),
};
static OBJECT(model_transitions, "invoice.status_transitions", "When the invoice changed status.", transitions_fields);

static const struct model_field invoice_fields[] = {
    F_ID("id", ID_INVOICE, MF_NULLABLE, "Unique identifier (null for the upcoming invoice)."),
    F_CONST("object", "invoice"),
    F("amount_due", MT_INTEGER, 0, "What the customer owes, in minor units."),
    F("amount_paid", MT_INTEGER, 0, "What was paid."),
    F("amount_remaining", MT_INTEGER, 0, "amount_due - amount_paid."),
    F("attempted", MT_BOOLEAN, 0, "Always false until payments."),
    F("auto_advance", MT_BOOLEAN, 0, "Always false."),
    F_ENUM("billing_reason", model_enum_billing_reason, 0, "Why the invoice was made."),
    F_ENUM("collection_method", model_enum_collection_method, 0, "How it is collected."),
    F("created", MT_TIMESTAMP, 0, "Time of creation."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lower case."),
    F_ID("customer", ID_CUSTOMER, 0, "The customer who pays."),
    F("days_until_due", MT_INTEGER, MF_NULLABLE, "send_invoice: days it is due after finalizing."),
    F("description", MT_STRING, MF_NULLABLE, "A description shown to the customer."),
    F("due_date", MT_TIMESTAMP, MF_NULLABLE, "send_invoice: when it is due."),
    F("ending_balance", MT_INTEGER, 0, "The customer's balance after finalization applied it (0 without one)."),
    F_LIST("lines", model_invoice_line, "The invoice's lines."),
    F_LIVEMODE,
    F_METADATA,
    F("number", MT_STRING, MF_NULLABLE, "The invoice number, set when finalized."),
    F("paid", MT_BOOLEAN, 0, "Whether it is paid."),
    F("paid_out_of_band", MT_BOOLEAN, 0, "Whether it was marked paid outside oneGuard."),
    F("past_due", MT_BOOLEAN, 0, "Whether it is open past its due date."),
    F("period_start", MT_TIMESTAMP, 0, "Start of the period it bills."),
    F("period_end", MT_TIMESTAMP, 0, "End of the period it bills."),
    F("starting_balance", MT_INTEGER, 0, "The customer's balance before finalization applied it (0 without one)."),
    F_ENUM("status", model_enum_invoice_status, 0, "The invoice's status."),
    F_OBJ("status_transitions", model_transitions, 0, "When it changed status."),
    F_ID("subscription", ID_SUBSCRIPTION, MF_NULLABLE, "The subscription it bills."),
    F("subtotal", MT_INTEGER, 0, "Sum of the lines."),
    F("total", MT_INTEGER, 0, "The total."),
    F("next_payment_attempt", MT_TIMESTAMP, MF_OPTIONAL, "The upcoming invoice only: when it will be issued."),
};
OBJECT(model_invoice, "invoice", "A bill to a customer.", invoice_fields);

/* Every member but the upcoming invoice's; the object stays open. */
static void invoice_members(struct og_jsonw *w, const struct og_invoice *inv, const struct og_invoice_line *lines,
                            int n_lines, bool has_more)
{
	char buf[ID_MAX_LEN];
	jsonw_object_begin(w);
	w_id(w, "id", ID_INVOICE, inv->id);
	jsonw_key_string(w, "object", "invoice");
	jsonw_key_int64(w, "amount_due", inv->amount_due);
	jsonw_key_int64(w, "amount_paid", inv->amount_paid);
	jsonw_key_int64(w, "amount_remaining", inv->amount_remaining);
	jsonw_key_bool(w, "attempted", false);
	jsonw_key_bool(w, "auto_advance", false);
	w_enum(w, "billing_reason", &model_enum_billing_reason, (int)inv->billing_reason);
	w_enum(w, "collection_method", &model_enum_collection_method, (int)inv->collection_method);
	jsonw_key_int64(w, "created", inv->created);
	jsonw_key_string(w, "currency", inv->currency);
	w_id(w, "customer", ID_CUSTOMER, inv->customer_id);
	w_opt_int(w, "days_until_due", inv->has_days_until_due, inv->days_until_due);
	jsonw_key_string(w, "description", inv->description);
	w_ts(w, "due_date", inv->due_date);
	jsonw_key_int64(w, "ending_balance", inv->ending_balance);
	jsonw_key(w, "lines");
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "list");
	jsonw_key(w, "data");
	jsonw_array_begin(w);
	for (int i = 0; lines && i < n_lines; i++)
		model_invoice_line_render(w, &lines[i]);
	jsonw_array_end(w);
	jsonw_key_bool(w, "has_more", has_more);
	char url[64];
	snprintf(url, sizeof url, "/v1/invoices/%s/lines",
	         inv->id > 0 ? ids_encode(ID_INVOICE, inv->id, buf) : "upcoming");
	jsonw_key_string(w, "url", url);
	jsonw_key_int64(w, "total_count", n_lines);
	jsonw_object_end(w);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", inv->metadata, false);
	jsonw_key_string(w, "number", inv->number);
	jsonw_key_bool(w, "paid", inv->status == INV_PAID);
	jsonw_key_bool(w, "paid_out_of_band", inv->paid_out_of_band);
	jsonw_key_bool(w, "past_due", inv->past_due);
	jsonw_key_int64(w, "period_start", inv->period_start);
	jsonw_key_int64(w, "period_end", inv->period_end);
	jsonw_key_int64(w, "starting_balance", inv->starting_balance);
	w_enum(w, "status", &model_enum_invoice_status, (int)inv->status);
	jsonw_key(w, "status_transitions");
	jsonw_object_begin(w);
	w_ts(w, "finalized_at", inv->finalized_at);
	w_ts(w, "marked_uncollectible_at", inv->marked_uncollectible_at);
	w_ts(w, "paid_at", inv->paid_at);
	w_ts(w, "voided_at", inv->voided_at);
	jsonw_object_end(w);
	w_id(w, "subscription", ID_SUBSCRIPTION, inv->subscription_id);
	jsonw_key_int64(w, "subtotal", inv->subtotal);
	jsonw_key_int64(w, "total", inv->total);
}

void model_invoice_render(struct og_jsonw *w, const struct og_invoice *inv, const struct og_invoice_line *lines,
                          int n_lines, bool has_more)
{
	invoice_members(w, inv, lines, n_lines, has_more);
	jsonw_object_end(w);
}

void model_upcoming_invoice_render(struct og_jsonw *w, const struct og_invoice *inv,
                                   const struct og_invoice_line *lines, int n_lines, int64_t next_payment_attempt)
{
	invoice_members(w, inv, lines, n_lines, false);
	jsonw_key_int64(w, "next_payment_attempt", next_payment_attempt);
	jsonw_object_end(w);
}

/* ---- invoice item -------------------------------------------------------- */

static const struct model_field invoice_item_fields[] = {
    F_ID("id", ID_INVOICE_ITEM, 0, "Unique identifier."),
    F_CONST("object", "invoiceitem"),
    F("amount", MT_INTEGER, 0, "The amount in minor units."),
    F("currency", MT_STRING, 0, "Three-letter ISO currency code, lower case."),
    F_ID("customer", ID_CUSTOMER, 0, "The customer billed."),
    F("date", MT_TIMESTAMP, 0, "Time of creation."),
    F("description", MT_STRING, MF_NULLABLE, "What it bills."),
    F_ID("invoice", ID_INVOICE, MF_NULLABLE, "The invoice that bills it; null while pending."),
    F_LIVEMODE,
    F_METADATA,
    F_OBJ("period", model_period, 0, "The period it bills."),
    F_ID("price", ID_PRICE, MF_NULLABLE, "The price billed."),
    F("proration", MT_BOOLEAN, 0, "Whether it bills part of a period."),
    F("quantity", MT_INTEGER, 0, "How many units."),
    F_ID("subscription", ID_SUBSCRIPTION, MF_NULLABLE, "The subscription whose next invoice takes it."),
    F_ID("subscription_item", ID_SUB_ITEM, MF_NULLABLE, "The subscription item it concerns."),
    F("unit_amount", MT_INTEGER, MF_NULLABLE, "The amount per unit in minor units."),
};
OBJECT(model_invoice_item, "invoiceitem", "A one-off charge the next invoice takes.", invoice_item_fields);

void model_invoice_item_render(struct og_jsonw *w, const struct og_invoice_item *it)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_INVOICE_ITEM, it->id);
	jsonw_key_string(w, "object", "invoiceitem");
	jsonw_key_int64(w, "amount", it->amount);
	jsonw_key_string(w, "currency", it->currency);
	w_id(w, "customer", ID_CUSTOMER, it->customer_id);
	jsonw_key_int64(w, "date", it->created);
	jsonw_key_string(w, "description", it->description);
	w_id(w, "invoice", ID_INVOICE, it->invoice_id);
	jsonw_key_bool(w, "livemode", false);
	w_json_text(w, "metadata", it->metadata, false);
	w_period(w, it->period_start, it->period_end);
	w_id(w, "price", ID_PRICE, it->price_id);
	jsonw_key_bool(w, "proration", it->proration);
	jsonw_key_int64(w, "quantity", it->quantity);
	w_id(w, "subscription", ID_SUBSCRIPTION, it->subscription_id);
	w_id(w, "subscription_item", ID_SUB_ITEM, it->subscription_item_id);
	w_opt_int(w, "unit_amount", it->has_unit_amount, it->unit_amount);
	jsonw_object_end(w);
}

/* ---- event --------------------------------------------------------------- */

static const struct model_field event_data_fields[] = {
    F("object", MT_JSON, 0, "The object as it was after the change, rendered as the API renders it."),
};
static OBJECT(model_event_payload, "event.data", "What an event carries.", event_data_fields);

static const struct model_field event_request_fields[] = {
    F("id", MT_STRING, MF_NULLABLE, "The Request-Id of the API request that caused the event; null: oneGuard's own."),
    F("idempotency_key", MT_STRING, MF_NULLABLE, "That request's Idempotency-Key, or null."),
};
static OBJECT(model_event_request, "event.request", "The API request behind an event.", event_request_fields);

static const struct model_field event_fields[] = {
    F_ID("id", ID_EVENT, 0, "Unique identifier."),
    F_CONST("object", "event"),
    F("api_version", MT_STRING, 0, "The shape of the objects: oneguard-1."),
    F("created", MT_TIMESTAMP, 0, "Time of the change."),
    F_OBJ("data", model_event_payload, 0, "The object the event is about, whole."),
    F_LIVEMODE,
    F("pending_webhooks", MT_INTEGER, 0, "Webhooks still to deliver."),
    F_OBJ("request", model_event_request, 0, "The API request that caused the event (Stripe's)."),
    F("type", MT_STRING, 0, "What happened: customer.created, invoice.finalized, ..."),
};
OBJECT(model_event, "event", "A change to an object, with the object.", event_fields);

void model_event_render(struct og_jsonw *w, const struct og_event *e)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_EVENT, e->id);
	jsonw_key_string(w, "object", "event");
	jsonw_key_string(w, "api_version", "oneguard-1");
	jsonw_key_int64(w, "created", e->created);
	w_json_text(w, "data", e->data, false);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_int64(w, "pending_webhooks", 0);
	jsonw_key(w, "request");
	jsonw_object_begin(w);
	jsonw_key_string(w, "id", e->request_id);
	jsonw_key_string(w, "idempotency_key", e->idempotency_key);
	jsonw_object_end(w);
	jsonw_key_string(w, "type", e->type);
	jsonw_object_end(w);
}

void model_event_data(struct og_jsonw *w, const char *object_json)
{
	jsonw_object_begin(w);
	jsonw_key_raw(w, "object", object_json);
	jsonw_object_end(w);
}

/* ---- audit log ----------------------------------------------------------- */

static const struct model_field audit_actor_fields[] = {
    F("type", MT_STRING, 0, "api_key or user."),
    F("id", MT_STRING, 0, "The key's (key_) or the user's (usr_) id."),
};
static OBJECT(model_audit_actor, "audit_log.actor", "Who made a change.", audit_actor_fields);

static const struct model_field audit_object_fields[] = {
    F("type", MT_STRING, MF_NULLABLE, "The object's kind: customer, api_key, ..."),
    F("id", MT_STRING, MF_NULLABLE, "The object's id."),
};
static OBJECT(model_audit_object, "audit_log.object", "What a change was made to.", audit_object_fields);

static const struct model_field audit_log_fields[] = {
    F_ID("id", ID_AUDIT_LOG, 0, "Unique identifier."),
    F_CONST("object", "audit_log"),
    F("action", MT_STRING, 0, "The method and the route: \"POST /v1/customers/{id}\"."),
    F_OBJ("actor", model_audit_actor, 0, "Who made the change."),
    F("client_addr", MT_STRING, MF_NULLABLE, "The address the request came from."),
    F("created", MT_TIMESTAMP, 0, "Time of the change."),
    F("idempotency_key", MT_STRING, MF_NULLABLE, "The request's Idempotency-Key, or null."),
    F("request_id", MT_STRING, MF_NULLABLE, "The request's Request-Id."),
    F("role", MT_STRING, 0, "The user's role, or secret_key / restricted_key."),
    F_OBJ("target", model_audit_object, 0, "The object changed."),
};
OBJECT(model_audit_log, "audit_log", "One change made through the API, by whom.", audit_log_fields);

void model_audit_log_render(struct og_jsonw *w, const struct og_audit_log *l)
{
	jsonw_object_begin(w);
	w_id(w, "id", ID_AUDIT_LOG, l->id);
	jsonw_key_string(w, "object", "audit_log");
	jsonw_key_string(w, "action", l->action);
	jsonw_key(w, "actor");
	jsonw_object_begin(w);
	jsonw_key_string(w, "type", l->actor_is_user ? "user" : "api_key");
	char buf[ID_MAX_LEN] = "";
	if (l->actor_id > 0)
		ids_encode(l->actor_is_user ? ID_USER : ID_API_KEY, l->actor_id, buf);
	jsonw_key_string(w, "id", buf);
	jsonw_object_end(w);
	jsonw_key_string(w, "client_addr", l->client_addr);
	jsonw_key_int64(w, "created", l->created);
	jsonw_key_string(w, "idempotency_key", l->idempotency_key);
	jsonw_key_string(w, "request_id", l->request_id);
	jsonw_key_string(w, "role", l->role ? l->role : "");
	jsonw_key(w, "target");
	jsonw_object_begin(w);
	jsonw_key_string(w, "type", l->object_type);
	jsonw_key_string(w, "id", l->object_id);
	jsonw_object_end(w);
	jsonw_object_end(w);
}

/* ---- deleted objects and lists ------------------------------------------- */

static const struct model_field deleted_fields[] = {
    F("id", MT_STRING, 0, "The deleted object's id."),
    F("object", MT_STRING, 0, "The deleted object's kind."),
    F("deleted", MT_BOOLEAN, 0, "Always true."),
};
OBJECT(model_deleted, "deleted_object", "The reply to a delete.", deleted_fields);

void model_deleted_render(struct og_jsonw *w, enum id_kind kind, int64_t id, const char *object)
{
	jsonw_object_begin(w);
	w_id(w, "id", kind, id);
	jsonw_key_string(w, "object", object);
	jsonw_key_bool(w, "deleted", true);
	jsonw_object_end(w);
}

static const struct model_field list_fields[] = {
    F_CONST("object", "list"),
    F("data", MT_JSON, 0, "One page of objects (an array)."),
    F("has_more", MT_BOOLEAN, 0, "Whether more follow this page."),
    F("url", MT_STRING, 0, "The list's path."),
};
OBJECT(model_list, "list", "One page of a list.", list_fields);

void model_list_begin(struct og_jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key_string(w, "object", "list");
	jsonw_key(w, "data");
	jsonw_array_begin(w);
}

void model_list_end(struct og_jsonw *w, bool has_more, const char *url)
{
	jsonw_array_end(w);
	jsonw_key_bool(w, "has_more", has_more);
	jsonw_key_string(w, "url", url);
	jsonw_object_end(w);
}

/* ---- errors -------------------------------------------------------------- */

static const struct model_field error_body_fields[] = {
    F("type", MT_STRING, 0, "api_error, idempotency_error or invalid_request_error (Stripe's types)."),
    F("code", MT_STRING, 0, "What went wrong, for programs (core/og_error.def lists them)."),
    F("message", MT_STRING, 0, "What went wrong, for people."),
    F("param", MT_STRING, MF_OPTIONAL, "The parameter at fault, when one is (absent otherwise)."),
    F("decline_code", MT_STRING, MF_OPTIONAL, "A card_error's reason from the card issuer (insufficient_funds, ...)."),
};
static OBJECT(model_error_body, "error_body", "What went wrong.", error_body_fields);
static const struct model_field error_fields[] = {
    F_OBJ("error", model_error_body, 0, "What went wrong."),
};
OBJECT(model_error, "error", "Every 4xx and 5xx answer.", error_fields);

void model_error_render(struct og_jsonw *w, const char *type, const char *code, const char *message, const char *param)
{
	model_error_render_decline(w, type, code, message, param, NULL);
}

void model_error_render_decline(struct og_jsonw *w, const char *type, const char *code, const char *message,
                                const char *param, const char *decline_code)
{
	jsonw_object_begin(w);
	jsonw_key(w, "error");
	jsonw_object_begin(w);
	jsonw_key_string(w, "type", type);
	jsonw_key_string(w, "code", code);
	jsonw_key_string(w, "message", message);
	if (param && *param)
		jsonw_key_string(w, "param", param);
	if (decline_code && *decline_code)
		jsonw_key_string(w, "decline_code", decline_code);
	jsonw_object_end(w);
	jsonw_object_end(w);
}

const struct model_object *const model_objects[] = {
    &model_product,        &model_price,          &model_customer,       &model_api_key,
    &model_test_clock,     &model_sub_item,       &model_payment_method, &model_subscription,
    &model_invoice_line,   &model_invoice,        &model_invoice_item,   &model_event,
    &model_deleted,        &model_list,           &model_error,          &model_user,
    &model_auth_session,   &model_password_reset, &model_auth_logout,    &model_invitation,
    &model_portal_session, &model_audit_log,      &model_balance_txn,    NULL,
};
