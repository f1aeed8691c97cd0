#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsscope --list against the processes this test starts, each with TLS code of another kind:
# openssl s_server (libssl.so.3), gnutls-cli (libgnutls), tstclnt (NSS), and a Go crypto/tls
# client built here twice, with symbols and stripped (-s -w). Every one must be listed with
# its library and linkage; Go as not traced, with the reason, however it was built; a sleep
# (no TLS) must not be. The clients are alive during the listing: they wait in their
# handshakes, which the single-threaded s_server serves one at a time.
. "$(dirname "$0")/lib.sh"
require_root
for t in gnutls-cli tstclnt go; do
	command -v $t >/dev/null || fail "$t not installed (make deps)"
done

make_cert
export GOCACHE=$E2E_TMP/gocache GOPATH=$E2E_TMP/gopath
cp "$E2E_DIR/clients/go_tls_client.go" "$E2E_TMP/main.go"
(cd "$E2E_TMP" && go build -o gocli main.go && go build -ldflags="-s -w" -o gocli-stripped main.go) ||
	fail "go build"

port=$(free_port)
mkfifo "$E2E_TMP/srv.in" "$E2E_TMP/gnutls.in" "$E2E_TMP/nss.in"
openssl s_server -accept "127.0.0.1:$port" -cert "$CERT" -key "$KEY" -quiet \
	<"$E2E_TMP/srv.in" >/dev/null 2>&1 &
SPID=$!
bg_track $SPID
exec 3>"$E2E_TMP/srv.in"
wait_for 10 "s_server listening on $port" port_listening "$port"

gnutls-cli --insecure -p "$port" 127.0.0.1 <"$E2E_TMP/gnutls.in" >/dev/null 2>&1 &
GPID=$!
bg_track $GPID
exec 4>"$E2E_TMP/gnutls.in"
tstclnt -D -o -h 127.0.0.1 -p "$port" <"$E2E_TMP/nss.in" >/dev/null 2>&1 &
NPID=$!
bg_track $NPID
exec 5>"$E2E_TMP/nss.in"
"$E2E_TMP/gocli" "$port" >/dev/null 2>&1 &
GO1=$!
bg_track $GO1
"$E2E_TMP/gocli-stripped" "$port" >/dev/null 2>&1 &
GO2=$!
bg_track $GO2
sleep 30 &
SLEEP=$!
bg_track $SLEEP
# every process has mapped its libraries once it has connected
for p in $GPID $NPID $GO1 $GO2; do
	connected() { ss -Htnp "( dport = :$port )" | grep -q "pid=$p,"; }
	wait_for 10 "pid $p connected" connected
done

"$TLSSCOPE" --list --format json >"$E2E_TMP/list.json" 2>"$E2E_TMP/list.err" || fail "--list: $?"
sslver=$(openssl version | awk '{print $2}')
$CHECK list "$E2E_TMP/list.json" \
	--expect "$SPID,openssl,shared,yes,$sslver" \
	--expect "$GPID,gnutls,shared,yes" \
	--expect "$NPID,nss,shared,yes" \
	--expect "$GO1,go,go,no" \
	--expect "$GO2,go,go,no" \
	--absent "$SLEEP" || { cat "$E2E_TMP/list.json"; fail "listing"; }
grep -q "\"pid\":$GO2,.*\"reason\":\"Go crypto/tls is not supported yet\"" "$E2E_TMP/list.json" ||
	fail "the stripped Go client's reason"
exec 3>&- 4>&- 5>&-
echo "PASS"
