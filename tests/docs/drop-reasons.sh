#!/usr/bin/env bash
# Every drop reason in lib/pkt/pe_drop.h must be documented, by its stable name, in
# docs/architecture.md (the table of verdicts). Fails listing the missing ones.
set -euo pipefail
root=${PE_SOURCE_ROOT:-$(dirname "$0")/../..}
names=$(sed -n 's/^[[:space:]]*X([A-Z0-9_]*, "\([a-z0-9_]*\)".*/\1/p' "$root/lib/pkt/pe_drop.h")
[ -n "$names" ] || { echo "no drop reasons parsed from pe_drop.h" >&2; exit 1; }
missing=0
for n in $names; do
  if ! grep -q "| \`$n\` |" "$root/docs/architecture.md"; then
    echo "drop reason '$n' is not documented in docs/architecture.md" >&2
    missing=$((missing + 1))
  fi
done
echo "checked $(echo "$names" | wc -w) drop reasons, $missing missing"
[ "$missing" -eq 0 ]
