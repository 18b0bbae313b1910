"""The student's own view: the lookup rule, ✓/× per stage, next stops in the order the rules
allow, rooms on the student's campus, and the batch dates. Pure functions over the real
catalogue (config/stages.toml)."""

from datetime import date

import pytest

from clearance.rules.catalogue import CatalogueError, parse_catalogue

from clearance.store.config import load_catalogue
from clearance.rules.student_view import (build_view, identity_matches, key_dates, load_student_page_config,
                                    next_stops, normalise_student_no, stage_rows,
                                    stop_order)

CAT = load_catalogue()
ALL = CAT.stage_ids
BATCH = {"batch_id": "2018-06", "title": "2018年6月", "period_start": date(2018, 6, 25),
         "period_end": date(2018, 7, 2), "diploma_start": date(2018, 6, 29),
         "diploma_end": date(2018, 7, 2), "card_deactivation": date(2018, 7, 10)}


def states(done=(), rejected=None, not_needed=()):
    out = {s: ("open", None) for s in ALL}
    out.update({s: ("passed", None) for s in done})
    out.update({s: ("not_needed", None) for s in not_needed})
    out.update({s: ("rejected", r) for s, r in (rejected or {}).items()})
    return out


def stops_for(st, campus="A区", kind="毕业"):
    return next_stops(CAT, st, campus, kind, BATCH)


def test_everything_open_goes_advisor_then_secretary_then_parallel_then_card_then_last():
    order = [s.stage_id for s in stops_for(states())]
    assert order == ["advisor", "secretary", "student_work", "party", "finance", "loan",
                     "library", "dorm", "hospital", "thesis_center", "card_center", "gso_office"]


def test_secretary_waits_for_the_advisors_form():
    stops = {s.stage_id: s for s in stops_for(states())}
    assert stops["secretary"].waiting_for == ("导师",)
    assert not stops["secretary"].can_go_now
    assert stops["advisor"].can_go_now
    after_advisor = {s.stage_id: s for s in stops_for(states(done=["advisor"]))}
    assert after_advisor["secretary"].can_go_now
    assert "advisor" not in after_advisor


def test_card_centre_is_advised_after_the_other_parallel_stages_but_not_blocked():
    stops = {s.stage_id: s for s in stops_for(states(done=["advisor", "secretary"]))}
    card = stops["card_center"]
    assert card.can_go_now  # advice only: the rules never refuse it
    assert "图书馆" in card.better_after and "导师" not in card.better_after
    parallel_done = ["advisor", "secretary", "student_work", "party", "finance", "loan",
                     "library", "dorm", "hospital", "thesis_center"]
    late = stops_for(states(done=parallel_done))
    assert [s.stage_id for s in late] == ["card_center", "gso_office"]
    assert late[0].better_after == ()


def test_card_centre_still_comes_before_the_last_office_when_parallel_stages_are_open():
    order = [s.stage_id for s in stops_for(states(done=["advisor", "secretary", "card_center"]))]
    assert order[-1] == "gso_office"
    order = [s.stage_id for s in stops_for(states(done=["advisor", "secretary"]))]
    assert order.index("card_center") == len(order) - 2


def test_last_office_only_when_everything_else_is_done():
    almost = [s for s in ALL if s != "gso_office"]
    stops = stops_for(states(done=almost[:-1]))
    last = stops[-1]
    assert last.stage_id == "gso_office" and last.final
    assert last.waiting_for == ("一卡通管理中心",)
    ready = stops_for(states(done=almost))
    assert [s.stage_id for s in ready] == ["gso_office"] and ready[0].can_go_now


def test_not_needed_counts_as_done_and_a_rejection_blocks_like_open():
    st = states(done=["student_work"], not_needed=["loan", "party"],
                rejected={"advisor": "导师未签字"})
    rows = {r.stage_id: r for r in stage_rows(CAT, st)}
    assert (rows["loan"].mark, rows["loan"].label) == ("✓", "无需办理")
    assert (rows["student_work"].mark, rows["student_work"].label) == ("✓", "已办理")
    assert (rows["advisor"].mark, rows["advisor"].label, rows["advisor"].reason) == \
        ("×", "不通过", "导师未签字")
    assert (rows["library"].mark, rows["library"].label) == ("×", "未办理")
    stops = {s.stage_id: s for s in stops_for(st)}
    assert stops["advisor"].state == "rejected" and stops["advisor"].reason == "导师未签字"
    assert stops["secretary"].waiting_for == ("导师",)
    assert {"loan", "party", "student_work"}.isdisjoint(stops)


@pytest.mark.parametrize("campus, library, office", [
    ("A区", "理工图书馆服务前台", "A区研究生院305室"),
    ("B区", "建筑图书馆服务前台", "A区研究生院305室"),  # no graduate-school office on B区
    ("C区", "理工图书馆服务前台", "A区研究生院305室"),  # C区 students go to A区
    ("虎溪", "虎溪图书馆一楼服务前台", "虎溪综合楼DZ106室9号、10号窗口"),
])
def test_rooms_are_on_the_students_own_campus(campus, library, office):
    stops = {s.stage_id: s for s in stops_for(states(), campus=campus)}
    assert stops["library"].room == library
    assert stops["gso_office"].room == office


def test_hours_come_from_the_office_or_the_concentrated_period():
    huxi = {s.stage_id: s for s in stops_for(states(), campus="虎溪")}
    assert huxi["thesis_center"].when == "6月25日至6月29日"
    assert huxi["thesis_center"].phone == "65678189"
    assert huxi["dorm"].when == "集中办理期 6月25日—7月2日，工作时间"


def test_checklist_follows_the_clearance_type():
    graduate = {s.stage_id: s for s in stops_for(states(), kind="毕业")}
    completing = {s.stage_id: s for s in stops_for(states(), kind="结业")}
    assert "学位论文电子版已提交" in graduate["library"].items
    assert "学位论文电子版已提交" not in completing["library"].items
    assert "所借图书已全部归还" in completing["library"].items


def test_key_dates_say_what_each_date_means():
    text = {d.label: d.text for d in key_dates(BATCH)}
    assert text["集中办理时间"].startswith("2018年6月25日至2018年7月2日")
    assert "2018年6月29日至7月2日" in text["毕业证、学位证发放"]
    half = {d.label: d.text for d in key_dates(BATCH | {"diploma_start_part": "下午"})}
    assert half["毕业证、学位证发放"].startswith("2018年6月29日下午至7月2日")  # as the handbook says
    assert "所有环节均为 ✓ 后" in text["毕业证、学位证发放"]
    assert text["校园卡停用"].startswith("2018年7月10日") and "余额" in text["校园卡停用"]
    assert key_dates(None) == []


def test_build_view_puts_it_together():
    profile = {"student_no": "2015046560", "name": "雷静倩", "college": "计算机学院",
               "level": "硕士", "clearance_type": "毕业", "campus": "虎溪", "batch_title": "x"}
    view = build_view(CAT, profile, states(done=ALL), BATCH)
    assert view.all_done and view.stops == () and view.done_count == 12
    view = build_view(CAT, profile, states(done=["advisor"]), BATCH)
    assert not view.all_done and view.done_count == 1 and len(view.stops) == 11
    assert [r.name for r in view.stages][:2] == ["导师", "学院研究生教务秘书"]


@pytest.mark.parametrize("campus, said", [("A区", "A区"), ("B区", "B区"), ("C区", "C区"),
                                          ("虎溪", "虎溪校区")])
def test_each_campus_is_said_once(campus, said):
    """Not "B区校区": a campus whose name already says 区 gets no second 校区."""
    profile = {"student_no": "2015046560", "name": "雷静倩", "college": "计算机学院",
               "level": "硕士", "clearance_type": "毕业", "campus": campus, "batch_title": "x"}
    view = build_view(CAT, profile, states(), BATCH)
    assert view.profile_line == f"计算机学院　硕士　毕业　{said}"
    assert view.stops_caption == f"按可办理的顺序排列，地点为{said}学生的办理地点。"


def test_a_cycle_in_the_configuration_falls_back_to_the_handbook_order():
    text = """
[campuses]
names = ["A区"]
[[stages]]
id = "a"
seq = 1
name = "甲"
scope = "school"
advice_after = ["b"]
[[stages]]
id = "b"
seq = 2
name = "乙"
scope = "school"
advice_after = ["a"]
"""
    cat = parse_catalogue(text)
    assert stop_order(cat, {"a", "b"}) == ["a", "b"]


@pytest.mark.parametrize("roster, given, ok", [
    ("张三", "张三", True),
    ("张三", " 张 三 ", True),
    ("买买提·艾力", "买买提・艾力", True),
    ("John Smith", "john  smith", True),
    ("张三", "张四", False),
    ("张三", "", False),
    (None, "张三", False),  # unknown 学号: same answer as a wrong name
    (None, "", False),
])
def test_identity_needs_both_the_number_and_the_name(roster, given, ok):
    assert identity_matches(roster, given) is ok


def test_student_numbers_are_normalised_like_the_roster():
    assert normalise_student_no("２０１５ ０４６５６０ ") == "2015046560"
