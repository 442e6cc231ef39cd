#!/usr/bin/env python3
"""snapshot-load.py — writes the SQL and pgbench scripts of the snapshot benchmark's load.

    snapshot-load.py --out DIR [--shapes 5000] [--hot 300] [--pause 0.100] [--rows 2000]

Writes into DIR:
  setup.sql      the tables: bench_wide (id + 100 int columns), lock_target (the lock chain's rows)
  shapes.sql     SHAPES distinct statements, each executed once (fills pg_stat_statements)
  hot.pgbench    pgbench script: each transaction runs one of HOT of those shapes, picked at random
  idle.pgbench   pgbench script for idle connections: one SELECT, then a long client-side sleep

Statement shape n selects an ordered pair of distinct columns (100 x 50 pairs = 5,000 distinct select
lists, so 5,000 distinct queryids) with a WHERE clause of 2 to 15 predicates and sometimes ORDER BY /
LIMIT, so texts run from about 150 to 600 bytes. Every shape starts with a MATERIALIZED CTE calling
pg_sleep(PAUSE): the hot sessions then stay `active` most of the time (20 active backends) without
needing 20 CPUs. In shapes.sql the pause is 0 (pg_stat_statements normalizes the constant, so both
runs share one queryid per shape).
"""
import argparse
import os
import random

COLUMNS = 100


def predicate(rng):
    col = rng.randint(1, COLUMNS)
    kind = rng.randrange(6)
    if kind == 0:
        lo = rng.randint(0, 600)
        return f"t.c{col} BETWEEN {lo} AND {lo + rng.randint(50, 400)}"
    if kind == 1:
        return f"t.c{col} > {rng.randint(0, 900)}"
    if kind == 2:
        return f"t.c{col} <> {rng.randint(0, 1000)}"
    if kind == 3:
        return f"(t.c{col} IS NULL OR t.c{col} < {rng.randint(100, 1000)})"
    if kind == 4:
        return f"t.c{col} IN ({rng.randint(0, 1000)}, {rng.randint(0, 1000)}, {rng.randint(0, 1000)})"
    other = rng.randint(1, COLUMNS)
    return f"t.c{col} + t.c{other} >= {rng.randint(100, 1500)}"


def shape(n, pause):
    a = n % COLUMNS
    b = (a + n // COLUMNS + 1) % COLUMNS
    ca, cb = a + 1, b + 1
    rng = random.Random(n * 7919 + 17)
    target = rng.randint(150, 600)
    head = (f"WITH pause AS MATERIALIZED (SELECT pg_sleep({pause})) "
            f"SELECT t.c{ca} AS c{ca}_value, t.c{cb} AS c{cb}_value FROM bench_wide t CROSS JOIN pause")
    tail = ""
    if rng.random() < 0.6:
        tail = f" ORDER BY t.c{ca} DESC, t.id LIMIT {rng.choice([10, 20, 50, 100])}"
    preds = [predicate(rng), predicate(rng)]
    while len(preds) < 15:
        text = head + " WHERE " + " AND ".join(preds) + tail
        if len(text) >= target - 20:
            break
        preds.append(predicate(rng))
    return head + " WHERE " + " AND ".join(preds) + tail + ";"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--shapes", type=int, default=5000)
    parser.add_argument("--hot", type=int, default=300)
    parser.add_argument("--pause", default="0.100")
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    if args.shapes > COLUMNS * (COLUMNS // 2):
        parser.error(f"at most {COLUMNS * (COLUMNS // 2)} distinct shapes")
    os.makedirs(args.out, exist_ok=True)

    cols = ", ".join(f"c{i} int" for i in range(1, COLUMNS + 1))
    values = ", ".join("(random() * 1000)::int" for _ in range(COLUMNS))
    with open(os.path.join(args.out, "setup.sql"), "w") as f:
        f.write(f"DROP TABLE IF EXISTS bench_wide;\nCREATE TABLE bench_wide (id int PRIMARY KEY, {cols});\n")
        f.write(f"INSERT INTO bench_wide SELECT g, {values} FROM generate_series(1, {args.rows}) g;\n")
        f.write("DROP TABLE IF EXISTS lock_target;\n"
                "CREATE TABLE lock_target (id int PRIMARY KEY, v int NOT NULL);\n"
                "INSERT INTO lock_target VALUES (1, 0), (2, 0);\n"
                "VACUUM ANALYZE bench_wide;\nVACUUM ANALYZE lock_target;\n")

    zero = "0." + "0" * (len(args.pause.split(".", 1)[1]) if "." in args.pause else 3)
    lengths = []
    with open(os.path.join(args.out, "shapes.sql"), "w") as f:
        for n in range(args.shapes):
            text = shape(n, zero)
            lengths.append(len(text))
            f.write(text + "\n")

    hot = sorted({(i * args.shapes) // args.hot + (i % 7) for i in range(args.hot)})
    with open(os.path.join(args.out, "hot.pgbench"), "w") as f:
        f.write(f"\\set r random(0, {len(hot) - 1})\n")
        for i, n in enumerate(hot):
            f.write(("\\if" if i == 0 else "\\elif") + f" :r = {i}\n{shape(n, args.pause)}\n")
        f.write("\\endif\n")
    with open(os.path.join(args.out, "idle.pgbench"), "w") as f:
        f.write("SELECT 1;\n\\sleep 86400 s\n")

    lengths.sort()
    print(f"shapes={args.shapes} hot={len(hot)} text_bytes min={lengths[0]} "
          f"median={lengths[len(lengths) // 2]} max={lengths[-1]}")


if __name__ == "__main__":
    main()
