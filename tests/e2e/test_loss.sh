#!/bin/bash
# SPDX-License-Identifier: MIT
# Losses are counted exactly. A python3 client makes N one-KiB SSL writes as fast as it can
# while the agent, tracing only that client, has a deliberately tiny ring buffer (8 KiB, a
# handful of records). Every write is either a data record in the output or counted lost:
# records + lost.ringbuf_full + lost.read_fault == N, with some loss. The same holds for the
# text view's stats line on stderr.
. "$(dirname "$0")/lib.sh"
require_root

N=3000
make_cert
cat >"$E2E_TMP/flood.py" <<'PY'
import os, socket, ssl, sys, time
mode, port_file = sys.argv[1], sys.argv[2]
if mode == "server":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    ls.settimeout(30)
    c, _ = ls.accept()
    s = ctx.wrap_socket(c, server_side=True)
    while s.recv(65536):
        pass
else:
    n, go = int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(open(port_file).read()))))
    for _ in range(600):  # at most 30 s
        if os.path.exists(go):
            break
        time.sleep(0.05)
    else:
        sys.exit("no go file")
    block = b"x" * 1024
    for _ in range(n):
        s.write(block)  # one SSL_write_ex of exactly 1 KiB
    s.close()
PY

run_flood() { # FORMAT OUT
	rm -f "$E2E_TMP/port" "$E2E_TMP/go"
	$PY "$E2E_TMP/flood.py" server "$E2E_TMP/port" "$CERT" "$KEY" >"$E2E_TMP/srv.log" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	wait_for 10 "flood server" test -e "$E2E_TMP/port"
	$PY "$E2E_TMP/flood.py" client "$E2E_TMP/port" "$N" "$E2E_TMP/go" >"$E2E_TMP/cli.log" 2>&1 &
	CLI_PID=$!
	bg_track "$CLI_PID"
	ts_start -p "$CLI_PID" --ringbuf-size 8192 --format "$1" -o "$2"
	touch "$E2E_TMP/go"
	wait_ok "$CLI_PID" cli
	wait_ok "$SRV_PID" srv
	ts_stop
}

run_flood json "$E2E_TMP/out.jsonl"
out=$E2E_TMP/out.jsonl
got=$($CHECK count "$out" --pid "$CLI_PID" --dir egress)
read -r lost fault partial < <($PY -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if "\"type\":\"stats\"" in l][-1]
print(st["lost"]["ringbuf_full"], st["lost"]["read_fault"], st["lost"]["partial"])' "$out")
log "json: $N writes: $got records, $lost lost (ring full), $fault read faults, $partial partial"
[ "$partial" = 0 ] || fail "1 KiB records cannot lose a tail, yet partial = $partial"
[ "$lost" -gt 0 ] || fail "an 8 KiB ring lost nothing under a flood: the test proves nothing"
[ $((got + lost + fault)) = "$N" ] || fail "records $got + lost $lost + faults $fault != $N writes"
$CHECK stats "$out" --accounting || fail "stats accounting does not add up"

run_flood text "$E2E_TMP/out.txt"
line=$(grep 'tlsscope: stats:' "$E2E_TMP/ts.err" | tail -1)
log "text: $line"
rec=$(sed -E 's/.*stats: ([0-9]+) records.*/\1/' <<<"$line")
lost=$(grep -oE 'ringbuf_full=[0-9]+' <<<"$line" | cut -d= -f2)
fault=$(grep -oE 'read_fault=[0-9]+' <<<"$line" | cut -d= -f2)
[ -n "$lost" ] || fail "the stats line names no ringbuf_full loss: $line"
[ $((rec + lost + ${fault:-0})) = "$N" ] || fail "stats line: $rec records + $lost lost != $N writes"
shown=$(grep -c ' python3\[[0-9]*\] write ' "$E2E_TMP/out.txt")
[ "$shown" = "$rec" ] || fail "text view shows $shown records, the stats line says $rec"
echo "PASS"
