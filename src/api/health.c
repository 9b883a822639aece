/* GET /healthz and GET /metrics: the two public, unauthenticated endpoints
 * for load balancers and Prometheus. Both are ROUTE_RAW (no transaction):
 * /healthz runs one `SELECT 1` on the loop thread's own read connection, so a
 * healthy answer means this thread can reach the database; /metrics renders
 * the counters of http/metrics.c. No other state is read here. */
#include "api/api.h"
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
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string("ok"));
	json_object_set_new(o, "database", json_string("ok"));
	if (rq->reply)
		json_decref(rq->reply);
	rq->reply = o;
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
