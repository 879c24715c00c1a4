#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/compare: what kernel bypass buys, path by path, against one calibrated generator.

Every path is driven by the same generator, pktecho-load --dpdk on CPU 0, with the server on
CPU 1. Topologies (one generator each; its ceiling is measured in the same run against a
zero-work reflector, pktecho-dpdk --mode l2, on the same kind of vdev):
  veth    a private namespace pair (scripts/netns); the generator on net_af_xdp on vb
          (net_af_packet where af_xdp does not run; --veth-generator picks one).
          Paths: pktecho-dpdk on net_af_xdp and on net_af_packet, dpdk-testpmd 5tswap on both
          (anchors), pktecho with every IO model, the classic recvfrom/sendto echo (bench/).
  memif   DPDK to DPDK over net_memif (pktecho-dpdk is the memif server).
  virtio  pktecho-dpdk on net_virtio_user against a vhost-user port held by the generator
          (net_vhost), the datapath of a VM.
  vhost-net  a row that says whether /dev/vhost-net exists (it is not driven yet).
Per path: NDR and PDR (pktecho-load --search when it has it, else bisection here with the
same trials), latency at no load (1 kpps) and at 10/50/90% of the path's PDR (percentiles, and
corrected for coordinated omission when pktecho-load reports it), server CPU per packet at 50%
of PDR, and an offered-vs-echoed curve up to ~300% of PDR or the generator's ceiling.
Writes compare.md, compare.svg and compare.json (docs/reports.md); namespaces, processes,
sockets and DPDK runtime directories are removed on exit and on Ctrl-C. Method: docs/load.md,
results and their reading: docs/performance.md.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))
import pktecho_test as pt  # noqa: E402  (the shared helpers: cleanup, namespaces, processes)

SCHEMA = 1
GEN_CPU, SRV_CPU = "0", "1"
IO_MODELS = ["blocking", "nonblocking", "epoll", "sigio", "uring"]
SRC_IP, DST_IP, PORT = "198.18.0.1", "198.18.0.2", 7
TARGET = "udp://%s:%d" % (DST_IP, PORT)
LATENCY_KEYS = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99.9", "p999"),
                ("max", "max")]
PID = os.getpid()
VIRTIO_MAC = "02:00:00:00:00:02"


def log(msg):
    print("compare: " + msg, flush=True)


class Unavailable(Exception):
    """This box cannot run the path (missing binary, PMD, kernel feature): a row that says why."""


class Failed(Exception):
    pass


# ---- build ----

def build(args):
    bdir = os.path.join(ROOT, args.build)
    if not args.no_build:
        if not os.path.exists(os.path.join(bdir, "build.ninja")):
            log("configuring %s (release)" % args.build)
            subprocess.run(["meson", "setup", bdir, "--buildtype=release", "-Dwerror=true"],
                           check=True, stdout=subprocess.DEVNULL)
        log("building (ninja -C %s; the first build takes a few minutes)" % args.build)
        subprocess.run(["ninja", "-C", bdir, "-j2"], check=True, stdout=subprocess.DEVNULL)
    bins = {
        "load": os.path.join(bdir, "app/pktecho-load/pktecho-load"),
        "pktecho": os.path.join(bdir, "app/pktecho/pktecho"),
        "dpdk": os.path.join(bdir, "app/pktecho-dpdk/pktecho-dpdk"),
        "classic": os.path.join(bdir, "bench/classic_echo"),
        "testpmd": shutil.which("dpdk-testpmd") or "",
    }
    return bins


def executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def help_text(binary):
    if not executable(binary):
        return ""
    p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=20)
    return p.stdout + p.stderr


# ---- processes ----

class Server:
    """A server process; its stderr goes to a file (readiness checks and errors read it)."""

    def __init__(self, cmd, what, merge=False):
        self.what = what
        f = tempfile.NamedTemporaryFile("w+", prefix="pe-cmp-%d-" % PID, suffix=".err",
                                        delete=False)
        self.err_path = pt.CLEANUP.path(f.name)
        self.p = pt.CLEANUP.proc(subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=f if merge else subprocess.PIPE, stderr=f,
            text=True))
        f.close()
        self.out = ""

    def alive(self):
        return self.p.poll() is None

    def err(self):
        with open(self.err_path) as f:
            return f.read()

    def last_error(self):
        lines = [x for x in self.err().splitlines() if x.strip() and "TELEMETRY" not in x]
        return lines[-1] if lines else "?"

    def cpu(self):
        return pt.cpu_seconds(self.p.pid)

    def stop(self):
        out, _ = pt.stop(self.p, signal.SIGINT, timeout=20)
        self.out = out or ""
        return self.p.returncode


def dpdk_eal(tag, vdev, lcores, mem=512, extra=()):
    prefix = pt.CLEANUP.dpdk("pe-cmp-%d-%s" % (PID, tag))
    return ["--no-huge", "-m", str(mem), "--no-pci", "--log-level=error", "--file-prefix", prefix,
            "-l", lcores, "--vdev", vdev] + list(extra)


# ---- topologies: where the generator runs and what it drives ----

class Topology:
    """One generator setup. gen_pre: command prefix (a namespace); vdev: the generator's port;
    eal_extra: EAL options it needs. Paths of a topology share its generator ceiling."""

    def __init__(self, name, what, vdev, gen_pre=(), eal_extra=()):
        self.name, self.what, self.vdev = name, what, vdev
        self.gen_pre, self.eal_extra = list(gen_pre), list(eal_extra)
        self.ceiling = None  # {"ceiling_pps", "measured"}


class Ctx:
    """What the runs share: arguments, binaries, options the builds have, the topologies."""

    def __init__(self, args, bins):
        self.args, self.bins = args, bins
        load_help = help_text(bins["load"])
        self.has_search = "--search" in load_help
        # --ceiling: pktecho-load itself marks results near the topology's ceiling as
        # generator-bound (one rule, lib/load); older builds: the same 90% rule here.
        self.has_ceiling = self.has_search and "--ceiling" in load_help
        self.service_opts = []
        if "--reply-limit" in help_text(bins["pktecho"]):
            self.service_opts = ["--reply-limit", "off", "--source-limit", "off"]
        self.dpdk_opts = []
        if "--reply-limit" in help_text(bins["dpdk"]):
            self.dpdk_opts = ["--reply-limit", "off", "--source-limit", "off"]
        self.ns_kernel = self.ns_dpdk = None
        self.sock_dir = tempfile.mkdtemp(prefix="pe-cmp-%d-" % PID)
        pt.CLEANUP.path(self.sock_dir)
        self.seq = 0
        self.topos = {}
        self.veth_gen = args.veth_generator  # the generator's PMD on vb (af_xdp or af_packet)

    def tag(self, what):
        self.seq += 1
        return "%s%d" % (what, self.seq)

    def veth_ns(self, kernel_server):
        """Two namespace pairs of the same veth kind: the generator's side (b) is always a
        DPDK port (bare); the server side (a) has addresses for kernel servers and none for
        DPDK ones (the kernel must stay silent on an interface a PMD owns)."""
        if kernel_server:
            if self.ns_kernel is None:
                self.ns_kernel = pt.Netns("cmp", bare="b")
            return self.ns_kernel
        if self.ns_dpdk is None:
            self.ns_dpdk = pt.Netns("cmp", bare="ab")
        return self.ns_dpdk

    def topology(self, name, ns=None):
        if name == "veth":
            return Topology("veth", "veth pair between two namespaces; generator on "
                            "net_%s" % self.veth_gen, "net_%s0,iface=vb" % self.veth_gen,
                            ns.pre("b"))
        if name == "memif":
            return Topology("memif", "net_memif, DPDK to DPDK (shared memory)",
                            "net_memif0,role=client,socket=%s" % self.memif_sock())
        if name == "virtio":
            return Topology("virtio", "vhost-user: generator holds net_vhost, the server is "
                            "net_virtio_user", "net_vhost0,iface=%s,client=1,queues=1"
                            % self.vhost_sock())
        raise ValueError(name)

    def memif_sock(self):
        return os.path.join(self.sock_dir, "memif.sock")

    def vhost_sock(self):
        return os.path.join(self.sock_dir, "vhost.sock")


# ---- the generator ----

def gen_cmd(ctx, topo, rate, duration, warmup, drain, dst_mac=None, extra=(), interval=None):
    a = ctx.args
    cmd = topo.gen_pre + ["taskset", "-c", GEN_CPU, ctx.bins["load"], "--dpdk"] + dpdk_eal(
        ctx.tag("g"), topo.vdev, GEN_CPU, extra=topo.eal_extra) + [
        "--", "--src-ip", SRC_IP, "--link-wait", "10", "--report", "json",
        "--size", str(a.size), "--flows", str(a.flows), "--rate", str(rate),
        "--duration", "%g" % duration, "--warmup", "%g" % warmup, "--drain", "%g" % drain]
    if dst_mac:
        cmd += ["--dst-mac", dst_mac]
    if interval:
        cmd += ["--interval", "%g" % interval]
    return cmd + list(extra) + [TARGET]


def run_gen(cmd, server, timeout, on_record=None, need="summary"):
    """Runs one generator process to its end; returns its JSON records. on_record(record) is
    called as each arrives (CPU sampling at interval records, progress at trial records).
    need: the record type without which the run failed ("search" for a search, which prints
    a summary only when a confirming trial passed)."""
    p = pt.CLEANUP.proc(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True))
    recs = []
    deadline = time.monotonic() + timeout
    for line in p.stdout:
        if line.startswith("{"):
            rec = json.loads(line)
            recs.append(rec)
            if on_record:
                on_record(rec)
        if time.monotonic() > deadline:
            break
    _, err = pt.stop(p, signal.SIGINT, timeout=10)
    if not any(r.get("type") == need for r in recs):
        why = [x for x in (err or "").splitlines() if x.startswith("pktecho-load")]
        if server is not None and not server.alive():
            why.append("the server exited (status %s): %s" % (server.p.returncode,
                                                               server.last_error()))
        raise Failed("generator: %s" % ((why or (err or "?").strip().splitlines() or ["?"])[-1]))
    return recs


def summary_of(recs):
    return [r for r in recs if r.get("type") == "summary"][-1]


def latency(summ, key):
    lat = summ.get(key)
    if not isinstance(lat, dict) or not lat.get("count"):
        return None
    return {k: lat[src] for k, src in LATENCY_KEYS if src in lat}


class Trial:
    """One generator run at one offered rate: what was sent and echoed, latency, server CPU."""

    def __init__(self, ctx, path, rate, duration, warmup=None):
        a = ctx.args
        warmup = a.warmup if warmup is None else warmup
        samples = []
        srv = path.server
        interval = 0.1

        def sample(rec):
            if rec.get("type") != "interval":
                return
            t = len(samples) * interval
            samples.append((t, srv.cpu() if srv else None, rec["rx_packets"]))
        cmd = gen_cmd(ctx, path.topo, rate, duration, warmup, a.drain, path.dst_mac,
                      interval=interval)
        recs = run_gen(cmd, srv, timeout=duration + warmup + 60, on_record=sample)
        s = summary_of(recs)
        self.rate = rate
        # send_pps: the sending part only (tx_pps also covers the drain), where reported.
        self.tx_pps, self.rx_pps = s.get("send_pps", s["tx_pps"]), s["rx_pps"]
        self.loss = s["loss_ratio"]
        self.lost = s["lost"]
        self.latency = latency(s, "latency_us")
        self.latency_corrected = latency(s, "latency_corrected_us")
        # Server CPU over the measured intervals, per echo received in them.
        m = [x for x in samples if warmup - 1e-9 <= x[0] + interval <= warmup + duration + 1e-9
             and x[1] is not None]
        self.cpu_us = None
        if len(m) >= 2 and m[-1][2] > m[0][2]:
            self.cpu_us = (m[-1][1] - m[0][1]) / (m[-1][2] - m[0][2]) * 1e6
        # The generator fell short of the rate it was asked for: pktecho-load's own decision
        # where it reports one (its warnings), else 1% slack.
        if "warnings" in s:
            self.short = any(w.startswith("generator fell short") for w in s["warnings"] or ())
        else:
            self.short = rate != "max" and self.tx_pps < 0.99 * float(rate)


# ---- the paths ----

class Path:
    def __init__(self, key, name, kind, topo_name, start=None, why=None):
        self.key, self.name, self.kind, self.topo_name = key, name, kind, topo_name
        self._start = start
        self.why = why  # unavailable: the reason
        self.failed = None
        self.server = self.topo = self.dst_mac = self.server_vdev = None
        self.ndr = self.pdr = None
        self.generator_bound = False
        self.search = None  # how the search was done
        self.trials = []
        self.lat = {}       # "no_load", "10", "50", "90" -> Trial
        self.curve = []     # [offered pps, echoed pps]
        self.cpu_us = None
        self.polling = kind in ("dpdk", "anchor")
        self.notes = []

    def start(self, ctx):
        self._start(ctx, self)

    def restart_if_dead(self, ctx):
        """A server that died between trials (DPDK 22.11's memif and virtio_user PMDs can
        crash when their peer leaves) is restarted and the row says so."""
        if self.server is not None and not self.server.alive():
            self.notes.append("the server exited between trials (status %s: %s); restarted"
                              % (self.server.p.returncode, self.server.last_error()))
            log("        " + self.notes[-1])
            self.start(ctx)

    def stop(self):
        if self.server is None:
            return
        rc = self.server.stop()
        if rc not in (0, -signal.SIGINT):
            self.notes.append("the server exited with status %s when stopped (%s)"
                              % (rc, self.server.last_error()))
        m = re.search(r'"mbufs_leaked":(\d+)', self.server.out)
        if m and m.group(1) != "0":
            self.notes.append("pktecho-dpdk reported %s mbuf(s) leaked at stop" % m.group(1))
        self.server = None


def wait_ready(srv, ready, timeout, what):
    def check():
        if not srv.alive():
            srv.stop()
            err = srv.err()
            raise Unavailable("%s did not start (status %s): %s"
                              % (what, srv.p.returncode, srv.last_error()
                                 if err.strip() else "no message"))
        return ready()
    try:
        pt.wait_until(check, timeout, what)
    except pt.Fail as e:
        raise Failed(str(e))


def mac_of(ns, side, ifname):
    out = subprocess.run(ns.pre(side) + ["ip", "-o", "link", "show", ifname],
                         capture_output=True, text=True, check=True).stdout
    return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)


def mac_from_stderr(srv):
    m = re.search(r"mac ([0-9a-f:]{17})", srv.err())
    return m.group(1) if m else None


def start_pktecho_dpdk(vdev_of, topo_name, mode="service", eal_extra=()):
    """A starter for pktecho-dpdk on one vdev (veth: in the DPDK namespace on va)."""
    def start(ctx, path):
        b = ctx.bins
        if not executable(b["dpdk"]):
            raise Unavailable("this build has no pktecho-dpdk")
        pre = []
        if topo_name == "veth":
            ns = ctx.veth_ns(kernel_server=False)
            pre = ns.pre("a")
            path.topo = ctx.topology("veth", ns)
        else:
            path.topo = ctx.topology(topo_name)
        opts = ["--mode", mode, "--report", "json", "--stats-interval", "0"]
        if mode == "service":
            opts = ["--ip", "%s/24" % DST_IP] + opts + ctx.dpdk_opts
        vdev = vdev_of(ctx)
        path.server_vdev = vdev.split(",")[0][:-1]  # net_af_xdp0 -> net_af_xdp
        if topo_name == "virtio" and os.path.exists(ctx.vhost_sock()):
            os.unlink(ctx.vhost_sock())  # virtio_user in server mode makes it anew
        srv = Server(pre + ["taskset", "-c", SRV_CPU, b["dpdk"]] + dpdk_eal(
            ctx.tag("s"), vdev, SRV_CPU, extra=eal_extra) + ["--"] + opts, "pktecho-dpdk")
        path.server = srv
        if topo_name == "virtio":
            # In server mode virtio_user waits in its probe until the vhost side connects, and
            # the first vhost peer's frames are lost while it finishes: one short priming run
            # (its MAC is given in its devargs), then it is ready like the others.
            wait_ready(srv, lambda: os.path.exists(ctx.vhost_sock()), 30, path.name)
            try:
                run_gen(gen_cmd(ctx, path.topo, 1000, 0.3, 0, 0.2, VIRTIO_MAC), srv, 60)
            except Failed:
                pass
        wait_ready(srv, lambda: "lcore " in srv.err(), 30, path.name)
        # A reflector (l2) answers no ARP: the generator is told its MAC.
        path.dst_mac = mac_from_stderr(srv) if mode == "l2" else None
    return start


def start_testpmd(vdev):
    def start(ctx, path):
        b = ctx.bins
        if not executable(b["testpmd"]):
            raise Unavailable("dpdk-testpmd is not installed")
        ns = ctx.veth_ns(kernel_server=False)
        path.topo = ctx.topology("veth", ns)
        # Main lcore on CPU 0 (it only waits), the forwarding lcore on CPU 1.
        # stdbuf: testpmd's stdout is a file here, and "Press enter" must not sit in a buffer.
        srv = Server(ns.pre("a") + ["stdbuf", "-oL", b["testpmd"]] + dpdk_eal(
            ctx.tag("t"), vdev, "0,1") + [
            "--", "--forward-mode=5tswap", "--auto-start", "--nb-cores=1",
            "--total-num-mbufs=8192"], "dpdk-testpmd", merge=True)
        path.server = srv
        wait_ready(srv, lambda: "Press enter to exit" in srv.err(), 30, path.name)
        path.dst_mac = mac_of(ns, "a", "va")
    return start


def start_kernel(cmd_of):
    def start(ctx, path):
        ns = ctx.veth_ns(kernel_server=True)
        path.topo = ctx.topology("veth", ns)
        # Static neighbours both ways, as benchmarks do: ARP is not what is measured, and a
        # kernel's ARP probes for the generator's address (held by a PMD) were seen to fail
        # against net_af_xdp under load (the neighbour went FAILED: every echo lost).
        subprocess.run(ns.pre("a") + ["ip", "neigh", "replace", SRC_IP, "lladdr",
                                      mac_of(ns, "b", "vb"), "nud", "permanent", "dev", "va"],
                       check=True, capture_output=True)
        path.dst_mac = mac_of(ns, "a", "va")
        cmd = cmd_of(ctx)
        srv = Server(ns.pre("a") + ["taskset", "-c", SRV_CPU] + cmd, path.name)
        path.server = srv
        try:
            wait_ready(srv, lambda: pt.port_bound(PORT, "udp", ns.pre("a")), 15, path.name)
        except Unavailable as e:
            if "this build has no" in str(e):
                raise Unavailable(str(e).split(": ", 1)[-1])
            raise
    return start


def pktecho_cmd(model):
    def cmd(ctx):
        if not executable(ctx.bins["pktecho"]):
            raise Unavailable("this build has no pktecho")
        return [ctx.bins["pktecho"], "--udp", "%s:%d" % (DST_IP, PORT), "--io-model", model,
                "--threads", "1", "--report", "json"] + ctx.service_opts
    return cmd


def classic_cmd(ctx):
    if not executable(ctx.bins["classic"]):
        raise Unavailable("bench/classic_echo is not built")
    return [ctx.bins["classic"], "udp", str(PORT), DST_IP]


def plan(args):
    veth_dpdk = {"af_xdp": "net_af_xdp0,iface=va", "af_packet": "net_af_packet0,iface=va"}
    paths = []
    want = set(args.paths.split(","))
    for key in ("af_xdp", "af_packet"):
        if key in want:
            paths.append(Path(key, "pktecho-dpdk, net_%s" % key, "dpdk", "veth",
                              start_pktecho_dpdk(lambda ctx, v=veth_dpdk[key]: v, "veth")))
    for key in ("af_xdp", "af_packet"):
        if "testpmd" in want:
            paths.append(Path("testpmd_" + key, "testpmd 5tswap, net_%s" % key, "anchor",
                              "veth", start_testpmd(veth_dpdk[key])))
    for m in IO_MODELS:
        if m in want or "sock" in want:
            paths.append(Path(m, "pktecho --io-model %s" % m, "socket", "veth",
                              start_kernel(pktecho_cmd(m))))
    if "classic" in want:
        paths.append(Path("classic", "classic recvfrom/sendto echo", "socket", "veth",
                          start_kernel(classic_cmd)))
    if "memif" in want:
        paths.append(Path("memif", "pktecho-dpdk, net_memif (DPDK to DPDK)", "dpdk", "memif",
                          start_pktecho_dpdk(lambda ctx: "net_memif0,role=server,socket=%s"
                                             % ctx.memif_sock(), "memif")))
    if "virtio" in want:
        paths.append(Path("virtio", "pktecho-dpdk, net_virtio_user (vhost-user)", "dpdk",
                          "virtio", start_pktecho_dpdk(
                              lambda ctx: "net_virtio_user0,path=%s,queues=1,server=1,mac=%s"
                              % (ctx.vhost_sock(), VIRTIO_MAC), "virtio",
                              eal_extra=["--single-file-segments"])))
    if "vhost-net" in want:
        why = None if os.path.exists("/dev/vhost-net") else \
            "not available here: /dev/vhost-net does not exist (no vhost_net module)"
        paths.append(Path("vhost_net", "pktecho in a VM over vhost-net (tap)", "socket",
                          "vhost-net", why=why or "not driven yet: needs a VM image"))
    return paths


def reflector(topo_name, veth_pmd="af_xdp"):
    """The zero-work reflector of a topology: pktecho-dpdk --mode l2 on the same kind of vdev."""
    if topo_name == "veth":
        vdev, extra = (lambda ctx: "net_%s0,iface=va" % veth_pmd), ()
    elif topo_name == "memif":
        vdev, extra = (lambda ctx: "net_memif0,role=server,socket=%s" % ctx.memif_sock()), ()
    else:
        vdev = (lambda ctx: "net_virtio_user0,path=%s,queues=1,server=1,mac=%s"
                % (ctx.vhost_sock(), VIRTIO_MAC))
        extra = ["--single-file-segments"]
    return Path("reflector_" + topo_name, "reflector (pktecho-dpdk --mode l2)", "dpdk",
                topo_name, start_pktecho_dpdk(vdev, topo_name, mode="l2", eal_extra=extra))


# ---- measurement ----

def measure_ceiling(ctx, topo_name):
    """The generator's ceiling in this topology: the highest rate it carries through a zero-work
    reflector with loss <= --pdr-loss (the reflector's PDR by pktecho-load --search, upper bound
    what the generator sends at --rate max). What it echoes at --rate max is not the ceiling:
    offered far beyond it, the veth loop collapses (docs/performance.md). On veth the reflector
    runs on the generator's PMD; af_xdp falls back to af_packet where it does not run."""
    a = ctx.args

    def search(r):
        r.start(ctx)
        if ctx.has_search:  # its first trial is at --rate max: the search's upper bound
            pdr = search_load(ctx, r, "max", ndr=False)[1]
            return pdr, int(r.search_rec.get("ceiling_pps") or 0)
        hi = max(int(Trial(ctx, r, "max", a.trial).tx_pps), 2000)
        return search_here(ctx, r, hi, ndr=False)[1], hi

    r = reflector(topo_name, ctx.veth_gen)
    try:
        try:
            pdr, hi = search(r)
        except (Unavailable, Failed) as e:
            r.stop()
            if topo_name != "veth" or ctx.veth_gen != "af_xdp":
                raise
            log("        af_xdp generator: %s; net_af_packet instead" % e)
            ctx.veth_gen = "af_packet"
            r = reflector(topo_name, ctx.veth_gen)
            pdr, hi = search(r)
    finally:
        r.stop()
    if not pdr:
        raise Failed("the generator got no echo from the reflector")
    return {"topology": topo_name, "ceiling_pps": round(pdr), "sent_pps": hi,
            "generator": r.topo.vdev.split(",")[0][:-1],
            "measured": "PDR (loss <= %g%%, %g s trials, precision %g%%) of %s against "
                        "pktecho-dpdk --mode l2 (zero work) on %s; it sends %d pps at --rate max"
                        % (a.pdr_loss * 100, a.trial, a.precision * 100,
                           r.topo.vdev.split(",")[0][:-1], r.server_vdev, hi)}


def passes(t, limit):
    return t.loss <= limit


def search_here(ctx, path, hi, ndr=True):
    """NDR and PDR by bisection on the offered rate (trials of --trial seconds), the way
    pktecho-load --search does it, for builds that lack it. Floor 1 kpps."""
    a = ctx.args
    floor = 1000.0
    ndr_lo = pdr_lo = floor
    ndr_hi = pdr_hi = float(hi)
    bound = False

    def trial(rate):
        nonlocal bound
        path.restart_if_dead(ctx)
        t = Trial(ctx, path, int(rate), a.trial)
        path.trials.append({"offered_pps": int(rate), "sent_pps": round(t.tx_pps),
                            "echoed_pps": round(t.rx_pps), "loss_ratio": t.loss})
        log("        trial %8.0f pps: sent %8.0f, echoed %8.0f, loss %.4f"
            % (rate, t.tx_pps, t.rx_pps, t.loss))
        if t.short:
            bound = True
        return t

    t = trial(hi)
    rate = min(hi, t.tx_pps) if t.short else hi
    if t.loss == 0:
        return rate, rate, True
    if passes(t, a.pdr_loss):
        return None, rate, True  # NDR below: searched next
    ndr_hi = pdr_hi = rate
    for _ in range(a.max_trials):
        ndr_open = (ndr_hi - ndr_lo) / ndr_hi > a.precision
        pdr_open = (pdr_hi - pdr_lo) / pdr_hi > a.precision
        if not ndr_open and not pdr_open:
            break
        lo, hi_ = (pdr_lo, pdr_hi) if pdr_open else (ndr_lo, ndr_hi)
        rate = (lo + hi_) / 2
        t = trial(rate)
        if t.loss == 0:
            ndr_lo, pdr_lo = max(ndr_lo, rate), max(pdr_lo, rate)
        elif passes(t, a.pdr_loss):
            pdr_lo, ndr_hi = max(pdr_lo, rate), min(ndr_hi, rate)
        else:
            ndr_hi, pdr_hi = min(ndr_hi, rate), min(pdr_hi, rate)
        ndr_lo = min(ndr_lo, pdr_lo)
    return ndr_lo, pdr_lo, bound


def search_load(ctx, path, hi, ndr=True, ceiling=None):
    """NDR and PDR by pktecho-load --search (one generator process, docs/load.md); ndr=False:
    the PDR only (NDR None). ceiling: the topology's, passed on as --ceiling."""
    a = ctx.args
    path.restart_if_dead(ctx)
    extra = ["--search", "ndr,pdr" if ndr else "pdr", "--trial", "%g" % a.trial,
             "--precision", "%g" % a.precision, "--pdr-loss", "%g" % a.pdr_loss]
    if ceiling and ctx.has_ceiling:
        extra += ["--ceiling", str(int(ceiling))]
    cmd = gen_cmd(ctx, path.topo, hi if hi == "max" else int(hi), a.confirm, a.warmup, a.drain,
                  path.dst_mac, extra)
    def progress(r):
        if r.get("type") == "trial":
            log("        trial %2d %-7s %8s pps: sent %8.0f, echoed %8.0f, loss %.4f%s" % (
                r["trial"], r["kind"], r["rate_pps"] if r["rate_pps"] else "max", r["tx_pps"],
                r["rx_pps"], r["loss_ratio"], " (fell short)" if r.get("fell_short") else ""))
    recs = run_gen(cmd, path.server, timeout=600, on_record=progress, need="search")
    keep = ("trial", "kind", "goal", "rate_pps", "tx_pps", "rx_pps", "loss_ratio", "fell_short")
    for r in recs:
        if r.get("type") == "trial":
            path.trials.append({k: r.get(k) for k in keep})
    s = [r for r in recs if r.get("type") == "search"]
    if not s:
        raise Failed("pktecho-load --search printed no search record")
    s = s[-1]
    path.search_rec = s
    if s.get("interrupted"):
        raise KeyboardInterrupt
    if not s.get("pdr_pps") or (ndr and s.get("ndr_pps") is None):
        raise Failed("the search found no rate: NDR %s, PDR %s (even the 1 kpps floor lost "
                     "more than allowed)" % (s.get("ndr_pps"), s.get("pdr_pps")))
    return s["ndr_pps"], s["pdr_pps"], bool(s.get("generator_bound"))


def measure(ctx, path):
    a = ctx.args
    ceiling = ctx.topos[path.topo_name]["ceiling_pps"]
    if ceiling:
        hi = int(ceiling * 1.05)
    else:  # no ceiling measured: the search starts at what the generator sends at max
        hi = max(int(Trial(ctx, path, "max", a.trial).tx_pps), 2000)
    if ctx.has_search:
        ndr, pdr, bound = search_load(ctx, path, hi, ceiling=ceiling)
    else:
        ndr, pdr, bound = search_here(ctx, path, hi)
    if ndr is None:  # the first trial passed PDR but lost: NDR from a second search below it
        ndr, _, _ = search_here(ctx, path, pdr * 0.98)
    path.ndr, path.pdr = ndr, pdr
    path.search = "pktecho-load --search" if ctx.has_search else "bisection in scripts/compare"
    if ctx.has_ceiling:  # pktecho-load decided both halves (--ceiling)
        path.generator_bound = bound
    else:
        path.generator_bound = bool(bound or (ceiling and pdr >= 0.9 * ceiling))
    log("        NDR %.0f pps, PDR %.0f pps%s" % (ndr, pdr, " (generator-bound: lower bounds)"
                                                 if path.generator_bound else ""))
    # Latency at no load and at 10/50/90% of PDR; those trials are points of the curve too.
    points = [("no_load", a.no_load_rate)] + [(str(p), pdr * p / 100) for p in (10, 50, 90)]
    for key, rate in points:
        path.restart_if_dead(ctx)
        t = Trial(ctx, path, max(int(rate), 100), a.lat_trial)
        path.lat[key] = t
        if key != "no_load":
            path.curve.append([round(t.tx_pps), round(t.rx_pps)])
        if key == "50":
            path.cpu_us = t.cpu_us
        lat = t.latency or {}
        log("        %-7s %8.0f pps: p50 %s us, p99 %s us, loss %.4f" % (
            key, rate, fmt(lat.get("p50")), fmt(lat.get("p99")), t.loss))
    # The rest of the curve: overload, up to the generator's ceiling.
    for f in a.curve:
        rate = pdr * f
        if ceiling and rate >= ceiling:
            rate = "max"
        path.restart_if_dead(ctx)
        t = Trial(ctx, path, rate if rate == "max" else int(rate), a.trial)
        path.curve.append([round(t.tx_pps), round(t.rx_pps)])
        log("        curve %8s pps offered: sent %.0f, echoed %.0f" % (
            rate if rate == "max" else "%.0f" % rate, t.tx_pps, t.rx_pps))
        if rate == "max":
            break
    path.curve.sort()


def fmt(v, digits=1):
    return "?" if v is None else "%.*f" % (digits, v)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(x.split(":", 1)[1].strip() for x in f if x.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d CPUs, Linux %s" % (cpu, os.cpu_count() or 0, platform.release())


def best(paths, kinds):
    done = [p for p in paths if p.kind in kinds and p.pdr]
    return max(done, key=lambda p: p.pdr) if done else None


def pair(paths):
    """The best pktecho-dpdk row and the best kernel-socket row of the veth topology."""
    veth = [p for p in paths if p.topo_name == "veth"]
    return best(veth, ("dpdk",)), best(veth, ("socket",))


def equal_rate_trial(ctx, paths):
    """Both rows of pair() at one rate, the kernel row's 50% of PDR: the DPDK row again."""
    dp, ks = pair(paths)
    if not dp or not ks or "50" not in ks.lat:
        return None
    rate = int(ks.pdr * 0.5)
    log("equal rate: %s at %d pps (50%% of %s's PDR)" % (dp.name, rate, ks.name))
    try:
        dp.start(ctx)
        t = Trial(ctx, dp, rate, ctx.args.lat_trial)
    except (Failed, Unavailable) as e:
        log("        failed: %s" % e)
        return None
    finally:
        dp.stop()
    return {"rate_pps": rate, "dpdk": dp.name, "socket": ks.name,
            "dpdk_latency_us": t.latency, "socket_latency_us": ks.lat["50"].latency,
            "dpdk_loss_ratio": t.loss, "socket_loss_ratio": ks.lat["50"].loss}


def json_doc(ctx, paths, started):
    """Everything measured, as compare.json (docs/reports.md); compare.md and compare.svg are
    rendered from it alone (scripts/compare --render FILE re-renders them)."""
    a = ctx.args

    def lat_of(p, corrected):
        out = {}
        for key, t in p.lat.items():
            lat = t.latency_corrected if corrected else t.latency
            out[key] = dict(lat, offered_pps=round(t.rate if t.rate != "max" else t.tx_pps)) \
                if lat else None
        return out
    rows = []
    for p in paths:
        row = {"topology": p.topo_name, "name": p.name, "kind": p.kind,
               "available": p.why is None and p.failed is None}
        if p.why or p.failed:
            row["why"] = p.why or "failed: %s" % p.failed
        else:
            row.update({
                "ndr_pps": round(p.ndr), "pdr_pps": round(p.pdr),
                "generator_bound": bool(p.generator_bound),
                "server_cpu_us_per_packet": None if p.cpu_us is None else round(p.cpu_us, 3),
                "polling": p.polling,
                "latency_us": lat_of(p, False), "latency_corrected_us": lat_of(p, True),
                "curve": p.curve, "search": p.search, "trials": p.trials})
        if p.notes:
            row["notes"] = p.notes
        rows.append(row)
    return {
        "schema": SCHEMA, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine(), "loadavg": [round(x, 2) for x in os.getloadavg()],
        "loadavg_start": ctx.loadavg_start, "quick": a.quick,
        "seconds": round(time.time() - started),
        "method": {"size": a.size, "flows": a.flows, "trial_s": a.trial,
                   "latency_trial_s": a.lat_trial, "precision": a.precision,
                   "pdr_loss": a.pdr_loss, "no_load_pps": a.no_load_rate,
                   "search": "pktecho-load --search" if ctx.has_search else
                   "bisection in scripts/compare",
                   "service_limits": "their reply limits off (--reply-limit off "
                   "--source-limit off)" if ctx.service_opts else
                   "the reply limits of these builds (none)",
                   "generator_cpu": int(GEN_CPU), "server_cpu": int(SRV_CPU)},
        "generators": [dict(v) for v in ctx.topos.values()],
        "paths": rows, "equal_rate": None}


# ---- output: rendered from the JSON document only ----

def rate_cell(r, key):
    return (">= %.0f" if r["generator_bound"] else "%.0f") % (r[key] / 1e3)


def lat_cell(r, key, pct):
    lat = (r.get("latency_us") or {}).get(key)
    return fmt(lat.get(pct)) if lat else "-"


def doc_pair(doc):
    veth = [r for r in doc["paths"] if r["topology"] == "veth" and r["available"]]
    dp = [r for r in veth if r["kind"] == "dpdk"]
    ks = [r for r in veth if r["kind"] == "socket"]
    if not dp or not ks:
        return None, None
    return max(dp, key=lambda r: r["pdr_pps"]), max(ks, key=lambda r: r["pdr_pps"])


def pdr_ratio(dp, ks):
    """dp's PDR over ks's, as far as the generator lets it be known: a generator-bound PDR is
    a lower bound, so over a measured one the ratio is a lower bound, under one an upper bound,
    and between two lower bounds nothing (both reached the generator's ceiling)."""
    r = dp["pdr_pps"] / ks["pdr_pps"]
    if dp["generator_bound"] and ks["generator_bound"]:
        return ("not measurable here: both reached the generator's ceiling (>= %.0f and >= %.0f "
                "kpps)" % (dp["pdr_pps"] / 1e3, ks["pdr_pps"] / 1e3))
    if dp["generator_bound"]:
        return ">= %.2fx" % r
    if ks["generator_bound"]:
        return "<= %.2fx" % r
    return "%.2fx" % r


def ratio_lines(doc):
    dp, ks = doc_pair(doc)
    if not dp:
        return []
    out = ["On the veth topology, the best pktecho-dpdk row (%s) against the best kernel-socket "
           "row (%s): PDR %s" % (dp["name"], ks["name"], pdr_ratio(dp, ks))]
    a, b = dp["latency_us"].get("50"), ks["latency_us"].get("50")
    if a and b and b["p50"]:
        out[-1] += "; p50 RTT at 50%% of each one's own PDR %.1f us against %.1f us (%.2fx)" % (
            a["p50"], b["p50"], a["p50"] / b["p50"])
    eq = doc.get("equal_rate")
    if eq and eq["dpdk_latency_us"] and eq["socket_latency_us"]:
        out.append("Both at one rate, %d pps: p50 RTT %.1f us against %.1f us (%.2fx)" % (
            eq["rate_pps"], eq["dpdk_latency_us"]["p50"], eq["socket_latency_us"]["p50"],
            eq["dpdk_latency_us"]["p50"] / eq["socket_latency_us"]["p50"]))
    return [x + "." for x in out]


def write_md(doc, out_dir, svg):
    m = doc["method"]
    busy = doc["loadavg"][0] > (os.cpu_count() or 1)
    L = ["# pktecho: what kernel bypass buys, path by path", "",
         "Made by `scripts/compare%s` on %s (%s) in %d s; load average %.1f at the start, %.1f "
         "at the end%s." % (" --quick" if doc["quick"] else "", doc["date"], doc["machine"],
                            doc["seconds"], doc["loadavg_start"], doc["loadavg"][0],
                            " (more than one per CPU: other work shared the cores, expect "
                            "noise)" if busy else ""), ""]
    if doc["quick"]:
        L += ["Quick run: %g s trials, search precision %g%%, a short drain, a thin curve; "
              "`scripts/compare` "
              "without --quick measures with longer trials and more points." %
              (m["trial_s"], m["precision"] * 100), ""]
    L += ["One generator per topology, pktecho-load --dpdk on CPU %d, %d-byte UDP payloads from "
          "%d flows; the server on CPU %d. NDR: the highest offered rate with no loss; PDR: "
          "with loss <= %g%% (search: %s, %g s trials). Services run with %s." % (
              m["generator_cpu"], m["size"], m["flows"], m["server_cpu"], m["pdr_loss"] * 100,
              m["search"], m["trial_s"], m["service_limits"]), "",
          "Generator ceilings (the generator against a zero-work reflector, same run):", ""]
    for g in doc["generators"]:
        L.append("- %s: %s (%s)" % (g["topology"], "%.0f kpps" % (g["ceiling_pps"] / 1e3)
                                    if g["ceiling_pps"] else "unknown", g["measured"]))
    L += ["", "| path | topology | kind | NDR kpps | PDR kpps | p50 / p99 RTT us at 50% PDR | "
          "p50 RTT us, no load | p99 RTT us at 90% PDR | server CPU us/packet at 50% PDR |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["paths"]:
        if not r["available"]:
            L.append("| %s | %s | %s | %s | | | | | |" % (r["name"], r["topology"], r["kind"],
                                                         r["why"]))
            continue
        L.append("| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s%s |" % (
            r["name"], r["topology"], r["kind"], rate_cell(r, "ndr_pps"),
            rate_cell(r, "pdr_pps"), lat_cell(r, "50", "p50"), lat_cell(r, "50", "p99"),
            lat_cell(r, "no_load", "p50"), lat_cell(r, "90", "p99"),
            fmt(r["server_cpu_us_per_packet"], 2), " (polls)" if r["polling"] else ""))
    L += [""] + ratio_lines(doc)
    notes = ["**%s**: %s." % (r["name"], "; ".join(r["notes"])) for r in doc["paths"]
             if r.get("notes")]
    if notes:
        L += [""] + notes
    L += ["", "How to read it:",
          "- `>= N`: the path reached 90% of its generator's ceiling, or the generator could not "
          "send a rate it was asked for: N is a lower bound set by the generator, not the "
          "path's limit.",
          "- Latency is measured from when the packet was built; compare.json also has it from "
          "when the packet was due (`latency_corrected_us`, corrected for coordinated "
          "omission) where pktecho-load reports that.",
          "- A polling server (DPDK, testpmd) burns its core whatever the rate: its CPU per "
          "packet falls as the rate rises.",
          "- The curve in compare.svg follows each path from 10% of its PDR into overload: a "
          "path that collapses echoes less as more is offered.",
          "- compare.json has every number here and more (docs/reports.md); method and "
          "explanation: docs/performance.md."]
    if svg:
        L += ["", "![the paths compared](compare.svg)"]
    path = os.path.join(out_dir, "compare.md")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    return path


def write_svg(doc, out_dir, terminal="svg"):
    rows = [r for r in doc["paths"] if r["available"]]
    out = os.path.join(out_dir, "compare." + terminal)
    if not rows or not shutil.which("gnuplot"):
        return None
    tmp = pt.CLEANUP.path(tempfile.mkdtemp(prefix="pe-cmp-%d-plot-" % PID))
    bars = os.path.join(tmp, "bars.dat")
    with open(bars, "w") as f:
        for r in rows:
            lat = r["latency_us"]

            def v(key, pct):
                return max((lat.get(key) or {}).get(pct) or 0.1, 0.1)
            f.write('"%s%s" %.3f %.3f %.3f %.3f %.3f\n' % (
                r["name"].replace('"', "'"), " (>=)" if r["generator_bound"] else "",
                r["ndr_pps"] / 1e3, r["pdr_pps"] / 1e3, v("50", "p50"), v("50", "p99"),
                v("no_load", "p50")))
    curves = []
    for i, r in enumerate(rows):
        c = os.path.join(tmp, "c%d.dat" % i)
        with open(c, "w") as f:
            for off, echo in r["curve"]:
                f.write("%.3f %.3f\n" % (off / 1e3, echo / 1e3))
        curves.append("'%s' using 1:2 with linespoints lw 2 pt %d title '%s'" % (
            c, 5 + i % 8, r["name"].replace("'", "")))
    n = len(rows)
    ceil = ", ".join("%s %s" % (g["topology"], "%.0f kpps" % (g["ceiling_pps"] / 1e3)
                                if g["ceiling_pps"] else "unknown") for g in doc["generators"])
    head = "pktecho paths, %d-byte UDP echo%s" % (doc["method"]["size"],
                                                  " (--quick)" if doc["quick"] else "")
    sub = "%s | %s | load average %.1f | generator ceiling: %s" % (
        doc["date"], doc["machine"], doc["loadavg"][0], ceil)
    bar_h, curve_h, top = 130 + 30 * n, 440, 70
    total = 2 * bar_h + curve_h + top
    frac = lambda px: px / float(total)  # noqa: E731
    term = {"svg": "svg size 1100,%d font 'sans,11' noenhanced background '#ffffff'",
            "png": "png size 1100,%d noenhanced"}[terminal] % total
    script = "\n".join([
        "set terminal " + term, "set output '%s'" % out,
        "set multiplot title \"%s\\n%s\"" % (head.replace('"', "'"), sub.replace('"', "'")),
        "set style fill solid 0.8 border -1", "set grid xtics", "set ytics scale 0",
        "set lmargin 46", "set rmargin 6", "set key below horizontal",
        # panel 1: NDR and PDR, kpps
        "set size 1,%f" % frac(bar_h), "set origin 0,%f" % frac(bar_h + curve_h),
        "set yrange [%f:-0.7]" % (n - 0.3), "set xrange [0:*]",
        "set title 'throughput, kpps: PDR (loss <= %g%%), NDR (no loss); (>=) generator-bound'"
        % (doc["method"]["pdr_loss"] * 100),
        "plot '%s' using 3:($0-0.18):(0):3:($0-0.34):($0-0.02):ytic(1) with boxxyerror "
        "lc rgb '#3a7bd5' title 'PDR', '' using 2:($0+0.18):(0):2:($0+0.02):($0+0.34) with "
        "boxxyerror lc rgb '#9cc3f5' title 'NDR', '' using 3:($0-0.18):(sprintf(' %%.0f', $3)) "
        "with labels left notitle" % bars,
        # panel 2: latency on a log axis
        "set size 1,%f" % frac(bar_h), "set origin 0,%f" % frac(curve_h),
        "set logscale x", "set xrange [*:*]",
        "set title 'round trip us, log axis (less is better): p50 at no load; p50, p99 at 50% "
        "of PDR'",
        "plot '%s' using 6:($0-0.25):(0.1):6:($0-0.36):($0-0.14):ytic(1) with boxxyerror "
        "lc rgb '#9ccc65' title 'p50, no load', '' using 4:0:(0.1):4:($0-0.11):($0+0.11) with "
        "boxxyerror lc rgb '#4caf50' title 'p50 at 50%%', '' using 5:($0+0.25):(0.1):5:"
        "($0+0.14):($0+0.36) with boxxyerror lc rgb '#1b5e20' title 'p99 at 50%%'" % bars,
        # panel 3: offered vs echoed
        "unset logscale x", "set ytics scale 1", "set yrange [0:*]", "set xrange [0:*]",
        "set size 1,%f" % frac(curve_h), "set origin 0,0", "set lmargin 10", "set rmargin 46",
        "set key outside right top vertical", "set xlabel 'offered kpps'",
        "set ylabel 'echoed kpps'",
        "set title 'offered vs echoed: where each path saturates, and which ones collapse'",
        "plot " + ", ".join(curves + ["x with lines dt 2 lc rgb '#999999' title 'all echoed'"]),
        "unset multiplot", ""])
    p = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        log("gnuplot failed: %s" % p.stderr.strip()[-400:])
        return None
    return out


# ---- main ----

def parse_args():
    ap = argparse.ArgumentParser(prog="scripts/compare", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="short trials, coarse search, thin curves (scripts/demo)")
    ap.add_argument("--paths", default="af_xdp,af_packet,testpmd,sock,classic,memif,virtio,"
                    "vhost-net", help="comma list of af_xdp, af_packet, testpmd, sock (every IO "
                    "model) or one model name, classic, memif, virtio, vhost-net (all)")
    ap.add_argument("--trial", type=float, help="seconds per search or curve trial (1; quick "
                    "0.4)")
    ap.add_argument("--confirm", type=float, help="seconds of the confirming trial of "
                    "pktecho-load --search (5; quick 0.5)")
    ap.add_argument("--lat-trial", type=float, help="seconds per latency trial (2; quick 0.5)")
    ap.add_argument("--warmup", type=float, help="warm-up seconds per trial (0.5; quick 0.2)")
    ap.add_argument("--precision", type=float, help="search precision, relative (0.02; quick "
                    "0.1)")
    ap.add_argument("--pdr-loss", type=float, default=0.005, help="PDR loss ratio (0.005)")
    ap.add_argument("--size", type=int, default=64, help="UDP payload bytes (64)")
    ap.add_argument("--flows", type=int, default=4, help="generator flows (4)")
    ap.add_argument("--veth-generator", choices=("af_xdp", "af_packet"), default="af_xdp",
                    help="the generator's PMD on the veth topology (af_xdp: the faster one "
                    "here; af_packet is used anyway where af_xdp does not run)")
    ap.add_argument("--build", default="build/compare", help="build directory (build/compare)")
    ap.add_argument("--no-build", action="store_true", help="use --build as it is")
    ap.add_argument("--out", help="where compare.md/.svg/.json go (the repository root)")
    ap.add_argument("--render", metavar="JSON", help="measure nothing: write compare.md and "
                    "compare.svg (and compare.png with --png) from this compare.json")
    ap.add_argument("--png", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    q = a.quick
    a.trial = a.trial or (0.4 if q else 1.0)
    a.confirm = a.confirm or (0.5 if q else 5.0)
    a.lat_trial = a.lat_trial or (0.5 if q else 2.0)
    a.warmup = a.warmup if a.warmup is not None else (0.2 if q else 0.5)
    a.precision = a.precision or (0.1 if q else 0.02)
    a.drain = 0.25 if q else 0.5  # at most: a trial that lost nothing ends when all are back
    a.no_load_rate = 1000
    a.max_trials = 5 if q else 14
    a.curve = [3.0] if q else [1.1, 1.3, 1.6, 2.0, 2.5, 3.0]
    for name in ("trial", "confirm", "lat_trial"):
        if not 0 < getattr(a, name) <= 600:
            ap.error("--%s: expected seconds in (0, 600]" % name.replace("_", "-"))
    if not 0 < a.precision < 1:
        ap.error("--precision: expected a ratio in (0, 1)")
    if not 0 <= a.pdr_loss < 1:
        ap.error("--pdr-loss: expected a ratio in [0, 1)")
    if not 32 <= a.size <= 1472:
        ap.error("--size: expected 32..1472")
    if not 1 <= a.flows <= 4096:
        ap.error("--flows: expected 1..4096")
    known = {"af_xdp", "af_packet", "testpmd", "sock", "classic", "memif", "virtio",
             "vhost-net"} | set(IO_MODELS)
    bad = [x for x in a.paths.split(",") if x not in known]
    if bad:
        ap.error("--paths: unknown %s (known: %s)" % (",".join(bad), ",".join(sorted(known))))
    a.out = os.path.abspath(a.out) if a.out else ROOT
    if not os.path.isdir(a.out):
        ap.error("--out: %s is not a directory" % a.out)
    return a


def run(ctx, paths):
    todo = [p for p in paths if p.why is None]
    for p in paths:
        if p.why:
            log("%s: %s" % (p.name, p.why))
    # The generator's ceiling, per topology that has a path to run, first.
    for name in sorted({p.topo_name for p in todo}, key=["veth", "memif", "virtio"].index):
        log("generator ceiling, %s topology" % name)
        try:
            ctx.topos[name] = measure_ceiling(ctx, name)
            log("        %.0f pps" % ctx.topos[name]["ceiling_pps"])
        except (Failed, Unavailable) as e:
            log("        no ceiling: %s" % e)
            ctx.topos[name] = {"topology": name, "ceiling_pps": None,
                               "measured": "failed: %s" % e}
    for n, p in enumerate(todo, 1):
        log("[%d/%d] %s" % (n, len(todo), p.name))
        try:
            p.start(ctx)
            measure(ctx, p)
        except Unavailable as e:
            p.why = "not available here: %s" % e
            log("        " + p.why)
        except Failed as e:
            p.failed = str(e)
            log("        failed: %s" % e)
        finally:
            p.stop()


def render(args):
    try:
        with open(args.render) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("compare: --render %s: %s" % (args.render, e), file=sys.stderr)
        return 1
    if doc.get("schema") != SCHEMA:
        print("compare: --render %s: schema %r, expected %d" % (args.render, doc.get("schema"),
                                                                 SCHEMA), file=sys.stderr)
        return 1
    try:
        svg = write_svg(doc, args.out)
        if args.png:
            write_svg(doc, args.out, "png")
        md = write_md(doc, args.out, svg)
    finally:
        pt.CLEANUP.clean()
    log("wrote %s%s" % (md, " and " + svg if svg else ""))
    return 0


def main():
    args = parse_args()
    if args.render:
        return render(args)
    if os.geteuid() != 0:
        print("compare: needs root (namespaces, DPDK vdevs); try: sudo scripts/compare",
              file=sys.stderr)
        return 2
    # Ctrl-C and SIGTERM unwind through the cleanup (also when started with SIGINT ignored,
    # as a background job of a script is).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.time()
    try:
        bins = build(args)
        if not executable(bins["load"]):
            log("failed: %s is not built" % bins["load"])
            return 1
        ctx = Ctx(args, bins)
        ctx.loadavg_start = round(os.getloadavg()[0], 2)
        paths = plan(args)
        run(ctx, paths)
        eq = equal_rate_trial(ctx, paths)
        doc = json_doc(ctx, paths, started)
        doc["equal_rate"] = eq
        jpath = os.path.join(args.out, "compare.json")
        with open(jpath, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        svg = write_svg(doc, args.out)
        md = write_md(doc, args.out, svg)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except (subprocess.CalledProcessError, OSError) as e:
        log("failed: %s" % e)
        return 1
    finally:
        pt.CLEANUP.clean()
    with open(md) as f:
        print()
        print(f.read())
    log("wrote %s, %s%s (%.0f s)" % (md, jpath, ", " + svg if svg else "",
                                     time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
