"""Who may mark what, through the domain API (apply_marks), whatever any page shows: every role
× every stage × a student of the staff member's own college and of another college."""

import pytest

from clearance.store.accounts import create_account, get_actor
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks
from tests.conftest import add_students, roster_frame

HOME, OTHER = "计算机学院", "土木工程学院"
STUDENT = {HOME: "20180000001", OTHER: "20180000002"}


@pytest.fixture
def matrix_store(store):
    add_students(store, roster_frame(1, college=HOME))
    other = roster_frame(1, college=OTHER)
    other["学号"] = STUDENT[OTHER]
    add_students(store, other)
    catalogue = get_catalogue(store)
    create_account(store, "root", "管理员", "admin", "password-1")
    create_account(store, "gs", "研究生院", "gradschool", "password-1")
    for s in catalogue.stages:
        if s.scope == "college":
            create_account(store, f"c_{s.stage_id}", s.name, "college", "password-1",
                           college=HOME, stages=[s.stage_id])
        else:
            create_account(store, f"o_{s.stage_id}", s.name, "office", "password-1",
                           stages=[s.stage_id])
    return store


def _expected(username: str, stage_id: str, scope: str, college: str) -> bool:
    """The rule, written out independently of Actor.may_mark."""
    if username == "root":
        return True
    if username == "gs":
        return False
    if username.startswith("c_"):
        return username == f"c_{stage_id}" and college == HOME
    return username == f"o_{stage_id}" and scope == "school"


def test_every_role_stage_and_college(matrix_store):
    catalogue = get_catalogue(matrix_store)
    usernames = [r[0] for r in matrix_store.read_rows("SELECT username FROM staff ORDER BY 1")]
    assert len(usernames) == 2 + len(catalogue.stages)
    checked = 0
    for username in usernames:
        actor = get_actor(matrix_store, username)
        for stage in catalogue.stages:
            for college, no in STUDENT.items():
                # 不通过 with a reason needs no prerequisite, so only permission decides.
                events = matrix_store.read_value("SELECT count(*) FROM events")
                mark = Mark(no, stage.stage_id, "reject", reason=f"{username} 测试")
                try:
                    apply_marks(matrix_store, actor, [mark])
                    allowed = True
                except MarkError as exc:
                    assert "无权办理" in exc.errors[0], exc.errors
                    assert matrix_store.read_value("SELECT count(*) FROM events") == events
                    allowed = False
                assert allowed == _expected(username, stage.stage_id, stage.scope, college), \
                    (username, stage.stage_id, college)
                checked += 1
    assert checked == len(usernames) * len(catalogue.stages) * 2


def test_a_refused_mark_in_a_batch_refuses_the_whole_batch(matrix_store):
    lib = get_actor(matrix_store, "o_library")
    with pytest.raises(MarkError) as exc:
        apply_marks(matrix_store, lib, [Mark(STUDENT[HOME], "library", "pass"),
                                        Mark(STUDENT[HOME], "dorm", "pass")], source="bulk")
    assert "学生公寓管理中心" in exc.value.errors[0]
    assert matrix_store.read_value("SELECT count(*) FROM events WHERE stage_id='library'"
                                   " AND actor='o_library'") == 0


def test_a_disabled_account_is_no_actor(matrix_store):
    from clearance.store.accounts import set_active

    set_active(matrix_store, "o_library", False, by="root")
    assert get_actor(matrix_store, "o_library") is None
