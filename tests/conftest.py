"""Shared fixtures: real DuckDB files in temp dirs, built by the same migrations, catalogue
and demo generator the app uses. No database mocks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from clearance.root import close_all_stores, open_store

from clearance.store.db import Store

_DEMO_CACHE: dict[str, Path] = {}


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty, migrated store with the catalogue and batches loaded."""
    s = open_store(tmp_path / "test.duckdb")
    yield s
    close_all_stores()


def _demo_file(tmp_path_factory) -> Path:
    """The demo batch, generated once per test run and copied for each test that needs it."""
    if "path" not in _DEMO_CACHE:
        from loaders.demo import generate

        path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
        generate(open_store(path))
        close_all_stores()
        _DEMO_CACHE["path"] = path
    return _DEMO_CACHE["path"]


@pytest.fixture
def demo_db_path(tmp_path, tmp_path_factory) -> Path:
    """A fresh copy of the demo store file (not opened)."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), target)
    return target


@pytest.fixture
def demo_store(demo_db_path) -> Store:
    s = open_store(demo_db_path)
    yield s
    close_all_stores()


def roster_frame(n: int = 3, college: str = "计算机学院", **overrides) -> pd.DataFrame:
    rows = []
    for i in range(n):
        row = {"学号": f"2018{i + 1:07d}", "姓名": f"学生{chr(0x4e00 + i)}", "学院": college,
               "培养层次": "硕士", "离校类型": "毕业", "校区": "虎溪", "导师": "李老师",
               "手机": "13800000000", "政治面貌": "群众"}
        row.update(overrides)
        rows.append(row)
    return pd.DataFrame(rows)


def add_students(store: Store, df: pd.DataFrame, batch: str = "2018-06") -> None:
    """Import a roster frame through the real loader (CSV bytes)."""
    from loaders.roster import import_roster

    import_roster(store, df.to_csv(index=False).encode(), "test.csv", batch, "test")


@pytest.fixture(scope="session")
def pcscd_daemon():
    """The machine's one pcscd, started by the tests (with the vpcd virtual readers)."""
    from tests.cards.pcscd import PcscDaemon

    daemon = PcscDaemon()
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def pcscd(pcscd_daemon):
    """pcscd running with the virtual reader (restarted if an earlier test stopped it)."""
    from tests.cards.pcscd import wait_reader_empty

    pcscd_daemon.ensure_normal()
    wait_reader_empty()
    return pcscd_daemon


def sign_in_apptest(at, username: str, now=None):
    """Sign an AppTest session in as `username` through a real staff session in the store that
    $CLEARANCE_DB names (AppTest runs in this process, so it shares the store)."""
    from clearance.adapters.sessions import start_session

    token = start_session(open_store(), username, now=now)
    at.session_state["signed_in"] = {"token": token}
    return at


def evidence(stage_id: str) -> dict:
    """A pass's complete evidence for a stage of the real catalogue: every item ticked (ticks an
    exempt type does not need are dropped by the domain), every field with a valid value."""
    from clearance.store.config import load_catalogue

    stage = load_catalogue().stage(stage_id)
    sample = {"choice": None, "text": "测试记录", "date": "2018-06-01", "money": "0"}
    return {"checked": [i.text for i in stage.items],
            "fields": {f.field_id: f.choices[0] if f.kind == "choice" else sample[f.kind]
                       for f in stage.fields}}


@contextmanager
def held_store(path: Path):
    """Another process holds the DuckDB file at `path` open (as a running app does) until the
    block ends; yields that process's pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
         " print('held', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.communicate("", timeout=10)
