#!/bin/bash
# SPDX-License-Identifier: MIT
# --metrics: curl makes 7 GET requests (one a 404) and 2 HEAD requests to nginx, each in its
# own process and connection, while the agent serves Prometheus metrics on loopback. A real
# Prometheus server (our own config, port and storage) scrapes the agent every second, and its
# query API must return exactly those counts for each end (comm curl and nginx), by method and
# status class, under server="127.0.0.1:PORT" (the label keeps other TLS traffic on the host
# apart). The exposition passes `promtool check metrics`, carries the agent's own counters and
# none of the requests' secrets. A client that connects and never sends a request is dropped
# at its deadline and counted, while the scrapes go on.
. "$(dirname "$0")/lib.sh"
require_root
for tool in prometheus promtool; do
	command -v "$tool" >/dev/null || fail "$tool not found (make deps installs the prometheus package)"
done

make_cert
port=$(free_port)
start_nginx "$port"
printf 'hello from nginx\n' >"$E2E_TMP/nginx/www/index.html"
mport=$(free_port)
ts_start --format json -o "$E2E_TMP/out.jsonl" --metrics "127.0.0.1:$mport"
murl=http://127.0.0.1:$mport/metrics
curl -sS --max-time 5 -o /dev/null "$murl" || fail "no metrics at $murl"

# Prometheus, scraping every second; its own port and storage under the temp dir
pport=$(free_port)
cat >"$E2E_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tlsscope
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
prometheus --config.file="$E2E_TMP/prometheus.yml" --storage.tsdb.path="$E2E_TMP/prom-data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$E2E_TMP/prometheus.log" 2>&1 &
PROM_PID=$!
bg_track "$PROM_PID"
papi=http://127.0.0.1:$pport/api/v1/query
prom_ready() { curl -sf --max-time 2 "http://127.0.0.1:$pport/-/ready" >/dev/null; }
wait_for 30 "prometheus on port $pport" prom_ready
log "prometheus $PROM_PID on 127.0.0.1:$pport"

# query PROMQL: the instant vector as sorted lines "label=value,... VALUE" (labels sorted,
# __name__, job and instance left out)
query() {
	curl -sS --max-time 5 -G --data-urlencode "query=$1" "$papi" | $PY -c '
import json, sys
r = json.load(sys.stdin)
if r.get("status") != "success":
    sys.exit("query failed: %s" % r)
out = []
for s in r["data"]["result"]:
    m = {k: v for k, v in s["metric"].items() if k not in ("__name__", "job", "instance")}
    out.append("%s %s" % (",".join("%s=%s" % kv for kv in sorted(m.items())), s["value"][1]))
print("\n".join(sorted(out)))'
}

u=https://127.0.0.1:$port
get() { # EXPECTED_STATUS URL [ARGS...]
	local want=$1 url=$2 code
	shift 2
	code=$(curl -sS -k --http1.1 --max-time 20 -o /dev/null -w '%{http_code}' "$@" "$url") ||
		fail "curl $url"
	[ "$code" = "$want" ] || fail "curl $url: status $code, expected $want"
}
for i in 1 2 3; do
	get 200 "$u/?token=s3cr3t-$i" -H "Authorization: Bearer s3cr3t-auth"
done
get 404 "$u/missing-s3cr3t"
for i in 4 5 6; do
	get 200 "$u/"
done
get 200 "$u/" -I
get 200 "$u/" -I

expect=$E2E_TMP/expect
cat >"$expect" <<EOF
comm=curl,method=GET,server=127.0.0.1:$port,status_class=2xx 6
comm=curl,method=GET,server=127.0.0.1:$port,status_class=4xx 1
comm=curl,method=HEAD,server=127.0.0.1:$port,status_class=2xx 2
comm=nginx,method=GET,server=127.0.0.1:$port,status_class=2xx 6
comm=nginx,method=GET,server=127.0.0.1:$port,status_class=4xx 1
comm=nginx,method=HEAD,server=127.0.0.1:$port,status_class=2xx 2
EOF
sel="{job=\"tlsscope\",server=\"127.0.0.1:$port\"}"
counts_match() {
	query "tlsscope_http_requests_total$sel" >"$E2E_TMP/got" && cmp -s "$E2E_TMP/got" "$expect"
}
# the last records reach the agent within its poll ticks, and Prometheus within a scrape
for ((i = 0; i < 200; i++)); do
	counts_match && break
	sleep 0.1
done
counts_match || {
	echo "--- expected:"; cat "$expect"; echo "--- prometheus returned:"; cat "$E2E_TMP/got"
	grep '"type":"http"' "$E2E_TMP/out.jsonl" | cut -c1-300
	fail "request counts in prometheus do not match"
}
log "prometheus has the request counts"
# the histogram counts the same requests, each latency within 10 s
[ "$(query "sum(tlsscope_http_request_duration_seconds_count$sel)")" = " 18" ] ||
	fail "histogram _count: $(query "sum(tlsscope_http_request_duration_seconds_count$sel)")"
[ "$(query "sum(tlsscope_http_request_duration_seconds_bucket{job=\"tlsscope\",server=\"127.0.0.1:$port\",le=\"10\"})")" = " 18" ] ||
	fail "histogram buckets do not hold the 18 requests"

# a client that connects and never sends its request holds a slot until its deadline (5 s),
# then is dropped and counted; the scrapes meanwhile go on
scrapes() { query 'tlsscope_metrics_responses_total{code="200"}' | awk '{ print $2 }'; }
before=$(scrapes)
exec 3<>"/dev/tcp/127.0.0.1/$mport" || fail "connect to the metrics port"
dropped_ok() {
	[ "$(query 'tlsscope_metrics_clients_dropped_total{cause="timeout"}')" = "cause=timeout 1" ]
}
wait_for 12 "the idle client counted as dropped" dropped_ok
exec 3<&-
after=$(scrapes)
log "scrapes answered: $before before the idle client, $after after"
[ $((after - before)) -ge 3 ] || fail "scrapes stalled beside an idle client: $before -> $after"

# the scrapes never failed, and the agent's own counters are there
[ "$(query 'min_over_time(up{job="tlsscope"}[1h])')" = " 1" ] || fail "a scrape failed: $(query 'up{job="tlsscope"}')"
for m in tlsscope_events_total tlsscope_bytes_total tlsscope_calls_total tlsscope_probes_attached_total; do
	v=$(query "$m" | awk '{ print $NF }')
	[ "${v:-0}" -gt 0 ] || fail "$m is ${v:-missing}, expected > 0"
done
for m in tlsscope_integrity_violations_total tlsscope_lost_bytes_total tlsscope_http_label_overflow_total \
	tlsscope_http_tracker_events_total; do
	[ -n "$(query "$m")" ] || fail "$m missing"
done
causes=$(query 'tlsscope_lost_events_total' | awk '{ print $1 }' | tr '\n' ' ')
for c in ringbuf_full partial read_fault map_full incomplete decode sink; do
	case " $causes" in *" cause=$c "*) ;; *) fail "tlsscope_lost_events_total has no cause $c: $causes" ;; esac
done

# the exposition itself: valid, and no secret of the requests in it
curl -sS --max-time 5 -o "$E2E_TMP/metrics.txt" "$murl" || fail "curl $murl"
promtool check metrics <"$E2E_TMP/metrics.txt" >"$E2E_TMP/promtool.log" 2>&1 ||
	{ cat "$E2E_TMP/promtool.log"; fail "promtool check metrics"; }
! grep -n 's3cr3t\|missing\|token\|Bearer' "$E2E_TMP/metrics.txt" || fail "a secret in the metrics"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/") || fail "curl /"
[ "$code" = 404 ] || fail "GET / answered $code, expected 404"

ts_stop
echo "PASS"
