#!/bin/bash
# SPDX-License-Identifier: MIT
# Malformed and hostile hellos on the wire, sent by python3 over plain TCP to a server that
# only reads: each is counted under its own cause, the agent keeps running, and a real
# handshake afterwards is reported as usual. An empty SNI is not an error.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
port=$(free_port)
$PY - "$port" "$E2E_TMP/sink.up" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); s.settimeout(30)
open(sys.argv[2], "w").close()
def drain(c):
    c.settimeout(10)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()
for _ in range(6):
    c, _ = s.accept()
    threading.Thread(target=drain, args=(c,)).start()
PY
bg_track $!
wait_for 10 "the reading server" test -e "$E2E_TMP/sink.up"
ts_start --format json -o "$E2E_TMP/out.jsonl"
$PY - "$port" "$E2E_TMP/ends" <<'PY' || fail "the garbage sender failed"
import socket, struct, sys, time

def u16(v): return struct.pack(">H", v)
def vec16(b): return u16(len(b)) + b
def ext(t, body): return u16(t) + vec16(body)

def client_hello(exts, ext_len=None):
    body = b"\x03\x03" + bytes(32) + b"\x00" + vec16(u16(0x1301)) + b"\x01\x00"
    e = b"".join(exts)
    body += u16(len(e) if ext_len is None else ext_len) + e
    msg = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + vec16(msg)

def sni(name):
    entry = b"\x00" + vec16(name)
    return ext(0, vec16(entry))

cases = [
    # a hello that claims 65537 bytes
    b"\x16\x03\x01\x40\x00\x01\x01\x00\x01\x03\x03" + bytes(600),
    # the extensions' length runs past the message
    client_hello([ext(10, vec16(u16(29)))], ext_len=200),
    # an SSLv2-compatible ClientHello
    b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10" + bytes(21) + bytes(16),
    # an empty server name: valid, reported with sni ""
    client_hello([sni(b"")]),
    # not TLS at all, on the same port
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    bytes(range(256)) * 4,
]
ends = []
for payload in cases:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(payload)
    ends.append("%s:%d" % s.getsockname())
    time.sleep(0.05)
    s.close()
open(sys.argv[2], "w").write(" ".join(ends) + "\n")
PY
read -r _ _ _ EMPTY_SNI _ _ <"$E2E_TMP/ends"

# the agent still works: a real handshake after the garbage
sport=$(free_port)
openssl s_server -accept "127.0.0.1:$sport" -cert "$CERT" -key "$KEY" -www -naccept 1 \
	>"$E2E_TMP/srv.log" 2>&1 &
SPID=$!
bg_track $SPID
wait_for 10 "s_server" port_listening "$sport"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
	timeout 10 openssl s_client -connect "127.0.0.1:$sport" -servername after.example -quiet \
		-ign_eof >/dev/null 2>&1
wait_pid $SPID 10 >/dev/null 2>&1
child_alive "$TS_PID" || fail "the agent died"
ts_stop

out=$E2E_TMP/out.jsonl
ok=1
$CHECK stats "$out" --eq handshakes.err_too_large=1 --eq handshakes.err_length=1 \
	--eq handshakes.err_sslv2=1 --eq handshakes.err_not_tls=0 || ok=0
$CHECK handshake "$out" --client "$EMPTY_SNI" --server "127.0.0.1:$port" --field sni= \
	--field conn.role=client --field version=null --field incomplete=closed || ok=0
grep -q '"sni":"after.example"' "$out" || { echo "no record of the handshake after the garbage"; ok=0; }
[ $ok = 1 ] || { show_output "$out"; fail "malformed hellos were not counted as expected"; }
echo "PASS"
