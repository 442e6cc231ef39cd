#!/usr/bin/env bash
# profile-snapshot-cycle.sh — where a snapshot cycle's CPU goes (issue 15, "≤ 10 ms of CPU per snapshot
# cycle"): the release daemon with log tailing off, snapshots every 10 s, /metrics scraped every 10 s and
# sending to the reference listener, against a PG 17 cluster of its own (scripts/pg17-scratch.sh) at
# pgbench scale 10 under unthrottled `pgbench -c 4 -j 2`, as the footprint benchmark's phase 2.
#
#   MODE=callgrind (default): the daemon runs under valgrind's callgrind; after STARTUP_S the profile is
#     dumped, and again after STEADY_S. Printed: instructions of the steady part per cycle, and the
#     callgrind file (callgrind_annotate --inclusive=yes FILE | swift demangle --simplified).
#   MODE=time: the daemon runs as it is; printed: user and system CPU per cycle over STEADY_S (from
#     /proc/PID/stat, 10 ms ticks) and, with perf, its context switches per cycle (`perf stat`).
#
# Usage: BIN=<dir with postgres-agent> Benchmarks/profile-snapshot-cycle.sh
# Environment: MODE (callgrind), STARTUP_S (40), STEADY_S (100), WORK (/tmp/pgagent-profile-cycle,
# removed and recreated), AGENT_INI_EXTRA (lines appended to the agent's configuration, such as
# $'[activity]\nsample_interval_ms = 0').
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
MODE=${MODE:-callgrind}
STARTUP_S=${STARTUP_S:-40}
STEADY_S=${STEADY_S:-100}
WORK=${WORK:-/tmp/pgagent-profile-cycle}
say() { printf 'profile-snapshot-cycle: %s\n' "$*" >&2; }
[ -n "${BIN:-}" ] || { say "BIN must name a directory holding a release postgres-agent"; exit 2; }
if [ "${MODE}" = callgrind ] && ! command -v callgrind_control >/dev/null; then say "needs valgrind"; exit 2; fi

rm -rf -- "${WORK}"
mkdir -p -- "${WORK}"
# Callgrind reads the symbol table; debug info only slows it.
objcopy --strip-debug "${BIN}/postgres-agent" "${WORK}/postgres-agent"
# shellcheck source=scripts/pg17-scratch.sh
source "${REPO}/scripts/pg17-scratch.sh"
pg17_scratch_up "${WORK}/clusters"
pg17_scratch_pgbench_init 10
cp "${WORK}/postgres-agent" "${WORK}/listener-postgres-agent"
pg17_scratch_listener "${WORK}" "${WORK}/listener-postgres-agent"
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
metrics="http://127.0.0.1:${metrics_port}/metrics"
pg17_scratch_agent_ini "${WORK}/agent.ini" "${WORK}/state" "${metrics_port}"
if [ -n "${AGENT_INI_EXTRA:-}" ]; then printf '%s\n' "${AGENT_INI_EXTRA}" >>"${WORK}/agent.ini"; fi
"${bindir}/pgbench" -h 127.0.0.1 -p "${port}" -U postgres -c 4 -j 2 -T $((STARTUP_S + STEADY_S + 60)) -n app >/dev/null 2>&1 &
pids+=($!)
run=("${WORK}/postgres-agent" run --config "${WORK}/agent.ini")
if [ "${MODE}" = callgrind ]; then
  run=(valgrind --tool=callgrind --demangle=no --dump-instr=no --callgrind-out-file="${WORK}/callgrind.%p" "${run[@]}")
fi
env MALLOC_ARENA_MAX=1 POSTGRES_AGENT_POSTGRES_PASSWORD="${password}" POSTGRES_AGENT_LISTENER_API_KEY="${key}" \
  "${run[@]}" 2>"${WORK}/agent.err" &
agent=$!
pids+=("${agent}")
pg17_scratch_scraper "${metrics}"
cycles() { python3 -c 'import re,sys,urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=30).read().decode()
print(int(sum(float(v) for v in re.findall(r"^pgagent_snapshot_cycles_total(?:\{[^}]*\})? (\S+)$", text, re.M))))' "${metrics}"; }
ticks() { awk '{print $14, $15}' "/proc/${agent}/stat"; }

sleep "${STARTUP_S}"
if [ "${MODE}" = callgrind ]; then callgrind_control -d "${agent}" >/dev/null; fi
c0=$(cycles)
read -r u0 s0 < <(ticks)
if [ "${MODE}" = time ] && command -v perf >/dev/null; then
  perf stat -e task-clock,context-switches -p "${agent}" -o "${WORK}/perf-stat.txt" -- sleep "${STEADY_S}" || sleep "${STEADY_S}"
else
  sleep "${STEADY_S}"
fi
read -r u1 s1 < <(ticks)
if [ "${MODE}" = callgrind ]; then callgrind_control -d "${agent}" >/dev/null; fi
c1=$(cycles)
n=$((c1 - c0))
kill -TERM "${agent}"; wait "${agent}" || true
echo "cycles: ${n} in ${STEADY_S} s"
if [ "${MODE}" = callgrind ]; then
  file=$(ls "${WORK}"/callgrind.*.2)
  total=$(callgrind_annotate "${file}" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "instructions per cycle: $(python3 -c "print(f'{${total} / max(1, ${n}) / 1e6:.1f} M')")"
  echo "profile: ${file}"
else
  tick=$(getconf CLK_TCK)
  python3 -c "n=max(1,${n}); t=${tick}; print(f'user {1000*(${u1}-${u0})/t/n:.1f} ms, system {1000*(${s1}-${s0})/t/n:.1f} ms per cycle')"
  if [ -f "${WORK}/perf-stat.txt" ]; then
    switches=$(awk '/context-switches/ {gsub(",", "", $1); print $1}' "${WORK}/perf-stat.txt")
    echo "context switches per cycle: $((switches / (n > 0 ? n : 1)))"
  fi
fi
