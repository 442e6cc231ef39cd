#!/usr/bin/env python3
"""Samples a running agent for run-daemon-benchmark.sh: every 10 s its RSS (VmRSS) and CPU time
(utime + stime from /proc/PID/stat), and at the end its /metrics (snapshot cycles, log lines, payloads
acknowledged). Prints one JSON object.

usage: daemon-sampler.py PID METRICS_URL SECONDS
"""
import json, os, re, sys, time, urllib.request

pid, url, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ticks = os.sysconf("SC_CLK_TCK")

def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

def metric(text, name):
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M))

time.sleep(5)  # start-up (connections, first cycle) is not steady state
start, cpu0 = time.monotonic(), cpu()
first = urllib.request.urlopen(url, timeout=5).read().decode()
samples = []
while time.monotonic() - start < seconds:
    time.sleep(10)
    samples.append(rss())
elapsed = time.monotonic() - start
used = cpu() - cpu0
last = urllib.request.urlopen(url, timeout=5).read().decode()
half = sorted(samples[len(samples) // 2:])
print(json.dumps({
    "seconds": elapsed, "cpu_seconds": used, "rss_kib": samples, "rss_steady_kib": half[len(half) // 2],
    "cycles": metric(last, "pgagent_snapshot_cycles_total") - metric(first, "pgagent_snapshot_cycles_total"),
    "log_lines": metric(last, "pgagent_log_lines_total") - metric(first, "pgagent_log_lines_total"),
    "acknowledged": metric(last, "pgagent_send_acknowledged_total"),
}))
