#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every unit test binary in DIR and sums their `NAME: N passed, M failed` lines.
# A binary that dies, exits non-zero without reporting a failure (a sanitizer finding at
# exit, say), or prints no summary counts as one more failed test.
# Last line: `unit: N passed, M failed`. Exit status 1 if anything failed.
set -uo pipefail

dir=${1:?usage: run-unit.sh DIR}
# Sanitizer findings fail the run; UBSan would otherwise print and carry on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

passed=0
failed=0
nbins=0
for bin in "$dir"/test_*; do
	[[ -f $bin && -x $bin ]] || continue
	nbins=$((nbins + 1))
	name=${bin##*/}
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v -E "^$name: [0-9]+ passed, [0-9]+ failed$" || true
	summary=$(printf '%s\n' "$out" | grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" | tail -n1)
	if [[ -z $summary ]]; then
		echo "$name: died before its summary (exit status $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/' <<<"$summary")
	f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/' <<<"$summary")
	echo "$summary"
	passed=$((passed + p))
	failed=$((failed + f))
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "$name: exit status $rc after reporting no failure"
		failed=$((failed + 1))
	fi
done

if [[ $nbins -eq 0 ]]; then
	echo "run-unit.sh: no test binaries in $dir" >&2
	failed=$((failed + 1))
fi
echo "unit: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
