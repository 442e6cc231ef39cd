#!/usr/bin/env bash
# Regenerates one set of stderr/csvlog/jsonlog fixtures from a real server (see README.md beside this file).
#
# Usage (from the repository root, with clusters started by
#   PGAGENT_TEST_ROOT=/tmp/pgagent-stderr scripts/test-clusters.sh up 15 17 18):
#   Tests/LogPipelineTests/Fixtures/generate-fixtures.sh CLUSTER SET-NAME 'LOG_LINE_PREFIX' [SETTING=VALUE ...]
# e.g. … pg17 debian '%m [%p] %q%u@%d '
#      … pg15 german '%m [%p] %q%u@%d ' lc_messages=de_DE.UTF-8
#
# It sets the prefix and the logging settings with ALTER SYSTEM, rotates the log, drives a workload
# (connections, errors with DETAIL/HINT/CONTEXT/QUERY, multi-line statements, slow-query lines with
# parameters, a lock wait, a deadlock, temp files, a checkpoint, a parallel worker's error, a failed
# login), rotates again and copies the three files of that stretch to Fixtures/SET-NAME/postgresql.{log,csv,json}.
set -euo pipefail
cluster=$1 set=$2 prefix=$3
shift 3
root=${PGAGENT_TEST_ROOT:-/tmp/pgagent-stderr}
fixtures=$(cd "$(dirname "$0")" && pwd)
info=$(python3 -c "
import json,sys
for c in json.load(open('$root/clusters.json'))['clusters']:
    if c['name']=='$cluster': print(c['bin_dir'], c['socket_dir'], c['port'], c['log_dir'], c['data_dir'], c['major'])")
read -r bin socket port logdir datadir major <<<"$info"
export PGPASSWORD=secret-pw
su() { "$bin/psql" -X -q -v ON_ERROR_STOP=0 "host=$socket port=$port user=postgres dbname=postgres" "$@"; }
as() { # as USER DB APP [psql args]: over TCP with a password
  local user=$1 db=$2 app=$3
  shift 3
  "$bin/psql" -X -q "host=127.0.0.1 port=$port user='$user' dbname='$db' application_name='$app'" "$@"
}

# Roles and a database with names that need care: spaces, '@' (as directory users have), a bracket.
su >/dev/null 2>&1 <<'SQL' || true
CREATE ROLE "alice@example.com" LOGIN PASSWORD 'secret-pw';
CREATE ROLE "app user" LOGIN PASSWORD 'secret-pw';
CREATE DATABASE "app db" OWNER "app user";
GRANT ALL ON DATABASE "app db" TO "alice@example.com";
SQL
as "app user" "app db" setup >/dev/null 2>&1 <<'SQL' || true
CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, name text, balance numeric DEFAULT 0);
INSERT INTO accounts VALUES (1, 'one'), (2, 'two') ON CONFLICT DO NOTHING;
GRANT ALL ON accounts TO "alice@example.com";
GRANT ALL ON SCHEMA public TO "alice@example.com";
CREATE OR REPLACE FUNCTION transfer(amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF amount > 100 THEN
    RAISE EXCEPTION 'transfer of % is over the limit', amount
      USING DETAIL = 'The limit is 100.', HINT = 'Split the transfer.', ERRCODE = 'P0001';
  END IF;
  RAISE WARNING 'transfer of % needs review', amount USING HINT = 'Ask a second person.';
END $$;
SQL

settings=(
  "log_line_prefix=$prefix" log_min_duration_statement=0 log_connections=on log_disconnections=on
  log_lock_waits=on deadlock_timeout=200ms log_temp_files=0 log_checkpoints=on log_min_messages=info
  log_autovacuum_min_duration=0 "$@"
)
for setting in "${settings[@]}"; do
  name=${setting%%=*} value=${setting#*=}
  su -c "ALTER SYSTEM SET $name = '${value//\'/\'\'}'" >/dev/null
done
su -c "SELECT pg_reload_conf()" >/dev/null
sleep 1.2
su -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 1.2
files=$(cat "$datadir/current_logfiles")

# ---- the workload ----
if ((major >= 16)); then parallel="debug_parallel_query"; else parallel="force_parallel_mode"; fi
as "app user" "app db" "web-1 @ checkout" >/dev/null 2>&1 <<SQL || true
INSERT INTO accounts VALUES (1, 'dup');
SELECT id,
       name
  FROM accounts
 WHERE id = 1;
SELECT 'a literal with
a newline and a	tab' AS text;
SELEC broken
  syntax;
DO \$\$ BEGIN EXECUTE 'SELECT * FROM no_such_table'; END \$\$;
SET application_name = 'bitville-3f2a9c1e-7d44-4b8e-9a0f-1c2d3e4f5a6b';
DO \$\$ BEGIN PERFORM 1 / 0; END \$\$;
SELECT \$1::int + \$2::int AS sum \\bind 20 22 \\g
SET work_mem = '64kB';
SELECT count(*) FROM (SELECT g FROM generate_series(1, 60000) g ORDER BY g DESC) s;
-- A parallel worker's error: logged by the worker itself, with its leader's pid.
SET $parallel = on;
SELECT 1 / (g - 5000) FROM generate_series(1, 10000) g;
SQL
as "alice@example.com" "app db" "report [nightly], v2" -c "SELECT transfer(500)" -c "SELECT transfer(50)" \
  >/dev/null 2>&1 || true
# A lock wait (log_lock_waits) that resolves.
as "app user" "app db" "holder" -c "BEGIN" -c "LOCK TABLE accounts" -c "SELECT pg_sleep(0.6)" -c "COMMIT" >/dev/null 2>&1 &
sleep 0.2
as "app user" "app db" "waiter" -c "UPDATE accounts SET balance = balance + 1 WHERE id = 2" >/dev/null 2>&1 || true
wait
# A deadlock.
as "app user" "app db" "deadlock a" -c "BEGIN" -c "UPDATE accounts SET balance = 1 WHERE id = 1" -c "SELECT pg_sleep(0.4)" \
  -c "UPDATE accounts SET balance = 1 WHERE id = 2" -c "COMMIT" >/dev/null 2>&1 &
sleep 0.1
as "app user" "app db" "deadlock b" -c "BEGIN" -c "UPDATE accounts SET balance = 2 WHERE id = 2" -c "SELECT pg_sleep(0.4)" \
  -c "UPDATE accounts SET balance = 2 WHERE id = 1" -c "COMMIT" >/dev/null 2>&1 || true
wait
# A failed login, a checkpoint, and a notice from the superuser over the socket.
PGPASSWORD=wrong "$bin/psql" -X -q "host=127.0.0.1 port=$port user='app user' dbname='app db'" -c "SELECT 1" >/dev/null 2>&1 || true
su -c "CHECKPOINT" -c "DO \$\$ BEGIN RAISE NOTICE 'maintenance window: % rows', 42; END \$\$" >/dev/null 2>&1
sleep 1.2
su -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 0.5

mkdir -p "$fixtures/$set"
while read -r format path; do
  case $format in
    stderr) cp "$path" "$fixtures/$set/postgresql.log" ;;
    csvlog) cp "$path" "$fixtures/$set/postgresql.csv" ;;
    jsonlog) cp "$path" "$fixtures/$set/postgresql.json" ;;
  esac
done <<<"$files"
# Put the settings back for the next set.
su -c "ALTER SYSTEM RESET ALL" >/dev/null
su -c "SELECT pg_reload_conf()" >/dev/null
ls -la "$fixtures/$set"
