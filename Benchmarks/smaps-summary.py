#!/usr/bin/env python3
"""smaps-summary.py — what a process's resident memory consists of, from a copy of /proc/PID/smaps.

    smaps-summary.py FILE.smaps [--top 8]

Sums each mapping's Rss, Pss, Private_Clean, Private_Dirty, Shared_Clean + Shared_Dirty and Anonymous
by what is mapped: a file (by its base name: the binary, libswiftCore.so, libFoundation.so, ...),
[heap], [stack], or "anonymous" (unnamed anonymous mappings: glibc malloc arenas of other threads,
thread stacks, large allocations). Prints a markdown table of the largest by Rss and the total, in KiB.
The SnapshotBenchmark binary writes FILE.json.smaps after its measured cycles.
"""
import argparse
import os
import re
from collections import defaultdict

FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared", "Anonymous")
HEADER = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+(?:\s+(.*))?$")


def summarize(path):
    totals = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    current = None
    with open(path) as f:
        for line in f:
            header = HEADER.match(line)
            if header:
                name = (header.group(1) or "").strip()
                if not name:
                    name = "anonymous"
                elif name.startswith("/"):
                    name = os.path.basename(name)
                current = totals[name]
                continue
            key, _, rest = line.partition(":")
            if current is None or not rest.strip().endswith("kB"):
                continue
            kb = int(rest.split()[0])
            if key in ("Shared_Clean", "Shared_Dirty"):
                current["Shared"] += kb
            elif key in FIELDS:
                current[key] += kb
    return totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("smaps")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    totals = summarize(args.smaps)
    rows = sorted(totals.items(), key=lambda item: -item[1]["Rss"])
    print("| mapping | Rss | Pss | Private_Clean | Private_Dirty | Shared | of which Anonymous |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, v in rows[: args.top]:
        print(f"| {name} | " + " | ".join(str(v[k]) for k in FIELDS) + " |")
    if len(rows) > args.top:
        rest = {k: sum(v[k] for _, v in rows[args.top:]) for k in FIELDS}
        print(f"| everything else ({len(rows) - args.top} mappings) | " + " | ".join(str(rest[k]) for k in FIELDS) + " |")
    total = {k: sum(v[k] for v in totals.values()) for k in FIELDS}
    print("| **total** | " + " | ".join(f"**{total[k]}**" for k in FIELDS) + " |")
    print()
    print("KiB, from " + os.path.basename(args.smaps) + " (Shared = Shared_Clean + Shared_Dirty).")


if __name__ == "__main__":
    main()
