/* The bounded worker pool (see workpool.h): a mutex, a condition variable,
 * a FIFO of intrusive jobs and n threads. Capacity bounds the queue, not the
 * running jobs, so at most n_threads + capacity jobs are in the pool. */
#include "sys/workpool.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

struct og_workpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workpool_job *head, *tail;
	int waiting, capacity, n_threads;
	bool stopping;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct og_workpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->head)
			break; /* stopping and drained */
		struct workpool_job *job = p->head;
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		pthread_mutex_unlock(&p->mu);
		job->run(job);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct og_workpool *workpool_new(int n_threads, int capacity)
{
	if (n_threads < 1 || capacity < 1)
		return NULL;
	struct og_workpool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->capacity = capacity;
	p->threads = xcalloc((size_t)n_threads, sizeof *p->threads);
	for (int i = 0; i < n_threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			workpool_free(p);
			return NULL;
		}
		p->n_threads++;
	}
	return p;
}

void workpool_free(struct og_workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

enum workpool_rc workpool_submit(struct og_workpool *p, struct workpool_job *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return WORKPOOL_STOPPED;
	}
	if (p->waiting >= p->capacity) {
		pthread_mutex_unlock(&p->mu);
		return WORKPOOL_FULL;
	}
	job->next = NULL;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->waiting++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return WORKPOOL_OK;
}

int workpool_waiting(struct og_workpool *p)
{
	pthread_mutex_lock(&p->mu);
	int n = p->waiting;
	pthread_mutex_unlock(&p->mu);
	return n;
}

struct waiter {
	struct workpool_job job;
	struct workpool_job *inner;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void run_and_signal(struct workpool_job *job)
{
	struct waiter *w = job->arg;
	w->inner->run(w->inner);
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

enum workpool_rc workpool_run_wait(struct og_workpool *p, struct workpool_job *job)
{
	struct waiter w = {.job = {.run = run_and_signal}, .inner = job};
	w.job.arg = &w;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	enum workpool_rc rc = workpool_submit(p, &w.job);
	if (rc == WORKPOOL_OK) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rc;
}
