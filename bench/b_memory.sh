#!/bin/bash
# SPDX-License-Identifier: MIT
# 4. Memory: the agent's resident set (VmRSS of the tlsscope process).
#
# A local nginx (1 worker, worker_connections 2*N+64, keepalive_timeout 600 s) runs first. The
# agent starts (whole host, JSON output read by jsonl_tally); "idle" is its VmRSS 2 s after it
# is ready, before any TLS traffic. Then build/bench/connhold opens N TLS connections to nginx
# one after the other, makes one request on each and holds them all open, idle; 3 s after the
# last one the agent's VmRSS (and its peak VmHWM) is read again while the N connections are
# still open (checked with ss). N = 10000 (smoke: 100); ulimit -n is raised for nginx and
# connhold. The baseline is the agent's own idle figure from the same run.
# Kernel memory of the agent's BPF maps (memlock of each map, from /proc/PID/fdinfo) is not in
# VmRSS (except what user space mmaps: the ring buffer); it is reported beside it.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then n=100; else n=${MEMORY_CONNS:-10000}; fi
ulimit -n $((n * 2 + 4096)) 2>/dev/null || ulimit -n "$(ulimit -Hn)" ||
	die "cannot raise ulimit -n to $((n * 2 + 4096))"
[ "$(ulimit -n)" -gt $((n + 100)) ] || die "ulimit -n $(ulimit -n) is too low for $n connections"

# maps_kb PID: sum of the memlock of the distinct BPF maps PID holds, in kB
maps_kb() {
	awk 'function flush() { if (id != "" && !(id in seen)) { seen[id] = 1; sum += m } id = ""; m = 0 }
		FNR == 1 { flush() } $1 == "map_id:" { id = $2 } $1 == "memlock:" { m = $2 }
		END { flush(); printf "%d\n", sum / 1024 }' /proc/"$1"/fdinfo/* 2>/dev/null
}

make_cert
port=$(free_port)
nginx_start "$port" $((n * 2 + 64))
printf 'ok\n' >"$BENCH_TMP/nginx/www/index.html"

ts_start memory
sleep 2
idle=$(status_kb "$TS_PID" VmRSS)
idle_anon=$(status_kb "$TS_PID" RssAnon)
log "agent idle: VmRSS $idle kB (RssAnon $idle_anon kB, RssFile $(status_kb "$TS_PID" RssFile) kB, RssShmem $(status_kb "$TS_PID" RssShmem) kB)"

rm -f "$BENCH_TMP/held"
"$BENCH_BIN/connhold" -P "$port" -N "$n" -f "$BENCH_TMP/held" -H 900 >"$BENCH_TMP/connhold.out" \
	2>"$BENCH_TMP/connhold.err" &
hold_pid=$!
BG_PIDS+=("$hold_pid")
for ((i = 0; i < 12000; i++)); do # 600 s
	[ -e "$BENCH_TMP/held" ] && break
	kill -0 "$hold_pid" 2>/dev/null || { cat "$BENCH_TMP/connhold.err" >&2; die "connhold failed"; }
	sleep 0.05
done
[ -e "$BENCH_TMP/held" ] || die "connhold did not open $n connections in 600s"
log "connhold: $(cat "$BENCH_TMP/connhold.out")"
sleep 3
open=$(ss -Htn state established "( dport = :$port )" | wc -l)
busy=$(status_kb "$TS_PID" VmRSS)
peak=$(status_kb "$TS_PID" VmHWM)
maps=$(maps_kb "$TS_PID")
log "agent with $open connections held: VmRSS $busy kB (RssAnon $(status_kb "$TS_PID" RssAnon) kB, RssFile $(status_kb "$TS_PID" RssFile) kB, RssShmem $(status_kb "$TS_PID" RssShmem) kB), peak VmHWM $peak kB"
[ "$open" -ge "$n" ] || die "only $open of $n connections are open"
kill -TERM "$hold_pid"
wait_pid "$hold_pid" 30
ts_stop
log "agent stats: $ST_events records, lost $ST_lost_calls, calls $ST_calls"
[ "$TL_data" -ge $((2 * n)) ] || [ "$ST_lost_calls" -gt 0 ] || die "agent recorded only $TL_data records for $n requests"

idle_mib=$(calc "$idle / 1024")
busy_mib=$(calc "$busy / 1024")
result memory "agent VmRSS idle" "$(fmt 1 "$idle_mib")" MiB "<= 40" "$(verdict "$idle_mib" '<=' 40)"
if [ "$n" = 10000 ]; then
	result memory "agent VmRSS, 10000 idle TLS conns held" "$(fmt 1 "$busy_mib")" MiB "<= 128" \
		"$(verdict "$busy_mib" '<=' 128)"
else
	result memory "agent VmRSS, $n idle TLS conns held" "$(fmt 1 "$busy_mib")" MiB - info
fi
result memory "agent VmHWM (peak) after $n conns" "$(fmt 1 "$(calc "$peak / 1024")")" MiB - info
result memory "agent BPF maps (kernel memlock), $n conns" "$(fmt 1 "$(calc "$maps / 1024")")" MiB - info
