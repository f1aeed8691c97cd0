#!/bin/bash
# SPDX-License-Identifier: MIT
# 2. Server throughput, and 6b. the agent's own CPU time per 10k traced requests.
#
# nginx (1 worker, HTTPS, HTTP/1.1 keep-alive, access log off, self-signed P-256 cert) serves a
# 1 KiB and a 64 KiB file on 127.0.0.1; wrk (1 thread, 32 connections, 5 s) loads it. Each
# round runs untraced, traced (tlsscope on the whole host: nginx and wrk are both traced, JSON
# output read by jsonl_tally) and floor (below), the order rotating every round. Ratio =
# traced req/s / untraced req/s of the same round; the median over rounds is reported. One
# nginx worker and one wrk thread: one CPU each on this 2-vCPU machine, so the agent competes
# with them for CPU, as it would on a busy host. The agent's utime+stime over each traced
# wrk run, per 10k requests, is the CPU it spends per 10k requests (each request is >= 4 TLS
# calls with data: wrk write, nginx read, nginx write(s), wrk read(s)).
# A third mode, "floor", attaches empty BPF programs (build/bench/null_hook) where tlsscope
# attaches its own (uprobe + uretprobe at its default sites, and the socket hooks): what the
# platform charges for those hooks before any program work.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then rounds=1 dur=1; else rounds=${NGINX_ROUNDS:-5} dur=5; fi
threads=1 conns=32
files=(1k 64k)
declare -A rps cpu10k lostpct

make_cert
port=$(free_port)
nginx_start "$port" 1024
head -c 1024 /dev/urandom >"$BENCH_TMP/nginx/www/1k.bin"
head -c 65536 /dev/urandom >"$BENCH_TMP/nginx/www/64k.bin"

# run_wrk FILE: sets WRK_RPS and WRK_REQS
run_wrk() {
	local out
	measure timeout 60 wrk -t"$threads" -c"$conns" -d"${dur}s" "https://127.0.0.1:$port/$1.bin" ||
		die "wrk failed: $MEASURE_OUT"
	out=$MEASURE_OUT
	grep -q 'Non-2xx' <<<"$out" && die "wrk got errors: $out"
	WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	WRK_REQS=$(awk '/ requests in / { print $1 }' <<<"$out")
	is_num "$WRK_RPS" && is_num "$WRK_REQS" && [ "$WRK_REQS" -gt 0 ] || die "wrk gave no number: $out"
	grep -q 'Socket errors' <<<"$out" && log "wrk: $(grep 'Socket errors' <<<"$out")"
	return 0
}

sites=$(sites_of)
log "nginx throughput: $rounds rounds of ${dur}s per file and mode, wrk -t$threads -c$conns"
for f in "${files[@]}"; do # warm up nginx and the page cache
	[ "$BENCH_SMOKE" = 1 ] && break
	timeout 30 wrk -t1 -c"$conns" -d1s "https://127.0.0.1:$port/$f.bin" >/dev/null || die "wrk warm-up"
done
for ((r = 0; r < rounds; r++)); do
	for f in "${files[@]}"; do
		order=(untraced traced floor)
		order=("${order[@]:r%3}" "${order[@]:0:r%3}")
		for mode in "${order[@]}"; do
			if [ "$mode" = floor ]; then
				# shellcheck disable=SC2086 # "-u PATH:OFFSET" words
				null_start -s $sites
				run_wrk "$f"
				null_stop
				rps[$f,$mode,$r]=$WRK_RPS
				printf '  round %d %-4s %-9s %10.0f req/s\n' "$r" "$f" "$mode" "$WRK_RPS"
				continue
			fi
			if [ "$mode" = untraced ]; then
				run_wrk "$f"
				rps[$f,$mode,$r]=$WRK_RPS
				printf '  round %d %-4s %-9s %10.0f req/s\n' "$r" "$f" "$mode" "$WRK_RPS"
				continue
			fi
			ts_start "nginx.$f.$r"
			c0=$(cpu_ticks "$TS_PID")
			run_wrk "$f"
			c1=$(cpu_ticks "$TS_PID")
			ts_stop
			rps[$f,$mode,$r]=$WRK_RPS
			cpu10k[$f,$r]=$(calc "($c1 - $c0) * 1000 / $CLK_TCK / ($WRK_REQS / 10000)")
			printf '  round %d %-4s %-9s %10.0f req/s  agent CPU %s ms per 10k req, %s records, lost %s\n' \
				"$r" "$f" "$mode" "$WRK_RPS" "${cpu10k[$f,$r]}" "$TL_data" "$ST_lost_calls"
			[ "$TL_data" -ge "$WRK_REQS" ] || [ "$ST_lost_calls" -gt 0 ] ||
				die "agent recorded $TL_data records for $WRK_REQS requests"
			lostpct[$f,$r]=$(calc "100 * $ST_lost_calls / ($ST_calls - $ST_calls_failed + 0.000001)")
		done
	done
done

for f in "${files[@]}"; do
	size="1 KiB" target=0.85
	[ "$f" = 64k ] && size="64 KiB" target=0.95
	u=() t=() ratio=() c=() lp=() fl=()
	for ((r = 0; r < rounds; r++)); do
		u+=("${rps[$f,untraced,$r]}")
		t+=("${rps[$f,traced,$r]}")
		ratio+=("$(calc "${rps[$f,traced,$r]} / ${rps[$f,untraced,$r]}")")
		fl+=("$(calc "${rps[$f,floor,$r]} / ${rps[$f,untraced,$r]}")")
		c+=("${cpu10k[$f,$r]}")
		lp+=("${lostpct[$f,$r]}")
	done
	m=$(median "${ratio[@]}")
	result nginx "req/s untraced, $size" "$(fmt 0 "$(median "${u[@]}")")" req/s - info
	result nginx "req/s traced, $size" "$(fmt 0 "$(median "${t[@]}")")" req/s - info
	result nginx "traced / untraced, $size" "$(fmt 3 "$m")" ratio ">= $target" "$(verdict "$m" '>=' "$target")"
	result nginx "empty hooks / untraced, $size (floor)" "$(fmt 3 "$(median "${fl[@]}")")" ratio - info
	result nginx "calls lost while traced, $size" "$(fmt 2 "$(median "${lp[@]}")")" % - info
	result tax "agent CPU per 10k requests, nginx $size" "$(fmt 0 "$(median "${c[@]}")")" ms - info
done
report_noise nginx
