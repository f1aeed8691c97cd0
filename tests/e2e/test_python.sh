#!/bin/bash
# SPDX-License-Identifier: MIT
# python3 client and python3 server (ssl module: SSL_write_ex/SSL_read_ex): the exact message
# each way, seen on both sides, with the exact 5-tuple and roles; then a reply read in small
# pieces, mostly out of OpenSSL's buffer (attribution "cached").
. "$(dirname "$0")/lib.sh"
require_root

make_cert
printf 'hello from the python client \x00\x01\x02\xfe\xff\r\n' >"$E2E_TMP/msg"
printf 'reply from the python server: %s\n' "$(seq -s, 1 200)" >"$E2E_TMP/reply"

ts_start --format json -o "$E2E_TMP/out.jsonl"
start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply"
start_peer_client cli "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply"
wait_ok "$CLI_PID" cli
wait_ok "$SRV_PID" srv
ts_stop

out=$E2E_TMP/out.jsonl
check_exchange "$out" "127.0.0.1:$CLI_PORT" "127.0.0.1:$SRV_PORT" ||
	{ show_output "$out"; fail "records do not match"; }
ok=1

# a 40000-byte reply (three TLS records) read 1000 bytes at a time: most SSL_read_ex calls
# are served from OpenSSL's buffer without a syscall, so their fd is the one remembered for
# the session (attribution "cached"); the records are still exact
$PY -c 'import sys; sys.stdout.write("".join("%05d reply pc.\n" % i for i in range(2500)))' >"$E2E_TMP/reply2"
[ "$(stat -c %s "$E2E_TMP/reply2")" = 40000 ] || fail "reply2 is not 40000 bytes"
ts_start --format json -o "$E2E_TMP/out2.jsonl" --max-capture 65536
start_peer_server srv2 "$E2E_TMP/msg" "$E2E_TMP/reply2"
PEER_CLIENT_ARGS="--read-size 1000" start_peer_client cli2 "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply2"
wait_ok "$CLI_PID" cli2
wait_ok "$SRV_PID" srv2
ts_stop
out=$E2E_TMP/out2.jsonl
who=$(who_args)
cl="--pid $CLI_PID --comm python3 --local 127.0.0.1:$CLI_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
sv="--pid $SRV_PID --comm python3 --local 127.0.0.1:$SRV_PORT --remote 127.0.0.1:$CLI_PORT --role server $who"
$CHECK stream "$out" $sv --dir egress --single --expect-file "$E2E_TMP/reply2" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/reply2" --want-attribution cached || ok=0
n=$($CHECK count "$out" --pid "$CLI_PID" --dir ingress)
# SSL_read never crosses a TLS record: 16384 = 16 * 1000 + 384, so 42 reads, at least 40
[ "$n" -ge 40 ] || { ok=0; echo "FAIL: $n ingress records for 40000 bytes read 1000 at a time"; }
$CHECK stats "$out" --lost-zero || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "small reads: records do not match"; }
echo "PASS"
