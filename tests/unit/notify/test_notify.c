/* SPDX-License-Identifier: MIT */
/* lib/notify through libsystemd to a NOTIFY_SOCKET this test owns: READY=1, STATUS= rates, and
 * WATCHDOG=1 only on ticks where every worker's heartbeat moved. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_notify.h"

static int sock = -1;
static char path[108];

/* Everything received so far, joined with '|'. */
static void drain(char *out, size_t len)
{
	char msg[512];
	ssize_t n;

	out[0] = '\0';
	while ((n = recv(sock, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
		msg[n] = '\0';
		strncat(out, msg, len - strlen(out) - 2);
		strcat(out, "|");
	}
}

static int setup(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(path, sizeof(path), "/tmp/pe-test-%d-notify.sock", (int)getpid());
	unlink(path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&a, sizeof(a)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	unsetenv("WATCHDOG_PID");
	return 0;
}

static int teardown(void **state)
{
	close(sock);
	unlink(path);
	return 0;
}

static void test_advanced(void **state)
{
	uint64_t prev[3] = {1, 2, 3}, a[3] = {2, 3, 4}, b[3] = {3, 3, 5};

	assert_true(pe_notify_heartbeats_advanced(prev, a, 3));
	assert_false(pe_notify_heartbeats_advanced(prev, b, 3)); /* the second did not move */
	assert_memory_equal(prev, b, sizeof(b));
	assert_false(pe_notify_heartbeats_advanced(prev, b, 0)); /* no workers: no proof */
}

static void test_protocol(void **state)
{
	struct pe_notify n;
	struct pe_stats *st = pe_stats_create(2, NULL);
	char got[4096];

	assert_non_null(st);
	assert_true(pe_notify_init(&n));
	assert_int_equal(n.wd_usec, 2000000);
	assert_int_equal(n.period_ns, 500000000ull); /* a quarter of the watchdog interval */
	pe_notify_ready(&n, "serving");
	drain(got, sizeof(got));
	assert_string_equal(got, "READY=1\nSTATUS=serving|");

	uint64_t hb1[2] = {10, 20}, hb2[2] = {11, 20}, hb3[2] = {12, 21};
	pe_notify_tick(&n, st, hb1, 2); /* first tick: no rates, no baseline for heartbeats */
	drain(got, sizeof(got));
	assert_string_equal(got, "");
	pe_ctr_add(&pe_stats_block(st, 0)->c.rx_packets, 1000);
	pe_notify_tick(&n, st, hb2, 2); /* worker 1 stalled: status, no watchdog */
	drain(got, sizeof(got));
	assert_non_null(strstr(got, "STATUS=rx "));
	assert_null(strstr(got, "WATCHDOG=1"));
	pe_notify_tick(&n, st, hb3, 2); /* both moved */
	drain(got, sizeof(got));
	assert_non_null(strstr(got, "WATCHDOG=1"));
	pe_notify_tick(&n, st, NULL, -1); /* a service that cannot tell: its own progress */
	drain(got, sizeof(got));
	assert_non_null(strstr(got, "WATCHDOG=1"));
	pe_notify_stopping(&n);
	drain(got, sizeof(got));
	assert_string_equal(got, "STOPPING=1\nSTATUS=stopping|");
	pe_notify_fini(&n);
	pe_stats_destroy(st);
}

/* Without $NOTIFY_SOCKET nothing is sent and nothing fails. */
static void test_disabled(void **state)
{
	struct pe_notify n;
	char got[256];

	unsetenv("NOTIFY_SOCKET");
	assert_false(pe_notify_init(&n));
	pe_notify_ready(&n, "x");
	pe_notify_tick(&n, NULL, NULL, -1);
	drain(got, sizeof(got));
	assert_string_equal(got, "");
	pe_notify_fini(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_advanced),
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
