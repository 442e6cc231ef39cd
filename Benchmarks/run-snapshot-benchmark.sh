#!/usr/bin/env bash
# run-snapshot-benchmark.sh — issue 2's benchmark: the agent's snapshot cycle against the design
# research's naive queries (SELECT * FROM pg_stat_activity / pg_stat_statements with full texts, the
# wiki lock join), on a loaded PostgreSQL 17, measured in one run. Works from a fresh machine.
#
# Usage: Benchmarks/run-snapshot-benchmark.sh
#
# It builds the release binary (ENABLE_BENCHMARKS=1 swift build -c release --product SnapshotBenchmark
# --scratch-path .build-bench), starts its own PG 17 cluster with scripts/test-clusters.sh, builds the
# load, runs `SnapshotBenchmark --mode ours` then `--mode naive` (separate processes, so each one's RSS
# is its own), prints a markdown table and the machine, and stops the cluster.
#
# The load (Benchmarks/snapshot-load.py): 5,000 distinct statements executed once each; during the
# measurement 20 pgbench sessions running 300 of those shapes (active: each shape sleeps 0.1 s in a
# CTE), 177 idle pgbench connections and a lock chain of 3 psql sessions (one idle in transaction
# holding a row lock, one waiting for it while holding another row, one waiting for that): 200 client
# connections. The monitoring connections go through Benchmarks/byte-relay.py, which counts bytes.
#
# Environment:
#   PGAGENT_TEST_ROOT  the benchmark's cluster root (default /tmp/pgagent-bench; never the test suite's
#                      /tmp/postgres-agent-test)
#   CYCLES (30), WARMUP (5), INTERVAL_MS (2000)   measured cycles, warm-up cycles, cycle spacing
#   SCRATCH            swift build scratch path (default <repo>/.build-bench)
#   RESULTS            where result files and logs go (default $PGAGENT_TEST_ROOT-results)
#   SWIFT_BUILD_FLAGS  extra `swift build` flags for the measured binary, word-split (e.g.
#                      "--static-swift-stdlib -Xlinker --gc-sections"); the scratch path stays SCRATCH
#   BENCH_BIN          measure this SnapshotBenchmark binary instead of building one
#   RSS_VARIANTS       a file of extra `--mode ours` runs after the naive one, to compare memory: one per
#                      line, "LABEL BINARY [VAR=value ...]" (the variables are set for that run only, e.g.
#                      MALLOC_ARENA_MAX=2); blank lines and lines starting with # are skipped. Each writes
#                      RESULTS/variant-LABEL.json(.smaps); the report gets one memory row per variant
#   KEEP_CLUSTER=1     leave the cluster and the pgbench load running at the end (the lock chain ends
#                      with the script; stop the rest: kill the pids it prints, scripts/test-clusters.sh down)

set -euo pipefail
umask 022

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
export PGAGENT_TEST_ROOT=${PGAGENT_TEST_ROOT:-/tmp/pgagent-bench}
PGAGENT_TEST_ROOT=$(realpath -m -- "${PGAGENT_TEST_ROOT}")
[[ ${PGAGENT_TEST_ROOT} != /tmp/postgres-agent-test ]] ||
  { echo "PGAGENT_TEST_ROOT must not be the test suite's root" >&2; exit 2; }
CYCLES=${CYCLES:-30}
WARMUP=${WARMUP:-5}
INTERVAL_MS=${INTERVAL_MS:-2000}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
RESULTS=${RESULTS:-${PGAGENT_TEST_ROOT}-results}
ACTIVE=20
IDLE=177
HOT_SHAPES=300
SHAPES=5000

log() { printf 'run-snapshot-benchmark: %s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

BG_PIDS=()
HOLDER_FD_OPEN=0
cleanup() {
  local status=$?
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "KEEP_CLUSTER=1: leaving the cluster and load running (pids ${BG_PIDS[*]:-none})"
    return
  fi
  ((HOLDER_FD_OPEN)) && exec 7>&-
  local pid
  for pid in "${BG_PIDS[@]:-}"; do
    [[ -n ${pid} ]] && kill "${pid}" 2>/dev/null || true
  done
  for pid in "${BG_PIDS[@]:-}"; do
    [[ -n ${pid} ]] && wait "${pid}" 2>/dev/null || true
  done
  "${REPO}/scripts/test-clusters.sh" down >/dev/null 2>&1 || log "could not stop the cluster in ${PGAGENT_TEST_ROOT}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "busy total" jiffies of all CPUs, from /proc/stat.
cpu_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
busy_percent() { # BEFORE_BUSY BEFORE_TOTAL AFTER_BUSY AFTER_TOTAL
  awk -v b0="$1" -v t0="$2" -v b1="$3" -v t1="$4" 'BEGIN {printf "%.0f%%", 100 * (b1 - b0) / (t1 - t0)}'
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ------------------------------------------------------------------ build --
read -r -a BUILD_FLAGS <<<"${SWIFT_BUILD_FLAGS:-}"
if [[ -n ${BENCH_BIN:-} ]]; then
  BIN=$(realpath -- "${BENCH_BIN}")
  log "measuring ${BIN} (BENCH_BIN; not building)"
else
  log "building the release benchmark binary (scratch path ${SCRATCH}; extra flags: ${BUILD_FLAGS[*]:-none})"
  (cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --product SnapshotBenchmark --scratch-path "${SCRATCH}" ${BUILD_FLAGS[@]+"${BUILD_FLAGS[@]}"} >&2)
  BIN="$(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --scratch-path "${SCRATCH}" ${BUILD_FLAGS[@]+"${BUILD_FLAGS[@]}"} --show-bin-path)/SnapshotBenchmark"
fi
[[ -x ${BIN} ]] || die "no binary at ${BIN}"
# A binary just written sits dirty in the page cache, and smaps would count its mapped pages as
# Private_Dirty until writeback; flush it so the memory figures classify them as file-backed clean.
sync

# ---------------------------------------------------------------- cluster --
log "starting a PostgreSQL 17 cluster in ${PGAGENT_TEST_ROOT}"
CLUSTERS_JSON=$("${REPO}/scripts/test-clusters.sh" up 17)
read -r PORT BIN_DIR MONITOR_USER PASSWORD SUPERUSER < <(python3 - "${CLUSTERS_JSON}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
c = next(c for c in doc["clusters"] if c["name"] == "pg17")
print(c["port"], c["bin_dir"], doc["monitor_user"], doc["monitor_password"], doc["superuser"])
PY
)
rm -rf -- "${RESULTS}"
mkdir -p -- "${RESULTS}"
PSQL=(env -u PGPASSWORD "${BIN_DIR}/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${PORT}" -U "${SUPERUSER}" -d app)
sql() { "${PSQL[@]}" -A -t -c "$1"; }

# ------------------------------------------------------------------- load --
log "building the load: ${SHAPES} statement shapes"
python3 "${HERE}/snapshot-load.py" --out "${RESULTS}/load" --shapes "${SHAPES}" --hot "${HOT_SHAPES}" >&2
sql "ALTER SYSTEM SET pg_stat_statements.track_planning = on" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
sql "CREATE ROLE naive_monitor LOGIN PASSWORD '${PASSWORD}' IN ROLE pg_monitor" >/dev/null
"${PSQL[@]}" -f "${RESULTS}/load/setup.sql" >/dev/null
"${PSQL[@]}" -f "${RESULTS}/load/shapes.sql" >/dev/null
read -r ENTRIES SHAPE_ENTRIES TEXT_MIN TEXT_MED TEXT_MAX < <(sql "
  SELECT count(*), count(*) FILTER (WHERE query LIKE 'WITH pause AS%'),
         min(octet_length(query)) FILTER (WHERE query LIKE 'WITH pause AS%'),
         percentile_disc(0.5) WITHIN GROUP (ORDER BY octet_length(query)) FILTER (WHERE query LIKE 'WITH pause AS%'),
         max(octet_length(query)) FILTER (WHERE query LIKE 'WITH pause AS%')
  FROM pg_stat_statements" | tr '|' ' ')
log "pg_stat_statements: ${ENTRIES} entries, ${SHAPE_ENTRIES} load shapes (text ${TEXT_MIN}/${TEXT_MED}/${TEXT_MAX} bytes min/median/max)"
((SHAPE_ENTRIES >= SHAPES)) || die "expected ${SHAPES} distinct shapes in pg_stat_statements, found ${SHAPE_ENTRIES}"

PGB=(env -u PGPASSWORD "${BIN_DIR}/pgbench" -n -h 127.0.0.1 -p "${PORT}" -U "${SUPERUSER}" -T 86400)
PGAPPNAME=app-idle "${PGB[@]}" -c "${IDLE}" -j 1 -f "${RESULTS}/load/idle.pgbench" app >"${RESULTS}/pgbench-idle.log" 2>&1 &
BG_PIDS+=($!)
PGAPPNAME=app-worker "${PGB[@]}" -c "${ACTIVE}" -j 2 -f "${RESULTS}/load/hot.pgbench" app >"${RESULTS}/pgbench-hot.log" 2>&1 &
BG_PIDS+=($!)

# The lock chain: holder (idle in transaction, row 1) <- waiter 1 (holds row 2, wants row 1) <- waiter 2.
# The holder reads its SQL from a FIFO kept open on fd 7 (closed in cleanup, so it ends and rolls back);
# later children get fd 7 closed, or they would keep the holder alive.
mkfifo "${RESULTS}/holder.fifo"
PGAPPNAME=lock-holder "${PSQL[@]}" <"${RESULTS}/holder.fifo" >"${RESULTS}/lock-holder.log" 2>&1 &
BG_PIDS+=($!)
exec 7>"${RESULTS}/holder.fifo"
HOLDER_FD_OPEN=1
echo "BEGIN; UPDATE lock_target SET v = v + 1 WHERE id = 1;" >&7
wait_for() { # SQL returning true, what
  local i
  for i in $(seq 1 300); do
    [[ $(sql "$1") == t ]] && return 0
    sleep 0.2
  done
  die "timed out waiting for $2"
}
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'lock-holder' AND state = 'idle in transaction'" "the lock holder"
PGAPPNAME=lock-waiter-1 "${PSQL[@]}" -c "UPDATE lock_target SET v = v + 1 WHERE id = 2; UPDATE lock_target SET v = v + 1 WHERE id = 1;" >"${RESULTS}/lock-waiter-1.log" 2>&1 7>&- &
BG_PIDS+=($!)
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'lock-waiter-1' AND wait_event_type = 'Lock'" "lock waiter 1"
PGAPPNAME=lock-waiter-2 "${PSQL[@]}" -c "UPDATE lock_target SET v = v + 1 WHERE id = 2;" >"${RESULTS}/lock-waiter-2.log" 2>&1 7>&- &
BG_PIDS+=($!)
wait_for "SELECT count(*) = 2 FROM pg_stat_activity WHERE wait_event_type = 'Lock'" "lock waiter 2"
wait_for "SELECT count(*) FILTER (WHERE application_name = 'app-idle' AND state = 'idle') = ${IDLE}
            AND count(*) FILTER (WHERE application_name = 'app-worker') = ${ACTIVE}
          FROM pg_stat_activity" "the pgbench sessions"
sleep 5 # let the hot load run a little before the baseline
LOAD_STATE=$(sql "SELECT sum(n) || ' client backends: ' || string_agg(n || ' ' || s, ', ' ORDER BY s) FROM (
     SELECT coalesce(state, '-') AS s, count(*) AS n
     FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1) x")
log "load running: ${LOAD_STATE} (this psql included)"

# ------------------------------------------------------------------ relay --
RELAY_PORT=$(free_port)
CONTROL_PORT=$(free_port)
python3 "${HERE}/byte-relay.py" --listen "${RELAY_PORT}" --upstream "127.0.0.1:${PORT}" \
  --control "${CONTROL_PORT}" --ready-file "${RESULTS}/relay.ready" >"${RESULTS}/relay.log" 2>&1 7>&- &
BG_PIDS+=($!)
for _ in $(seq 1 100); do [[ -f ${RESULTS}/relay.ready ]] && break; sleep 0.1; done
[[ -f ${RESULTS}/relay.ready ]] || die "the byte relay did not start (see ${RESULTS}/relay.log)"

# ------------------------------------------------------------- measuring --
COMMON=(--port "${RELAY_PORT}" --relay-control "${CONTROL_PORT}" --psql "${BIN_DIR}/psql" --pg-port "${PORT}"
  --superuser "${SUPERUSER}" --database app --cycles "${CYCLES}" --warmup "${WARMUP}" --interval-ms "${INTERVAL_MS}")
read -r B0 T0 < <(cpu_jiffies)
sleep 5
read -r B1 T1 < <(cpu_jiffies)
HOST_BUSY_LOAD=$(busy_percent "${B0}" "${T0}" "${B1}" "${T1}")
log "host CPU busy with the load alone: ${HOST_BUSY_LOAD}"
log "measuring ours: ${CYCLES} cycles after 1 baseline + ${WARMUP} warm-up, every ${INTERVAL_MS} ms"
read -r B0 T0 < <(cpu_jiffies)
PGPASSWORD=${PASSWORD} "${BIN}" --mode ours --user "${MONITOR_USER}" --output "${RESULTS}/ours.json" "${COMMON[@]}" 7>&-
read -r B1 T1 < <(cpu_jiffies)
HOST_BUSY_OURS=$(busy_percent "${B0}" "${T0}" "${B1}" "${T1}")
log "measuring naive: same"
PGPASSWORD=${PASSWORD} "${BIN}" --mode naive --user naive_monitor --output "${RESULTS}/naive.json" "${COMMON[@]}" 7>&-
read -r B0 T0 < <(cpu_jiffies)
HOST_BUSY_NAIVE=$(busy_percent "${B1}" "${T1}" "${B0}" "${T0}")
VARIANT_LABELS=()
if [[ -n ${RSS_VARIANTS:-} ]]; then
  while read -r LABEL VBIN VENV; do
    [[ -z ${LABEL} || ${LABEL} == \#* ]] && continue
    read -r -a VENV_ARRAY <<<"${VENV:-}"
    log "memory variant ${LABEL}: ${VBIN} ${VENV:-} (mode ours)"
    env ${VENV_ARRAY[@]+"${VENV_ARRAY[@]}"} PGPASSWORD="${PASSWORD}" "${VBIN}" --mode ours --user "${MONITOR_USER}" \
      --output "${RESULTS}/variant-${LABEL}.json" "${COMMON[@]}" 7>&- </dev/null
    VARIANT_LABELS+=("${LABEL}")
  done <"${RSS_VARIANTS}"
fi
LOAD_AFTER=$(sql "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
    count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity" | tr '|' ' ')

# ---------------------------------------------------------------- report --
{
  echo "## Snapshot cycle benchmark"
  echo
  "${BIN}" --mode table --ours "${RESULTS}/ours.json" --naive "${RESULTS}/naive.json"
  echo "- load: ${SHAPE_ENTRIES} load shapes in pg_stat_statements (${ENTRIES} entries before the run; texts ${TEXT_MIN}/${TEXT_MED}/${TEXT_MAX} bytes min/median/max);"
  echo "  ${ACTIVE} pgbench sessions over ${HOT_SHAPES} shapes, ${IDLE} idle, lock chain of 3; at start ${LOAD_STATE}; at end (client backends, lock waiters): ${LOAD_AFTER}"
  echo "- host CPU busy (all CPUs, /proc/stat): load alone ${HOST_BUSY_LOAD}; during the ours run ${HOST_BUSY_OURS}; during the naive run ${HOST_BUSY_NAIVE}"
  echo "- pg_stat_statements.track_planning = on (so plan time is counted); bytes counted by Benchmarks/byte-relay.py, sslmode=disable"
  echo
  echo "Server time per statement of each role (pg_stat_statements, all cycles of the run including baseline and warm-up):"
  echo
  echo '| role | calls | mean exec ms | mean plan ms | rows/call | statement |'
  echo '|---|---:|---:|---:|---:|---|'
  sql "SELECT '| ' || r.rolname || ' | ' || s.calls || ' | ' || round((s.total_exec_time / greatest(s.calls, 1))::numeric, 2)
         || ' | ' || round((s.total_plan_time / greatest(s.plans, 1))::numeric, 2) || ' | ' || round(s.rows::numeric / greatest(s.calls, 1), 1)
         || ' | \`' || left(regexp_replace(s.query, '\s+', ' ', 'g'), 70) || '…\` |'
       FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
       WHERE r.rolname IN ('${MONITOR_USER}', 'naive_monitor') AND s.calls > 0
       ORDER BY r.rolname, s.total_exec_time DESC"
  echo
  echo "Resident memory of the ours process after its measured cycles, by mapping (Benchmarks/smaps-summary.py):"
  echo
  python3 "${HERE}/smaps-summary.py" "${RESULTS}/ours.json.smaps" --top 8
  echo
  echo "The same for naive:"
  echo
  python3 "${HERE}/smaps-summary.py" "${RESULTS}/naive.json.smaps" --top 8
  echo
  if ((${#VARIANT_LABELS[@]})); then
    echo "Memory variants (mode ours, after the measured cycles; MiB):"
    echo
    python3 - "${RESULTS}" "${VARIANT_LABELS[@]}" <<'PY'
import json, sys
results, labels = sys.argv[1], sys.argv[2:]
print("| variant | VmRSS | RssAnon | RssFile | PSS | private dirty | private clean | VmHWM | wall median ms | CPU median ms | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for label in ["ours"] + labels:
    path = f"{results}/ours.json" if label == "ours" else f"{results}/variant-{label}.json"
    r = json.load(open(path))
    m = r["memoryAfterCycles"]
    mib = lambda k: "–" if m.get(k) is None else f"{m[k] / 1024:.1f}"
    print(f"| {label if label != 'ours' else 'ours (main run)'} | {mib('rssKB')} | {mib('rssAnonKB')} | {mib('rssFileKB')} | "
          f"{mib('pssKB')} | {mib('privateDirtyKB')} | {mib('privateCleanKB')} | {mib('hwmKB')} | "
          f"{r['wallMs']['median']:.1f} | {r['cpuMs']['median']:.1f} | {len(r['errors'])} |")
PY
    echo
  fi
  echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
  echo "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r),"
  echo "$(swift --version 2>/dev/null | head -n 1), $(sql 'SELECT version()' | cut -d, -f1)"
} | tee "${RESULTS}/report.md"
log "results in ${RESULTS}"
