#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the last tlsscope "stats" record of a JSON-lines file as shell assignments.

    eval "$(python3 bench/stats.py FILE)"
    python3 bench/stats.py --sites FILE      one "PATH:OFFSET" line per probed site

sets ST_calls, ST_calls_failed, ST_events, ST_bytes, ST_integrity_violations, ST_unattributed,
ST_probes_attached, ST_probes_failed, ST_lost_<key> for every key of "lost", and ST_lost_calls:
calls that lost their record or part of it (ringbuf_full + read_fault + partial + map_full +
incomplete + decode + sink). Only integers are printed. Exit status 1 if there is no stats record.
"""
import json
import sys

LOST_CALLS = ("ringbuf_full", "read_fault", "partial", "map_full", "incomplete", "decode", "sink")


def main():
    sites = sys.argv[1] == "--sites"
    last = None
    with open(sys.argv[-1], encoding="utf-8", errors="replace") as f:
        for line in f:
            if '"type":"stats"' not in line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("type") == "stats":
                last = rec
    if last is None:
        print("echo 'stats.py: no stats record' >&2; false")
        return 1
    if sites:
        for lib in last.get("libraries", []):
            for site in lib.get("sites", []):
                print(f"{lib['path']}:{int(site['offset'])}")
        return 0
    out = {}
    for k, v in last.items():
        if isinstance(v, int) and not isinstance(v, bool) and k.isidentifier():
            out["ST_" + k] = v
    lost = last.get("lost", {})
    for k, v in lost.items():
        if isinstance(v, int) and k.isidentifier():
            out["ST_lost_" + k] = v
    out["ST_lost_calls"] = sum(int(lost.get(k, 0)) for k in LOST_CALLS)
    for k in ("calls", "calls_failed", "events", "bytes", "lost_ringbuf_full", "lost_read_fault",
              "lost_partial"):
        out.setdefault("ST_" + k, 0)
    for k, v in sorted(out.items()):
        print(f"{k}={int(v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
