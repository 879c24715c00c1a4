#!/usr/bin/env python3
"""pktecho-dpdk's reply limits and loop guard end to end, through net_pcap (rx_pcap read once):
  - 3000 UDP echo requests from each of two source prefixes, --source-limit 1/50: each prefix is
    answered at most its burst plus one per second of the run, at least its burst; the rest are
    counted rate_limited and the counts add up;
  - the same frames with --source-limit off: every one answered (the limit, not the input, cut);
  - requests from source port 0 and from one of our echo ports: loop_refused, none answered.
Usage: ratelimit.py PKTECHO_DPDK"""
import os
import struct
import subprocess
import sys
import tempfile
import time

from pktecho_test import FAILS, eal_args, exit_code, fail, json_objects

BIN = sys.argv[1]
MAC = bytes.fromhex("027063617000")  # net_pcap0's MAC
CLIENT = bytes.fromhex("020000000009")


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp4(src, dst, sport, dport, payload=b"ratelimit-test.."):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # no checksum
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return MAC + CLIENT + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def run(tmp, tag, frames, args):
    rx, tx = os.path.join(tmp, tag + ".rx.pcap"), os.path.join(tmp, tag + ".tx.pcap")
    write_pcap(rx, frames)
    cmd = [BIN] + eal_args("rl" + tag, vdevs="net_pcap0,rx_pcap=%s,tx_pcap=%s" % (rx, tx),
                           lcores="0") + ["--", "--ip", "198.18.0.2/24", "--duration", "1",
                                          "--report", "json"] + args
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0  # brackets every decision of the run
    s = [o for o in json_objects(p.stdout) if o.get("type") == "summary"]
    if p.returncode != 0 or not s:
        fail("%s: exit %d: %s" % (tag, p.returncode, p.stderr[-400:]))
        return None, elapsed
    return s[-1], elapsed


def main():
    n = 3000
    flood = [udp4("198.18.0.9", "198.18.0.2", 40000, 7) for _ in range(n)] + \
            [udp4("198.19.5.9", "198.18.0.2", 40001, 7) for _ in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        s, elapsed = run(tmp, "limited", flood, ["--source-limit", "1/50"])
        if s:
            limited = s["drops"].get("rate_limited", 0)
            top = 2 * (50 + int(elapsed) + 1)
            if not 100 <= s["tx_packets"] <= top:
                fail("--source-limit 1/50: %d replies to 2 prefixes in %.1f s (want 100..%d)"
                     % (s["tx_packets"], elapsed, top))
            if limited == 0 or limited != s["rx_packets"] - s["tx_packets"]:
                fail("rate_limited %d, rx %d, tx %d: the counts do not add up"
                     % (limited, s["rx_packets"], s["tx_packets"]))
            print("ok: --source-limit 1/50: %d of %d answered, %d rate_limited"
                  % (s["tx_packets"], s["rx_packets"], limited))
        s, _ = run(tmp, "off", flood, ["--source-limit", "off"])
        if s and (s["rx_packets"] != 2 * n or s["tx_packets"] != 2 * n):
            fail("--source-limit off: rx %d tx %d, want %d each"
                 % (s["rx_packets"], s["tx_packets"], 2 * n))
        loops = [udp4("198.18.0.9", "198.18.0.2", 0, 7), udp4("198.18.0.9", "198.18.0.2", 9000, 7),
                 udp4("198.18.0.9", "198.18.0.2", 40000, 9000)]
        s, _ = run(tmp, "loop", loops, ["--udp-ports", "7,9000", "--source-limit", "off"])
        if s and (s["drops"].get("loop_refused", 0) != 2 or s["tx_packets"] != 1):
            fail("loop guard: loop_refused %s, tx %d (want 2 refused: port 0 and our own 9000;"
                 " 1 answered)" % (s["drops"].get("loop_refused"), s["tx_packets"]))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
