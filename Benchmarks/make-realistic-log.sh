#!/usr/bin/env bash
# make-realistic-log.sh — a benchmark input that looks like a busy production server's log, written by a
# real PostgreSQL 17 in stderr, csvlog and jsonlog at once (the test clusters log all three through the
# logging collector), plus big copies for throughput runs.
#
# Usage: Benchmarks/make-realistic-log.sh [OUTDIR]      (default /var/tmp/pgagent-bench/realistic)
#
# It starts a PG 17 cluster with scripts/test-clusters.sh (or reuses a running one under the same
# PGAGENT_TEST_ROOT), turns on the logging a DBA would (every statement with its duration, connections,
# disconnections, checkpoints, lock waits, temp files, every autovacuum/autoanalyze, auto_explain plans of
# slower statements), makes autovacuum run often and checkpoints happen every 30 s, then drives for
# WORKLOAD_S seconds:
#   - PGBENCH_CLIENTS pgbench processes of one client each (application_name bitville-<uuid>, custom
#     scripts: OLTP transaction, point reads, single-row updates of the churn tables, range reports;
#     every third one with -M prepared), each rate-limited to PGBENCH_RATE transactions/s;
#   - churn: one session calling churn(CHURN_PER_CALL) every CHURN_INTERVAL s, which inserts, updates and
#     deletes rows of CHURN_TABLES small tables, so autovacuum and autoanalyze log a lot;
#   - a new psql connection every ~0.3 s (password or trust): plain queries, unique violations, RAISE with
#     DETAIL/HINT from PL/pgSQL, division by zero inside a function (CONTEXT), syntax errors, sorts that
#     spill to temp files, connections to a missing database and with a wrong password (FATAL);
#   - every LOCK_EVERY s two sessions updating one row (lock wait logged after deadlock_timeout = 100ms),
#     every DEADLOCK_EVERY s a deadlock.
# The stretch is bracketed by pg_rotate_logfile(); its files become OUTDIR/one.{log,csv,json}.
# OUTDIR/big.{log,csv,json} are copies concatenated to TARGET_MB MB (whole copies, then the first entries of one
# more, cut at an entry boundary), OUTDIR/huge.log (stderr) the same to HUGE_MB.
# It prints the class mix of one.json (Benchmarks/log-class-mix.py) and fails when autovacuum +
# autoanalyze are under MIN_AUTOVAC_PCT % of the entries.
#
# Environment:
#   PGAGENT_TEST_ROOT   cluster root (default /tmp/pgagent-benchlog); KEEP_CLUSTER=1 leaves it running
#   WORKLOAD_S (240), PGBENCH_CLIENTS (6), PGBENCH_RATE (50), CHURN_TABLES (400), CHURN_PER_CALL (20),
#   CHURN_INTERVAL (0.05), CONNECT_INTERVAL (0.3), LOCK_EVERY (4), DEADLOCK_EVERY (45),
#   AUTO_EXPLAIN_MS (8), TARGET_MB (200), HUGE_MB (1024), MIN_AUTOVAC_PCT (20)
set -euo pipefail
umask 022

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
OUT=${1:-/var/tmp/pgagent-bench/realistic}
export PGAGENT_TEST_ROOT=${PGAGENT_TEST_ROOT:-/tmp/pgagent-benchlog}
WORKLOAD_S=${WORKLOAD_S:-240}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-6}
PGBENCH_RATE=${PGBENCH_RATE:-50}
CHURN_TABLES=${CHURN_TABLES:-400}
CHURN_PER_CALL=${CHURN_PER_CALL:-20}
CHURN_INTERVAL=${CHURN_INTERVAL:-0.05}
CONNECT_INTERVAL=${CONNECT_INTERVAL:-0.3}
LOCK_EVERY=${LOCK_EVERY:-4}
DEADLOCK_EVERY=${DEADLOCK_EVERY:-45}
AUTO_EXPLAIN_MS=${AUTO_EXPLAIN_MS:-8}
TARGET_MB=${TARGET_MB:-200}
HUGE_MB=${HUGE_MB:-1024}
MIN_AUTOVAC_PCT=${MIN_AUTOVAC_PCT:-20}

say() { printf 'make-realistic-log: %s\n' "$*" >&2; }
uuid() { cat /proc/sys/kernel/random/uuid; }

mkdir -p "${OUT}"
WORK=$(mktemp -d /tmp/make-realistic-log.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "${p}" 2>/dev/null || true; done
  rm -rf "${WORK}"
  if [[ ${KEEP_CLUSTER:-0} != 1 ]]; then "${REPO}/scripts/test-clusters.sh" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ cluster --
if "${REPO}/scripts/test-clusters.sh" status 2>/dev/null | grep -q '^pg17 .* running'; then
  say "reusing the running pg17 under ${PGAGENT_TEST_ROOT}"
else
  say "starting PG 17 under ${PGAGENT_TEST_ROOT}"
  "${REPO}/scripts/test-clusters.sh" up 17 >&2
fi
info=$(python3 -c "
import json
c=[c for c in json.load(open('${PGAGENT_TEST_ROOT}/clusters.json'))['clusters'] if c['name']=='pg17'][0]
print(c['bin_dir'], c['port'], c['data_dir'])")
read -r PGBIN PORT DATADIR <<<"${info}"
export PATH="${PGBIN}:${PATH}"
APP_PASSWORD=$(uuid | tr -d -)
su_psql() { psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=${PORT} user=postgres dbname=${DB:-postgres}" "$@"; }
app_conn() { echo "host=127.0.0.1 port=${PORT} user=app_user dbname=app password=${APP_PASSWORD} application_name=$1"; }

# -------------------------------------------------------------------- setup --
say "setup: app_user, pgbench tables, ${CHURN_TABLES} churn tables, functions"
su_psql >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_user') THEN CREATE ROLE app_user LOGIN; END IF;
END \$\$;
ALTER ROLE app_user PASSWORD '${APP_PASSWORD}';
ALTER DATABASE app OWNER TO app_user;
SQL
DB=app su_psql >/dev/null <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS churn CASCADE;
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA churn AUTHORIZATION app_user;
CREATE SCHEMA shop AUTHORIZATION app_user;
SET ROLE app_user;
SELECT format('CREATE TABLE churn.t%s (id int PRIMARY KEY, v int NOT NULL, note text, updated_at timestamptz DEFAULT now());
               INSERT INTO churn.t%s SELECT g, 0, md5(g::text) FROM generate_series(1, 200) g;', i, i)
  FROM generate_series(1, ${CHURN_TABLES}) i \gexec
CREATE TABLE shop.customers (id int PRIMARY KEY, email text UNIQUE NOT NULL, name text);
INSERT INTO shop.customers SELECT g, 'user' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 5000) g;
CREATE TABLE shop.hot (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO shop.hot VALUES (1, 0), (2, 0);
CREATE TABLE shop.events (id bigserial PRIMARY KEY, kind text, payload text, at timestamptz DEFAULT now());
INSERT INTO shop.events (kind, payload) SELECT 'k' || (g % 17), repeat(md5(g::text), 4) FROM generate_series(1, 60000) g;

-- the churn: every call touches n random tables (update a range, delete one row, re-insert it)
CREATE FUNCTION churn.churn(n int) RETURNS int LANGUAGE plpgsql AS \$\$
DECLARE t int; k int;
BEGIN
  FOR i IN 1..n LOOP
    t := 1 + floor(random() * ${CHURN_TABLES})::int;
    k := 1 + floor(random() * 170)::int;
    EXECUTE format('UPDATE churn.t%s SET v = v + 1, note = md5(random()::text), updated_at = now() WHERE id BETWEEN \$1 AND \$1 + 15', t) USING k;
    EXECUTE format('DELETE FROM churn.t%s WHERE id = \$1', t) USING k + 30;
    EXECUTE format('INSERT INTO churn.t%s (id, v, note) VALUES (\$1, 0, md5(random()::text)) ON CONFLICT (id) DO UPDATE SET v = 0', t) USING k + 30;
  END LOOP;
  RETURN n;
END \$\$;
-- errors with DETAIL, HINT and CONTEXT
CREATE FUNCTION shop.check_order_limit(customer int, amount numeric) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  IF amount > 1000 THEN
    RAISE EXCEPTION 'order amount % exceeds the credit limit of customer %', amount, customer
      USING DETAIL = format('Customer %s has a limit of 1000.00 and %s is requested.', customer, amount),
            HINT = 'Split the order or ask for a higher limit.',
            ERRCODE = 'check_violation';
  END IF;
END \$\$;
CREATE FUNCTION shop.conversion_rate(visits int, orders int) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE r numeric;
BEGIN
  r := orders::numeric / visits;
  RETURN round(r, 4);
END \$\$;
RESET ROLE;
SQL
PGPASSWORD=${APP_PASSWORD} pgbench -h 127.0.0.1 -p "${PORT}" -U app_user -i -s 5 -q --foreign-keys app >/dev/null 2>&1

# ---------------------------------------------------------------- settings --
say "logging and autovacuum settings (ALTER SYSTEM)"
su_psql >/dev/null <<SQL
LOAD 'auto_explain';
ALTER SYSTEM SET log_line_prefix = '%m [%p] %q%u@%d %a ';
ALTER SYSTEM SET log_min_duration_statement = 0;
ALTER SYSTEM SET log_autovacuum_min_duration = 0;
ALTER SYSTEM SET log_checkpoints = on;
ALTER SYSTEM SET log_connections = on;
ALTER SYSTEM SET log_disconnections = on;
ALTER SYSTEM SET log_lock_waits = on;
ALTER SYSTEM SET deadlock_timeout = '100ms';
ALTER SYSTEM SET log_temp_files = 0;
ALTER SYSTEM SET log_rotation_size = 0;
ALTER SYSTEM SET autovacuum_naptime = 1;
ALTER SYSTEM SET autovacuum_vacuum_threshold = 20;
ALTER SYSTEM SET autovacuum_vacuum_scale_factor = 0.02;
ALTER SYSTEM SET autovacuum_vacuum_insert_threshold = 50;
ALTER SYSTEM SET autovacuum_vacuum_insert_scale_factor = 0.02;
ALTER SYSTEM SET autovacuum_analyze_threshold = 20;
ALTER SYSTEM SET autovacuum_analyze_scale_factor = 0.02;
ALTER SYSTEM SET autovacuum_vacuum_cost_limit = 2000;
ALTER SYSTEM SET checkpoint_timeout = '30s';
ALTER SYSTEM SET max_wal_size = '64MB';
ALTER SYSTEM SET min_wal_size = '32MB';
ALTER SYSTEM SET session_preload_libraries = 'auto_explain';
ALTER SYSTEM SET auto_explain.log_min_duration = '${AUTO_EXPLAIN_MS}ms';
SELECT pg_reload_conf();
SQL
sleep 1.5
su_psql -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 1.2
STRETCH=$(cat "${DATADIR}/current_logfiles")

# ----------------------------------------------------------------- workload --
cat >"${WORK}/oltp.sql" <<'EOF'
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
EOF
cat >"${WORK}/read.sql" <<'EOF'
\set aid random(1, 100000 * :scale)
SELECT aid, bid, abalance FROM pgbench_accounts WHERE aid = :aid;
EOF
cat >"${WORK}/customer.sql" <<'EOF'
\set c random(1, 5000)
SELECT id, email, name FROM shop.customers WHERE id = :c;
EOF
cat >"${WORK}/churn-row.sql" <<EOF
\\set t random(1, ${CHURN_TABLES})
\\set k random(1, 200)
UPDATE churn.t:t SET v = v + 1, updated_at = now() WHERE id = :k;
EOF
cat >"${WORK}/report.sql" <<'EOF'
\set a random(1, 100000 * :scale)
\set len random(10, 60000)
SELECT bid, count(*), sum(abalance), avg(abalance) FROM pgbench_accounts WHERE aid BETWEEN :a::int AND :a::int + :len::int GROUP BY bid ORDER BY bid;
EOF
cat >"${WORK}/events.sql" <<'EOF'
\set k random(0, 16)
SELECT kind, count(*), max(at) FROM shop.events WHERE kind = 'k' || :k::text GROUP BY kind;
EOF

say "workload for ${WORKLOAD_S}s: ${PGBENCH_CLIENTS} pgbench clients at ${PGBENCH_RATE} tps each, churn of ${CHURN_TABLES} tables, connections, errors, lock waits"
for i in $(seq "${PGBENCH_CLIENTS}"); do
  mode=simple churn_row=(-f "${WORK}/churn-row.sql@4")
  # -M prepared turns :t into a parameter, which cannot name a table: no churn-row.sql there
  if ((i % 3 == 0)); then mode=prepared churn_row=(); fi
  PGPASSWORD=${APP_PASSWORD} PGAPPNAME="bitville-$(uuid)" pgbench -h 127.0.0.1 -p "${PORT}" -U app_user -n \
    -c 1 -j 1 -M "${mode}" -R "${PGBENCH_RATE}" -T "${WORKLOAD_S}" \
    -f "${WORK}/oltp.sql@3" -f "${WORK}/read.sql@8" -f "${WORK}/customer.sql@4" "${churn_row[@]}" \
    -f "${WORK}/report.sql@1" -f "${WORK}/events.sql@1" app >"${WORK}/pgbench-${i}.out" 2>&1 &
  pids+=($!)
done

churn_calls=$(python3 -c "print(int(${WORKLOAD_S} / ${CHURN_INTERVAL}))")
timeout $((WORKLOAD_S + 20)) psql -X -q "$(app_conn "bitville-$(uuid)")" >/dev/null 2>"${WORK}/churn.err" <<SQL &
SELECT churn.churn(${CHURN_PER_CALL}) \watch i=${CHURN_INTERVAL} c=${churn_calls}
SQL
churn_pid=$!
pids+=("${churn_pid}")

one_connection() { # a short-lived client: a normal query, or one of the usual errors
  local r=$((RANDOM % 100)) c=$((RANDOM % 5000 + 1)) app
  app=$(printf '%s\n' psql cron-nightly metabase reporting-api | shuf -n 1)
  if ((r < 40)); then
    psql -X -q "$(app_conn "${app}")" -c "SELECT count(*) FROM shop.events WHERE id > ${c} * 10" >/dev/null
  elif ((r < 50)); then
    psql -X -q "host=127.0.0.1 port=${PORT} user=postgres dbname=postgres application_name=${app}" \
      -c "SELECT datname, numbackends, xact_commit FROM pg_stat_database WHERE datname IS NOT NULL" >/dev/null
  elif ((r < 62)); then # unique violation: DETAIL Key (email)=(...) already exists.
    psql -X -q "$(app_conn "${app}")" \
      -c "INSERT INTO shop.customers (id, email, name) VALUES (${c}, 'user${c}@example.com', 'Dup')" >/dev/null
  elif ((r < 72)); then # RAISE with DETAIL and HINT, CONTEXT from PL/pgSQL
    psql -X -q "$(app_conn "${app}")" -c "SELECT shop.check_order_limit(${c}, $((c + 1000)).50)" >/dev/null
  elif ((r < 82)); then # division by zero inside a function: CONTEXT
    psql -X -q "$(app_conn "${app}")" -c "SELECT shop.conversion_rate(0, ${c})" >/dev/null
  elif ((r < 87)); then # syntax error
    psql -X -q "$(app_conn "${app}")" -c "SELEC id, email FROM shop.customers WHERE id = ${c}" >/dev/null
  elif ((r < 94)); then # a sort that spills: temporary file
    psql -X -q "$(app_conn "${app}")" >/dev/null <<SQL
SET work_mem = '64kB';
SELECT id, payload FROM shop.events ORDER BY payload DESC LIMIT 5 OFFSET ${c};
SQL
  elif ((r < 97)); then # FATAL: database does not exist
    psql -X -q "host=127.0.0.1 port=${PORT} user=app_user dbname=appp password=${APP_PASSWORD} application_name=${app}" -c "SELECT 1" >/dev/null
  else # FATAL: password authentication failed, DETAIL: Connection matched ...
    psql -X -q "host=127.0.0.1 port=${PORT} user=app_user dbname=app password=wrong application_name=${app}" -c "SELECT 1" >/dev/null
  fi
}
lock_wait() { # two sessions on one row: the second waits ~0.4 s
  psql -X -q "$(app_conn "bitville-$(uuid)")" >/dev/null <<'SQL' &
BEGIN;
UPDATE shop.hot SET v = v + 1 WHERE id = 1;
SELECT pg_sleep(0.4);
COMMIT;
SQL
  sleep 0.1
  psql -X -q "$(app_conn "bitville-$(uuid)")" -c "UPDATE shop.hot SET v = v + 1 WHERE id = 1" >/dev/null
  wait
}
deadlock() { # two sessions updating two rows in opposite order
  local a b
  for a in 1 2; do
    b=$((3 - a))
    psql -X -q "$(app_conn "bitville-$(uuid)")" >/dev/null <<SQL &
BEGIN;
UPDATE shop.hot SET v = v + 1 WHERE id = ${a};
SELECT pg_sleep(0.3);
UPDATE shop.hot SET v = v + 1 WHERE id = ${b};
COMMIT;
SQL
  done
  wait
}
(
  end=$((SECONDS + WORKLOAD_S))
  while ((SECONDS < end)); do
    one_connection 2>/dev/null || true
    sleep "${CONNECT_INTERVAL}"
  done
) &
pids+=($!)
(
  end=$((SECONDS + WORKLOAD_S)) next_deadlock=$((SECONDS + DEADLOCK_EVERY / 2))
  while ((SECONDS < end)); do
    lock_wait 2>/dev/null || true
    if ((SECONDS >= next_deadlock)); then
      deadlock 2>/dev/null || true
      next_deadlock=$((SECONDS + DEADLOCK_EVERY))
    fi
    sleep "${LOCK_EVERY}"
  done
) &
pids+=($!)
wait "${pids[@]}" || true
pids=()
for i in $(seq "${PGBENCH_CLIENTS}"); do
  grep -E 'aborted|number of transactions actually processed|^tps' "${WORK}/pgbench-${i}.out" | tr '\n' ' ' | sed "s/^/pgbench ${i}: /" >&2
  echo >&2
done
[[ -s ${WORK}/churn.err ]] && { say "churn session stderr:"; head -5 "${WORK}/churn.err" >&2; }
sleep 2 # let the last autovacuum runs finish their log lines
su_psql -c "SELECT pg_rotate_logfile()" >/dev/null
sleep 1.2

# ------------------------------------------------------------------- output --
logfile() { # logfile DESTINATION: the file of that destination in the stretch, absolute
  local file
  file=$(awk -v d="$1" '$1==d{print $2}' <<<"${STRETCH}")
  [[ ${file} == /* ]] && echo "${file}" || echo "${DATADIR}/${file}"
}
cp "$(logfile stderr)" "${OUT}/one.log"
cp "$(logfile csvlog)" "${OUT}/one.csv"
cp "$(logfile jsonlog)" "${OUT}/one.json"
grow() { # grow SRC DEST MB: whole copies of SRC, then SRC's first entries, up to MB megabytes (10^6 B)
  python3 - "$@" <<'PY'
import os, re, shutil, sys
src, dest, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
target, size = mb * 1000000, os.path.getsize(src)
# an entry starts a line with the timestamp (stderr, csvlog) or is one line (jsonlog)
start = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ") if not src.endswith(".json") else None
with open(dest, "wb") as out:
    written = 0
    while written + size <= target:
        with open(src, "rb") as f:
            shutil.copyfileobj(f, out, 16 << 20)
        written += size
    rest = target - written
    if rest > 0:
        with open(src, "rb") as f:
            head = f.read(rest)
            if not head.endswith(b"\n"):
                head += f.readline()
            for line in f:  # finish the entry that straddles the cut (continuation lines)
                if start is None or start.match(line):
                    break
                head += line
        out.write(head)
PY
}
say "building big.{log,csv,json} (${TARGET_MB} MB) and huge.log (${HUGE_MB} MB)"
grow "${OUT}/one.log" "${OUT}/big.log" "${TARGET_MB}"
grow "${OUT}/one.csv" "${OUT}/big.csv" "${TARGET_MB}"
grow "${OUT}/one.json" "${OUT}/big.json" "${TARGET_MB}"
grow "${OUT}/one.log" "${OUT}/huge.log" "${HUGE_MB}"
{
  echo "# make-realistic-log.sh $(date -u +%FT%TZ): PG $(postgres --version | awk '{print $3}'), WORKLOAD_S=${WORKLOAD_S}" \
    "PGBENCH_CLIENTS=${PGBENCH_CLIENTS} PGBENCH_RATE=${PGBENCH_RATE} CHURN_TABLES=${CHURN_TABLES}" \
    "CHURN_PER_CALL=${CHURN_PER_CALL} CHURN_INTERVAL=${CHURN_INTERVAL} CONNECT_INTERVAL=${CONNECT_INTERVAL}" \
    "AUTO_EXPLAIN_MS=${AUTO_EXPLAIN_MS}"
  echo "# log_line_prefix = '%m [%p] %q%u@%d %a '"
  for f in one.log one.csv one.json big.log big.csv big.json huge.log; do
    printf '%-9s %12d bytes %9d lines\n' "${f}" "$(stat -c %s "${OUT}/${f}")" "$(wc -l <"${OUT}/${f}")"
  done
} | tee "${OUT}/README.txt" >&2
python3 "${HERE}/log-class-mix.py" "${OUT}/one.json" | tee "${OUT}/mix.txt"
python3 "${HERE}/log-class-mix.py" "${OUT}/one.json" --json >"${OUT}/mix.json"
python3 "${HERE}/log-class-mix.py" "${OUT}/one.json" --min-autovacuum-pct "${MIN_AUTOVAC_PCT}" >/dev/null
