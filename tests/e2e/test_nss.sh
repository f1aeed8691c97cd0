#!/bin/bash
# SPDX-License-Identifier: MIT
# NSS's tstclnt <-> openssl s_server: a known line each way, fed through fifos so that each
# side sends exactly when we say. The client's records come from the NSS adapter (lib "nss"):
# the TLS layer's own read/write/recv/send methods in libssl3.so, found through its I/O
# method table. tstclnt also writes what it receives to stdout with PR_Write: that is no TLS
# and must be no record, so the client has exactly one record each way.
. "$(dirname "$0")/lib.sh"
require_root
command -v tstclnt >/dev/null || fail "tstclnt not installed (Debian: libnss3-tools)"

make_cert
port=$(free_port)
printf 'hello from tstclnt, line one\n' >"$E2E_TMP/c2s"
printf 'pong from s_server: 0123456789\n' >"$E2E_TMP/s2c"
mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/cli.in"

ts_start --format json -o "$E2E_TMP/out.jsonl"

openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -quiet -naccept 1 \
	<"$E2E_TMP/srv.in" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
exec 3>"$E2E_TMP/srv.in"
wait_for 10 "s_server listening on $port" port_listening "$port"

# -D: no certificate database; -o: accept the test's self-signed certificate
tstclnt -D -o -h 127.0.0.1 -p "$port" <"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
exec 4>"$E2E_TMP/cli.in"
get_cport() { cport=$(client_port_of "$CPID" "$port"); [ -n "$cport" ]; }
wait_for 10 "tstclnt connected" get_cport
log "s_server pid $SPID port $port, tstclnt pid $CPID port $cport"

cat "$E2E_TMP/c2s" >&4
wait_for 10 "s_server to print the client's line" cmp -s "$E2E_TMP/srv.out" "$E2E_TMP/c2s"
cat "$E2E_TMP/s2c" >&3
wait_for 10 "tstclnt to print the server's line" grep -qxF -f "$E2E_TMP/s2c" "$E2E_TMP/cli.out"
# Neither side closes at the end of its input (tstclnt waits for the server): end tstclnt,
# then s_server (-naccept 1) sees the close and exits.
exec 4>&- 3>&-
child_alive $CPID && kill -TERM $CPID
wait $CPID 2>/dev/null
wait_pid $SPID 10 || { cat "$E2E_TMP/srv.err"; fail "s_server exit status $?"; }
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CPID --comm tstclnt --local 127.0.0.1:$cport --remote 127.0.0.1:$port --role client --lib nss $who"
sv="--pid $SPID --comm openssl --local 127.0.0.1:$port --remote 127.0.0.1:$cport --role server $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" --single \
	--want-attribution syscall || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" --single \
	--want-attribution syscall || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/c2s" || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/s2c" || ok=0
$CHECK stats "$out" --lost-zero --eq nested_calls=0 || ok=0
# Its stdout writes (PR_Write, the same NSPR call) are not TLS: two records in all.
n=$(grep -c "\"type\":\"data\",[^}]*\"pid\":$CPID," "$out")
[ "$n" = 2 ] || { echo "tstclnt has $n data records, want 2"; ok=0; }
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
