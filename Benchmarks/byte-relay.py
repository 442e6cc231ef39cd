#!/usr/bin/env python3
"""byte-relay.py — a loopback TCP relay that counts the bytes it forwards.

    byte-relay.py --listen PORT --upstream HOST:PORT --control PORT [--ready-file FILE]

Every connection to 127.0.0.1:PORT is forwarded to the upstream server. Bytes are counted per
connection and in total, in both directions: "down" is server -> client (what the monitoring agent
receives), "up" is client -> server. A chunk read from the server is counted before it is written to
the client, so when a client has seen its last row the count already includes it.

The control port answers one line per connection:
    stats  ->  "down=N up=N opened=N open=N"
    conns  ->  one "id down up open|closed" line per connection
Used by Benchmarks/run-snapshot-benchmark.sh (and the SnapshotBenchmark binary).
"""
import argparse
import asyncio
import os
import signal

CHUNK = 256 * 1024


class Counters:
    def __init__(self):
        self.down = 0
        self.up = 0
        self.opened = 0
        self.conns = {}  # id -> [down, up, open]


COUNTERS = Counters()


async def pump(reader, writer, conn, direction):
    index = 0 if direction == "down" else 1
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            conn[index] += len(data)
            if index == 0:
                COUNTERS.down += len(data)
            else:
                COUNTERS.up += len(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def relay(client_reader, client_writer, upstream_host, upstream_port):
    try:
        server_reader, server_writer = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError:
        client_writer.close()
        return
    COUNTERS.opened += 1
    conn = [0, 0, True]
    COUNTERS.conns[COUNTERS.opened] = conn
    await asyncio.gather(
        pump(client_reader, server_writer, conn, "up"),
        pump(server_reader, client_writer, conn, "down"),
    )
    conn[2] = False


async def control(reader, writer):
    try:
        line = (await reader.readline()).decode().strip()
        if line == "stats":
            open_now = sum(1 for c in COUNTERS.conns.values() if c[2])
            reply = f"down={COUNTERS.down} up={COUNTERS.up} opened={COUNTERS.opened} open={open_now}\n"
        elif line == "conns":
            reply = "".join(
                f"{i} {c[0]} {c[1]} {'open' if c[2] else 'closed'}\n" for i, c in COUNTERS.conns.items()
            )
        else:
            reply = "error unknown command\n"
        writer.write(reply.encode())
        await writer.drain()
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="HOST:PORT")
    parser.add_argument("--control", type=int, required=True)
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)

    relay_server = await asyncio.start_server(
        lambda r, w: relay(r, w, host, int(port)), "127.0.0.1", args.listen)
    control_server = await asyncio.start_server(control, "127.0.0.1", args.control)
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(args.ready_file + ".tmp", args.ready_file)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with relay_server, control_server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
