#!/usr/bin/env python3
"""Golden packets end to end through net_pcap: every case of the packet core's golden table
(tests/common) goes into pktecho-dpdk as an rx_pcap; what comes out in the tx_pcap must equal the
expected replies byte for byte, in order, and the JSON summary must count exactly the expected
rx/tx packets and drops by reason, with no mbuf leaked.

Usage: golden.py PKTECHO_DPDK GOLDEN_GEN
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from pktecho_test import eal_args, json_objects


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def run(binary, tag, rx, tx, args):
    vdev = "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (rx, tx)
    cmd = [binary] + eal_args("golden" + tag, vdevs=vdev, lcores="0") + ["--"] + args + [
        "--duration", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def probe_mac(binary, tmp):
    """The port's MAC, which every golden frame is addressed to (net_pcap cannot change it)."""
    empty = os.path.join(tmp, "empty.pcap")
    with open(empty, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    p = run(binary, "probe", empty, os.path.join(tmp, "probe.tx.pcap"), ["--mode", "l2"])
    m = re.search(r"mac ([0-9a-f:]{17})", p.stdout)
    if p.returncode != 0 or not m:
        print("FAIL: probe run: rc %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
        sys.exit(1)
    return m.group(1)


def summary_of(out):
    s = [o for o in json_objects(out) if o.get("type") == "summary"]
    return s[-1] if s else None


def check_group(binary, tmp, n):
    spec = json.load(open(os.path.join(tmp, "g%d.json" % n)))
    rx, tx = os.path.join(tmp, "g%d.rx.pcap" % n), os.path.join(tmp, "g%d.tx.pcap" % n)
    p = run(binary, str(n), rx, tx, spec["args"] + ["--report", "json"])
    fails = []
    if p.returncode != 0:
        fails.append("exit %d: %s" % (p.returncode, p.stderr.strip()[-500:]))
    got, want = read_pcap(tx), read_pcap(os.path.join(tmp, "g%d.want.pcap" % n))
    for i, w in enumerate(want):
        name = spec["replies"][i]
        if i >= len(got):
            fails.append("%s: no reply (only %d replies came out)" % (name, len(got)))
            break
        if got[i] != w:
            at = next((k for k in range(min(len(w), len(got[i]))) if w[k] != got[i][k]),
                      min(len(w), len(got[i])))
            fails.append("%s: reply differs at byte %d (len %d, want %d)\n  got  %s\n  want %s"
                         % (name, at, len(got[i]), len(w), got[i].hex(), w.hex()))
            break  # the frames after a mismatch may be shifted
    if len(got) > len(want):
        fails.append("%d replies, %d expected" % (len(got), len(want)))
    s = summary_of(p.stdout)
    if s is None:
        fails.append("no JSON summary")
    else:
        if s["rx_packets"] != spec["rx"]:
            fails.append("rx_packets %d, want %d" % (s["rx_packets"], spec["rx"]))
        if s["tx_packets"] != spec["tx"]:
            fails.append("tx_packets %d, want %d" % (s["tx_packets"], spec["tx"]))
        if s["drops"] != spec["drops"]:
            fails.append("drops %s, want %s" % (s["drops"], spec["drops"]))
        if s.get("mbufs_leaked") != 0:
            fails.append("mbufs_leaked %s" % s.get("mbufs_leaked"))
    label = "group %d (%s): %d cases, %d replies" % (n, " ".join(spec["args"][:2]), spec["rx"],
                                                    spec["tx"])
    for f in fails:
        print("FAIL: %s: %s" % (label, f))
    if not fails:
        print("ok: %s, drops %s" % (label, spec["drops"]))
    return len(fails)


def main():
    binary, gen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="pe-golden-") as tmp:
        mac = probe_mac(binary, tmp)
        g = subprocess.run([gen, tmp, mac], capture_output=True, text=True, check=True)
        print(g.stdout.strip(), "for port MAC", mac)
        groups = sorted(int(f[1:-5]) for f in os.listdir(tmp) if re.match(r"g\d+\.json$", f))
        fails = sum(check_group(binary, tmp, n) for n in groups)
    print("%d failure(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
