#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Assertions on tlsscope's JSON lines output, for the end-to-end tests (stdlib only).

Every subcommand first loads the whole file and checks that every line is one JSON object
that follows the contract (docs/json-schema.md, design.md "The JSON lines contract"); then:

  stream FILE --pid P --dir D --comm C --local IP:PORT --remote IP:PORT --role R [--lib L]
         [--netns N] [--cgroup-id G] [--after NS] [--before NS] [--any-tid]
         (--expect-file F | --expect-hex H | --expect-str S)
         [--single] [--len N] [--captured N] [--truncated max_capture|lost] [--redacted N]
         [--want-attribution A]...
      The data records of pid P in direction D, in call order, carry exactly the expected
      bytes (concatenated), and every one of them has exactly these fields (lib: openssl
      unless --lib; tid == pid unless
      --any-tid; ts within [--after, --before] when given). With --single
      there must be exactly one such record; --len/--captured/--truncated then describe it
      and its data must be the first `captured` expected bytes. --redacted N: the records'
      "redacted" fields add up to N (default 0: no record says redacted).
  only FILE (--pid P | --comm C)...      every data record is from one of these pids / comms
  none FILE --pid P...                   no data record from any of these pids
  stats FILE [--lost-zero [--allow-lost K]...] [--accounting] [--min-count N] [--eq K=V]...
        [--ge K=V]...
      the last line is the stats record; K is a dotted path such as lost.capture_truncated
  count FILE [--pid P] [--dir D]         print how many data records match
  handshake FILE --client IP:PORT --server IP:PORT [--count N] [--field K=V]...
      exactly N (default 1) handshake records of the connection between these two ends (told
      from either end); each has every --field K=V (V is JSON, or else a plain string; K may
      be dotted, e.g. conn.role)
  tls FILE --pid P --local IP:PORT [--field K=V]...
      every data record of pid P on that local end has a tls object with every --field
  http FILE --pid P --local IP:PORT --expect "METHOD PATH STATUS REQ_BODY RESP_BODY"...
        [--protocol P] [--latency-below-file F]
      the http records of pid P on that local end are exactly these, in order; every latency
      is positive and, with F (one number of seconds per line, in the same order), below it
  h2join FILE --pid P --local IP:PORT --log F [--lost-requests N]
      an HTTP/2 connection older than the agent (tests/e2e/h2midconn.py wrote F: what was
      sent and received): the http records of pid P on that local end are exactly one per
      request sent after the agent started (none for the ones before), in order, protocol
      HTTP/2, with the exact status, response body length and response headers. The request
      is there (method, path, body length exact, req_headers exactly the fields an observer
      that joined could decode, headers_truncated exactly when some field could not be), or,
      only for the first N requests (sent before the request direction could find a frame
      boundary), absent: method and path null, no req_headers, req_body_len 0.
  text FILE --header REGEX [--next LINE]...
      (the text view, not JSON) some line matches REGEX in full and the lines right after it
      are exactly the --next lines, in order
"""
import argparse
import base64
import binascii
import json
import sys

ATTRIBUTIONS_ATTRIBUTED = ("syscall", "cached")


class CheckError(Exception):
    pass


def fail(msg):
    raise CheckError(msg)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def load(path):
    """Parse and validate every line; returns (data_records, stats_records, all_records)."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw:
        fail(f"{path} is empty")
    if not raw.endswith(b"\n"):
        fail(f"{path}: last line is not terminated by a newline")
    records = []
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            fail(f"{path}:{n}: not JSON ({e}): {line[:200]!r}")
        if not isinstance(r, dict) or "type" not in r:
            fail(f"{path}:{n}: not an object with a type: {line[:200]!r}")
        r["_line"] = n
        if r["type"] == "data":
            validate_data(r, f"{path}:{n}")
        elif r["type"] == "stats":
            validate_stats(r, f"{path}:{n}")
        elif r["type"] == "handshake":
            validate_handshake(r, f"{path}:{n}")
        records.append(r)
    data = [r for r in records if r["type"] == "data"]
    stats = [r for r in records if r["type"] == "stats"]
    return data, stats, records


def validate_data(r, where):
    for k in ("ts", "pid", "tid", "netns", "cgroup_id", "len", "captured"):
        if not is_int(r.get(k)) or r[k] < 0:
            fail(f"{where}: {k} must be a non-negative int, got {r.get(k)!r}")
    for k in ("comm", "attribution", "lib", "dir", "data"):
        if not isinstance(r.get(k), str):
            fail(f"{where}: {k} must be a string, got {r.get(k)!r}")
    if "fd" not in r or not (r["fd"] is None or is_int(r["fd"])):
        fail(f"{where}: fd must be an int or null, got {r.get('fd')!r}")
    if r["dir"] not in ("egress", "ingress"):
        fail(f"{where}: dir {r['dir']!r}")
    c = r.get("conn", "missing")
    if c is not None:
        if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in ("local", "remote", "role")):
            fail(f"{where}: conn must be null or {{local, remote, role}}, got {c!r}")
        if c["role"] not in ("client", "server"):
            fail(f"{where}: conn.role {c['role']!r}")
    try:
        payload = base64.b64decode(r["data"], validate=True)
    except (binascii.Error, ValueError) as e:
        fail(f"{where}: data is not base64: {e}")
    if len(payload) != r["captured"]:
        fail(f"{where}: captured={r['captured']} but data decodes to {len(payload)} bytes")
    if r["captured"] > r["len"]:
        fail(f"{where}: captured={r['captured']} > len={r['len']}")
    if (r["captured"] < r["len"]) != ("truncated" in r):
        fail(f"{where}: captured={r['captured']} len={r['len']} truncated={r.get('truncated')!r}: "
             "truncated must be present exactly when captured < len")
    if "redacted" in r and (not is_int(r["redacted"]) or r["redacted"] < 1):
        fail(f"{where}: redacted must be a positive int when present, got {r['redacted']!r}")
    r["_bytes"] = payload


HANDSHAKE_KEYS = ("ts", "pid", "comm", "netns", "cgroup_id", "iface", "conn", "sni", "alpn",
                  "alpn_source", "version", "cipher", "group", "alpn_offered", "versions_offered",
                  "ciphers_offered", "groups_offered", "key_shares_offered", "sig_algs",
                  "extensions", "client_version", "server_extensions", "hrr", "lists_truncated",
                  "ja3", "ja3_full", "ja3s", "ja3s_full", "ja4", "ja4_r", "incomplete")
TLS_KEYS = ("sni", "alpn", "alpn_source", "version", "cipher", "group", "ja3", "ja3s", "ja4")


def validate_handshake(r, where):
    missing = [k for k in HANDSHAKE_KEYS if k not in r]
    if missing:
        fail(f"{where}: handshake record lacks {missing}")
    if not is_int(r["ts"]) or not (r["pid"] is None or is_int(r["pid"])):
        fail(f"{where}: ts/pid types")
    c = r["conn"]
    if not isinstance(c, dict) or c.get("role") not in ("client", "server"):
        fail(f"{where}: conn {c!r}")
    if r["alpn_source"] not in (None, "wire", "plaintext"):
        fail(f"{where}: alpn_source {r['alpn_source']!r}")
    if (r["alpn"] is None) != (r["alpn_source"] is None):
        fail(f"{where}: alpn and alpn_source must be null together")
    for k in ("ja3", "ja3s"):
        if r[k] is not None and (len(r[k]) != 32 or any(ch not in "0123456789abcdef" for ch in r[k])):
            fail(f"{where}: {k} {r[k]!r} is not an MD5 in hex")


def get_path(r, key):
    for part in key.split("."):
        if not isinstance(r, dict) or part not in r:
            return KeyError
        r = r[part]
    return r


def parse_fields(fields):
    out = []
    for f in fields or []:
        k, _, v = f.partition("=")
        try:
            v = json.loads(v)
        except ValueError:
            pass
        out.append((k, v))
    return out


def check_fields(r, fields, where):
    problems = []
    for k, v in fields:
        got = get_path(r, k)
        if got is KeyError:
            problems.append(f"{k} missing")
        elif got != v:
            problems.append(f"{k} = {got!r}, expected {v!r}")
    if problems:
        fail(f"{where}: " + "; ".join(problems) + f"\n  record: {show(r)}")


def cmd_handshake(a, records):
    ends = {a.client, a.server}
    hs = [r for r in records if r["type"] == "handshake" and
          {r["conn"]["local"], r["conn"]["remote"]} == ends]
    if len(hs) != a.count:
        others = [(r["conn"]["local"], r["conn"]["remote"]) for r in records if r["type"] == "handshake"]
        fail(f"{len(hs)} handshake records between {a.client} and {a.server}, expected {a.count}"
             f" (handshake records seen: {others[:20]})")
    for r in hs:
        role = r["conn"]["role"]
        if (role == "client") != (r["conn"]["local"] == a.client):
            fail(f"line {r['_line']}: role {role} but local {r['conn']['local']} (client is {a.client})")
        check_fields(r, parse_fields(a.field), f"line {r['_line']} (handshake)")


def cmd_http(a, records):
    sel = [r for r in records if r["type"] == "http" and r["pid"] == a.pid and
           r["conn"]["local"] == a.local]
    sel.sort(key=lambda r: (r["ts"], r["_line"]))
    def extra(r, k):
        v = r.get(k)
        return "null" if v is None else str(v)
    got = [" ".join(["%s %s %s %s %s" % (r["method"], r["path"], r["status"], r["req_body_len"],
                                         r["resp_body_len"])] + [extra(r, k) for k in a.extra])
           for r in sel]
    if got != a.expect:
        fail(f"http records of pid {a.pid} on {a.local}:\n  got      {got}\n  expected {a.expect}")
    limits = None
    if a.latency_below_file:
        limits = [float(x) for x in open(a.latency_below_file).read().split()]
        if len(limits) != len(sel):
            fail(f"{len(limits)} latency limits for {len(sel)} records")
    for i, r in enumerate(sel):
        if a.protocol and r["protocol"] != a.protocol:
            fail(f"line {r['_line']}: protocol {r['protocol']!r} != {a.protocol!r}")
        if not is_int(r["latency_ns"]) or r["latency_ns"] <= 0:
            fail(f"line {r['_line']}: latency_ns {r['latency_ns']!r} is not positive")
        if limits and r["latency_ns"] >= limits[i] * 1e9:
            fail(f"line {r['_line']}: latency {r['latency_ns']} ns is not below the client's own "
                 f"{limits[i] * 1e9:.0f} ns")


def cmd_h2join(a, records):
    sel = [r for r in records if r["type"] == "http" and r["pid"] == a.pid and
           r["conn"]["local"] == a.local]
    sel.sort(key=lambda r: (r["ts"], r["_line"]))
    with open(a.log, encoding="utf-8") as f:
        sent = [e for e in json.load(f) if e["after_go"]]
    brief = ["%s %s %s" % (r["method"], r["path"], r["status"]) for r in sel]
    if len(sel) != len(sent):
        fail(f"{len(sel)} http records of pid {a.pid} on {a.local}, expected {len(sent)} (one per "
             f"request sent after the agent started: {[e['path'] for e in sent]}); got {brief}")
    for i, (r, e) in enumerate(zip(sel, sent)):
        where = f"line {r['_line']} (stream {e['stream_id']}, {e['method']} {e['path']})"
        problems = []

        def want(key, val):
            if r.get(key) != val:
                problems.append(f"{key} = {r.get(key)!r}, expected {val!r}")

        want("protocol", "HTTP/2")
        want("status", e["status"])
        want("resp_body_len", e["resp_body_len"])
        got = list(r["resp_headers"].items())
        if got != [tuple(h) for h in e["resp_headers"]]:
            problems.append(f"resp_headers {got}, received {e['resp_headers']}")
        if r["method"] is None and r["path"] is None and i < a.lost_requests:
            want("req_headers", {})
            want("req_body_len", 0)
            want("headers_truncated", None)
        else:
            want("method", e["method"])
            want("path", e["path"])
            want("req_body_len", e["req_body_len"])
            got = list(r["req_headers"].items())
            if got != [tuple(h) for h in e["known"]]:
                problems.append(f"req_headers {got}, expected exactly {e['known']} (sent: "
                                f"{e['req_headers']})")
            want("headers_truncated", True if e["partial"] else None)
        if problems:
            fail(f"{where}: " + "; ".join(problems) + f"\n  record: {show(r)}")


def cmd_tls(a, data):
    sel = [r for r in data if r["pid"] == a.pid and r["conn"] and r["conn"]["local"] == a.local]
    if not sel:
        fail(f"no data record of pid {a.pid} on {a.local}")
    fields = parse_fields(a.field)
    for r in sel:
        t = r.get("tls", "missing")
        if not isinstance(t, dict) or any(k not in t for k in TLS_KEYS):
            fail(f"line {r['_line']}: tls object {t!r}")
        check_fields(t, fields, f"line {r['_line']} (tls of pid {a.pid})")


def validate_stats(r, where):
    if not is_int(r.get("ts")):
        fail(f"{where}: stats ts {r.get('ts')!r}")
    lost = r.get("lost")
    if not isinstance(lost, dict) or not lost:
        fail(f"{where}: stats must have a non-empty lost object, got {lost!r}")
    for k, v in lost.items():
        if not is_int(v):
            fail(f"{where}: lost.{k} = {v!r} is not an int")


def show(r):
    d = {k: v for k, v in r.items() if not k.startswith("_")}
    if len(d.get("data", "")) > 120:
        d["data"] = d["data"][:120] + "..."
    return json.dumps(d)


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def loss_note(records):
    """Why records may be missing: the agent's own loss counters, and who else was traced."""
    stats = [r for r in records if r["type"] == "stats"]
    if not stats:
        return ""
    lost = {k: v for k, v in stats[-1]["lost"].items() if v}
    if not lost:
        return ""
    comms = {}
    for r in records:
        if r["type"] == "data":
            comms[r["comm"]] = comms.get(r["comm"], 0) + 1
    busiest = sorted(comms.items(), key=lambda kv: -kv[1])[:5]
    return (f"\n  note: the agent counted losses {lost}; records in this run by comm: {busiest} "
            "(other TLS traffic on this host at the same time can fill the ring buffer)")


def cmd_stream(a, data, records):
    if a.expect_file is not None:
        with open(a.expect_file, "rb") as f:
            expect = f.read()
    elif a.expect_hex is not None:
        expect = bytes.fromhex(a.expect_hex)
    else:
        expect = a.expect_str.encode()
    what = f"pid {a.pid} {a.dir}"
    sel = [r for r in data if r["pid"] == a.pid and r["dir"] == a.dir]
    if not sel:
        others = sorted({(r["pid"], r["comm"]) for r in data})
        if len(others) > 20:
            others = others[:20] + ["..."]
        fail(f"no data record for {what} (records seen from: {others})" + loss_note(records))
    # call order: a thread's calls are sequential, ts orders them; keep file order on ties
    sel.sort(key=lambda r: (r["ts"], r["_line"]))
    if a.single and len(sel) != 1:
        fail(f"{what}: expected exactly one record, got {len(sel)}:\n" + "\n".join(map(show, sel)))
    want_conn = {"local": a.local, "remote": a.remote, "role": a.role}
    fds = set()
    for r in sel:
        where = f"line {r['_line']} ({what})"
        problems = []
        if r["comm"] != a.comm:
            problems.append(f"comm {r['comm']!r} != {a.comm!r}")
        if not a.any_tid and r["tid"] != r["pid"]:
            problems.append(f"tid {r['tid']} != pid {r['pid']} (the calls run on the main thread)")
        if a.after is not None and r["ts"] < a.after:
            problems.append(f"ts {r['ts']} is before the agent started ({a.after})")
        if a.before is not None and r["ts"] > a.before:
            problems.append(f"ts {r['ts']} is after the agent stopped ({a.before})")
        if a.netns is not None and r["netns"] != a.netns:
            problems.append(f"netns {r['netns']} != {a.netns}")
        if a.cgroup_id is not None and r["cgroup_id"] != a.cgroup_id:
            problems.append(f"cgroup_id {r['cgroup_id']} != {a.cgroup_id}")
        conn = r["conn"]
        got_conn = None if conn is None else {k: conn[k] for k in ("local", "remote", "role")}
        if got_conn != want_conn:
            problems.append(f"conn {got_conn} != {want_conn}")
        if not is_int(r["fd"]) or r["fd"] < 0:
            problems.append(f"fd {r['fd']!r} is not a non-negative int")
        if r["attribution"] not in ATTRIBUTIONS_ATTRIBUTED:
            problems.append(f"attribution {r['attribution']!r} not in {ATTRIBUTIONS_ATTRIBUTED}")
        if r["lib"] != a.lib:
            problems.append(f"lib {r['lib']!r} != {a.lib!r}")
        if not a.single:
            if r["len"] == 0:
                problems.append("len is 0 (calls that move nothing must not be records)")
            if r["len"] != r["captured"] or "truncated" in r:
                problems.append(f"len {r['len']} / captured {r['captured']} / truncated "
                                f"{r.get('truncated')!r}: expected whole calls")
        if problems:
            fail(f"{where}: " + "; ".join(problems) + "\n  " + show(r))
        fds.add(r["fd"])
    if len(fds) != 1:
        fail(f"{what}: records carry different fds {sorted(fds, key=str)}")
    for want in a.want_attribution:
        if not any(r["attribution"] == want for r in sel):
            fail(f"{what}: no record with attribution {want!r} "
                 f"(got {sorted({r['attribution'] for r in sel})})")
    redacted = sum(r.get("redacted", 0) for r in sel)
    if redacted != a.redacted:
        fail(f"{what}: {redacted} secret values masked in all, expected {a.redacted}:\n  "
             + "\n  ".join(map(show, sel)))

    if a.single:
        r = sel[0]
        want_len = a.len if a.len is not None else len(expect)
        want_cap = a.captured if a.captured is not None else want_len
        problems = []
        if r["len"] != want_len:
            problems.append(f"len {r['len']} != {want_len}")
        if r["captured"] != want_cap:
            problems.append(f"captured {r['captured']} != {want_cap}")
        if r.get("truncated") != a.truncated:
            problems.append(f"truncated {r.get('truncated')!r} != {a.truncated!r}")
        if problems:
            fail(f"line {r['_line']} ({what}): " + "; ".join(problems) + "\n  " + show(r))
        expect = expect[:want_cap]
        got = r["_bytes"]
    else:
        got = b"".join(r["_bytes"] for r in sel)
    if got != expect:
        i = first_diff(got, expect)
        fail(f"{what}: plaintext differs at byte {i} (got {len(got)} bytes in {len(sel)} records, "
             f"expected {len(expect)}):\n  got:      {got[max(0, i - 32):i + 48]!r}\n"
             f"  expected: {expect[max(0, i - 32):i + 48]!r}" + loss_note(records))
    print(f"ok: {what} {a.comm}: {len(sel)} record(s), {len(got)} bytes exact, conn {want_conn}, "
          f"fd {fds.pop()}, attribution {sorted({r['attribution'] for r in sel})}")


def cmd_only(a, data):
    pids, comms = set(a.pid or []), set(a.comm or [])
    bad = [r for r in data if (pids and r["pid"] not in pids) or (comms and r["comm"] not in comms)]
    if bad:
        fail(f"{len(bad)} data record(s) outside pids {sorted(pids)} comms {sorted(comms)}, e.g.:\n  "
             + "\n  ".join(show(r) for r in bad[:5]))
    print(f"ok: all {len(data)} data records are from pids {sorted(pids)} comms {sorted(comms)}")


def cmd_none(a, data):
    bad = [r for r in data if r["pid"] in set(a.pid)]
    if bad:
        fail(f"{len(bad)} data record(s) from pids {a.pid}, which must not appear, e.g.:\n  "
             + "\n  ".join(show(r) for r in bad[:5]))
    print(f"ok: no data record from pids {a.pid}")


def lookup(rec, path):
    v = rec
    for part in path.split("."):
        if not isinstance(v, dict) or part not in v:
            fail(f"stats record has no {path}: {show(rec)}")
        v = v[part]
    if not is_int(v):
        fail(f"stats {path} = {v!r} is not an int")
    return v


def cmd_stats(a, records):
    if not records or records[-1]["type"] != "stats":
        fail("the last record is not the final stats record" +
             (f": {show(records[-1])}" if records else ""))
    st = records[-1]
    problems = []
    all_stats = [r for r in records if r["type"] == "stats"]
    if len(all_stats) < a.min_count:
        problems.append(f"{len(all_stats)} stats records, expected at least {a.min_count}")
    for prev, cur in zip(all_stats, all_stats[1:]):
        if cur["ts"] <= prev["ts"]:
            problems.append(f"stats ts not increasing: {prev['ts']} then {cur['ts']}")
        for k in ("calls", "calls_failed", "events", "bytes"):
            if is_int(prev.get(k)) and is_int(cur.get(k)) and cur[k] < prev[k]:
                problems.append(f"stats {k} went down: {prev[k]} then {cur[k]} (counters are cumulative)")
    if a.lost_zero:
        for k, v in st["lost"].items():
            if k in a.allow_lost:
                continue
            if v != 0:
                problems.append(f"lost.{k} = {v} (expected 0)")
    if a.accounting:
        # every call that moved data is a record or counted as lost (docs/json-schema.md)
        moved = lookup(st, "calls") - lookup(st, "calls_failed")
        accounted = lookup(st, "events") + lookup(st, "lost.ringbuf_full") + lookup(st, "lost.read_fault")
        if moved != accounted:
            problems.append(f"calls - calls_failed = {moved} but events + lost.ringbuf_full + "
                            f"lost.read_fault = {accounted}")
        ndata = sum(1 for r in records if r["type"] == "data")
        if ndata + lookup(st, "lost.sink") != lookup(st, "events"):
            problems.append(f"{ndata} data records in the file + lost.sink {lookup(st, 'lost.sink')} "
                            f"!= events {lookup(st, 'events')}")
    for spec in a.eq or []:
        k, v = spec.split("=", 1)
        if lookup(st, k) != int(v):
            problems.append(f"{k} = {lookup(st, k)} (expected {v})")
    for spec in a.ge or []:
        k, v = spec.split("=", 1)
        if lookup(st, k) < int(v):
            problems.append(f"{k} = {lookup(st, k)} (expected >= {v})")
    if problems:
        fail("stats: " + "; ".join(problems) + "\n  " + show(st))
    print(f"ok: stats {json.dumps(st['lost'])}")


def cmd_list(a):
    """--list --format json: every started process is there with the expected facts."""
    rows = []
    with open(a.file) as f:
        for n, line in enumerate(f, 1):
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                fail(f"{a.file}:{n}: not JSON ({e}): {line[:200]!r}")
    keys = ("pid", "comm", "exe", "lib", "version", "linkage", "path", "traced", "reason")
    problems = []
    for r in rows:
        if tuple(r) != keys:
            problems.append(f"row keys {list(r)} are not {list(keys)}")
        if r.get("traced") is (r.get("reason") is not None):
            problems.append(f"traced and reason disagree: {show(r)}")
    for spec in a.expect:
        pid, lib, linkage, traced = spec.split(",")[:4]
        version = spec.split(",")[4] if spec.count(",") >= 4 else None
        mine = [r for r in rows if r["pid"] == int(pid)]
        hit = [r for r in mine if r["lib"] == lib and r["linkage"] == linkage
               and r["traced"] == (traced == "yes")]
        if len(hit) != 1:
            problems.append(f"pid {pid}: want one {lib}/{linkage}/traced={traced} row, got "
                            + (", ".join(show(r) for r in mine) or "no row"))
        elif version is not None and (hit[0]["version"] or "") != version and \
                not (version.endswith("*") and (hit[0]["version"] or "").startswith(version[:-1])):
            problems.append(f"pid {pid}: version {hit[0]['version']!r}, want {version!r}")
        else:
            print(f"ok: list: {show(hit[0])}")
    for pid in a.absent:
        mine = [r for r in rows if r["pid"] == pid]
        if mine:
            problems.append(f"pid {pid} has no TLS code but is listed: {show(mine[0])}")
    if problems:
        fail("list: " + "; ".join(problems))


def cmd_text(a):
    import re
    with open(a.file, "r", encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    rx = re.compile(a.header)
    hits = [i for i, l in enumerate(lines) if rx.fullmatch(l)]
    if not hits:
        fail(f"no line matches /{a.header}/ in {a.file}; header lines there:\n  "
             + "\n  ".join(l for l in lines if l and not l.startswith(" "))[:3000])
    want = a.next or []
    for i in hits:
        if lines[i + 1:i + 1 + len(want)] == want:
            print(f"ok: line {i + 1}: {lines[i]!r} followed by {want!r}")
            return
    fail(f"line(s) {[i + 1 for i in hits]} match /{a.header}/ but are not followed by {want!r}; "
         f"got {lines[hits[0] + 1:hits[0] + 1 + len(want)]!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("stream")
    s.add_argument("file")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--dir", choices=("egress", "ingress"), required=True)
    s.add_argument("--comm", required=True)
    s.add_argument("--local", required=True)
    s.add_argument("--remote", required=True)
    s.add_argument("--role", choices=("client", "server"), required=True)
    s.add_argument("--lib", default="openssl", help="the library that moved the bytes")
    s.add_argument("--netns", type=int)
    s.add_argument("--cgroup-id", type=int)
    s.add_argument("--after", type=int, help="every ts is >= this (unix ns)")
    s.add_argument("--before", type=int, help="every ts is <= this (unix ns)")
    s.add_argument("--any-tid", action="store_true",
                   help="the calls may run on any thread (default: tid == pid, the main thread)")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--expect-file")
    g.add_argument("--expect-hex")
    g.add_argument("--expect-str")
    s.add_argument("--single", action="store_true")
    s.add_argument("--len", type=int)
    s.add_argument("--captured", type=int)
    s.add_argument("--truncated", choices=("max_capture", "lost"))
    s.add_argument("--want-attribution", action="append", default=[],
                   help="at least one record has this attribution")
    s.add_argument("--redacted", type=int, default=0,
                   help="secret header values masked in these records, in all (default 0)")

    s = sub.add_parser("only")
    s.add_argument("file")
    s.add_argument("--pid", type=int, action="append")
    s.add_argument("--comm", action="append")

    s = sub.add_parser("none")
    s.add_argument("file")
    s.add_argument("--pid", type=int, action="append", required=True)

    s = sub.add_parser("stats")
    s.add_argument("file")
    s.add_argument("--lost-zero", action="store_true")
    s.add_argument("--allow-lost", action="append", default=[],
                   help="with --lost-zero: a lost counter that may be non-zero")
    s.add_argument("--eq", action="append")
    s.add_argument("--ge", action="append")
    s.add_argument("--min-count", type=int, default=1,
                   help="at least this many stats records (ts increasing, counters cumulative)")
    s.add_argument("--accounting", action="store_true",
                   help="calls - calls_failed == events + lost.ringbuf_full + lost.read_fault, and "
                        "every event is a data record in the file (only when no other traffic ran)")

    s = sub.add_parser("count")
    s.add_argument("file")
    s.add_argument("--pid", type=int)
    s.add_argument("--dir")

    s = sub.add_parser("handshake")
    s.add_argument("file")
    s.add_argument("--client", required=True)
    s.add_argument("--server", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--field", action="append")

    s = sub.add_parser("tls")
    s.add_argument("file")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--local", required=True)
    s.add_argument("--field", action="append")

    s = sub.add_parser("http")
    s.add_argument("file")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--local", required=True)
    s.add_argument("--expect", action="append", default=[])
    s.add_argument("--protocol")
    s.add_argument("--latency-below-file")
    s.add_argument("--extra", action="append", default=[],
                   help="append this record field to each record's line (null when absent)")

    s = sub.add_parser("h2join")
    s.add_argument("file")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--local", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--lost-requests", type=int, default=0)

    s = sub.add_parser("list")
    s.add_argument("file")
    s.add_argument("--expect", action="append", default=[],
                   help="PID,LIB,LINKAGE,yes|no[,VERSION] (VERSION may end in *; empty: null)")
    s.add_argument("--absent", type=int, action="append", default=[])

    s = sub.add_parser("text")
    s.add_argument("file")
    s.add_argument("--header", required=True)
    s.add_argument("--next", action="append")

    a = p.parse_args()
    try:
        if a.cmd == "text":
            cmd_text(a)
            return
        if a.cmd == "list":
            cmd_list(a)
            return
        data, _, records = load(a.file)
        if a.cmd == "stream":
            cmd_stream(a, data, records)
        elif a.cmd == "only":
            if not a.pid and not a.comm:
                p.error("only: give --pid or --comm")
            cmd_only(a, data)
        elif a.cmd == "none":
            cmd_none(a, data)
        elif a.cmd == "stats":
            cmd_stats(a, records)
        elif a.cmd == "handshake":
            cmd_handshake(a, records)
        elif a.cmd == "tls":
            cmd_tls(a, data)
        elif a.cmd == "http":
            cmd_http(a, records)
        elif a.cmd == "h2join":
            cmd_h2join(a, records)
        elif a.cmd == "count":
            print(sum(1 for r in data if (a.pid is None or r["pid"] == a.pid)
                      and (a.dir is None or r["dir"] == a.dir)))
    except CheckError as e:
        print(f"check.py {a.cmd}: FAIL: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
