"""The composition root: opens the store, migrates it and loads the configuration.

Everything that needs a ready store (the app, the command line, the desk API, tests) starts
here, so no module of the domain needs a late import to reach another.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from clearance.store.backup import backup_store
from clearance.store.config import sync_config
from clearance.store.db import Store, db_path_from_env, migrate

_stores: dict[Path, Store] = {}
_stores_by_raw: dict[str, Store] = {}  # the path as asked for ("" = $CLEARANCE_DB) → its store
_stores_lock = threading.Lock()


def upgrade_backup(store: Store) -> None:
    """Before migrations run on a store with data: a verified snapshot (trigger 'upgrade')."""
    backup_store(store, trigger="upgrade")


def open_store(path: Path | str | None = None) -> Store:
    """The process-wide store for a path (default: $CLEARANCE_DB or data/clearance.duckdb),
    migrated (a store with data is backed up first) and with the stage catalogue and batches
    loaded. A StoreProblem or DuckDB error leaves the file closed."""
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
            try:
                migrate(store, backup_first=upgrade_backup)
                sync_config(store)
            except BaseException:
                store.close()  # release the file: the caller reports the problem and stops
                raise
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
