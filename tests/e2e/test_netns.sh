#!/bin/bash
# SPDX-License-Identifier: MIT
# Network namespaces: python3 peers in a namespace of their own. Records carry that
# namespace's inode as netns and its 5-tuples. Two runs:
#  1. new connection made while the agent runs;
#  2. connection older than the agent: roles come from the listening sockets of the peers'
#     own namespace. The client connects from local port P while, in the host namespace,
#     something listens on 127.0.0.1:P: looking in the wrong namespace would call it server.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
ns=tlsscope-e2e-$$
make_netns "$ns"
ns_ino=$(stat -L -c %i "/run/netns/$ns")
[ "$ns_ino" != "$(netns_of $$)" ] || fail "the new namespace has the host's inode"
cg=$(cgroup_id_of $$)
who="--netns $ns_ino${cg:+ --cgroup-id $cg}"
log "namespace $ns inode $ns_ino"
printf 'hello inside a namespace\n' >"$E2E_TMP/msg"
printf 'reply inside a namespace\n' >"$E2E_TMP/reply"
PEER_WRAP="ip netns exec $ns"
ok=1

check_run() { # OUT
	local cl sv who="$who --after $TS_T0 --before $TS_T1"
	cl="--pid $CLI_PID --comm python3 --local 127.0.0.1:$CLI_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
	sv="--pid $SRV_PID --comm python3 --local 127.0.0.1:$SRV_PORT --remote 127.0.0.1:$CLI_PORT --role server $who"
	$CHECK stream "$1" $cl --dir egress --single --expect-file "$E2E_TMP/msg" || ok=0
	$CHECK stream "$1" $sv --dir ingress --expect-file "$E2E_TMP/msg" || ok=0
	$CHECK stream "$1" $sv --dir egress --single --expect-file "$E2E_TMP/reply" || ok=0
	$CHECK stream "$1" $cl --dir ingress --expect-file "$E2E_TMP/reply" || ok=0
}

# 1. a new connection
ts_start --format json -o "$E2E_TMP/new.jsonl"
start_peer_server srv1 "$E2E_TMP/msg" "$E2E_TMP/reply"
start_peer_client cli1 "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply"
wait_ok "$CLI_PID" cli1
wait_ok "$SRV_PID" srv1
ts_stop
check_run "$E2E_TMP/new.jsonl"
[ $ok = 1 ] || { show_output "$E2E_TMP/new.jsonl"; fail "new connection in a namespace: records do not match"; }

# 2. an older connection; a host-namespace listener on the client's local port
P=$(free_port)
$PY -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close()
end = time.monotonic() + 60
while not os.path.exists(sys.argv[3]) and time.monotonic() < end:
    time.sleep(0.05)' "$P" "$E2E_TMP/decoy.up" "$E2E_TMP/hold" &
bg_track $!
wait_for 10 "decoy listener" test -e "$E2E_TMP/decoy.up"
start_peer_server srv2 "$E2E_TMP/msg" "$E2E_TMP/reply" 1 "$E2E_TMP/hold"
PEER_CLIENT_ARGS="--bind-port $P" start_peer_client cli2 "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply" \
	"$E2E_TMP/go" "$E2E_TMP/hold"
[ "$CLI_PORT" = "$P" ] || fail "client got local port $CLI_PORT, asked for $P"
ts_start --format json -o "$E2E_TMP/old.jsonl"
touch "$E2E_TMP/go"
wait_for 10 "the exchange" test -e "$E2E_TMP/cli2.info.done"
ts_stop
touch "$E2E_TMP/hold"
wait_ok "$CLI_PID" cli2
wait_ok "$SRV_PID" srv2
check_run "$E2E_TMP/old.jsonl"
[ $ok = 1 ] || { show_output "$E2E_TMP/old.jsonl"; fail "older connection in a namespace: records do not match"; }
echo "PASS"
