#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho's bind errors say which address and what to do: "Address already in use" names the
address (several may be given), a port below 1024 without privilege says what it needs, and
--stats-name takes 1..63 characters with the same words as every program.

Usage: test_errors.py PKTECHO
"""
import os
import socket
import subprocess
import sys
from pktecho_test import FAILS, exit_code, expect

BIN = sys.argv[1]



def run(args, preexec_fn=None):
    return subprocess.run([BIN, *args, "--duration", "0.2"], capture_output=True, text=True,
                          timeout=30, preexec_fn=preexec_fn)


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def main():
    # A TCP listener without SO_REUSEPORT holds the port: pktecho cannot share it.
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    r = run(["--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:%d" % port])
    line = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    expect(r.returncode != 0 and line == "pktecho: --tcp 127.0.0.1:%d: Address already in use"
           % port, "address in use names the address: %r" % line)
    holder.close()
    if os.geteuid() == 0:
        r = run(["--udp", "127.0.0.1:7"], preexec_fn=as_nobody)
        expect(r.returncode != 0 and "pktecho: --udp 127.0.0.1:7: Permission denied (ports below "
               "1024 need root or CAP_NET_BIND_SERVICE)" in r.stderr,
               "port 7 without privilege says so: %r" % r.stderr.strip())
    r = run(["--udp", "127.0.0.1:0", "--stats-name", "n" * 64])
    expect(r.returncode == 2 and "expected 1..63 of [A-Za-z0-9._-], not starting with '.'"
           in r.stderr, "64-character --stats-name refused in the common words")
    name = ("pe-test-%d-" % os.getpid()).ljust(63, "n")
    r = run(["--udp", "127.0.0.1:0", "--stats-name", name])
    expect(r.returncode == 0, "63-character --stats-name serves (%s)" % r.stderr.strip()[-200:])
    if FAILS:
        print("%d failure(s)" % len(FAILS))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
