/* SPDX-License-Identifier: MIT */
/* lib/ctl: the request grammar, and a real service-side queue fed hostile messages directly with
 * mq_send: each is rejected and counted, never answered in a way that blocks, and the queue keeps
 * serving good requests afterwards. Queue names carry this test's pid. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pe_ctl.h"

static char name[32], qname[64];

struct fake {
	unsigned status, reset, stop;
};

static int f_status(void *arg, char *buf, size_t len)
{
	struct fake *f = arg;
	f->status++;
	return snprintf(buf, len, "state: fine\n");
}

static void f_reset(void *arg)
{
	((struct fake *)arg)->reset++;
}

static void f_stop(void *arg)
{
	((struct fake *)arg)->stop++;
}

static const struct pe_ctl_ops ops = {f_status, f_reset, f_stop};

static void test_cmd_parse(void **state)
{
	struct pe_ctl_req r;
	const char *why;
	char *ok1[] = {"status"}, *ok2[] = {"set", "reply-limit", "1000/64"};
	char *ok3[] = {"set", "source-limit", "5"}, *ok4[] = {"set", "reply-limit", "off"};
	char *bad[][3] = {
		{"status", "x", NULL},
		{"stat", NULL, NULL},
		{"set", "reply-limit", "0"},
		{"set", "reply-limit", "-1"},
		{"set", "reply-limit", "1/"},
		{"set", "reply-limit", "/5"},
		{"set", "limit", "5"},
		{"set", "reply-limit", "1000000001"},
		{"set", "reply-limit", " 5"},
		{"set", "reply-limit", "99999999999999999999999"},
		{"set", "reply-limit", "5k"},
		{"set", "reply-limit", "1/2/3"},
		{"set", "source-limit", "0"},
		{"set", "source-limit", "OFF"},
		{"set", "source-limit", NULL},
		{"set", "reply-limit", "off/5"},
		{"set", "source-limit", "100000001/1"},
	};

	assert_int_equal(pe_ctl_cmd_parse(1, ok1, &r, &why), 0);
	assert_int_equal(r.cmd, PE_CTL_STATUS);
	assert_int_equal(pe_ctl_cmd_parse(3, ok2, &r, &why), 0);
	assert_int_equal(r.cmd, PE_CTL_SET_REPLY_LIMIT);
	assert_int_equal(r.rate.pps, 1000);
	assert_int_equal(r.rate.burst, 64);
	assert_int_equal(pe_ctl_cmd_parse(3, ok3, &r, &why), 0);
	assert_int_equal(r.cmd, PE_CTL_SET_SOURCE_LIMIT);
	assert_int_equal(r.rate.pps, 5);
	assert_int_equal(r.rate.burst, 1); /* the services' default: pps / 10, at least 1 */
	assert_int_equal(pe_ctl_cmd_parse(3, ok4, &r, &why), 0);
	assert_int_equal(r.rate.pps, 0); /* off */
	assert_int_equal(pe_ctl_cmd_parse(0, ok1, &r, &why), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = bad[i][1] ? (bad[i][2] ? 3 : 2) : 1;
		assert_int_equal(pe_ctl_cmd_parse(n, bad[i], &r, &why), -EINVAL);
		assert_non_null(why);
	}
}

/* What the client formats, the service parses back, for every command. */
static void test_format_roundtrip(void **state)
{
	struct pe_ctl_req in = {0}, out;
	char msg[PE_CTL_MSG_MAX];
	const char *why;

	snprintf(in.reply, sizeof(in.reply), "%s-reply-123-4", qname);
	for (int c = PE_CTL_STATUS; c <= PE_CTL_SET_SOURCE_LIMIT + 1; c++) {
		/* The last round: set source-limit off. */
		in.cmd = c > PE_CTL_SET_SOURCE_LIMIT ? PE_CTL_SET_SOURCE_LIMIT : (enum pe_ctl_cmd)c;
		in.rate = c > PE_CTL_SET_SOURCE_LIMIT ? (struct pe_rl_rate){0, 0}
						      : (struct pe_rl_rate){7, 3};
		int n = pe_ctl_req_format(&in, msg, sizeof(msg));
		assert_true(n > 0);
		assert_int_equal(pe_ctl_req_parse(msg, (size_t)n, name, &out, &why), 0);
		assert_int_equal(out.cmd, in.cmd);
		assert_string_equal(out.reply, in.reply);
		if (in.cmd >= PE_CTL_SET_REPLY_LIMIT) {
			assert_int_equal(out.rate.pps, in.rate.pps);
			assert_int_equal(out.rate.burst, in.rate.burst);
		}
	}
}

static void test_req_parse_hostile(void **state)
{
	char reply[160], other[160], m[64][300];
	struct pe_ctl_req r;
	const char *why;
	int n = 0;

	snprintf(reply, sizeof(reply), "%s-reply-1-1", qname);
	snprintf(other, sizeof(other), "/pktecho-other.ctl-reply-1-1");
	snprintf(m[n++], 300, "v2 %s status", reply);
	snprintf(m[n++], 300, "v1 %s  status", reply);
	snprintf(m[n++], 300, " v1 %s status", reply);
	snprintf(m[n++], 300, "v1 %s status ", reply);
	snprintf(m[n++], 300, "v1 %s status\n", reply);
	snprintf(m[n++], 300, "v1 %s", reply);
	snprintf(m[n++], 300, "v1 %s status extra", reply);
	snprintf(m[n++], 300, "v1 %s a b c d e f g", reply);
	snprintf(m[n++], 300, "v1 %s stop now", reply);
	snprintf(m[n++], 300, "v1 %s status", other);
	snprintf(m[n++], 300, "v1 %s status", qname);
	snprintf(m[n++], 300, "v1 %s-reply-1 status", qname);
	snprintf(m[n++], 300, "v1 %s-reply-1-1/../x status", qname);
	snprintf(m[n++], 300, "v1 %s-reply-12345678901-1 status", qname);
	snprintf(m[n++], 300, "v1 /dev/shm/x status");
	snprintf(m[n++], 300, "v1 %s set reply-limit 0", reply);
	snprintf(m[n++], 300, "v1 %s set reply-limit", reply);
	for (int i = 0; i < n; i++) {
		int rc = pe_ctl_req_parse(m[i], strlen(m[i]), name, &r, &why);
		if (rc != -EINVAL)
			fail_msg("accepted: '%s'", m[i]);
	}
	/* Embedded NUL, high bytes, empty, one byte too long. */
	char nul[64];
	int len = snprintf(nul, sizeof(nul), "v1 %s status", reply);
	nul[2] = '\0';
	assert_int_equal(pe_ctl_req_parse(nul, (size_t)len, name, &r, &why), -EINVAL);
	nul[2] = ' ';
	nul[len - 1] = (char)0xe9;
	assert_int_equal(pe_ctl_req_parse(nul, (size_t)len, name, &r, &why), -EINVAL);
	assert_int_equal(pe_ctl_req_parse(nul, 0, name, &r, &why), -EINVAL);
	char big[PE_CTL_MSG_MAX + 1];
	memset(big, 'a', sizeof(big));
	assert_int_equal(pe_ctl_req_parse(big, sizeof(big), name, &r, &why), -EINVAL);
}

/* A client's reply queue, made by hand: maxmsg 1 of PE_CTL_REPLY_MAX. */
static mqd_t reply_queue(const char *q, long msgsize)
{
	struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = msgsize};
	mq_unlink(q);
	mqd_t rq = mq_open(q, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
	assert_true(rq != (mqd_t)-1);
	return rq;
}

static void send_raw(mqd_t q, const char *msg, size_t len)
{
	assert_int_equal(mq_send(q, msg, len, 0), 0);
}

static void test_service_queue(void **state)
{
	struct fake f = {0};
	struct pe_ctl_counts cnt;
	struct stat st;
	char rq_name[160], msg[300], got[PE_CTL_REPLY_MAX + 1];
	struct pe_ctl *c = pe_ctl_open(name, &ops, &f);

	assert_non_null(c);
	assert_int_equal(fstat(pe_ctl_fd(c), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	mqd_t q = mq_open(qname, O_WRONLY | O_NONBLOCK);
	assert_true(q != (mqd_t)-1);

	/* Good request: answered. */
	snprintf(rq_name, sizeof(rq_name), "%s-reply-%d-1", qname, (int)getpid());
	mqd_t rq = reply_queue(rq_name, PE_CTL_REPLY_MAX);
	int n = snprintf(msg, sizeof(msg), "v1 %s status", rq_name);
	send_raw(q, msg, (size_t)n);
	assert_int_equal(pe_ctl_poll(c), 1);
	ssize_t got_n = mq_receive(rq, got, sizeof(got), NULL);
	assert_true(got_n > 0);
	got[got_n] = '\0';
	assert_string_equal(got, "ok\nstate: fine\n");

	/* Hostile: garbage, a foreign reply queue name, a bad command to a valid reply queue. */
	send_raw(q, "\x01\x02\xff", 3);
	send_raw(q, "v1 /etc/passwd stop", 19);
	n = snprintf(msg, sizeof(msg), "v1 %s set reply-limit 0", rq_name);
	send_raw(q, msg, (size_t)n);
	assert_int_equal(pe_ctl_poll(c), 3);
	assert_int_equal(f.stop, 0);
	got_n = mq_receive(rq, got, sizeof(got), NULL);
	assert_true(got_n > 6);
	assert_memory_equal(got, "error\n", 6);
	pe_ctl_get_counts(c, &cnt);
	assert_int_equal(cnt.handled, 1);
	assert_int_equal(cnt.malformed, 3);

	/* Longer than a request: the kernel refuses it at the sender. */
	char big[PE_CTL_MSG_MAX + 1];
	memset(big, 'v', sizeof(big));
	assert_int_equal(mq_send(q, big, sizeof(big), 0), -1);
	assert_int_equal(errno, EMSGSIZE);

	/* A client that never reads: its reply queue is full; the service does not wait. */
	n = snprintf(msg, sizeof(msg), "v1 %s reset-counters", rq_name);
	send_raw(q, msg, (size_t)n);
	send_raw(q, msg, (size_t)n); /* the second reply finds the first unread */
	assert_int_equal(pe_ctl_poll(c), 2);
	assert_int_equal(f.reset, 2);
	pe_ctl_get_counts(c, &cnt);
	assert_int_equal(cnt.reply_failed, 1);

	/* A reply queue whose messages are too small for a reply: not written. */
	mq_receive(rq, got, sizeof(got), NULL);
	mq_close(rq);
	mq_unlink(rq_name);
	rq = reply_queue(rq_name, 4);
	n = snprintf(msg, sizeof(msg), "v1 %s status", rq_name);
	send_raw(q, msg, (size_t)n);
	assert_int_equal(pe_ctl_poll(c), 1);
	pe_ctl_get_counts(c, &cnt);
	assert_int_equal(cnt.reply_failed, 2);

	/* A reply queue of another user (root can make one): not written to. */
	if (geteuid() == 0) {
		assert_int_equal(fchown(rq, 65534, 65534), 0);
		send_raw(q, msg, (size_t)n);
		pe_ctl_poll(c);
		pe_ctl_get_counts(c, &cnt);
		assert_int_equal(cnt.reply_failed, 3);
	}
	mq_close(rq);
	mq_unlink(rq_name);

	/* A flood: the queue holds PE_CTL_DEPTH, the next send fails at once (O_NONBLOCK). */
	for (int i = 0; i < PE_CTL_DEPTH; i++)
		send_raw(q, "junk", 4);
	assert_int_equal(mq_send(q, "junk", 4, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(pe_ctl_poll(c), PE_CTL_DEPTH);
	assert_int_equal(pe_ctl_poll(c), 0);

	/* Still serving: stop is answered and reaches the service. */
	rq = reply_queue(rq_name, PE_CTL_REPLY_MAX);
	n = snprintf(msg, sizeof(msg), "v1 %s stop", rq_name);
	send_raw(q, msg, (size_t)n);
	assert_int_equal(pe_ctl_poll(c), 1);
	assert_int_equal(f.stop, 1);
	mq_close(rq);
	mq_unlink(rq_name);
	mq_close(q);
	pe_ctl_close(c);
	/* Closed: the name is gone. */
	assert_true(mq_open(qname, O_WRONLY) == (mqd_t)-1);
	assert_int_equal(errno, ENOENT);
}

/* A queue left at the name by a dead owner is replaced; another user's is refused. */
static void test_stale_and_foreign(void **state)
{
	struct fake f = {0};
	struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 16};
	mqd_t old = mq_open(qname, O_RDWR | O_CREAT | O_EXCL, 0600, &a);

	assert_true(old != (mqd_t)-1);
	struct pe_ctl *c = pe_ctl_open(name, &ops, &f);
	assert_non_null(c);
	pe_ctl_close(c);
	if (geteuid() == 0) {
		assert_int_equal(fchown(old, 65534, 65534), 0); /* the unlinked one: no effect */
		mq_close(old);
		old = mq_open(qname, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
		assert_true(old != (mqd_t)-1);
		assert_int_equal(fchown(old, 65534, 65534), 0);
		assert_null(pe_ctl_open(name, &ops, &f));
		assert_int_equal(errno, EACCES);
		mq_unlink(qname);
	}
	mq_close(old);
}

struct served {
	struct pe_ctl *c;
	volatile int done;
};

static void *serve(void *arg)
{
	struct served *s = arg;
	while (!s->done) {
		pe_ctl_poll(s->c);
		usleep(1000);
	}
	return NULL;
}

/* The client: ok and error answers, no service, a service that never answers. */
static void test_client(void **state)
{
	struct fake f = {0};
	struct served s = {pe_ctl_open(name, &ops, &f), 0};
	struct pe_rl_live limits;
	struct pe_rl_rate reply = {0, 0}, source = {10000, 1000}, got_r, got_s;
	struct pe_ctl_req r = {.cmd = PE_CTL_STATUS};
	char buf[PE_CTL_REPLY_MAX + 1];
	pthread_t t;

	assert_non_null(s.c);
	assert_int_equal(pthread_create(&t, NULL, serve, &s), 0);
	assert_int_equal(pe_ctl_call(name, &r, 5000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "state: fine\n");
	/* No limits given to the queue (an l2/l4 reflector): refused, saying why. */
	r = (struct pe_ctl_req){.cmd = PE_CTL_SET_REPLY_LIMIT, .rate = {10, 1}};
	assert_int_equal(pe_ctl_call(name, &r, 5000, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "no reply limits"));
	s.done = 1;
	pthread_join(t, NULL);
	/* With limits: each set publishes one new generation with that value only. */
	pe_rl_live_init(&limits, &reply, &source);
	pe_ctl_set_limits(s.c, &limits);
	s.done = 0;
	assert_int_equal(pthread_create(&t, NULL, serve, &s), 0);
	r = (struct pe_ctl_req){.cmd = PE_CTL_SET_SOURCE_LIMIT, .rate = {100, 10}};
	assert_int_equal(pe_ctl_call(name, &r, 5000, buf, sizeof(buf)), 0);
	r = (struct pe_ctl_req){.cmd = PE_CTL_SET_REPLY_LIMIT, .rate = {5000, 50}};
	assert_int_equal(pe_ctl_call(name, &r, 5000, buf, sizeof(buf)), 0);
	s.done = 1;
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&limits.gen), 2);
	pe_rl_live_get(&limits, &got_r, &got_s);
	assert_int_equal(got_r.pps, 5000);
	assert_int_equal(got_r.burst, 50);
	assert_int_equal(got_s.pps, 100);
	assert_int_equal(got_s.burst, 10);
	/* Nobody polls: the call times out and removes its reply queue. */
	r = (struct pe_ctl_req){.cmd = PE_CTL_STATUS};
	assert_int_equal(pe_ctl_call(name, &r, 100, buf, sizeof(buf)), -ETIMEDOUT);
	assert_true(mq_open(r.reply, O_RDONLY) == (mqd_t)-1);
	assert_int_equal(errno, ENOENT);
	pe_ctl_close(s.c);
	assert_int_equal(pe_ctl_call(name, &r, 100, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pe_ctl_call("../etc", &r, 100, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_parse),	  cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_req_parse_hostile), cmocka_unit_test(test_service_queue),
		cmocka_unit_test(test_stale_and_foreign), cmocka_unit_test(test_client),
	};
	snprintf(name, sizeof(name), "pe-test-%d-ctl", (int)getpid());
	snprintf(qname, sizeof(qname), "/pktecho-%s.ctl", name);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
