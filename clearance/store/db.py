"""The DuckDB store: one file, one process-wide connection, a cursor per call.

DuckDB connections are not thread-safe and Streamlit runs every session (and parallel
fragments) on its own thread, so every call here takes a fresh cursor. Writes are serialized
under one process-wide lock: concurrent DuckDB transactions on the same rows fail with
"Conflict on update" instead of waiting, and a mark must never be lost.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from clearance.clock import BEIJING, beijing_now  # noqa: F401  (re-exported)
from clearance.paths import PROJECT_ROOT

DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "clearance.duckdb"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

def db_path_from_env() -> Path:
    return Path(os.environ.get("CLEARANCE_DB") or DEFAULT_DB_PATH)


class Store:
    """A DuckDB file owned by this process."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(
            str(self.path),
            # No extension downloads at run time: the machine has no route to the host.
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        self._write_lock = threading.RLock()
        # Bumped after every commit; read caches key on it so a mark shows on the next rerun.
        self.version = 0
        # Per table: the `version` of the last commit that wrote it. A transaction that names
        # its tables (a mark: stage_status, events) leaves cached reads of every other table
        # valid; one that names none counts as writing every table.
        self._table_versions: dict[str, int] = {}
        self._all_tables_version = 0
        self.catalogue = None  # set by clearance.store.config.sync_config at open

    def close(self) -> None:
        self._con.close()

    # -- reads ---------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for reads that need several statements."""
        with self._con.cursor() as cur:
            yield cur

    def read_df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self._con.cursor() as cur:
            return cur.execute(sql, params or {}).df()

    def read_rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        with self._con.cursor() as cur:
            return cur.execute(sql, params or {}).fetchall()

    def read_dicts(self, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
        """Rows as plain Python dicts (lists stay lists, NULL is None): for domain code."""
        with self._con.cursor() as cur:
            result = cur.execute(sql, params or {})
            names = [d[0] for d in result.description]
            return [dict(zip(names, row)) for row in result.fetchall()]

    def read_value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        rows = self.read_rows(sql, params)
        return rows[0][0] if rows else None

    # -- writes --------------------------------------------------------------------------
    def data_version(self, tables) -> int:
        """The version of the newest commit that wrote any of `tables` (a cache key that a
        write to another table leaves unchanged)."""
        return max([self._all_tables_version, *(self._table_versions.get(t, 0) for t in tables)])

    @contextmanager
    def transaction(self, touches_data: bool = True,
                    tables: tuple[str, ...] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialized transaction: everything inside commits together or not at all.
        `touches_data=False` (sign-in bookkeeping) leaves the read caches valid; `tables`
        names the only tables it writes (default: any)."""
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                if touches_data:
                    self.version += 1
                    if tables is None:
                        self._all_tables_version = self.version
                    else:
                        for table in tables:
                            self._table_versions[table] = self.version
            finally:
                cur.close()


def migrate(store: Store) -> list[str]:
    """Apply numbered migrations not yet applied. Returns the names applied (empty on a re-run)."""
    if not store.read_value(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ):
        with store.transaction() as cur:
            cur.execute(
                "CREATE TABLE schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
    done = {row[0] for row in store.read_rows("SELECT version FROM schema_migrations")}
    applied = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:3])
        if version in done:
            continue
        with store.transaction() as cur:
            cur.execute(path.read_text(encoding="utf-8"))
            cur.execute(
                "INSERT INTO schema_migrations VALUES ($v, $n, $t)",
                {"v": version, "n": path.name, "t": beijing_now()},
            )
        applied.append(path.name)
    return applied


def get_catalogue(store: Store):
    """The catalogue this store was opened with (by `clearance.root.open_store`)."""
    if store.catalogue is None:
        raise RuntimeError("store opened without its catalogue: use clearance.root.open_store")
    return store.catalogue
