"""The store checks behind the app's start and its readiness route, on real damaged files."""

import os
import shutil

import pytest

from clearance.health import open_checked, readiness
from clearance.operations import OperationsConfig
from clearance.root import close_all_stores
from clearance.store.db import StoreProblem
from tests.conftest import held_store

CONFIG = OperationsConfig(daily_at=None)


@pytest.fixture
def store_file(demo_db_path):
    yield demo_db_path
    close_all_stores()


def _problem(path) -> StoreProblem:
    with pytest.raises(StoreProblem) as caught:
        open_checked(path, CONFIG)
    return caught.value


def test_a_store_held_by_another_process_is_refused_naming_the_holder(store_file):
    with held_store(store_file) as holder_pid:
        problem = _problem(store_file)
    assert problem.kind == "locked"
    assert str(store_file) in str(problem) and f"PID {holder_pid}" in str(problem)


@pytest.mark.parametrize("damage", ["truncated", "garbled_header", "garbled_blocks", "not_duckdb"])
def test_a_damaged_store_is_refused(store_file, damage):
    size = store_file.stat().st_size
    with store_file.open("r+b") as f:
        if damage == "truncated":
            f.truncate(size // 2)  # opens fine; only reading every block finds it
        elif damage == "garbled_header":
            f.write(os.urandom(8192))
        elif damage == "garbled_blocks":
            f.seek(200_000)
            f.write(os.urandom(1 << 20))
        else:
            f.truncate(0)
            f.write("学号,姓名\n2018,张三\n".encode() * 200)
    problem = _problem(store_file)
    assert problem.kind == "corrupt" and str(store_file) in str(problem)
    assert "restore" in str(problem)


def test_readiness_tells_when_the_file_is_gone_or_the_disk_is_full(store_file, tmp_path):
    store = open_checked(store_file, CONFIG)
    assert readiness(store, CONFIG).ready
    full = readiness(store, OperationsConfig(min_free_mb=10**9))
    assert not full.ready and "磁盘" in full.checks["disk"]
    moved = tmp_path / "moved.duckdb"
    shutil.move(store_file, moved)
    gone = readiness(store, CONFIG)
    assert not gone.ready and "已不存在" in gone.checks["file"]
    shutil.copy(moved, store_file)  # a different file now sits at the path
    replaced = readiness(store, CONFIG)
    assert not replaced.ready and "已被替换" in replaced.checks["file"]


def test_readiness_says_not_ready_while_a_write_is_stuck(store_file, monkeypatch):
    import clearance.health as health

    store = open_checked(store_file, CONFIG)
    monkeypatch.setattr(health, "LOCK_WAIT_SECONDS", 0.2)
    import threading

    held, release = threading.Event(), threading.Event()

    def stuck_writer():
        with store.transaction():
            held.set()
            release.wait(5)

    t = threading.Thread(target=stuck_writer)
    t.start()
    held.wait(5)
    try:
        result = readiness(store, CONFIG)
    finally:
        release.set()
        t.join()
    assert not result.ready and "写锁" in result.checks["writes"]
    assert readiness(store, CONFIG).ready


def test_a_store_from_a_newer_version_is_refused_at_start(store_file):
    import duckdb

    con = duckdb.connect(str(store_file))
    con.execute("INSERT INTO schema_migrations VALUES (999, '999_future.sql', now())")
    con.close()
    problem = _problem(store_file)
    assert problem.kind == "newer_schema" and "999" in str(problem)
