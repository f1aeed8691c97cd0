#!/bin/bash
# SPDX-License-Identifier: MIT
# Secrets are masked by default in every sink: curl sends Cookie and Authorization headers,
# nginx answers with Set-Cookie. The JSON records carry the exact bytes with those values
# overwritten by '*' (same length) and say how many values were masked; the text view shows
# no secret either; with --no-redact the bytes are the real ones and nothing says redacted.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
NGINX_SERVER_EXTRA='add_header Set-Cookie "id=xyz789secret; Path=/";'
start_nginx "$port"
printf 'redaction test body\n' >"$E2E_TMP/nginx/www/index.html"
hdrs=(-H 'Cookie: session=abc123secret' -H 'Authorization: Bearer s3cr3t-t0ken')

mask() { # mask the values of the secret headers in a file, like the agent does
	$PY -c '
import re, sys
data = open(sys.argv[1], "rb").read()
def star(m):
    return m.group(1) + b"*" * len(m.group(2))
sys.stdout.buffer.write(re.sub(rb"(?im)^((?:authorization|proxy-authorization|cookie|set-cookie):[ \t]*)([^\r\n]*)",
                               star, data))' "$1"
}

ok=1
for mode in redact no-redact text text-data; do
	case $mode in
	redact) args=(--format json -o "$E2E_TMP/$mode.out" --pcapng "$E2E_TMP/$mode.pcapng") ;;
	no-redact) args=(--format json -o "$E2E_TMP/$mode.out" --no-redact) ;;
	text) args=(-o "$E2E_TMP/$mode.out") ;;
	text-data) args=(-o "$E2E_TMP/$mode.out" --data) ;;
	esac
	ts_start "${args[@]}"
	run_curl "$mode" "https://127.0.0.1:$port/" -A tlsscope-e2e/redact "${hdrs[@]}"
	ts_stop
	grep -q '^Set-Cookie: id=xyz789secret' "$E2E_TMP/$mode.hdr" || fail "nginx sent no Set-Cookie"
	printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: tlsscope-e2e/redact\r\nAccept: */*\r\nCookie: session=abc123secret\r\nAuthorization: Bearer s3cr3t-t0ken\r\n\r\n' \
		"$port" >"$E2E_TMP/request"
	cat "$E2E_TMP/$mode.hdr" "$E2E_TMP/$mode.body" >"$E2E_TMP/response"
	out=$E2E_TMP/$mode.out
	who=$(who_args)
	if [ $mode = text ] || [ $mode = text-data ]; then
		if grep -E 'abc123secret|s3cr3t-t0ken|xyz789secret' "$out"; then
			ok=0
			echo "FAIL: the text view ($mode) shows a secret"
		fi
		if [ $mode = text ]; then
			# HTTP streams are one line per request; no chunk, so no header line at all
			grep -qF "curl[$CURL_PID] http 127.0.0.1:$CURL_PORT -> 127.0.0.1:$port (client) HTTP/1.1 GET / -> 200" "$out" ||
				{ ok=0; echo "FAIL: the text view has no http line for curl's request"; }
			grep -q '^    ' "$out" && { ok=0; echo "FAIL: the text view shows chunks of an HTTP stream without --data"; }
		else
			grep -qF "    Authorization: ******************" "$out" ||
				{ ok=0; echo "FAIL: the text view shows no masked Authorization line"; }
		fi
		[ $ok = 1 ] || show_output "$out"
		continue
	fi
	if [ $mode = redact ]; then
		mask "$E2E_TMP/request" >"$E2E_TMP/request.x"
		mask "$E2E_TMP/response" >"$E2E_TMP/response.x"
		cmp -s "$E2E_TMP/request" "$E2E_TMP/request.x" && fail "test bug: nothing to mask in the request"
		nreq=2 nresp=1
		# the pcapng file holds the same masked bytes: tshark reads the masked headers
		grep -aqE 'abc123secret|s3cr3t-t0ken|xyz789secret' "$E2E_TMP/$mode.pcapng" &&
			{ ok=0; echo "FAIL: a secret in the pcapng file"; }
		tshark -r "$E2E_TMP/$mode.pcapng" -T fields -e http.authorization 2>/dev/null |
			grep -qx '\*\{19\}' || { ok=0; echo "FAIL: tshark does not read a masked Authorization in the pcapng"; }
	else
		cp "$E2E_TMP/request" "$E2E_TMP/request.x"
		cp "$E2E_TMP/response" "$E2E_TMP/response.x"
		nreq=0 nresp=0
	fi
	cl="--pid $CURL_PID --comm curl --local 127.0.0.1:$CURL_PORT --remote 127.0.0.1:$port --role client $who"
	sv="--pid $NGINX_WORKER --comm nginx --local 127.0.0.1:$port --remote 127.0.0.1:$CURL_PORT --role server $who"
	$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/request.x" --redacted $nreq || ok=0
	$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/request.x" --redacted $nreq || ok=0
	$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/response.x" --redacted $nresp || ok=0
	$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/response.x" --redacted $nresp || ok=0
	[ $ok = 1 ] || { show_output "$out"; fail "$mode: records do not match"; }
done
stop_nginx
[ $ok = 1 ] || fail "secrets shown"
echo "PASS"
