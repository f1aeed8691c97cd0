#!/bin/bash
# SPDX-License-Identifier: MIT
# A client tlsscope never probes: a real ClientHello (saved from openssl s_client) replayed
# by python3 over a plain TCP socket to openssl s_server, once in one write and once in many
# small writes with TCP_NODELAY (many TCP segments). Both connections get a handshake record
# with the replaying process; the split one parses exactly as the whole one.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
# 1. save a ClientHello: a plain TCP server that keeps the first TLS record it is sent
port=$(free_port)
$PY - "$port" "$E2E_TMP/hello.bin" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20)
buf = b""
while len(buf) < 5 or len(buf) < 5 + int.from_bytes(buf[3:5], "big"):
    d = c.recv(65536)
    if not d:
        break
    buf += d
open(sys.argv[2], "wb").write(buf[:5 + int.from_bytes(buf[3:5], "big")])
PY
SAVER=$!
bg_track $SAVER
wait_for 10 "hello saver on $port" port_listening "$port"
timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername replay.example -alpn h2,http/1.1 \
	</dev/null >/dev/null 2>&1
wait_pid $SAVER 10 || fail "could not save a ClientHello"
log "saved a ClientHello of $(stat -c %s "$E2E_TMP/hello.bin") bytes"

# 2. replay it twice, whole and in pieces, to a real server; the server answers with its hello
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -naccept 2 -quiet \
	</dev/null >"$E2E_TMP/srv.log" 2>&1 &
SPID=$!
bg_track $SPID
wait_for 10 "s_server on $port" port_listening "$port"
ts_start --format json -o "$E2E_TMP/out.jsonl"
$PY - "$port" "$E2E_TMP/hello.bin" "$E2E_TMP/replay.info" <<'PY'
import os, socket, sys, time
hello = open(sys.argv[2], "rb").read()
ends = []
for pieces in (1, 9):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    step = -(-len(hello) // pieces)
    for i in range(0, len(hello), step):
        s.send(hello[i:i + step])
        if pieces > 1:
            time.sleep(0.03)  # each piece leaves as its own segment
    got = s.recv(5)  # the server's first record header: its hello has been sent
    assert got[:1] == b"\x16", got
    ends.append("%s:%d" % s.getsockname())
    time.sleep(0.1)
    s.close()
open(sys.argv[3], "w").write("%d %s %s\n" % (os.getpid(), ends[0], ends[1]))
PY
[ $? = 0 ] || fail "replay client failed"
read -r RPID WHOLE SPLIT <"$E2E_TMP/replay.info"
wait_pid $SPID 10 >/dev/null 2>&1
ts_stop
log "replayer pid $RPID: whole from $WHOLE, split from $SPLIT"

out=$E2E_TMP/out.jsonl
sep=127.0.0.1:$port
common=(--field "pid=$RPID" --field comm=python3 --field conn.role=client --field iface=lo
	--field sni=replay.example --field 'alpn_offered=["h2","http/1.1"]' --field version=TLSv1.3
	--field incomplete=null)
$CHECK handshake "$out" --client "$WHOLE" --server "$sep" "${common[@]}" ||
	{ show_output "$out"; fail "no exact handshake record for the whole replay"; }
$CHECK handshake "$out" --client "$SPLIT" --server "$sep" "${common[@]}" ||
	{ show_output "$out"; fail "no exact handshake record for the split replay"; }
# the split hello parses exactly as the whole one: every client-side field is equal
$PY - "$out" "$WHOLE" "$SPLIT" <<'PY' || fail "split and whole ClientHello records differ"
import json, sys
recs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "handshake":
        recs[r["conn"]["local"]] = r
a, b = recs[sys.argv[2]], recs[sys.argv[3]]
keys = ("sni", "alpn_offered", "versions_offered", "ciphers_offered", "groups_offered",
        "key_shares_offered", "sig_algs", "extensions", "client_version", "ja3", "ja3_full",
        "ja4", "ja4_r")
diff = [k for k in keys if a[k] != b[k]]
if diff:
    print("differ:", {k: (a[k], b[k]) for k in diff})
    sys.exit(1)
print("split == whole:", a["ja4"], a["ja3"])
PY
# the split hello reached the classifier as several segments
$CHECK stats "$out" --ge wire_events=12 || fail "the split hello was not 9 segments (1 + 9 client, 2 server slices expected)"
echo "PASS"
