#!/usr/bin/env bash
# make-symbol-order.sh — writes Sources/postgres-agent/symbol-order.txt, the order in which lld lays out the
# release binary's functions (Package.swift passes it as --symbol-ordering-file). The agent's executable is
# 35 MB of code of which the daemon runs about 3.7 MB; left in link order, those functions are spread over
# the whole .text, and each page fault maps the 64 KiB around it, so the daemon kept ~20 MiB of code
# resident for ~2 MiB it ran. Laid out together, the code it runs fits in a few MiB.
#
# How: the release daemon runs under valgrind's callgrind against a PG 17 cluster of its own
# (scripts/test-clusters.sh) under light pgbench with log_min_duration_statement = 0, tailing the server's
# log, snapshots every 10 s, /metrics scraped, sending to the reference listener. Callgrind is dumped
# after STARTUP_S (start-up and the first cycles) and again after STEADY_S more (steady state), and once
# at the exit. The file lists the steady state's functions by their cost, then start-up's, then the
# exit's: the steady set first and contiguous, start-up's after it, so that a page-out after start-up
# (ExecutablePageOut) leaves the steady set to fault back alone.
#
# A function missing from the file is laid out where the linker puts it anyway; a stale file costs memory,
# never correctness. Regenerate it when the daemon's code paths change much (a new collector, a new
# dependency), and measure with Benchmarks/run-footprint-benchmark.sh.
#
# Functions in input sections larger than 64 KiB (objects built without function sections, such as the
# Swift standard library's bulk) are left out: see symbol-order.py. It reads the sections from the
# linker's map, so this script makes the release build itself (scripts/release-build.sh) with the map on.
# Then run scripts/release-build.sh again to link with the new order (it relinks when the file is newer
# than the binary; SwiftPM alone would not notice).
#
# Usage: scripts/make-symbol-order.sh
# Environment: STARTUP_S (60), STEADY_S (120), WORK (/tmp/pgagent-symbol-order, removed and recreated).
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
STARTUP_S=${STARTUP_S:-60}
STEADY_S=${STEADY_S:-120}
WORK=${WORK:-/tmp/pgagent-symbol-order}
say() { printf 'make-symbol-order: %s\n' "$*" >&2; }
if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then say "needs valgrind (apt-get install valgrind)"; exit 2; fi

rm -rf -- "${WORK}"
mkdir -p -- "${WORK}"
"${REPO}/scripts/stamp-commit.sh"
BIN=$(RELEASE_LINK_MAP="${WORK}/link.map" "${REPO}/scripts/release-build.sh")
# Callgrind reads the symbol table; debug info only slows it.
objcopy --strip-debug "${BIN}/postgres-agent" "${WORK}/postgres-agent"
# shellcheck source=scripts/pg17-scratch.sh
source "${HERE}/pg17-scratch.sh"
pg17_scratch_up "${WORK}/clusters"
pg17_scratch_pgbench_init 2
cp "${WORK}/postgres-agent" "${WORK}/listener-postgres-agent"
pg17_scratch_listener "${WORK}" "${WORK}/listener-postgres-agent"
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pg17_scratch_agent_ini "${WORK}/agent.ini" "${WORK}/state" "${metrics_port}" auto
"${bindir}/pgbench" -h 127.0.0.1 -p "${port}" -U postgres -c 2 -R 100 -T $((STARTUP_S + STEADY_S + 60)) -n app >/dev/null 2>&1 &
pids+=($!)
# Errors and failed logins, so that the classifier's other paths run too.
(while sleep 3; do
   "${bindir}/psql" -X -q -h 127.0.0.1 -p "${port}" -U postgres -d app -c "SELECT * FROM no_such_table" >/dev/null 2>&1
   PGPASSWORD=wrong "${bindir}/psql" -X -q -h 127.0.0.1 -p "${port}" -U bitville_monitor -d app -c "SELECT 1" >/dev/null 2>&1
 done) &
pids+=($!)
env MALLOC_ARENA_MAX=1 POSTGRES_AGENT_POSTGRES_PASSWORD="${password}" POSTGRES_AGENT_LISTENER_API_KEY="${key}" \
  valgrind --tool=callgrind --demangle=no --dump-instr=no --callgrind-out-file="${WORK}/callgrind.%p" \
  "${WORK}/postgres-agent" run --config "${WORK}/agent.ini" 2>"${WORK}/agent.err" &
agent=$!
pids+=("${agent}")
pg17_scratch_scraper "http://127.0.0.1:${metrics_port}/metrics"
say "profiling: ${STARTUP_S} s of start-up, then ${STEADY_S} s of steady state"
sleep "${STARTUP_S}"; callgrind_control -d "${agent}" >/dev/null
sleep "${STEADY_S}"; callgrind_control -d "${agent}" >/dev/null
kill -TERM "${agent}"; wait "${agent}" || true
nm --defined-only "${WORK}/postgres-agent" | awk 'NF == 3 && $2 ~ /^[tTwW]$/ { print $3 }' >"${WORK}/functions"
python3 "${HERE}/symbol-order.py" --functions "${WORK}/functions" --map "${WORK}/link.map" \
  "${WORK}/callgrind.${agent}.2" "${WORK}/callgrind.${agent}.1" "${WORK}/callgrind.${agent}" \
  >"${REPO}/Sources/postgres-agent/symbol-order.txt"
say "wrote $(wc -l <"${REPO}/Sources/postgres-agent/symbol-order.txt") functions to Sources/postgres-agent/symbol-order.txt"
