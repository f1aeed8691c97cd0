#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tlsscope --read on a capture, checked against tshark's reading of the same file.

  check_read.py TLSSCOPE CAPTURE

For every TCP stream whose first ClientHello tshark decodes, tlsscope must print exactly one
handshake record with the same client and server ends, and:
  - sni, the offered ALPN list, ja3/ja3_full (tshark's own), ja3s/ja3s_full (tshark's own);
  - version and, for TLS 1.3, the key-share group of the first ServerHello;
  - ja4, computed here from tshark's fields by an independent implementation of the JA4
    specification (FoxIO, technical_details/JA4.md).
Exit status 0 when every stream matches; the mismatches are printed otherwise.
"""
import hashlib
import json
import subprocess
import sys

GREASE = {0x0A0A + 0x1010 * i for i in range(16)}
VERSION_NAMES = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1"}
GROUP_NAMES = {29: "x25519", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 30: "x448"}
JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}

CH_FIELDS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
             "tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.extension.type",
             "tls.handshake.sig_hash_alg", "tls.handshake.extensions.supported_version",
             "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
             "tls.handshake.ja3", "tls.handshake.ja3_full"]
SH_FIELDS = ["tcp.stream", "tls.handshake.version", "tls.handshake.extensions.supported_version",
             "tls.handshake.extensions_key_share_group",
             "tls.handshake.extensions_key_share_selected_group", "tls.handshake.ja3s",
             "tls.handshake.ja3s_full"]


def tshark(path, hs_type, fields):
    cmd = ["tshark", "-r", path, "-o", "tls.desegment_ssl_records:TRUE",
           "-Y", f"tcp && tls.handshake.type == {hs_type}", "-T", "fields", "-E", "separator=|",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    first = {}
    for line in out.splitlines():
        row = dict(zip(fields, line.split("|")))
        # a frame may carry two hellos (HRR): the first of each stream is the one reported
        first.setdefault(int(row["tcp.stream"]), row)
    return first


def nums(s):
    return [int(x, 0) for x in s.split(",") if x]


def ja4(ch):
    ciphers = [c for c in nums(ch["tls.handshake.ciphersuite"]) if c not in GREASE]
    exts = [e for e in nums(ch["tls.handshake.extension.type"]) if e not in GREASE]
    sigs = [s for s in nums(ch["tls.handshake.sig_hash_alg"]) if s not in GREASE]
    versions = [v for v in nums(ch["tls.handshake.extensions.supported_version"]) if v not in GREASE]
    version = max(versions) if versions else int(ch["tls.handshake.version"], 0)
    alpns = ch["tls.handshake.extensions_alpn_str"].split(",") if ch["tls.handshake.extensions_alpn_str"] else []
    alpn = "00"
    if alpns and alpns[0]:
        a = alpns[0]
        if a[0].isascii() and a[0].isalnum() and a[-1].isascii() and a[-1].isalnum():
            alpn = a[0] + a[-1]
        else:
            h = a.encode().hex()
            alpn = h[0] + h[-1]
    a_part = "t%s%s%02d%02d%s" % (JA4_VERSIONS.get(version, "00"), "d" if 0 in exts else "i",
                                  min(len(ciphers), 99), min(len(exts), 99), alpn)

    def h12(s):
        return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"

    b = h12(",".join(sorted("%04x" % c for c in ciphers)))
    ext_list = ",".join(sorted("%04x" % e for e in exts if e not in (0x0000, 0x0010)))
    c_in = ext_list + ("_" + ",".join("%04x" % s for s in sigs) if sigs else "")
    c = h12(c_in) if ext_list else "000000000000"
    return "%s_%s_%s" % (a_part, b, c)


def endpoint(addr, port):
    return ("[%s]:%s" % (addr, port)) if ":" in addr else "%s:%s" % (addr, port)


def main():
    tlsscope, path = sys.argv[1], sys.argv[2]
    chs = tshark(path, 1, CH_FIELDS)
    shs = tshark(path, 2, SH_FIELDS)
    run = subprocess.run([tlsscope, "--read", path, "--format", "json"], capture_output=True,
                         text=True)
    if run.returncode != 0:
        print(f"{path}: tlsscope --read exited with {run.returncode}: {run.stderr.strip()}")
        return 1
    recs = [json.loads(line) for line in run.stdout.splitlines()]
    problems = []
    if not chs:
        problems.append("tshark found no ClientHello")
    for stream, ch in sorted(chs.items()):
        cl = endpoint(ch["ip.src"] or ch["ipv6.src"], ch["tcp.srcport"])
        sv = endpoint(ch["ip.dst"] or ch["ipv6.dst"], ch["tcp.dstport"])
        mine = [r for r in recs if r["type"] == "handshake" and
                {r["conn"]["local"], r["conn"]["remote"]} == {cl, sv}]
        if len(mine) != 1:
            problems.append(f"stream {stream} {cl} -> {sv}: {len(mine)} handshake records")
            continue
        r = mine[0]
        want = {
            "sni": ch["tls.handshake.extensions_server_name"] or None,
            "alpn_offered": ch["tls.handshake.extensions_alpn_str"].split(",")
            if ch["tls.handshake.extensions_alpn_str"] else [],
            "ja3": ch["tls.handshake.ja3"],
            "ja3_full": ch["tls.handshake.ja3_full"],
            "ja4": ja4(ch),
        }
        sh = shs.get(stream)
        if sh:
            v = nums(sh["tls.handshake.extensions.supported_version"]) or nums(sh["tls.handshake.version"])
            want["version"] = VERSION_NAMES.get(v[0])
            want["ja3s"] = sh["tls.handshake.ja3s"]
            want["ja3s_full"] = sh["tls.handshake.ja3s_full"]
            g = nums(sh["tls.handshake.extensions_key_share_group"] or
                     sh["tls.handshake.extensions_key_share_selected_group"])
            want["group"] = GROUP_NAMES.get(g[0]) if g else None
        for k, v in want.items():
            if r.get(k) != v:
                problems.append(f"stream {stream} {cl} -> {sv}: {k} = {r.get(k)!r}, tshark: {v!r}")
    for p in problems:
        print(f"{path}: {p}")
    if not problems:
        print(f"{path}: {len(chs)} handshake(s) match tshark")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
