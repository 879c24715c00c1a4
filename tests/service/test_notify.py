#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Type=notify readiness as systemd would see it, through a NOTIFY_SOCKET this test owns (systemd
is not PID 1 here): pktecho (loopback, epoll, 2 threads) and pktecho-dpdk (net_null) send
READY=1 once they serve (a datagram sent at READY is echoed), STATUS= with rates, WATCHDOG=1
(WATCHDOG_USEC 400 ms: a ping every 100 ms while every worker's heartbeat moves), and
STOPPING=1 at SIGTERM.
Then for every socket IO model (--threads 2, UDP and TCP) and pktecho-dpdk: pings while idle
(each worker's wait is bounded), none while one worker thread is held stopped (ptrace: that
thread only), pings again once it runs.

Usage: test_notify.py --pktecho PKTECHO [--dpdk PKTECHO-DPDK]
"""
import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pktecho_test import FAILS, eal_args, exit_code, expect, pktecho_startup




class Notify:
    def __init__(self, tag):
        self.path = "/tmp/pe-test-%d-%s.sock" % (os.getpid(), tag)
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.msgs = []

    def env(self):
        e = dict(os.environ)
        e["NOTIFY_SOCKET"] = self.path
        e["WATCHDOG_USEC"] = "400000"
        e.pop("WATCHDOG_PID", None)
        return e

    def wait_for(self, key, timeout):
        """Messages until one holds key (a line KEY=...); True when seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                m = self.s.recv(4096).decode()
            except socket.timeout:
                break
            self.msgs.append(m)
            if any(line.startswith(key) for line in m.split("\n")):
                return True
        return False

    def count(self, line):
        return sum(1 for m in self.msgs for x in m.split("\n") if x == line)

    def close(self):
        self.s.close()
        os.unlink(self.path)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def end(p, n):
    """Whatever happened: the service gone, the notify socket closed and removed."""
    if p.poll() is None:
        p.kill()
        p.wait()
    n.close()


def running_then_stop(n, p, who):
    """After READY=1: rates in STATUS=, watchdog pings, then a clean stop that says STOPPING=1."""
    expect(n.wait_for("STATUS=rx ", 5), "%s: STATUS= with rates" % who)
    for _ in range(3):
        n.wait_for("WATCHDOG=1", 5)
    expect(n.count("WATCHDOG=1") >= 3, "%s: WATCHDOG=1 pings (%d)" % (who, n.count("WATCHDOG=1")))
    rc = stop(p)
    expect(n.wait_for("STOPPING=1", 5), "%s: STOPPING=1" % who)
    expect(rc == 0, "%s: exit 0 (%s)" % (who, rc))


def test_pktecho(binary):
    n = Notify("notify")
    p = subprocess.Popen([binary, "--udp", "127.0.0.1:0", "--threads", "2"], env=n.env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = pktecho_startup(p)["udp"]
        expect(n.wait_for("READY=1", 10), "pktecho: READY=1")
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(5)
        c.sendto(b"at ready", ("127.0.0.1", port))
        expect(c.recv(64) == b"at ready", "pktecho: echoes at READY")
        c.close()
        running_then_stop(n, p, "pktecho")
    finally:
        end(p, n)


def test_dpdk(binary):
    n = Notify("dnotify")
    p = subprocess.Popen([binary] + eal_args("notify", "net_null0", lcores=0) +
                         ["--", "--mode", "l2", "--duration", "60"], env=n.env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expect(n.wait_for("READY=1", 30), "pktecho-dpdk: READY=1")
        running_then_stop(n, p, "pktecho-dpdk")
    finally:
        end(p, n)


PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def worker_tid(pid, comm):
    """A worker thread of pid named comm (pktecho's threads keep the process's name; io_uring's
    kernel threads are iou-*), not the main one, which runs the control loop."""
    for tid in sorted(int(t) for t in os.listdir("/proc/%d/task" % pid)):
        with open("/proc/%d/task/%d/comm" % (pid, tid)) as f:
            if tid != pid and f.read().strip() == comm:
                return tid
    return None


def hold(tid):
    """Stop thread tid alone (PTRACE_INTERRUPT stops the one thread, not its group)."""
    if LIBC.ptrace(PTRACE_SEIZE, tid, None, None) != 0 or \
            LIBC.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
        return False
    _, status = os.waitpid(tid, WALL)
    return os.WIFSTOPPED(status)


def release(tid):
    LIBC.ptrace(PTRACE_DETACH, tid, None, None)


def test_hold(who, tag, cmd, comm):
    """Pings while idle, none while one worker thread (named comm) is held, pings after."""
    n = Notify("wd-" + tag)
    p = subprocess.Popen(cmd, env=n.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tid = None
    try:
        expect(n.wait_for("READY=1", 30), "%s: READY=1" % who)
        for _ in range(3):
            n.wait_for("WATCHDOG=1", 5)
        expect(n.count("WATCHDOG=1") >= 3, "%s: WATCHDOG=1 pings while idle (%d)" %
               (who, n.count("WATCHDOG=1")))
        tid = worker_tid(p.pid, comm)
        if not expect(tid and hold(tid), "%s: a worker thread held" % who):
            return
        # A tick that read the heartbeat before the hold may still ping once; no later one can.
        n.msgs = []
        n.wait_for("NO-SUCH-KEY", 1.5)
        expect(n.count("WATCHDOG=1") <= 1, "%s: %d WATCHDOG=1 while a worker is stopped" %
               (who, n.count("WATCHDOG=1")))
        release(tid)
        tid = None
        n.msgs = []
        for _ in range(2):
            n.wait_for("WATCHDOG=1", 5)
        expect(n.count("WATCHDOG=1") >= 2, "%s: pings again once it runs" % who)
        rc = stop(p)
        expect(rc == 0, "%s: exit 0 (%s)" % (who, rc))
    finally:
        if tid:
            release(tid)
        end(p, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pktecho", required=True)
    ap.add_argument("--dpdk")
    a = ap.parse_args()
    test_pktecho(a.pktecho)
    for model in ("epoll", "blocking", "nonblocking", "sigio", "uring"):
        test_hold("pktecho --io-model " + model, model,
                  [a.pktecho, "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--threads", "2",
                   "--io-model", model], "pktecho")
    if a.dpdk:  # -l 0: the main lcore's queues run on a thread of their own
        test_hold("pktecho-dpdk", "dpdk", [a.dpdk] + eal_args("wd", "net_null0", lcores=0) +
                  ["--", "--mode", "l2", "--duration", "60"], "pe-main-worker")
    if a.dpdk:
        test_dpdk(a.dpdk)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
