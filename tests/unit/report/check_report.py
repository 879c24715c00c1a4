#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Parses lib/report's JSON, Prometheus and text output back (via report_emit) and checks values.

Usage: check_report.py PATH/TO/report_emit
"""
import json
import re
import subprocess
import sys

from pktecho_test import FAILS, expect, eq

EMIT = sys.argv[1]

# The fields every object and every block carries (docs/reports.md).
VIEW_FIELDS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_pps", "tx_pps", "rx_bps",
               "tx_bps", "drop_pps", "rx_nombuf", "rx_missed", "tx_dropped", "conns_opened",
               "conns_closed", "bytes_copied", "drops", "drops_total"]
TOP_FIELDS = ["type", "schema", "service", "name", "mode", "time", "elapsed_s"] + VIEW_FIELDS + [
    "blocks"]


def emit(mode):
    out = subprocess.run([EMIT, mode], check=True, capture_output=True, text=True)
    return out.stdout


def no_constants(name):
    raise ValueError(f"non-JSON constant {name}")


def parse_one_json_line(text, what):
    lines = text.split("\n")
    eq(len(lines), 2, f"{what}: exactly one line then a newline")
    eq(lines[-1], "", f"{what}: ends with a newline")
    return json.loads(lines[0], parse_constant=no_constants)


def check_interval_json():
    o = parse_one_json_line(emit("interval-json"), "interval-json")
    eq(list(o.keys()), TOP_FIELDS + ["lost", "latency_us"], "interval field order")
    eq(o["type"], "interval", "type")
    eq(o["schema"], 1, "schema")
    eq(o["service"], "pktecho-test", "service")
    eq(o["name"], 'inst"1', "name round-trips through escapes")
    eq(o["mode"], None, "mode NULL is null")
    expect(o["time"] > 1.6e9, "time is unix seconds")
    eq(o["elapsed_s"], 2.0, "elapsed_s")
    # Cumulative counts, rates over the 2 s interval.
    eq(o["rx_packets"], 1500, "rx_packets")
    eq(o["tx_packets"], 1490, "tx_packets")
    eq(o["rx_bytes"], 96000, "rx_bytes")
    eq(o["rx_pps"], 500.0, "rx_pps")
    eq(o["tx_pps"], 497.0, "tx_pps")
    eq(o["rx_bps"], 256000.0, "rx_bps")
    eq(o["tx_bps"], (1490 - 496) * 64 * 8 / 2, "tx_bps")
    eq(o["drop_pps"], 3.0, "drop_pps")
    eq(o["rx_missed"], 7, "rx_missed")
    eq(o["rx_nombuf"], 3, "rx_nombuf")
    eq(o["tx_dropped"], 4, "tx_dropped = drops.tx_full")
    eq(o["drops"], {"runt": 4, "udp_bad_checksum": 2, "tx_full": 4}, "drops, non-zero only")
    eq(o["drops_total"], 10, "drops_total")
    eq(o["rx_packets"], o["tx_packets"] + o["drops_total"], "rx = tx + drops")
    eq(o["conns_opened"], 3, "conns_opened")
    eq(o["bytes_copied"], 32000, "bytes_copied")
    eq(o["lost"], 0, "extra lost")
    eq(o["latency_us"], {"count": 1000, "mean": 12.775, "min": 12.5, "p50": 12.5, "p90": 12.5,
                         "p99": 12.5, "p999": 40.0, "max": 40.0}, "extra latency_us (histogram)")
    eq(len(o["blocks"]), 2, "two blocks")
    b0, b1 = o["blocks"]
    eq(list(b0.keys()), ["name", "port", "queue"] + VIEW_FIELDS, "block 0 fields")
    eq(list(b1.keys()), ["name", "thread"] + VIEW_FIELDS, "block 1 fields")
    eq(b0["name"], "p0q0", "block 0 name")
    eq((b0["port"], b0["queue"]), (0, 0), "block 0 port/queue")
    eq(b1["name"], 'we"ird\\name\n', "block 1 name round-trips")
    eq(b1["thread"], 1, "block 1 thread")
    eq(b0["rx_packets"], 1000, "block 0 rx")
    eq(b0["rx_pps"], 300.0, "block 0 rx_pps")
    eq(b1["rx_pps"], 200.0, "block 1 rx_pps")
    eq(b1["drops"], {}, "block 1 no drops")
    eq(b0["drops_total"], 10, "block 0 drops_total")
    for k in VIEW_FIELDS:
        if k not in ("drops",) and not k.endswith("pps") and not k.endswith("bps"):
            eq(o[k], b0[k] + b1[k], f"total {k} = sum of blocks")


def check_summary_json():
    o = parse_one_json_line(emit("summary-json"), "summary-json")
    eq(o["type"], "summary", "summary type")
    eq(o["schema"], 1, "summary schema")
    # Over the run: last - first.
    eq(o["rx_packets"], 1000, "summary rx_packets")
    eq(o["tx_packets"], 994, "summary tx_packets")
    eq(o["drops"], {"runt": 2, "udp_bad_checksum": 2, "tx_full": 2}, "summary drops")
    eq(o["rx_pps"], 500.0, "summary rx_pps")
    eq(o["elapsed_s"], 2.0, "summary elapsed_s")
    eq(o["blocks"][0]["rx_packets"], 600, "summary block 0 rx")


def check_first_json():
    o = parse_one_json_line(emit("first-json"), "first-json")
    eq(o["service"], None, "no meta: service null")
    eq(o["rx_packets"], 1500, "first: counts as they are")
    eq((o["rx_pps"], o["tx_bps"], o["elapsed_s"]), (0.0, 0.0, 0.0), "first: rates 0, not NaN")
    expect("lost" not in o, "no extra fields without extra")


LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape_label(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\":
            nxt = v[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}[nxt])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_prom(text):
    """Returns ({metric: type}, {(metric, frozenset(labels)): value}); records format errors."""
    types, helps, samples = {}, set(), {}
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            expect(name not in helps, f"one HELP per metric: {name}")
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            expect(kind in ("counter", "gauge"), f"TYPE kind {kind}")
            expect(name not in types, f"one TYPE per metric: {name}")
            types[name] = kind
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)", line)
        expect(m is not None, f"sample line parses: {line!r}")
        if not m:
            continue
        name, labels_txt, value = m.group(1), m.group(3) or "", m.group(4)
        expect(name in types and name in helps, f"{name} declared before its samples")
        labels = {}
        rest = labels_txt
        while rest:
            lm = LABEL_RE.match(rest)
            expect(lm is not None, f"labels parse: {labels_txt!r}")
            if not lm:
                break
            labels[lm.group(1)] = unescape_label(lm.group(2))
            rest = rest[lm.end():]
            if rest.startswith(","):
                rest = rest[1:]
        key = (name, frozenset(labels.items()))
        expect(key not in samples, f"no duplicate series: {line!r}")
        expect(re.fullmatch(r"[0-9]+(\.[0-9]+)?", value) is not None, f"plain number: {value}")
        samples[key] = float(value)
        if name.endswith("_total"):
            eq(types.get(name), "counter", f"{name} is a counter")
    return types, samples


def check_prom():
    text = emit("prom")
    expect(text.endswith("\n"), "exposition ends with a newline")
    types, samples = parse_prom(text)
    for m in ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_nombuf", "rx_missed",
              "conns_opened", "conns_closed", "bytes_copied", "drops"]:
        expect(f"pktecho_{m}_total" in types, f"metric pktecho_{m}_total present")

    def get(metric, **want):
        hits = [v for (n, ls), v in samples.items()
                if n == metric and want.items() <= dict(ls).items()]
        eq(len(hits), 1, f"exactly one sample of {metric} {want}")
        return hits[0] if hits else None

    base = {"service": "pktecho-test", "name": 'inst"1'}
    eq(get("pktecho_rx_packets_total", block="p0q0", port="0", queue="0", **base), 1000,
       "prom rx_packets p0q0")
    eq(get("pktecho_rx_packets_total", block='we"ird\\name\n', thread="1", **base), 500,
       "prom rx_packets of the oddly named block (label escapes)")
    eq(get("pktecho_tx_bytes_total", block="p0q0"), 990 * 64, "prom tx_bytes")
    eq(get("pktecho_rx_missed_total", block="p0q0"), 7, "prom rx_missed")
    eq(get("pktecho_drops_total", block="p0q0", reason="runt"), 4, "prom drops runt")
    eq(get("pktecho_drops_total", block="p0q0", reason="tx_full"), 4, "prom drops tx_full")
    eq(get("pktecho_drops_total", thread="1", reason="udp_bad_checksum"), 0,
       "prom: a reason seen anywhere appears on every block")
    eq(get("pktecho_drops_total", block="p0q0", reason="loop_refused"), 0,
       "prom: every reason is there from the start, at 0")
    eq(get("pktecho_info", mode=""), 1, "pktecho_info")
    eq(types.get("pktecho_info"), "gauge", "pktecho_info is a gauge")
    eq(get("pktecho_blocks"), 2, "pktecho_blocks")
    for (n, ls) in samples:
        if n.endswith("_total"):
            expect("port" in dict(ls) or "thread" in dict(ls), f"{n} has port or thread")


def check_text():
    t = emit("interval-text")
    lines = t.split("\n")[:-1]
    eq(len(lines), 3, "interval text: a line per block and a total line")
    tot = lines[-1]
    for want in ["[pktecho-test total]", "RX-packets: 1500", "TX-packets: 1490", "Rx-pps: 500",
                 "Tx-pps: 497", "RX-missed: 7", "RX-nombuf: 3", "TX-dropped: 4",
                 "drops: 10 (runt 4, udp_bad_checksum 2, tx_full 4)", "lost: 0"]:
        expect(want in tot, f"total line has {want!r}: {tot!r}")
    expect(lines[0].startswith("[pktecho-test p0q0] RX-packets: 1000"), f"block line: {lines[0]!r}")
    s = emit("summary-text")
    for want in ["statistics for p0q0", "pktecho-test totals over 2.000 s", "RX-packets: 1000",
                 "TX-packets: 994", "RX-missed: 7", "RX-nombuf:  3", "TX-dropped: 2",
                 "Rx-pps:     500", "drops: 6 (runt 2, udp_bad_checksum 2, tx_full 2)",
                 "Conns-opened: 3", "lost: 0"]:
        expect(want in s, f"summary text has {want!r}")


check_interval_json()
check_summary_json()
check_first_json()
check_prom()
check_text()
if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("all report checks passed")
