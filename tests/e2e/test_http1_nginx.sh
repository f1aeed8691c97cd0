#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP/1.1 records: curl --http1.1 against nginx, several requests on one keep-alive
# connection (a page, a 404, a HEAD) and a 1 MiB upload. Each end (curl and the nginx worker)
# gets one http record per request, in order, with the exact method, path, status and body
# lengths; every latency is positive and below curl's own time for that transfer.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
# PUT /upload/ is stored by nginx's WebDAV module: it reads the whole body, then answers 201
mkdir -p "$E2E_TMP/nginx/www/upload"
NGINX_SERVER_EXTRA="location /upload/ { dav_methods PUT; client_max_body_size 4m; client_body_buffer_size 2m; }" \
	start_nginx "$port"
printf 'hello from nginx\n' >"$E2E_TMP/nginx/www/index.html"
head -c 1048576 /dev/urandom >"$E2E_TMP/upload.bin"
ts_start --format json -o "$E2E_TMP/out.jsonl"
u=https://127.0.0.1:$port
# curl_run NAME ARGS...: curl in the background of a shell that records its pid; each transfer
# prints "LOCAL_PORT SECONDS" into NAME.times
curl_run() {
	local name=$1
	shift
	sh -c 'echo $$ > "$0"; exec curl "$@"' "$E2E_TMP/$name.pid" -sS -k --http1.1 --max-time 20 \
		-w '%{local_port} %{time_total}\n' "$@" >"$E2E_TMP/$name.times" 2>"$E2E_TMP/$name.err" ||
		{ cat "$E2E_TMP/$name.err"; fail "curl $name"; }
}
# one keep-alive connection: GET /, GET /missing; then HEAD /; then a 1 MiB PUT (without
# Expect: 100-continue, so the body follows the headers at once)
curl_run c1 "$u/" -o /dev/null "$u/missing" -o /dev/null
curl_run c2 -I "$u/" -o /dev/null
curl_run c3 -H 'Expect:' -T "$E2E_TMP/upload.bin" -o /dev/null "$u/upload/f.bin"
cmp -s "$E2E_TMP/upload.bin" "$E2E_TMP/nginx/www/upload/f.bin" || fail "nginx did not store the upload"
ts_stop
out=$E2E_TMP/out.jsonl
ok=1
# check_end NAME EXPECT...: curl NAME's records on its local end, latencies below its own
check_end() {
	local name=$1 pid port
	shift
	pid=$(cat "$E2E_TMP/$name.pid")
	port=$(awk 'NR == 1 { print $1 }' "$E2E_TMP/$name.times")
	awk '{ print $2 }' "$E2E_TMP/$name.times" >"$E2E_TMP/$name.limits"
	$CHECK http "$out" --pid "$pid" --local "127.0.0.1:$port" --protocol HTTP/1.1 \
		--latency-below-file "$E2E_TMP/$name.limits" "$@" || ok=0
}
check_end c1 --expect "GET / 200 0 17" --expect "GET /missing 404 0 153"
check_end c2 --expect "HEAD / 200 0 0"
check_end c3 --expect "PUT /upload/f.bin 201 1048576 0"
# the server's side, from the nginx worker
$CHECK http "$out" --pid "$NGINX_WORKER" --local "127.0.0.1:$port" --protocol HTTP/1.1 \
	--expect "GET / 200 0 17" --expect "GET /missing 404 0 153" --expect "HEAD / 200 0 0" \
	--expect "PUT /upload/f.bin 201 1048576 0" || ok=0
[ $ok = 1 ] || { grep '"type":"http"' "$out" | cut -c1-400; fail "http records do not match"; }
echo "PASS"
