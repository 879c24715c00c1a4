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
"""
import argparse
import selectors
import signal
import socket
import sys


def nth(n, i):
    return n > 0 and i % n == 0


def serve_udp(sock, counter, a):
    held = None
    while True:
        data, peer = sock.recvfrom(65535)
        counter[0] += 1
        i = counter[0]
        if nth(a.drop, i):
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


def serve_tcp(sock, counter):
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
            counter[0] += len(data)
            conn.sendall(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--proto", choices=["udp", "tcp"], default="udp")
    ap.add_argument("--count-file")
    for opt in ("corrupt", "truncate", "dup", "swap", "drop"):
        ap.add_argument("--" + opt, type=int, default=0)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    kind = socket.SOCK_DGRAM if a.proto == "udp" else socket.SOCK_STREAM
    sock = socket.socket(fam, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((a.host, a.port))
    if a.proto == "tcp":
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
        serve_tcp(sock, counter)


if __name__ == "__main__":
    main()
