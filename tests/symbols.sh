#!/usr/bin/env bash
# The symbol convention (CONTRIBUTING.md): every external symbol a module's static library
# defines starts with pe_ (its interface) or with the module's name (private, e.g. sock_).
# Usage: symbols.sh lib/libpe_<mod>.a...   Lists every offender and exits 1 if there is one.
set -euo pipefail
command -v nm >/dev/null || { echo "symbols: nm not found (binutils)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: symbols.sh LIBPE_MOD.a..." >&2; exit 2; }
bad=0
for lib in "$@"; do
  mod=$(basename "$lib" .a)
  mod=${mod#libpe_}
  syms=$(nm -g --defined-only "$lib") || { echo "symbols: nm failed on $lib" >&2; exit 1; }
  # ASan marks each global with an ODR indicator named after it (gcc: __odr_asan.NAME, clang:
  # __odr_asan_gen_NAME): the name behind it is the one to check.
  offenders=$(awk 'NF == 3 { print $3 }' <<<"$syms" |
    sed -e 's/^__odr_asan_gen_//' -e 's/^__odr_asan\.//' | grep -v -e '^pe_' -e "^${mod}_" |
    sort -u || true)
  if [ -n "$offenders" ]; then
    echo "lib/$mod: external symbols without pe_ or ${mod}_:" $offenders
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "symbols: $# libraries, every external symbol prefixed"
exit "$bad"
