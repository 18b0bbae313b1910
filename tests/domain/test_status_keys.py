"""The status rows carry the student's batch, college, campus, level and type (migration 033) so
the dashboards need no join with `students`. Every path that changes a student keeps the copies
in step (the roster import, through clearance.store.students), the dashboards follow a moved
student, an old store migrates, and a copy out of step is caught by the integrity check."""

import shutil
from datetime import date

import duckdb
import pytest

import queries
from clearance.rules.actors import Actor
from clearance.rules.batches import BatchDates
from clearance.store.backup import BackupError, verify_snapshot
from clearance.store.batches import create_batch
from clearance.store.db import MIGRATIONS_DIR, Store, migrate
from clearance.store.integrity import status_keys_out_of_step
from clearance.store.marks import mark
from loaders.roster import import_roster
from tests.conftest import evidence, roster_frame

ADMIN = Actor("admin", "admin")
LIBRARIAN = Actor("lib", "office", stages=frozenset({"library"}))
MOVED = "20180000001"
FILTERS = {"campus": None, "level": None, "clearance_type": None}


def _import(store, df, batch="2018-06", name="名单.csv"):
    return import_roster(store, df.to_csv(index=False).encode(), name, batch, "admin")


def _copies(store, no):
    return set(store.read_rows(
        "SELECT student_batch, student_college, student_campus, student_level, student_type"
        " FROM stage_status WHERE student_no = $n", {"n": no}))


def _out_of_step(store):
    with store.cursor() as cur:
        return status_keys_out_of_step(cur)


def _cube_by_college(store, batch="2018-06"):
    cube = queries.run(store, "completion_cube", batch=batch, **FILTERS)
    return cube.groupby("college")["students"].sum().to_dict()


def _joined_by_college(store, batch="2018-06"):
    """Independent SQL: status rows per college through the students table itself."""
    return dict(store.read_rows(
        "SELECT s.college, count(*) FROM stage_status x JOIN students s USING (student_no)"
        " WHERE s.batch_id = $b GROUP BY 1", {"b": batch}))


def _lagging(store, college, batch="2018-06"):
    return set(queries.run(store, "lagging_students", batch=batch, college=college, stage=None,
                           as_of=None, **FILTERS)["student_no"])


def _drop_from(migrations_dir, version):
    """Leave only the migrations before `version`: the store as older code made it."""
    for path in migrations_dir.glob("[0-9][0-9][0-9]_*.sql"):
        if int(path.name[:3]) >= version:
            path.unlink()


@pytest.fixture
def cohort(store):
    _import(store, roster_frame(3))
    mark(store, LIBRARIAN, MOVED, "library", "pass", evidence=evidence("library"))
    return store


def test_new_students_status_rows_carry_their_fields(cohort):
    assert _copies(cohort, MOVED) == {("2018-06", "计算机学院", "虎溪", "硕士", "毕业")}
    assert cohort.read_value("SELECT count(*) FROM stage_status WHERE student_college IS NULL") == 0
    assert _out_of_step(cohort) == 0


def test_a_reimport_that_moves_a_student_moves_the_dashboards(cohort):
    before = _cube_by_college(cohort)
    assert before == {"计算机学院": 36}
    moved = roster_frame(3)
    moved.loc[0, ["学院", "校区", "培养层次", "离校类型"]] = ["软件学院", "A区", "博士", "结业"]
    _import(cohort, moved, name="第二版.csv")

    assert _copies(cohort, MOVED) == {("2018-06", "软件学院", "A区", "博士", "结业")}
    assert _out_of_step(cohort) == 0
    # The cube, the lagging list and independent SQL through `students` agree.
    assert _cube_by_college(cohort) == _joined_by_college(cohort) == {"计算机学院": 24, "软件学院": 12}
    assert MOVED in _lagging(cohort, "软件学院")
    assert MOVED not in _lagging(cohort, "计算机学院")
    # The filters read the copies too: only the moved student is a 博士 / 结业 / A区.
    for key, value in (("level", "博士"), ("clearance_type", "结业"), ("campus", "A区")):
        cube = queries.run(cohort, "completion_cube", batch="2018-06", **(FILTERS | {key: value}))
        assert cube["students"].sum() == 12, key
        lagging = queries.run(cohort, "lagging_students", batch="2018-06", college=None,
                              stage=None, as_of=None, **(FILTERS | {key: value}))
        assert list(lagging["student_no"]) == [MOVED], key
    days = queries.run(cohort, "clearance_days", batch="2018-06", **FILTERS)
    assert days.groupby("college")["students"].sum().to_dict() == {"计算机学院": 2, "软件学院": 1}
    sets = queries.run(cohort, "open_sets", batch="2018-06", as_of=date(2030, 1, 1), **FILTERS)
    assert sets.groupby("college")["students"].sum().to_dict() == {"计算机学院": 2, "软件学院": 1}


def test_a_reimport_into_another_batch_moves_the_student_there(cohort):
    create_batch(cohort, ADMIN, "2018-12", BatchDates(
        "2018年12月离校", date(2018, 12, 20), date(2018, 12, 28), None, None, None))
    _import(cohort, roster_frame(1), batch="2018-12", name="冬季.csv")
    assert _copies(cohort, MOVED) == {("2018-12", "计算机学院", "虎溪", "硕士", "毕业")}
    assert _cube_by_college(cohort, "2018-12") == _joined_by_college(cohort, "2018-12") == {"计算机学院": 12}
    assert _cube_by_college(cohort) == {"计算机学院": 24}
    assert _lagging(cohort, "计算机学院", "2018-12") == {MOVED}
    assert MOVED not in _lagging(cohort, "计算机学院")


def test_a_reimport_that_changes_nothing_writes_no_status_row(cohort):
    before = cohort.read_rows("SELECT * FROM stage_status ORDER BY ALL")
    _import(cohort, roster_frame(3), name="同一份.csv")
    assert cohort.read_rows("SELECT * FROM stage_status ORDER BY ALL") == before


def test_a_copy_out_of_step_is_caught_and_a_backup_of_it_refused(cohort, tmp_path):
    # A hand edit (or a bug in a future write path) that leaves a copy behind its student.
    with cohort.transaction() as cur:
        cur.execute("UPDATE stage_status SET student_college = '软件学院'"
                    " WHERE student_no = $n AND stage_id = 'library'", {"n": MOVED})
    assert _out_of_step(cohort) == 1
    copy = tmp_path / "copy.duckdb"
    cohort.snapshot(copy)
    with pytest.raises(BackupError, match="1 个环节状态记录的学生学院"):
        verify_snapshot(copy)


def test_an_old_store_migrates_with_every_status_row_and_its_copies(tmp_path):
    """A store at schema 030 (before the copies) with students and marks: migration 033
    keeps every status row as it was and fills the copies from `students`."""
    old_dir = tmp_path / "old_migrations"
    shutil.copytree(MIGRATIONS_DIR, old_dir)
    _drop_from(old_dir, 33)
    path = tmp_path / "old.duckdb"
    old = Store(path)
    migrate(old, old_dir)
    with old.transaction() as cur:
        cur.execute("INSERT INTO students VALUES"
                    " ('S1', '甲', 'j', '计算机学院', '硕士', '毕业', '虎溪', '李', '138', '群众', '2018-06', now()),"
                    " ('S2', '乙', 'y', '软件学院', '博士', '结业', 'A区', '王', '139', '中共党员', '2018-06', now())")
        cur.execute("INSERT INTO stage_status (student_no, stage_id, state, updated_at, last_event_id)"
                    " VALUES ('S1', 'library', 'passed', TIMESTAMP '2018-06-26 10:00', 1),"
                    " ('S1', 'dorm', 'open', NULL, NULL), ('S2', 'library', 'rejected', NULL, 2)")
    before = old.read_rows("SELECT * FROM stage_status ORDER BY ALL")
    old.close()

    migrated = Store(path)
    assert migrate(migrated)[0] == "033_status_student_keys.sql"
    rows = migrated.read_rows("SELECT * EXCLUDE (student_batch, student_college, student_campus,"
                              " student_level, student_type, stage_code, college_code, done_on)"
                              " FROM stage_status ORDER BY ALL")
    assert rows == before
    assert set(migrated.read_rows(
        "SELECT student_no, student_batch, student_college, student_campus, student_level,"
        " student_type FROM stage_status")) == {
        ("S1", "2018-06", "计算机学院", "虎溪", "硕士", "毕业"),
        ("S2", "2018-06", "软件学院", "A区", "博士", "结业")}
    # The primary key survived the rebuild.
    with pytest.raises(duckdb.ConstraintException):
        with migrated.transaction() as cur:
            cur.execute("INSERT INTO stage_status SELECT * FROM stage_status LIMIT 1")
    migrated.close()


def test_a_status_row_without_its_student_stops_the_migration(tmp_path):
    """An orphan status row has no fields to copy: the migration fails and changes nothing
    rather than dropping the row."""
    old_dir = tmp_path / "old_migrations"
    shutil.copytree(MIGRATIONS_DIR, old_dir)
    _drop_from(old_dir, 33)
    old = Store(tmp_path / "orphan.duckdb")
    migrate(old, old_dir)
    with old.transaction() as cur:
        cur.execute("INSERT INTO stage_status (student_no, stage_id, state) VALUES ('GONE', 'library', 'open')")
    from clearance.store.db import StoreProblem
    with pytest.raises(StoreProblem, match="033_status_student_keys.sql"):
        migrate(old)
    assert old.read_value("SELECT count(*) FROM stage_status WHERE student_no = 'GONE'") == 1
    assert old.read_value("SELECT count(*) FROM schema_migrations WHERE version = 33") == 0
    old.close()
