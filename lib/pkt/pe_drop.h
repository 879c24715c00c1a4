/* SPDX-License-Identifier: MIT */
/* Drop reasons: one enum shared by the packet core, the DPDK and socket services, the counters
 * and every report. The names are stable: reports, dashboards and tests key on them. Append new
 * reasons before PE_DROP_MAX; never renumber or rename. */
#ifndef PE_DROP_H
#define PE_DROP_H

/* X(ENUM_SUFFIX, "stable_name", "one-line description") */
#define PE_DROP_REASONS(X)                                                                         \
	X(NONE, "none", "not dropped: the frame became its reply")                                 \
	X(RUNT, "runt", "frame shorter than the headers it announces")                             \
	X(BAD_SRC_MAC, "bad_src_mac", "source MAC is group, zero or our own")                      \
	X(NOT_OUR_MAC, "not_our_mac", "destination MAC is another host's unicast address")         \
	X(VLAN_DEPTH, "vlan_too_deep", "more than two VLAN tags")                                  \
	X(ETHERTYPE, "unsupported_ethertype",                                                      \
	  "802.3 length field or an EtherType we do not serve")                                    \
	X(ARP_MALFORMED, "arp_malformed", "ARP not Ethernet/IPv4 (htype, ptype, hlen, plen)")      \
	X(ARP_NOT_REQUEST, "arp_not_request", "ARP reply, gratuitous ARP or unknown opcode")       \
	X(ARP_NOT_OURS, "arp_not_ours", "ARP request for an address that is not ours")             \
	X(IP_VERSION, "ip_bad_version", "IP version field does not match the EtherType")           \
	X(IP_HDR_LEN, "ip_bad_ihl", "IPv4 IHL below 5 or beyond the frame")                        \
	X(IP_LEN, "ip_bad_length", "IP total/payload length inconsistent with the frame")          \
	X(IP_CSUM, "ip_bad_checksum", "IPv4 header checksum wrong")                                \
	X(IP_FRAG, "ip_fragment", "IPv4 fragment or IPv6 Fragment header")                         \
	X(IP_OPTIONS, "ip_bad_options", "IPv4 source-route options or malformed options")          \
	X(BAD_SRC_IP, "bad_src_ip", "source address not a valid unicast host (or our own)")        \
	X(NOT_OUR_IP, "not_our_ip", "destination address is not one of ours")                      \
	X(DST_MULTICAST, "dst_bcast_mcast", "echo sent to a broadcast or multicast address")       \
	X(IPV6_EXT, "ipv6_ext_header", "IPv6 extension headers over budget or unsupported")        \
	X(PROTO, "unsupported_protocol", "L4 protocol not served in this mode")                    \
	X(ICMP_CSUM, "icmp_bad_checksum", "ICMP or ICMPv6 checksum wrong")                         \
	X(ICMP_TYPE, "icmp_not_echo_request", "ICMP type/code other than echo request")            \
	X(NDP_INVALID, "ndp_invalid", "NDP message failing RFC 4861 validation")                   \
	X(NDP_NOT_OURS, "ndp_not_ours", "neighbour solicitation for a target that is not ours")    \
	X(UDP_LEN, "udp_bad_length", "UDP length below 8 or beyond the IP payload")                \
	X(UDP_CSUM, "udp_bad_checksum", "UDP checksum wrong (or zero over IPv6)")                  \
	X(UDP_PORT, "udp_port_closed", "UDP destination port is not an echo port")                 \
	X(LOOP, "loop_refused", "UDP from a reflecting service's port (echo/chargen loop guard)")  \
	X(TCP_LEN, "tcp_bad_length", "TCP data offset below 5 or beyond the segment")              \
	X(TX_FULL, "tx_full", "transmit queue full: the reply was freed")                          \
	X(MULTISEG, "multi_segment", "chained mbuf: the echo works on one segment only")           \
	X(TRUNCATED, "truncated", "datagram larger than the receive buffer (MSG_TRUNC)")           \
	X(RATE_LIMIT, "rate_limited", "over the configured reply rate")                            \
	X(IP_OPT_RR, "ip_bad_record_route", "IPv4 Record Route: bad length or pointer, or twice")  \
	X(IP_OPT_TS, "ip_bad_timestamp",                                                           \
	  "IPv4 Timestamp: bad length, pointer or flag, twice, or its overflow count full")        \
	X(TAILROOM, "no_tailroom",                                                                 \
	  "reply longer than its request (an NA) without room in the buffer")

enum pe_drop {
#define PE_DROP_ENUM_(sym, name, desc) PE_DROP_##sym,
	PE_DROP_REASONS(PE_DROP_ENUM_)
#undef PE_DROP_ENUM_
		PE_DROP_MAX
};

/* Stable snake_case name of a reason ("runt"); "unknown" for out-of-range values. */
const char *pe_drop_name(enum pe_drop d);
/* One-line human description of a reason. */
const char *pe_drop_desc(enum pe_drop d);
/* Reverse lookup; returns PE_DROP_MAX when the name is unknown. */
enum pe_drop pe_drop_from_name(const char *name);

#endif
