#!/bin/bash
# SPDX-License-Identifier: MIT
# A 1 MiB response written by ONE SSL_write_ex (python3 server, one ssl write() call):
#  - with --max-capture 2097152 the server's record is whole: len == captured == 1048576, data
#    is the body byte for byte, and nothing is lost;
#  - with the default limit the record says len 1048576, captured 16384, truncated max_capture,
#    its data is the first 16384 bytes, and stats count the truncation.
# The client reads the body with many SSL_read_ex calls (at most 16 KiB each): whole in both.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
printf 'GET /1MiB\n' >"$E2E_TMP/req"
# 1048576 known bytes, every byte value, no period that a shifted copy could match
$PY -c '
import hashlib, sys
out = bytearray()
i = 0
while len(out) < 1048576:
    out += hashlib.sha256(b"%d" % i).digest()
    i += 1
sys.stdout.buffer.write(bytes(out[:1048576]))' >"$E2E_TMP/body"
[ "$(stat -c %s "$E2E_TMP/body")" = 1048576 ] || fail "body is not 1 MiB"

run_case() { # NAME AGENT_ARGS...
	local name=$1
	shift
	ts_start --format json -o "$E2E_TMP/$name.jsonl" "$@"
	start_peer_server "$name-srv" "$E2E_TMP/req" "$E2E_TMP/body"
	start_peer_client "$name-cli" "$SRV_PORT" "$E2E_TMP/req" "$E2E_TMP/body"
	wait_ok "$CLI_PID" "$name-cli"
	wait_ok "$SRV_PID" "$name-srv"
	ts_stop
	who=$(who_args)
	sv="--pid $SRV_PID --comm python3 --local 127.0.0.1:$SRV_PORT --remote 127.0.0.1:$CLI_PORT --role server $who"
	cl="--pid $CLI_PID --comm python3 --local 127.0.0.1:$CLI_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
}

ok=1
# 1. a limit above the call: the whole megabyte
run_case full --max-capture 2097152
out=$E2E_TMP/full.jsonl
$CHECK stream "$out" $sv --dir egress --single --len 1048576 --captured 1048576 \
	--expect-file "$E2E_TMP/body" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/body" || ok=0
$CHECK stream "$out" $cl --dir egress --single --expect-file "$E2E_TMP/req" || ok=0
$CHECK stats "$out" --lost-zero || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "--max-capture 2097152: records do not match"; }

# 2. the default limit (16384): the call is cut, and says so
run_case default
out=$E2E_TMP/default.jsonl
$CHECK stream "$out" $sv --dir egress --single --len 1048576 --captured 16384 --truncated max_capture \
	--expect-file "$E2E_TMP/body" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/body" || ok=0
$CHECK stats "$out" --ge lost.capture_truncated=1 --ge lost.capture_truncated_bytes=$((1048576 - 16384)) \
	--lost-zero --allow-lost capture_truncated --allow-lost capture_truncated_bytes || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "default --max-capture: records do not match"; }
echo "PASS"
