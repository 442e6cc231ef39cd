#!/usr/bin/env bash
# debian-cluster.sh — a real Debian PostgreSQL 15 cluster made the Debian way
# (pg_createcluster / pg_ctlcluster from postgresql-common), for tests that need
# the real packaging layout: config in /etc/postgresql/15/NAME, data in
# /var/lib/postgresql/15/NAME, server stderr in
# /var/log/postgresql/postgresql-15-NAME.log (logging_collector off).
#
# Usage (as root, Debian with postgresql-15 and postgresql-common installed):
#   scripts/debian-cluster.sh up NAME PORT   (re)create and start cluster 15/NAME on PORT,
#                                            print a JSON object on stdout
#   scripts/debian-cluster.sh down NAME      stop and drop cluster 15/NAME (pg_dropcluster --stop)
#
# NAME: lowercase letters, digits and _ (no dashes: systemd units), not "main".
# PORT: 1024–65535, not used by another cluster or a listening server.
#
# Everything is Debian's default (createcluster.conf, pg_hba.conf with peer for
# local and scram-sha-256 for 127.0.0.1/32 and ::1/128, start.conf auto, ...)
# except: the port; shared_preload_libraries = 'pg_stat_statements' (set by
# pg_createcluster -o in postgresql.conf); CREATE EXTENSION pg_stat_statements
# in the database postgres; a role bitville_monitor (LOGIN, member of
# pg_monitor) with a new random password.
#
# `up` prints one line of JSON:
#   {"name":"NAME","version":15,"cluster_name":"15/NAME","port":PORT,
#    "host":"127.0.0.1","socket_directory":"/var/run/postgresql",
#    "user":"bitville_monitor","password":"...",
#    "data_directory":"/var/lib/postgresql/15/NAME",
#    "config_directory":"/etc/postgresql/15/NAME",
#    "log_file":"/var/log/postgresql/postgresql-15-NAME.log"}
# Progress and pg_createcluster's chatter go to stderr.
#
# Ownership: the script only ever touches clusters it made. Before calling
# pg_createcluster it writes a marker file (see MARKER_FILE) into the config
# directory; `up` and `down` refuse to act on a 15/NAME whose config directory
# lacks it, or whose data directory or log file exists without it. The marker
# is removed last by `down`, so every crashed `up` or `down` can be repaired by
# running `up` or `down` again (`up` on an existing cluster of ours drops it and
# starts from scratch, with a new password).
#
# Environment:
#   PG_CLUSTER_CONF_ROOT  honoured like postgresql-common does (default
#                         /etc/postgresql). Note that data, log and pid files
#                         stay under /var even then.

set -euo pipefail
umask 022

readonly PG_VERSION=15
readonly MONITOR_USER=bitville_monitor
readonly MARKER_FILE=postgres-agent-debian-cluster
readonly CONF_ROOT="${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}"
readonly SOCKET_DIR=/var/run/postgresql

log() { printf 'debian-cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '/^# Usage/,/^# PORT/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_name() {
  [[ $1 =~ ^[a-z][a-z0-9_]{0,40}$ ]] || die "invalid cluster name '$1' (lowercase letters, digits, _)"
  [[ $1 != main ]] || die "refusing to touch the cluster 'main'"
}

check_environment() {
  [[ $EUID -eq 0 ]] || die "must run as root (pg_createcluster writes $CONF_ROOT)"
  local tool
  for tool in pg_createcluster pg_ctlcluster pg_dropcluster pg_lsclusters runuser; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install postgresql-common postgresql-$PG_VERSION)"
  done
  [[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || die "postgresql-$PG_VERSION is not installed"
  [[ -f /usr/share/postgresql/$PG_VERSION/extension/pg_stat_statements.control ]] ||
    die "pg_stat_statements for PostgreSQL $PG_VERSION is missing"
}

conf_dir() { printf '%s/%s/%s' "$CONF_ROOT" "$PG_VERSION" "$1"; }
data_dir() { printf '/var/lib/postgresql/%s/%s' "$PG_VERSION" "$1"; }  # pg_createcluster's default
log_file() { printf '/var/log/postgresql/postgresql-%s-%s.log' "$PG_VERSION" "$1"; }

# ours NAME: 0 if the marker is there, 1 if nothing of 15/NAME exists, else die.
ours() {
  local name=$1 conf
  conf=$(conf_dir "$name")
  if [[ -f $conf/$MARKER_FILE ]]; then
    return 0
  fi
  if [[ -e $conf ]]; then
    die "$conf exists but was not made by this script (no $MARKER_FILE); not touching it"
  fi
  if [[ -e $(data_dir "$name") || -e $(log_file "$name") ]]; then
    die "$(data_dir "$name") or $(log_file "$name") exists without a config directory made by this script; not touching it"
  fi
  return 1
}

# Run psql as the postgres OS user over the cluster's Unix socket (peer auth).
psql_su() {
  local port=$1
  shift
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$port" -d postgres "$@")
}

# pid_alive PID: the process exists and is not a zombie (a killed postmaster
# whose parent does not reap it, e.g. in a container, stays a zombie).
pid_alive() {
  local state
  [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [[ $state != Z ]]
}

# A server owns the Unix socket while the PID in its lock file lives (the
# server's own rule: a crashed server leaves a stale socket and lock file).
socket_owner_alive() {
  local lock=$1 pid
  [[ -f $lock ]] || return 1
  pid=$(head -n 1 "$lock" 2>/dev/null || true)
  pid_alive "$pid"
}

port_in_use() {
  local port=$1
  if socket_owner_alive "$SOCKET_DIR/.s.PGSQL.$port.lock" || socket_owner_alive "/tmp/.s.PGSQL.$port.lock"; then
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# Stop and remove a cluster of ours, including the remains of a crashed run.
teardown() {
  local name=$1 conf data pid port lock
  conf=$(conf_dir "$name")
  data=$(data_dir "$name")
  port=$(sed -n 's/^port=\([0-9]*\)$/\1/p' "$conf/$MARKER_FILE" 2>/dev/null || true)
  if [[ -f $conf/postgresql.conf ]]; then
    log "dropping cluster $PG_VERSION/$name"
    pg_dropcluster --stop "$PG_VERSION" "$name" >&2 ||
      die "pg_dropcluster --stop $PG_VERSION $name failed"
  fi
  # A crash inside pg_createcluster can leave a data directory (maybe even a
  # running server) that pg_dropcluster does not know about.
  if [[ -d $data ]]; then
    if [[ -f $data/postmaster.pid ]]; then
      pid=$(head -n 1 "$data/postmaster.pid" || true)
      if pid_alive "$pid"; then
        log "stopping the server left running in $data (pid $pid)"
        (cd / && runuser -u postgres -- "/usr/lib/postgresql/$PG_VERSION/bin/pg_ctl" stop -D "$data" -m immediate -w) >&2 ||
          die "could not stop the server in $data"
      fi
    fi
    log "removing $data"
    rm -rf -- "$data"
  fi
  rm -f -- "$(log_file "$name")" "$(log_file "$name")".[1-9]* "$SOCKET_DIR/$PG_VERSION-$name.pid"
  # A killed server of ours leaves its socket and lock file behind.
  lock=$SOCKET_DIR/.s.PGSQL.$port.lock
  if [[ -n $port && -f $lock ]] && [[ $(sed -n 2p "$lock") == "$data" ]] && ! socket_owner_alive "$lock"; then
    rm -f -- "$SOCKET_DIR/.s.PGSQL.$port" "$lock"
  fi
  # Marker last: until here a rerun still knows the leftovers are ours.
  rm -rf -- "$conf"
}

cmd_up() {
  local name=$1 port=$2 conf password line other_port other_name
  check_name "$name"
  if ! [[ $port =~ ^[0-9]{4,5}$ ]] || ((10#$port < 1024 || 10#$port > 65535)); then
    die "invalid port '$port'"
  fi
  port=$((10#$port))
  check_environment
  conf=$(conf_dir "$name")

  if ours "$name"; then
    log "cluster $PG_VERSION/$name exists (made by this script): recreating it"
    teardown "$name"
  fi

  # The port must not belong to any other cluster (pg_createcluster -p does not check).
  while read -r _ other_name other_port _; do
    if [[ $other_port == "$port" ]]; then
      die "port $port is configured for cluster $other_name"
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
  if port_in_use "$port"; then
    die "port $port is in use"
  fi

  log "creating cluster $PG_VERSION/$name on port $port"
  install -d -o postgres -g postgres -m 0755 "$CONF_ROOT" "$CONF_ROOT/$PG_VERSION" "$conf"
  printf '# Made by postgres-agent scripts/debian-cluster.sh; remove with: scripts/debian-cluster.sh down %s\nport=%s\n' \
    "$name" "$port" >"$conf/$MARKER_FILE"
  chown postgres:postgres "$conf/$MARKER_FILE"

  pg_createcluster "$PG_VERSION" "$name" --port "$port" \
    -o "shared_preload_libraries=pg_stat_statements" >&2 ||
    die "pg_createcluster failed (run '$0 down $name' to clean up)"

  grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+scram-sha-256' \
    "$conf/pg_hba.conf" || die "$conf/pg_hba.conf has no 'host all all 127.0.0.1/32 scram-sha-256' line"

  pg_ctlcluster "$PG_VERSION" "$name" start >&2 ||
    die "pg_ctlcluster $PG_VERSION $name start failed; see $(log_file "$name")"

  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  # SQL on stdin so the password is not in any process's argv.
  psql_su "$port" >&2 <<SQL
\\set pw '$password'
CREATE ROLE $MONITOR_USER LOGIN PASSWORD :'pw' IN ROLE pg_monitor;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SQL

  # Prove the monitoring login works the way the agent will use it.
  line=$(cd / && PGPASSWORD=$password PGCONNECT_TIMEOUT=10 psql -X -At -h 127.0.0.1 -p "$port" \
    -U "$MONITOR_USER" -d postgres \
    -c "SELECT current_setting('cluster_name') || '|' || count(*) FROM pg_stat_statements" 2>&1) ||
    die "cannot log in as $MONITOR_USER over 127.0.0.1:$port: $line"
  [[ $line == "$PG_VERSION/$name|"* ]] || die "unexpected answer from the new cluster: $line"

  # Paths as postgresql-common reports them.
  local data logf
  read -r _ _ _ _ _ data logf < <(pg_lsclusters -h "$PG_VERSION" "$name")
  printf '{"name":%s,"version":%s,"cluster_name":%s,"port":%s,"host":"127.0.0.1","socket_directory":%s,"user":%s,"password":%s,"data_directory":%s,"config_directory":%s,"log_file":%s}\n' \
    "$(json_string "$name")" "$PG_VERSION" "$(json_string "$PG_VERSION/$name")" "$port" \
    "$(json_string "$SOCKET_DIR")" "$(json_string "$MONITOR_USER")" "$(json_string "$password")" \
    "$(json_string "$data")" "$(json_string "$conf")" "$(json_string "$logf")"
}

cmd_down() {
  local name=$1
  check_name "$name"
  check_environment
  if ours "$name"; then
    teardown "$name"
    log "cluster $PG_VERSION/$name removed"
  else
    log "cluster $PG_VERSION/$name does not exist; nothing to do"
  fi
}

main() {
  case "${1:-}" in
    up) [[ $# -eq 3 ]] || usage; cmd_up "$2" "$3" ;;
    down) [[ $# -eq 2 ]] || usage; cmd_down "$2" ;;
    *) usage ;;
  esac
}

main "$@"
