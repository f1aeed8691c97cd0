#!/bin/bash
# SPDX-License-Identifier: MIT
# nginx (HTTPS) and curl: the request curl wrote and nginx read, the response nginx wrote and
# curl read, byte for byte, with the exact pid, comm, 5-tuple, role on both sides.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
start_nginx "$port"
# a known body, several TLS records long, not all ASCII letters
$PY -c '
import sys
lines = [("line %04d: the quick brown fox jumps over the lazy dog {}[]<>&%%\n" % i) for i in range(120)]
sys.stdout.write("".join(lines))' >"$E2E_TMP/nginx/www/index.html"

for mode in default exported; do
	args=()
	[ $mode = exported ] && args=(--probe-exported)
	ts_start --format json -o "$E2E_TMP/$mode.jsonl" "${args[@]}"
	run_curl "$mode" "https://127.0.0.1:$port/" -A tlsscope-e2e/1
	ts_stop

	cmp -s "$E2E_TMP/$mode.body" "$E2E_TMP/nginx/www/index.html" || fail "curl did not get the body"
	grep -q '^HTTP/1.1 200 ' "$E2E_TMP/$mode.hdr" || fail "unexpected response: $(head -1 "$E2E_TMP/$mode.hdr")"
	curl_request "$port" / tlsscope-e2e/1 >"$E2E_TMP/request"
	cat "$E2E_TMP/$mode.hdr" "$E2E_TMP/$mode.body" >"$E2E_TMP/response"

	out=$E2E_TMP/$mode.jsonl
	who=$(who_args)
	cl="--pid $CURL_PID --comm curl --local 127.0.0.1:$CURL_PORT --remote 127.0.0.1:$port --role client $who"
	sv="--pid $NGINX_WORKER --comm nginx --local 127.0.0.1:$port --remote 127.0.0.1:$CURL_PORT --role server $who"
	ok=1
	$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/request" || ok=0
	$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/response" || ok=0
	$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/request" || ok=0
	$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/response" || ok=0
	# the master never touches the connection
	$CHECK none "$out" --pid "$NGINX_MASTER" || ok=0
	$CHECK stats "$out" --lost-zero || ok=0
	[ $ok = 1 ] || { show_output "$out"; fail "$mode probe sites: records do not match"; }
done
stop_nginx
echo "PASS"
