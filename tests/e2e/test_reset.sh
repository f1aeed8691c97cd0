#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection reset by its peer: the python3 client sends a first message and gets a reply,
# then sends a second message and closes with an RST (SO_LINGER 0). The server reads the
# second message after the reset (the kernel still hands out data queued before the RST).
# Every record, the last read included, carries the connection's exact 5-tuple and role:
# the connection is the same one, whatever state its socket is in by then.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
cat >"$E2E_TMP/srv.py" <<'PY'
import os, socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
ls.settimeout(30)
open(sys.argv[3] + ".tmp", "w").write("%d %d\n" % (os.getpid(), ls.getsockname()[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
c, _ = ls.accept()
c.settimeout(30)
t = ctx.wrap_socket(c, server_side=True)
assert t.recv(100) == b"first message\n"
t.write(b"first reply\n")
deadline = time.monotonic() + 30
while not os.path.exists(sys.argv[4]) and time.monotonic() < deadline:  # the client has reset
    time.sleep(0.02)
time.sleep(0.2)
got = t.recv(100)
assert got == b"second message, then RST\n", got
PY
cat >"$E2E_TMP/cli.py" <<'PY'
import os, socket, ssl, struct, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30))
open(sys.argv[2], "w").write("%d %d\n" % (os.getpid(), t.getsockname()[1]))
t.write(b"first message\n")
assert t.recv(100) == b"first reply\n"
t.write(b"second message, then RST\n")
t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
t.close()  # RST
open(sys.argv[3], "w").close()
PY
printf 'first message\n' >"$E2E_TMP/m1"
printf 'first reply\n' >"$E2E_TMP/r1"
printf 'first message\nsecond message, then RST\n' >"$E2E_TMP/m12"

ts_start --format json -o "$E2E_TMP/out.jsonl"
$PY "$E2E_TMP/srv.py" "$CERT" "$KEY" "$E2E_TMP/srv.info" "$E2E_TMP/reset" >"$E2E_TMP/srv.log" 2>&1 &
SRV_PID=$!
bg_track $SRV_PID
wait_for 10 "server" test -e "$E2E_TMP/srv.info"
read -r _ SRV_PORT <"$E2E_TMP/srv.info"
$PY "$E2E_TMP/cli.py" "$SRV_PORT" "$E2E_TMP/cli.info" "$E2E_TMP/reset" >"$E2E_TMP/cli.log" 2>&1 ||
	{ cat "$E2E_TMP/cli.log"; fail "client failed"; }
read -r CLI_PID CLI_PORT <"$E2E_TMP/cli.info"
wait_ok "$SRV_PID" srv
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CLI_PID --comm python3 --local 127.0.0.1:$CLI_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
sv="--pid $SRV_PID --comm python3 --local 127.0.0.1:$SRV_PORT --remote 127.0.0.1:$CLI_PORT --role server $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/m12" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/r1" || ok=0
$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/r1" || ok=0
$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/m12" || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
