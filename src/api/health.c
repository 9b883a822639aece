/* GET /healthz and GET /metrics: the two public, unauthenticated endpoints
 * for load balancers and Prometheus. Both are ROUTE_RAW (no transaction):
 * /healthz runs one `SELECT 1` on the loop thread's own read connection, so a
 * healthy answer means this thread can reach the database; /metrics renders
 * the counters of http/metrics.c. No other state is read here. */
#include "api/api.h"
#include "core/jsonw.h"
#include "http/metrics.h"
#include "store/store.h"

enum og_ec api_health_get(struct og_req *rq)
{
	struct db_conn *db = rq->store ? store_thread_conn(rq->store) : NULL;
	int64_t one = 0;
	enum db_rc rc = db ? db_query_int(db, "SELECT 1", NULL, 0, &one) : DB_ERROR;
	if (rc == DB_RETRY)
		return og_err(&rq->err, OG_EC_DB_BUSY, NULL, "The database is busy.");
	if (rc != DB_OK && rc != DB_ROW)
		return og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "The database is unavailable.");
	if (one != 1)
		return og_err(&rq->err, OG_EC_UNAVAILABLE, NULL, "The database answered SELECT 1 with %lld.",
		              (long long)one);
	struct og_jsonw w;
	jsonw_init(&w, rq->arena, 64);
	jsonw_object_begin(&w);
	jsonw_key_string(&w, "status", "ok");
	jsonw_key_string(&w, "database", "ok");
	jsonw_object_end(&w);
	rq->reply_text = jsonw_take(&w, NULL);
	rq->status = 200;
	return OG_EC_NONE;
}

enum og_ec api_metrics_get(struct og_req *rq)
{
	rq->reply_text = metrics_render(rq->arena);
	rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rq->status = 200;
	return OG_EC_NONE;
}
