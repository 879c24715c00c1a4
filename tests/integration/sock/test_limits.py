#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Resource limits: a client that sends but never reads keeps the server's RSS bounded (the
high-water mark pauses reading); an accept flood under a small `ulimit -n` is survived without
spinning and existing connections keep being served; --max-conns refuses the excess."""
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import Server, pattern, tcp_connect, recv_exact, main_args
from pktecho_test import check, run_cases

A = main_args()
COMMON = ["--io-model", A.model, "--threads", "2"]


def check_served(srv):
    """A new client's echo still comes back."""
    c = tcp_connect(srv.tcp())
    c.sendall(b"still here")
    check(recv_exact(c, 10) == b"still here", "a new client was not served")
    c.close()


def case_rss_bounded():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--high-water", "1M"],
                 small_quarantine=True)
    try:
        start = srv.rss_kib()
        socks = []
        sent = [0] * 4
        stop = threading.Event()

        def flood(i):
            s = tcp_connect(srv.tcp())
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(0.2)
            socks.append(s)
            chunk = pattern(1 << 16, i)
            deadline = time.monotonic() + 3
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    sent[i] += s.send(chunk)
                except socket.timeout:
                    pass  # the server stopped reading: backpressure reached us

        ts = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(10)
        peak = srv.rss_kib()
        # 4 connections x (1 MiB high mark + 64 KiB spill) plus slack for allocator rounding.
        check(peak - start < 16 * 1024, "RSS grew %d KiB (start %d KiB) after %d MiB sent"
              % (peak - start, start, sum(sent) >> 20))
        check_served(srv)  # another client is unaffected
        for s in socks:
            s.close()
        srv.stop()
    finally:
        srv.kill()


def case_max_buffer():
    """50 clients that send but never read: the global --max-buffer cap pauses the connections
    holding the most, so the server's RSS stays near the cap instead of 50 x the high-water
    mark; the memory goes back when they close; a new client is still served."""
    cap_mib = 16
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--max-buffer", "%dM" % cap_mib],
                 small_quarantine=True)
    socks = []
    try:
        start = srv.rss_kib()
        for i in range(50):
            s = tcp_connect(srv.tcp())
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            socks.append(s)
        chunk = pattern(1 << 16, 3)
        sent, idle, peak = 0, 0, 0
        deadline = time.monotonic() + 20
        # Send until every socket refuses more for 0.5 s in a row: the server stopped reading.
        while idle < 5 and time.monotonic() < deadline:
            before = sent
            for s in socks:
                try:
                    while True:
                        sent += s.send(chunk)
                except BlockingIOError:
                    pass
            peak = max(peak, srv.rss_kib())
            idle = idle + 1 if sent == before else 0
            time.sleep(0.1)
        check(idle >= 5, "the clients never stopped: %d MiB sent" % (sent >> 20))
        # The cap plus, per connection, one read's buffer (docs/fallback.md: at most 256 KiB
        # of storage) and allocator slack; without a cap this is 50 x 4 MiB or more.
        limit = cap_mib * 1024 + 50 * 256 + 8 * 1024
        check(peak - start < limit, "RSS grew %d KiB (limit %d KiB, start %d KiB) after %d MiB"
              % (peak - start, limit, start, sent >> 20))
        check_served(srv)
        for s in socks:
            s.close()
        socks = []
        # The buffers go back to the system once the connections are closed.
        end = srv.rss_kib()
        for _ in range(50):
            end = srv.rss_kib()
            if end - start < 8 * 1024:
                break
            time.sleep(0.1)
        check(end - start < 8 * 1024, "RSS %d KiB above the start after every client closed"
              % (end - start))
        srv.stop()
    finally:
        for s in socks:
            s.close()
        srv.kill()


def small_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def case_emfile():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0"], preexec_fn=small_nofile)
    flood = []
    try:
        keep = tcp_connect(srv.tcp())
        keep.sendall(b"before")
        check(recv_exact(keep, 6) == b"before", "no echo before the flood")
        for _ in range(300):
            try:
                c = socket.create_connection(srv.tcp(), timeout=2)
                flood.append(c)
            except OSError:
                pass
        time.sleep(0.3)
        cpu0 = srv.cpu_seconds()
        time.sleep(1.0)
        spent = srv.cpu_seconds() - cpu0
        # Not a timing assertion: a spinning accept loop burns a whole core (about 1 s here).
        # The nonblocking model busy-polls by design, so only the others can show it.
        check(spent < 0.5 or A.model == "nonblocking",
              "server used %.2f CPU s in 1 s while out of fds (spinning?); threads: %r"
              % (spent, srv.thread_cpu()))
        keep.sendall(b"during")
        check(recv_exact(keep, 6) == b"during", "existing connection not served in the flood")
        check(srv.alive(), "server died")
        for c in flood:
            c.close()
        flood = []
        time.sleep(0.5)
        ok = False
        for _ in range(20):  # accepted again once the load is gone
            try:
                s = tcp_connect(srv.tcp(), timeout=2)
                s.sendall(b"after")
                ok = recv_exact(s, 5) == b"after"
                s.close()
            except OSError:
                pass
            if ok:
                break
            time.sleep(0.2)
        check(ok, "no echo on a new connection after the flood")
        keep.close()
        sm = srv.stop()
        check(sm["conns_refused"] > 0 or sm["accept_emfile"] > 0, "no EMFILE seen: %r"
              % {k: sm[k] for k in ("conns_opened", "conns_refused", "accept_emfile")})
    finally:
        for c in flood:
            c.close()
        srv.kill()


def case_max_conns():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--max-conns", "3"])
    try:
        held = [tcp_connect(srv.tcp()) for _ in range(3)]
        for i, s in enumerate(held):
            s.sendall(b"%d" % i)
            check(recv_exact(s, 1) == b"%d" % i, "held connection %d not served" % i)
        extra = tcp_connect(srv.tcp())
        try:
            extra.sendall(b"x")
            got = extra.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            got = b""
        check(got == b"", "the 4th connection was served")
        extra.close()
        for s in held:
            s.close()
        sm = srv.stop()
        check(sm["conns_refused"] >= 1, "conns_refused %d" % sm["conns_refused"])
    finally:
        srv.kill()


sys.exit(run_cases([("rss_bounded_slow_reader", case_rss_bounded),
                    ("emfile_flood", case_emfile),
                    ("max_conns", case_max_conns),
                    ("max_buffer_non_readers", case_max_buffer)], A.cases))
