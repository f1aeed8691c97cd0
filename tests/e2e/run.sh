#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end tests: real TLS servers and clients on loopback, traced by the real agent.
#
#   tests/e2e/run.sh BINARY [NAME...]     (root; NAME selects tests, e.g. test_curl_nginx)
#
# Runs every tests/e2e/test_*.sh in its own temp dir (env TLSSCOPE, E2E_TMP, E2E_DIR), each
# under a timeout, prints PASS/FAIL/SKIP per test and the failing tests' logs, and ends with
# "e2e: N passed, M failed". Exit status 0 only if none failed.
set -u

usage() { echo "usage: $0 BINARY [TEST_NAME...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
bin=$1
shift
[ -x "$bin" ] || { echo "e2e: $bin is not an executable (run make first)" >&2; exit 2; }
case $bin in /*) ;; *) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac

if [ "$(id -u)" != 0 ]; then
	echo "e2e: SKIP: the end-to-end tests load BPF programs and need root (run: sudo $0 $bin)"
	echo "e2e: 0 passed, 0 failed"
	exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
per_test_timeout=${E2E_TIMEOUT:-120}
keep=${E2E_KEEP:-0} # 1: keep every temp dir (failed tests' dirs are always kept)

missing=
for tool in nginx curl openssl ss bpftool timeout stat; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null || missing="$missing python3"
if [ -n "$missing" ]; then
	echo "e2e: missing tools:$missing (make deps installs them)" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi

tests=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n%.sh}
		[ -f "$here/$n.sh" ] || { echo "e2e: no test $n" >&2; exit 2; }
		tests+=("$here/$n.sh")
	done
else
	tests=("$here"/test_*.sh)
fi

passed=0 failed=0 skipped=0 failures=()
start_all=$(date +%s)
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	dir=$(mktemp -d "/tmp/tlsscope-e2e.$name.XXXXXX")
	t0=$(date +%s%N)
	# timeout puts the test in its own process group and signals all of it on expiry: the
	# agent gets SIGTERM (it detaches cleanly), the test's EXIT trap ends the rest.
	(cd "$dir" && TLSSCOPE=$bin E2E_TMP=$dir E2E_DIR=$here \
		timeout -k 10 "$per_test_timeout" bash "$t") >"$dir/test.log" 2>&1 </dev/null
	st=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	if [ $st = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %s (%ss)\n' "$name" "$secs"
		[ "$keep" = 1 ] || rm -rf "$dir"
	elif [ $st = 77 ]; then
		skipped=$((skipped + 1))
		printf 'SKIP %s: %s\n' "$name" "$(grep -m1 SKIP "$dir/test.log")"
		[ "$keep" = 1 ] || rm -rf "$dir"
	else
		failed=$((failed + 1))
		failures+=("$name")
		[ $st = 124 ] && echo "TIMEOUT after ${per_test_timeout}s" >>"$dir/test.log"
		printf 'FAIL %s (%ss, status %s, files in %s)\n' "$name" "$secs" "$st" "$dir"
		echo "----- $name log:"
		sed 's/^/  | /' "$dir/test.log"
		echo "-----"
	fi
done
summary="e2e: took $(($(date +%s) - start_all))s"
[ $skipped = 0 ] || summary="$summary, $skipped skipped"
[ $failed = 0 ] || summary="$summary, failed: ${failures[*]}"
echo "$summary"
echo "e2e: $passed passed, $failed failed"
[ $failed = 0 ]
