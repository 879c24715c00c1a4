#!/usr/bin/env bash
# Runs the lib/pkt fuzzer for PE_FUZZ_SECONDS (default 30) on a fresh corpus seeded from the
# golden frames. Crash inputs are kept in $PE_BUILD_ROOT/fuzz-artifacts/ for reproduction:
#   tests/fuzz/fuzz_pkt <artifact>
# Usage: run-fuzz.sh FUZZER SEEDGEN
set -euo pipefail
fuzzer=$1 seedgen=$2
secs=${PE_FUZZ_SECONDS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/pe-fuzz-$$-XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=${PE_BUILD_ROOT:-.}/fuzz-artifacts
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"
"$seedgen" "$work/seeds"
echo "fuzz: $(ls "$work/seeds" | wc -l) seeds, ${secs}s"
# One job on one core (the machine is shared); -max_len covers jumbo frames.
# -error_exitcode=1: libFuzzer's default (77) is meson's "skipped", which hid crashes.
exec "$fuzzer" -max_total_time="$secs" -max_len=9217 -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" "$work/seeds"
