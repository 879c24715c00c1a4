#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho-stat reads a running pktecho-dpdk: one lcore on net_null (a vdev that receives
forever), --no-huge, a unique --file-prefix; the segment's blocks carry port/queue labels, counts
move and add up, --prometheus agrees, and SIGINT is seen by a live pktecho-stat as a clean stop.

Usage: check_stat_dpdk.py PATH/TO/pktecho-stat PATH/TO/pktecho-dpdk
"""
import json
import os
import signal
import subprocess
import sys
import time

from pktecho_test import FAILS, eal_args, expect

STAT, DPDK = sys.argv[1], sys.argv[2]
NAME = f"pe-test-{os.getpid()}-dstat"
SHM = f"/dev/shm/pktecho-{NAME}"


def stat(*args):
    return subprocess.run([STAT, *args], capture_output=True, text=True, timeout=30)


def main():
    svc = subprocess.Popen([DPDK] + eal_args("dstat", vdevs="net_null0", lcores="0") +
                           ["--", "--mode", "l2", "--stats-name", NAME, "--duration", "30"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watcher = None
    try:
        deadline = time.time() + 20
        while not os.path.exists(SHM) and svc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if not os.path.exists(SHM):
            print("pktecho-dpdk did not create its segment:", svc.stderr.read()[-400:]
                  if svc.poll() is not None else "(still starting)")
            expect(False, "segment created")
            return
        r = stat("--json", "--interval", "0.3", NAME)
        expect(r.returncode == 0, f"--json exit code {r.returncode}: {r.stderr!r}")
        o = json.loads(r.stdout)
        expect(o["service"] == "pktecho-dpdk", f"service {o['service']!r}")
        expect(o["mode"] == "l2", f"the DPDK service's mode is shown: {o['mode']!r}")
        expect(o["rx_pps"] > 0 and o["tx_pps"] > 0, f"counts move: {o['rx_pps']}")
        expect(o["rx_packets"] >= o["tx_packets"], "rx >= tx")
        blocks = {b["name"]: b for b in o["blocks"]}
        expect("p0q0" in blocks and blocks["p0q0"].get("port") == 0
               and blocks["p0q0"].get("queue") == 0, f"p0q0 labelled: {list(blocks)}")
        r = stat("--prometheus", NAME)
        expect('block="p0q0",port="0",queue="0"} ' in r.stdout, "prometheus p0q0 labels")
        watcher = subprocess.Popen([STAT, "--interval", "0.2", NAME], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        expect(watcher.stdout.readline().startswith(NAME + ": pktecho-dpdk"), "live header")
        svc.send_signal(signal.SIGINT)
        expect(svc.wait(timeout=20) == 0, "pktecho-dpdk exit 0 after SIGINT")
        _, err = watcher.communicate(timeout=20)
        expect(watcher.returncode == 0 and "service stopped" in err,
               f"live view after SIGINT: {watcher.returncode} {err!r}")
        expect(not os.path.exists(SHM), "segment removed at exit")
    finally:
        for p in (svc, watcher):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if os.path.exists(SHM):
            os.unlink(SHM)


main()
if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("pktecho-stat reads a running pktecho-dpdk: all checks passed")
