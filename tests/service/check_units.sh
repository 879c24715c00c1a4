#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The built systemd units pass `systemd-analyze verify` with no message at all (it exits 0 even
# on unknown keys, so any output fails), use the Type this build supports, and have no reload.
# Usage: check_units.sh BUILD_ROOT TYPE   (systemd is not PID 1 here: only offline checks)
set -euo pipefail
build=$1 type=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: skipped"; exit 77; }
dir=$(mktemp -d /tmp/pe-test-$$-units.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
n=0
for unit in "$build"/systemd/*@.service; do
  base=$(basename "$unit" .service)
  prog=${base%@}
  # The installed path of the binary does not exist here: point it at the build's.
  sed "s#^ExecStart=[^ ]*/$prog #ExecStart=$build/app/$prog/$prog #" "$unit" > "$dir/${prog}@demo.service"
  out=$(systemd-analyze verify --man=no "$dir/${prog}@demo.service" 2>&1) || true
  if [ -n "$out" ]; then echo "FAIL $base: systemd-analyze verify says:"; echo "$out"; fail=1; fi
  grep -q "^Type=$type\$" "$unit" || { echo "FAIL $base: not Type=$type"; fail=1; }
  if grep -q '^ExecReload=' "$unit"; then echo "FAIL $base: has ExecReload (SIGHUP stops)"; fail=1; fi
  if [ "$type" = notify ] && ! grep -q '^WatchdogSec=' "$unit"; then
    echo "FAIL $base: Type=notify without WatchdogSec"; fail=1
  fi
  n=$((n + 1))
done
[ "$n" -ge 1 ] || { echo "FAIL: no units built"; exit 1; }
grep -q '^DynamicUser=yes$' "$build/systemd/pktecho@.service" &&
  grep -q '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' "$build/systemd/pktecho@.service" ||
  { echo "FAIL pktecho@: not a dynamic user with CAP_NET_BIND_SERVICE only"; fail=1; }
[ "$fail" = 0 ] && echo "ok: $n unit(s) verified (Type=$type)"
exit "$fail"
