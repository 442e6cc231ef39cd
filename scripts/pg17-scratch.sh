# pg17-scratch.sh — sourced by the benchmarks and scripts/make-symbol-order.sh: starts a PG 17 cluster of
# the test harness under a scratch root, and stops it (after killing the caller's background processes)
# when the caller exits.
#
#   source scripts/pg17-scratch.sh
#   pg17_scratch_up ROOT [CLEANUP_FUNCTION]
#
# Sets PGAGENT_TEST_ROOT=ROOT, port, bindir and password (the monitoring role's), an empty pids array the
# caller appends its background pids to, and psql_su SQL (runs SQL as the superuser on database app). At
# exit: the pids are killed and waited for, CLEANUP_FUNCTION runs if given, and the cluster is stopped.
# shellcheck shell=bash

pg17_scratch_up() {
  local repo
  repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
  export PGAGENT_TEST_ROOT=$1
  PG17_SCRATCH_CLEANUP=${2:-}
  PG17_SCRATCH_REPO=${repo}
  "${repo}/scripts/test-clusters.sh" up 17 >/dev/null
  pids=()
  trap pg17_scratch_down EXIT
  local json=${PGAGENT_TEST_ROOT}/clusters.json
  # port, bindir and password are for the caller.
  port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clusters"][0]["port"])' "${json}")
  bindir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clusters"][0]["bin_dir"])' "${json}")
  # shellcheck disable=SC2034
  password=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_password"])' "${json}")
}

pg17_scratch_down() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${PG17_SCRATCH_CLEANUP}" ]; then "${PG17_SCRATCH_CLEANUP}"; fi
  "${PG17_SCRATCH_REPO}/scripts/test-clusters.sh" down >/dev/null 2>&1 || true
}

psql_su() { "${bindir}/psql" -X -q -h 127.0.0.1 -p "${port}" -U postgres -d app -c "$1" >/dev/null; }

# Makes the server log every statement and fills database app with pgbench's tables at scale $1.
pg17_scratch_pgbench_init() {
  psql_su "ALTER SYSTEM SET log_min_duration_statement = 0"
  psql_su "SELECT pg_reload_conf()"
  "${bindir}/pgbench" -h 127.0.0.1 -p "${port}" -U postgres -i -s "$1" -q app >/dev/null 2>&1
}

# Starts the reference listener (`BINARY listener`) with a fresh key in DIR/tokens and its store in DIR;
# sets key and url, and adds its pid to pids.
pg17_scratch_listener() {
  local dir=$1 binary=$2
  key="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  printf '%s\n' "${key}" >"${dir}/tokens"
  chmod 600 "${dir}/tokens"
  "${binary}" listener --listen 127.0.0.1:0 --token-file "${dir}/tokens" --store "${dir}/listener.sqlite" \
    --log-level warning >"${dir}/listener.out" 2>"${dir}/listener.err" &
  pids+=($!)
  for _ in $(seq 1 500); do grep -q '^listening on ' "${dir}/listener.out" 2>/dev/null && break; sleep 0.02; done
  # shellcheck disable=SC2034 # for the caller
  url=$(sed -n 's/^listening on //p' "${dir}/listener.out")
}

# Writes the agent's configuration for the scratch server to FILE: snapshots every 10 s, state in
# STATE_DIR, /metrics on 127.0.0.1:METRICS_PORT, sending to the listener at $url; LOGS (a [logs] path,
# such as auto) turns log tailing on.
pg17_scratch_agent_ini() {
  local file=$1 state=$2 metrics_port=$3 logs=${4:-}
  {
    printf '[agent]\ninterval_seconds = 10\nstate_dir = %s\nlog_level = warning\n' "${state}"
    printf '[postgres]\nconninfo = host=127.0.0.1 port=%s dbname=app user=bitville_monitor\n' "${port}"
    if [ -n "${logs}" ]; then printf '[logs]\npath = %s\n' "${logs}"; fi
    printf '[listener]\nurl = %s\n[metrics]\nlisten = 127.0.0.1:%s\n' "${url}" "${metrics_port}"
  } >"${file}"
}

# Scrapes URL every 10 s in the background, as Prometheus would; adds its pid to pids.
pg17_scratch_scraper() {
  (while sleep 10; do python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5).read()' \
     "$1" >/dev/null 2>&1; done) &
  pids+=($!)
}
