"""Should the guessing limits' failure counts live in the store? (issue 12, SECURITY.md §8)

    .venv/bin/python -m bench.throttle_store [--lookups 2000] [--db demo.duckdb]

Measures, on a copy of the demo store, in one run:

- the floor: a student lookup as it is today (`ui.student_lookup.attempt_lookup`, the limits
  in memory; half right names, half wrong, each 学号 once so no delay applies);
- the in-memory limiter alone (`Throttle.acquire` + `refund`, three keys, as a lookup uses it);
- the same reservation kept in the store instead: a DuckDB table of failure times, one write
  transaction per attempt (read the three keys' recent failures, insert three rows) and a
  delete on success — the least a store-backed limiter must do to be shared and survive a
  restart; run on the same file, through the store's one write lock, as the app would.

Prints a JSON line with medians and the ratios to the floor.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

KEYS = ("per_client", "per_student", "global")
DDL = ("CREATE TABLE IF NOT EXISTS bench_throttle (rule VARCHAR, key VARCHAR, failed_at DOUBLE);"
       "CREATE INDEX IF NOT EXISTS bench_throttle_key ON bench_throttle (rule, key)")


def store_acquire(store, keys, windows, now: float) -> bool:
    """Reserve one failure slot on every key in the store (the limiter's acquire, in SQL)."""
    with store.transaction(touches_data=False) as cur:
        for (rule, key) in keys:
            cur.execute("SELECT count(*) FROM bench_throttle WHERE rule = $r AND key = $k AND failed_at > $t",
                        {"r": rule, "k": key, "t": now - windows[rule]}).fetchone()
        cur.executemany("INSERT INTO bench_throttle VALUES ($r, $k, $t)",
                        [{"r": rule, "k": key, "t": now} for rule, key in keys])
    return True


def store_refund(store, keys, now: float) -> None:
    with store.transaction(touches_data=False) as cur:
        cur.executemany("DELETE FROM bench_throttle WHERE rule = $r AND key = $k AND failed_at = $t",
                        [{"r": rule, "k": key, "t": now} for rule, key in keys])


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--db", help="a demo store to copy (else one is generated)")
    args = parser.parse_args()

    import os
    work = Path(tempfile.mkdtemp(prefix="bench-throttle-"))
    path = work / "demo.duckdb"
    from clearance.root import close_all_stores, open_store
    if args.db:
        shutil.copy(args.db, path)
    else:
        from loaders.demo import generate
        generate(open_store(path))
        close_all_stores()
    os.environ["CLEARANCE_DB"] = str(path)

    from clearance.adapters.limits import security_config
    from clearance.adapters.throttle import Throttle
    from ui.student_lookup import attempt_lookup

    store = open_store(path)
    students = store.read_dicts("SELECT student_no, name FROM students ORDER BY student_no")
    n = min(args.lookups, len(students))
    rules = security_config().student_lookup
    windows = {name: rule.window for name, rule in rules.items()}
    for statement in DDL.split(";"):
        store._con.execute(statement)

    lookup, memory, stored = [], [], []
    throttle = Throttle(rules)
    for i, s in enumerate(students[:n]):
        name = s["name"] if i % 2 else "不是本人"
        client = f"10.{i // 250}.{i % 250}.1"
        t = time.perf_counter()
        attempt_lookup(client, {}, s["student_no"], name)
        lookup.append(time.perf_counter() - t)

        keys = [("per_client", client), ("per_student", s["student_no"]), ("global", "*")]
        t = time.perf_counter()
        decision = throttle.acquire(keys)
        if i % 2:
            throttle.refund(keys, decision.stamp)
        memory.append(time.perf_counter() - t)

        now = time.time()
        t = time.perf_counter()
        store_acquire(store, keys, windows, now)
        if i % 2:
            store_refund(store, keys, now)
        stored.append(time.perf_counter() - t)

    floor = statistics.median(lookup)
    result = {
        "lookups": n,
        "lookup_today_ms": _median_ms(lookup),
        "limiter_in_memory_ms": _median_ms(memory),
        "limiter_in_store_ms": _median_ms(stored),
        "limiter_in_store_p95_ms": round(sorted(stored)[int(0.95 * n)] * 1000, 3),
        "in_memory_to_lookup": round(statistics.median(memory) / floor, 4),
        "in_store_to_lookup": round(statistics.median(stored) / floor, 2),
        "load": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(result))
    close_all_stores()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
