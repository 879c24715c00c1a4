/* SPDX-License-Identifier: MIT */
/* lib/reactor: a small multi-reactor. One event loop per thread on epoll (level-triggered);
 * channels bind an fd, its interest set and its callbacks; timers on timerfd; a cross-thread task
 * queue woken through an eventfd; a pool of loop threads started with a semaphore handshake; and
 * byte buffers filled by readv with a 64 KiB stack spill. Depends on libc only. */
#ifndef PE_REACTOR_H
#define PE_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- event loop ---------------------------------------------------------------------------- */

struct pe_loop; /* opaque; owned by the thread that runs it */
typedef void (*pe_task_fn)(void *arg);

/* A loop in the calling thread's ownership (it becomes pe_loop_current() of that thread when it
 * runs). NULL with errno on failure. */
struct pe_loop *pe_loop_create(void);
/* Frees the loop. Tasks still queued are dropped without running. Accepts NULL. */
void pe_loop_destroy(struct pe_loop *loop);
/* Dispatch events, expired timers and queued tasks until pe_loop_quit(). 0 or -errno. */
int pe_loop_run(struct pe_loop *loop);
/* Ask the loop to return from pe_loop_run() (any thread; also before it runs). */
void pe_loop_quit(struct pe_loop *loop);
/* True when called from the thread running loop. */
bool pe_loop_in_thread(const struct pe_loop *loop);
/* The loop the calling thread is running, or NULL. */
struct pe_loop *pe_loop_current(void);
/* Queue fn(arg) to run in the loop's thread after the current batch of events (any thread; the
 * loop is woken through its eventfd). 0 or -ENOMEM. */
int pe_loop_post(struct pe_loop *loop, pe_task_fn fn, void *arg);
/* Number of epoll_wait returns so far (a cheap measure of wakeups, for tests and reports). */
uint64_t pe_loop_iterations(const struct pe_loop *loop);

/* ---- channels ------------------------------------------------------------------------------ */

enum {
	PE_EV_READ = 1u << 0,
	PE_EV_WRITE = 1u << 1,
};

struct pe_channel;
typedef void (*pe_channel_fn)(struct pe_channel *ch);

/* The callbacks of one fd. NULL members are skipped. on_close runs on a hang-up without pending
 * input; on_error on EPOLLERR; on_read on input (and hang-up with input); on_write on output room.
 * A callback may remove the channel and free the memory that holds it. */
struct pe_channel_ops {
	pe_channel_fn on_read, on_write, on_error, on_close;
};

/* Public so that it can be embedded in connections; change it only through the functions below. */
struct pe_channel {
	struct pe_loop *loop;
	int fd;
	uint32_t events; /* PE_EV_* interest currently registered */
	bool added;	 /* registered with epoll */
	const struct pe_channel_ops *ops;
	void *arg;
};

void pe_channel_init(struct pe_channel *ch, struct pe_loop *loop, int fd,
		     const struct pe_channel_ops *ops, void *arg);
/* Register or change the interest set (PE_EV_*); 0 events keeps the fd registered but silent.
 * Loop thread only. 0 or -errno. */
int pe_channel_set(struct pe_channel *ch, uint32_t events);
/* Deregister; events of this channel still pending in the current batch are discarded, so the
 * caller may free the channel right away. Does not close the fd. Loop thread only. */
void pe_channel_remove(struct pe_channel *ch);

/* ---- timers -------------------------------------------------------------------------------- */

struct pe_timer;
#define PE_TIMER_OFF UINT64_MAX /* first_ns: created (or re-armed) disarmed */
/* fn(arg) first after first_ns, then every interval_ns (0: once). Loop thread only.
 * NULL with errno on failure. */
struct pe_timer *pe_timer_create(struct pe_loop *loop, uint64_t first_ns, uint64_t interval_ns,
				 pe_task_fn fn, void *arg);
/* Re-arm (or, with PE_TIMER_OFF, disarm) an existing timer: needs no new fd, so it works when
 * the process is out of descriptors. 0 or -errno. */
int pe_timer_arm(struct pe_timer *t, uint64_t first_ns, uint64_t interval_ns);
/* Stop and free (safe from the timer's own callback). Accepts NULL. */
void pe_timer_destroy(struct pe_timer *t);

/* ---- loop thread pool ---------------------------------------------------------------------- */

/* Hooks run inside each pool thread: init before the loop runs (its result is reported to the
 * creator through the start handshake), fini after the loop returned. */
struct pe_loop_pool_ops {
	int (*init)(struct pe_loop *loop, unsigned index, void *arg); /* 0 or -errno */
	void (*fini)(struct pe_loop *loop, unsigned index, void *arg);
	void *arg;
};

struct pe_loop_pool;
/* Start n threads, each running its own loop. Each thread creates its loop and runs init, then
 * posts a semaphore; the creator waits for it, so every loop exists (and is initialised) when this
 * returns. ops may be NULL. NULL with errno when a thread or its init fails (the threads already
 * started are stopped). */
struct pe_loop_pool *pe_loop_pool_create(unsigned n, const struct pe_loop_pool_ops *ops);
/* Quit every loop, join the threads, run fini there, free. Accepts NULL. */
void pe_loop_pool_destroy(struct pe_loop_pool *pool);
unsigned pe_loop_pool_size(const struct pe_loop_pool *pool);
struct pe_loop *pe_loop_pool_get(const struct pe_loop_pool *pool, unsigned i);
/* Round-robin over the loops (one caller thread: the acceptor). */
struct pe_loop *pe_loop_pool_next(struct pe_loop_pool *pool);

/* ---- byte buffers -------------------------------------------------------------------------- */

#define PE_BUF_SPILL (64 * 1024)

/* [data+rd, data+wr) holds the readable bytes. Storage is allocated lazily. */
#define PE_BUF_MAP_MIN (256u << 10) /* storage this large is mapped pages, returned on free */

struct pe_buf {
	char *data;
	size_t cap, rd, wr;
};

void pe_buf_init(struct pe_buf *b);
void pe_buf_free(struct pe_buf *b);
static inline size_t pe_buf_len(const struct pe_buf *b)
{
	return b->wr - b->rd;
}
static inline const char *pe_buf_peek(const struct pe_buf *b)
{
	return b->data + b->rd;
}
/* Drop n readable bytes (n <= pe_buf_len); an emptied buffer restarts at offset 0. */
void pe_buf_consume(struct pe_buf *b, size_t n);
/* Make room for n more bytes at the end. 0 or -ENOMEM. */
int pe_buf_reserve(struct pe_buf *b, size_t n);
/* Append n bytes. 0 or -ENOMEM. */
int pe_buf_append(struct pe_buf *b, const void *data, size_t n);
/* One readv into the free space plus a 64 KiB stack spill that is then appended, so one syscall
 * takes what the socket has even into an empty buffer. Bytes read, 0 at EOF, or -errno
 * (-EAGAIN included). */
ssize_t pe_buf_read_fd(struct pe_buf *b, int fd);
/* One write of the readable bytes; consumes what went. Bytes written or -errno. */
ssize_t pe_buf_write_fd(struct pe_buf *b, int fd);
/* Exchange contents (moves pending bytes without copying). */
void pe_buf_swap(struct pe_buf *a, struct pe_buf *b);
/* Release storage above keep bytes when the buffer is empty (idle connections stay small). */
void pe_buf_trim(struct pe_buf *b, size_t keep);

#endif
