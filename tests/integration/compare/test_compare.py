#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/compare end to end, short: the generator's ceiling on the veth topology, the classic
echo row (search, latency points, curve) and the vhost-net row (available or not). compare.json
must carry every field docs/reports.md documents for it, with sane values (NDR <= PDR, both > 0,
latency percentiles ordered, a sorted curve); compare.md must show a generator-bound row as
">= N"; and nothing may be left behind: namespaces, DPDK runtime directories, sockets.

Usage: test_compare.py   (PE_SOURCE_ROOT / PE_BUILD_ROOT from meson)
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pktecho_test as t

DOC = os.path.join(t.SOURCE_ROOT, "docs/reports.md")


def documented():
    """{table: [(field, [sub-fields])]} from the compare.json section of docs/reports.md: the
    first backticked name of each table row, and the backticked names after it."""
    text = open(DOC).read().split("## compare.json", 1)[1].split("\n## ", 1)[0]
    tables, cur = [], None
    for line in text.splitlines():
        if line.startswith("| field"):
            cur = []
            tables.append(cur)
        elif line.startswith("| `") and cur is not None:
            name, rest = line[2:].split("|", 1)
            cur.append((name.strip().strip("`"), re.findall(r"`([a-z_.0-9]+)`", rest)))
        elif not line.startswith("|"):
            cur = None
    t.check(len(tables) == 2, "docs/reports.md: expected two field tables for compare.json")
    return tables


def check_latency(lat, what):
    t.check(isinstance(lat, dict), "%s: not an object: %r" % (what, lat))
    for key in ("no_load", "10", "50", "90"):
        v = lat.get(key)
        t.check(v is not None, "%s[%s] missing" % (what, key))
        ps = [v[k] for k in ("p50", "p90", "p99", "p99.9", "max")]
        t.check(0 < ps[0] and ps == sorted(ps), "%s[%s] percentiles not ordered: %r"
                % (what, key, v))


def case_compare():
    if os.geteuid() != 0:
        raise t.Skip("scripts/compare makes namespaces: needs root")
    if not os.access(t.binary("app/pktecho-dpdk/pktecho-dpdk"), os.X_OK):
        raise t.Skip("this build has no pktecho-dpdk (the generator's ceiling needs it)")
    top, per_path = documented()
    out = t.CLEANUP.path(tempfile.mkdtemp(prefix="pe-test-compare-"))
    p = t.CLEANUP.proc(subprocess.Popen(
        [sys.executable, os.path.join(t.SOURCE_ROOT, "scripts/compare.py"), "--no-build",
         "--build", t.BUILD_ROOT, "--quick", "--paths", "classic,vhost-net", "--trial", "0.3",
         "--confirm", "0.3", "--lat-trial", "0.3", "--out", out],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    text, _ = p.communicate(timeout=150)
    t.CLEANUP.forget(p)
    print(text[-3000:])
    t.check(p.returncode == 0, "compare exit %d" % p.returncode)
    doc = json.load(open(os.path.join(out, "compare.json")))
    for name, subs in top:
        t.check(name in doc, "compare.json lacks documented field %s" % name)
        if name == "method":
            for s in subs:
                t.check(s in doc["method"], "method lacks %s" % s)
        if name == "generators":
            t.check(doc["generators"], "no generator")
            for g in doc["generators"]:
                for s in ("topology", "generator", "ceiling_pps", "sent_pps", "measured"):
                    t.check(s in g, "generator lacks %s: %r" % (s, g))
    t.check(doc["schema"] == 1, "schema %r" % doc["schema"])
    veth = [g for g in doc["generators"] if g["topology"] == "veth"]
    t.check(veth and veth[0]["ceiling_pps"] and veth[0]["ceiling_pps"] > 0,
            "no veth ceiling: %r" % doc["generators"])
    rows = {r["name"]: r for r in doc["paths"]}
    t.check(set(rows) == {"classic recvfrom/sendto echo", "pktecho in a VM over vhost-net (tap)"},
            "rows: %r" % list(rows))
    vn = rows["pktecho in a VM over vhost-net (tap)"]
    t.check(vn["available"] is False and vn["why"], "vhost-net row: %r" % vn)
    c = rows["classic recvfrom/sendto echo"]
    t.check(c["available"] is True, "classic row not available: %r" % c.get("why"))
    for name, _ in per_path:
        if name in ("why", "notes"):
            continue
        t.check(name in c, "path row lacks documented field %s" % name)
    t.check(0 < c["ndr_pps"] <= c["pdr_pps"], "NDR %r / PDR %r" % (c["ndr_pps"], c["pdr_pps"]))
    t.check(c["kind"] == "socket" and c["topology"] == "veth", "kind/topology %r" % c)
    check_latency(c["latency_us"], "latency_us")
    t.check(set(c["latency_corrected_us"]) == {"no_load", "10", "50", "90"},
            "latency_corrected_us keys %r" % c["latency_corrected_us"])
    t.check(len(c["curve"]) >= 4 and c["curve"] == sorted(c["curve"]) and
            all(len(x) == 2 and x[1] <= x[0] * 1.01 + 10 for x in c["curve"]),
            "curve %r" % c["curve"])
    md = open(os.path.join(out, "compare.md")).read()
    row = [x for x in md.splitlines() if x.startswith("| classic recvfrom/sendto echo |")]
    t.check(len(row) == 1, "no classic row in compare.md")
    cells = [x.strip() for x in row[0].strip("|").split("|")]
    if c["generator_bound"]:
        t.check(cells[3].startswith(">= ") and cells[4].startswith(">= "),
                "generator-bound row shown as a plain number: %r" % cells)
    else:
        t.check(abs(float(cells[4]) - c["pdr_pps"] / 1e3) <= 0.51, "PDR cell %r" % cells)
    t.check("NOT met" not in md, "compare.md prints internal targets")
    if shutil.which("gnuplot"):
        svg = open(os.path.join(out, "compare.svg")).read()
        t.check(svg.lstrip().startswith("<?xml") and doc["date"] in svg and "load average" in svg,
                "compare.svg lacks the date or the load average")
    # Nothing left behind by scripts/compare (its pid names everything it makes).
    pid = p.pid
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    t.check("-%d-" % pid not in ns, "namespaces left behind: %s" % ns)
    left = glob.glob("/var/run/dpdk/pe-cmp-%d-*" % pid) + glob.glob("/tmp/pe-cmp-%d-*" % pid)
    t.check(not left, "left behind: %r" % left)


if __name__ == "__main__":
    sys.exit(t.main({"compare": case_compare}, ["compare"]))
