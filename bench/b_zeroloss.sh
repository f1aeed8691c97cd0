#!/bin/bash
# SPDX-License-Identifier: MIT
# 3. Zero-loss rate, and exact loss accounting beyond it.
#
# The generator is build/bench/sslloop paced to a target rate of 1 KiB SSL_write + SSL_read
# pairs (2 TLS calls with data = 2 events per pair), in 2 threads (-j 2: one thread, slowed by
# its own probes, could not reach the rates asked for). It waits for a go file before its first
# TLS call, so the agent can be started with -p GENERATOR_PID (only the generator is traced:
# nothing else on the host disturbs the counts) and is ready before the first event.
#
# Ladder: each step runs STEP seconds at a higher rate. A step is lossless when the final stats
# say lost == 0 (every cause) and calls == what the generator made, events == calls that moved
# data == the generator's successful calls == data records received. The ladder stops at the
# first lossy step, or when the generator (slowed by its own probes) cannot reach 90% of the
# step's rate. Reported: the highest lossless step (its target rate, when the generator
# achieved at least 99% of it, else the rate it achieved) and the rate achieved in that step.
# Baseline in the same run: the generator's rate without any agent.
#
# Overload: the generator unpaced with --ringbuf-size 65536. Accounting must be exact:
# made == received (data records) + lost.ringbuf_full + lost.read_fault (records that lost
# only their tail, lost.partial, still arrive and are among the received).
. "$(dirname "$0")/lib.sh"

size=1024 threads=2
if [ "$BENCH_SMOKE" = 1 ]; then
	step=2 over=2 rates=(40000)
else
	step=${ZEROLOSS_STEP:-60} over=20 rates=(20000 40000 60000 80000 100000 110000 120000 140000 160000 200000)
fi
small_ring=65536

# gen_run NAME SECS RATE_PAIRS [AGENT_ARGS...]: run the generator under an agent traced with
# -p; sets GEN (its output line) and the ST_* / TL_* counters.
gen_run() {
	local name=$1 secs=$2 rate=$3 gpid
	shift 3
	rm -f "$BENCH_TMP/go"
	"$BENCH_BIN/sslloop" -s "$size" -j "$threads" -t "$secs" -r "$rate" -g "$BENCH_TMP/go" \
		>"$BENCH_TMP/gen.out" &
	gpid=$!
	BG_PIDS+=("$gpid")
	TALLY_FOR_PID=$gpid ts_start "$name" -p "$gpid" "$@"
	touch "$BENCH_TMP/go"
	wait_pid "$gpid" $((secs + 60)) || die "generator failed"
	ts_stop
	GEN=$(cat "$BENCH_TMP/gen.out")
	G_calls=$(kv calls "$GEN") G_ok=$(kv calls_ok "$GEN")
	is_num "$G_calls" && is_num "$G_ok" || die "generator printed no counts: $GEN"
	G_rate=$(calc "2 * $(kv pairs_per_s "$GEN")") # events/s while timed (the warm-up is not)
}

# the baseline: the generator alone, unpaced
quiet_wait
base=$("$BENCH_BIN/sslloop" -s "$size" -j "$threads" -t "$([ "$BENCH_SMOKE" = 1 ] && echo 0.5 || echo 5)") ||
	die "sslloop failed"
base_rate=$(calc "2 * $(kv pairs_per_s "$base")")
log "generator alone: $(fmt 0 "$base_rate") events/s ($base)"

best=0 stop="end of ladder" best_achieved=0
for rate in "${rates[@]}"; do
	quiet_wait
	gen_run "step.$rate" "$step" $((rate / 2))
	ok=1 why=
	[ "$ST_lost_calls" = 0 ] || { ok=0; why="$why lost=$ST_lost_calls"; }
	[ "$TL_truncated_lost" = 0 ] || { ok=0; why="$why truncated_records=$TL_truncated_lost"; }
	[ "$ST_calls" = "$G_calls" ] || { ok=0; why="$why calls=$ST_calls/made $G_calls"; }
	[ "$((ST_calls - ST_calls_failed))" = "$G_ok" ] || { ok=0; why="$why calls_with_data=$((ST_calls - ST_calls_failed))/made $G_ok"; }
	[ "$ST_events" = "$G_ok" ] || { ok=0; why="$why events=$ST_events/made $G_ok"; }
	[ "$TL_data" = "$G_ok" ] || { ok=0; why="$why received=$TL_data/made $G_ok"; }
	[ "$TL_foreign" = 0 ] || { ok=0; why="$why foreign=$TL_foreign"; }
	log "  target $rate events/s: achieved $(fmt 0 "$G_rate"), made $G_ok, events $ST_events, received $TL_data, lost $ST_lost_calls (ring full $ST_lost_ringbuf_full) -> $([ $ok = 1 ] && echo lossless || echo "LOSS:$why")"
	if [ $ok != 1 ]; then
		stop="loss at $rate/s"
		break
	fi
	credit=$(awk -v a="$G_rate" -v t="$rate" 'BEGIN { print (a >= 0.99 * t) ? t : a }')
	if awk -v a="$credit" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		best=$credit best_achieved=$G_rate
	fi
	if awk -v a="$G_rate" -v t="$rate" 'BEGIN { exit !(a < 0.9 * t) }'; then
		stop="generator reached only $(fmt 0 "$G_rate") of $rate/s"
		break
	fi
done
log "ladder stopped: $stop"
result zeroloss "generator alone (no agent), 1 KiB, $threads threads" "$(fmt 0 "$base_rate")" events/s - info
[ "$best" != 0 ] || log "no lossless step"
result zeroloss "highest lossless step, ${step}s at 1 KiB (-p)" "$(fmt 0 "$best")" events/s ">= 100000" \
	"$(verdict "$best" '>=' 100000)"
result zeroloss "  rate achieved in that step" "$(fmt 0 "$best_achieved")" events/s - info

# beyond the lossless rate: a small ring buffer, the generator unpaced
quiet_wait
gen_run overload "$over" 0 --ringbuf-size "$small_ring"
lost=$((ST_lost_ringbuf_full + ST_lost_read_fault))
err=$((G_ok - TL_data - lost))
log "overload (--ringbuf-size $small_ring, ${over}s unpaced): made $G_ok ($(fmt 0 "$G_rate")/s), received $TL_data (of them $TL_truncated_lost cut short, stats partial $ST_lost_partial), ring full $ST_lost_ringbuf_full, read fault $ST_lost_read_fault, stats events $ST_events, calls $ST_calls/$G_calls -> made - received - lost = $err"
[ "$ST_calls" = "$G_calls" ] || log "  calls counted $ST_calls, generator made $G_calls"
result zeroloss "overload: events made" "$G_ok" events - info
result zeroloss "overload: events lost (ring full + read fault)" "$(fmt 2 "$(calc "100 * $lost / $G_ok")")" % - info
result zeroloss "overload: made - received - lost" "$err" events "== 0" "$([ "$err" = 0 ] && echo met || echo MISSED)"
report_noise zeroloss
