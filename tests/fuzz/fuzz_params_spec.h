/* The spec fuzz_form and fuzz_json validate a parsed body against: every
 * parameter type, nested objects, arrays of objects and of strings, metadata
 * at two levels, ids, amounts, currency, enum, bool, timestamp, nullable
 * fields. fuzz_params_run() parses the body, runs the spec and checks what a
 * successful parse promises (ranges, id kinds, metadata shape). */
#ifndef OG_FUZZ_PARAMS_SPEC_H
#define OG_FUZZ_PARAMS_SPEC_H

#include "core/arena.h"
#include "core/currency.h"
#include "core/ids.h"
#include "fuzz.h"
#include "http/params.h"

#include <string.h>

#define FZ_MAX_ITEMS 4
#define FZ_MAX_TAGS  8

struct fz_item {
	int64_t price;
	int64_t quantity;
	bool has_price;
	json_t *metadata;
	const char *tax_behavior;
};
struct fz_items {
	struct fz_item v[FZ_MAX_ITEMS];
	size_t n;
};
struct fz_tags {
	const char *v[FZ_MAX_TAGS];
	size_t n;
};

static void fz_check_metadata(json_t *md)
{
	if (!md || json_is_null(md))
		return;
	FUZZ_CHECK(json_is_object(md));
	FUZZ_CHECK(json_object_size(md) <= 50);
	const char *k;
	json_t *v;
	json_object_foreach(md, k, v)
	{
		FUZZ_CHECK(strlen(k) <= 40);
		FUZZ_CHECK(json_is_string(v));
		FUZZ_CHECK(json_string_length(v) <= 500);
	}
}

static void fz_check_id(enum id_kind kind, int64_t id)
{
	if (id == 0)
		return;
	FUZZ_CHECK(id > 0);
	char buf[ID_MAX_LEN];
	int64_t back = 0;
	FUZZ_CHECK(ids_decode(kind, ids_encode(kind, id, buf), &back) && back == id);
}

static enum og_ec fz_parse_item(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	struct fz_items *items = ctx;
	FUZZ_CHECK(index < FZ_MAX_ITEMS);
	struct fz_item *it = &items->v[index];
	static const char *const behaviors[] = {"inclusive", "exclusive", "unspecified", NULL};
	int behavior = -1;
	int64_t unit_amount = -1, product = 0;
	const char *currency = NULL;
	struct param_spec price_data[] = {
	    PARAM_AMOUNT("unit_amount", &unit_amount, NULL, 0),
	    PARAM_CURRENCY("currency", &currency, NULL, 0),
	    PARAM_ID("product", ID_PRODUCT, &product, NULL, 0),
	    PARAM_END,
	};
	it->quantity = 1;
	struct param_spec spec[] = {
	    PARAM_ID("price", ID_PRICE, &it->price, &it->has_price, 0),
	    PARAM_INT64("quantity", &it->quantity, NULL, 1, 1000000, 0),
	    PARAM_METADATA("metadata", &it->metadata, NULL),
	    PARAM_ENUM("tax_behavior", &behavior, NULL, behaviors, 0),
	    PARAM_OBJECT("price_data", price_data, NULL, 0),
	    PARAM_IGNORE("clear_usage"),
	    PARAM_END,
	};
	items->n = index + 1;
	enum og_ec ec = params_parse(rq, elem, spec, path);
	if (ec == OG_EC_NONE) {
		FUZZ_CHECK(it->quantity >= 1 && it->quantity <= 1000000);
		FUZZ_CHECK(behavior >= -1 && behavior <= 2);
		FUZZ_CHECK(unit_amount >= -1 && unit_amount <= 99999999999LL);
		FUZZ_CHECK(!currency || currency_find(currency));
		fz_check_metadata(it->metadata);
		fz_check_id(ID_PRODUCT, product);
	}
	return ec;
}

static enum og_ec fz_parse_tag(struct og_req *rq, json_t *elem, size_t index, const char *path, void *ctx)
{
	struct fz_tags *tags = ctx;
	FUZZ_CHECK(index < FZ_MAX_TAGS);
	if (!json_is_string(elem))
		return og_err(&rq->err, OG_EC_PARAM_INVALID, path, "Invalid string: %s", path);
	tags->v[index] = json_string_value(elem);
	tags->n = index + 1;
	return OG_EC_NONE;
}

/* Runs the spec over body (owned by the caller) as a form or a JSON body. */
static void fz_params_check(json_t *body, bool is_form)
{
	fuzz_ids_key();
	struct og_req rq;
	memset(&rq, 0, sizeof rq);
	rq.arena = arena_new();
	FUZZ_CHECK(rq.arena);
	rq.body = body;
	rq.body_is_form = is_form;
	struct og_error qerr = {0};
	rq.query = params_parse_form("", 0, &qerr);
	FUZZ_CHECK(rq.query);

	static const char *const collection[] = {"charge_automatically", "send_invoice", NULL};
	static const char *const intervals[] = {"day", "week", "month", "year", NULL};
	const char *description = NULL, *currency = NULL, *email = NULL, *name = NULL;
	bool has_description = false, desc_null = false, cancel = false, has_cancel = false;
	int64_t customer = 0, days = 0, amount = -1, trial_end = -1, anchor = -1, count = 0;
	int method = -1, interval = -1;
	json_t *metadata = NULL, *addr_metadata = NULL;
	struct fz_items items = {0};
	struct fz_tags tags = {0};
	struct og_page page = {.limit = 10};
	int64_t interval_count = 1;
	struct param_spec recurring[] = {
	    PARAM_ENUM("interval", &interval, NULL, intervals, P_REQUIRED),
	    PARAM_INT64("interval_count", &interval_count, NULL, 1, 365, 0),
	    PARAM_END,
	};
	struct param_spec address[] = {
	    PARAM_STRING("line1", &name, NULL, 200, 0),
	    PARAM_STRING("country", &email, NULL, 2, 0),
	    PARAM_METADATA("metadata", &addr_metadata, NULL),
	    PARAM_OBJECT("recurring", recurring, NULL, 0),
	    PARAM_END,
	};
	struct param_spec desc_spec = PARAM_STRING("description", &description, &has_description, 500, P_NULLABLE);
	desc_spec.is_null = &desc_null;
	struct param_spec spec[] = {
	    PARAM_ID("customer", ID_CUSTOMER, &customer, NULL, 0),
	    desc_spec,
	    PARAM_CURRENCY("currency", &currency, NULL, 0),
	    PARAM_AMOUNT("amount", &amount, NULL, 0),
	    PARAM_INT64("days_until_due", &days, NULL, 0, 730, 0),
	    PARAM_INT64("count", &count, NULL, INT64_MIN, INT64_MAX, 0),
	    PARAM_BOOL("cancel_at_period_end", &cancel, &has_cancel, 0),
	    PARAM_ENUM("collection_method", &method, NULL, collection, 0),
	    PARAM_TIMESTAMP("trial_end", &trial_end, NULL, P_NULLABLE),
	    PARAM_TIMESTAMP("billing_cycle_anchor", &anchor, NULL, 0),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_OBJECT("address", address, NULL, 0),
	    PARAM_ARRAY("items", fz_parse_item, &items, NULL, FZ_MAX_ITEMS, 0),
	    PARAM_ARRAY("tags", fz_parse_tag, &tags, NULL, FZ_MAX_TAGS, 0),
	    PARAMS_PAGE(&page, ID_CUSTOMER),
	    PARAM_IGNORE("expand"),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(&rq, rq.body, spec, NULL);
	if (ec == OG_EC_NONE) {
		fz_check_id(ID_CUSTOMER, customer);
		fz_check_id(ID_CUSTOMER, page.starting_after);
		fz_check_id(ID_CUSTOMER, page.ending_before);
		for (size_t i = 0; i < items.n; i++)
			if (items.v[i].has_price)
				fz_check_id(ID_PRICE, items.v[i].price);
		FUZZ_CHECK(page.limit >= 1 && page.limit <= 100);
		FUZZ_CHECK(!currency || currency_find(currency));
		FUZZ_CHECK(amount >= -1 && amount <= 99999999999LL);
		FUZZ_CHECK(days >= 0 && days <= 730);
		FUZZ_CHECK(method >= -1 && method <= 1);
		FUZZ_CHECK(interval >= -1 && interval <= 3);
		FUZZ_CHECK(interval_count >= 1 && interval_count <= 365);
		FUZZ_CHECK(trial_end >= -1 && trial_end <= 253402300799LL);
		FUZZ_CHECK(anchor >= -1 && anchor <= 253402300799LL);
		FUZZ_CHECK(!description || strlen(description) <= 500);
		FUZZ_CHECK(!description || params_utf8_valid(description, strlen(description)));
		FUZZ_CHECK(!desc_null || (has_description && !description));
		FUZZ_CHECK(!email || strlen(email) <= 2);
		fz_check_metadata(metadata);
		fz_check_metadata(addr_metadata);
		(void)cancel;
		(void)has_cancel;
	} else {
		FUZZ_CHECK(rq.err.message[0] != 0);
	}
	json_decref(rq.query);
	arena_free(rq.arena);
}

#endif
