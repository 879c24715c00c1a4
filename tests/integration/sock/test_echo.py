#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Socket fallback echo over loopback for one IO model (--model): UDP byte-exact from 0 to
65507 bytes, TCP with many concurrent clients and payloads larger than the buffers, half-close,
reset mid-stream, policy drops counted, clean stop with exit 0 and a JSON summary."""
import os
import signal
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import (Server, pattern, udp_echo, tcp_connect, recv_exact, recv_all,
                        main_args)
from pktecho_test import check, run_cases

A = main_args()
COMMON = ["--io-model", A.model, "--threads", "2"]


def ipv6_ok():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def case_udp_sizes():
    args = COMMON + ["--udp", "127.0.0.1:0"]
    if ipv6_ok():
        args += ["--udp", "[::1]:0"]
    srv = Server(A.bin, args)
    try:
        sizes = [0, 1, 2, 63, 64, 512, 1471, 1472, 1473, 4096, 8972, 9000, 32768, 65000, 65506,
                 65507]
        addrs = srv.addrs["udp"]
        sent = 0
        for addr in addrs:
            for n in sizes:
                data = pattern(n, seed=n)
                got = udp_echo(addr, data)
                check(got is not None, "no echo of %d bytes from %s" % (n, addr))
                check(got == data, "echo of %d bytes differs (%d back)" % (n, len(got)))
                sent += 1
        # A datagram too big for IPv4 is refused by the sender's kernel, not by us.
        s = srv.stop()
        check(s["tx_packets"] >= sent, "tx_packets %d < %d" % (s["tx_packets"], sent))
        check(s["bytes_copied"] >= s["rx_bytes"] > 0, "bytes_copied must count UDP bytes")
        if A.model == "blocking":  # a block per UDP thread: addresses x threads
            check(len(s["blocks"]) == 2 * len(addrs), "one stats block per UDP thread")
        else:
            check(len(s["blocks"]) == 2, "one stats block per thread")
    finally:
        srv.kill()


def tcp_client(addr, size, seed, errors):
    try:
        s = tcp_connect(addr, timeout=30)
        data = pattern(size, seed)
        t = threading.Thread(target=s.sendall, args=(data,))
        t.start()
        got = recv_exact(s, size)
        t.join()
        s.close()
        if got != data:
            errors.append("client %d: %d of %d bytes back, equal=%s"
                          % (seed, len(got), size, got == data[:len(got)]))
    except Exception as e:
        errors.append("client %d: %r" % (seed, e))


def case_tcp_many():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0", "--high-water", "256K"])
    try:
        errors = []
        # 24 clients x 1.5 MiB: far larger than the 64 KiB spill and the 256 KiB high mark.
        ts = [threading.Thread(target=tcp_client, args=(srv.tcp(), 3 << 19, i, errors))
              for i in range(24)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        check(not errors, "; ".join(errors[:3]))
        s = srv.stop()
        check(s["conns_opened"] == 24, "conns_opened %d != 24" % s["conns_opened"])
        check(s["rx_bytes"] == 24 * (3 << 19) == s["tx_bytes"],
              "rx %d / tx %d bytes" % (s["rx_bytes"], s["tx_bytes"]))
    finally:
        srv.kill()


def case_half_close():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0"])
    try:
        s = tcp_connect(srv.tcp())
        data = pattern(1 << 20, 5)

        def send_then_shut():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)

        t = threading.Thread(target=send_then_shut)
        t.start()
        got = recv_all(s)  # EOF must follow the last echoed byte
        t.join(30)
        s.close()
        check(len(got) == len(data), "%d bytes back instead of %d" % (len(got), len(data)))
        check(got == data, "echoed bytes differ")
        srv.stop()
    finally:
        srv.kill()


def case_reset():
    srv = Server(A.bin, COMMON + ["--tcp", "127.0.0.1:0"])
    try:
        for i in range(3):
            s = tcp_connect(srv.tcp())
            s.sendall(pattern(300000, i))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST in the middle of the echo
        s = tcp_connect(srv.tcp())
        data = pattern(100000, 9)
        s.sendall(data)
        check(recv_exact(s, len(data)) == data, "echo after resets differs")
        s.close()
        check(srv.alive(), "server died")
        srv.stop()
    finally:
        srv.kill()


def case_policy():
    srv = Server(A.bin, COMMON + ["--udp", "127.0.0.1:0"])
    try:
        for port in (19, 7, 37):  # chargen, echo, time: the loop guard refuses them
            got = udp_echo(srv.udp(), b"loop?", sport=port, timeout=0.3, tries=1)
            check(got is None, "reply to source port %d" % port)
        check(udp_echo(srv.udp(), b"ok", timeout=2) == b"ok", "no reply from a high port")
        s = srv.stop()
        check(s["drops"].get("loop_refused") == 3, "loop_refused %r" % s["drops"])
        check(s["tx_packets"] == 1, "tx_packets %d" % s["tx_packets"])
    finally:
        srv.kill()


def case_fairness():
    """One thread serves a TCP stream at full speed and a UDP ping client at once: the budget
    per readiness event keeps the pings answered (a liveness check, not a timing one). The pings
    start only once the stream has echoed a known amount, and the stream runs until the last
    ping is answered, so no assertion depends on which thread the scheduler runs first."""
    srv = Server(A.bin, ["--io-model", A.model, "--threads", "1", "--tcp", "127.0.0.1:0",
                         "--udp", "127.0.0.1:0"])
    stop = threading.Event()
    chunk = pattern(1 << 16, 2)
    warm = 10 * len(chunk)
    echoed = [0]
    warmed = threading.Event()
    try:
        s = tcp_connect(srv.tcp())

        def blast():
            try:
                while not stop.is_set():
                    s.sendall(chunk)
            except OSError:
                pass

        def drain():
            try:
                while not stop.is_set():
                    n = len(s.recv(1 << 20))
                    if n == 0:
                        break
                    echoed[0] += n
                    if echoed[0] >= warm:
                        warmed.set()
            except OSError:
                pass

        ts = [threading.Thread(target=blast), threading.Thread(target=drain)]
        for t in ts:
            t.start()
        check(warmed.wait(60), "the stream echoed only %d bytes in 60 s" % echoed[0])
        for i in range(100):
            data = b"ping %d" % i
            check(udp_echo(srv.udp(), data, timeout=2, tries=1) == data,
                  "ping %d unanswered while a TCP stream runs" % i)
        check(all(t.is_alive() for t in ts), "the stream ended before the last ping")
        stop.set()
        s.shutdown(socket.SHUT_RDWR)
        for t in ts:
            t.join(10)
        s.close()
        sm = srv.stop()
        check(sm["rx_bytes"] >= warm, "the stream did not run (%d bytes)" % sm["rx_bytes"])
    finally:
        stop.set()
        srv.kill()


def case_sigint():
    srv = Server(A.bin, COMMON + ["--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0"])
    try:
        keep = tcp_connect(srv.tcp())  # an open connection must not hold up the stop
        keep.sendall(b"x")
        check(recv_exact(keep, 1) == b"x", "no echo")
        s = srv.stop(signal.SIGINT)
        check(s["conns_opened"] == 1, "conns_opened %d" % s["conns_opened"])
        keep.close()
    finally:
        srv.kill()


sys.exit(run_cases([
    ("udp_sizes_0_to_65507", case_udp_sizes),
    ("tcp_many_clients", case_tcp_many),
    ("tcp_half_close_1MiB", case_half_close),
    ("tcp_reset_mid_stream", case_reset),
    ("udp_policy_loop_refused", case_policy),
    ("fairness_stream_and_pings", case_fairness),
    ("sigint_clean_stop", case_sigint),
], A.cases))
