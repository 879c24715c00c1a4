/* SPDX-License-Identifier: MIT */
/* lib/sock UDP core: address parsing, the per-datagram policy, and pe_sock_udp_echo over real
 * loopback sockets (echo, loop guard, truncation with a small buffer, counters, replies batched
 * with UDP GSO, coalesced UDP GRO input echoed datagram for datagram). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_sock.h"

static struct pe_pkt_cfg cfg;

static int setup(void **state)
{
	pe_pkt_cfg_init(&cfg);
	return 0;
}

static void test_addr_parse(void **state)
{
	struct pe_sock_addr a;
	char buf[80];
	assert_int_equal(pe_sock_addr_parse("127.0.0.1:7", &a), 0);
	assert_string_equal(pe_sock_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:7");
	assert_int_equal(pe_sock_addr_parse("[::1]:65535", &a), 0);
	assert_string_equal(pe_sock_addr_str(&a, buf, sizeof(buf)), "[::1]:65535");
	assert_int_equal(pe_sock_addr_parse("*:0", &a), 0);
	assert_string_equal(pe_sock_addr_str(&a, buf, sizeof(buf)), "0.0.0.0:0");
	assert_int_equal(pe_sock_addr_parse(":9", &a), 0);
	assert_int_equal(pe_sock_addr_parse("localhost:9", &a), 0);
	assert_string_equal(pe_sock_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:9");
	const char *bad[] = {"127.0.0.1",  "127.0.0.1:", "127.0.0.1:65536", "1.2.3.4:-1",
			     "1.2.3.4:+1", "::1:7",	 "[::1:7",	    "[nope]:7",
			     "host:7",	   "1.2.3.4:7x", "300.0.0.1:7"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pe_sock_addr_parse(bad[i], &a), -EINVAL);
}

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return s;
}

#define POLICY(sa, flags)                                                                          \
	pe_sock_udp_policy(&cfg, (const struct sockaddr *)&(sa), NULL, flags, 7007)

static void test_policy_sources(void **state)
{
	struct sockaddr_in a = v4("198.18.0.1", 40000);
	assert_int_equal(POLICY(a, 0), PE_DROP_NONE);
	a = v4("127.0.0.1", 40000); /* local: the kernel only delivers it from this host */
	assert_int_equal(POLICY(a, 0), PE_DROP_NONE);
	const uint16_t loop_ports[] = {7, 9, 13, 17, 19, 37};
	for (size_t i = 0; i < 6; i++) {
		a = v4("198.18.0.1", loop_ports[i]);
		assert_int_equal(POLICY(a, 0), PE_DROP_LOOP);
	}
	const char *bad4[] = {"0.0.0.0", "224.0.0.1", "239.1.2.3", "240.0.0.1", "255.255.255.255"};
	for (size_t i = 0; i < 5; i++) {
		a = v4(bad4[i], 40000);
		assert_int_equal(POLICY(a, 0), PE_DROP_BAD_SRC_IP);
	}
	struct sockaddr_in6 b = v6("2001:2::1", 40000);
	assert_int_equal(POLICY(b, 0), PE_DROP_NONE);
	b = v6("::1", 40000);
	assert_int_equal(POLICY(b, 0), PE_DROP_NONE);
	b = v6("2001:2::1", 19);
	assert_int_equal(POLICY(b, 0), PE_DROP_LOOP);
	const char *bad6[] = {"::", "ff02::1", "::ffff:224.0.0.1", "::ffff:0.0.0.0"};
	for (size_t i = 0; i < 4; i++) {
		b = v6(bad6[i], 40000);
		assert_int_equal(POLICY(b, 0), PE_DROP_BAD_SRC_IP);
	}
	a = v4("198.18.0.1", 40000);
	assert_int_equal(POLICY(a, MSG_TRUNC), PE_DROP_TRUNCATED);
	a = v4("198.18.0.1", 7007); /* another echo service on our own port: echo<->echo loop */
	assert_int_equal(POLICY(a, 0), PE_DROP_LOOP);
}

/* A control message claiming a multicast or broadcast destination is refused. */
static void test_policy_destination(void **state)
{
	struct sockaddr_in src = v4("198.18.0.1", 40000);
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		size_t align;
	} u;
	struct msghdr m = {.msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = {0};
	const char *cases[][3] = {
		{"198.18.0.2", "198.18.0.2", "ok"},
		{"224.0.0.1", "198.18.0.2", "mcast"},
		{"255.255.255.255", "198.18.0.2", "b"},
		{"198.18.0.255", "198.18.0.2", "bcast"},
	};
	for (size_t i = 0; i < 4; i++) {
		inet_pton(AF_INET, cases[i][0], &pi.ipi_addr);
		inet_pton(AF_INET, cases[i][1], &pi.ipi_spec_dst);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		enum pe_drop want = i == 0 ? PE_DROP_NONE : PE_DROP_DST_MULTICAST;
		assert_int_equal(pe_sock_udp_policy(&cfg, (struct sockaddr *)&src, &m, 0, 0), want);
	}
}

static int udp_bound(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t len = sizeof(*a);
	*a = v4("127.0.0.1", 0);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	getsockname(fd, (struct sockaddr *)a, &len);
	return fd;
}

static void test_echo_sockets(void **state)
{
	struct sockaddr_in srv_a, cli_a;
	int srv = udp_bound(&srv_a), cli = udp_bound(&cli_a);
	assert_int_equal(pe_udp_enable_pktinfo(srv, AF_INET), 0);
	struct pe_udp_batch *b = pe_udp_batch_create(8, 1024);
	assert_non_null(b);
	struct pe_stats *stats = pe_stats_create(1, NULL);
	struct pe_stats_block *st = pe_stats_block(stats, 0);

	/* Three datagrams: 100 bytes (echoed), 0 bytes (echoed), 2000 bytes (truncated: dropped).
	 */
	char big[2000];
	memset(big, 0xa5, sizeof(big));
	assert_int_equal(sendto(cli, big, 100, 0, (struct sockaddr *)&srv_a, sizeof(srv_a)), 100);
	assert_int_equal(sendto(cli, big, 0, 0, (struct sockaddr *)&srv_a, sizeof(srv_a)), 0);
	assert_int_equal(sendto(cli, big, 2000, 0, (struct sockaddr *)&srv_a, sizeof(srv_a)), 2000);
	usleep(20000);
	assert_int_equal(pe_sock_udp_echo(b, srv, ntohs(srv_a.sin_port), MSG_DONTWAIT, &cfg, st),
			 3);
	char got[2048];
	assert_int_equal(recv(cli, got, sizeof(got), MSG_DONTWAIT), 100);
	assert_memory_equal(got, big, 100);
	assert_int_equal(recv(cli, got, sizeof(got), MSG_DONTWAIT), 0);
	assert_int_equal(recv(cli, got, sizeof(got), MSG_DONTWAIT), -1); /* nothing more */
	assert_int_equal(st->c.rx_packets, 3);
	assert_int_equal(st->c.tx_packets, 2);
	assert_int_equal(st->c.tx_bytes, 100);
	assert_int_equal(st->c.drops[PE_DROP_TRUNCATED], 1);
	assert_int_equal(pe_sock_udp_echo(b, srv, ntohs(srv_a.sin_port), MSG_DONTWAIT, &cfg, st),
			 -EAGAIN);

	/* From a loop port: counted, no reply. */
	struct sockaddr_in lp = v4("127.0.0.1", 19);
	int chargen = socket(AF_INET, SOCK_DGRAM, 0);
	int on = 1;
	setsockopt(chargen, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(chargen, (struct sockaddr *)&lp, sizeof(lp)) == 0) {
		assert_int_equal(
			sendto(chargen, "x", 1, 0, (struct sockaddr *)&srv_a, sizeof(srv_a)), 1);
		usleep(20000);
		assert_int_equal(
			pe_sock_udp_echo(b, srv, ntohs(srv_a.sin_port), MSG_DONTWAIT, &cfg, st), 1);
		assert_int_equal(st->c.drops[PE_DROP_LOOP], 1);
		assert_int_equal(recv(chargen, got, sizeof(got), MSG_DONTWAIT), -1);
	}
	close(chargen);
	pe_stats_destroy(stats);
	pe_udp_batch_destroy(b);
	close(srv);
	close(cli);
}

/* Echo until st has seen want datagrams (at most 200 rounds of up to 2 s). */
static void echo_until(struct pe_udp_batch *b, int srv, uint16_t port, struct pe_stats_block *st,
		       uint64_t want)
{
	for (int r = 0; r < 200 && st->c.rx_packets < want; r++)
		assert_true(pe_sock_udp_echo(b, srv, port, MSG_WAITFORONE, &cfg, st) >= 0);
	assert_int_equal(st->c.rx_packets, want);
}

static void recv_timeout(int fd)
{
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Two peers' datagrams interleaved in one batch, most of one size (grouped per peer into GSO
 * sends), one of another: every datagram comes back alone, exact, in its peer's order. */
static void test_echo_gso(void **state)
{
	struct sockaddr_in srv_a, a_a, b_a;
	int srv = udp_bound(&srv_a), ca = udp_bound(&a_a), cb = udp_bound(&b_a);
	recv_timeout(srv);
	recv_timeout(ca);
	recv_timeout(cb);
	struct pe_udp_batch *b = pe_udp_batch_create(16, 2048);
	struct pe_stats *stats = pe_stats_create(1, NULL);
	struct pe_stats_block *st = pe_stats_block(stats, 0);
	const char *order = "ABAABABAa"; /* 'a': A's last datagram, 100 bytes instead of 200 */
	char msg[256];
	unsigned na = 0, nb = 0;
	for (const char *o = order; *o; o++) {
		int fd = *o == 'B' ? cb : ca;
		unsigned k = *o == 'B' ? nb++ : na++;
		memset(msg, (*o == 'B' ? 0x40 : 0x10) + (int)k, sizeof(msg));
		size_t len = *o == 'a' ? 100 : 200;
		assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&srv_a, sizeof(srv_a)),
				 (ssize_t)len);
	}
	echo_until(b, srv, ntohs(srv_a.sin_port), st, 9);
	char got[2048];
	for (unsigned k = 0; k < na; k++) {
		size_t len = k == na - 1 ? 100 : 200;
		memset(msg, 0x10 + (int)k, sizeof(msg));
		assert_int_equal(recv(ca, got, sizeof(got), 0), (ssize_t)len);
		assert_memory_equal(got, msg, len);
	}
	for (unsigned k = 0; k < nb; k++) {
		memset(msg, 0x40 + (int)k, sizeof(msg));
		assert_int_equal(recv(cb, got, sizeof(got), 0), 200);
		assert_memory_equal(got, msg, 200);
	}
	assert_int_equal(recv(ca, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(recv(cb, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(st->c.tx_packets, 9);
	assert_int_equal(st->c.tx_bytes, 8 * 200 + 100);
	pe_stats_destroy(stats);
	pe_udp_batch_destroy(b);
	close(srv);
	close(ca);
	close(cb);
}

/* A peer's GSO send (350 bytes in datagrams of 100) reaches a UDP_GRO socket as one coalesced
 * message where the kernel keeps it whole: the echo is four datagrams of 100, 100, 100 and 50
 * bytes, each exact, and the counters count datagrams. */
static void test_echo_gro(void **state)
{
	struct sockaddr_in srv_a, cli_a;
	int srv = udp_bound(&srv_a), cli = udp_bound(&cli_a);
	recv_timeout(srv);
	recv_timeout(cli);
	assert_int_equal(pe_sock_udp_gro_on(srv), 0);
	struct pe_udp_batch *b = pe_udp_batch_create(4, 65536);
	struct pe_stats *stats = pe_stats_create(1, NULL);
	struct pe_stats_block *st = pe_stats_block(stats, 0);
	char data[350];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 100);
	struct {
		_Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(uint16_t))];
	} ctl;
	struct iovec v = {data, sizeof(data)};
	struct msghdr m = {.msg_name = &srv_a,
			   .msg_namelen = sizeof(srv_a),
			   .msg_iov = &v,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	uint16_t seg = 100;
	*c = (struct cmsghdr){
		.cmsg_len = CMSG_LEN(sizeof(seg)), .cmsg_level = SOL_UDP, .cmsg_type = UDP_SEGMENT};
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	if (sendmsg(cli, &m, 0) < 0) { /* a kernel without UDP GSO: nothing to test */
		assert_int_equal(errno, EIO);
		goto out;
	}
	echo_until(b, srv, ntohs(srv_a.sin_port), st, 4);
	char got[512];
	for (unsigned k = 0; k < 4; k++) {
		size_t len = k == 3 ? 50 : 100;
		assert_int_equal(recv(cli, got, sizeof(got), 0), (ssize_t)len);
		assert_memory_equal(got, data + k * 100, len);
	}
	assert_int_equal(recv(cli, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(st->c.tx_packets, 4);
	assert_int_equal(st->c.tx_bytes, 350);
	assert_int_equal(st->c.rx_bytes, 350);
out:
	pe_stats_destroy(stats);
	pe_udp_batch_destroy(b);
	close(srv);
	close(cli);
}

static void test_models(void **state)
{
	enum pe_io_model m;
	assert_int_equal(pe_io_model_parse("epoll", &m), 0);
	assert_int_equal(m, PE_IO_EPOLL);
	assert_int_equal(pe_io_model_parse("select", &m), -EINVAL);
	for (int i = 0; i < PE_IO_MODEL_MAX; i++) {
		assert_int_equal(pe_io_model_parse(pe_io_model_name((enum pe_io_model)i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_null(pe_udp_batch_create(0, 100));
	assert_null(pe_udp_batch_create(1000, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_policy_sources),
		cmocka_unit_test(test_policy_destination),
		cmocka_unit_test(test_echo_sockets),
		cmocka_unit_test(test_echo_gso),
		cmocka_unit_test(test_echo_gro),
		cmocka_unit_test(test_models),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
