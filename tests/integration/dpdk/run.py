#!/usr/bin/env python3
"""pktecho-dpdk runs and stops cleanly on net_null (a vdev that receives forever):
  - one lcore (-l 0), --duration, JSON interval and summary objects, counters that add up;
  - two lcores, text reports with testpmd names, the /pktecho/stats telemetry command over the
    EAL's telemetry socket, then SIGINT: exit 0 and every mbuf back in its pool;
  - a pool below what the rings need (--mbufs 511): a warning, still a clean run;
  - config/dpdk-multiqueue.conf: two queues on one lcore, both served;
  - --prometheus (GET /metrics) and --stats-name (a shared-memory segment while it runs, gone
    after a clean exit).
The configurations come from config/ (config/dpdk-reflector.conf, config/dpdk-multiqueue.conf).
Usage: run.py PKTECHO_DPDK
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from pktecho_test import FAILS, dpdk_prefix, eal_args, exit_code, fail, json_objects

BIN = sys.argv[1]
CONFIG = os.path.join(os.environ.get("PE_SOURCE_ROOT",
                                     os.path.join(os.path.dirname(__file__), "../../..")),
                      "config")


def eal(tag, lcores):
    return eal_args("run" + tag, vdevs="net_null0", lcores=lcores)


def one_lcore_json():
    p = subprocess.run([BIN] + eal("1", "0") + ["--",
                                      "--mode", "l2", "--duration", "2", "--stats-interval", "1",
                                      "--report", "json"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return fail("-l 0: exit %d: %s" % (p.returncode, p.stderr[-400:]))
    objs = json_objects(p.stdout)
    if not any(o["type"] == "interval" for o in objs):
        fail("-l 0: no interval object")
    s = [o for o in objs if o["type"] == "summary"]
    if len(s) != 1:
        return fail("-l 0: %d summary objects" % len(s))
    s = s[0]
    blocks = {b["name"]: b for b in s["blocks"]}
    if "p0q0" not in blocks or blocks["p0q0"].get("port") != 0 or blocks["p0q0"].get("queue") != 0:
        fail("-l 0: no p0q0 block with port and queue: %s" % list(blocks))
    if s["rx_packets"] == 0 or s["tx_packets"] == 0:
        fail("-l 0: rx %d tx %d" % (s["rx_packets"], s["tx_packets"]))
    if s["tx_packets"] + s["drops_total"] != s["rx_packets"]:
        fail("-l 0: tx %d + drops %d != rx %d" % (s["tx_packets"], s["drops_total"],
                                                  s["rx_packets"]))
    for key in ("rx_pps", "tx_pps", "rx_nombuf", "rx_missed", "tx_dropped", "drops"):
        if key not in s:
            fail("-l 0: summary without %s" % key)
    if s.get("mbufs_leaked") != 0:
        fail("-l 0: mbufs_leaked %s" % s.get("mbufs_leaked"))
    print("ok: -l 0 --duration 2: rx %d tx %d (%.1f Mpps)" % (s["rx_packets"], s["tx_packets"],
                                                             s["rx_pps"] / 1e6))


def telemetry(pfx, cmd):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % pfx
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(path)
        json.loads(s.recv(16384).decode())  # the greeting: version, pid, max_output_len
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16).decode())


def wait_for(p, pattern, timeout=20):
    """Reads p's stdout until a line contains pattern; returns the lines read."""
    lines, deadline = [], time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if pattern in line:
            return lines
    return None


def check_metrics(p):
    """--prometheus 127.0.0.1:0: the bound port is on stderr; /metrics has our counters."""
    line = ""
    deadline = time.time() + 10
    while "prometheus: serving port" not in line and time.time() < deadline:
        line = p.stderr.readline()
    if "serving port" not in line:
        return fail("--prometheus: no 'serving port' line")
    port = int(line.split("serving port")[1].split(",")[0])
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    if "pktecho_rx_packets_total" not in body or 'queue="0"' not in body:
        return fail("--prometheus: /metrics without pktecho_rx_packets_total: %s" % body[:300])
    print("ok: --prometheus /metrics and --stats-name segment while running")


def multiqueue():
    p = subprocess.run([BIN] + eal("4", "0,1") + ["--", "--file",
                                      os.path.join(CONFIG, "dpdk-multiqueue.conf"),
                                      "--duration", "1", "--report", "json"],
                       capture_output=True, text=True, timeout=60)
    s = [o for o in json_objects(p.stdout) if o["type"] == "summary"]
    if p.returncode != 0 or not s:
        return fail("multiqueue: exit %d: %s" % (p.returncode, p.stderr[-300:]))
    blocks = {b["name"]: b for b in s[0]["blocks"]}
    for q in ("p0q0", "p0q1"):
        if blocks.get(q, {}).get("rx_packets", 0) == 0:
            fail("multiqueue: %s served nothing: %s" % (q, list(blocks)))
    if "lcore 1 socket 0: p0q0 p0q1" not in p.stderr:
        fail("multiqueue: placement does not show both queues on lcore 1")
    if s[0].get("mbufs_leaked") != 0:
        fail("multiqueue: mbufs_leaked %s" % s[0].get("mbufs_leaked"))
    print("ok: two queues on lcore 1: rx %d + %d" % (blocks["p0q0"]["rx_packets"],
                                                   blocks["p0q1"]["rx_packets"]))


def two_lcores_text_sigint():
    pfx = dpdk_prefix("run2")
    name = "pe-test-%d-run" % os.getpid()
    shm = "/dev/shm/pktecho-" + name
    p = subprocess.Popen([BIN] + eal("2", "0,1") + ["--", "--file",
                                        os.path.join(CONFIG, "dpdk-reflector.conf"),
                                        "--prometheus", "127.0.0.1:0", "--stats-name", name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        got = wait_for(p, "Rx-pps")
        if got is None:
            return fail("two lcores: no interval report")
        text = "".join(got)
        for name in ("RX-packets", "RX-missed", "RX-nombuf", "TX-packets", "TX-dropped"):
            if name not in text:
                fail("text report without %s" % name)
        t = telemetry(pfx, "/pktecho/stats").get("/pktecho/stats", {})
        if t.get("rx_packets", 0) <= 0 or "p0q0" not in t or "drops" not in t:
            fail("telemetry /pktecho/stats: %s" % str(t)[:300])
        else:
            print("ok: telemetry /pktecho/stats rx_packets %d" % t["rx_packets"])
        if not os.path.exists(shm):
            fail("--stats-name: no segment %s while running" % shm)
        check_metrics(p)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    except Exception as e:  # noqa: BLE001 - report any failure of the run as a test failure
        p.kill()
        p.communicate()
        return fail("two lcores: %r" % e)
    if p.returncode != 0:
        return fail("SIGINT: exit %d: %s" % (p.returncode, err[-400:]))
    if os.path.exists(shm):
        fail("--stats-name: %s left behind after a clean exit" % shm)
    if "totals" not in out or "mbufs_leaked: 0" not in out:
        fail("SIGINT: no final report with mbufs_leaked 0:\n%s" % out[-800:])
    else:
        print("ok: SIGINT under load: exit 0, final report, no leak")


def tiny_pool():
    p = subprocess.run([BIN] + eal("3", "0,1") + ["--",
                                      "--mode", "l2", "--mbufs", "511", "--duration", "1",
                                      "--report", "json"],
                       capture_output=True, text=True, timeout=60)
    if "expect RX-nombuf" not in p.stderr:
        fail("--mbufs 511: no warning about the pool size: %s" % p.stderr[-300:])
    s = [o for o in json_objects(p.stdout) if o["type"] == "summary"]
    if p.returncode != 0 or not s or s[0].get("mbufs_leaked") != 0:
        return fail("--mbufs 511: exit %d, summary %s" % (p.returncode, s))
    print("ok: --mbufs 511: warned, rx %d, no leak" % s[0]["rx_packets"])


one_lcore_json()
two_lcores_text_sigint()
tiny_pool()
multiqueue()
print("%d failure(s)" % len(FAILS))
sys.exit(exit_code())
