/* SPDX-License-Identifier: MIT */
/* The event loop: epoll (level-triggered), an eventfd for cross-thread wakeups and a task queue. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pe_reactor.h"

#define LOOP_MAX_EVENTS 128

struct task {
	pe_task_fn fn;
	void *arg;
};

struct pe_loop {
	int epfd, evfd;
	pthread_t thread;
	atomic_bool quit;
	pthread_mutex_t qlock;
	struct task *q; /* tasks posted, run after the current batch */
	size_t qlen, qcap;
	struct pe_channel wake_ch;
	/* The batch being dispatched: removal clears later entries of a removed channel. */
	struct epoll_event events[LOOP_MAX_EVENTS];
	int n_ready, cur;
	bool cur_removed;
	uint64_t iterations;
};

static _Thread_local struct pe_loop *tls_loop;

static void wake_read(struct pe_channel *ch)
{
	uint64_t v;
	while (read(ch->fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static const struct pe_channel_ops wake_ops = {.on_read = wake_read};

static void loop_wake(struct pe_loop *loop)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is already huge: the loop is awake anyway. */
	while (write(loop->evfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

struct pe_loop *pe_loop_create(void)
{
	struct pe_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->epfd < 0 || loop->evfd < 0)
		goto fail;
	loop->thread = pthread_self();
	pthread_mutex_init(&loop->qlock, NULL);
	pe_channel_init(&loop->wake_ch, loop, loop->evfd, &wake_ops, loop);
	if (pe_channel_set(&loop->wake_ch, PE_EV_READ) < 0) {
		pthread_mutex_destroy(&loop->qlock);
		goto fail;
	}
	return loop;
fail:;
	int err = errno;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->evfd >= 0)
		close(loop->evfd);
	free(loop);
	errno = err;
	return NULL;
}

void pe_loop_destroy(struct pe_loop *loop)
{
	if (!loop)
		return;
	if (tls_loop == loop)
		tls_loop = NULL;
	close(loop->epfd);
	close(loop->evfd);
	pthread_mutex_destroy(&loop->qlock);
	free(loop->q);
	free(loop);
}

bool pe_loop_in_thread(const struct pe_loop *loop)
{
	return pthread_equal(loop->thread, pthread_self());
}

struct pe_loop *pe_loop_current(void)
{
	return tls_loop;
}

uint64_t pe_loop_iterations(const struct pe_loop *loop)
{
	return loop->iterations;
}

void pe_loop_quit(struct pe_loop *loop)
{
	atomic_store(&loop->quit, true);
	loop_wake(loop);
}

int pe_loop_post(struct pe_loop *loop, pe_task_fn fn, void *arg)
{
	pthread_mutex_lock(&loop->qlock);
	if (loop->qlen == loop->qcap) {
		size_t cap = loop->qcap ? loop->qcap * 2 : 16;
		struct task *q = realloc(loop->q, cap * sizeof(*q));
		if (!q) {
			pthread_mutex_unlock(&loop->qlock);
			return -ENOMEM;
		}
		loop->q = q;
		loop->qcap = cap;
	}
	loop->q[loop->qlen++] = (struct task){fn, arg};
	pthread_mutex_unlock(&loop->qlock);
	loop_wake(loop);
	return 0;
}

/* Swap the queue out under the lock, then run it unlocked: tasks may post more tasks. */
static void run_tasks(struct pe_loop *loop)
{
	pthread_mutex_lock(&loop->qlock);
	struct task *q = loop->q;
	size_t n = loop->qlen;
	loop->q = NULL;
	loop->qlen = loop->qcap = 0;
	pthread_mutex_unlock(&loop->qlock);
	for (size_t i = 0; i < n; i++)
		q[i].fn(q[i].arg);
	free(q);
}

/* Call the channel's callbacks for revents; stop as soon as one of them removed the channel. */
static void dispatch(struct pe_loop *loop, struct pe_channel *ch, uint32_t rev)
{
	const struct pe_channel_ops *ops = ch->ops;
	loop->cur_removed = false;
	if ((rev & EPOLLHUP) && !(rev & EPOLLIN) && ops->on_close) {
		ops->on_close(ch);
		if (loop->cur_removed)
			return;
	}
	if ((rev & EPOLLERR) && ops->on_error) {
		ops->on_error(ch);
		if (loop->cur_removed)
			return;
	}
	if ((rev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) ||
	    ((rev & (EPOLLHUP | EPOLLERR)) && !ops->on_close && !ops->on_error)) {
		if (ops->on_read)
			ops->on_read(ch);
		if (loop->cur_removed)
			return;
	}
	if ((rev & EPOLLOUT) && ops->on_write)
		ops->on_write(ch);
}

int pe_loop_run(struct pe_loop *loop)
{
	int rc = 0;
	loop->thread = pthread_self();
	tls_loop = loop;
	while (!atomic_load(&loop->quit)) {
		int n = epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		loop->iterations++;
		loop->n_ready = n;
		for (loop->cur = 0; loop->cur < n; loop->cur++) {
			struct pe_channel *ch = loop->events[loop->cur].data.ptr;
			if (ch)
				dispatch(loop, ch, loop->events[loop->cur].events);
		}
		loop->n_ready = 0;
		run_tasks(loop);
	}
	/* Tasks posted before the quit (connections handed over, say) still run, so they can
	 * release what they carry. */
	run_tasks(loop);
	tls_loop = NULL;
	return rc;
}

void pe_channel_init(struct pe_channel *ch, struct pe_loop *loop, int fd,
		     const struct pe_channel_ops *ops, void *arg)
{
	*ch = (struct pe_channel){.loop = loop, .fd = fd, .ops = ops, .arg = arg};
}

int pe_channel_set(struct pe_channel *ch, uint32_t events)
{
	struct epoll_event ev = {.data.ptr = ch};
	if (events & PE_EV_READ)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (events & PE_EV_WRITE)
		ev.events |= EPOLLOUT;
	if (ch->added && events == ch->events)
		return 0;
	if (epoll_ctl(ch->loop->epfd, ch->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, ch->fd, &ev) < 0)
		return -errno;
	ch->added = true;
	ch->events = events;
	return 0;
}

void pe_channel_remove(struct pe_channel *ch)
{
	struct pe_loop *loop = ch->loop;
	if (ch->added)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, ch->fd, NULL);
	ch->added = false;
	for (int i = loop->cur; i < loop->n_ready; i++) {
		if (loop->events[i].data.ptr != ch)
			continue;
		loop->events[i].data.ptr = NULL;
		if (i == loop->cur)
			loop->cur_removed = true;
	}
}
