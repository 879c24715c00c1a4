#!/usr/bin/env python3
"""UDP echo client for the namespace test (runs inside the client namespace).

  udp_client.py echo HOST PORT SIZE...      every size comes back byte-exact (exit 0) or exit 1
  udp_client.py silent HOST PORT SRCPORT    a datagram from SRCPORT gets no reply (exit 0)
"""
import os
import socket
import sys


def sock_for(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    return s


def echo(host, port, sizes):
    s = sock_for(host)
    fails = 0
    for size in sizes:
        payload = os.urandom(size)
        got = None
        for _ in range(3):  # the first datagram may wait for ARP/NDP
            s.sendto(payload, (host, port))
            try:
                # A late echo of an earlier try or size is not this one's: read on (the
                # timeout ends the wait; a reply that never matches is reported below).
                while got != payload:
                    got, _ = s.recvfrom(65535)
                break
            except socket.timeout:
                continue
        if got != payload:
            print(f"FAIL: {host}:{port} size {size}: "
                  f"{'no reply' if got is None else f'{len(got)} bytes back, differ'}")
            fails += 1
        else:
            print(f"ok: {host}:{port} size {size} echoed byte-exact")
    return fails


def silent(host, port, src_port):
    s = sock_for(host)
    s.bind(("::" if ":" in host else "0.0.0.0", src_port))
    s.settimeout(1.0)
    for _ in range(2):
        s.sendto(b"loop?", (host, port))
    try:
        s.recvfrom(65535)
    except socket.timeout:
        print(f"ok: no reply to source port {src_port}")
        return 0
    print(f"FAIL: a datagram from source port {src_port} got a reply")
    return 1


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "echo":
        return 1 if echo(host, port, [int(a) for a in sys.argv[4:]]) else 0
    if cmd == "silent":
        return silent(host, port, int(sys.argv[4]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
