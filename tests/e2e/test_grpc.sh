#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP/2 with trailers, the way gRPC answers: nghttp POSTs a length-prefixed message with
# content-type application/grpc to nginx, which answers with a body and the trailers
# grpc-status and grpc-message. Both ends' http records carry them as grpc_status and
# grpc_message (as sent: percent-encoded), with the exact method, path, status and body
# lengths; --body-preview keeps the bodies' first bytes. The same on a call that succeeds.
# --no-data: no data record at all, the http and handshake records stay.
. "$(dirname "$0")/lib.sh"
require_root
command -v nghttp >/dev/null || fail "nghttp not installed (make deps installs nghttp2-client)"

make_cert
port=$(free_port)
printf '\x00\x00\x00\x00\x05hello' >"$E2E_TMP/req.bin" # one gRPC message: flag, length, bytes
NGINX_SERVER_EXTRA="listen 127.0.0.1:$port ssl http2;
	location = /demo.Greeter/Fail { add_trailer grpc-status 7 always;
		add_trailer grpc-message 'denied%20here' always; return 200 'resp-fail'; }
	location = /demo.Greeter/Ok { add_trailer grpc-status 0 always; return 200 'resp-ok'; }" \
	start_nginx "$(free_port)"
ts_start --format json -o "$E2E_TMP/out.jsonl" --body-preview 8 --no-data
for m in Fail Ok; do
	sh -c 'echo $$ > "$0"; exec nghttp "$@"' "$E2E_TMP/$m.pid" -n -v -d "$E2E_TMP/req.bin" \
		-H 'content-type: application/grpc' -H 'te: trailers' "https://127.0.0.1:$port/demo.Greeter/$m" \
		>"$E2E_TMP/$m.log" 2>&1 || { cat "$E2E_TMP/$m.log"; fail "nghttp $m"; }
done
ts_stop
out=$E2E_TMP/out.jsonl
# the server really sent the trailers (nghttp -v prints every header it receives)
grep -qE 'recv \(stream_id=[0-9]+\) grpc-status: 7' "$E2E_TMP/Fail.log" || { cat "$E2E_TMP/Fail.log"; fail "nginx sent no grpc-status trailer"; }
grep -qE 'recv \(stream_id=[0-9]+\) grpc-message: denied%20here' "$E2E_TMP/Fail.log" || fail "nginx sent no grpc-message trailer"
b64() { printf '%s' "$1" | base64 -w0; }
reqpv=$(head -c 8 "$E2E_TMP/req.bin" | base64 -w0) # the request body's first 8 bytes
ok=1
grep -q '"type":"data"' "$out" && { ok=0; echo "FAIL: data records despite --no-data"; }
[ "$(grep -c '"type":"handshake"' "$out")" -ge 2 ] || { ok=0; echo "FAIL: handshake records missing with --no-data"; }
for m in Fail Ok; do
	pid=$(cat "$E2E_TMP/$m.pid")
	cport=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "http" and r["pid"] == int(sys.argv[2]):
        print(r["conn"]["local"].rsplit(":", 1)[1]); break' "$out" "$pid")
	[ -n "$cport" ] || { ok=0; echo "FAIL: no http record of nghttp ($m, pid $pid)"; continue; }
	if [ $m = Fail ]; then
		want="POST /demo.Greeter/Fail 200 10 9 7 denied%20here $reqpv $(b64 resp-fai)"
	else
		want="POST /demo.Greeter/Ok 200 10 7 0 null $reqpv $(b64 resp-ok)"
	fi
	x=(--extra grpc_status --extra grpc_message --extra req_body_preview --extra resp_body_preview)
	$CHECK http "$out" --pid "$pid" --local "127.0.0.1:$cport" --protocol HTTP/2 "${x[@]}" --expect "$want" || ok=0
	$CHECK http "$out" --pid "$NGINX_WORKER" --local "127.0.0.1:$port" --protocol HTTP/2 "${x[@]}" \
		--expect "POST /demo.Greeter/Fail 200 10 9 7 denied%20here $reqpv $(b64 resp-fai)" \
		--expect "POST /demo.Greeter/Ok 200 10 7 0 null $reqpv $(b64 resp-ok)" >/dev/null || ok=0
done
[ $ok = 1 ] || { grep '"type":"http"' "$out" | cut -c1-600; fail "http records do not match"; }
echo "PASS"
