#!/bin/bash
# SPDX-License-Identifier: MIT
# 6a. Tax on everything else: a syscall-heavy program with no TLS (build/bench/syscall_loop:
# 1-byte write + read on a pipe, and on a socketpair) timed bare and under tlsscope (whole
# host, default mode), interleaved rounds with alternating order. Throughput ratio =
# bare ns per iteration / traced ns per iteration of the same round; median over rounds. The
# ratio uses the loop's CPU time (user + system: the hook runs in its context), which other
# tenants of a shared machine cannot inflate; wall-clock figures are in the log.
# tlsscope's socket hooks (tp_btf/sock_send_length, sock_recv_length) run on every socket send
# and receive of the host; a pipe never reaches them. A third mode, "floor", attaches empty
# programs at those hooks (build/bench/null_hook -s): the platform's price for them, before the
# program does anything. Modes rotate every round.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then rounds=1 secs=0.3; else rounds=${SYSCALL_ROUNDS:-7} secs=1; fi
kinds=(pipe socketpair)
declare -A ns

run_loop() { # MODE KIND ROUND
	measure "$BENCH_BIN/syscall_loop" -m "$2" -t "$secs" || die "syscall_loop failed"
	ns[$1,$2,$3]=$(kv cpu_ns_per_iter "$MEASURE_OUT")
	is_num "${ns[$1,$2,$3]}" || die "syscall_loop printed no number: $MEASURE_OUT"
	printf '  round %d %-8s %-10s %8.1f CPU ns/iter, %8.1f wall ns/iter\n' "$3" "$1" "$2" \
		"${ns[$1,$2,$3]}" "$(kv ns_per_iter "$MEASURE_OUT")"
}

log "syscall tax: $rounds rounds of ${secs}s per mode and kind"
modes=(bare traced floor)
for ((r = 0; r < rounds; r++)); do
	for ((j = 0; j < ${#modes[@]}; j++)); do
		mode=${modes[(r + j) % ${#modes[@]}]}
		[ "$mode" = traced ] && ts_start "syscall.$r"
		[ "$mode" = floor ] && null_start -s
		for k in "${kinds[@]}"; do run_loop "$mode" "$k" "$r"; done
		[ "$mode" = traced ] && ts_stop
		[ "$mode" = floor ] && null_stop
	done
done
for k in "${kinds[@]}"; do
	ratio=() fratio=() b=() t=() f=()
	for ((r = 0; r < rounds; r++)); do
		ratio+=("$(calc "${ns[bare,$k,$r]} / ${ns[traced,$k,$r]}")")
		fratio+=("$(calc "${ns[bare,$k,$r]} / ${ns[floor,$k,$r]}")")
		b+=("${ns[bare,$k,$r]}") t+=("${ns[traced,$k,$r]}") f+=("${ns[floor,$k,$r]}")
	done
	m=$(median "${ratio[@]}")
	log "  $k: bare $(median "${b[@]}"), traced $(median "${t[@]}"), empty hook $(median "${f[@]}") CPU ns/iter"
	result tax "non-TLS syscalls: bare ns per syscall, $k" "$(fmt 0 "$(calc "$(median "${b[@]}") / 2")")" ns - info
	result tax "non-TLS syscalls: traced / bare, $k" "$(fmt 3 "$m")" ratio ">= 0.95" \
		"$(verdict "$m" '>=' 0.95)"
	result tax "non-TLS syscalls: empty socket hooks / bare, $k" "$(fmt 3 "$(median "${fratio[@]}")")" ratio - info
done
report_noise syscall
