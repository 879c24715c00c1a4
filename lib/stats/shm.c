/* SPDX-License-Identifier: MIT */
/* The shared-memory export: create (O_EXCL, 0600, stale-segment recovery), attach read-only,
 * mark closed and unlink. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pe_conf.h"
#include "pe_stats.h"
#include "stats_priv.h"

int pe_stats_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PE_STATS_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* shm_open's name: "/pktecho-<name>". */
static int shm_key(const char *name, char *buf, size_t len)
{
	if (!name || !pe_stats_name_valid(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "/pktecho-%s", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pe_stats_shm_path(const char *shm_name, char *buf, size_t len)
{
	if (!shm_name || !pe_stats_name_valid(shm_name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "/dev/shm/pktecho-%s", shm_name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

const char *pe_stats_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case EEXIST:
		return "stats segment in use by a running process (choose another --stats-name)";
	case EINVAL:
		return "invalid stats name, or the path holds something that is not a pktecho stats segment of this user, version and size (left alone)";
	case ENOENT:
		return "no such stats segment (is the service running with this --stats-name?)";
	case EAGAIN:
		return "stats segment is still being created, or a writer is stuck";
	case EACCES:
		return "stats segment belongs to another user";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* From /proc/<pid>/stat: the state letter (field 3) and the start time in clock ticks since boot
 * (field 22). 0 when the process does not exist or the file cannot be read. */
static int proc_stat(int pid, char *state, uint64_t *starttime)
{
	char path[64], buf[1024];
	unsigned long long t;
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c", state) != 1)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &t) != 1)
		return 0;
	*starttime = t;
	return 1;
}

static uint64_t proc_starttime(int pid)
{
	uint64_t t = 0;
	char state;

	return proc_stat(pid, &state, &t) ? t : 0;
}

static int pid_alive(int pid, uint64_t starttime)
{
	uint64_t now_start = 0;
	char state = '?';

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	if (!proc_stat(pid, &state, &now_start))
		return 1; /* exists, but /proc says nothing (another pid namespace): assume alive */
	/* A zombie has exited; a different start time means the pid was reused. */
	if (state == 'Z' || state == 'X')
		return 0;
	return !(starttime && now_start != starttime);
}

/* Map an fd's segment read-only and validate the header. */
static int map_validated(int fd, void **map_out, size_t *len_out)
{
	struct stat st;
	const struct pe_stats_shm_hdr *h;
	void *map;

	int rc = pe_fd_check_own(fd);

	/* Our segments are regular 0600 objects: another user's readable object at the name is a
	 * squat (or was made readable by hand) and its numbers cannot be trusted. Root may read
	 * anyone's. */
	if (rc == -EACCES && geteuid() == 0)
		rc = 0;
	if (rc < 0 || fstat(fd, &st) < 0)
		return rc < 0 ? rc : -errno;
	if ((size_t)st.st_size < sizeof(struct pe_stats_shm_hdr))
		return -EINVAL;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	h = map;
	if (h->magic != PE_STATS_SHM_MAGIC || h->version != PE_STATS_SHM_VERSION ||
	    h->hdr_size != sizeof(*h) || h->block_size != sizeof(struct pe_stats_block) ||
	    h->n_blocks == 0 || h->n_blocks > PE_STATS_MAX_BLOCKS ||
	    h->size != (uint64_t)st.st_size || h->size != stats_map_size(h->n_blocks)) {
		munmap(map, (size_t)st.st_size);
		return -EINVAL;
	}
	*map_out = map;
	*len_out = (size_t)st.st_size;
	return 0;
}

/* shm_unlink(key) only while key still names the object dev/ino: never a segment that another
 * process has created there since. 0 when key is gone or names another object (nothing to do). */
static int unlink_if_same(const char *key, dev_t dev, ino_t ino)
{
	int fd = shm_open(key, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	struct stat st;
	int same;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	same = fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
	close(fd);
	if (same && shm_unlink(key) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The header of the object at fd, read under an exclusive flock: a creator holds that lock from
 * just after its O_EXCL until its header is complete, and a reclaimer holds it while it judges
 * and unlinks, so two starters never judge one object at the same time nor read a header half
 * written. A header still empty under the lock may be a creator that has not yet taken it: give
 * it a few turns. 0 with the lock held, -EEXIST if the lock stays taken (someone holds it for
 * long), -EINVAL if the object never becomes one of our segments. */
static int read_hdr_locked(int fd, struct pe_stats_shm_hdr *h)
{
	for (int tries = 0; tries < 200; tries++) {
		ssize_t n;

		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR)
				return -EINVAL;
			usleep(2000);
			continue;
		}
		n = pread(fd, h, sizeof(*h), 0);
		if (n == (ssize_t)sizeof(*h) && h->magic == PE_STATS_SHM_MAGIC)
			return 0;
		flock(fd, LOCK_UN);
		if (tries >= 20)
			return -EINVAL;
		usleep(1000);
	}
	return -EEXIST;
}

/* An existing segment at key: 0 if it was stale and is now unlinked (retry), -EEXIST if its owner
 * lives, -EINVAL if it is not ours to judge or remove. Only the header fields that every version
 * keeps in place (magic, owner, state) are read, so a crashed older version is replaced too. */
static int reclaim_stale(const char *key)
{
	int fd = shm_open(key, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	struct stat st;
	struct pe_stats_shm_hdr h;
	int rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : -EINVAL; /* vanished meanwhile: retry */
	/* Not a regular object of ours (a FIFO, another user's squat): not ours to judge. */
	if (pe_fd_check_own(fd) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return -EINVAL;
	}
	rc = read_hdr_locked(fd, &h);
	if (rc == 0 && h.state != PE_STATS_CLOSED && pid_alive(h.owner_pid, h.owner_starttime))
		rc = -EEXIST;
	/* Dead owner (a crash), or a closed segment whose owner has not unlinked it yet. Another
	 * starter may have replaced it meanwhile: unlink only the object judged (under its lock,
	 * so that nobody else can unlink it and create a new one between check and unlink). */
	if (rc == 0 && unlink_if_same(key, st.st_dev, st.st_ino) < 0)
		rc = -EINVAL;
	close(fd); /* releases the lock */
	return rc;
}

static int open_exclusive(const char *key)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		int fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		int rc;

		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
		rc = reclaim_stale(key);
		if (rc < 0)
			return rc;
	}
	return -EEXIST; /* someone keeps recreating it */
}

static void hdr_init(struct pe_stats_shm_hdr *h, unsigned n_blocks, size_t len, const char *name)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	h->magic = PE_STATS_SHM_MAGIC;
	h->version = PE_STATS_SHM_VERSION;
	h->hdr_size = sizeof(*h);
	h->size = len;
	h->n_blocks = n_blocks;
	h->block_size = sizeof(struct pe_stats_block);
	h->owner_pid = (int32_t)getpid();
	h->owner_starttime = proc_starttime(h->owner_pid);
	h->start_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(h->name, sizeof(h->name), "%s", name);
	/* Until the service says otherwise (pe_stats_set_meta): the program's name. */
	snprintf(h->service, sizeof(h->service), "%s", program_invocation_short_name);
}

struct pe_stats *stats_shm_create(unsigned n_blocks, const char *shm_name)
{
	struct pe_stats *s = calloc(1, sizeof(*s));
	size_t len = stats_map_size(n_blocks);
	struct stat st;
	int fd, rc;

	if (!s)
		return NULL;
	rc = shm_key(shm_name, s->path, sizeof(s->path));
	if (rc < 0)
		goto fail;
	fd = open_exclusive(s->path);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	/* Held until the header is complete: see read_hdr_locked. */
	flock(fd, LOCK_EX);
	if (fstat(fd, &st) < 0 || ftruncate(fd, (off_t)len) < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	s->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->map == MAP_FAILED) {
		rc = -errno;
		s->map = NULL;
		goto fail_unlink;
	}
	s->map_len = len;
	s->hdr = s->map;
	s->blocks = (struct pe_stats_block *)((char *)s->map + sizeof(*s->hdr));
	s->n_blocks = n_blocks;
	s->owner = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	hdr_init(s->hdr, n_blocks, len, shm_name);
	stats_init_blocks(s->blocks, n_blocks);
	/* Readers refuse INIT: everything above is visible before LIVE is. */
	__atomic_store_n(&s->hdr->state, PE_STATS_LIVE, __ATOMIC_RELEASE);
	/* Unlock explicitly: the mapping keeps the open file (and with it the lock) alive after
	 * close, and starters would wait on it until we unmap. */
	flock(fd, LOCK_UN);
	close(fd);
	return s;

fail_unlink:
	close(fd);
	shm_unlink(s->path);
fail:
	free(s);
	errno = -rc;
	return NULL;
}

void stats_shm_release(struct pe_stats *s)
{
	/* Unlink first: a CLOSED segment still at its name is free for any starter to reclaim, so
	 * marking it first would let our unlink remove that starter's new segment. And unlink
	 * only our own object: the name may already mean someone else's. */
	unlink_if_same(s->path, s->dev, s->ino);
	__atomic_store_n(&s->hdr->state, PE_STATS_CLOSED, __ATOMIC_RELEASE);
}

struct pe_stats *pe_stats_attach(const char *shm_name)
{
	struct pe_stats *s = calloc(1, sizeof(*s));
	int fd, rc;

	if (!s)
		return NULL;
	rc = shm_key(shm_name, s->path, sizeof(s->path));
	if (rc < 0)
		goto fail;
	/* O_NONBLOCK: a FIFO at the name must not hang the reader (it is refused below). */
	fd = shm_open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = map_validated(fd, &s->map, &s->map_len);
	close(fd);
	if (rc < 0)
		goto fail;
	s->hdr = s->map;
	if (__atomic_load_n(&s->hdr->state, __ATOMIC_ACQUIRE) == PE_STATS_INIT) {
		munmap(s->map, s->map_len);
		rc = -EAGAIN;
		goto fail;
	}
	s->blocks = (struct pe_stats_block *)((char *)s->map + sizeof(*s->hdr));
	s->n_blocks = s->hdr->n_blocks;
	s->readonly = 1;
	return s;
fail:
	free(s);
	errno = -rc;
	return NULL;
}

static void meta_copy(char *dst, size_t len, const char *src)
{
	if (src)
		snprintf(dst, len, "%s", src);
}

void pe_stats_set_meta(struct pe_stats *s, const char *service, const char *mode)
{
	if (!s || !s->hdr || s->readonly)
		return;
	meta_copy(s->hdr->service, sizeof(s->hdr->service), service);
	meta_copy(s->hdr->mode, sizeof(s->hdr->mode), mode);
}

/* Copy a header string that a foreign writer may not have terminated. */
static void str_copy(char *dst, size_t len, const char *src)
{
	memcpy(dst, src, len);
	dst[len - 1] = '\0';
}

int pe_stats_info(const struct pe_stats *s, struct pe_stats_info *out)
{
	const struct pe_stats_shm_hdr *h;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	h = s->hdr;
	str_copy(out->service, sizeof(out->service), h->service);
	str_copy(out->mode, sizeof(out->mode), h->mode);
	if (!s->owner && !s->readonly) /* private memory */
		return 0;
	out->shared = 1;
	out->owner_pid = h->owner_pid;
	out->state = (enum pe_stats_state)__atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	out->owner_alive = pid_alive(h->owner_pid, h->owner_starttime);
	out->start_unix_ns = h->start_unix_ns;
	str_copy(out->name, sizeof(out->name), h->name);
	return 0;
}
