#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The socket build's policy across a real interface: two network
namespaces of our own joined by veth (198.18.0.0/15 only). pktecho serves in one; the other
sends unicast (echoed), a directed broadcast, a limited broadcast and a multicast datagram (all
ignored, counted as dst_bcast_mcast) and datagrams from source port 19 and from the service's own
port (loop_refused), for every IO model given. The namespaces are removed on exit, also on failure."""
import argparse
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktecho_test import check, run_cases, SKIP

TAG = "%d" % (os.getpid() % 100000)
NS_SRV, NS_CLI = "pe-ss-" + TAG, "pe-sc-" + TAG
IF_SRV, IF_CLI = "pes" + TAG, "pec" + TAG
SRV_IP, CLI_IP, BCAST = "198.18.77.1", "198.18.77.2", "198.18.77.255"
GROUP = "239.18.77.1"


def ip(*args, check_rc=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check_rc)


def setup():
    ip("netns", "add", NS_SRV)
    ip("netns", "add", NS_CLI)
    ip("link", "add", IF_SRV, "type", "veth", "peer", "name", IF_CLI)
    ip("link", "set", IF_SRV, "netns", NS_SRV)
    ip("link", "set", IF_CLI, "netns", NS_CLI)
    for ns, ifn, addr in ((NS_SRV, IF_SRV, SRV_IP), (NS_CLI, IF_CLI, CLI_IP)):
        ip("-n", ns, "addr", "add", addr + "/24", "broadcast", BCAST, "dev", ifn)
        ip("-n", ns, "link", "set", ifn, "up")
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", ifn)
        # 255.255.255.255 needs a route out of the client namespace
        ip("-n", ns, "route", "add", "default", "dev", ifn)


def teardown():
    ip("netns", "del", NS_SRV, check_rc=False)
    ip("netns", "del", NS_CLI, check_rc=False)


def client_send(port):
    """Runs inside the client namespace: one datagram per case, then collect the replies."""
    out = {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.bind((CLI_IP, 0))
    s.settimeout(0.5)
    for name, dst in (("bcast", BCAST), ("limited", "255.255.255.255"), ("mcast", GROUP),
                      ("unicast", SRV_IP)):
        s.sendto(name.encode(), (dst, port))
        got = []
        try:
            while True:
                got.append(s.recvfrom(100)[0].decode())
        except socket.timeout:
            pass
        out[name] = got
    for name, sport in (("loop", 19), ("sameport", port)):  # chargen; another echo on our port
        lp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        lp.bind((CLI_IP, sport))
        lp.settimeout(0.5)
        lp.sendto(name.encode(), (SRV_IP, port))
        try:
            out[name] = [lp.recvfrom(100)[0].decode()]
        except socket.timeout:
            out[name] = []
        lp.close()
    print(json.dumps(out))


def member():
    """Runs inside the server namespace: a socket that joined GROUP, so the host accepts it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(SRV_IP))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    print("joined", flush=True)
    time.sleep(60)


def run_model(binary, model):
    me = os.path.abspath(__file__)
    grp = subprocess.Popen(["ip", "netns", "exec", NS_SRV, sys.executable, me, "--member"],
                           stdout=subprocess.PIPE, text=True)
    try:
        check(grp.stdout.readline().strip() == "joined", "multicast member did not start")
        srv = subprocess.Popen(["ip", "netns", "exec", NS_SRV, binary, "--udp", "0.0.0.0:0",
                                "--io-model", model, "--report", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        port = None
        for _ in range(20):
            line = srv.stderr.readline()
            if line.startswith("pktecho: udp "):
                port = int(line.rsplit(":", 1)[1])
            if line.startswith("pktecho: running") or not line:
                break
        check(port, "no port from pktecho")
        r = subprocess.run(["ip", "netns", "exec", NS_CLI, sys.executable, me, "--client",
                            str(port)], capture_output=True, text=True, timeout=30)
        srv.send_signal(signal.SIGTERM)
        out, err = srv.communicate(timeout=20)
        check(srv.returncode == 0, "pktecho exit %d: %s" % (srv.returncode, err))
        got = json.loads(r.stdout)
        summary = json.loads(out.strip().splitlines()[-1])
        check(got["unicast"] == ["unicast"], "unicast echo: %r" % got)
        for case in ("bcast", "limited", "mcast", "loop", "sameport"):
            check(got[case] == [], "%s was answered: %r" % (case, got[case]))
        drops = summary["drops"]
        check(drops.get("dst_bcast_mcast") == 3, "dst_bcast_mcast %r" % drops)
        check(drops.get("loop_refused") == 2, "loop_refused %r" % drops)
        check(summary["tx_packets"] == 1, "tx_packets %d" % summary["tx_packets"])
    finally:
        grp.kill()
        grp.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--models", default="epoll")
    ap.add_argument("--client", type=int)
    ap.add_argument("--member", action="store_true")
    a = ap.parse_args()
    if a.client:
        return client_send(a.client)
    if a.member:
        return member()
    if os.geteuid() != 0 or subprocess.run(["ip", "netns", "list"],
                                           capture_output=True).returncode != 0:
        print("skip: needs root and iproute2 (ip netns)")
        return SKIP
    try:
        setup()
    except subprocess.CalledProcessError as e:
        teardown()
        print("skip: cannot create namespaces: %s" % e.stderr)
        return SKIP
    try:
        return run_cases([("policy_" + m, lambda m=m: run_model(a.bin, m))
                          for m in a.models.split(",")])
    finally:
        teardown()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: still clean up
    sys.exit(main())
