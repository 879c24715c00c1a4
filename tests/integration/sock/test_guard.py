#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho against echo loops and reflection floods, over loopback:
  - one spoofed datagram from one of our own UDP ports to another (two sockets of one process)
    is refused as loop_refused: it is not answered, so no loop starts (it ran forever before);
  - source port 0 is refused the same way;
  - --source-limit PPS/BURST caps the replies to one source prefix: a burst, then the rate;
    the rest are counted rate_limited, and the counts add up.
Spoofed datagrams go out through a raw socket (root). Usage: test_guard.py --bin PKTECHO"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import Server, main_args
from pktecho_test import check, run_cases

A = main_args()


def spoof(sport, dport, payload=b"loop?"):
    """One UDP datagram 127.0.0.1:sport -> 127.0.0.1:dport (checksum 0: none, as IPv4 allows)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    try:
        s.sendto(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload,
                 ("127.0.0.1", 0))
    finally:
        s.close()


def drops(summary, name):
    return summary.get("drops", {}).get(name, 0)


def case_own_ports_loop():
    srv = Server(A.bin, ["--udp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--source-limit",
                         "off", "--stats-interval", "0.1", "--io-model", A.model])
    try:
        (_, a), (_, b) = srv.udp(0), srv.udp(1)
        spoof(b, a)
        spoof(0, a)
        # Both reach the counters; a loop would have grown rx far beyond 2 meanwhile.
        srv.read_until(lambda r: r.get("rx_packets", 0) + 0 >= 0 and
                       sum(r.get("drops", {}).values()) >= 2, seconds=10)
        time.sleep(0.3)  # a loop, had one started, would add thousands of packets by now
        s = srv.stop()
    finally:
        srv.kill()
    check(s["rx_packets"] == 2, "rx %d: a loop between our own ports" % s["rx_packets"])
    check(s["tx_packets"] == 0, "tx %d: answered a datagram from our own port or port 0"
          % s["tx_packets"])
    check(drops(s, "loop_refused") == 2, "loop_refused %d, want 2" % drops(s, "loop_refused"))


def case_source_limit():
    pps, burst, n = 200, 20, 2000
    srv = Server(A.bin, ["--udp", "127.0.0.1:0", "--source-limit", "%d/%d" % (pps, burst),
                         "--io-model", A.model])
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    replies = 0
    try:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        t0 = time.monotonic()
        for i in range(n):
            c.sendto(b"x%d" % i, srv.udp(0))
        c.settimeout(0.5)
        try:
            while True:
                c.recv(64)
                replies += 1
        except socket.timeout:
            pass
        elapsed = time.monotonic() - t0  # brackets every decision the server made
        s = srv.stop()
    finally:
        c.close()
        srv.kill()
    limited = drops(s, "rate_limited")
    check(s["tx_packets"] == replies, "tx %d but %d replies came" % (s["tx_packets"], replies))
    check(replies >= burst, "%d replies: fewer than the burst %d" % (replies, burst))
    check(replies <= burst + pps * elapsed + 1, "%d replies in %.2f s: over %d/%d"
          % (replies, elapsed, pps, burst))
    check(limited > 0 and limited == s["rx_packets"] - s["tx_packets"],
          "rate_limited %d, rx %d, tx %d: the counts do not add up"
          % (limited, s["rx_packets"], s["tx_packets"]))


sys.exit(run_cases([("own_ports_loop_refused", case_own_ports_loop),
                    ("source_limit_caps_replies", case_source_limit)], A.cases))
