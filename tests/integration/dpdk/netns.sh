#!/usr/bin/env bash
# Real kernel clients against pktecho-dpdk on net_af_packet: two namespaces joined by veth
# (198.18.0.0/24, 2001:2::/64), no static neighbour entries. ping and ping -6 get replies (so ARP
# and NDP were answered by pktecho-dpdk), UDP payloads of 0, 1, 64 and 1472 bytes come back
# byte-exact over IPv4 and IPv6, datagrams from a reflecting service's port (19, chargen) and a
# ping to the broadcast address get no reply and are counted; ping -R and -T tsandaddr get our
# address and time in the reply's options; SIGINT stops it cleanly (rc 0, no
# leaked mbuf). Usage: netns.sh PKTECHO_DPDK UDP_CLIENT_PY
set -u
bin=$1
client=$2
here=$(cd "$(dirname "$0")" && pwd)
conf=${PE_SOURCE_ROOT:-$here/../../..}/config/dpdk-service.conf
for tool in ip ping ethtool python3; do
	command -v "$tool" >/dev/null || { echo "skip: $tool missing"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: needs root for namespaces"; exit 77; }

id=$$
svc=pe-svc-$id cli=pe-cli-$id
vs=pes$id vc=pec$id
work=$(mktemp -d /tmp/pe-netns-XXXXXX)
pid=

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	ip netns del "$svc" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
incli() { ip netns exec "$cli" "$@"; }

ip netns add "$svc" && ip netns add "$cli" || { echo "skip: cannot create namespaces"; exit 77; }
ip link add "$vs" type veth peer name "$vc" || { echo "skip: no veth"; exit 77; }
ip link set "$vs" netns "$svc"
ip link set "$vc" netns "$cli"
ip -n "$svc" link set lo up
ip -n "$cli" link set lo up
# The service side's kernel stays out of the way: no addresses, no IPv6 of its own.
ip netns exec "$svc" sysctl -qw "net.ipv6.conf.$vs.disable_ipv6=1"
ip -n "$svc" link set "$vs" up
ip -n "$cli" addr add 198.18.0.2/24 dev "$vc"
ip -n "$cli" addr add 2001:2::2/64 dev "$vc" nodad
ip -n "$cli" link set "$vc" up
# Locally sent UDP on veth carries a partial checksum unless TX offload is off; docs/dpdk.md, net_af_packet.
incli ethtool -K "$vc" tx off >/dev/null

# --duration: a bound should the script die; SIGINT stops it at the end (a loaded machine took
# over 100 s for the steps below, and 60 s ended the service half-way).
ip netns exec "$svc" "$bin" --no-huge -m 256 --no-pci -l 0,1 --log-level warning \
	--file-prefix "pe-test-$id-netns" --vdev "net_af_packet0,iface=$vs" -- \
	--file "$conf" --report json --duration 300 \
	>"$work/out.json" 2>"$work/err.txt" &
pid=$!
for _ in $(seq 600); do # up to 60 s: slow under ASan on a busy machine
	grep -q '^lcore ' "$work/err.txt" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^lcore ' "$work/err.txt" || { cat "$work/err.txt"; fail "pktecho-dpdk did not start"; exit 1; }

# The lcore may start polling a moment after its "lcore" line on a loaded machine: wait for a
# first answer (a liveness check, up to 15 tries of 1 s, not a timing one).
for _ in $(seq 15); do incli ping -c 1 -W 1 198.18.0.1 >/dev/null && break; done
incli ping -c 3 -i 0.2 -W 2 198.18.0.1 >"$work/ping4.txt" && ok "ping 198.18.0.1" ||
	{ cat "$work/ping4.txt"; fail "ping 198.18.0.1"; }
incli ping -6 -c 3 -i 0.2 -W 2 2001:2::1 >"$work/ping6.txt" && ok "ping -6 2001:2::1" ||
	{ cat "$work/ping6.txt"; fail "ping -6 2001:2::1"; }
# IPv4 Record Route and Timestamp options (RFC 1122 3.2.2.6): the echo reply records our address
# between the client's own two (sent, received), and with tsandaddr our address with a time of
# day within 10 s of the client's (ping prints it relative to the previous stamp).
# One ping each, up to 5 tries (a liveness check on a loaded machine, not a timing one).
for _ in $(seq 5); do
	incli ping -c 1 -W 2 -R 198.18.0.1 >"$work/ping_rr.txt" 2>&1 && break
done
if sed -n '/^RR:/,/^$/p' "$work/ping_rr.txt" | grep -q '198\.18\.0\.1'; then
	ok "ping -R: 198.18.0.1 recorded"
else
	cat "$work/ping_rr.txt"
	fail "ping -R: 198.18.0.1 not in the recorded route"
fi
for _ in $(seq 5); do
	incli ping -c 1 -W 2 -T tsandaddr 198.18.0.1 >"$work/ping_ts.txt" 2>&1 && break
done
delta=$(awk '/^TS:/ { f = 1 } f && $1 == "198.18.0.1" { print $2; exit }' "$work/ping_ts.txt")
if [ -n "$delta" ] && [ "${delta#-}" -le 10000 ]; then
	ok "ping -T tsandaddr: 198.18.0.1 stamped (${delta} ms from the client's stamp)"
else
	cat "$work/ping_ts.txt"
	fail "ping -T tsandaddr: no stamp of 198.18.0.1 near the client's time"
fi
# The neighbour entries were learnt from pktecho-dpdk's ARP reply and NDP advertisement.
mac=$(grep -o 'mac [0-9a-f:]*' "$work/err.txt" | head -1 | cut -d' ' -f2)
incli ip neigh show 198.18.0.1 | grep -q "lladdr $mac" && ok "ARP answered ($mac)" ||
	fail "no ARP entry for 198.18.0.1 with lladdr $mac"
incli ip -6 neigh show 2001:2::1 | grep -q "lladdr $mac" && ok "NDP answered" ||
	fail "no neighbour entry for 2001:2::1 with lladdr $mac"
if incli ip neigh show nud permanent | grep -q .; then fail "static neighbour entries exist"; fi

incli python3 "$client" echo 198.18.0.1 7 0 1 64 1472 || fail "UDP echo over IPv4"
incli python3 "$client" echo 2001:2::1 7 0 1 64 1452 || fail "UDP echo over IPv6"
incli python3 "$client" silent 198.18.0.1 7 19 || fail "UDP from port 19 got a reply"
if incli ping -b -c 2 -i 0.2 -W 1 198.18.0.255 >"$work/pingb.txt" 2>&1; then
	fail "ping to the broadcast address got a reply"
else
	ok "no reply to ping 198.18.0.255"
fi

# Link down and up on the client side: the echo resumes. (A PMD that reports link changes gets
# one log line each way; net_af_packet of DPDK 22.11 keeps reporting the link up.)
ip -n "$cli" link set "$vc" down
sleep 1
ip -n "$cli" link set "$vc" up
resumed=
for _ in $(seq 15); do # a liveness check: up to 15 tries of 1 s, not a timing one
	incli ping -c 1 -W 1 198.18.0.1 >/dev/null && { resumed=1; break; }
done
if [ -n "$resumed" ]; then
	ok "echo resumes after link down/up"
else
	fail "no echo after link down/up"
fi

kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] && ok "SIGINT: exit 0" || { cat "$work/err.txt"; fail "SIGINT: exit $rc"; }
python3 - "$work/out.json" <<'EOF' || fails=$((fails + 1))
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
s = [o for o in lines if o.get("type") == "summary"]
if not s:
    print("FAIL: no summary object"); sys.exit(1)
s = s[-1]
d = s["drops"]
bad = []
# 3 ping, 3 ping -6, 4+4 UDP echoes at least; tx never more than rx.
if s["tx_packets"] < 14: bad.append(f"tx_packets {s['tx_packets']} < 14")
if s["rx_packets"] < s["tx_packets"]: bad.append("rx_packets < tx_packets")
if d.get("loop_refused", 0) < 2: bad.append(f"loop_refused {d.get('loop_refused', 0)} < 2")
bc = d.get("dst_bcast_mcast", 0) + d.get("not_our_ip", 0)
if bc < 2: bad.append(f"broadcast pings counted {bc} < 2")
if s.get("mbufs_leaked") != 0: bad.append(f"mbufs_leaked {s.get('mbufs_leaked')}")
for b in bad: print("FAIL: summary:", b)
print("summary: rx", s["rx_packets"], "tx", s["tx_packets"], "drops", d)
sys.exit(1 if bad else 0)
EOF
echo "$fails failure(s)"
[ "$fails" = 0 ]
