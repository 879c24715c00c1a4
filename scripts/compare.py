#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/compare: pktecho's paths side by side under the same pktecho-load load.

Paths: pktecho-dpdk on net_af_packet (a veth in a private namespace), pktecho with each IO model
(kernel sockets in the same kind of namespace), DPDK to DPDK over net_memif (pktecho-load --dpdk),
and the core benchmark against dpdk-testpmd (scripts/bench dpdk). Each path gets the same two
loads: the highest rate the load can offer (throughput, loss, CPU per packet) and a modest fixed
rate (round-trip latency, which must be loss-free). Writes compare.md and compare.svg, prints the
table. A path whose binary is missing is reported as "not built". Namespaces and processes are
removed on exit and on Ctrl-C. Method and reading guide: docs/load.md.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
IO_MODELS = ["blocking", "nonblocking", "epoll", "sigio", "uring"]
L2_OVERHEAD = 14 + 20 + 8  # Ethernet + IPv4 + UDP: Gbps counts frames without FCS/preamble
SERVER_CPU, LOAD_CPU = "1", "0"
DPDK_SERVER_LCORES = "0,1"  # pktecho-dpdk: main lcore (idle) on 0, the worker on 1


def log(msg):
    print("compare: " + msg, flush=True)


class Failed(Exception):
    pass


class NotBuilt(Exception):
    pass


# ---- cleanup: every process and namespace we make is registered here ----

class Janitor:
    def __init__(self):
        self.procs, self.netns, self.files = [], [], []

    def proc(self, p):
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10.0):
        """SIGINT, then SIGKILL; returns (stdout, stderr)."""
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        if p in self.procs:
            self.procs.remove(p)
        return out or "", err or ""

    def clean(self):
        for p in list(self.procs):
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        for name in self.netns:
            subprocess.run([os.path.join(ROOT, "scripts/netns"), "down", name],
                           capture_output=True, timeout=30)
        self.netns = []
        for f in self.files:
            if os.path.exists(f):
                os.unlink(f)
        self.files = []


JAN = Janitor()


def on_signal(signum, _frame):
    raise KeyboardInterrupt


# ---- build ----

def build(args):
    bdir = os.path.join(ROOT, args.build)
    if args.no_build:
        log("using %s as it is (--no-build)" % args.build)
    elif not os.path.exists(os.path.join(bdir, "build.ninja")):
        log("configuring %s (release)" % args.build)
        subprocess.run(["meson", "setup", bdir, "--buildtype=release", "-Dwerror=true"], check=True,
                       stdout=subprocess.DEVNULL)
    if not args.no_build:
        log("building (ninja -C %s; the first build takes a few minutes)" % args.build)
        subprocess.run(["ninja", "-C", bdir, "-j2"], check=True, stdout=subprocess.DEVNULL)
    return {
        "load": os.path.join(bdir, "app/pktecho-load/pktecho-load"),
        "pktecho": os.path.join(bdir, "app/pktecho/pktecho"),
        "dpdk": os.path.join(bdir, "app/pktecho-dpdk/pktecho-dpdk"),
    }


def built(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def load_has_dpdk(load):
    eal = ["--no-huge", "-m", "64", "--no-pci", "--file-prefix", "pe-cmp-%d-probe" % os.getpid(),
           "--log-level=error"]
    p = subprocess.run([load, "--dpdk"] + eal + ["--", "--version"], capture_output=True,
                       text=True, timeout=60)
    return "no DPDK" not in p.stderr


# ---- measurement helpers ----

def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks; None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def netns(name, side):
    return ["ip", "netns", "exec", "%s-%s" % (name, side)]


def wait_until(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise Failed("%s not ready after %.0f s" % (what, timeout))


def run_load(cmd, server, warmup, duration, interval):
    """Run one load; sample the server's CPU at each interval line of the measured phase.
    Returns (summary, (server CPU s, wall s, load CPU s), echoes counted over the same
    intervals)."""
    p = JAN.proc(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True))
    samples, summary, k = [], None, 0
    for line in p.stdout:
        if not line.startswith("{"):
            continue
        obj = json.loads(line)
        if obj.get("type") == "summary":
            summary = obj
        elif obj.get("type") == "interval":
            k += 1
            t = k * interval
            if warmup - 1e-9 <= t <= warmup + duration + 1e-9:
                samples.append((cpu_ticks(server.pid), obj["rx_packets"], time.monotonic(),
                                cpu_ticks(p.pid)))
    _, err = JAN.stop(p, timeout=30)
    if p.returncode != 0 or summary is None:
        raise Failed("pktecho-load failed: %s" % (err.strip().splitlines() or ["?"])[-1])
    samples = [s for s in samples if s[0] is not None and s[3] is not None]
    if len(samples) >= 2 and samples[-1][1] > samples[0][1]:
        cpu = (samples[-1][0] - samples[0][0]) / CLK_TCK
        load_cpu = (samples[-1][3] - samples[0][3]) / CLK_TCK
        wall = samples[-1][2] - samples[0][2]
        return summary, (cpu, wall, load_cpu), samples[-1][1] - samples[0][1]
    return summary, None, 0


# ---- the paths ----

class Path:
    def __init__(self, name, kind, detail=""):
        self.name, self.kind, self.detail = name, kind, detail
        self.status = ""  # "", "not built", "failed: ..."
        self.max = self.fixed = None
        self.cpu_us = self.cpu_pct = self.load_pct = None
        self.note = ""  # e.g. the server crashed when it was stopped


def load_cmd(args, bins, rate, warmup, duration, interval, pre=(), dpdk_eal=None):
    cmd = list(pre) + ["taskset", "-c", LOAD_CPU, bins["load"]]
    if dpdk_eal is not None:
        cmd += ["--dpdk"] + dpdk_eal + ["--"]
    cmd += ["--report", "json", "--size", str(args.size), "--flows", str(args.flows),
            "--rate", str(rate), "--warmup", str(warmup), "--duration", str(duration),
            "--interval", str(interval),
            # At max rate the losses are real: a short drain. At the latency rate nothing
            # should be lost: a long one (it ends as soon as every echo is back).
            "--drain", "0.5" if rate == "max" else "3"]
    return cmd


def eal(tag, vdev, lcore, mem):
    return ["--no-huge", "-m", str(mem), "--no-pci", "--log-level=error",
            "--file-prefix", "pe-cmp-%d-%s" % (os.getpid(), tag), "-l", lcore, "--vdev", vdev]


class Runner:
    def __init__(self, args, bins):
        self.args, self.bins = args, bins
        self.ns_sock = self.ns_af = None
        self.memif = os.path.join(tempfile.gettempdir(), "pe-cmp-%d-memif.sock" % os.getpid())
        JAN.files.append(self.memif)  # DPDK's memif socket is abstract by default: usually no file

    def topology(self, bare):
        name = "pe-cmp-%d-%s" % (os.getpid(), "d" if bare else "s")
        cmd = [os.path.join(ROOT, "scripts/netns"), "up", name] + (["--bare", "a"] if bare else [])
        JAN.netns.append(name)
        subprocess.run(cmd, check=True, timeout=60)
        return name

    def spawn(self, cmd):
        """Start a server; its stderr goes to a file that readiness checks and errors read."""
        err = tempfile.NamedTemporaryFile("w+", prefix="pe-cmp-", suffix=".err", delete=False)
        JAN.files.append(err.name)
        srv = JAN.proc(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True))
        srv.err_path = err.name
        err.close()
        return srv

    @staticmethod
    def last_error(srv):
        with open(srv.err_path) as f:
            lines = [x for x in f.read().splitlines() if x.strip() and "TELEMETRY" not in x and
                     not x.lower().startswith(("try ", "usage"))]
        return lines[-1] if lines else "?"

    def start_server(self, path):
        b = self.bins
        if path.kind == "sock":
            self.ns_sock = self.ns_sock or self.topology(False)
            srv = self.spawn(netns(self.ns_sock, "a") + [
                "taskset", "-c", SERVER_CPU, b["pktecho"], "--udp", "198.18.0.2:7", "--io-model",
                path.detail, "--threads", "1", "--report", "json"])
            probe = netns(self.ns_sock, "a") + ["ss", "-Hlun", "src", "198.18.0.2:7"]
            ready = lambda: subprocess.run(probe, capture_output=True, text=True).stdout.strip()
        elif path.kind == "af_packet":
            # The kernel stays off va (no addresses): pktecho-dpdk alone answers there.
            self.ns_af = self.ns_af or self.topology(True)
            srv = self.spawn(netns(self.ns_af, "a") + [b["dpdk"]] + eal(
                "af", "net_af_packet0,iface=va", DPDK_SERVER_LCORES, 512) + [
                "--", "--ip", "198.18.0.2/24", "--mode", "service", "--report", "json"])
            ping = netns(self.ns_af, "b") + ["ping", "-c", "1", "-W", "1", "198.18.0.2"]
            ready = lambda: subprocess.run(ping, capture_output=True).returncode == 0
        else:  # memif: an abstract socket, so readiness is the placement lines on stderr
            srv = self.spawn([b["dpdk"]] + eal(
                "ms", "net_memif0,role=server,socket=%s" % self.memif, DPDK_SERVER_LCORES,
                512) + ["--", "--ip", "198.18.0.2/24", "--mode", "service", "--report", "json"])
            started = time.time()

            def ready():
                with open(srv.err_path) as f:
                    text = f.read()
                return "lcore " in text or time.time() - started > 5
        wait_until(lambda: srv.poll() is not None or ready(), 30, path.name)
        if srv.poll() is not None:
            JAN.stop(srv)
            why = self.last_error(srv)
            if "this build has no" in why:  # e.g. pktecho without liburing: --io-model uring
                raise NotBuilt(why.split("this build has no", 1)[1].strip())
            raise Failed("server exited (status %d): %s" % (srv.returncode, why))
        return srv

    def one_load(self, path, srv, rate, warmup, duration):
        a, interval = self.args, 0.25
        if path.kind == "memif":
            cmd = load_cmd(a, self.bins, rate, warmup, duration, interval, dpdk_eal=eal(
                "ml", "net_memif0,role=client,socket=%s" % self.memif, LOAD_CPU, 256))
            cmd += ["--src-ip", "198.18.0.1", "--link-wait", "10"]
        else:
            ns = self.ns_sock if path.kind == "sock" else self.ns_af
            cmd = load_cmd(a, self.bins, rate, warmup, duration, interval, netns(ns, "b"))
        cmd.append("udp://198.18.0.2:7")
        if srv.poll() is not None:
            raise Failed("server exited (status %d): %s" % (srv.returncode,
                                                            self.last_error(srv)))
        return run_load(cmd, srv, warmup, duration, interval)

    def run(self, path, n, total):
        """One server, two loads: the offered rate, then the latency rate."""
        a = self.args
        log("[%d/%d] %s: offered load %s pps for %gs" % (n, total, path.name, a.rate, a.duration))
        srv = self.start_server(path)
        try:
            path.max, cpu, echoes = self.one_load(path, srv, a.rate, a.warmup, a.duration)
            if cpu is not None and echoes:
                path.cpu_us = cpu[0] / echoes * 1e6
                path.cpu_pct = 100.0 * cpu[0] / cpu[1] if cpu[1] > 0 else None
                path.load_pct = 100.0 * cpu[2] / cpu[1] if cpu[1] > 0 else None
            log("        echoed %.0f pps, loss %.2f%%, server CPU %s us/packet (server %s of a core, "
                "load %s)" % (path.max["rx_pps"], 100.0 * path.max["loss_ratio"],
                              "%.2f" % path.cpu_us if path.cpu_us is not None else "?",
                              pct(path.cpu_pct), pct(path.load_pct)))
            log("        latency at %d pps for %gs" % (a.lat_rate, a.lat_duration))
            time.sleep(0.3)
            if srv.poll() is not None:
                # It died between the loads (e.g. when the memif client went away): say so,
                # then give the latency run a fresh server rather than lose the row.
                path.note = "the server died after the first load ended (status %d: %s); " \
                    "restarted for the latency run" % (srv.returncode, self.last_error(srv))
                log("        " + path.note)
                JAN.stop(srv)
                srv = self.start_server(path)
            path.fixed, _, _ = self.one_load(path, srv, a.lat_rate, min(a.warmup, 0.5),
                                             a.lat_duration)
            lat = path.fixed["latency_us"]
            log("        p50 %.1f us, p99 %.1f us, lost %d" % (lat["p50"], lat["p99"],
                                                            path.fixed["lost"]))
        finally:
            JAN.stop(srv)
            if srv.returncode not in (0, None, -signal.SIGINT):
                note = "the server exited with status %d when stopped (%s)" % (
                    srv.returncode, self.last_error(srv))
                path.note = path.note + "; " + note if path.note else note
                log("        " + note)


def plan(args, bins):
    paths = []
    want = set(args.paths.split(","))
    if "af_packet" in want:
        p = Path("pktecho-dpdk, net_af_packet on veth", "af_packet")
        p.status = "" if built(bins["dpdk"]) else "not built"
        paths.append(p)
    for m in IO_MODELS:
        if m in want or "sock" in want:
            p = Path("pktecho --io-model %s" % m, "sock", m)
            p.status = "" if built(bins["pktecho"]) else "not built"
            paths.append(p)
    if "memif" in want:
        p = Path("DPDK to DPDK, net_memif (pktecho-load --dpdk)", "memif")
        dpdk_load = built(bins["load"]) and load_has_dpdk(bins["load"])
        p.status = "" if built(bins["dpdk"]) and dpdk_load else "not built"
        paths.append(p)
    return paths


# ---- the core benchmark (scripts/bench dpdk) ----

def core_bench(args, bins):
    script = os.path.join(ROOT, "scripts/bench-dpdk")
    if "bench" not in args.paths.split(","):
        return None
    if not os.path.exists(script):
        return "not built (scripts/bench dpdk does not exist yet)"
    if not built(bins["dpdk"]):
        return "not built (this build has no pktecho-dpdk)"
    cmd = [os.path.join(ROOT, "scripts/bench"), "dpdk"]
    with open(script) as f:
        text = f.read()
    if "[-b BUILDDIR]" in text:  # reuse our release build
        cmd += ["-b", args.build]
    if args.quick and "[-s SECONDS]" in text:
        cmd += ["-s", "4", "-r", "1"]
    elif args.quick and "--quick" in text:
        cmd.append("--quick")
    log("core benchmark against dpdk-testpmd: scripts/bench %s" % " ".join(cmd[2:]))
    env = dict(os.environ, PE_BUILD=os.path.join(ROOT, args.build))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.bench_timeout,
                           env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "failed: timed out after %d s" % args.bench_timeout
    out = p.stdout.strip()
    if p.returncode != 0:
        return "failed (exit %d):\n%s\n%s" % (p.returncode, out[-2000:], p.stderr.strip()[-1000:])
    return out


# ---- output ----

def pct(v):
    return "%.0f%%" % v if v is not None else "?"


def fmt_row(p, args):
    if p.status:
        return [p.name, p.status] + ["-"] * 8
    m, f = p.max, p.fixed
    gbps = m["rx_pps"] * (args.size + L2_OVERHEAD) * 8 / 1e9
    return [p.name, "%.0f" % m["rx_pps"], "%.3f" % gbps, "%.2f%%" % (100.0 * m["loss_ratio"]),
            "%.1f" % f["latency_us"]["p50"], "%.1f" % f["latency_us"]["p99"],
            "%d" % f["lost"], "%.2f" % p.cpu_us if p.cpu_us is not None else "?",
            pct(p.cpu_pct), pct(p.load_pct)]


HEADER = ["path", "echoed pps", "Gbps", "loss at max", "p50 RTT us", "p99 RTT us",
          "lost at fixed rate", "server CPU us/packet", "server CPU use", "load CPU use"]


def table(paths, args):
    rows = [HEADER] + [fmt_row(p, args) for p in paths]
    out = ["| " + " | ".join(r) + " |" for r in rows]
    out.insert(1, "|" + "|".join("---" for _ in HEADER) + "|")
    return "\n".join(out)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d CPUs, Linux %s" % (cpu, os.cpu_count() or 0, platform.release())


def loadavg():
    return "%.1f" % os.getloadavg()[0]


def write_md(paths, bench, args, started):
    lines = [
        "# pktecho: the paths compared",
        "",
        "Made by `scripts/compare%s` on %s (%s), in %.0f s; load average %s at the start, "
        "%s at the end (above 1 per CPU, other work shared the cores: expect noise)." % (
            " --quick" if args.quick else "", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            machine(), time.time() - started, args.loadavg_start, loadavg()),
        "",
        "Same load for every path: pktecho-load, UDP, %d-byte payloads, %d flows, one thread on "
        "CPU %s; the server on CPU %s. Throughput: offered rate `%s` for %g s after %g s of "
        "warm-up. Latency: %d pps for %g s. Method and how to read this: docs/load.md." % (
            args.size, args.flows, LOAD_CPU, SERVER_CPU, args.rate, args.duration, args.warmup,
            args.lat_rate, args.lat_duration),
        "",
        table(paths, args),
        "",
    ] + ["**%s**: %s." % (p.name, p.note) for p in paths if p.note] + [
        "",
        "- echoed pps, Gbps (Ethernet frames without FCS), loss: at the offered rate; loss there "
        "is the server (or the path) falling behind.",
        "- RTT and lost at fixed rate: at %d pps, where every path should lose nothing." %
        args.lat_rate,
        "- server CPU: utime+stime of the server process from /proc/<pid>/stat over the measured "
        "intervals, divided by the echoes received in them. A DPDK lcore polls: it burns its "
        "core whatever the rate, so its cost per packet falls as the rate rises.",
        "- server CPU use: the same CPU time over the wall time, in percent of one core. A "
        "polling DPDK server below 100% did not get its core: other work shared it, and its "
        "rates and latencies here say more about the machine than about the path.",
        "- load CPU use: the same for pktecho-load (in the socket paths its kernel transmit work "
        "counts too). Near 100%, the load was the limit of that row; well below, with loss at "
        "max, the server was.",
    ]
    if bench is not None:
        lines += ["", "## Core benchmark against dpdk-testpmd (`scripts/bench dpdk`)", "",
                  "```", bench, "```"]
    path = os.path.join(args.out, "compare.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def write_svg(paths, args):
    done = [p for p in paths if not p.status]
    svg = os.path.join(args.out, "compare.svg")
    if not done or not shutil.which("gnuplot"):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as d:
        for p in done:
            d.write('"%s" %.3f %.3f %.1f\n' % (p.name.replace('"', "'"), p.max["rx_pps"] / 1e3,
                                              p.cpu_us if p.cpu_us is not None else 0,
                                              p.fixed["latency_us"]["p99"]))
    n = len(done)
    panel = ("set title '%s'\n"
             "plot '{d}' using (column({c})/2):0:(0):{c}:($0-0.35):($0+0.35):ytic(1) "
             "with boxxyerror lc rgb '%s', "
             "'' using {c}:0:(sprintf(' %s', column({c}))) with labels left\n")
    script = "\n".join([
        "set terminal svg size 1000,%d font 'sans,11' noenhanced background '#ffffff'"
        % (3 * (70 + 30 * n) + 40),
        "set output '%s'" % svg,
        "set multiplot layout 3,1 title 'pktecho: %d-byte UDP echo, the same load for every "
        "path'" % args.size,
        "set style fill solid 0.8 border -1", "set lmargin 50", "set rmargin 10",
        "set grid xtics", "unset key", "set ytics scale 0",
        "set yrange [%f:-0.6]" % (n - 0.4), "set xrange [0:*]", "set offsets 0,0.15,0,0",
        panel.format(d=d.name, c=2) % ("echoed kpps (more is better)", "#3a7bd5", "%.0f"),
        panel.format(d=d.name, c=3) % ("server CPU us per packet (less is better)", "#d5893a",
                                       "%.2f"),
        panel.format(d=d.name, c=4) % ("p99 round trip us at %d pps (less is better)" %
                                       args.lat_rate, "#4caf50", "%.0f"),
        "unset multiplot", ""])
    try:
        p = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(d.name)
    if p.returncode != 0:
        log("gnuplot failed: %s" % p.stderr.strip()[-300:])
        return None
    return svg


# ---- main ----

def parse_args():
    ap = argparse.ArgumentParser(prog="scripts/compare", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="about a minute in all (the demo)")
    ap.add_argument("--duration", type=float, help="seconds at the offered rate (10; quick 1.5)")
    ap.add_argument("--warmup", type=float, help="warm-up seconds per run (1; quick 0.3)")
    ap.add_argument("--rate", default="max", help="offered rate, PPS or max (max)")
    ap.add_argument("--lat-rate", type=int, default=10000, help="latency run rate (10000)")
    ap.add_argument("--lat-duration", type=float, help="latency run seconds (5; quick 1)")
    ap.add_argument("--size", type=int, default=64, help="UDP payload bytes (64)")
    ap.add_argument("--flows", type=int, default=4, help="load flows (4)")
    ap.add_argument("--paths", default="af_packet,sock,memif,bench",
                    help="comma list of af_packet, sock (all IO models) or one model name, "
                    "memif, bench")
    ap.add_argument("--build", default="build/compare", help="build directory (build/compare)")
    ap.add_argument("--no-build", action="store_true", help="use --build as it is")
    ap.add_argument("--out", help="where compare.md and compare.svg go (the repository root)")
    ap.add_argument("--bench-timeout", type=int, default=600)
    a = ap.parse_args()
    a.duration = a.duration if a.duration is not None else (1.5 if a.quick else 10.0)
    a.warmup = a.warmup if a.warmup is not None else (0.3 if a.quick else 1.0)
    a.lat_duration = a.lat_duration if a.lat_duration is not None else (1.0 if a.quick else 5.0)
    for name, v in (("--duration", a.duration), ("--lat-duration", a.lat_duration)):
        if not 0 < v <= 3600:
            ap.error("%s: expected seconds in (0, 3600]" % name)
    if not (a.rate == "max" or a.rate.isdigit() and int(a.rate) > 0):
        ap.error("--rate: expected a packet rate or max, got '%s'" % a.rate)
    if not 32 <= a.size <= 1472:
        ap.error("--size: expected 32..1472")
    if not 1 <= a.flows <= 4096:
        ap.error("--flows: expected 1..4096")
    if not 1 <= a.lat_rate <= 10000000:
        ap.error("--lat-rate: expected 1..10000000 packets per second")
    known = {"af_packet", "sock", "memif", "bench"} | set(IO_MODELS)
    bad = [x for x in a.paths.split(",") if x not in known]
    if bad:
        ap.error("--paths: unknown %s (known: %s)" % (",".join(bad), ",".join(sorted(known))))
    a.out = os.path.abspath(a.out) if a.out else ROOT
    if not os.path.isdir(a.out):
        ap.error("--out: %s is not a directory" % a.out)
    return a


def main():
    args = parse_args()
    if os.geteuid() != 0:
        print("compare: needs root (it makes network namespaces); try: sudo scripts/compare",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.time()
    args.loadavg_start = loadavg()
    try:
        bins = build(args)
        paths = plan(args, bins)
        runner = Runner(args, bins)
        todo = [p for p in paths if not p.status]
        for p in paths:
            if p.status:
                log("%s: %s" % (p.name, p.status))
        for n, p in enumerate(todo, 1):
            try:
                runner.run(p, n, len(todo))
            except Failed as e:
                p.status = "failed: %s" % e
                log("        %s" % p.status)
            except NotBuilt as e:
                p.status = "not built: no %s" % e
                log("        %s" % p.status)
        JAN.clean()
        bench = core_bench(args, bins)
        md = write_md(paths, bench, args, started)
        svg = write_svg(paths, args)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except (subprocess.CalledProcessError, Failed, OSError) as e:
        log("failed: %s" % e)
        return 1
    finally:
        JAN.clean()
    print()
    print(table(paths, args))
    print("\nechoed pps: what the path sustains at the offered load (more is better); loss at "
          "max: how far it fell behind;\nRTT at %d pps: latency (less is better); server CPU "
          "us/packet: its cost (less is better); CPU use below 100%%\nfor a polling DPDK server "
          "means other work shared its core. Method: docs/load.md." % args.lat_rate)
    if bench is not None:
        print("\ncore benchmark (scripts/bench dpdk):\n" + bench)
    print("\nwrote %s%s (%.0f s)" % (md, " and " + svg if svg else "", time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
