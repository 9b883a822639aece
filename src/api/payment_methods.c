/* HTTP handlers for /v1/payment_methods (issue 14): Stripe's payment
 * methods, of type card. No SQL here: see store/payments.c.
 *
 * A card is checked by the deployment's provider (rq->cfg->payment_provider;
 * the sandbox takes Stripe's test cards, src/pay/sandbox.c); its number and
 * cvc live only in this request's parse and are never stored, logged or
 * answered. attach_card runs inside the request's transaction: only the
 * sandbox implements it and it does no I/O (a network provider collects
 * cards on its own page, docs/internals/payments.md).
 *
 * Access: payment methods are money (owner, admin, finance, keys write;
 * staff read). A customer user sees only payment methods attached to its
 * own customer (another's, or an unattached one, is 404 like a missing
 * one); one it creates is attached to itself at once; it may attach only to
 * itself and detach its own. Detaching a payment method clears it wherever
 * it is a default (the customer's invoice_settings, its subscriptions). */
#include "api/api.h"
#include "api/common.h"
#include "pay/provider.h"
#include "store/payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_NUMBER_MAX 32
#define CARD_CVC_MAX    8
#define BD_FIELD_MAX    200
#define N_BD_ADDRESS    6

struct pm_input {
	int type;
	struct pay_card_in card;
	bool has_billing_details;
	bool has_bd_address, bd_address_null;
	const char *bd_address[N_BD_ADDRESS];
	const char *bd_email, *bd_name, *bd_phone;
	bool has_bd_email, has_bd_name, has_bd_phone;
	json_t *metadata;
	bool has_metadata;
	int64_t customer_id;
	bool has_customer;
	/* list */
	struct og_page page;
};
#define IN(m) PARAM_AT(struct pm_input, m)

static const char *const pm_types[] = {"card", NULL};

static const struct param_spec card_spec[] = {
    PS_STRING("number", IN(card.number), PARAM_NOWHERE, CARD_NUMBER_MAX, P_REQUIRED,
              "The card number (never stored: only brand, last 4 and expiry are kept)."),
    PS_INT64("exp_month", IN(card.exp_month), PARAM_NOWHERE, 0, 9999, P_REQUIRED, "Expiry month, 1-12."),
    PS_INT64("exp_year", IN(card.exp_year), PARAM_NOWHERE, 0, 9999, P_REQUIRED, "Expiry year, four digits."),
    PS_STRING("cvc", IN(card.cvc), PARAM_NOWHERE, CARD_CVC_MAX, 0, "The security code (checked, never stored)."),
    PS_END,
};

static const struct param_spec bd_address_spec[] = {
    PS_STRING("city", IN(bd_address[0]), PARAM_NOWHERE, BD_FIELD_MAX, P_NULLABLE, "City."),
    PS_STRING("country", IN(bd_address[1]), PARAM_NOWHERE, 2, P_NULLABLE, "Two-letter country code."),
    PS_STRING("line1", IN(bd_address[2]), PARAM_NOWHERE, BD_FIELD_MAX, P_NULLABLE, "Street and number."),
    PS_STRING("line2", IN(bd_address[3]), PARAM_NOWHERE, BD_FIELD_MAX, P_NULLABLE, "Apartment, suite, unit."),
    PS_STRING("postal_code", IN(bd_address[4]), PARAM_NOWHERE, BD_FIELD_MAX, P_NULLABLE, "ZIP or postal code."),
    PS_STRING("state", IN(bd_address[5]), PARAM_NOWHERE, BD_FIELD_MAX, P_NULLABLE, "State or province."),
    PS_END,
};

static const struct param_spec bd_spec[] = {
    {.name = "address",
     .type = PT_OBJECT,
     .flags = P_NULLABLE,
     .sub = bd_address_spec,
     .present_at = IN(has_bd_address),
     .null_at = IN(bd_address_null),
     .doc = "The billing address; replaces the stored one whole."},
    PS_STRING("email", IN(bd_email), IN(has_bd_email), BD_FIELD_MAX, P_NULLABLE, "Email address."),
    PS_STRING("name", IN(bd_name), IN(has_bd_name), BD_FIELD_MAX, P_NULLABLE, "Full name."),
    PS_STRING("phone", IN(bd_phone), IN(has_bd_phone), BD_FIELD_MAX, P_NULLABLE, "Phone number."),
    PS_END,
};

#define PM_BD_META                                                                                                     \
	PS_OBJECT("billing_details", bd_spec, PARAM_NOWHERE, IN(has_billing_details), 0,                               \
	          "The card holder's address, email, name and phone."),                                                \
	    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Your key-value pairs.")

static const struct param_spec create_spec[] = {
    PS_ENUM("type", IN(type), PARAM_NOWHERE, pm_types, P_REQUIRED, "card (the only type)."),
    PS_OBJECT("card", card_spec, PARAM_NOWHERE, PARAM_NOWHERE, P_REQUIRED, "The card."),
    PM_BD_META,
    PS_END,
};
static const struct param_spec update_spec[] = {PM_BD_META, PS_END};
static const struct param_spec attach_spec[] = {
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), PARAM_NOWHERE, P_REQUIRED, "The customer to attach it to."),
    PS_END,
};
static const struct param_spec list_spec[] = {
    PS_PAGE(struct pm_input, page, ID_PAYMENT_METHOD),
    PS_ID("customer", ID_CUSTOMER, IN(customer_id), IN(has_customer), 0,
          "Whose payment methods (required here; or GET /v1/customers/{id}/payment_methods)."),
    PS_ENUM("type", IN(type), PARAM_NOWHERE, pm_types, 0, "card (the only type)."),
    PS_END,
};
static const struct param_spec customer_list_spec[] = {
    PS_PAGE(struct pm_input, page, ID_PAYMENT_METHOD),
    PS_ENUM("type", IN(type), PARAM_NOWHERE, pm_types, 0, "card (the only type)."),
    PS_END,
};
#undef IN

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* billing_details as stored: always all four keys; given fields replace
 * the stored ones (the address whole). */
static enum og_ec apply_billing_details(struct og_req *rq, const struct pm_input *in, const char *stored,
                                        const char **out)
{
	json_t *bd = stored ? json_loads(stored, 0, NULL) : NULL;
	if (!json_is_object(bd)) {
		json_decref(bd);
		bd = json_object();
	}
	static const char *const keys[] = {"address", "email", "name", "phone"};
	for (int i = 0; i < 4; i++)
		if (!json_object_get(bd, keys[i]))
			json_object_set_new(bd, keys[i], json_null());
	if (in->has_bd_address) {
		if (in->bd_address_null) {
			json_object_set_new(bd, "address", json_null());
		} else {
			json_t *a = json_object();
			for (int i = 0; i < N_BD_ADDRESS; i++)
				json_object_set_new(a, bd_address_spec[i].name, str_or_null(in->bd_address[i]));
			json_object_set_new(bd, "address", a);
		}
	}
	if (in->has_bd_email)
		json_object_set_new(bd, "email", str_or_null(in->bd_email));
	if (in->has_bd_name)
		json_object_set_new(bd, "name", str_or_null(in->bd_name));
	if (in->has_bd_phone)
		json_object_set_new(bd, "phone", str_or_null(in->bd_phone));
	char *text = json_dumps(bd, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(bd);
	if (!text)
		return OG_BUG(&rq->err, "billing_details");
	*out = arena_strdup(rq->arena, text);
	free(text);
	return OG_EC_NONE;
}

/* A provider's refusal as Stripe's card_error (402) naming its parameter. */
static enum og_ec card_error(struct og_req *rq, const struct pay_error *e)
{
	enum og_ec ec = OG_EC_CARD_DECLINED;
	if (!strcmp(e->code, "incorrect_number"))
		ec = OG_EC_CARD_NUMBER;
	else if (!strcmp(e->code, "invalid_expiry_month"))
		ec = OG_EC_CARD_EXPIRY_MONTH;
	else if (!strcmp(e->code, "invalid_expiry_year"))
		ec = OG_EC_CARD_EXPIRY_YEAR;
	else if (!strcmp(e->code, "invalid_cvc"))
		ec = OG_EC_CARD_CVC;
	const char *param = e->param[0] ? e->param : NULL;
	og_err(&rq->err, ec, param, "%s", e->message);
	snprintf(rq->err.decline_code, sizeof rq->err.decline_code, "%.31s", e->decline_code); /* Stripe's member */
	return ec;
}

static const struct pay_provider *provider_of(struct og_req *rq)
{
	return pay_provider_get(rq->cfg ? rq->cfg->payment_provider : NULL);
}

/* The payment method of the path, if the caller may see it (else 404 as
 * a missing one). */
static enum og_ec path_pm(struct og_req *rq, struct og_payment_method *pm)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PAYMENT_METHOD, "payment_method", &id);
	if (ec)
		return ec;
	enum db_rc rc = store_payment_method_get(rq->db, rq->arena, id, pm);
	if (rc == DB_ROW && !api_owns(rq, pm->customer_id))
		rc = DB_DONE;
	return rc == DB_ROW ? OG_EC_NONE : api_db_error(rq, rc, "payment_method", NULL);
}

static enum og_ec reply_pm(struct og_req *rq, const struct og_payment_method *pm)
{
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	model_payment_method_render(&w, pm);
	return api_reply_jsonw(rq, &w);
}

enum og_ec api_payment_methods_create(struct og_req *rq)
{
	struct pm_input in = {0};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	const struct pay_provider *p = provider_of(rq);
	if (!p || !p->attach_card)
		return og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "This server's payment provider takes no card here.");
	struct pay_card card;
	struct pay_error perr;
	if (p->attach_card(p, rq->db, &in.card, rq->now, &card, &perr))
		return card_error(rq, &perr);
	struct og_payment_method pm = {
	    .provider = p->name,
	    .ref = arena_strdup(rq->arena, card.ref),
	    .customer_id = rq->actor.customer_id > 0 ? rq->actor.customer_id : 0, /* a customer's own, at once */
	    .brand = arena_strdup(rq->arena, card.brand),
	    .last4 = arena_strdup(rq->arena, card.last4),
	    .exp_month = card.exp_month,
	    .exp_year = card.exp_year,
	    .funding = card.funding[0] ? arena_strdup(rq->arena, card.funding) : NULL,
	    .country = card.country[0] ? arena_strdup(rq->arena, card.country) : NULL,
	    .fingerprint = card.fingerprint[0] ? arena_strdup(rq->arena, card.fingerprint) : NULL,
	    .created = rq->now,
	};
	if ((ec = apply_billing_details(rq, &in, NULL, &pm.billing_details)))
		return ec;
	if ((ec = api_metadata_apply(rq, "{}", in.has_metadata ? in.metadata : NULL, &pm.metadata)))
		return ec;
	enum db_rc rc = store_payment_method_insert(rq->db, &pm);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "payment_method", NULL);
	if ((ec = reply_pm(rq, &pm)))
		return ec;
	if (pm.customer_id)
		return api_emit(rq, "payment_method.attached", "payment_method", pm.id, pm.customer_id);
	return OG_EC_NONE;
}

enum og_ec api_payment_methods_retrieve(struct og_req *rq)
{
	struct og_payment_method pm;
	enum og_ec ec = path_pm(rq, &pm);
	return ec ? ec : reply_pm(rq, &pm);
}

enum og_ec api_payment_methods_update(struct og_req *rq)
{
	struct og_payment_method pm;
	enum og_ec ec = path_pm(rq, &pm);
	if (ec)
		return ec;
	struct pm_input in = {0};
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	if ((ec = apply_billing_details(rq, &in, pm.billing_details, &pm.billing_details)))
		return ec;
	if (in.has_metadata && (ec = api_metadata_apply(rq, pm.metadata, in.metadata, &pm.metadata)))
		return ec;
	enum db_rc rc = store_payment_method_update(rq->db, &pm);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "payment_method", NULL);
	if ((ec = reply_pm(rq, &pm)))
		return ec;
	return api_emit(rq, "payment_method.updated", "payment_method", pm.id, pm.customer_id);
}

enum og_ec api_payment_methods_attach(struct og_req *rq)
{
	struct og_payment_method pm;
	enum og_ec ec = path_pm(rq, &pm);
	if (ec)
		return ec;
	struct pm_input in = {0};
	if ((ec = params_parse_into(rq, rq->body, attach_spec, &in)))
		return ec;
	struct og_customer c;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, in.customer_id, &c);
	if (rc == DB_ROW && !api_owns(rq, c.id))
		rc = DB_DONE; /* another's customer: as a missing one */
	char buf[ID_MAX_LEN];
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "customer", "No such customer: '%s'",
		              ids_encode(ID_CUSTOMER, in.customer_id, buf));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", "customer");
	if (pm.customer_id && pm.customer_id != c.id)
		return og_err(&rq->err, OG_EC_PM_STATE, "customer",
		              "The payment method is attached to another customer; detach it first.");
	if (!pm.customer_id) {
		if ((rc = store_payment_method_set_customer(rq->db, pm.id, c.id)) != DB_ROW)
			return api_db_error(rq, rc, "payment_method", NULL);
		pm.customer_id = c.id;
	}
	if ((ec = reply_pm(rq, &pm)))
		return ec;
	return api_emit(rq, "payment_method.attached", "payment_method", pm.id, pm.customer_id);
}

enum og_ec api_payment_methods_detach(struct og_req *rq)
{
	struct og_payment_method pm;
	enum og_ec ec = path_pm(rq, &pm);
	if (ec)
		return ec;
	static const struct param_spec no_params[] = {PS_END};
	struct pm_input in = {0};
	if ((ec = params_parse_into(rq, rq->body, no_params, &in)))
		return ec;
	if (!pm.customer_id)
		return og_err(&rq->err, OG_EC_PM_STATE, NULL,
		              "The payment method is not attached to a customer, so it cannot be detached.");
	int64_t customer_id = pm.customer_id;
	enum db_rc rc = store_payment_method_clear_defaults(rq->db, pm.id);
	if (rc == DB_OK)
		rc = store_payment_method_set_customer(rq->db, pm.id, 0);
	if (rc != DB_ROW)
		return api_db_error(rq, rc == DB_DONE ? DB_ERROR : rc, "payment_method", NULL);
	pm.customer_id = 0;
	if ((ec = reply_pm(rq, &pm)))
		return ec;
	return api_emit(rq, "payment_method.detached", "payment_method", pm.id, customer_id);
}

static bool pm_visible(struct og_req *rq, int64_t id)
{
	struct og_payment_method pm;
	return store_payment_method_get(rq->db, rq->arena, id, &pm) == DB_ROW && pm.customer_id &&
	       api_owns(rq, pm.customer_id);
}

/* customer_id 0: an empty list (another's customer, for a customer user). */
static enum og_ec list_of(struct og_req *rq, int64_t customer_id, const struct og_page *page, const char *url)
{
	struct store_page sp;
	enum og_ec ec = api_page(rq, page, pm_visible, &sp);
	if (ec)
		return ec;
	struct store_list list = {0};
	if (customer_id > 0) {
		enum db_rc rc = store_payment_method_list(rq->db, rq->arena, customer_id, &sp, &list);
		if (rc != DB_OK)
			return api_db_error(rq, rc, "payment_methods", NULL);
	}
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_payment_method_render(&w, (struct og_payment_method *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, url);
}

enum og_ec api_payment_methods_list(struct og_req *rq)
{
	struct pm_input in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	if (!in.has_customer) {
		if (rq->actor.customer_id <= 0)
			return og_err(&rq->err, OG_EC_PARAM_MISSING, "customer", "Missing required param: customer.");
		in.customer_id = rq->actor.customer_id; /* a customer user: its own */
	}
	/* another customer's (for a customer user): an empty list, no hint */
	return list_of(rq, api_owns(rq, in.customer_id) ? in.customer_id : 0, &in.page, "/v1/payment_methods");
}

enum og_ec api_customers_payment_methods(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_CUSTOMER, "customer", &id);
	if (ec)
		return ec;
	struct og_customer c;
	enum db_rc rc = store_customer_get(rq->db, rq->arena, id, &c);
	if (rc == DB_ROW && !api_owns(rq, c.id))
		rc = DB_DONE;
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "customer", NULL);
	struct pm_input in = {0};
	if ((ec = params_parse_into(rq, rq->query, customer_list_spec, &in)))
		return ec;
	char url[96];
	char buf[ID_MAX_LEN];
	snprintf(url, sizeof url, "/v1/customers/%s/payment_methods", ids_encode(ID_CUSTOMER, id, buf));
	return list_of(rq, id, &in.page, arena_strdup(rq->arena, url));
}

/* The default-payment-method rule shared by customers and subscriptions:
 * pm_id must be a payment method attached to customer_id (else 400
 * resource_missing naming param, as Stripe's). */
enum og_ec api_payment_method_check_default(struct og_req *rq, int64_t customer_id, int64_t pm_id, const char *param)
{
	struct og_payment_method pm;
	enum db_rc rc = store_payment_method_get(rq->db, rq->arena, pm_id, &pm);
	if (rc == DB_ROW && pm.customer_id == customer_id && customer_id > 0)
		return OG_EC_NONE;
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "payment_method", param);
	char buf[ID_MAX_LEN];
	return og_err(&rq->err, OG_EC_PARAM_ID, param,
	              "No such PaymentMethod: '%s'; it must be attached to this customer first.",
	              ids_encode(ID_PAYMENT_METHOD, pm_id, buf));
}
