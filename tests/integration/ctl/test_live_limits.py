#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The reply limits changed at run time (pktecho-ctl set source-limit / reply-limit) on a real
service flooded from one source: pktecho on loopback under each IO model (2 threads), and
pktecho-dpdk in service mode on net_pcap reading one request frame forever (infinite_rx).

Each service starts with its limits off. Then, counted from the service's own counters
(pktecho-stat -p) between two moments that bracket the window on the clock:
  - after `set source-limit 100/10`: at most 100 * window + 10 + the batches in flight at the
    change replies, while far more requests came in; rate_limited grows; status says 100/10;
  - after `set source-limit off`: more replies than the limit could allow, and rate_limited
    stops growing (but for the batches in flight at the change).
No rate is asserted: each phase runs until the counts decide it (bounded at 60 s).

Usage: test_live_limits.py --ctl BIN --stat BIN (--pktecho BIN | --dpdk BIN) CASE
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from pktecho_test import (CLEANUP, Skip, check, eal_args, expect, main, pktecho_startup,
                          stop)

PPS, BURST = 100, 10
INFLIGHT = 512    # replies a worker may still send from a batch it took before the change
                  # (a recvmmsg round of 64 x 4, 64 io_uring buffers, a DPDK burst of 32)
MARGIN = 1000     # a phase ends once the counts pass the limit by this much
MIN_S = 1.0       # and it lasted this long (so the rate, not only the burst, is counted)
PHASE_S = 60      # and fails if they never do


def ctl(name, *args):
    return subprocess.run([A.ctl, "--timeout", "10", name, *args], capture_output=True,
                          text=True, timeout=30)


def counters(name):
    """(rx, tx, rate_limited) summed over the service's blocks, from its stats segment."""
    r = subprocess.run([A.stat, "--prometheus", name], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, "pktecho-stat -p %s: %s" % (name, r.stderr.strip()))
    rx = tx = rl = 0
    for line in r.stdout.splitlines():
        m = re.match(r'pktecho_(rx_packets|tx_packets|drops)_total\{([^}]*)\} (\d+)$', line)
        if not m:
            continue
        if m.group(1) == "rx_packets":
            rx += int(m.group(3))
        elif m.group(1) == "tx_packets":
            tx += int(m.group(3))
        elif 'reason="rate_limited"' in m.group(2):
            rl += int(m.group(3))
    return rx, tx, rl


def window(name, done):
    """Counts from now until done(elapsed, drx, dtx, drl) or PHASE_S: (elapsed, drx, dtx, drl).
    elapsed brackets both snapshots (taken before the first, after the last)."""
    t0 = time.monotonic()
    c0 = counters(name)
    while True:
        time.sleep(0.1)
        c1 = counters(name)
        el = time.monotonic() - t0
        d = (el, c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2])
        if done(*d) or el > PHASE_S:
            return d


def limit_phases(name, which, workers):
    """set WHICH 100/10, count; set WHICH off, count."""
    inflight = INFLIGHT * workers
    r = ctl(name, "set", which, "%d/%d" % (PPS, BURST))
    check(r.returncode == 0, "set %s %d/%d: exit %d: %s" % (which, PPS, BURST, r.returncode,
                                                         r.stderr.strip()))
    r = ctl(name, "status")
    expect("\n%s: %d/%d\n" % (which, PPS, BURST) in r.stdout,
           "status shows %s: %d/%d (exit %d, stderr %r, stdout starts %r)" %
           (which, PPS, BURST, r.returncode, r.stderr.strip()[:200], r.stdout[:300]))

    def allowed(el):
        return PPS * el + max(BURST, workers) + inflight

    el, drx, dtx, drl = window(name, lambda el, drx, dtx, drl: el >= MIN_S and
                               drx > allowed(el) + MARGIN)
    print("%s %d/%d: %.2f s, %d requests, %d replies (at most %d), %d rate_limited" %
          (which, PPS, BURST, el, drx, dtx, allowed(el), drl), flush=True)
    check(drx > allowed(el) + MARGIN, "the flood outran the limit (%d requests in %.1f s)" %
          (drx, el))
    expect(dtx <= allowed(el), "%s %d/%d: %d replies in %.2f s, want at most %d" %
           (which, PPS, BURST, dtx, el, allowed(el)))
    expect(drl >= MARGIN, "rate_limited grew by %d, want at least %d" % (drl, MARGIN))

    r = ctl(name, "set", which, "off")
    check(r.returncode == 0, "set %s off: %s" % (which, r.stderr.strip()))
    r = ctl(name, "status")
    expect("\n%s: off\n" % which in r.stdout, "status shows %s: off (exit %d, stderr %r, "
           "stdout starts %r)" % (which, r.returncode, r.stderr.strip()[:200], r.stdout[:300]))
    el, drx, dtx, drl = window(name, lambda el, drx, dtx, drl: el >= MIN_S and
                               dtx > allowed(el) + MARGIN)
    print("%s off: %.2f s, %d requests, %d replies, %d rate_limited" % (which, el, drx, dtx,
                                                                       drl), flush=True)
    expect(dtx > allowed(el) + MARGIN, "%s off: %d replies in %.2f s, want more than %d" %
           (which, dtx, el, allowed(el) + MARGIN))
    expect(drl <= inflight, "%s off: rate_limited still grew by %d" % (which, drl))


class Flood:
    """UDP datagrams from one socket (one source) to port until stopped or PHASE_S * 4 s."""

    def __init__(self, port):
        self.stop = threading.Event()
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # replies: not read
        self.s.connect(("127.0.0.1", port))
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        end = time.monotonic() + PHASE_S * 4
        while not self.stop.is_set() and time.monotonic() < end:
            for _ in range(256):
                try:
                    self.s.send(b"live-limit-flood")
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.t.join()
        self.s.close()


def sock_case(model):
    def case():
        name = "pe-test-%d-live-%s" % (os.getpid(), model)
        p = subprocess.Popen([A.pktecho, "--udp", "127.0.0.1:0", "--threads", "2",
                              "--io-model", model, "--source-limit", "off", "--stats-name",
                              name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        CLEANUP.proc(p)
        port = pktecho_startup(p)["udp"]
        check(port, "pktecho --io-model %s started" % model)
        f = Flood(port)
        try:
            limit_phases(name, "source-limit", 2)
            if model == "epoll":
                limit_phases(name, "reply-limit", 2)
        finally:
            f.close()
            stop(p)
    return case


def dpdk_frame():
    """One UDP echo request 198.18.0.9:40000 -> 198.18.0.2:7 to net_pcap0's MAC."""
    def csum(b):
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s > 0xFFFF:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF
    payload = b"live-limit-flood"
    udp = struct.pack("!HHHH", 40000, 7, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([198, 18, 0, 9]), bytes([198, 18, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("027063617000") + bytes.fromhex("020000000009") + b"\x08\x00" + ip + udp


def dpdk_case():
    if not A.dpdk:
        raise Skip("built without DPDK")
    name = "pe-test-%d-live-dpdk" % os.getpid()
    with tempfile.TemporaryDirectory() as tmp:
        rx = os.path.join(tmp, "rx.pcap")
        fr = dpdk_frame()
        with open(rx, "wb") as f:  # infinite_rx: the PMD replays these forever, tx dropped
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for _ in range(64):
                f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
        cmd = [A.dpdk] + eal_args("live", vdevs="net_pcap0,rx_pcap=%s,infinite_rx=1" % rx,
                                  lcores="0") + \
            ["--", "--ip", "198.18.0.2/24", "--source-limit", "off", "--stats-name", name,
             "--duration", str(PHASE_S * 4)]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        CLEANUP.proc(p)
        try:
            deadline = time.monotonic() + 30
            r = None
            while time.monotonic() < deadline and p.poll() is None:
                r = ctl(name, "status")
                if r.returncode == 0:
                    break
                time.sleep(0.1)
            check(r is not None and r.returncode == 0, "pktecho-dpdk answers status")
            limit_phases(name, "source-limit", 1)
            limit_phases(name, "reply-limit", 1)
        finally:
            _, err = stop(p, timeout=30)
            expect(p.returncode == 0, "pktecho-dpdk exit %s: %s" % (p.returncode,
                                                                   (err or "")[-300:]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--stat", required=True)
    ap.add_argument("--pktecho")
    ap.add_argument("--dpdk")
    ap.add_argument("case")
    A = ap.parse_args()
    cases = {"sock-" + m: sock_case(m) for m in
             ("epoll", "blocking", "nonblocking", "sigio", "uring")}
    cases["dpdk"] = dpdk_case
    sys.exit(main(cases, [A.case]))
