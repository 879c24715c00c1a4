/* SPDX-License-Identifier: MIT */
/* lib/stats: blocks, snapshots, rates, the shared-memory export and its concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_stats.h"
#include "stats_priv.h" /* the header layout, to corrupt it */

static char name_buf[PE_STATS_NAME_MAX + 1];

/* A segment name unique to this process and test. */
static const char *uname_(const char *tag)
{
	snprintf(name_buf, sizeof(name_buf), "pe-test-%d-%s", (int)getpid(), tag);
	return name_buf;
}

static int path_exists(const char *name)
{
	char path[128];
	struct stat st;

	assert_int_equal(pe_stats_shm_path(name, path, sizeof(path)), 0);
	return stat(path, &st) == 0;
}

static void test_create_private(void **state)
{
	struct pe_stats *s = pe_stats_create(3, NULL);
	struct pe_stats_block *b;

	(void)state;
	assert_non_null(s);
	assert_int_equal(pe_stats_count(s), 3);
	b = pe_stats_block(s, 2);
	assert_non_null(b);
	assert_string_equal(b->name, "block2");
	assert_int_equal(b->port, UINT32_MAX);
	assert_int_equal(b->thread, -1);
	assert_null(pe_stats_block(s, 3));
	assert_true(((uintptr_t)pe_stats_block(s, 0) & 63) == 0);
	assert_true(((uintptr_t)pe_stats_block(s, 1) & 63) == 0);
	pe_stats_block_label(b, "p1q2", 1, 2, -1);
	assert_string_equal(b->name, "p1q2");
	assert_int_equal(b->port, 1);
	assert_int_equal(b->queue, 2);
	pe_stats_destroy(s);
	pe_stats_destroy(NULL);
}

static void test_create_bad_args(void **state)
{
	(void)state;
	errno = 0;
	assert_null(pe_stats_create(0, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pe_stats_create(PE_STATS_MAX_BLOCKS + 1, NULL));
	assert_int_equal(errno, EINVAL);
	for (const char *const *n =
		     (const char *const[]){"", "../x", "a/b", ".hidden", "sp ace", NULL};
	     *n; n++) {
		errno = 0;
		assert_null(pe_stats_create(1, *n));
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(pe_stats_count(NULL), 0);
	assert_null(pe_stats_block(NULL, 0));
}

static void test_snapshot_sums(void **state)
{
	struct pe_stats *s = pe_stats_create(3, NULL);
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));

	(void)state;
	assert_non_null(snap);
	for (unsigned i = 0; i < 3; i++) {
		struct pe_stats_block *b = pe_stats_block(s, i);

		pe_stats_begin(b);
		pe_ctr_add(&b->c.rx_packets, 10 * (i + 1));
		pe_ctr_add(&b->c.rx_bytes, 640 * (i + 1));
		pe_ctr_add(&b->c.tx_packets, 9 * (i + 1));
		pe_ctr_add(&b->c.drops[PE_DROP_RUNT], i + 1);
		pe_ctr_add(&b->c.drops[PE_DROP_NONE], 1000); /* "not dropped": never in the sum */
		pe_ctr_set(&b->c.rx_missed, 7);
		pe_stats_end(b);
	}
	assert_int_equal(pe_stats_snapshot(s, snap), 0);
	assert_int_equal(snap->n_blocks, 3);
	assert_int_equal(snap->total.rx_packets, 60);
	assert_int_equal(snap->total.rx_bytes, 3840);
	assert_int_equal(snap->total.tx_packets, 54);
	assert_int_equal(snap->total.rx_missed, 21);
	assert_int_equal(snap->total.drops[PE_DROP_RUNT], 6);
	assert_int_equal(pe_counters_drops(&snap->total), 6);
	assert_int_equal(snap->blocks[1].c.rx_packets, 20);
	assert_int_equal(snap->blocks[1].seq % 2, 0);
	assert_string_equal(snap->blocks[2].name, "block2");
	assert_true(snap->time_ns > 0);
	assert_int_equal(pe_stats_snapshot(NULL, snap), -EINVAL);
	free(snap);
	pe_stats_destroy(s);
}

static void test_rates(void **state)
{
	struct pe_counters a = {0}, b = {0};
	struct pe_rates r;

	(void)state;
	b.rx_packets = 2000;
	b.tx_packets = 1000;
	b.rx_bytes = 128000;
	b.tx_bytes = 64000;
	b.drops[PE_DROP_UDP_CSUM] = 500;
	b.drops[PE_DROP_TX_FULL] = 500;
	pe_rates_compute(&a, &b, 1000000000ull, 3000000000ull, &r);
	assert_true(r.seconds == 2.0);
	assert_true(r.rx_pps == 1000.0);
	assert_true(r.tx_pps == 500.0);
	assert_true(r.rx_bps == 512000.0);
	assert_true(r.tx_bps == 256000.0);
	assert_true(r.drop_pps == 500.0);
	/* No time elapsed, or time backwards: zeros, never inf/NaN. */
	pe_rates_compute(&a, &b, 5, 5, &r);
	assert_true(r.rx_pps == 0.0 && r.seconds == 0.0);
	/* A counter that went backwards gives 0, not a wrapped huge rate. */
	pe_rates_compute(&b, &a, 0, 1000000000ull, &r);
	assert_true(r.rx_pps == 0.0 && r.tx_bps == 0.0 && r.drop_pps == 0.0);
}

/* ---- concurrency: a writer keeps rx == tx + drops inside every begin/end ---- */

/* The reader takes snapshots while the writer runs, then tells it to stop. After each snapshot
 * the reader waits until the writer has finished another round, so every snapshot after the
 * first sees the counters move whatever the scheduler does: the test proves concurrent reads
 * without depending on how much CPU each thread gets. The time bounds only end a stuck thread. */
#define READER_MOVED  2000u
#define READER_MAX_NS 100000000000ull
#define WRITER_MAX_NS 120000000000ull

/* What the reader and the writer share: in the test's memory, or in a page both processes map. */
struct rw_sync {
	int stop;
	unsigned rounds;
};

static void write_rounds(struct pe_stats *s, struct rw_sync *y)
{
	unsigned n = pe_stats_count(s);
	uint64_t deadline = pe_stats_now_ns() + WRITER_MAX_NS;

	for (unsigned r = 0;; r++) {
		struct pe_stats_block *b = pe_stats_block(s, r % n);
		uint64_t k = 1 + r % 32, d = r % 3;

		if ((r & 255) == 0 && __atomic_load_n(&y->stop, __ATOMIC_RELAXED))
			break;
		if ((r & 65535) == 0 && pe_stats_now_ns() > deadline)
			break;
		pe_stats_begin(b);
		pe_ctr_add(&b->c.rx_packets, k);
		pe_ctr_add(&b->c.rx_bytes, 64 * k);
		pe_ctr_add(&b->c.drops[1 + r % (PE_DROP_MAX - 1)], d);
		pe_ctr_add(&b->c.tx_packets, k - d);
		pe_ctr_add(&b->c.tx_bytes, 64 * (k - d));
		pe_stats_end(b);
		__atomic_store_n(&y->rounds, r + 1, __ATOMIC_RELEASE);
		/* The rest of a burst's work, outside the critical section. */
		for (volatile unsigned spin = 0; spin < 50; spin++)
			;
	}
}

struct writer_arg {
	struct pe_stats *s;
	struct rw_sync *y;
};

static void *writer_main(void *p)
{
	struct writer_arg *w = p;

	write_rounds(w->s, w->y);
	return NULL;
}

static void check_invariant(const struct pe_counters *c)
{
	assert_int_equal(c->rx_packets, c->tx_packets + pe_counters_drops(c));
	assert_int_equal(c->rx_bytes, 64 * c->rx_packets);
	assert_int_equal(c->tx_bytes, 64 * c->tx_packets);
}

/* Snapshots, each checked, until READER_MOVED of them saw the counters move; counts must never
 * go backwards. Returns the number that saw movement (0 if the writer stopped advancing). */
static unsigned read_checked(const struct pe_stats *s, struct rw_sync *y)
{
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	uint64_t deadline = pe_stats_now_ns() + READER_MAX_NS;
	unsigned moved = 0;
	uint64_t last_rx = 0;

	assert_non_null(snap);
	while (moved < READER_MOVED) {
		assert_int_equal(pe_stats_snapshot(s, snap), 0);
		for (unsigned i = 0; i < snap->n_blocks; i++)
			check_invariant(&snap->blocks[i].c);
		check_invariant(&snap->total);
		assert_true(snap->total.rx_packets >= last_rx);
		moved += snap->total.rx_packets != last_rx;
		last_rx = snap->total.rx_packets;
		/* Round r1 may have been under way during the snapshot; round r1 + 1 starts only
		 * after r1's count was stored, so after this load: once it is done, a snapshot must
		 * move. */
		unsigned r1 = __atomic_load_n(&y->rounds, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(&y->rounds, __ATOMIC_ACQUIRE) < r1 + 2) {
			if (pe_stats_now_ns() > deadline) {
				moved = 0;
				goto out;
			}
			sched_yield();
		}
	}
out:
	__atomic_store_n(&y->stop, 1, __ATOMIC_RELAXED);
	free(snap);
	return moved;
}

static void test_concurrent_threads(void **state)
{
	struct rw_sync y = {0, 0};
	struct writer_arg w = {.s = pe_stats_create(2, NULL), .y = &y};
	pthread_t t;
	unsigned moved;

	(void)state;
	assert_non_null(w.s);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	moved = read_checked(w.s, &y);
	pthread_join(t, NULL);
	print_message("snapshots that saw the writer move: %u\n", moved);
	assert_int_equal(moved, READER_MOVED);
	pe_stats_destroy(w.s);
}

/* ---- shared memory ---- */

static void test_shm_roundtrip(void **state)
{
	const char *name = uname_("rt");
	char path[128];
	struct stat st;
	struct pe_stats *s = pe_stats_create(2, name), *r;
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	struct pe_stats_info info;

	(void)state;
	assert_non_null(s);
	assert_non_null(snap);
	assert_int_equal(pe_stats_shm_path(name, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pe_stats_info(s, &info), 0);
	assert_string_equal(info.service, "test_stats"); /* the program, until set */
	assert_string_equal(info.mode, "");
	pe_stats_set_meta(s, "pktecho", "epoll");
	pe_stats_block_label(pe_stats_block(s, 1), "thread1", UINT32_MAX, UINT32_MAX, 1);
	pe_ctr_add(&pe_stats_block(s, 1)->c.rx_packets, 42);

	r = pe_stats_attach(name);
	assert_non_null(r);
	assert_int_equal(pe_stats_count(r), 2);
	assert_int_equal(pe_stats_snapshot(r, snap), 0);
	assert_int_equal(snap->total.rx_packets, 42);
	assert_string_equal(snap->blocks[1].name, "thread1");
	assert_int_equal(snap->blocks[1].thread, 1);
	assert_int_equal(pe_stats_info(r, &info), 0);
	assert_int_equal(info.shared, 1);
	assert_int_equal(info.owner_pid, getpid());
	assert_int_equal(info.owner_alive, 1);
	assert_int_equal(info.state, PE_STATS_LIVE);
	assert_string_equal(info.service, "pktecho");
	assert_string_equal(info.mode, "epoll");
	assert_string_equal(info.name, name);
	assert_true(info.start_unix_ns > 0);
	/* Later writes are seen through the reader's mapping. */
	pe_ctr_add(&pe_stats_block(s, 0)->c.tx_packets, 5);
	assert_int_equal(pe_stats_snapshot(r, snap), 0);
	assert_int_equal(snap->total.tx_packets, 5);

	/* Clean owner exit: marked closed for the reader that is still attached, then unlinked. */
	pe_stats_destroy(s);
	assert_false(path_exists(name));
	assert_int_equal(pe_stats_info(r, &info), 0);
	assert_int_equal(info.state, PE_STATS_CLOSED);
	pe_stats_destroy(r); /* a reader never unlinks */
	errno = 0;
	assert_null(pe_stats_attach(name));
	assert_int_equal(errno, ENOENT);
	free(snap);
}

static void test_shm_live_owner_refused(void **state)
{
	const char *name = uname_("live");
	struct pe_stats *s = pe_stats_create(1, name);

	(void)state;
	assert_non_null(s);
	errno = 0;
	assert_null(pe_stats_create(1, name));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(pe_stats_strerror(EEXIST), "running"));
	assert_true(path_exists(name)); /* the refusal did not remove the owner's segment */
	pe_stats_destroy(s);
	assert_false(path_exists(name));
}

/* The owner's name now means another process's segment (its own was reclaimed meanwhile): the
 * owner's clean exit must not unlink the newcomer's live segment. */
static void test_shm_owner_keeps_replacement(void **state)
{
	char key[96];
	const char *name = uname_("repl");
	struct pe_stats *a = pe_stats_create(1, name), *b, *r;
	struct pe_stats_info info;

	(void)state;
	assert_non_null(a);
	snprintf(key, sizeof(key), "/pktecho-%s", name);
	assert_int_equal(shm_unlink(key), 0); /* as a reclaiming starter would */
	b = pe_stats_create(1, name);
	assert_non_null(b);
	pe_stats_destroy(a);
	assert_true(path_exists(name));
	r = pe_stats_attach(name);
	assert_non_null(r);
	assert_int_equal(pe_stats_info(r, &info), 0);
	assert_int_equal(info.state, PE_STATS_LIVE);
	pe_stats_destroy(r);
	pe_stats_destroy(b);
	assert_false(path_exists(name));
}

/* A crashed owner's segment, then several services starting at once with its name: exactly one
 * gets it; every other is told the name is in use (EEXIST), none is told it is not our segment
 * (by reading the winner's header half-written), and none unlinks the winner's segment. Each
 * winner keeps its segment until every starter has its answer. */
#define RACE_ROUNDS   40
#define RACE_STARTERS 4

static void race_starter(const char *name, volatile int *shared, int slot)
{
	struct pe_stats *s;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	__atomic_add_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&shared[0], __ATOMIC_SEQ_CST) < RACE_STARTERS)
		sched_yield(); /* start together */
	s = pe_stats_create(1, name);
	shared[2 + slot] = s ? 0 : errno;
	__atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
	while (s && __atomic_load_n(&shared[1], __ATOMIC_SEQ_CST) < RACE_STARTERS)
		sched_yield();
	pe_stats_destroy(s);
	_exit(0);
}

static void test_shm_racing_starters(void **state)
{
	const char *name = uname_("race");
	volatile int *shared =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(shared != MAP_FAILED);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		int winners = 0, status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(pe_stats_create(1, name) ? 0 : 1); /* a crash: stale segment */
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		memset((void *)shared, 0, 4096);
		for (int i = 0; i < RACE_STARTERS; i++) {
			pid = fork();
			assert_true(pid >= 0);
			if (pid == 0)
				race_starter(name, shared, i);
		}
		for (int i = 0; i < RACE_STARTERS; i++) {
			assert_true(wait(&status) > 0);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		for (int i = 0; i < RACE_STARTERS; i++) {
			if (shared[2 + i] == 0)
				winners++;
			else if (shared[2 + i] != EEXIST)
				fail_msg("round %d: a starter got %s", round,
					 strerror(shared[2 + i]));
		}
		if (winners != 1)
			fail_msg("round %d: %d starters own the name", round, winners);
		assert_false(path_exists(name));
	}
	munmap((void *)shared, 4096);
}

/* Someone else's object at our path: refused, and left where it was. */
static void test_shm_squat_refused(void **state)
{
	char key[96];
	const char *name = uname_("squat");
	int fd;

	(void)state;
	snprintf(key, sizeof(key), "/pktecho-%s", name);
	fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(pwrite(fd, "not a pktecho segment", 21, 0), 21);
	close(fd);
	errno = 0;
	assert_null(pe_stats_create(1, name));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pe_stats_attach(name));
	assert_int_equal(errno, EINVAL);
	assert_true(path_exists(name));
	/* An empty object (a creator that died before ftruncate) is not ours to judge either. */
	fd = shm_open(key, O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(pe_stats_create(1, name));
	assert_int_equal(errno, EINVAL);
	shm_unlink(key);
}

/* A dead owner's segment that belongs to another user is not ours to replace. */
/* A reader does not trust another user's object at the name, even a readable one (ours are 0600):
 * it could be a squat with made-up numbers. */
static void test_attach_other_user_refused(void **state)
{
	char key[96];
	const char *name = uname_("auid");
	struct pe_stats *s;
	pid_t pid;
	int fd, status;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can hand a segment to another uid and become that uid */
	s = pe_stats_create(1, name);
	assert_non_null(s);
	snprintf(key, sizeof(key), "/pktecho-%s", name);
	fd = shm_open(key, O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, 65534, 65534), 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pe_stats *r;

		if (setgid(1) < 0 || setuid(1) < 0) /* "daemon": neither root nor the owner */
			_exit(3);
		errno = 0;
		r = pe_stats_attach(name);
		_exit(r ? 1 : errno == EACCES ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pe_stats_destroy(s);
}

static void test_shm_other_user_refused(void **state)
{
	const char *name = uname_("uid");
	struct pe_stats *s;
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can hand a segment to another uid here */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char key[96];
		int fd;

		s = pe_stats_create(1, name);
		snprintf(key, sizeof(key), "/pktecho-%s", name);
		fd = shm_open(key, O_RDWR, 0);
		_exit(!s || fd < 0 || fchown(fd, 65534, 65534) < 0); /* then "crash" */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	errno = 0;
	assert_null(pe_stats_create(1, name));
	assert_int_equal(errno, EINVAL);
	assert_true(path_exists(name)); /* left alone */
	{
		char key[96];

		snprintf(key, sizeof(key), "/pktecho-%s", name);
		shm_unlink(key);
	}
}

/* A crashed owner (exited without destroy) leaves a stale segment: the next run replaces it. */
static void test_shm_stale_recovered(void **state)
{
	const char *name = uname_("stale");
	struct pe_stats *s;
	struct pe_stats_info info;
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pe_stats *c = pe_stats_create(4, name);

		if (c)
			pe_ctr_add(&pe_stats_block(c, 0)->c.rx_packets, 99);
		_exit(c ? 0 : 1); /* no destroy: like a crash */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(path_exists(name));
	{
		/* Pretend it came from another version: the fixed header prefix still tells it
		 * apart. */
		char key[96];
		int fd;
		uint32_t other = PE_STATS_SHM_VERSION + 6;

		snprintf(key, sizeof(key), "/pktecho-%s", name);
		fd = shm_open(key, O_RDWR, 0);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, &other, sizeof(other),
					offsetof(struct pe_stats_shm_hdr, version)),
				 sizeof(other));
		close(fd);
	}

	s = pe_stats_create(2, name);
	assert_non_null(s);
	assert_int_equal(pe_stats_count(s), 2);
	assert_int_equal(pe_stats_block(s, 0)->c.rx_packets, 0); /* a fresh segment */
	assert_int_equal(pe_stats_info(s, &info), 0);
	assert_int_equal(info.owner_pid, getpid());
	pe_stats_destroy(s);
	assert_false(path_exists(name));
}

/* Another process writes through the segment while this one reads it read-only. */
static void test_shm_concurrent_processes(void **state)
{
	const char *name = uname_("conc");
	struct pe_stats *s = pe_stats_create(3, name), *r;
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	/* The stop flag and round count shared with the child. */
	struct rw_sync *y =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned moved;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(s);
	assert_non_null(snap);
	assert_true(y != MAP_FAILED);
	*y = (struct rw_sync){0, 0};
	r = pe_stats_attach(name);
	assert_non_null(r);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
		write_rounds(s, y);		  /* the inherited shared mapping */
		_exit(0);
	}
	moved = read_checked(r, y);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("snapshots that saw the writer move: %u\n", moved);
	assert_int_equal(moved, READER_MOVED);
	assert_int_equal(pe_stats_snapshot(r, snap), 0);
	check_invariant(&snap->total);
	pe_stats_destroy(r);
	pe_stats_destroy(s);
	assert_false(path_exists(name));
	munmap(y, 4096);
	free(snap);
}

/* A reader validates everything it will trust: each corruption is refused, none crashes it. */
static void test_attach_validates(void **state)
{
	const char *name = uname_("valid");
	struct pe_stats *s = pe_stats_create(2, name), *r;
	struct pe_stats_shm_hdr *h, saved;
	char key[96];
	int fd;

	(void)state;
	assert_non_null(s);
	snprintf(key, sizeof(key), "/pktecho-%s", name);
	fd = shm_open(key, O_RDWR, 0);
	assert_true(fd >= 0);
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(h != MAP_FAILED);
	saved = *h;
#define REFUSED_(field, value, err)                                                                \
	do {                                                                                       \
		h->field = (value);                                                                \
		errno = 0;                                                                         \
		assert_null(pe_stats_attach(name));                                                \
		assert_int_equal(errno, err);                                                      \
		*h = saved;                                                                        \
	} while (0)
	REFUSED_(magic, 0x1234, EINVAL);
	REFUSED_(version, PE_STATS_SHM_VERSION + 1, EINVAL);
	REFUSED_(hdr_size, 128, EINVAL);
	REFUSED_(n_blocks, 0, EINVAL);
	REFUSED_(n_blocks, 3, EINVAL); /* more blocks than the object holds */
	REFUSED_(n_blocks, PE_STATS_MAX_BLOCKS + 1, EINVAL);
	REFUSED_(block_size, 64, EINVAL);
	REFUSED_(size, saved.size * 2, EINVAL);
	REFUSED_(state, PE_STATS_INIT, EAGAIN);
#undef REFUSED_
	r = pe_stats_attach(name); /* restored: fine again */
	assert_non_null(r);
	pe_stats_destroy(r);
	/* An object cut short after creation. */
	assert_int_equal(ftruncate(fd, 128), 0);
	errno = 0;
	assert_null(pe_stats_attach(name));
	assert_int_equal(errno, EINVAL);
	munmap(h, sizeof(*h));
	close(fd);
	pe_stats_destroy(s);
	assert_false(path_exists(name));
}

static void test_attach_missing(void **state)
{
	(void)state;
	errno = 0;
	assert_null(pe_stats_attach(uname_("missing")));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(pe_stats_attach("bad/name"));
	assert_int_equal(errno, EINVAL);
}

/* A failed assertion skips a test's own cleanup: remove this process's segments at the end. */
static int remove_leftovers(void **state)
{
	char pattern[96];
	glob_t g;

	(void)state;
	snprintf(pattern, sizeof(pattern), "/dev/shm/pktecho-pe-test-%d-*", (int)getpid());
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_private),
		cmocka_unit_test(test_create_bad_args),
		cmocka_unit_test(test_snapshot_sums),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_concurrent_threads),
		cmocka_unit_test(test_shm_roundtrip),
		cmocka_unit_test(test_shm_live_owner_refused),
		cmocka_unit_test(test_shm_owner_keeps_replacement),
		cmocka_unit_test(test_shm_racing_starters),
		cmocka_unit_test(test_shm_squat_refused),
		cmocka_unit_test(test_shm_other_user_refused),
		cmocka_unit_test(test_attach_other_user_refused),
		cmocka_unit_test(test_shm_stale_recovered),
		cmocka_unit_test(test_shm_concurrent_processes),
		cmocka_unit_test(test_attach_validates),
		cmocka_unit_test(test_attach_missing),
	};

	return cmocka_run_group_tests(tests, NULL, remove_leftovers);
}
