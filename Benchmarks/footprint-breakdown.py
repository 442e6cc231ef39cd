#!/usr/bin/env python3
"""footprint-breakdown.py — where a running process's resident memory is, in more detail than smaps:
for run-footprint-benchmark.sh (issue 15), read while the process runs (as root, or as its owner).

    footprint-breakdown.py PID [--out PREFIX] [--working-set SECONDS]

Reads /proc/PID/{smaps,status,task/*/comm,task/*/syscall,pagemap} and the executable's ELF headers and
symbol table, and writes:
  PREFIX.smaps  a copy of /proc/PID/smaps (smaps-summary.py reads it)
  PREFIX.json   everything below, in KiB
  PREFIX.md     the tables, markdown
Without --out it prints the markdown only.

What it tells apart:
  - the executable: resident pages per ELF section, each as file-backed (clean, the kernel can drop
    and re-read them) or anonymous (written: relocations, .data, .bss); .text by the module of the
    symbol at each page (Swift module from the mangled name, BoringSSL, ICU, the Swift runtime, ...);
    ICU's data (the icudt*_dat symbol, ~32 MiB in .rodata of a --static-swift-stdlib build) as its own
    row. Page by page from /proc/PID/pagemap (bit 63 present, bit 61 file page), which needs root for
    nothing here: only the flags are read, not the frame numbers.
  - shared libraries: file-backed and anonymous per library (libsqlite3's code is here; SQLite's page
    cache is malloc'd and so lies in the heap rows).
  - glibc malloc: the main arena ([heap]) and the other arenas' heaps (anonymous mappings starting at a
    64 MiB boundary, HEAP_MAX_SIZE on 64-bit), each heap's resident size.
  - thread stacks: per thread, the mapping that holds its stack pointer (from task/TID/syscall, which
    shows it while the thread waits in a system call; a running thread's is not known), with its name.
  - everything else anonymous: large malloc blocks (mmap'd above the mmap threshold), the Swift
    runtime's and other allocators' own mappings, guard pages (0 resident).
Symbols come from .symtab, or .dynsym when the binary is stripped (a coarser module attribution).
With --working-set S, after the above: the referenced bits of the process's pages are cleared
(/proc/PID/clear_refs, 1) and, S seconds later, smaps' Referenced is summed per row: the pages touched
in those S seconds, against those resident. Resident file pages beyond them are there because the
kernel maps a fault's neighbours that are in the page cache (fault-around, 64 KiB by default) and
because start-up touched them once (relocations, initialisers).
"""
import argparse
import bisect
import json
import os
import re
import struct
import sys
from collections import defaultdict

PAGE = os.sysconf("SC_PAGE_SIZE")
HEAP_ALIGN = 64 << 20
MAP_HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+(?:\s+(.*))?$")


# ------------------------------------------------------------------------------------------------ proc --

def read_smaps(pid, copy_to=None):
    text = open(f"/proc/{pid}/smaps").read()
    if copy_to:
        with open(copy_to, "w") as f:
            f.write(text)
    maps = []
    for line in text.splitlines():
        m = MAP_HEADER.match(line)
        if m:
            # A file replaced on disk while mapped shows as "PATH (deleted)", as does /proc/PID/exe.
            maps.append({"start": int(m.group(1), 16), "end": int(m.group(2), 16), "perms": m.group(3),
                         "offset": int(m.group(4), 16), "path": (m.group(5) or "").strip().removesuffix(" (deleted)"),
                         "kb": {}})
            continue
        key, _, rest = line.partition(":")
        rest = rest.strip()
        if maps and rest.endswith(" kB"):
            maps[-1]["kb"][key] = int(rest.split()[0])
    return maps


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            out[key] = int(rest.split()[0])
        elif key == "Threads":
            out[key] = int(rest)
    return out


def threads(pid):
    out = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            syscall = open(f"/proc/{pid}/task/{tid}/syscall").read().split()
        except OSError:
            continue
        sp = int(syscall[-2], 16) if len(syscall) >= 3 else None  # "running" when not in a system call
        out.append({"tid": int(tid), "comm": comm, "sp": sp})
    return out


class Pagemap:
    """Per page: present, and file-backed (bit 61) or anonymous."""

    def __init__(self, pid):
        self.f = open(f"/proc/{pid}/pagemap", "rb")

    def flags(self, start, end):
        first, count = start // PAGE, (end - start + PAGE - 1) // PAGE
        self.f.seek(first * 8)
        data = self.f.read(count * 8)
        for i, (entry,) in enumerate(struct.iter_unpack("<Q", data)):
            present = bool(entry >> 63 & 1) or bool(entry >> 62 & 1)
            yield (first + i) * PAGE, present, bool(entry >> 61 & 1)


# ------------------------------------------------------------------------------------------------- ELF --

def read_elf(path):
    f = open(path, "rb")
    ident = f.read(16)
    if ident[:4] != b"\x7fELF" or ident[4] != 2:
        raise SystemExit(f"{path}: not a 64-bit ELF file")
    f.seek(0)
    header = f.read(64)
    (e_phoff, e_shoff) = struct.unpack_from("<QQ", header, 32)
    (e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack_from("<HHHHH", header, 54)
    f.seek(e_phoff)
    loads = []
    for _ in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack("<IIQQQQQQ", f.read(e_phentsize))
        if p_type == 1:
            loads.append((p_vaddr, p_memsz, p_offset))
    f.seek(e_shoff)
    raw = [struct.unpack("<IIQQQQIIQQ", f.read(e_shentsize)) for _ in range(e_shnum)]
    strtab = raw[e_shstrndx]
    f.seek(strtab[4])
    names = f.read(strtab[5])
    sections = []
    for (name, sh_type, flags, addr, offset, size, link, _, _, entsize) in raw:
        label = names[name:names.index(b"\0", name)].decode()
        sections.append({"name": label, "type": sh_type, "flags": flags, "addr": addr, "offset": offset,
                         "size": size, "link": link, "entsize": entsize})
    return f, loads, sections


def read_symbols(f, sections):
    """(address, size, name, is_function) of every defined symbol with a size, from .symtab, else .dynsym."""
    table = next((s for s in sections if s["name"] == ".symtab"), None) or next(
        (s for s in sections if s["name"] == ".dynsym"), None)
    if table is None:
        return [], "none"
    strings = sections[table["link"]]
    f.seek(strings["offset"])
    names = f.read(strings["size"])
    f.seek(table["offset"])
    data = f.read(table["size"])
    out = []
    for st_name, st_info, _, st_shndx, st_value, st_size in struct.iter_unpack("<IBBHQQ", data):
        if st_shndx == 0 or st_value == 0 or st_size == 0:
            continue
        kind = st_info & 0xF
        if kind not in (1, 2):  # OBJECT, FUNC
            continue
        end = names.find(b"\0", st_name)
        out.append((st_value, st_size, names[st_name:end].decode("utf-8", "replace"), kind == 2))
    out.sort()
    return out, table["name"]


SWIFT_MODULE = re.compile(r"^\$s(\d+)")
STDLIB_SUBST = re.compile(r"^\$sS[a-zA-Z]")


def module_of(name, icu_suffix="_76"):
    """A coarse owner for a symbol: the Swift module of a mangled name, or the C/C++ library. ICU's C
    functions carry the version as a suffix (u_strlen_76), its C++ ones a namespace (icu_76)."""
    m = SWIFT_MODULE.match(name)
    if m:
        length = int(m.group(1))
        start = m.end()
        module = name[start:start + length]
        return module or "Swift (stdlib, specializations)"
    if STDLIB_SUBST.match(name) or name.startswith("$s"):
        return "Swift (stdlib, specializations)"
    if name.startswith(("CNIOBoringSSL", "_ZN9bssl", "CNIOBoringSSLShims")):
        return "BoringSSL (swift-nio-ssl)"
    if name.startswith("CCryptoBoringSSL"):
        return "BoringSSL (swift-crypto)"
    if name.endswith(icu_suffix) or "icu_" + icu_suffix[1:] in name:
        return "ICU"
    if name.startswith(("_ZN5swift", "swift_", "_swift", "_ZN6__swift", "_ZL", "__swift")):
        return "Swift runtime"
    if name.startswith(("_dispatch", "dispatch_", "_os_", "_ZN8dispatch")):
        return "libdispatch"
    if name.startswith(("CF", "_CF", "__CF", "_kCF", "kCF")):
        return "CoreFoundation"
    if name.startswith("_Z"):
        return "other C++"
    return "other C"


# ---------------------------------------------------------------------------------------------- report --

def kib(pages):
    return pages * PAGE // 1024


def category_of(m, exe, base, image_end, stack_maps):
    path = m["path"]
    if path == exe or (not path and base <= m["start"] < image_end):
        return "executable (all sections, .bss included)"
    if m["start"] in stack_maps or path == "[stack]":
        return "thread stacks"
    if path == "[heap]":
        return "malloc: main arena ([heap])"
    if not path and m["start"] % HEAP_ALIGN == 0 and m["perms"].startswith("rw"):
        return "malloc: other arenas (64 MiB heaps)"
    if not path:
        return ("other anonymous (large malloc blocks, runtime allocators)" if m["perms"] != "---p"
                else "guard pages and reservations")
    return os.path.basename(path) if path.startswith("/") else path


def breakdown(pid, smaps_copy=None, working_set=0):
    exe = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    maps = read_smaps(pid, smaps_copy)
    st = status(pid)
    tasks = threads(pid)
    pagemap = Pagemap(pid)
    f, loads, sections = read_elf(f"/proc/{pid}/exe")
    symbols, symbol_source = read_symbols(f, sections)

    exe_maps = [m for m in maps if m["path"] == exe]
    first_load = min(v for v, _, _ in loads)
    base = min(m["start"] for m in exe_maps if m["offset"] == 0) - (first_load & ~(PAGE - 1))
    image_end = base + max(v + s for v, s, _ in loads)

    # Which mapping holds each thread's stack pointer.
    def mapping_at(address):
        for m in maps:
            if m["start"] <= address < m["end"]:
                return m
        return None
    stack_maps = {}
    thread_rows = []
    for t in tasks:
        m = mapping_at(t["sp"]) if t["sp"] else None
        if m is not None:
            stack_maps[m["start"]] = m
        thread_rows.append({"tid": t["tid"], "comm": t["comm"],
                            "stack_kib": (m["end"] - m["start"]) // 1024 if m else None,
                            "stack_rss_kib": m["kb"].get("Rss", 0) if m else None})

    # Categories of every mapping.
    categories = defaultdict(lambda: {"rss": 0, "anon": 0, "file": 0, "count": 0})
    arenas = []
    def add(cat, m):
        rss, anon = m["kb"].get("Rss", 0), m["kb"].get("Anonymous", 0)
        c = categories[cat]
        c["rss"] += rss
        c["anon"] += anon
        c["file"] += rss - anon
        c["count"] += 1
    for m in maps:
        cat = category_of(m, exe, base, image_end, stack_maps)
        add(cat, m)
        if cat.startswith("malloc: other arenas"):
            arenas.append({"start": hex(m["start"]), "mapped_kib": (m["end"] - m["start"]) // 1024,
                           "rss_kib": m["kb"].get("Rss", 0)})

    # The executable, page by page.
    alloc = sorted((s for s in sections if s["flags"] & 2 and s["size"] > 0), key=lambda s: s["addr"])
    starts = [s["addr"] for s in alloc]
    per_section = defaultdict(lambda: {"size_kib": 0, "file": 0, "anon": 0})
    for s in alloc:
        per_section[s["name"]]["size_kib"] += s["size"] // 1024
    text = next((s for s in alloc if s["name"] == ".text"), None)
    icu = next(((a, n, name) for a, n, name, _ in symbols if name.startswith("icudt") and name.endswith("_dat")), None)
    suffix = "_" + icu[2][5:-4] if icu else "_76"
    sym_starts = [a for a, _, _, _ in symbols]
    text_modules = defaultdict(int)
    rodata_owner = defaultdict(int)
    icu_pages = 0
    present_pages = {}
    for lo, size, _ in loads:
        for address, present, is_file in pagemap.flags(base + (lo & ~(PAGE - 1)), base + lo + size):
            if present:
                present_pages[address - base] = is_file
    for offset, is_file in present_pages.items():
        i = bisect.bisect_right(starts, offset) - 1
        # The section holding the page's first byte, else the one starting inside the page.
        if i >= 0 and offset < alloc[i]["addr"] + alloc[i]["size"]:
            section = alloc[i]["name"]
        elif i + 1 < len(alloc) and alloc[i + 1]["addr"] < offset + PAGE:
            section = alloc[i + 1]["name"]
        else:
            section = "(between sections)"
        per_section[section]["file" if is_file else "anon"] += 1
        if icu and icu[0] <= offset < icu[0] + icu[1]:
            icu_pages += 1
        if section == ".text" and symbols:
            j = bisect.bisect_right(sym_starts, offset + PAGE - 1) - 1
            text_modules[module_of(symbols[j][2], suffix) if j >= 0 else "?"] += 1
        elif section == ".rodata" and symbols:
            if icu and icu[0] <= offset < icu[0] + icu[1]:
                rodata_owner["ICU data (icudt*_dat)"] += 1
            else:
                j = bisect.bisect_right(sym_starts, offset + PAGE - 1) - 1
                owner = module_of(symbols[j][2], suffix) if j >= 0 and symbols[j][0] + symbols[j][1] > offset else "(no symbol)"
                rodata_owner[owner] += 1

    referenced = None
    if working_set > 0:
        import time
        with open(f"/proc/{pid}/clear_refs", "w") as f_refs:
            f_refs.write("1")
        time.sleep(working_set)
        referenced = {"seconds": working_set, "rows": defaultdict(lambda: {"rss": 0, "referenced": 0, "anon": 0}),
                      "exe_mappings": []}
        for m in read_smaps(pid):
            cat = category_of(m, exe, base, image_end, stack_maps)
            row = referenced["rows"][cat]
            row["rss"] += m["kb"].get("Rss", 0)
            row["referenced"] += m["kb"].get("Referenced", 0)
            row["anon"] += m["kb"].get("Anonymous", 0)
            if m["path"] == exe:
                referenced["exe_mappings"].append({"perms": m["perms"], "size_kib": (m["end"] - m["start"]) // 1024,
                                                   "rss": m["kb"].get("Rss", 0), "referenced": m["kb"].get("Referenced", 0),
                                                   "anon": m["kb"].get("Anonymous", 0)})
        referenced["rows"] = dict(referenced["rows"])

    libs = {k: v for k, v in categories.items() if k.endswith((".so", ".so.6", ".so.0", ".so.1", ".so.2")) or ".so." in k}
    result = {
        "pid": pid, "exe": exe, "symbols": symbol_source,
        "status": {k: st.get(k) for k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "VmSize", "Threads")},
        "categories": dict(categories),
        "sections": {k: {"size_kib": v["size_kib"], "file_kib": kib(v["file"]), "anon_kib": kib(v["anon"])}
                     for k, v in per_section.items() if v["file"] or v["anon"]},
        "text_by_module_kib": {k: kib(v) for k, v in sorted(text_modules.items(), key=lambda kv: -kv[1])},
        "rodata_by_owner_kib": {k: kib(v) for k, v in sorted(rodata_owner.items(), key=lambda kv: -kv[1])},
        "icu_data": {"size_kib": icu[1] // 1024, "resident_kib": kib(icu_pages)} if icu else None,
        "arenas": arenas,
        "threads": thread_rows,
        "libraries": libs,
        "referenced": referenced,
    }
    return result


def markdown(r):
    out = []
    s = r["status"]
    out.append(f"VmRSS {s['VmRSS']} KiB = RssAnon {s['RssAnon']} + RssFile {s['RssFile']} + RssShmem {s['RssShmem']}; "
               f"VmHWM {s['VmHWM']} KiB; {s['Threads']} threads; symbols from {r['symbols']}.")
    out.append("")
    out.append("| what | mappings | Rss KiB | anonymous KiB | file-backed KiB |")
    out.append("|---|---:|---:|---:|---:|")
    for name, c in sorted(r["categories"].items(), key=lambda kv: -kv[1]["rss"]):
        if c["rss"] == 0:
            continue
        out.append(f"| {name} | {c['count']} | {c['rss']} | {c['anon']} | {c['file']} |")
    tot = {k: sum(c[k] for c in r["categories"].values()) for k in ("rss", "anon", "file")}
    out.append(f"| **total** | | **{tot['rss']}** | **{tot['anon']}** | **{tot['file']}** |")
    out.append("")
    out.append("The executable by section (resident KiB; pagemap):")
    out.append("")
    out.append("| section | size KiB | file-backed KiB | anonymous KiB |")
    out.append("|---|---:|---:|---:|")
    for name, v in sorted(r["sections"].items(), key=lambda kv: -(kv[1]["file_kib"] + kv[1]["anon_kib"])):
        out.append(f"| {name} | {v['size_kib']} | {v['file_kib']} | {v['anon_kib']} |")
    if r["icu_data"]:
        out.append("")
        out.append(f"ICU data (icudt*_dat in .rodata): {r['icu_data']['resident_kib']} KiB resident of "
                   f"{r['icu_data']['size_kib']} KiB.")
    if r["text_by_module_kib"]:
        out.append("")
        out.append(".text resident by module (KiB): " + ", ".join(f"{k} {v}" for k, v in list(r["text_by_module_kib"].items())[:14]))
    if r["rodata_by_owner_kib"]:
        out.append("")
        out.append(".rodata resident by owner (KiB): " + ", ".join(f"{k} {v}" for k, v in list(r["rodata_by_owner_kib"].items())[:10]))
    out.append("")
    if r["arenas"]:
        out.append("malloc arenas other than the main one (64 MiB heaps): " + ", ".join(
            f"{a['rss_kib']} KiB" for a in r["arenas"]) + f" resident ({len(r['arenas'])} heaps).")
        out.append("")
    names = defaultdict(lambda: [0, 0, 0, 0])
    for t in r["threads"]:
        row = names[re.sub(r"\d+", "N", t["comm"])]
        row[0] += 1
        if t["stack_rss_kib"] is not None:
            row[1] += 1
            row[2] += t["stack_rss_kib"]
            row[3] = max(row[3], t["stack_kib"])
    ref = r.get("referenced")
    if ref:
        out.append(f"Touched within {ref['seconds']} s after clearing the referenced bits (smaps Referenced, KiB):")
        out.append("")
        out.append("| what | Rss then | referenced | of which anonymous Rss |")
        out.append("|---|---:|---:|---:|")
        for name, v in sorted(ref["rows"].items(), key=lambda kv: -kv[1]["rss"]):
            if v["rss"]:
                out.append(f"| {name} | {v['rss']} | {v['referenced']} | {v['anon']} |")
        for m in ref["exe_mappings"]:
            out.append(f"| executable mapping {m['perms']} ({m['size_kib']} KiB) | {m['rss']} | {m['referenced']} | {m['anon']} |")
        out.append("")
    out.append("| thread (digits as N) | threads | stacks seen | stack Rss KiB (sum) | stack mapping KiB |")
    out.append("|---|---:|---:|---:|---:|")
    for name, (n, seen, rss, size) in sorted(names.items(), key=lambda kv: -kv[1][0]):
        out.append(f"| {name} | {n} | {seen} | {rss} | {size} |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pid", type=int)
    parser.add_argument("--out")
    parser.add_argument("--working-set", type=float, default=0)
    args = parser.parse_args()
    r = breakdown(args.pid, args.out + ".smaps" if args.out else None, args.working_set)
    md = markdown(r)
    if args.out:
        with open(args.out + ".json", "w") as f:
            json.dump(r, f, indent=1)
        with open(args.out + ".md", "w") as f:
            f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
