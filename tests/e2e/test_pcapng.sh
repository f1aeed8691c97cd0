#!/bin/bash
# SPDX-License-Identifier: MIT
# --pcapng: curl --http1.1 and --http2 (IPv4 and IPv6) against nginx. `tshark -r FILE` with no
# options finds exactly the requests made, with their method, path and real 5-tuples (the
# HTTP/2 ones with their headers decoded); the file is mode 0600; every packet's comment names
# its process (curl or the nginx worker) and role; each connection is dissected from one end
# only, the other end's calls are there as data; and the file holds exactly the bytes of the
# data records the JSON output shows for each process.
. "$(dirname "$0")/lib.sh"
require_root
command -v tshark >/dev/null || skip "no tshark"
ip -6 addr show dev lo | grep -q '::1/128' || skip "no ::1 on lo"

make_cert
port=$(free_port)
port2=$(free_port)
port3=$(free_port)
mkdir -p "$E2E_TMP/nginx/www/upload"
head -c 102400 /dev/urandom >"$E2E_TMP/put.bin"
NGINX_SERVER_EXTRA="listen 127.0.0.1:$port2 ssl http2; listen [::1]:$port3 ssl http2; location /upload/ { dav_methods PUT; client_max_body_size 4m; client_body_buffer_size 2m; }" \
	start_nginx "$port"
printf 'hello from nginx\n' >"$E2E_TMP/nginx/www/index.html"
cap=$E2E_TMP/cap.pcapng
# every byte captured (curl writes 16 KiB DATA frames with their headers: 16393 bytes a call)
ts_start --format json -o "$E2E_TMP/out.jsonl" --max-capture 262144 --pcapng "$cap"
curl_run() { # NAME HTTPVERSION ARGS...: prints LOCAL_PORT per transfer into NAME.ports
	local name=$1 v=$2
	shift 2
	sh -c 'echo $$ > "$0"; exec curl "$@"' "$E2E_TMP/$name.pid" -sS -k "$v" --max-time 20 \
		-w '%{local_port} %{http_version}\n' "$@" >"$E2E_TMP/$name.ports" 2>"$E2E_TMP/$name.err" ||
		{ cat "$E2E_TMP/$name.err"; fail "curl $name"; }
}
u1=https://127.0.0.1:$port u2=https://127.0.0.1:$port2 u3="https://[::1]:$port3"
curl_run c1 --http1.1 "$u1/" -o /dev/null "$u1/missing" -o /dev/null
curl_run c2 --http1.1 -H 'Expect:' -T "$E2E_TMP/put.bin" -o /dev/null "$u1/upload/h1.bin"
curl_run c3 --http2 "$u2/" -o /dev/null "$u2/missing" -o /dev/null
curl_run c4 --http2 -T "$E2E_TMP/put.bin" -o /dev/null "$u2/upload/h2.bin"
curl_run c5 --http2 "$u3/v6" -o /dev/null
ts_stop
for n in c3 c4 c5; do
	awk '{ if ($2 != "2") exit 1 }' "$E2E_TMP/$n.ports" || fail "curl $n did not use HTTP/2"
done
cmp -s "$E2E_TMP/put.bin" "$E2E_TMP/nginx/www/upload/h2.bin" || fail "nginx did not store the PUT"
p() { awk 'NR == 1 { print $1 }' "$E2E_TMP/$1.ports"; }

[ -s "$cap" ] || { show_output "$E2E_TMP/out.jsonl"; fail "no pcapng file"; }
mode=$(stat -c %a "$cap")
[ "$mode" = 600 ] || fail "pcapng file mode $mode, expected 600"

ok=1
# HTTP/1: exactly the three requests, from curl's port to nginx's
tshark -r "$cap" -Y http.request -T fields -E separator='|' -e exported_pdu.ipv4_src \
	-e exported_pdu.src_port -e exported_pdu.ipv4_dst -e exported_pdu.dst_port \
	-e http.request.method -e http.request.uri >"$E2E_TMP/h1.got" 2>"$E2E_TMP/tshark.err" ||
	{ cat "$E2E_TMP/tshark.err"; fail "tshark"; }
cat >"$E2E_TMP/h1.want" <<EOF
127.0.0.1|$(p c1)|127.0.0.1|$port|GET|/
127.0.0.1|$(p c1)|127.0.0.1|$port|GET|/missing
127.0.0.1|$(p c2)|127.0.0.1|$port|PUT|/upload/h1.bin
EOF
diff -u "$E2E_TMP/h1.want" "$E2E_TMP/h1.got" || { echo "HTTP/1 requests differ"; ok=0; }

# HTTP/2: exactly the four requests, their pseudo-headers decoded (the second request of c3
# needs the HPACK table the first one filled)
tshark -r "$cap" -Y 'http2.headers.method' -T fields -E separator='|' -e exported_pdu.ipv4_src \
	-e exported_pdu.ipv6_src -e exported_pdu.src_port -e exported_pdu.ipv4_dst \
	-e exported_pdu.ipv6_dst -e exported_pdu.dst_port -e http2.headers.method \
	-e http2.headers.path -e http2.headers.authority >"$E2E_TMP/h2.got" 2>"$E2E_TMP/tshark.err" ||
	{ cat "$E2E_TMP/tshark.err"; fail "tshark"; }
cat >"$E2E_TMP/h2.want" <<EOF
127.0.0.1||$(p c3)|127.0.0.1||$port2|GET|/|127.0.0.1:$port2
127.0.0.1||$(p c3)|127.0.0.1||$port2|GET|/missing|127.0.0.1:$port2
127.0.0.1||$(p c4)|127.0.0.1||$port2|PUT|/upload/h2.bin|127.0.0.1:$port2
|::1|$(p c5)||::1|$port3|GET|/v6|[::1]:$port3
EOF
diff -u "$E2E_TMP/h2.want" "$E2E_TMP/h2.got" || { echo "HTTP/2 requests differ"; ok=0; }

# and the responses: one :status per request, in order
tshark -r "$cap" -Y 'http2.headers.status || http.response' -T fields -e http2.headers.status \
	-e http.response.code >"$E2E_TMP/st.got" 2>/dev/null
sort "$E2E_TMP/st.got" | tr '\t' ' ' >"$E2E_TMP/st.sorted"
printf ' 201\n 200\n 404\n200 \n201 \n404 \n404 \n' | sort >"$E2E_TMP/st.want"
diff -u "$E2E_TMP/st.want" "$E2E_TMP/st.sorted" || { echo "responses differ"; ok=0; }

# no packet tshark calls malformed
bad=$(tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
[ "$bad" = 0 ] || { tshark -r "$cap" -Y '_ws.malformed || _ws.expert.severity == error'; echo "$bad malformed packets"; ok=0; }

# comments, ends and bytes, read from the file itself
pids="curl:$(cat "$E2E_TMP"/c[1-5].pid | tr '\n' ,)nginx:$NGINX_WORKER"
$PY - "$cap" "$E2E_TMP/out.jsonl" "$pids" <<'EOF' || ok=0
import base64, json, re, struct, sys
cap, out, pids = sys.argv[1:4]
comm_of = {}
curl, nginx = pids.split("nginx:")
for x in curl[len("curl:"):].split(","):
    if x:
        comm_of[int(x)] = "curl"
comm_of[int(nginx)] = "nginx"
f = open(cap, "rb").read()
at, bad = 0, []
got = {}       # pid -> payload bytes in the file
ends = {}      # connection -> set of dissected pids
mirrors = {}   # connection -> set of mirrored pids
rx = re.compile(r"^pid (\d+) tid (\d+) comm (\S+) (client|server) (read|write) lib openssl fd \d+"
                r"(; other end of pid (\d+) \((\S+)\), dissected there|"
                r"; frame begun in earlier calls)?$")
npk = 0
while at < len(f):
    t, ln = struct.unpack_from("<II", f, at)
    if t == 6:
        cl, ol = struct.unpack_from("<II", f, at + 20)
        pkt = f[at + 28:at + 28 + cl]
        o, tags = 0, {}
        while True:
            tag, tl = struct.unpack_from(">HH", pkt, o)
            tags[tag] = pkt[o + 4:o + 4 + tl]
            o += 4 + tl
            if tag == 0:
                break
        proto = tags[12].rstrip(b"\0").decode()
        opt = at + 28 + ((cl + 3) & ~3)
        code, cln = struct.unpack_from("<HH", f, opt)
        comment = f[opt + 4:opt + 4 + cln].decode() if code == 1 else ""
        m = rx.match(comment)
        if not m:
            bad.append("comment %r" % comment)
            at += ln
            continue
        pid, comm, role = int(m.group(1)), m.group(3), m.group(4)
        if comm_of.get(pid) != comm or role != ("client" if comm == "curl" else "server"):
            bad.append("pid/comm/role %r" % comment)
        if cl != ol:
            bad.append("cut packet %r" % comment)
        a = tuple(sorted([(tags.get(20) or tags.get(22), tags[25]), (tags.get(21) or tags.get(23), tags[26])]))
        if m.group(7):
            if proto != "data" or comm_of.get(int(m.group(7))) != m.group(8):
                bad.append("mirror %s %r" % (proto, comment))
            mirrors.setdefault(a, set()).add(pid)
        else:
            if proto not in ("http", "http2"):
                bad.append("dissected end as %s: %r" % (proto, comment))
            ends.setdefault(a, set()).add(pid)
        got[pid] = got.get(pid, 0) + cl - o
        npk += 1
    at += ln
want = {}
for line in open(out):
    r = json.loads(line)
    if r.get("type") == "data" and r.get("conn") and r["pid"] in comm_of:
        want[r["pid"]] = want.get(r["pid"], 0) + r["captured"]
if got != want:
    bad.append("bytes per pid in the file %s, in the JSON data records %s" % (got, want))
if len(ends) != 5:
    bad.append("%d connections dissected, expected 5" % len(ends))
for c, e in ends.items():
    if len(e) != 1 or len(mirrors.get(c, ())) != 1 or e & mirrors[c]:
        bad.append("connection %r: dissected from %s, mirrored from %s" % (c, e, mirrors.get(c)))
for b in bad[:20]:
    print("pcapng:", b)
print("pcapng: %d packets, bytes per pid %s" % (npk, got))
sys.exit(1 if bad else 0)
EOF
[ $ok = 1 ] || fail "pcapng file does not match"
echo "PASS"
