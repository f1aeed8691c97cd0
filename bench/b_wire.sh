#!/bin/bash
# SPDX-License-Identifier: MIT
# 7. The handshake classifier's cost: TLS handshakes/s and bulk TLS throughput over loopback,
# with the TC classifier attached and without.
#
# build/bench/tlsloop runs TLS 1.3 over real TCP on 127.0.0.1 (client and server threads in
# one process, in-process P-256 certificate). Handshakes: -m handshakes -j 4, four client/server
# pairs each repeating connect + full handshake (no resumption) + close: enough to keep both
# vCPUs busy, so the rate is bounded by CPU, which the agent's work for each handshake takes
# its share of, as on a busy server. (One pair alone is bound by wake-up latency instead, and
# an agent that is woken for every handshake makes that loop faster, not slower.) Bulk:
# -m bulk, one connection, 16 KiB SSL_writes.
#
# Modes, timed in interleaved rounds (the order changes every round; --tc off and the
# classifier always run back to back):
#   notc     tlsscope --tc off: the classifier is not attached; uprobes and socket hooks as usual
#   tc       tlsscope as it runs by default: the classifier attached on every interface that is
#            up (tcx; on lo at egress only, where each loopback packet passes once)
#   bare     no agent, for context only
# In each agent session both loops run (handshakes, then bulk). Ratio = tc / notc of the same
# round, median over rounds, on wall-clock rates (the issue's targets). Cross-checks on CPU
# time, which other tenants of the machine cannot inflate: for handshakes, CPU per handshake of
# the loop + the agent (what bounds the rate on a saturated host; the reader jsonl_tally is not
# included, as in b_nginx.sh); for bulk, the loop's own CPU per KiB (the classifier runs in the
# sender's context; the agent has no handshake to work on there).
#
# Then one diagnostic pass (classifier attached) with kernel.bpf_stats_enabled=1 gives the time
# spent inside the classifier's BPF programs per handshake and per MB of bulk data (not timed:
# bpf_stats itself adds two clock reads per program run).
#
# Each session's final stats record is checked: with --tc off the classifier saw nothing
# (wire_hellos 0, no handshake records, no tcx link on lo); attached, it saw the handshakes
# (handshakes.records > 0, else the benchmark fails), reported against the handshakes tlsloop
# made.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then rounds=1 secs=0.3; else rounds=${WIRE_ROUNDS:-21} secs=1; fi
pairs=${WIRE_PAIRS:-4}
orders=("notc tc bare" "bare tc notc" "tc notc bare" "bare notc tc")
declare -A hps hcpu mbps bcpu agent_us seen

# hs_stats FILE: the classifier's figures from the last stats record, as HS_* assignments
hs_stats() {
	$PY - "$1" <<'EOF'
import json, sys
last = None
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        if '"type":"stats"' in line:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("type") == "stats":
                last = rec
if last is None:
    sys.exit(1)
hs = last.get("handshakes", {})
print(f"HS_hellos={int(last.get('wire_hellos', 0))}")
print(f"HS_lost={int(last.get('lost', {}).get('ringbuf_full_wire', 0))}")
for k in ("records", "interfaces", "flows", "evicted", "no_memory", "join_evicted"):
    print(f"HS_{k}={int(hs.get(k, 0))}")
EOF
}

# cpu_ns PID: CPU time of a process in ns (on-CPU time of its threads; finer than cpu_ticks)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }

# tcx_on_lo PID: how many tcx links PID holds on lo (ifindex 1)
tcx_on_lo() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^link_type:/ { t = $2 } /^ifindex:/ && t == "tcx" && $2 == 1 { n++ } END { print n + 0 }'
}

run_loops() { # MODE ROUND: both loops; sets MADE (handshakes tlsloop made, warm-up included)
	local line a0=0 a1=0
	[ "$1" = bare ] || a0=$(cpu_ns "$TS_PID")
	measure timeout 60 "$BENCH_BIN/tlsloop" -m handshakes -j "$pairs" -t "$secs" ||
		die "tlsloop handshakes ($1) failed"
	[ "$1" = bare ] || a1=$(cpu_ns "$TS_PID")
	line=$MEASURE_OUT
	hps[$1,$2]=$(kv handshakes_per_s "$line")
	MADE=$(kv total_handshakes "$line")
	is_num "${hps[$1,$2]}" && is_num "$MADE" && [ "$(kv handshakes "$line")" -gt 0 ] ||
		die "tlsloop printed no number: $line"
	# the agent's CPU over the whole run, per handshake made (warm-up too)
	agent_us[$1,$2]=$(calc "($a1 - $a0) / 1000 / $MADE")
	hcpu[$1,$2]=$(calc "$(kv cpu_ns_per_handshake "$line") / 1000 + ${agent_us[$1,$2]}")
	measure timeout 60 "$BENCH_BIN/tlsloop" -m bulk -t "$secs" || die "tlsloop bulk ($1) failed"
	line=$MEASURE_OUT
	mbps[$1,$2]=$(kv mb_per_s "$line")
	bcpu[$1,$2]=$(kv cpu_ns_per_kb "$line")
	is_num "${mbps[$1,$2]}" && is_num "${bcpu[$1,$2]}" || die "tlsloop printed no number: $line"
	MADE=$((MADE + 1))
	printf '  round %d %-4s %7.1f handshakes/s (%5.0f CPU us each, agent %4.1f)  %6.1f MB/s (%5.0f CPU ns/KiB)\n' \
		"$2" "$1" "${hps[$1,$2]}" "${hcpu[$1,$2]}" "${agent_us[$1,$2]}" "${mbps[$1,$2]}" "${bcpu[$1,$2]}"
}

log "classifier cost: $rounds rounds of ${secs}s per loop and mode; handshakes with $pairs pairs"
[ "$BENCH_SMOKE" = 1 ] || "$BENCH_BIN/tlsloop" -m handshakes -j "$pairs" -t 0.5 >/dev/null ||
	die "tlsloop warm-up"
for ((r = 0; r < rounds; r++)); do
	for mode in ${orders[r % ${#orders[@]}]}; do
		if [ "$mode" = bare ]; then
			run_loops bare "$r"
			continue
		fi
		args=()
		[ "$mode" = notc ] && args=(--tc off)
		ts_start "wire.$mode.$r" "${args[@]}"
		links=$(tcx_on_lo "$TS_PID")
		run_loops "$mode" "$r"
		unset "${!ST_@}"
		ts_stop
		HS_hellos=0 HS_lost=0 HS_records=0 HS_interfaces=0 HS_evicted=0 HS_join_evicted=0
		eval "$(hs_stats "$TS_DIR/other.jsonl")" || die "no stats record from tlsscope"
		printf '  round %d %-4s agent: classifier saw %s hellos, %s handshake records for %s handshakes made; %s interfaces (%s tcx links on lo); lost %s hellos, %s flows evicted\n' \
			"$r" "$mode" "$HS_hellos" "$HS_records" "$MADE" "$HS_interfaces" "$links" \
			"$HS_lost" "$((HS_evicted + HS_join_evicted))"
		if [ "$mode" = notc ]; then
			[ "$HS_hellos" -eq 0 ] && [ "$HS_records" -eq 0 ] && [ "$links" -eq 0 ] ||
				die "--tc off: the classifier still saw $HS_hellos hellos, $HS_records records"
		else
			[ "$HS_records" -gt 0 ] && [ "$HS_hellos" -gt 0 ] ||
				die "the classifier saw no handshake ($HS_hellos hellos, $HS_records records)"
			seen[$r]=$(calc "$HS_records / $MADE")
		fi
	done
done

# ratio_of ARRAY NUM DEN: median over rounds of ARRAY[NUM,r] / ARRAY[DEN,r]
ratio_of() {
	local -n arr=$1
	local a=() r
	for ((r = 0; r < rounds; r++)); do a+=("$(calc "${arr[$2,$r]} / ${arr[$3,$r]}")"); done
	median "${a[@]}"
}
# med_of ARRAY MODE: median over rounds of ARRAY[MODE,r]
med_of() {
	local -n arr=$1
	local a=() r
	for ((r = 0; r < rounds; r++)); do a+=("${arr[$2,$r]}"); done
	median "${a[@]}"
}

for m in bare notc tc; do
	case $m in bare) what="no agent" ;; notc) what="agent --tc off" ;; tc) what="agent, classifier attached" ;; esac
	result wire "handshakes/s, $what" "$(fmt 0 "$(med_of hps $m)")" hs/s - info
done
h=$(ratio_of hps tc notc)
result wire "handshakes_per_s_ratio (classifier / --tc off)" "$(fmt 3 "$h")" ratio ">= 0.97" "$(verdict "$h" '>=' 0.97)"
result wire "hs per CPU s incl. agent, classifier / --tc off" "$(fmt 3 "$(ratio_of hcpu notc tc)")" ratio - info
result wire "agent CPU per handshake, --tc off" "$(fmt 1 "$(med_of agent_us notc)")" us - info
result wire "agent CPU per handshake, classifier attached" "$(fmt 1 "$(med_of agent_us tc)")" us - info
result wire "handshakes/s, agent --tc off / no agent" "$(fmt 3 "$(ratio_of hps notc bare)")" ratio - info
s=()
for ((r = 0; r < rounds; r++)); do s+=("${seen[$r]}"); done
result wire "classifier records per handshake made" "$(fmt 3 "$(median "${s[@]}")")" ratio - info

for m in bare notc tc; do
	case $m in bare) what="no agent" ;; notc) what="agent --tc off" ;; tc) what="agent, classifier attached" ;; esac
	result wire "bulk MB/s, $what" "$(fmt 1 "$(med_of mbps $m)")" MB/s - info
done
b=$(ratio_of mbps tc notc)
result wire "bulk_throughput_ratio (classifier / --tc off)" "$(fmt 3 "$b")" ratio ">= 0.97" "$(verdict "$b" '>=' 0.97)"
result wire "bulk per loop CPU s, classifier / --tc off" "$(fmt 3 "$(ratio_of bcpu notc tc)")" ratio - info
result wire "bulk MB/s, agent --tc off / no agent" "$(fmt 3 "$(ratio_of mbps notc bare)")" ratio - info
# diagnosis: the classifier's own in-kernel time (its programs on every interface, all traffic)
# wire_ns BEFORE_FILE: ns spent in the agent's wire_* programs since BEFORE_FILE
wire_ns() {
	local st
	st=$($PY "$BENCH_DIR/bpfstats.py" diff "$TS_PID" "$1") || die "bpfstats"
	log "  BPF run time: $(tr '\n' ';' <<<"$st")" >&2
	st=$(awk '$1 ~ /^wire_/ { split($2, r, "="); split($3, n, "="); s += r[2] * n[2] } END { printf "%d\n", s }' <<<"$st")
	[ "$st" -gt 0 ] || die "the classifier's programs did not run"
	echo "$st"
}
ts_start wire.bpfstats
bpf_stats_on || die "cannot enable kernel.bpf_stats_enabled"
$PY "$BENCH_DIR/bpfstats.py" snap "$TS_PID" "$BENCH_TMP/bpf.before" || die "bpfstats"
line=$("$BENCH_BIN/tlsloop" -m handshakes -j "$pairs" -t "$secs") || die "tlsloop failed"
ns=$(wire_ns "$BENCH_TMP/bpf.before") || exit 1
result wire "BPF classifier ns per handshake" "$(fmt 0 "$(calc "$ns / $(kv total_handshakes "$line")")")" ns - info
$PY "$BENCH_DIR/bpfstats.py" snap "$TS_PID" "$BENCH_TMP/bpf.before" || die "bpfstats"
line=$("$BENCH_BIN/tlsloop" -m bulk -t "$secs" -w 256) || die "tlsloop failed"
ns=$(wire_ns "$BENCH_TMP/bpf.before") || exit 1
# per MB moved, the 256 warm-up writes of 16 KiB included
result wire "BPF classifier ns per MB of bulk data" "$(fmt 0 "$(calc "$ns / (($(kv bytes "$line") + 256 * 16384) / 1e6)")")" ns - info
bpf_stats_off
ts_stop
report_noise wire
