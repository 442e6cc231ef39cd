#!/usr/bin/env bash
# Regenerates one set of stderr/csvlog/jsonlog fixtures in which every log event class an operator alerts on
# really happens (see README.md beside this file, "Event-class sets").
#
# Usage (from the repository root, with clusters started by
#   PGAGENT_TEST_ROOT=/tmp/pgagent-fixtures scripts/test-clusters.sh up 15 17 18):
#   Tests/LogPipelineTests/Fixtures/generate-class-fixtures.sh CLUSTER SET-NAME 'LOG_LINE_PREFIX' [SETTING=VALUE ...]
# e.g. … pg17 classes-pg17 '%m [%p] %q%u@%d %a '
#      … pg15 classes-de '%m [%p] %q%u@%d %a ' lc_messages=de_DE.UTF-8
#
# What it does to the cluster (all of it is undone at the end, also on failure):
#   before the stretch  makes the database `shop` and the roles shop_owner, shop_reader, shop_limited
#                       (CONNECTION LIMIT 1) and shop_blocked (rejected by a pg_hba.conf line it adds);
#   the stretch         ALTER SYSTEM of the logging settings, of log_filename (a fixed name, so that the
#                       restart and the crash inside the stretch append to the same three files) and of the
#                       restart-only archive_mode = on (archive_command = 'false') and max_connections = 12;
#                       reload (the files switch, silently: log_min_messages = panic), a fast restart, the
#                       scenario below, ALTER SYSTEM RESET ALL (keeping log_filename, log_min_messages = panic)
#                       and a reload, then a silent reload that switches the files away again;
#   afterwards          restores pg_hba.conf, drops the replication slot, restarts (restart-only settings back)
#                       and copies the three files of the stretch to Fixtures/SET-NAME/postgresql.{log,csv,json}.
# The scenario: config reload with a changed parameter; connections; slow queries; log_statement = 'ddl'
# (and 'all' for one session), ALTER ROLE … PASSWORD; errors with DETAIL/HINT/CONTEXT/STATEMENT (unique and
# check violations, invalid input, syntax error, permission denied, PL/pgSQL RAISE); auto_explain (text, json);
# temp file; lock wait that resolves; deadlock; serialization failure; statement/lock/idle-in-transaction/
# idle-session/transaction (PG 17+) timeouts; pg_cancel_backend, pg_terminate_backend; wrong password,
# unknown role, pg_hba reject, no pg_hba entry (a raw startup packet from 127.0.0.2), unknown database;
# too many connections for a role, reserved slots, "sorry, too many clients already"; autovacuum and
# autoanalyze, an anti-wraparound autovacuum (per-table autovacuum_freeze_max_age = 100000 and 120000 XIDs
# consumed), a canceled autovacuum, VACUUM (SKIP_LOCKED) skipping; CHECKPOINT, WAL bursts making checkpoints
# "occurring too frequently" and invalidating a replication slot (max_slot_wal_keep_size); archive failures;
# a backend killed with SIGKILL and the crash recovery that follows.
# Client sessions have application_name bitville-<32 hex digits>, distinct per session.
# At the end it prints, per event, how many jsonlog records show it (translated sets: through the catalog).
#
# Only the check of an existing set:  generate-class-fixtures.sh --check Fixtures/SET-NAME
set -euo pipefail

check_set() { # check_set DIR: per event, the jsonlog records that show it
  python3 - "$1" <<'PY'
import gettext, glob, json, re, sys
d = sys.argv[1]
recs = [json.loads(l) for l in open(d + "/postgresql.json", encoding="utf-8")]
major = int(re.search(r"PostgreSQL (\d+)", next((r["message"] for r in recs if "PostgreSQL" in r.get("message", "")), "PostgreSQL 0")).group(1))
# (event, English msgids or msgid prefixes, SQLSTATE, field, first major)
EVENTS = [
    ("statement_timeout cancel", ["canceling statement due to statement timeout"], "57014", "message", 0),
    ("lock_timeout cancel", ["canceling statement due to lock timeout"], "55P03", "message", 0),
    ("idle_in_transaction_session_timeout", ["terminating connection due to idle-in-transaction timeout"], "25P03", "message", 0),
    ("idle_session_timeout", ["terminating connection due to idle-session timeout"], "57P05", "message", 0),
    ("transaction_timeout", ["terminating connection due to transaction timeout"], "25P04", "message", 17),
    ("cancel by user request", ["canceling statement due to user request"], "57014", "message", 0),
    ("terminate by administrator", ["terminating connection due to administrator command"], "57P01", "message", 0),
    ("autovacuum task canceled", ["canceling autovacuum task"], "57014", "message", 0),
    ("backend killed by signal 9", ["%s (PID %d) was terminated by signal %d: %s"], None, "message", 0),
    ("terminating other processes", ["terminating any other active server processes"], None, "message", 0),
    ("reinitializing", ["all server processes terminated; reinitializing"], None, "message", 0),
    ("not properly shut down", ["database system was not properly shut down; automatic recovery in progress"], None, "message", 0),
    ("redo starts", ["redo starts at "], None, "message", 0),
    ("redo done", ["redo done at "], None, "message", 0),
    ("in recovery mode (optional: a race)", ["the database system is in recovery mode"], "57P03", "message", 0),
    ("ready to accept connections", ["database system is ready to accept connections"], None, "message", 0),
    ("sorry, too many clients", ["sorry, too many clients already"], "53300", "message", 0),
    ("reserved connection slots", ["remaining connection slots are reserved for "], "53300", "message", 0),
    ("too many connections for role", ['too many connections for role "%s"'], "53300", "message", 0),
    ("wrong password", ['password authentication failed for user "%s"'], "28P01", "message", 0),
    ("role does not exist (DETAIL, TCP)", ['Role "%s" does not exist.'], "28P01", "detail", 0),
    ("role does not exist (socket)", ['role "%s" does not exist'], "28000", "message", 0),
    ("pg_hba.conf rejects", ['pg_hba.conf rejects connection for host "%s", user "%s", database "%s", %s'], "28000", "message", 0),
    ("no pg_hba.conf entry", ['no pg_hba.conf entry for host "%s", user "%s", database "%s", %s'], "28000", "message", 0),
    ("database does not exist", ['database "%s" does not exist'], "3D000", "message", 0),
    ("checkpoint starting", ["checkpoint starting:"], None, "message", 0),
    ("checkpoint complete", ["checkpoint complete:"], None, "message", 0),
    ("checkpoints too frequent", ["checkpoints are occurring too frequently"], None, "message", 0),
    ("autovacuum", ['automatic vacuum of table "%s.%s.%s": index scans: %d'], None, "message", 0),
    ("autoanalyze", ['automatic analyze of table "%s.%s.%s"'], None, "message", 0),
    ("anti-wraparound autovacuum", ["automatic aggressive vacuum to prevent wraparound of table ",
                                    "automatic vacuum to prevent wraparound of table "], None, "message", 0),
    ("skipping vacuum (lock not available)", ['skipping vacuum of "%s" --- lock not available'], "55P03", "message", 0),
    ("archive command failed", ["archive command failed with exit code %d"], None, "message", 0),
    ("archiving failed too many times", ['archiving write-ahead log file "%s" failed too many times, will try again later'], None, "message", 0),
    ("replication slot invalidated", ['invalidating obsolete replication slot "%s"',
                                      'invalidating slot "%s" because its restart_lsn '], None, "message", 0),
    ("fast shutdown request", ["received fast shutdown request"], None, "message", 0),
    ("database system is shut down", ["database system is shut down"], None, "message", 0),
    ("SIGHUP reload", ["received SIGHUP, reloading configuration files"], None, "message", 0),
    ("parameter changed", ['parameter "%s" changed to "%s"'], None, "message", 0),
    ("slow query (duration + statement)", ["duration: %s ms  statement: %s"], None, "message", 0),
    ("log_statement", ["statement: %s"], None, "message", 0),
    ("temp file", ['temporary file: path "%s", size %lu'], None, "message", 0),
    ("lock wait", ["process %d still waiting for %s on %s after %ld.%03d ms"], None, "message", 0),
    ("lock acquired", ["process %d acquired %s on %s after %ld.%03d ms"], None, "message", 0),
    ("deadlock", ["deadlock detected"], "40P01", "message", 0),
    ("connection received", ["connection received: host=%s"], None, "message", 0),
    ("connection authorized", ["connection authorized: user=%s"], None, "message", 0),
    ("connection ready (PG 18)", ["connection ready: setup total="], None, "message", 18),
    ("disconnection", ["disconnection: session time: "], None, "message", 0),
    ("unique violation (DETAIL Key ... already exists)", ["Key %s already exists."], "23505", "detail", 0),
    ("check violation (DETAIL Failing row contains)", ["Failing row contains %s."], "23514", "detail", 0),
    ("invalid input syntax for type integer", ['invalid input syntax for type %s: "%s"'], "22P02", "message", 0),
    ("syntax error", ["syntax error at or near \"%s\"", "%s at or near \"%s\""], "42601", "message", 0),
    ("serialization failure", ["could not serialize access due to concurrent update"], "40001", "message", 0),
    ("permission denied", ["permission denied for table %s"], "42501", "message", 0),
]
OTHER = [  # not translated (or no SQLSTATE-free msgid): plain English patterns
    ("auto_explain text plan", lambda r: "Query Text:" in r.get("message", "")),
    ("auto_explain json plan", lambda r: '"Query Text":' in r.get("message", "")),
    ("ALTER ROLE ... PASSWORD in a logged statement", lambda r: "PASSWORD 'secret'" in r.get("message", "")),
    ("error with HINT", lambda r: r.get("error_severity") == "ERROR" and "hint" in r),
    ("error with CONTEXT (PL/pgSQL)", lambda r: r.get("error_severity") == "ERROR" and "context" in r),
    ("error with STATEMENT", lambda r: r.get("error_severity") == "ERROR" and "statement" in r),
]

def fmt_regex(f):
    out, i = "", 0
    for m in re.finditer(r"%(?:[0-9]+\$)?[-+ #0-9.lhzjt]*[sdiuxXfgcm%]", f):
        out += re.escape(f[i:m.start()]) + ("%" if m.group() == "%%" else "(?s:.*?)")
        i = m.end()
    return out + re.escape(f[i:])

catalog = None
ready = "database system is ready to accept connections"
if not any(r.get("message") == ready for r in recs):
    for mo in glob.glob("/usr/share/locale/*/LC_MESSAGES/postgres-%d.mo" % major):
        t = gettext.GNUTranslations(open(mo, "rb"))
        if any(r.get("message") == t.gettext(ready) for r in recs):
            catalog, lang = t, mo.split("/")[4]
def patterns(ids):
    pats = []
    for e in ids:
        forms = [e]
        if catalog is not None:
            keys = [k for k in catalog._catalog if (k[0] if isinstance(k, tuple) else k).startswith(e.rstrip("."))]
            forms = [catalog._catalog[k] for k in keys] or [e]
        pats += [re.compile(fmt_regex(f)) for f in forms]
    return pats

print("%s: %d jsonlog records, PG %d, messages %s" % (d, len(recs), major, lang if catalog else "English"))
missing = []
for name, ids, state, field, first in EVENTS:
    if major < first:
        continue
    pats = patterns(ids)
    n = sum(1 for r in recs if (state is None or r.get("state_code") == state)
            and any(p.match(r.get(field, "")) for p in pats))
    print("  %5d  %s" % (n, name))
    if n == 0 and "optional" not in name:
        missing.append(name)
for name, pred in OTHER:
    n = sum(1 for r in recs if pred(r))
    print("  %5d  %s" % (n, name))
    if n == 0:
        missing.append(name)
apps = {r["application_name"] for r in recs if r.get("application_name", "").startswith("bitville-")}
print("  %5d  distinct bitville-<uuid> application names" % len(apps))
if missing:
    print("MISSING: " + "; ".join(missing))
    sys.exit(1)
PY
}
if [[ ${1:-} == --check ]]; then check_set "$2"; exit; fi

cluster=$1 set=$2 prefix=$3
shift 3
root=${PGAGENT_TEST_ROOT:-/tmp/pgagent-fixtures}
fixtures=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$fixtures/../../.." && pwd)
info=$(python3 -c "
import json,sys
for c in json.load(open('$root/clusters.json'))['clusters']:
    if c['name']=='$cluster': print(c['bin_dir'], c['socket_dir'], c['port'], c['log_dir'], c['data_dir'], c['major'])")
[[ -n $info ]] || { echo "no cluster $cluster in $root/clusters.json" >&2; exit 1; }
read -r bin socket port logdir datadir major <<<"$info"
work=$(mktemp -d /tmp/class-fixtures.XXXXXX)
driverlog=$work/driver.log # what the clients printed (for debugging)
export PGPASSWORD=secret-pw
unset PGOPTIONS PGAPPNAME

# The superuser over the socket (the operator's console; application_name fixture-driver).
su() { "$bin/psql" -X -q -v ON_ERROR_STOP=0 "host=$socket port=$port user=postgres dbname=${DB:-postgres} application_name=fixture-driver" "$@"; }
newapp() { printf 'bitville-%s' "$(tr -d - </proc/sys/kernel/random/uuid)"; }
# tcp USER DB APP [psql args]: a client over TCP (password for the shop roles, trust for postgres).
# $OPTS, if set, goes into the startup packet's options (e.g. -c log_statement=all).
tcp() {
  local user=$1 db=$2 app=$3
  shift 3
  "$bin/psql" -X -q "host=127.0.0.1 port=$port user=$user dbname=$db application_name=$app options='${OPTS:-}'" "$@" >>"$driverlog" 2>&1 || true
}
client() { tcp "$1" "$2" "$(newapp)" "${@:3}"; } # client USER DB [psql args], a fresh bitville-… name
# wait_for CONDITION [TENTHS]: one statement that polls CONDITION (SQL, in database $DB) every 0.1 s.
wait_for() {
  su -c "DO \$\$ BEGIN FOR i IN 1..${2:-100} LOOP PERFORM pg_stat_clear_snapshot(); EXIT WHEN $1; PERFORM pg_sleep(0.1); END LOOP; END \$\$" >/dev/null
}
active() { echo "EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active' AND wait_event_type IS DISTINCT FROM 'Client')"; }
restart() { PGAGENT_TEST_ROOT=$root "$repo/scripts/test-clusters.sh" restart "$cluster"; }

hba=$datadir/pg_hba.conf
cp "$hba" "$work/pg_hba.conf.orig"
cleanup() {
  set +e
  cp "$work/pg_hba.conf.orig" "$hba"
  su -c "ALTER SYSTEM RESET ALL" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  sleep 1
  su -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'fixture_standby'" >/dev/null 2>&1
  restart
  echo "driver output: $driverlog" >&2
}
trap cleanup EXIT

# ---- setup (before the stretch) ----
su >/dev/null <<'SQL'
DROP DATABASE IF EXISTS shop WITH (FORCE);
DROP ROLE IF EXISTS shop_owner;
DROP ROLE IF EXISTS shop_reader;
DROP ROLE IF EXISTS shop_limited;
DROP ROLE IF EXISTS shop_blocked;
CREATE ROLE shop_owner LOGIN PASSWORD 'secret-pw';
CREATE ROLE shop_reader LOGIN PASSWORD 'secret-pw';
CREATE ROLE shop_limited LOGIN PASSWORD 'secret-pw' CONNECTION LIMIT 1;
CREATE ROLE shop_blocked LOGIN PASSWORD 'secret-pw';
CREATE DATABASE shop OWNER shop_owner;
SQL
client shop_owner shop <<'SQL'
CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, balance numeric NOT NULL DEFAULT 0 CHECK (balance >= 0));
INSERT INTO accounts SELECT g, 'account ' || g, 100 FROM generate_series(1, 20) g;
-- churned: autovacuum and autoanalyze
CREATE TABLE events (id serial PRIMARY KEY, kind text, payload text);
-- a slow autovacuum (cost limit 1) that a LOCK TABLE cancels; enabled inside the stretch
CREATE TABLE ledger (id int, note text) WITH (autovacuum_enabled = false,
  autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1);
INSERT INTO ledger SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
-- an anti-wraparound autovacuum once 100000 XIDs have passed
CREATE TABLE archive_2020 (id int, note text) WITH (autovacuum_freeze_max_age = 100000,
  autovacuum_freeze_table_age = 0, autovacuum_freeze_min_age = 0);
INSERT INTO archive_2020 SELECT g, 'old' FROM generate_series(1, 1000) g;
CREATE FUNCTION transfer(amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF amount > 100 THEN
    RAISE EXCEPTION 'transfer of % is over the limit', amount
      USING DETAIL = 'The limit is 100.', HINT = 'Split the transfer.', ERRCODE = 'P0001';
  END IF;
  UPDATE accounts SET balance = balance - amount WHERE id = 1;
END $$;
VACUUM ANALYZE accounts, events, ledger, archive_2020;
SQL
DB=shop su -c "GRANT CONNECT ON DATABASE shop TO shop_reader" >/dev/null
# A pg_hba.conf line that rejects one role (28000 "pg_hba.conf rejects connection").
{ echo "host    all       shop_blocked  127.0.0.1/32   reject"; cat "$work/pg_hba.conf.orig"; } >"$hba"

stamp=$(date -u +%Y%m%d%H%M%S)
logname="classes-$stamp"
if ((major >= 18)); then connections=all; else connections=on; fi
settings=(
  "log_line_prefix=$prefix" log_timezone=Etc/UTC log_min_messages=info
  log_min_duration_statement=0 log_statement=ddl "log_connections=$connections" log_disconnections=on
  log_lock_waits=on deadlock_timeout=200ms log_temp_files=0 log_checkpoints=on log_autovacuum_min_duration=0
  autovacuum_naptime=1 max_wal_size=32MB min_wal_size=32MB checkpoint_warning=30s max_slot_wal_keep_size=16MB
  archive_mode=on archive_command=false max_connections=12 superuser_reserved_connections=3 "$@"
)
# ---- the stretch starts: the files switch to the fixed log_filename, then the settings come in ----
# The switch happens while nothing is logged (log_min_messages = panic): a record written during a switch
# can land in the old file in one format and in the new file in another.
su -c "ALTER SYSTEM SET log_min_messages = panic" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
su -c "ALTER SYSTEM SET log_filename = '$logname.log'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1.5
[[ $(<"$datadir/current_logfiles") == *"$logname"* ]] || { echo "log files did not switch" >&2; exit 1; }
files=$(cat "$datadir/current_logfiles")
for setting in "${settings[@]}"; do
  name=${setting%%=*} value=${setting#*=}
  su -c "ALTER SYSTEM SET $name = '${value//\'/\'\'}'" >/dev/null
done
su -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5

# Stop and start: fast restart (also makes archive_mode and max_connections take effect).
restart
sleep 0.5
# Config reload with a changed parameter.
su -c "ALTER SYSTEM SET work_mem = '8MB'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
# Archive failure: a finished WAL segment that archive_command = 'false' cannot archive.
su -c "SELECT pg_switch_wal()" >/dev/null

# ---- errors, slow queries, DDL, a password in a logged statement ----
client shop_owner shop <<'SQL'
SELECT id, name, balance FROM accounts WHERE id = 1;
INSERT INTO accounts VALUES (1, 'duplicate', 0);
UPDATE accounts SET balance = -5 WHERE id = 2;
SELECT * FROM accounts WHERE id = 'abc';
SELEC * FROM accounts;
SELECT lower(1, 2);
SELECT transfer(500);
SELECT transfer(5);
CREATE INDEX accounts_name_idx ON accounts (name);
SET work_mem = '64kB';
SELECT count(*) FROM (SELECT g FROM generate_series(1, 60000) g ORDER BY g DESC) s;
SQL
client shop_reader shop -c "SELECT * FROM accounts"
OPTS="-c log_statement=all" client postgres shop <<'SQL'
SELECT count(*) FROM accounts WHERE balance > 50;
ALTER ROLE shop_reader PASSWORD 'secret';
SQL
OPTS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0" client postgres shop <<'SQL'
SELECT a.name, b.balance FROM accounts a JOIN accounts b USING (id) WHERE a.id < 3;
SET auto_explain.log_format = 'json';
SELECT count(*) FROM accounts WHERE name LIKE 'account 1%';
SQL

# ---- locks: a wait that resolves, a deadlock, a serialization failure ----
client shop_owner shop -c "BEGIN" -c "UPDATE accounts SET balance = balance + 1 WHERE id = 4" -c "SELECT pg_sleep(0.7)" -c "COMMIT" &
sleep 0.2
client shop_owner shop -c "UPDATE accounts SET balance = balance + 2 WHERE id = 4"
wait
client shop_owner shop -c "BEGIN" -c "UPDATE accounts SET balance = 1 WHERE id = 5" -c "SELECT pg_sleep(0.4)" \
  -c "UPDATE accounts SET balance = 1 WHERE id = 6" -c "COMMIT" &
sleep 0.1
client shop_owner shop -c "BEGIN" -c "UPDATE accounts SET balance = 2 WHERE id = 6" -c "SELECT pg_sleep(0.4)" \
  -c "UPDATE accounts SET balance = 2 WHERE id = 5" -c "COMMIT"
wait
client shop_owner shop <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT balance FROM accounts WHERE id = 7;
\! sleep 0.6
UPDATE accounts SET balance = balance - 10 WHERE id = 7;
COMMIT;
SQL
sleep 0.2
client shop_owner shop -c "UPDATE accounts SET balance = balance + 10 WHERE id = 7"
wait

# ---- timeouts ----
client shop_owner shop -c "SET statement_timeout = '100ms'" -c "SELECT pg_sleep(1)"
client shop_owner shop -c "BEGIN" -c "LOCK TABLE accounts IN SHARE MODE" -c "SELECT pg_sleep(0.6)" -c "COMMIT" &
sleep 0.2
client shop_owner shop -c "SET lock_timeout = '150ms'" -c "UPDATE accounts SET balance = 0 WHERE id = 8"
wait
client shop_owner shop <<'SQL'
SET idle_in_transaction_session_timeout = '200ms';
BEGIN;
SELECT balance FROM accounts WHERE id = 9;
\! sleep 0.6
SELECT 1;
SQL
client shop_owner shop <<'SQL'
SET idle_session_timeout = '200ms';
\! sleep 0.6
SELECT 1;
SQL
if ((major >= 17)); then
  client shop_owner shop -c "SET transaction_timeout = '200ms'" -c "BEGIN" -c "SELECT pg_sleep(1)" -c "COMMIT"
fi

# ---- cancel and terminate by the operator ----
for fn in pg_cancel_backend pg_terminate_backend; do
  app=$(newapp)
  tcp shop_owner shop "$app" -c "SELECT pg_sleep(5)" &
  wait_for "$(active "$app")" 30
  su -c "SELECT $fn(pid) FROM pg_stat_activity WHERE application_name = '$app'" >/dev/null
  wait
done

# ---- authentication and connection failures ----
PGPASSWORD=wrong client shop_owner shop -c "SELECT 1"
client ghost shop -c "SELECT 1"                                  # over TCP: 28P01 with DETAIL Role ... does not exist
"$bin/psql" -X -q "host=$socket port=$port user=ghost dbname=shop application_name=$(newapp)" -c "SELECT 1" \
  >>"$driverlog" 2>&1 || true # over the socket (trust): 28000 role "ghost" does not exist
client shop_blocked shop -c "SELECT 1"                           # 28000 pg_hba.conf rejects connection
client shop_owner nosuchdb -c "SELECT 1"                         # 3D000 database does not exist
# 28000 no pg_hba.conf entry: a startup packet from 127.0.0.2, which no line of pg_hba.conf names.
python3 - "$port" "$(newapp)" >>"$driverlog" 2>&1 <<'PY' || true
import socket, struct, sys
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.connect(("127.0.0.1", int(sys.argv[1])))
params = b"".join(x.encode() + b"\0" for x in ("user", "shop_owner", "database", "shop", "application_name", sys.argv[2])) + b"\0"
s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
print(s.recv(4096))
PY
# Too many connections: a role with CONNECTION LIMIT 1, then the non-reserved slots, then all slots.
client shop_limited shop -c "SELECT pg_sleep(1.5)" &
sleep 0.5
client shop_limited shop -c "SELECT 1"
wait
for i in $(seq 10); do client shop_owner shop -c "SELECT pg_sleep(3)" & done
sleep 1.2
for i in $(seq 6); do client postgres shop -c "SELECT pg_sleep(2)" & done
wait

# ---- autovacuum ----
client shop_owner shop <<'SQL'
INSERT INTO events (kind, payload) SELECT 'click', md5(g::text) FROM generate_series(1, 3000) g;
DELETE FROM events WHERE id % 4 <> 0;
UPDATE events SET kind = 'view' WHERE id % 8 = 0;
SQL
DB=shop wait_for "(SELECT autovacuum_count > 0 AND autoanalyze_count > 0 FROM pg_stat_user_tables WHERE relname = 'events')" 150
# Anti-wraparound: 120000 XIDs (one subtransaction each), then autovacuum finds archive_2020 past its freeze_max_age.
client shop_owner shop <<'SQL'
CREATE TEMP TABLE xid_sink (i int);
DO $$ BEGIN
  FOR i IN 1..120000 LOOP
    BEGIN INSERT INTO xid_sink VALUES (i); EXCEPTION WHEN division_by_zero THEN NULL; END;
  END LOOP;
END $$;
SQL
DB=shop wait_for "(SELECT autovacuum_count > 0 FROM pg_stat_user_tables WHERE relname = 'archive_2020')" 200
# A canceled autovacuum: ledger's slow autovacuum, then LOCK TABLE (after deadlock_timeout the waiter cancels it).
client shop_owner shop -c "ALTER TABLE ledger SET (autovacuum_enabled = true)" -c "DELETE FROM ledger WHERE id % 2 = 0"
DB=shop wait_for "EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%ledger%')" 200
client shop_owner shop -c "BEGIN" -c "LOCK TABLE ledger" -c "DROP TABLE ledger" -c "COMMIT"
# VACUUM (SKIP_LOCKED) of a locked table.
client shop_owner shop -c "BEGIN" -c "LOCK TABLE accounts" -c "SELECT pg_sleep(0.8)" -c "COMMIT" &
sleep 0.2
client shop_owner shop -c "VACUUM (SKIP_LOCKED) accounts"
wait

# ---- checkpoints, WAL, a replication slot, archiving ----
su -c "CHECKPOINT" >/dev/null
su -c "SELECT pg_create_physical_replication_slot('fixture_standby', true)" >/dev/null
# About 100 MB of WAL in a few seconds: checkpoints requested by WAL volume, closer than checkpoint_warning.
for i in 1 2 3; do
  su -c "DO \$\$ BEGIN FOR i IN 1..32 LOOP PERFORM pg_logical_emit_message(false, 'fixture', repeat('x', 1000000)); END LOOP; END \$\$" >/dev/null
  sleep 1
done
su -c "CHECKPOINT" >/dev/null
wait_for "(SELECT wal_status = 'lost' FROM pg_replication_slots WHERE slot_name = 'fixture_standby')" 50
sleep 2

# ---- a backend killed with SIGKILL: crash and automatic recovery ----
victim=$(newapp) bystander=$(newapp)
tcp shop_owner shop "$victim" -c "SELECT pg_sleep(30)" &
tcp shop_owner shop "$bystander" -c "SELECT pg_sleep(30)" &
wait_for "$(active "$victim") AND $(active "$bystander")" 50
pid=$(su -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = '$victim'")
kill -9 "$pid"
for i in $(seq 200); do # connecting during the recovery: 57P03 "the database system is in recovery mode"
  su -Atc "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.05
done
wait
client shop_owner shop -c "SELECT count(*) FROM accounts"
sleep 1.5

# ---- the stretch ends: back to the cluster's own settings, then (quietly again) the files switch away ----
su -c "ALTER SYSTEM RESET ALL" -c "ALTER SYSTEM SET log_filename = '$logname.log'" \
  -c "ALTER SYSTEM SET log_min_messages = panic" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1.5
su -c "ALTER SYSTEM RESET log_filename" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1.5
mkdir -p "$fixtures/$set"
while read -r format path; do
  case $format in
    stderr) cp "$path" "$fixtures/$set/postgresql.log" ;;
    csvlog) cp "$path" "$fixtures/$set/postgresql.csv" ;;
    jsonlog) cp "$path" "$fixtures/$set/postgresql.json" ;;
  esac
done <<<"$files"
ls -la "$fixtures/$set"
check_set "$fixtures/$set" || true
