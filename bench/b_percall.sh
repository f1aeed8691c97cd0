#!/bin/bash
# SPDX-License-Identifier: MIT
# 1. Per-call cost: what a traced SSL_write / SSL_read costs the calling thread.
#
# build/bench/sslloop runs SSL_write(client, SIZE) + SSL_read(server) over a memory BIO pair
# (no sockets, no syscalls) for a fixed time and prints ns per iteration (= 2 TLS calls), both
# wall-clock and CPU time (user + system: the probes run in the caller's context, so their cost
# is in it). The figures use CPU time, which other tenants of a shared machine cannot inflate
# by taking the CPU away; the wall-clock figure is kept for 64 B as a cross-check.
#
# Modes, timed in interleaved rounds (the order rotates every round):
#   bare       no agent
#   default    tlsscope (whole host, JSON output read by jsonl_tally)
#   exported   tlsscope --probe-exported
#   floor      empty BPF programs (build/bench/null_hook) as uprobe + uretprobe at exactly the
#              sites tlsscope's default mode probes: the platform's price for the hook itself
#   floor-exp  the same at the --probe-exported sites
# Added cost per call = (mode - bare) / 2, per round against the bare run of the same round,
# median over rounds. tlsscope's own share = default - floor.
#
# Then one diagnostic pass (default mode) with kernel.bpf_stats_enabled=1 gives the time spent
# inside the agent's BPF programs per TLS call (tls_enter + tls_exit). bpf_stats itself adds
# ~2 clock reads per program run, so that pass is not part of the timing.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then rounds=1 secs=0.2; else rounds=${PERCALL_ROUNDS:-7} secs=1; fi
sizes=(64 4096)
modes=(bare default exported floor floor-exp)
declare -A ns wall # [mode,size,round]: CPU / wall-clock ns per iteration

run_loop() { # MODE SIZE ROUND
	local line
	measure "$BENCH_BIN/sslloop" -s "$2" -t "$secs" || die "sslloop -s $2 ($1) failed"
	line=$MEASURE_OUT
	ns[$1,$2,$3]=$(kv cpu_ns_per_iter "$line")
	wall[$1,$2,$3]=$(kv ns_per_iter "$line")
	is_num "${ns[$1,$2,$3]}" && is_num "${wall[$1,$2,$3]}" || die "sslloop printed no number: $line"
	printf '  round %d %-9s %5d B: %8.1f CPU ns/iter, %8.1f wall ns/iter (%s iterations)\n' \
		"$3" "$1" "$2" "${ns[$1,$2,$3]}" "${wall[$1,$2,$3]}" "$(kv iters "$line")"
	LAST_CALLS=$(kv calls_ok "$line")
}

sites_default=$(sites_of)
sites_exported=$(sites_of --probe-exported)
log "default sites: $sites_default"
log "exported sites: $sites_exported"

log "per-call cost: $rounds rounds of ${secs}s per mode and size"
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < ${#modes[@]}; k++)); do
		mode=${modes[(r + k) % ${#modes[@]}]}
		case $mode in
		bare)
			for s in "${sizes[@]}"; do run_loop bare "$s" "$r"; done
			;;
		floor | floor-exp)
			# shellcheck disable=SC2086 # the sites are "-u PATH:OFFSET" words
			if [ $mode = floor ]; then null_start $sites_default; else null_start $sites_exported; fi
			for s in "${sizes[@]}"; do run_loop "$mode" "$s" "$r"; done
			null_stop
			;;
		*)
			args=()
			[ "$mode" = exported ] && args=(--probe-exported)
			ts_start "percall.$mode.$r" "${args[@]}"
			made=0
			for s in "${sizes[@]}"; do
				run_loop "$mode" "$s" "$r"
				made=$((made + LAST_CALLS))
			done
			ts_stop
			# Sanity: the agent really traced the loop (the whole host is traced, so >=).
			[ "$TL_data" -ge "$made" ] || [ "$ST_lost_calls" -gt 0 ] ||
				die "$mode: agent recorded $TL_data data records, the loop made $made calls"
			printf '  round %d %-9s agent: %s records, lost %s (ring full %s)\n' "$r" "$mode" \
				"$TL_data" "$ST_lost_calls" "$ST_lost_ringbuf_full"
			;;
		esac
	done
done

# added_us MODE SIZE [wall]: median over rounds of (MODE - bare) / 2, in microseconds
added_us() {
	local a=() r
	for ((r = 0; r < rounds; r++)); do
		if [ "${3:-}" = wall ]; then
			a+=("$(calc "(${wall[$1,$2,$r]} - ${wall[bare,$2,$r]}) / 2")")
		else
			a+=("$(calc "(${ns[$1,$2,$r]} - ${ns[bare,$2,$r]}) / 2")")
		fi
	done
	calc "$(median "${a[@]}") / 1000"
}

for s in "${sizes[@]}"; do
	bare=()
	for ((r = 0; r < rounds; r++)); do bare+=("${ns[bare,$s,$r]}"); done
	result percall "bare ns per call, ${s} B" "$(fmt 0 "$(calc "$(median "${bare[@]}") / 2")")" ns - info
	us=$(added_us default "$s")
	if [ "$s" = 64 ]; then
		result percall "added us per call, 64 B, tlsscope" "$(fmt 2 "$us")" us "<= 1.5" "$(verdict "$us" '<=' 1.5)"
		result percall "added us per call, 64 B, tlsscope (wall clock)" "$(fmt 2 "$(added_us default 64 wall)")" us - info
	else
		result percall "added us per call, ${s} B, tlsscope" "$(fmt 2 "$us")" us - info
	fi
	fl=$(added_us floor "$s")
	result percall "added us per call, ${s} B, empty probes (floor)" "$(fmt 2 "$fl")" us - info
	result percall "added us per call, ${s} B, tlsscope minus floor" "$(fmt 2 "$(calc "$us - $fl")")" us - info
	result percall "added us per call, ${s} B, --probe-exported" "$(fmt 2 "$(added_us exported "$s")")" us - info
	result percall "added us per call, ${s} B, empty exported probes" "$(fmt 2 "$(added_us floor-exp "$s")")" us - info
done

# diagnosis: where tlsscope's own share goes (in-kernel BPF program time per call)
ts_start percall.bpfstats
bpf_stats_on || die "cannot enable kernel.bpf_stats_enabled"
for s in "${sizes[@]}"; do
	$PY "$BENCH_DIR/bpfstats.py" snap "$TS_PID" "$BENCH_TMP/bpf.before" || die "bpfstats"
	"$BENCH_BIN/sslloop" -s "$s" -t "$secs" >/dev/null || die "sslloop failed"
	st=$($PY "$BENCH_DIR/bpfstats.py" diff "$TS_PID" "$BENCH_TMP/bpf.before") || die "bpfstats"
	log "  BPF run time with $s B calls: $(tr '\n' ';' <<<"$st")"
	enter=$(kv ns_per_run "$(grep '^tls_enter ' <<<"$st")")
	exit_=$(kv ns_per_run "$(grep '^tls_exit ' <<<"$st")")
	result percall "BPF tls_enter + tls_exit ns per call, ${s} B" "$(calc "${enter:-nan} + ${exit_:-nan}")" ns - info
done
bpf_stats_off
ts_stop
report_noise percall
