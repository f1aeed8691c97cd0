#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An HTTP/2 client whose connection is older than the agent (test_http2_midconn.sh).

    h2midconn.py --port P --info FILE --go FILE --log FILE

Python's ssl module (libssl.so.3) and the h2 library (Debian python3-h2). One TLS connection
to 127.0.0.1:P with ALPN h2. Before the agent: the preface, SETTINGS and one request
(GET /first, with headers the client's HPACK encoder puts in its dynamic table); then it
writes "PID LOCALPORT" to --info and waits for --go to exist. After: the requests of LATER,
one at a time on the same connection (each sent, then its response read to END_STREAM), then
a GOAWAY and close. Each header block is written in one call, so is each DATA frame.

--log gets a JSON list, one object per request in order: stream id, method, path, the header
fields sent (in order, pseudo-headers included) and the request body length; the response's
status, header fields and body length as received; "after_go": sent after --go; and for those,
"known" and "partial": what an observer that joined after the first request can decode (see
LATER). check.py h2join compares the agent's records with it.
Every wait is bounded (30 s).
"""
import argparse
import json
import os
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

TIMEOUT = 30

# Each request: method, path, extra header fields, body, whether a dynamic table size update to
# 0 comes first; and what an observer that joined after FIRST can decode of it (its encoder's
# dynamic table holds FIRST's fields, which the observer never saw): "known", the extra fields
# it can decode, and "partial", whether some field (:authority or an extra) cannot be.
FIRST = dict(method="GET", path="/first", extra=[("x-old", "kept-from-before"), ("x-client", "midconn")])
LATER = [
    # x-old: a reference to an entry inserted before the join; x-new: a literal, inserted
    dict(method="GET", path="/later/1", extra=[("x-old", "kept-from-before"), ("x-new", "one")],
         known=[("x-new", "one")], partial=True),
    # x-new: one is now a reference to an entry inserted after the join
    dict(method="GET", path="/later/2", extra=[("x-new", "one"), ("x-client", "midconn")],
         known=[("x-new", "one")], partial=True),
    # a literal value whose name is an entry inserted after the join
    dict(method="GET", path="/missing/3", extra=[("x-new", "three")],
         known=[("x-new", "three")], partial=True),
    # a body (stored by nginx's WebDAV module, which reads it all before it answers);
    # content-type: a literal value, its name from the static table
    dict(method="PUT", path="/upload/4", body=b"0123456789",
         extra=[("x-old", "kept-from-before"), ("content-type", "text/plain")],
         known=[("content-type", "text/plain")], partial=True),
    # a dynamic table size update to 0 empties the table: from here on every field is known
    dict(method="GET", path="/later/5", table_reset=True,
         extra=[("x-old", "kept-from-before"), ("x-client", "midconn")],
         known=[("x-old", "kept-from-before"), ("x-client", "midconn")], partial=False),
    dict(method="GET", path="/later/6", extra=[("x-old", "kept-from-before"), ("x-client", "midconn")],
         known=[("x-old", "kept-from-before"), ("x-client", "midconn")], partial=False),
]


def put_info(path, *vals):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(v) for v in vals) + "\n")
    os.rename(tmp, path)


def wait_file(path):
    end = time.monotonic() + TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit(f"h2midconn: {path} did not appear in {TIMEOUT}s")
        time.sleep(0.02)


class Client:
    def __init__(self, port):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        if self.sock.selected_alpn_protocol() != "h2":
            sys.exit(f"h2midconn: ALPN {self.sock.selected_alpn_protocol()!r}, not h2")
        self.authority = f"127.0.0.1:{port}"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def request(self, method, path, extra, body=b"", table_reset=False, **_):
        if table_reset:
            # two updates at the start of the next block: 0 (the table empties), then 4096
            self.conn.encoder.header_table_size = 0
            self.conn.encoder.header_table_size = 4096
        sid = self.conn.get_next_available_stream_id()
        sent = [(":method", method), (":path", path), (":scheme", "https"),
                (":authority", self.authority)] + extra
        self.conn.send_headers(sid, sent, end_stream=not body)
        self.flush()
        if body:
            self.conn.send_data(sid, body, end_stream=True)
            self.flush()
        rec = {"stream_id": sid, "method": method, "path": path, "req_headers": sent,
               "req_body_len": len(body), "status": None, "resp_headers": [],
               "resp_body_len": 0}
        done = False
        end = time.monotonic() + TIMEOUT
        while not done:
            if time.monotonic() > end:
                sys.exit(f"h2midconn: no whole response to {path} in {TIMEOUT}s")
            data = self.sock.recv(65536)
            if not data:
                sys.exit(f"h2midconn: the server closed before answering {path}")
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    for k, v in ev.headers:
                        if k == ":status":
                            rec["status"] = int(v)
                        else:
                            rec["resp_headers"].append((k, v))
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                    rec["resp_body_len"] += len(ev.data)
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                    done = True
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                    sys.exit(f"h2midconn: stream {sid} ({path}) reset")
            self.flush()
        return rec


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--info", required=True)
    p.add_argument("--go", required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()

    c = Client(a.port)
    log = [dict(c.request(**FIRST), after_go=False)]
    put_info(a.info, os.getpid(), c.sock.getsockname()[1])
    wait_file(a.go)
    for req in LATER:
        log.append(dict(c.request(**req), after_go=True, known=req["known"],
                        partial=req["partial"]))
    c.conn.close_connection()
    c.flush()
    c.sock.close()
    with open(a.log + ".tmp", "w") as f:
        json.dump(log, f, indent=1)
    os.rename(a.log + ".tmp", a.log)


if __name__ == "__main__":
    main()
