#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection over a veth pair into a network namespace made by the test, after the agent
# started: the new interface is picked up while running, the handshake is seen on the host
# end of the veth, and it is joined to the records of both ends: the client in the host's
# namespace and the server in the test's.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
ns=tlsscope-hs-$$
vh=tsh$$
vc=tsc$$
net=10.$((200 + $$ % 50)).$(($$ % 250)).
ts_start --format json -o "$E2E_TMP/out.jsonl" -v
make_netns "$ns"
ip link add "$vh" type veth peer name "$vc" netns "$ns" || fail "ip link add veth"
ip addr add "${net}1/24" dev "$vh" && ip link set "$vh" up || fail "host end up"
ip netns exec "$ns" ip addr add "${net}2/24" dev "$vc" && ip netns exec "$ns" ip link set "$vc" up ||
	fail "namespace end up"
wait_for 10 "the agent to watch $vh" grep -q "watching handshakes on $vh " "$E2E_TMP/ts.err"
ns_ino=$(stat -L -c %i "/run/netns/$ns")
host_ino=$(netns_of $$)

printf 'hello over a veth\n' >"$E2E_TMP/msg"
printf 'reply over a veth\n' >"$E2E_TMP/reply"
PEER_WRAP="ip netns exec $ns" PEER_BIND=${net}2 start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply"
PEER_HOST=${net}2 PEER_CLIENT_ARGS="--sni veth.example --alpn h2,http/1.1" \
	start_peer_client cli "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply"
wait_ok "$CLI_PID" cli
wait_ok "$SRV_PID" srv
ts_stop

out=$E2E_TMP/out.jsonl
cep=${net}1:$CLI_PORT
sep=${net}2:$SRV_PORT
ok=1
$CHECK handshake "$out" --client "$cep" --server "$sep" --field "pid=$CLI_PID" --field comm=python3 \
	--field conn.role=client --field "iface=$vh" --field "netns=$host_ino" --field sni=veth.example \
	--field 'alpn_offered=["h2","http/1.1"]' --field version=TLSv1.3 --field incomplete=null || ok=0
$CHECK tls "$out" --pid "$CLI_PID" --local "$cep" --field sni=veth.example --field version=TLSv1.3 || ok=0
$CHECK tls "$out" --pid "$SRV_PID" --local "$sep" --field sni=veth.example --field version=TLSv1.3 || ok=0
# the server's records are those of its own namespace
$CHECK stream "$out" --pid "$SRV_PID" --comm python3 --local "$sep" --remote "$cep" --role server \
	--netns "$ns_ino" --dir ingress --expect-file "$E2E_TMP/msg" || ok=0
$CHECK stats "$out" --lost-zero || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
