#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A tiny RFC 862 echo server (UDP and TCP) for the load tests: stdlib only.

Usage: echo_server.py [--host H] [--port P] [--proto udp|tcp]
Binds (port 0 = a free port), prints the port on one line to stdout, then echoes until killed.
With --count-file F, writes the number of datagrams (UDP) or bytes (TCP) received to F at exit.
UDP misbehaviours for testing the accounting (every Nth datagram, N > 0):
  --corrupt N  flip a byte of the payload's pattern    --truncate N  drop the last byte
  --dup N      send it twice                          --swap N      hold it and send it after the next
  --drop N     do not echo it
A server that stalls (TCP): --stall-after BYTES --stall-ms MS stops reading for MS milliseconds
once, after BYTES (receive buffers kept small, so the sender soon blocks).
A server of known capacity (the search's test double): --max-pps N echoes at most N datagrams per
second (a token bucket 50 ms deep, timed by each datagram's kernel arrival timestamp, so a server
that runs late still drops by the rate packets arrived at) and drops the rest.
"""
import argparse
import selectors
import signal
import socket
import struct
import sys
import time


# Not in every Python's socket module; the value of Linux (asm-generic/socket.h, 64-bit time).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def nth(n, i):
    return n > 0 and i % n == 0


class Bucket:
    """At most rate per second, depth rate / 20: what is over is dropped."""

    def __init__(self, rate):
        self.rate, self.depth = rate, max(1.0, rate / 20.0)
        self.tokens, self.last = self.depth, None

    def take(self, now):
        if self.last is None:
            self.last = now
        self.tokens = min(self.depth, self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = max(now, self.last)
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def serve_udp(sock, counter, a):
    held = None
    bucket = Bucket(a.max_pps) if a.max_pps > 0 else None
    if bucket:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    while True:
        if bucket:
            data, anc, _, peer = sock.recvmsg(65535, 256)
            arrival = time.time()
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    arrival = sec + nsec / 1e9
        else:
            data, peer = sock.recvfrom(65535)
        counter[0] += 1
        i = counter[0]
        if nth(a.drop, i) or (bucket and not bucket.take(arrival)):
            continue
        if nth(a.corrupt, i) and len(data) > 40:
            data = data[:40] + bytes([data[40] ^ 0xff]) + data[41:]
        if nth(a.truncate, i):
            data = data[:-1]
        if nth(a.swap, i) and held is None:
            held = (data, peer)
            continue
        sock.sendto(data, peer)
        if nth(a.dup, i):
            sock.sendto(data, peer)
        if held is not None:
            sock.sendto(*held)
            held = None


def serve_tcp(sock, counter, a):
    sel = selectors.DefaultSelector()
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, _ = sock.accept()
                conn.setblocking(True)
                sel.register(conn, selectors.EVENT_READ, b"conn")
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except ConnectionError:
                data = b""
            if not data:
                sel.unregister(conn)
                conn.close()
                continue
            before = counter[0]
            counter[0] += len(data)
            conn.sendall(data)
            if a.stall_ms and before < a.stall_after <= counter[0]:
                time.sleep(a.stall_ms / 1000.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--proto", choices=["udp", "tcp"], default="udp")
    ap.add_argument("--count-file")
    for opt in ("corrupt", "truncate", "dup", "swap", "drop", "max_pps", "stall_after",
                "stall_ms"):
        ap.add_argument("--" + opt.replace("_", "-"), type=int, default=0)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    kind = socket.SOCK_DGRAM if a.proto == "udp" else socket.SOCK_STREAM
    sock = socket.socket(fam, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((a.host, a.port))
    if a.proto == "tcp":
        if a.stall_ms:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # accepted ones inherit
        sock.listen(128)
    counter = [0]

    def stop(*_):
        if a.count_file:
            with open(a.count_file, "w") as f:
                f.write("%d\n" % counter[0])
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(sock.getsockname()[1], flush=True)
    if a.proto == "udp":
        serve_udp(sock, counter, a)
    else:
        serve_tcp(sock, counter, a)


if __name__ == "__main__":
    main()
