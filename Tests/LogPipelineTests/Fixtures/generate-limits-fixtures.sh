#!/usr/bin/env bash
# Regenerates the small stderr/csvlog/jsonlog set with lock-not-available (NOWAIT) and temp_file_limit errors
# (see README.md beside this file, "Limits set").
#
# Usage (from the repository root, as root, with a cluster started by
#   PGAGENT_TEST_ROOT=/tmp/pgagent-limits scripts/test-clusters.sh up 17):
#   PGAGENT_TEST_ROOT=/tmp/pgagent-limits Tests/LogPipelineTests/Fixtures/generate-limits-fixtures.sh \
#     pg17 classes-limits-pg17 '%m [%p] %q%u@%d %a '
#
# What it does to the cluster (undone at the end, also on failure):
#   before the stretch  the database `depot` (owner depot_app, a password role) with tables stock and audit;
#   the stretch         ALTER SYSTEM of the logging settings with log_min_messages = panic, reload,
#                       pg_rotate_logfile() (silently: nothing is logged while the files switch), then
#                       log_min_messages = info and a reload; the scenario; log_min_messages = panic, reload,
#                       pg_rotate_logfile() again; the three files of the stretch are copied to
#                       Fixtures/SET-NAME/postgresql.{log,csv,json};
#   afterwards          postgresql.auto.conf restored and reloaded, depot and depot_app dropped.
# The scenario: a session as depot_app (password over TCP) with ordinary queries and a slow pg_sleep; a session
# that holds a row lock on stock (FOR UPDATE) and an ACCESS EXCLUSIVE lock on audit in an open transaction,
# while another runs SELECT … FOR UPDATE NOWAIT and LOCK TABLE … NOWAIT (55P03, both ERROR); a superuser
# session with temp_file_limit = '1MB' and work_mem = '64kB': a sort that fits (a temp file) and one that does
# not (53400). Client sessions have application_name bitville-<32 hex digits>; the console is fixture-driver.
set -euo pipefail

cluster=$1 set=$2 prefix=$3
root=${PGAGENT_TEST_ROOT:-/tmp/pgagent-limits}
fixtures=$(cd "$(dirname "$0")" && pwd)
info=$(python3 -c "
import json
for c in json.load(open('$root/clusters.json'))['clusters']:
    if c['name']=='$cluster': print(c['bin_dir'], c['socket_dir'], c['port'], c['data_dir'])")
[[ -n $info ]] || { echo "no cluster $cluster in $root/clusters.json" >&2; exit 1; }
read -r bin socket port datadir <<<"$info"
work=$(mktemp -d /tmp/limits-fixtures.XXXXXX)
driverlog=$work/driver.log # what the clients printed (for debugging)
unset PGOPTIONS PGAPPNAME PGHOST PGPORT PGUSER PGDATABASE
export PGPASSWORD=depot-pw

su() { "$bin/psql" -X -q -v ON_ERROR_STOP=0 "host=$socket port=$port user=postgres dbname=${DB:-postgres} application_name=fixture-driver" "$@"; }
newapp() { printf 'bitville-%s' "$(tr -d - </proc/sys/kernel/random/uuid)"; }
# tcp USER DB APP [psql args]: a client over TCP (password for depot_app, trust for postgres).
tcp() { "$bin/psql" -X -q "host=127.0.0.1 port=$port user=$1 dbname=$2 application_name=$3" "${@:4}" >>"$driverlog" 2>&1 || true; }
# wait_for CONDITION: one statement that polls CONDITION (SQL) every 0.1 s, 10 s at most.
wait_for() {
  su -c "DO \$\$ BEGIN FOR i IN 1..100 LOOP PERFORM pg_stat_clear_snapshot(); EXIT WHEN $1; PERFORM pg_sleep(0.1); END LOOP; END \$\$" >/dev/null
}
rotate() { # the files switch while nothing is logged; a new name needs a new second (log_filename has %S)
  su -c "ALTER SYSTEM SET log_min_messages = panic" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1.2
  su -c "SELECT pg_rotate_logfile()" >/dev/null
  sleep 0.5
}

cp "$datadir/postgresql.auto.conf" "$work/postgresql.auto.conf.orig"
cleanup() {
  set +e
  cp "$work/postgresql.auto.conf.orig" "$datadir/postgresql.auto.conf"
  su -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  su -c "DROP DATABASE IF EXISTS depot WITH (FORCE)" -c "DROP ROLE IF EXISTS depot_app" >/dev/null
  echo "driver output: $driverlog" >&2
}
trap cleanup EXIT

# ---- setup (before the stretch) ----
su >/dev/null <<'SQL'
DROP DATABASE IF EXISTS depot WITH (FORCE);
DROP ROLE IF EXISTS depot_app;
CREATE ROLE depot_app LOGIN PASSWORD 'depot-pw';
CREATE DATABASE depot OWNER depot_app;
SQL
tcp depot_app depot fixture-driver <<'SQL'
CREATE TABLE stock (id int PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
INSERT INTO stock SELECT g, 'SKU-' || g, g % 50 FROM generate_series(1, 200) g;
CREATE TABLE audit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), note text);
VACUUM ANALYZE stock, audit;
SQL

# ---- the stretch starts ----
before=$(cat "$datadir/current_logfiles")
for setting in "log_line_prefix=$prefix" log_timezone=Etc/UTC log_min_duration_statement=0 \
  log_connections=on log_disconnections=on log_lock_waits=on deadlock_timeout=200ms log_temp_files=0; do
  name=${setting%%=*} value=${setting#*=}
  su -c "ALTER SYSTEM SET $name = '${value//\'/\'\'}'" >/dev/null
done
rotate
files=$(cat "$datadir/current_logfiles")
[[ $files != "$before" ]] || { echo "log files did not switch" >&2; exit 1; }
su -c "ALTER SYSTEM SET log_min_messages = info" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5

# ---- ordinary queries, a slow one ----
tcp depot_app depot "$(newapp)" <<'SQL'
SELECT id, sku, qty FROM stock WHERE id = 7;
SELECT sku, qty FROM stock WHERE qty < 3 ORDER BY qty, sku LIMIT 5;
UPDATE stock SET qty = qty + 1 WHERE id = 7;
INSERT INTO audit (note) VALUES ('restocked SKU-7');
SELECT pg_sleep(0.25);
SQL

# ---- 55P03: lock not available (NOWAIT) ----
holder=$(newapp)
tcp depot_app depot "$holder" <<'SQL' &
BEGIN;
SELECT id, qty FROM stock WHERE id = 1 FOR UPDATE;
LOCK TABLE audit IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep(3);
COMMIT;
SQL
wait_for "EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '$holder' AND state = 'active' AND query LIKE 'SELECT pg_sleep%')"
tcp depot_app depot "$(newapp)" <<'SQL'
SELECT id, qty FROM stock WHERE id = 1 FOR UPDATE NOWAIT;
BEGIN;
LOCK TABLE audit IN SHARE MODE NOWAIT;
ROLLBACK;
SELECT id, qty FROM stock WHERE id = 2 FOR UPDATE NOWAIT;
SQL
wait

# ---- 53400: temp_file_limit (a superuser setting: the session runs as postgres) ----
tcp postgres depot "$(newapp)" <<'SQL'
SET temp_file_limit = '1MB';
SET work_mem = '64kB';
SELECT count(*) FROM (SELECT g FROM generate_series(1, 20000) g ORDER BY g DESC) s;
SELECT count(*) FROM (SELECT g, md5(g::text) FROM generate_series(1, 200000) g ORDER BY 2) s;
SQL
tcp depot_app depot "$(newapp)" -c "SELECT count(*) FROM stock"
sleep 1

# ---- the stretch ends ----
rotate
mkdir -p "$fixtures/$set"
while read -r format path; do
  case $format in
    stderr) cp "$path" "$fixtures/$set/postgresql.log" ;;
    csvlog) cp "$path" "$fixtures/$set/postgresql.csv" ;;
    jsonlog) cp "$path" "$fixtures/$set/postgresql.json" ;;
  esac
done <<<"$files"
ls -la "$fixtures/$set"
