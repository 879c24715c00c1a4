#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared test module itself: a port is seen bound only while a socket holds it, eal_args
gives a per-process prefix, and CLEANUP kills registered processes and removes files, DPDK
runtime directories and namespaces (the namespace part needs root: skipped otherwise).

Usage: check_pktecho_test.py
"""
import os
import socket
import subprocess
import sys
import tempfile

import pktecho_test as t


def case_ports():
    for proto, kind in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
        port = t.free_port(proto)
        t.check(not t.port_bound(port, proto), "%s/%d bound before anything bound it"
                % (proto, port))
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", port))
            if proto == "tcp":
                s.listen(1)
            t.wait_port(port, proto, timeout=5)
        try:
            t.wait_port(port, proto, timeout=0.3)
        except t.Fail:
            continue
        raise t.Fail("%s/%d still seen bound after close" % (proto, port))


def case_eal():
    args = t.eal_args("pylib", vdevs=["net_null0"], lcores="0")
    prefix = args[args.index("--file-prefix") + 1]
    t.eq(prefix, "pe-test-%d-pylib" % os.getpid(), "prefix")
    t.check(args[-2:] == ["--vdev", "net_null0"] and "--no-huge" in args, "eal args %r" % args)


def case_cleanup():
    c = t.Cleanup()
    p = c.proc(subprocess.Popen(["sleep", "30"]))
    f = c.path(tempfile.NamedTemporaryFile(prefix="pe-test-", delete=False).name)
    d = c.path(tempfile.mkdtemp(prefix="pe-test-"))
    run = tempfile.mkdtemp(prefix="pe-test-run-")
    old, t.DPDK_RUN_DIR = t.DPDK_RUN_DIR, run
    try:
        os.mkdir(os.path.join(run, c.dpdk("pfx")))
        c.clean()
    finally:
        t.DPDK_RUN_DIR = old
    t.eq(p.poll() is not None, True, "process killed")
    t.eq(os.path.exists(f) or os.path.exists(d), False, "file and directory removed")
    t.eq(os.listdir(run), [], "DPDK runtime directory removed")
    os.rmdir(run)
    if os.geteuid() != 0:
        raise t.Skip("namespaces need root")
    ns = t.Netns("py")
    name = ns.name
    t.CLEANUP.clean()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    t.eq(name + "-a" in listed or name + "-b" in listed, False, "namespaces removed")


if __name__ == "__main__":
    sys.exit(t.run_cases([("ports", case_ports), ("eal", case_eal), ("cleanup", case_cleanup)]))
