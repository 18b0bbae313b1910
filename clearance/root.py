"""The composition root: opens the store, migrates it and loads the configuration.

Everything that needs a ready store (the app, the command line, the desk API, tests) starts
here, so no module of the domain needs a late import to reach another.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from clearance.store.config import sync_config
from clearance.store.db import Store, db_path_from_env, migrate

_stores: dict[Path, Store] = {}
_stores_by_raw: dict[str, Store] = {}  # the path as asked for ("" = $CLEARANCE_DB) → its store
_stores_lock = threading.Lock()


def open_store(path: Path | str | None = None) -> Store:
    """The process-wide store for a path (default: $CLEARANCE_DB or data/clearance.duckdb),
    migrated and with the stage catalogue and batches loaded."""
    raw = str(path) if path else os.environ.get("CLEARANCE_DB", "")
    known = _stores_by_raw.get(raw)  # every page run asks: skip resolving the path again
    if known is not None:
        return known
    resolved = Path(path) if path else db_path_from_env()
    key = resolved.resolve() if str(resolved) != ":memory:" else resolved
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = Store(resolved)
            migrate(store)
            sync_config(store)
            _stores[key] = store
        _stores_by_raw[raw] = store
        return store


def close_all_stores() -> None:
    """For tests and CLIs that must release the file lock."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
        _stores_by_raw.clear()
