/* SPDX-License-Identifier: MIT */
/* Timers: one timerfd per timer, registered as a channel of the loop. */
#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pe_reactor.h"

struct pe_timer {
	struct pe_channel ch;
	pe_task_fn fn;
	void *arg;
};

static void timer_fire(struct pe_channel *ch)
{
	struct pe_timer *t = ch->arg;
	uint64_t expirations;
	if (read(ch->fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: a spurious wakeup */
	/* Last: the callback may destroy the timer. */
	t->fn(t->arg);
}

static const struct pe_channel_ops timer_ops = {.on_read = timer_fire};

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
				 .tv_nsec = (long)(ns % 1000000000u)};
}

struct pe_timer *pe_timer_create(struct pe_loop *loop, uint64_t first_ns, uint64_t interval_ns,
				 pe_task_fn fn, void *arg)
{
	struct pe_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	pe_channel_init(&t->ch, loop, fd, &timer_ops, t);
	int rc = pe_timer_arm(t, first_ns, interval_ns);
	if (rc == 0)
		rc = pe_channel_set(&t->ch, PE_EV_READ);
	if (rc < 0) {
		close(fd);
		free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

int pe_timer_arm(struct pe_timer *t, uint64_t first_ns, uint64_t interval_ns)
{
	struct itimerspec its = {0};
	if (first_ns != PE_TIMER_OFF) {
		/* An it_value of zero would disarm the timer: "now" is one nanosecond. */
		its.it_value = ns_to_ts(first_ns ? first_ns : 1);
		its.it_interval = ns_to_ts(interval_ns);
	}
	return timerfd_settime(t->ch.fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void pe_timer_destroy(struct pe_timer *t)
{
	if (!t)
		return;
	pe_channel_remove(&t->ch);
	close(t->ch.fd);
	free(t);
}
