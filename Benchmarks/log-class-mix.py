#!/usr/bin/env python3
"""log-class-mix.py — count the entries of a PostgreSQL jsonlog file by kind.

Usage: Benchmarks/log-class-mix.py FILE.json [--min-autovacuum-pct N] [--json]

One jsonlog line is one entry. Kinds (first match wins):
  auto_explain     "duration: ... plan:" (auto_explain)
  statement        "duration: ... statement: / execute / parse / bind" (log_min_duration_statement)
  autovacuum       "automatic vacuum of table" / "automatic aggressive vacuum ..."
  autoanalyze      "automatic analyze of table"
  checkpoint       "checkpoint starting:" / "checkpoint complete:" / restartpoints
  connection       "connection received/authenticated/authorized"
  disconnection    "disconnection:"
  lock_wait        "... still waiting for ..." / "... acquired ... after ..."
  temp_file        "temporary file: ..."
  error            error_severity ERROR / FATAL / PANIC
  other            everything else (WARNINGs, parameter changes, ...)
With --min-autovacuum-pct it exits 1 when autovacuum + autoanalyze are below N % of the entries.
"""
import json
import re
import sys
from collections import Counter

KINDS = ["statement", "autovacuum", "autoanalyze", "checkpoint", "connection", "disconnection",
         "lock_wait", "error", "auto_explain", "temp_file", "other"]
STATEMENT = re.compile(r"^duration: [0-9.]+ ms  (statement|execute|parse|bind)[: ]")
PLAN = re.compile(r"^duration: [0-9.]+ ms  plan:")
LOCK = re.compile(r"^process \d+ (still waiting for|acquired) .* after [0-9.]+ ms")


def classify(entry):
    msg = entry.get("message", "")
    sev = entry.get("error_severity", "")
    if sev in ("ERROR", "FATAL", "PANIC"):
        return "error"
    if PLAN.match(msg):
        return "auto_explain"
    if STATEMENT.match(msg):
        return "statement"
    if msg.startswith("automatic vacuum of table") or msg.startswith("automatic aggressive vacuum"):
        return "autovacuum"
    if msg.startswith("automatic analyze of table"):
        return "autoanalyze"
    if msg.startswith(("checkpoint starting:", "checkpoint complete:", "restartpoint starting:",
                       "restartpoint complete:")):
        return "checkpoint"
    if msg.startswith(("connection received:", "connection authenticated:", "connection authorized:")):
        return "connection"
    if msg.startswith("disconnection:"):
        return "disconnection"
    if LOCK.match(msg):
        return "lock_wait"
    if msg.startswith("temporary file:"):
        return "temp_file"
    return "other"


def main():
    args = sys.argv[1:]
    min_pct = None
    as_json = False
    if "--min-autovacuum-pct" in args:
        i = args.index("--min-autovacuum-pct")
        min_pct = float(args[i + 1])
        del args[i:i + 2]
    if "--json" in args:
        args.remove("--json")
        as_json = True
    if len(args) != 1:
        sys.exit(__doc__)
    counts = Counter()
    other = Counter()
    multiline = 0
    with open(args[0], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            kind = classify(entry)
            counts[kind] += 1
            if kind == "other":
                other[entry.get("error_severity", "") + ": " + entry.get("message", "")[:60]] += 1
            if "\n" in entry.get("message", "") or any(k in entry for k in ("detail", "hint", "context", "statement")):
                multiline += 1
    total = sum(counts.values())
    av = counts["autovacuum"] + counts["autoanalyze"]
    av_pct = 100.0 * av / total if total else 0.0
    if as_json:
        print(json.dumps({"total": total, "counts": {k: counts[k] for k in KINDS},
                          "autovacuum_analyze_pct": round(av_pct, 2), "multiline_entries": multiline}))
    else:
        print(f"{'kind':<14} {'entries':>9} {'share':>7}")
        for k in KINDS:
            print(f"{k:<14} {counts[k]:>9,} {100.0 * counts[k] / total if total else 0:>6.2f}%")
        print(f"{'total':<14} {total:>9,}")
        print(f"autovacuum + autoanalyze: {av:,} = {av_pct:.2f}% of entries; "
              f"entries with more than one line in stderr (message newline or DETAIL/HINT/CONTEXT/STATEMENT): "
              f"{multiline:,} = {100.0 * multiline / total if total else 0:.1f}%")
        if other:
            print("most common 'other':", "; ".join(f"{n}x {m!r}" for m, n in other.most_common(6)))
    if min_pct is not None and av_pct < min_pct:
        print(f"log-class-mix: autovacuum + autoanalyze are {av_pct:.2f}% < {min_pct}% of entries", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
