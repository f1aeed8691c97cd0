#!/bin/bash
# SPDX-License-Identifier: MIT
# 5. Start-up: time from launching tlsscope to its --ready-file appearing (every probe
# attached), whole host, default mode and --probe-exported, interleaved; median of RUNS.
# The clock is this shell's: date before the launch, then a check of the file every 10 ms. The
# baseline measured the same way is a trivial program that creates the file at once (the
# harness floor: fork + exec + polling granularity).
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then runs=2; else runs=${STARTUP_RUNS:-9}; fi
floor=() def=() exp=()

harness() { # the baseline
	local t0 i
	rm -f "$BENCH_TMP/floor.ready"
	t0=$(date +%s%N)
	sh -c ': >"$0"' "$BENCH_TMP/floor.ready" &
	BG_PIDS+=($!)
	for ((i = 0; i < 1000; i++)); do
		[ -e "$BENCH_TMP/floor.ready" ] && break
		sleep 0.01
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

for ((r = 0; r < runs; r++)); do
	quiet_wait
	floor+=("$(harness)")
	for mode in default exported; do
		args=()
		[ "$mode" = exported ] && args=(--probe-exported)
		ts_start "startup.$mode.$r" "${args[@]}"
		ready=$TS_READY_MS
		ts_stop
		[ "$ST_probes_attached" -gt 0 ] || die "no probe attached"
		if [ $mode = default ]; then def+=("$ready"); else exp+=("$ready"); fi
	done
	log "  run $r: default ${def[-1]} ms, --probe-exported ${exp[-1]} ms, harness floor ${floor[-1]} ms"
done
m=$(median "${def[@]}")
result startup "launch to ready (default)" "$m" ms "<= 1000" "$(verdict "$m" '<=' 1000)"
result startup "launch to ready (--probe-exported)" "$(median "${exp[@]}")" ms - info
result startup "harness floor (trivial program)" "$(median "${floor[@]}")" ms - info
report_noise startup
