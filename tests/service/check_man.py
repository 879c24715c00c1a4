#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The man pages keep step with --help: every option a program's --help lists is in its man page,
and every option the page defines (a line starting with *-x* or *--xx*) is in --help; each
command of a "commands:" section (pktecho-ctl) is in the page, bold. Each built page passes
`groff -man -ww -z` without a message.

Usage: check_man.py SOURCE_DIR PAGE=PROGRAM...   (PAGE: a built man page, e.g. build/man/pktecho.8)
"""
import os
import re
import subprocess
import sys
from pktecho_test import FAILS, exit_code, expect

OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z0-9])(?![\w-])")



def main():
    src = sys.argv[1]
    for arg in sys.argv[2:]:
        page, prog = arg.split("=", 1)
        base = os.path.basename(page)
        scd = open(os.path.join(src, "man", base + ".scd")).read()
        r = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=30)
        expect(r.returncode == 0, "%s --help exits 0" % prog)
        helped = set(OPT.findall(r.stdout)) - {"--"}
        in_page = set(OPT.findall(scd.replace("\\\\", "")))
        missing = sorted(helped - in_page)
        expect(not missing, "%s: every --help option is in the page (missing: %s)" % (base, missing))
        defined = set()
        for line in scd.splitlines():
            if line.startswith("*-"):
                defined |= set(OPT.findall(line))
        extra = sorted(defined - helped)
        expect(not extra, "%s: every option the page defines is in --help (extra: %s)" % (base, extra))
        # A "commands:" section (pktecho-ctl): each command's words are in the page, bold.
        cmds = r.stdout.split("commands:\n", 1)[1].split("options:", 1)[0] \
            if "commands:\n" in r.stdout else ""
        for line in cmds.splitlines():
            m = re.match(r"  ([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?: |$)", line)
            if m:
                expect("*%s*" % m.group(1) in scd, "%s: command '%s' of --help is in the page"
                       % (base, m.group(1)))
        g = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True)
        expect(g.returncode == 0 and not g.stdout and not g.stderr,
               "%s: groff -man -ww -z is silent (%s)" % (base, g.stderr.strip()[:200]))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
