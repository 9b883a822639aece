/* HTTP metrics in the Prometheus text format (version 0.0.4):
 *   oneguard_http_requests_total{route,method,status}            counter
 *   oneguard_http_request_duration_seconds{route,method}          histogram,
 *     buckets 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5
 * Labels are bounded: route is a routes.c pattern ("-" when none matched,
 * never the raw path), method one of enum http_method, status one of the
 * statuses the server can send ("other" for anything else).
 *
 * Each event loop records into its own shard (no lock, no shared cache line);
 * a scrape sums the shards. Durations are kept as integer microseconds. */
#ifndef OG_METRICS_H
#define OG_METRICS_H

#include "core/arena.h"
#include "http/req.h"

#include <stdint.h>

/* Allocates n_shards zeroed shards for the routes of routes.c. Call before
 * the threads that record start; metrics_stop after they have stopped.
 * Recording or rendering while stopped is a harmless no-op. */
void metrics_start(int n_shards);
void metrics_stop(void);

/* Records one answered request on shard (the calling loop's index).
 * route_index is the row in routes[] or -1 when no route matched. */
void metrics_observe(int shard, int route_index, enum http_method method, int status, int64_t duration_us);

/* The current totals as Prometheus text, allocated in a (NUL-terminated). */
char *metrics_render(struct og_arena *a);

#endif
