"""The status rows' compact group keys (migration 036): the stage's code, the college's code and
the day the stage became ✓. The dashboards group by them alone, so every path that writes a
status row keeps them true — a desk's mark and its undo, a bulk pass, a feed, a re-import that
moves a student to a new college — the cube agrees with independent SQL over the same store,
a code or day out of step is caught by the integrity check and refused in a backup, and an
old store migrates with every row kept."""

import shutil
from datetime import date, datetime

import pytest

import queries
from clearance.rules.actors import SYSTEM, Actor
from clearance.rules.marking import Mark
from clearance.store.backup import BackupError, verify_snapshot
from clearance.store.db import MIGRATIONS_DIR, Store, migrate
from clearance.store.integrity import status_codes_out_of_step
from clearance.store.marks import apply_marks, mark
from loaders.feeds import import_feed
from tests.conftest import add_students, evidence, roster_frame

ADMIN = Actor("admin", "admin")
LIBRARIAN = Actor("lib", "office", stages=frozenset({"library", "finance"}))
FILTERS = {"campus": None, "level": None, "clearance_type": None}
FIRST = "20180000001"


def _out_of_step(store):
    with store.cursor() as cur:
        return status_codes_out_of_step(cur)


def _row(store, no, stage):
    return store.read_rows(
        "SELECT state, done_on, stage_code, college_code FROM stage_status"
        " WHERE student_no = $n AND stage_id = $s", {"n": no, "s": stage})[0]


def _cube(store, batch="2018-06"):
    """completion_cube as {(college, stage, done_on, passed): students}."""
    cube = queries.run(store, "completion_cube", batch=batch, **FILTERS)
    return {(r.college, r.stage_id, None if r.done_on is None or r.done_on != r.done_on
             else r.done_on.date() if hasattr(r.done_on, "date") else r.done_on, bool(r.passed)):
            int(r.students) for r in cube.itertuples()}


def _independent(store, batch="2018-06"):
    """The same figures from `students`, `stage_status.state` and `updated_at` alone."""
    return {(college, stage, done, passed): n for college, stage, done, passed, n in store.read_rows(
        "SELECT s.college, x.stage_id,"
        " CASE WHEN x.state IN ('passed', 'not_needed') THEN CAST(x.updated_at AS DATE) END,"
        " x.state = 'passed', count(*)"
        " FROM stage_status x JOIN students s USING (student_no) WHERE s.batch_id = $b"
        " GROUP BY ALL", {"b": batch})}


@pytest.fixture
def cohort(store):
    add_students(store, roster_frame(4))
    return store


def test_new_rows_carry_the_codes_of_their_stage_and_college(cohort):
    codes = dict(cohort.read_rows("SELECT stage_id, stage_code FROM stage_codes"))
    assert len(codes) == len(set(codes.values())) == 12
    college = cohort.read_value("SELECT college_code FROM colleges WHERE college = '计算机学院'")
    assert college is not None
    assert set(cohort.read_rows("SELECT stage_id, stage_code, college_code FROM stage_status"
                                " WHERE student_no = $n", {"n": FIRST})) == {
        (stage, code, college) for stage, code in codes.items()}
    assert _out_of_step(cohort) == 0


def test_a_mark_sets_the_done_day_and_its_undo_clears_it(cohort):
    assert _row(cohort, FIRST, "library")[:2] == ("open", None)
    mark(cohort, LIBRARIAN, FIRST, "library", "pass", evidence=evidence("library"))
    state, done_on, *_ = _row(cohort, FIRST, "library")
    marked_at = cohort.read_value("SELECT updated_at FROM stage_status WHERE student_no = $n"
                                  " AND stage_id = 'library'", {"n": FIRST})
    assert (state, done_on) == ("passed", marked_at.date())
    mark(cohort, LIBRARIAN, FIRST, "library", "reset", reason="误操作")
    assert _row(cohort, FIRST, "library")[:2] == ("open", None)
    mark(cohort, LIBRARIAN, FIRST, "library", "reject", reason="图书未还")
    assert _row(cohort, FIRST, "library")[:2] == ("rejected", None)
    assert _out_of_step(cohort) == 0
    assert _cube(cohort) == _independent(cohort)


def test_a_mark_dated_late_in_the_evening_keeps_its_own_day(cohort):
    # A mark at 23:59 Beijing time is that day's, not the next one's (no time-zone shift).
    late = datetime(2018, 6, 28, 23, 59, 30)
    apply_marks(cohort, SYSTEM, [Mark(FIRST, "library", "pass", at=late, actor_name="系统",
                                     evidence=evidence("library"))], source="demo")
    assert _row(cohort, FIRST, "library")[:2] == ("passed", date(2018, 6, 28))
    assert _out_of_step(cohort) == 0


def test_a_bulk_pass_sets_every_done_day(cohort):
    marks = [Mark(f"2018{i:07d}", stage, "pass", evidence=evidence(stage))
             for i in range(1, 5) for stage in ("library", "finance")]
    assert apply_marks(cohort, LIBRARIAN, marks, source="bulk").changed == 8  # the bulk statement
    today = cohort.read_value("SELECT max(CAST(updated_at AS DATE)) FROM stage_status")
    assert set(cohort.read_rows("SELECT state, done_on FROM stage_status"
                                " WHERE stage_id IN ('library', 'finance')")) == {("passed", today)}
    assert _out_of_step(cohort) == 0
    assert _cube(cohort) == _independent(cohort)


def test_a_feed_pass_and_rejection_set_the_done_day(cohort):
    data = "学号,欠费金额（元）\n20180000001,0\n20180000002,12.5\n".encode()
    import_feed(cohort, "finance", data, "财务欠费.csv", "test", "upload")
    assert _row(cohort, FIRST, "finance")[0] == "passed"
    assert _row(cohort, FIRST, "finance")[1] is not None
    assert _row(cohort, "20180000002", "finance")[:2] == ("rejected", None)
    assert _out_of_step(cohort) == 0
    assert _cube(cohort) == _independent(cohort)


def test_a_reimport_into_a_new_college_gives_it_a_code_and_moves_the_rows(cohort):
    mark(cohort, LIBRARIAN, FIRST, "library", "pass", evidence=evidence("library"))
    moved = roster_frame(4)
    moved.loc[0, "学院"] = "软件学院"
    add_students(cohort, moved)
    software = cohort.read_value("SELECT college_code FROM colleges WHERE college = '软件学院'")
    codes = cohort.read_rows("SELECT college_code FROM colleges")
    assert len(codes) == len(set(codes))  # a new code, not another college's
    assert {r[3] for r in cohort.read_rows(
        "SELECT state, done_on, stage_code, college_code FROM stage_status WHERE student_no = $n",
        {"n": FIRST})} == {software}
    assert _row(cohort, FIRST, "library")[0] == "passed"  # the move keeps the marks
    assert _out_of_step(cohort) == 0
    cube = _cube(cohort)
    assert cube == _independent(cohort)
    assert sum(n for (college, *_), n in cube.items() if college == "软件学院") == 12


def test_the_demo_is_in_step(demo_store):
    assert demo_store.read_value("SELECT count(*) FROM stage_status WHERE done_on IS NOT NULL") > 0
    assert _out_of_step(demo_store) == 0
    batch = demo_store.read_value("SELECT batch_id FROM students LIMIT 1")
    assert _cube(demo_store, batch) == _independent(demo_store, batch)


@pytest.mark.parametrize("edit, what", [
    ("SET done_on = DATE '2018-06-01'", "a wrong done day"),
    ("SET done_on = NULL", "a missing done day"),
    ("SET college_code = college_code + 1", "another college's code"),
    ("SET stage_code = 200", "a code of no stage"),  # another stage's would hit the key
])
def test_a_key_out_of_step_is_caught_and_a_backup_of_it_refused(cohort, tmp_path, edit, what):
    mark(cohort, LIBRARIAN, FIRST, "library", "pass", evidence=evidence("library"))
    with cohort.transaction() as cur:  # a hand edit, or a future write path that forgets a key
        cur.execute(f"UPDATE stage_status {edit} WHERE student_no = $n AND stage_id = 'library'",
                    {"n": FIRST})
    assert _out_of_step(cohort) == 1, what
    copy = tmp_path / "copy.duckdb"
    cohort.snapshot(copy)
    with pytest.raises(BackupError, match="1 个环节状态记录的环节代码、学院代码或办结日期"):
        verify_snapshot(copy)


def test_an_old_store_migrates_with_every_row_and_its_codes(tmp_path):
    """A store at schema 035 (before the codes) with students, marks and a stage the catalogue
    no longer has: 036 keeps every status row as it was and fills the codes and days."""
    old_dir = tmp_path / "old_migrations"
    shutil.copytree(MIGRATIONS_DIR, old_dir)
    for later in old_dir.glob("[0-9][0-9][0-9]_*.sql"):  # 036 and whatever came after it
        if int(later.name[:3]) >= 36:
            later.unlink()
    path = tmp_path / "old.duckdb"
    old = Store(path)
    migrate(old, old_dir)
    with old.transaction() as cur:
        cur.execute("INSERT INTO colleges VALUES ('计算机学院')")  # 软件学院 only on a student
        cur.execute("INSERT INTO stages VALUES ('library', 7, '图书馆', '图书馆', 'school', '', '', '',"
                    " [], [], []), ('dorm', 8, '公寓', '公寓', 'school', '', '', '', [], [], [])")
        cur.execute("INSERT INTO students VALUES"
                    " ('S1', '甲', 'j', '计算机学院', '硕士', '毕业', '虎溪', '李', '138', '群众', '2018-06', now()),"
                    " ('S2', '乙', 'y', '软件学院', '博士', '结业', 'A区', '王', '139', '中共党员', '2018-06', now())")
        cur.execute(
            "INSERT INTO stage_status (student_no, stage_id, state, updated_at, last_event_id,"
            " student_batch, student_college, student_campus, student_level, student_type) VALUES"
            " ('S1', 'library', 'passed', TIMESTAMP '2018-06-26 23:30', 1, '2018-06', '计算机学院', '虎溪', '硕士', '毕业'),"
            " ('S1', 'dorm', 'open', NULL, NULL, '2018-06', '计算机学院', '虎溪', '硕士', '毕业'),"
            " ('S2', 'library', 'rejected', TIMESTAMP '2018-06-27 09:00', 2, '2018-06', '软件学院', 'A区', '博士', '结业'),"
            " ('S2', 'gone', 'not_needed', TIMESTAMP '2018-06-25 08:00', 3, '2018-06', '软件学院', 'A区', '博士', '结业')")
    before = old.read_rows("SELECT * FROM stage_status ORDER BY ALL")
    old.close()

    migrated = Store(path)
    assert migrate(migrated)[0] == "036_status_codes.sql"
    assert migrated.read_rows("SELECT * EXCLUDE (stage_code, college_code, done_on)"
                              " FROM stage_status ORDER BY ALL") == before
    assert dict(migrated.read_rows("SELECT student_no || ' ' || stage_id, done_on FROM stage_status")) == {
        "S1 library": date(2018, 6, 26), "S1 dorm": None, "S2 library": None,
        "S2 gone": date(2018, 6, 25)}
    stage_codes = dict(migrated.read_rows("SELECT stage_id, stage_code FROM stage_codes"))
    assert stage_codes["library"] < stage_codes["dorm"] and "gone" in stage_codes
    assert {c for c, in migrated.read_rows("SELECT college FROM colleges")} == {"计算机学院", "软件学院"}
    with migrated.cursor() as cur:
        assert status_codes_out_of_step(cur) == 0
    # The primary key survived the rebuild.
    import duckdb
    with pytest.raises(duckdb.ConstraintException):
        with migrated.transaction() as cur:
            cur.execute("INSERT INTO stage_status SELECT * FROM stage_status LIMIT 1")
    migrated.close()


def test_a_catalogue_stage_gets_a_code_that_is_kept(cohort):
    """Codes are never reused: the stage codes after a re-sync are the ones before."""
    from clearance.store.config import _write_catalogue

    before = dict(cohort.read_rows("SELECT stage_id, stage_code FROM stage_codes"))
    with cohort.transaction() as cur:
        _write_catalogue(cur, cohort.catalogue)
    assert dict(cohort.read_rows("SELECT stage_id, stage_code FROM stage_codes")) == before


def test_a_stage_new_to_the_store_gets_a_code_and_its_rows_from_the_catalogue_sync(cohort):
    """As when the catalogue adds a stage: the sync gives it the next code and every student a
    status row carrying that code."""
    from clearance.store.config import sync_config

    with cohort.transaction() as cur:
        cur.execute("DELETE FROM stage_status WHERE stage_id = 'hospital'")
        cur.execute("DELETE FROM stage_codes WHERE stage_id = 'hospital'")
        cur.execute("DELETE FROM settings WHERE key = 'config_hash'")
    highest = cohort.read_value("SELECT max(stage_code) FROM stage_codes")
    assert sync_config(cohort)
    code = cohort.read_value("SELECT stage_code FROM stage_codes WHERE stage_id = 'hospital'")
    assert code == highest + 1  # the next code, not a reused one
    assert cohort.read_rows("SELECT DISTINCT stage_code, count(*) OVER () FROM stage_status"
                            " WHERE stage_id = 'hospital'") == [(code, 4)]
    assert _out_of_step(cohort) == 0
    assert _cube(cohort) == _independent(cohort)
