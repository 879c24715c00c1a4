#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""compare.md's ratio line tells only what the generator lets be known: a PDR at the
generator's ceiling is a lower bound, so the DPDK/kernel PDR ratio is ">=" when only the DPDK
row is bound, "<=" when only the kernel row is, a plain number when neither is, and no number
at all when both are. scripts/compare.py's own renderer, on made-up rows; no measurement.
"""
import importlib.util
import os
import sys

import pktecho_test as t

spec = importlib.util.spec_from_file_location(
    "compare", os.path.join(t.SOURCE_ROOT, "scripts/compare.py"))
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def doc(dp_pdr, dp_bound, ks_pdr, ks_bound):
    def row(name, kind, pdr, bound):
        return {"topology": "veth", "name": name, "kind": kind, "available": True,
                "ndr_pps": pdr, "pdr_pps": pdr, "generator_bound": bound,
                "latency_us": {"50": {"p50": 10.0 if kind == "dpdk" else 20.0}}}
    return {"paths": [row("dp", "dpdk", dp_pdr, dp_bound), row("ks", "socket", ks_pdr, ks_bound),
                      row("slow", "socket", 1000, False)], "equal_rate": None}


def line(d):
    out = compare.ratio_lines(d)
    t.check(out, "no ratio line")
    return out[0]


def case_neither_bound():
    s = line(doc(200000, False, 100000, False))
    t.check("PDR 2.00x;" in s, s)


def case_dpdk_bound():
    s = line(doc(200000, True, 100000, False))
    t.check("PDR >= 2.00x;" in s, s)


def case_kernel_bound():
    s = line(doc(200000, False, 100000, True))
    t.check("PDR <= 2.00x;" in s, s)


def case_both_bound():
    s = line(doc(440000, True, 470000, True))
    t.check("not measurable here" in s and "x;" not in s.split("PDR", 1)[1].split(";")[0], s)
    t.check("(0.50x)" in s, "the latency ratio is still given: " + s)


if __name__ == "__main__":
    sys.exit(t.run_cases([(n, f) for n, f in list(globals().items()) if n.startswith("case_")]))
