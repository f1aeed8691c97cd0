#!/bin/bash
# SPDX-License-Identifier: MIT
# node (OpenSSL 3 linked into /usr/bin/node here, or Debian's build on libssl.so.3; over
# memory BIOs either way): an https server and client, 200 requests on 200 connections, 8 at
# a time. The agent finds OpenSSL inside node at exec.
# Asserted: --list names the server's OpenSSL, its linkage and version, traced; every request and
# response is in the records with its exact bytes, on both ends, each on the very connection
# its request used (checked by port). node does its socket I/O outside the TLS calls: the
# connection comes from the ciphertext of its writes (attribution "correlated", then
# "cached"), and records wait for it in the agent (hold.h).
. "$(dirname "$0")/lib.sh"
require_root
command -v node >/dev/null || fail "node not installed (Debian: nodejs)"

make_cert
port=$(free_port)
N=200
ts_start --format json -o "$E2E_TMP/out.jsonl"

node "$E2E_DIR/node_https.js" server "$port" "$CERT" "$KEY" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SPID=$!
bg_track $SPID
wait_for 20 "node server listening on $port" port_listening "$port"
sleep 0.3 # the agent probes node when it sees the exec: give it time on a loaded machine

"$TLSSCOPE" --list --format json -p "$SPID" >"$E2E_TMP/list.json" 2>"$E2E_TMP/list.err" ||
	fail "--list exit status $?"
nodever=$(node -p process.versions.openssl | sed 's/[^0-9.].*//')
link=static
ldd "$(command -v node)" | grep -q 'libssl\.so' && link=shared # a build on the system libssl
$CHECK list "$E2E_TMP/list.json" --expect "$SPID,openssl,$link,yes,$nodever" || fail "listing"

node "$E2E_DIR/node_https.js" client "$port" "$N" 8 >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
CPID=$!
bg_track $CPID
wait_pid $CPID 60 || { cat "$E2E_TMP/cli.err"; fail "node client exit status $?"; }
[ "$(wc -l <"$E2E_TMP/cli.out")" = "$N" ] || fail "client finished $(wc -l <"$E2E_TMP/cli.out") of $N requests"
curl -sk "https://127.0.0.1:$port/quit" >/dev/null
wait_pid $SPID 10 || { cat "$E2E_TMP/srv.err"; fail "node server exit status $?"; }
ts_stop

$PY - "$E2E_TMP/out.jsonl" "$E2E_TMP/cli.out" "$SPID" "$CPID" "$port" "$N" <<'PY' || fail "records do not match"
import base64, json, re, sys
out, cli, spid, cpid, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cport = {}
for line in open(cli):
    p, k = line.split()
    cport[int(k)] = int(p)
recs = [json.loads(l) for l in open(out)]
data = [r for r in recs if r["type"] == "data" and r["pid"] in (spid, cpid)]
seen = {(pid, d): set() for pid in (spid, cpid) for d in ("ingress", "egress")}
problems, attributed = [], 0
for r in data:
    if r["lib"] != "openssl":
        problems.append(f"lib {r['lib']}")
    b = base64.b64decode(r["data"]).decode("latin-1")
    m = re.search(r"GET /ping/(\d+) HTTP/1.1\r\n", b) or re.search(r"\r\n\r\npong (\d+)\n$", b)
    if not m:
        continue
    k = int(m.group(1))
    seen[(r["pid"], r["dir"])].add(k)
    if r["conn"] is None:
        problems.append(f"request {k}: pid {r['pid']} {r['dir']} record unattributed")
    else:
        attributed += 1
        c = r["conn"]
        want = (port, cport[k]) if r["pid"] == spid else (cport[k], port)
        got = (int(c["local"].rsplit(":", 1)[1]), int(c["remote"].rsplit(":", 1)[1]))
        if got != want:
            problems.append(f"request {k}: pid {r['pid']} {r['dir']} record on {c}, want ports {want}")
want = set(range(n))
for (pid, d), got in seen.items():
    if got != want:
        problems.append(f"pid {pid} {d}: {len(got)} of {n} requests; missing {sorted(want - got)[:10]}")
if problems:
    sys.exit("FAIL: " + "; ".join(problems[:20]))
print(f"ok: {n} requests exact on both ends in {len(data)} node records, "
      f"{attributed} of them on the right connection")
PY
# curl's first SSL_read of /quit fails (-1) before its out-pointer is written: a 32-bit -1
# must not be read as a success (it once was: a read fault, or stale bytes, per call).
$CHECK stats "$E2E_TMP/out.jsonl" --lost-zero --eq nested_calls=0 \
	--ge bio_bound=$N --ge correlated=$N || fail "stats"
echo "PASS"
