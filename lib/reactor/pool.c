/* SPDX-License-Identifier: MIT */
/* A pool of loop threads. The start handshake (a semaphore per thread) guarantees that a
 * thread's loop exists and is initialised before the creator hands it any work. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#include "pe_reactor.h"

struct pool_thread {
	struct pe_loop_pool *pool;
	unsigned index;
	pthread_t tid;
	bool joinable;
	struct pe_loop *loop;
	int init_rc;
	sem_t started;
};

struct pe_loop_pool {
	unsigned n, next;
	struct pe_loop_pool_ops ops;
	struct pool_thread *t;
};

static void *pool_thread_main(void *arg)
{
	struct pool_thread *t = arg;
	const struct pe_loop_pool_ops *ops = &t->pool->ops;
	struct pe_loop *loop = pe_loop_create();
	if (!loop) {
		t->init_rc = -errno;
		sem_post(&t->started);
		return NULL;
	}
	int rc = ops->init ? ops->init(loop, t->index, ops->arg) : 0;
	if (rc < 0) {
		pe_loop_destroy(loop);
		t->init_rc = rc;
		sem_post(&t->started);
		return NULL;
	}
	t->loop = loop;
	sem_post(&t->started); /* from here on the creator may post to t->loop */
	pe_loop_run(loop);
	if (ops->fini)
		ops->fini(loop, t->index, ops->arg);
	return NULL;
}

static int pool_start(struct pool_thread *t)
{
	if (sem_init(&t->started, 0, 0) < 0)
		return -errno;
	int rc = pthread_create(&t->tid, NULL, pool_thread_main, t);
	if (rc != 0) {
		sem_destroy(&t->started);
		return -rc;
	}
	t->joinable = true;
	while (sem_wait(&t->started) < 0 && errno == EINTR)
		;
	sem_destroy(&t->started);
	return t->init_rc;
}

struct pe_loop_pool *pe_loop_pool_create(unsigned n, const struct pe_loop_pool_ops *ops)
{
	if (n == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct pe_loop_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->t = calloc(n, sizeof(*pool->t));
	if (!pool->t) {
		free(pool);
		return NULL;
	}
	if (ops)
		pool->ops = *ops;
	pool->n = n;
	for (unsigned i = 0; i < n; i++) {
		pool->t[i].pool = pool;
		pool->t[i].index = i;
		int rc = pool_start(&pool->t[i]);
		if (rc < 0) {
			pe_loop_pool_destroy(pool);
			errno = -rc;
			return NULL;
		}
	}
	return pool;
}

void pe_loop_pool_destroy(struct pe_loop_pool *pool)
{
	if (!pool)
		return;
	for (unsigned i = 0; i < pool->n; i++)
		if (pool->t[i].loop)
			pe_loop_quit(pool->t[i].loop);
	for (unsigned i = 0; i < pool->n; i++) {
		if (pool->t[i].joinable)
			pthread_join(pool->t[i].tid, NULL);
		pe_loop_destroy(pool->t[i].loop);
	}
	free(pool->t);
	free(pool);
}

unsigned pe_loop_pool_size(const struct pe_loop_pool *pool)
{
	return pool->n;
}

struct pe_loop *pe_loop_pool_get(const struct pe_loop_pool *pool, unsigned i)
{
	return i < pool->n ? pool->t[i].loop : NULL;
}

struct pe_loop *pe_loop_pool_next(struct pe_loop_pool *pool)
{
	struct pe_loop *loop = pool->t[pool->next].loop;
	pool->next = (pool->next + 1) % pool->n;
	return loop;
}
