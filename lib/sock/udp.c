/* SPDX-License-Identifier: MIT */
/* UDP echo core: recvmmsg into a batch, the packet core's policy per datagram, replies compacted
 * into one sendmmsg that leaves from the address the request came to. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pe_sock.h"
#include "sock_priv.h"

struct pe_udp_batch {
	unsigned vlen;
	size_t buf_size;
	char *bufs;
	struct mmsghdr in[PE_UDP_MAX_VLEN], out[PE_UDP_MAX_VLEN];
	struct iovec iov_in[PE_UDP_MAX_VLEN], iov_out[PE_UDP_MAX_VLEN];
	struct sockaddr_storage src[PE_UDP_MAX_VLEN];
	struct {
		_Alignas(size_t) char buf[CTRL_LEN]; /* cmsghdr alignment */
	} ctrl_in[PE_UDP_MAX_VLEN], ctrl_out[PE_UDP_MAX_VLEN];
};

struct pe_udp_batch *pe_udp_batch_create(unsigned vlen, size_t buf_size)
{
	if (vlen == 0 || vlen > PE_UDP_MAX_VLEN || buf_size == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct pe_udp_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->bufs = malloc(vlen * buf_size);
	if (!b->bufs) {
		free(b);
		return NULL;
	}
	b->vlen = vlen;
	b->buf_size = buf_size;
	for (unsigned i = 0; i < vlen; i++) {
		b->iov_in[i] = (struct iovec){b->bufs + i * buf_size, buf_size};
		b->out[i].msg_hdr.msg_iov = &b->iov_out[i];
		b->out[i].msg_hdr.msg_iovlen = 1;
	}
	return b;
}

void pe_udp_batch_destroy(struct pe_udp_batch *b)
{
	if (!b)
		return;
	free(b->bufs);
	free(b);
}

int pe_udp_enable_pktinfo(int fd, int family)
{
	int on = 1;
	int rc = family == AF_INET6
			 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))
			 : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	return rc < 0 ? -errno : 0;
}

static bool ip4_loopback(uint32_t addr_net)
{
	return (ntohl(addr_net) >> 24) == 127;
}

static bool src_ok(const struct pe_pkt_cfg *cfg, const struct sockaddr *src)
{
	if (src->sa_family == AF_INET) {
		uint32_t a = ((const struct sockaddr_in *)(const void *)src)->sin_addr.s_addr;
		return ip4_loopback(a) || pe_pkt_ip4_src_ok(cfg, a);
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)src)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) { /* re-apply the IPv4 rules, as OpenBSD inetd does */
		uint32_t a;
		memcpy(&a, &a6->s6_addr[12], 4);
		return ip4_loopback(a) || pe_pkt_ip4_src_ok(cfg, a);
	}
	return IN6_IS_ADDR_LOOPBACK(a6) || pe_pkt_ip6_src_ok(cfg, a6->s6_addr);
}

static uint16_t src_port(const struct sockaddr *src)
{
	if (src->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)src)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)src)->sin6_port);
}

/* The header's destination from IP_PKTINFO: a multicast or broadcast destination means the
 * kernel chose a different local address (ipi_spec_dst) than the one the packet was sent to. */
static bool dst_bcast_mcast(const struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			uint32_t dst = ntohl(pi.ipi_addr.s_addr);
			if ((dst >> 28) == 0xe || dst == 0xffffffffu)
				return true;
			return pi.ipi_addr.s_addr != pi.ipi_spec_dst.s_addr;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr);
		}
	}
	return false;
}

enum pe_drop pe_sock_udp_policy(const struct pe_pkt_cfg *cfg, const struct sockaddr *src,
				const struct msghdr *msg, int flags, uint16_t local_port)
{
	if (flags & MSG_TRUNC)
		return PE_DROP_TRUNCATED;
	if (src->sa_family != AF_INET && src->sa_family != AF_INET6)
		return PE_DROP_BAD_SRC_IP;
	if (msg && dst_bcast_mcast(msg))
		return PE_DROP_DST_MULTICAST;
	uint16_t sport = src_port(src);
	if (pe_pkt_port_in(cfg->loop_ports, sport) || (local_port && sport == local_port))
		return PE_DROP_LOOP;
	if (!src_ok(cfg, src))
		return PE_DROP_BAD_SRC_IP;
	return PE_DROP_NONE;
}

void sock_udp_reply_ctrl(const struct msghdr *in, struct msghdr *out, void *buf)
{
	out->msg_control = NULL;
	out->msg_controllen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		struct cmsghdr *o = buf;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			*o = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(pi)),
					      .cmsg_level = IPPROTO_IP,
					      .cmsg_type = IP_PKTINFO};
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			out->msg_control = buf;
			out->msg_controllen = CMSG_SPACE(sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			*o = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo)),
					      .cmsg_level = IPPROTO_IPV6,
					      .cmsg_type = IPV6_PKTINFO};
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			out->msg_control = buf;
			out->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
			return;
		}
	}
}

/* sendmmsg until all went; EAGAIN/ENOBUFS drops the rest (bounded, never a busy loop), any other
 * error drops the one datagram it names. Returns datagrams sent. */
static unsigned send_replies(struct pe_udp_batch *b, int fd, unsigned m, int flags,
			     uint64_t *tx_bytes, uint64_t *tx_full)
{
	unsigned sent = 0;
	while (sent < m) {
		int r = sendmmsg(fd, b->out + sent, m - sent, flags);
		if (r > 0) {
			for (unsigned i = sent; i < sent + (unsigned)r; i++)
				*tx_bytes += b->out[i].msg_len;
			sent += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			*tx_full += m - sent;
			break;
		}
		*tx_full += 1;
		b->out[sent].msg_len = 0;
		memmove(b->out + sent, b->out + sent + 1, (m - sent - 1) * sizeof(b->out[0]));
		m--;
	}
	return sent;
}

int pe_sock_udp_echo(struct pe_udp_batch *b, int fd, uint16_t local_port, int recv_flags,
		     const struct pe_pkt_cfg *cfg, struct pe_stats_block *st)
{
	for (unsigned i = 0; i < b->vlen; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;
		*h = (struct msghdr){.msg_name = &b->src[i],
				     .msg_namelen = sizeof(b->src[i]),
				     .msg_iov = &b->iov_in[i],
				     .msg_iovlen = 1,
				     .msg_control = b->ctrl_in[i].buf,
				     .msg_controllen = CTRL_LEN};
	}
	int n;
	do
		n = recvmmsg(fd, b->in, b->vlen, recv_flags, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	uint64_t rx_bytes = 0, tx_bytes = 0, drops[PE_DROP_MAX] = {0};
	unsigned m = 0;
	for (unsigned i = 0; i < (unsigned)n; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;
		rx_bytes += b->in[i].msg_len;
		enum pe_drop d = pe_sock_udp_policy(cfg, (struct sockaddr *)h->msg_name, h,
						    h->msg_flags, local_port);
		if (d != PE_DROP_NONE) {
			drops[d]++;
			continue;
		}
		struct msghdr *o = &b->out[m].msg_hdr;
		o->msg_name = h->msg_name;
		o->msg_namelen = h->msg_namelen;
		b->iov_out[m] = (struct iovec){b->iov_in[i].iov_base, b->in[i].msg_len};
		sock_udp_reply_ctrl(h, o, b->ctrl_out[m].buf);
		m++;
	}
	unsigned sent = m ? send_replies(b, fd, m, recv_flags & MSG_DONTWAIT, &tx_bytes,
					 &drops[PE_DROP_TX_FULL])
			  : 0;

	pe_stats_begin(st);
	pe_ctr_add(&st->c.rx_packets, (uint64_t)n);
	pe_ctr_add(&st->c.rx_bytes, rx_bytes);
	pe_ctr_add(&st->c.bytes_copied, rx_bytes);
	pe_ctr_add(&st->c.tx_packets, sent);
	pe_ctr_add(&st->c.tx_bytes, tx_bytes);
	for (unsigned d = 1; d < PE_DROP_MAX && (unsigned)n > sent; d++)
		if (drops[d])
			pe_ctr_add(&st->c.drops[d], drops[d]);
	pe_stats_end(st);
	return n;
}
