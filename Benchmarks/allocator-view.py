#!/usr/bin/env python3
"""allocator-view.py — glibc malloc's own view of a running process, and SQLite's, through gdb: for
run-footprint-benchmark.sh (issue 15).

    allocator-view.py PID --out PREFIX [--trim]

gdb attaches (`-batch --readnever`: ELF symbols only, no debug info, about a second on the 200 MB
binary), stops the process for the duration, and calls in it:
  - malloc_info(0, fp) into PREFIX.malloc-info.xml (an fopen'd file: nothing goes to the process's
    streams). Per arena: the heap's size from the system (`system current`), free chunks in the fast
    bins and in the other bins including the top chunk (`total fast`, `total rest`); in use = system -
    fast - rest. Blocks above the mmap threshold are counted apart (`total type="mmap"`).
  - malloc_stats(): the same per arena in glibc's words, written to the process's stderr (the
    benchmark's agent log), for the record.
  - sqlite3_memory_used() and sqlite3_memory_highwater(0): the bytes SQLite has malloc'd (page caches,
    prepared statements, schema), when the process links SQLite and memory statistics are on (the
    default of Debian's libsqlite3).
  - with --trim, last: malloc_trim(0), with VmRSS/RssAnon read before and after. That is the free memory
    inside the arenas that glibc would give back (MADV_DONTNEED of free pages, not only the top): an
    upper bound on what trimming from the code, e.g. after each log batch, would save. It changes the
    process; run it last.
Writes PREFIX.allocator.json and prints a markdown summary. A call is bounded by `timeout 60`: a process
stopped while a thread held an arena lock would make malloc_info wait for ever.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(rest.split()[0])
    return out


def gdb(pid, commands):
    args = ["timeout", "60", "gdb", "-batch", "-nx", "--readnever", "-p", str(pid)]
    for c in commands:
        args += ["-ex", c]
    done = subprocess.run(args, capture_output=True, text=True)
    values = re.findall(r"^\$(\d+) = (.*)$", done.stdout, re.M)
    return {int(n): v for n, v in values}, done


def parse_malloc_info(path):
    root = ET.parse(path).getroot()
    arenas = []
    for heap in root.findall("heap"):
        def total(kind, attr="size"):
            node = heap.find(f"total[@type='{kind}']")
            return int(node.get(attr)) if node is not None else 0
        system = heap.find("system[@type='current']")
        peak = heap.find("system[@type='max']")
        current = int(system.get("size")) if system is not None else 0
        fast, rest = total("fast"), total("rest")
        arenas.append({"arena": int(heap.get("nr")), "system": current,
                       "system_max": int(peak.get("size")) if peak is not None else 0,
                       "free_fast": fast, "free_rest": rest, "free_chunks": total("rest", "count") + total("fast", "count"),
                       "in_use": current - fast - rest})
    def top(kind, attr="size"):
        node = root.find(f"total[@type='{kind}']")
        return int(node.get(attr)) if node is not None else 0
    sys_cur = root.find("system[@type='current']")
    aspace = root.find("aspace[@type='total']")
    return {"arenas": arenas, "mmap_blocks": top("mmap", "count"), "mmap_bytes": top("mmap"),
            "system_current": int(sys_cur.get("size")) if sys_cur is not None else 0,
            "aspace_total": int(aspace.get("size")) if aspace is not None else 0,
            "free_fast": top("fast"), "free_rest": top("rest")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pid", type=int)
    parser.add_argument("--out", required=True)
    parser.add_argument("--trim", action="store_true")
    args = parser.parse_args()
    xml_path = os.path.abspath(args.out + ".malloc-info.xml")  # fopen runs in the process, in its directory
    result = {"pid": args.pid}
    before = status(args.pid)
    values, done = gdb(args.pid, [
        f'call (void*)fopen("{xml_path}", "w")',
        "call (int)malloc_info(0, $1)",
        "call (int)fclose($1)",
        "call (void)malloc_stats()",
        "call (long long)sqlite3_memory_used()",
        "call (long long)sqlite3_memory_highwater(0)",
    ])
    result["gdb_rc"] = done.returncode
    if done.returncode != 0 or 2 not in values:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
    try:
        result["malloc"] = parse_malloc_info(xml_path)
    except (OSError, ET.ParseError) as error:
        result["malloc"] = None
        result["malloc_error"] = str(error)
    numbers = [int(v) for n, v in sorted(values.items()) if re.fullmatch(r"-?\d+", v)]
    # $2 malloc_info's result, $3 fclose's, then the two SQLite figures (malloc_stats returns void).
    result["sqlite_memory_used"] = numbers[2] if len(numbers) > 2 else None
    result["sqlite_memory_highwater"] = numbers[3] if len(numbers) > 3 else None
    result["status_before"] = before
    if args.trim:
        pre = status(args.pid)
        values, done = gdb(args.pid, ["call (int)malloc_trim(0)"])
        post = status(args.pid)
        result["trim"] = {"before": pre, "after": post, "returned": values.get(1), "gdb_rc": done.returncode}
    with open(args.out + ".allocator.json", "w") as f:
        json.dump(result, f, indent=1)
    print(markdown(result))


def markdown(r):
    out = []
    m = r.get("malloc")
    if m:
        kib = lambda b: b // 1024
        out.append("| arena | from the system KiB (max) | in use KiB | free: fast bins KiB | free: other bins + top KiB | free chunks |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for a in m["arenas"]:
            out.append(f"| {a['arena']}{' (main)' if a['arena'] == 0 else ''} | {kib(a['system'])} ({kib(a['system_max'])}) | "
                       f"{kib(a['in_use'])} | {kib(a['free_fast'])} | {kib(a['free_rest'])} | {a['free_chunks']} |")
        system = sum(a["system"] for a in m["arenas"])
        in_use = sum(a["in_use"] for a in m["arenas"])
        out.append(f"| **{len(m['arenas'])} arenas** | **{kib(system)}** | **{kib(in_use)}** | {kib(m['free_fast'])} | "
                   f"{kib(m['free_rest'])} | |")
        out.append("")
        out.append(f"Blocks above the mmap threshold: {m['mmap_blocks']}, {kib(m['mmap_bytes'])} KiB. "
                   f"Arenas' address space: {kib(m['aspace_total'])} KiB. "
                   f"In use including mmap'd blocks: {kib(in_use + m['mmap_bytes'])} KiB.")
    else:
        out.append(f"malloc_info: not read ({r.get('malloc_error')})")
    if r.get("sqlite_memory_used") is not None:
        out.append(f"SQLite: {r['sqlite_memory_used'] // 1024} KiB malloc'd now, high-water {r['sqlite_memory_highwater'] // 1024} KiB.")
    t = r.get("trim")
    if t:
        out.append(f"malloc_trim(0) → {t['returned']}: VmRSS {t['before']['VmRSS']} → {t['after']['VmRSS']} KiB, "
                   f"RssAnon {t['before']['RssAnon']} → {t['after']['RssAnon']} KiB "
                   f"({t['after']['RssAnon'] - t['before']['RssAnon']:+d} KiB; the process keeps working meanwhile).")
    return "\n".join(out)


if __name__ == "__main__":
    main()
