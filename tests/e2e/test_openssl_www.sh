#!/bin/bash
# SPDX-License-Identifier: MIT
# openssl s_server -www answers through a BIO_f_ssl (never calling SSL_write/SSL_read): the
# default probe sites (OpenSSL's internal write/read functions) still see both directions.
# curl fetches the status page; what s_server wrote is exactly what curl received.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
ts_start --format json -o "$E2E_TMP/out.jsonl"
openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -www -naccept 1 \
	</dev/null >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
wait_for 10 "s_server listening on $port" port_listening "$port"
# -www answers HTTP/1.0 and closes: curl reads until the end
run_curl c1 "https://127.0.0.1:$port/" -A tlsscope-e2e/www
wait_pid $SPID 10 || { cat "$E2E_TMP/srv.err"; fail "s_server exit status $?"; }
ts_stop

grep -q '^HTTP/1.0 200 ok' "$E2E_TMP/c1.hdr" || fail "unexpected answer: $(head -1 "$E2E_TMP/c1.hdr")"
curl_request "$port" / tlsscope-e2e/www >"$E2E_TMP/request"
cat "$E2E_TMP/c1.hdr" "$E2E_TMP/c1.body" >"$E2E_TMP/response"

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CURL_PID --comm curl --local 127.0.0.1:$CURL_PORT --remote 127.0.0.1:$port --role client $who"
sv="--pid $SPID --comm openssl --local 127.0.0.1:$port --remote 127.0.0.1:$CURL_PORT --role server $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/request" || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/request" || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/response" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/response" || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
