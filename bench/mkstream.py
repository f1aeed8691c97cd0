#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cut one connection end's plaintext out of tlsscope's JSON output into a stream file for
build/bench/parse.

    python3 bench/mkstream.py OUT.jsonl PID > bench/streams/NAME.stream

Takes the data records of PID (its first connection, in output order: the order of its TLS
calls) and writes one entry per record: a line "> LEN" (the request direction: what a client
writes, what a server reads) or "< LEN" (the response direction), then the LEN bytes exactly as
captured, then a newline. Lines starting with "#" before the first entry are comments. Every
record must be whole (captured == len): a benchmark input has no gaps.

bench/streams/h1.stream and h2.stream were recorded from curl's end of a TLS connection to
nginx 1.22 on 127.0.0.1 (tlsscope --format json --max-capture 262144): curl --http1.1
(keep-alive) and curl --http2 --parallel --parallel-max 6, each fetching 4 times the same six
URLs (/, a page with a query string, a style sheet, a script, a JSON file, a 404), with
-H 'Accept-Language: en' -A 'bench/1.0'.
"""
import base64
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkstream.py OUT.jsonl PID")
    pid = int(sys.argv[2])
    conn = None
    entries = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") != "data" or r.get("pid") != pid or not r.get("conn"):
                continue
            key = (r["conn"]["local"], r["conn"]["remote"])
            if conn is None:
                conn = (key, r["conn"]["role"])
            if key != conn[0]:
                continue
            if r["captured"] != r["len"]:
                sys.exit(f"mkstream: a record of {r['len']} bytes carries {r['captured']}")
            request = (conn[1] == "server") == (r["dir"] == "ingress")
            entries.append((">" if request else "<", base64.b64decode(r["data"])))
    if not entries:
        sys.exit(f"mkstream: no data records of pid {pid}")
    out = sys.stdout.buffer
    out.write(f"# tlsscope stream: {len(entries)} records, {conn[1]} end\n".encode())
    for d, data in entries:
        out.write(f"{d} {len(data)}\n".encode())
        out.write(data)
        out.write(b"\n")


if __name__ == "__main__":
    main()
