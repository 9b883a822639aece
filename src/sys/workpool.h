/* A small bounded pool of worker threads for CPU-heavy work that must not
 * run on the HTTP event loops or inside a database transaction (password
 * hashing). The queue has a fixed capacity: workpool_submit refuses work
 * when it is full, so the caller can answer 503 with Retry-After instead of
 * letting latency grow without bound. Generic: no knowledge of passwords. */
#ifndef OG_WORKPOOL_H
#define OG_WORKPOOL_H

#include <stdbool.h>

struct og_workpool;

/* A unit of work, owned by the caller until run() returns. run() is called
 * once on a pool thread; it reports its result its own way (a condition
 * variable, an event posted to a loop). The pool never touches the job after
 * calling run(), so run() may free it. */
struct workpool_job {
	void (*run)(struct workpool_job *job);
	void *arg;
	struct workpool_job *next; /* the pool's use */
};

/* n_threads >= 1 workers, at most capacity >= 1 jobs waiting (not counting
 * those running). NULL when a thread cannot be started. */
struct og_workpool *workpool_new(int n_threads, int capacity);
/* Runs every job already queued, then stops and joins the workers. NULL is
 * a no-op. No submit may race with it. */
void workpool_free(struct og_workpool *p);

enum workpool_rc { WORKPOOL_OK, WORKPOOL_FULL, WORKPOOL_STOPPED };
/* Queues job; WORKPOOL_FULL (job not taken) when capacity jobs already wait. */
enum workpool_rc workpool_submit(struct og_workpool *p, struct workpool_job *job);
/* Jobs waiting now (not counting those running); for metrics and tests. */
int workpool_waiting(struct og_workpool *p);

/* Runs job on the pool and waits for it: for callers that own a thread (the
 * CLI, tests, a service called off the event loops). Same return values. */
enum workpool_rc workpool_run_wait(struct og_workpool *p, struct workpool_job *job);

#endif
