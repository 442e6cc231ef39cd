#!/usr/bin/env bash
# Regenerates the syslog fixtures in this directory from scratch: real PostgreSQL 15 syslog output, written
# by a real rsyslogd, plus the server's jsonlog of the same run as an oracle.
#
# Usage (as root, from anywhere):  Tests/LogPipelineTests/Fixtures/syslog-pg15/generate.sh
# Takes about 10 s (a few more if autovacuum is slow to come round). Writes, beside this script:
#   traditional.log  rsyslog template RSYSLOG_TraditionalFileFormat  ("Dec  7 05:43:49 db-1 postgres[123]: …")
#   precise.log      rsyslog template RSYSLOG_FileFormat             (RFC 3339 timestamp with µs and offset)
#   rfc5424.log      rsyslog template RSYSLOG_SyslogProtocol23Format ("<134>1 2026-… db-1 postgres 123 - - …")
#   server.json      the server's own jsonlog (log_destination = 'syslog,jsonlog') of the same run
# (rsyslog.conf beside this script is the exact rsyslog configuration used; it is read, never written.)
#
# Needs: root; Debian 12's postgresql-15 (/usr/lib/postgresql/15/bin, OS user postgres), rsyslog
# (apt-get install rsyslog), util-linux (unshare, logger, runuser), python3, a free TCP port 55490
# (PORT=… to change; the server listens on 127.0.0.1 only).
#
# What it starts (all stopped again at the end, also on failure; nothing outside the work dir changes):
#   * rsyslogd -n -f WORK/rsyslog.conf -i WORK/rsyslogd.pid, with TZ=Europe/Berlin (so the syslog
#     timestamps are local time, +01:00/+02:00, while PostgreSQL's own %m prefix is UTC). It listens only
#     on the socket WORK/dev-log (imuxsock, SysSock.Use="off") and never reads /etc/rsyslog.conf.
#   * a fresh PostgreSQL 15 cluster in WORK/pgdata (initdb --auth=trust, runuser -u postgres), started by
#     pg_ctl inside `unshare --mount` whose /dev is a small tmpfs: bind mounts of the host's null, zero,
#     full, random, urandom and tty, a private /dev/shm, and /dev/log -> WORK/dev-log. syslog(3) in
#     glibc always writes to /dev/log, so this is how the server reaches the throwaway rsyslogd without
#     touching the host's /dev/log (which may belong to journald or a system rsyslogd).
# WORK is $SYSLOG_FIXTURE_WORK (default /tmp/syslog-fixture-work); it is wiped at the start and kept at the
# end for inspection (WORK/out/everything.log also has the lines of other facilities).
#
# Server settings: log_destination = 'syslog,jsonlog', logging_collector = on, syslog_facility = 'LOCAL0',
# syslog_ident = 'postgres', log_line_prefix = '%m [%p] %q%u@%d %a ', log_min_duration_statement = 0,
# log_connections/log_disconnections/log_lock_waits/log_checkpoints = on, deadlock_timeout = 100ms,
# log_autovacuum_min_duration = 0 (autovacuum_naptime = 1s), lc_messages = 'C', log_timezone = 'UTC'.
#
# The run, in three phases (foreign lines from `logger -t cron` / `-t CRON --id=4242` / `-t app` in each):
#   1. syslog_sequence_numbers = on, syslog_split_messages = on (the defaults): CREATE DATABASE shop;
#      sessions with application_name bitville-<role>; plain statements; a unique violation (DETAIL,
#      STATEMENT); PL/pgSQL RAISE EXCEPTION with DETAIL/HINT (CONTEXT) and a division by zero (CONTEXT);
#      a syntax error; a multi-line statement with a tab and a newline inside a literal; non-ASCII text;
#      statements of ~4 KB (split at spaces), ~2.5 KB without spaces and ~2.6 KB of 'ä' (split mid-word,
#      at a character boundary) -> "[N-k]" parts; a lock wait that resolves; a deadlock; CHECKPOINT; a
#      connection to a missing database (FATAL); an autovacuum and autoanalyze of shop.public.churn.
#   2. ALTER SYSTEM SET syslog_sequence_numbers = off + reload: more of the same -> "[k]" parts only.
#   3. syslog_split_messages = off, sequence numbers on again + reload: whole messages in one syslog
#      record, so the newlines reach rsyslog and come out escaped as "#012" (tabs as "#011").
#   Then pg_ctl stop -m fast (shutdown checkpoint), rsyslogd stopped, files copied.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=${SYSLOG_FIXTURE_WORK:-/tmp/syslog-fixture-work}
PORT=${PORT:-55490}
PGBIN=/usr/lib/postgresql/15/bin
OUT=${SYSLOG_FIXTURE_OUT:-$HERE}

die() { echo "generate.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (runuser, unshare --mount)"
[ -x "$PGBIN/postgres" ] || die "no PostgreSQL 15 in $PGBIN (apt-get install postgresql-15)"
command -v rsyslogd >/dev/null || die "no rsyslogd (apt-get install rsyslog)"
id postgres >/dev/null 2>&1 || die "no OS user postgres"
case "$W" in /tmp/*|/var/tmp/*|/dev/shm/*) ;; *) die "SYSLOG_FIXTURE_WORK must be under /tmp, /var/tmp or /dev/shm" ;; esac

# ------------------------------------------------------------------ cleanup --
cleanup() {
  set +e
  if [ -f "$W/pgdata/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ -f "$W/rsyslogd.pid" ]; then
    local pid; pid=$(cat "$W/rsyslogd.pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}
trap cleanup EXIT

if [ -f "$W/pgdata/postmaster.pid" ] || [ -f "$W/rsyslogd.pid" ]; then cleanup; fi
rm -rf "$W"
mkdir -p "$W"/{rsyslog,out,dev,sock,pglog,pgdata}
chmod 755 "$W"
chmod 700 "$W/pgdata"
chown postgres: "$W/sock" "$W/pglog" "$W/pgdata"

# ----------------------------------------------------------------- rsyslogd --
sed "s#/tmp/syslog-fixture-work#$W#g" "$HERE/rsyslog.conf" >"$W/rsyslog.conf"
rsyslogd -N1 -f "$W/rsyslog.conf" >/dev/null 2>&1 || die "rsyslogd -N1 rejects $W/rsyslog.conf"
TZ=Europe/Berlin rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.out" 2>&1 &
for _ in $(seq 100); do [ -S "$W/dev-log" ] && [ -s "$W/rsyslogd.pid" ] && break; sleep 0.1; done
[ -S "$W/dev-log" ] || die "rsyslogd did not create $W/dev-log: $(cat "$W/rsyslogd.out")"

foreign() { logger --socket-errors=on -u "$W/dev-log" "$@"; } # another program's lines in the same files

# --------------------------------------------------------------- PostgreSQL --
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pgdata" --auth=trust --username=postgres \
  --encoding=UTF8 --locale=C.UTF-8 --lc-messages=C >"$W/initdb.out" 2>&1 || die "initdb failed: $(cat "$W/initdb.out")"
cat >>"$W/pgdata/postgresql.conf" <<EOF

# ---- generate.sh (syslog fixtures) ----
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$W/sock'
log_destination = 'syslog,jsonlog'
logging_collector = on
log_directory = '$W/pglog'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
syslog_facility = 'LOCAL0'
syslog_ident = 'postgres'
syslog_sequence_numbers = on
syslog_split_messages = on
log_line_prefix = '%m [%p] %q%u@%d %a '
log_timezone = 'UTC'
lc_messages = 'C'
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_lock_waits = on
deadlock_timeout = 100ms
log_checkpoints = on
log_autovacuum_min_duration = 0
autovacuum_naptime = 1s
EOF

# pg_ctl start inside a private mount namespace whose /dev/log leads to our rsyslogd. The postmaster (and so
# every backend) stays in that namespace after pg_ctl and this shell have exited.
unshare --mount --propagation private -- /bin/bash -euc '
  W=$1; PGBIN=$2
  mount -t tmpfs -o mode=755,size=64k pgdev "$W/dev"
  for n in null zero full random urandom tty; do : >"$W/dev/$n"; mount --bind "/dev/$n" "$W/dev/$n"; done
  mkdir "$W/dev/shm"; mount -t tmpfs -o mode=1777,size=256m pgshm "$W/dev/shm"
  ln -s /proc/self/fd "$W/dev/fd"
  ln -s /proc/self/fd/0 "$W/dev/stdin"; ln -s /proc/self/fd/1 "$W/dev/stdout"; ln -s /proc/self/fd/2 "$W/dev/stderr"
  ln -s "$W/dev-log" "$W/dev/log"
  mount --rbind "$W/dev" /dev
  cd "$W"
  exec runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -l "$W/pglog/pg_ctl.log" -w -t 60 start
' pg-namespace "$W" "$PGBIN" >"$W/pg_ctl.out" 2>&1 || die "pg_ctl start failed: $(cat "$W/pg_ctl.out" "$W/pglog/pg_ctl.log" 2>/dev/null)"

JSON="$W/pglog/postgresql.json"

# psql as superuser over the socket; APP DB [psql args]; stdin is the session's SQL.
client() { PGAPPNAME=$1 "$PGBIN/psql" -X -q -h "$W/sock" -p "$PORT" -U postgres -d "$2" "${@:3}" >>"$W/psql.out" 2>&1 || true; }
sql() { printf '%s\n' "$@"; }

wait_for_json() { # wait_for_json PYTHON-EXPR-ON-r TIMEOUT-SECONDS
  python3 - "$JSON" "$1" "$2" <<'PY'
import json, sys, time
path, expr, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + timeout
while time.time() < end:
    try:
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            if eval(expr):
                sys.exit(0)
    except (FileNotFoundError, json.JSONDecodeError):
        pass
    time.sleep(0.25)
sys.exit("timed out waiting for: " + expr)
PY
}

LONG_IN=$(printf "'name-%04d', " $(seq 1 300))
LONG_IN="SELECT count(*) FROM items WHERE name IN (${LONG_IN%, });"
LONG_X="SELECT length('$(printf 'x%.0s' $(seq 2500))') AS no_spaces;"
LONG_AE="SELECT length('$(printf 'ä%.0s' $(seq 1300))') AS umlauts;"
TAB=$'\t'

# ---------------------------------------------------------------- phase 1 --
foreign -t cron -p local0.info "hello from another program"
client psql postgres <<<"CREATE DATABASE shop;"
client bitville-setup shop <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, note text);
INSERT INTO items SELECT g, 'name-' || lpad(g::text, 4, '0'), NULL FROM generate_series(1, 300) g;
CREATE TABLE churn (id int, pad text) WITH (autovacuum_vacuum_threshold = 50, autovacuum_vacuum_scale_factor = 0,
                                            autovacuum_analyze_threshold = 50, autovacuum_analyze_scale_factor = 0);
CREATE FUNCTION check_stock(n int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF n < 0 THEN
    RAISE EXCEPTION 'stock for item % is negative', n
      USING DETAIL = 'Stock must not go below zero.', HINT = 'Restock first.';
  END IF;
  RETURN 100 / n;
END
$$;
SQL
client bitville-web shop <<SQL
SELECT name FROM items WHERE id = 7;
INSERT INTO items VALUES (1, 'duplicate', NULL);
SELECT check_stock(-3);
SELECT check_stock(0);
SELEC 1;
SELECT id,
       name,
${TAB}note
  FROM items
 WHERE id IN (1, 2, 3)
   AND name <> 'line
break';
SELECT 'Grüße aus Köln – 東京' AS greeting;
$LONG_IN
$LONG_X
$LONG_AE
SQL
foreign -t CRON --id=4242 -p local0.notice "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"

# a lock wait that resolves: the locker holds row 10 for 1 s
sql "BEGIN;" "UPDATE items SET note = 'held by locker' WHERE id = 10;" "SELECT pg_sleep(1);" "COMMIT;" |
  client bitville-locker shop &
locker=$!
sleep 0.4
client bitville-waiter shop <<<"UPDATE items SET note = 'set by waiter' WHERE id = 10;"
wait "$locker" # (a bare `wait` would wait for rsyslogd too)

# a deadlock: A holds 20 and wants 21, B holds 21 and wants 20
sql "BEGIN;" "UPDATE items SET note = 'a' WHERE id = 20;" "SELECT pg_sleep(0.5);" \
    "UPDATE items SET note = 'a' WHERE id = 21;" "COMMIT;" | client bitville-deadlock-a shop &
a=$!
sleep 0.1
sql "BEGIN;" "UPDATE items SET note = 'b' WHERE id = 21;" "SELECT pg_sleep(0.2);" \
    "UPDATE items SET note = 'b' WHERE id = 20;" "COMMIT;" | client bitville-deadlock-b shop &
b=$!
wait "$a" "$b"

client bitville-admin shop <<<"CHECKPOINT;"
client bitville-web nope -c "SELECT 1" # FATAL: database "nope" does not exist

# autovacuum + autoanalyze of shop.public.churn
client bitville-setup shop <<'SQL'
INSERT INTO churn SELECT g, repeat('p', 100) FROM generate_series(1, 2000) g;
DELETE FROM churn WHERE id % 2 = 0;
SQL
wait_for_json '"automatic vacuum of table \"shop.public.churn\"" in r.get("message", "")' 90
wait_for_json '"automatic analyze of table \"shop.public.churn\"" in r.get("message", "")' 30
foreign -t app -p local0.warning "a line with${TAB}a tab and Ümlaut"

# ---------------------------------------------------------------- phase 2 --
client bitville-admin shop <<'SQL'
ALTER SYSTEM SET syslog_sequence_numbers = off;
SELECT pg_reload_conf();
SQL
sleep 1
client bitville-web2 shop <<SQL
SELECT name FROM items WHERE id = 8;
INSERT INTO items VALUES (2, 'duplicate', NULL);
SELECT check_stock(-4);
SELECT id,
       name
  FROM items
 WHERE id = 4;
$LONG_IN
SQL
foreign -t cron -p local0.info "hello again"

# ---------------------------------------------------------------- phase 3 --
client bitville-admin shop <<'SQL'
ALTER SYSTEM SET syslog_split_messages = off;
ALTER SYSTEM RESET syslog_sequence_numbers;
SELECT pg_reload_conf();
SQL
sleep 1
client bitville-web3 shop <<SQL
SELECT name FROM items WHERE id = 9;
INSERT INTO items VALUES (3, 'duplicate', NULL);
SELECT check_stock(-5);
SELECT id,
${TAB}name
  FROM items
 WHERE id = 5;
$LONG_IN
SQL
foreign -t cron -p local0.info "goodbye"

# -------------------------------------------------------------------- stop --
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -m fast -w stop >/dev/null
sleep 0.5 # the last syslog datagrams are in the socket buffer; let rsyslogd write them
kill -TERM "$(cat "$W/rsyslogd.pid")"
for _ in $(seq 50); do [ -f "$W/rsyslogd.pid" ] || break; sleep 0.1; done
[ ! -f "$W/rsyslogd.pid" ] || die "rsyslogd did not stop"

mkdir -p "$OUT"
cp "$W/out/traditional.log" "$W/out/precise.log" "$W/out/rfc5424.log" "$OUT/"
cp "$JSON" "$OUT/server.json"
chmod 644 "$OUT"/{traditional.log,precise.log,rfc5424.log,server.json}

# ----------------------------------------------------------------- checks --
python3 - "$OUT" <<'PY'
import json, re, sys
d = sys.argv[1]
trad = open(d + "/traditional.log", encoding="utf-8").read().splitlines()
recs = [json.loads(l) for l in open(d + "/server.json", encoding="utf-8")]
def has(pred, what):
    n = sum(1 for l in trad if pred(l))
    print("  %5d  %s" % (n, what))
    if n == 0:
        sys.exit("missing: " + what)
has(lambda l: re.search(r"postgres\[\d+\]: \[\d+-1\] ", l), "[N-1] first parts (sequence numbers on)")
has(lambda l: re.search(r"postgres\[\d+\]: \[\d+-[2-9]\] ", l), "[N-k>1] continuation parts")
has(lambda l: re.search(r"postgres\[\d+\]: \[1\] ", l), "[1] first parts (sequence numbers off)")
has(lambda l: re.search(r"postgres\[\d+\]: \[[2-9]\] ", l), "[k>1] continuation parts (sequence numbers off)")
has(lambda l: re.search(r"postgres\[\d+\]: \[\d+\] .*#012", l), "unsplit records with #012 (split off)")
has(lambda l: re.search(r"postgres\[\d+\]: \[\d+\] .{1000,}", l), "unsplit records over 1000 bytes (split off)")
has(lambda l: "#011" in l, "lines with #011")
has(lambda l: " cron: " in l or " CRON[" in l or " app: " in l, "foreign lines")
has(lambda l: "deadlock detected" in l, "deadlock")
has(lambda l: "still waiting for" in l, "lock wait")
has(lambda l: "checkpoint complete" in l, "checkpoint complete")
has(lambda l: "automatic vacuum of table" in l, "autovacuum")
has(lambda l: "bitville-" in l, "bitville- application names")
for name in ("traditional.log", "precise.log", "rfc5424.log"):
    ls = open(d + "/" + name, "rb").read().split(b"\n")
    print("  %5d  lines in %s, longest %d bytes" % (len([l for l in ls if l]), name, max(len(l) for l in ls)))
print("  %5d  jsonlog records" % len(recs))
PY
ls -l "$OUT"
