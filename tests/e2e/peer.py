#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TLS peers for the end-to-end tests: Python's ssl module (libssl.so.3, SSL_write_ex/SSL_read_ex).

server --cert C --key K --info FILE [--bind ADDR] [--conns N] --expect FILE --reply FILE
    Listens on 127.0.0.1 or ADDR ("::" is dual-stack), an ephemeral port, writes "PID PORT" to FILE (atomically), accepts N
    connections (handshake included), then serves them in order: reads exactly the bytes of
    --expect (fails if they differ), answers with the bytes of --reply in ONE write() call
    (one SSL_write_ex), and waits for the client to close. With --hold FILE it then keeps its
    listening socket open until FILE exists.
client [--host ADDR] [--bind-port L] [--read-size N] --port P --info FILE [--go FILE] [--hold HOLD] --send FILE [--expect FILE | --out FILE]
    Connects to 127.0.0.1:P (or ADDR), completes the handshake, writes "PID LOCALPORT" to FILE; if --go
    is given waits for that file to exist; then sends --send in ONE write() call and reads the
    answer: exactly the bytes of --expect (fails if they differ), or until EOF into --out.
    Then writes FILE.done; with --hold HOLD it keeps the connection open until HOLD exists.
Every wait is bounded (30 s).
"""
import argparse
import os
import socket
import ssl
import sys
import time

TIMEOUT = 30


def put_info(path, *vals):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(v) for v in vals) + "\n")
    os.rename(tmp, path)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def recv_exact(t, n, step=0):
    buf = bytearray()
    while len(buf) < n:
        d = t.recv(min(n - len(buf), step) if step else n - len(buf))
        if not d:
            break
        buf += d
    return bytes(buf)


def write_once(t, data):
    n = t.write(data)  # one SSL_write_ex; blocking and no partial writes: all or error
    if n != len(data):
        sys.exit(f"peer: write moved {n} of {len(data)} bytes")


def hold(path):
    """Wait (bounded) until path exists."""
    deadline = time.monotonic() + TIMEOUT
    while path and not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def server(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    expect, reply = read_file(a.expect), read_file(a.reply)
    ls = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if ls.family == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # "::" takes IPv4 too
    ls.bind((a.bind, 0))
    ls.listen(8)
    ls.settimeout(TIMEOUT)
    put_info(a.info, os.getpid(), ls.getsockname()[1])
    conns = []
    for _ in range(a.conns):
        c, _ = ls.accept()
        c.settimeout(TIMEOUT)
        conns.append(ctx.wrap_socket(c, server_side=True))
    for t in conns:
        got = recv_exact(t, len(expect))
        if got != expect:
            sys.exit(f"peer server: got {got[:80]!r}..., expected {expect[:80]!r}...")
        write_once(t, reply)
        while t.recv(4096):  # until the client closes
            pass
        t.close()
    hold(a.hold)  # keep listening until told to go
    ls.close()


def client(a):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    src = (a.host if ":" not in a.host else "::", a.bind_port) if a.bind_port else None
    s = socket.create_connection((a.host, a.port), timeout=TIMEOUT, source_address=src)
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))
    t = ctx.wrap_socket(s, server_hostname=a.sni)
    put_info(a.info, os.getpid(), t.getsockname()[1])
    if a.go:
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(a.go):
            if time.monotonic() > deadline:
                sys.exit("peer client: no go file")
            time.sleep(0.02)
    write_once(t, read_file(a.send))
    if a.expect:
        expect = read_file(a.expect)
        got = recv_exact(t, len(expect), a.read_size)
        if got != expect:
            sys.exit(f"peer client: got {got[:80]!r}..., expected {expect[:80]!r}...")
    else:
        buf = bytearray()
        while True:
            d = t.recv(65536)
            if not d:
                break
            buf += d
        with open(a.out, "wb") as f:
            f.write(buf)
    put_info(a.info + ".done", "done")
    hold(a.hold)
    t.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--info", required=True)
    s.add_argument("--conns", type=int, default=1)
    s.add_argument("--bind", default="127.0.0.1", help="listen address (\"::\" is dual-stack)")
    s.add_argument("--expect", required=True)
    s.add_argument("--reply", required=True)
    s.add_argument("--hold", help="after serving, keep the listening socket until this file exists")
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--bind-port", type=int, default=0, help="connect from this local port")
    c.add_argument("--sni", help="server name to send (default: none)")
    c.add_argument("--alpn", help="comma-separated protocols to offer (default: none)")
    c.add_argument("--read-size", type=int, default=0,
                   help="read the answer this many bytes at a time (most reads then come from "
                        "the TLS library's buffer, with no syscall)")
    c.add_argument("--info", required=True)
    c.add_argument("--go")
    c.add_argument("--hold", help="after the exchange, keep the connection until this file exists")
    c.add_argument("--send", required=True)
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--expect")
    g.add_argument("--out")
    a = p.parse_args()
    server(a) if a.mode == "server" else client(a)


if __name__ == "__main__":
    main()
