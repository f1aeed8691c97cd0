#!/bin/bash
# SPDX-License-Identifier: MIT
# The classifier's attachments: tcx links go away with the agent even when it is killed;
# with --tc clsact a stale filter of ours (left by a killed agent) is replaced, not
# duplicated, a clean exit removes only our filter, and another tool's filter on the same
# hook is never touched.
. "$(dirname "$0")/lib.sh"
require_root

# tcx links (bpftool 7.1 calls them "type 11") that run a program named wire_egress
ours_tcx() {
	local ids
	ids=$(bpftool prog show | awk '/ name wire_egress / { sub(":", "", $1); print $1 }')
	[ -n "$ids" ] || { echo 0; return; }
	bpftool link show | awk -v ids=" $(echo $ids) " '
		/^[0-9]+: type 11 / && index(ids, " " $5 " ") { n++ } END { print n + 0 }'
}
ours_clsact() { tc filter show dev lo egress 2>/dev/null | grep -c 'wire_egress'; }
foreign() { tc filter show dev lo egress 2>/dev/null | grep -c '^filter protocol ip pref 7 u32'; }

# interfaces the agent said it watches
tcattach_count() { grep -c 'watching handshakes on ' "$E2E_TMP/ts.err"; }

kill_agent() {
	kill -KILL "$TS_PID"
	wait "$TS_PID" 2>/dev/null
	TS_PID=
}

# 1. tcx: present while running, gone after SIGKILL
ts_start --format json -o "$E2E_TMP/a.jsonl" -v
n=$(tcattach_count)
[ "$n" -ge 1 ] || fail "the agent watches no interface"
[ "$(ours_tcx)" = "$n" ] || { bpftool link show; fail "expected $n tcx egress links of ours, one per interface"; }
kill_agent
wait_for 5 "the kernel to drop our tcx link" test "$(ours_tcx)" = 0

# 2. clsact beside another tool's filter
had_qdisc=0
tc qdisc show dev lo | grep -q clsact && had_qdisc=1
[ $had_qdisc = 1 ] || tc qdisc add dev lo clsact || fail "could not add a clsact qdisc"
tc filter add dev lo egress pref 7 protocol ip u32 match ip dst 192.0.2.1/32 classid 1:1 ||
	fail "could not add the foreign filter"
cleanup_foreign() {
	tc filter del dev lo egress pref 7 2>/dev/null
	[ $had_qdisc = 1 ] || tc qdisc del dev lo clsact 2>/dev/null
}
trap 'cleanup_foreign; e2e_cleanup' EXIT
ts_start --format json -o "$E2E_TMP/b.jsonl" --tc clsact
[ "$(ours_clsact)" = 1 ] || { tc filter show dev lo egress; fail "expected one clsact filter of ours"; }
kill_agent
[ "$(ours_clsact)" = 1 ] || fail "a killed agent's clsact filter should still be there (stale)"
ts_start --format json -o "$E2E_TMP/c.jsonl" --tc clsact
[ "$(ours_clsact)" = 1 ] || { tc filter show dev lo egress; fail "the stale filter was duplicated, not replaced"; }
ts_stop
[ "$(ours_clsact)" = 0 ] || { tc filter show dev lo egress; fail "our filter is left after a clean exit"; }
[ "$(foreign)" = 1 ] || { tc filter show dev lo egress; fail "the other tool's filter is gone"; }
tc qdisc show dev lo | grep -q clsact || fail "the clsact qdisc another tool relies on is gone"

# 3. -i: only the named interfaces; a name that does not exist yet is said so, and watched once
# it comes up
vh=tsi$$
ts_start --format json -o "$E2E_TMP/d.jsonl" -v -i lo -i "$vh"
[ "$(tcattach_count)" = 1 ] && grep -q 'watching handshakes on lo ' "$E2E_TMP/ts.err" ||
	{ cat "$E2E_TMP/ts.err"; fail "-i lo should watch lo alone"; }
grep -q "interface $vh does not exist (yet)" "$E2E_TMP/ts.err" || { cat "$E2E_TMP/ts.err"; fail "no word about $vh"; }
ip link add "$vh" type veth peer name "${vh}p" || fail "ip link add"
ip link set "$vh" up && ip link set "${vh}p" up
wait_for 10 "the agent to watch $vh" grep -q "watching handshakes on $vh " "$E2E_TMP/ts.err"
[ "$(tcattach_count)" = 2 ] || { cat "$E2E_TMP/ts.err"; fail "${vh}p was watched too"; }
ip link del "$vh"
wait_for 10 "the agent to let $vh go" grep -q "interface $vh is gone" "$E2E_TMP/ts.err"
ts_stop
echo "PASS"
