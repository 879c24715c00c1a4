/* SPDX-License-Identifier: MIT */
/* TARGET parsing: udp://HOST:PORT, tcp://HOST:PORT, IPv6 literals in brackets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_load_target.h"

static int target_scheme(const char **text, enum pe_load_proto *proto)
{
	if (strncmp(*text, "udp://", 6) == 0)
		*proto = PE_LOAD_UDP;
	else if (strncmp(*text, "tcp://", 6) == 0)
		*proto = PE_LOAD_TCP;
	else
		return -EINVAL;
	*text += 6;
	return 0;
}

/* Split "HOST:PORT" or "[V6]:PORT" into host (copied to buf) and port. */
static int target_split(const char *s, char *host, size_t host_len, unsigned long *port)
{
	const char *colon, *h = s;
	size_t n;
	char *end;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* no port, or an unbracketed IPv6 address */
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= host_len)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	*port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || *port == 0 || *port > 65535 || colon[1] == '-' ||
	    colon[1] == '+')
		return -EINVAL;
	return 0;
}

int pe_load_target_parse(const char *text, struct pe_load_target *t)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256], port_text[8];
	unsigned long port;
	int rc;

	if (!text || target_scheme(&text, &t->proto) < 0)
		return -EINVAL;
	rc = target_split(text, host, sizeof(host), &port);
	if (rc < 0)
		return rc;
	hints.ai_socktype = t->proto == PE_LOAD_UDP ? SOCK_DGRAM : SOCK_STREAM;
	snprintf(port_text, sizeof(port_text), "%lu", port);
	if (getaddrinfo(host, port_text, &hints, &res) != 0 || !res)
		return -ENOENT;
	memset(&t->addr, 0, sizeof(t->addr));
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void pe_load_target_format(const struct pe_load_target *t, char *buf, size_t len)
{
	const char *scheme = t->proto == PE_LOAD_UDP ? "udp" : "tcp";
	char host[INET6_ADDRSTRLEN] = "?";

	if (t->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->addr;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "%s://[%s]:%u", scheme, host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&t->addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s://%s:%u", scheme, host, ntohs(a->sin_port));
	}
}
