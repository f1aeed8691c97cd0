#!/bin/bash
# SPDX-License-Identifier: MIT
# Filters: -p PID shows that process only (two clients of one server run, one is traced);
# -c COMM shows that command only (curl and python3 against nginx, -c curl shows curl); a bad
# or absent pid is refused with a clear message and a non-zero status, without a crash.
. "$(dirname "$0")/lib.sh"
require_root

make_cert
ok=1

# 1. -p: two clients with connections made before the agent starts (so their pids exist)
printf 'message from a client\n' >"$E2E_TMP/msg"
printf 'reply to a client\n' >"$E2E_TMP/reply"
start_peer_server srv "$E2E_TMP/msg" "$E2E_TMP/reply" 2
start_peer_client cliA "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply" "$E2E_TMP/go"
A_PID=$CLI_PID A_PORT=$CLI_PORT
start_peer_client cliB "$SRV_PORT" "$E2E_TMP/msg" "$E2E_TMP/reply" "$E2E_TMP/go"
B_PID=$CLI_PID
ts_start --format json -o "$E2E_TMP/pid.jsonl" -p "$A_PID"
touch "$E2E_TMP/go"
wait_ok "$A_PID" cliA
wait_ok "$B_PID" cliB
wait_ok "$SRV_PID" srv
ts_stop
who=$(who_args)
out=$E2E_TMP/pid.jsonl
cl="--pid $A_PID --comm python3 --local 127.0.0.1:$A_PORT --remote 127.0.0.1:$SRV_PORT --role client $who"
$CHECK stream "$out" $cl --dir egress --single --expect-file "$E2E_TMP/msg" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/reply" || ok=0
$CHECK only "$out" --pid "$A_PID" || ok=0
$CHECK none "$out" --pid "$B_PID" --pid "$SRV_PID" || ok=0
$CHECK stats "$out" --lost-zero --accounting || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "-p $A_PID: records do not match"; }

# 2. -c curl: curl and a python3 client both fetch from nginx
port=$(free_port)
start_nginx "$port"
printf 'body for the comm filter test\n' >"$E2E_TMP/nginx/www/index.html"
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >"$E2E_TMP/pyreq"
ts_start --format json -o "$E2E_TMP/comm.jsonl" -c curl
$PEER client --port "$port" --info "$E2E_TMP/py.info" --send "$E2E_TMP/pyreq" --out "$E2E_TMP/py.resp" \
	>"$E2E_TMP/py.log" 2>&1 &
PY_PID=$!
bg_track $PY_PID
run_curl c1 "https://127.0.0.1:$port/" -A tlsscope-e2e/filter
wait_ok "$PY_PID" py
ts_stop
stop_nginx
grep -q 'body for the comm filter test' "$E2E_TMP/py.resp" || fail "the python3 client got no body"
who=$(who_args)
out=$E2E_TMP/comm.jsonl
curl_request "$port" / tlsscope-e2e/filter >"$E2E_TMP/request"
cat "$E2E_TMP/c1.hdr" "$E2E_TMP/c1.body" >"$E2E_TMP/response"
cl="--pid $CURL_PID --comm curl --local 127.0.0.1:$CURL_PORT --remote 127.0.0.1:$port --role client $who"
$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/request" || ok=0
$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/response" || ok=0
$CHECK only "$out" --comm curl || ok=0
$CHECK none "$out" --pid "$PY_PID" --pid "$NGINX_WORKER" --pid "$NGINX_MASTER" || ok=0
[ $ok = 1 ] || { show_output "$out"; fail "-c curl: records do not match"; }

# 3. bad filters: refused before anything is loaded, with a message that names the problem
bad() { # WANT_STATUS(nonzero|N) PATTERN ARGS...
	local want=$1 pat=$2 st
	shift 2
	rm -f "$E2E_TMP/bad.ready"
	timeout 20 "$TLSSCOPE" --format json -o "$E2E_TMP/bad.jsonl" --ready-file "$E2E_TMP/bad.ready" "$@" \
		>"$E2E_TMP/bad.out" 2>"$E2E_TMP/bad.err"
	st=$?
	log "tlsscope $*: status $st, stderr: $(head -c 300 "$E2E_TMP/bad.err")"
	if [ "$want" = nonzero ]; then
		[ $st != 0 ] && [ $st -lt 124 ] || { ok=0; echo "FAIL: tlsscope $*: status $st, expected a clean non-zero exit"; }
	else
		[ $st = "$want" ] || { ok=0; echo "FAIL: tlsscope $*: status $st, expected $want"; }
	fi
	grep -qiE -- "$pat" "$E2E_TMP/bad.err" ||
		{ ok=0; echo "FAIL: tlsscope $*: stderr does not match /$pat/:"; cat "$E2E_TMP/bad.err"; }
	[ ! -e "$E2E_TMP/bad.ready" ] || { ok=0; echo "FAIL: tlsscope $*: created its ready file"; }
}
bad nonzero '999999999.*no such process|no such process.*999999999' -p 999999999
true &
gone=$!
wait $gone
bad nonzero "$gone.*no such process|no such process.*$gone" -p "$gone"
bad 2 "invalid pid 'abc'" -p abc
bad 2 "invalid pid '0'" -p 0
bad 2 "invalid pid '-5'" -p -5
bad 2 "invalid pid '99999999999'" -p 99999999999
bad 2 "invalid comm" -c 0123456789abcdef
bad 2 "invalid comm" -c ''
[ $ok = 1 ] || fail "bad filters"
echo "PASS"
