/* SPDX-License-Identifier: MIT */
/* Byte buffers for TCP: readv with a stack spill so one syscall drains the socket even when the
 * buffer is empty or small; storage grows on demand and is released when idle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pe_reactor.h"

/* Storage of PE_BUF_MAP_MIN bytes or more is mapped pages of its own, not heap: freeing it
 * gives the memory back to the system at once (malloc would keep big freed chunks in its arenas
 * once its dynamic mmap threshold has risen), and pages never written cost nothing. */
static bool mapped(size_t cap)
{
	return cap >= PE_BUF_MAP_MIN;
}

static void storage_free(char *data, size_t cap)
{
	if (data && mapped(cap))
		munmap(data, cap);
	else
		free(data);
}

static char *storage_alloc(size_t cap)
{
	if (!mapped(cap))
		return malloc(cap);
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void pe_buf_init(struct pe_buf *b)
{
	*b = (struct pe_buf){0};
}

void pe_buf_free(struct pe_buf *b)
{
	storage_free(b->data, b->cap);
	pe_buf_init(b);
}

void pe_buf_consume(struct pe_buf *b, size_t n)
{
	b->rd += n;
	if (b->rd >= b->wr)
		b->rd = b->wr = 0;
}

int pe_buf_reserve(struct pe_buf *b, size_t n)
{
	if (b->cap - b->wr >= n)
		return 0;
	size_t len = pe_buf_len(b);
	if (b->cap - len >= n) { /* enough room once the readable bytes move to the front */
		memmove(b->data, b->data + b->rd, len);
		b->rd = 0;
		b->wr = len;
		return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - len < n)
		cap *= 2;
	char *data;
	if (mapped(b->cap) && mapped(cap)) { /* pages move, nothing is copied */
		if (b->rd && len)
			memmove(b->data, b->data + b->rd, len);
		data = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
		if (data == MAP_FAILED)
			return -ENOMEM;
	} else {
		data = storage_alloc(cap);
		if (!data)
			return -ENOMEM;
		if (len)
			memcpy(data, b->data + b->rd, len);
		storage_free(b->data, b->cap);
	}
	b->data = data;
	b->cap = cap;
	b->rd = 0;
	b->wr = len;
	return 0;
}

int pe_buf_append(struct pe_buf *b, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	int rc = pe_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->data + b->wr, data, n);
	b->wr += n;
	return 0;
}

ssize_t pe_buf_read_fd(struct pe_buf *b, int fd)
{
	char spill[PE_BUF_SPILL];
	size_t room = b->cap - b->wr;
	struct iovec iov[2] = {{room ? b->data + b->wr : NULL, room}, {spill, sizeof(spill)}};
	ssize_t n;
	do
		n = room ? readv(fd, iov, 2) : readv(fd, iov + 1, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n <= room) {
		b->wr += (size_t)n;
		return n;
	}
	b->wr = b->cap;
	int rc = pe_buf_append(b, spill, (size_t)n - room);
	return rc < 0 ? rc : n;
}

ssize_t pe_buf_write_fd(struct pe_buf *b, int fd)
{
	size_t len = pe_buf_len(b);
	if (len == 0)
		return 0;
	ssize_t n;
	do
		n = write(fd, pe_buf_peek(b), len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	pe_buf_consume(b, (size_t)n);
	return n;
}

void pe_buf_swap(struct pe_buf *a, struct pe_buf *b)
{
	struct pe_buf t = *a;
	*a = *b;
	*b = t;
}

void pe_buf_trim(struct pe_buf *b, size_t keep)
{
	if (pe_buf_len(b) == 0 && b->cap > keep)
		pe_buf_free(b);
}
