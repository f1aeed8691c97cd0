#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run time of one process's BPF programs (needs sysctl kernel.bpf_stats_enabled=1).

    bpfstats.py snap PID OUT.json        save run_cnt / run_time_ns of every program PID holds
    bpfstats.py diff PID BEFORE.json     print "NAME runs=N ns_per_run=X" per program since BEFORE

The programs are found through /proc/PID/fdinfo (prog_id of each BPF program or link fd), so
other tracers' programs with the same names are not mixed in.
"""
import glob
import json
import subprocess
import sys


def prog_ids(pid):
    ids = set()
    for path in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            continue
    return sorted(ids)


def snap(pid):
    out = {}
    for i in prog_ids(pid):
        r = subprocess.run(["bpftool", "prog", "show", "id", str(i), "-j"],
                           capture_output=True, text=True, check=False)
        if r.returncode:
            continue
        p = json.loads(r.stdout)
        out[str(i)] = {"name": p.get("name", "?"), "run_cnt": p.get("run_cnt", 0),
                       "run_time_ns": p.get("run_time_ns", 0)}
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("snap", "diff"):
        print(__doc__, file=sys.stderr)
        return 2
    now = snap(int(sys.argv[2]))
    if sys.argv[1] == "snap":
        with open(sys.argv[3], "w", encoding="ascii") as f:
            json.dump(now, f)
        return 0
    with open(sys.argv[3], encoding="ascii") as f:
        before = json.load(f)
    for i, p in sorted(now.items(), key=lambda kv: kv[1]["name"]):
        b = before.get(i, {"run_cnt": 0, "run_time_ns": 0})
        runs = p["run_cnt"] - b["run_cnt"]
        ns = p["run_time_ns"] - b["run_time_ns"]
        if runs > 0:
            print(f"{p['name']} runs={runs} ns_per_run={ns / runs:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
