"""The guessing limits across a planned restart (table throttle_failures, migration 035).

The limits count failures in memory (clearance/adapters/throttle.py): bench/throttle_store.py
measured a store-backed reservation at ~6× a whole student lookup, through the store's one write
lock, on every attempt. A restart would then forget them and hand every address, 学号 and
username a fresh allowance. So the server writes the recent failures here when it stops
(`save_limits`) and reads them back when it starts (`load_limits`, which also clears the
table): an upgrade or a config change keeps every delay. A crash loses what happened since the
start (SECURITY.md says so).
"""

from __future__ import annotations

from typing import Mapping

from clearance.adapters.throttle import Throttle
from clearance.store.db import Store


def save_limits(store: Store, limiters: Mapping[str, Throttle]) -> int:
    """Replace the saved failures with each limiter's current ones; returns how many."""
    rows = [{"l": name, "r": rule, "k": key, "t": at}
            for name, throttle in limiters.items() for rule, key, at in throttle.snapshot()]
    with store.transaction(touches_data=False) as cur:
        cur.execute("DELETE FROM throttle_failures")
        if rows:
            cur.executemany("INSERT INTO throttle_failures VALUES ($l, $r, $k, $t)", rows)
    return len(rows)


def load_limits(store: Store, limiters: Mapping[str, Throttle]) -> int:
    """Put the saved failures back into the limiters and clear them; returns how many."""
    restored = 0
    rows = store.read_dicts("SELECT limiter, rule, key, failed_at FROM throttle_failures")
    for name, throttle in limiters.items():
        restored += throttle.restore([(r["rule"], r["key"], r["failed_at"])
                                      for r in rows if r["limiter"] == name])
    with store.transaction(touches_data=False) as cur:
        cur.execute("DELETE FROM throttle_failures")
    return restored
