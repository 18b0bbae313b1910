"""Issue 10's "done when": every path that marks obeys the catalogue, through the domain.

One forbidden mark of each kind is driven through each marking path that can make it — the
办理 page (AppTest, and the write function it calls), 回车即通过, 待办名单 (bulk), 按名单 (a
pasted list), 刷卡办理 (the card page's write call), and the feeds — and each must be refused
with the same Chinese reason, writing nothing. A path that cannot express a mark at all (no
feed marks 导师; the card desk only passes) is not listed for it; the desk agent's HTTP API
records scans and never marks, which the last test checks.
"""

from __future__ import annotations

import re

import dataclasses

import pytest

from clearance.store.accounts import get_actor
from clearance.store.db import get_catalogue
from clearance.store.feeds import load_feeds, run_feed
from clearance.store.marks import MarkError, mark
from loaders.student_numbers import numbers_from_text
from tests.conftest import add_students, evidence, roster_frame
from tests.screens.apptest_helpers import lookup, page_test, texts

ORDINARY, MEMBER, REJECTED, ELSEWHERE = "2099000001", "2099000002", "2099000003", "2099000004"


@dataclasses.dataclass(frozen=True)
class Forbidden:
    student_no: str
    stage_id: str
    action: str
    username: str
    evidence: dict | None
    reason: str  # the domain's words, the same on every path


def _evidence_with(stage_id: str, **fields) -> dict:
    ev = evidence(stage_id)
    return {"checked": ev["checked"], "fields": {**ev["fields"], **fields}}


FORBIDDEN = {
    "余额未结算": Forbidden(ORDINARY, "card_center", "pass", "card_staff",
                       _evidence_with("card_center", settled_amount="0"),
                       "卡内余额 41.58 元尚未结算，“一卡通管理中心”不能通过"),
    "党员无需办理": Forbidden(MEMBER, "party", "not_needed", "cs_party", None,
                        "中共党员须转出党组织关系，“学院党委/党总支”不能标记为无需办理"),
    "导师无需办理": Forbidden(ORDINARY, "advisor", "not_needed", "cs_secretary", None,
                        "“导师”不能无需办理（环节配置不允许）"),
    "批量推翻不通过": Forbidden(REJECTED, "library", "pass", "lib_staff", evidence("library"),
                         "“图书馆”此前为 × 不通过（图书未还 2 册），须逐人确认后才能通过"),
    "外学院学生": Forbidden(ELSEWHERE, "party", "pass", "cs_party", evidence("party"),
                       "无权办理机械工程学院学生的“学院党委/党总支”环节"),
    "缺核对材料": Forbidden(ORDINARY, "library", "pass", "lib_staff", {"checked": [], "fields": {}},
                       "“图书馆”通过须核对：所借图书已全部归还"),
}


@pytest.fixture
def world(desk_store):
    """The demo store plus four students set up for the forbidden marks."""
    add_students(desk_store, roster_frame(1, 学号=ORDINARY))
    add_students(desk_store, roster_frame(1, 学号=MEMBER, 政治面貌="中共党员"))
    add_students(desk_store, roster_frame(1, 学号=REJECTED))
    add_students(desk_store, roster_frame(1, college="机械工程学院", 学号=ELSEWHERE))
    with desk_store.transaction() as cur:  # the card centre's export: 41.58 元 still on the card
        cur.execute("INSERT INTO card_bindings VALUES ('A1B2C3D4', $no, '1001', 41.58, 'A1B2C3D4',"
                    " 'import', 'test', now()::TIMESTAMP, NULL)", {"no": ORDINARY})
    mark(desk_store, get_actor(desk_store, "lib_staff"), REJECTED, "library", "reject",
         reason="图书未还 2 册")
    return desk_store


def _events(store) -> int:
    return store.read_value("SELECT count(*) FROM events")


# -- the paths: each returns the messages the person would see --------------------------------

def _desk_call(source):
    def drive(store, f: Forbidden) -> list[str]:
        from ui.marking_pages import mark_at_desk

        stage = get_catalogue(store).stage(f.stage_id)
        ok, _kind, lines = mark_at_desk(get_actor(store, f.username), f.student_no, stage, f.action,
                                        None, f.student_no, "ip:test", f.evidence, source)
        assert not ok
        return lines
    return drive


def _bulk(nos_of):
    def drive(store, f: Forbidden) -> list[str]:
        from ui.marking_pages import apply_bulk, bulk_marks, preview_bulk

        actor, stage = get_actor(store, f.username), get_catalogue(store).stage(f.stage_id)
        marks = bulk_marks(stage, f.action, nos_of(f.student_no), set(), f.evidence)
        plan = preview_bulk(actor, marks)
        assert not plan.changes  # the preview does not offer it
        ok, _kind, lines = apply_bulk(actor, stage, f.action, marks)
        assert not ok
        return lines
    return drive


def _marking_page(store, f: Forbidden) -> list[str]:
    """The 办理 page itself (AppTest): find the student, fill the evidence, press the button."""
    at = page_test("marking.py", f.username)
    at.session_state["desk_stage"] = f.stage_id
    at.run()
    lookup(at, f.student_no)
    key = f"evidence_{f.stage_id}"
    if f.evidence:
        for text in f.evidence["checked"]:
            box = [c for c in at.checkbox if c.key == f"{key}_item_{text}"]
            if box:
                box[0].check()
        for field_id, value in f.evidence["fields"].items():
            found = [w for w in list(at.text_input) + list(at.radio) if w.key == f"{key}_{field_id}"]
            if found:
                found[0].set_value(value)
    button = at.button(key=f"act_{f.action}")
    if button.proto.disabled:  # the page shows the domain's own words on the button it disables
        return [button.help]
    button.click().run()
    assert not at.exception
    return [texts(at)]


def _party_feed(store, f: Forbidden) -> list[str]:
    """The party branch's feed says 否 (not a member) for a student the roster has as 中共党员."""
    feed = load_feeds().feed("party")
    with pytest.raises(MarkError) as exc:
        run_feed(store, feed, [{"student_no": f.student_no, "is_member": False}], "party.csv",
                 "hash-party", "admin", "upload")
    return exc.value.errors


PATHS = {
    "办理": _desk_call("page"),
    "办理页面": _marking_page,
    "回车即通过": _desk_call("instant"),
    "待办名单": _bulk(lambda no: [no]),
    "按名单": _bulk(lambda no: numbers_from_text(f"{no}\n")[0]),
    "刷卡办理": _desk_call("card"),
    "系统对接": _party_feed,
}
# Which forbidden marks each path can express at all.
APPLIES = {
    "办理": ["余额未结算", "党员无需办理", "导师无需办理", "外学院学生", "缺核对材料"],
    "办理页面": ["党员无需办理", "导师无需办理", "缺核对材料", "余额未结算"],
    "回车即通过": ["余额未结算", "批量推翻不通过", "外学院学生", "缺核对材料"],
    "待办名单": ["余额未结算", "党员无需办理", "导师无需办理", "批量推翻不通过", "外学院学生", "缺核对材料"],
    "按名单": ["余额未结算", "批量推翻不通过", "外学院学生", "缺核对材料"],
    "刷卡办理": ["余额未结算", "缺核对材料"],
    "系统对接": ["党员无需办理"],
}
CASES = [(path, kind) for path, kinds in APPLIES.items() for kind in kinds]


@pytest.mark.parametrize("path,kind", CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_every_path_refuses_the_same_forbidden_mark_with_the_same_reason(world, path, kind):
    f = FORBIDDEN[kind]
    before = _events(world)
    # A page shows the domain's sentence as text: markdown escapes (ui.text.plain) are undone.
    messages = [re.sub(r"\\(.)", r"\1", m) for m in PATHS[path](world, f)]
    assert any(f.reason in m for m in messages), (f.reason, messages)
    assert _events(world) == before  # nothing written


def test_the_forbidden_marks_become_allowed_when_the_rule_is_met(world):
    """The refusals above are the rule, not a broken path: meet each rule and the mark goes in."""
    from ui.marking_pages import apply_bulk, bulk_marks

    card, lib = get_actor(world, "card_staff"), get_actor(world, "lib_staff")
    catalogue = get_catalogue(world)
    mark(world, card, ORDINARY, "card_center", "pass",
         evidence=_evidence_with("card_center", settled_amount="41.58"))
    library = catalogue.stage("library")
    ok, _kind, lines = apply_bulk(lib, library, "pass",
                                  bulk_marks(library, "pass", [REJECTED], {REJECTED}, evidence("library")))
    assert ok, lines
    stored = world.read_value("SELECT evidence FROM events WHERE student_no = $n AND stage_id = 'card_center'",
                              {"n": ORDINARY})
    assert '"settled_amount": "41.58"' in stored


def test_the_desk_agents_api_records_scans_and_never_marks(world):
    """The desk API (HTTP) has no route that marks: its routes are ping, scans and lookup, and a
    scan of the unsettled card (the scans route's domain call) writes no event."""
    from clearance.store.desk_tokens import issue_desk, record_scan
    from webapi.agent_api import routes

    assert {(r.path, tuple(sorted(r.methods - {"HEAD"}))) for r in routes} == {
        ("/api/desk/ping", ("GET",)), ("/api/desk/scans", ("POST",)), ("/api/desk/lookup", ("GET",))}
    desk, _token = issue_desk(world, get_actor(world, "admin"), "一卡通 1号台", "card_center")
    before = _events(world)
    record_scan(world, desk, "A1B2C3D4", "reader")
    assert _events(world) == before
