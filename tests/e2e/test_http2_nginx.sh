#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP/2 records: curl --http2 against nginx (ALPN h2), several requests on one connection
# (a page, a 404), then a 100 KiB PUT that nginx's WebDAV module stores. Each end gets one
# record per stream with the exact
# method, path, status and body lengths, protocol HTTP/2, and latency below curl's own.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
port2=$(free_port)
mkdir -p "$E2E_TMP/nginx/www/upload"
head -c 102400 /dev/urandom >"$E2E_TMP/put.bin"
NGINX_SERVER_EXTRA="listen 127.0.0.1:$port2 ssl http2; location /upload/ { dav_methods PUT; client_max_body_size 4m; }" \
	start_nginx "$port"
printf 'hello from nginx\n' >"$E2E_TMP/nginx/www/index.html"
# every byte captured (curl writes 16 KiB DATA frames with their headers: 16393 bytes a call)
ts_start --format json -o "$E2E_TMP/out.jsonl" --max-capture 262144
u=https://127.0.0.1:$port2
sh -c 'echo $$ > "$0"; exec curl "$@"' "$E2E_TMP/c1.pid" -sS -k --http2 --max-time 20 \
	-w '%{local_port} %{time_total} %{http_version}\n' "$u/" -o /dev/null "$u/missing" -o /dev/null \
	>"$E2E_TMP/c1.times" 2>"$E2E_TMP/c1.err" || { cat "$E2E_TMP/c1.err"; fail "curl --http2"; }
sh -c 'echo $$ > "$0"; exec curl "$@"' "$E2E_TMP/c2.pid" -sS -k --http2 --max-time 20 \
	-w '%{local_port} %{time_total} %{http_version}\n' -T "$E2E_TMP/put.bin" "$u/upload/p.bin" \
	-o /dev/null >"$E2E_TMP/c2.times" 2>"$E2E_TMP/c2.err" || { cat "$E2E_TMP/c2.err"; fail "curl PUT"; }
ts_stop
out=$E2E_TMP/out.jsonl
cmp -s "$E2E_TMP/put.bin" "$E2E_TMP/nginx/www/upload/p.bin" || fail "nginx did not store the PUT"
ok=1
check_end() { # NAME EXPECT...
	local name=$1 pid cport
	shift
	awk '{ if ($3 != "2") exit 1 }' "$E2E_TMP/$name.times" || { cat "$E2E_TMP/$name.times"; fail "curl did not use HTTP/2"; }
	pid=$(cat "$E2E_TMP/$name.pid")
	cport=$(awk 'NR == 1 { print $1 }' "$E2E_TMP/$name.times")
	awk '{ print $2 }' "$E2E_TMP/$name.times" >"$E2E_TMP/$name.limits"
	$CHECK http "$out" --pid "$pid" --local "127.0.0.1:$cport" --protocol HTTP/2 \
		--latency-below-file "$E2E_TMP/$name.limits" "$@" || ok=0
}
check_end c1 --expect "GET / 200 0 17" --expect "GET /missing 404 0 153"
check_end c2 --expect "PUT /upload/p.bin 201 102400 0"
$CHECK http "$out" --pid "$NGINX_WORKER" --local "127.0.0.1:$port2" --protocol HTTP/2 \
	--expect "GET / 200 0 17" --expect "GET /missing 404 0 153" \
	--expect "PUT /upload/p.bin 201 102400 0" || ok=0
[ $ok = 1 ] || { grep '"type":"http"' "$out" | cut -c1-400; fail "http records do not match"; }
echo "PASS"
