#!/bin/bash
# SPDX-License-Identifier: MIT
# 8. Parser throughput: build/bench/parse on recorded plaintext streams (bench/streams/: curl's
# end of an HTTP/1.1 keep-alive connection and of an HTTP/2 connection to nginx, 24 requests
# each), single thread, fed in the chunks the TLS calls carried. Three modes on the same bytes:
# memcpy of each chunk (the baseline), the protocol's parser alone (h1_feed / h2_feed), and the
# pairing tracker (http_data(), records to a counting callback). Interleaved rounds with the
# order rotating, each mode timed by the thread's CPU time for PARSE_SECS; MB/s and http
# records/s from the median time per pass, the ratio mode / memcpy per round, then the median.
# No agent runs: the parsers are the pure core, linked from build/libcore.a.
. "$(dirname "$0")/lib.sh"

if [ "$BENCH_SMOKE" = 1 ]; then rounds=1 secs=0.05; else rounds=${PARSE_ROUNDS:-9} secs=${PARSE_SECS:-0.3}; fi
streams=("$BENCH_DIR/streams/h1.stream" "$BENCH_DIR/streams/h2.stream")

log "parser throughput: $rounds rounds of ${secs}s per mode and stream"
"$BENCH_BIN/parse" -r "$rounds" -t "$secs" "${streams[@]}" >"$BENCH_TMP/parse.out" ||
	{ cat "$BENCH_TMP/parse.out"; die "parse failed"; }
grep -v '^stream=.* mode=' "$BENCH_TMP/parse.out" | sed 's/^/  /'

row() { # STREAM MODE: the program's summary line
	grep "^stream=$1 mode=$2 " "$BENCH_TMP/parse.out" || die "parse printed no $1 $2 line"
}
for s in h1 h2; do
	case $s in
	h1) proto=HTTP/1 parser=h1_feed ;;
	h2) proto=HTTP/2 parser=h2_feed ;;
	esac
	copy=$(row $s copy) p=$(row $s parser) t=$(row $s tracker)
	log "  $proto stream: $(kv bytes "$copy") bytes, $(kv records "$copy") http records a pass"
	result parse "$proto: memcpy of the same chunks" "$(fmt 0 "$(kv mb_s "$copy")")" MB/s - info
	result parse "$proto: $parser alone" "$(fmt 1 "$(kv mb_s "$p")")" MB/s - info
	result parse "$proto: $parser alone" "$(fmt 0 "$(kv records_s "$p")")" rec/s - info
	result parse "$proto: $parser alone / memcpy" "$(fmt 4 "$(kv ratio "$p")")" ratio - info
	result parse "$proto: tracker (http_data)" "$(fmt 1 "$(kv mb_s "$t")")" MB/s - info
	result parse "$proto: tracker (http_data)" "$(fmt 0 "$(kv records_s "$t")")" rec/s - info
	result parse "$proto: tracker (http_data) / memcpy" "$(fmt 4 "$(kv ratio "$t")")" ratio - info
done
