# SPDX-License-Identifier: MIT
"""pktecho_test: the one helper module of pktecho's Python tests and scripts (stdlib only).

Tests get it on PYTHONPATH from meson (tests/meson.build); scripts add tests/pylib to sys.path.
By hand: PYTHONPATH=tests/pylib python3 tests/integration/sock/test_echo.py --bin ...

- checks: check() stops a case (raises Fail); expect()/eq()/fail() record a failure and go on;
  run_cases() and main() turn cases into exit codes (0 pass, 1 fail, 77 skip, 2 usage).
- processes: stop() (signal, bounded wait, then SIGKILL), json_objects(), summary(),
  cpu_seconds().
- ports: free_port(), wait_port() (ss, never a probe packet or connection), wait_until().
- DPDK: eal_args() with a unique --file-prefix (pe-test-<pid>-<tag>) whose /var/run/dpdk
  directory is removed at exit.
- namespaces: Netns (scripts/netns up/down, a unique name, removed at exit whatever happens).
- cleanup: CLEANUP holds every process, file, namespace and DPDK prefix registered with it and
  removes them at exit; SIGTERM (a meson timeout) and SIGINT unwind through it.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

SKIP = 77
SOURCE_ROOT = os.path.abspath(os.environ.get(
    "PE_SOURCE_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")))
BUILD_ROOT = os.path.abspath(os.environ.get("PE_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build")))
NETNS = os.path.join(SOURCE_ROOT, "scripts/netns")
DPDK_RUN_DIR = "/var/run/dpdk"


def binary(rel):
    """A program of the build tree, e.g. binary("app/pktecho/pktecho")."""
    return os.path.join(BUILD_ROOT, rel)


# ---- checks ----

class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    """Stop the case: raise Fail(what) unless cond."""
    if not cond:
        raise Fail(what)


FAILS = []


def expect(cond, what):
    """Record a failure and go on (the script ends with exit_code())."""
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, flush=True)
    return bool(cond)


def fail(what):
    """Record a failure and go on; returns None (so `return fail(...)` ends a step)."""
    expect(False, what)


def eq(got, want, what):
    return expect(got == want, "%s: got %r, want %r" % (what, got, want))


def exit_code():
    """1 when expect() recorded a failure, else 0."""
    return 1 if FAILS else 0


def run_cases(cases, selected=None):
    """Run (name, fn) cases, each to the end whatever the others did; one line per case.
    Returns 1 if any failed (raised, or recorded with expect()), else 0."""
    failed = 0
    for name, fn in cases:
        if selected and name not in selected:
            continue
        t0 = time.monotonic()
        before = len(FAILS)
        try:
            fn()
            if len(FAILS) > before:
                raise Fail("; ".join(FAILS[before:]))
            print("ok   %-28s %.2fs" % (name, time.monotonic() - t0), flush=True)
        except Skip as e:
            print("skip %-28s %s" % (name, e), flush=True)
        except Exception as e:  # report and go on: one failing case must not hide others
            failed += 1
            print("FAIL %-28s %s: %s" % (name, type(e).__name__, e), flush=True)
    return 1 if failed else 0


def main(cases, argv=None, prog=None):
    """One named case per run (meson runs each as its own test): PASS 0, FAIL 1, SKIP 77,
    usage 2. cases: {name: fn}."""
    argv = sys.argv[1:] if argv is None else argv
    prog = prog or os.path.basename(sys.argv[0])
    if len(argv) != 1 or argv[0] not in cases:
        print("usage: %s %s" % (prog, "|".join(sorted(cases))), file=sys.stderr)
        return 2
    handle_signals()
    try:
        cases[argv[0]]()
    except Skip as e:
        print("SKIP:", e)
        return SKIP
    except (Fail, subprocess.TimeoutExpired) as e:
        print("FAIL:", e)
        return 1
    if FAILS:
        return 1
    print("PASS")
    return 0


# ---- processes ----

def stop(p, sig=signal.SIGINT, timeout=10.0):
    """Signal p, wait at most timeout, then SIGKILL; returns (stdout, stderr) (text or None)."""
    if p.poll() is None:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    CLEANUP.forget(p)
    return out, err


def json_objects(text):
    """Every line of text that is a JSON object, parsed."""
    return [json.loads(x) for x in text.splitlines() if x.startswith("{")]


def summary(text):
    """The last "type":"summary" object of a report (Fail when there is none)."""
    s = [o for o in json_objects(text) if o.get("type") == "summary"]
    check(s, "no summary in the output: %r" % text[-500:])
    return s[-1]


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) in seconds; None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# ---- pktecho's start-up lines ----

def pktecho_startup(proc, max_lines=50):
    """Read a starting pktecho's stderr (a text pipe) up to "pktecho: running", at most max_lines
    lines; return what it announced: {"udp": the first 127.0.0.1 UDP port, "prometheus": the
    endpoint's port}, None for what it did not print."""
    got = {"udp": None, "prometheus": None}
    for _ in range(max_lines):
        line = proc.stderr.readline()
        if not line:
            break
        m = re.match(r"pktecho: udp 127\.0\.0\.1:(\d+)", line)
        if m and got["udp"] is None:
            got["udp"] = int(m.group(1))
        m = re.match(r"pktecho: prometheus port (\d+)", line)
        if m:
            got["prometheus"] = int(m.group(1))
        if line.startswith("pktecho: running"):
            break
    return got


# ---- ports ----

def free_port(proto="udp", host="127.0.0.1"):
    """A port the kernel had free a moment ago on host (UDP or TCP)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(fam, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what, interval=0.05):
    """Poll pred until it is true; Fail("<what> ...") after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(interval)
    raise Fail("%s: not ready after %.1f s" % (what, timeout))


def port_bound(port, proto="udp", pre=()):
    """Is something bound to (UDP) or listening on (TCP) port? Asks ss: no probe datagram or
    connection reaches the server (a probe would count in its statistics, and would make a
    --sendfile server stream a file). pre: a command prefix such as Netns.pre("a")."""
    out = subprocess.run(list(pre) + ["ss", "-Hln" + ("u" if proto == "udp" else "t"),
                                      "sport = :%d" % port],
                         capture_output=True, text=True, timeout=10).stdout
    return bool(out.strip())


def wait_port(port, proto="udp", timeout=5.0, pre=(), proc=None):
    """Wait until port is bound; Fail early if proc (the server) exits first."""
    def ready():
        if proc is not None and proc.poll() is not None:
            raise Fail("the server exited (status %d) before binding port %d"
                       % (proc.returncode, port))
        return port_bound(port, proto, pre)
    wait_until(ready, timeout, "port %s/%d" % (proto, port))


# ---- DPDK ----

def dpdk_prefix(tag):
    """A --file-prefix unique to this process; its /var/run/dpdk directory goes at exit."""
    prefix = "pe-test-%d-%s" % (os.getpid(), tag)
    CLEANUP.dpdk(prefix)
    return prefix


def eal_args(tag, vdevs=(), lcores=None, mem=256, log_level="warning"):
    """EAL options for a vdev-only run: no hugepages, no PCI, a unique --file-prefix."""
    args = ["--no-huge", "-m", str(mem), "--no-pci", "--log-level", log_level,
            "--file-prefix", dpdk_prefix(tag)]
    if lcores is not None:
        args += ["-l", str(lcores)]
    for v in ([vdevs] if isinstance(vdevs, str) else vdevs):
        args += ["--vdev", v]
    return args


# ---- namespaces ----

class Netns:
    """The scripts/netns topology NAME-a (198.18.0.2, va) / NAME-b (198.18.0.1, vb), with a
    name unique to this process; removed by down() or at exit, whatever happens. bare: the
    sides ("a", "b" or "ab") whose interface a DPDK port owns (no kernel addresses)."""
    seq = 0

    def __init__(self, tag="t", bare=""):
        Netns.seq += 1
        self.name = "pe-%s-%d-%d" % (tag, os.getpid(), Netns.seq)
        if len(self.name) > 24:
            raise ValueError("namespace name %s is longer than 24 characters" % self.name)
        args = [NETNS, "up", self.name]
        for side in bare:
            args += ["--bare", side]
        CLEANUP.netns(self)
        subprocess.run(args, check=True, timeout=30)

    def pre(self, side):
        """The command prefix that runs a program in side "a" or "b"."""
        return ["ip", "netns", "exec", "%s-%s" % (self.name, side)]

    def down(self):
        if self.name is not None:
            subprocess.run([NETNS, "down", self.name], capture_output=True, timeout=30)
            self.name = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.down()


# ---- cleanup ----

class Cleanup:
    """What this process made and must leave behind no trace of. clean() runs at exit (atexit),
    and on SIGTERM/SIGINT once handle_signals() turned them into SystemExit/KeyboardInterrupt.
    Order: processes (SIGKILL), then namespaces, files, DPDK runtime directories."""

    def __init__(self):
        self.procs, self.spaces, self.paths, self.prefixes = [], [], [], []

    def proc(self, p):
        self.procs.append(p)
        return p

    def forget(self, p):
        if p in self.procs:
            self.procs.remove(p)

    def netns(self, ns):
        self.spaces.append(ns)
        return ns

    def path(self, path):
        self.paths.append(path)
        return path

    def dpdk(self, prefix):
        if prefix not in self.prefixes:
            self.prefixes.append(prefix)
        return prefix

    def clean(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        for ns in self.spaces:
            ns.down()
        self.spaces = []
        for path in self.paths:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
        self.paths = []
        for prefix in self.prefixes:
            shutil.rmtree(os.path.join(DPDK_RUN_DIR, prefix), ignore_errors=True)
        self.prefixes = []


CLEANUP = Cleanup()
atexit.register(CLEANUP.clean)


def _on_term(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds finally/__exit__ blocks, then atexit cleans


def handle_signals():
    """SIGTERM (a meson timeout) exits through the cleanups; SIGINT stays KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _on_term)


if __name__ == "__main__":
    sys.exit("pktecho_test: a library for the test scripts and scripts/compare")
