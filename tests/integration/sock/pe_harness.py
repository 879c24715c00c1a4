# SPDX-License-Identifier: MIT
"""Helpers of the socket fallback's integration tests: start pktecho on loopback with port 0,
read back the bound ports, stop it with SIGTERM and parse the JSON summary; socket clients.
Checks, the case runner and process helpers come from tests/pylib/pktecho_test.py."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from pktecho_test import Fail, check, cpu_seconds, summary


class Server:
    def __init__(self, binary, args, preexec_fn=None, small_quarantine=False):
        self.args = [binary, "--report", "json"] + args
        env = dict(os.environ)
        if small_quarantine:  # under ASan, freed buffers would sit in its quarantine and count
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
                ":quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=preexec_fn, env=env)
        self.addrs = {"udp": [], "tcp": [], "sendfile": []}
        self.summary = None
        self.startup_lines = []
        self.stdout_text = ""
        self.early_stdout = ""  # what read_until() consumed before stop()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            self.startup_lines.append(line.strip())
            if not line:
                out, err = self.proc.communicate(timeout=5)
                raise RuntimeError("pktecho exited (%s): %s" % (self.proc.returncode, err))
            m = re.match(r"pktecho: (udp|tcp|sendfile) \[?([0-9a-f.:]+?)\]?:(\d+)$", line.strip())
            if m:
                self.addrs[m.group(1)].append((m.group(2), int(m.group(3))))
            elif line.startswith("pktecho: running"):
                return
        self.kill()
        raise RuntimeError("pktecho did not start in time")

    @property
    def pid(self):
        return self.proc.pid

    def udp(self, i=0):
        return self.addrs["udp"][i]

    def tcp(self, i=0):
        return self.addrs["tcp"][i]

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        return cpu_seconds(self.pid)

    def thread_cpu(self):
        """{'tid comm': CPU seconds} of every thread (io_uring workers included): which one
        spins, when a test finds the process busy."""
        out = {}
        for tid in os.listdir("/proc/%d/task" % self.pid):
            try:
                with open("/proc/%d/task/%s/stat" % (self.pid, tid)) as f:
                    head, rest = f.read().rsplit(")", 1)
                fields = rest.split()
                out[tid + " " + head.split("(", 1)[1]] = \
                    (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return out

    def alive(self):
        return self.proc.poll() is None

    def read_until(self, cond, seconds=30):
        """Read the running server's NDJSON stdout until cond(record) holds, so a test waits
        for what the server has reported instead of sleeping; stop() keeps what was read."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.early_stdout += line
            if line.startswith("{") and cond(json.loads(line)):
                return
        raise Fail("the server never reported what the test waits for")

    def stop(self, sig=signal.SIGTERM):
        """Stop with sig; the exit code must be 0 and the last stdout line a JSON summary."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=20)
        out = self.early_stdout + out
        self.stdout_text = out
        check(self.proc.returncode == 0, "exit code %s after %s; stderr: %s"
              % (self.proc.returncode, sig, err[-2000:]))
        lines = [l for l in out.splitlines() if l.startswith("{")]
        check(lines, "no JSON output")
        self.summary = summary(lines[-1])
        return self.summary

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=5)


def pattern(n, seed=1):
    """Deterministic bytes that differ by position (a shifted copy would not match)."""
    base = bytes((i * 131 + seed * 7 + (i >> 8)) & 0xFF for i in range(65536))
    reps = n // len(base) + 1
    return (base * reps)[:n]


def udp_echo(addr, payload, sport=0, timeout=2.0, tries=3):
    fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr[0], sport))
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(payload, addr)
            try:
                data, src = s.recvfrom(70000)
                return data
            except socket.timeout:
                continue
    return None


def tcp_connect(addr, timeout=10):
    fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(addr)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def recv_all(s):
    buf = bytearray()
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            return bytes(buf)
        buf += chunk


def main_args():
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--model", default="epoll")
    p.add_argument("cases", nargs="*")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit("a library for the test scripts")
