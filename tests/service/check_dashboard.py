#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Grafana dashboard (contrib/grafana/pktecho.json) is valid JSON with unique panel ids, and
every pktecho_* metric its queries reference exists in a live /metrics of a running pktecho
(UDP echoed and one TCP connection open).

Usage: check_dashboard.py DASHBOARD.json PKTECHO
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pktecho_test import FAILS, exit_code, expect

DASH, BIN = sys.argv[1], sys.argv[2]



def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "definition") and isinstance(v, str):
                yield v
            elif k == "query" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def main():
    d = json.load(open(DASH))
    ids = [p["id"] for p in d["panels"]]
    expect(len(ids) == len(set(ids)), "unique panel ids")
    wanted = sorted({m for e in exprs(d) for m in re.findall(r"\bpktecho_[a-z0-9_]+", e)})
    expect(len(wanted) >= 8, "the dashboard references %d metrics" % len(wanted))
    name = "pe-test-%d-dash" % os.getpid()
    p = subprocess.Popen([BIN, "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--prometheus",
                          "127.0.0.1:0", "--stats-name", name],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ports = {}
        for _ in range(20):
            line = p.stderr.readline()
            m = re.match(r"pktecho: (udp|tcp) 127\.0\.0\.1:(\d+)|pktecho: prometheus port (\d+)",
                         line)
            if m and m.group(3):
                ports["prom"] = int(m.group(3))
            elif m:
                ports[m.group(1)] = int(m.group(2))
            if not line or line.startswith("pktecho: running"):
                break
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(b"x", ("127.0.0.1", ports["udp"]))
        u.recv(16)
        t = socket.create_connection(("127.0.0.1", ports["tcp"]), timeout=5)
        t.sendall(b"y")
        t.recv(16)
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % ports["prom"],
                                      timeout=10).read().decode()
        have = {m for m in re.findall(r"^(pktecho_[a-z0-9_]+)[{ ]", text, re.M)}
        for m in wanted:
            expect(m in have, "metric %s in the live /metrics" % m)
        info = [x for x in text.splitlines() if x.startswith("pktecho_info{")]
        expect(bool(info) and 'name="%s"' % name in info[0], "pktecho_info carries the name label"
               " the dashboard's variable reads")
        t.close()
        u.close()
    finally:
        p.terminate()
        p.wait(timeout=30)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
