#!/bin/bash
# SPDX-License-Identifier: MIT
# Secrets in HTTP/2: curl --http2 sends Cookie and Authorization, nginx answers with
# Set-Cookie; HPACK encodes them (Huffman-coded, and inserted in the dynamic table). In the
# data records each secret value is overwritten in place: its string's Huffman bit cleared and
# every byte a '*', so an independent HPACK decoder (python's hpack) reads the very same
# headers with those values as '*' runs, and the records keep their lengths. The http records
# mask them too, and so does --pcapng: tshark decodes the file's header blocks with the values
# as '*' runs. With --no-redact the decoder reads the real values.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
NGINX_SERVER_EXTRA="listen 127.0.0.1:$port ssl http2; add_header Set-Cookie \"id=xyz789secret; Path=/\";" \
	start_nginx "$(free_port)"
printf 'redaction test body\n' >"$E2E_TMP/nginx/www/index.html"

decode() { # FILE PID LOCAL DIR: the header blocks of one end's stream, decoded, one per line
	$PY - "$@" <<'PYEOF'
import base64, json, sys
import hpack
f, pid, local, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
stream = b""
for line in open(f):
    r = json.loads(line)
    if r["type"] == "data" and r["pid"] == pid and r["conn"] and r["conn"]["local"] == local \
            and r["dir"] == d:
        assert r["len"] == r["captured"], "record not whole"
        stream += base64.b64decode(r["data"])
if stream.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"):
    stream = stream[24:]
dec, pos, block = hpack.Decoder(), 0, b""
while pos + 9 <= len(stream):
    n = int.from_bytes(stream[pos:pos + 3], "big")
    t, fl = stream[pos + 3], stream[pos + 4]
    pl = stream[pos + 9:pos + 9 + n]
    pos += 9 + n
    if t in (1, 9):
        if t == 1 and fl & 0x8:
            pl = pl[1:len(pl) - pl[0]]
        if t == 1 and fl & 0x20:
            pl = pl[5:]
        block += pl
        if fl & 0x4:
            print(json.dumps(dec.decode(block, raw=False)))
            block = b""
PYEOF
}

hdrs=(-H 'Cookie: session=abc123secret' -H 'Authorization: Bearer s3cr3t-t0ken')
ok=1
for mode in redact no-redact; do
	args=(--format json -o "$E2E_TMP/$mode.jsonl" --max-capture 262144 --pcapng "$E2E_TMP/$mode.pcapng")
	[ $mode = no-redact ] && args+=(--no-redact)
	ts_start "${args[@]}"
	# two requests on one connection: the second refers to the first's table entries
	sh -c 'echo $$ > "$0"; exec curl "$@"' "$E2E_TMP/c.pid" -sS -k --http2 --max-time 20 "${hdrs[@]}" \
		-w '%{local_port}\n' "https://127.0.0.1:$port/" -o /dev/null "https://127.0.0.1:$port/" -o /dev/null \
		>"$E2E_TMP/c.ports" 2>"$E2E_TMP/c.err" || { cat "$E2E_TMP/c.err"; fail "curl --http2"; }
	ts_stop
	out=$E2E_TMP/$mode.jsonl
	pid=$(cat "$E2E_TMP/c.pid")
	cport=$(head -1 "$E2E_TMP/c.ports")
	decode "$out" "$pid" "127.0.0.1:$cport" egress >"$E2E_TMP/$mode.req" || fail "decode the client's stream"
	decode "$out" "$NGINX_WORKER" "127.0.0.1:$port" egress >"$E2E_TMP/$mode.resp" || fail "decode nginx's stream"
	[ "$(wc -l <"$E2E_TMP/$mode.req")" = 2 ] || { cat "$E2E_TMP/$mode.req"; fail "$mode: expected 2 request header blocks"; }
	[ "$(wc -l <"$E2E_TMP/$mode.resp")" = 2 ] || { cat "$E2E_TMP/$mode.resp"; fail "$mode: expected 2 response header blocks"; }
	if [ $mode = redact ]; then
		grep -E 'abc123secret|s3cr3t-t0ken|xyz789secret' "$E2E_TMP/$mode.req" "$E2E_TMP/$mode.resp" &&
			{ ok=0; echo "FAIL: a decoder reads a secret in the data records"; }
		for i in 1 2; do
			sed -n ${i}p "$E2E_TMP/$mode.req" | grep -qE '\["authorization", "\*+"\]' ||
				{ ok=0; echo "FAIL: request $i: authorization is not a run of '*'"; }
			sed -n ${i}p "$E2E_TMP/$mode.req" | grep -qE '\["cookie", "\*+"\]' ||
				{ ok=0; echo "FAIL: request $i: cookie is not a run of '*'"; }
			sed -n ${i}p "$E2E_TMP/$mode.req" | grep -qF '[":path", "/"]' ||
				{ ok=0; echo "FAIL: request $i: :path not decoded as sent"; }
			sed -n ${i}p "$E2E_TMP/$mode.resp" | grep -qE '\["set-cookie", "\*+"\]' ||
				{ ok=0; echo "FAIL: response $i: set-cookie is not a run of '*'"; }
		done
		grep -E 'abc123secret|s3cr3t-t0ken|xyz789secret' "$out" && { ok=0; echo "FAIL: a secret in the records"; }
		tshark -r "$E2E_TMP/$mode.pcapng" -T fields -e http2.header.name -e http2.header.value \
			>"$E2E_TMP/$mode.tshark" 2>/dev/null || { ok=0; echo "FAIL: tshark cannot read the pcapng"; }
		grep -E 'abc123secret|s3cr3t-t0ken|xyz789secret' "$E2E_TMP/$mode.tshark" &&
			{ ok=0; echo "FAIL: tshark reads a secret in the pcapng"; }
		[ "$(grep -oE ',\*+(,|$)' "$E2E_TMP/$mode.tshark" | wc -l)" -ge 4 ] ||
			{ ok=0; cat "$E2E_TMP/$mode.tshark"; echo "FAIL: tshark does not read the masked values in the pcapng"; }
		grep '"type":"http"' "$out" | grep -q '"authorization":"\*\{19\}"' ||
			{ ok=0; echo "FAIL: http records do not mask authorization"; }
		$PY -c '
import json, sys
n = sum(r.get("redacted", 0) for r in map(json.loads, open(sys.argv[1])) if r["type"] == "data")
sys.exit(0 if n >= 3 else 1)' "$out" || { ok=0; echo "FAIL: data records do not say they were redacted"; }
	else
		grep -qF '["authorization", "Bearer s3cr3t-t0ken"]' "$E2E_TMP/$mode.req" ||
			{ ok=0; echo "FAIL: --no-redact: the real authorization is not there"; }
		grep -qF '["set-cookie", "id=xyz789secret; Path=/"]' "$E2E_TMP/$mode.resp" ||
			{ ok=0; echo "FAIL: --no-redact: the real set-cookie is not there"; }
		tshark -r "$E2E_TMP/$mode.pcapng" -T fields -e http2.header.value 2>/dev/null | grep -q 's3cr3t-t0ken' ||
			{ ok=0; echo "FAIL: --no-redact: tshark does not read the real authorization in the pcapng"; }
	fi
done
$PY -c '
import json, sys
names = lambda f: [[h[0] for h in json.loads(l)] for l in open(f)]
sys.exit(0 if names(sys.argv[1]) == names(sys.argv[2]) else 1)' "$E2E_TMP/redact.req" "$E2E_TMP/no-redact.req" ||
	{ ok=0; echo "FAIL: masked and real request headers differ in names or order"; }
[ $ok = 1 ] || { head -c 3000 "$E2E_TMP/redact.req" "$E2E_TMP/redact.resp"; fail "HTTP/2 redaction"; }
echo "PASS"
