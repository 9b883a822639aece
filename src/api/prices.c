/* HTTP handlers for /v1/prices (the pricing plans). No SQL here: see
 * store/prices.c. Amount, currency and interval are fixed at creation, as in
 * Stripe: to change them, create a new price and archive the old one.
 * Limits: nickname up to 250 bytes, lookup_key up to 200, unit_amount
 * 0..99999999999 minor units, trial_period_days 0..730, interval_count up to
 * one year (365 days, 52 weeks, 12 months, 1 year). */
#include "api/api.h"
#include "api/common.h"
#include "core/calendar.h"

#define PRICE_NICKNAME_MAX   250
#define PRICE_LOOKUP_KEY_MAX 200
#define PRICE_TRIAL_DAYS_MAX 730

static const char *const interval_names[] = {"day", "week", "month", "year", NULL};
enum usage_type { USAGE_LICENSED, USAGE_METERED };
static const char *const usage_types[] = {"licensed", "metered", NULL};

/* What the price endpoints read. */
struct price_in {
	struct og_price p;
	json_t *metadata;
	bool has_metadata;
	int interval;
	int usage_type;
	bool has_recurring;
	int64_t trial_top, trial_rec;
	bool has_trial_top, has_trial_rec;
	/* update: accepted only to say clearly that they cannot change */
	int64_t unit_amount;
	const char *currency;
	bool has_unit_amount, has_currency;
	/* list */
	struct og_page page;
	bool active, has_active;
	struct store_price_filter filter;
};
#define IN(m) PARAM_AT(struct price_in, m)

static const struct param_spec recurring_spec[] = {
    PS_ENUM("interval", IN(interval), PARAM_NOWHERE, interval_names, P_REQUIRED, "The billing interval."),
    PS_INT64("interval_count", IN(p.interval_count), PARAM_NOWHERE, 1, 365, 0,
             "Intervals between two bills (default 1; at most one year)."),
    PS_INT64("trial_period_days", IN(trial_rec), IN(has_trial_rec), 0, PRICE_TRIAL_DAYS_MAX, 0,
             "Trial days a subscription to this price gets by default."),
    PS_ENUM("usage_type", IN(usage_type), PARAM_NOWHERE, usage_types, 0,
            "licensed (the default); metered is refused until metered prices exist."),
    PS_END,
};

static const struct param_spec create_spec[] = {
    PS_ID("product", ID_PRODUCT, IN(p.product_id), PARAM_NOWHERE, P_REQUIRED, "The product this price sells."),
    PS_AMOUNT("unit_amount", IN(p.unit_amount), PARAM_NOWHERE, P_REQUIRED, "The price of one unit, in minor units."),
    PS_CURRENCY("currency", IN(p.currency), PARAM_NOWHERE, P_REQUIRED, "Three-letter ISO 4217 code."),
    PS_OBJECT("recurring", recurring_spec, PARAM_NOWHERE, IN(has_recurring), 0,
              "Makes the price recurring; absent for a one-time price."),
    PS_STRING("nickname", IN(p.nickname), PARAM_NOWHERE, PRICE_NICKNAME_MAX, P_NULLABLE,
              "A name for you, not shown to customers."),
    PS_STRING("lookup_key", IN(p.lookup_key), PARAM_NOWHERE, PRICE_LOOKUP_KEY_MAX, P_NULLABLE,
              "A unique key to find the price by."),
    PS_INT64("trial_period_days", IN(trial_top), IN(has_trial_top), 0, PRICE_TRIAL_DAYS_MAX, 0,
             "As recurring[trial_period_days]."),
    PS_BOOL("active", IN(p.active), PARAM_NOWHERE, 0, "Whether new subscriptions may use it (default true)."),
    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Your key-value pairs."),
    PS_END,
};

static const struct param_spec update_spec[] = {
    PS_STRING("nickname", IN(p.nickname), PARAM_NOWHERE, PRICE_NICKNAME_MAX, P_NULLABLE,
              "A name for you, not shown to customers."),
    PS_STRING("lookup_key", IN(p.lookup_key), PARAM_NOWHERE, PRICE_LOOKUP_KEY_MAX, P_NULLABLE,
              "A unique key to find the price by."),
    PS_BOOL("active", IN(p.active), PARAM_NOWHERE, 0, "Whether new subscriptions may use it."),
    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Your key-value pairs."),
    PS_AMOUNT("unit_amount", IN(unit_amount), IN(has_unit_amount), 0, "Cannot change: refused."),
    PS_CURRENCY("currency", IN(currency), IN(has_currency), 0, "Cannot change: refused."),
    {.name = "recurring", .type = PT_IGNORE, .present_at = IN(has_recurring), .doc = "Cannot change: refused."},
    PS_END,
};

static const struct param_spec list_spec[] = {
    PS_PAGE(struct price_in, page, ID_PRICE),
    PS_BOOL("active", IN(active), IN(has_active), 0, "Only active (true) or archived (false) prices."),
    PS_ID("product", ID_PRODUCT, IN(filter.product_id), PARAM_NOWHERE, 0, "Only this product's prices."),
    PS_CURRENCY("currency", IN(filter.currency), PARAM_NOWHERE, 0, "Only prices in this currency."),
    PS_STRING("lookup_key", IN(filter.lookup_key), PARAM_NOWHERE, PRICE_LOOKUP_KEY_MAX, 0,
              "Only the price with this lookup_key."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};

/* Two renderings of one object: the jansson tree for write replies, events
 * and subscriptions, and the jsonw text for reads.
 * tests/billing/test_render_text.c holds them equal; change both together. */
json_t *api_render_price(const struct og_price *p)
{
	json_t *o = json_object();
	api_set_id(o, "id", ID_PRICE, p->id);
	json_object_set_new(o, "object", json_string("price"));
	json_object_set_new(o, "active", json_boolean(p->active));
	json_object_set_new(o, "billing_scheme", json_string("per_unit"));
	json_object_set_new(o, "created", json_integer(p->created));
	json_object_set_new(o, "currency", api_str(p->currency));
	json_object_set_new(o, "livemode", json_false());
	json_object_set_new(o, "lookup_key", api_str(p->lookup_key));
	json_object_set_new(o, "metadata", api_json_text(p->metadata, false));
	json_object_set_new(o, "nickname", api_str(p->nickname));
	api_set_id(o, "product", ID_PRODUCT, p->product_id);
	if (p->interval) {
		json_t *r = json_object();
		json_object_set_new(r, "interval", json_string(p->interval));
		json_object_set_new(r, "interval_count", json_integer(p->interval_count));
		json_object_set_new(r, "trial_period_days",
		                    p->has_trial_period_days ? json_integer(p->trial_period_days) : json_null());
		json_object_set_new(r, "usage_type", json_string("licensed"));
		json_object_set_new(o, "recurring", r);
		json_object_set_new(o, "type", json_string("recurring"));
	} else {
		json_object_set_new(o, "recurring", json_null());
		json_object_set_new(o, "type", json_string("one_time"));
	}
	json_object_set_new(o, "unit_amount", json_integer(p->unit_amount));
	char dec[24];
	snprintf(dec, sizeof dec, "%lld", (long long)p->unit_amount);
	json_object_set_new(o, "unit_amount_decimal", json_string(dec));
	return o;
}

void api_write_price(struct og_jsonw *w, const struct og_price *p)
{
	jsonw_object_begin(w);
	api_write_id(w, "id", ID_PRICE, p->id);
	jsonw_key_string(w, "object", "price");
	jsonw_key_bool(w, "active", p->active);
	jsonw_key_string(w, "billing_scheme", "per_unit");
	jsonw_key_int64(w, "created", p->created);
	jsonw_key_string(w, "currency", p->currency);
	jsonw_key_bool(w, "livemode", false);
	jsonw_key_string(w, "lookup_key", p->lookup_key);
	api_write_json_text(w, "metadata", p->metadata, false);
	jsonw_key_string(w, "nickname", p->nickname);
	api_write_id(w, "product", ID_PRODUCT, p->product_id);
	if (p->interval) {
		jsonw_key(w, "recurring");
		jsonw_object_begin(w);
		jsonw_key_string(w, "interval", p->interval);
		jsonw_key_int64(w, "interval_count", p->interval_count);
		if (p->has_trial_period_days)
			jsonw_key_int64(w, "trial_period_days", p->trial_period_days);
		else
			jsonw_key_null(w, "trial_period_days");
		jsonw_key_string(w, "usage_type", "licensed");
		jsonw_object_end(w);
		jsonw_key_string(w, "type", "recurring");
	} else {
		jsonw_key_null(w, "recurring");
		jsonw_key_string(w, "type", "one_time");
	}
	jsonw_key_int64(w, "unit_amount", p->unit_amount);
	char dec[24];
	snprintf(dec, sizeof dec, "%lld", (long long)p->unit_amount);
	jsonw_key_string(w, "unit_amount_decimal", dec);
	jsonw_object_end(w);
}

static enum og_ec check_lookup_key(struct og_req *rq, const char *lookup_key, int64_t self)
{
	if (!lookup_key)
		return OG_EC_NONE;
	int64_t other = 0;
	enum db_rc rc = store_price_find_lookup_key(rq->db, lookup_key, &other);
	if (rc == DB_ROW && other != self)
		return og_err(&rq->err, OG_EC_LOOKUP_KEY_TAKEN, "lookup_key",
		              "A price with lookup_key '%.200s' already exists.", lookup_key);
	if (rc != DB_ROW && rc != DB_DONE)
		return api_db_error(rq, rc, "price", NULL);
	return OG_EC_NONE;
}

enum og_ec api_prices_create(struct og_req *rq)
{
	struct price_in in = {.p = {.active = true, .created = rq->now, .interval_count = 1}, .interval = -1};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct og_price p = in.p;
	if (in.has_recurring && in.usage_type == USAGE_METERED)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "recurring[usage_type]",
		              "Metered prices are not supported yet: recurring[usage_type] must be licensed.");
	if (in.has_recurring) {
		p.interval = interval_names[in.interval];
		if (!cal_interval_count_valid((enum cal_interval)in.interval, p.interval_count))
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "recurring[interval_count]",
			              "interval_count %lld is too long for interval '%s': a billing interval may be at "
			              "most one year (365 days, 52 weeks, 12 months or 1 year).",
			              (long long)p.interval_count, p.interval);
	}
	if (in.has_trial_top || in.has_trial_rec) {
		if (!in.has_recurring)
			return og_err(&rq->err, OG_EC_PARAM_INVALID,
			              in.has_trial_top ? "trial_period_days" : "recurring",
			              "trial_period_days needs a recurring price.");
		p.has_trial_period_days = true;
		p.trial_period_days = in.has_trial_rec ? in.trial_rec : in.trial_top;
	}
	if (p.lookup_key && !*p.lookup_key)
		p.lookup_key = NULL;
	enum db_rc rc = store_product_lock(rq->db, p.product_id);
	if (rc == DB_DONE)
		return og_err(&rq->err, OG_EC_PARAM_ID, "product", "No such product: '%s'",
		              json_string_value(json_object_get(rq->body, "product")));
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	if ((ec = check_lookup_key(rq, p.lookup_key, 0)))
		return ec;
	if ((ec = api_metadata_apply(rq, NULL, in.metadata, &p.metadata)))
		return ec;
	rc = store_price_insert(rq->db, &p);
	if (rc == DB_CONSTRAINT)
		return og_err(&rq->err, OG_EC_LOOKUP_KEY_TAKEN, "lookup_key", "That lookup_key is already in use.");
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	api_reply(rq, api_render_price(&p));
	return api_emit(rq, "price.created", "price", p.id, 0);
}

enum og_ec api_prices_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PRICE, "price", &id);
	if (ec)
		return ec;
	struct og_price p;
	enum db_rc rc = store_price_get(rq->db, rq->arena, id, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	struct og_jsonw w;
	api_jsonw_init(rq, &w);
	api_write_price(&w, &p);
	return api_reply_jsonw(rq, &w);
}

enum og_ec api_prices_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PRICE, "price", &id);
	if (ec)
		return ec;
	struct og_price p;
	/* read-modify-write: no lost update */
	enum db_rc rc = store_price_get_for_update(rq->db, rq->arena, id, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	struct price_in in = {.p = p};
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	p = in.p;
	if (in.has_unit_amount || in.has_currency || in.has_recurring || json_object_get(rq->body, "recurring"))
		return og_err(&rq->err, OG_EC_PARAM_INVALID,
		              in.has_unit_amount ? "unit_amount"
		              : in.has_currency  ? "currency"
		                                 : "recurring",
		              "A price's unit_amount, currency and recurring interval cannot change once it is "
		              "created. Create a new price and archive this one (active=false).");
	if (p.lookup_key && !*p.lookup_key)
		p.lookup_key = NULL;
	if ((ec = check_lookup_key(rq, p.lookup_key, p.id)))
		return ec;
	if (in.has_metadata && (ec = api_metadata_apply(rq, p.metadata, in.metadata, &p.metadata)))
		return ec;
	rc = store_price_update(rq->db, &p);
	if (rc == DB_CONSTRAINT)
		return og_err(&rq->err, OG_EC_LOOKUP_KEY_TAKEN, "lookup_key", "That lookup_key is already in use.");
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	api_reply(rq, api_render_price(&p));
	return api_emit(rq, "price.updated", "price", p.id, 0);
}

static bool price_exists(struct og_req *rq, int64_t id)
{
	struct og_price p;
	return store_price_get(rq->db, rq->arena, id, &p) == DB_ROW;
}

enum og_ec api_prices_list(struct og_req *rq)
{
	struct price_in in = {.filter = {.active = -1}};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	struct store_price_filter f = in.filter;
	const struct og_page page = in.page;
	if (in.has_active)
		f.active = in.active;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, price_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_price_list(rq->db, rq->arena, &sp, &f, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "prices", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		api_write_price(&w, (struct og_price *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/prices");
}
