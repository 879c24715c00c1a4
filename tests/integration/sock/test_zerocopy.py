#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Zero copy: --splice TCP echo and --sendfile streaming are byte-exact for a multi-MiB payload
with a slow reader, and count no bytes copied through user space; killing the reader mid-transfer
leaks no descriptors (pipes included)."""
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import Server, pattern, tcp_connect, recv_exact, recv_all, main_args
from pktecho_test import check, run_cases

A = main_args()
COMMON = ["--io-model", A.model, "--threads", "2"]
SIZE = 6 << 20


def slow_read(s, n):
    """Read in small gulps with pauses at first: the server meets a full socket and must wait."""
    buf = bytearray()
    for _ in range(20):
        chunk = s.recv(16384)
        if not chunk:
            return bytes(buf)
        buf += chunk
        time.sleep(0.01)
    return bytes(buf) + recv_exact(s, n - len(buf)) if n > len(buf) else bytes(buf)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_list(pid):
    out = []
    for fd in sorted(os.listdir("/proc/%d/fd" % pid), key=int):
        try:
            out.append("%s:%s" % (fd, os.readlink("/proc/%d/fd/%s" % (pid, fd))))
        except OSError:
            pass
    return " ".join(out)


def fds_settle(pid, want, seconds=5):
    """The fd count once the server has noticed the closed peers (bounded wait)."""
    deadline = time.monotonic() + seconds
    while fd_count(pid) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return fd_count(pid)


def case_splice():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--splice"])
    try:
        base = fd_count(srv.pid)
        s = tcp_connect(srv.tcp(), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        data = pattern(SIZE, 3)
        t = threading.Thread(target=s.sendall, args=(data,))
        t.start()
        got = slow_read(s, SIZE)
        t.join(30)
        check(got == data, "splice echo differs (%d of %d bytes)" % (len(got), SIZE))
        s.shutdown(socket.SHUT_WR)
        check(recv_all(s) == b"", "bytes after the echo")
        s.close()
        # A reader killed mid-transfer: the connection and its pipe are closed.
        for i in range(5):
            k = tcp_connect(srv.tcp())
            k.sendall(pattern(200000, i))
            k.close()
        n = fds_settle(srv.pid, base)
        check(n == base, "fds %d, were %d (pipe leak?): %s" % (n, base, fd_list(srv.pid)))
        sm = srv.stop()
        check(sm["bytes_copied"] == 0, "splice copied %d bytes" % sm["bytes_copied"])
        check(sm["tx_bytes"] >= SIZE, "tx_bytes %d" % sm["tx_bytes"])
    finally:
        srv.kill()


def case_splice_stalled_reader():
    """A peer that sends but does not read: the pipe fills (it runs out of buffers before
    bytes) and the server must wait for write room, not spin on the readable socket."""
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--splice"])
    try:
        s = tcp_connect(srv.tcp())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(0.2)
        chunk = pattern(1 << 16, 4)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                s.send(chunk)
            except socket.timeout:
                pass
        cpu0 = srv.cpu_seconds()
        time.sleep(1.0)
        spent = srv.cpu_seconds() - cpu0
        check(spent < 0.5 or A.model == "nonblocking",
              "server used %.2f CPU s in 1 s waiting for a stalled reader" % spent)
        s.close()
        srv.stop()
    finally:
        srv.kill()


def case_sendfile():
    with tempfile.NamedTemporaryFile(prefix="pe-sendfile-") as f:
        data = pattern(SIZE + 12345, 8)
        f.write(data)
        f.flush()
        srv = Server(A.bin, COMMON + ["--sendfile", "127.0.0.1:0=" + f.name])
        try:
            addr = srv.addrs["sendfile"][0]
            base = fd_count(srv.pid)
            for i in range(2):
                s = tcp_connect(addr, timeout=30)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
                got = slow_read(s, len(data))
                got += recv_all(s)  # the server closes after the file
                s.close()
                check(got == data, "sendfile stream differs (%d of %d bytes)"
                      % (len(got), len(data)))
            k = tcp_connect(addr)  # killed mid-transfer
            k.recv(1000)
            k.close()
            n = fds_settle(srv.pid, base)
            check(n == base, "fds %d, were %d after an aborted transfer: %s"
                  % (n, base, fd_list(srv.pid)))
            sm = srv.stop()
            check(sm["bytes_copied"] == 0, "sendfile copied %d bytes" % sm["bytes_copied"])
            check(sm["tx_bytes"] >= 2 * len(data), "tx_bytes %d" % sm["tx_bytes"])
        finally:
            srv.kill()


sys.exit(run_cases([("splice_echo_slow_reader", case_splice),
                    ("splice_stalled_reader_no_spin", case_splice_stalled_reader),
                    ("sendfile_slow_reader", case_sendfile)], A.cases))
