"""刷卡办理 opens on the staff member's own campus's desk for their stage when the window's
address names none (issue 13); a bookmarked ?desk= still wins. The server's reader status is
set to "no reader" so a virtual reader of another test on this machine does not take over."""

import pytest

from clearance.rules.actors import SYSTEM
from clearance.store.accounts import create_account
from clearance.store.desk_tokens import issue_desk
from cardreader.reader import PCSCD_DOWN
from tests.screens.apptest_helpers import page_test


@pytest.fixture
def desks(desk_store):
    """Card desks on A区 and 虎溪 (issued in the order that puts 虎溪's first by name), a
    library desk on 虎溪, and a 虎溪 card-centre colleague of the demo's A区 card_staff."""
    made = {campus: issue_desk(desk_store, SYSTEM, name, "card_center", campus)[0]
            for campus, name in (("虎溪", "一卡通 1号窗口（虎溪）"), ("A区", "一卡通 2号窗口（A区）"))}
    made["library"] = issue_desk(desk_store, SYSTEM, "图书馆 虎溪", "library", "虎溪")[0]
    create_account(desk_store, "card_hx", "一卡通 虎溪 钱老师", "office", "x", stages=["card_center"],
                   campus="虎溪", password_hash="unused", must_change=False)
    return made


def _open(username: str, bookmark: str | None = None):
    at = page_test("card_desk.py", username)
    at.session_state["card_server_readers"] = ([], PCSCD_DOWN)
    if bookmark:
        at.query_params["desk"] = bookmark
    return at.run()


def _source(at):
    return next(s for s in at.selectbox if s.label == "读卡方式")


def test_each_staff_member_opens_on_their_own_campus_desk(desks):
    at = _open("card_staff")  # the demo's card centre, A区
    assert not at.exception
    assert _source(at).value == desks["A区"].desk_id
    assert [t.value for t in at.text_input if t.label == "本台办理环节"] == ["一卡通管理中心"]
    at = _open("card_hx")
    assert _source(at).value == desks["虎溪"].desk_id


def test_the_windows_bookmark_wins_over_the_campus(desks):
    at = _open("card_staff", bookmark=desks["虎溪"].desk_id)
    assert _source(at).value == desks["虎溪"].desk_id
    at = _open("card_staff", bookmark="not-a-desk")  # a stale bookmark: the own campus again
    assert _source(at).value == desks["A区"].desk_id


def test_without_a_desk_on_ones_campus_the_desk_starts_on_manual_entry(desk_store):
    issue_desk(desk_store, SYSTEM, "一卡通 虎溪 1号窗口", "card_center", "虎溪")
    at = _open("card_staff")  # A区: another campus's only desk is not opened
    assert _source(at).value == "manual"
