#!/usr/bin/env python3
"""persist-queue's FIFOSQLiteQueue as the design research uses it (auto_commit=True, multithreading=True):
put COUNT payloads of SIZE bytes, then get() each (which deletes it). Prints one JSON line with the rates.
The payload is the same shape as SpoolBenchmark's, stored as the design research does: the JSON string.

With PRODUCERS > 1, that many threads put COUNT payloads in all into the one queue (multithreading=True
is what makes that safe), the group-commit comparison.

usage: persist-queue-bench.py DIR SIZE COUNT [PRODUCERS]
"""
import json, os, shutil, sys, threading, time
import persistqueue

directory, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
producers = int(sys.argv[4]) if len(sys.argv) > 4 else 1
shutil.rmtree(directory, ignore_errors=True)
os.makedirs(directory)


def payload(size, seed):
    parts, index = ['{"kind":"logs","events":['], 0
    length = len(parts[0])
    while length < size:
        part = ('{"pid":%d,"severity":"LOG","event":"slow_query","duration_ms":%s,"message":"duration: %d ms",'
                '"statement":"SELECT abalance FROM pgbench_accounts WHERE aid = ?","timestamp":"2026-11-27T10:00:%d.%dZ"},'
                % (4000 + (seed * 7919 + index * 104729) % 5000, ((seed + index) * 37 % 10000) / 100, (seed + index) % 997,
                   index % 60, index % 1000))
        parts.append(part)
        length += len(part)
        index += 1
    parts.append('{}]}')
    return ''.join(parts)


payloads = [payload(size, seed) for seed in range(64)]
queue = persistqueue.FIFOSQLiteQueue(directory, auto_commit=True, multithreading=True)


def produce(first):
    for index in range(first, count, producers):
        queue.put(payloads[index % len(payloads)])


start = time.monotonic()
threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
put_seconds = time.monotonic() - start
start = time.monotonic()
taken = 0
while queue.qsize() > 0:
    queue.get(block=False)
    taken += 1
get_seconds = time.monotonic() - start
print(json.dumps({"mode": "persist-queue", "payload_bytes": size, "count": count, "producers": producers,
                  "append_per_s": count / put_seconds, "take_ack_per_s": taken / get_seconds,
                  "append_ack_per_s": count / (put_seconds + get_seconds),
                  "journal_mode": queue._getter.execute("PRAGMA journal_mode").fetchone()[0]
                  if hasattr(queue, "_getter") else "default",
                  "persistqueue": persistqueue.__version__}))
