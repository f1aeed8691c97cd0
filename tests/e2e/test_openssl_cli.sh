#!/bin/bash
# SPDX-License-Identifier: MIT
# openssl s_client <-> openssl s_server in echo mode (not -www): a known line each way, fed
# through fifos so that each side sends exactly when we say; both sides checked.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
printf 'hello from s_client, line one\n' >"$E2E_TMP/c2s"
printf 'pong from s_server: 0123456789\n' >"$E2E_TMP/s2c"
mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/cli.in"

ts_start --format json -o "$E2E_TMP/out.jsonl"

openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -quiet -naccept 1 \
	<"$E2E_TMP/srv.in" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
exec 3>"$E2E_TMP/srv.in" # opens once s_server's shell has opened the other end
wait_for 10 "s_server listening on $port" port_listening "$port"

openssl s_client -connect "127.0.0.1:$port" -quiet -no_ign_eof \
	<"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
exec 4>"$E2E_TMP/cli.in"
get_cport() { cport=$(client_port_of "$CPID" "$port"); [ -n "$cport" ]; }
wait_for 10 "s_client connected" get_cport
log "s_server pid $SPID port $port, s_client pid $CPID port $cport"

cat "$E2E_TMP/c2s" >&4
wait_for 10 "s_server to print the client's line" cmp -s "$E2E_TMP/srv.out" "$E2E_TMP/c2s"
cat "$E2E_TMP/s2c" >&3
wait_for 10 "s_client to print the server's line" cmp -s "$E2E_TMP/cli.out" "$E2E_TMP/s2c"
exec 4>&- # s_client (-no_ign_eof) closes at end of input; s_server (-naccept 1) then exits
wait_pid $CPID 10 || { cat "$E2E_TMP/cli.err"; fail "s_client exit status $?"; }
exec 3>&-
wait_pid $SPID 10 || { cat "$E2E_TMP/srv.err"; fail "s_server exit status $?"; }
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CPID --comm openssl --local 127.0.0.1:$cport --remote 127.0.0.1:$port --role client $who"
sv="--pid $SPID --comm openssl --local 127.0.0.1:$port --remote 127.0.0.1:$cport --role server $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/c2s" || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/s2c" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" || ok=0
$CHECK stats "$out" --lost-zero || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
