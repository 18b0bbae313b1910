"""A demo store knows it is one: the demo batch (loaders/demo.py) is written only into an empty
store, and flags it in `settings`; every page of a flagged store shows a banner, and a store
with real data is never seeded (its public demo passwords would be a way in)."""

from __future__ import annotations

from clearance.store.db import Store

FLAG = "demo_store"
# Anything here means someone has used the store for real (or the app has created its admin).
_IN_USE = ("students", "staff", "import_runs", "events", "staff_sessions")


def is_empty(store: Store) -> bool:
    return not any(store.read_value(f"SELECT count(*) FROM {table}") for table in _IN_USE)


def flag_as_demo(cur) -> None:
    cur.execute("INSERT OR REPLACE INTO settings VALUES ($k, 'true')", {"k": FLAG})


def is_demo(store: Store) -> bool:
    return store.read_value("SELECT value FROM settings WHERE key = $k", {"k": FLAG}) == "true"
