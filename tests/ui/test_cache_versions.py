"""Reads and derived tables are cached per version of the tables they read: a write to one
table leaves the caches of every other table valid; a write that names no tables, any."""

import pytest

import queries
from clearance.root import close_all_stores, open_store
from ui import data


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    monkeypatch.setenv("CLEARANCE_DB", str(path))
    yield open_store(path)
    close_all_stores()


def test_a_named_write_bumps_only_its_tables(store):
    batches, status = queries.tables("batch_list"), queries.tables("completion_cube")
    before = store.data_version(batches), store.data_version(status)
    with store.transaction(tables=("stage_status", "events")) as cur:
        cur.execute("SELECT 1")
    assert store.data_version(batches) == before[0]
    assert store.data_version(status) > before[1]
    with store.transaction() as cur:  # names nothing: every table may have changed
        cur.execute("SELECT 1")
    assert store.data_version(batches) > before[0]


def test_bookkeeping_writes_leave_every_cache_valid(store):
    version = store.data_version(("stage_status",))
    with store.transaction(touches_data=False) as cur:
        cur.execute("SELECT 1")
    assert store.data_version(("stage_status",)) == version


def test_derived_is_built_once_per_version_of_what_it_reads(store):
    built = []

    def build(x):
        built.append(x)
        return {"x": x}

    first = data.derived("t", build, 1, reads=("completion_cube",))
    assert data.derived("t", build, 1, reads=("completion_cube",)) is first
    assert built == [1]
    data.derived("t", build, 2, reads=("completion_cube",))  # other arguments: built
    assert built == [1, 2]
    with store.transaction(tables=("batches",)) as cur:  # a table the build does not read
        cur.execute("SELECT 1")
    data.derived("t", build, 1, reads=("completion_cube",))
    assert built == [1, 2]
    with store.transaction(tables=("stage_status", "events")) as cur:  # a mark
        cur.execute("SELECT 1")
    data.derived("t", build, 1, reads=("completion_cube",))
    assert built == [1, 2, 1]


def test_derived_records_the_tables_its_build_reads(store):
    built = []

    def build(batch):
        built.append(batch)
        return len(data.read("batch_list"))  # reads batches (and whatever batch_list joins)

    data.derived("tracked", build, "b1")
    data.derived("tracked", build, "b1")
    assert built == ["b1"]
    with store.transaction(tables=("stage_status", "events")) as cur:  # a mark: not read
        cur.execute("SELECT 1")
    data.derived("tracked", build, "b1")
    assert built == ["b1"]
    with store.transaction(tables=("batches",)) as cur:  # a table the build read
        cur.execute("SELECT 1")
    data.derived("tracked", build, "b1")
    assert built == ["b1", "b1"]


def test_a_derived_build_nested_in_another_passes_its_tables_on(store):
    outer = []

    def inner():
        return len(data.read("batch_list"))

    def build():
        outer.append(1)
        return data.derived("inner", inner)

    data.derived("outer", build)
    data.derived("outer", build)
    assert outer == [1]
    with store.transaction(tables=("batches",)) as cur:
        cur.execute("SELECT 1")
    data.derived("outer", build)  # the inner build's table invalidates the outer one too
    assert outer == [1, 1]


def test_a_store_opened_again_does_not_find_the_old_openings_entries(tmp_path, monkeypatch):
    # The version counter restarts at 0 when a path is opened again (a restore, a test): a
    # cache keyed on the path alone would hand out what the old opening read.
    path = tmp_path / "again.duckdb"
    monkeypatch.setenv("CLEARANCE_DB", str(path))
    built = []
    open_store(path)
    data.derived("again", lambda: built.append(1), reads=("batch_list",))
    close_all_stores()
    open_store(path)
    data.derived("again", lambda: built.append(1), reads=("batch_list",))
    close_all_stores()
    assert built == [1, 1]


def test_sessions_needing_the_same_build_together_share_one(store):
    """Ten sessions rerun a dashboard right after a mark: the stale entry is built once and
    handed to all ten (each building it again cost the server a core at the load's peak)."""
    import threading
    import time

    built = []
    started = threading.Event()

    def build(x):
        built.append(x)
        started.set()
        time.sleep(0.3)  # a build long enough for the others to arrive while it runs
        return {"x": x}

    data.derived("shared", build, 1, reads=("completion_cube",))
    with store.transaction(tables=("stage_status", "events")) as cur:  # a mark
        cur.execute("SELECT 1")
    results = []
    sessions = [threading.Thread(target=lambda: results.append(
        data.derived("shared", build, 1, reads=("completion_cube",)))) for _ in range(10)]
    for t in sessions:
        t.start()
    for t in sessions:
        t.join(10)
    assert built == [1, 1]
    assert len(results) == 10 and all(r is results[0] for r in results)
    assert data._building == {}  # no lock left behind once nobody waits


def test_a_build_that_fails_lets_the_next_session_build(store):
    calls = []

    def build():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the store was busy")
        return "ok"

    with pytest.raises(RuntimeError):
        data.derived("flaky", build)
    assert data.derived("flaky", build) == "ok"
    assert len(calls) == 2 and data._building == {}
