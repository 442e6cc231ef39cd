#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, only when something is missing.
set -euo pipefail
need=()
command -v python3 >/dev/null || need+=(python3)
command -v unzip >/dev/null || need+=(unzip)
# The spool links Debian's SQLite (through GRDB) and zlib (gzip).
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
# The Debian install tests rotate the server log with Debian's own logrotate rule.
[ -x /usr/sbin/logrotate ] || need+=(logrotate)
# The syslog tests run a throwaway rsyslogd of their own (never the system's).
command -v rsyslogd >/dev/null || [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
# The journal tests read journal files with journalctl, written by systemd-journal-remote.
[ -x /usr/bin/journalctl ] || need+=(systemd)
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
# The Debian package (scripts/package-deb.sh, scripts/test-deb.sh): dpkg-shlibdeps computes its Depends,
# help2man writes manual pages from a given binary, lintian checks the package.
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v help2man >/dev/null || need+=(help2man)
command -v lintian >/dev/null || need+=(lintian)
# /metrics is compared with Debian's postgres_exporter and node_exporter, against the same server and
# host (ExporterNamesTests).
[ -x /usr/bin/prometheus-postgres-exporter ] || need+=(prometheus-postgres-exporter)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
# A real Prometheus scrapes the agent and is queried (PrometheusScrapeTests).
[ -x /usr/bin/prometheus ] || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${need[*]} (install them, or run as root)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}"
fi
# The payload contract tests validate against docs/schema with Python's jsonschema (PyPI).
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q "jsonschema>=4.18"
command -v swift >/dev/null || { echo "swift is not on PATH (expected /opt/swift on this kind of machine)" >&2; exit 1; }
