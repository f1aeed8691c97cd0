#!/bin/bash
# SPDX-License-Identifier: MIT
# BoringSSL's own tool at both ends: `bssl-tool server` and `bssl-tool client` (Debian's
# android-boringssl, on android/libssl.so.0), a known line each way through fifos. Both ends'
# records are lib "boringssl", exact, one per write, on the exact 5-tuple.
. "$(dirname "$0")/lib.sh"
require_root
command -v bssl-tool >/dev/null || fail "bssl-tool not installed (Debian: android-boringssl)"

make_cert
cat "$KEY" "$CERT" >"$E2E_TMP/keycert.pem"
port=$(free_port)
printf 'hello from the bssl client\n' >"$E2E_TMP/c2s"
printf 'pong from the bssl server: 0123456789\n' >"$E2E_TMP/s2c"
mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/cli.in"

ts_start --format json -o "$E2E_TMP/out.jsonl"

bssl-tool server -accept "$port" -key "$E2E_TMP/keycert.pem" \
	<"$E2E_TMP/srv.in" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
exec 3>"$E2E_TMP/srv.in"
wait_for 10 "bssl server listening on $port" port_listening "$port"

bssl-tool client -connect "127.0.0.1:$port" <"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" \
	2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
exec 4>"$E2E_TMP/cli.in"
get_cport() { cport=$(client_port_of "$CPID" "$port"); [ -n "$cport" ]; }
wait_for 10 "bssl client connected" get_cport
log "server pid $SPID port $port, client pid $CPID port $cport"

cat "$E2E_TMP/c2s" >&4
wait_for 10 "the server to print the client's line" grep -qxF -f "$E2E_TMP/c2s" "$E2E_TMP/srv.out"
cat "$E2E_TMP/s2c" >&3
wait_for 10 "the client to print the server's line" grep -qxF -f "$E2E_TMP/s2c" "$E2E_TMP/cli.out"
exec 4>&- 3>&-
for p in $CPID $SPID; do # either may wait for the other to close: end both
	child_alive $p && kill -TERM $p
	wait $p 2>/dev/null
done
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CPID --comm bssl-tool --local 127.0.0.1:$cport --remote 127.0.0.1:$port --role client --lib boringssl $who"
sv="--pid $SPID --comm bssl-tool --local 127.0.0.1:$port --remote 127.0.0.1:$cport --role server --lib boringssl $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" --single || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" --single || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/c2s" --single || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/s2c" --single || ok=0
$CHECK stats "$out" --lost-zero --eq nested_calls=0 || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
