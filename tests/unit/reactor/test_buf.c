/* SPDX-License-Identifier: MIT */
/* pe_buf: append/consume/compaction, readv with the stack spill, partial writes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_reactor.h"

static void fill_pattern(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)((i * 31u + seed) & 0xff);
}

static void test_append_consume(void **state)
{
	struct pe_buf b;
	pe_buf_init(&b);
	assert_int_equal(pe_buf_len(&b), 0);
	assert_int_equal(pe_buf_append(&b, "hello", 5), 0);
	assert_int_equal(pe_buf_append(&b, " world", 6), 0);
	assert_int_equal(pe_buf_len(&b), 11);
	assert_memory_equal(pe_buf_peek(&b), "hello world", 11);
	pe_buf_consume(&b, 6);
	assert_memory_equal(pe_buf_peek(&b), "world", 5);
	pe_buf_consume(&b, 5);
	assert_int_equal(b.rd, 0); /* an emptied buffer restarts at the front */
	assert_int_equal(b.wr, 0);
	pe_buf_free(&b);
}

static void test_grow_and_compact(void **state)
{
	struct pe_buf b;
	pe_buf_init(&b);
	char big[10000];
	fill_pattern(big, sizeof(big), 7);
	assert_int_equal(pe_buf_append(&b, big, sizeof(big)), 0);
	assert_true(b.cap >= sizeof(big));
	size_t cap = b.cap;
	pe_buf_consume(&b, 9000);
	/* 1000 readable; appending cap-1000 must compact, not grow */
	char *more = malloc(cap - 1000);
	fill_pattern(more, cap - 1000, 9);
	assert_int_equal(pe_buf_append(&b, more, cap - 1000), 0);
	assert_int_equal(b.cap, cap);
	assert_memory_equal(pe_buf_peek(&b), big + 9000, 1000);
	assert_memory_equal(pe_buf_peek(&b) + 1000, more, cap - 1000);
	free(more);
	pe_buf_free(&b);
}

static void test_swap_trim(void **state)
{
	struct pe_buf a, b;
	pe_buf_init(&a);
	pe_buf_init(&b);
	assert_int_equal(pe_buf_append(&a, "abc", 3), 0);
	pe_buf_swap(&a, &b);
	assert_int_equal(pe_buf_len(&a), 0);
	assert_int_equal(pe_buf_len(&b), 3);
	pe_buf_trim(&b, 0); /* not empty: kept */
	assert_non_null(b.data);
	pe_buf_consume(&b, 3);
	pe_buf_trim(&b, 0);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	pe_buf_free(&a);
	pe_buf_free(&b);
}

/* An empty buffer takes a whole 64 KiB burst in one readv through the spill. */
static void test_read_spill(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int sz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	char data[50000];
	fill_pattern(data, sizeof(data), 3);
	assert_int_equal(write(sv[0], data, sizeof(data)), (ssize_t)sizeof(data));

	struct pe_buf b;
	pe_buf_init(&b);
	ssize_t n = pe_buf_read_fd(&b, sv[1]);
	assert_int_equal(n, (ssize_t)sizeof(data));
	assert_int_equal(pe_buf_len(&b), sizeof(data));
	assert_memory_equal(pe_buf_peek(&b), data, sizeof(data));

	/* Into a buffer with some room: the free space first, then the spill. */
	pe_buf_consume(&b, 40000);
	assert_int_equal(write(sv[0], data, sizeof(data)), (ssize_t)sizeof(data));
	n = pe_buf_read_fd(&b, sv[1]);
	assert_int_equal(n, (ssize_t)sizeof(data));
	assert_int_equal(pe_buf_len(&b), 10000 + sizeof(data));
	assert_memory_equal(pe_buf_peek(&b), data + 40000, 10000);
	assert_memory_equal(pe_buf_peek(&b) + 10000, data, sizeof(data));

	/* Nothing to read: -EAGAIN; peer closed: 0. */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	assert_int_equal(pe_buf_read_fd(&b, sv[1]), -EAGAIN);
	close(sv[0]);
	assert_int_equal(pe_buf_read_fd(&b, sv[1]), 0);
	close(sv[1]);
	pe_buf_free(&b);
}

/* A write into a full socket takes part; the rest stays readable in order. */
static void test_partial_write(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	size_t total = 4 << 20;
	char *data = malloc(total);
	fill_pattern(data, total, 5);
	struct pe_buf b;
	pe_buf_init(&b);
	assert_int_equal(pe_buf_append(&b, data, total), 0);
	ssize_t n = pe_buf_write_fd(&b, sv[0]);
	assert_true(n > 0 && (size_t)n < total);
	assert_int_equal(pe_buf_len(&b), total - (size_t)n);
	assert_int_equal(pe_buf_write_fd(&b, sv[0]), -EAGAIN);
	/* Drain the peer and finish; the bytes arrive in order. */
	char *got = malloc(total);
	size_t have = 0;
	while (have < total) {
		ssize_t r = read(sv[1], got + have, total - have);
		assert_true(r > 0);
		have += (size_t)r;
		while (pe_buf_len(&b) && pe_buf_write_fd(&b, sv[0]) > 0)
			;
	}
	assert_memory_equal(got, data, total);
	free(got);
	free(data);
	pe_buf_free(&b);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_consume), cmocka_unit_test(test_grow_and_compact),
		cmocka_unit_test(test_swap_trim),      cmocka_unit_test(test_read_spill),
		cmocka_unit_test(test_partial_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
