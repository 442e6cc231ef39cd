#!/usr/bin/env bash
# Demo of the agent's main job on a throwaway local setup. It installs what is missing, builds, starts a
# PostgreSQL 15 cluster, the reference listener and the agent daemon (`postgres-agent run`, 2-second
# interval, log tailing with the prefix asked from the server), drives a workload with slow queries,
# errors, a lock chain whose sessions carry bitville-<id> application names, and a deadlock, stops the
# agent with SIGTERM, and prints what the listener received. It stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export PGAGENT_TEST_ROOT="${PGAGENT_DEMO_ROOT:-/tmp/postgres-agent-demo}"
scripts/test-clusters.sh up 15 >/dev/null
work=$(mktemp -d /tmp/postgres-agent-demo-run.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/test-clusters.sh down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "building the agent (the first build fetches and compiles dependencies: a few minutes)..." >&2
scripts/stamp-commit.sh
swift build --product postgres-agent >&2
agent="$(swift build --show-bin-path)/postgres-agent"

cluster_json="$PGAGENT_TEST_ROOT/clusters.json"
port=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["clusters"][0]["port"])' "$cluster_json")
password=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_password"])' "$cluster_json")
psql_as() { # application_name, sql
    PGAPPNAME="$1" /usr/bin/psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d app -c "$2" >/dev/null 2>&1 || true
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The server logs what the demo wants to see: slow statements, lock waits, deadlocks.
# (ALTER SYSTEM may not share a query string with another statement.)
psql_as demo-setup "ALTER SYSTEM SET log_min_duration_statement = 200"
psql_as demo-setup "ALTER SYSTEM SET log_lock_waits = on"
psql_as demo-setup "ALTER SYSTEM SET deadlock_timeout = '300ms'"
psql_as demo-setup "SELECT pg_reload_conf()"

echo "starting the reference listener and the agent..." >&2
key="demo-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "$key" >"$work/listener.tokens"
chmod 600 "$work/listener.tokens"
"$agent" listener --listen 127.0.0.1:0 --token-file "$work/listener.tokens" --store "$work/listener.sqlite" \
    >"$work/listener.out" 2>"$work/listener.err" &
pids+=($!)
for _ in $(seq 1 500); do grep -q '^listening on ' "$work/listener.out" 2>/dev/null && break; sleep 0.02; done
url=$(sed -n 's/^listening on //p' "$work/listener.out")
cat >"$work/agent.ini" <<INI
[agent]
project = demo
interval_seconds = 2
state_dir = $work/state

[postgres]
conninfo = host=127.0.0.1 port=$port dbname=app user=bitville_monitor

[logs]
path = auto

[listener]
url = $url

[metrics]
listen = 127.0.0.1:$(free_port)
INI
POSTGRES_AGENT_POSTGRES_PASSWORD="$password" POSTGRES_AGENT_LISTENER_API_KEY="$key" \
    "$agent" run --config "$work/agent.ini" 2>"$work/agent.log" &
agent_pid=$!
pids+=($agent_pid)
POSTGRES_AGENT_POSTGRES_PASSWORD="$password" POSTGRES_AGENT_LISTENER_API_KEY="$key" \
    "$agent" check --config "$work/agent.ini" >&2 || true
# The workload starts once the agent follows the log (a first start reads from the log's end).
for _ in $(seq 1 500); do grep -q 'log tailing started' "$work/agent.log" 2>/dev/null && break; sleep 0.02; done

echo "workload: slow queries, errors, a lock chain, a deadlock..." >&2
psql_as demo-setup "CREATE TABLE IF NOT EXISTS demo_orders (id int PRIMARY KEY, total numeric);
                    INSERT INTO demo_orders SELECT g, g * 1.5 FROM generate_series(1, 5000) g ON CONFLICT DO NOTHING;
                    CREATE TABLE IF NOT EXISTS demo_accounts (id int PRIMARY KEY, balance int);
                    INSERT INTO demo_accounts VALUES (1, 100), (2, 100) ON CONFLICT DO NOTHING;"
for i in 1 2 3; do
    psql_as "bitville-5ab0c0d$i-0000-4000-8000-00000000000$i" "SELECT pg_sleep(0.3), count(*) FROM demo_orders WHERE total > $i;"
    psql_as "bitville-e770e770-0000-4000-8000-00000000000$i" "SELECT 1 / (SELECT count(*) - count(*) FROM demo_orders);"
done
# The lock chain: the root holds the table, two requests queue behind it.
psql_as bitville-100c0001-aaaa-4bbb-8ccc-000000000001 "BEGIN; LOCK TABLE demo_orders IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(7); COMMIT;" &
pids+=($!)
sleep 0.5
psql_as bitville-100c0002-aaaa-4bbb-8ccc-000000000002 "UPDATE demo_orders SET total = total + 1 WHERE id = 1;" &
pids+=($!)
psql_as bitville-100c0003-aaaa-4bbb-8ccc-000000000003 "SELECT count(*) FROM demo_orders;" &
pids+=($!)
# The deadlock: two transactions take the two accounts in opposite orders.
psql_as bitville-dead0001-aaaa-4bbb-8ccc-000000000001 "BEGIN; UPDATE demo_accounts SET balance = balance - 1 WHERE id = 1; SELECT pg_sleep(1); UPDATE demo_accounts SET balance = balance + 1 WHERE id = 2; COMMIT;" &
pids+=($!)
psql_as bitville-dead0002-aaaa-4bbb-8ccc-000000000002 "BEGIN; UPDATE demo_accounts SET balance = balance - 1 WHERE id = 2; SELECT pg_sleep(1); UPDATE demo_accounts SET balance = balance + 1 WHERE id = 1; COMMIT;" &
pids+=($!)
sleep 9   # the lock chain lasts 7 s; the agent snapshots every 2 s and ships the log as it grows

echo "stopping the agent (SIGTERM: the log batch is committed, the spool drained)..." >&2
kill -TERM "$agent_pid"
wait "$agent_pid" && echo "the agent exited 0" >&2
python3 scripts/demo-summary.py "$work/listener.sqlite"
