#!/usr/bin/env python3
"""Prints what the reference listener received, for scripts/demo.sh: payloads by kind, the top
statements by time, the lock chains with their correlation ids, database time per request (active-session
history), and the log events by class.

usage: demo-summary.py LISTENER_STORE.sqlite
"""
import collections, json, sqlite3, sys, zlib

rows = sqlite3.connect(sys.argv[1]).execute("SELECT kind, body FROM batches ORDER BY sequence").fetchall()
payloads = [(kind, json.loads(zlib.decompress(body, 16 + zlib.MAX_WBITS))) for kind, body in rows]
print()
print("== What the listener received ==")
kinds = collections.Counter(kind for kind, _ in payloads)
print("payloads: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())))

statements = collections.defaultdict(lambda: [0, 0.0])
for kind, body in payloads:
    for row in body.get("pg_statements") or []:
        if row.get("query"):
            entry = statements[row["query"]]
            entry[0] += row.get("calls", 0)
            entry[1] += row.get("total_exec_time", 0.0)
print("\ntop statements by execution time (sum of the per-interval deltas):")
for query, (calls, total) in sorted(statements.items(), key=lambda item: -item[1][1])[:5]:
    print(f"  {total:9.1f} ms  {calls:4d} calls  {' '.join(query.split())[:90]}")

print("\nlock chains (blocked ← blocking, with correlation ids):")
seen = set()
for kind, body in payloads:
    for lock in body.get("locks") or []:
        key = (lock.get("blocked_pid"), lock.get("blocking_pid"))
        if key in seen:
            continue
        seen.add(key)
        print(f"  pid {lock.get('blocked_pid')} [{lock.get('blocked_correlation_id') or lock.get('blocked_app')}]"
              f" waits for pid {lock.get('blocking_pid')} [{lock.get('blocking_correlation_id') or lock.get('blocking_app')}]"
              f", root pid {lock.get('root_blocking_pid')}: {' '.join((lock.get('blocked_statement') or '').split())[:60]}")
if not seen:
    print("  (none seen)")

requests = collections.defaultdict(lambda: [0.0, collections.Counter()])
for kind, body in payloads:
    history = body.get("activity_samples") or {}
    for entry in history.get("top_correlations") or []:
        request = requests[entry["correlation_id"]]
        request[0] += entry.get("seconds", 0.0)
        for wait in entry.get("top_waits") or []:
            request[1][wait["key"]] += wait["samples"]
print("\ndatabase time per request (sampled every second between snapshots):")
for request, (seconds, waits) in sorted(requests.items(), key=lambda item: -item[1][0])[:5]:
    spent = ", ".join(f"{wait} {count}" for wait, count in waits.most_common(3))
    print(f"  {seconds:6.1f} s  [{request}]  {spent}")
if not requests:
    print("  (none sampled)")

classes = collections.Counter()
examples = {}
for kind, body in payloads:
    for event in body.get("events") or []:
        classes[event.get("event", "other")] += 1
        if event.get("correlation_id") and event.get("event") not in examples:
            examples[event.get("event")] = event
print("\nlog events by class:")
for name, count in classes.most_common():
    print(f"  {count:5d}  {name}")
for name, event in sorted(examples.items()):
    print(f"  e.g. {name}: [{event.get('correlation_id')}] {' '.join((event.get('message') or '').split())[:80]}")
