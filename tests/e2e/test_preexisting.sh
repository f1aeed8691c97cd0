#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection older than the agent: a python3 client connects (TLS handshake done) to a
# python3 server BEFORE tlsscope starts; once the agent is ready the client sends a message
# and gets a reply. Both sides are attributed with the exact 5-tuple and the right roles (the
# server's socket has the port of a socket it listens on). Both peers stay alive (connection
# open, server still listening) until the agent has stopped, as long-lived servers do; see
# test_preexisting_shortlived.sh for peers that are gone by the time the agent reads.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
printf 'message on an old connection\n' >"$E2E_TMP/msg"
printf 'reply on an old connection: %s\n' "$(seq -s' ' 1 50)" >"$E2E_TMP/reply"

start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply" 1 "$E2E_TMP/hold"
start_peer_client cli "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply" "$E2E_TMP/go" "$E2E_TMP/hold"
ts_start --format json -o "$E2E_TMP/out.jsonl"
touch "$E2E_TMP/go"
# the exchange is over once the server has written its reply and the client has read it
wait_for 10 "the exchange" test -e "$E2E_TMP/cli.info.done"
ts_stop
touch "$E2E_TMP/hold"
wait_ok "$CLI_PID" cli
wait_ok "$SRV_PID" srv

out=$E2E_TMP/out.jsonl
check_exchange "$out" "127.0.0.1:$CLI_PORT" "127.0.0.1:$SRV_PORT" ||
	{ show_output "$out"; fail "records do not match"; }
echo "PASS"
