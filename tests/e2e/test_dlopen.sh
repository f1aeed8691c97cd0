#!/bin/bash
# SPDX-License-Identifier: MIT
# A TLS library file that no process maps when the agent starts, loaded later with dlopen:
# the client's python imports ssl (dlopen of _ssl, which needs libssl.so.3) with
# LD_LIBRARY_PATH pointing at a private copy of libssl (another inode). The dynamic loader's
# report reaches the agent, which probes the copy; the client's message is then captured
# exactly, and the stats record lists the copy among the probed libraries.
. "$(dirname "$0")/lib.sh"
require_root

sys_ssl=$(readlink -f /usr/lib/x86_64-linux-gnu/libssl.so.3)
[ -r "$sys_ssl" ] || fail "no system libssl.so.3"
mkdir -p "$E2E_TMP/lib"
cp "$sys_ssl" "$E2E_TMP/lib/libssl.so.3"
copy=$E2E_TMP/lib/libssl.so.3

make_cert
printf 'sent through a libssl loaded after the agent started\n' >"$E2E_TMP/msg"
printf 'reply\n' >"$E2E_TMP/reply"

ts_start -v --format json -o "$E2E_TMP/out.jsonl"
start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply"
PEER_WRAP="env LD_LIBRARY_PATH=$E2E_TMP/lib" start_peer_client cli "$SRV_PORT" \
	"$E2E_TMP/msg" "$E2E_TMP/reply" "$E2E_TMP/go"
grep -q "$copy" "/proc/$CLI_PID/maps" || fail "the client did not load $copy"
# The agent probes the copy when the loader reports it (-v says so); then send.
wait_for 5 "the agent to probe $copy" grep -q "probed $copy " "$E2E_TMP/ts.err"
touch "$E2E_TMP/go"
wait_ok "$CLI_PID" cli
wait_ok "$SRV_PID" srv
ts_stop

out=$E2E_TMP/out.jsonl
who=$(who_args)
cl="--pid $CLI_PID --comm python3 --local 127.0.0.1:$CLI_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
ok=1
$CHECK stream "$out" $cl --dir egress --single --expect-file "$E2E_TMP/msg" || ok=0
grep '"type":"stats"' "$out" | tail -1 | grep -q "\"path\":\"$copy\"" ||
	{ ok=0; echo "FAIL: the stats record does not list $copy"; }
[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
echo "PASS"
