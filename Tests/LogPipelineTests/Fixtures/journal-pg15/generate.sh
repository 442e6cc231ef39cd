#!/usr/bin/env bash
# Regenerates the systemd-journal fixtures in this directory from the syslog fixture beside it
# (../syslog-pg15/precise.log and ../syslog-pg15/rfc5424.log, real PostgreSQL 15 syslog output written by a
# real rsyslogd). Nothing is started and no server is needed: the journal file is written by
# systemd-journal-remote from Journal Export Format input.
#
# Usage (from anywhere; root not needed where unprivileged user namespaces are allowed, see `unshare` below):  Tests/LogPipelineTests/Fixtures/journal-pg15/generate.sh
# Needs: python3; journalctl (systemd) and /lib/systemd/systemd-journal-remote (Debian 12:
# `apt-get install systemd-journal-remote`, systemd 252.39 was used). Writes, beside this script:
#   system.journal  a journal file, as `journalctl --file=system.journal` (or --directory=THIS_DIR) reads it
#   journal.json    `journalctl --file=system.journal --output=json --all`, one JSON object per line
#
# What the entries are (one per line of precise.log, in its order, plus 10 made-up ones, see below), modelled
# on what systemd-journald 252 stores for a message that glibc's syslog(3) sends to /dev/log (checked against a
# real journald on this machine, see the end of this header):
#   MESSAGE             the text after "postgres[PID]: " (so it starts with "[N-k] " or "[k] "), with
#                       rsyslog's escapes of control characters undone (#011 -> TAB, #012 -> LF): journald stores
#                       the bytes it was sent, rsyslog is what wrote "#011".
#   SYSLOG_IDENTIFIER   "postgres" (or cron / CRON / app for the foreign lines), SYSLOG_PID the PID in brackets
#                       (absent when the tag has none, as for "cron: ..."), _PID the sender's PID (= SYSLOG_PID).
#   PRIORITY, SYSLOG_FACILITY  from the <PRI> of the same line in rfc5424.log: <134> -> 6 / 16 (local0.info,
#                       PostgreSQL's LOG/DETAIL/HINT/STATEMENT...), <132> -> 4 (WARNING and ERROR), <131> -> 3
#                       (FATAL), <133> -> 5 (notice, the CRON line).
#   SYSLOG_TIMESTAMP    the "Mmm dd hh:mm:ss " glibc put in front, local time Europe/Berlin, WITH the trailing
#                       space journald keeps ("Dec  7 05:57:27 ").
#   __REALTIME_TIMESTAMP  the line's own RFC 3339 timestamp in microseconds since the epoch (rsyslog's receive
#                       time); _SOURCE_REALTIME_TIMESTAMP (the datagram's SO_TIMESTAMP) 14..40 us earlier.
#   __MONOTONIC_TIMESTAMP  microseconds since a made-up boot at 2026-12-07T03:12:45Z, _BOOT_ID fixed.
#   _TRANSPORT=syslog, _UID/_GID/_COMM/_EXE/_CMDLINE, _SYSTEMD_CGROUP/_SYSTEMD_UNIT (postgres:
#                       postgresql@15-main.service; CRON: cron.service; the `logger` lines: session-1.scope),
#                       _MACHINE_ID, _HOSTNAME=db-1. _CMDLINE of a PostgreSQL child is its ps title ("postgres:
#                       15/main: checkpointer ", "postgres: 15/main: postgres shop [local] idle"), guessed from its
#                       messages; the postmaster's is its real command line. Left out to keep the files small,
#                       although a real journald 252 adds them: _CAP_EFFECTIVE, _SYSTEMD_SLICE,
#                       _SYSTEMD_INVOCATION_ID, _RUNTIME_SCOPE (and _SELINUX_CONTEXT, _AUDIT_* where enabled).
# The 10 made-up entries, all about postgresql@15-main.service, model a unit that runs the postgres binary itself
# (stdout/stderr to the journal, as RHEL's postgresql.service does; Debian's stock unit runs pg_ctlcluster, which
# sends the server's stderr to /var/log/postgresql instead):
#   * a failed start a second earlier: systemd's own "Starting ..." (_TRANSPORT=journal, _PID=1, UNIT=...,
#     MESSAGE_ID), two stderr lines of PID 22990 (_TRANSPORT=stdout, _STREAM_ID, no SYSLOG_PID/FACILITY) -- the
#     first has a Latin-1 byte 0xE9 in it, so journalctl shows that MESSAGE as an array of byte values --,
#     then "Main process exited", "Failed with result 'exit-code'.", "Failed to start ...";
#   * the start that worked: "Starting ...", the two lines the postmaster (PID 23001) writes to stderr before the
#     logging collector takes over ("redirecting log output to logging collector process" + HINT), each a few
#     microseconds after the same message went to syslog, and "Started ..." after "ready to accept connections".
#   The stderr lines carry the '%m [%p] ' prefix (the server's log_line_prefix is '%m [%p] %q%u@%d %a ', which
#   prints only '%m [%p] ' outside sessions).
#
# How the file is written: `systemd-journal-remote --output=TMP/system.journal --split-mode=none --compress=no
# --seal=no -` with SYSTEMD_JOURNAL_COMPACT=0 and SYSTEMD_JOURNAL_KEYED_HASH=0 (no incompatible flags at all: the
# classic format without systemd 252's "compact" entries and 246's keyed hashes, and no zstd/lz4/xz, so that a
# journalctl older than 252 -- Ubuntu 22.04's 249, RHEL 8's 239 -- reads it too; JOURNAL_COMPACT=1 ./generate.sh
# gives compact entries, about 90 KB smaller, readable by systemd >= 252 only). It is written on a 16 MiB tmpfs so that journal-remote sizes
# the data hash table for a small file (32 KiB instead of 3.7 MB), then the preallocated tail is cut off
# (arena_size := bytes in use), which `journalctl --verify` accepts and journal-remote/journald grow again when
# they append. journal-remote makes a fresh file_id and seqnum_id each run, so __CURSOR's "s=" part (and the
# file's bytes) change on every regeneration; everything else in journal.json is reproducible. The file header's
# "Machine ID" is the generating host's /etc/machine-id (the entries' _MACHINE_ID is the fixed one below).
#
# A real journald can run here without systemd as PID 1 (used to check the field set above, not by this script):
#   unshare --mount --propagation private sh -c '
#     mount -t tmpfs tmpfs /run/systemd; mkdir -p /tmp/jd; mount --bind /tmp/jd /var/log/journal
#     /lib/systemd/systemd-journald pgtest &        # namespace "pgtest": sockets in /run/systemd/journal.pgtest/
#     ...; logger --socket /run/systemd/journal.pgtest/dev-log -p local0.info -t postgres --id=4711 "[1-1] hi"
#     journalctl --directory=/var/log/journal/$(cat /etc/machine-id).pgtest -o json'
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${JOURNAL_FIXTURE_SOURCE:-$HERE/../syslog-pg15}
OUT=${JOURNAL_FIXTURE_OUT:-$HERE}
REMOTE=/lib/systemd/systemd-journal-remote

die() { echo "generate.sh: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "no python3"
command -v journalctl >/dev/null || die "no journalctl (systemd)"
[ -x "$REMOTE" ] || die "no $REMOTE (apt-get install systemd-journal-remote)"
[ -f "$SRC/precise.log" ] && [ -f "$SRC/rfc5424.log" ] || die "no $SRC/precise.log or rfc5424.log"

WORK=$(mktemp -d /tmp/journal-fixture.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ------------------------------------------------------- Journal Export Format --
python3 - "$SRC/precise.log" "$SRC/rfc5424.log" "$WORK/entries.export" <<'PY'
import re, struct, sys
from datetime import datetime, timezone, timedelta

precise_path, rfc_path, out_path = sys.argv[1:4]
precise = open(precise_path, 'rb').read().decode('utf-8').splitlines()
rfc = open(rfc_path, 'rb').read().decode('utf-8').splitlines()
if len(precise) != len(rfc):
    sys.exit(f"precise.log has {len(precise)} lines, rfc5424.log {len(rfc)}")

BOOT_ID = 'a3c51b0e6f2d4c7e9b8a1d2e3f405162'
MACHINE_ID = '5e2f8c1a9d7b4e03a6c4b2d1e0f98765'
HOSTNAME = 'db-1'
BOOT_US = int(datetime(2026, 12, 7, 3, 12, 45, tzinfo=timezone.utc).timestamp()) * 1_000_000
BERLIN = timezone(timedelta(hours=1))          # December: CET, as rsyslogd's TZ=Europe/Berlin wrote it
PG_UNIT = 'postgresql@15-main.service'
PG_CGROUP = '/system.slice/system-postgresql.slice/postgresql@15-main.service'
PG_INVOCATION = '4f1e2d3c5b6a47988a9b0c1d2e3f4a5b'     # INVOCATION_ID= of systemd's own lines about the unit
PG_UID, PG_GID = '105', '113'
MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

LINE = re.compile(r'^(\S+) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (.*)$', re.S)
PRI = re.compile(r'^<(\d+)>1 (\S+) ')

def unescape_rsyslog(text):
    # rsyslog writes a control character C (and DEL) as '#' + three octal digits; journald keeps the byte.
    return re.sub(r'#([0-3][0-7][0-7])', lambda m: chr(int(m.group(1), 8)) if int(m.group(1), 8) < 32 else m.group(0), text)

def micros(rfc3339):
    return int(round(datetime.fromisoformat(rfc3339).timestamp() * 1_000_000))

def syslog_stamp(us):
    t = datetime.fromtimestamp(us // 1_000_000, BERLIN)
    return f"{MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} "

def field(name, value):
    if isinstance(value, str):
        value = value.encode('utf-8')
    if b'\n' in value:
        return name.encode() + b'\n' + struct.pack('<Q', len(value)) + value + b'\n'
    return name.encode() + b'=' + value + b'\n'

def common(us):
    return [('__REALTIME_TIMESTAMP', str(us)), ('__MONOTONIC_TIMESTAMP', str(us - BOOT_US)), ('_BOOT_ID', BOOT_ID)]

def trailer():
    return [('_MACHINE_ID', MACHINE_ID), ('_HOSTNAME', HOSTNAME)]

def pg_process(pid):
    return [('_UID', PG_UID), ('_GID', PG_GID), ('_COMM', 'postgres'), ('_EXE', '/usr/lib/postgresql/15/bin/postgres'),
            ('_CMDLINE', cmdline[pid]), ('_SYSTEMD_CGROUP', PG_CGROUP), ('_SYSTEMD_UNIT', PG_UNIT)]

# ps titles of the PostgreSQL processes (what /proc/PID/cmdline shows), guessed from each PID's first message
POSTMASTER_CMD = '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf'
cmdline = {}
authorized = re.compile(r'connection authorized: user=(\S+) database=(\S+)')
first = {}
for line in precise:
    m = LINE.match(line)
    if m and m.group(3) == 'postgres':
        first.setdefault(m.group(4), []).append(m.group(5))
for n, (pid, msgs) in enumerate(first.items()):
    text = '\n'.join(msgs)
    if n == 0:
        cmdline[pid] = POSTMASTER_CMD
    elif (a := authorized.search(text)):
        cmdline[pid] = f'postgres: 15/main: {a.group(1)} {a.group(2)} [local] idle'
    elif 'database system was shut down at' in msgs[0] or 'redo' in msgs[0]:
        cmdline[pid] = 'postgres: 15/main: startup '
    elif 'checkpoint starting' in text:
        cmdline[pid] = 'postgres: 15/main: checkpointer '
    elif 'automatic vacuum' in text or 'automatic analyze' in text:
        cmdline[pid] = 'postgres: 15/main: autovacuum worker '
    else:
        cmdline[pid] = 'postgres: 15/main: '

logger_pids = iter(range(23012, 99999, 37))
entries = []   # (realtime, order, fields)

for i, (line, rline) in enumerate(zip(precise, rfc)):
    m, p = LINE.match(line), PRI.match(rline)
    if not m or not p or p.group(2) != m.group(1):
        sys.exit(f"line {i + 1}: cannot read or does not match rfc5424.log: {line[:80]!r}")
    stamp, host, ident, pid, text = m.groups()
    pri = int(p.group(1))
    us = micros(stamp)
    message = unescape_rsyslog(text)
    f = common(us)
    f += [('_TRANSPORT', 'syslog'), ('PRIORITY', str(pri & 7)), ('SYSLOG_FACILITY', str(pri >> 3)),
          ('SYSLOG_IDENTIFIER', ident)]
    if pid:
        f.append(('SYSLOG_PID', pid))
    f += [('SYSLOG_TIMESTAMP', syslog_stamp(us)), ('MESSAGE', message),
          ('_SOURCE_REALTIME_TIMESTAMP', str(us - 14 - (i * 7) % 27))]
    if ident == 'postgres':
        f += [('_PID', pid)] + pg_process(pid)
    elif ident == 'CRON':
        f += [('_PID', pid), ('_UID', '0'), ('_GID', '0'), ('_COMM', 'cron'), ('_EXE', '/usr/sbin/cron'),
              ('_CMDLINE', '/usr/sbin/CRON -f'), ('_SYSTEMD_CGROUP', '/system.slice/cron.service'),
              ('_SYSTEMD_UNIT', 'cron.service')]
    else:   # `logger -t cron ...` / `logger -t app ...` from an interactive root session
        lp = str(next(logger_pids))
        f += [('_PID', lp), ('_UID', '0'), ('_GID', '0'), ('_COMM', 'logger'), ('_EXE', '/usr/bin/logger'),
              ('_CMDLINE', f'logger -t {ident} {message}'),
              ('_SYSTEMD_CGROUP', '/user.slice/user-0.slice/session-1.scope'), ('_SYSTEMD_UNIT', 'session-1.scope'),
              ('_SYSTEMD_OWNER_UID', '0'), ('_AUDIT_SESSION', '1'), ('_AUDIT_LOGINUID', '0')]
    entries.append((us, 0, f + trailer()))

# ---- the unit: systemd's own lines and the server's stderr ---------------------------------------------------
def pid1(us, priority, message, message_id, extra=()):
    f = common(us) + [('PRIORITY', str(priority)), ('SYSLOG_FACILITY', '3'), ('SYSLOG_IDENTIFIER', 'systemd'),
                      ('_TRANSPORT', 'journal'), ('_PID', '1'), ('_UID', '0'), ('_GID', '0'), ('_COMM', 'systemd'),
                      ('_EXE', '/usr/lib/systemd/systemd'), ('_CMDLINE', '/sbin/init'),
                      ('_SYSTEMD_CGROUP', '/init.scope'), ('_SYSTEMD_UNIT', 'init.scope'),
                      ('CODE_FILE', 'src/core/unit.c'), ('UNIT', PG_UNIT), ('MESSAGE_ID', message_id), ('MESSAGE', message)]
    f += list(extra) + [('_SOURCE_REALTIME_TIMESTAMP', str(us - 11))]
    return f + trailer()

def stream(us, pid, stream_id, message, cmd):
    f = common(us) + [('PRIORITY', '6'), ('SYSLOG_IDENTIFIER', 'postgres'), ('_TRANSPORT', 'stdout'),
                      ('_STREAM_ID', stream_id), ('MESSAGE', message), ('_PID', pid), ('_UID', PG_UID), ('_GID', PG_GID),
                      ('_COMM', 'postgres'), ('_EXE', '/usr/lib/postgresql/15/bin/postgres'), ('_CMDLINE', cmd),
                      ('_SYSTEMD_CGROUP', PG_CGROUP), ('_SYSTEMD_UNIT', PG_UNIT)]
    return f + trailer()

STARTING, STARTED, FAILED = '7d4958e842da4a758f6c1cdc7b36dcc5', '39f53479d3a045ac8e11786248231fbf', 'be02cf6855d2428ba40df7e9d022f03d'
RESULT, EXITED = 'd9b373ed55a64feb8242e02dbe79a49c', '98e322203f7a4ed290d09fe03c09fe15'
FAILED_INVOCATION = '9e8d7c6b5a4f43e2b1c0d9e8f7a6b5c4'
t0 = micros('2026-12-07T05:57:26.904113+01:00')
job = lambda n, kind, result=None: [('JOB_ID', str(n)), ('JOB_TYPE', kind)] + ([('JOB_RESULT', result)] if result else [])
unit_lines = [
    pid1(t0, 6, f'Starting {PG_UNIT} - PostgreSQL Cluster 15-main...', STARTING,
         job(812, 'start') + [('INVOCATION_ID', FAILED_INVOCATION)]),
    stream(t0 + 7_861, '22990', '2b7c1e0d9f8a4b6c8d5e3f2a1b0c9d8e',
           b'2026-12-07 04:57:26.912 UTC [22990] LOG:  syntax error in file "/etc/postgresql/15/main/postgresql.conf" line 815, near token "caf\xe9"',
           POSTMASTER_CMD),
    stream(t0 + 7_893, '22990', '2b7c1e0d9f8a4b6c8d5e3f2a1b0c9d8e',
           '2026-12-07 04:57:26.912 UTC [22990] FATAL:  configuration file "/etc/postgresql/15/main/postgresql.conf" contains errors',
           POSTMASTER_CMD),
    pid1(t0 + 9_406, 5, f'{PG_UNIT}: Main process exited, code=exited, status=1/FAILURE', EXITED,
         [('INVOCATION_ID', FAILED_INVOCATION), ('EXIT_CODE', 'exited'), ('EXIT_STATUS', '1'), ('COMMAND', 'start')]),
    pid1(t0 + 9_511, 4, f"{PG_UNIT}: Failed with result 'exit-code'.", RESULT,
         [('INVOCATION_ID', FAILED_INVOCATION), ('UNIT_RESULT', 'exit-code')]),
    pid1(t0 + 9_770, 3, f'Failed to start {PG_UNIT} - PostgreSQL Cluster 15-main.', FAILED,
         job(812, 'start', 'failed') + [('INVOCATION_ID', FAILED_INVOCATION)]),
]
t1 = micros('2026-12-07T05:57:27.903518+01:00')
unit_lines += [
    pid1(t1, 6, f'Starting {PG_UNIT} - PostgreSQL Cluster 15-main...', STARTING,
         job(897, 'start') + [('INVOCATION_ID', PG_INVOCATION)]),
    # PostgreSQL writes each message to syslog first, then to stderr (elog.c, send_message_to_server_log)
    stream(micros('2026-12-07T05:57:27.951675+01:00') + 9, '23001', '6d5c4b3a29184f7e8d6c5b4a3f2e1d0c',
           '2026-12-07 04:57:27.951 UTC [23001] LOG:  redirecting log output to logging collector process',
           POSTMASTER_CMD),
    stream(micros('2026-12-07T05:57:27.951699+01:00') + 6, '23001', '6d5c4b3a29184f7e8d6c5b4a3f2e1d0c',
           '2026-12-07 04:57:27.951 UTC [23001] HINT:  Future log output will appear in directory "/tmp/syslog-fixture-work/pglog".',
           POSTMASTER_CMD),
    pid1(micros('2026-12-07T05:57:27.965012+01:00'), 6, f'Started {PG_UNIT} - PostgreSQL Cluster 15-main.', STARTED,
         job(897, 'start', 'done') + [('INVOCATION_ID', PG_INVOCATION)]),
]
for f in unit_lines:
    entries.append((int(dict(f)['__REALTIME_TIMESTAMP']), 1, f))

entries.sort(key=lambda e: (e[0], e[1]))
with open(out_path, 'wb') as out:
    for _, _, f in entries:
        out.write(b''.join(field(n, v) for n, v in f) + b'\n')
print(f"{len(entries)} entries ({len(precise)} from precise.log, {len(unit_lines)} of the unit)")
PY

# ------------------------------------------------------------ the journal file --
# journal-remote sizes the file's data hash table for the largest file the filesystem would let it write (up to
# 128 MiB -> a 3.7 MB table); on a 16 MiB tmpfs that is 512 KiB -> the minimum table (32 KiB). The tmpfs lives in
# a private mount namespace (user namespace too, so root is not needed).
mkdir "$WORK/fs"
unshare --user --map-root-user --mount -- /bin/sh -euc '
  mount -t tmpfs -o size=16m journal-fixture "$1/fs"
  SYSTEMD_JOURNAL_COMPACT=$3 SYSTEMD_JOURNAL_KEYED_HASH=0 "$2" --output="$1/fs/system.journal" --split-mode=none --compress=no --seal=no - \
    <"$1/entries.export" 2>"$1/remote.err"
  cp "$1/fs/system.journal" "$1/system.journal"
' journal-fixture "$WORK" "$REMOTE" "${JOURNAL_COMPACT:-0}" || die "journal-remote failed: $(cat "$WORK/remote.err" 2>/dev/null)"
# Cut the preallocated tail: arena_size := end of the last object - header_size, file size := that end.
python3 - "$WORK/system.journal" <<'PY'
import os, struct, sys
path = sys.argv[1]
with open(path, 'r+b') as f:
    head = f.read(240)
    assert head[:8] == b'LPKSHHRH', 'not a journal file'
    assert head[16] == 0, 'journal file not offline'
    header_size, arena_size = struct.unpack_from('<QQ', head, 88)
    tail = struct.unpack_from('<Q', head, 136)[0]
    f.seek(tail)
    obj = f.read(16)
    end = tail + struct.unpack_from('<Q', obj, 8)[0]
    end = (end + 7) // 8 * 8
    assert header_size < end <= header_size + arena_size
    f.seek(96)
    f.write(struct.pack('<Q', end - header_size))
os.truncate(path, end)
PY
journalctl --file="$WORK/system.journal" --verify >"$WORK/verify.out" 2>&1 || die "journalctl --verify: $(cat "$WORK/verify.out")"
journalctl --file="$WORK/system.journal" --output=json --all --no-pager >"$WORK/journal.json"

install -m 0644 "$WORK/system.journal" "$OUT/system.journal"
install -m 0644 "$WORK/journal.json" "$OUT/journal.json"
echo "wrote $OUT/system.journal ($(stat -c %s "$OUT/system.journal") bytes) and $OUT/journal.json ($(wc -l <"$OUT/journal.json") entries)"
