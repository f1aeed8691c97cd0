# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # sets variables for the scripts that source it
# Shared helpers for the benchmarks. Sourced by every bench/b_*.sh; bench/run.sh gives each:
#
#   TLSSCOPE       absolute path of the agent
#   BENCH_BIN      directory of the benchmark programs (build/bench)
#   BENCH_TMP      a fresh temp directory (also the working directory)
#   BENCH_SMOKE    1: run briefly, only to prove the benchmark works; 0: the real measurement
#   BENCH_RESULTS  file the summary rows are appended to (see result())
#
# Everything a benchmark starts is recorded by pid and ended by pid in the EXIT trap; nothing is
# ever killed by name. Every wait is bounded.

set -u

BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
: "${TLSSCOPE:?TLSSCOPE must name the agent binary}"
: "${BENCH_BIN:?BENCH_BIN must name the directory of the benchmark programs}"
BENCH_SMOKE=${BENCH_SMOKE:-0}
if [ -z "${BENCH_TMP:-}" ]; then
	BENCH_TMP=$(mktemp -d /tmp/tlsscope-bench.XXXXXX)
fi
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_TMP/results.tsv}
cd "$BENCH_TMP" || exit 1

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

BG_PIDS=()   # background helpers to end at exit (by pid)
TS_PID=      # the running agent, if any
TALLY_PID=   # its output reader
NGINX_PID=   # the nginx master, if any
BPF_STATS_WAS= # kernel.bpf_stats_enabled before bpf_stats_on, restored at exit
NULL_PID=    # a running null_hook, if any

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

die() {
	echo "BENCH FAILED: $*" >&2
	exit 1
}

# wait_pid PID SECS: wait (bounded) for our child PID to end; returns its status, or 124 after
# killing it when it did not end in time.
wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

bench_cleanup() {
	local st=$? p
	trap - EXIT INT TERM
	if [ -n "$TS_PID" ] && kill -0 "$TS_PID" 2>/dev/null; then
		kill -INT "$TS_PID" 2>/dev/null
		wait_pid "$TS_PID" 10 >/dev/null 2>&1
	fi
	if [ -n "$TALLY_PID" ]; then
		wait_pid "$TALLY_PID" 5 >/dev/null 2>&1
	fi
	if [ -n "$NULL_PID" ] && kill -0 "$NULL_PID" 2>/dev/null; then
		kill -INT "$NULL_PID" 2>/dev/null
		wait_pid "$NULL_PID" 10 >/dev/null 2>&1
	fi
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -TERM "$NGINX_PID" 2>/dev/null # the master ends its workers
		wait_pid "$NGINX_PID" 10 >/dev/null 2>&1
	fi
	bpf_stats_off
	for p in "${BG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait_pid "$p" 5 >/dev/null 2>&1
	done
	exit "$st"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || die "the benchmarks load BPF programs and need root"

# ---------------------------------------------------------------------------------------------
# numbers

# median of the arguments (numbers); "nan" if none
median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
		      else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# calc EXPR: floating-point arithmetic with awk, e.g. calc "($a - $b) / 2"
calc() { awk "BEGIN { printf \"%.6g\n\", $1 }"; }

# fmt DECIMALS NUMBER
fmt() { awk -v d="$1" -v x="$2" 'BEGIN { printf "%.*f\n", d, x }'; }

# kv KEY LINE: the value of KEY in a "k=v k=v" line
kv() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { n = index($i, "="); if (substr($i, 1, n - 1) == k) { print substr($i, n + 1); exit } } }' <<<"$2"; }

# is_num VALUE: a finite number
is_num() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# result BENCH METRIC VALUE UNIT TARGET STATUS: one row of the summary table. STATUS is
# "met", "MISSED" or "info"; TARGET "-" when there is none. VALUE must be a number.
result() {
	is_num "$3" || die "$1 / $2: no number (got '$3')"
	# A smoke run proves the benchmark works; its short runs say nothing about a timing target
	# (an exact-count target, "== N", still holds).
	[ "$BENCH_SMOKE" = 1 ] && [ "$6" != info ] && [ "${5#==}" = "$5" ] && set -- "$1" "$2" "$3" "$4" "$5" "(smoke)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$BENCH_RESULTS"
	printf 'RESULT  %-10s %-44s %12s %-10s target %-10s %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

# verdict VALUE OP LIMIT: "met" if VALUE OP LIMIT (OP is <= or >=), else "MISSED"
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = op == "<=" ? v <= l : v >= l; print ok ? "met" : "MISSED" }'; }

# ---------------------------------------------------------------------------------------------
# processes

# cpu_ticks PID: utime + stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# status_kb PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM, RssAnon, ...)
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_listening() { ss -Htln "sport = :$1" | grep -q .; }

# ---------------------------------------------------------------------------------------------
# other tracers: on a shared machine another tlsscope (someone's test run) would trace our
# "bare" baseline too. Measurements wait for it to end and are repeated if one appeared.

# pids of running tlsscope processes other than ours
foreign_agents() {
	awk -v me="${TS_PID:-}" 'FNR == 1 && $0 == "tlsscope" { split(FILENAME, a, "/");
		if (a[3] != me) print a[3] }' /proc/[0-9]*/comm 2>/dev/null
}

# quiet_wait: wait (at most 300 s; not in smoke runs) until no other tlsscope runs
quiet_wait() {
	local i
	[ "$BENCH_SMOKE" = 1 ] && return 0
	for ((i = 0; i < 600; i++)); do
		[ -z "$(foreign_agents)" ] && return 0
		[ $i = 0 ] && log "another tlsscope is running ($(foreign_agents | tr '\n' ' ')): waiting"
		sleep 0.5
	done
	log "another tlsscope still runs after 300s: measuring anyway"
	NOISY=1
}

# measure CMD...: run CMD (a measurement) with its stdout in MEASURE_OUT; when another tlsscope
# ran before or after it, run it again (at most 3 times). Returns CMD's status.
NOISY=0
measure() {
	local try
	for try in 1 2 3; do
		quiet_wait
		MEASURE_OUT=$("$@") || return 1
		[ "$BENCH_SMOKE" = 1 ] || [ -z "$(foreign_agents)" ] && return 0
		log "another tlsscope ran during the measurement: measuring again"
	done
	NOISY=1
	return 0
}

# ---------------------------------------------------------------------------------------------
# the agent

# ts_start NAME [AGENT_ARGS...]: start tlsscope --format json with its output piped into
# jsonl_tally (a fast reader that counts data records and keeps the stats records); returns once
# every probe is attached. Set TALLY_FOR_PID to count records from other pids as foreign.
# Sets TS_PID, TS_DIR, TS_READY_MS (launch to ready file, from this shell's view).
ts_start() {
	local name=$1 i t0
	shift
	TS_DIR=$BENCH_TMP/ts.$name
	rm -rf "$TS_DIR"
	mkdir -p "$TS_DIR"
	mkfifo "$TS_DIR/fifo"
	"$BENCH_BIN/jsonl_tally" ${TALLY_FOR_PID:+-p "$TALLY_FOR_PID"} "$TS_DIR/other.jsonl" \
		"$TS_DIR/summary" <"$TS_DIR/fifo" &
	TALLY_PID=$!
	t0=$(date +%s%N)
	"$TLSSCOPE" --format json --ready-file "$TS_DIR/ready" "$@" >"$TS_DIR/fifo" 2>"$TS_DIR/err" &
	TS_PID=$!
	for ((i = 0; i < 3000; i++)); do # 30 s
		if [ -e "$TS_DIR/ready" ]; then
			TS_READY_MS=$((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		if ! kill -0 "$TS_PID" 2>/dev/null; then
			wait "$TS_PID"
			local st=$?
			TS_PID=
			cat "$TS_DIR/err" >&2
			die "tlsscope exited with status $st before it was ready"
		fi
		sleep 0.01
	done
	cat "$TS_DIR/err" >&2
	die "tlsscope not ready after 30s"
}

# ts_stop: SIGINT, wait (bounded), require exit status 0, then read the final stats record into
# ST_* variables (ST_calls, ST_calls_failed, ST_events, ST_bytes, ST_lost_<key>, ST_lost_calls,
# ST_probes_attached) and the reader's counts into TL_* (TL_data, TL_len, TL_truncated_lost,
# TL_foreign).
ts_stop() {
	local st
	[ -n "$TS_PID" ] || die "ts_stop: agent not running"
	sleep 0.2 # the reader polls every 10 ms: let the last records reach it
	kill -INT "$TS_PID" 2>/dev/null
	wait_pid "$TS_PID" 30
	st=$?
	TS_PID=
	wait_pid "$TALLY_PID" 30 || die "jsonl_tally failed"
	TALLY_PID=
	if [ "$st" != 0 ]; then
		cat "$TS_DIR/err" >&2
		die "tlsscope exited with status $st after SIGINT"
	fi
	eval "$($PY "$BENCH_DIR/stats.py" "$TS_DIR/other.jsonl")" || die "no stats record from tlsscope"
	eval "$(sed 's/\([a-z_]*\)=/TL_\1=/g' "$TS_DIR/summary")"
}

# bpf_stats_on / bpf_stats_off: the kernel's per-program run time accounting (a global sysctl
# that adds two clock reads per program run; bench/bpfstats.py reads it). Off again at exit.
bpf_stats_on() {
	BPF_STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled) || return 1
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
}
bpf_stats_off() {
	[ -n "$BPF_STATS_WAS" ] || return 0
	echo "$BPF_STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
	BPF_STATS_WAS=
}

# null_start ARGS...: build/bench/null_hook (empty BPF programs at tlsscope's hook points: the
# platform's floor) with ARGS (-s, -u FILE:OFFSET ...); returns once attached.
null_start() {
	local i
	rm -f "$BENCH_TMP/null.ready"
	"$BENCH_BIN/null_hook" -b "$BENCH_BIN/null_hook.bpf.o" -f "$BENCH_TMP/null.ready" -d 900 "$@" \
		2>"$BENCH_TMP/null.err" &
	NULL_PID=$!
	for ((i = 0; i < 2000; i++)); do # 20 s
		[ -e "$BENCH_TMP/null.ready" ] && return 0
		kill -0 "$NULL_PID" 2>/dev/null || { cat "$BENCH_TMP/null.err" >&2; die "null_hook failed"; }
		sleep 0.01
	done
	die "null_hook not ready after 20s"
}

# sites_of [AGENT_ARGS...]: the probe sites tlsscope (with ARGS) attaches to, as null_hook
# arguments "-u PATH:OFFSET ...", learned from a short session of its own
sites_of() {
	local s
	ts_start sites "$@"
	ts_stop
	s=$($PY "$BENCH_DIR/stats.py" --sites "$TS_DIR/other.jsonl")
	[ -n "$s" ] || die "tlsscope $* reported no probe sites"
	sed 's/^/-u /' <<<"$s" | tr '\n' ' '
}

null_stop() {
	kill -INT "$NULL_PID" 2>/dev/null
	wait_pid "$NULL_PID" 20 || die "null_hook exited with status $?"
	NULL_PID=
}

# ---------------------------------------------------------------------------------------------
# TLS material and nginx

# make_cert: a self-signed P-256 certificate for 127.0.0.1 in $BENCH_TMP (sets CERT and KEY)
make_cert() {
	CERT=$BENCH_TMP/cert.pem
	KEY=$BENCH_TMP/key.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" \
		-out "$CERT" -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
		>"$BENCH_TMP/openssl-req.log" 2>&1 || { cat "$BENCH_TMP/openssl-req.log"; die "openssl req"; }
}

# nginx_start PORT WORKER_CONNECTIONS: nginx on 127.0.0.1:PORT, HTTPS, HTTP/1.1 keep-alive,
# one worker, access log off, serving $BENCH_TMP/nginx/www. Needs make_cert. Sets NGINX_PID
# (master) and NGINX_WORKER.
nginx_start() {
	local port=$1 wconns=$2 d=$BENCH_TMP/nginx i
	mkdir -p "$d/www" "$d/logs" "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $((wconns * 2 + 1024));
user root;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections $wconns; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	keepalive_timeout 600s;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$port ssl backlog=4096;
		ssl_certificate $CERT;
		ssl_certificate_key $KEY;
		root $d/www;
	}
}
EOF
	nginx -p "$d" -c "$d/nginx.conf" >"$d/logs/stdout" 2>&1 &
	NGINX_PID=$!
	NGINX_WORKER=
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "$NGINX_PID" 2>/dev/null; then
			cat "$d/logs/stdout" "$d/logs/error.log" 2>/dev/null
			NGINX_PID=
			die "nginx exited at start"
		fi
		if port_listening "$port"; then
			NGINX_WORKER=$(cat /proc/"$NGINX_PID"/task/*/children 2>/dev/null | awk '{ print $1 }')
			[ -n "$NGINX_WORKER" ] && break
		fi
		sleep 0.05
	done
	[ -n "$NGINX_WORKER" ] || die "nginx not listening on $port after 10s"
	log "nginx master $NGINX_PID worker $NGINX_WORKER on 127.0.0.1:$port"
}

nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	kill -TERM "$NGINX_PID" 2>/dev/null
	wait_pid "$NGINX_PID" 10
	NGINX_PID=
}

# report_noise BENCH: a summary row when some measurement overlapped another tlsscope
report_noise() {
	[ "$NOISY" = 1 ] || return 0
	result "$1" "WARNING: another tlsscope ran during measuring" 1 flag - info
}
