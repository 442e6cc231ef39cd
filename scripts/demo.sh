#!/usr/bin/env bash
# Demo of the agent's main job on a throwaway local setup: starts a PostgreSQL 15 cluster, drives a small
# workload (statements, a lock chain whose sessions carry bitville-<id> application names), and prints
# one snapshot from `postgres-agent collect --once`. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export PGAGENT_TEST_ROOT="${PGAGENT_DEMO_ROOT:-/tmp/postgres-agent-demo}"
scripts/test-clusters.sh up 15 >/dev/null
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    scripts/test-clusters.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "building the agent (the first build fetches and compiles dependencies: a few minutes)..." >&2
swift build --product postgres-agent >&2
agent="$(swift build --show-bin-path)/postgres-agent"

cluster_json="$PGAGENT_TEST_ROOT/clusters.json"
port=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["clusters"][0]["port"])' "$cluster_json")
password=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_password"])' "$cluster_json")
psql_as() { # application_name, sql
    PGAPPNAME="$1" /usr/bin/psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d app -c "$2" >/dev/null
}

echo "workload: tables, statements, a lock chain..." >&2
psql_as demo-setup "CREATE TABLE demo_orders (id serial PRIMARY KEY, customer text, total numeric);
                    INSERT INTO demo_orders (customer, total)
                      SELECT 'customer ' || g, g * 1.5 FROM generate_series(1, 5000) g;
                    CREATE TABLE demo_customers AS
                      SELECT g AS id, 'customer ' || g AS name, 0 AS visits FROM generate_series(1, 5000) g;"
psql_as bitville-1f2e3d4c "BEGIN; LOCK TABLE demo_orders IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;" &
pids+=($!)
sleep 0.5
psql_as bitville-9a8b7c6d "SELECT count(*) FROM demo_orders WHERE total > 100;" &
pids+=($!)
sleep 0.5

# Statements keep running while the agent takes its baseline and, a second later, its sample.
( for i in $(seq 1 40); do
    psql_as "bitville-0a1b2c3d-$i" "SELECT count(*) FROM demo_customers WHERE name = 'customer $i';
                                    UPDATE demo_customers SET visits = visits + 1 WHERE id = $i;"
  done ) &
pids+=($!)

state_dir=$(mktemp -d)
echo "postgres-agent collect --once:" >&2
PGPASSWORD="$password" POSTGRES_AGENT_AGENT_STATE_DIR="$state_dir" \
POSTGRES_AGENT_COLLECTORS_BASELINE_WINDOW_MS=1000 POSTGRES_AGENT_COLLECTORS_TOP_STATEMENTS=5 \
    "$agent" collect --once --pretty \
    --dsn "host=127.0.0.1 port=$port user=bitville_monitor dbname=app sslmode=disable"
rm -rf "$state_dir"
wait "${pids[@]}" 2>/dev/null || true
