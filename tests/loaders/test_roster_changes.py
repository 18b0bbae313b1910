"""A roster re-import re-derives what depends on the student's fields (clearance type, college,
political status), in the import's one transaction and through the event log (source `import`),
and says what it changed; an unknown 学院 refuses the file with the nearest known name."""

import subprocess
import sys
from pathlib import Path

import pytest

from clearance.rules.actors import SYSTEM, Actor
from clearance.root import close_all_stores, open_store
from clearance.store import config as store_config
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks, mark
from loaders.roster import change_rows, import_roster
from loaders.sheets import ImportRejected
from tests.conftest import evidence, roster_frame

ROOT = Path(__file__).resolve().parents[2]
NO = "20180000001"
LIBRARIAN = Actor("lib", "office", stages=frozenset({"library"}))
THESIS = Actor("thesis", "office", stages=frozenset({"thesis_center"}))
CS_SECRETARY = Actor("cs_secretary", "college", college="计算机学院",
                     stages=frozenset({"advisor", "secretary"}))
CS_WORK = Actor("cs_work", "college", college="计算机学院", stages=frozenset({"student_work"}))
CS_PARTY = Actor("cs_party", "college", college="计算机学院", stages=frozenset({"party"}))
SOFT_SECRETARY = Actor("soft_secretary", "college", college="软件学院",
                       stages=frozenset({"advisor", "secretary"}))


def csv(df) -> bytes:
    return df.to_csv(index=False).encode()


def reimport(store, df, name="第二版.csv"):
    return import_roster(store, csv(df), name, "2018-06", "admin")


def state(store, stage, no=NO):
    return store.read_value("SELECT state FROM stage_status WHERE student_no = $n AND stage_id = $s",
                            {"n": no, "s": stage})


def import_events(store, run_id):
    return store.read_rows(
        "SELECT stage_id, action, state_before, state_after, reason, note, actor, source FROM events"
        " WHERE source_ref = $r ORDER BY event_id", {"r": run_id})


def snapshot(store):
    return [store.read_rows(f"SELECT * FROM {t} ORDER BY ALL")
            for t in ("students", "stage_status", "events", "import_runs", "colleges")]


@pytest.fixture
def cohort(store):
    """Three 计算机学院 毕业 students (群众), imported once."""
    import_roster(store, csv(roster_frame(3)), "第一版.csv", "2018-06", "admin")
    return store


def test_graduate_now_completing_drops_the_thesis_rejections_and_names_the_items(cohort):
    mark(cohort, LIBRARIAN, NO, "library", "reject", reason="学位论文未提交")
    mark(cohort, THESIS, NO, "thesis_center", "reject", reason="学位论文电子最终版未收到")
    # Student 2's library rejection is about books too: that finding still stands.
    mark(cohort, LIBRARIAN, "20180000002", "library", "reject", reason="图书未还 2 册；学位论文未提交")
    df = roster_frame(3)
    df.loc[:1, "离校类型"] = "结业"
    result = reimport(cohort, df)

    assert state(cohort, "library") == "not_needed"
    assert state(cohort, "thesis_center") == "not_needed"
    assert state(cohort, "library", "20180000002") == "rejected"
    assert (result.inserted, result.updated) == (0, 3)
    first = result.changes[0]
    assert [(f.label, f.old, f.new) for f in first.fields] == [("离校类型", "毕业", "结业")]
    assert [(s.stage_name, s.state_before, s.state_after) for s in first.stages] == [
        ("图书馆", "rejected", "not_needed"), ("研究生教育服务中心", "rejected", "not_needed")]
    assert "离校类型改为结业" in first.stages[0].why and "学位论文未提交" in first.stages[0].why
    # The result names the thesis items the student no longer needs.
    assert [(n, i.item, i.needed) for n, i in first.items] == [
        ("图书馆", "学位论文电子版已提交", False),
        ("研究生教育服务中心", "已收学位论文电子最终版", False),
        ("研究生教育服务中心", "已收论文使用授权书或缓公开申请表", False)]
    text = "\n".join(str(r) for r in change_rows(result))
    assert "学位论文电子版已提交" in text and "✓ 无需办理" in text
    # Through the event log: source import, the importer, the reason as the note.
    events = import_events(cohort, result.run_id)
    assert [e[:4] for e in events] == [("library", "not_needed", "rejected", "not_needed"),
                                       ("thesis_center", "not_needed", "rejected", "not_needed")]
    assert all(e[6] == "admin" and e[7] == "import" for e in events)
    assert "离校类型改为结业" in events[0][5]
    # Only the students whose fields changed are listed; the third is not.
    assert [c.student_no for c in result.changes] == [NO, "20180000002"]


def test_a_stage_a_person_passed_stays_passed(cohort):
    mark(cohort, LIBRARIAN, NO, "library", "pass", evidence=evidence("library"))
    df = roster_frame(3)
    df.loc[0, "离校类型"] = "退学"
    result = reimport(cohort, df)
    assert state(cohort, "library") == "passed"
    assert result.changes[0].stages == ()
    assert import_events(cohort, result.run_id) == []


def test_a_college_move_reopens_the_old_colleges_marks_and_the_last_stage(cohort):
    catalogue = get_catalogue(cohort)
    apply_marks(cohort, CS_SECRETARY, [Mark(NO, "advisor", "pass", evidence=evidence("advisor")), Mark(NO, "secretary", "pass", evidence=evidence("secretary"))])
    mark(cohort, CS_WORK, NO, "student_work", "pass", evidence=evidence("student_work"))
    mark(cohort, CS_PARTY, NO, "party", "not_needed")
    school = [s.stage_id for s in catalogue.stages if s.scope == "school" and not s.final]
    apply_marks(cohort, SYSTEM, [Mark(NO, s, "pass", evidence=evidence(s)) for s in school])
    apply_marks(cohort, SYSTEM, [Mark(NO, "gso_office", "pass", evidence=evidence("gso_office"))])
    df = roster_frame(3)
    df.loc[0, "学院"] = "软件学院"
    result = reimport(cohort, df)

    for stage in ("advisor", "secretary", "student_work", "party", "gso_office"):
        assert state(cohort, stage) == "open", stage
    for stage in school:
        assert state(cohort, stage) == "passed", stage
    changed = {s.stage_id: s for s in result.changes[0].stages}
    assert set(changed) == {"advisor", "secretary", "student_work", "party", "gso_office"}
    assert "学院由计算机学院改为软件学院" in changed["secretary"].why
    assert "重新打开" in changed["gso_office"].why
    # Events in an order the marking rules accept: the dependents reopen first.
    order = [e[0] for e in import_events(cohort, result.run_id)]
    assert order.index("gso_office") < order.index("advisor")
    assert order.index("secretary") < order.index("advisor")
    assert all(e[1] == "reset" and e[7] == "import" for e in import_events(cohort, result.run_id))
    # The old college's staff no longer reach the student; the new college's do.
    with pytest.raises(MarkError, match="无权办理软件学院学生"):
        mark(cohort, CS_SECRETARY, NO, "advisor", "pass", evidence=evidence("advisor"))
    mark(cohort, SOFT_SECRETARY, NO, "advisor", "pass", evidence=evidence("advisor"))


def test_a_new_party_member_must_transfer(cohort):
    mark(cohort, CS_PARTY, NO, "party", "not_needed")
    df = roster_frame(3)
    df.loc[0, "政治面貌"] = "中共党员"
    result = reimport(cohort, df)
    assert state(cohort, "party") == "open"
    [stage] = result.changes[0].stages
    assert (stage.stage_name, stage.state_before, stage.state_after) == ("学院党委/党总支", "not_needed", "open")
    assert "政治面貌改为中共党员" in stage.why
    with pytest.raises(MarkError, match="须转出党组织关系"):
        mark(cohort, CS_PARTY, NO, "party", "not_needed")


def test_a_misspelt_college_is_refused_with_the_nearest_name_and_nothing_changes(cohort):
    before = snapshot(cohort)
    df = roster_frame(3)
    df.loc[0, "离校类型"] = "结业"          # a change that would re-derive stages
    df.loc[1, "学院"] = "计算机学员"
    df.loc[2, "学院"] = "火星学院"
    with pytest.raises(ImportRejected) as refused:
        reimport(cohort, df, "名单.csv")
    assert refused.value.errors == [
        "名单.csv 第3行“学院”列：“计算机学员”不是已知的学院，是否为“计算机学院”？",
        "名单.csv 第4行“学院”列：“火星学院”不是已知的学院（学院名单见 config/colleges.toml）",
    ]
    assert snapshot(cohort) == before


def test_an_alias_is_stored_as_the_colleges_name(store):
    import_roster(store, csv(roster_frame(1, 学院="计算机科学学院")), "a.csv", "2018-06", "admin")
    assert store.read_value("SELECT college FROM students") == "计算机学院"


def test_a_failure_inside_the_import_writes_nothing(cohort, monkeypatch):
    """The students' new rows, the re-derived events and the run record are one transaction:
    a fault after the rows are updated leaves the store as it was."""
    from clearance.store import roster_changes

    mark(cohort, LIBRARIAN, NO, "library", "reject", reason="学位论文未提交")
    before = snapshot(cohort)

    def broken(cur, changes):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster_changes, "write_events", broken)
    df = roster_frame(3)
    df.loc[0, "离校类型"] = "结业"
    df.loc[1, "学院"] = "软件学院"
    with pytest.raises(RuntimeError, match="disk full"):
        reimport(cohort, df)
    assert snapshot(cohort) == before


def test_a_stage_the_type_no_longer_needs_becomes_not_needed_and_back(tmp_path, monkeypatch):
    """With a catalogue in which the thesis centre is not needed for 结业: 毕业→结业 makes it
    无需办理; 结业→毕业 reopens it; a person's pass is kept either way."""
    text = store_config.STAGES_FILE.read_text(encoding="utf-8")
    lines = text.split("\n")
    i = lines.index('id = "thesis_center"')
    j = next(k for k in range(i, len(lines)) if lines[k].startswith("not_required_for = "))
    lines[j] = 'not_required_for = ["结业"]'
    custom = tmp_path / "stages.toml"
    custom.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(store_config, "STAGES_FILE", custom)
    s = open_store(tmp_path / "x.duckdb")
    try:
        import_roster(s, csv(roster_frame(2)), "a.csv", "2018-06", "admin")
        mark(s, THESIS, "20180000002", "thesis_center", "pass", evidence=evidence("thesis_center"))
        completing = roster_frame(2, 离校类型="结业")
        result = reimport(s, completing)
        assert state(s, "thesis_center") == "not_needed"
        assert state(s, "thesis_center", "20180000002") == "passed"
        assert "无需办理此环节" in result.changes[0].stages[0].why
        result = reimport(s, roster_frame(2))
        assert state(s, "thesis_center") == "open"
        assert result.changes[0].stages[0].why == "离校类型改为毕业，须办理此环节"
        assert state(s, "thesis_center", "20180000002") == "passed"
    finally:
        close_all_stores()


def test_a_reimport_gives_rows_to_its_new_students_only_and_leaves_the_known_as_they_are(
        tmp_path, monkeypatch):
    """The import's status rows are written for the students new in the file (12 rows each, a
    stage not needed for their type as a 无需办理 event of this run); a known student's rows,
    marks and events are not touched, however many of them the store holds."""
    text = store_config.STAGES_FILE.read_text(encoding="utf-8")
    lines = text.split("\n")
    i = lines.index('id = "thesis_center"')
    j = next(k for k in range(i, len(lines)) if lines[k].startswith("not_required_for = "))
    lines[j] = 'not_required_for = ["结业"]'
    custom = tmp_path / "stages.toml"
    custom.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(store_config, "STAGES_FILE", custom)
    s = open_store(tmp_path / "x.duckdb")
    try:
        import_roster(s, csv(roster_frame(2, 离校类型="结业")), "a.csv", "2018-06", "admin")
        mark(s, THESIS, NO, "thesis_center", "reset", reason="核对")  # a person reopened it
        known_before = s.read_rows("SELECT * FROM stage_status WHERE student_no IN"
                                   " ('20180000001', '20180000002') ORDER BY ALL")
        events_before = s.read_value("SELECT count(*) FROM events")
        result = reimport(s, roster_frame(4, 离校类型="结业"))
        assert (result.inserted, result.updated) == (2, 2)
        assert s.read_rows("SELECT * FROM stage_status WHERE student_no IN"
                           " ('20180000001', '20180000002') ORDER BY ALL") == known_before
        assert state(s, "thesis_center") == "open"  # the person's reset stands
        new_rows = s.read_rows("SELECT student_no, count(*), count(*) FILTER (state = 'not_needed')"
                               " FROM stage_status WHERE student_no IN ('20180000003', '20180000004')"
                               " GROUP BY 1 ORDER BY 1")
        assert new_rows == [("20180000003", 12, 1), ("20180000004", 12, 1)]
        assert import_events(s, result.run_id) == [
            ("thesis_center", "not_needed", "open", "not_needed", None, "该离校类型无需办理此环节",
             "admin", "import")] * 2
        assert s.read_value("SELECT count(*) FROM events") == events_before + 2
    finally:
        close_all_stores()


def test_cli_prints_what_the_reimport_changed(tmp_path):
    db = tmp_path / "cli.duckdb"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(csv(roster_frame(2)))
    df = roster_frame(2)
    df.loc[0, "学院"] = "软件学院"
    second.write_bytes(csv(df))
    env = {"CLEARANCE_DB": str(db), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "loaders", "roster"]
    assert subprocess.run([*run, str(first), "--batch", "2018-06"], cwd=ROOT, env=env).returncode == 0
    s = open_store(db)
    apply_marks(s, SYSTEM, [Mark(NO, "advisor", "pass", evidence=evidence("advisor"))])
    close_all_stores()
    out = subprocess.run([*run, str(second), "--batch", "2018-06"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "信息有变化的学生 1 人" in out.stdout
    assert f"{NO} 学生一（学院：计算机学院 → 软件学院）　导师：✓ 已办理 → × 未办理" in out.stdout
