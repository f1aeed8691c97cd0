#!/bin/bash
# SPDX-License-Identifier: MIT
# Recreates the reference captures in tests/offline/captures/ (root: tcpdump on lo). Each is a
# real handshake between Debian's own tools on loopback; run.sh checks tlsscope --read on them
# against tshark. Run by hand only when a capture is added or changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/captures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
	-out "$tmp/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1
port=44330

capture() { # NAME FILTER-PORT COMMAND...
	local name=$1 p=$2
	shift 2
	tcpdump -i lo -U -s 0 -w "$tmp/$name.pcapng" --immediate-mode "tcp port $p" >"$tmp/td.log" 2>&1 &
	local td=$!
	for _ in $(seq 50); do grep -q listening "$tmp/td.log" && break; sleep 0.1; done
	"$@"
	sleep 0.5
	kill -INT $td
	wait $td || true
	# keep only the packets of that port, in pcapng
	cp "$tmp/$name.pcapng" "$dir/$name.pcapng"
}

server() { # PORT ARGS...: one connection, -www
	local p=$1
	shift
	openssl s_server -accept "$p" -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www -naccept 1 "$@" \
		>/dev/null 2>&1 &
	SRV=$!
	sleep 0.5
}

client() { # PORT ARGS...
	local p=$1
	shift
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
		timeout 10 openssl s_client -connect "$p" -quiet -ign_eof "$@" >/dev/null 2>&1 || true
	wait $SRV || true
}

run13() { server "[::1]:$port" -tls1_3 -alpn h2; client "[::1]:$port" -servername v6.example -alpn h2,http/1.1; }
capture tls13-ipv6 $port run13
port=$((port + 1))
run12() {
	server "127.0.0.1:$port" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -alpn http/1.1
	client "127.0.0.1:$port" -servername tls12.example -alpn http/1.1
}
capture tls12-alpn $port run12
port=$((port + 1))
runhrr() { server "127.0.0.1:$port" -tls1_3 -groups X25519; client "127.0.0.1:$port" -servername hrr.example -groups P-256:X25519; }
capture tls13-hrr $port runhrr
port=$((port + 1))
# a ClientHello in 9 segments (TCP_NODELAY, small writes), answered by a real server
runsplit() {
	server "127.0.0.1:$port" -tls1_3
	python3 - "$port" <<'PY'
import socket, subprocess, sys, time
# a real ClientHello: the first record openssl s_client sends to a socket that only reads
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % ls.getsockname()[1],
                      "-servername", "split.example", "-alpn", "h2"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
c, _ = ls.accept()
hello = b""
while len(hello) < 5 or len(hello) < 5 + int.from_bytes(hello[3:5], "big"):
    hello += c.recv(65536)
p.kill()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
step = -(-len(hello) // 9)
for i in range(0, len(hello), step):
    s.send(hello[i:i + step])
    time.sleep(0.03)
s.recv(65536)
s.close()
PY
	wait $SRV || true
}
capture tls13-split $port runsplit
ls -l "$dir"
