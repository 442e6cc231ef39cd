#!/usr/bin/env bash
# bench-schema.sh — benchmark of the schema visits (tables and indexes of every database) and of the
# activity sampling, on one real PostgreSQL 15 server holding many relations under load, beside Debian's
# prometheus-postgres-exporter with its table queries on, against the same server in the same run.
#
# Usage:
#   scripts/bench-schema.sh                       # full scale: 50,000 tables, 100,000 indexes, 500 connections
#   TABLES=3000 SKIP_AGENT=1 scripts/bench-schema.sh   # small, exporter only
#
# What it does, in one run:
#   1. a throwaway PG 15 cluster (Debian's, run as the postgres OS user) on a free port:
#      max_connections = 600, pg_stat_statements (track = all, track_planning = on), track_io_timing;
#      a login role `bench_monitor` (member of pg_monitor only, scram over 127.0.0.1);
#   2. 3 databases, shop / crm / analytics, with TABLES tables in all (40 % / 40 % / 20 %), each with a
#      primary key and one secondary index (so 2 × TABLES indexes), over 4 schemas; every FILLED_EVERY-th
#      table gets 10–100 rows, a few scans and ANALYZE; `pgbench -i` in shop. Every step is timed;
#   3. the load: ACTIVE pgbench clients that stay `active` (a short transaction, then pg_sleep in the
#      server; rate-limited by RATE), and CONNECTIONS − ACTIVE idle pgbench clients (a script of only
#      `\sleep`, so their sessions stay `idle`), some with `bitville-<id>` application names;
#   4. the agent, `collect --once` (COLLECT_RUNS times) with `databases = auto`: per schema visit its
#      `duration_ms`, the bytes of the visit's JSON, the snapshot's bytes (plain and gzip), the collect
#      process's wall and CPU time, and the server time of bench_monitor's statements per database
#      (pg_stat_statements, exec + plan, reset before each run);
#   5. prometheus-postgres-exporter (Debian, 0.11) with --auto-discover-databases and the table queries of
#      its shipped queries.yaml (pg_stat_user_tables, pg_statio_user_tables): SCRAPES scrapes, each timed
#      (curl), with its bytes, series and the server time of its statements (reset before each scrape);
#   6. the agent daemon, `run`, with `[activity] sample_interval_ms = 1000` and a snapshot interval of an
#      hour (so only the sampler runs in the window): for SAMPLE_SECONDS, the agent's CPU (/proc), the CPU
#      of its server backends (/proc) and the sampler statement's server time (pg_stat_statements), per
#      sample. It sends to the reference listener (`postgres-agent listener`) on loopback;
#   7. a Markdown report (stdout and RESULTS/report.md): machine, versions, setup times, results.
# Everything it started is stopped on exit and the cluster removed; RESULTS is kept.
#
# Environment (defaults in brackets):
#   BENCH_ROOT      cluster and load files [/tmp/pgagent-bench-schema]; removed at exit. The postgres OS
#                   user must reach it (no 0700 parent).
#   RESULTS         results and report [/tmp/pgagent-bench-schema-results]; kept
#   AGENT           the agent binary [<repo>/.build/release/postgres-agent]
#   SKIP_AGENT      1: skip both agent phases [0]. Also skipped, with a message, when AGENT is missing.
#   SKIP_EXPORTER   1: skip the exporter phase [0]
#   TABLES          tables in all [50000]; indexes are twice that
#   CONNECTIONS     client connections of the load [500]; ACTIVE of them active [50]
#   ACTIVE_SLEEP_MS pg_sleep after each active transaction [100]; RATE pgbench -R, all active clients [500]
#   SCALE           pgbench -i scale [10]; FILLED_EVERY: every n-th table gets rows [10]
#   COLLECT_RUNS [2], SCRAPES [3], SAMPLE_SECONDS [60]
#   KEEP_SCRAPES    1: keep each scrape's text in RESULTS (~150 MiB each at full scale) [0: first 300 lines]
#   EXPORTER        the exporter binary [/usr/bin/prometheus-postgres-exporter]; installed with apt-get
#                   when missing (as root). EXPORTER_QUERIES: a queries file to use instead of the two table
#                   queries taken from the shipped examples/queries.yaml.
#   PGSTATTUPLE     1: CREATE EXTENSION pgstattuple in the 3 databases, so visits may use
#                   pgstattuple_approx for bloat [0: they estimate from dead tuples]
#   PG_BIN          PostgreSQL 15 binaries [/usr/lib/postgresql/15/bin]
set -euo pipefail
umask 022

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
BENCH_ROOT=$(realpath -m -- "${BENCH_ROOT:-/tmp/pgagent-bench-schema}")
RESULTS=$(realpath -m -- "${RESULTS:-/tmp/pgagent-bench-schema-results}")
AGENT=${AGENT:-${REPO}/.build/release/postgres-agent}
SKIP_AGENT=${SKIP_AGENT:-0}
SKIP_EXPORTER=${SKIP_EXPORTER:-0}
TABLES=${TABLES:-50000}
CONNECTIONS=${CONNECTIONS:-500}
ACTIVE=${ACTIVE:-50}
ACTIVE_SLEEP_MS=${ACTIVE_SLEEP_MS:-100}
RATE=${RATE:-500}
SCALE=${SCALE:-10}
FILLED_EVERY=${FILLED_EVERY:-10}
COLLECT_RUNS=${COLLECT_RUNS:-2}
SCRAPES=${SCRAPES:-3}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-60}
EXPORTER=${EXPORTER:-/usr/bin/prometheus-postgres-exporter}
EXPORTER_QUERIES=${EXPORTER_QUERIES:-}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGSTATTUPLE=${PGSTATTUPLE:-0}

readonly MONITOR=bench_monitor
readonly DATABASES=(shop crm analytics)
readonly ROOT_MARKER=.pgagent-bench-schema-root
readonly SOCK=${BENCH_ROOT}/socket
readonly DATA=${BENCH_ROOT}/data

# Libpq variables of the caller must not redirect our own psql/pgbench calls.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE \
  PGSERVICEFILE PGOPTIONS PGDATA PGSSLMODE PGAPPNAME PGCONNECT_TIMEOUT

say() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

for v in TABLES CONNECTIONS ACTIVE ACTIVE_SLEEP_MS RATE SCALE FILLED_EVERY COLLECT_RUNS SCRAPES SAMPLE_SECONDS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "${v} must be a whole number (got '${!v}')"
done
((TABLES >= 3)) || die "TABLES must be at least 3"
((ACTIVE >= 1 && CONNECTIONS > ACTIVE)) || die "need 1 <= ACTIVE < CONNECTIONS"
((CONNECTIONS <= 560)) || die "CONNECTIONS must stay under max_connections (600) less room for the monitors"
((FILLED_EVERY >= 1)) || die "FILLED_EVERY must be at least 1"
[[ ${EUID} -eq 0 ]] || die "run as root (the server runs as the postgres OS user through runuser)"
[[ -x ${PG_BIN}/postgres ]] || die "no PostgreSQL 15 in ${PG_BIN} (apt-get install -y postgresql-15 postgresql-contrib)"
getent passwd postgres >/dev/null || die "no postgres OS user"
command -v python3 >/dev/null || die "python3 is needed"
command -v curl >/dev/null || die "curl is needed"

# ---------------------------------------------------------------- helpers --

now() { date +%s.%N; }
elapsed() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$1" "$(now)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { (cd / && runuser -u postgres -- "$@"); }

# Superuser psql over the socket: psql_su DB SQL (prints unaligned tuples).
psql_su() {
  "${PG_BIN}/psql" -X -q -At -v ON_ERROR_STOP=1 -h "${SOCK}" -p "${PORT}" -U postgres -d "$1" -c "$2"
}

# CPU ticks (utime + stime) of a process; fields after the ") " that ends the command name.
proc_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") || return 1
  stat=${stat##*) }
  local -a f
  read -r -a f <<<"${stat}"
  echo $((f[11] + f[12]))
}
proc_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# "busy total" jiffies of all CPUs (/proc/stat): busy = total − idle − iowait.
host_jiffies() {
  awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}
host_busy_percent() { # "busy0 total0" "busy1 total1"
  python3 -c 'import sys; b0, t0 = map(int, sys.argv[1].split()); b1, t1 = map(int, sys.argv[2].split());
print(f"{100 * (b1 - b0) / max(1, t1 - t0):.0f}")' "$1" "$2"
}

# pg_stat_statements of bench_monitor: reset, and a JSON summary (per database and per statement).
pgss_reset() { psql_su postgres "SELECT pg_stat_statements_reset('${MONITOR}'::regrole::oid)" >/dev/null; }
pgss_json() {
  psql_su postgres "
    WITH s AS (
      SELECT coalesce(d.datname, '?') AS datname, s.calls, s.rows, s.total_exec_time, s.total_plan_time,
             regexp_replace(left(s.query, 400), '\s+', ' ', 'g') AS query
      FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid
      WHERE s.userid = '${MONITOR}'::regrole AND s.toplevel)
    SELECT json_build_object(
      'databases', (SELECT coalesce(json_agg(r ORDER BY r.datname), '[]') FROM (
          SELECT datname, sum(calls)::bigint AS calls, min(calls)::bigint AS min_calls, count(*) AS statements,
                 round(sum(total_exec_time + total_plan_time)::numeric, 3) AS server_ms,
                 round(sum(total_plan_time)::numeric, 3) AS plan_ms
          FROM s GROUP BY datname) r),
      'statements', (SELECT coalesce(json_agg(r ORDER BY r.total_ms DESC), '[]') FROM (
          SELECT datname, calls, rows,
                 round((total_exec_time + total_plan_time)::numeric, 3) AS total_ms,
                 round(((total_exec_time + total_plan_time) / greatest(calls, 1))::numeric, 3) AS mean_ms,
                 round((total_exec_time / greatest(calls, 1))::numeric, 3) AS mean_exec_ms,
                 query
          FROM s) r))"
}

# Backends of bench_monitor: "pid pid ..."
monitor_pids() {
  psql_su postgres "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE usename = '${MONITOR}' AND pid <> pg_backend_pid()"
}
# CPU time of the given (single-threaded) pids that still exist, in ns, as "pid:ns" pairs: the first
# field of /proc/PID/schedstat (exact), else utime + stime (10 ms ticks).
pids_cpu_ns() {
  local pid ns out=()
  for pid in "$@"; do
    [[ -r /proc/${pid}/stat ]] || continue
    ns=$(awk '{print $1}' "/proc/${pid}/schedstat" 2>/dev/null || true)
    [[ ${ns} =~ ^[0-9]+$ ]] || ns=$(($(proc_ticks "${pid}" 2>/dev/null || echo 0) * 1000000000 / $(getconf CLK_TCK)))
    out+=("${pid}:${ns}")
  done
  echo "${out[*]}"
}

# ----------------------------------------------------------- cleanup/trap --

PIDS=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "${pid}" 2>/dev/null || true; done
  teardown_root
  exit "${rc}"
}

teardown_root() {
  [[ -e ${BENCH_ROOT} ]] || return 0
  [[ ${BENCH_ROOT} != / && -d ${BENCH_ROOT} ]] || die "refusing to remove ${BENCH_ROOT}"
  if [[ ! -f ${BENCH_ROOT}/${ROOT_MARKER} ]] && [[ -n $(ls -A -- "${BENCH_ROOT}") ]]; then
    die "${BENCH_ROOT} is not empty and was not made by this script; not touching it"
  fi
  if [[ -f ${DATA}/postmaster.pid ]]; then
    as_pg "${PG_BIN}/pg_ctl" -D "${DATA}" -m immediate -w stop >/dev/null 2>&1 || {
      local pm
      pm=$(head -n 1 "${DATA}/postmaster.pid" 2>/dev/null || true)
      if [[ ${pm} =~ ^[0-9]+$ ]]; then kill -QUIT "${pm}" 2>/dev/null || true; sleep 1; fi
    }
  fi
  rm -rf -- "${BENCH_ROOT}"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ agent --

AGENT_OK=1
AGENT_NOTE=""
if [[ ${SKIP_AGENT} == 1 ]]; then
  AGENT_OK=0
  AGENT_NOTE="skipped (SKIP_AGENT=1)"
elif [[ ! -x ${AGENT} ]]; then
  AGENT_OK=0
  AGENT_NOTE="skipped: no agent binary at ${AGENT} (build it: swift build -c release --product postgres-agent; or set AGENT)"
  say "${AGENT_NOTE}"
fi

# -------------------------------------------------------------- exporter --

if [[ ${SKIP_EXPORTER} != 1 && ! -x ${EXPORTER} ]]; then
  say "installing prometheus-postgres-exporter (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q prometheus-postgres-exporter </dev/null >&2 ||
    { apt-get update -q </dev/null >&2 && apt-get install -y -q prometheus-postgres-exporter </dev/null >&2; } ||
    die "could not install prometheus-postgres-exporter"
  # The package enables a service; under systemd it may have started one on :9187. We leave it alone and
  # run our own on a free port.
fi

# ---------------------------------------------------------------- cluster --

rm -rf -- "${RESULTS}"
mkdir -p -- "${RESULTS}"
teardown_root
mkdir -p -- "${BENCH_ROOT}" "${SOCK}" "${BENCH_ROOT}/load"
touch -- "${BENCH_ROOT}/${ROOT_MARKER}"
chmod 0755 -- "${BENCH_ROOT}" "${SOCK}" "${BENCH_ROOT}/load"
chown postgres: -- "${BENCH_ROOT}" "${SOCK}"
as_pg test -w "${BENCH_ROOT}" || die "postgres cannot write ${BENCH_ROOT}; is a parent directory mode 0700?"

declare -A SETUP_S=()
t_all=$(now)
t=$(now)
PORT=$(free_port)
PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
say "initdb and start (port ${PORT})"
as_pg env LC_ALL=C "${PG_BIN}/initdb" -D "${DATA}" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C --no-sync >"${RESULTS}/initdb.log" 2>&1 || { cat "${RESULTS}/initdb.log" >&2; die "initdb failed"; }
cat >>"${DATA}/postgresql.conf" <<CONF

# ---- scripts/bench-schema.sh ----
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${SOCK}'
max_connections = 600
password_encryption = 'scram-sha-256'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'all'
pg_stat_statements.track_planning = on
pg_stat_statements.max = 10000
track_io_timing = on
shared_buffers = 256MB
logging_collector = on
log_directory = 'log'
log_min_messages = warning
# throwaway cluster: durability off
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
cat >"${DATA}/pg_hba.conf" <<'HBA'
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      trust
host    all       postgres  127.0.0.1/32   trust
host    all       all       127.0.0.1/32   scram-sha-256
HBA
as_pg "${PG_BIN}/pg_ctl" -D "${DATA}" -l "${BENCH_ROOT}/startup.log" -w -t 60 start >/dev/null ||
  { cat "${BENCH_ROOT}/startup.log" >&2; die "the server did not start"; }
psql_su postgres "
  CREATE ROLE ${MONITOR} LOGIN PASSWORD '${PASSWORD}';
  GRANT pg_monitor TO ${MONITOR};
  CREATE EXTENSION pg_stat_statements;" >/dev/null
for db in "${DATABASES[@]}"; do
  psql_su postgres "CREATE DATABASE ${db}" >/dev/null
  if [[ ${PGSTATTUPLE} == 1 ]]; then psql_su "${db}" "CREATE EXTENSION pgstattuple" >/dev/null; fi
done
SETUP_S[cluster]=$(elapsed "${t}")

# Tables per database: 40 % / 40 % / the rest.
declare -A NTABLES=([shop]=$((TABLES * 2 / 5)) [crm]=$((TABLES * 2 / 5)))
NTABLES[analytics]=$((TABLES - NTABLES[shop] - NTABLES[crm]))

# One psql per database: a procedure that creates its tables, committing every 250 tables, then one that
# fills every FILLED_EVERY-th table, scans it and analyzes it. The setup sessions are not tracked by
# pg_stat_statements (50,000 distinct DDL texts would only churn it).
make_tables_sql() { # db count
  local db=$1 n=$2
  cat <<SQL
SET pg_stat_statements.track = 'none';
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS sales;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS archive;
CREATE PROCEDURE pg_temp.make_tables(n int) LANGUAGE plpgsql AS \$\$
DECLARE
  schemas text[] := ARRAY['public', 'sales', 'ops', 'archive'];
  s text; t text;
BEGIN
  FOR i IN 1..n LOOP
    s := schemas[1 + i % 4];
    t := format('${db}_t%s', lpad(i::text, 6, '0'));
    EXECUTE format('CREATE TABLE %I.%I (id bigint PRIMARY KEY, account_id bigint NOT NULL, status smallint NOT NULL DEFAULT 0, '
                   'amount numeric(12,2), note text, created_at timestamptz NOT NULL DEFAULT now())', s, t);
    EXECUTE format('CREATE INDEX %I ON %I.%I (account_id)', t || '_account_idx', s, t);
    IF i % 250 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$;
CALL pg_temp.make_tables(${n});
SQL
}
fill_tables_sql() { # db count
  local db=$1 n=$2
  cat <<SQL
SET pg_stat_statements.track = 'none';
SET client_min_messages = warning;
CREATE PROCEDURE pg_temp.fill_tables(n int, every int) LANGUAGE plpgsql AS \$\$
DECLARE
  schemas text[] := ARRAY['public', 'sales', 'ops', 'archive'];
  s text; t text; nrows int; k int := 0; dummy bigint;
BEGIN
  FOR i IN 1..n BY every LOOP
    s := schemas[1 + i % 4];
    t := format('${db}_t%s', lpad(i::text, 6, '0'));
    nrows := 10 + (i * 7919) % 91;
    EXECUTE format('INSERT INTO %I.%I (id, account_id, status, amount, note) '
                   'SELECT g, g %% 17, g %% 3, g * 1.25, repeat(''x'', 20 + g %% 50) FROM generate_series(1, %s) g', s, t, nrows);
    EXECUTE format('DELETE FROM %I.%I WHERE id %% 9 = 0', s, t);
    EXECUTE format('SELECT count(*) FROM %I.%I', s, t) INTO dummy;
    EXECUTE format('SELECT count(*) FROM %I.%I WHERE account_id = 3', s, t) INTO dummy;
    EXECUTE format('ANALYZE %I.%I', s, t);
    k := k + 1;
    IF k % 100 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$;
CALL pg_temp.fill_tables(${n}, ${FILLED_EVERY});
SQL
}
run_sql_file() { # db file log
  "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "${SOCK}" -p "${PORT}" -U postgres -d "$1" -f "$2" >"$3" 2>&1
}

say "creating ${TABLES} tables with 2 indexes each in ${DATABASES[*]} (${NTABLES[shop]}/${NTABLES[crm]}/${NTABLES[analytics]})"
t=$(now)
ddl_pids=()
for db in "${DATABASES[@]}"; do
  make_tables_sql "${db}" "${NTABLES[${db}]}" >"${BENCH_ROOT}/load/ddl-${db}.sql"
  run_sql_file "${db}" "${BENCH_ROOT}/load/ddl-${db}.sql" "${RESULTS}/ddl-${db}.log" &
  ddl_pids+=($!)
done
for i in "${!ddl_pids[@]}"; do
  wait "${ddl_pids[i]}" || { cat "${RESULTS}/ddl-${DATABASES[i]}.log" >&2; die "creating the tables of ${DATABASES[i]} failed"; }
done
SETUP_S[ddl]=$(elapsed "${t}")
say "tables created in ${SETUP_S[ddl]} s"

say "filling every ${FILLED_EVERY}th table (rows, scans, ANALYZE)"
t=$(now)
fill_pids=()
for db in "${DATABASES[@]}"; do
  fill_tables_sql "${db}" "${NTABLES[${db}]}" >"${BENCH_ROOT}/load/fill-${db}.sql"
  run_sql_file "${db}" "${BENCH_ROOT}/load/fill-${db}.sql" "${RESULTS}/fill-${db}.log" &
  fill_pids+=($!)
done
for i in "${!fill_pids[@]}"; do
  wait "${fill_pids[i]}" || { cat "${RESULTS}/fill-${DATABASES[i]}.log" >&2; die "filling the tables of ${DATABASES[i]} failed"; }
done
SETUP_S[fill]=$(elapsed "${t}")
say "filled in ${SETUP_S[fill]} s"

say "pgbench -i -s ${SCALE} in shop"
t=$(now)
PGOPTIONS='-c pg_stat_statements.track=none' "${PG_BIN}/pgbench" -h "${SOCK}" -p "${PORT}" -U postgres -i -s "${SCALE}" -q shop \
  >"${RESULTS}/pgbench-init.log" 2>&1 || { cat "${RESULTS}/pgbench-init.log" >&2; die "pgbench -i failed"; }
SETUP_S[pgbench_init]=$(elapsed "${t}")

# What the databases hold, as the monitoring role sees it.
inventory_json() {
  local db rows=()
  for db in postgres "${DATABASES[@]}"; do
    rows+=("$(psql_su "${db}" "SELECT json_build_object('datname', current_database(),
      'tables', (SELECT count(*) FROM pg_stat_user_tables),
      'indexes', (SELECT count(*) FROM pg_stat_user_indexes),
      'relations', (SELECT count(*) FROM pg_class),
      'size_bytes', pg_database_size(current_database()))")")
  done
  local IFS=,
  echo "[${rows[*]}]"
}
inventory_json >"${RESULTS}/inventory.json"
say "inventory: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(", ".join("%s %d tables %d indexes" % (r["datname"], r["tables"], r["indexes"]) for r in d))' "${RESULTS}/inventory.json")"

# ------------------------------------------------------------------- load --

# Active clients: a short write transaction, then pg_sleep inside the server, so each session is `active`
# nearly all the time while the CPUs stay mostly free. Idle clients: a script of only \sleep (client side),
# so their sessions sit `idle` with an open connection.
cat >"${BENCH_ROOT}/load/active.sql" <<SQL
\set aid random(1, ${SCALE} * 100000)
\set tid random(1, ${SCALE} * 10)
\set bid random(1, ${SCALE})
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
SELECT pg_sleep(${ACTIVE_SLEEP_MS} / 1000.0);
SQL
printf '\\sleep 5 s\n' >"${BENCH_ROOT}/load/idle.sql"

# A pgbench group: name clients appname script [extra args]
start_pgbench() {
  local name=$1 clients=$2 app=$3 script=$4
  shift 4
  ((clients > 0)) || return 0
  PGAPPNAME=${app} "${PG_BIN}/pgbench" -h "${SOCK}" -p "${PORT}" -U postgres -n -c "${clients}" -j 1 -T 86400 \
    -f "${script}" "$@" shop >"${RESULTS}/load-${name}.log" 2>&1 &
  PIDS+=($!)
}
rand_id() { od -An -tx1 -N6 /dev/urandom | tr -d ' \n'; }

say "load: ${ACTIVE} active clients (pg_sleep ${ACTIVE_SLEEP_MS} ms after each transaction, at most ${RATE} tps), $((CONNECTIONS - ACTIVE)) idle"
t=$(now)
IDLE=$((CONNECTIONS - ACTIVE))
# 5 groups of active clients, each its own correlation id; the rate is shared out by clients.
groups=5
((ACTIVE < groups)) && groups=${ACTIVE}
for ((g = 0; g < groups; g++)); do
  n=$((ACTIVE / groups + (g < ACTIVE % groups ? 1 : 0)))
  r=$((RATE * n / ACTIVE))
  ((r >= 1)) || r=1
  start_pgbench "active${g}" "${n}" "bitville-$(rand_id)" "${BENCH_ROOT}/load/active.sql" -R "${r}"
done
# Idle: a third with correlation ids (two groups), the rest as a plain connection pool.
idle_b=$((IDLE / 6))
start_pgbench idle0 "${idle_b}" "bitville-$(rand_id)" "${BENCH_ROOT}/load/idle.sql"
start_pgbench idle1 "${idle_b}" "bitville-$(rand_id)" "${BENCH_ROOT}/load/idle.sql"
start_pgbench idle2 $((IDLE - 2 * idle_b)) "web-pool" "${BENCH_ROOT}/load/idle.sql"

# Wait for every client connection (pgbench opens them all before it starts).
for ((i = 0; i < 240; i++)); do
  n=$(psql_su postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> 'psql'")
  ((n >= CONNECTIONS)) && break
  for pid in "${PIDS[@]}"; do
    kill -0 "${pid}" 2>/dev/null || { tail -n 5 "${RESULTS}"/load-*.log >&2; die "a pgbench of the load exited"; }
  done
  sleep 0.5
done
((n >= CONNECTIONS)) || die "only ${n} of ${CONNECTIONS} load connections after 120 s"
SETUP_S[load_start]=$(elapsed "${t}")
SETUP_S[total]=$(elapsed "${t_all}")
say "load running: ${n} client connections (setup took ${SETUP_S[total]} s in all)"

# How many sessions are active, sampled: "active idle other" per sample, 5 samples 1 s apart.
session_states() {
  local out=() i
  for ((i = 0; i < 5; i++)); do
    out+=("$(psql_su postgres "SELECT count(*) FILTER (WHERE state = 'active') || ' ' ||
        count(*) FILTER (WHERE state = 'idle') || ' ' || count(*) FILTER (WHERE state NOT IN ('active', 'idle'))
      FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
        AND usename <> '${MONITOR}'")")
    sleep 1
  done
  printf '%s\n' "${out[@]}"
}

# The load alone: host CPU over 10 s, and the session states.
sleep 5
j0=$(host_jiffies)
session_states >"${RESULTS}/sessions-load.txt"
sleep 5
LOAD_BUSY=$(host_busy_percent "${j0}" "$(host_jiffies)")
say "load alone: host CPUs ${LOAD_BUSY} % busy; sessions (active idle other): $(tr '\n' ';' <"${RESULTS}/sessions-load.txt")"

# ---------------------------------------------------------- agent: schema --

AGENT_VERSION=""
SCHEMA_NOTE=""
ACTIVITY_NOTE=""
if ((AGENT_OK)); then
  AGENT_VERSION=$("${AGENT}" --version 2>/dev/null || echo unknown)
  mkdir -p "${RESULTS}/agent-state"
  cat >"${RESULTS}/agent-schema.ini" <<INI
[agent]
project = bench-schema
interval_seconds = 60
state_dir = ${RESULTS}/agent-state
log_level = warning

[postgres]
conninfo = host=127.0.0.1 port=${PORT} dbname=postgres user=${MONITOR} sslmode=disable
databases = auto
schema_interval_seconds = 600

[collectors]
top_tables = 50
top_indexes = 50
schema_timeout_ms = 30000
INI
  for ((run = 1; run <= COLLECT_RUNS; run++)); do
    say "agent: collect --once, run ${run} of ${COLLECT_RUNS}"
    pgss_reset
    j0=$(host_jiffies)
    rc=0
    POSTGRES_AGENT_POSTGRES_PASSWORD=${PASSWORD} python3 - "${RESULTS}/collect-${run}" "${AGENT}" collect --once \
      --config "${RESULTS}/agent-schema.ini" <<'PY' || rc=$?
import json, resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
with open(out + ".json", "wb") as so, open(out + ".err", "wb") as se:
    rc = subprocess.call(argv, stdout=so, stderr=se)
wall = time.monotonic() - t0
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": rc, "wall_s": wall, "user_s": r1.ru_utime - r0.ru_utime, "sys_s": r1.ru_stime - r0.ru_stime,
           "maxrss_kib": r1.ru_maxrss}, open(out + ".proc", "w"))
sys.exit(rc)
PY
    host_busy_percent "${j0}" "$(host_jiffies)" >"${RESULTS}/collect-${run}.busy"
    pgss_json >"${RESULTS}/collect-${run}.pgss"
    if ((rc != 0)); then
      SCHEMA_NOTE="collect --once exited ${rc}: $(tail -n 3 "${RESULTS}/collect-${run}.err" | tr '\n' ' ')"
      if ((rc == 78)); then
        SCHEMA_NOTE="the agent at ${AGENT} refused the configuration (does it support databases/schema_interval_seconds/top_tables/top_indexes/schema_timeout_ms yet?): $(tail -n 1 "${RESULTS}/collect-${run}.err")"
      fi
      say "${SCHEMA_NOTE}"
      break
    fi
    if ! python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; sys.exit(0 if any("schema" in x for x in d) else 1)' \
      "${RESULTS}/collect-${run}.json"; then
      SCHEMA_NOTE="the snapshot of ${AGENT} has no \`schema\` array: the agent does not visit schemas yet"
      say "${SCHEMA_NOTE}"
    fi
  done
fi

# --------------------------------------------------------------- exporter --

EXPORTER_VERSION=""
EXPORTER_NOTE=""
if [[ ${SKIP_EXPORTER} == 1 ]]; then
  EXPORTER_NOTE="skipped (SKIP_EXPORTER=1)"
else
  EXPORTER_VERSION=$("${EXPORTER}" --version 2>&1 | head -n 1)
  if [[ -z ${EXPORTER_QUERIES} ]]; then
    # The table queries of the exporter's shipped examples (0.11 has no table collector of its own; later
    # versions turned these into --collector.stat_user_tables and --collector.statio_user_tables).
    shipped=/usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml
    [[ -f ${shipped} ]] || shipped=${shipped}.gz
    [[ -f ${shipped} ]] || die "no ${shipped%.gz}; set EXPORTER_QUERIES"
    EXPORTER_QUERIES=${RESULTS}/exporter-queries.yaml
    { if [[ ${shipped} == *.gz ]]; then zcat "${shipped}"; else cat "${shipped}"; fi; } |
      awk '/^[A-Za-z_][A-Za-z0-9_]*:/ {keep = ($1 == "pg_stat_user_tables:" || $1 == "pg_statio_user_tables:")} keep' \
        >"${EXPORTER_QUERIES}"
    if ! grep -q '^pg_statio_user_tables:' "${EXPORTER_QUERIES}" || ! grep -q '^pg_stat_user_tables:' "${EXPORTER_QUERIES}"; then
      die "the table queries were not found in ${shipped}"
    fi
  fi
  EXPORTER_PORT=$(free_port)
  say "exporter: ${EXPORTER_VERSION} on 127.0.0.1:${EXPORTER_PORT}, --auto-discover-databases, queries ${EXPORTER_QUERIES}"
  DATA_SOURCE_NAME="postgresql://${MONITOR}:${PASSWORD}@127.0.0.1:${PORT}/postgres?sslmode=disable" \
    "${EXPORTER}" --web.listen-address="127.0.0.1:${EXPORTER_PORT}" --auto-discover-databases \
    --extend.query-path="${EXPORTER_QUERIES}" --log.level=warn >"${RESULTS}/exporter.log" 2>&1 &
  EXPORTER_PID=$!
  PIDS+=("${EXPORTER_PID}")
  for ((i = 0; i < 100; i++)); do
    curl -fsS -o /dev/null "http://127.0.0.1:${EXPORTER_PORT}/" 2>/dev/null && break
    kill -0 "${EXPORTER_PID}" 2>/dev/null || { cat "${RESULTS}/exporter.log" >&2; die "the exporter exited"; }
    sleep 0.1
  done
  for ((s = 1; s <= SCRAPES; s++)); do
    pgss_reset
    c0=$(proc_ticks "${EXPORTER_PID}")
    j0=$(host_jiffies)
    curl -sS -o "${RESULTS}/scrape-${s}.txt" -w '{"http_code": %{http_code}, "time_total": %{time_total}, "size_download": %{size_download}}' \
      --max-time 600 "http://127.0.0.1:${EXPORTER_PORT}/metrics" >"${RESULTS}/scrape-${s}.curl" ||
      echo '{"http_code": 0, "time_total": 0, "size_download": 0}' >"${RESULTS}/scrape-${s}.curl"
    echo "$(($(proc_ticks "${EXPORTER_PID}") - c0)) $(proc_rss_kib "${EXPORTER_PID}") $(host_busy_percent "${j0}" "$(host_jiffies)")" \
      >"${RESULTS}/scrape-${s}.proc"
    pgss_json >"${RESULTS}/scrape-${s}.pgss"
    # Series (non-comment lines), table series, metric names; the text itself (~150 MiB at full scale) is
    # not kept, only its first 300 lines.
    awk '!/^#/ && NF {n++; if ($0 ~ /^pg_stat(io)?_user_tables_/) t++; m = $0; sub(/[{ ].*/, "", m); names[m] = 1}
      END {print n + 0, t + 0, length(names)}' "${RESULTS}/scrape-${s}.txt" >"${RESULTS}/scrape-${s}.series"
    if [[ ${KEEP_SCRAPES:-0} != 1 ]]; then
      head -n 300 "${RESULTS}/scrape-${s}.txt" >"${RESULTS}/scrape-${s}.head.txt"
      rm -f -- "${RESULTS}/scrape-${s}.txt"
    fi
    say "scrape ${s}: $(<"${RESULTS}/scrape-${s}.curl"), series/table series/names: $(<"${RESULTS}/scrape-${s}.series")"
  done
  kill -TERM "${EXPORTER_PID}" 2>/dev/null || true
  wait "${EXPORTER_PID}" 2>/dev/null || true
fi

# ------------------------------------------------------- agent: activity --

if ((AGENT_OK)); then
  say "agent: run with activity sampling every second, ${SAMPLE_SECONDS} s measured"
  key="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  printf '%s\n' "${key}" >"${RESULTS}/listener.tokens"
  chmod 600 "${RESULTS}/listener.tokens"
  "${AGENT}" listener --listen 127.0.0.1:0 --token-file "${RESULTS}/listener.tokens" --store "${RESULTS}/listener.sqlite" \
    --log-level warning >"${RESULTS}/listener.out" 2>"${RESULTS}/listener.err" &
  LISTENER_PID=$!
  PIDS+=("${LISTENER_PID}")
  for ((i = 0; i < 500; i++)); do grep -q '^listening on ' "${RESULTS}/listener.out" 2>/dev/null && break; sleep 0.02; done
  url=$(sed -n 's/^listening on //p' "${RESULTS}/listener.out")
  metrics_port=$(free_port)
  # No new keys here (so an older binary runs it too): the daemon's default schema settings. The snapshot
  # cycle runs once at start and then not again for an hour, so the measured window holds only the sampler.
  cat >"${RESULTS}/agent-activity.ini" <<INI
[agent]
project = bench-schema
interval_seconds = 3600
state_dir = ${RESULTS}/agent-run-state
log_level = warning

[postgres]
conninfo = host=127.0.0.1 port=${PORT} dbname=postgres user=${MONITOR} sslmode=disable

[activity]
sample_interval_ms = 1000

[listener]
url = ${url}

[metrics]
listen = 127.0.0.1:${metrics_port}
INI
  if [[ -z ${url} ]]; then
    ACTIVITY_NOTE="the reference listener did not start: $(tail -n 2 "${RESULTS}/listener.err" | tr '\n' ' ')"
  else
    pgss_reset
    POSTGRES_AGENT_POSTGRES_PASSWORD=${PASSWORD} POSTGRES_AGENT_LISTENER_API_KEY=${key} \
      "${AGENT}" run --config "${RESULTS}/agent-activity.ini" 2>"${RESULTS}/agent-run.log" &
    RUN_PID=$!
    PIDS+=("${RUN_PID}")
    cycles=0
    for ((i = 0; i < 600; i++)); do
      kill -0 "${RUN_PID}" 2>/dev/null || break
      cycles=$(curl -fsS "http://127.0.0.1:${metrics_port}/metrics" 2>/dev/null |
        awk '/^pgagent_snapshot_cycles_total/ {s += $NF} END {print s + 0}') || cycles=0
      ((cycles >= 1)) && break
      sleep 0.2
    done
    if ! kill -0 "${RUN_PID}" 2>/dev/null; then
      ACTIVITY_NOTE="postgres-agent run exited: $(tail -n 3 "${RESULTS}/agent-run.log" | tr '\n' ' ')"
    elif ((cycles < 1)); then
      ACTIVITY_NOTE="postgres-agent run finished no snapshot cycle in 120 s"
    else
      # The first cycle (with the default `databases = auto` of a binary that visits: one visit of each
      # database) is measured too, then the window starts.
      sleep 3
      pgss_json >"${RESULTS}/first-cycle.pgss"
      curl -fsS "http://127.0.0.1:${metrics_port}/metrics" >"${RESULTS}/first-cycle.metrics" 2>/dev/null || true
      pgss_reset
      read -r -a mpids <<<"$(monitor_pids)"
      b0=$(pids_cpu_ns "${mpids[@]}")
      a0=$(proc_ticks "${RUN_PID}")
      j0=$(host_jiffies)
      t0=$(now)
      sleep "${SAMPLE_SECONDS}"
      a1=$(proc_ticks "${RUN_PID}")
      b1=$(pids_cpu_ns "${mpids[@]}")
      window=$(elapsed "${t0}")
      busy=$(host_busy_percent "${j0}" "$(host_jiffies)")
      rss=$(proc_rss_kib "${RUN_PID}")
      pgss_json >"${RESULTS}/activity.pgss"
      cycles_after=$(curl -fsS "http://127.0.0.1:${metrics_port}/metrics" 2>/dev/null |
        awk '/^pgagent_snapshot_cycles_total/ {s += $NF} END {print s + 0}') || cycles_after=-1
      python3 - "${a0}" "${a1}" "${b0}" "${b1}" "${window}" "${busy}" "${rss}" "${cycles}" "${cycles_after}" \
        "$(getconf CLK_TCK)" >"${RESULTS}/activity.proc" <<'PY'
import json, sys
a0, a1, b0, b1, window, busy, rss, c0, c1, hz = sys.argv[1:11]
hz = int(hz)
def ticks(s):
    return dict((p.split(":")[0], int(p.split(":")[1])) for p in s.split())
t0, t1 = ticks(b0), ticks(b1)
backend = sum(t1[p] - t0[p] for p in t0 if p in t1)
json.dump({"agent_cpu_s": (int(a1) - int(a0)) / hz, "backend_cpu_s": backend / 1e9, "backends": len(t0),
           "backends_gone": len([p for p in t0 if p not in t1]), "window_s": float(window),
           "host_busy_percent": int(busy), "agent_rss_kib": int(rss), "cycles_before": int(c0),
           "cycles_after": int(c1), "clk_tck": hz}, sys.stdout)
PY
    fi
    kill -TERM "${RUN_PID}" 2>/dev/null || true
    wait "${RUN_PID}" 2>/dev/null || true
  fi
  kill -TERM "${LISTENER_PID}" 2>/dev/null || true
  wait "${LISTENER_PID}" 2>/dev/null || true
  [[ -z ${ACTIVITY_NOTE} ]] || say "${ACTIVITY_NOTE}"
fi

# The load's own figures, then stop it before the report.
session_states >"${RESULTS}/sessions-end.txt"
# (SIGTERM: background jobs of a non-interactive shell ignore SIGINT.)
for pid in "${PIDS[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "${pid}" 2>/dev/null || true; done
PIDS=()

# ----------------------------------------------------------------- report --

{
  echo "machine_nproc=$(nproc)"
  echo "machine_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "machine_mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "machine_kernel=$(uname -r)"
  echo "pg_version=$(psql_su postgres 'SHOW server_version')"
  echo "exporter_version=${EXPORTER_VERSION}"
  echo "exporter_note=${EXPORTER_NOTE}"
  echo "agent=${AGENT}"
  echo "agent_version=${AGENT_VERSION}"
  echo "agent_note=${AGENT_NOTE}"
  echo "schema_note=${SCHEMA_NOTE}"
  echo "activity_note=${ACTIVITY_NOTE}"
  echo "commit=$(git -C "${REPO}" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "${REPO}" diff --quiet HEAD 2>/dev/null || echo '+changes')"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load_busy=${LOAD_BUSY}"
  for k in "${!SETUP_S[@]}"; do echo "setup_${k}=${SETUP_S[${k}]}"; done
  for v in TABLES CONNECTIONS ACTIVE ACTIVE_SLEEP_MS RATE SCALE FILLED_EVERY COLLECT_RUNS SCRAPES SAMPLE_SECONDS PGSTATTUPLE; do
    echo "param_${v}=${!v}"
  done
} >"${RESULTS}/meta.env"

python3 - "${RESULTS}" <<'PY' | tee "${RESULTS}/report.md"
import glob, gzip, json, os, re, statistics, sys

root = sys.argv[1]
meta = {}
for line in open(f"{root}/meta.env"):
    k, _, v = line.rstrip("\n").partition("=")
    meta[k] = v
p = lambda k: meta.get("param_" + k, "")

def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default

def kib(n):
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1048576:.2f} MiB"

def states(path):
    rows = [list(map(int, l.split())) for l in open(path) if l.strip()]
    if not rows:
        return "?"
    return " / ".join(f"{min(c)}–{max(c)}" if min(c) != max(c) else str(c[0]) for c in zip(*rows))

print("## Schema visits and activity sampling at scale (scripts/bench-schema.sh)\n")
print(f"**Machine.** {meta['machine_nproc']} CPUs (`nproc`), \"{meta['machine_model']}\", {meta['machine_mem']} RAM, "
      f"kernel {meta['machine_kernel']}; PostgreSQL {meta['pg_version']}; {meta['exporter_version'] or 'exporter not run'}; "
      f"agent {meta['agent_version'] or '(not run)'} ({meta['agent']}). Commit {meta['commit']}, run on {meta['date']}.\n")

inv = load(f"{root}/inventory.json", [])
print("**Server.** " + ", ".join(f"`{r['datname']}` {r['tables']:,} tables / {r['indexes']:,} indexes "
      f"({r['relations']:,} pg_class rows, {kib(r['size_bytes'])})" for r in inv)
      + f"; in all {sum(r['tables'] for r in inv):,} tables and {sum(r['indexes'] for r in inv):,} indexes. "
      f"Every {p('FILLED_EVERY')}th table holds 10–100 rows and was scanned and analyzed.\n")
print(f"**Load.** {p('CONNECTIONS')} client connections: {p('ACTIVE')} pgbench clients (update, select, insert, then "
      f"`pg_sleep({int(p('ACTIVE_SLEEP_MS')) / 1000})`; at most {p('RATE')} tps in all) and "
      f"{int(p('CONNECTIONS')) - int(p('ACTIVE'))} idle pgbench clients (`\\sleep` only). Sessions active / idle / other, "
      f"5 samples: {states(f'{root}/sessions-load.txt')} before the measurements, {states(f'{root}/sessions-end.txt')} at the end. "
      f"Host CPUs {meta['load_busy']} % busy with the load alone.\n")

print("**Setup (s).** " + ", ".join(f"{k} {meta['setup_' + k]}" for k in
      ("cluster", "ddl", "fill", "pgbench_init", "load_start", "total") if "setup_" + k in meta) + "\n")

# ---- agent: schema visits
print("### Agent: schema visits (`collect --once`, `databases = auto`)\n")
if meta.get("agent_note"):
    print(f"Not measured: {meta['agent_note']}\n")
else:
    if meta.get("schema_note"):
        print(f"**Note:** {meta['schema_note']}\n")
    for path in sorted(glob.glob(f"{root}/collect-*.proc"), key=lambda s: int(re.findall(r"(\d+)\.proc$", s)[0])):
        run = re.findall(r"collect-(\d+)\.proc$", path)[0]
        proc = load(path, {})
        pgss = load(f"{root}/collect-{run}.pgss", {"databases": [], "statements": []})
        busy = open(f"{root}/collect-{run}.busy").read().strip()
        lines = [l for l in open(f"{root}/collect-{run}.json", encoding="utf-8") if l.strip()] if proc.get("rc") == 0 else []
        print(f"Run {run}: exit {proc.get('rc')}, wall {proc.get('wall_s', 0) * 1000:.0f} ms, agent CPU "
              f"{(proc.get('user_s', 0) + proc.get('sys_s', 0)) * 1000:.0f} ms (user {proc.get('user_s', 0) * 1000:.0f}, "
              f"sys {proc.get('sys_s', 0) * 1000:.0f}), peak RSS {proc.get('maxrss_kib', 0) / 1024:.1f} MiB, host CPUs {busy} % busy.\n")
        server = {d["datname"]: d for d in pgss["databases"]}
        for line in lines:
            doc = json.loads(line)
            raw = line.rstrip("\n").encode("utf-8")
            visits = doc.get("schema") or []
            print(f"Snapshot `{doc.get('agent', {}).get('instance', '?')}`: {kib(len(raw))} "
                  f"({len(raw):,} bytes; gzip {kib(len(gzip.compress(raw)))}), {len(visits)} schema visits, "
                  f"{len(doc.get('errors') or [])} errors{': ' + json.dumps(doc.get('errors'))[:400] if doc.get('errors') else ''}.\n")
            if not visits:
                continue
            print("| database | wall (`duration_ms`) | server time in the database, exec + plan (ms) | visits (est.) | server time per visit (ms) | statements / calls | complete | tables (sent / other / total) | indexes (sent / other / total) | visit JSON bytes |")
            print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
            for v in visits:
                b = len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
                s = server.get(v.get("datname"), {})
                to, io = v.get("tables_other") or {}, v.get("indexes_other") or {}
                per = f"{float(s['server_ms']) / max(1, s['min_calls']):.1f}" if s else "—"
                print(f"| {v.get('datname')} | {v.get('duration_ms', 0):.1f} | {s.get('server_ms', '—')} | {s.get('min_calls', '—')} | {per} | "
                      f"{s.get('statements', '—')} / {s.get('calls', '—')} | {v.get('complete')} | "
                      f"{len(v.get('tables') or [])} / {to.get('count', 0):,} / {v.get('tables_total', 0):,} | "
                      f"{len(v.get('indexes') or [])} / {io.get('count', 0):,} / {v.get('indexes_total', 0):,} | {b:,} |")
            print()
            print("Visits (est.) = the fewest calls of any of bench_monitor's statements in that database: `collect --once` "
                  "takes a second sample when a collector has no baseline (always, for the host's CPU rates), and both samples "
                  "visit every database; the JSON holds the second. The `postgres` row also holds the snapshot's other "
                  "collectors (statements, activity, locks, database, settings). Visit JSON bytes: the visit object written "
                  "again compactly (Python `json.dumps`, separators `,` and `:`, UTF-8), as the agent writes it.\n")
        rest = [d for d in pgss["databases"] if d["datname"] not in {v.get("datname") for l in lines for v in (json.loads(l).get("schema") or [])}]
        if rest:
            print("Server time of bench_monitor in databases without a visit in the output (the rest of the snapshot, "
                  "or visits not printed): " + ", ".join(f"{d['datname']} {d['server_ms']} ms ({d['calls']} calls)" for d in rest) + "\n")
        top = pgss["statements"][:8]
        if top:
            print("<details><summary>bench_monitor's statements, by server time</summary>\n")
            print("| database | calls | rows | total ms | mean ms | statement |")
            print("|---|---:|---:|---:|---:|---|")
            for s in top:
                q = s["query"][:140].replace("|", "\\|")
                print(f"| {s['datname']} | {s['calls']} | {s['rows']} | {s['total_ms']} | {s['mean_ms']} | `{q}` |")
            print("\n</details>\n")

# ---- exporter
print("### prometheus-postgres-exporter, table queries on (`--auto-discover-databases`, "
      "pg_stat_user_tables + pg_statio_user_tables from its examples/queries.yaml)\n")
if meta.get("exporter_note"):
    print(f"Not measured: {meta['exporter_note']}\n")
else:
    print("| scrape | HTTP | wall (curl) | bytes | series | of which table series | metric names | server time, exec + plan (ms) | per database (ms) | exporter CPU (ms) | exporter RSS | host CPUs busy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    hz = os.sysconf("SC_CLK_TCK")
    scrapes = sorted(glob.glob(f"{root}/scrape-*.curl"), key=lambda s: int(re.findall(r"(\d+)\.curl$", s)[0]))
    for path in scrapes:
        n = re.findall(r"scrape-(\d+)\.curl$", path)[0]
        c = load(path, {})
        try:
            series, tables, names = map(int, open(f"{root}/scrape-{n}.series").read().split())
        except (OSError, ValueError):
            series = tables = names = 0
        ticks, rss, busy = open(f"{root}/scrape-{n}.proc").read().split()
        g = load(f"{root}/scrape-{n}.pgss", {"databases": []})
        total = sum(float(d["server_ms"]) for d in g["databases"])
        per = ", ".join(f"{d['datname']} {float(d['server_ms']):.0f}" for d in g["databases"])
        print(f"| {n} | {c.get('http_code')} | {c.get('time_total', 0) * 1000:.0f} ms | {kib(c.get('size_download', 0))} | {series:,} | {tables:,} | {names} | "
              f"{total:.1f} | {per} | {int(ticks) * 1000 / hz:.0f} | {int(rss) / 1024:.1f} MiB | {busy} % |")
    print()
    if scrapes:
        last = re.findall(r"scrape-(\d+)\.curl$", scrapes[-1])[0]
        g = load(f"{root}/scrape-{last}.pgss", {"statements": []})
        print(f"<details><summary>the exporter's statements in scrape {last}, by server time</summary>\n")
        print("| database | calls | rows | total ms | statement |")
        print("|---|---:|---:|---:|---|")
        for s in g["statements"][:10]:
            q = s["query"][:140].replace("|", "\\|")
            print(f"| {s['datname']} | {s['calls']} | {s['rows']} | {s['total_ms']} | `{q}` |")
        print("\n</details>\n")

# ---- agent: activity sampling
print("### Agent: activity sampling (`run`, `[activity] sample_interval_ms = 1000`)\n")
if meta.get("agent_note"):
    print(f"Not measured: {meta['agent_note']}\n")
elif meta.get("activity_note"):
    print(f"Not measured: {meta['activity_note']}\n")
else:
    fc = load(f"{root}/first-cycle.pgss", {"databases": []})
    dur = ""
    try:
        for l in open(f"{root}/first-cycle.metrics"):
            if l.startswith("pgagent_snapshot_duration_seconds"):
                dur = f"{float(l.split()[-1]) * 1000:.0f} ms"
    except OSError:
        pass
    if fc["databases"]:
        print(f"The daemon's first snapshot cycle (`pgagent_snapshot_duration_seconds` {dur or '?'}; with `databases = auto`, "
              "the default, one visit of each database): server time of bench_monitor's statements, exec + plan, per database: "
              + ", ".join(f"{d['datname']} {float(d['server_ms']):.1f} ms ({d['statements']} statements, {d['calls']} calls)"
                          for d in fc["databases"]) + ".\n")
    a = load(f"{root}/activity.proc", {})
    g = load(f"{root}/activity.pgss", {"statements": []})
    sampler = [s for s in g["statements"] if "pg_stat_activity" in s["query"]]
    sampler.sort(key=lambda s: -s["calls"])
    samp = sampler[0] if sampler else None
    others = [s for s in g["statements"] if s is not samp]
    n = samp["calls"] if samp else 0
    print("| metric | value | target |")
    print("|---|---:|---|")
    print(f"| window | {a.get('window_s', 0):.1f} s, {n} samples | |")
    if samp:
        print(f"| sampler statement, server time per sample (exec + plan, pg_stat_statements mean) | {samp['mean_ms']:.3f} ms | ≤ 1 ms |")
        print(f"| … of which execution (mean_exec_time) | {samp['mean_exec_ms']:.3f} ms | |")
        print(f"| rows per sample | {samp['rows'] / max(1, n):.1f} | |")
    print(f"| CPU of the agent's server backends per sample (/proc/PID/schedstat, {a.get('backends')} backends) | "
          f"{a.get('backend_cpu_s', 0) * 1000 / max(1, n):.2f} ms | ≤ 1 ms |")
    print(f"| agent CPU over the window (/proc/PID/stat utime + stime, all threads) | {a.get('agent_cpu_s', 0) * 1000:.0f} ms "
          f"({100 * a.get('agent_cpu_s', 0) / max(0.001, a.get('window_s', 1)):.2f} % of one core) | |")
    print(f"| agent RSS at the end | {a.get('agent_rss_kib', 0) / 1024:.1f} MiB | |")
    print(f"| snapshot cycles in the window | {a.get('cycles_after', 0) - a.get('cycles_before', 0)} | 0 (interval 3600 s) |")
    print(f"| host CPUs busy | {a.get('host_busy_percent')} % | |")
    print()
    if samp:
        print(f"Sampler statement: `{samp['query'][:200]}`\n")
    if others:
        print("Other statements of bench_monitor in the window: " + "; ".join(
            f"`{s['query'][:60]}` ×{s['calls']} ({s['total_ms']} ms)" for s in others[:6]) + "\n")
PY
say "report: ${RESULTS}/report.md"
