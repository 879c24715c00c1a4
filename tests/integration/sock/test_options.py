#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho's command line: each bad option or value gives exit code 2 and a first stderr line
naming the option, followed by a usage hint; --help and --version exit 0."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_harness import main_args
from pktecho_test import check, run_cases

A = main_args()

BAD = [
    (["--udp", "127.0.0.1:0", "--threads", "0"], "--threads"),
    (["--udp", "127.0.0.1:0", "--threads", "65"], "--threads"),
    (["--udp", "127.0.0.1:0", "--threads", "two"], "--threads"),
    (["--udp", "127.0.0.1"], "--udp"),
    (["--udp", "127.0.0.1:70000"], "--udp"),
    (["--udp", "300.1.1.1:7"], "--udp"),
    (["--tcp", "[::1:7"], "--tcp"),
    (["--tcp", "127.0.0.1:-1"], "--tcp"),
    (["--udp", "127.0.0.1:0", "--io-model", "select"], "--io-model"),
    (["--udp", "127.0.0.1:0", "--report", "xml"], "--report"),
    (["--udp", "127.0.0.1:0", "--stats-interval", "-1"], "--stats-interval"),
    (["--udp", "127.0.0.1:0", "--duration", "soon"], "--duration"),
    (["--udp", "127.0.0.1:0", "--high-water", "1"], "--high-water"),
    (["--udp", "127.0.0.1:0", "--high-water", "12Q"], "--high-water"),
    (["--udp", "127.0.0.1:0", "--max-conns", "many"], "--max-conns"),
    (["--sendfile", "127.0.0.1:0"], "--sendfile"),
    (["--sendfile", "127.0.0.1:0=/nonexistent/file"], "--sendfile"),
    (["--udp", "127.0.0.1:0", "--stats-name", "a/b"], "--stats-name"),
    (["--udp", "127.0.0.1:0", "--bogus"], "--bogus"),
    (["--tcp", "127.0.0.1:0", "--splice", "--io-model", "uring"], "--io-model"),
    (["--udp"], "--udp"),
    (["--udp", "127.0.0.1:0", "stray"], "stray"),
    ([], "--udp"),
]


def run(args):
    return subprocess.run([A.bin] + args, capture_output=True, text=True, timeout=10)


def case_bad_options():
    for args, name in BAD:
        r = run(args)
        lines = r.stderr.splitlines()
        check(r.returncode == 2, "%s: exit %d (stderr %r)" % (args, r.returncode, r.stderr))
        check(lines and name in lines[0], "%s: first line %r does not name %s"
              % (args, lines[:1], name))
        check(len(lines) == 2 and "--help" in lines[1], "%s: expected a one-line error and a"
              " usage hint, got %r" % (args, lines))
        check(r.stdout == "", "%s: wrote to stdout" % args)


def case_help_version():
    r = run(["--help"])
    check(r.returncode == 0 and "--io-model" in r.stdout, "--help")
    r = run(["--version"])
    check(r.returncode == 0 and r.stdout.startswith("pktecho "), "--version")


def case_uring_availability():
    r = run(["--udp", "127.0.0.1:0", "--io-model", "uring", "--duration", "0.2"])
    if r.returncode == 2:  # a build without liburing: a clear error naming the option
        check("--io-model" in r.stderr and "io_uring" in r.stderr, r.stderr)
    else:
        check(r.returncode == 0, "uring run: exit %d: %s" % (r.returncode, r.stderr))


def case_runtime_errors():
    # A well-formed address this host does not have: exit 1 with the reason, not 2.
    r = run(["--udp", "198.18.255.254:7", "--duration", "0.2"])
    check(r.returncode == 1, "unassigned address: exit %d" % r.returncode)
    check("--udp" in r.stderr and "assign" in r.stderr.lower(), r.stderr)


sys.exit(run_cases([("bad_options_exit_2", case_bad_options),
                    ("help_and_version", case_help_version),
                    ("uring_available_or_clear_error", case_uring_availability),
                    ("runtime_errors_exit_1", case_runtime_errors)], A.cases))
