"""Does the store work? Checked at start (the app refuses to start otherwise) and on every
readiness probe (/api/ready).

At start: the file opens (not held by another process), it is a DuckDB file whose every block
reads back with a good checksum (a full scan of every table), and its schema is not newer than
this code (clearance.store.db.migrate). Each failure is a StoreProblem whose message is the one
log line the IT office needs: what is wrong, with which file, and what to do.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from clearance.operations import OperationsConfig, operations_config
from clearance.root import open_store
from clearance.store.db import Store, StoreProblem, db_path_from_env
from clearance.store.integrity import scan_tables

LOCK_WAIT_SECONDS = 5  # a write that holds the lock longer than this is a stuck store


def classify(exc: BaseException, path: Path) -> StoreProblem:
    """A DuckDB error on opening or reading the store, as a StoreProblem naming the cause."""
    if isinstance(exc, StoreProblem):
        return exc
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        holder = f" (PID {pid[1]})" if pid else ""
        return StoreProblem(
            "locked",
            f"store {path} is locked by another process{holder}: only one process may open it. "
            f"Stop that process (another 离校通, or a command run by hand) and start again.")
    corrupt_signs = ("not a valid DuckDB database", "Could not read enough bytes", "Corrupt",
                     "checksum", "Serialization", "INTERNAL Error", "truncated")
    if any(sign.lower() in text.lower() for sign in corrupt_signs) or isinstance(
            exc, (duckdb.SerializationException, duckdb.InternalException)):
        return StoreProblem(
            "corrupt",
            f"store {path} is damaged (truncated or garbled): {text.splitlines()[0][:300]}. "
            f"Restore the newest backup into a new file (python -m clearance.backup restore) "
            f"and point CLEARANCE_DB at it; keep the damaged file for inspection.")
    return StoreProblem("unreadable", f"store {path} cannot be used: {text.splitlines()[0][:300]}")


def open_checked(path: Path | str | None = None, config: OperationsConfig | None = None) -> Store:
    """Open (and migrate) the store the app will serve, or raise StoreProblem. Used by the
    app's lifespan: a problem stops the start."""
    config = config or operations_config()
    resolved = Path(path) if path else db_path_from_env()
    try:
        store = open_store(resolved)
        if config.scan_at_start:
            with store.cursor() as cur:
                scan_tables(cur)
    except (duckdb.Error, StoreProblem) as exc:
        raise classify(exc, resolved) from exc
    _remember_identity(store)
    return store


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _remember_identity(store: Store) -> None:
    if not hasattr(store, "file_identity"):
        store.file_identity = _file_identity(store.path)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)  # name → "ok" or what is wrong

    def as_json(self) -> dict:
        return {"ready": self.ready, "checks": self.checks}


def readiness(store: Store, config: OperationsConfig | None = None) -> Readiness:
    """Can this process serve and record marks right now? Each check says what is wrong."""
    config = config or operations_config()
    checks: dict[str, str] = {}
    _remember_identity(store)
    identity = _file_identity(store.path)
    if identity is None:
        checks["file"] = f"数据库文件 {store.path} 已不存在（被移走或删除）：重启后将打开一个空库"
    elif identity != store.file_identity:
        checks["file"] = f"数据库文件 {store.path} 已被替换：本进程仍在写旧文件，请重启应用"
    else:
        checks["file"] = "ok"
    try:
        with store.cursor() as cur:
            cur.execute("SELECT max(event_id) FROM events").fetchall()
        checks["query"] = "ok"
    except duckdb.Error as exc:
        checks["query"] = f"数据库查询失败：{str(exc).splitlines()[0][:200]}"
    if store._write_lock.acquire(timeout=LOCK_WAIT_SECONDS):
        store._write_lock.release()
        checks["writes"] = "ok"
    else:
        checks["writes"] = f"写锁 {LOCK_WAIT_SECONDS} 秒内未能获得：有写操作卡住"
    free_mb = shutil.disk_usage(store.path.parent).free // (1024 * 1024)
    checks["disk"] = ("ok" if free_mb >= config.min_free_mb else
                      f"磁盘剩余 {free_mb} MB，低于 {config.min_free_mb} MB：提交与备份将失败")
    return Readiness(ready=all(v == "ok" for v in checks.values()), checks=checks)


