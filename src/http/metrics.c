/* Request counters and latency histograms, sharded per event loop and summed
 * when /metrics is scraped. What lives here: the storage and the Prometheus
 * text. What does not: deciding what a request's route or status is (the
 * server passes them in) or serving the text (api/health.c).
 *
 * Concurrency: one shard per loop thread, each a separate cache-aligned
 * block. Cells are C11 atomics updated with relaxed fetch-add: uncontended
 * because only the owning loop writes a shard, and still correct if two
 * threads ever share one. A scrape reads with relaxed loads, so one scrape
 * may see a request's count but not yet its bucket: Prometheus tolerates
 * that, and nothing here is money.
 *
 * Layout: cells are indexed [route + 1][method][status slot] for counts and
 * [route + 1][method] for histograms; route -1 (no match) is row 0. */
#include "http/metrics.h"
#include "core/mem.h"
#include "core/og_error.h"
#include "http/router.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_METHODS  (HTTP_OTHER + 1)
#define MAX_STATUS 600
#define MAX_SLOTS  48

static const int64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                    100000, 250000, 500000, 1000000, 2500000, 5000000};
static const char *const bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                                        "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5"};
#define N_BUCKETS (sizeof bucket_us / sizeof bucket_us[0])

static const char *const method_names[N_METHODS] = {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OTHER"};

struct hist {
	_Atomic uint64_t bucket[N_BUCKETS + 1]; /* per bucket, not cumulative; last is +Inf */
	_Atomic uint64_t sum_us;
	_Atomic uint64_t count;
};

struct shard {
	_Atomic uint64_t *counts; /* [rows][N_METHODS][n_slots] */
	struct hist *hists;       /* [rows][N_METHODS] */
};

static struct {
	int n_shards;
	int n_rows; /* routes + 1 */
	int n_slots;
	int slot_status[MAX_SLOTS]; /* slot -> status; slot 0 is "other" */
	unsigned char status_slot[MAX_STATUS];
	struct shard *shards;
} registry;

static void *cache_aligned_zalloc(size_t n)
{
	n = (n + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, n);
	if (!p)
		p = xmalloc(n); /* aligned_alloc failing is as fatal as malloc failing */
	memset(p, 0, n);
	return p;
}

static void add_status(int status)
{
	if (status <= 0 || status >= MAX_STATUS || registry.status_slot[status] || registry.n_slots >= MAX_SLOTS)
		return;
	registry.slot_status[registry.n_slots] = status;
	registry.status_slot[status] = (unsigned char)registry.n_slots++;
}

void metrics_start(int n_shards)
{
	metrics_stop();
	memset(&registry, 0, sizeof registry);
	if (n_shards < 1)
		n_shards = 1;
	int n_routes = 0;
	while (routes[n_routes].method)
		n_routes++;
	registry.n_rows = n_routes + 1;
	registry.n_slots = 1; /* slot 0: other */
	static const int common[] = {200, 201, 204, 400, 404, 405, 413, 415, 500, 501, 503};
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		add_status(common[i]);
	for (int ec = 0; ec < OG_EC__COUNT; ec++)
		add_status(og_ec_status((enum og_ec)ec));
	registry.shards = xcalloc((size_t)n_shards, sizeof *registry.shards);
	for (int s = 0; s < n_shards; s++) {
		registry.shards[s].counts = cache_aligned_zalloc((size_t)registry.n_rows * N_METHODS *
		                                                 (size_t)registry.n_slots * sizeof(_Atomic uint64_t));
		registry.shards[s].hists =
		    cache_aligned_zalloc((size_t)registry.n_rows * N_METHODS * sizeof(struct hist));
	}
	registry.n_shards = n_shards;
}

void metrics_stop(void)
{
	for (int s = 0; s < registry.n_shards; s++) {
		free((void *)registry.shards[s].counts);
		free(registry.shards[s].hists);
	}
	free(registry.shards);
	registry.shards = NULL;
	registry.n_shards = 0;
}

void metrics_observe(int shard, int route_index, enum http_method method, int status, int64_t duration_us)
{
	if (shard < 0 || shard >= registry.n_shards)
		return;
	int row = route_index + 1;
	if (row < 0 || row >= registry.n_rows)
		row = 0;
	if ((unsigned)method >= N_METHODS)
		method = HTTP_OTHER;
	int slot = (status > 0 && status < MAX_STATUS) ? registry.status_slot[status] : 0;
	if (duration_us < 0)
		duration_us = 0;
	struct shard *sh = &registry.shards[shard];
	size_t cell = ((size_t)row * N_METHODS + (size_t)method);
	atomic_fetch_add_explicit(&sh->counts[cell * (size_t)registry.n_slots + (size_t)slot], 1, memory_order_relaxed);
	struct hist *h = &sh->hists[cell];
	size_t b = 0;
	while (b < N_BUCKETS && duration_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)duration_us, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

static const char *row_label(int row)
{
	return row == 0 ? "-" : routes[row - 1].pattern;
}

char *metrics_render(struct og_arena *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return arena_strdup(a, "");
	fputs("# HELP oneguard_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
	      "# TYPE oneguard_http_requests_total counter\n",
	      f);
	for (int row = 0; row < registry.n_rows; row++) {
		for (int meth = 0; meth < N_METHODS; meth++) {
			for (int slot = 0; slot < registry.n_slots; slot++) {
				uint64_t total = 0;
				size_t i =
				    ((size_t)row * N_METHODS + (size_t)meth) * (size_t)registry.n_slots + (size_t)slot;
				for (int s = 0; s < registry.n_shards; s++)
					total +=
					    atomic_load_explicit(&registry.shards[s].counts[i], memory_order_relaxed);
				if (!total)
					continue;
				char status[16];
				if (slot)
					snprintf(status, sizeof status, "%d", registry.slot_status[slot]);
				else
					snprintf(status, sizeof status, "other");
				fprintf(
				    f,
				    "oneguard_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %" PRIu64
				    "\n",
				    row_label(row), method_names[meth], status, total);
			}
		}
	}
	fputs("# HELP oneguard_http_request_duration_seconds Time from a request's arrival to its response being "
	      "queued.\n"
	      "# TYPE oneguard_http_request_duration_seconds histogram\n",
	      f);
	for (int row = 0; row < registry.n_rows; row++) {
		for (int meth = 0; meth < N_METHODS; meth++) {
			size_t cell = (size_t)row * N_METHODS + (size_t)meth;
			uint64_t buckets[N_BUCKETS + 1] = {0}, sum_us = 0, count = 0;
			for (int s = 0; s < registry.n_shards; s++) {
				struct hist *h = &registry.shards[s].hists[cell];
				for (size_t b = 0; b <= N_BUCKETS; b++)
					buckets[b] += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
				sum_us += atomic_load_explicit(&h->sum_us, memory_order_relaxed);
				count += atomic_load_explicit(&h->count, memory_order_relaxed);
			}
			if (!count)
				continue;
			const char *route = row_label(row), *method = method_names[meth];
			uint64_t cumulative = 0;
			for (size_t b = 0; b < N_BUCKETS; b++) {
				cumulative += buckets[b];
				fprintf(f,
				        "oneguard_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le="
				        "\"%s\"} %" PRIu64 "\n",
				        route, method, bucket_le[b], cumulative);
			}
			cumulative += buckets[N_BUCKETS];
			/* +Inf equals _count: both are the number of observations */
			fprintf(f,
			        "oneguard_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} "
			        "%" PRIu64 "\n"
			        "oneguard_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %" PRIu64
			        ".%06" PRIu64 "\n"
			        "oneguard_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %" PRIu64
			        "\n",
			        route, method, cumulative, route, method, sum_us / 1000000, sum_us % 1000000, route,
			        method, cumulative);
		}
	}
	fclose(f);
	char *out = arena_strndup(a, text ? text : "", text ? len : 0);
	free(text);
	return out;
}
