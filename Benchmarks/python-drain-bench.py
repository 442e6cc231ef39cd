#!/usr/bin/env python3
"""Baseline sender for run-drain-benchmark.sh: drains our spool file the way the design research's
agent sends (one HTTP POST per payload, oldest first; delete and commit only after a 2xx), using only
Python's standard library (http.client, sqlite3 with synchronous FULL). Prints one JSON object.

usage: python-drain-bench.py SPOOL_FILE URL TOKEN
"""
import http.client, json, sqlite3, sys, time, urllib.parse

path, url, token = sys.argv[1:4]
target = urllib.parse.urlsplit(url)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
sent = 0
start = time.monotonic()
while True:
    row = db.execute("SELECT id, batch_id, body FROM payloads ORDER BY id LIMIT 1").fetchone()
    if row is None:
        break
    identifier, batch_id, body = row
    connection.request("POST", target.path, body=body, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json",
        "Content-Encoding": "gzip", "Idempotency-Key": batch_id})
    response = connection.getresponse()
    response.read()
    if response.status // 100 != 2:
        raise SystemExit(f"listener answered {response.status}")
    db.execute("DELETE FROM payloads WHERE id = ?", (identifier,))
    db.commit()
    sent += 1
print(json.dumps({"mode": "python", "payloads": sent, "seconds": time.monotonic() - start}))
