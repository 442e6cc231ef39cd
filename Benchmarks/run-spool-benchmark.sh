#!/usr/bin/env bash
# run-spool-benchmark.sh — issue 4's spool benchmark: append + acknowledge rates of our SQLite spool
# (GRDB, WAL, synchronous FULL and NORMAL) for 20 KB and 110 KB payloads, against persist-queue's
# FIFOSQLiteQueue (PyPI, auto_commit=True as the design research uses it), on the same disk in one run;
# the same with PRODUCERS concurrent producers (ours commits their appends together: group commit); and
# the time an append takes when it must enforce the 100 MB cap. Works from a fresh machine.
#
# Usage: Benchmarks/run-spool-benchmark.sh
#
# Environment: RESULTS (default /tmp/pgagent-bench-spool), COUNT_20K (2000), COUNT_110K (500), PRODUCERS (4),
# SCRATCH (swift build scratch path, default <repo>/.build-bench).
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
RESULTS=${RESULTS:-/tmp/pgagent-bench-spool}
COUNT_20K=${COUNT_20K:-2000}
COUNT_110K=${COUNT_110K:-500}
PRODUCERS=${PRODUCERS:-4}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
say() { printf 'run-spool-benchmark: %s\n' "$*" >&2; }

mkdir -p "${RESULTS}"
"${REPO}/scripts/install-deps.sh"
if [ ! -x "${RESULTS}/venv/bin/python" ]; then
  say "installing persist-queue from PyPI into ${RESULTS}/venv"
  python3 -m venv "${RESULTS}/venv"
  "${RESULTS}/venv/bin/pip" install -q persist-queue
fi
say "building SpoolBenchmark (release)"
(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --product SpoolBenchmark --scratch-path "${SCRATCH}" >&2)
BIN=$(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --scratch-path "${SCRATCH}" --show-bin-path)

out=${RESULTS}/results.jsonl
: >"${out}"
for spec in "20000 ${COUNT_20K}" "110000 ${COUNT_110K}"; do
  read -r size count <<<"${spec}"
  say "payloads of ${size} bytes, ${count} of them"
  "${RESULTS}/venv/bin/python" "${HERE}/persist-queue-bench.py" "${RESULTS}/pq" "${size}" "${count}" >>"${out}"
  "${BIN}/SpoolBenchmark" --dir "${RESULTS}/ours" --size "${size}" --count "${count}" --durability full >>"${out}"
  "${BIN}/SpoolBenchmark" --dir "${RESULTS}/ours" --size "${size}" --count "${count}" --durability normal >>"${out}"
done
say "concurrent producers: ${PRODUCERS} of them, ${COUNT_20K} payloads of 20000 bytes in all"
"${RESULTS}/venv/bin/python" "${HERE}/persist-queue-bench.py" "${RESULTS}/pq" 20000 "${COUNT_20K}" "${PRODUCERS}" >>"${out}"
"${BIN}/SpoolBenchmark" --dir "${RESULTS}/ours" --size 20000 --count "${COUNT_20K}" --durability full --producers "${PRODUCERS}" >>"${out}"
say "cap enforcement: a 100 MB spool of 20 KB payloads, 20 evicting appends"
"${BIN}/SpoolBenchmark" --dir "${RESULTS}/cap" --size 20000 --cap-mb 100 --durability full >>"${out}"

python3 - "${out}" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| store | payload | producers | appends/s | take+ack/s | append+ack/s | vs persist-queue |")
print("|---|---|---|---|---|---|---|")
base = {}
for r in rows:
    if r["mode"] == "persist-queue":
        base[(r["payload_bytes"], r.get("producers", 1))] = r["append_ack_per_s"]
for r in rows:
    if r["mode"] == "cap":
        continue
    name = "persist-queue %s (journal %s)" % (r.get("persistqueue", ""), r.get("journal_mode", "")) if r["mode"] == "persist-queue" \
        else "ours, synchronous=%s (%d B gzip)" % (r["durability"].upper(), r["compressed_bytes_per_payload"])
    producers = r.get("producers", 1)
    ratio = r["append_ack_per_s"] / base[(r["payload_bytes"], producers)]
    print(f"| {name} | {r['payload_bytes']//1000} KB | {producers} | {r['append_per_s']:.0f} | {r['take_ack_per_s']:.0f} | {r['append_ack_per_s']:.0f} | {ratio:.1f}x |")
cap = [r for r in rows if r["mode"] == "cap"][0]
print()
print(f"cap {cap['cap_mb']} MB: evicting append median {cap['evicting_append_ms_median']:.1f} ms, max {cap['evicting_append_ms_max']:.1f} ms "
      f"(plain append median {cap['plain_append_ms_median']:.2f} ms); {cap['appends']} appends, {cap['evicted_batches']} evicted, "
      f"{cap['depth']} left; database {cap['database_bytes']/2**20:.1f} MiB, database+WAL {cap['file_bytes']/2**20:.1f} MiB; integrity {cap['integrity']}")
PY
say "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo), $(df -h "${RESULTS}" | awk 'NR==2{print $1" "$2}')"
