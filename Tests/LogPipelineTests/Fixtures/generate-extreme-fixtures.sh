#!/usr/bin/env bash
# Regenerates the "extreme" event-class sets (see README.md beside this file, "Extreme sets"): real server
# messages for what generate-class-fixtures.sh cannot cause with SQL alone (disk full, out of memory, fork
# failure, XID wraparound, a standby's replication failures).
#
# Usage (from the repository root, as root, with a PG 17 cluster started by
#   PGAGENT_TEST_ROOT=/tmp/pgagent-extreme scripts/test-clusters.sh up 17):
#   PGAGENT_TEST_ROOT=/tmp/pgagent-extreme Tests/LogPipelineTests/Fixtures/generate-extreme-fixtures.sh \
#     pg17 classes-extreme-pg17 classes-standby-pg17 '%m [%p] %q%u@%d %a '
# Then: PGAGENT_TEST_ROOT=/tmp/pgagent-extreme scripts/test-clusters.sh down
#
# Two servers, two sets: PRIMARY-SET holds the cluster's own log, STANDBY-SET the log of a standby made from it
# with pg_basebackup (a second server, its own three files). Each set's files run from a server start
# ("starting PostgreSQL …") to a clean shutdown ("database system is shut down"): the settings and a fixed
# log_filename are put into postgresql.auto.conf with ALTER SYSTEM without a reload, the server is stopped
# (its shutdown still goes to the old files) and started again, so every stop/start inside the stretch appends
# to the same three files.
#
# The stretch on the primary (the server is stopped and started by this script with pg_ctl as postgres):
#   disk full      a tablespace on a 2 MB tmpfs: COPY into a table there, INSERT … SELECT, and a sort whose
#                  temp file goes there (temp_tablespaces);
#   out of memory  RLIMIT_AS of the running postmaster lowered with prlimit (inherited by new backends), then
#                  repeat() of 400 MB and a huge array_agg in new sessions; the limit is restored;
#   fork failure   RLIMIT_NPROC (soft) of the postmaster lowered to the postgres user's current process count,
#                  then new connections (and the autovacuum launcher's workers) cannot be forked; restored;
#   wraparound     stop, pg_resetwal -x to 3 XIDs before the stop limit (computed from the oldest datfrozenxid;
#                  the pg_xact segment of the new XID made with dd), start (with log_min_messages = error, so
#                  that the hundreds of failsafe WARNINGs of the catch-up vacuums stay out; the demo sessions set
#                  it back to warning), a VACUUM of one catalog table (failsafe WARNING; it also recomputes the
#                  limits: WARNING "must be vacuumed within N transactions"), single-XID transactions until
#                  "database is not accepting commands that assign new transaction IDs …", then vacuumdb --all
#                  --freeze (and autovacuum for template0) until the limits move away, log_min_messages = info;
#   replication    pg_basebackup -R of the primary into a standby (its own port, socket, log directory); the
#                  standby first starts with primary_conninfo pointing at a port nobody listens on, then is
#                  fixed with ALTER SYSTEM + reload; recovery conflicts (snapshot: DELETE + VACUUM on the
#                  primary; lock: DROP TABLE on the primary) cancel queries on the standby
#                  (max_standby_streaming_delay = 0, hot_standby_feedback = off); the standby's walreceiver is
#                  stopped with SIGSTOP for longer than wal_sender_timeout (2 s): "terminating walsender process
#                  due to replication timeout" on the primary; SIGCONT, the walreceiver reconnects;
#   end            the standby is stopped and deleted, the primary stopped cleanly.
# Afterwards (also on failure): the tmpfs is unmounted, the limits restored (prlimit runs as postgres: it
# needs the same uid as the postmaster, root here lacks CAP_SYS_RESOURCE), the standby stopped and removed,
# postgresql.auto.conf and pg_hba.conf of the primary restored, the primary started again, and the files of
# the stretch copied to Fixtures/PRIMARY-SET and Fixtures/STANDBY-SET as postgresql.{log,csv,json}.
# Client sessions have application_name bitville-<32 hex digits>; the script's console is fixture-driver.
set -euo pipefail

cluster=$1 set=$2 standby_set=$3 prefix=$4
root=${PGAGENT_TEST_ROOT:-/tmp/pgagent-extreme}
fixtures=$(cd "$(dirname "$0")" && pwd)
[[ $EUID -eq 0 ]] || { echo "run as root (mount, prlimit, runuser)" >&2; exit 1; }
info=$(python3 -c "
import json
for c in json.load(open('$root/clusters.json'))['clusters']:
    if c['name']=='$cluster': print(c['bin_dir'], c['socket_dir'], c['port'], c['log_dir'], c['data_dir'], c['major'])")
[[ -n $info ]] || { echo "no cluster $cluster in $root/clusters.json" >&2; exit 1; }
read -r bin socket port logdir datadir major <<<"$info"
cdir=$(dirname "$datadir")
work=$(mktemp -d /tmp/extreme-fixtures.XXXXXX)
driverlog=$work/driver.log
unset PGOPTIONS PGAPPNAME PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE
tbsdir=$root/tbs-tiny                 # the 2 MB tmpfs
sbdir=$root/${cluster}standby         # the standby: data/, log/, socket/
sbport=$((port + 1))
deadport=$((port + 2))                 # nobody listens here (checked below)
logname="extreme-$(date -u +%Y%m%d%H%M%S)"

as_pg() { (cd / && runuser -u postgres -- "$@") 8>&- 9>&-; }
pgctl() { as_pg "$bin/pg_ctl" -D "$1" -l "$2" -w -t 120 "${@:3}" >>"$driverlog" 2>&1; }
primary_ctl() { pgctl "$datadir" "$cdir/startup.log" "$@"; }
standby_ctl() { pgctl "$sbdir/data" "$sbdir/startup.log" "$@"; }
su() { "$bin/psql" -X -q -v ON_ERROR_STOP=0 "host=$socket port=$port user=postgres dbname=${DB:-postgres} application_name=fixture-driver" "$@"; }
sb() { "$bin/psql" -X -q -v ON_ERROR_STOP=0 "host=$sbdir/socket port=$sbport user=postgres dbname=${DB:-postgres} application_name=fixture-driver" "$@"; }
newapp() { printf 'bitville-%s' "$(tr -d - </proc/sys/kernel/random/uuid)"; }
# client PORT DB [psql args]: a client session over TCP as postgres (trust) with a fresh bitville-… name.
# $OPTS, if set, goes into the startup packet's options.
client() { "$bin/psql" -X -q "host=127.0.0.1 port=$1 user=postgres dbname=$2 application_name=$(newapp) options='${OPTS:-}'" "${@:3}" >>"$driverlog" 2>&1 || true; }
postmaster_pid() { head -1 "$datadir/postmaster.pid"; }
note() { echo "== $*" | tee -a "$driverlog" >&2; }

python3 - "$deadport" "$sbport" <<'PY' || { echo "port $deadport or $sbport is in use" >&2; exit 1; }
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(p))); s.close()
PY

cp "$datadir/pg_hba.conf" "$work/pg_hba.conf.orig"
cp "$datadir/postgresql.auto.conf" "$work/postgresql.auto.conf.orig"
cleanup() {
  set +e
  note "cleanup"
  if [[ -f $work/limits ]]; then # restore the postmaster's limits (if it still runs)
    read -r as_soft nproc_soft <"$work/limits"
    as_pg prlimit --pid "$(postmaster_pid)" --as="$as_soft:" --nproc="$nproc_soft:" 2>/dev/null
  fi
  if [[ -f $sbdir/data/postmaster.pid ]]; then
    [[ -f $work/stopped ]] && kill -CONT "$(cat "$work/stopped")" 2>/dev/null # the walreceiver left stopped
    standby_ctl -m fast stop
  fi
  rm -rf "$sbdir"
  if mountpoint -q "$tbsdir"; then
    su -c "DROP DATABASE IF EXISTS fulldisk WITH (FORCE)" -c "DROP TABLESPACE IF EXISTS tiny" >/dev/null 2>&1
    umount "$tbsdir"
  fi
  rmdir "$tbsdir" 2>/dev/null
  primary_ctl -m fast stop
  cp "$work/pg_hba.conf.orig" "$datadir/pg_hba.conf"
  cp "$work/postgresql.auto.conf.orig" "$datadir/postgresql.auto.conf"
  primary_ctl start
  # The tablespace's catalog entries if the server was down when the mount went away.
  su -c "DROP DATABASE IF EXISTS fulldisk WITH (FORCE)" -c "DROP TABLESPACE IF EXISTS tiny" >/dev/null 2>&1
  echo "driver output: $driverlog" >&2
}
trap cleanup EXIT

# ---- before the stretch ----
# Replication connections for pg_basebackup and the standby (trust, like the postgres lines already there).
{ echo "local   replication  postgres                 trust"
  echo "host    replication  postgres  127.0.0.1/32   trust"
  cat "$work/pg_hba.conf.orig"; } >"$datadir/pg_hba.conf"
su -c "SELECT pg_reload_conf()" >/dev/null
mkdir -p "$tbsdir"
mount -t tmpfs -o size=2M,mode=0700 tmpfs "$tbsdir"
chown postgres:postgres "$tbsdir"
su >/dev/null <<SQL
DROP DATABASE IF EXISTS fulldisk WITH (FORCE);
DROP TABLESPACE IF EXISTS tiny;
CREATE TABLESPACE tiny LOCATION '$tbsdir';
CREATE DATABASE fulldisk;
SQL

common=(
  "log_line_prefix=$prefix" log_timezone=Etc/UTC log_min_messages=info log_min_duration_statement=0
  log_connections=on log_disconnections=on log_checkpoints=on log_temp_files=0 log_replication_commands=on
  "log_filename=$logname.log"
)
# ---- the stretch starts: settings into postgresql.auto.conf (no reload), stop, start ----
for setting in "${common[@]}" wal_sender_timeout=2s autovacuum_naptime=1; do
  name=${setting%%=*} value=${setting#*=}
  su -c "ALTER SYSTEM SET $name = '${value//\'/\'\'}'" >/dev/null
done
primary_ctl -m fast stop
primary_ctl start
files=$(cat "$datadir/current_logfiles")
[[ $files == *"$logname"* ]] || { echo "log files did not switch" >&2; exit 1; }

# ---- 1. disk full: 53100 ----
note "disk full"
client "$port" fulldisk <<'SQL'
CREATE TABLE bulk_load (id int, payload text) TABLESPACE tiny;
COPY bulk_load FROM PROGRAM 'seq 1 20000 | sed "s/$/\tpayload-payload-payload-payload-payload-payload-payload-payload-payload-payload-payload-payload/"';
DROP TABLE bulk_load;
CREATE TABLE orders (id int, note text) TABLESPACE tiny;
INSERT INTO orders SELECT g, repeat('n', 500) FROM generate_series(1, 10000) g;
DROP TABLE orders;
SET temp_tablespaces = 'tiny';
SET work_mem = '64kB';
SELECT count(*) FROM (SELECT g FROM generate_series(1, 1000000) g ORDER BY g DESC) s;
SQL
su -c "DROP DATABASE fulldisk" -c "DROP TABLESPACE tiny" >/dev/null # (pg_basebackup below: no tablespace)
umount "$tbsdir"
rmdir "$tbsdir"

# ---- 2. out of memory: 53200 ----
note "out of memory"
pm=$(postmaster_pid)
as_soft=$(as_pg prlimit --pid "$pm" --as --noheadings --output=SOFT --raw)
nproc_soft=$(as_pg prlimit --pid "$pm" --nproc --noheadings --output=SOFT --raw)
echo "$as_soft $nproc_soft" >"$work/limits"
vsz_kb=$(ps -o vsz= -p "$pm")
as_pg prlimit --pid "$pm" --as="$(((vsz_kb + 300 * 1024) * 1024)):" # 300 MB more than the postmaster has mapped now
client "$port" postgres -c "SELECT length(repeat('x', 400000000))"
client "$port" postgres -c "SELECT cardinality(array_agg(repeat('y', 1000 + g % 2))) FROM generate_series(1, 1000000) g"
as_pg prlimit --pid "$pm" --as="$as_soft:"

# ---- 3. fork failure ----
note "fork failure"
sleep 1.5
procs=$(ps -L -u postgres --no-headers | wc -l)
as_pg prlimit --pid "$pm" --nproc="$procs:"
for i in 1 2 3; do client "$port" postgres -c "SELECT 1"; sleep 0.4; done
sleep 1.5 # the autovacuum launcher tries to start workers (naptime 1 s)
as_pg prlimit --pid "$pm" --nproc="$nproc_soft:"
rm -f "$work/limits"
client "$port" postgres -c "SELECT 1"

# ---- 4. wraparound: WARNING "must be vacuumed within", ERROR "not accepting commands" ----
note "wraparound"
# SetTransactionIdLimit: wrap = oldest datfrozenxid + 2^31 - 1, stop = wrap - 3000000, warn = wrap - 40000000.
oldest=$(su -Atc "SELECT min(datfrozenxid::text::bigint) FROM pg_database")
stop=$((oldest + 2147483647 - 3000000))
newxid=$((stop - 3))
# The restart brings log_min_messages = error (WARNING is below ERROR, LOG above it): the failsafe WARNINGs of
# the catch-up VACUUMs below (one per table in every database, several hundred) stay out of the log; the
# sessions that show the warnings set log_min_messages = warning for themselves.
su -c "ALTER SYSTEM SET log_min_messages = error" >/dev/null
primary_ctl -m fast stop
seg=$(printf '%04X' $((newxid / 1048576))) # pg_xact: 32 pages of 8 kB, 4 XIDs a byte = 1048576 XIDs a file
as_pg dd if=/dev/zero of="$datadir/pg_xact/$seg" bs=256k count=1 status=none
as_pg "$bin/pg_resetwal" -x "$newxid" -D "$datadir" >>"$driverlog" 2>&1
primary_ctl start
# pg_resetwal leaves oldestXid = xid - 2e9 (limits far away) and no oldestXidDB: the first VACUUM's
# vac_update_datfrozenxid recomputes the limits from the real datfrozenxid and warns. The VACUUM of a catalog
# table as old as the database also shows the failsafe WARNING ("bypassing nonessential maintenance").
warn() { OPTS="-c log_min_messages=warning" client "$@"; }
warn "$port" postgres -c "VACUUM pg_catalog.pg_am"
for i in 1 2 3 4 5; do warn "$port" postgres -c "SELECT txid_current()"; done
warn "$port" postgres -c "CREATE TABLE wrap_probe (i int)"
PGOPTIONS="-c log_min_duration_statement=-1" as_pg "$bin/vacuumdb" -h "$socket" -p "$port" -U postgres --all --freeze -q >>"$driverlog" 2>&1 || true
su -c "DO \$\$ BEGIN FOR i IN 1..600 LOOP EXIT WHEN (SELECT max(age(datfrozenxid)) FROM pg_database) < 100000000; PERFORM pg_sleep(0.1); END LOOP; END \$\$" >/dev/null
su -Atc "SELECT datname, age(datfrozenxid) FROM pg_database" >>"$driverlog"
su -c "ALTER SYSTEM SET log_min_messages = info" -c "SELECT pg_reload_conf()" >/dev/null
client "$port" postgres -c "SELECT txid_current()"

# ---- 5-7. a standby ----
note "standby"
mkdir -p "$sbdir/log" "$sbdir/socket"
touch "$sbdir/startup.log"
chown -R postgres:postgres "$sbdir"
chmod 0755 "$sbdir" "$sbdir/log" "$sbdir/socket"
as_pg "$bin/pg_basebackup" -h "$socket" -p "$port" -U postgres -D "$sbdir/data" -R -X stream -c fast >>"$driverlog" 2>&1
rm -f "$sbdir/data/current_logfiles"
sblog="standby-$(date -u +%Y%m%d%H%M%S)"
{ echo "# ---- generate-extreme-fixtures.sh: the standby ----"
  echo "cluster_name = '${cluster}standby'"
  echo "port = $sbport"
  echo "unix_socket_directories = '$sbdir/socket'"
  echo "log_directory = '$sbdir/log'"
  echo "log_filename = '$sblog.log'"
  echo "hot_standby = on"
  echo "hot_standby_feedback = off"
  echo "max_standby_streaming_delay = 0"
  echo "wal_retrieve_retry_interval = '1s'"
  echo "primary_conninfo = 'host=127.0.0.1 port=$deadport user=postgres application_name=${cluster}standby'"
} >>"$sbdir/data/postgresql.auto.conf"
standby_ctl start
sbfiles=$(cat "$sbdir/data/current_logfiles")
sleep 2.5 # walreceiver: "could not connect to the primary server" every second
sb -c "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=$port user=postgres application_name=${cluster}standby'" \
  -c "SELECT pg_reload_conf()" >/dev/null
catch_up() { # the standby has replayed everything the primary wrote so far
  local lsn
  lsn=$(su -Atc "SELECT pg_current_wal_lsn()")
  sb -c "DO \$\$ BEGIN FOR i IN 1..300 LOOP EXIT WHEN pg_last_wal_replay_lsn() >= '$lsn'; PERFORM pg_sleep(0.1); END LOOP; END \$\$" >/dev/null
}
client "$port" postgres -c "CREATE TABLE conflict_demo AS SELECT g, md5(g::text) AS h FROM generate_series(1, 5000) g" \
  -c "VACUUM conflict_demo"
catch_up
# Snapshot conflict: the standby's transaction keeps a snapshot; the primary deletes and vacuums.
client "$sbport" postgres <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM conflict_demo;
SELECT pg_sleep(8);
COMMIT;
SQL
sleep 1
client "$port" postgres -c "DELETE FROM conflict_demo WHERE g % 2 = 0" -c "VACUUM conflict_demo"
wait
catch_up
# Lock conflict: the standby's transaction holds AccessShareLock; the primary drops the table.
client "$sbport" postgres <<'SQL' &
BEGIN;
SELECT count(*) FROM conflict_demo;
SELECT pg_sleep(8);
COMMIT;
SQL
sleep 1
client "$port" postgres -c "DROP TABLE conflict_demo"
wait
catch_up
# Walsender timeout: the walreceiver stopped for 4 s (wal_sender_timeout = 2 s), then continued.
wr=$(sb -Atc "SELECT pid FROM pg_stat_wal_receiver")
echo "$wr" >"$work/stopped"
kill -STOP "$wr"
client "$port" postgres -c "CREATE TABLE wal_traffic AS SELECT g FROM generate_series(1, 1000) g"
sleep 4
kill -CONT "$wr"
rm -f "$work/stopped"
sleep 3
catch_up
client "$port" postgres -c "DROP TABLE wal_traffic"
catch_up
standby_ctl -m fast stop

# ---- the stretch ends: clean stops ----
note "end"
primary_ctl -m fast stop
copy() { # copy DIR FILES
  mkdir -p "$fixtures/$1"
  while read -r format path; do
    [[ $path == /* ]] || path=$2/$path
    case $format in
      stderr) cp "$path" "$fixtures/$1/postgresql.log" ;;
      csvlog) cp "$path" "$fixtures/$1/postgresql.csv" ;;
      jsonlog) cp "$path" "$fixtures/$1/postgresql.json" ;;
    esac
  done
}
copy "$set" "$datadir" <<<"$files"
copy "$standby_set" "$sbdir/data" <<<"$sbfiles"
ls -la "$fixtures/$set" "$fixtures/$standby_set"
