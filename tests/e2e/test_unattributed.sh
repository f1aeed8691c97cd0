#!/bin/bash
# SPDX-License-Identifier: MIT
# A TLS session with no socket under it is never given a connection. A python3 client and
# server joined by memory BIOs (ssl.MemoryBIO + SSLObject, OpenSSL's SSL_write_ex/SSL_read_ex
# with no socket I/O) exchange a known message in one process: its records carry the exact
# bytes and say attribution "unattributed", with conn and fd null, and the stats count them.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
cat >"$E2E_TMP/membio.py" <<'PY'
import os, ssl, sys, time
cert, key, go = sys.argv[1:4]
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(cert, key)
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
cctx.check_hostname = False
cctx.verify_mode = ssl.CERT_NONE
c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
cli = cctx.wrap_bio(c_in, c_out)
srv = sctx.wrap_bio(s_in, s_out, server_side=True)

def pump():
    s_in.write(c_out.read())
    c_in.write(s_out.read())

for _ in range(20):  # the handshake, bounded
    done = 0
    for side in (cli, srv):
        try:
            side.do_handshake()
            done += 1
        except ssl.SSLWantReadError:
            pass
    pump()
    if done == 2:
        break
else:
    sys.exit("no handshake")
for _ in range(600):  # wait for the agent, at most 30 s
    if os.path.exists(go):
        break
    time.sleep(0.05)
else:
    sys.exit("no go file")
cli.write(b"no socket under this TLS session\n")
pump()
got = srv.read(4096)
assert got == b"no socket under this TLS session\n", got
PY

rm -f "$E2E_TMP/go"
$PY "$E2E_TMP/membio.py" "$CERT" "$KEY" "$E2E_TMP/go" >"$E2E_TMP/mem.log" 2>&1 &
MEM_PID=$!
bg_track "$MEM_PID"
ts_start -p "$MEM_PID" --format json -o "$E2E_TMP/out.jsonl"
touch "$E2E_TMP/go"
wait_ok "$MEM_PID" mem
ts_stop

$PY - "$E2E_TMP/out.jsonl" "$MEM_PID" <<'PY' || { show_output "$E2E_TMP/out.jsonl"; fail "records do not match"; }
import base64, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pid = int(sys.argv[2])
data = [r for r in recs if r["type"] == "data" and r["pid"] == pid]
msg = b"no socket under this TLS session\n"
ok = True
for d in ("egress", "ingress"):
    rs = [r for r in data if r["dir"] == d]
    if len(rs) != 1 or base64.b64decode(rs[0]["data"]) != msg:
        print(f"FAIL: {d}: expected one record with the message, got {rs}")
        ok = False
        continue
    r = rs[0]
    if r["attribution"] != "unattributed" or r["conn"] is not None or r["fd"] is not None:
        print(f"FAIL: {d}: attribution {r['attribution']}, conn {r['conn']}, fd {r['fd']}")
        ok = False
st = [r for r in recs if r["type"] == "stats"][-1]
if st["unattributed"] != len(data):
    print(f"FAIL: stats unattributed {st['unattributed']} != {len(data)} records")
    ok = False
print("ok: %d unattributed records, exact bytes" % len(data))
sys.exit(0 if ok else 1)
PY
echo "PASS"
