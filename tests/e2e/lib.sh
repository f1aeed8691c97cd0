# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: MIT
# Shared helpers for the end-to-end tests. Sourced by every tests/e2e/test_*.sh.
#
# The runner gives each test:  TLSSCOPE (absolute path of the agent), E2E_TMP (a fresh temp
# directory, also the working directory) and E2E_DIR (this directory). A test that is run by
# hand gets the same from here: TLSSCOPE=build/tlsscope bash tests/e2e/test_x.sh
#
# Everything a test starts is recorded by pid and ended by pid in the EXIT trap; nothing is
# ever killed by name.

set -u

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
if [ -z "${E2E_TMP:-}" ]; then
	E2E_TMP=$(mktemp -d /tmp/tlsscope-e2e.XXXXXX)
	E2E_OWN_TMP=1
fi
cd "$E2E_TMP" || exit 1
: "${TLSSCOPE:?TLSSCOPE must name the agent binary}"
case $TLSSCOPE in /*) ;; *) TLSSCOPE=$(cd "$(dirname "$TLSSCOPE")" && pwd)/$(basename "$TLSSCOPE") ;; esac
[ -x "$TLSSCOPE" ] || { echo "FAIL: $TLSSCOPE is not an executable"; exit 1; }

# The traced programs: Debian's own python (links the system libssl.so.3), not a pyenv shim
# that would add wrapper processes between us and the pid we assert on.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
CHECK="$PY $E2E_DIR/check.py"

E2E_PIDS=()      # background processes to end at exit (by pid)
E2E_NETNS=()     # network namespaces to delete at exit
TS_PID=          # the running agent, if any
NGINX_PID=       # the nginx master, if any

log() { printf '[%s] %s\n' "$(date +%T.%N | cut -c1-12)" "$*"; }

fail() {
	echo "FAIL: $*"
	exit 1
}

# bounded wait: wait_for SECONDS DESCRIPTION COMMAND... (polls every 50 ms)
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out after ${secs}s waiting for $what"
}

# child_alive PID: PID is a running (not zombie) child of this shell. Never signal a pid
# without it: once bash has reaped a child, its pid may belong to someone else.
child_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	set -- $st # state ppid ...
	[ "$2" = "$$" ] && [ "$1" != Z ]
}

# wait_pid PID SECONDS: wait for our child PID to end, at most SECONDS; returns its status (or
# 124 after killing it if it did not end in time).
wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		child_alive "$pid" || break
		sleep 0.05
	done
	if child_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

bg_track() { E2E_PIDS+=("$1"); }

e2e_cleanup() {
	local st=$? p
	trap - EXIT INT TERM
	if [ -n "$TS_PID" ] && child_alive "$TS_PID"; then
		kill -INT "$TS_PID" 2>/dev/null
		wait_pid "$TS_PID" 5 >/dev/null 2>&1
	fi
	if [ -n "$NGINX_PID" ] && child_alive "$NGINX_PID"; then
		kill -TERM "$NGINX_PID" 2>/dev/null # the master ends its workers
		wait_pid "$NGINX_PID" 5 >/dev/null 2>&1
	fi
	for p in "${E2E_PIDS[@]}"; do
		child_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in "${E2E_PIDS[@]}"; do
		wait_pid "$p" 3 >/dev/null 2>&1
	done
	for p in "${E2E_NETNS[@]}"; do
		ip netns del "$p" 2>/dev/null
	done
	[ -n "${E2E_OWN_TMP:-}" ] && [ "$st" = 0 ] && rm -rf "$E2E_TMP"
	exit "$st"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

require_root() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
}

# ---------------------------------------------------------------------------------------------
# facts about processes

# network namespace inode of PID (read it from a long-lived process in the same netns, e.g. $$,
# for processes that may be gone by the time you ask)
netns_of() { stat -L -c %i "/proc/$1/ns/net"; }

# cgroup v2 id (the inode of the cgroup's directory) of PID, or empty without a cgroup2 mount
cgroup_id_of() {
	local mnt path
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	path=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	[ -n "$mnt" ] && [ -n "$path" ] || return 0
	stat -c %i "$mnt$path"
}

# common "who" arguments for check.py: the netns and cgroup of this shell (children inherit),
# and the wall-clock window of the last agent run (every record's ts must fall inside it)
who_args() {
	local cg
	cg=$(cgroup_id_of $$)
	printf -- '--netns %s' "$(netns_of $$)"
	[ -n "$cg" ] && printf -- ' --cgroup-id %s' "$cg"
	[ -n "${TS_T0:-}" ] && [ -n "${TS_T1:-}" ] && printf -- ' --after %s --before %s' "$TS_T0" "$TS_T1"
	echo
}

# make_netns NAME: a new network namespace with lo up, deleted at exit; prints nothing
make_netns() {
	ip netns add "$1" || fail "ip netns add $1"
	E2E_NETNS+=("$1")
	ip netns exec "$1" ip link set lo up || fail "lo up in $1"
}

# a TCP port on 127.0.0.1 that is free right now
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_listening() { ss -Htln "sport = :$1" | grep -q .; }

# local port of PID's established TCP connection to 127.0.0.1:PORT
client_port_of() {
	ss -Htnp state established "( dport = :$2 )" |
		awk -v pat="pid=$1," 'index($0, pat) { n = split($3, a, ":"); print a[n]; exit }'
}

# ---------------------------------------------------------------------------------------------
# TLS material

make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" \
		-days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		>"$E2E_TMP/openssl-req.log" 2>&1 || { cat "$E2E_TMP/openssl-req.log"; fail "openssl req"; }
	CERT=$E2E_TMP/cert.pem
	KEY=$E2E_TMP/key.pem
}

# ---------------------------------------------------------------------------------------------
# the agent

# ts_start ARGS...: start the agent in the background with its ready file in the temp dir,
# stdout to ts.out, stderr to ts.err; returns once every probe is attached.
ts_start() {
	local i
	TS_READY=$E2E_TMP/ready
	rm -f "$TS_READY" # before starting: a stale file would let us race the agent
	log "start: tlsscope $*"
	TS_T0=$(date +%s%N) TS_T1=
	"$TLSSCOPE" --ready-file "$TS_READY" "$@" >"$E2E_TMP/ts.out" 2>"$E2E_TMP/ts.err" &
	TS_PID=$!
	for ((i = 0; i < 400; i++)); do # 20 s
		[ -e "$TS_READY" ] && { log "agent $TS_PID ready"; return 0; }
		if ! child_alive "$TS_PID"; then
			wait "$TS_PID"
			local st=$?
			TS_PID=
			echo "--- agent stderr:"; cat "$E2E_TMP/ts.err"
			fail "tlsscope exited with status $st before it was ready"
		fi
		sleep 0.05
	done
	echo "--- agent stderr:"; cat "$E2E_TMP/ts.err"
	fail "tlsscope not ready after 20s"
}

# ts_stop: SIGINT, wait (bounded), fail unless it exited with status 0.
ts_stop() {
	local st
	[ -n "$TS_PID" ] || fail "ts_stop: agent not running"
	sleep 0.3 # let the last records reach the ring buffer reader (it polls every 10 ms)
	child_alive "$TS_PID" && kill -INT "$TS_PID"
	wait_pid "$TS_PID" 15
	st=$?
	TS_T1=$(date +%s%N)
	log "agent $TS_PID exited with status $st"
	TS_PID=
	if [ "$st" != 0 ]; then
		echo "--- agent stderr:"; cat "$E2E_TMP/ts.err"
		fail "tlsscope exited with status $st after SIGINT (expected 0)"
	fi
}

show_output() {
	local n
	n=$(wc -l <"$1")
	echo "--- agent output ($1, $n lines):"
	head -n 60 "$1" | cut -c1-600
	[ "$n" -le 60 ] || echo "... $((n - 60)) more lines"
	echo "--- agent stderr:"
	cat "$E2E_TMP/ts.err"
}

# ---------------------------------------------------------------------------------------------
# nginx

# start_nginx PORT: nginx on 127.0.0.1:PORT (TLS, HTTP/1.1), one worker, everything under
# $E2E_TMP/nginx. Serves $E2E_TMP/nginx/www/index.html (write it before or after). Sets
# NGINX_PID and NGINX_MASTER (the master; NGINX_PID is cleared by stop_nginx) and NGINX_WORKER.
# NGINX_SERVER_EXTRA, if set, is pasted into the server block.
start_nginx() {
	local port=$1 d=$E2E_TMP/nginx i
	mkdir -p "$d/www" "$d/logs" "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
events { worker_connections 64; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type text/plain;
	keepalive_timeout 5;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $CERT;
		ssl_certificate_key $KEY;
		root $d/www;
		location / { index index.html; }
		${NGINX_SERVER_EXTRA:-}
	}
}
EOF
	nginx -p "$d" -c "$d/nginx.conf" >"$d/logs/stdout" 2>&1 &
	NGINX_PID=$!
	for ((i = 0; i < 200; i++)); do
		if ! child_alive "$NGINX_PID"; then
			cat "$d/logs/stdout" "$d/logs/error.log" 2>/dev/null
			NGINX_PID=
			fail "nginx exited at start"
		fi
		port_listening "$port" && NGINX_WORKER=$(cat /proc/$NGINX_PID/task/*/children 2>/dev/null | awk '{print $1}') &&
			[ -n "$NGINX_WORKER" ] && break
		sleep 0.05
	done
	[ -n "${NGINX_WORKER:-}" ] || fail "nginx not listening on $port after 10s"
	NGINX_MASTER=$NGINX_PID
	log "nginx master $NGINX_PID worker $NGINX_WORKER on 127.0.0.1:$port"
}

stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	child_alive "$NGINX_PID" && kill -TERM "$NGINX_PID"
	wait_pid "$NGINX_PID" 10
	NGINX_PID=
}

# run_curl NAME URL [ARGS...]: curl the URL; records its pid in NAME.pid, its local port in
# NAME.port, the response headers exactly as received in NAME.hdr and the body in NAME.body.
run_curl() {
	local name=$1 url=$2
	shift 2
	# sh execs curl: the pid sh records is curl's
	sh -c 'echo $$ > "$0.pid"; exec curl "$@"' "$E2E_TMP/$name" -sS -k --http1.1 --max-time 20 \
		-D "$E2E_TMP/$name.hdr" -o "$E2E_TMP/$name.body" -w '%{local_port}' "$@" "$url" \
		>"$E2E_TMP/$name.port" 2>"$E2E_TMP/$name.err" ||
		{ cat "$E2E_TMP/$name.err"; fail "curl $url failed"; }
	CURL_PID=$(cat "$E2E_TMP/$name.pid")
	CURL_PORT=$(cat "$E2E_TMP/$name.port")
	log "curl pid $CURL_PID local port $CURL_PORT"
}

# the exact request curl 7.x writes for `run_curl NAME https://127.0.0.1:PORT/PATH -A UA`
curl_request() { # PORT PATH UA
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n' "$2" "$1" "$3"
}

# ---------------------------------------------------------------------------------------------
# python3 TLS peers (tests/e2e/peer.py)

PEER="$PY $E2E_DIR/peer.py"
PEER_WRAP=

# start_peer_server NAME EXPECT_FILE REPLY_FILE [CONNS [HOLD_FILE]]: sets SRV_PID SRV_PORT
# (needs make_cert). With HOLD_FILE the server keeps listening after serving until it exists.
# PEER_BIND: the address to listen on (default 127.0.0.1; "::" is dual-stack). PEER_WRAP: a
# command that execs the peer (e.g. "ip netns exec NS"), so that SRV_PID is still the peer's.
start_peer_server() {
	local name=$1 hold=()
	[ -n "${5:-}" ] && hold=(--hold "$5")
	rm -f "$E2E_TMP/$name.info"
	$PEER_WRAP $PEER server --cert "$CERT" --key "$KEY" --info "$E2E_TMP/$name.info" --expect "$2" \
		--reply "$3" --conns "${4:-1}" --bind "${PEER_BIND:-127.0.0.1}" "${hold[@]}" >"$E2E_TMP/$name.log" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	wait_for 10 "peer server $name" test -e "$E2E_TMP/$name.info"
	read -r _ SRV_PORT <"$E2E_TMP/$name.info"
	log "peer server $name: pid $SRV_PID port $SRV_PORT"
}

# start_peer_client NAME PORT SEND_FILE EXPECT_FILE [GO_FILE [HOLD_FILE]]: in the background;
# sets CLI_PID and, once the handshake is done, CLI_PORT (its local port). GO_FILE: wait for it
# before sending; HOLD_FILE: keep the connection open after the exchange until it exists.
# PEER_HOST: the address to connect to (default 127.0.0.1); PEER_CLIENT_ARGS: more options.
start_peer_client() {
	local name=$1 go=()
	[ -n "${5:-}" ] && go+=(--go "$5")
	[ -n "${6:-}" ] && go+=(--hold "$6")
	rm -f "$E2E_TMP/$name.info" "$E2E_TMP/$name.info.done"
	$PEER_WRAP $PEER client --host "${PEER_HOST:-127.0.0.1}" --port "$2" ${PEER_CLIENT_ARGS:-} --info "$E2E_TMP/$name.info" --send "$3" --expect "$4" "${go[@]}" \
		>"$E2E_TMP/$name.log" 2>&1 &
	CLI_PID=$!
	bg_track "$CLI_PID"
	wait_for 10 "peer client $name handshake" test -e "$E2E_TMP/$name.info"
	read -r _ CLI_PORT <"$E2E_TMP/$name.info"
	log "peer client $name: pid $CLI_PID local port $CLI_PORT"
}

# check_exchange OUT CLIENT_EP SERVER_EP: the peer client (CLI_PID) wrote $E2E_TMP/msg in one
# call and read $E2E_TMP/reply, the peer server (SRV_PID) the other way round. All four
# directions are exact, with the 5-tuple and the roles, and nothing was lost. Prints why and
# returns non-zero if not.
check_exchange() {
	local out=$1 cep=$2 sep=$3 who cl sv st=0
	who=$(who_args)
	cl="--pid $CLI_PID --comm python3 --local $cep --remote $sep --role client $who"
	sv="--pid $SRV_PID --comm python3 --local $sep --remote $cep --role server $who"
	$CHECK stream "$out" $cl --dir egress --single --expect-file "$E2E_TMP/msg" || st=1
	$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/msg" || st=1
	$CHECK stream "$out" $sv --dir egress --single --expect-file "$E2E_TMP/reply" || st=1
	$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/reply" || st=1
	$CHECK stats "$out" --lost-zero || st=1
	return $st
}

# wait_ok PID NAME: the background peer PID ends (bounded) with status 0
wait_ok() {
	local st
	wait_pid "$1" 30
	st=$?
	[ $st = 0 ] || { cat "$E2E_TMP/$2.log"; fail "$2 (pid $1) failed with status $st"; }
}

# ---------------------------------------------------------------------------------------------
# small clients of other TLS libraries (tests/e2e/clients/)

# build_client NAME CC_ARGS...: compiles clients/NAME.c into $E2E_TMP/NAME
build_client() {
	local name=$1
	shift
	cc -O1 -Wall -Wextra -Werror -o "$E2E_TMP/$name" "$E2E_DIR/clients/$name.c" "$@" \
		>"$E2E_TMP/$name.cc.log" 2>&1 || { cat "$E2E_TMP/$name.cc.log"; fail "cc $name.c"; }
}

# client_exchange NAME LIB [peek]: the agent traces $E2E_TMP/NAME (built by build_client)
# against `openssl s_server`: a known line each way, fed through fifos so that each side sends
# exactly when we say. The client's side must be one record each way from adapter LIB,
# attributed by syscall, with the exact 5-tuple; the server's side comes from OpenSSL; no call
# nested another (a nested one would be a second record of the same bytes), nothing lost.
# With peek the client peeks at the server's line before reading it: the peek must be no
# record, and the read, which makes no socket I/O of its own, is attributed from the cache.
client_exchange() {
	local name=$1 lib=$2 mode=${3:-} port spid cpid cport out who cl sv ok=1 read_attr=syscall
	[ "$mode" = peek ] && read_attr=cached
	make_cert
	port=$(free_port)
	printf 'hello from %s, line one\n' "$name" >"$E2E_TMP/c2s"
	printf 'pong from s_server: 0123456789\n' >"$E2E_TMP/s2c"
	rm -f "$E2E_TMP/srv.in" "$E2E_TMP/cli.in" # from an earlier exchange in the same test
	mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/cli.in"

	# Before the client starts: its library is probed when the process maps it.
	ts_start --format json -o "$E2E_TMP/out.jsonl"

	openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -quiet -naccept 1 \
		<"$E2E_TMP/srv.in" >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
	spid=$!
	bg_track $spid
	exec 3>"$E2E_TMP/srv.in"
	wait_for 10 "s_server listening on $port" port_listening "$port"

	"$E2E_TMP/$name" "$port" $mode <"$E2E_TMP/cli.in" >"$E2E_TMP/cli.out" 2>"$E2E_TMP/cli.err" &
	cpid=$!
	bg_track $cpid
	exec 4>"$E2E_TMP/cli.in"
	get_cport() { cport=$(client_port_of "$cpid" "$port"); [ -n "$cport" ]; }
	wait_for 10 "$name connected" get_cport
	log "s_server pid $spid port $port, $name $mode pid $cpid port $cport"

	cat "$E2E_TMP/c2s" >&4 # the client reads its line once the handshake is done
	wait_for 10 "s_server to print the client's line" cmp -s "$E2E_TMP/srv.out" "$E2E_TMP/c2s"
	cat "$E2E_TMP/s2c" >&3
	wait_for 10 "$name to print the server's line" cmp -s "$E2E_TMP/cli.out" "$E2E_TMP/s2c"
	exec 4>&-
	wait_pid $cpid 10 || { cat "$E2E_TMP/cli.err"; fail "$name exit status $?"; }
	exec 3>&- # s_server (-naccept 1) exits at the end of its input
	wait_pid $spid 10 || { cat "$E2E_TMP/srv.err"; fail "s_server exit status $?"; }
	ts_stop

	out=$E2E_TMP/out.jsonl
	who=$(who_args)
	cl="--pid $cpid --comm ${name:0:15} --local 127.0.0.1:$cport --remote 127.0.0.1:$port"
	cl="$cl --role client --lib $lib $who"
	sv="--pid $spid --comm openssl --local 127.0.0.1:$port --remote 127.0.0.1:$cport --role server $who"
	$CHECK stream "$out" $cl --dir egress --expect-file "$E2E_TMP/c2s" --single \
		--want-attribution syscall || ok=0
	$CHECK stream "$out" $cl --dir ingress --expect-file "$E2E_TMP/s2c" --single \
		--want-attribution $read_attr || ok=0
	$CHECK stream "$out" $sv --dir ingress --expect-file "$E2E_TMP/c2s" || ok=0
	$CHECK stream "$out" $sv --dir egress --expect-file "$E2E_TMP/s2c" || ok=0
	$CHECK stats "$out" --lost-zero --eq nested_calls=0 || ok=0
	[ $ok = 1 ] || { show_output "$out"; fail "records do not match"; }
}
