/* HTTP handlers for /v1/products. No SQL here: see store/products.c.
 * Limits: name 1..250 bytes, description up to 5000. A product with active
 * prices cannot be deleted (409); archive it with active=false instead.
 * A customer user sees the active catalog only: an archived product
 * answers 404 like a missing one and lists hold active products alone. */
#include "api/api.h"
#include "api/common.h"

#define PRODUCT_NAME_MAX        250
#define PRODUCT_DESCRIPTION_MAX 5000

/* What the product endpoints read: the product's own fields parse straight
 * into it. */
struct product_in {
	struct og_product p;
	json_t *metadata;
	bool has_metadata;
	struct og_page page;
	bool active, has_active; /* list filter */
};
#define IN(m) PARAM_AT(struct product_in, m)

#define PRODUCT_FIELDS(name_flags)                                                                                     \
	PS_STRING("name", IN(p.name), PARAM_NOWHERE, PRODUCT_NAME_MAX, name_flags,                                     \
	          "The product's name, shown to customers (1 to 250 bytes)."),                                         \
	    PS_STRING("description", IN(p.description), PARAM_NOWHERE, PRODUCT_DESCRIPTION_MAX, P_NULLABLE,            \
	              "A longer description; \"\" or null clears it."),                                                \
	    PS_BOOL("active", IN(p.active), PARAM_NOWHERE, 0, "Whether it can be sold (default true)."),               \
	    PS_METADATA("metadata", IN(metadata), IN(has_metadata), "Your key-value pairs.")

static const struct param_spec create_spec[] = {PRODUCT_FIELDS(P_REQUIRED), PS_END};
static const struct param_spec update_spec[] = {PRODUCT_FIELDS(0), PS_END};
static const struct param_spec list_spec[] = {
    PS_PAGE(struct product_in, page, ID_PRODUCT),
    PS_BOOL("active", IN(active), IN(has_active), 0, "Only active (true) or archived (false) products."),
    PS_IGNORE("created", "Creation time: a Unix time or an object of gt, gte, lt, lte."),
    PS_END,
};

enum og_ec api_products_create(struct og_req *rq)
{
	struct product_in in = {.p = {.active = true, .created = rq->now}};
	enum og_ec ec = params_parse_into(rq, rq->body, create_spec, &in);
	if (ec)
		return ec;
	struct og_product p = in.p;
	json_t *metadata = in.metadata;
	if (!*p.name)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "name", "name must not be empty.");
	if ((ec = api_metadata_apply(rq, NULL, metadata, &p.metadata)))
		return ec;
	enum db_rc rc = store_product_insert(rq->db, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	p.updated = p.created;
	api_reply_product(rq, &p);
	return api_emit(rq, "product.created", "product", p.id, 0);
}

enum og_ec api_products_retrieve(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PRODUCT, "product", &id);
	if (ec)
		return ec;
	struct og_product p;
	enum db_rc rc = store_product_get(rq->db, rq->arena, id, &p);
	if (rc == DB_ROW && !api_catalog_visible(rq, p.active))
		rc = DB_DONE; /* archived, to a customer: as missing */
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	return api_reply_product(rq, &p);
}

enum og_ec api_products_update(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PRODUCT, "product", &id);
	if (ec)
		return ec;
	struct og_product p;
	/* read-modify-write: no lost update */
	enum db_rc rc = store_product_get_for_update(rq->db, rq->arena, id, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	struct product_in in = {.p = p};
	if ((ec = params_parse_into(rq, rq->body, update_spec, &in)))
		return ec;
	p = in.p;
	json_t *metadata = in.metadata;
	bool has_metadata = in.has_metadata;
	if (!p.name || !*p.name)
		return og_err(&rq->err, OG_EC_PARAM_INVALID, "name", "name must not be empty.");
	if (has_metadata && (ec = api_metadata_apply(rq, p.metadata, metadata, &p.metadata)))
		return ec;
	p.updated = rq->now;
	rc = store_product_update(rq->db, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	api_reply_product(rq, &p);
	return api_emit(rq, "product.updated", "product", p.id, 0);
}

static bool product_exists(struct og_req *rq, int64_t id)
{
	struct og_product p;
	return store_product_get(rq->db, rq->arena, id, &p) == DB_ROW && api_catalog_visible(rq, p.active);
}

enum og_ec api_products_list(struct og_req *rq)
{
	struct product_in in = {0};
	enum og_ec ec = params_parse_into(rq, rq->query, list_spec, &in);
	if (ec)
		return ec;
	const struct og_page page = in.page;
	bool active = in.active, has_active = in.has_active;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, product_exists, &sp)))
		return ec;
	struct store_list list = {0};
	int want = has_active ? active : -1;
	if (!api_catalog_visible(rq, false)) /* a customer: active only; active=false finds nothing */
		want = has_active && !active ? -2 : 1;
	enum db_rc rc = want == -2 ? DB_OK : store_product_list(rq->db, rq->arena, &sp, want, &created, &list);
	if (rc != DB_OK)
		return api_db_error(rq, rc, "products", NULL);
	struct og_jsonw w;
	api_list_begin(rq, &w);
	for (int i = 0; i < list.n; i++)
		model_product_render(&w, (struct og_product *)list.rows + i);
	return api_list_end(rq, &w, list.has_more, "/v1/products");
}

enum og_ec api_products_delete(struct og_req *rq)
{
	int64_t id;
	enum og_ec ec = api_path_id(rq, ID_PRODUCT, "product", &id);
	if (ec)
		return ec;
	enum db_rc rc = store_product_lock(rq->db, id);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	int64_t n_active = 0;
	if ((rc = store_product_count_active_prices(rq->db, id, &n_active)) != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	if (n_active > 0)
		return og_err(&rq->err, OG_EC_PRODUCT_HAS_PRICES, NULL,
		              "This product has %lld active price(s) and cannot be deleted. Archive the prices "
		              "(active=false) first, or archive the product itself with active=false.",
		              (long long)n_active);
	if ((rc = store_product_delete(rq->db, id, rq->now)) != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	api_reply_deleted(rq, ID_PRODUCT, id, "product");
	return api_emit(rq, "product.deleted", "product", id, 0);
}
