"""Online backups and verified restores on a real DuckDB file, while threads keep marking."""

import json
import random
import subprocess
import sys
import threading

import duckdb
import pytest

from clearance.rules.actors import SYSTEM
from clearance.store.backup import BackupError, backup_store, list_backups, restore
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks
from clearance.operations import OperationsConfig
from tests.conftest import add_students, roster_frame

CONFIG = OperationsConfig(keep=50, daily_at=None)


def _marking_threads(store, stop: threading.Event, committed: list, errors: list, n: int = 6):
    nos = [f"2018{i + 1:07d}" for i in range(40)]
    stages = [s for s in get_catalogue(store).stage_ids if s not in ("secretary", "gso_office")]
    lock = threading.Lock()

    def worker(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            m = Mark(rng.choice(nos), rng.choice(stages), rng.choice(["pass", "reject", "reset"]),
                     reason=f"r{seed}-{rng.randint(0, 99999)}")
            try:
                result = apply_marks(store, SYSTEM, [m])
            except MarkError:
                continue
            except Exception as exc:  # noqa: BLE001 — any other failure fails the test
                errors.append(exc)
                return
            with lock:
                committed.extend(result.event_ids)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    return threads


def test_backup_under_concurrent_marking_restores_with_nothing_lost(store, tmp_path):
    add_students(store, roster_frame(40))
    stop, committed, errors = threading.Event(), [], []
    threads = _marking_threads(store, stop, committed, errors)
    taken = []
    try:
        for _ in range(4):
            while len(committed) < 50 * (len(taken) + 1):  # let some marks land between backups
                threading.Event().wait(0.01)
            before = set(committed)  # every mark whose apply_marks had returned
            taken.append((before, backup_store(store, trigger="manual", actor="test", config=CONFIG)))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert len(committed) > len(taken[-1][0])  # marking went on after the last snapshot
    live = dict(store.read_rows("SELECT event_id, state_after || coalesce(reason, '') FROM events"))
    for n, (before, result) in enumerate(taken):
        target = tmp_path / f"restored-{n}.duckdb"
        counts = restore(result.folder, target)  # verifies: readable, counts, statuses agree
        con = duckdb.connect(str(target), read_only=True)
        restored = dict(con.execute(
            "SELECT event_id, state_after || coalesce(reason, '') FROM events").fetchall())
        disagree = con.execute(
            "SELECT count(*) FROM stage_status s LEFT JOIN (SELECT * FROM events QUALIFY"
            " row_number() OVER (PARTITION BY student_no, stage_id ORDER BY event_id DESC) = 1) e"
            " USING (student_no, stage_id) WHERE coalesce(e.state_after, 'open') <> s.state"
            " OR s.last_event_id IS DISTINCT FROM e.event_id").fetchall()[0][0]
        con.close()
        # Every mark committed before the snapshot is in it, exactly as in the live store ...
        assert before <= set(restored)
        assert all(restored[i] == live[i] for i in before)
        # ... and the snapshot is a prefix of the log: no half transaction, nothing invented.
        assert set(restored) == {i for i in live if i <= result.last_event_id}
        assert counts["events"] == result.events == len(restored)
        assert disagree == 0


def test_the_app_keeps_its_lock_on_the_store_after_a_backup(store):
    """DuckDB holds the file with a POSIX lock, which a process loses when it closes any
    descriptor of the file: a backup must not let another process open the store."""
    backup_store(store, trigger="manual", config=CONFIG)
    probe = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(store.path)!r})"],
        capture_output=True, text=True)
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()


def test_backups_are_recorded_and_only_the_newest_are_kept(store):
    config = OperationsConfig(keep=2, daily_at=None)
    ids = [backup_store(store, trigger="manual", actor="admin", config=config).backup_id
           for _ in range(3)]
    root = config.backup_root(store.path)
    assert [m["backup_id"] for m in list_backups(root)] == ids[:0:-1]
    assert not (root / ids[0]).exists()
    rows = store.read_rows("SELECT backup_id, actor, verified, pruned_at IS NOT NULL FROM backups"
                           " ORDER BY backup_id")
    assert [r[0] for r in rows] == ids and all(r[1] == "admin" and r[2] for r in rows)
    assert [r[3] for r in rows] == [True, False, False]


def test_restore_never_overwrites_and_refuses_a_changed_backup(store, tmp_path):
    add_students(store, roster_frame(3))
    result = backup_store(store, trigger="manual", config=CONFIG)
    existing = tmp_path / "existing.duckdb"
    existing.write_bytes(b"precious")
    with pytest.raises(BackupError, match="已存在"):
        restore(result.folder, existing)
    assert existing.read_bytes() == b"precious"
    # Someone edits a status in the backup without an event (and fixes up the checksum).
    snapshot = tmp_path / "tampered"
    subprocess.run(["cp", "-r", result.folder, str(snapshot)], check=True)
    con = duckdb.connect(str(snapshot / "clearance.duckdb"))
    con.execute("UPDATE stage_status SET state = 'passed' WHERE stage_id = 'library'")
    con.execute("CHECKPOINT")
    con.close()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    with pytest.raises(BackupError, match="校验和"):
        restore(snapshot, tmp_path / "a.duckdb")
    from clearance.store.backup import _sha256

    manifest["sha256"] = _sha256(snapshot / "clearance.duckdb")
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="不一致"):
        restore(snapshot, tmp_path / "b.duckdb")
    assert not (tmp_path / "a.duckdb").exists() and not (tmp_path / "b.duckdb").exists()


def test_a_failed_backup_publishes_nothing(store, monkeypatch):
    def broken(target):
        target.write_bytes(b"not a database")
        return {"events": 0, "last_event_id": None, "schema_version": 14, "lock_ms": 0}

    monkeypatch.setattr(store, "snapshot", broken)
    with pytest.raises(BackupError):
        backup_store(store, trigger="manual", config=CONFIG)
    root = CONFIG.backup_root(store.path)
    assert list(root.iterdir()) == [] and list_backups(root) == []


def test_the_daily_backup_is_due_once_when_the_clock_passes_its_time(store):
    from datetime import datetime, time

    from clearance.store.backup import DailyBackup

    daily = DailyBackup(store, OperationsConfig(daily_at=time(2, 30)))
    daily._last_check = datetime(2018, 6, 25, 2, 29, 40)
    assert not daily.due(datetime(2018, 6, 25, 2, 29, 59))
    assert daily.due(datetime(2018, 6, 25, 2, 30, 10))
    daily._last_check = datetime(2018, 6, 25, 2, 30, 10)
    assert not daily.due(datetime(2018, 6, 25, 2, 30, 40))  # once a day
    assert not DailyBackup(store, OperationsConfig(daily_at=None)).start()._thread.is_alive()


def test_the_restore_command_writes_a_verified_new_store(store, tmp_path, monkeypatch, capsys):
    from clearance import backup as command
    from clearance.operations import operations_config

    add_students(store, roster_frame(3))
    result = backup_store(store, trigger="manual", config=operations_config())
    monkeypatch.setenv("CLEARANCE_DB", str(store.path))
    target = tmp_path / "restored.duckdb"
    assert command.main(["restore", result.backup_id, str(target)]) == 0
    assert "所有环节状态与办理记录一致" in capsys.readouterr().out
    assert command.main(["restore", result.backup_id, str(target)]) == 1  # never overwrites
    assert "已存在" in capsys.readouterr().err
