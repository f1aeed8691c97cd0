#!/bin/bash
# SPDX-License-Identifier: MIT
# `tlsscope --format json | head -n 1`: once the reader has gone, the agent notices (EPIPE)
# and exits by itself, without a crash, even when the traffic after that is light.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
printf 'ping\n' >"$E2E_TMP/msg"
printf 'pong\n' >"$E2E_TMP/reply"
mkfifo "$E2E_TMP/pipe"
head -n 1 <"$E2E_TMP/pipe" >"$E2E_TMP/first" &
HEAD_PID=$!
bg_track $HEAD_PID
rm -f "$E2E_TMP/ready"
"$TLSSCOPE" --format json --ready-file "$E2E_TMP/ready" -c python3 >"$E2E_TMP/pipe" 2>"$E2E_TMP/ts.err" &
TS_PID=$!
wait_for 20 "the agent to be ready" test -e "$E2E_TMP/ready"

exchange() {
	start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply"
	start_peer_client cli "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply"
	wait_ok "$CLI_PID" cli
	wait_ok "$SRV_PID" srv
}
exchange
wait_pid $HEAD_PID 10 || fail "head did not get a line"
grep -qE '"type":"(handshake|data)"' "$E2E_TMP/first" || fail "the first line is no handshake or data record: $(cat "$E2E_TMP/first")"
log "head has exited; a few more exchanges (4 records each)"
for i in 1 2 3 4 5; do
	child_alive "$TS_PID" || break
	exchange
	sleep 1
done
if child_alive "$TS_PID"; then
	fail "the agent is still running 5 exchanges and >5 s after its reader went away"
fi
wait "$TS_PID"
st=$?
TS_PID=
log "agent exited with status $st"
[ $st -lt 128 ] || { cat "$E2E_TMP/ts.err"; fail "the agent died of signal $((st - 128))"; }
echo "PASS"
