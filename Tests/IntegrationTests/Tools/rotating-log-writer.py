#!/usr/bin/env python3
"""Writes a PostgreSQL-style stderr log at a steady rate while rotating it, for the tailer's rotation test.

usage: rotating-log-writer.py LOGFILE TOTAL_ENTRIES ENTRIES_PER_SECOND ROTATE_EVERY

Every entry is written with one write(2), as the server's logging collector does: a LOG line
"seq N", and for every 7th entry a DETAIL line and a tab-indented continuation line. Entries come from
four pids in turn. Every ROTATE_EVERY entries the file is rotated, alternating between
  - rename: LOGFILE -> LOGFILE.<k>, then a new LOGFILE (the server's own rotation), and
  - copytruncate: copy LOGFILE to LOGFILE.<k>, then truncate LOGFILE to zero (logrotate's way; done
    between two writes, so no entry falls between the copy and the truncation).
The file is opened with O_APPEND. At the end it prints the entries, lines, rotations and the achieved
rate as JSON on stdout.
"""
import json
import os
import shutil
import sys
import time

path, total, rate, rotate_every = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
pids = [4101, 4102, 4103, 4104]


def open_log():
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


fd = open_log()
rotations = 0
lines = 0
start = time.monotonic()
for seq in range(total):
    pid = pids[seq % len(pids)]
    prefix = "2026-11-27 10:00:%02d.%03d UTC [%d] " % (seq // 1000 % 60, seq % 1000, pid)
    text = prefix + "LOG:  seq %d\n" % seq
    lines += 1
    if seq % 7 == 0:
        text += prefix + "DETAIL:  detail of %d\n\tsecond detail line of %d\n" % (seq, seq)
        lines += 2
    os.write(fd, text.encode())
    if (seq + 1) % rotate_every == 0 and seq + 1 < total:
        rotations += 1
        target = "%s.%d" % (path, rotations)
        if rotations % 2 == 1:
            os.close(fd)
            os.rename(path, target)
            fd = open_log()
        else:
            shutil.copyfile(path, target)
            os.truncate(path, 0)
    # Keep to the rate: sleep whenever we are ahead of schedule.
    ahead = (seq + 1) / rate - (time.monotonic() - start)
    if ahead > 0.002:
        time.sleep(ahead)
os.close(fd)
elapsed = time.monotonic() - start
print(json.dumps({"entries": total, "lines": lines, "rotations": rotations,
                  "lines_per_second": round(lines / elapsed)}))
