#!/usr/bin/env bash
# run-footprint-benchmark.sh — issue 15's benchmark ("Footprint"): the release daemon as the package ships
# it (static Swift stdlib, MALLOC_* as packaging/postgres-agent.service sets them) against a PG 17 cluster under
# unthrottled pgbench (`-c 4 -j 2`, no -R) with log_min_duration_statement = 0, snapshots every
# INTERVAL_S (10) s, sending to the reference listener on loopback; and where its resident memory goes.
#   Phase 1 "tailing" (DURATION_S, default 600): log tailing on (`[logs] path = auto`), with Debian's
#   prometheus-postgres-exporter (same server, same monitoring role) and prometheus-node-exporter
#   running beside it (EXPORTERS=1). Every SCRAPE_S (10) s the sampler scrapes the agent's and both
#   exporters' /metrics and reads VmRSS/RssAnon/RssFile of all three from /proc.
#   Phase 2 "snapshots" (SNAPSHOT_ONLY_S, default 300): a second daemon with log tailing off, same load,
#   no exporters: RSS without tailing and CPU per snapshot cycle (its CPU / its cycles, /metrics serving
#   and sending included).
# At the end of each phase, while the load still runs: footprint-breakdown.py (smaps + pagemap: the
# executable by section and by module, ICU's data, libraries, malloc arenas, thread stacks; a copy of
# smaps and smaps-summary.py's table), then allocator-view.py (gdb calls malloc_info, malloc_stats and
# SQLite's sqlite3_memory_used in the process; then malloc_trim(0) to show what trimming would give
# back; ALLOCATOR=0 skips it, and it is skipped without gdb); then pageout-probe.py (PAGEOUT_S): the
# kernel is asked to reclaim the executable's file pages (process_madvise MADV_PAGEOUT) and RSS is
# followed for PAGEOUT_S s under the same load: how much of the file-backed RSS the agent needs.
# Reported: log entries/s and lines/s (the agent's pgagent_log_entries_total / _lines_total), CPU % of
# one core (and scaled linearly to 10,000 entries/s), CPU per cycle (phase 2), RSS start/steady/max and
# VmHWM, threads; the exporters' RSS and CPU the same way. Summary in RESULTS/summary.md.
#
# Usage: BIN=.build-release/release Benchmarks/run-footprint-benchmark.sh
#        (without BIN it builds as scripts/install.sh does, with scripts/release-build.sh into
#        --scratch-path .build-release)
# Environment (defaults):
#   BIN               directory holding a built postgres-agent; empty: build it (see above)
#   RESULTS           /tmp/pgagent-bench-footprint (removed and recreated; clusters under RESULTS/clusters)
#   DURATION_S        600   phase 1; 0 skips it
#   SNAPSHOT_ONLY_S   300   phase 2; 0 skips it
#   INTERVAL_S        10    the agent's snapshot interval
#   SCRAPE_S          10    sampling and scraping beat
#   EXPORTERS         1     run postgres_exporter and node_exporter beside phase 1 (0: not)
#   ALLOCATOR         1     the gdb probe at the end of each phase (0: not)
#   WORKING_SET_S     30    footprint-breakdown.py --working-set: pages touched in this long (0: not)
#   PAGEOUT_S         120   pageout-probe.py after the other probes, this long (0: not)
#   MALLOC_ENV        the MALLOC_* and GLIBC_TUNABLES words of packaging/postgres-agent.service's Environment=
#                     lines (what the installed agent runs with); the agent's whole malloc environment,
#                     space-separated NAME=VALUE words, e.g. "MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072"
#                     or GLIBC_TUNABLES=glibc.malloc.arena_max=1; "" for glibc's defaults
#   AGENT_ENV         more NAME=VALUE words for the agent's environment only, for experiments (e.g. an
#                     LD_PRELOAD); empty by default
#   AGENT_ARGS        more arguments to `postgres-agent run`, for experiments (e.g. --page-out-after-seconds 0)
#   EXTRA_INI         lines appended to each phase's configuration, for experiments (e.g. a [spool] section)
#   PGBENCH_CLIENTS   4, PGBENCH_JOBS 2, PGBENCH_SCALE 10
# The listener runs from a copy of the binary, so that the agent's file pages are mapped by the agent
# alone, as on a database host. The server writes stderr, csvlog and jsonlog at ~24,000 entries/s:
# about 1.4 GB of logs a minute under RESULTS/clusters, removed at the end with the cluster.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
RESULTS=${RESULTS:-/tmp/pgagent-bench-footprint}
DURATION_S=${DURATION_S:-600}
SNAPSHOT_ONLY_S=${SNAPSHOT_ONLY_S:-300}
INTERVAL_S=${INTERVAL_S:-10}
SCRAPE_S=${SCRAPE_S:-10}
EXPORTERS=${EXPORTERS:-1}
ALLOCATOR=${ALLOCATOR:-1}
WORKING_SET_S=${WORKING_SET_S:-30}
PAGEOUT_S=${PAGEOUT_S:-120}
unit_malloc_env() {
  sed -n 's/^Environment=//p' "${REPO}/packaging/postgres-agent.service" | tr -d '"' | tr ' ' '\n' |
    grep -E '^(MALLOC_[A-Z_]+|GLIBC_TUNABLES)=' | paste -sd ' ' -
}
MALLOC_ENV=${MALLOC_ENV-$(unit_malloc_env)}
EXTRA_INI=${EXTRA_INI:-}
AGENT_ENV=${AGENT_ENV:-}
AGENT_ARGS=${AGENT_ARGS:-}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-4}
PGBENCH_JOBS=${PGBENCH_JOBS:-2}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
RELEASE_SCRATCH=${RELEASE_SCRATCH:-${REPO}/.build-release}
say() { printf 'run-footprint-benchmark: %s\n' "$*" >&2; }

for word in ${MALLOC_ENV}; do
  [[ ${word} =~ ^(MALLOC_[A-Z_]+|GLIBC_TUNABLES)=[^[:space:]]*$ ]] || { say "MALLOC_ENV: not a malloc setting: ${word}"; exit 2; }
done
if [ -z "${BIN:-}" ]; then
  "${REPO}/scripts/install-deps.sh"
  say "building the release agent (static Swift standard library)"
  BIN=$(RELEASE_SCRATCH="${RELEASE_SCRATCH}" "${REPO}/scripts/release-build.sh")
fi
BIN=$(cd -- "${BIN}" && pwd)
[ -x "${BIN}/postgres-agent" ] || { say "no ${BIN}/postgres-agent"; exit 2; }
if [ "${EXPORTERS}" = 1 ]; then
  for exporter in /usr/bin/prometheus-postgres-exporter /usr/bin/prometheus-node-exporter; do
    [ -x "${exporter}" ] || { say "${exporter} is missing (apt-get install ${exporter##*/}, or EXPORTERS=0)"; exit 2; }
  done
fi
if [ "${ALLOCATOR}" = 1 ] && ! command -v gdb >/dev/null; then
  say "gdb is not installed: no allocator view (apt-get install gdb)"
  ALLOCATOR=0
fi

rm -rf "${RESULTS}"
mkdir -p "${RESULTS}"
chmod 755 "${RESULTS}" # the postgres OS user must reach the clusters under it
{
  echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "binary ${BIN}/postgres-agent: $("${BIN}/postgres-agent" --version 2>&1 | head -1), $(stat -c '%s bytes, modified %y' "${BIN}/postgres-agent")"
  echo "tree at commit $(git -C "${REPO}" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "${REPO}" diff --quiet HEAD -- Sources 2>/dev/null || echo ' (Sources modified)')"
  echo "MALLOC_ENV '${MALLOC_ENV}'"
  if [ -n "${AGENT_ENV}" ]; then echo "AGENT_ENV '${AGENT_ENV}'"; fi
  if [ -n "${AGENT_ARGS}" ]; then echo "AGENT_ARGS '${AGENT_ARGS}'"; fi
  if [ -n "${EXTRA_INI}" ]; then echo "EXTRA_INI $(printf '%s' "${EXTRA_INI}" | tr '\n' ' ')"; fi
  echo "machine $(nproc) cores,$(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo), $(free -g | awk '/^Mem:/{print $2}') GiB; $(uname -r)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"${RESULTS}/run.txt"

# shellcheck source=scripts/pg17-scratch.sh
source "${REPO}/scripts/pg17-scratch.sh"
remove_listener_copy() { rm -f -- "${RESULTS}/listener-postgres-agent" "${RESULTS}"/listener.sqlite*; }
pg17_scratch_up "${RESULTS}/clusters" remove_listener_copy
say "pgbench -i -s ${PGBENCH_SCALE}"
pg17_scratch_pgbench_init "${PGBENCH_SCALE}"
cp "${BIN}/postgres-agent" "${RESULTS}/listener-postgres-agent"
pg17_scratch_listener "${RESULTS}" "${RESULTS}/listener-postgres-agent"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null && return 0; sleep 0.1; done; say "no answer from $1"; return 1; }

run_phase() { # name seconds logs(on|off) exporters(1|0)
  local name=$1 seconds=$2 logs=$3 exporters=$4 metrics_port
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
${EXTRA_INI}
INI
  say "phase ${name}: ${seconds} s, pgbench -c ${PGBENCH_CLIENTS} -j ${PGBENCH_JOBS} unthrottled, log tailing ${logs}, exporters ${exporters}"
  # Long enough to outlast the sampler's start-up, the phase and the probes at its end.
  "${bindir}/pgbench" -h 127.0.0.1 -p "${port}" -U postgres -c "${PGBENCH_CLIENTS}" -j "${PGBENCH_JOBS}" \
    -T $((seconds + WORKING_SET_S + PAGEOUT_S + 45)) -n app \
    >"${RESULTS}/${name}-pgbench.out" 2>&1 &
  local bench=$!
  pids+=("${bench}")
  local watch=()
  if [ "${exporters}" = 1 ]; then
    local pg_port node_port
    pg_port=$(free_port)
    DATA_SOURCE_NAME="postgresql://bitville_monitor:${password}@127.0.0.1:${port}/app?sslmode=disable" \
      /usr/bin/prometheus-postgres-exporter --web.listen-address="127.0.0.1:${pg_port}" \
      >"${RESULTS}/${name}-postgres-exporter.log" 2>&1 &
    local pg_exporter=$!
    pids+=("${pg_exporter}")
    node_port=$(free_port)
    /usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:${node_port}" \
      >"${RESULTS}/${name}-node-exporter.log" 2>&1 &
    local node_exporter=$!
    pids+=("${node_exporter}")
    wait_http "http://127.0.0.1:${pg_port}/metrics"
    wait_http "http://127.0.0.1:${node_port}/metrics"
    watch+=(--process postgres_exporter "${pg_exporter}" "http://127.0.0.1:${pg_port}/metrics"
            --process node_exporter "${node_exporter}" "http://127.0.0.1:${node_port}/metrics")
  fi
  # shellcheck disable=SC2086 # MALLOC_ENV and AGENT_ENV are lists of NAME=VALUE words, AGENT_ARGS of arguments
  env ${MALLOC_ENV} ${AGENT_ENV} POSTGRES_AGENT_POSTGRES_PASSWORD="${password}" POSTGRES_AGENT_LISTENER_API_KEY="${key}" \
    "${BIN}/postgres-agent" run --config "${RESULTS}/${name}.ini" ${AGENT_ARGS} 2>"${RESULTS}/${name}-agent.log" &
  local agent=$!
  pids+=("${agent}")
  wait_http "http://127.0.0.1:${metrics_port}/metrics"
  python3 "${HERE}/footprint-sampler.py" --seconds "${seconds}" --interval "${SCRAPE_S}" \
    --agent "${agent}" "http://127.0.0.1:${metrics_port}/metrics" "${watch[@]}" >"${RESULTS}/${name}-samples.json"
  ls "/proc/${agent}/task" >"${RESULTS}/${name}-tasks.txt"
  python3 "${HERE}/footprint-breakdown.py" "${agent}" --out "${RESULTS}/${name}-breakdown" --working-set "${WORKING_SET_S}" >/dev/null
  python3 "${HERE}/smaps-summary.py" "${RESULTS}/${name}-breakdown.smaps" --top 12 >"${RESULTS}/${name}-smaps.md"
  if [ "${ALLOCATOR}" = 1 ]; then
    python3 "${HERE}/allocator-view.py" "${agent}" --out "${RESULTS}/${name}" --trim >/dev/null || say "allocator view failed"
  fi
  if [ "${PAGEOUT_S}" -gt 0 ]; then
    python3 "${HERE}/pageout-probe.py" "${agent}" --seconds "${PAGEOUT_S}" --out "${RESULTS}/${name}" >/dev/null || say "pageout probe failed"
  fi
  kill -TERM "${agent}"; wait "${agent}" || true
  if [ "${exporters}" = 1 ]; then
    kill -TERM "${pg_exporter}" "${node_exporter}" 2>/dev/null || true
    wait "${pg_exporter}" "${node_exporter}" 2>/dev/null || true
  fi
  wait "${bench}" || true
  grep -E '^(latency average|tps)' "${RESULTS}/${name}-pgbench.out" >&2 || true
}
[ "${DURATION_S}" -gt 0 ] && run_phase tailing "${DURATION_S}" on "${EXPORTERS}"
[ "${SNAPSHOT_ONLY_S}" -gt 0 ] && run_phase snapshots "${SNAPSHOT_ONLY_S}" off 0
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"${RESULTS}/run.txt"

python3 - "${RESULTS}" "${HERE}" <<'PY' | tee "${RESULTS}/summary.md"
import json, os, re, sys
from importlib.machinery import SourceFileLoader
root, here = sys.argv[1], sys.argv[2]
view = SourceFileLoader("allocator_view", os.path.join(here, "allocator-view.py")).load_module()
def load(name):
    path = f"{root}/{name}"
    return json.load(open(path)) if os.path.exists(path) else None
def tps(name):
    try:
        m = re.search(r"^tps = ([0-9.]+)", open(f"{root}/{name}-pgbench.out").read(), re.M)
        return f"{float(m.group(1)):,.0f}" if m else "?"
    except OSError:
        return "?"
mib = lambda k: f"{k / 1024:.1f}"
phases = [(n, load(f"{n}-samples.json")) for n in ("tailing", "snapshots")]
phases = [(n, s) for n, s in phases if s]
print(open(f"{root}/run.txt").read().rstrip().replace("\n", "  \n"))
print()
print("| figure | " + " | ".join({"tailing": "phase 1: tailing + snapshots", "snapshots": "phase 2: snapshots only"}[n] for n, _ in phases) + " | target |")
print("|---|" + "---:|" * len(phases) + "---|")
def row(label, f, target=""):
    print(f"| {label} | " + " | ".join(f(n, s) for n, s in phases) + f" | {target} |")
agent = lambda s: s["processes"]["agent"]
row("duration, cycles", lambda n, s: f"{s['seconds']:.0f} s, {s['agent']['pgagent_snapshot_cycles_total']:.0f} cycles")
row("pgbench tps", lambda n, s: tps(n))
row("log entries/s (lines/s)", lambda n, s: f"{s['agent']['pgagent_log_entries_total'] / s['seconds']:,.0f} "
    f"({s['agent']['pgagent_log_lines_total'] / s['seconds']:,.0f})" if n == "tailing" else "—")
row("log lag at the end", lambda n, s: f"{s['agent'].get('pgagent_log_lag_bytes_end', 0) / 1048576:.1f} MiB" if n == "tailing" else "—")
row("RSS start / steady / max sampled, MiB", lambda n, s: f"{mib(agent(s)['rss_kib'][0])} / **{mib(agent(s)['rss_steady_kib'])}** / {mib(agent(s)['rss_max_kib'])}",
    "≤ 40 with tailing, ≤ 28 without")
row("VmHWM (peak since start), MiB", lambda n, s: mib(agent(s)["hwm_kib"]), "≤ 48 with tailing")
row("steady RssAnon / RssFile, MiB", lambda n, s: f"{mib(agent(s)['anon_steady_kib'])} / {mib(agent(s)['file_steady_kib'])}")
row("threads (max sampled)", lambda n, s: f"{agent(s)['threads']} ({agent(s)['threads_max']})")
row("CPU, % of one core", lambda n, s: f"{100 * agent(s)['cpu_seconds'] / s['seconds']:.2f} % ({agent(s)['cpu_seconds']:.1f} s)")
def scaled(n, s):
    rate = s["agent"]["pgagent_log_entries_total"] / s["seconds"]
    if n != "tailing" or rate <= 0:
        return "—"
    return f"{100 * agent(s)['cpu_seconds'] / s['seconds'] * 10000 / rate:.1f} %"
row("CPU scaled linearly to 10,000 entries/s", scaled, "≤ 10 %")
row("CPU per snapshot cycle", lambda n, s: f"{1000 * agent(s)['cpu_seconds'] / max(1, s['agent']['pgagent_snapshot_cycles_total']):.1f} ms"
    if n == "snapshots" else "—", "≤ 10 ms")
print()
tail = dict(phases).get("tailing")
if tail and len(tail["processes"]) > 1:
    print("Beside phase 1, each scraped every %d s:" % tail["interval"])
    print()
    print("| process | RSS start / steady / max, MiB | VmHWM MiB | steady RssAnon / RssFile, MiB | CPU % of one core | threads | scrapes (failed) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, p in tail["processes"].items():
        print(f"| {name} | {mib(p['rss_kib'][0])} / {mib(p['rss_steady_kib'])} / {mib(p['rss_max_kib'])} | {mib(p['hwm_kib'])} | "
              f"{mib(p['anon_steady_kib'])} / {mib(p['file_steady_kib'])} | {100 * p['cpu_seconds'] / tail['seconds']:.2f} | "
              f"{p['threads']} | {p['scrapes']} ({p['scrape_failures']}) |")
    print()
for n, _ in phases:
    print(f"### Where the agent's RSS is at the end of phase {n}")
    print()
    print(open(f"{root}/{n}-breakdown.md").read().rstrip())
    print()
    if os.path.exists(f"{root}/{n}.allocator.json"):
        print("glibc malloc (malloc_info through gdb):")
        print()
        print(view.markdown(json.load(open(f"{root}/{n}.allocator.json"))))
        print()
    if os.path.exists(f"{root}/{n}.pageout.json"):
        p = json.load(open(f"{root}/{n}.pageout.json"))
        b, first, end = p["before"], p["samples"][0], p["samples"][-1]
        print(f"The executable's file pages reclaimed (MADV_PAGEOUT{', ' + p['error'] if p['error'] else ''}), then "
              f"{end['t']:.0f} s more of the same load: executable Rss {b['exe']} → {first['exe']} → {end['exe']} KiB; "
              f"RssFile {b['RssFile']} → {first['RssFile']} → {end['RssFile']} KiB; VmRSS {b['VmRSS']} → {end['VmRSS']} KiB.")
        print()
PY
