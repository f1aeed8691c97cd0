#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target in DIR for SECONDS on its committed seeds (fuzz/corpus/TARGET/,
# read only) plus what earlier runs found (DIR/corpus/TARGET/, where new inputs go).
# Crash inputs land in DIR/artifacts/. Logs in DIR/TARGET.log.
# Last line: `fuzz: N passed, M failed`. Exit status 1 if any target failed.
set -uo pipefail

dir=${1:?usage: smoke.sh DIR SECONDS TARGET...}
secs=${2:?usage: smoke.sh DIR SECONDS TARGET...}
shift 2
here=$(cd "$(dirname "$0")" && pwd)

passed=0
failed=0
mkdir -p "$dir/artifacts"
for t in "$@"; do
	seeds=$here/corpus/$t
	mkdir -p "$dir/corpus/$t"
	if [[ ! -d $seeds ]]; then
		echo "$t: no seed corpus at $seeds"
		failed=$((failed + 1))
		continue
	fi
	"$dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -use_value_profile=1 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" \
		"$dir/corpus/$t" "$seeds" >"$dir/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log" | tail -n1)
	if [[ $rc -eq 0 ]]; then
		printf '  %-20s %s runs in %ss, corpus %s files\n' "$t:" "${runs:-?}" "$secs" \
			"$(find "$dir/corpus/$t" "$seeds" -type f | wc -l)"
		passed=$((passed + 1))
	else
		echo "$t: FAILED (exit status $rc), log $dir/$t.log"
		# The finding, its first stack frames and where the input was saved.
		awk '/==ERROR|runtime error|deadly signal|out-of-memory|ALARM/ { on = 1 }
		     on && /^ *#[0-9]+ / {
			     if (n++ < 4) { sub(/ \(BuildId: [0-9a-f]+\)/, ""); print }
			     next
		     }
		     on { n = 0 }
		     on && /^SUMMARY/ { print; on = 0; next }
		     on && NF { print }' "$dir/$t.log" | head -n 40
		grep -E 'Test unit written to' "$dir/$t.log"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
