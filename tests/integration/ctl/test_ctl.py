#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho-ctl against the real services: status, reset-counters, set reply-limit and stop on a
running pktecho (loopback) and pktecho-dpdk (net_null, --no-huge, its own --file-prefix); usage
errors; a service killed with SIGKILL leaves its queue behind and the next start recovers it.
Names carry this test's pid.

Usage: test_ctl.py --ctl PKTECHO-CTL --pktecho PKTECHO [--dpdk PKTECHO-DPDK]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pktecho_test import FAILS, exit_code, expect, pktecho_startup




def ctl(*args):
    return subprocess.run([A.ctl, *args], capture_output=True, text=True, timeout=30)


def totals_rx(status_text):
    """RX-packets of the totals block of a status answer."""
    part = status_text.split("totals", 1)
    m = re.search(r"RX-packets:\s+(\d+)", part[1]) if len(part) == 2 else None
    return int(m.group(1)) if m else None


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def start_pktecho(name, preexec_fn=None):
    p = subprocess.Popen([A.pktecho, "--udp", "127.0.0.1:0", "--stats-name", name,
                          "--report", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=preexec_fn)
    return p, pktecho_startup(p)["udp"]


def echo(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    got = 0
    for i in range(n):
        s.sendto(b"ping %d" % i, ("127.0.0.1", port))
        if s.recv(2048) == b"ping %d" % i:
            got += 1
    s.close()
    return got


def wait_exit(p, timeout=15):
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def test_pktecho():
    name = "pe-test-%d-ctl" % os.getpid()
    p, port = start_pktecho(name)
    try:
        expect(port is not None, "pktecho started with --stats-name")
        expect(echo(port, 20) == 20, "20 datagrams echoed")
        r = ctl(name, "status")
        expect(r.returncode == 0, "status exit 0 (%d: %s)" % (r.returncode, r.stderr.strip()))
        expect("service: pktecho\n" in r.stdout and "name: %s\n" % name in r.stdout
               and "mode: epoll\n" in r.stdout, "status names service, name and mode")
        expect(totals_rx(r.stdout) == 20, "status totals RX-packets 20 (%s)" %
               totals_rx(r.stdout))
        r = ctl(name, "reset-counters")
        expect(r.returncode == 0, "reset-counters exit 0")
        expect(totals_rx(ctl(name, "status").stdout) == 0, "totals 0 after reset")
        expect(echo(port, 5) == 5, "5 more echoed")
        expect(totals_rx(ctl(name, "status").stdout) == 5, "totals 5 after reset and 5 echoes")
        r = ctl(name, "set", "reply-limit", "1000/10")
        expect(r.returncode == 0, "set reply-limit 1000/10: exit %d: %s" % (r.returncode,
                                                                          r.stderr.strip()))
        expect("\nreply-limit: 1000/10\n" in ctl(name, "status").stdout,
               "status shows the new reply limit")
        for bad in ([name, "status", "now"], [name, "set", "reply-limit", "0"],
                    [name, "set", "reply-limit"], [name, "frobnicate"],
                    ["--timeout", "0", name, "status"], [name], []):
            r = ctl(*bad)
            expect(r.returncode == 2 and r.stderr.count("\n") == 2,
                   "usage error %r: exit 2, one line and a hint (%d)" % (bad, r.returncode))
        r = ctl("../etc/x", "status")
        expect(r.returncode == 2, "a name with '/' is refused (exit %d)" % r.returncode)
        r = ctl("pe-test-%d-none" % os.getpid(), "status")
        expect(r.returncode == 1 and "no such service" in r.stderr, "unknown service: exit 1")
        expect(p.poll() is None, "service still running after every command above")
        r = ctl(name, "stop")
        expect(r.returncode == 0, "stop exit 0")
        rc = wait_exit(p)
        expect(rc == 0, "service exited 0 after stop (%s)" % rc)
        out = p.stdout.read()
        summ = [json.loads(x) for x in out.splitlines() if '"summary"' in x]
        expect(len(summ) == 1 and summ[0].get("rx_packets") == 5,
               "final summary counts since the reset: %s" %
               (summ[0].get("rx_packets") if summ else None))
        r = ctl(name, "status")
        expect(r.returncode == 1 and "no such service" in r.stderr, "queue gone after stop")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_stale():
    name = "pe-test-%d-ctlstale" % os.getpid()
    p, port = start_pktecho(name)
    expect(port is not None, "first service started")
    p.send_signal(signal.SIGKILL)
    p.wait()
    p, port = start_pktecho(name)
    try:
        expect(port is not None, "second service started over the dead one's queue")
        r = ctl(name, "status")
        expect(r.returncode == 0 and "pid: %d\n" % p.pid in r.stdout,
               "the new service answers (%s)" % r.stderr.strip())
        expect(ctl(name, "stop").returncode == 0 and wait_exit(p) == 0, "stopped")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in ("/dev/shm/pktecho-" + name,):
            if os.path.exists(f):
                os.unlink(f)


def test_users():
    """root commands a service of another user (a unit's dynamic user); that user cannot
    command root's service."""
    name = "pe-test-%d-ctlusers" % os.getpid()
    p, port = start_pktecho(name, preexec_fn=as_nobody)
    try:
        expect(port is not None, "service started as nobody")
        r = ctl(name, "status")
        expect(r.returncode == 0 and "name: %s\n" % name in r.stdout,
               "root's status to nobody's service (%s)" % r.stderr.strip())
        expect(ctl(name, "stop").returncode == 0 and wait_exit(p) == 0, "root stops it")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    p, port = start_pktecho(name)
    try:
        r = subprocess.run([A.ctl, name, "stop"], capture_output=True, text=True, timeout=30,
                           preexec_fn=as_nobody)
        expect(r.returncode == 1 and "another user" in r.stderr,
               "nobody cannot stop root's service (%d: %s)" % (r.returncode, r.stderr.strip()))
        expect(p.poll() is None, "root's service still running")
        expect(ctl(name, "stop").returncode == 0 and wait_exit(p) == 0, "root stops its own")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_dpdk():
    name = "pe-test-%d-ctldpdk" % os.getpid()
    prefix = "pe-test-%d-ctl" % os.getpid()
    p = subprocess.Popen([A.dpdk, "--no-huge", "-m", "256", "--no-pci", "--log-level",
                          "warning", "--vdev", "net_null0", "-l", "0", "--file-prefix", prefix,
                          "--", "--mode", "l2", "--stats-name", name, "--duration", "60",
                          "--report", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and p.poll() is None:
            r = ctl("--timeout", "1", name, "status")
            if r.returncode == 0:
                break
            time.sleep(0.1)
        expect(r is not None and r.returncode == 0, "pktecho-dpdk answers status")
        expect(r is not None and "service: pktecho-dpdk\n" in r.stdout
               and "mode: l2\n" in r.stdout, "status names pktecho-dpdk and mode l2")
        expect(r is not None and "source-limit:" not in r.stdout, "l2: status shows no limits")
        r = ctl(name, "reset-counters")
        expect(r.returncode == 0, "reset-counters exit 0")
        r = ctl(name, "set", "reply-limit", "5")
        expect(r.returncode == 1 and "no reply limits" in r.stderr,
               "l2: set reply-limit refused (%s)" % r.stderr.strip())
        r = ctl(name, "stop")
        expect(r.returncode == 0, "stop exit 0")
        rc = wait_exit(p, 30)
        expect(rc == 0, "pktecho-dpdk exited 0 after stop (%s)" % rc)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--pktecho", required=True)
    ap.add_argument("--dpdk")
    A = ap.parse_args()
    test_pktecho()
    test_stale()
    if os.geteuid() == 0:
        test_users()
    if A.dpdk:
        test_dpdk()
    if FAILS:
        print("%d failure(s)" % len(FAILS))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
