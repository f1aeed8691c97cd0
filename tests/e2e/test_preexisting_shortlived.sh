#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection older than the agent, between peers that end right after their exchange (the
# way short jobs and one-shot servers do): a python3 client connects (handshake done) to a
# python3 server before tlsscope starts; once the agent is ready the client sends a message,
# gets a reply and both exit at once. The records must still carry the exact 5-tuple and the
# right roles: the server's socket had the port of its listening socket when the calls ran.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
printf 'message on an old connection\n' >"$E2E_TMP/msg"
printf 'reply on an old connection: %s\n' "$(seq -s' ' 1 50)" >"$E2E_TMP/reply"

start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply"
start_peer_client cli "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply" "$E2E_TMP/go"
ts_start --format json -o "$E2E_TMP/out.jsonl"
touch "$E2E_TMP/go"
wait_ok "$CLI_PID" cli
wait_ok "$SRV_PID" srv
ts_stop

out=$E2E_TMP/out.jsonl
check_exchange "$out" "127.0.0.1:$CLI_PORT" "127.0.0.1:$SRV_PORT" ||
	{ show_output "$out"; fail "records do not match"; }
echo "PASS"
