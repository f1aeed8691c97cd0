#!/bin/bash
# SPDX-License-Identifier: MIT
# The benchmark driver: runs bench/b_*.sh and prints one summary table at the end.
#
#   bench/run.sh [--smoke] BUILD_DIR [NAME...]     (root; NAME: percall nginx zeroloss memory
#                                                   startup syscall wire parse; default all, in
#                                                   that order)
#
# BUILD_DIR holds tlsscope and bench/ (the programs `make bench-bins` builds). Each benchmark
# runs in its own temp dir under a timeout. --smoke runs each one briefly (the whole set in
# well under a minute) only to prove it still works: it fails if a benchmark fails or produces
# no number, never because of a number. The table is also written to BUILD_DIR/bench/results.md
# (or results-smoke.md) and the raw rows to results.tsv.
set -u

smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--smoke] BUILD_DIR [NAME...]" >&2; exit 2; }
out=$(cd "$1" && pwd) || exit 2
shift
here=$(cd "$(dirname "$0")" && pwd)
all=(percall nginx zeroloss memory startup syscall wire parse)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

if [ "$(id -u)" != 0 ]; then
	echo "bench: SKIP: the benchmarks load BPF programs and need root"
	exit 0
fi
[ -x "$out/tlsscope" ] || { echo "bench: $out/tlsscope missing (run make)" >&2; exit 2; }
for p in sslloop syscall_loop connhold jsonl_tally tlsloop parse; do
	[ -x "$out/bench/$p" ] || { echo "bench: $out/bench/$p missing (make bench-bins)" >&2; exit 2; }
done
missing=
for tool in nginx wrk openssl ss timeout mkfifo getconf; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -z "$missing" ] || { echo "bench: missing tools:$missing (make deps installs them)" >&2; exit 1; }

if [ $smoke = 1 ]; then
	limit=${BENCH_TIMEOUT:-60}
	tag=-smoke
else
	limit=${BENCH_TIMEOUT:-1800}
	tag=
fi
results=$out/bench/results$tag.tsv
: >"$results"
child=
on_signal() {
	# timeout runs each benchmark in its own process group: pass the signal on, let its traps
	# stop what it started, then leave.
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
	exit 130
}
trap on_signal INT TERM

failed=() start_all=$(date +%s)
echo "bench: $([ $smoke = 1 ] && echo smoke run || echo full run) of: ${names[*]}"
echo "bench: $(nproc) CPUs, $(uname -r), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${names[@]}"; do
	script=$here/b_$n.sh
	[ -f "$script" ] || { echo "bench: no benchmark $n" >&2; exit 2; }
	dir=$(mktemp -d "/tmp/tlsscope-bench.$n.XXXXXX")
	rows_before=$(wc -l <"$results")
	t0=$(date +%s)
	echo "===== $n"
	TLSSCOPE=$out/tlsscope BENCH_BIN=$out/bench BENCH_TMP=$dir BENCH_SMOKE=$smoke \
		BENCH_RESULTS=$results BENCH_DIR=$here timeout -k 15 "$limit" bash "$script" </dev/null &
	child=$!
	wait "$child"
	st=$?
	child=
	rows=$(($(wc -l <"$results") - rows_before))
	if [ $st != 0 ] || [ $rows -eq 0 ]; then
		[ $st = 124 ] && echo "bench: $n timed out after ${limit}s"
		echo "bench: $n FAILED (status $st, $rows numbers; files kept in $dir)"
		failed+=("$n")
	else
		echo "bench: $n done in $(($(date +%s) - t0))s"
		[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"
	fi
done

table() {
	echo "| Benchmark | Metric | Result | Target | |"
	echo "|---|---|---:|---|---|"
	awk -F'\t' '{ t = $5 == "-" ? "" : $5 " " $4; s = $6 == "info" ? "" : $6;
		printf "| %s | %s | %s %s | %s | %s |\n", $1, $2, $3, $4, t, s }' "$results"
}
echo "bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
table >"$out/bench/results$tag.md"
echo
echo "===== summary ($([ $smoke = 1 ] && echo 'SMOKE: short runs, numbers not meaningful' ||
	echo "full run"), $(date -u +'%Y-%m-%d %H:%M UTC'), took $(($(date +%s) - start_all))s)"
awk -F'\t' 'BEGIN { printf "%-9s %-54s %12s %-7s %-10s %s\n", "BENCH", "METRIC", "RESULT", "UNIT", "TARGET", "" }
	{ printf "%-9s %-54s %12s %-7s %-10s %s\n", $1, $2, $3, $4, $5, $6 == "info" ? "" : $6 }' "$results"
echo "(table in $out/bench/results$tag.md)"
# one closing line in the form CI and people read: benchmarks that ran and gave numbers
echo "bench: $((${#names[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: FAILED: ${failed[*]}"
	exit 1
fi
