#!/usr/bin/env bash
# syslog-server.sh — a throwaway PostgreSQL 15 that logs through a throwaway
# rsyslogd, for integration tests of syslog tailing (rotation included). The
# technique is the one of Tests/LogPipelineTests/Fixtures/syslog-pg15/generate.sh:
# rsyslogd listens only on its own socket DIR/dev-log, and the server runs inside
# `unshare --mount` with a private /dev whose /dev/log is a symlink to that socket
# (glibc's syslog(3) always writes to /dev/log). The host's /dev/log and
# /etc/rsyslog.conf are never touched.
#
# Usage (as root; Debian 12 with postgresql-15, rsyslog, logrotate, util-linux):
#   scripts/syslog-server.sh up DIR PORT           wipe DIR, start rsyslogd and a fresh cluster,
#                                                  print a JSON object on stdout
#   scripts/syslog-server.sh psql DIR PORT [ARGS]  psql as the postgres OS user over DIR/sock
#                                                  (environment passed through, e.g. PGAPPNAME)
#   scripts/syslog-server.sh rotate DIR            logrotate the syslog file (Debian's rsyslog rule)
#   scripts/syslog-server.sh flush DIR PORT        wait until what the server logged so far is
#                                                  in the syslog file (and the jsonlog)
#   scripts/syslog-server.sh down DIR              stop the server, then rsyslogd; keep DIR
#
# DIR: an absolute path under /tmp, /var/tmp or /dev/shm, of letters, digits and
# . _ - / only, at most 80 characters (Unix socket paths are short), no symlinks;
# the postgres OS user must be able to reach it (no 0700 parent). `up` refuses a
# non-empty DIR that it did not make (no DIR/.syslog-server marker).
# PORT: 1024–65535, free on 127.0.0.1.
#
# `up` prints one line of JSON:
#   {"dir":"DIR","port":PORT,"syslog_file":"DIR/syslog/postgresql.log",
#    "json_file":"DIR/pglog/postgresql.json","rsyslogd_pid_file":"DIR/rsyslogd.pid",
#    "socket_dir":"DIR/sock"}
# Progress and errors go to stderr; every failure exits non-zero with a message.
#
# rsyslogd (TZ=UTC, -f DIR/rsyslog.conf, -i DIR/rsyslogd.pid) writes local0.* to
# DIR/syslog/postgresql.log with the template RSYSLOG_FileFormat ("2026-…T…
# .123456+00:00 HOST postgres[PID]: [N-1] …"); everything else (rsyslogd's own
# messages, runuser's PAM lines) goes to DIR/rsyslog/other.log.
# The cluster (DIR/pgdata, initdb --auth=trust: trust for local and 127.0.0.1)
# has log_destination = 'syslog,jsonlog', logging_collector = on,
# log_directory = 'DIR/pglog', log_filename = 'postgresql.log' (so the jsonlog is
# DIR/pglog/postgresql.json), syslog_facility = 'LOCAL0', syslog_ident = 'postgres',
# log_line_prefix = '%m [%p] %q%u@%d %a ', log_min_duration_statement = 0,
# log_connections = on, log_disconnections = on, lc_messages = 'C',
# log_timezone = 'UTC', listen_addresses = '127.0.0.1', port = PORT,
# unix_socket_directories = 'DIR/sock' (and no rotation of its own log files).
# The namespace's /dev is a small tmpfs with bind mounts of the host's null, zero,
# full, random, urandom and tty, /dev/log -> DIR/dev-log, and a private /dev/shm
# (the host's /dev/shm when DIR is under /dev/shm, so that DIR stays reachable).
# `up` returns once the server accepts connections and its "ready to accept
# connections" line is in the syslog file. It first stops whatever a previous
# (maybe crashed) run left running from DIR: postgres processes whose working
# directory is in DIR, rsyslogd processes started with -f DIR/rsyslog.conf.
#
# `rotate` runs `/usr/sbin/logrotate -f -s DIR/logrotate.state DIR/logrotate.conf`
# on a generated config: Debian's /etc/logrotate.d/rsyslog rule plus the `create`
# of Debian's /etc/logrotate.conf, without compression, `rotate 5`, and a
# postrotate that sends SIGHUP to the pid in DIR/rsyslogd.pid (what
# /usr/lib/rsyslog/rsyslog-rotate does through systemd). So: postgresql.log is
# renamed to postgresql.log.1 (older ones shift to .2 … .5), a new empty
# postgresql.log is created, rsyslogd is HUPed. `rotate` returns once rsyslogd
# has closed postgresql.log.1; it then reopens postgresql.log at its next line.
#
# `flush` logs a marker from a session of its own (application_name
# syslog-server-flush: a DO block with RAISE LOG 'syslog-server-flush-<random>')
# and waits, at most 10 s, until the marker and that session's disconnection
# line are in the syslog file (current or .1) and in the jsonlog. Lines of
# sessions that are still open, or that close while `flush` runs, may come later.
#
# `down` stops the server (pg_ctl stop -m fast; immediate, then SIGKILL, if that
# fails), waits for its "database system is shut down" line in the syslog file,
# then stops rsyslogd (SIGTERM, waits for its pid file to go). It never fails
# because something is already gone; DIR stays for inspection.
#
# Zombies: PID 1 here does not reap orphans, so a dead rsyslogd or postmaster
# (whose parent, this script, is gone) stays a zombie; "alive" below means
# "exists and is not a zombie".

set -euo pipefail
umask 022

readonly PGBIN=/usr/lib/postgresql/15/bin
readonly LOGROTATE=/usr/sbin/logrotate
readonly MARKER_FILE=.syslog-server
readonly FLUSH_APP=syslog-server-flush

log() { printf 'syslog-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '/^# Usage/,/^# PORT/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ----------------------------------------------------------------- helpers --

now_us() { local t=${EPOCHREALTIME/./}; printf '%s' "$((10#$t))"; }

# wait_until SECONDS CMD [ARGS...]: poll CMD every 0.05 s until it succeeds; 1 on timeout.
wait_until() {
  local end=$(($(now_us) + $1 * 1000000))
  shift
  until "$@"; do
    (($(now_us) < end)) || return 1
    sleep 0.05
  done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local state
  [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [[ -n $state && $state != Z ]]
}

none_alive() {
  local pid
  for pid in "$@"; do
    if pid_alive "$pid"; then return 1; fi
  done
  return 0
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

check_dir() {
  local dir=$1
  [[ $dir =~ ^/(tmp|var/tmp|dev/shm)/[A-Za-z0-9._/-]+$ ]] ||
    die "DIR '$dir' must be an absolute path under /tmp, /var/tmp or /dev/shm (letters, digits, . _ - /)"
  [[ /$dir/ != */./* && /$dir/ != */../* && $dir != *//* && $dir != */ ]] ||
    die "DIR '$dir' must be a normalized path (no ., .., // or trailing /)"
  ((${#dir} <= 80)) || die "DIR '$dir' is too long (at most 80 characters: Unix socket paths are limited)"
  [[ $(realpath -m -- "$dir") == "$dir" ]] || die "DIR '$dir' goes through a symlink ($(realpath -m -- "$dir"))"
}

check_port() {
  if ! [[ $1 =~ ^[0-9]{4,5}$ ]] || ((10#$1 < 1024 || 10#$1 > 65535)); then
    die "invalid port '$1' (1024-65535)"
  fi
}

check_environment() {
  [[ $EUID -eq 0 ]] || die "must run as root (runuser, unshare --mount)"
  [[ -x $PGBIN/postgres && -x $PGBIN/initdb && -x $PGBIN/pg_ctl && -x $PGBIN/psql ]] ||
    die "no PostgreSQL 15 in $PGBIN (apt-get install postgresql-15)"
  command -v rsyslogd >/dev/null || die "no rsyslogd (apt-get install rsyslog)"
  [[ -x $LOGROTATE ]] || die "no $LOGROTATE (apt-get install logrotate)"
  local tool
  for tool in unshare runuser setsid mount realpath; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install util-linux coreutils)"
  done
  id postgres >/dev/null 2>&1 || die "no OS user postgres"
}

# Paths inside DIR.
set_paths() {
  DIR=$1
  PGDATA_DIR=$DIR/pgdata
  SOCK_DIR=$DIR/sock
  PGLOG_DIR=$DIR/pglog
  SYSLOG_DIR=$DIR/syslog
  SYSLOG_FILE=$SYSLOG_DIR/postgresql.log
  JSON_FILE=$PGLOG_DIR/postgresql.json
  RSYSLOG_CONF=$DIR/rsyslog.conf
  RSYSLOG_PID_FILE=$DIR/rsyslogd.pid
  DEV_LOG=$DIR/dev-log
  LOGROTATE_CONF=$DIR/logrotate.conf
  LOGROTATE_STATE=$DIR/logrotate.state
}

# ----------------------------------------------------------- processes --

# Postgres processes (postmaster, children, a crashed initdb's backend) of DIR:
# their working directory is DIR or inside it (the postmaster chdirs to its
# data directory; after `rm -rf` the link reads "DIR/pgdata (deleted)").
dir_postgres_pids() {
  local link pid
  while IFS= read -r link; do
    pid=${link#/proc/}
    pid=${pid%/cwd}
    case "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" in
      "$PGBIN/postgres" | "$PGBIN/initdb" | "$PGBIN/pg_ctl") pid_alive "$pid" && echo "$pid" ;;
    esac
  done < <(find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$DIR" -o -lname "$DIR/*" -o -lname "$DIR (deleted)" \) 2>/dev/null)
  return 0
}

# rsyslogd processes started with -f DIR/rsyslog.conf.
dir_rsyslogd_pids() {
  local f pid i args=()
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    mapfile -d '' -t args 2>/dev/null <"$f" || continue
    ((${#args[@]} > 2)) && [[ ${args[0]##*/} == rsyslogd ]] || continue
    for ((i = 1; i < ${#args[@]} - 1; i++)); do
      if [[ ${args[i]} == -f && ${args[i + 1]} == "$RSYSLOG_CONF" ]]; then
        pid_alive "$pid" && echo "$pid"
        break
      fi
    done
  done
  return 0
}

postmaster_pid() {
  local pid
  pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
  if pid_alive "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null || true) == "$PGBIN/postgres" ]]; then
    echo "$pid"
  fi
}

# kill_pids SIGNAL SECONDS PID...: signal, then wait for them to die; 1 if some still live.
kill_pids() {
  local sig=$1 secs=$2
  shift 2
  (($# > 0)) || return 0
  kill "-$sig" "$@" 2>/dev/null || true
  wait_until "$secs" none_alive "$@"
}

shutdown_lines() { # how many "database system is shut down" lines the syslog files have
  cat "$SYSLOG_FILE.1" "$SYSLOG_FILE" 2>/dev/null | grep -c 'database system is shut down' || true
}

shutdown_logged() { (($(shutdown_lines) > $1)); }

# stop_postgres fast|immediate: stop the server of DIR and every postgres process left from DIR.
stop_postgres() {
  local mode=$1 pid before pids
  pid=$(postmaster_pid)
  if [[ -n $pid ]]; then
    before=$(shutdown_lines)
    if [[ $mode == fast ]]; then
      log "stopping the server (pid $pid, pg_ctl stop -m fast)"
      if ! (cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop) >/dev/null 2>&1; then
        log "pg_ctl stop -m fast failed; immediate shutdown"
      fi
    fi
    if pid_alive "$pid"; then
      log "immediate shutdown of the server (pid $pid, SIGQUIT)"
      kill_pids QUIT 10 "$pid" || true
    fi
    if [[ $mode == fast ]] && ! pid_alive "$pid"; then
      # The last lines are syslog datagrams on their way; rsyslogd must write them before it stops.
      wait_until 10 shutdown_logged "$before" ||
        log "warning: no 'database system is shut down' line in $SYSLOG_FILE within 10 s"
    fi
  fi
  # Leftovers (a postmaster without pid file, orphaned children): SIGQUIT is an immediate
  # shutdown for a postmaster and a quick exit for its children; SIGKILL what still lives.
  mapfile -t pids < <(dir_postgres_pids)
  if ((${#pids[@]} > 0)); then
    log "stopping postgres processes left from $DIR: ${pids[*]}"
    kill_pids QUIT 5 "${pids[@]}" || kill_pids KILL 10 "${pids[@]}" ||
      die "could not kill postgres processes ${pids[*]}"
  fi
}

stop_rsyslogd() {
  local pid pids
  pid=$(head -n 1 "$RSYSLOG_PID_FILE" 2>/dev/null || true)
  if pid_alive "$pid"; then
    log "stopping rsyslogd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 10 rsyslogd_gone "$pid"; then
      log "rsyslogd did not stop within 10 s; SIGKILL"
      kill_pids KILL 5 "$pid" || die "could not kill rsyslogd $pid"
    fi
  fi
  rm -f -- "$RSYSLOG_PID_FILE"
  mapfile -t pids < <(dir_rsyslogd_pids)
  if ((${#pids[@]} > 0)); then
    log "stopping rsyslogd processes left from $DIR: ${pids[*]}"
    kill_pids TERM 5 "${pids[@]}" || kill_pids KILL 5 "${pids[@]}" ||
      die "could not kill rsyslogd processes ${pids[*]}"
  fi
}

rsyslogd_gone() { [[ ! -e $RSYSLOG_PID_FILE ]] && ! pid_alive "$1"; }

# ------------------------------------------------------------------- up --

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rsyslogd_ready() {
  local pid
  [[ -S $DEV_LOG ]] || return 1
  pid=$(head -n 1 "$RSYSLOG_PID_FILE" 2>/dev/null || true)
  pid_alive "$pid"
}

server_ready_logged() {
  grep -q 'database system is ready to accept connections' "$SYSLOG_FILE" 2>/dev/null
}

tcp_listening() { # 127.0.0.1:PORT in state LISTEN (0A), without connecting (no log lines)
  local hex
  hex=$(printf '0100007F:%04X' "$1")
  awk -v a="$hex" '$2 == a && $4 == "0A" {f = 1} END {exit f ? 0 : 1}' /proc/net/tcp
}

UP_DONE=0
up_exit() {
  local rc=$?
  if [[ $UP_DONE != 1 ]]; then
    set +e
    log "up failed; stopping what it started (DIR is kept for inspection)"
    stop_postgres immediate 2>/dev/null
    stop_rsyslogd 2>/dev/null
    ((rc != 0)) || rc=1
  fi
  exit "$rc"
}

cmd_up() {
  local dir=$1 port=$2 start rsyslogd_bin pid
  start=$(now_us)
  check_dir "$dir"
  check_port "$port"
  port=$((10#$port))
  check_environment
  set_paths "$dir"

  if [[ -e $DIR || -L $DIR ]]; then
    [[ -d $DIR && ! -L $DIR ]] || die "$DIR exists and is not a directory"
    if [[ ! -f $DIR/$MARKER_FILE ]] && [[ -n $(ls -A -- "$DIR") ]]; then
      die "$DIR is not empty and was not made by this script (no $MARKER_FILE); not wiping it"
    fi
  fi
  # Also when DIR is gone: its processes may outlive an `rm -rf`.
  stop_postgres immediate
  stop_rsyslogd
  rm -rf -- "$DIR" || die "could not remove $DIR"
  port_free "$port" || die "port $port is in use on 127.0.0.1"

  trap up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  mkdir -p -- "$DIR"
  printf 'Made by postgres-agent scripts/syslog-server.sh; stop with: scripts/syslog-server.sh down %s\n' "$DIR" \
    >"$DIR/$MARKER_FILE"
  mkdir -- "$DIR/rsyslog" "$DIR/dev" "$SYSLOG_DIR" "$SOCK_DIR" "$PGLOG_DIR" "$PGDATA_DIR"
  chmod 755 "$DIR" "$SYSLOG_DIR"
  chmod 700 "$PGDATA_DIR"
  chown postgres: "$SOCK_DIR" "$PGLOG_DIR" "$PGDATA_DIR"
  (cd / && runuser -u postgres -- test -w "$SOCK_DIR" -a -w "$PGLOG_DIR" -a -x "$DIR") ||
    die "the postgres OS user cannot reach $DIR (is a parent directory 0700?)"

  # ---- rsyslogd
  cat >"$RSYSLOG_CONF" <<EOF
# Written by scripts/syslog-server.sh up; run as:
#   TZ=UTC rsyslogd -n -f $RSYSLOG_CONF -i $RSYSLOG_PID_FILE
# Only the socket below (SysSock.Use="off": the host's /dev/log is left alone); the
# server reaches it through the /dev/log symlink of its private mount namespace.
global(workDirectory="$DIR/rsyslog"
       maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$DEV_LOG")

local0.* action(type="omfile" file="$SYSLOG_FILE" template="RSYSLOG_FileFormat")
# Everything else (rsyslogd's own messages, runuser's PAM lines), for debugging.
*.*;local0.none action(type="omfile" file="$DIR/rsyslog/other.log" template="RSYSLOG_FileFormat")
EOF
  rsyslogd_bin=$(command -v rsyslogd)
  "$rsyslogd_bin" -N1 -f "$RSYSLOG_CONF" >"$DIR/rsyslogd-check.out" 2>&1 ||
    die "rsyslogd -N1 rejects $RSYSLOG_CONF: $(cat "$DIR/rsyslogd-check.out")"
  # Own session, no inherited stdio: it must outlive this script and not hold a caller's pipe open.
  TZ=UTC setsid "$rsyslogd_bin" -n -f "$RSYSLOG_CONF" -i "$RSYSLOG_PID_FILE" \
    </dev/null >"$DIR/rsyslogd.out" 2>&1 &
  wait_until 10 rsyslogd_ready ||
    die "rsyslogd did not come up within 10 s (no socket $DEV_LOG or pid file): $(cat "$DIR/rsyslogd.out")"

  # ---- PostgreSQL
  (cd "$DIR" && runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" --auth=trust --username=postgres \
    --encoding=UTF8 --locale=C.UTF-8 --lc-messages=C --no-sync) </dev/null >"$DIR/initdb.out" 2>&1 ||
    die "initdb failed: $(cat "$DIR/initdb.out")"
  cat >>"$PGDATA_DIR/postgresql.conf" <<EOF

# ---- scripts/syslog-server.sh ----
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$SOCK_DIR'
log_destination = 'syslog,jsonlog'
logging_collector = on
log_directory = '$PGLOG_DIR'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
syslog_facility = 'LOCAL0'
syslog_ident = 'postgres'
log_line_prefix = '%m [%p] %q%u@%d %a '
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
lc_messages = 'C'
log_timezone = 'UTC'
EOF

  # pg_ctl start inside a private mount namespace whose /dev/log leads to our rsyslogd.
  # The postmaster stays in that namespace after pg_ctl and this shell have exited.
  unshare --mount --propagation private -- /bin/bash -euc '
    W=$1; PGBIN=$2
    mount -t tmpfs -o mode=755,size=64k pgdev "$W/dev"
    for n in null zero full random urandom tty; do : >"$W/dev/$n"; mount --bind "/dev/$n" "$W/dev/$n"; done
    mkdir "$W/dev/shm"
    case "$W" in # a DIR under /dev/shm must stay reachable: then the host'"'"'s /dev/shm, else a private one
      /dev/shm/*) mount --bind /dev/shm "$W/dev/shm" ;;
      *) mount -t tmpfs -o mode=1777,size=256m pgshm "$W/dev/shm" ;;
    esac
    ln -s /proc/self/fd "$W/dev/fd"
    ln -s /proc/self/fd/0 "$W/dev/stdin"; ln -s /proc/self/fd/1 "$W/dev/stdout"; ln -s /proc/self/fd/2 "$W/dev/stderr"
    ln -s "$W/dev-log" "$W/dev/log"
    mount --rbind "$W/dev" /dev
    cd "$W"
    exec runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -l "$W/pglog/pg_ctl.log" -w -t 60 start
  ' syslog-server-ns "$DIR" "$PGBIN" </dev/null >"$DIR/pg_ctl.out" 2>&1 ||
    die "pg_ctl start failed: $(cat "$DIR/pg_ctl.out" "$PGLOG_DIR/pg_ctl.log" 2>/dev/null)
last lines of $SYSLOG_FILE:
$(tail -n 8 "$SYSLOG_FILE" 2>/dev/null)"
  pid=$(postmaster_pid)
  [[ -n $pid ]] || die "pg_ctl start succeeded but no live postmaster in $PGDATA_DIR/postmaster.pid"
  wait_until 10 tcp_listening "$port" || die "the server (pid $pid) does not listen on 127.0.0.1:$port"
  wait_until 15 server_ready_logged ||
    die "no 'database system is ready to accept connections' in $SYSLOG_FILE within 15 s (rsyslogd: $(cat "$DIR/rsyslogd.out"))"

  # ---- logrotate config for `rotate`
  cat >"$LOGROTATE_CONF" <<EOF
# Written by scripts/syslog-server.sh up; used by: scripts/syslog-server.sh rotate $DIR
# = Debian's /etc/logrotate.d/rsyslog rule (+ 'create' from /etc/logrotate.conf), without
# compression, 'rotate 5', and a postrotate that HUPs our rsyslogd like rsyslog-rotate does.
$SYSLOG_FILE
{
	rotate 5
	missingok
	notifempty
	nocompress
	create
	sharedscripts
	postrotate
		kill -HUP "\$(cat $RSYSLOG_PID_FILE)"
	endscript
}
EOF

  UP_DONE=1
  log "up: rsyslogd pid $(head -n 1 "$RSYSLOG_PID_FILE"), postmaster pid $pid, 127.0.0.1:$port, $(( ($(now_us) - start) / 1000 )) ms"
  printf '{"dir":%s,"port":%s,"syslog_file":%s,"json_file":%s,"rsyslogd_pid_file":%s,"socket_dir":%s}\n' \
    "$(json_string "$DIR")" "$port" "$(json_string "$SYSLOG_FILE")" "$(json_string "$JSON_FILE")" \
    "$(json_string "$RSYSLOG_PID_FILE")" "$(json_string "$SOCK_DIR")"
}

# ----------------------------------------------------------------- psql --

cmd_psql() {
  local dir=$1 port=$2
  shift 2
  check_dir "$dir"
  check_port "$port"
  set_paths "$dir"
  [[ -d $SOCK_DIR ]] || die "$SOCK_DIR does not exist (run: $0 up $DIR $port)"
  cd /
  PGHOST=$SOCK_DIR PGPORT=$((10#$port)) exec runuser -u postgres -- "$PGBIN/psql" -X "$@"
}

# --------------------------------------------------------------- rotate --

rsyslogd_closed() { # rsyslogd holds no descriptor of FILE any more
  local pid=$1 file=$2 fd
  for fd in /proc/"$pid"/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null || true) != "$file" ]] || return 1
  done
  return 0
}

cmd_rotate() {
  local dir=$1 pid out
  check_dir "$dir"
  check_environment
  set_paths "$dir"
  [[ -f $DIR/$MARKER_FILE && -f $LOGROTATE_CONF ]] || die "$DIR was not set up by '$0 up'"
  pid=$(head -n 1 "$RSYSLOG_PID_FILE" 2>/dev/null || true)
  pid_alive "$pid" || die "rsyslogd is not running (no live pid in $RSYSLOG_PID_FILE)"
  [[ -s $SYSLOG_FILE ]] || log "warning: $SYSLOG_FILE is missing or empty; logrotate (missingok, notifempty) leaves it"
  out=$(cd / && "$LOGROTATE" -f -s "$LOGROTATE_STATE" "$LOGROTATE_CONF" 2>&1) ||
    die "logrotate failed: $out"
  [[ -z $out ]] || log "logrotate: $out"
  # SIGHUP is handled asynchronously: wait until rsyslogd has let go of the renamed file.
  wait_until 10 rsyslogd_closed "$pid" "$SYSLOG_FILE.1" ||
    die "rsyslogd (pid $pid) still has $SYSLOG_FILE.1 open 10 s after the HUP"
}

# ---------------------------------------------------------------- flush --

FLUSH_MARK=
FLUSH_PID=
FLUSH_DISC=

# The marker, and (with log_disconnections) the flush session's disconnection after it.
flushed_in() { # flushed_in PID-PATTERN FILE...
  local pat=$1 files=() f
  shift
  for f in "$@"; do [[ -f $f ]] && files+=("$f"); done
  ((${#files[@]} > 0)) || return 1
  awk -v m="$FLUSH_MARK" -v p="$pat" -v d="$FLUSH_DISC" '
    index($0, m) { s = 1; if (d == "") { f = 1; exit } }
    s && index($0, p) && index($0, "disconnection: session time") { f = 1; exit }
    END { exit f ? 0 : 1 }' "${files[@]}"
}

flushed() {
  flushed_in "[$FLUSH_PID]" "$SYSLOG_FILE.1" "$SYSLOG_FILE" &&
    flushed_in "\"pid\":$FLUSH_PID," "$JSON_FILE"
}

cmd_flush() {
  local dir=$1 port=$2 token out
  check_dir "$dir"
  check_port "$port"
  check_environment
  set_paths "$dir"
  [[ -d $SOCK_DIR ]] || die "$SOCK_DIR does not exist (run: $0 up $DIR $port)"
  token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  FLUSH_MARK="$FLUSH_APP-$token"
  out=$(cd / && PGHOST=$SOCK_DIR PGPORT=$((10#$port)) PGAPPNAME=$FLUSH_APP PGDATABASE=postgres PGUSER=postgres \
    runuser -u postgres -- "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
    -c "DO \$\$BEGIN RAISE LOG '$FLUSH_MARK'; END\$\$; SELECT pg_backend_pid() || ' ' || current_setting('log_disconnections')" \
    2>&1 </dev/null) || die "flush: psql failed: $out"
  [[ $out =~ ^([0-9]+)\ (on|off)$ ]] || die "flush: unexpected psql output: $out"
  FLUSH_PID=${BASH_REMATCH[1]}
  FLUSH_DISC=
  [[ ${BASH_REMATCH[2]} == off ]] || FLUSH_DISC=1
  wait_until 10 flushed ||
    die "flush: marker $FLUSH_MARK (session pid $FLUSH_PID) not in $SYSLOG_FILE(.1) and $JSON_FILE within 10 s"
}

# ----------------------------------------------------------------- down --

cmd_down() {
  local dir=$1
  check_dir "$dir"
  check_environment
  set_paths "$dir"
  if [[ -d $DIR && ! -f $DIR/$MARKER_FILE ]]; then
    log "$DIR was not made by this script (no $MARKER_FILE); nothing to do"
    return 0
  fi
  stop_postgres fast
  stop_rsyslogd
  log "down: nothing of $DIR runs any more (DIR kept)"
}

main() {
  case "${1:-}" in
    up) [[ $# -eq 3 ]] || usage; cmd_up "$2" "$3" ;;
    psql) [[ $# -ge 3 ]] || usage; cmd_psql "$2" "$3" "${@:4}" ;;
    rotate) [[ $# -eq 2 ]] || usage; cmd_rotate "$2" ;;
    flush) [[ $# -eq 3 ]] || usage; cmd_flush "$2" "$3" ;;
    down) [[ $# -eq 2 ]] || usage; cmd_down "$2" ;;
    *) usage ;;
  esac
}

main "$@"
