/* SPDX-License-Identifier: MIT */
/* lib/load targets: "udp://HOST:PORT" and "tcp://HOST:PORT". */
#ifndef PE_LOAD_TARGET_H
#define PE_LOAD_TARGET_H

#include <stddef.h>
#include <sys/socket.h>

enum pe_load_proto {
	PE_LOAD_UDP = 0,
	PE_LOAD_TCP,
};

struct pe_load_target {
	enum pe_load_proto proto;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* "udp://HOST:PORT" or "tcp://HOST:PORT"; IPv6 in brackets ("udp://[2001:2::2]:7"). HOST is a
 * literal address or a name. 0, -EINVAL (syntax), -ENOENT (name does not resolve). */
int pe_load_target_parse(const char *text, struct pe_load_target *t);
/* "udp://198.18.0.2:7" form of t into buf. */
void pe_load_target_format(const struct pe_load_target *t, char *buf, size_t len);

#endif
