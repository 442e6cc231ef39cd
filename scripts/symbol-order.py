#!/usr/bin/env python3
"""symbol-order.py — the linker's symbol ordering from callgrind profiles (see make-symbol-order.sh).

Reads callgrind output files (`--demangle=no`, any `--dump-instr`), sums each function's own cost (Ir) in
the profiled executable, and prints function names one per line: the first file's functions by
descending cost, then the second file's not yet printed, and so on. Only names in --functions (the
executable's defined function symbols) are printed, so that names from libraries or valgrind's own
placeholders stay out. With --map (lld's -Map output of the same link), functions in input sections
larger than --section-limit (64 KiB) are left out too: the linker can move only whole sections, and
objects built without function sections have one `.text` for all their functions (the Swift standard
library's is 1.6 MB), so naming one of those functions would drag its whole object's code in front and
spread the hot functions apart. Smaller shared sections (most of Foundation's files) come along whole:
that costs less than leaving their hot functions scattered, each paging in the 64 KiB around it.
"""
import argparse
import collections
import re
import sys

ENTRY = re.compile(r"(c?ob|c?fn)=\((\d+)\)(?: (.*))?$")


def costs(path, executable):
    """Own cost of each function of `executable` (a path suffix) in one callgrind file."""
    objects, names = {}, {}
    cost = collections.Counter()
    function = obj = None
    after_calls = False
    with open(path, errors="replace") as lines:
        for line in lines:
            head = line[:1]
            if head.isdigit() or head in "+-*":
                # The line after `calls=` is the inclusive cost of that call, not the function's own.
                if after_calls:
                    after_calls = False
                elif function is not None:
                    parts = line.split()
                    if len(parts) >= 2:
                        cost[(function, obj)] += int(parts[1])
                continue
            match = ENTRY.match(line.rstrip("\n"))
            if match:
                kind, ident, name = match.groups()
                if kind.endswith("ob"):
                    if name:
                        objects[ident] = name
                    if kind == "ob":
                        obj = ident
                else:
                    if name:
                        names[ident] = name
                    if kind == "fn":
                        function = ident
            elif line.startswith("calls="):
                after_calls = True
    total = collections.Counter()
    for (function, obj), value in cost.items():
        if objects.get(obj, "").endswith(executable):
            total[names[function]] += value
    return total


def symbols_in_large_sections(path, limit):
    """Names of symbols that lie in an input `.text` section of more than `limit` bytes (lld map file).

    A name counts when any section that defines it is that large: local helpers such as `objectdestroyTm`
    have one copy per object file, and the ordering file cannot tell the copies apart.
    """
    large = set()
    in_text = in_large = False
    with open(path, errors="replace") as lines:
        for line in lines:
            # Columns: VMA, LMA, Size, Align (49 characters), then the output section, an input section
            # indented by 8 or a symbol indented by 16.
            text = line[49:].rstrip("\n")
            if not text:
                continue
            if not text.startswith(" "):
                in_text, in_large = text == ".text", False
            elif in_text and text.startswith(" " * 16):
                if in_large:
                    large.add(text.strip())
            elif in_text:
                in_large = int(line[36:44], 16) > limit
    return large


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", required=True, help="file of the executable's function names, one per line")
    parser.add_argument("--executable", default="postgres-agent", help="path suffix of the profiled executable")
    parser.add_argument("--map", help="lld's map file of the profiled link (-Map)")
    parser.add_argument("--section-limit", type=int, default=64 << 10,
                        help="with --map, leave out functions in input sections larger than this (bytes)")
    parser.add_argument("profiles", nargs="+", help="callgrind files, the most important first")
    args = parser.parse_args()
    known = set(open(args.functions).read().split())
    if args.map:
        known -= symbols_in_large_sections(args.map, args.section_limit)
    printed = set()
    for path in args.profiles:
        ranked = sorted(costs(path, args.executable).items(), key=lambda item: (-item[1], item[0]))
        for name, _ in ranked:
            if name in known and name not in printed:
                printed.add(name)
                print(name)
    print(f"symbol-order.py: {len(printed)} functions", file=sys.stderr)


if __name__ == "__main__":
    main()
