#!/usr/bin/env python3
"""A TLS server that speaks only TLS 1.1, for the test that the agent never sends its key over TLS older
than 1.2. It records, one line each, every handshake that completed (with the version) and every request
line and Authorization header it received, then answers 200.

usage: old-tls-server.py PORT CERT KEY RECORD_FILE    (prints "listening" once ready)
"""
import socket, ssl, sys, threading, warnings

warnings.simplefilter("ignore", DeprecationWarning)
port, cert, key, record = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.set_ciphers("DEFAULT@SECLEVEL=0")
context.minimum_version = ssl.TLSVersion.TLSv1_1
context.maximum_version = ssl.TLSVersion.TLSv1_1
context.load_cert_chain(cert, key)
lock = threading.Lock()


def note(line):
    with lock, open(record, "a") as out:
        out.write(line + "\n")


def serve(raw):
    try:
        connection = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as error:
        note("handshake failed: %s" % error.__class__.__name__)
        raw.close()
        return
    note("handshake %s" % connection.version())
    try:
        head = connection.recv(65536).decode("latin-1")
        for line in head.split("\r\n"):
            if line.startswith(("POST", "GET", "Authorization")):
                note("received " + line)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    except OSError:
        pass
    connection.close()


listener = socket.create_server(("127.0.0.1", port))
print("listening", flush=True)
while True:
    client, _ = listener.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
