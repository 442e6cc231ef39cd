#!/usr/bin/env bash
# run-pgbadger-baseline.sh — pgbadger (Debian's package, one job) as the baseline peer on the files of
# Benchmarks/make-realistic-log.sh: DIR/big.log (stderr), DIR/big.csv (csvlog), DIR/big.json (jsonlog).
#
# Usage: Benchmarks/run-pgbadger-baseline.sh [DIR]      (default /var/tmp/pgagent-bench/realistic)
#
# Each of RUNS rounds runs pgbadger once per format, `-j 1`, pinned to CPU ${CPU} (CPU=none: not pinned),
# writing its HTML report to a temporary file, under `/usr/bin/time -v`. Per run it records the load
# average just before, wall seconds, user + system CPU seconds, MB/s (file size / wall, 10^6 bytes), entries/s
# (entries counted once per file) and peak RSS, plus a few figures from the report's overview (so the three formats can be compared).
# Results: a table on stdout, DIR/pgbadger-baseline.jsonl (one line per run), DIR/pgbadger-baseline.txt.
#
# Environment: RUNS (3), CPU (0), PREFIX (the stderr log_line_prefix, default '%m [%p] %q%u@%d %a ')
set -euo pipefail

DIR=${1:-/var/tmp/pgagent-bench/realistic}
RUNS=${RUNS:-3}
CPU=${CPU:-0}
PREFIX=${PREFIX:-'%m [%p] %q%u@%d %a '}

say() { printf 'run-pgbadger-baseline: %s\n' "$*" >&2; }

if ! command -v pgbadger >/dev/null; then
  say "installing pgbadger (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbadger >/dev/null
fi
for f in big.log big.csv big.json; do
  [[ -s ${DIR}/${f} ]] || { say "missing ${DIR}/${f} (run Benchmarks/make-realistic-log.sh first)"; exit 1; }
done
VERSION=$(pgbadger --version 2>&1 | awk '/version/{print $NF; exit}')
pin=()
[[ ${CPU} != none ]] && pin=(taskset -c "${CPU}")
TMP=$(mktemp -d /tmp/pgbadger-baseline.XXXXXX)
trap 'rm -rf "${TMP}"' EXIT
OUTJ=${DIR}/pgbadger-baseline.jsonl
: >"${OUTJ}"

# Entries per file (the three files hold different stretches of the workload, so MB/s alone misleads):
# stderr: lines that start with the prefix and a LOG/ERROR/... severity (not DETAIL, HINT, CONTEXT,
# STATEMENT, QUERY, LOCATION); csvlog: records; jsonlog: lines.
python3 - "${DIR}" >"${TMP}/entries.json" <<'PY'
import csv, json, os, re, sys
d = sys.argv[1]
start = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+ \[\d+\] .*?(LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG\d?):  ")
n_stderr = sum(1 for line in open(os.path.join(d, "big.log"), "rb") if start.match(line))
csv.field_size_limit(1 << 30)
with open(os.path.join(d, "big.csv"), newline="", encoding="utf-8") as f:
    n_csv = sum(1 for _ in csv.reader(f))
n_json = sum(1 for line in open(os.path.join(d, "big.json"), "rb") if line.strip())
print(json.dumps({"stderr": n_stderr, "csv": n_csv, "jsonlog": n_json}))
PY
say "entries: $(cat "${TMP}/entries.json")"
say "pgbadger ${VERSION}, ${RUNS} runs per format, -j 1, CPU ${CPU}; $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
for run in $(seq "${RUNS}"); do
  for fmt in stderr csv jsonlog; do
    case ${fmt} in
      stderr) file=${DIR}/big.log args=(-f stderr --prefix "${PREFIX}") ;;
      csv) file=${DIR}/big.csv args=(-f csv) ;;
      jsonlog) file=${DIR}/big.json args=(-f jsonlog) ;;
    esac
    load=$(cat /proc/loadavg)
    say "run ${run} ${fmt}: load average ${load}"
    rc=0
    /usr/bin/time -v -o "${TMP}/time.txt" "${pin[@]}" pgbadger -j 1 "${args[@]}" -o "${TMP}/report.html" \
      "${file}" >"${TMP}/pgbadger.out" 2>&1 || rc=$?
    ((rc == 0)) || { say "pgbadger exited ${rc}:"; tail -5 "${TMP}/pgbadger.out" >&2; }
    python3 - "${TMP}/time.txt" "${TMP}/report.html" "${file}" "${fmt}" "${run}" "${load}" "${rc}" "${VERSION}" \
      "${TMP}/pgbadger.out" "${TMP}/entries.json" >>"${OUTJ}" <<'PY'
import json, os, re, sys
timef, report, file, fmt, run, load, rc, version, outf, entriesf = sys.argv[1:]
entries = json.load(open(entriesf))[fmt]
t = {}
for line in open(timef):
    if ":" in line:
        k, _, v = line.strip().rpartition(": ")
        t[k.strip()] = v.strip()
wall = t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
wall_s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
size = os.path.getsize(file)
figures = {}
if os.path.exists(report):
    html = open(report, encoding="utf-8", errors="replace").read()
    # overview: <li><span class="figure">N</span> <span class="figure-label">LABEL</span></li>
    for num, label in re.findall(r'<span class="figure">([^<]*)</span>\s*<span class="figure-label">([^<]*)</span>', html):
        figures.setdefault(label.strip(), num.strip())
warnings = [l.strip() for l in open(outf, errors="replace") if l.strip()][:5]
print(json.dumps({
    "run": int(run), "format": fmt, "file": os.path.basename(file), "bytes": size, "entries": entries,
    "loadavg_before": load, "entries_per_s": round(entries / wall_s),
    "wall_s": round(wall_s, 2), "user_s": float(t["User time (seconds)"]), "sys_s": float(t["System time (seconds)"]),
    "mb_per_s": round(size / 1e6 / wall_s, 2), "peak_rss_mib": round(int(t["Maximum resident set size (kbytes)"]) / 1024, 1),
    "exit": int(rc), "pgbadger": version, "figures": figures, "output": warnings}))
PY
    rm -f "${TMP}/report.html"
    tail -1 "${OUTJ}" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"run-pgbadger-baseline:   {r['wall_s']} s wall, {r['mb_per_s']} MB/s, {r['entries_per_s']} entries/s, {r['peak_rss_mib']} MiB peak RSS\")" >&2
  done
done

python3 - "${OUTJ}" <<'PY' | tee "${DIR}/pgbadger-baseline.txt"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"pgbadger {rows[0]['pgbadger']}, -j 1")
print("| format | file | MB | entries | run | load avg before (1/5/15 min) | wall s | user+sys s | MB/s | entries/s | peak RSS MiB |")
print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
for r in rows:
    la = " ".join(r["loadavg_before"].split()[:3])
    print(f"| {r['format']} | {r['file']} | {r['bytes']/1e6:.1f} | {r['entries']:,} | {r['run']} | {la} | {r['wall_s']} | "
          f"{r['user_s'] + r['sys_s']:.1f} | {r['mb_per_s']} | {r['entries_per_s']:,} | {r['peak_rss_mib']} |")
print()
print("| format | median MB/s | best MB/s | median entries/s | max peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
for fmt in ("stderr", "csv", "jsonlog"):
    rs = [r for r in rows if r["format"] == fmt]
    print(f"| {fmt} | {statistics.median(r['mb_per_s'] for r in rs)} | {max(r['mb_per_s'] for r in rs)} | "
          f"{statistics.median(r['entries_per_s'] for r in rs):,} | "
          f"{max(r['peak_rss_mib'] for r in rs)} |")
print()
keys = []
for r in rows:
    for k in r["figures"]:
        if k not in keys:
            keys.append(k)
print("report overview (last run of each format):")
last = {r["format"]: r for r in rows}
print("| figure | " + " | ".join(last) + " |")
print("|---|" + "---:|" * len(last))
for k in keys:
    print(f"| {k} | " + " | ".join(last[f]["figures"].get(k, "") for f in last) + " |")
PY
