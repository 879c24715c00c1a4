#!/usr/bin/env bash
# pktecho-dpdk's command line: every bad option or value exits 2 with one line naming the option;
# a missing or bad vdev, and no ports at all, exit non-zero with one clear line.
# Usage: options.sh PKTECHO_DPDK
set -u
bin=$1
fails=0
eal=(--no-huge -m 256 --no-pci -l 0,1 --log-level warning)
prefix() { echo "pe-test-$$-opt$1"; }

# expect RC PATTERN ARGS...: the exit code is RC and stderr matches PATTERN (grep -E).
expect() {
	local want=$1 pat=$2 err rc
	shift 2
	err=$(timeout -s KILL 60 "$bin" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pat" <<<"$err"; then
		echo "FAIL: pktecho-dpdk $* -> rc $rc (want $want), stderr:"
		sed 's/^/    /' <<<"$err"
		fails=$((fails + 1))
	else
		echo "ok: rc $rc: $(grep -E -m1 -- "$pat" <<<"$err")"
	fi
}

null=(--vdev net_null0)
n=0
opt() { n=$((n + 1)); expect 2 "$1" "${eal[@]}" --file-prefix "$(prefix $n)" "${null[@]}" -- "${@:2}"; }

opt "unknown option" --bogus
opt "^pktecho-dpdk: --rxq: 'abc' is not a whole number" --mode l2 --rxq abc
opt "^pktecho-dpdk: --rxq: '0'" --mode l2 --rxq 0
opt "^pktecho-dpdk: --burst: '1000'" --mode l2 --burst 1000
opt "^pktecho-dpdk: --mode: 'bridge' is not service, l2 or l4" --mode bridge
opt "^pktecho-dpdk: --ip: service mode needs at least one address" --mode service
opt "^pktecho-dpdk: --ip: '198.18.0.300'" --ip 198.18.0.300
opt "^pktecho-dpdk: --ip: '2001:2::1/129'" --ip 2001:2::1/129
opt "^pktecho-dpdk: --udp-ports: '70000'" --ip 198.18.0.1 --udp-ports 70000
opt "^pktecho-dpdk: --report: 'xml'" --mode l2 --report xml
opt "^pktecho-dpdk: --stats-interval: '-1'" --mode l2 --stats-interval -1
opt "^pktecho-dpdk: --duration: '1s'" --mode l2 --duration 1s
opt "^pktecho-dpdk: --mac: '01:00:5e:00:00:01' is a group" --mode l2 --mac 01:00:5e:00:00:01
opt "^pktecho-dpdk: --mac: 'zz'" --mode l2 --mac zz
opt "^pktecho-dpdk: --stats-name: 'a/b'" --mode l2 --stats-name a/b
opt "^pktecho-dpdk: --config: '\(0,0\)'" --mode l2 --config "(0,0)"
opt "needs a value" --mode l2 --rxq
opt "unexpected argument" --mode l2 stray
# --file: the same checks, named by file and line.
bad=$(mktemp /tmp/pe-opt-XXXXXX.conf)
trap 'rm -f "$bad"' EXIT
printf '# a comment\nmode l2\n\nburst 999\n' >"$bad"
opt "^pktecho-dpdk: --file $bad:4: --burst: '999'" --file "$bad"
printf 'mode l2\nbogus 1\n' >"$bad"
opt "^pktecho-dpdk: --file $bad:2: unknown option 'bogus'" --file "$bad"
printf 'promisc yes\n' >"$bad"
opt "^pktecho-dpdk: --file $bad:1: 'promisc' takes no value" --file "$bad"
opt "^pktecho-dpdk: --file: '/nonexistent/x.conf' cannot be read" --file /nonexistent/x.conf
# Only regular files, bounded, lines checked, control bytes escaped (the shared lib/conf parser).
opt "^pktecho-dpdk: --file: '/tmp' is a directory" --file /tmp
opt "^pktecho-dpdk: --file: '/dev/zero' is not a regular file" --file /dev/zero
{ printf 'mode l2\n# '; head -c 1100 /dev/zero | tr '\0' x; printf '\n'; } >"$bad"
opt "^pktecho-dpdk: --file $bad:2: line longer than 1023 bytes" --file "$bad"
printf 'mode l2\nreport \033[31mred\n' >"$bad"
opt "^pktecho-dpdk: --file $bad:2: control byte in 'report \\\\x1b\\[31mred'" --file "$bad"
printf 'mode l2\n' >"$bad"
chmod 0666 "$bad"
opt "^pktecho-dpdk: --file: '$bad' is writable by group or others" --file "$bad"
chmod 0600 "$bad"
printf 'eal\n' >"$bad"
opt "^pktecho-dpdk: --file $bad:1: 'eal' needs arguments" --file "$bad"
opt "^pktecho-dpdk: --udp-ports: '' is empty" --ip 198.18.0.1 --udp-ports ''
opt "^pktecho-dpdk: --prometheus: '127.0.0.1:99999' is not HOST:PORT" --mode l2 --prometheus 127.0.0.1:99999
opt "^pktecho-dpdk: --prefetch: 'maybe' is not auto, on or off" --mode l2 --prefetch maybe
opt "^pktecho-dpdk: --prometheus: '9100' is not HOST:PORT" --mode l2 --prometheus 9100

# Checked after the EAL is up: lcores and ports that do not exist.
opt "^pktecho-dpdk: --config: \(0,0,5\): lcore 5 is not enabled" --mode l2 --config "(0,0,5)"
opt "^pktecho-dpdk: --config: \(3,0,1\): there is no port 3" --mode l2 --config "(3,0,1)"
opt "^pktecho-dpdk: --txq: 1 is fewer than --rxq 2" --mode l2 --rxq 2 --txq 1
# Startup failures: one clear line, non-zero (not 2: the options were fine).
n=$((n + 1))
expect 1 "^pktecho-dpdk: --vdev net_af_packet0: the device did not come up" "${eal[@]}" \
	--file-prefix "$(prefix $n)" --vdev "net_af_packet0,iface=pe-nope-$$" -- --mode l2
n=$((n + 1))
expect 1 "^pktecho-dpdk: EAL initialisation failed" "${eal[@]}" --file-prefix "$(prefix $n)" \
	--vdev "net_bogus0" -- --mode l2
n=$((n + 1))
expect 1 "^pktecho-dpdk: no ports" "${eal[@]}" --file-prefix "$(prefix $n)" -- --mode l2
n=$((n + 1))
expect 1 "^pktecho-dpdk: port 0 \(net_null0\): cannot create a pool of 16777216 mbufs" \
	"${eal[@]}" --file-prefix "$(prefix $n)" "${null[@]}" -- --mode l2 --mbufs 16777216

# First contact: what a first try gets wrong, each said in one line, before the EAL runs.
out=$("$bin" --version 2>&1)
if [ $? != 0 ] || ! grep -Eq '^pktecho-dpdk [0-9]+\.[0-9]+' <<<"$out" || grep -q EAL <<<"$out"; then
	echo "FAIL: --version: want 'pktecho-dpdk VERSION', exit 0, no EAL start; got: $out"
	fails=$((fails + 1))
else
	echo "ok: --version without an EAL start: $out"
fi
n=$((n + 1))
expect 2 "^pktecho-dpdk: --mode: put pktecho options after --" "${eal[@]}" \
	--file-prefix "$(prefix $n)" "${null[@]}" --mode l2
n=$((n + 1))
expect 2 "^pktecho-dpdk: --stats-name=x: put pktecho options after --" "${eal[@]}" \
	--file-prefix "$(prefix $n)" "${null[@]}" --stats-name=x -- --mode l2
# The EAL prints its usage (stdout) for a bad EAL option: our reason is still the last line.
n=$((n + 1))
last=$(timeout -s KILL 60 "$bin" "${eal[@]}" --file-prefix "$(prefix $n)" --bogus-eal -- \
	--mode l2 2>&1 | tail -1)
if ! grep -q "^pktecho-dpdk: EAL initialisation failed: .*pktecho options go after --" <<<"$last"; then
	echo "FAIL: bad EAL option: last line is not pktecho-dpdk's reason: $last"
	fails=$((fails + 1))
else
	echo "ok: last line after the EAL usage: $last"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	n=$((n + 1))
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" "${eal[@]}" \
		--file-prefix "$(prefix $n)" --vdev net_af_packet0,iface=lo -- --mode l2 2>&1 >/dev/null)
	if [ $? != 1 ] || ! grep -q "^pktecho-dpdk: --vdev net_af_packet0: af_packet needs root or CAP_NET_RAW" <<<"$err"; then
		echo "FAIL: af_packet without CAP_NET_RAW: $err"
		fails=$((fails + 1))
	else
		echo "ok: af_packet without CAP_NET_RAW says so"
	fi
fi
free=$(cat /sys/kernel/mm/hugepages/hugepages-*/free_hugepages 2>/dev/null | awk '{s += $1} END {print NR ? s : "none"}')
if [ "$free" = 0 ]; then
	n=$((n + 1))
	expect 1 "^pktecho-dpdk: EAL initialisation failed: no free hugepages: .*dpdk-hugepages.py.*--no-huge" \
		-m 256 --no-pci -l 0 --log-level warning --file-prefix "$(prefix $n)" "${null[@]}" -- --mode l2
else
	echo "skip: this machine has free hugepages (the no-hugepages hint is not reachable)"
fi
# --stats-name: the same 1..63 as every program, said in the same words.
long=$(printf 'n%.0s' $(seq 64))
opt "^pktecho-dpdk: --stats-name: '$long': expected 1\.\.63 of \[A-Za-z0-9._-\]" --mode l2 --stats-name "$long"
n=$((n + 1))
name=pe-test-$$-$(printf 'n%.0s' $(seq 48))
if ! timeout -s KILL 60 "$bin" "${eal[@]}" --file-prefix "$(prefix $n)" "${null[@]}" -- --mode l2 \
	--stats-name "${name:0:63}" --duration 1 >/dev/null 2>&1; then
	echo "FAIL: a 63-character --stats-name is refused"
	fails=$((fails + 1))
else
	echo "ok: a 63-character --stats-name serves"
fi

# --help is not an error.
if ! "$bin" -- --help | grep -q -- "--stats-interval"; then
	echo "FAIL: --help does not list the options"
	fails=$((fails + 1))
fi
# `eal` lines of a --file are EAL arguments (read before rte_eal_init); SIGHUP is a clean stop.
# The signal goes after the first report (the handlers are in place by then), not after a fixed
# time: a loaded box can still be in rte_eal_init after 3 s, where SIGHUP kills (rc 129).
n=$((n + 1))
printf 'eal --vdev net_null0 --file-prefix %s\nmode l2\n' "$(prefix $n)" >"$bad"
coproc PE { exec "$bin" "${eal[@]}" -- --file "$bad" --stats-interval 1 --report json 2>/dev/null; }
pe_pid=$PE_PID
up=0
while IFS= read -r -t 50 line <&"${PE[0]}"; do
	case $line in '{'*) up=1 && break ;; esac
done
kill -HUP "$pe_pid" 2>/dev/null
for _ in $(seq 300); do # 30 s for the clean stop, then it is killed (and fails)
	kill -0 "$pe_pid" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$pe_pid" 2>/dev/null
wait "$pe_pid"
rc=$?
if [ "$up" != 1 ] || [ "$rc" != 0 ]; then
	echo "FAIL: eal lines + SIGHUP: up $up, rc $rc (want 1, 0: the vdev came up, SIGHUP stopped it)"
	fails=$((fails + 1))
else
	echo "ok: eal lines from --file, SIGHUP a clean stop"
fi
# Every run above removed its own runtime directory, the failed EAL starts included.
left=$(ls -d /var/run/dpdk/pe-test-$$-opt* 2>/dev/null)
if [ -n "$left" ]; then
	echo "FAIL: runtime directories left: $left"
	fails=$((fails + 1))
	rm -rf /var/run/dpdk/pe-test-$$-opt*
else
	echo "ok: no runtime directory left in /var/run/dpdk"
fi
echo "$fails failure(s)"
[ "$fails" = 0 ]
