#!/usr/bin/env python3
"""pageout-probe.py — how many of a process's file-backed pages it really needs: for
run-footprint-benchmark.sh (issue 15, PAGEOUT_S). Linux 5.10+, x86-64, root (CAP_SYS_NICE).

    pageout-probe.py PID --seconds S [--every 5] [--out PREFIX]

Asks the kernel, from outside, to reclaim the clean file pages of the process's executable
(process_madvise(MADV_PAGEOUT) on every mapping of /proc/PID/exe; pages another process maps stay),
then reads VmRSS/RssFile/RssAnon and the executable's Rss every EVERY seconds for S seconds: the file
pages it faults back in while it keeps working, with the kernel's read-around and fault-around as they
are. What stays out is what start-up alone used (relocations, initialisers, code run once) plus what
fault-around had mapped without need; what comes back is the working set at the kernel's granularity.
Anonymous pages are not touched (there is no swap to put them in). Prints JSON (and writes
PREFIX.pageout.json).
"""
import argparse
import ctypes
import json
import os
import re
import time

SYS_PIDFD_OPEN, SYS_PROCESS_MADVISE, MADV_PAGEOUT = 434, 440, 21
libc = ctypes.CDLL(None, use_errno=True)


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(rest.split()[0])
    return out


def exe_rss(pid, exe):
    total, current = 0, None
    for line in open(f"/proc/{pid}/smaps"):
        m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            current = m.group(1).strip().removesuffix(" (deleted)")
        elif line.startswith("Rss:") and current == exe:
            total += int(line.split()[1])
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pid", type=int)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--every", type=float, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    exe = os.readlink(f"/proc/{args.pid}/exe").removesuffix(" (deleted)")  # replaced on disk while it runs
    ranges = []
    for line in open(f"/proc/{args.pid}/maps"):
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5].strip().removesuffix(" (deleted)") == exe:
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            ranges.append((lo, hi))
    iov = (IOVec * len(ranges))(*[IOVec(lo, hi - lo) for lo, hi in ranges])
    pidfd = libc.syscall(SYS_PIDFD_OPEN, args.pid, 0)
    if pidfd < 0:
        raise SystemExit(f"pidfd_open: {os.strerror(ctypes.get_errno())}")
    before = dict(status(args.pid), exe=exe_rss(args.pid, exe))
    t0 = time.monotonic()
    done = libc.syscall(SYS_PROCESS_MADVISE, pidfd, iov, len(ranges), MADV_PAGEOUT, 0)
    error = os.strerror(ctypes.get_errno()) if done < 0 else None
    samples = [dict(status(args.pid), exe=exe_rss(args.pid, exe), t=round(time.monotonic() - t0, 1))]
    beat = 1
    while time.monotonic() - t0 < args.seconds:
        time.sleep(max(0.0, t0 + beat * args.every - time.monotonic()))
        samples.append(dict(status(args.pid), exe=exe_rss(args.pid, exe), t=round(time.monotonic() - t0, 1)))
        beat += 1
    os.close(pidfd)
    result = {"before": before, "advised_bytes": done, "error": error, "samples": samples}
    if args.out:
        with open(args.out + ".pageout.json", "w") as f:
            json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
