"""UID formats, card bindings, desk tokens: the rules without a reader."""

import pytest

from clearance.rules.actors import SYSTEM, Actor
from clearance.store.cards import (CardError, UidFormat, bind_card, normalise_hex, resolve_entry,
                             student_for_uid)
from clearance.store.desk_tokens import (Desk, DeskError, authenticate, home_desk, issue_desk,
                                        record_scan, revoke_desk)
from tests.conftest import add_students, roster_frame

ADMIN = Actor("admin", "admin", "管理员")
CARD_STAFF = Actor("card_staff", "office", "孙老师", stages=frozenset({"card_center"}))


@pytest.mark.parametrize("fmt, written, reader_uid", [
    (UidFormat("hex", "reader"), "8f:b2:7f:2c", "8FB27F2C"),
    (UidFormat("hex", "reversed"), "2C7FB28F", "8FB27F2C"),
    (UidFormat("decimal", "reversed"), "746566287", "8FB27F2C"),
    (UidFormat("decimal", "reader"), "2410839852", "8FB27F2C"),
    (UidFormat("hex", "reversed"), "F6E5D4C3B2A104", "04A1B2C3D4E5F6"),
    (UidFormat("decimal", "reader"), str(int("04A1B2C3D4E5F6", 16)), "04A1B2C3D4E5F6"),
])
def test_uid_formats_round_trip(fmt, written, reader_uid):
    assert fmt.to_reader_uid(written) == reader_uid
    assert fmt.from_reader_uid(reader_uid) == (written.replace(":", "").upper()
                                               if fmt.uid_format == "hex" else written)


@pytest.mark.parametrize("bad", ["", "XYZ", "8FB27F", "8FB27F2C0", "123456789012345678901234567890"])
def test_bad_uids_are_refused_in_chinese(bad):
    with pytest.raises(CardError, match="卡 UID|卡号|范围"):
        UidFormat("decimal" if bad.isdigit() else "hex").to_reader_uid(bad)


def test_bad_config_values_are_refused():
    with pytest.raises(CardError, match="byte_order"):
        UidFormat("hex", "little")


def test_only_admins_bind_unknown_cards_and_never_twice(store):
    add_students(store, roster_frame(2))
    with pytest.raises(CardError, match="无权"):
        bind_card(store, CARD_STAFF, "8FB27F2C", "20180000001")
    with pytest.raises(CardError, match="查无此学生"):
        bind_card(store, ADMIN, "8FB27F2C", "99999999")
    bind_card(store, ADMIN, "8fb27f2c", "20180000001")
    assert student_for_uid(store, "8FB27F2C") == "20180000001"
    with pytest.raises(CardError, match="已绑定学号 20180000001"):
        bind_card(store, ADMIN, "8FB27F2C", "20180000002")


def test_typed_entry_finds_by_student_no_card_no_or_wedge_uid(store):
    add_students(store, roster_frame(2))
    bind_card(store, ADMIN, "8FB27F2C", "20180000002")
    wedge = UidFormat("decimal", "reversed")
    assert resolve_entry(store, " 20180000001 ", wedge).student_no == "20180000001"
    found = resolve_entry(store, "746566287", wedge)
    assert (found.student_no, found.uid, found.how) == ("20180000002", "8FB27F2C", "卡UID")
    assert resolve_entry(store, "8FB27F2C", wedge).student_no == "20180000002"
    assert resolve_entry(store, "nobody", wedge).student_no is None


def test_desk_tokens_are_hashed_shown_once_and_revocable(store):
    add_students(store, roster_frame(1))
    bind_card(store, ADMIN, "8FB27F2C", "20180000001")
    with pytest.raises(DeskError, match="无权"):
        issue_desk(store, CARD_STAFF, "1号窗口", "card_center")
    desk, token = issue_desk(store, ADMIN, "1号窗口", "card_center")
    assert token.startswith("ldt_") and len(token) > 40
    assert store.read_value("SELECT count(*) FROM desks WHERE token_hash = $t", {"t": token}) == 0
    assert authenticate(store, token) == desk
    assert authenticate(store, token + "x") is None
    assert record_scan(store, desk, "8fb27f2c", "reader")[1] == "20180000001"
    assert record_scan(store, desk, "DEADBEEF")[1] is None
    revoke_desk(store, ADMIN, desk.desk_id)
    assert authenticate(store, token) is None


def test_a_desk_has_a_known_campus(store):
    with pytest.raises(DeskError, match="未知的校区“D区”"):
        issue_desk(store, ADMIN, "一卡通 D区", "card_center", "D区")
    desk, token = issue_desk(store, ADMIN, "一卡通 虎溪 1号窗口", "card_center", "虎溪")
    assert desk.campus == "虎溪" and authenticate(store, token) == desk


A1 = Desk("a1", "一卡通 A区 1号窗口", "card_center", "A区")
HUXI = Desk("hx", "一卡通 虎溪 1号窗口", "card_center", "虎溪")
LIB_A = Desk("la", "图书馆 A区", "library", "A区")
OLD = Desk("old", "一卡通 老工作台", "card_center", None)


@pytest.mark.parametrize("campus, desks, opens", [
    ("虎溪", [A1, HUXI, LIB_A], HUXI),        # the own campus's desk, not the first by name
    ("A区", [A1, HUXI, LIB_A], A1),           # not the library's desk: not a stage held
    ("B区", [A1, HUXI], None),                # no desk on B区: none of another campus
    ("B区", [A1, HUXI, OLD], OLD),            # …but a desk of no campus is anyone's
    ("A区", [A1, Desk("a2", "一卡通 A区 2号窗口", "card_center", "A区")], None),  # two: staff pick
    (None, [HUXI], HUXI),                     # no campus set: the only desk, as before
    (None, [A1, HUXI], None),
])
def test_the_card_desk_opens_on_the_staff_members_own_campus_and_stage(campus, desks, opens):
    staff = Actor("card_staff", "office", "孙老师", stages=frozenset({"card_center"}), campus=campus)
    assert home_desk(staff, desks) == opens


def test_typed_numbers_that_match_nothing_are_not_taken_for_cards(store):
    """"9999" or a mistyped 学号 used to become an unregistered card with a UID nobody typed."""
    add_students(store, roster_frame(2))
    wedge = UidFormat("decimal", "reversed", length=11)
    for typed in ("9999", "20180000099", "DEADBEEF", "nobody"):
        found = resolve_entry(store, typed, wedge)
        assert (found.student_no, found.uid, found.how) == (None, None, "未知"), typed
    # An 11-digit value unlike any 学号 is what the wedge types for an unregistered card.
    found = resolve_entry(store, "00746566287", wedge)
    assert (found.student_no, found.uid, found.how) == (None, "8FB27F2C", "卡UID")
    # Without a fixed length, a decimal wedge UID still needs the digits a UID takes.
    loose = UidFormat("decimal", "reversed")
    assert resolve_entry(store, "9999", loose).uid is None
    assert resolve_entry(store, "746566287", loose).uid == "8FB27F2C"
    assert resolve_entry(store, "8FB27F2C", UidFormat("hex")).uid == "8FB27F2C"


@pytest.mark.parametrize("fmt, text, shaped", [
    (UidFormat("decimal", length=10), "0746566287", True),
    (UidFormat("decimal", length=10), "746566287", False),
    (UidFormat("decimal"), "9999", False),
    (UidFormat("decimal"), "8FB27F2C", False),
    (UidFormat("hex"), "8fb27f2c", True),
    (UidFormat("hex"), "12345", False),
])
def test_wedge_uid_shape(fmt, text, shaped):
    assert fmt.has_uid_shape(text) is shaped


def test_zero_padded_wedge_round_trips():
    fmt = UidFormat("decimal", "reversed", length=10)
    assert fmt.from_reader_uid("8FB27F2C") == "0746566287"
    assert fmt.to_reader_uid("0746566287") == "8FB27F2C"


def test_shipped_wedge_config_on_the_demo_store(demo_store):
    from clearance.store.cards import load_card_config
    from loaders.cards import demo_uid

    wedge = load_card_config().wedge
    no = demo_store.read_rows("SELECT min(student_no) FROM students")[0][0]
    mistyped = str(int(no) + 1)
    while demo_store.read_rows("SELECT 1 FROM students WHERE student_no = $n", {"n": mistyped}):
        mistyped = str(int(mistyped) + 1)
    for typed in ("9999", mistyped):
        assert resolve_entry(demo_store, typed, wedge).uid is None, typed
    tapped = wedge.from_reader_uid(demo_uid(no))
    assert len(tapped) == 10 and resolve_entry(demo_store, tapped, wedge).student_no == no
    unknown = resolve_entry(demo_store, wedge.from_reader_uid("DEADBEEF"), wedge)
    assert (unknown.student_no, unknown.uid) == (None, "DEADBEEF")
