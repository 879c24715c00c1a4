#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho-dpdk on net_af_xdp (a veth in namespaces of the test's own): kernel UDP clients
(pktecho-load in socket mode) are echoed, then SIGINT: exit 0, no mbuf leaked, and the mbufs
DPDK 22.11's af_xdp PMD keeps for good (its 2048-entry fill ring per RX queue, never returned
at close) are reported apart as mbufs_pmd_kept, exactly 2048 for one queue. Skips when this
kernel or build cannot open an AF_XDP socket.

Usage: af_xdp.py PKTECHO_DPDK PKTECHO_LOAD
"""
import os
import signal
import subprocess
import sys

from pktecho_test import (CLEANUP, Netns, Skip, check, eal_args, main, stop, summary,
                          wait_until)

DPDK, LOAD = sys.argv[1], sys.argv[2]
COUNT = 3000


def case_af_xdp():
    if os.geteuid() != 0:
        raise Skip("namespaces and AF_XDP need root")
    ns = Netns("xdp", bare="a")
    srv = CLEANUP.proc(subprocess.Popen(
        ns.pre("a") + [DPDK] + eal_args("xdp", "net_af_xdp0,iface=va", "1", mem=512) +
        ["--", "--ip", "198.18.0.2/24", "--mode", "service", "--report", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    ping = ns.pre("b") + ["ping", "-c", "1", "-W", "1", "198.18.0.2"]

    def ready():
        if srv.poll() is not None:
            _, err = stop(srv)
            if "af_xdp" in err.lower() or "xsk" in err.lower():
                raise Skip("net_af_xdp cannot run here: %s" % err.strip().splitlines()[-1])
            check(False, "pktecho-dpdk exited (status %d): %s" % (srv.returncode, err[-500:]))
        return subprocess.run(ping, capture_output=True).returncode == 0
    wait_until(ready, 30, "pktecho-dpdk on net_af_xdp answering ping")
    load = subprocess.run(ns.pre("b") + [LOAD, "--report", "json", "--rate", "5000", "--count",
                                         str(COUNT), "--drain", "5", "udp://198.18.0.2:7"],
                          capture_output=True, text=True, timeout=60)
    check(load.returncode == 0, "pktecho-load: exit %d: %s" % (load.returncode, load.stderr))
    ls = summary(load.stdout)
    check(ls["rx_packets"] > 0, "nothing echoed: %r" % ls)
    out, err = stop(srv, signal.SIGINT, timeout=20)
    check(srv.returncode == 0, "exit %d after SIGINT: %s" % (srv.returncode, err[-500:]))
    s = summary(out)
    check(s["tx_packets"] >= ls["rx_packets"], "pktecho-dpdk tx %d < echoes received %d"
          % (s["tx_packets"], ls["rx_packets"]))
    check(s.get("mbufs_leaked") == 0, "mbufs_leaked %r; stderr: %s" % (s.get("mbufs_leaked"),
                                                                        err[-300:]))
    check("leaked" not in err, "a leak line on stderr: %s" % err[-300:])
    check(s.get("mbufs_pmd_kept") == 2048, "mbufs_pmd_kept %r, want 2048 (one RX queue's fill "
          "ring)" % s.get("mbufs_pmd_kept"))
    print("echoed %d of %d; mbufs_leaked 0, mbufs_pmd_kept 2048" % (ls["rx_packets"], COUNT))


if __name__ == "__main__":
    sys.exit(main({"af-xdp": case_af_xdp}, ["af-xdp"]))
