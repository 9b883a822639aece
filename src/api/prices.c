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
	struct og_price p = {.active = true, .created = rq->now, .interval_count = 1};
	json_t *metadata = NULL;
	int interval = -1;
	bool has_recurring = false, has_trial_top = false, has_trial_rec = false;
	int64_t trial_top = 0, trial_rec = 0;
	struct param_spec recurring[] = {
	    PARAM_ENUM("interval", &interval, NULL, interval_names, P_REQUIRED),
	    PARAM_INT64("interval_count", &p.interval_count, NULL, 1, 365, 0),
	    PARAM_INT64("trial_period_days", &trial_rec, &has_trial_rec, 0, PRICE_TRIAL_DAYS_MAX, 0),
	    PARAM_IGNORE("usage_type"),
	    PARAM_END,
	};
	struct param_spec spec[] = {
	    PARAM_ID("product", ID_PRODUCT, &p.product_id, NULL, P_REQUIRED),
	    PARAM_AMOUNT("unit_amount", &p.unit_amount, NULL, P_REQUIRED),
	    PARAM_CURRENCY("currency", &p.currency, NULL, P_REQUIRED),
	    PARAM_OBJECT("recurring", recurring, &has_recurring, 0),
	    PARAM_STRING("nickname", &p.nickname, NULL, PRICE_NICKNAME_MAX, P_NULLABLE),
	    PARAM_STRING("lookup_key", &p.lookup_key, NULL, PRICE_LOOKUP_KEY_MAX, P_NULLABLE),
	    PARAM_INT64("trial_period_days", &trial_top, &has_trial_top, 0, PRICE_TRIAL_DAYS_MAX, 0),
	    PARAM_BOOL("active", &p.active, NULL, 0),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
	if (has_recurring) {
		p.type = PRICE_RECURRING;
		p.interval = (enum cal_interval)interval;
		if (!cal_interval_count_valid((enum cal_interval)interval, p.interval_count))
			return og_err(&rq->err, OG_EC_PARAM_INVALID, "recurring[interval_count]",
			              "interval_count %lld is too long for interval '%s': a billing interval may be at "
			              "most one year (365 days, 52 weeks, 12 months or 1 year).",
			              (long long)p.interval_count, interval_names[interval]);
	}
	if (has_trial_top || has_trial_rec) {
		if (!has_recurring)
			return og_err(&rq->err, OG_EC_PARAM_INVALID, has_trial_top ? "trial_period_days" : "recurring",
			              "trial_period_days needs a recurring price.");
		p.has_trial_period_days = true;
		p.trial_period_days = has_trial_rec ? trial_rec : trial_top;
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
	if ((ec = api_metadata_apply(rq, NULL, metadata, &p.metadata)))
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
	enum db_rc rc = store_price_lock(rq->db, id); /* read-modify-write: no lost update */
	if (rc == DB_ROW)
		rc = store_price_get(rq->db, rq->arena, id, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "price", NULL);
	json_t *metadata = NULL;
	bool has_metadata = false, has_amount = false, has_currency = false, has_recurring = false;
	int64_t ignored_amount;
	const char *ignored_currency;
	struct param_spec spec[] = {
	    PARAM_STRING("nickname", &p.nickname, NULL, PRICE_NICKNAME_MAX, P_NULLABLE),
	    PARAM_STRING("lookup_key", &p.lookup_key, NULL, PRICE_LOOKUP_KEY_MAX, P_NULLABLE),
	    PARAM_BOOL("active", &p.active, NULL, 0),
	    PARAM_METADATA("metadata", &metadata, &has_metadata),
	    /* accepted only to say clearly that they cannot change */
	    PARAM_AMOUNT("unit_amount", &ignored_amount, &has_amount, 0),
	    PARAM_CURRENCY("currency", &ignored_currency, &has_currency, 0),
	    {.name = "recurring", .type = PT_IGNORE, .present = &has_recurring},
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
	if (has_amount || has_currency || has_recurring || json_object_get(rq->body, "recurring"))
		return og_err(&rq->err, OG_EC_PARAM_INVALID,
		              has_amount     ? "unit_amount"
		              : has_currency ? "currency"
		                             : "recurring",
		              "A price's unit_amount, currency and recurring interval cannot change once it is "
		              "created. Create a new price and archive this one (active=false).");
	if (p.lookup_key && !*p.lookup_key)
		p.lookup_key = NULL;
	if ((ec = check_lookup_key(rq, p.lookup_key, p.id)))
		return ec;
	if (has_metadata && (ec = api_metadata_apply(rq, p.metadata, metadata, &p.metadata)))
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
	return store_price_get(rq->db, rq->arena, id, &p) == DB_ROW;
}

enum og_ec api_prices_list(struct og_req *rq)
{
	struct og_page page = {0};
	bool active = false, has_active = false;
	struct store_price_filter f = {.active = -1};
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_PRICE),
	    PARAM_BOOL("active", &active, &has_active, 0),
	    PARAM_ID("product", ID_PRODUCT, &f.product_id, NULL, 0),
	    PARAM_CURRENCY("currency", &f.currency, NULL, 0),
	    PARAM_STRING("lookup_key", &f.lookup_key, NULL, PRICE_LOOKUP_KEY_MAX, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	if (has_active)
		f.active = active;
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
		model_price_render(&w, (struct og_price *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/prices");
}
