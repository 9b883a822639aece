/* HTTP handlers for /v1/prices (the pricing plans). No SQL here: see
 * store/prices.c. Amount, currency and interval are fixed at creation, as in
 * Stripe: to change them, create a new price and archive the old one.
 * Limits: nickname up to 250 bytes, lookup_key up to 200, unit_amount
 * 0..99999999999 minor units, trial_period_days 0..730, interval_count up to
 * one year (365 days, 52 weeks, 12 months, 1 year).
 * A customer user sees active prices only: an archived one answers 404 like
 * a missing one and lists hold active prices alone. */
#include "api/api.h"
#include "api/common.h"
#include "core/calendar.h"

#define PRICE_NICKNAME_MAX   250
#define PRICE_LOOKUP_KEY_MAX 200
#define PRICE_TRIAL_DAYS_MAX 730

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
    PS_ENUM("interval", IN(interval), PARAM_NOWHERE, cal_interval_names, P_REQUIRED, "The billing interval."),
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
		p.type = PRICE_RECURRING;
		p.interval = (enum cal_interval)in.interval;
		if (!cal_interval_count_valid((enum cal_interval)in.interval, p.interval_count))
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "recurring[interval_count]",
			              "interval_count %lld is too long for interval '%s': a billing interval may be at "
			              "most one year (365 days, 52 weeks, 12 months or 1 year).",
			              (long long)p.interval_count, cal_interval_names[in.interval]);
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
	api_reply_price(rq, &p);
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
	if (rc == DB_ROW && !api_catalog_visible(rq, p.active))
		rc = DB_DONE; /* archived, to a customer: as missing */
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	return api_reply_price(rq, &p);
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
	api_reply_price(rq, &p);
	return api_emit(rq, "price.updated", "price", p.id, 0);
}

static bool price_exists(struct og_req *rq, int64_t id)
{
	struct og_price p;
	return store_price_get(rq->db, rq->arena, id, &p) == DB_ROW && api_catalog_visible(rq, p.active);
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
	struct store_list list = {0};
	bool none = false;
	if (!api_catalog_visible(rq, false)) { /* a customer: active only; active=false finds nothing */
		none = f.active == 0;
		f.active = 1;
	}
	enum db_rc rc = none ? DB_OK : store_price_list(rq->db, rq->arena, &sp, &f, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "prices", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_price_render(&w, (struct og_price *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/prices");
}
