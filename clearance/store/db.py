"""The DuckDB store: one file, one process-wide connection, a cursor per call.

DuckDB connections are not thread-safe and Streamlit runs every session (and parallel
fragments) on its own thread, so every call here takes a fresh cursor. Writes are serialized
under one process-wide lock: concurrent DuckDB transactions on the same rows fail with
"Conflict on update" instead of waiting, and a mark must never be lost.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd

from clearance.clock import BEIJING, beijing_now  # noqa: F401  (re-exported)
from clearance.paths import PROJECT_ROOT

DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "clearance.duckdb"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_OPENINGS = itertools.count(1)


class StoreProblem(Exception):
    """The store cannot be used: `kind` is locked / corrupt / newer_schema / migration_failed,
    the message names the file and what to do (it is the log line the app stops with)."""

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(message)


def db_path_from_env() -> Path:
    return Path(os.environ.get("CLEARANCE_DB") or DEFAULT_DB_PATH)


def _copy_in_child(source: Path, target: Path) -> None:
    """Copy a file in another process. DuckDB holds the store with a POSIX (fcntl) lock, and
    POSIX drops a process's lock on a file when the process closes *any* descriptor of it: a
    plain copy from this process would let a second process open the store (seen here)."""
    subprocess.run(["cp", "--", str(source), str(target)], check=True, capture_output=True)


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
        # Names this opening of the file for caches: `version` restarts at 0 when the same path
        # is opened again (after a restore, in tests), so the path alone would find old entries.
        self.identity = f"{self.path}#{next(_OPENINGS)}"
        # Bumped after every commit; read caches key on it so a mark shows on the next rerun.
        self.version = 0
        # Per table: the `version` of the last commit that wrote it. A transaction that names
        # its tables (a mark: stage_status, events) leaves cached reads of every other table
        # valid; one that names none counts as writing every table.
        self._table_versions: dict[str, int] = {}
        self._all_tables_version = 0
        self.catalogue = None  # set by clearance.store.config.sync_config at open
        self.colleges = None   # the known colleges, set there too

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

    def snapshot(self, target: Path) -> dict:
        """Copy the store to `target` (+ its WAL, if a checkpoint left one) under the write lock,
        so no commit lands half-way: the copy is the store as of the last committed transaction.
        Readers go on meanwhile. Returns what the copy holds and how long writes waited."""
        with self._write_lock:
            started = time.perf_counter()
            with self._con.cursor() as cur:
                try:
                    cur.execute("CHECKPOINT")  # fold the WAL into the file: one file to copy
                except duckdb.Error:
                    pass  # a busy checkpoint is not fatal: the WAL is copied with the file
                events, last_event_id = cur.execute(
                    "SELECT count(*), max(event_id) FROM events").fetchall()[0]
                schema = cur.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0]
            _copy_in_child(self.path, target)
            wal = Path(f"{self.path}.wal")
            if wal.exists():
                _copy_in_child(wal, Path(f"{target}.wal"))
            lock_ms = round((time.perf_counter() - started) * 1000)
        return {"events": events, "last_event_id": last_event_id, "schema_version": schema,
                "lock_ms": lock_ms}

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


def known_migrations(migrations_dir: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    return [(int(p.name[:3]), p) for p in sorted(migrations_dir.glob("[0-9][0-9][0-9]_*.sql"))]


def has_data(store: Store) -> bool:
    """Whether the store holds anything worth a backup (students or events)."""
    tables = {r[0] for r in store.read_rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")}
    return any(t in tables and store.read_value(f"SELECT count(*) FROM {t}")  # constant names
               for t in ("students", "events"))


def migrate(store: Store, migrations_dir: Path = MIGRATIONS_DIR,
            backup_first: Callable[[Store], object] | None = None) -> list[str]:
    """Apply the numbered migrations not yet applied, all in one transaction: a migration that
    fails leaves the store as it was (StoreProblem 'migration_failed'). A store with data is
    first handed to `backup_first` (clearance.root passes the upgrade backup). A store migrated by newer code than
    this (a version this code does not know) is refused ('newer_schema'): running old code on
    it could write rows the newer schema does not expect. Returns the names applied."""
    if not store.read_value(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ):
        with store.transaction() as cur:
            cur.execute(
                "CREATE TABLE schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
    known = known_migrations(migrations_dir)
    done = {row[0] for row in store.read_rows("SELECT version FROM schema_migrations")}
    newest_known = max((v for v, _ in known), default=0)
    if done and max(done) > newest_known:
        raise StoreProblem(
            "newer_schema",
            f"store {store.path} has schema version {max(done)}, this code knows up to "
            f"{newest_known}: it was upgraded by a newer 离校通. Run that version, or restore a "
            f"backup taken before the upgrade (python -m clearance.backup list).")
    pending = [(v, p) for v, p in known if v not in done]
    if not pending:
        return []
    if backup_first is not None and has_data(store):
        backup_first(store)
    current = None
    try:
        with store.transaction() as cur:
            for version, path in pending:
                current = path.name
                cur.execute(path.read_text(encoding="utf-8"))
                cur.execute(
                    "INSERT INTO schema_migrations VALUES ($v, $n, $t)",
                    {"v": version, "n": path.name, "t": beijing_now()},
                )
    except duckdb.Error as exc:
        raise StoreProblem(
            "migration_failed",
            f"migration {current} failed on {store.path}; nothing was changed (all pending "
            f"migrations run in one transaction): {exc}") from exc
    return [p.name for _, p in pending]


def get_catalogue(store: Store):
    """The catalogue this store was opened with (by `clearance.root.open_store`)."""
    if store.catalogue is None:
        raise RuntimeError("store opened without its catalogue: use clearance.root.open_store")
    return store.catalogue


def get_colleges(store: Store):
    """The known colleges this store was opened with (`config/colleges.toml`)."""
    if store.colleges is None:
        raise RuntimeError("store opened without its colleges: use clearance.root.open_store")
    return store.colleges
