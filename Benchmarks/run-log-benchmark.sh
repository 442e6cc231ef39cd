#!/usr/bin/env bash
# run-log-benchmark.sh — issue 3's benchmark: parse throughput of the release build on one core for
# stderr, csvlog and jsonlog on a large log a real server wrote, against pgbadger (Debian's package) on
# the same stderr file in the same run; peak RSS while parsing a 1 GB file; CPU cost of
# `postgres-agent logs tail` following a file written at 10,000 lines/s. Works from a fresh machine.
#
# Usage: Benchmarks/run-log-benchmark.sh
#
# It starts its own PG 17 cluster (scripts/test-clusters.sh up 17, which logs stderr, csvlog and jsonlog
# at once), turns on statement, connection and checkpoint logging, runs pgbench (simple and extended
# protocol, so durations come with parameters) plus a stream of errors for WORKLOAD_S seconds, and
# concatenates the three files of that stretch until each is at least TARGET_MB. Every measured
# process is pinned to CPU 0 with taskset.
#
# Environment:
#   PGAGENT_TEST_ROOT  the benchmark's cluster root (default /tmp/pgagent-bench-logs)
#   RESULTS            where the logs and result files go (default $PGAGENT_TEST_ROOT-results)
#   WORKLOAD_S (20), TARGET_MB (200), BIG_MB (1024), RUNS (3), TAIL_S (30), TAIL_RATE (7800 entries/s)
#   SCRATCH            swift build scratch path (default <repo>/.build-bench)
set -euo pipefail
umask 022

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
export PGAGENT_TEST_ROOT=${PGAGENT_TEST_ROOT:-/tmp/pgagent-bench-logs}
RESULTS=${RESULTS:-${PGAGENT_TEST_ROOT}-results}
WORKLOAD_S=${WORKLOAD_S:-20}
TARGET_MB=${TARGET_MB:-200}
BIG_MB=${BIG_MB:-1024}
RUNS=${RUNS:-3}
TAIL_S=${TAIL_S:-30}
TAIL_RATE=${TAIL_RATE:-7800}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
PREFIX='%m [%p] %q%u@%d '

say() { printf 'run-log-benchmark: %s\n' "$*" >&2; }

mkdir -p "${RESULTS}"
"${REPO}/scripts/install-deps.sh"
if ! command -v pgbadger >/dev/null; then
  say "installing pgbadger (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbadger >/dev/null
fi

say "building the release binaries"
(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --product LogParseBenchmark --scratch-path "${SCRATCH}" >&2)
(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --product postgres-agent --scratch-path "${SCRATCH}" >&2)
BIN=$(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --scratch-path "${SCRATCH}" --show-bin-path)

say "starting PG 17 under ${PGAGENT_TEST_ROOT}"
"${REPO}/scripts/test-clusters.sh" up 17 >&2
trap '"${REPO}/scripts/test-clusters.sh" down >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
source "${PGAGENT_TEST_ROOT}/env"
info=$(python3 -c "
import json
c=[c for c in json.load(open('${PGAGENT_TEST_ROOT}/clusters.json'))['clusters'] if c['name']=='pg17'][0]
print(c['bin_dir'], c['port'], c['data_dir'])")
read -r pgbin port datadir <<<"${info}"
psql_su() { "${pgbin}/psql" -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=${port} user=postgres dbname=postgres" "$@"; }

for setting in log_min_duration_statement=0 log_connections=on log_disconnections=on log_checkpoints=on \
  log_lock_waits=on log_temp_files=0 log_autovacuum_min_duration=0; do
  psql_su -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >/dev/null
done
psql_su -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
psql_su -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 1.2
stretch=$(cat "${datadir}/current_logfiles")

say "workload: pgbench for ${WORKLOAD_S}s (simple and extended protocol) and a stream of errors"
export PGPASSWORD=
pgbench -h 127.0.0.1 -p "${port}" -U postgres -i -s 2 -q postgres >/dev/null 2>&1
pgbench -h 127.0.0.1 -p "${port}" -U postgres -c 2 -j 1 -T "${WORKLOAD_S}" postgres >/dev/null 2>&1 &
pgbench -h 127.0.0.1 -p "${port}" -U postgres -c 2 -j 1 -M extended -S -T "${WORKLOAD_S}" postgres >/dev/null 2>&1 &
end=$((SECONDS + WORKLOAD_S))
while ((SECONDS < end)); do
  psql_su -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<'SQL' || true
SELECT 1/0;
DO $$ BEGIN RAISE EXCEPTION 'over the limit' USING DETAIL = 'The limit is 100.', HINT = 'Split it.'; END $$;
SELECT *
  FROM pgbench_accounts
 WHERE aid = 'not a number';
CHECKPOINT;
SQL
done
wait
psql_su -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 1.2

logfile() { # logfile DESTINATION: the file of that destination in the stretch, absolute
  local file
  file=$(awk -v d="$1" '$1==d{print $2}' <<<"${stretch}")
  [[ ${file} == /* ]] && echo "${file}" || echo "${datadir}/${file}"
}
stderr_src=$(logfile stderr)
csv_src=$(logfile csvlog)
json_src=$(logfile jsonlog)
grow() { # grow SRC DEST MB: concatenate SRC until DEST has at least MB megabytes
  : >"$2"
  while (($(stat -c %s "$2") < $3 * 1000000)); do cat "$1" >>"$2"; done
}
grow "${stderr_src}" "${RESULTS}/big.log" "${TARGET_MB}"
grow "${csv_src}" "${RESULTS}/big.csv" "${TARGET_MB}"
grow "${json_src}" "${RESULTS}/big.json" "${TARGET_MB}"
say "one pass of the workload: stderr $(stat -c %s "${stderr_src}") B, csvlog $(stat -c %s "${csv_src}") B, jsonlog $(stat -c %s "${json_src}") B"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # measure LABEL ARGS...: RUNS runs of LogParseBenchmark, results in RESULTS/LABEL.jsonl
  : >"${RESULTS}/$1.jsonl"
  local label=$1
  shift
  for _ in $(seq "${RUNS}"); do
    taskset -c 0 "${BIN}/LogParseBenchmark" "$@" >>"${RESULTS}/${label}.jsonl"
  done
}
say "parsing (${RUNS} runs each, CPU 0)"
measure stderr --format stderr --prefix "${PREFIX}" "${RESULTS}/big.log"
measure stderr-classify --format stderr --prefix "${PREFIX}" --classify "${RESULTS}/big.log"
measure csvlog --format csvlog "${RESULTS}/big.csv"
measure csvlog-classify --format csvlog --classify "${RESULTS}/big.csv"
measure jsonlog --format jsonlog "${RESULTS}/big.json"
measure jsonlog-classify --format jsonlog --classify "${RESULTS}/big.json"

say "pgbadger on the same stderr file (one job, CPU 0)"
pgbadger_start=$(date +%s.%N)
/usr/bin/time -f '%e %M' -o "${RESULTS}/pgbadger.time" taskset -c 0 pgbadger -j 1 -f stderr --prefix "${PREFIX}" \
  -o "${RESULTS}/pgbadger.html" "${RESULTS}/big.log" >"${RESULTS}/pgbadger.out" 2>&1
pgbadger_end=$(date +%s.%N)

say "peak RSS on a ${BIG_MB} MB stderr file"
grow "${stderr_src}" "${RESULTS}/huge.log" "${BIG_MB}"
taskset -c 0 "${BIN}/LogParseBenchmark" --format stderr --prefix "${PREFIX}" --classify "${RESULTS}/huge.log" >"${RESULTS}/huge.jsonl"
rm -f "${RESULTS}/huge.log"

say "logs tail following a file written at ${TAIL_RATE} entries/s for ${TAIL_S}s"
tail_dir=${RESULTS}/tail
rm -rf "${tail_dir}" && mkdir -p "${tail_dir}"
: >"${tail_dir}/postgresql.log"
taskset -c 0 "${BIN}/postgres-agent" logs tail --from-start --format stderr --prefix '%m [%p] ' \
  --output "${tail_dir}/events.jsonl" --state-dir "${tail_dir}/state" "${tail_dir}/postgresql.log" 2>"${tail_dir}/tail.err" &
tail_pid=$!
taskset -c 1 python3 "${REPO}/Tests/IntegrationTests/Tools/rotating-log-writer.py" "${tail_dir}/postgresql.log" \
  $((TAIL_RATE * TAIL_S)) "${TAIL_RATE}" 1000000000 >"${tail_dir}/writer.json"
ticks=$(getconf CLK_TCK)
cpu_ticks=$(awk '{print $14 + $15}' "/proc/${tail_pid}/stat")
tail_rss=$(awk '/VmHWM/{print $2}' "/proc/${tail_pid}/status")
kill -TERM "${tail_pid}"
wait "${tail_pid}" || true
tail_events=$(wc -l <"${tail_dir}/events.jsonl")

python3 - "${RESULTS}" "${pgbadger_start}" "${pgbadger_end}" "${cpu_ticks}" "${ticks}" "${TAIL_S}" "${tail_rss}" "${tail_events}" <<'PY'
import json, statistics, sys, os
results, pb_start, pb_end, cpu_ticks, ticks, tail_s, tail_rss, tail_events = sys.argv[1:]
def runs(label):
    return [json.loads(l) for l in open(os.path.join(results, label + ".jsonl"))]
def med(label, key):
    return statistics.median(r[key] for r in runs(label))
size = os.path.getsize(os.path.join(results, "big.log"))
pb_time, pb_rss = open(os.path.join(results, "pgbadger.time")).read().split()
pb_mbs = size / 1e6 / float(pb_time)
print("| format | MB/s (parse) | entries/s (parse) | MB/s (parse + classify) | entries/s (parse + classify) | peak RSS MiB |")
print("|---|---|---|---|---|---|")
for f in ("stderr", "csvlog", "jsonlog"):
    print(f"| {f} | {med(f,'mb_per_s')} | {med(f,'entries_per_s'):,.0f} | {med(f+'-classify','mb_per_s')} | "
          f"{med(f+'-classify','entries_per_s'):,.0f} | {max(r['peak_rss_mib'] for r in runs(f+'-classify'))} |")
print(f"| pgbadger 12 (-j 1) on the stderr file | {pb_mbs:.1f} | | | | {int(pb_rss)/1024:.1f} |")
s = med("stderr-classify", "mb_per_s")
print()
print(f"files: stderr {size/1e6:.0f} MB ({runs('stderr')[0]['entries']:,} entries), "
      f"csvlog {os.path.getsize(os.path.join(results,'big.csv'))/1e6:.0f} MB, jsonlog {os.path.getsize(os.path.join(results,'big.json'))/1e6:.0f} MB; "
      f"unparsed stderr lines {runs('stderr')[0]['unparsed']}")
print(f"stderr parse + classify vs pgbadger: {s / pb_mbs:.0f}x (pgbadger took {float(pb_time):.1f} s)")
huge = json.loads(open(os.path.join(results, "huge.jsonl")).read())
print(f"1 GB file: {huge['bytes']/1e6:.0f} MB in {huge['wall_s']} s, peak RSS {huge['peak_rss_mib']} MiB")
writer = json.loads(open(os.path.join(results, "tail", "writer.json")).read())
cpu = int(cpu_ticks) / int(ticks)
print(f"logs tail: writer {writer['lines_per_second']:,} lines/s ({writer['entries']:,} entries) for {tail_s} s; "
      f"tail CPU {cpu:.2f} s = {100*cpu/float(tail_s):.1f}% of one core; peak RSS {int(tail_rss)/1024:.1f} MiB; "
      f"events written {tail_events}")
PY
say "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo), $(uname -r)"
