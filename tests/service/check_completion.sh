#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bash completion offers each program's --help options, the values of the enumerated ones,
# the EAL's options before -- for pktecho-dpdk, and pktecho-ctl's NAME then commands.
# Usage: check_completion.sh COMPLETION_SCRIPT BUILD_ROOT
set -u
script=$1 build=$2
# Use the built programs under their own names.
PATH="$build/app/pktecho:$build/app/pktecho-dpdk:$build/app/pktecho-load:$build/app/pktecho-stat:$build/app/pktecho-ctl:$PATH"
# shellcheck source=/dev/null
. "$script"
fails=0
# complete WORDS... : COMPREPLY for the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_pktecho
	printf '%s\n' "${COMPREPLY[@]}"
}
want() { # want WORD-EXPECTED WORDS...
	local w=$1 got
	shift
	got=$(complete_words "$@")
	if grep -qx -- "$w" <<<"$got"; then
		echo "ok: '$*' offers $w"
	else
		echo "FAIL: '$*' does not offer $w (got: $(tr '\n' ' ' <<<"$got"))"
		fails=$((fails + 1))
	fi
}
want --io-model pktecho --io
want --stats-name pktecho --stats
want uring pktecho --io-model u
want --search pktecho-load --sea
want --json pktecho-stat --js
want --timeout pktecho-ctl --time
want status pktecho-ctl somename st
want reset-counters pktecho-ctl somename r
want reply-limit pktecho-ctl somename set r
want source-limit pktecho-ctl somename set s
want off pktecho-ctl somename set source-limit o
if command -v pktecho-dpdk >/dev/null; then
	want --vdev pktecho-dpdk --vd
	want --mode pktecho-dpdk -l 0 -- --mo
	want l4 pktecho-dpdk -- --mode l
fi
# Every --help option of every program is offered for an empty word (pktecho-dpdk's after --).
progs="pktecho pktecho-load pktecho-stat pktecho-ctl"
command -v pktecho-dpdk >/dev/null && progs="$progs pktecho-dpdk"
for p in $progs; do
	if [ "$p" = pktecho-dpdk ]; then
		offered=$(complete_words "$p" -- --)
	else
		offered=$(complete_words "$p" --)
	fi
	for o in $("$p" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -qx -- "$o" <<<"$offered" || {
			echo "FAIL: $p: $o not offered"
			fails=$((fails + 1))
		}
	done
done
# The fixed values --help lists for an option ("--report text|json", "--rate PPS|max",
# "--io-model M   blocking|nonblocking|..."): each lowercase one is offered after the option.
for p in $progs; do
	dd=()
	[ "$p" = pktecho-dpdk ] && dd=(--)
	while read -r opt rest; do
		vals=${rest##* }
		for v in ${vals//|/ }; do
			[[ "$v" =~ ^[a-z0-9][a-z0-9,-]*$ ]] && want "$v" "$p" "${dd[@]}" "$opt" ""
		done
	done < <("$p" --help | grep -oE -- '--[a-z][a-z0-9-]* +([A-Z]+ +)?[][A-Za-z0-9/]*\|[^ ]*')
done
echo "$fails failure(s)"
[ "$fails" = 0 ]
