/* SPDX-License-Identifier: MIT */
/* pe_loop: timers (one-shot, periodic, self-destroying), the cross-thread task queue and its
 * eventfd wakeup, channel callbacks and removal in the middle of a batch. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_reactor.h"

#define MS 1000000ull

struct tick {
	struct pe_loop *loop;
	struct pe_timer *t;
	int count, stop_at;
};

static void on_tick(void *arg)
{
	struct tick *k = arg;
	if (++k->count == k->stop_at) {
		pe_timer_destroy(k->t); /* destroying a timer from its own callback is allowed */
		k->t = NULL;
		pe_loop_quit(k->loop);
	}
}

static void test_periodic_timer(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	assert_non_null(loop);
	struct tick k = {.loop = loop, .stop_at = 5};
	k.t = pe_timer_create(loop, 1 * MS, 2 * MS, on_tick, &k);
	assert_non_null(k.t);
	assert_int_equal(pe_loop_run(loop), 0);
	assert_int_equal(k.count, 5);
	assert_null(k.t);
	pe_loop_destroy(loop);
}

static void on_once(void *arg)
{
	struct tick *k = arg;
	k->count++;
}

static void on_quit(void *arg)
{
	pe_loop_quit(arg);
}

/* A one-shot timer fires exactly once even though the loop keeps running after it. */
static void test_oneshot_timer(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	struct tick k = {.loop = loop};
	struct pe_timer *once = pe_timer_create(loop, 1 * MS, 0, on_once, &k);
	struct pe_timer *quit = pe_timer_create(loop, 30 * MS, 0, on_quit, loop);
	assert_non_null(once);
	assert_non_null(quit);
	assert_int_equal(pe_loop_run(loop), 0);
	assert_int_equal(k.count, 1);
	pe_timer_destroy(once);
	pe_timer_destroy(quit);
	pe_loop_destroy(loop);
}

/* A timer created disarmed stays silent until armed; re-arming needs no new fd. */
struct armer {
	struct pe_timer *target;
	struct tick *k;
	int count_when_armed;
};

static void arm_target(void *arg)
{
	struct armer *a = arg;
	a->count_when_armed = a->k->count;
	pe_timer_arm(a->target, 1 * MS, 0);
}

static void test_timer_arm(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	struct tick k = {.loop = loop};
	struct pe_timer *t = pe_timer_create(loop, PE_TIMER_OFF, 0, on_once, &k);
	assert_non_null(t);
	struct armer a = {t, &k, -1};
	struct pe_timer *arm = pe_timer_create(loop, 15 * MS, 0, arm_target, &a);
	struct pe_timer *quit = pe_timer_create(loop, 40 * MS, 0, on_quit, loop);
	assert_int_equal(pe_loop_run(loop), 0);
	assert_int_equal(a.count_when_armed, 0); /* silent while disarmed */
	assert_int_equal(k.count, 1);		 /* fired once after pe_timer_arm */
	pe_timer_destroy(t);
	pe_timer_destroy(arm);
	pe_timer_destroy(quit);
	pe_loop_destroy(loop);
}

struct poster {
	struct pe_loop *loop;
	int n;
	int *counter;
	pthread_t loop_thread;
	int wrong_thread;
};

static void count_task(void *arg)
{
	struct poster *p = arg;
	if (!pthread_equal(pthread_self(), p->loop_thread) || pe_loop_current() != p->loop)
		p->wrong_thread++;
	(*p->counter)++; /* loop thread only: no lock needed */
}

static void *post_many(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < p->n; i++)
		assert_int_equal(pe_loop_post(p->loop, count_task, p), 0);
	return NULL;
}

static void *run_loop(void *arg)
{
	pe_loop_run(arg);
	return NULL;
}

/* Tasks posted from other threads run in the loop thread, all of them, after a wakeup of a loop
 * blocked in epoll_wait with nothing else to do. */
static void test_cross_thread_queue(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	pthread_t lt, a, b;
	int counter = 0;
	assert_int_equal(pthread_create(&lt, NULL, run_loop, loop), 0);
	struct poster p1 = {loop, 5000, &counter, lt, 0}, p2 = {loop, 5000, &counter, lt, 0};
	usleep(10000); /* let the loop block in epoll_wait: the posts must wake it */
	assert_false(pe_loop_in_thread(loop));
	pthread_create(&a, NULL, post_many, &p1);
	pthread_create(&b, NULL, post_many, &p2);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pe_loop_post(loop, on_quit, loop);
	pthread_join(lt, NULL);
	assert_int_equal(counter, 10000);
	assert_int_equal(p1.wrong_thread + p2.wrong_thread, 0);
	pe_loop_destroy(loop);
}

struct tid_loop {
	struct pe_loop *loop;
	_Atomic pid_t tid;
};

static void *run_loop_tid(void *arg)
{
	struct tid_loop *t = arg;
	t->tid = (pid_t)syscall(SYS_gettid);
	pe_loop_run(t->loop);
	return NULL;
}

/* True once thread tid sits in epoll_wait (or epoll_pwait): /proc/self/task/TID/syscall starts
 * with the number of the system call a blocked thread is in. */
static bool blocked_in_epoll(pid_t tid)
{
	char path[64], buf[64] = "";
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool got = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	long nr = got ? strtol(buf, NULL, 10) : -1;
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return true;
#endif
	return nr == SYS_epoll_pwait;
}

/* A quit from another thread wakes a loop that has no events at all. The quit is sent once the
 * loop thread is seen blocked in epoll_wait, so only the wakeup can make it iterate again. */
static void test_quit_wakes(void **state)
{
	struct tid_loop t = {pe_loop_create(), 0};
	struct pe_loop *loop = t.loop;
	pthread_t lt;
	assert_int_equal(pthread_create(&lt, NULL, run_loop_tid, &t), 0);
	bool blocked = false;
	for (int i = 0; i < 10000 && !blocked; i++) { /* up to 10 s */
		blocked = t.tid != 0 && blocked_in_epoll(t.tid);
		if (!blocked)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	assert_true(blocked);
	uint64_t before = pe_loop_iterations(loop);
	pe_loop_quit(loop);
	pthread_join(lt, NULL);
	assert_true(pe_loop_iterations(loop) > before);
	pe_loop_destroy(loop);
}

struct pair {
	struct pe_channel a, b;
	int sv_a[2], sv_b[2];
	int reads_a, reads_b;
};

/* Reading a closes and frees b's registration although b is ready in the same batch. */
static void read_a(struct pe_channel *ch)
{
	struct pair *p = ch->arg;
	char c;
	p->reads_a++;
	(void)read(ch->fd, &c, 1);
	pe_channel_remove(&p->b);
	pe_channel_remove(&p->a);
	pe_loop_quit(ch->loop);
}

static void read_b(struct pe_channel *ch)
{
	struct pair *p = ch->arg;
	char c;
	p->reads_b++;
	(void)read(ch->fd, &c, 1);
	pe_channel_remove(&p->a);
	pe_channel_remove(&p->b);
	pe_loop_quit(ch->loop);
}

static const struct pe_channel_ops ops_a = {.on_read = read_a};
static const struct pe_channel_ops ops_b = {.on_read = read_b};

static void test_remove_mid_batch(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	struct pair p = {0};
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv_a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv_b), 0);
	pe_channel_init(&p.a, loop, p.sv_a[1], &ops_a, &p);
	pe_channel_init(&p.b, loop, p.sv_b[1], &ops_b, &p);
	assert_int_equal(pe_channel_set(&p.a, PE_EV_READ), 0);
	assert_int_equal(pe_channel_set(&p.b, PE_EV_READ), 0);
	/* Both ready before the loop runs: one epoll_wait returns both. */
	assert_int_equal(write(p.sv_a[0], "x", 1), 1);
	assert_int_equal(write(p.sv_b[0], "y", 1), 1);
	assert_int_equal(pe_loop_run(loop), 0);
	assert_int_equal(p.reads_a + p.reads_b, 1); /* the other event was discarded */
	for (int i = 0; i < 2; i++) {
		close(p.sv_a[i]);
		close(p.sv_b[i]);
	}
	pe_loop_destroy(loop);
}

struct writer {
	struct pe_channel ch;
	int writes;
};

static void on_writable(struct pe_channel *ch)
{
	struct writer *w = ch->arg;
	w->writes++;
	pe_channel_set(ch, 0); /* interest off: no more write callbacks */
	pe_loop_post(ch->loop, on_quit, ch->loop);
}

static const struct pe_channel_ops wr_ops = {.on_write = on_writable};

static void test_write_interest(void **state)
{
	struct pe_loop *loop = pe_loop_create();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct writer w = {0};
	pe_channel_init(&w.ch, loop, sv[0], &wr_ops, &w);
	assert_int_equal(pe_channel_set(&w.ch, PE_EV_WRITE), 0);
	assert_int_equal(pe_loop_run(loop), 0);
	assert_int_equal(w.writes, 1);
	assert_int_equal(w.ch.events, 0);
	pe_channel_remove(&w.ch);
	close(sv[0]);
	close(sv[1]);
	pe_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periodic_timer),	   cmocka_unit_test(test_oneshot_timer),
		cmocka_unit_test(test_cross_thread_queue), cmocka_unit_test(test_quit_wakes),
		cmocka_unit_test(test_remove_mid_batch),   cmocka_unit_test(test_write_interest),
		cmocka_unit_test(test_timer_arm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
