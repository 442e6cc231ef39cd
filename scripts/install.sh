#!/usr/bin/env bash
# install.sh — installs postgres-agent as a systemd service on this host:
#   - builds a release binary with the Swift standard library linked statically (unless --binary);
#   - creates the system user bitville-agent (member of adm, which reads Debian's PostgreSQL logs);
#   - installs /usr/local/bin/postgres-agent, /etc/bitville/postgres-agent.ini (from the example, kept
#     if present), an empty key file /etc/bitville/postgres-agent.key (root:bitville-agent 0640: the agent reads it, cannot change it),
#     the state directory /var/lib/bitville-postgres-agent, and the unit
#     /etc/systemd/system/postgres-agent.service; then `systemctl daemon-reload` when systemd runs.
# It does not enable or start the service: put the API key in the key file, set [postgres] and
# [listener] in the configuration, run `postgres-agent check --config /etc/bitville/postgres-agent.ini`,
# then `systemctl enable --now postgres-agent`.
#
# Usage: scripts/install.sh [--binary PATH] [--destdir DIR]
#   --binary PATH   install this binary instead of building one
#   --destdir DIR   install under DIR (staging, packaging, tests): no user is created and nothing is
#                   chowned or reloaded; what would be done is printed.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "${HERE}/.." && pwd)
binary=""
destdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    *) echo "usage: $0 [--binary PATH] [--destdir DIR]" >&2; exit 64 ;;
  esac
done
user=bitville-agent
say() { printf 'install: %s\n' "$*" >&2; }
staged() { [ -n "${destdir}" ]; }
as_root_owner() { # owner:group path — chown, or say it in a staged install
  if staged; then say "would chown $1 $2"; else chown "$1" "$2"; fi
}

if ! staged && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh installs system files: run it as root (or with --destdir)" >&2
  exit 1
fi
if [ -z "${binary}" ]; then
  "${REPO}/scripts/install-deps.sh"
  say "building a release binary (static Swift standard library); the first build takes several minutes"
  "${REPO}/scripts/stamp-commit.sh"
  binary="$("${REPO}/scripts/release-build.sh")/postgres-agent"
fi
[ -x "${binary}" ] || { echo "no executable at ${binary}" >&2; exit 1; }

if staged; then
  say "would create the system user ${user} (group adm)"
elif ! id -u "${user}" >/dev/null 2>&1; then
  say "creating the system user ${user}"
  useradd --system --user-group --no-create-home --home-dir /var/lib/bitville-postgres-agent \
    --shell /usr/sbin/nologin --comment "postgres-agent" "${user}"
  getent group adm >/dev/null && usermod -a -G adm "${user}"
fi

root=${destdir}
install -d -m 0755 "${root}/usr/local/bin" "${root}/etc/systemd/system"
install -m 0755 "${binary}" "${root}/usr/local/bin/postgres-agent"
install -d -m 0750 "${root}/etc/bitville"
as_root_owner "root:${user}" "${root}/etc/bitville"
if [ ! -e "${root}/etc/bitville/postgres-agent.ini" ]; then
  install -m 0640 "${REPO}/packaging/postgres-agent.ini.example" "${root}/etc/bitville/postgres-agent.ini"
  sed -i 's|^api_key_file = .*|api_key_file = /etc/bitville/postgres-agent.key  ; root:bitville-agent 0640|' \
    "${root}/etc/bitville/postgres-agent.ini"
  as_root_owner "root:${user}" "${root}/etc/bitville/postgres-agent.ini"
else
  say "keeping the existing /etc/bitville/postgres-agent.ini"
fi
# The key: root's, readable by the agent's group, writable by nobody else; the agent cannot change it.
# Every run puts loose modes right, on a key and configuration that were already there too.
if [ ! -e "${root}/etc/bitville/postgres-agent.key" ]; then
  install -m 0640 /dev/null "${root}/etc/bitville/postgres-agent.key"
fi
chmod 0640 "${root}/etc/bitville/postgres-agent.key" "${root}/etc/bitville/postgres-agent.ini"
as_root_owner "root:${user}" "${root}/etc/bitville/postgres-agent.key"
as_root_owner "root:${user}" "${root}/etc/bitville/postgres-agent.ini"
install -d -m 0750 "${root}/var/lib/bitville-postgres-agent"
as_root_owner "${user}:${user}" "${root}/var/lib/bitville-postgres-agent"
install -m 0644 "${REPO}/packaging/postgres-agent.service" "${root}/etc/systemd/system/postgres-agent.service"

if ! staged && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
say "installed. Next: put the API key in /etc/bitville/postgres-agent.key, set [postgres] and [listener] in"
say "/etc/bitville/postgres-agent.ini, run: postgres-agent check --config /etc/bitville/postgres-agent.ini"
say "then: systemctl enable --now postgres-agent"
