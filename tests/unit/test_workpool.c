/* sys/workpool.c: jobs run on the pool's threads; a full queue refuses
 * work at once (the caller answers 503) instead of waiting; run_wait waits
 * for its job; free runs what is queued, then joins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/workpool.h"

#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int started, ran;

static void gated(struct workpool_job *job)
{
	(void)job;
	atomic_fetch_add(&started, 1);
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	atomic_fetch_add(&ran, 1);
}

static void count(struct workpool_job *job)
{
	(void)job;
	atomic_fetch_add(&ran, 1);
}

static void open_gate(bool open)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = open;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static void full_queue_refuses(void **state)
{
	(void)state;
	atomic_store(&started, 0);
	atomic_store(&ran, 0);
	open_gate(false);
	struct og_workpool *p = workpool_new(2, 3);
	assert_non_null(p);
	struct workpool_job jobs[6];
	for (int i = 0; i < 6; i++)
		jobs[i] = (struct workpool_job){.run = gated};
	/* two run (and block), three wait */
	for (int i = 0; i < 2; i++)
		assert_int_equal(workpool_submit(p, &jobs[i]), WORKPOOL_OK);
	while (atomic_load(&started) < 2)
		sched_yield();
	for (int i = 2; i < 5; i++)
		assert_int_equal(workpool_submit(p, &jobs[i]), WORKPOOL_OK);
	assert_int_equal(workpool_waiting(p), 3);
	assert_int_equal(workpool_submit(p, &jobs[5]), WORKPOOL_FULL);
	struct workpool_job w = {.run = count};
	assert_int_equal(workpool_run_wait(p, &w), WORKPOOL_FULL);
	assert_int_equal(atomic_load(&ran), 0);
	open_gate(true);
	workpool_free(p); /* drains the queue */
	assert_int_equal(atomic_load(&ran), 5);
}

static void run_wait_and_many(void **state)
{
	(void)state;
	atomic_store(&ran, 0);
	struct og_workpool *p = workpool_new(3, 64);
	struct workpool_job w = {.run = count};
	assert_int_equal(workpool_run_wait(p, &w), WORKPOOL_OK);
	assert_int_equal(atomic_load(&ran), 1);
	struct workpool_job jobs[50];
	for (int i = 0; i < 50; i++) {
		jobs[i] = (struct workpool_job){.run = count};
		assert_int_equal(workpool_submit(p, &jobs[i]), WORKPOOL_OK);
	}
	workpool_free(p);
	assert_int_equal(atomic_load(&ran), 51);
	assert_null(workpool_new(0, 1));
	assert_null(workpool_new(1, 0));
	workpool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(full_queue_refuses),
	    cmocka_unit_test(run_wait_and_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
