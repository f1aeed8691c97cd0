#!/bin/bash
# SPDX-License-Identifier: MIT
# gnutls-cli <-> openssl s_server in echo mode: a known line each way, fed through fifos so
# that each side sends exactly when we say. The client's records come from the GnuTLS adapter
# (lib "gnutls"), one per write: gnutls_record_send nests gnutls_record_send2, and only send2
# is probed. The server's come from OpenSSL.
. "$(dirname "$0")/lib.sh"
require_root
command -v gnutls-cli >/dev/null || fail "gnutls-cli not installed (Debian: gnutls-bin)"

make_cert
port=$(free_port)
printf 'hello from gnutls-cli, line one\n' >"$E2E_TMP/c2s"
printf 'pong from s_server: 0123456789\n' >"$E2E_TMP/s2c"
mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/cli.in"

ts_start --format json -o "$E2E_TMP/out.jsonl"

openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -quiet -naccept 1 \
	<"$E2E_TMP/srv.in" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
exec 3>"$E2E_TMP/srv.in"
wait_for 10 "s_server listening on $port" port_listening "$port"

gnutls-cli --insecure --logfile="$E2E_TMP/cli.log" -p "$port" 127.0.0.1 \
	<"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
exec 4>"$E2E_TMP/cli.in"
get_cport() { cport=$(client_port_of "$CPID" "$port"); [ -n "$cport" ]; }
wait_for 10 "gnutls-cli connected" get_cport
log "s_server pid $SPID port $port, gnutls-cli pid $CPID port $cport"

cat "$E2E_TMP/c2s" >&4 # gnutls-cli reads its input once the handshake is done
wait_for 10 "s_server to print the client's line" cmp -s "$E2E_TMP/srv.out" "$E2E_TMP/c2s"
cat "$E2E_TMP/s2c" >&3
wait_for 10 "gnutls-cli to print the server's line" grep -qxF -f "$E2E_TMP/s2c" "$E2E_TMP/cli.out"
exec 4>&- # gnutls-cli says bye at the end of its input; s_server (-naccept 1) then exits
wait_pid $CPID 10 || { cat "$E2E_TMP/cli.err"; fail "gnutls-cli exit status $?"; }
exec 3>&-
wait_pid $SPID 10 || { cat "$E2E_TMP/srv.err"; fail "s_server exit status $?"; }
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CPID --comm gnutls-cli --local 127.0.0.1:$cport --remote 127.0.0.1:$port --role client --lib gnutls $who"
sv="--pid $SPID --comm openssl --local 127.0.0.1:$port --remote 127.0.0.1:$cport --role server $who"
ok=1
# --single: one write, one record (no second one from the nested send2)
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" --single \
	--want-attribution syscall || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" --single \
	--want-attribution syscall || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/c2s" || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/s2c" || ok=0
$CHECK stats "$out" --lost-zero --eq nested_calls=0 || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
