#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho-stat against a live segment (stat_feeder): JSON, Prometheus and the table read back
and checked; exit codes for bad usage, a missing segment, a clean stop and a crashed owner; a
stale segment replaced. Every wait is bounded.

Usage: check_pktecho_stat.py PATH/TO/pktecho-stat PATH/TO/stat_feeder
"""
import glob
import json
import os
import signal
import subprocess
import sys

from pktecho_test import FAILS, expect, eq

STAT, FEEDER = sys.argv[1], sys.argv[2]
NAME = f"pe-test-{os.getpid()}-stat"
started = []


def feeder(mode, name=NAME):
    p = subprocess.Popen([FEEDER, name, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    started.append(p)
    eq(p.stdout.readline(), "ready\n", f"feeder {mode} ready")
    return p


def stop_clean(p):
    p.stdin.close()
    eq(p.wait(timeout=10), 0, "feeder clean exit")


def stat(*args, timeout=20):
    return subprocess.run([STAT, *args], capture_output=True, text=True, timeout=timeout)


def one_line(err, what):
    eq(err.count("\n"), 1, f"{what}: one line on stderr ({err!r})")


def check_usage_errors():
    for args in [[], ["--interval", "0", NAME], ["--interval", "abc", NAME], ["--bogus", NAME],
                 ["--json", "--prometheus", NAME], ["a", "b"], ["bad/name"], ["-i"],
                 ["--count", "0", NAME], ["-n", "x", NAME], ["--count", "-1", NAME],
                 ["--list", NAME], ["--list", "--json"]]:
        r = stat(*args)
        eq(r.returncode, 2, f"exit code of {args}")
        one_line(r.stderr, f"{args}")
        expect("--help" in r.stderr, f"{args}: usage hint")
    # Inside a cluster, the unknown option is named, not the word before it.
    r = stat("-xj", NAME)
    eq(r.returncode, 2, "exit code of -xj")
    expect("unknown option '-x'" in r.stderr, f"-xj names -x: {r.stderr!r}")
    r = stat(NAME + "-missing")
    eq(r.returncode, 1, "missing segment exit code")
    one_line(r.stderr, "missing segment")
    expect("no such stats segment" in r.stderr, "missing segment message")


def check_static():
    p = feeder("static")
    r = stat("--json", "--interval", "0.2", NAME)
    eq(r.returncode, 0, "--json exit code")
    lines = r.stdout.splitlines()
    eq(len(lines), 1, "--json prints one line")
    o = json.loads(lines[0], parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    eq(o["type"], "interval", "type")
    eq(o["schema"], 1, "schema")
    eq((o["service"], o["name"], o["mode"]), ("pktecho-dpdk", NAME, "l4"), "meta from segment")
    eq(o["rx_packets"], 1500, "rx_packets")
    eq(o["tx_packets"], 1490, "tx_packets")
    eq(o["tx_bytes"], 1490 * 64, "tx_bytes")
    eq(o["drops"], {"runt": 6, "tx_full": 4}, "drops")
    eq(o["tx_dropped"], 4, "tx_dropped")
    eq((o["rx_pps"], o["tx_pps"]), (0.0, 0.0), "nothing moves: rates 0")
    expect(0.15 < o["elapsed_s"] < 5, f"elapsed_s about the interval: {o['elapsed_s']}")
    eq([(b["name"], b["port"], b["queue"], b["rx_packets"]) for b in o["blocks"]],
       [("p0q0", 0, 0, 1000), ("p0q1", 0, 1, 500)], "blocks")

    r = stat("--prometheus", NAME)
    eq(r.returncode, 0, "--prometheus exit code")
    want = (f'pktecho_rx_packets_total{{service="pktecho-dpdk",name="{NAME}",block="p0q1",'
            f'port="0",queue="1"}} 500')
    expect(want in r.stdout.splitlines(), "prometheus rx_packets of p0q1")
    expect(f'block="p0q0",port="0",queue="0",reason="runt"}} 6' in r.stdout,
           "prometheus drops by reason")
    expect("# TYPE pktecho_drops_total counter" in r.stdout, "prometheus TYPE line")

    r = stat("--list")
    eq(r.returncode, 0, "--list exit code")
    mine = [ln.split() for ln in r.stdout.splitlines() if ln.startswith(NAME + " ")]
    eq(len(mine), 1, "--list shows the segment once")
    if mine:
        eq(mine[0][1:5] + mine[0][-1:],
           ["pktecho-dpdk", "l4", str(p.pid), "2", "live"], "--list row")

    r = stat("--once", "--interval", "0.2", NAME)
    eq(r.returncode, 0, "--once exit code")
    rows = {ln.split()[0]: ln.split() for ln in r.stdout.splitlines() if ln.strip()}
    expect("p0q0" in rows and "p0q1" in rows and "total" in rows, f"table rows: {r.stdout!r}")
    if "total" in rows:
        eq(rows["total"][-3:], ["1500", "1490", "10"], "total row counts")
    expect("RX-packets" in r.stdout and "Rx-pps" in r.stdout, "table headers")
    stop_clean(p)


def check_no_terminal_escapes():
    # A segment's meta and block names, and /dev/shm file names, come from other processes:
    # no control character reaches the terminal.
    p = feeder("escape")
    junk = f"/dev/shm/pktecho-{NAME}-\x1b[2J"
    with open(junk, "w"):
        pass
    try:
        for args in [["--once", "--interval", "0.2", NAME], ["--list"]]:
            r = stat(*args)
            eq(r.returncode, 0, f"{args} exit code")
            expect("\x1b" not in r.stdout and "\x07" not in r.stdout,
                   f"{args}: no control characters in {r.stdout!r}")
        r = stat("--once", "--interval", "0.2", NAME)
        expect("p0?[31mq0" in r.stdout, f"block name shown with '?': {r.stdout!r}")
        expect("svc?]0;owned?" in r.stdout, f"service shown with '?': {r.stdout!r}")
    finally:
        os.unlink(junk)
    stop_clean(p)


def check_busy():
    p = feeder("busy")
    r = stat("--json", "--interval", "0.3", NAME)
    eq(r.returncode, 0, "busy --json exit code")
    o = json.loads(r.stdout)
    expect(o["rx_pps"] > 0, f"busy: rx_pps > 0 ({o['rx_pps']})")
    expect(o["rx_packets"] > 1500, "busy: counts grew")
    # The feeder keeps rx == tx + drops in every burst: a consistent snapshot shows it.
    eq(o["rx_packets"], o["tx_packets"] + o["drops_total"], "busy: rx == tx + drops")
    for b in o["blocks"]:
        eq(b["rx_packets"], b["tx_packets"] + b["drops_total"], f"busy block {b['name']}")
    # A stream: one object per interval, counts never going backwards.
    r = stat("--json", "--count", "3", "--interval", "0.1", NAME)
    eq(r.returncode, 0, "busy --json --count 3 exit code")
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    eq(len(objs), 3, "--count 3 prints three objects")
    eq(sorted(o["rx_packets"] for o in objs), [o["rx_packets"] for o in objs],
       "cumulative counts never go backwards")
    for o in objs:
        eq(o["rx_packets"], o["tx_packets"] + o["drops_total"], "stream: rx == tx + drops")
    stop_clean(p)


def live_until_owner_ends(p, end):
    """Runs the live view, waits for its first table, ends the owner, returns the result."""
    s = subprocess.Popen([STAT, "--interval", "0.2", NAME], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    started.append(s)
    first = s.stdout.readline()
    expect(first.startswith(NAME + ": pktecho-dpdk mode l4"), f"live header: {first!r}")
    end(p)
    out, err = s.communicate(timeout=10)
    return s.returncode, err


def check_owner_stops_cleanly():
    rc, err = live_until_owner_ends(feeder("busy"), stop_clean)
    eq(rc, 0, "live view exit code when the service stops cleanly")
    one_line(err, "clean stop")
    expect("service stopped" in err, f"clean stop message: {err!r}")


def kill_owner(p):
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)


def check_owner_crashes_then_stale_replaced():
    rc, err = live_until_owner_ends(feeder("busy"), kill_owner)
    eq(rc, 1, "live view exit code when the service dies")
    one_line(err, "owner died")
    expect("gone" in err, f"died message: {err!r}")
    expect(os.path.exists(f"/dev/shm/pktecho-{NAME}"), "a crash leaves the segment behind")
    r = stat("--list")
    expect(any(ln.startswith(NAME + " ") and ln.endswith("stale (owner gone)")
               for ln in r.stdout.splitlines()), f"--list marks it stale: {r.stdout!r}")
    r = stat("--json", "--interval", "0.1", NAME)
    eq(r.returncode, 1, "reading a dead service's segment: exit 1")
    p = feeder("static")  # the next run replaces the stale segment
    r = stat("--json", "--interval", "0.1", NAME)
    eq(json.loads(r.stdout)["rx_packets"], 1500, "fresh counts after replacing a stale segment")
    stop_clean(p)


try:
    check_usage_errors()
    check_static()
    check_no_terminal_escapes()
    check_busy()
    check_owner_stops_cleanly()
    check_owner_crashes_then_stale_replaced()
    eq(glob.glob(f"/dev/shm/pktecho-{NAME}*"), [], "no segment left behind")
finally:
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for path in glob.glob(f"/dev/shm/pktecho-{NAME}*"):
        os.unlink(path)

if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("all pktecho-stat checks passed")
