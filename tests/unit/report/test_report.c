/* SPDX-License-Identifier: MIT */
/* lib/report: format parsing, JSON helpers, argument checks, and the /metrics endpoint over a real
 * loopback socket. (Full JSON / Prometheus parse-back: check_report.py.) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_config.h"
#include "pe_report.h"

/* Runs fn into a memory stream and returns the text (caller frees). */
#define CAPTURE(buf, len, stmt)                                                                    \
	do {                                                                                       \
		FILE *f_ = open_memstream(&(buf), &(len));                                         \
		assert_non_null(f_);                                                               \
		FILE *out = f_;                                                                    \
		stmt;                                                                              \
		assert_int_equal(fclose(f_), 0);                                                   \
	} while (0)

static void test_fmt_parse(void **state)
{
	enum pe_report_fmt fmt = PE_REPORT_TEXT;

	(void)state;
	assert_int_equal(pe_report_fmt_parse("json", &fmt), 0);
	assert_int_equal(fmt, PE_REPORT_JSON);
	assert_int_equal(pe_report_fmt_parse("text", &fmt), 0);
	assert_int_equal(fmt, PE_REPORT_TEXT);
	assert_int_equal(pe_report_fmt_parse("JSON", &fmt), -EINVAL);
	assert_int_equal(pe_report_fmt_parse("", &fmt), -EINVAL);
	assert_int_equal(pe_report_fmt_parse(NULL, &fmt), -EINVAL);
}

static void test_json_helpers(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	CAPTURE(buf, len, pe_json_string(out, "a\"b\\c\n\t\x01\x7f"));
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
	free(buf);
	CAPTURE(buf, len, pe_json_string(out, NULL));
	assert_string_equal(buf, "null");
	free(buf);
	CAPTURE(buf, len, pe_json_string(out, "h\xc3\xa9")); /* UTF-8 passes through */
	assert_string_equal(buf, "\"h\xc3\xa9\"");
	free(buf);
	CAPTURE(buf, len,
		(pe_json_double(out, NAN, 3), fputc(' ', out), pe_json_double(out, INFINITY, 1),
		 fputc(' ', out), pe_json_double(out, -INFINITY, 0), fputc(' ', out),
		 pe_json_double(out, 1.5, 2)));
	assert_string_equal(buf, "0.000 0.0 0 1.50");
	free(buf);
}

/* JSON text is UTF-8: malformed bytes (stray continuation, truncated, overlong, surrogate) become
 * U+FFFD; well-formed sequences pass. */
static void test_json_string_utf8(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	CAPTURE(buf, len,
		pe_json_string(out, "a\xff"
				    "b\xc3"
				    "\xe0\x80\x80"
				    "\xed\xa0\x80"
				    "\xf0\x9f\x98\x80"
				    "\xf4\x90\x80\x80"));
	assert_string_equal(buf, "\"a\\ufffdb\\ufffd"
				 "\\ufffd\\ufffd\\ufffd"
				 "\\ufffd\\ufffd\\ufffd"
				 "\xf0\x9f\x98\x80"
				 "\\ufffd\\ufffd\\ufffd\\ufffd\"");
	free(buf);
}

/* A program that calls setlocale(LC_ALL, "") under LANG=de_DE must still print JSON numbers
 * with a dot: a decimal comma would break every parser. The locale is built for the test. */
static void test_json_numbers_any_locale(void **state)
{
	char dir[] = "/tmp/pe-test-locale-XXXXXX", cmd[256], num[32];
	struct pe_hist *h = malloc(sizeof(*h));
	char *buf = NULL, hbuf[512];
	size_t len = 0;
	int have;

	(void)state;
	assert_non_null(h);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
		 dir);
	have = system(cmd) == 0;
	setenv("LOCPATH", dir, 1);
	have = have && setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!have) {
		assert_int_equal(system(cmd), 0);
		free(h);
		skip(); /* no localedef or de_DE source here */
	}
	snprintf(num, sizeof(num), "%.1f", 1.5);
	assert_string_equal(num, "1,5"); /* the locale is in force */
	CAPTURE(buf, len,
		(pe_json_double(out, 1.5, 2), fputc(' ', out),
		 pe_json_double(out, -1234567.25, 1)));
	pe_hist_init(h);
	pe_hist_record(h, 1500);
	assert_true(pe_report_hist_json(hbuf, sizeof(hbuf), h, 1000.0) > 0);
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
	assert_int_equal(system(cmd), 0);
	assert_string_equal(buf, "1.50 -1234567.2");
	assert_string_equal(hbuf, "{\"count\":1,\"mean\":1.500,\"min\":1.500,\"p50\":1.500,"
				  "\"p90\":1.500,\"p99\":1.500,\"p999\":1.500,\"max\":1.500}");
	free(buf);
	free(h);
}

/* Prometheus label values: \\, \" and \n escaped; malformed UTF-8 (here from the service name a
 * segment carries) replaced by U+FFFD, valid UTF-8 kept. */
static void test_prom_label_escapes(void **state)
{
	struct pe_stats_snapshot *snap = calloc(1, sizeof(*snap));
	const struct pe_report_meta meta = {.service = "s\xff\xc3", .name = "h\xc3\xa9"};
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(snap);
	snap->n_blocks = 1;
	snprintf(snap->blocks[0].name, sizeof(snap->blocks[0].name), "a\\b\"c\nd");
	snap->blocks[0].port = snap->blocks[0].queue = UINT32_MAX;
	snap->blocks[0].thread = -1;
	CAPTURE(buf, len, assert_int_equal(pe_report_prometheus(out, &meta, snap), 0));
	assert_non_null(strstr(buf,
			       "pktecho_rx_packets_total{service=\"s\xef\xbf\xbd\xef\xbf\xbd\","
			       "name=\"h\xc3\xa9\",block=\"a\\\\b\\\"c\\nd\"} 0\n"));
	assert_null(strstr(buf, "\xff"));
	free(buf);
	free(snap);
}

static void test_hist_json(void **state)
{
	struct pe_hist *h = malloc(sizeof(*h));
	char buf[512];
	int n;

	(void)state;
	assert_non_null(h);
	pe_hist_init(h);
	n = pe_report_hist_json(buf, sizeof(buf), h, 1000.0);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "{\"count\":0,\"mean\":0.000,\"min\":0.000,\"p50\":0.000,"
				 "\"p90\":0.000,\"p99\":0.000,\"p999\":0.000,\"max\":0.000}");
	for (int i = 0; i < 10; i++)
		pe_hist_record(h, 1500);
	assert_true(pe_report_hist_json(buf, sizeof(buf), h, 1000.0) > 0);
	assert_string_equal(buf, "{\"count\":10,\"mean\":1.500,\"min\":1.500,\"p50\":1.500,"
				 "\"p90\":1.500,\"p99\":1.500,\"p999\":1.500,\"max\":1.500}");
	assert_int_equal(pe_report_hist_json(buf, 20, h, 1000.0), -ENOSPC);
	free(h);
}

static void test_bad_args(void **state)
{
	struct pe_stats_snapshot *snap = calloc(1, sizeof(*snap));

	(void)state;
	assert_non_null(snap);
	assert_int_equal(pe_report_interval(NULL, PE_REPORT_JSON, NULL, NULL, snap, NULL), -EINVAL);
	assert_int_equal(pe_report_interval(stdout, PE_REPORT_JSON, NULL, NULL, NULL, NULL),
			 -EINVAL);
	assert_int_equal(pe_report_summary(stdout, PE_REPORT_TEXT, NULL, NULL, NULL, NULL),
			 -EINVAL);
	assert_int_equal(pe_report_prometheus(stdout, NULL, NULL), -EINVAL);
	free(snap);
}

/* ---- the /metrics endpoint ---- */

struct render_ctx {
	struct pe_stats *stats;
	int calls;
	int fail;
};

static int render(FILE *out, void *arg)
{
	struct render_ctx *ctx = arg;
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	const struct pe_report_meta meta = {.service = "pktecho-test", .name = "prom"};
	int rc;

	ctx->calls++;
	if (ctx->fail || !snap) {
		free(snap);
		return -EIO;
	}
	rc = pe_stats_snapshot(ctx->stats, snap);
	if (rc == 0)
		rc = pe_report_prometheus(out, &meta, snap);
	free(snap);
	return rc;
}

/* A TCP connection to 127.0.0.1:port (the test fails if it cannot be made). */
static int connect_loopback(unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* One HTTP exchange with the server on 127.0.0.1:port; returns the whole response (free it). */
static char *http(unsigned port, const char *request)
{
	struct timeval tv = {.tv_sec = 5};
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = connect_loopback(port);
	ssize_t n;

	assert_non_null(buf);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	while (len < cap - 1 && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void test_prom_server(void **state)
{
	struct render_ctx ctx = {.stats = pe_stats_create(1, NULL)};
	struct pe_prom_server *srv;
	unsigned port;
	char *resp, *body;

	(void)state;
	assert_non_null(ctx.stats);
	pe_stats_block_label(pe_stats_block(ctx.stats, 0), "thread0", UINT32_MAX, UINT32_MAX, 0);
	pe_ctr_add(&pe_stats_block(ctx.stats, 0)->c.rx_packets, 1234);
	srv = pe_prom_server_start("127.0.0.1:0", render, &ctx);
	assert_non_null(srv);
	port = pe_prom_server_port(srv);
	assert_true(port > 0);

	resp = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
	body = strstr(resp, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	assert_non_null(strstr(body, "# TYPE pktecho_rx_packets_total counter\n"));
	assert_non_null(strstr(body,
			       "pktecho_rx_packets_total{service=\"pktecho-test\",name=\"prom\","
			       "block=\"thread0\",thread=\"0\"} 1234\n"));
	{
		char want[64];

		/* Content-Length matches the body exactly. */
		snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
		assert_non_null(strstr(resp, want));
	}
	free(resp);

	/* New counts show on the next scrape; a query string is ignored. */
	pe_ctr_add(&pe_stats_block(ctx.stats, 0)->c.rx_packets, 1);
	resp = http(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, "block=\"thread0\",thread=\"0\"} 1235\n"));
	free(resp);

	resp = http(port, "GET / HTTP/1.1\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 404 ", 13) == 0);
	free(resp);
	resp = http(port, "GET /metricsx HTTP/1.1\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 404 ", 13) == 0);
	free(resp);
	resp = http(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 405 ", 13) == 0);
	assert_non_null(strstr(resp, "\r\nAllow: GET\r\n")); /* RFC 9110: a 405 says what is */
	free(resp);
	ctx.fail = 1;
	resp = http(port, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 500 ", 13) == 0);
	free(resp);
	assert_int_equal(ctx.calls, 3);

	/* The port is taken while the server runs. */
	{
		char hp[32];

		snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
		errno = 0;
		assert_null(pe_prom_server_start(hp, render, &ctx));
		assert_int_equal(errno, EADDRINUSE);
	}
	pe_prom_server_stop(srv);
	pe_prom_server_stop(NULL);
	pe_stats_destroy(ctx.stats);
}

/* A scraper that trickles its request head one byte at a time (slowloris) must not hold the
 * one-connection-at-a-time endpoint: the server drops it, then serves the next scrape. The
 * bound (about 9 s of trickling) is far above the server's 2 s budget per connection, and a
 * server without an overall budget would read forever (each byte comes within its recv
 * timeout). */
static void test_prom_server_slowloris(void **state)
{
	struct render_ctx ctx = {.stats = pe_stats_create(1, NULL)};
	struct pe_prom_server *srv;
	const char *head = "GET /metrics HTTP/1.1\r\nX-Slow: ";
	int fd, closed = 0;
	char *resp;

	(void)state;
	assert_non_null(ctx.stats);
	srv = pe_prom_server_start("127.0.0.1:0", render, &ctx);
	assert_non_null(srv);
	fd = connect_loopback(pe_prom_server_port(srv));
	assert_int_equal(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
	for (int i = 0; i < 30 && !closed; i++) {
		char c;
		ssize_t n;

		usleep(300 * 1000);
		n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed = 1; /* the server hung up (no answer to an incomplete head) */
		else if (send(fd, "a", 1, MSG_NOSIGNAL) != 1)
			closed = 1;
	}
	close(fd);
	assert_true(closed);
	assert_int_equal(ctx.calls, 0);
	resp = http(pe_prom_server_port(srv), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
	free(resp);
	pe_prom_server_stop(srv);
	pe_stats_destroy(ctx.stats);
}

/* Hundreds of idle connections (connected, never sending) must not starve a scrape: the old
 * one-at-a-time endpoint gave each 2 s, so 200 of them held a scrape for 400 s; now the scrape
 * is served alongside them (the oldest idle ones are closed when the set is full). The http()
 * helper gives up after 5 s. */
static void test_prom_server_idle_conns(void **state)
{
	struct render_ctx ctx = {.stats = pe_stats_create(1, NULL)};
	struct pe_prom_server *srv;
	enum { IDLE = 200 };
	int fds[IDLE];
	char *resp;

	(void)state;
	assert_non_null(ctx.stats);
	srv = pe_prom_server_start("127.0.0.1:0", render, &ctx);
	assert_non_null(srv);
	for (int i = 0; i < IDLE; i++)
		fds[i] = connect_loopback(pe_prom_server_port(srv));
	for (int round = 0; round < 3; round++) {
		resp = http(pe_prom_server_port(srv), "GET /metrics HTTP/1.1\r\n\r\n");
		assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
		free(resp);
	}
	for (int i = 0; i < IDLE; i++)
		close(fds[i]);
	pe_prom_server_stop(srv);
	pe_stats_destroy(ctx.stats);
}

/* Out of file descriptors, the endpoint must not spin on its listening socket (the pending
 * connection keeps it readable while accept fails with EMFILE). A child runs the server, uses up
 * its fds, and measures its own CPU time over one second while the parent's connection waits:
 * a spinning thread burns most of that second, a pausing one almost nothing. */
static void test_prom_server_emfile_no_spin(void **state)
{
	int to_parent[2], to_child[2], status;
	unsigned port = 0;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(to_parent), 0);
	assert_int_equal(pipe(to_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct render_ctx ctx = {.stats = pe_stats_create(1, NULL)};
		struct pe_prom_server *srv = pe_prom_server_start("127.0.0.1:0", render, &ctx);
		struct rlimit rl = {64, 64};
		struct rusage r0, r1;
		double cpu;

		if (!srv || setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(3);
		port = pe_prom_server_port(srv);
		while (open("/dev/null", O_RDONLY) >= 0)
			;
		if (write(to_parent[1], &port, sizeof(port)) != sizeof(port) ||
		    read(to_child[0], &c, 1) != 1) /* the parent has connected */
			_exit(4);
		getrusage(RUSAGE_SELF, &r0);
		sleep(1);
		getrusage(RUSAGE_SELF, &r1);
		cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
		      (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
		      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
		      (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
		fprintf(stderr, "server CPU over 1 s out of fds: %.3f s\n", cpu);
		_exit(cpu < 0.3 ? 0 : 1); /* no stop: the process ends here */
	}
	assert_int_equal(read(to_parent[0], &port, sizeof(port)), sizeof(port));
	{
		int fd = connect_loopback(port);

		assert_int_equal(write(to_child[1], "c", 1), 1);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		close(fd);
	}
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static unsigned one_gauge(struct pe_report_gauge *g, unsigned max, void *arg)
{
	assert_true(max >= 1);
	g[0] = (struct pe_report_gauge){"conns_active", "Open TCP connections.", 5};
	return 1;
}

/* The ready-made render function behind a real endpoint: pktecho_info with the version, the
 * program's gauges, every drop reason from the start (0 until it occurs). */
static void test_prom_render_stats(void **state)
{
	struct pe_stats *st = pe_stats_create(2, NULL);
	struct pe_prom_source src = {st, {"pktecho", "n1", "epoll"}, one_gauge, NULL};
	struct pe_prom_server *srv;
	char *resp;

	(void)state;
	assert_non_null(st);
	pe_ctr_add(&pe_stats_block(st, 1)->c.drops[PE_DROP_LOOP], 9);
	srv = pe_prom_server_start("127.0.0.1:0", pe_prom_render_stats, &src);
	assert_non_null(srv);
	resp = http(pe_prom_server_port(srv), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(resp,
			       "pktecho_info{service=\"pktecho\",name=\"n1\","
			       "mode=\"epoll\",schema=\"1\",version=\"" PE_VERSION "\"} 1\n"));
	assert_non_null(strstr(resp, "# TYPE pktecho_conns_active gauge\n"
				     "pktecho_conns_active{service=\"pktecho\",name=\"n1\"} 5\n"));
	assert_non_null(strstr(resp, "pktecho_drops_total{service=\"pktecho\",name=\"n1\","
				     "block=\"block1\",reason=\"loop_refused\"} 9\n"));
	for (unsigned d = PE_DROP_NONE + 1; d < PE_DROP_MAX; d++) {
		char want[160];

		snprintf(want, sizeof(want), "block=\"block0\",reason=\"%s\"} 0\n",
			 pe_drop_name((enum pe_drop)d));
		assert_non_null(strstr(resp, want));
	}
	free(resp);
	pe_prom_server_stop(srv);
	assert_int_equal(pe_prom_render_stats(stdout, NULL), -EINVAL);
	pe_stats_destroy(st);
}

static void test_prom_server_bad_address(void **state)
{
	const char *bad[] = {"",
			     "127.0.0.1",
			     "127.0.0.1:",
			     "127.0.0.1:http",
			     "127.0.0.1:70000",
			     "[::1:9100",
			     "no.such.host.invalid:9100",
			     "1.2.3.4.5:80"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(pe_prom_server_start(bad[i], render, NULL));
		assert_int_not_equal(errno, 0);
	}
	errno = 0;
	assert_null(pe_prom_server_start("127.0.0.1:0", NULL, NULL));
	assert_int_equal(errno, EINVAL);
}

/* IPv6 loopback with the bracket form, when the host has IPv6. */
static void test_prom_server_v6(void **state)
{
	struct render_ctx ctx = {.stats = pe_stats_create(1, NULL)};
	struct pe_prom_server *srv = pe_prom_server_start("[::1]:0", render, &ctx);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	char buf[64] = "";
	int fd;

	(void)state;
	if (!srv) {
		pe_stats_destroy(ctx.stats);
		skip(); /* no IPv6 loopback here */
	}
	sa.sin6_port = htons((uint16_t)pe_prom_server_port(srv));
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(send(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, 0) == 25);
	assert_true(recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL) > 12);
	assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	close(fd);
	pe_prom_server_stop(srv);
	pe_stats_destroy(ctx.stats);
}

/* The reporting session: the summary counts from open, intervals rotate, extra fields keep their
 * first place when set again, the hook runs before every snapshot, and the limits hold. */
struct hook_log {
	int intervals, finals;
	struct pe_stats_block *blk;
};

static void session_hook(struct pe_report_session *rs, bool final, void *arg)
{
	struct hook_log *h = arg;

	if (final) {
		h->finals++;
		assert_int_equal(pe_report_set_u64(rs, "b", 3), 0);
		return;
	}
	h->intervals++;
	pe_stats_begin(h->blk);
	pe_ctr_add(&h->blk->c.rx_packets, 10);
	pe_stats_end(h->blk);
}

static void test_session(void **state)
{
	struct pe_stats *st = pe_stats_create(1, NULL);
	struct hook_log h = {0};
	char *buf = NULL, key[40], big[PE_REPORT_EXTRA_VAL_LEN + 1];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pe_report_session_cfg cfg = {
		.out = f,
		.fmt = PE_REPORT_JSON,
		.meta = {"pktecho", "n1", "epoll"},
		.interval_s = 1e-9,
		.before = session_hook,
		.arg = &h,
	};
	struct pe_report_session *rs;
	int rc;

	(void)state;
	assert_non_null(st);
	assert_non_null(f);
	h.blk = pe_stats_block(st, 0);
	pe_stats_begin(h.blk);
	pe_ctr_add(&h.blk->c.rx_packets, 5); /* before open: not in the summary */
	pe_stats_end(h.blk);
	rs = pe_report_open(&cfg, st);
	assert_non_null(rs);
	assert_int_equal(pe_report_set_u64(rs, "a", 1), 0);
	assert_int_equal(pe_report_set_str(rs, "b", "x\"y"), 0);
	for (int i = 0; (rc = pe_report_tick(rs)) == 0 && i < 1000000; i++)
		;
	assert_int_equal(rc, 1);
	assert_int_equal(h.intervals, 1);
	assert_int_equal(pe_report_finish(rs), 0);
	assert_int_equal(h.finals, 1);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "{\"type\":\"interval\""));
	const char *sum = strstr(buf, "{\"type\":\"summary\"");
	assert_non_null(sum);
	/* The first rx_packets of each object is its total. Interval: cumulative; summary: since
	 * open. */
	assert_memory_equal(strstr(buf, "\"rx_packets\":"), "\"rx_packets\":15,", 16);
	assert_memory_equal(strstr(sum, "\"rx_packets\":"), "\"rx_packets\":10,", 16);
	assert_non_null(strstr(buf, "\"a\":1,\"b\":\"x\\\"y\"}\n")); /* interval extras */
	assert_non_null(strstr(sum, "\"a\":1,\"b\":3}\n"));	     /* b replaced in place */
	free(buf);

	/* Limits: a value too long, too many keys, a key too long. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pe_report_set(rs, "c", big), -ENOSPC);
	for (int i = 2; i < PE_REPORT_EXTRA_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(pe_report_set_u64(rs, key, (uint64_t)i), 0);
	}
	assert_int_equal(pe_report_set_u64(rs, "one_too_many", 0), -ENOSPC);
	assert_int_equal(pe_report_set_u64(rs, "a", 7), 0); /* replacing still works */
	assert_int_equal(pe_report_set_u64(rs, "0123456789012345678901234567890123", 0), -EINVAL);
	pe_report_close(rs);

	/* Without interval reports: never due. */
	cfg.interval_s = 0;
	cfg.out = stdout;
	rs = pe_report_open(&cfg, st);
	assert_non_null(rs);
	assert_int_equal(pe_report_tick(rs), 0);
	assert_true(pe_report_wait_ns(rs) == UINT64_MAX);
	pe_report_close(rs);
	cfg.interval_s = -1;
	assert_null(pe_report_open(&cfg, st));
	assert_int_equal(errno, EINVAL);
	pe_stats_destroy(st);
}

/* Every counter of PE_COUNTERS reaches every output: JSON (its key), Prometheus (its metric, with
 * HELP) and the text summary (its label), each with its own value. */
static void test_every_counter_everywhere(void **state)
{
	struct pe_stats *st = pe_stats_create(1, NULL);
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	struct pe_stats_block *b;
	const struct pe_report_meta meta = {"pktecho", "n1", "epoll"};
	char *json = NULL, *prom = NULL, *text = NULL, want[160];
	size_t len = 0;

	(void)state;
	assert_non_null(st);
	assert_non_null(snap);
	b = pe_stats_block(st, 0);
	pe_stats_begin(b);
	for (unsigned i = 0; i < PE_COUNTERS_N; i++)
		pe_ctr_add((uint64_t *)(void *)((char *)&b->c + pe_counter_descs[i].offset),
			   1000 + i);
	pe_stats_end(b);
	assert_int_equal(pe_stats_snapshot(st, snap), 0);
	CAPTURE(json, len, pe_report_summary(out, PE_REPORT_JSON, &meta, NULL, snap, NULL));
	CAPTURE(prom, len, pe_report_prometheus(out, &meta, snap));
	CAPTURE(text, len, pe_report_summary(out, PE_REPORT_TEXT, &meta, NULL, snap, NULL));
	for (unsigned i = 0; i < PE_COUNTERS_N; i++) {
		const struct pe_counter_desc *d = &pe_counter_descs[i];

		/* The report order holds every counter once. */
		unsigned seen = 0;
		for (unsigned j = 0; j < PE_COUNTERS_N; j++)
			seen += pe_counter_report_order[j].name &&
				strcmp(pe_counter_report_order[j].name, d->name) == 0;
		assert_int_equal(seen, 1);
		snprintf(want, sizeof(want), "\"%s\":%u,", d->name, 1000 + i);
		assert_non_null(strstr(json, want));
		snprintf(want, sizeof(want), "# HELP pktecho_%s_total %s\n", d->name, d->help);
		assert_non_null(strstr(prom, want));
		snprintf(want, sizeof(want), "pktecho_%s_total{", d->name);
		assert_non_null(strstr(prom, want));
		snprintf(want, sizeof(want), "%s: ", d->text_label);
		const char *at = strstr(text, want);
		assert_non_null(at);
		assert_int_equal(strtoull(at + strlen(want), NULL, 10), 1000 + i);
	}
	free(json);
	free(prom);
	free(text);
	free(snap);
	pe_stats_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_parse),
		cmocka_unit_test(test_json_helpers),
		cmocka_unit_test(test_json_string_utf8),
		cmocka_unit_test(test_json_numbers_any_locale),
		cmocka_unit_test(test_prom_label_escapes),
		cmocka_unit_test(test_hist_json),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_prom_server),
		cmocka_unit_test(test_prom_server_slowloris),
		cmocka_unit_test(test_prom_server_idle_conns),
		cmocka_unit_test(test_prom_server_emfile_no_spin),
		cmocka_unit_test(test_prom_render_stats),
		cmocka_unit_test(test_prom_server_bad_address),
		cmocka_unit_test(test_prom_server_v6),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_every_counter_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
