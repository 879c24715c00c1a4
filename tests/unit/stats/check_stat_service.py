#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho-stat reads a running service: pktecho (socket fallback) on loopback with --stats-name
and --prometheus; UDP datagrams echoed; the counts read back through pktecho-stat --json,
--prometheus and the service's own /metrics endpoint must match; a live pktecho-stat sees the
service stop cleanly; the segment is gone afterwards. Loopback only, every wait bounded.

Usage: check_stat_service.py PATH/TO/pktecho-stat PATH/TO/pktecho
"""
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

from pktecho_test import FAILS, expect, eq, pktecho_startup

STAT, SERVICE = sys.argv[1], sys.argv[2]
NAME = f"pe-test-{os.getpid()}-svc"
SIZES = list(range(1, 101))


def start_service():
    p = subprocess.Popen([SERVICE, "--udp", "127.0.0.1:0", "--threads", "2", "--stats-name", NAME,
                          "--prometheus", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = pktecho_startup(p)
    udp_port, prom_port = got["udp"], got["prometheus"]
    if udp_port is None or prom_port is None:
        p.kill()
        p.wait()
        print("could not start pktecho")
        sys.exit(1)
    return p, udp_port, prom_port


def echo_all(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    got = 0
    for n in SIZES:
        s.sendto(bytes([n % 251]) * n, ("127.0.0.1", port))
        data, _ = s.recvfrom(65536)
        got += data == bytes([n % 251]) * n
    s.close()
    return got


def prom_sum(text, metric):
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(metric + "{"))


def main():
    svc, udp_port, prom_port = start_service()
    watcher = None
    try:
        eq(echo_all(udp_port), len(SIZES), "every datagram echoed byte-exact")

        r = subprocess.run([STAT, "--json", "--interval", "0.1", NAME], capture_output=True,
                           text=True, timeout=20)
        eq(r.returncode, 0, "pktecho-stat --json exit code")
        o = json.loads(r.stdout)
        eq((o["service"], o["name"]), ("pktecho", NAME), "meta")
        eq(o["rx_packets"], len(SIZES), "rx_packets read from the live segment")
        eq(o["tx_packets"], len(SIZES), "tx_packets read from the live segment")
        eq(o["drops_total"], 0, "no drops")
        expect(o["rx_bytes"] >= sum(SIZES), f"rx_bytes counts the payloads: {o['rx_bytes']}")
        expect(len(o["blocks"]) >= 2, "a block per thread (or more)")

        r = subprocess.run([STAT, "--prometheus", NAME], capture_output=True, text=True,
                           timeout=20)
        eq(prom_sum(r.stdout, "pktecho_rx_packets_total"), len(SIZES), "pktecho-stat --prometheus")
        body = urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/metrics", timeout=5).read()
        eq(prom_sum(body.decode(), "pktecho_tx_packets_total"), len(SIZES),
           "the service's /metrics")

        # A live view, then the service stops cleanly: one line, exit 0, segment removed.
        watcher = subprocess.Popen([STAT, "--interval", "0.2", NAME], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        expect(watcher.stdout.readline().startswith(NAME + ": pktecho"), "live header")
        svc.send_signal(signal.SIGTERM)
        eq(svc.wait(timeout=10), 0, "service exit code after SIGTERM")
        _, err = watcher.communicate(timeout=10)
        eq(watcher.returncode, 0, "live view exit code after a clean stop")
        expect("service stopped" in err, f"live view message: {err!r}")
        expect(not os.path.exists(f"/dev/shm/pktecho-{NAME}"), "segment removed at exit")
        r = subprocess.run([STAT, "--json", NAME], capture_output=True, text=True, timeout=20)
        eq(r.returncode, 1, "pktecho-stat after the service is gone")
    finally:
        for p in (svc, watcher):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if os.path.exists(f"/dev/shm/pktecho-{NAME}"):
            os.unlink(f"/dev/shm/pktecho-{NAME}")


main()
if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("pktecho-stat reads a running pktecho: all checks passed")
