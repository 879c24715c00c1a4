#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pktecho's command line: each bad option or value gives exit code 2 and a first stderr line
naming the option, followed by a usage hint; --help and --version exit 0."""
import os
import signal
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
    (["--udp", "127.0.0.1:0", "--max-buffer", "lots"], "--max-buffer"),
    (["--sendfile", "127.0.0.1:0"], "--sendfile"),
    (["--sendfile", "127.0.0.1:0=/nonexistent/file"], "--sendfile"),
    (["--udp", "127.0.0.1:0", "--stats-name", "a/b"], "--stats-name"),
    (["--udp", "127.0.0.1:0", "--bogus"], "--bogus"),
    (["--tcp", "127.0.0.1:0", "--splice", "--io-model", "uring"], "--io-model"),
    (["--udp"], "--udp"),
    (["--udp", "127.0.0.1:0", "stray"], "stray"),
    ([], "--udp"),
    (["--udp", "127.0.0.1:0", "--prometheus", "127.0.0.1:99999"], "--prometheus"),
    (["--udp", "127.0.0.1:0", "--prometheus", "9100"], "--prometheus"),
    (["--udp", "127.0.0.1:7", "--udp", "127.0.0.1:7"], "given twice"),
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


STAT = os.path.join(os.environ.get("PE_BUILD_ROOT", "build"), "app/pktecho-stat/pktecho-stat")


def file_case(content, want, mode=0o600):
    """--file with content (bytes, or a path to use as is): exit 2, one line naming want."""
    with tempfile.TemporaryDirectory() as d:
        path = content if isinstance(content, str) else os.path.join(d, "p.conf")
        if not isinstance(content, str):
            with open(path, "wb") as f:
                f.write(content)
            os.chmod(path, mode)
        r = run(["--file", path])
        lines = r.stderr.splitlines()
        check(r.returncode == 2, "--file %r: exit %d (%r)" % (content[:40], r.returncode,
                                                               r.stderr))
        check(lines and lines[0].startswith("pktecho: --file") and want in lines[0],
              "--file %r: first line %r lacks %r" % (content[:40], lines[:1], want))
        check("\x1b" not in r.stderr, "--file: raw escape byte on stderr")


def case_file():
    """pktecho --file: the parser pktecho-dpdk uses (lib/conf): regular files only, bounded,
    lines checked, control bytes escaped in the message, exit 2."""
    with tempfile.TemporaryDirectory() as d:
        good = os.path.join(d, "ok.conf")
        with open(good, "w") as f:
            f.write("# a comment\n\nudp 127.0.0.1:0\nduration 0.2\n")
        r = run(["--file", good])
        check(r.returncode == 0, "good --file: exit %d %r" % (r.returncode, r.stderr))
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)
        file_case(fifo, "not a regular file")
    file_case("/dev/zero", "not a regular file")
    file_case("/tmp", "directory")
    file_case("/nonexistent/x.conf", "cannot be read")
    file_case(b"udp 127.0.0.1:0\nthreads 0\n", ":2: --threads '0'")
    file_case(b"udp 127.0.0.1:0\nbogus 1\n", ":2: unknown option 'bogus'")
    file_case(b"splice yes\n", ":1: 'splice' takes no value")
    file_case(b"udp 127.0.0.1:0\n# " + b"x" * 1100 + b"\n", ":2: line longer than 1023")
    file_case(b"udp 127.0.0.1:0\nio-model \x1b[31mred\n", "\\x1b[31mred")
    file_case(b"udp 127.0.0.1:0\x00\n", "control byte")
    file_case(b"eal -l 0\n", "'eal' lines")
    file_case(b"udp 127.0.0.1:0\n", "writable by group or others", mode=0o666)
    file_case(b"udp 127.0.0.1:0\n" * 80000, "larger than 1 MiB")
    path = "/tmp/pe-test-%d-link.conf" % os.getpid()
    try:
        os.symlink("/etc/hostname", path)
        file_case(path, "symbolic link in a world-writable directory")
    finally:
        os.unlink(path)


def case_fifo_segment():
    """A FIFO squatting /dev/shm/pktecho-NAME (any local user's mkfifo) is refused at once by
    pktecho, pktecho-stat NAME and pktecho-stat --list: nothing blocks on opening it."""
    name = "pe-test-%d-fifo" % os.getpid()
    path = "/dev/shm/pktecho-" + name
    os.mkfifo(path, 0o600)
    try:
        r = run(["--udp", "127.0.0.1:0", "--stats-name", name, "--duration", "0.2"])
        check(r.returncode == 1 and "--stats-name" in r.stderr and "not a pktecho" in r.stderr,
              "FIFO segment: pktecho exit %d %r" % (r.returncode, r.stderr))
        for args in ([name], ["--list"]):
            r = subprocess.run([STAT] + args, capture_output=True, text=True, timeout=10)
            check(args == ["--list"] and r.returncode == 0 or r.returncode == 1,
                  "pktecho-stat %s: exit %d %r" % (args, r.returncode, r.stderr))
        check(os.path.exists(path), "the FIFO (not ours to judge) was removed")
    finally:
        os.unlink(path)


def case_sighup_clean_stop():
    """SIGHUP stops pktecho like SIGTERM: exit 0, the summary printed, the segment removed."""
    name = "pe-test-%d-hup" % os.getpid()
    p = subprocess.Popen([A.bin, "--udp", "127.0.0.1:0", "--stats-name", name],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()  # "pktecho: udp ...": the sockets and the segment exist
        check(line.startswith("pktecho: udp"), "startup line %r" % line)
        p.send_signal(signal.SIGHUP)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == 0, "SIGHUP: exit %d %r" % (p.returncode, err))
    check("RX" in out or "rx" in out, "SIGHUP: no summary: %r" % out)
    check(not os.path.exists("/dev/shm/pktecho-" + name), "SIGHUP: segment left behind")


sys.exit(run_cases([("file_shared_parser", case_file),
                    ("fifo_segment_refused", case_fifo_segment),
                    ("sighup_clean_stop", case_sighup_clean_stop),
                    ("bad_options_exit_2", case_bad_options),
                    ("help_and_version", case_help_version),
                    ("uring_available_or_clear_error", case_uring_availability),
                    ("runtime_errors_exit_1", case_runtime_errors)], A.cases))
