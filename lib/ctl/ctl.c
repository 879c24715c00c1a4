/* SPDX-License-Identifier: MIT */
/* The control protocol: one request per message, "v1 REPLY-QUEUE COMMAND [ARGS]", printable
 * ASCII; one reply per request, "ok\n..." or "error\n...". Both sides validate everything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_ctl.h"
#include "pe_stats.h"

#define MAX_WORDS 6

int pe_ctl_queue_name(const char *name, char *buf, size_t len)
{
	if (!name || !pe_stats_name_valid(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "/pktecho-%s.ctl", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pe_ctl_cmd_parse(int argc, char *const argv[], struct pe_ctl_req *r, const char **why)
{
	*why = "expected status, reset-counters, stop, set reply-limit or set source-limit";
	if (argc < 1)
		return -EINVAL;
	if (strcmp(argv[0], "status") == 0)
		r->cmd = PE_CTL_STATUS;
	else if (strcmp(argv[0], "reset-counters") == 0)
		r->cmd = PE_CTL_RESET_COUNTERS;
	else if (strcmp(argv[0], "stop") == 0)
		r->cmd = PE_CTL_STOP;
	else if (strcmp(argv[0], "set") == 0) {
		*why = "expected set reply-limit|source-limit PPS[/BURST]|off";
		if (argc != 3)
			return -EINVAL;
		if (strcmp(argv[1], "reply-limit") == 0)
			r->cmd = PE_CTL_SET_REPLY_LIMIT;
		else if (strcmp(argv[1], "source-limit") == 0)
			r->cmd = PE_CTL_SET_SOURCE_LIMIT;
		else
			return -EINVAL;
		/* The same parser as the services' --reply-limit and --source-limit. */
		*why = r->cmd == PE_CTL_SET_REPLY_LIMIT
			       ? "reply-limit: expected PPS[/BURST] (1..100000000 each) or off"
			       : "source-limit: expected PPS[/BURST] (1..100000000 each) or off";
		return pe_rl_rate_parse(argv[2], &r->rate) < 0 ? -EINVAL : 0;
	} else
		return -EINVAL;
	*why = "this command takes no arguments";
	return argc == 1 ? 0 : -EINVAL;
}

int pe_ctl_req_format(const struct pe_ctl_req *r, char *buf, size_t len)
{
	static const char *const words[] = {"status", "reset-counters", "stop", "set reply-limit",
					    "set source-limit"};
	char rate[32];
	int n;

	if (r->cmd == PE_CTL_SET_REPLY_LIMIT || r->cmd == PE_CTL_SET_SOURCE_LIMIT)
		n = snprintf(buf, len, "v1 %s %s %s", r->reply, words[r->cmd],
			     pe_rl_rate_str(&r->rate, rate, sizeof(rate)));
	else
		n = snprintf(buf, len, "v1 %s %s", r->reply, words[r->cmd]);
	if (n < 0 || (size_t)n >= len || (size_t)n >= PE_CTL_MSG_MAX)
		return -ENAMETOOLONG;
	return n;
}

/* "/pktecho-NAME.ctl-reply-PID-SEQ" for this service's NAME, PID and SEQ decimal. */
static int reply_name_valid(const char *q, const char *name)
{
	char prefix[PE_CTL_QNAME_MAX];
	const char *p;
	size_t digits;

	if (pe_ctl_queue_name(name, prefix, sizeof(prefix)) < 0)
		return 0;
	if (strlen(q) >= PE_CTL_QNAME_MAX || strncmp(q, prefix, strlen(prefix)) != 0)
		return 0;
	p = q + strlen(prefix);
	if (strncmp(p, "-reply-", 7) != 0)
		return 0;
	p += 7;
	for (int part = 0; part < 2; part++) {
		digits = strspn(p, "0123456789");
		if (digits == 0 || digits > 10)
			return 0;
		p += digits;
		if (part == 0 && *p++ != '-')
			return 0;
	}
	return *p == '\0';
}

int pe_ctl_req_parse(const char *msg, size_t len, const char *name, struct pe_ctl_req *r,
		     const char **why)
{
	char text[PE_CTL_MSG_MAX + 1];
	char *word[MAX_WORDS];
	int n = 0;

	memset(r, 0, sizeof(*r));
	*why = "longer than a request";
	if (len == 0 || len > PE_CTL_MSG_MAX) {
		if (len == 0)
			*why = "empty";
		return -EINVAL;
	}
	*why = "not printable ASCII words separated by single spaces";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c > 0x7e ||
		    (c == ' ' && (i == 0 || i + 1 == len || msg[i - 1] == ' ')))
			return -EINVAL;
	}
	memcpy(text, msg, len);
	text[len] = '\0';
	for (char *save = NULL, *w = strtok_r(text, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (n == MAX_WORDS) {
			*why = "too many words";
			return -EINVAL;
		}
		word[n++] = w;
	}
	*why = "unknown protocol version (expected v1)";
	if (n < 3 || strcmp(word[0], "v1") != 0)
		return -EINVAL;
	*why = "reply queue is not /pktecho-NAME.ctl-reply-PID-SEQ of this service";
	if (!reply_name_valid(word[1], name))
		return -EINVAL;
	snprintf(r->reply, sizeof(r->reply), "%s", word[1]);
	return pe_ctl_cmd_parse(n - 2, &word[2], r, why);
}
