#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP/1.1 framing against nginx, beyond plain keep-alive:
#  - pipelining: a python3 client writes three requests in one TLS write (GET, GET, HEAD with
#    Connection: close) and reads the three responses; both ends report the three pairs in
#    order with exact method, path, status and body lengths (HEAD: no body);
#  - a chunked response: nginx gzips on the fly (no length known), curl --compressed reads it;
#    the body length reported is the de-chunked (compressed) size curl received;
#  - a chunked upload: curl -T - (stdin) sends its body chunked; nginx's WebDAV stores it;
#    both ends report the file's exact size. curl writes one 64 KiB chunk per call, cut by
#    --max-capture (16 KiB): the parser skips each chunk's unseen data and the CRLF that
#    ends it, and stays in step at the next chunk-size line.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
mkdir -p "$E2E_TMP/nginx/www/upload"
NGINX_SERVER_EXTRA="gzip on; gzip_types text/plain; gzip_min_length 0;
	location /upload/ { dav_methods PUT; client_max_body_size 4m; }" start_nginx "$port"
printf 'aaaaa' >"$E2E_TMP/nginx/www/a.txt"
printf 'bbbbbbb' >"$E2E_TMP/nginx/www/b.bin"
for i in $(seq 1 300); do echo "line $i of a text that compresses"; done >"$E2E_TMP/nginx/www/big.txt"
head -c 200000 /dev/urandom >"$E2E_TMP/up.bin"

ts_start --format json -o "$E2E_TMP/out.jsonl"
# pipelined: one write, three requests
$PY - "$port" >"$E2E_TMP/pipe.out" 2>"$E2E_TMP/pipe.err" <<'PYEOF' || { cat "$E2E_TMP/pipe.err"; fail "pipelining client"; }
import os, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
h = "Host: 127.0.0.1:%d\r\n" % port
s.sendall(("GET /a.txt HTTP/1.1\r\n" + h + "\r\nGET /b.bin HTTP/1.1\r\n" + h +
           "\r\nHEAD /a.txt HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n").encode())
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print(os.getpid(), s.getsockname()[1], got.count(b"HTTP/1.1 200 OK"))
PYEOF
read -r ppid pport nok <"$E2E_TMP/pipe.out"
[ "$nok" = 3 ] || fail "the pipelining client got $nok responses, not 3"
run_curl gz "https://127.0.0.1:$port/big.txt" --compressed -w '%{local_port} %{size_download}'
read -r gzport gzsize <"$E2E_TMP/gz.port"
grep -qi '^transfer-encoding: chunked' "$E2E_TMP/gz.hdr" || { cat "$E2E_TMP/gz.hdr"; fail "nginx did not send the gzip response chunked"; }
gzpid=$CURL_PID
run_curl up "https://127.0.0.1:$port/upload/up.bin" -T - <"$E2E_TMP/up.bin"
uppid=$CURL_PID upport=$CURL_PORT
ts_stop
cmp -s "$E2E_TMP/up.bin" "$E2E_TMP/nginx/www/upload/up.bin" || fail "nginx did not store the chunked upload"
out=$E2E_TMP/out.jsonl
# curl wrote the upload chunked (its request data records say so)
grep '"type":"data"' "$out" | grep "\"pid\":$uppid," | head -1 | $PY -c '
import base64, json, sys
r = json.loads(sys.stdin.readline())
sys.exit(0 if b"Transfer-Encoding: chunked" in base64.b64decode(r["data"]) else 1)' ||
	fail "curl did not send its upload chunked"
ok=1
pipe=(--expect "GET /a.txt 200 0 5" --expect "GET /b.bin 200 0 7" --expect "HEAD /a.txt 200 0 0")
$CHECK http "$out" --pid "$ppid" --local "127.0.0.1:$pport" --protocol HTTP/1.1 "${pipe[@]}" || ok=0
$CHECK http "$out" --pid "$gzpid" --local "127.0.0.1:$gzport" --protocol HTTP/1.1 \
	--expect "GET /big.txt 200 0 $gzsize" || ok=0
$CHECK http "$out" --pid "$uppid" --local "127.0.0.1:$upport" --protocol HTTP/1.1 \
	--expect "PUT /upload/up.bin 201 200000 0" || ok=0
# the server end: every connection's pairs, from nginx's side
$CHECK http "$out" --pid "$NGINX_WORKER" --local "127.0.0.1:$port" --protocol HTTP/1.1 "${pipe[@]}" \
	--expect "GET /big.txt 200 0 $gzsize" --expect "PUT /upload/up.bin 201 200000 0" || ok=0
[ $ok = 1 ] || { grep '"type":"http"' "$out" | cut -c1-300; fail "http records do not match"; }
echo "PASS"
