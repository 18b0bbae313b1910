"""Reminders: one SMS each, naming the next stop; a record of who reminded whom, when."""

import re
from datetime import date

import pytest

from clearance.store.accounts import get_actor
from clearance.rules.reminders import SMS_CHARS, reminder_text
from clearance.store.db import get_catalogue
from clearance.store.reminders import ReminderError, record_reminders

DEADLINE = date(2018, 7, 2)


def test_a_reminder_fits_one_sms_even_with_a_long_name_and_many_stages(store):
    cat = get_catalogue(store)
    for name in ("张三", "欧阳娜娜", "阿卜杜热合曼·买买提艾力", "某" * 40):
        for campus in cat.campuses:
            text = reminder_text(cat, name, campus, cat.stage_ids, DEADLINE)
            assert len(text) <= SMS_CHARS, text
            assert "导师" in text  # the advisor comes first: have the form signed
    library_only = reminder_text(cat, "李四", "B区", ["library", "card_center", "gso_office"], DEADLINE)
    assert "图书馆" in library_only and "建筑图书馆服务前台" in library_only  # the student's campus
    assert "一卡通" not in library_only  # one stop, the next one: the card centre comes after
    assert "7月2日前" in library_only and "3项" in library_only


def test_reminders_are_recorded_with_who_when_and_which_students(demo_store):
    secretary = get_actor(demo_store, "cs_secretary")
    nos = [r[0] for r in demo_store.read_rows(
        "SELECT student_no FROM students WHERE college = '计算机学院' ORDER BY 1 LIMIT 3")]
    sent = record_reminders(demo_store, secretary, "2018-06", {n: "【离校通】请尽快办理。" for n in nos})
    rows = demo_store.read_rows("SELECT student_no, sent_by, send_id, channel FROM reminders ORDER BY 1")
    assert [r[0] for r in rows] == nos
    assert {(r[1], r[2], r[3]) for r in rows} == {("cs_secretary", sent.send_id, "sms")}


@pytest.mark.parametrize("who, messages, problem", [
    ("cs_secretary", {"civil": "【离校通】请尽快办理。"}, "只能催办本学院"),
    ("lib_staff", {"cs": "【离校通】请尽快办理。"}, "无权"),
    ("cs_secretary", {"cs": "长" * (SMS_CHARS + 1)}, "一条短信"),
    ("cs_secretary", {"2099999999": "【离校通】请尽快办理。"}, "不在本批次"),
])
def test_a_reminder_record_that_is_not_allowed_is_refused_and_writes_nothing(demo_store, who, messages,
                                                                              problem):
    pick = {code: demo_store.read_value(
        "SELECT min(student_no) FROM students WHERE college = $c", {"c": college})
        for code, college in (("cs", "计算机学院"), ("civil", "土木工程学院"))}
    messages = {pick.get(k, k): v for k, v in messages.items()}
    with pytest.raises(ReminderError, match=problem):
        record_reminders(demo_store, get_actor(demo_store, who), "2018-06", messages)
    assert demo_store.read_value("SELECT count(*) FROM reminders") == 0


def test_a_reminder_says_when_certificates_are_handed_out_if_it_fits(store):
    cat = get_catalogue(store)
    short = reminder_text(cat, "李四", "B区", ["gso_office"], DEADLINE, handout_from="6月29日下午")
    assert short.endswith("请于7月2日前办完。证书6月29日下午起发放。") and len(short) <= SMS_CHARS
    # The hand-out date costs at most the office's phone (the student page lists it), never the
    # count, the room or the stop; a long text drops it.
    def without_phone(text):
        return re.sub(r"（[\d-]+）", "", text)

    dropped = 0
    for name in ("张三", "欧阳娜娜", "阿卜杜热合曼·买买提艾力", "某" * 40):
        for campus in cat.campuses:
            for open_ids in (cat.stage_ids, ["library", "card_center", "gso_office"], ["gso_office"]):
                plain = reminder_text(cat, name, campus, open_ids, DEADLINE)
                text = reminder_text(cat, name, campus, open_ids, DEADLINE, handout_from="6月29日下午")
                assert len(text) <= SMS_CHARS, text
                assert text == plain or (text.endswith("证书6月29日下午起发放。") and without_phone(
                    text.removesuffix("证书6月29日下午起发放。")) == without_phone(plain)), (plain, text)
                dropped += text == plain
    assert 0 < dropped  # the long names do not fit it
    assert reminder_text(cat, "李四", "B区", ["gso_office"], DEADLINE) == short.replace(
        "证书6月29日下午起发放。", "")
