#!/usr/bin/env bash
# run-drain-benchmark.sh — issue 4's drain benchmark: a spool holding a 100 MiB backlog (stored, gzip)
# is sent to the reference listener on loopback by `postgres-agent spool send --until-empty` (release);
# wall time, rate and the sender's peak RSS (GNU time). Baseline in the same run, on the same copy of
# the backlog: the design research's way of sending (Python, one HTTP POST per payload with the stdlib's
# http.client, a SQLite DELETE + commit per acknowledgement), to the same listener.
#
# Usage: Benchmarks/run-drain-benchmark.sh
#
# Environment: RESULTS (default /tmp/pgagent-bench-drain), FILL_MB (100), SIZE (110000: JSON bytes per
# payload), SCRATCH (scratch path of the benchmark tools, default <repo>/.build-bench), RELEASE_SCRATCH
# (of the static release agent, default <repo>/.build-release, shared with scripts/install.sh).
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
RESULTS=${RESULTS:-/tmp/pgagent-bench-drain}
FILL_MB=${FILL_MB:-100}
SIZE=${SIZE:-110000}
SCRATCH=${SCRATCH:-${REPO}/.build-bench}
RELEASE_SCRATCH=${RELEASE_SCRATCH:-${REPO}/.build-release}
say() { printf 'run-drain-benchmark: %s\n' "$*" >&2; }

"${REPO}/scripts/install-deps.sh"
say "building postgres-agent and SpoolBenchmark (release)"
(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --product SpoolBenchmark --scratch-path "${SCRATCH}" >&2)
# The agent as installed (scripts/install.sh): release, Swift standard library linked statically.
BENCH_BIN=$(cd "${REPO}" && ENABLE_BENCHMARKS=1 swift build -c release --scratch-path "${SCRATCH}" --show-bin-path)
BIN=$(RELEASE_SCRATCH="${RELEASE_SCRATCH}" "${REPO}/scripts/release-build.sh")

rm -rf "${RESULTS}"
mkdir -p "${RESULTS}/state" "${RESULTS}/python"
out=${RESULTS}/results.jsonl
say "filling a spool with ${FILL_MB} MiB of stored payloads of ${SIZE} JSON bytes"
"${BENCH_BIN}/SpoolBenchmark" --dir "${RESULTS}/fill" --size "${SIZE}" --fill-mb "${FILL_MB}" | tee -a "${out}" >&2
# Checkpoint the WAL into the main file so that a copy is the whole backlog.
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()" "${RESULTS}/fill/spool.sqlite"

token="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "${token}" >"${RESULTS}/tokens"
chmod 600 "${RESULTS}/tokens"
listener_pid=""
cleanup() { [ -n "${listener_pid}" ] && kill "${listener_pid}" 2>/dev/null || true; }
trap cleanup EXIT
start_listener() { # [full|normal]
  rm -f "${RESULTS}/listener.sqlite"* "${RESULTS}/listener.out"
  "${BIN}/postgres-agent" listener --listen 127.0.0.1:0 --token-file "${RESULTS}/tokens" --sync "${1:-full}" \
    --store "${RESULTS}/listener.sqlite" --log-level warning >"${RESULTS}/listener.out" 2>>"${RESULTS}/listener.err" &
  listener_pid=$!
  for _ in $(seq 1 500); do grep -q '^listening on ' "${RESULTS}/listener.out" 2>/dev/null && break; sleep 0.01; done
  url=$(sed -n 's/^listening on //p' "${RESULTS}/listener.out")
}
stop_listener() { kill "${listener_pid}"; wait "${listener_pid}" || true; listener_pid=""; }
stored_batches() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*), sum(size) from batches').fetchone())" "${RESULTS}/listener.sqlite"
}

drain_ours() { # MODE-NAME LISTENER-SYNC
  say "ours: postgres-agent spool send --until-empty, listener --sync $2"
  rm -f "${RESULTS}/state/spool.sqlite"*
  cp "${RESULTS}/fill/spool.sqlite" "${RESULTS}/state/spool.sqlite"
  start_listener "$2"
  start=$(date +%s.%N)
  POSTGRES_AGENT_AGENT_STATE_DIR="${RESULTS}/state" POSTGRES_AGENT_LISTENER_URL="${url}" \
    POSTGRES_AGENT_LISTENER_API_KEY="${token}" POSTGRES_AGENT_SPOOL_MAX_SIZE_MB=200 MALLOC_TRIM_THRESHOLD_=131072 \
    /usr/bin/time -f '%M %U %S' -o "${RESULTS}/ours.time" "${BIN}/postgres-agent" spool send --until-empty 2>"${RESULTS}/ours.err"
  end=$(date +%s.%N)
  read -r rss user system <"${RESULTS}/ours.time"
  say "listener stored (batches, bytes): $(stored_batches)"
  stop_listener
  echo "{\"mode\":\"$1\",\"seconds\":$(python3 -c "print(${end} - ${start})"),\"max_rss_kib\":${rss},\"user_s\":${user},\"system_s\":${system}}" | tee -a "${out}" >&2
}
drain_ours ours full
drain_ours ours-listener-sync-normal normal

say "baseline: Python http.client, one POST and one DELETE + commit per payload"
cp "${RESULTS}/fill/spool.sqlite" "${RESULTS}/python/spool.sqlite"
start_listener
/usr/bin/time -f '%M %U %S' -o "${RESULTS}/python.time" python3 "${HERE}/python-drain-bench.py" \
  "${RESULTS}/python/spool.sqlite" "${url}" "${token}" >"${RESULTS}/python.json"
read -r rss user system <"${RESULTS}/python.time"
say "listener stored (batches, bytes): $(stored_batches)"
stop_listener
python3 - "${RESULTS}/python.json" "${rss}" "${user}" "${system}" >>"${out}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r.update(mode="python", max_rss_kib=int(sys.argv[2]), user_s=float(sys.argv[3]), system_s=float(sys.argv[4]))
print(json.dumps(r))
PY

python3 - "${out}" <<'PY'
import json, sys
rows = {r["mode"]: r for r in map(json.loads, open(sys.argv[1]))}
fill = rows["fill"]
mib = fill["stored_bytes"] / 2**20
print(f"backlog: {fill['payloads']} payloads, {mib:.1f} MiB stored (gzip), {fill['json_bytes']/2**20:.0f} MiB of JSON")
print("| sender (listener) | seconds | MiB/s stored | payloads/s | peak RSS | CPU user+sys |")
print("|---|---|---|---|---|---|")
for mode in ("ours", "ours-listener-sync-normal", "python"):
    r = rows[mode]
    print(f"| {mode} | {r['seconds']:.1f} | {mib / r['seconds']:.1f} | {fill['payloads'] / r['seconds']:.0f} | "
          f"{r['max_rss_kib']/1024:.1f} MiB | {r['user_s'] + r['system_s']:.1f} s |")
PY
say "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo), $(df -h "${RESULTS}" | awk 'NR==2{print $1" "$2}')"
