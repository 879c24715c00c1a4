/* SPDX-License-Identifier: MIT */
/* pe_loop_pool: the start handshake (every loop exists and ran init before create returns),
 * round-robin hand-out, tasks reaching the right thread, fini, and a failing init. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_reactor.h"

#define N 4

struct env {
	atomic_int inited[N];
	atomic_int finied[N];
	struct pe_loop *seen_loop[N];
	atomic_int ran[N];
	int fail_index;
};

static int init(struct pe_loop *loop, unsigned i, void *arg)
{
	struct env *e = arg;
	usleep(5000); /* a slow init: the creator must still wait for it */
	if ((int)i == e->fail_index)
		return -EADDRINUSE;
	e->seen_loop[i] = loop;
	atomic_store(&e->inited[i], 1);
	return 0;
}

static void fini(struct pe_loop *loop, unsigned i, void *arg)
{
	struct env *e = arg;
	atomic_store(&e->finied[i], 1);
}

struct probe {
	struct env *e;
	unsigned i;
};

static void mark(void *arg)
{
	struct probe *p = arg;
	if (pe_loop_current() == p->e->seen_loop[p->i])
		atomic_fetch_add(&p->e->ran[p->i], 1);
}

static void test_handshake(void **state)
{
	struct env e = {.fail_index = -1};
	struct pe_loop_pool_ops ops = {.init = init, .fini = fini, .arg = &e};
	struct pe_loop_pool *pool = pe_loop_pool_create(N, &ops);
	assert_non_null(pool);
	assert_int_equal(pe_loop_pool_size(pool), N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&e.inited[i]), 1); /* no sleep needed: the handshake */
		assert_ptr_equal(pe_loop_pool_get(pool, i), e.seen_loop[i]);
	}
	/* Round-robin visits each loop once per round; posted tasks run in that loop's thread. */
	struct probe pr[2 * N];
	for (unsigned k = 0; k < 2 * N; k++) {
		struct pe_loop *l = pe_loop_pool_next(pool);
		assert_ptr_equal(l, e.seen_loop[k % N]);
		pr[k] = (struct probe){&e, k % N};
		assert_int_equal(pe_loop_post(l, mark, &pr[k]), 0);
	}
	pe_loop_pool_destroy(pool); /* tasks posted before the quit still run */
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&e.ran[i]), 2);
		assert_int_equal(atomic_load(&e.finied[i]), 1);
	}
}

static void test_init_failure(void **state)
{
	struct env e = {.fail_index = 2};
	struct pe_loop_pool_ops ops = {.init = init, .fini = fini, .arg = &e};
	errno = 0;
	assert_null(pe_loop_pool_create(N, &ops));
	assert_int_equal(errno, EADDRINUSE);
	/* the two threads that started were stopped and their fini ran */
	assert_int_equal(atomic_load(&e.finied[0]) + atomic_load(&e.finied[1]), 2);
	assert_null(pe_loop_pool_create(0, NULL));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_init_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
