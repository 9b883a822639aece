/* HTTP handlers for /v1/products. No SQL here: see store/products.c.
 * Limits: name 1..250 bytes, description up to 5000. A product with active
 * prices cannot be deleted (409); archive it with active=false instead. */
#include "api/api.h"
#include "api/common.h"

#define PRODUCT_NAME_MAX        250
#define PRODUCT_DESCRIPTION_MAX 5000

enum og_ec api_products_create(struct og_req *rq)
{
	struct og_product p = {.active = true, .created = rq->now};
	json_t *metadata = NULL;
	struct param_spec spec[] = {
	    PARAM_STRING("name", &p.name, NULL, PRODUCT_NAME_MAX, P_REQUIRED),
	    PARAM_STRING("description", &p.description, NULL, PRODUCT_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_BOOL("active", &p.active, NULL, 0),
	    PARAM_METADATA("metadata", &metadata, NULL),
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->body, spec, NULL);
	if (ec)
		return ec;
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
	enum db_rc rc = store_product_lock(rq->db, id); /* read-modify-write: no lost update */
	if (rc == DB_ROW)
		rc = store_product_get(rq->db, rq->arena, id, &p);
	if (rc != DB_ROW)
		return api_db_error(rq, rc, "product", NULL);
	json_t *metadata = NULL;
	bool has_metadata = false;
	struct param_spec spec[] = {
	    PARAM_STRING("name", &p.name, NULL, PRODUCT_NAME_MAX, 0),
	    PARAM_STRING("description", &p.description, NULL, PRODUCT_DESCRIPTION_MAX, P_NULLABLE),
	    PARAM_BOOL("active", &p.active, NULL, 0),
	    PARAM_METADATA("metadata", &metadata, &has_metadata),
	    PARAM_END,
	};
	if ((ec = params_parse(rq, rq->body, spec, NULL)))
		return ec;
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
	return store_product_get(rq->db, rq->arena, id, &p) == DB_ROW;
}

enum og_ec api_products_list(struct og_req *rq)
{
	struct og_page page = {0};
	bool active = false, has_active = false;
	struct param_spec spec[] = {
	    PARAMS_PAGE(&page, ID_PRODUCT),
	    PARAM_BOOL("active", &active, &has_active, 0),
	    PARAM_IGNORE("created"), /* api_created_range */
	    PARAM_END,
	};
	enum og_ec ec = params_parse(rq, rq->query, spec, NULL);
	if (ec)
		return ec;
	struct store_range created;
	if ((ec = api_created_range(rq, &created.gte, &created.lte)))
		return ec;
	struct store_page sp;
	if ((ec = api_page(rq, &page, product_exists, &sp)))
		return ec;
	struct store_list list;
	enum db_rc rc = store_product_list(rq->db, rq->arena, &sp, has_active ? active : -1, &created, &list);
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
