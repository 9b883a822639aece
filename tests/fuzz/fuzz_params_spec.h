/* The spec fuzz_form and fuzz_json validate a parsed body against: every
 * parameter type, nested objects, arrays of objects and of strings, metadata
 * at two levels, ids, amounts, currency, enum, bool, timestamp, nullable
 * fields, in the static form (offsets into struct fz_input).
 * fuzz_params_run() parses the body, runs the spec and checks what a
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

struct fz_price_data {
	int64_t unit_amount;
	const char *currency;
	int64_t product;
};
struct fz_item {
	int64_t price;
	int64_t quantity;
	bool has_price;
	json_t *metadata;
	int behavior;
	struct fz_price_data price_data;
};
struct fz_tags {
	const char *v[FZ_MAX_TAGS];
	size_t n;
};

/* Everything the spec writes (the static form: offsets into this). */
struct fz_input {
	int64_t customer;
	const char *description;
	bool has_description, desc_null;
	const char *currency;
	int64_t amount, days, count, trial_end, anchor;
	bool cancel, has_cancel;
	int method;
	json_t *metadata;
	struct {
		const char *line1, *country;
		json_t *metadata;
		int interval;
		int64_t interval_count;
	} address;
	struct fz_item items[FZ_MAX_ITEMS];
	size_t n_items;
	struct og_page page;
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

static struct fz_tags fz_tags_seen;

static const char *const fz_behaviors[] = {"inclusive", "exclusive", "unspecified", NULL};
static const char *const fz_collection[] = {"charge_automatically", "send_invoice", NULL};
static const char *const fz_intervals[] = {"day", "week", "month", "year", NULL};

#define FZ_PD(m)   PARAM_AT(struct fz_price_data, m)
#define FZ_ITEM(m) PARAM_AT(struct fz_item, m)
#define FZ_IN(m)   PARAM_AT(struct fz_input, m)

static const struct param_spec fz_price_data_spec[] = {
    PS_AMOUNT("unit_amount", FZ_PD(unit_amount), PARAM_NOWHERE, 0, "Amount."),
    PS_CURRENCY("currency", FZ_PD(currency), PARAM_NOWHERE, 0, "Currency."),
    PS_ID("product", ID_PRODUCT, FZ_PD(product), PARAM_NOWHERE, 0, "Product."),
    PS_END,
};
static const struct param_spec fz_item_spec[] = {
    PS_ID("price", ID_PRICE, FZ_ITEM(price), FZ_ITEM(has_price), 0, "Price."),
    PS_INT64("quantity", FZ_ITEM(quantity), PARAM_NOWHERE, 1, 1000000, 0, "Quantity."),
    PS_METADATA("metadata", FZ_ITEM(metadata), PARAM_NOWHERE, "Metadata."),
    PS_ENUM("tax_behavior", FZ_ITEM(behavior), PARAM_NOWHERE, fz_behaviors, 0, "Tax behavior."),
    PS_OBJECT("price_data", fz_price_data_spec, FZ_ITEM(price_data), PARAM_NOWHERE, 0, "Inline price."),
    PS_IGNORE("clear_usage", "Ignored."),
    PS_END,
};
/* address[...] reads into the nested struct at FZ_IN(address) */
#define FZ_ADDR(m) PARAM_AT(struct fz_input, address.m)
static const struct param_spec fz_recurring_spec[] = {
    PS_ENUM("interval", FZ_ADDR(interval), PARAM_NOWHERE, fz_intervals, P_REQUIRED, "Interval."),
    PS_INT64("interval_count", FZ_ADDR(interval_count), PARAM_NOWHERE, 1, 365, 0, "Count."),
    PS_END,
};
static const struct param_spec fz_address_spec[] = {
    PS_STRING("line1", FZ_ADDR(line1), PARAM_NOWHERE, 200, 0, "Line 1."),
    PS_STRING("country", FZ_ADDR(country), PARAM_NOWHERE, 2, 0, "Country."),
    PS_METADATA("metadata", FZ_ADDR(metadata), PARAM_NOWHERE, "Metadata."),
    PS_OBJECT("recurring", fz_recurring_spec, PARAM_NOWHERE, PARAM_NOWHERE, 0, "Recurring."),
    PS_END,
};
static const struct param_spec fz_spec[] = {
    PS_ID("customer", ID_CUSTOMER, FZ_IN(customer), PARAM_NOWHERE, 0, "Customer."),
    {.name = "description",
     .type = PT_STRING,
     .flags = P_NULLABLE,
     .at = FZ_IN(description),
     .present_at = FZ_IN(has_description),
     .null_at = FZ_IN(desc_null),
     .max = 500,
     .doc = "Description."},
    PS_CURRENCY("currency", FZ_IN(currency), PARAM_NOWHERE, 0, "Currency."),
    PS_AMOUNT("amount", FZ_IN(amount), PARAM_NOWHERE, 0, "Amount."),
    PS_INT64("days_until_due", FZ_IN(days), PARAM_NOWHERE, 0, 730, 0, "Days."),
    PS_INT64("count", FZ_IN(count), PARAM_NOWHERE, INT64_MIN, INT64_MAX, 0, "Count."),
    PS_BOOL("cancel_at_period_end", FZ_IN(cancel), FZ_IN(has_cancel), 0, "Cancel."),
    PS_ENUM("collection_method", FZ_IN(method), PARAM_NOWHERE, fz_collection, 0, "Method."),
    PS_TIMESTAMP("trial_end", FZ_IN(trial_end), PARAM_NOWHERE, P_NULLABLE, "Trial end."),
    PS_TIMESTAMP("billing_cycle_anchor", FZ_IN(anchor), PARAM_NOWHERE, 0, "Anchor."),
    PS_METADATA("metadata", FZ_IN(metadata), PARAM_NOWHERE, "Metadata."),
    /* nested: the address's entries are offsets from the same base */
    PS_OBJECT("address", fz_address_spec, PARAM_NOWHERE, PARAM_NOWHERE, 0, "Address."),
    PS_ARRAY("items", struct fz_input, items, n_items, fz_item_spec, PARAM_NOWHERE, 0, "Items."),
    /* a list of strings has no element spec: the pointer form's callback,
     * with a static context (one run at a time) */
    {.name = "tags", .type = PT_ARRAY, .max = FZ_MAX_TAGS, .elem = fz_parse_tag, .elem_ctx = &fz_tags_seen},
    PS_PAGE(struct fz_input, page, ID_CUSTOMER),
    PS_IGNORE("expand", "Ignored."),
    PS_END,
};

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

	struct fz_input in = {.amount = -1,
	                      .trial_end = -1,
	                      .anchor = -1,
	                      .method = -1,
	                      .address = {.interval = -1, .interval_count = 1},
	                      .page = {.limit = 10}};
	for (size_t i = 0; i < FZ_MAX_ITEMS; i++)
		in.items[i] = (struct fz_item){.quantity = 1, .behavior = -1, .price_data = {.unit_amount = -1}};
	memset(&fz_tags_seen, 0, sizeof fz_tags_seen);
	enum og_ec ec = params_parse_into(&rq, rq.body, fz_spec, &in);
	if (ec == OG_EC_NONE) {
		fz_check_id(ID_CUSTOMER, in.customer);
		fz_check_id(ID_CUSTOMER, in.page.starting_after);
		fz_check_id(ID_CUSTOMER, in.page.ending_before);
		FUZZ_CHECK(in.n_items <= FZ_MAX_ITEMS);
		for (size_t i = 0; i < in.n_items; i++) {
			const struct fz_item *it = &in.items[i];
			if (it->has_price)
				fz_check_id(ID_PRICE, it->price);
			FUZZ_CHECK(it->quantity >= 1 && it->quantity <= 1000000);
			FUZZ_CHECK(it->behavior >= -1 && it->behavior <= 2);
			FUZZ_CHECK(it->price_data.unit_amount >= -1 && it->price_data.unit_amount <= MONEY_AMOUNT_MAX);
			FUZZ_CHECK(!it->price_data.currency || currency_find(it->price_data.currency));
			fz_check_metadata(it->metadata);
			fz_check_id(ID_PRODUCT, it->price_data.product);
		}
		FUZZ_CHECK(in.page.limit >= 1 && in.page.limit <= 100);
		FUZZ_CHECK(!in.currency || currency_find(in.currency));
		FUZZ_CHECK(in.amount >= -1 && in.amount <= MONEY_AMOUNT_MAX);
		FUZZ_CHECK(in.days >= 0 && in.days <= 730);
		FUZZ_CHECK(in.method >= -1 && in.method <= 1);
		FUZZ_CHECK(in.address.interval >= -1 && in.address.interval <= 3);
		FUZZ_CHECK(in.address.interval_count >= 1 && in.address.interval_count <= 365);
		FUZZ_CHECK(in.trial_end >= -1 && in.trial_end <= 253402300799LL);
		FUZZ_CHECK(in.anchor >= -1 && in.anchor <= 253402300799LL);
		FUZZ_CHECK(!in.description || strlen(in.description) <= 500);
		FUZZ_CHECK(!in.description || params_utf8_valid(in.description, strlen(in.description)));
		FUZZ_CHECK(!in.desc_null || (in.has_description && !in.description));
		FUZZ_CHECK(!in.address.country || strlen(in.address.country) <= 2);
		FUZZ_CHECK(fz_tags_seen.n <= FZ_MAX_TAGS);
		fz_check_metadata(in.metadata);
		fz_check_metadata(in.address.metadata);
	} else {
		FUZZ_CHECK(rq.err.message[0] != 0);
	}
	json_decref(rq.query);
	arena_free(rq.arena);
}

#endif
