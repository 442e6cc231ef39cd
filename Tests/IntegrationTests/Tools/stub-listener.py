#!/usr/bin/env python3
"""A scriptable HTTP listener for the transmitter tests: a real server on loopback that answers POSTs
as told and records what it received.

usage: stub-listener.py PORT TOKEN RECORD_FILE [ACTION ...]

Each POST consumes the next ACTION (then `ok` forever):
  ok        200 when the Bearer token is right, else 401
  sNNN      answer with status NNN          sNNNrS   the same with Retry-After: S
  garbage   write bytes that are not HTTP and close
  slow      wait 3 s, then answer as `ok`
  sNNNwhile:PATH   answer with status NNN as long as the file PATH exists, then go on to the next
            action (a proxy or wrong URL that is put right while the agent runs)
Every request is appended to RECORD_FILE as one JSON line: the action, the status sent, the
Idempotency-Key, whether the Authorization and Content-Encoding headers were right, the body's
batch_id and kind (gunzipped and parsed), the N of every "seq N" log event in it, and whether that
batch_id was seen before.
"""
import gzip, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

arguments = sys.argv[1:]
port, token, record = int(arguments[0]), arguments[1], arguments[2]
actions = list(arguments[3:])
lock = threading.Lock()
seen = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        with lock:
            while actions and "while:" in actions[0] and not os.path.exists(actions[0].split("while:", 1)[1]):
                actions.pop(0)
            action = actions[0] if actions and "while:" in actions[0] else (actions.pop(0) if actions else "ok")
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        entry = {"action": action, "idempotency_key": self.headers.get("Idempotency-Key"),
                 "auth_ok": self.headers.get("Authorization") == "Bearer " + token,
                 "gzip": self.headers.get("Content-Encoding") == "gzip", "path": self.path}
        try:
            body = json.loads(gzip.decompress(raw))
            entry["batch_id"], entry["kind"] = body.get("batch_id"), body.get("kind")
            entry["seqs"] = [int(e["message"][4:]) for e in body.get("events", [])
                             if str(e.get("message", "")).startswith("seq ")]
        except Exception as error:  # noqa: BLE001 - recorded, the test decides
            entry["body_error"] = str(error)
        if action == "garbage":
            self.wfile.write(b"this is not HTTP\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
            self._record(entry, None)
            return
        if action == "slow":
            time.sleep(3)
        status, retry_after = 200, None
        if action.startswith("s"):
            code, _, after = action[1:].split("while:", 1)[0].partition("r")
            status, retry_after = int(code), (after or None)
        elif not entry["auth_ok"]:
            status = 401
        with lock:
            entry["duplicate"] = status == 200 and entry.get("batch_id") in seen
            if status == 200:
                seen.add(entry.get("batch_id"))
        self._record(entry, status)
        body = b'{"ok":true}' if status == 200 else b'{"error":"scripted"}'
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, entry, status):
        entry["status"], entry["at"] = status, time.time()
        with lock, open(record, "a") as out:
            out.write(json.dumps(entry) + "\n")


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
