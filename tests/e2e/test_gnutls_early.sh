#!/bin/bash
# SPDX-License-Identifier: MIT
# GnuTLS 0-RTT: gnutls-cli resumes a session with gnutls-serv (--earlydata, --echo) and sends
# a file as early data (gnutls_record_send_early_data), then one line after the handshake.
# Both ends' early data is in the records with its exact bytes (lib gnutls): the client's
# and the server's (gnutls_record_recv_early_data, which copies from the library's buffer:
# no socket I/O in the call, so it is attributed only if the session is bound in time, else
# unattributed; never to another connection).
. "$(dirname "$0")/lib.sh"
require_root
command -v gnutls-serv >/dev/null || fail "gnutls-serv not installed (Debian: gnutls-bin)"

make_cert
port=$(free_port)
printf 'early data, sent in the first flight: 0RTT-%s\n' "$$" >"$E2E_TMP/early"
printf 'a line after the handshake\n' >"$E2E_TMP/after"
mkfifo "$E2E_TMP/cli.in"

ts_start --format json -o "$E2E_TMP/out.jsonl"

gnutls-serv --earlydata --echo -p "$port" --x509certfile "$CERT" --x509keyfile "$KEY" \
	>"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
wait_for 10 "gnutls-serv listening on $port" port_listening "$port"

# --resume: a first handshake gets a ticket, the second carries the early data
gnutls-cli --insecure --resume --earlydata="$E2E_TMP/early" -p "$port" 127.0.0.1 \
	<"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
exec 4>"$E2E_TMP/cli.in"
wait_for 15 "the resumed session" grep -q "This is a resumed session" "$E2E_TMP/cli.out"
cat "$E2E_TMP/after" >&4
wait_for 10 "the echo of the line" grep -qxF -f "$E2E_TMP/after" "$E2E_TMP/cli.out"
exec 4>&-
wait_pid $CPID 10 || { cat "$E2E_TMP/cli.err"; fail "gnutls-cli exit status $?"; }
ts_stop

$PY - "$E2E_TMP/out.jsonl" "$CPID" "$SPID" "$E2E_TMP/early" "$port" <<'PY' || fail "records do not match"
import base64, json, sys
out, cpid, spid, early_file, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
early = open(early_file, "rb").read()
recs = [json.loads(l) for l in open(out) if '"type":"data"' in l]
def find(pid, d):
    return [r for r in recs if r["pid"] == pid and r["dir"] == d and base64.b64decode(r["data"]) == early]
problems = []
c, s = find(cpid, "egress"), find(spid, "ingress")
if len(c) != 1:
    problems.append(f"client: {len(c)} egress records of the early data, want 1")
if len(s) != 1:
    problems.append(f"server: {len(s)} ingress records of the early data, want 1")
for r in c + s:
    if r["lib"] != "gnutls":
        problems.append(f"lib {r['lib']}")
    if r["conn"] is not None:
        lp, rp = int(r["conn"]["local"].rsplit(":", 1)[1]), int(r["conn"]["remote"].rsplit(":", 1)[1])
        if (r["pid"] == spid and lp != port) or (r["pid"] == cpid and rp != port):
            problems.append(f"pid {r['pid']} early data on {r['conn']}")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ok: early data exact on both ends:",
      [(r["comm"], r["dir"], r["attribution"]) for r in c + s])
PY
$CHECK stats "$E2E_TMP/out.jsonl" --lost-zero --eq nested_calls=0 || fail "stats"
echo "PASS"
