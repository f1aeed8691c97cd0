#!/bin/bash
# SPDX-License-Identifier: MIT
# Handshake records from the wire: openssl s_client against openssl s_server on loopback with
# chosen versions, cipher suites, groups, ALPN and SNI. Every negotiated and offered field is
# asserted exactly; JA3/JA3S against tshark's own on a capture of the same handshake; the
# data records of the same connection carry the same facts in their `tls` object; and
# `--read` on that capture prints the same handshake without the kernel.
. "$(dirname "$0")/lib.sh"
require_root
command -v tshark >/dev/null && command -v tcpdump >/dev/null || fail "tshark and tcpdump are needed (make deps)"

make_cert
ok=1

# the local end "ip:port" of pid's data records in OUT
client_end() {
	$PY - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "data" and r["pid"] == int(sys.argv[2]) and r["conn"]:
        print(r["conn"]["local"]); break
PY
}

# tshark's field F of the first hello of type T (1 client, 2 server) in CAP
tshark_field() {
	tshark -r "$1" -o tls.desegment_ssl_records:TRUE -Y "tls.handshake.type == $2" -T fields \
		-e "$3" 2>/dev/null | head -n1
}

# one_run NAME "SERVER ARGS" "CLIENT ARGS" FIELD...: one handshake and one HTTP/1.1 exchange;
# the handshake record has every FIELD (K=V); so do the client's data records' tls objects,
# for the keys they share.
one_run() {
	local name=$1 sargs=$2 cargs=$3 port out cap cep sep ja3 ja3f ja3s ja3sf f tlsf=()
	shift 3
	port=$(free_port)
	out=$E2E_TMP/$name.jsonl
	cap=$E2E_TMP/$name.pcap
	log "$name: server [$sargs] client [$cargs]"
	tcpdump -i lo -U -s 0 -w "$cap" "tcp port $port" >"$E2E_TMP/$name.tcpdump" 2>&1 &
	local tpid=$!
	bg_track $tpid
	wait_for 10 "tcpdump to listen" grep -q listening "$E2E_TMP/$name.tcpdump"
	ts_start --format json -o "$out" --no-redact
	# shellcheck disable=SC2086
	openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -www -naccept 1 $sargs \
		>"$E2E_TMP/$name.srv" 2>&1 &
	local spid=$!
	bg_track $spid
	wait_for 10 "s_server on $port" port_listening "$port"
	# shellcheck disable=SC2086
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | sh -c 'echo $$ >"$0"; exec openssl s_client "$@"' \
		"$E2E_TMP/$name.cpid" -connect "127.0.0.1:$port" -quiet -ign_eof $cargs \
		>"$E2E_TMP/$name.cli" 2>&1
	local cpid
	cpid=$(cat "$E2E_TMP/$name.cpid")
	wait_pid $spid 10 || { cat "$E2E_TMP/$name.srv"; fail "$name: s_server status $?"; }
	grep -q '^HTTP/1.0 200 ok' "$E2E_TMP/$name.cli" || { cat "$E2E_TMP/$name.cli"; fail "$name: no response"; }
	ts_stop
	sleep 0.2
	kill -INT $tpid 2>/dev/null
	wait_pid $tpid 5

	cep=$(client_end "$out" "$cpid")
	sep=127.0.0.1:$port
	[ -n "$cep" ] || { show_output "$out"; fail "$name: no data record of s_client (pid $cpid)"; }
	ja3=$(tshark_field "$cap" 1 tls.handshake.ja3)
	ja3f=$(tshark_field "$cap" 1 tls.handshake.ja3_full)
	ja3s=$(tshark_field "$cap" 2 tls.handshake.ja3s)
	ja3sf=$(tshark_field "$cap" 2 tls.handshake.ja3s_full)
	[ -n "$ja3" ] && [ -n "$ja3s" ] || fail "$name: tshark found no hellos in $cap"
	log "$name: client $cep, tshark ja3 $ja3 ja3s $ja3s"
	local fields=(--field "pid=$cpid" --field comm=openssl --field "conn.role=client" --field iface=lo
		--field "netns=$(netns_of $$)" --field "ja3=$ja3" --field "ja3_full=$ja3f" --field "ja3s=$ja3s"
		--field "ja3s_full=$ja3sf" --field incomplete=null)
	for f in "$@"; do fields+=(--field "$f"); done
	$CHECK handshake "$out" --client "$cep" --server "$sep" "${fields[@]}" || ok=0
	for f in "$@"; do
		case ${f%%=*} in sni | alpn | alpn_source | version | cipher | group) tlsf+=(--field "$f") ;; esac
	done
	$CHECK tls "$out" --pid "$cpid" --local "$cep" --field "ja3=$ja3" --field "ja3s=$ja3s" "${tlsf[@]}" || ok=0
	# the server's records of the same connection carry the same facts
	$CHECK tls "$out" --pid "$spid" --local "$sep" --field "ja3=$ja3" "${tlsf[@]}" || ok=0
	$CHECK stats "$out" --lost-zero || ok=0
	# offline: the same handshake from the capture file, without root's kernel parts
	"$TLSSCOPE" --read "$cap" --format json >"$E2E_TMP/$name.read.jsonl" 2>"$E2E_TMP/$name.read.err" ||
		{ cat "$E2E_TMP/$name.read.err"; fail "$name: --read failed"; }
	local off=(--field pid=null --field comm=null --field iface=null --field conn.role=client
		--field "ja3=$ja3" --field "ja3_full=$ja3f" --field "ja3s=$ja3s" --field incomplete=null)
	for f in "$@"; do
		case ${f%%=*} in alpn | alpn_source) ;; *) off+=(--field "$f") ;; esac
	done
	$CHECK handshake "$E2E_TMP/$name.read.jsonl" --client "$cep" --server "$sep" "${off[@]}" || ok=0
	[ $ok = 1 ] || { show_output "$out"; fail "$name: records do not match"; }
}

one_run tls13 "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups P-384 -alpn http/1.1" \
	"-tls1_3 -servername api.example -alpn h2,http/1.1 -groups P-384:X25519" \
	sni=api.example version=TLSv1.3 cipher=TLS_CHACHA20_POLY1305_SHA256 group=secp384r1 \
	'alpn_offered=["h2","http/1.1"]' alpn=http/1.1 alpn_source=plaintext \
	'versions_offered=["TLSv1.3"]' 'groups_offered=["secp384r1","x25519"]' \
	'key_shares_offered=["secp384r1"]' hrr=false

one_run tls12 "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -alpn http/1.1" \
	"-tls1_2 -servername b.example -alpn http/1.1 -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384" \
	sni=b.example version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 group=null \
	'alpn_offered=["http/1.1"]' alpn=http/1.1 alpn_source=wire \
	'ciphers_offered=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256","TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384","TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]'

# the server wants another group than the client's first key share: a HelloRetryRequest
one_run hrr "-tls1_3 -groups X25519" "-tls1_3 -servername c.example -groups P-256:X25519" \
	sni=c.example version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 group=x25519 hrr=true \
	'alpn_offered=[]' alpn=null 'key_shares_offered=["secp256r1"]'
echo "PASS"
