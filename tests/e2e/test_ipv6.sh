#!/bin/bash
# SPDX-License-Identifier: MIT
# IPv6 endpoints are printed "[addr]:port"; on a dual-stack listener ("::") the IPv4 peers have
# IPv4-mapped addresses, printed as plain IPv4. python3 peers, exact bytes and 5-tuples.
. "$(dirname "$0")/lib.sh"
require_root

ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || { echo "SKIP: no ::1 on lo"; exit 77; }
make_cert
printf 'hello over IPv6\n' >"$E2E_TMP/msg"
printf 'reply over IPv6\n' >"$E2E_TMP/reply"
ok=1

# (bind address, client address, how endpoints print)
for case in "::1 ::1 [::1]" ":: 127.0.0.1 127.0.0.1" ":: ::1 [::1]"; do
	set -- $case
	PEER_BIND=$1 PEER_HOST=$2 ep=$3
	name=$(echo "$1-$2" | tr ':.' '_-')
	ts_start --format json -o "$E2E_TMP/$name.jsonl"
	start_peer_server "srv$name" "$E2E_TMP/msg" "$E2E_TMP/reply"
	start_peer_client "cli$name" "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply"
	wait_ok "$CLI_PID" "cli$name"
	wait_ok "$SRV_PID" "srv$name"
	ts_stop
	out=$E2E_TMP/$name.jsonl
	who=$(who_args)
	log "server on $1, client to $2: endpoints $ep:PORT"
	cl="--pid $CLI_PID --comm python3 --local $ep:$CLI_PORT --remote $ep:$SRV_PORT --role client $who"
	sv="--pid $SRV_PID --comm python3 --local $ep:$SRV_PORT --remote $ep:$CLI_PORT --role server $who"
	$CHECK stream "$out" $cl --dir egress --single --expect-file "$E2E_TMP/msg" || ok=0
	$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/msg" || ok=0
	$CHECK stream "$out" $sv --dir egress --single --expect-file "$E2E_TMP/reply" || ok=0
	$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/reply" || ok=0
	[ $ok = 1 ] || { show_output "$out"; fail "server on $1, client to $2: records do not match"; }
done
echo "PASS"
