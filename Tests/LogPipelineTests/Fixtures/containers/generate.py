#!/usr/bin/env python3
"""Regenerates the container-log fixtures in this directory from the real PostgreSQL 17.11 logs in ../classes-pg17
(postgresql.log: stderr with log_line_prefix '%m [%p] %q%u@%d %a '; postgresql.csv: csvlog of the same stretch).
Nothing runs: no Docker, containerd or Kubernetes is needed; the records are written byte for byte the way the
code quoted below writes them. Deterministic: the same inputs give the same files.

Usage:  python3 Tests/LogPipelineTests/Fixtures/containers/generate.py      (Python 3.8+, standard library only)

Writes, beside this script:

docker-json.log  Docker's json-file log driver (/var/lib/docker/containers/ID/ID-json.log). Formats from moby:
    daemon/logger/jsonfilelog/jsonfilelog.go (marshalMessage), jsonlog/jsonlogbytes.go (MarshalJSONBuf,
    ffjsonWriteJSONBytesAsString), jsonlog/time_marshalling.go, daemon/logger/copier.go (16 KiB lines):
      {"log":"<line>\\n","stream":"stderr","time":"2026-12-07T02:23:31.189391523Z"}   one record a line, "\\n" after
    the record; keys in that order ("attrs" between stream and time only with --log-opt labels/env/tag); "time" is
    Go's time.RFC3339Nano of time.Now().UTC() when dockerd read the line: UTC "Z", 1 to 9 fraction digits
    (trailing zeros dropped; none at all on a whole second). Escaping: \\" \\\\ \\n \\r, every other byte < 0x20 as
    \\u00XX (so TAB is \\u0009), < > & as \\u003c \\u003e \\u0026, U+2028/2029 as \\u2028/\\u2029, each byte of
    invalid UTF-8 as \\ufffd; everything else (UTF-8 text, DEL) as is. A line longer than 16384 bytes is cut every
    16384 bytes: every record but the last has a "log" without the final "\\n", and all of them carry the time of
    the first part. What is here: the first 300 lines of postgresql.log (up to the end of an entry) on stderr, at
    increasing times a fraction of a millisecond after each line's %m; the three lines the official postgres image's
    docker-entrypoint.sh prints on stdout at a restart ("", "PostgreSQL Database directory appears to contain a
    database; Skipping initialization", ""), put where the server restarts (after line 24); and two crafted lines
    of session 30533/30580 made by concatenating earlier messages:
      * LONG: 40000 bytes -> 3 records (16384 + 16384 + 7232 bytes and "\\n"); an "ä" (C3 A4) straddles the first cut,
        so the first record ends in \\ufffd and the second starts with \\ufffd, as Docker really writes it (the
        character is lost; joining the parts gives the line with U+FFFD U+FFFD in place of "ä");
      * EXACT: exactly 16384 bytes -> one record of 16384 bytes without "\\n", then one whose "log" is just "\\n".

cri.log  The CRI log format that containerd (and CRI-O) write for the kubelet
    (/var/log/pods/NAMESPACE_POD_UID/CONTAINER/N.log, linked from /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log).
    Format from containerd internal/cri/io/logger.go (redirectLogs):
      2026-12-07T02:23:31.189391523Z stderr F <line bytes as they are>
    time.Now() (the node's local zone; UTC here) as RFC3339Nano, the stream, the tag F (full) or P (partial),
    one space each, the raw bytes (no escaping; a trailing "\\r" before "\\n" is dropped), "\\n". A line longer
    than max_container_log_line_size (default 16384) is cut into P records of exactly 16384 bytes and a final F
    one, each with its own time; an empty line is "<time> stdout F " (space, then the newline). Same lines as
    docker-json.log; LONG -> P, P, F (the "ä" is cut between two records, its bytes intact); EXACT -> one F
    record (16384 bytes is not over the limit). CRI-O's conmon writes the same layout with a fixed 9-digit
    fraction and a numeric offset (2026-12-07T02:23:31.189391523+00:00); not reproduced here.

cloudnativepg.json  What a CloudNativePG instance pod's postgres container prints (kubectl logs): the instance
    manager reads PostgreSQL's csvlog (a FIFO, /controller/log/postgres.csv) with Go's encoding/csv and logs
    every record through zap (machinery pkg/log, controller-runtime zap, JSON encoder, RFC3339Nano times):
      {"level":"info","ts":"2026-12-07T02:23:31.189683245Z","logger":"postgres","msg":"record",
       "logging_pod":"cluster-example-1","record":{"log_time":"2026-12-07 02:23:31.189 UTC",...}}
    Source: cloudnative-pg pkg/management/postgres/logpipe (logpipe.go, loggingCollector.go: LoggingRecord,
    writer.go: log.WithName(record.GetName()).Info("record", "record", record), pgaudit.go), execlog.go,
    linelogpipe.go; checked against real output of CloudNativePG 1.29.0 / 1.30.0 pods. The record's keys are
    csvlog's column names in csvlog's order, every value a JSON string (process_id "24534", session_line_num "6",
    transaction_id "0", query_id "0"), and a key whose value is empty is left out (omitempty: no "user_name" for a
    background process, no "leader_pid" unless set). The record is encoded by encoding/json with
    SetEscapeHTML(false): \\" \\\\ \\n \\r \\t \\b \\f, other bytes < 0x20 as \\u00XX, U+2028/2029 escaped, < > & as is.
    One line per record of postgresql.csv (509), in order, "ts" a fraction of a millisecond after log_time; plus,
    interleaved, lines of the instance manager in the shapes it really prints (logger "instance-manager", or none
    at all; "msg" before "logger" there because the instance manager adds "logger" as a plain field), the two
    lines the postmaster writes to its own stderr at the restart (logger "postgres", "pipe":"stderr", msg the raw
    line), one failed WAL archiving (logger "wal-archive", level "error", stack trace shortened) and one pgaudit
    record (logger "pgaudit": the csvlog record of an "AUDIT: ..." message, its message replaced by an "audit"
    object) -- these extra lines are made up in CloudNativePG's shapes, they are not in postgresql.csv.
"""
import csv
import hashlib
import io
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, '..', 'classes-pg17')
POD = 'cluster-example-1'
LINES = 300             # at least this many lines of postgresql.log, up to the end of an entry
DOCKER_BUF = 16 * 1024  # moby daemon/logger/copier.go defaultBufSize
CRI_MAX = 16 * 1024     # containerd max_container_log_line_size default


# ------------------------------------------------------------------------------------------------ time --
def parse_pg_time(text):
    """'2026-12-07 02:23:31.189 UTC' -> nanoseconds since the epoch."""
    t = datetime.strptime(text.replace(' UTC', ''), '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=timezone.utc)
    return (int(t.timestamp()) * 1_000_000 + t.microsecond) * 1000


def rfc3339nano(ns):
    """Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped, no fraction at all if zero."""
    sec, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(sec, timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    digits = f'{frac:09d}'.rstrip('0')
    return base + ('.' + digits if digits else '') + 'Z'


def jitter(key, low, high):
    """A deterministic 'random' delay in [low, high) nanoseconds."""
    h = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], 'big')
    return low + h % (high - low)


class Clock:
    """Increasing nanosecond times: at least `ns`, and a few microseconds after the previous one."""
    def __init__(self, name):
        self.name = name
        self.last = 0
        self.count = 0

    def at(self, ns):
        self.count += 1
        self.last = max(ns, self.last + jitter(f'{self.name}/{self.count}', 3_000, 45_000))
        return self.last


# -------------------------------------------------------------------------------------------- escaping --
HEX = '0123456789abcdef'


def docker_json_string(data: bytes) -> str:
    """moby jsonlog.ffjsonWriteJSONBytesAsString."""
    out = ['"']
    i = 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            if b >= 0x20 and b not in b'\\"<>&':
                out.append(chr(b))
            elif b in b'\\"':
                out.append('\\' + chr(b))
            elif b == 0x0a:
                out.append('\\n')
            elif b == 0x0d:
                out.append('\\r')
            else:
                out.append('\\u00' + HEX[b >> 4] + HEX[b & 0xf])
            i += 1
            continue
        ch, size = decode_rune(data, i)
        if ch is None:
            out.append('\\ufffd')
        elif ch in ('\u2028', '\u2029'):
            out.append('\\u202' + HEX[ord(ch) & 0xf])
        else:
            out.append(ch)
        i += size
    out.append('"')
    return ''.join(out)


def decode_rune(data, i):
    """Go's utf8.DecodeRune: (character, size), or (None, 1) for an invalid byte."""
    for size in (2, 3, 4):
        try:
            return data[i:i + size].decode('utf-8'), size
        except UnicodeDecodeError:
            continue
    return None, 1


def go_json_string(text: str) -> str:
    """encoding/json (Go >= 1.22) with SetEscapeHTML(false), as zap's reflected encoder uses it for "record"."""
    out = ['"']
    for ch in text:
        c = ord(ch)
        if ch in '"\\':
            out.append('\\' + ch)
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\b':
            out.append('\\b')
        elif ch == '\f':
            out.append('\\f')
        elif c < 0x20:
            out.append('\\u00' + HEX[c >> 4] + HEX[c & 0xf])
        elif ch in ('\u2028', '\u2029'):
            out.append('\\u202' + HEX[c & 0xf])
        elif 0xd800 <= c <= 0xdfff:       # an undecodable byte (surrogateescape): Go writes U+FFFD
            out.append('\\ufffd')
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def zap_string(text: str) -> str:
    """zap's jsonEncoder.safeAddString (msg, logger and plain string fields): no \\b \\f short forms, no U+2028."""
    out = ['"']
    for ch in text:
        c = ord(ch)
        if ch in '"\\':
            out.append('\\' + ch)
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif c < 0x20:
            out.append('\\u00' + HEX[c >> 4] + HEX[c & 0xf])
        elif 0xd800 <= c <= 0xdfff:
            out.append('\\ufffd')
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


# ------------------------------------------------------------------------------------------ the lines --
def read_stderr_lines():
    with open(os.path.join(SOURCE, 'postgresql.log'), 'rb') as f:
        raw = f.read().split(b'\n')
    if raw and raw[-1] == b'':
        raw.pop()
    n = LINES
    while n < len(raw) and not re.match(rb'^\d{4}-', raw[n]):   # continuation lines belong to the entry
        n += 1
    return raw[:n]


PREFIX = re.compile(rb'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC) \[(\d+)\] ')


def crafted_line(template: bytes, filler: bytes, length: int, umlaut_at=None) -> bytes:
    """template has a b'{}' where the filler goes; the result is exactly `length` bytes. With umlaut_at, the
    two bytes of an 'ä' are put at that byte offset of the line."""
    head, tail = template.split(b'{}')
    body_len = length - len(head) - len(tail)
    body = (filler * (body_len // len(filler) + 1))[:body_len]
    line = head + body + tail
    if umlaut_at is not None:
        line = line[:umlaut_at] + 'ä'.encode() + line[umlaut_at + 2:]
    assert len(line) == length
    return line


def build_stream(lines):
    """[(stream, bytes of the line without newline, time of the PostgreSQL line in ns)] in order."""
    messages = []
    for line in lines:
        m = PREFIX.match(line)
        if m:
            messages.append(line[m.end():].split(b':  ', 1)[-1])
    filler = b' | '.join(messages).replace(b"'", b"''") + b' | '
    out = []
    last_ns = 0
    for number, line in enumerate(lines, start=1):
        m = PREFIX.match(line)
        ns = parse_pg_time(m.group(1).decode()) if m else last_ns
        last_ns = ns
        if number == 25:   # the server starts again: the container's entrypoint talks first (stdout)
            for text in (b'', b'PostgreSQL Database directory appears to contain a database; Skipping initialization', b''):
                out.append(('stdout', text, ns - 30_000_000))
        out.append(('stderr', line, ns))
        if number == 97:   # LONG, in session 30533
            tpl = (b'2026-12-07 02:23:33.160 UTC [30533] postgres@shop bitville-2c0492bd331d47de9b84a486e3ddba41 LOG:  '
                   b"duration: 0.183 ms  statement: SELECT length('{}') AS n;")
            out.append(('stderr', crafted_line(tpl, filler, 40000, umlaut_at=DOCKER_BUF - 1), ns))
        if number == 203:  # EXACT, in session 30580
            tpl = (b'2026-12-07 02:23:34.840 UTC [30580] shop_owner@shop bitville-8fe9c400bd7a4497a5be296df24c870e LOG:  '
                   b"duration: 0.095 ms  statement: SELECT '{}' AS pad;")
            out.append(('stderr', crafted_line(tpl, filler, DOCKER_BUF), ns))
    return out


def write_docker(stream, path):
    clock = Clock('docker')
    records = []
    for i, (name, line, ns) in enumerate(stream):
        if name == 'stdout' and stream[i - 1][0] == 'stderr':   # a time on a round tenth of a second: "…31.8Z"
            t = clock.at(ns - ns % 100_000_000)
        else:
            t = clock.at(ns + jitter(f'docker{i}', 40_000, 900_000))
        stamp = rfc3339nano(t)
        parts = [line[k:k + DOCKER_BUF] for k in range(0, len(line), DOCKER_BUF)] or [b'']
        if len(line) > 0 and len(line) % DOCKER_BUF == 0:
            parts.append(b'')            # the newline arrives after a full buffer: a last record of just "\n"
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            text = part + b'\n' if last else part
            records.append('{"log":%s,"stream":%s,"time":"%s"}\n'
                           % (docker_json_string(text), docker_json_string(name.encode()), stamp))
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.writelines(records)
    return len(records)


def write_cri(stream, path):
    clock = Clock('cri')
    out = io.BytesIO()
    count = 0
    for i, (name, line, ns) in enumerate(stream):
        t = clock.at(ns + jitter(f'cri{i}', 30_000, 700_000))
        pieces = []
        rest = line
        while len(rest) > CRI_MAX:
            pieces.append((b'P', rest[:CRI_MAX]))
            rest = rest[CRI_MAX:]
        pieces.append((b'F', rest))
        for k, (tag, piece) in enumerate(pieces):
            if k:
                t = clock.at(t)
            out.write(rfc3339nano(t).encode() + b' ' + name.encode() + b' ' + tag + b' ' + piece + b'\n')
            count += 1
    with open(path, 'wb') as f:
        f.write(out.getvalue())
    return count


# --------------------------------------------------------------------------------------- CloudNativePG --
CSV_COLUMNS = ['log_time', 'user_name', 'database_name', 'process_id', 'connection_from', 'session_id',
               'session_line_num', 'command_tag', 'session_start_time', 'virtual_transaction_id', 'transaction_id',
               'error_severity', 'sql_state_code', 'message', 'detail', 'hint', 'internal_query',
               'internal_query_pos', 'context', 'query', 'query_pos', 'location', 'application_name',
               'backend_type', 'leader_pid', 'query_id']


def record_json(values: dict, audit=None) -> str:
    """The LoggingRecord struct (or PgAuditLoggingDecorator) through encoding/json: keys in struct order,
    empty strings left out (`json:"...,omitempty"`)."""
    items = [f'"{k}":{go_json_string(values[k])}' for k in CSV_COLUMNS if values.get(k, '') != '']
    if audit is not None:
        inner = ','.join(f'"{k}":{go_json_string(v)}' for k, v in audit if v != '')
        items.append(f'"audit":{{{inner}}}')
    return '{' + ','.join(items) + '}'


def zap_line(level, ts, msg, logger=None, fields=(), logger_as_field=False):
    """A zap JSON line: level, ts, logger (the zap name), msg, then the fields in the order they were added."""
    parts = [f'"level":{zap_string(level)}', f'"ts":"{rfc3339nano(ts)}"']
    if logger and not logger_as_field:
        parts.append(f'"logger":{zap_string(logger)}')
    parts.append(f'"msg":{zap_string(msg)}')
    if logger and logger_as_field:
        parts.append(f'"logger":{zap_string(logger)}')
    for key, value in fields:
        parts.append(f'"{key}":' + (value if isinstance(value, RawJSON) else zap_string(value)))
    return '{' + ','.join(parts) + '}\n'


class RawJSON(str):
    pass


def instance_manager(ts, msg, extra=(), level='info'):
    return zap_line(level, ts, msg, 'instance-manager', [('logging_pod', POD)] + list(extra), logger_as_field=True)


def write_cnpg(path):
    with open(os.path.join(SOURCE, 'postgresql.csv'), 'r', encoding='utf-8', errors='surrogateescape', newline='') as f:
        rows = list(csv.reader(f))
    assert all(len(r) == 26 for r in rows), 'PostgreSQL 14+ csvlog has 26 columns'
    clock = Clock('cnpg')
    out = []
    first_ns = parse_pg_time(rows[0][0])
    # The instance manager starting (before the stretch; the pod had been running for a while)
    t = clock.at(first_ns - 2_000_000_000 + 123_456_789)
    out.append(instance_manager(t, 'Starting CloudNativePG Instance Manager',
                                [('version', '1.29.0'),
                                 ('build', RawJSON('{"Version":"1.29.0","Commit":"23eae00cd","Date":"2026-04-01"}')),
                                 ('skipNameValidation', RawJSON('false'))]))
    for msg in ('starting tablespace manager', 'starting external server manager', 'starting controller-runtime manager'):
        t = clock.at(t + jitter(msg, 20_000, 90_000))
        out.append(instance_manager(t, msg))
    # A line without any "logger" (the pod restarted after its postmaster was killed)
    t = clock.at(t + 890_123_456)
    out.append(zap_line('info', t, 'The PID file is stale (executable mismatch), deleting it', None,
                        [('file', '/var/lib/postgresql/data/pgdata/postmaster.pid'), ('logging_pod', POD)]))
    archived = audited = False
    for i, row in enumerate(rows):
        values = dict(zip(CSV_COLUMNS, row))
        ns = parse_pg_time(values['log_time'])
        msg = values['message']
        if msg.startswith('starting PostgreSQL') and values['backend_type'] == 'postmaster':
            # The new postmaster writes to its own stderr (the instance manager's pipe) until the logging
            # collector takes over; CloudNativePG logs those lines as they are. log_line_prefix is '%m [%p] '.
            pid = values['process_id']
            before = ns - 1_000_000       # SysLogger_Start logs this just before "starting PostgreSQL"
            stamp = datetime.fromtimestamp(before // 10**9, timezone.utc).strftime('%Y-%m-%d %H:%M:%S') \
                + f'.{before % 10**9 // 10**6:03d} UTC'
            t0 = clock.at(before + jitter('stderr', 100_000, 400_000))
            for text in (f'{stamp} [{pid}] LOG:  redirecting log output to logging collector process',
                         f'{stamp} [{pid}] HINT:  Future log output will appear in directory "/controller/log".'):
                t0 = clock.at(t0 + jitter(text, 30_000, 120_000))
                out.append(zap_line('info', t0, text, 'postgres', [('pipe', 'stderr'), ('logging_pod', POD)]))
        t = clock.at(ns + jitter(f'cnpg{i}', 50_000, 950_000))
        out.append(zap_line('info', t, 'record', 'postgres', [('logging_pod', POD), ('record', RawJSON(record_json(values)))]))
        if not archived and msg.startswith('archive command failed'):
            archived = True
            t = clock.at(t + 3_000_000)
            out.append(zap_line('error', t, 'Error while calling ArchiveWAL, failing', 'wal-archive',
                                [('pluginName', 'barman-cloud.cloudnative-pg.io'), ('logging_pod', POD),
                                 ('error', 'rpc error: code = Unknown desc = unexpected failure invoking '
                                           'barman-cloud-wal-archive: exit status 4'),
                                 ('stacktrace', 'github.com/cloudnative-pg/machinery/pkg/log.(*logger).Error\n'
                                                '\tpkg/mod/github.com/cloudnative-pg/machinery@v0.3.1/pkg/log/log.go:125')]))
        statement = re.match(r'duration: [\d.]+ ms  statement: (SELECT .*)$', msg, re.S)
        if not audited and i >= 60 and values['backend_type'] == 'client backend' and statement:
            # A pgaudit record of the same statement: the csvlog record of message "AUDIT: SESSION,1,1,READ,..."
            # comes out with logger "pgaudit", no "message", and the parsed parts under "audit"
            # (pgaudit.go, PgAuditLoggingDecorator; "rows" only with pgaudit.log_rows = on).
            audited = True
            audit_values = dict(values, message='', command_tag='SELECT')
            audit = [('audit_type', 'SESSION'), ('statement_id', '1'), ('substatement_id', '1'), ('class', 'READ'),
                     ('command', 'SELECT'), ('object_type', ''), ('object_name', ''),
                     ('statement', statement.group(1)), ('parameter', '<none>'), ('rows', '')]
            t = clock.at(t + 150_000)
            out.append(zap_line('info', t, 'record', 'pgaudit',
                                [('logging_pod', POD), ('record', RawJSON(record_json(audit_values, audit)))]))
    with open(path, 'w', encoding='utf-8', errors='surrogateescape', newline='') as f:
        f.writelines(out)
    return len(rows), len(out)


def main():
    lines = read_stderr_lines()
    stream = build_stream(lines)
    n_docker = write_docker(stream, os.path.join(HERE, 'docker-json.log'))
    n_cri = write_cri(stream, os.path.join(HERE, 'cri.log'))
    n_rows, n_cnpg = write_cnpg(os.path.join(HERE, 'cloudnativepg.json'))
    # Sanity: every JSON line parses, the Docker records join back into the lines (except the cut "ä").
    for name in ('docker-json.log', 'cloudnativepg.json'):
        with open(os.path.join(HERE, name), encoding='utf-8') as f:
            for number, text in enumerate(f, start=1):
                json.loads(text)
    print(f'{len(lines)} lines of postgresql.log -> {n_docker} docker-json.log records, {n_cri} cri.log records; '
          f'{n_rows} csvlog records -> {n_cnpg} cloudnativepg.json lines')


if __name__ == '__main__':
    sys.exit(main())
