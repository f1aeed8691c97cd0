#!/bin/bash
# SPDX-License-Identifier: MIT
# `tlsscope --read` on the reference captures in tests/offline/captures/ (real handshakes of
# Debian's tools on loopback, made by make-captures.sh), each checked against tshark's reading
# of the same file and an independent JA4 (check_read.py). Needs no root.
# Last line: `offline: N passed, M failed`.
set -u
bin=${1:?usage: run.sh TLSSCOPE}
here=$(cd "$(dirname "$0")" && pwd)
command -v tshark >/dev/null || { echo "offline: tshark missing (make deps)"; echo "offline: 0 passed, 1 failed"; exit 1; }
passed=0
failed=0
for cap in "$here"/captures/*.pcap*; do
	if python3 "$here/check_read.py" "$bin" "$cap"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
# a file that is not a capture: a clear error and exit status 1, nothing on stdout
if out=$("$bin" --read "$here/check_read.py" 2>"${TMPDIR:-/tmp}/offline.err") || [ -n "$out" ] ||
	! grep -q 'check_read.py' "${TMPDIR:-/tmp}/offline.err"; then
	echo "offline: --read on a non-capture did not fail clearly"
	failed=$((failed + 1))
else
	echo "offline: --read on a non-capture: $(cat "${TMPDIR:-/tmp}/offline.err")"
	passed=$((passed + 1))
fi
echo "offline: $passed passed, $failed failed"
[ $failed = 0 ]
