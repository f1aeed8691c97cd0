#!/bin/bash
# SPDX-License-Identifier: MIT
# The text view. By default an HTTP stream is one line per request and response:
# "HH:MM:SS.micros comm[pid] http local -> remote (role) HTTP/1.1 GET / -> 200, ...".
# With --data (and always for streams that are not HTTP), per TLS call a header line
# "HH:MM:SS.micros comm[pid] write|read local -> remote (role, fd N) openssl LEN B", then the
# plaintext indented by four spaces (CRLF shown as line ends). No colour when stdout is not
# a terminal; stats go to stderr.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
start_nginx "$port"
printf 'text view body line 1\ntext view body line 2\n' >"$E2E_TMP/nginx/www/index.html"

ts_start # default: text on stdout ($E2E_TMP/ts.out)
run_curl c0 "https://127.0.0.1:$port/" -A tlsscope-e2e/text
ts_stop
out=$E2E_TMP/http.out
mv "$E2E_TMP/ts.out" "$out"
ts='[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}'
c=127.0.0.1:$CURL_PORT
n=127.0.0.1:$port
ms='[0-9]+\.[0-9]{3} ms'
ok=1
grep -qE "^$ts curl\[$CURL_PID\] http $c -> $n \(client\) HTTP/1.1 GET / -> 200, request body 0 B, response body 44 B, $ms\$" "$out" ||
	{ ok=0; echo "FAIL: no http line for curl"; }
grep -qE "^$ts nginx\[$NGINX_WORKER\] http $n <- $c \(server\) HTTP/1.1 GET / -> 200, request body 0 B, response body 44 B, $ms\$" "$out" ||
	{ ok=0; echo "FAIL: no http line for nginx"; }
[ "$(grep -c . "$out")" = 3 ] || { ok=0; echo "FAIL: expected exactly the handshake and two http lines"; }
[ $ok = 1 ] || { show_output "$out"; fail "text view of an HTTP stream"; }

ts_start --data
run_curl c1 "https://127.0.0.1:$port/" -A tlsscope-e2e/text
ts_stop
out=$E2E_TMP/text.out
mv "$E2E_TMP/ts.out" "$out"
reqlen=$(curl_request "$port" / tlsscope-e2e/text | wc -c)
resplen=$(cat "$E2E_TMP/c1.hdr" "$E2E_TMP/c1.body" | wc -c)
c=127.0.0.1:$CURL_PORT
req=(--next '    GET / HTTP/1.1' --next "    Host: 127.0.0.1:$port" --next '    User-Agent: tlsscope-e2e/text'
	--next '    Accept: */*')
ok=1
$CHECK text "$out" --header "$ts curl\[$CURL_PID\] write $c -> $n \(client, fd [0-9]+\) openssl $reqlen B" "${req[@]}" || ok=0
$CHECK text "$out" --header "$ts nginx\[$NGINX_WORKER\] read  $n <- $c \(server, fd [0-9]+\) openssl $reqlen B" "${req[@]}" || ok=0
$CHECK text "$out" --header "$ts nginx\[$NGINX_WORKER\] write $n -> $c \(server, fd [0-9]+\) openssl $resplen B" \
	--next '    HTTP/1.1 200 OK' || ok=0
$CHECK text "$out" --header "$ts curl\[$CURL_PID\] read  $c <- $n \(client, fd [0-9]+\) openssl $resplen B" \
	--next '    HTTP/1.1 200 OK' || ok=0
$CHECK text "$out" --header "    Accept-Ranges: bytes" --next '    ' --next '    text view body line 1' \
	--next '    text view body line 2' || ok=0
if grep -q $'\033' "$out"; then ok=0; echo "FAIL: colour escapes in the text view, but stdout is not a terminal"; fi
grep -qE '^tlsscope: stats: [0-9]+ records' "$E2E_TMP/ts.err" || { ok=0; echo "FAIL: no stats line on stderr"; }
grep -q 'tlsscope: stats' "$out" && { ok=0; echo "FAIL: stats line on stdout"; }
[ $ok = 1 ] || { show_output "$out"; fail "text view"; }

# --color forces colour even into a file: the direction word is coloured
ts_start --color --data
run_curl c2 "https://127.0.0.1:$port/" -A tlsscope-e2e/text
ts_stop
stop_nginx
grep -qF "curl[$CURL_PID] "$'\033[36mwrite\033[0m'" 127.0.0.1:$CURL_PORT -> $n" "$E2E_TMP/ts.out" ||
	{ show_output "$E2E_TMP/ts.out"; fail "--color: no coloured header for curl[$CURL_PID] write"; }
echo "PASS"
