#!/usr/bin/env python3
"""footprint-sampler.py — samples the agent and the processes beside it for run-footprint-benchmark.sh
(issue 15), and scrapes every /metrics endpoint on the same beat, as Prometheus would.

    footprint-sampler.py --seconds N [--interval 10] --agent PID METRICS_URL
                         [--process NAME PID [SCRAPE_URL]]...

After 5 s of start-up, every INTERVAL seconds (on a fixed beat): for each process VmRSS, RssAnon,
RssFile (/proc/PID/status) and its thread count; the agent's /metrics and each process's SCRAPE_URL
are fetched (the exporters' answers are read and thrown away; a failed scrape is counted). CPU time
(utime + stime of /proc/PID/stat) and the agent's counters are differences between the first and the
last scrape. VmHWM (the kernel's peak RSS since start, start-up included) is read at the end. Prints
one JSON object; sizes in KiB. Steady = the median of the second half of the samples.
"""
import argparse
import json
import os
import re
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")
COUNTERS = ("pgagent_snapshot_cycles_total", "pgagent_log_lines_total", "pgagent_log_entries_total",
            "pgagent_send_acknowledged_total", "pgagent_snapshot_late_total", "pgagent_log_unparsed_total")
GAUGES = ("pgagent_log_lag_bytes", "pgagent_spool_depth", "pgagent_snapshot_duration_seconds")


def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(rest.split()[0])
        elif key == "Threads":
            out[key] = int(rest)
    return out


def metric(text, name):
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M))


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8", "replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--agent", nargs=2, metavar=("PID", "URL"), required=True)
    parser.add_argument("--process", nargs="+", action="append", default=[], metavar="NAME PID [URL]")
    args = parser.parse_args()
    procs = {"agent": {"pid": int(args.agent[0]), "url": args.agent[1]}}
    for spec in args.process:
        procs[spec[0]] = {"pid": int(spec[1]), "url": spec[2] if len(spec) > 2 else None}
    for p in procs.values():
        p.update(rss=[], anon=[], file=[], threads=[], scrape_failures=0, scrape_seconds=0.0, scrapes=0)

    time.sleep(5)  # start-up (connections, the first cycle) is not steady state
    series = []
    first = last = None
    cpu0 = {name: cpu(p["pid"]) for name, p in procs.items()}
    start = time.monotonic()
    beat = 0
    while True:
        for name, p in procs.items():
            if p["url"]:
                t0 = time.monotonic()
                try:
                    text = fetch(p["url"])
                    p["scrapes"] += 1
                    if name == "agent":
                        last = text
                        first = first or text
                except OSError:
                    p["scrape_failures"] += 1
                p["scrape_seconds"] += time.monotonic() - t0
            s = status(p["pid"])
            if beat > 0:  # the first beat only sets the counters' start
                p["rss"].append(s["VmRSS"])
                p["anon"].append(s["RssAnon"])
                p["file"].append(s["RssFile"])
                p["threads"].append(s["Threads"])
        if beat > 0 and last:
            series.append({"t": round(time.monotonic() - start, 1), "rss": procs["agent"]["rss"][-1],
                           "entries": metric(last, "pgagent_log_entries_total"),
                           "lag": metric(last, "pgagent_log_lag_bytes")})
        elapsed = time.monotonic() - start
        if elapsed >= args.seconds:
            break
        beat += 1
        time.sleep(max(0.0, start + beat * args.interval - time.monotonic()))

    elapsed = time.monotonic() - start
    out = {"seconds": elapsed, "interval": args.interval, "processes": {}, "series": series}
    for name, p in procs.items():
        half = sorted(p["rss"][len(p["rss"]) // 2:]) or [0]
        half_anon = sorted(p["anon"][len(p["anon"]) // 2:]) or [0]
        half_file = sorted(p["file"][len(p["file"]) // 2:]) or [0]
        end = status(p["pid"])
        out["processes"][name] = {
            "pid": p["pid"], "cpu_seconds": cpu(p["pid"]) - cpu0[name],
            "rss_kib": p["rss"], "anon_kib": p["anon"], "file_kib": p["file"],
            "rss_steady_kib": half[len(half) // 2], "anon_steady_kib": half_anon[len(half_anon) // 2],
            "file_steady_kib": half_file[len(half_file) // 2],
            "rss_max_kib": max(p["rss"] or [0]), "hwm_kib": end["VmHWM"], "threads": end["Threads"],
            "threads_max": max(p["threads"] or [0]),
            "scrapes": p["scrapes"], "scrape_failures": p["scrape_failures"],
            "scrape_seconds": p["scrape_seconds"],
        }
    if first and last:
        out["agent"] = {name: metric(last, name) - metric(first, name) for name in COUNTERS}
        out["agent"].update({name + "_end": metric(last, name) for name in GAUGES})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
