#!/bin/bash
# SPDX-License-Identifier: MIT
# Clean exit: after SIGINT (and SIGTERM) the agent exits 0, writes its final stats record, and
# none of its BPF programs, links or maps is left in the kernel; with --duration 2 it stops by
# itself, also with status 0 and a final stats record (and, with --stats-interval 1, earlier
# ones: cumulative counters, increasing ts).
. "$(dirname "$0")/lib.sh"
require_root

NAMES="tls_enter tls_exit proc_exec proc_exit proc_libs sock_state sock_send sock_recv"

# the BPF object ids the agent holds, from its fds: "prog 12", "link 40", "map 7" lines
held_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^link_id:/ { l = $2 } /^prog_id:/ { p = $2 } /^map_id:/ { m = $2 }
		     END { if (l) print "link", l; else if (p) print "prog", p; else if (m) print "map", m }' "$f" 2>/dev/null
	done | sort -u
}
ids_of() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# "id name" of every loaded program
prog_names() {
	bpftool -j prog list | $PY -c 'import json, sys
for p in json.load(sys.stdin): print(p["id"], p.get("name", ""))'
}
bpf_ids() { # prog|link|map: every id loaded now
	bpftool -j "$1" list | $PY -c 'import json, sys
for o in json.load(sys.stdin): print(o["id"])'
}


# left_behind IDS_FILE WHEN: fails if any object in IDS_FILE is still loaded. The kernel frees
# programs and maps asynchronously (RCU) once the last fd is closed: allow it a few seconds.
left_behind() {
	local kind id left i
	for ((i = 0; i < 100; i++)); do
		left=
		for kind in prog link map; do
			bpf_ids $kind >"$E2E_TMP/loaded.$kind"
			for id in $(ids_of $kind "$1"); do
				grep -qx "$id" "$E2E_TMP/loaded.$kind" && left="$left $kind:$id"
			done
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "FAIL: still loaded 10 s $2:$left"
	for id in $left; do bpftool "${id%%:*}" show id "${id#*:}"; done
	return 1
}

ok=1
for sig in INT TERM; do
	ts_start --format json -o "$E2E_TMP/$sig.jsonl"
	held_ids "$TS_PID" >"$E2E_TMP/$sig.ids"
	prog_names >"$E2E_TMP/$sig.progs"
	# every program is loaded and attached while it runs
	for n in $NAMES; do
		found=0
		for id in $(ids_of prog "$E2E_TMP/$sig.ids"); do
			grep -qx "$id $n" "$E2E_TMP/$sig.progs" && found=1
		done
		[ $found = 1 ] || { ok=0; echo "FAIL: program $n not held by the running agent"; }
	done
	nlinks=$(ids_of link "$E2E_TMP/$sig.ids" | wc -l)
	[ "$nlinks" -ge 6 ] || { ok=0; echo "FAIL: the running agent holds $nlinks links, expected >= 6"; }
	log "agent holds: $(awk '{print $1}' "$E2E_TMP/$sig.ids" | sort | uniq -c | tr '\n' ' ')"

	sleep 0.2
	child_alive "$TS_PID" || { cat "$E2E_TMP/ts.err"; fail "the agent died while running"; }
	kill -"$sig" "$TS_PID"
	wait_pid "$TS_PID" 15
	st=$?
	TS_PID=
	log "SIG$sig: status $st"
	[ $st = 0 ] || { ok=0; echo "FAIL: status $st after SIG$sig (expected 0)"; cat "$E2E_TMP/ts.err"; }
	$CHECK stats "$E2E_TMP/$sig.jsonl" || ok=0

	left_behind "$E2E_TMP/$sig.ids" "after SIG$sig" || ok=0
	# by name too, unless another tlsscope (not ours) is running on this host right now
	if ! pgrep -x tlsscope >/dev/null; then
		for n in $NAMES; do
			if prog_names | awk '{print $2}' | grep -qx "$n"; then
				ok=0
				echo "FAIL: a program named $n is still loaded after SIG$sig:"
				bpftool prog list name "$n"
			fi
		done
	else
		log "another tlsscope is running: checked the programs of ours by id only"
	fi
done
[ $ok = 1 ] || fail "unclean exit"

# --duration 2: stops by itself (with --stats-interval 1: a stats record every second too)
ts_start --format json -o "$E2E_TMP/dur.jsonl" --duration 2 --stats-interval 1
t0=$(date +%s%N)
held_ids "$TS_PID" >"$E2E_TMP/dur.ids"
wait_pid "$TS_PID" 20
st=$?
TS_PID=
ms=$((($(date +%s%N) - t0) / 1000000))
log "--duration 2: status $st after ${ms} ms"
[ $st = 0 ] || { cat "$E2E_TMP/ts.err"; fail "--duration 2: status $st (expected 0)"; }
[ $ms -ge 1500 ] && [ $ms -le 8000 ] || fail "--duration 2: ran ${ms} ms after ready (expected about 2 s)"
$CHECK stats "$E2E_TMP/dur.jsonl" --min-count 2 || fail "--duration 2 --stats-interval 1: stats records"
left_behind "$E2E_TMP/dur.ids" "after --duration 2" || fail "--duration 2: unclean exit"
echo "PASS"
