#!/bin/bash
# SPDX-License-Identifier: MIT
# OpenSSL linked into an executable (libssl.a), with its symbols and stripped. Two copies of
# one small client talk to two openssl s_server processes:
#  - unstripped: the agent finds OpenSSL inside the executable at exec time and traces it;
#    exact bytes both ways on the exact 5-tuple (the client waits 300 ms after its exec: the
#    agent probes an executable only once it has seen the exec);
#  - stripped: nothing can be probed; it produces no record and --list (run while both
#    clients wait for their replies) says it is not traced and why.
# --list is checked against every process the test started (and a sleep, which has no TLS).
. "$(dirname "$0")/lib.sh"
require_root

make_cert
cc -O2 -o "$E2E_TMP/client" "$E2E_DIR/clients/openssl_client.c" \
	-Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -ldl -pthread || fail "build the static client"
cp "$E2E_TMP/client" "$E2E_TMP/client-stripped"
strip "$E2E_TMP/client-stripped"
ldd "$E2E_TMP/client" | grep -q libssl && fail "the client links libssl.so, not libssl.a"

printf 'static client says hello\n' >"$E2E_TMP/c2s"
printf 'stripped client says hello\n' >"$E2E_TMP/c2s.2"
printf 'reply to the static client\n' >"$E2E_TMP/s2c"
printf 'reply to the stripped one\n' >"$E2E_TMP/s2c.2"

mport=$(free_port)
ts_start --format json -o "$E2E_TMP/out.jsonl" --stats-interval 1 --metrics "127.0.0.1:$mport"

declare -A SPID PORT CPID CPORT
for i in 1 2; do
	PORT[$i]=$(free_port)
	mkfifo "$E2E_TMP/srv$i.in"
	openssl s_server -accept "127.0.0.1:${PORT[$i]}" -cert "$CERT" -key "$KEY" -quiet \
		-naccept 1 <"$E2E_TMP/srv$i.in" >"$E2E_TMP/srv$i.out" 2>"$E2E_TMP/srv$i.err" &
	SPID[$i]=$!
	bg_track ${SPID[$i]}
	eval "exec $((2 + i))>\"\$E2E_TMP/srv$i.in\"" # fds 3 and 4 hold the servers' input
	wait_for 10 "s_server $i listening" port_listening "${PORT[$i]}"
done
sleep 30 &
SLEEP=$!
bg_track $SLEEP

"$E2E_TMP/client" "${PORT[1]}" "$(cat "$E2E_TMP/c2s")"$'\n' 300 >"$E2E_TMP/cli1.out" 2>"$E2E_TMP/cli1.err" &
CPID[1]=$!
"$E2E_TMP/client-stripped" "${PORT[2]}" "$(cat "$E2E_TMP/c2s.2")"$'\n' 300 \
	>"$E2E_TMP/cli2.out" 2>"$E2E_TMP/cli2.err" &
CPID[2]=$!
bg_track ${CPID[1]}
bg_track ${CPID[2]}
wait_for 10 "s_server 1 to print the static client's line" cmp -s "$E2E_TMP/srv1.out" "$E2E_TMP/c2s"
wait_for 10 "s_server 2 to print the stripped client's line" cmp -s "$E2E_TMP/srv2.out" "$E2E_TMP/c2s.2"
for k in 1 2; do # not i: wait_for has a local i
	get_cport() { CPORT[$k]=$(client_port_of "${CPID[$k]}" "${PORT[$k]}"); [ -n "${CPORT[$k]}" ]; }
	wait_for 10 "client $k's port" get_cport
done
log "static client ${CPID[1]} :${CPORT[1]} -> :${PORT[1]}, stripped ${CPID[2]} :${CPORT[2]} -> :${PORT[2]}"

# Both clients now wait for their replies: every process is alive for the listing.
"$TLSSCOPE" --list --format json >"$E2E_TMP/list.json" 2>"$E2E_TMP/list.err" ||
	fail "--list exit status $?"
"$TLSSCOPE" --list >"$E2E_TMP/list.txt" 2>>"$E2E_TMP/list.err" || fail "--list (text) exit status $?"
sslver=$(openssl version | awk '{print $2}')
$CHECK list "$E2E_TMP/list.json" \
	--expect "${CPID[1]},openssl,static,yes" \
	--expect "${CPID[2]},openssl,stripped,no" \
	--expect "${SPID[1]},openssl,shared,yes,$sslver" \
	--expect "${SPID[2]},openssl,shared,yes,$sslver" \
	--absent "$SLEEP" || { cat "$E2E_TMP/list.json"; fail "listing"; }
grep -E "^ *${CPID[2]} +client-stripped +openssl +- +stripped +no .*: symbols stripped" \
	"$E2E_TMP/list.txt" >/dev/null || { cat "$E2E_TMP/list.txt"; fail "text listing"; }
curl -s "http://127.0.0.1:$mport/metrics" >"$E2E_TMP/metrics.txt" || fail "scrape /metrics"
untraced=$(awk '$1 == "tlsscope_tls_processes{traced=\"false\"}" {print $2}' "$E2E_TMP/metrics.txt")
[ "${untraced:-0}" -ge 1 ] ||
	{ grep tls_ "$E2E_TMP/metrics.txt"; fail "metrics do not count the stripped client as untraced"; }
sleep 1.2 # a periodic stats record while the stripped client is alive

cat "$E2E_TMP/s2c" >&3
cat "$E2E_TMP/s2c.2" >&4
for i in 1 2; do
	wait_pid "${CPID[$i]}" 10 || { cat "$E2E_TMP/cli$i.err"; fail "client $i exit status $?"; }
	wait_pid "${SPID[$i]}" 10 || { cat "$E2E_TMP/srv$i.err"; fail "s_server $i exit status $?"; }
done
exec 3>&- 4>&-
cmp -s "$E2E_TMP/cli1.out" "$E2E_TMP/s2c" || fail "client 1 got $(cat "$E2E_TMP/cli1.out")"
cmp -s "$E2E_TMP/cli2.out" "$E2E_TMP/s2c.2" || fail "client 2 got $(cat "$E2E_TMP/cli2.out")"
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid ${CPID[1]} --comm client --local 127.0.0.1:${CPORT[1]} --remote 127.0.0.1:${PORT[1]} --role client $who"
ok=1
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" --single \
	--want-attribution syscall || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" --want-attribution syscall || ok=0
$CHECK none "$out" --pid "${CPID[2]}" || ok=0
# s_server 2 still shows the stripped client's bytes: its own libssl is shared
$CHECK stream "$out" --pid "${SPID[2]}" --comm openssl --local "127.0.0.1:${PORT[2]}" \
	--remote "127.0.0.1:${CPORT[2]}" --role server $who --dir ingress \
	--expect-file "$E2E_TMP/c2s.2" || ok=0
$CHECK stats "$out" --lost-zero --eq nested_calls=0 || ok=0
$PY - "$out" "${CPID[2]}" <<'PY' || ok=0
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
stats = [r for r in recs if r["type"] == "stats"]
if not any(s["processes"]["untraced"] >= 1 for s in stats):
    sys.exit("FAIL: no stats record counted the stripped client as untraced: "
             + json.dumps([s["processes"] for s in stats]))
libs = stats[-1]["libraries"]
mine = [l for l in libs if l["path"].endswith("/client-stripped")]
if len(mine) != 1 or mine[0]["traced"] or mine[0]["linkage"] != "stripped":
    sys.exit("FAIL: stats libraries lack the stripped client: " + json.dumps(libs))
print("ok: stats counted the stripped client as untraced:", json.dumps(mine[0]))
PY
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
