#!/usr/bin/env bash
# run-parse-stage-benchmark.sh — issue 12's benchmark: `postgres-agent logs parse` (parse, classify, redact,
# write JSON) on one core against pgbadger on the same files in the same run, for stderr, csvlog and jsonlog
# of a busy server's log; peak RSS on a 1 GB file; the CPU of `logs tail` following that log written at
# 10,000 lines/s.
#
# Usage: Benchmarks/run-parse-stage-benchmark.sh [DIR]
#
# DIR (default /var/tmp/pgagent-bench/realistic) holds one.{log,csv,json}, big.{log,csv,json} (200 MB each)
# and huge.log (1 GB), written by Benchmarks/make-realistic-log.sh: a real PG 17 under pgbench with
# log_min_duration_statement = 0, autovacuum on 400 churned tables (24 % of entries), checkpoints,
# connections, lock waits, errors and auto_explain plans. Every measured process runs on CPU 0
# (taskset); the tail's writer on CPU 1.
#
# Environment: RUNS (3), TAIL_S (60), TAIL_RATE (10000 lines/s), SCRATCH (<repo>/.build-bench); BIN, a
# postgres-agent binary to measure instead of building one (the package ships the static-stdlib build);
# BASELINE_BIN, an older binary measured in the same run as the baseline: each parse right after BIN's, and
# its own tail after BIN's.
set -euo pipefail
umask 022

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
DIR=${1:-/var/tmp/pgagent-bench/realistic}
RUNS=${RUNS:-3}
TAIL_S=${TAIL_S:-60}
TAIL_RATE=${TAIL_RATE:-10000}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
PREFIX='%m [%p] %q%u@%d %a '
RESULTS=${DIR}/parse-stage
say() { printf 'run-parse-stage-benchmark: %s\n' "$*" >&2; }

for file in one.log big.log big.csv big.json huge.log; do
  [[ -f ${DIR}/${file} ]] || { say "${DIR}/${file} is missing: run Benchmarks/make-realistic-log.sh ${DIR} first"; exit 66; }
done
command -v pgbadger >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbadger >/dev/null
mkdir -p "${RESULTS}"

if [[ -z ${BIN:-} ]]; then
  say "building the release binary"
  (cd "${REPO}" && swift build -c release --product postgres-agent --scratch-path "${SCRATCH}" >&2)
  BIN=$(cd "${REPO}" && swift build -c release --scratch-path "${SCRATCH}" --show-bin-path)/postgres-agent
fi
say "binary: ${BIN} ($("${BIN}" --version))"

run() { # run LABEL COMMAND...: one timed run on CPU 0, "wall_s peak_kib" appended to RESULTS/LABEL.time
  local label=$1
  shift
  /usr/bin/time -f '%e %M' -a -o "${RESULTS}/${label}.time" taskset -c 0 "$@" >/dev/null 2>"${RESULTS}/${label}.err"
}
: >"${RESULTS}/loadavg"
for format in log csv json; do
  rm -f "${RESULTS}/agent-${format}.time" "${RESULTS}/baseline-${format}.time" "${RESULTS}/pgbadger-${format}.time"
done
case_args() { # the agent's and pgbadger's arguments per file
  case $1 in
    log) agent_args=(--format stderr --prefix "${PREFIX}") pgbadger_args=(-f stderr --prefix "${PREFIX}") ;;
    csv) agent_args=(--format csvlog) pgbadger_args=(-f csv) ;;
    json) agent_args=(--format jsonlog) pgbadger_args=(-f jsonlog) ;;
  esac
}
for round in $(seq "${RUNS}"); do
  for format in log csv json; do
    case_args "${format}"
    echo "round ${round} ${format} agent $(cut -d' ' -f1 /proc/loadavg)" >>"${RESULTS}/loadavg"
    run "agent-${format}" "${BIN}" logs parse "${agent_args[@]}" --timezone Etc/UTC "${DIR}/big.${format}"
    if [[ -n ${BASELINE_BIN:-} ]]; then
      run "baseline-${format}" "${BASELINE_BIN}" logs parse "${agent_args[@]}" --timezone Etc/UTC "${DIR}/big.${format}"
    fi
    echo "round ${round} ${format} pgbadger $(cut -d' ' -f1 /proc/loadavg)" >>"${RESULTS}/loadavg"
    run "pgbadger-${format}" pgbadger -j 1 "${pgbadger_args[@]}" -o "${RESULTS}/pgbadger.html" "${DIR}/big.${format}"
  done
done
say "peak RSS on the 1 GB stderr file"
rm -f "${RESULTS}/agent-huge.time"
run agent-huge "${BIN}" logs parse --format stderr --prefix "${PREFIX}" --timezone Etc/UTC "${DIR}/huge.log"

tail_run() { # tail_run LABEL BINARY: logs tail on CPU 0 following one.log written at TAIL_RATE lines/s on CPU 1;
  # RESULTS/tail-LABEL/usage gets "cpu_ticks clock_ticks_per_second peak_rss_kib"
  local label=$1 binary=$2 tail_dir=${RESULTS}/tail-$1 tail_pid
  say "logs tail (${label}) following one.log's lines written at ${TAIL_RATE} lines/s for ${TAIL_S}s"
  rm -rf "${tail_dir}" && mkdir -p "${tail_dir}"
  : >"${tail_dir}/postgresql.log"
  taskset -c 0 "${binary}" logs tail --from-start --format stderr --prefix "${PREFIX}" --timezone Etc/UTC \
    --output "${tail_dir}/events.jsonl" --state-dir "${tail_dir}/state" "${tail_dir}/postgresql.log" 2>"${tail_dir}/tail.err" &
  tail_pid=$!
  taskset -c 1 python3 - "${DIR}/one.log" "${tail_dir}/postgresql.log" "${TAIL_RATE}" "${TAIL_S}" >"${tail_dir}/writer.json" <<'PY'
import json, sys, time
source, target, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = open(source, "rb").readlines()
out = open(target, "ab", buffering=0)
start = time.monotonic()
written = 0
tick = 0.01
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    if due > written:
        chunk = b"".join(lines[(written + i) % len(lines)] for i in range(due - written))
        out.write(chunk)
        written = due
    time.sleep(tick)
print(json.dumps({"lines": written, "seconds": seconds, "lines_per_second": round(written / seconds)}))
PY
  sleep 2
  echo "$(awk '{print $14 + $15}' "/proc/${tail_pid}/stat") $(getconf CLK_TCK) $(awk '/VmHWM/{print $2}' "/proc/${tail_pid}/status")" \
    >"${tail_dir}/usage"
  kill -TERM "${tail_pid}"
  wait "${tail_pid}" || true
}
tail_run agent "${BIN}"
if [[ -n ${BASELINE_BIN:-} ]]; then tail_run baseline "${BASELINE_BIN}"; fi

python3 - "${DIR}" "${RESULTS}" "${TAIL_S}" <<'PY'
import json, os, statistics, sys
directory, results, tail_s = sys.argv[1:]
def times(label):
    rows = [line.split() for line in open(os.path.join(results, label + ".time")) if line.strip() and not line.startswith("Command")]
    return [(float(w), int(k)) for w, k in rows]
FORMATS = (("log", "stderr"), ("csv", "csvlog"), ("json", "jsonlog"))
def speeds(label, fmt):
    """MB/s of each run of LABEL on big.FMT."""
    size = os.path.getsize(os.path.join(directory, f"big.{fmt}")) / 1e6
    return [size / w for w, _ in times(f"{label}-{fmt}")]
print("| format | file MB | agent MB/s (runs) | agent median | pgbadger MB/s (runs) | pgbadger median | ratio | agent peak RSS MiB | pgbadger peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|")
for fmt, name in FORMATS:
    size = os.path.getsize(os.path.join(directory, f"big.{fmt}")) / 1e6
    agent, badger = speeds("agent", fmt), speeds("pgbadger", fmt)
    a, b = statistics.median(agent), statistics.median(badger)
    print(f"| {name} | {size:.0f} | {', '.join(f'{x:.1f}' for x in agent)} | {a:.1f} | {', '.join(f'{x:.2f}' for x in badger)} | "
          f"{b:.2f} | {a / b:.0f}x | {max(k for _, k in times(f'agent-{fmt}')) / 1024:.1f} | {max(k for _, k in times(f'pgbadger-{fmt}')) / 1024:.1f} |")
if os.path.exists(os.path.join(results, "baseline-log.time")):
    print("\n| format | baseline MB/s (runs) | baseline median | agent / baseline |")
    print("|---|---|---|---|")
    for fmt, name in FORMATS:
        base, agent = speeds("baseline", fmt), speeds("agent", fmt)
        print(f"| {name} | {', '.join(f'{x:.1f}' for x in base)} | {statistics.median(base):.1f} | "
              f"{statistics.median(agent) / statistics.median(base):.2f}x |")
wall, kib = times("agent-huge")[0]
size = os.path.getsize(os.path.join(directory, "huge.log")) / 1e6
print(f"\n1 GB stderr file: {size:.0f} MB in {wall:.1f} s ({size / wall:.1f} MB/s), peak RSS {kib / 1024:.1f} MiB")
for label in ("agent", "baseline"):
    tail_dir = os.path.join(results, "tail-" + label)
    if not os.path.isdir(tail_dir):
        continue
    writer = json.load(open(os.path.join(tail_dir, "writer.json")))
    cpu_ticks, ticks, tail_rss = open(os.path.join(tail_dir, "usage")).read().split()
    cpu = int(cpu_ticks) / int(ticks)
    events = sum(1 for _ in open(os.path.join(tail_dir, "events.jsonl")))
    print(f"logs tail ({label}): {writer['lines_per_second']:,} lines/s for {tail_s} s ({writer['lines']:,} lines, {events:,} events); "
          f"CPU {cpu:.2f} s = {100 * cpu / float(tail_s):.1f}% of one core; peak RSS {int(tail_rss) / 1024:.1f} MiB")
PY
say "load average before each run: ${RESULTS}/loadavg"
say "machine: $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(uname -r); pgbadger $(pgbadger --version 2>&1 | head -1)"
