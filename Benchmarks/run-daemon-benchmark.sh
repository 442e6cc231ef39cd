#!/usr/bin/env bash
# run-daemon-benchmark.sh — issue 5's benchmark: the release daemon (static Swift stdlib, as
# scripts/install.sh builds it) against a PG 17 cluster under pgbench load with
# log_min_duration_statement = 0, sending to the reference listener on loopback.
#   Phase 1 (DURATION_S, default 600): snapshots every INTERVAL_S (10) and the log followed. Sampled
#   every 10 s from /proc: RSS and CPU time; from /metrics: cycles and log lines.
#   Phase 2 (SNAPSHOT_ONLY_S, default 180): a second daemon with log tailing off, same load: CPU per
#   snapshot cycle alone. CPU per 1,000 log lines = (phase-1 CPU − cycles × CPU per cycle) / lines.
# Baseline in the same run: pgbench's average latency without any agent (phase 0, BASELINE_S, default
# 60), against its latency in phases 1 and 2: what watching the server costs the server.
#
# Usage: Benchmarks/run-daemon-benchmark.sh
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
RESULTS=${RESULTS:-/tmp/pgagent-bench-daemon}
DURATION_S=${DURATION_S:-600}
SNAPSHOT_ONLY_S=${SNAPSHOT_ONLY_S:-180}
BASELINE_S=${BASELINE_S:-60}
INTERVAL_S=${INTERVAL_S:-10}
RATE=${RATE:-300}
RELEASE_SCRATCH=${RELEASE_SCRATCH:-${REPO}/.build-release}
say() { printf 'run-daemon-benchmark: %s\n' "$*" >&2; }

"${REPO}/scripts/install-deps.sh"
say "building the release agent (static Swift standard library)"
BIN=$(RELEASE_SCRATCH="${RELEASE_SCRATCH}" "${REPO}/scripts/release-build.sh")

rm -rf "${RESULTS}"
mkdir -p "${RESULTS}"
# shellcheck source=scripts/pg17-scratch.sh
source "${REPO}/scripts/pg17-scratch.sh"
pg17_scratch_up "${RESULTS}/clusters"
say "pgbench -i -s 10"
pg17_scratch_pgbench_init 10
pg17_scratch_listener "${RESULTS}" "${BIN}/postgres-agent"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_phase() { # name seconds logs(on|off)
  local name=$1 seconds=$2 logs=$3 metrics_port
  metrics_port=$(free_port)
  cat >"${RESULTS}/${name}.ini" <<INI
[agent]
interval_seconds = ${INTERVAL_S}
state_dir = ${RESULTS}/${name}-state
log_level = warning
[postgres]
conninfo = host=127.0.0.1 port=${port} dbname=app user=bitville_monitor
[logs]
path = $([ "${logs}" = on ] && echo auto || echo "")
[listener]
url = ${url}
[metrics]
listen = 127.0.0.1:${metrics_port}
INI
  say "phase ${name}: ${seconds} s, pgbench at ${RATE} tps, log tailing ${logs}"
  "${bindir}/pgbench" -h 127.0.0.1 -p "${port}" -U postgres -c 4 -j 2 -R "${RATE}" -T $((seconds + 20)) -n app \
    >"${RESULTS}/${name}-pgbench.out" 2>&1 &
  local bench=$!
  pids+=("${bench}")
  if [ "${logs}" = none ]; then wait "${bench}" || true; return; fi
  POSTGRES_AGENT_POSTGRES_PASSWORD="${password}" POSTGRES_AGENT_LISTENER_API_KEY="${key}" MALLOC_TRIM_THRESHOLD_=131072 \
    "${BIN}/postgres-agent" run --config "${RESULTS}/${name}.ini" 2>"${RESULTS}/${name}-agent.log" &
  local agent=$!
  pids+=("${agent}")
  python3 "${HERE}/daemon-sampler.py" "${agent}" "http://127.0.0.1:${metrics_port}/metrics" "${seconds}" \
    >"${RESULTS}/${name}-samples.json"
  kill -TERM "${agent}"; wait "${agent}" || true
  wait "${bench}" || true
  grep -E '^(latency average|tps)' "${RESULTS}/${name}-pgbench.out" >&2 || true
}
run_phase none "${BASELINE_S}" none
run_phase full "${DURATION_S}" on
run_phase snapshots "${SNAPSHOT_ONLY_S}" off

python3 - "${RESULTS}" "${INTERVAL_S}" <<'PY'
import json, re, sys
root, interval = sys.argv[1], int(sys.argv[2])
full = json.load(open(f"{root}/full-samples.json"))
snap = json.load(open(f"{root}/snapshots-samples.json"))
def latency(name):
    text = open(f"{root}/{name}-pgbench.out").read()
    m = re.search(r"latency average = ([0-9.]+) ms", text)
    return float(m.group(1)) if m else float("nan")
per_cycle = snap["cpu_seconds"] / max(1, snap["cycles"])
log_cpu = full["cpu_seconds"] - full["cycles"] * per_cycle
print(f"phase 1 ({full['seconds']:.0f} s, snapshots every {interval} s + log at log_min_duration_statement = 0):")
print(f"  cycles {full['cycles']}, log lines {full['log_lines']} ({full['log_lines'] / full['seconds']:.0f}/s), "
      f"payloads acknowledged {full['acknowledged']}")
print(f"  RSS: start {full['rss_kib'][0]/1024:.1f} MiB, steady (median of the second half) {full['rss_steady_kib']/1024:.1f} MiB, "
      f"max {max(full['rss_kib'])/1024:.1f} MiB")
print(f"  CPU: {full['cpu_seconds']:.2f} s in all = {100 * full['cpu_seconds'] / full['seconds']:.2f} % of one core")
print(f"phase 2 ({snap['seconds']:.0f} s, snapshots only): {snap['cycles']} cycles, CPU {snap['cpu_seconds']:.2f} s "
      f"→ {1000 * per_cycle:.1f} ms CPU per cycle; RSS steady {snap['rss_steady_kib']/1024:.1f} MiB")
print(f"CPU per 1,000 log lines: {1000 * log_cpu / max(1, full['log_lines']) * 1000:.1f} ms")
print(f"pgbench latency average: no agent {latency('none'):.3f} ms, phase 1 {latency('full'):.3f} ms, "
      f"phase 2 {latency('snapshots'):.3f} ms")
PY
say "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo)"
