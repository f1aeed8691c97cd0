#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsscope started while an HTTP/2 connection is already open. A python3 client (h2midconn.py:
# ssl + the h2 library) opens one connection to nginx (ALPN h2), makes a request, and only then
# is the agent started: it has seen neither the handshake, nor the preface and SETTINGS, nor
# the header fields the client's HPACK encoder put in its dynamic table. Six more requests
# follow on the same connection (distinct paths, a 404, a PUT with a body, fields that refer
# to dynamic table entries from before and after the join, then a table size update to 0).
# Each end (the client and the nginx worker) must report exactly one http record per later
# request, in order, and none for the first: status, response body length and response
# headers exact (nginx's encoder does not index: every response field is decodable). Where
# the request is reported, method, path and body length are exact and its headers are exactly
# the fields a joined observer can decode (the others absent, never guessed, and the record
# says headers_truncated). A direction's frame boundaries are certain only once 3 frame
# headers chain (H2_RESYNC_FRAMES); the first two requests are one frame each, so their
# responses complete before that. Those responses wait for the boundary search, which
# replays the requests' HEADERS: every request is reported with its method and path.
. "$(dirname "$0")/lib.sh"
require_root
$PY -c 'import h2' 2>/dev/null || fail "python3-h2 is not installed (make deps installs it)"

make_cert
port=$(free_port)
NGINX_SERVER_EXTRA="listen 127.0.0.1:$port ssl http2; add_header X-Served-By tlsscope-e2e always;
	location /upload/ { dav_methods PUT; }" start_nginx "$(free_port)"
w=$E2E_TMP/nginx/www
mkdir -p "$w/later" "$w/upload"
printf 'first\n' >"$w/first"
for i in 1 2 5 6; do head -c $((i * 100 + 7)) /dev/zero | tr '\0' x >"$w/later/$i"; done

$PY "$E2E_DIR/h2midconn.py" --port "$port" --info "$E2E_TMP/cli.info" --go "$E2E_TMP/go" \
	--log "$E2E_TMP/cli.json" >"$E2E_TMP/cli.err" 2>&1 &
CLI_PID=$!
bg_track "$CLI_PID"
wait_for 20 "the client's first request" test -e "$E2E_TMP/cli.info"
read -r pid cport <"$E2E_TMP/cli.info"
[ "$pid" = "$CLI_PID" ] || fail "client pid $pid, expected $CLI_PID"
ts_start --format json -o "$E2E_TMP/out.jsonl" --max-capture 262144
touch "$E2E_TMP/go"
wait_pid "$CLI_PID" 30 || { cat "$E2E_TMP/cli.err"; fail "h2midconn.py"; }
ts_stop
out=$E2E_TMP/out.jsonl
[ "$(cat "$w/upload/4")" = 0123456789 ] || fail "nginx did not store the PUT"

ok=1
for end in "$CLI_PID 127.0.0.1:$cport" "$NGINX_WORKER 127.0.0.1:$port"; do
	read -r p local <<<"$end"
	$CHECK h2join "$out" --pid "$p" --local "$local" --log "$E2E_TMP/cli.json" --lost-requests 0 || ok=0
done
if [ $ok = 0 ]; then
	grep '"type":"http"' "$out" | cut -c1-600
	grep '"type":"stats"' "$out" | tail -1 | grep -o '"http":{[^}]*}'
	fail "http records of the joined connection do not match"
fi
echo "PASS"
