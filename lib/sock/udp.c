/* SPDX-License-Identifier: MIT */
/* UDP echo core: recvmmsg into a batch, the packet core's policy per datagram, replies compacted
 * into one sendmmsg that leaves from the address the request came to. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pe_sock.h"
#include "sock_priv.h"

/* One reply message: datagrams of one batch to one peer from one local address, all of
 * seg_size bytes, sent with one UDP_SEGMENT send when there are several (the kernel cuts them
 * apart again: each datagram is still an exact echo). */
struct grp {
	uint16_t first; /* request message whose peer and destination it answers */
	uint16_t count; /* datagrams */
	uint16_t n_iov;
	uint16_t iov_off;
	uint32_t seg_size, bytes;
	uint32_t gro_off; /* a slice of one coalesced (GRO) message: its offset; else UINT32_MAX */
};

struct pe_udp_batch {
	unsigned vlen;
	size_t buf_size;
	char *bufs;
	uint32_t gso_ceiling; /* GSO only for datagrams below this size (lowered on refusal) */
	unsigned n_grp;
	/* A coalesced message makes at most two reply groups (full-size datagrams, a shorter
	 * last one); each plain datagram at most one. */
	struct mmsghdr in[PE_UDP_MAX_VLEN], out[2 * PE_UDP_MAX_VLEN];
	struct iovec iov_in[PE_UDP_MAX_VLEN], iov_out[2 * PE_UDP_MAX_VLEN];
	struct sockaddr_storage src[PE_UDP_MAX_VLEN];
	int16_t gid[PE_UDP_MAX_VLEN]; /* group of each request: -1 dropped, -2 coalesced */
	struct grp grp[2 * PE_UDP_MAX_VLEN];
	struct {
		_Alignas(size_t) char buf[CTRL_LEN]; /* cmsghdr alignment */
	} ctrl_in[PE_UDP_MAX_VLEN], ctrl_out[2 * PE_UDP_MAX_VLEN];
	bool rl_ready;	 /* rl set up from the first call's cfg */
	struct pe_rl rl; /* this loop thread's share of the reply limits */
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
	b->gso_ceiling = UINT32_MAX;
	for (unsigned i = 0; i < vlen; i++) {
		b->iov_in[i] = (struct iovec){b->bufs + i * buf_size, buf_size};
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
	/* The packet core's loop test (a reflecting service's port, one of our own echo ports, port
	 * 0), and our socket's own port. */
	if (pe_pkt_udp_sport_loops(cfg, sport) || (local_port && sport == local_port))
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

static const struct cmsghdr *find_cmsg(const struct msghdr *h, int level, int type)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c))
		if (c->cmsg_level == level && c->cmsg_type == type)
			return c;
	return NULL;
}

/* Size of each datagram a coalesced (UDP_GRO) message holds, or 0 for a plain datagram. */
static uint32_t gro_size(const struct msghdr *h, uint32_t len)
{
	const struct cmsghdr *c = h->msg_controllen ? find_cmsg(h, SOL_UDP, UDP_GRO) : NULL;
	int gso = 0;
	if (c)
		memcpy(&gso, CMSG_DATA(c), sizeof(gso));
	return gso > 0 && (uint32_t)gso < len ? (uint32_t)gso : 0;
}

/* The same local destination (IP_PKTINFO / IPV6_PKTINFO, when the socket asks for it). */
static bool same_dst(const struct msghdr *a, const struct msghdr *b)
{
	if (!a->msg_controllen && !b->msg_controllen)
		return true;
	const struct cmsghdr *ca = find_cmsg(a, IPPROTO_IP, IP_PKTINFO),
			     *cb = find_cmsg(b, IPPROTO_IP, IP_PKTINFO);
	if (!ca && !cb) {
		ca = find_cmsg(a, IPPROTO_IPV6, IPV6_PKTINFO);
		cb = find_cmsg(b, IPPROTO_IPV6, IPV6_PKTINFO);
	}
	if (!ca || !cb)
		return !ca && !cb;
	return ca->cmsg_len == cb->cmsg_len &&
	       memcmp(CMSG_DATA(ca), CMSG_DATA(cb), ca->cmsg_len - CMSG_LEN(0)) == 0;
}

static bool same_peer(const struct msghdr *a, const struct msghdr *b)
{
	return a->msg_namelen == b->msg_namelen &&
	       memcmp(a->msg_name, b->msg_name, a->msg_namelen) == 0;
}

#define GSO_MAX_SEGS   64    /* UDP_MAX_SEGMENTS */
#define GSO_MAX_BYTES  65507 /* one IPv4 datagram's payload: the GSO packet must fit in one */
#define GROUP_LOOKBACK 8     /* open groups a datagram may join (flows interleaved in a batch) */

static unsigned new_group(struct pe_udp_batch *b, unsigned i, uint32_t size, uint32_t gro_off)
{
	unsigned g = b->n_grp++;
	b->grp[g] = (struct grp){.first = (uint16_t)i, .seg_size = size, .gro_off = gro_off};
	return g;
}

/* The group a plain datagram of message i joins: an open one of the same peer, destination and
 * size with room left, else a new one. */
static void group_plain(struct pe_udp_batch *b, unsigned i, uint32_t len)
{
	const struct msghdr *h = &b->in[i].msg_hdr;
	unsigned g = b->n_grp;
	if (len > 0 && len < b->gso_ceiling)
		for (unsigned k = b->n_grp; k-- > 0 && b->n_grp - k <= GROUP_LOOKBACK;) {
			struct grp *o = &b->grp[k];
			const struct msghdr *oh = &b->in[o->first].msg_hdr;
			if (o->gro_off == UINT32_MAX && o->seg_size == len &&
			    o->count < GSO_MAX_SEGS && o->bytes + len <= GSO_MAX_BYTES &&
			    same_peer(h, oh) && same_dst(h, oh)) {
				g = k;
				break;
			}
		}
	if (g == b->n_grp)
		g = new_group(b, i, len, UINT32_MAX);
	b->grp[g].count++;
	b->grp[g].n_iov++;
	b->grp[g].bytes += len;
	b->gid[i] = (int16_t)g;
}

/* A coalesced message: its full-size datagrams in one group (one slice), a shorter last one in
 * its own. */
static void group_gro(struct pe_udp_batch *b, unsigned i, uint32_t len, uint32_t seg)
{
	uint32_t k = (len + seg - 1) / seg, last = len - (k - 1) * seg;
	uint32_t full = last == seg ? k : k - 1;
	unsigned g = new_group(b, i, seg, 0);
	b->grp[g].count = (uint16_t)full;
	b->grp[g].n_iov = 1;
	b->grp[g].bytes = full * seg;
	if (full < k) {
		g = new_group(b, i, last, full * seg);
		b->grp[g].count = 1;
		b->grp[g].n_iov = 1;
		b->grp[g].bytes = last;
	}
	b->gid[i] = -2; /* its groups are laid out already */
}

/* Lay out the groups' iovecs contiguously and build one reply message per group. */
static void build_replies(struct pe_udp_batch *b, unsigned n)
{
	unsigned off = 0;
	for (unsigned g = 0; g < b->n_grp; g++) {
		struct grp *o = &b->grp[g];
		o->iov_off = (uint16_t)off;
		if (o->gro_off != UINT32_MAX)
			b->iov_out[off] = (struct iovec){
				(char *)b->iov_in[o->first].iov_base + o->gro_off, o->bytes};
		off += o->n_iov;
		o->n_iov = o->gro_off != UINT32_MAX;
	}
	for (unsigned i = 0; i < n; i++)
		if (b->gid[i] >= 0) {
			struct grp *o = &b->grp[b->gid[i]];
			b->iov_out[o->iov_off + o->n_iov++] =
				(struct iovec){b->iov_in[i].iov_base, b->in[i].msg_len};
		}
	for (unsigned g = 0; g < b->n_grp; g++) {
		const struct grp *o = &b->grp[g];
		const struct msghdr *h = &b->in[o->first].msg_hdr;
		struct msghdr *out = &b->out[g].msg_hdr;
		*out = (struct msghdr){.msg_name = h->msg_name,
				       .msg_namelen = h->msg_namelen,
				       .msg_iov = &b->iov_out[o->iov_off],
				       .msg_iovlen = o->n_iov};
		char *buf = b->ctrl_out[g].buf;
		if (h->msg_controllen)
			sock_udp_reply_ctrl(h, out, buf);
		if (o->count > 1) {
			struct cmsghdr *c = (struct cmsghdr *)(buf + out->msg_controllen);
			uint16_t seg = (uint16_t)o->seg_size;
			*c = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(seg)),
					      .cmsg_level = SOL_UDP,
					      .cmsg_type = UDP_SEGMENT};
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			out->msg_control = buf;
			out->msg_controllen += CMSG_SPACE(sizeof(seg));
		}
	}
}

/* A group the kernel would not segment (no UDP GSO, or a size above the path's MTU): its
 * datagrams one by one, and no more GSO at this size or above. Returns datagrams sent. */
static unsigned send_unsegmented(struct pe_udp_batch *b, int fd, unsigned g, int flags,
				 uint64_t *tx_bytes)
{
	const struct grp *o = &b->grp[g];
	struct msghdr one = b->out[g].msg_hdr;
	unsigned sent = 0;
	if (o->seg_size < b->gso_ceiling)
		b->gso_ceiling = o->seg_size;
	one.msg_controllen = o->count > 1 ? one.msg_controllen - CMSG_SPACE(sizeof(uint16_t)) : 0;
	if (!one.msg_controllen)
		one.msg_control = NULL;
	one.msg_iovlen = 1;
	for (unsigned k = 0; k < o->count; k++) {
		struct iovec v =
			o->gro_off != UINT32_MAX
				? (struct iovec){(char *)b->out[g].msg_hdr.msg_iov[0].iov_base +
							 k * o->seg_size,
						 o->seg_size}
				: b->out[g].msg_hdr.msg_iov[k];
		one.msg_iov = &v;
		ssize_t r = sendmsg(fd, &one, flags);
		if (r < 0)
			break;
		*tx_bytes += (uint64_t)r;
		sent++;
	}
	return sent;
}

/* sendmmsg of the groups until all went; EAGAIN/ENOBUFS drops the rest (bounded, never a busy
 * loop); a GSO send the kernel refuses goes out unsegmented; any other error drops the one
 * group it names. Returns datagrams sent; *tx_full counts the datagrams dropped. */
static unsigned send_replies(struct pe_udp_batch *b, int fd, int flags, uint64_t *tx_bytes,
			     uint64_t *tx_full)
{
	unsigned g = 0, m = b->n_grp, sent = 0;
	while (g < m) {
		int r = sendmmsg(fd, b->out + g, m - g, flags);
		if (r > 0) {
			for (unsigned k = g; k < g + (unsigned)r; k++) {
				*tx_bytes += b->out[k].msg_len;
				sent += b->grp[k].count;
			}
			g += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			for (; g < m; g++)
				*tx_full += b->grp[g].count;
			break;
		}
		unsigned ok = b->grp[g].count > 1 ? send_unsegmented(b, fd, g, flags, tx_bytes) : 0;
		sent += ok;
		*tx_full += b->grp[g].count - ok;
		g++;
	}
	return sent;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rl_key(const struct sockaddr *src)
{
	if (src->sa_family == AF_INET)
		return pe_rl_key4(((const struct sockaddr_in *)(const void *)src)->sin_addr.s_addr);
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)src)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		uint32_t a;
		memcpy(&a, &a6->s6_addr[12], 4);
		return pe_rl_key4(a);
	}
	return pe_rl_key6(a6->s6_addr);
}

void sock_rl_init(struct pe_rl *rl, const struct pe_pkt_cfg *cfg)
{
	pe_rl_init(rl, &cfg->reply_limit, &cfg->source_limit, cfg->limit_shares, 1000000000u);
}

bool sock_rl_allow(struct pe_rl *rl, const struct sockaddr *src, uint32_t dgrams)
{
	if (!pe_rl_enabled(rl))
		return true;
	uint64_t key = rl_key(src), now = now_ns();
	for (uint32_t k = 0; k < dgrams; k++)
		if (!pe_rl_allow(rl, key, now))
			return false;
	return true;
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

	uint64_t rx_pkts = 0, rx_bytes = 0, tx_bytes = 0, drops[PE_DROP_MAX] = {0};
	b->n_grp = 0;
	if (!b->rl_ready) {
		sock_rl_init(&b->rl, cfg);
		b->rl_ready = true;
	}
	pe_rl_follow(&b->rl, cfg->live); /* limits changed at run time: once per batch */
	for (unsigned i = 0; i < (unsigned)n; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;
		uint32_t len = b->in[i].msg_len, seg = gro_size(h, len);
		uint32_t dgrams = seg ? (len + seg - 1) / seg : 1;
		rx_pkts += dgrams;
		rx_bytes += len;
		b->gid[i] = -1;
		enum pe_drop d = pe_sock_udp_policy(cfg, (struct sockaddr *)h->msg_name, h,
						    h->msg_flags, local_port);
		if (d == PE_DROP_NONE && !sock_rl_allow(&b->rl, h->msg_name, dgrams))
			d = PE_DROP_RATE_LIMIT;
		if (d != PE_DROP_NONE)
			drops[d] += d == PE_DROP_TRUNCATED ? 1 : dgrams;
		else if (seg)
			group_gro(b, i, len, seg);
		else
			group_plain(b, i, len);
	}
	build_replies(b, (unsigned)n);
	unsigned sent = b->n_grp ? send_replies(b, fd, recv_flags & MSG_DONTWAIT, &tx_bytes,
						&drops[PE_DROP_TX_FULL])
				 : 0;

	/* The batch's counts, once. */
	pe_stats_begin(st);
	pe_ctr_add(&st->c.rx_packets, rx_pkts);
	pe_ctr_add(&st->c.rx_bytes, rx_bytes);
	pe_ctr_add(&st->c.bytes_copied, rx_bytes);
	pe_ctr_add(&st->c.tx_packets, sent);
	pe_ctr_add(&st->c.tx_bytes, tx_bytes);
	for (unsigned d = 1; d < PE_DROP_MAX && rx_pkts > sent; d++)
		if (drops[d])
			pe_ctr_add(&st->c.drops[d], drops[d]);
	pe_stats_end(st);
	return n;
}

int pe_sock_udp_gro_on(int fd)
{
	int on = 1;
	return setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) < 0 ? -errno : 0;
}
