#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho's reporting: NDJSON interval lines with one block per thread, the summary's
extra fields, the --prometheus endpoint and the --stats-name shared-memory segment (present while
running, removed at a clean exit)."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import Server, udp_echo, main_args
from pktecho_test import check, run_cases

A = main_args()


def case_reports():
    name = "pe-sock-test-%d" % os.getpid()
    srv = Server(A.bin, ["--io-model", A.model, "--threads", "2", "--udp", "127.0.0.1:0",
                         "--stats-interval", "0.2", "--stats-name", name,
                         "--prometheus", "127.0.0.1:0"])
    prom_port = None
    try:
        check(os.path.exists("/dev/shm/pktecho-" + name), "no shared-memory segment")
        for _ in range(10):
            check(udp_echo(srv.udp(), b"ping") == b"ping", "no echo")
        # The endpoint's port is printed before the addresses.
        for line in srv.startup_lines:
            if line.startswith("pktecho: prometheus port "):
                prom_port = int(line.split()[-1])
        check(prom_port, "no prometheus port line")
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % prom_port,
                                      timeout=5).read().decode()
        check("pktecho_rx_packets_total" in body, "metrics lack pktecho_rx_packets_total")
        seen = []
        srv.read_until(lambda r: r.get("type") == "interval" and seen.append(r) is None
                       and len(seen) >= 2)
        s = srv.stop()
        lines = [json.loads(l) for l in srv.stdout_text.splitlines() if l.startswith("{")]
        intervals = [l for l in lines if l["type"] == "interval"]
        check(len(intervals) >= 2, "%d interval lines" % len(intervals))
        check([b["name"] for b in intervals[-1]["blocks"]] == ["thread0", "thread1"],
              "blocks %r" % [b["name"] for b in intervals[-1]["blocks"]])
        check(s["rx_packets"] == 10 and s["tx_packets"] == 10, "counts %d/%d"
              % (s["rx_packets"], s["tx_packets"]))
        for k in ("io_model", "threads", "conns_active", "conns_refused", "bytes_copied"):
            check(k in s, "summary lacks %s" % k)
        check(s["io_model"] == A.model and s["threads"] == 2, "io_model/threads")
        check(not os.path.exists("/dev/shm/pktecho-" + name), "segment left after exit")
    finally:
        srv.kill()


sys.exit(run_cases([("reports_json_prometheus_shm", case_reports)], A.cases))
