#!/usr/bin/env bash
# run-hostile-log-benchmark.sh — what a database user can make the server log, against a plain log of the
# same size: `postgres-agent logs parse` (release build) wall time as a ratio, and peak RSS, per hostile
# input. A benchmark, not a test: nothing here asserts a time.
#
# Usage: Benchmarks/run-hostile-log-benchmark.sh [DIR]
#
# The inputs (written to DIR, default /var/tmp/pgagent-bench/hostile), each about 30 MB of stderr under
# '%m [%p] %q%u@%d %a ':
#   many-short-lines   statements of 1,000,000 lines of 3 bytes each (a user's generated SQL), 10 of them
#   open-entries       1,024 sessions that each hold a 28 KB entry open at once: 28 MiB, over the 8 MiB budget
#   torn-csv           csvlog where every 50th row is torn inside a quoted field (resynchronisation)
#   plain              the realistic log's lines (Benchmarks/make-realistic-log.sh), cut to the same size
# Every measured process runs on CPU 0.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
DIR=${1:-/var/tmp/pgagent-bench/hostile}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
REALISTIC=${REALISTIC:-/var/tmp/pgagent-bench/realistic}
PREFIX='%m [%p] %q%u@%d %a '
mkdir -p "${DIR}"
(cd "${REPO}" && swift build -c release --product postgres-agent --scratch-path "${SCRATCH}" >&2)
BIN=$(cd "${REPO}" && swift build -c release --scratch-path "${SCRATCH}" --show-bin-path)/postgres-agent

python3 - "${DIR}" "${REALISTIC}/one.log" "${REALISTIC}/one.csv" <<'PY'
import os, sys
out, plain_log, plain_csv = sys.argv[1:]
t = "2026-12-07 02:00:00.000 UTC"
def write(name, chunks):
    with open(os.path.join(out, name), "wb") as f:
        for chunk in chunks: f.write(chunk)
def many_short_lines():
    for n in range(10):
        yield f"{t} [{100 + n}] app@shop bitville-{n:04x} LOG:  statement: SELECT\n".encode()
        yield b"\t1,\n" * 1_000_000
        yield f"{t} [{100 + n}] app@shop bitville-{n:04x} LOG:  disconnection: session time: 0:00:01.000\n".encode()
write("many-short-lines.log", many_short_lines())
def open_entries():
    line = b"\t" + b"x" * 1000 + b"\n"
    # 1,024 sessions open a statement each, then all of them add 1 MiB in turns: 1 GiB if nothing cut.
    for pid in range(1024):
        yield f"{t} [{1000 + pid}] app@shop a LOG:  statement: SELECT '".encode()
        yield b"y" * 30 + b"\n"
    for pid in range(1024):
        yield f"{t} [{1000 + pid}] app@shop a DETAIL:  ".encode() + b"z" * 28_000 + b"\n"
write("open-entries.log", open_entries())
size = os.path.getsize(os.path.join(out, "many-short-lines.log"))
def cut(source, target, size):
    with open(source, "rb") as f:
        data = f.read(size)
    data = data[: data.rfind(b"\n") + 1]
    with open(os.path.join(out, target), "wb") as f:
        f.write(data)
cut(plain_log, "plain.log", size)
def torn_csv():
    rows = open(plain_csv, "rb").read(size).split(b"\n2026-")
    for index, row in enumerate(rows[1:-1]):
        row = b"2026-" + row
        if index % 50 == 0:
            yield row[: len(row) // 2] + b"\n"  # cut inside the row: often inside a quoted message
        else:
            yield row + b"\n"
write("torn.csv", torn_csv())
cut(plain_csv, "plain.csv", os.path.getsize(os.path.join(out, "torn.csv")))
PY

printf '| input | bytes | wall s | MB/s | ratio to plain | peak RSS MiB | entries | unparsed | truncated |\n|---|---|---|---|---|---|---|---|---|\n'
measure() { # measure NAME FORMAT FILE PLAIN_WALL
  local args=(--format "$2")
  [[ $2 == stderr ]] && args+=(--prefix "${PREFIX}")
  /usr/bin/time -f '%e %M' -o "${DIR}/$1.time" taskset -c 0 "${BIN}" logs parse "${args[@]}" "$3" >/dev/null 2>"${DIR}/$1.err"
  read -r wall kib <"${DIR}/$1.time"
  local bytes summary
  bytes=$(stat -c %s "$3")
  summary=$(tail -1 "${DIR}/$1.err")
  python3 - "$1" "${bytes}" "${wall}" "${kib}" "$4" "${summary}" <<'PY'
import re, sys
name, size, wall, kib, plain, summary = sys.argv[1:]
size, wall, kib = int(size), float(wall), int(kib)
def field(word):
    found = re.search(r"(\d+) " + word, summary)
    return found.group(1) if found else "?"
ratio = f"{wall / float(plain):.2f}" if plain != "-" else "1.00"
print(f"| {name} | {size:,} | {wall:.2f} | {size / 1e6 / max(wall, 0.001):.1f} | {ratio} | {kib / 1024:.1f} | {field('entries')} | {field('unparsed')} | {field('truncated')} |")
PY
}
/usr/bin/time -f '%e' -o "${DIR}/plain-log.wall" taskset -c 0 "${BIN}" logs parse --format stderr --prefix "${PREFIX}" "${DIR}/plain.log" >/dev/null 2>&1
/usr/bin/time -f '%e' -o "${DIR}/plain-csv.wall" taskset -c 0 "${BIN}" logs parse --format csvlog "${DIR}/plain.csv" >/dev/null 2>&1
plain_log=$(cat "${DIR}/plain-log.wall")
plain_csv=$(cat "${DIR}/plain-csv.wall")
measure plain-stderr stderr "${DIR}/plain.log" -
measure many-short-lines stderr "${DIR}/many-short-lines.log" "${plain_log}"
measure open-entries stderr "${DIR}/open-entries.log" "${plain_log}"
measure plain-csvlog csvlog "${DIR}/plain.csv" -
measure torn-csvlog csvlog "${DIR}/torn.csv" "${plain_csv}"
