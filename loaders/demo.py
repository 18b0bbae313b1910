"""A living demo: a deterministic, realistic June-2018 graduate batch.

About 3,000 students over the university's colleges, campuses, 博士/硕士 and clearance types,
with progress spread over the concentrated period 2018-06-25 … 07-02 the way it happens:
finance and hospital pass students without arrears in advance, party branches pass
non-members in bulk, most students clear within the week, and a tail lags at the library or
the card centre. Every mark goes through the domain API, like any other mark.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import pandas as pd

from clearance.store.accounts import create_account, demo_password_hash
from clearance.store.config import load_colleges
from clearance.rules.actors import SYSTEM
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, apply_marks
from clearance.store.db import Store
from clearance.store.demo_store import flag_as_demo, is_empty
from clearance.store.students import ensure_status_rows, is_party_member, upsert_students

BATCH = "2018-06"
SEED = 20180625
ADVANCE_DAY = date(2018, 6, 20)     # feeds pass students with nothing owed before the period
PARTY_BULK_DAY = date(2018, 6, 22)  # party branches pass non-members in bulk
PERIOD = [date(2018, 6, 25) + timedelta(days=d) for d in range(8)]  # 06-25 … 07-02
# Students come early in the week; the weekend (06-30, 07-01) is quiet.
DAY_WEIGHTS = [20, 18, 15, 13, 12, 3, 2, 8]

# (code in config/colleges.toml, students, main campus): the demo's colleges are the known list's
DEMO_COLLEGES = [
    ("arch", 150, "B区"), ("civil", 260, "B区"), ("urban", 170, "B区"), ("mech", 240, "A区"),
    ("ee", 230, "A区"), ("cs", 220, "虎溪"), ("comm", 170, "A区"), ("opto", 130, "A区"),
    ("mat", 150, "A区"), ("chem", 110, "虎溪"), ("res", 100, "A区"), ("power", 110, "A区"),
    ("auto", 160, "A区"), ("econ", 240, "A区"), ("pub", 90, "虎溪"), ("law", 80, "C区"),
    ("fl", 60, "虎溪"), ("news", 50, "虎溪"), ("math", 70, "虎溪"), ("phy", 60, "A区"),
    ("bio", 60, "A区"), ("soft", 110, "虎溪"), ("art", 50, "虎溪"), ("aero", 40, "A区"),
]
# (college, code for demo staff accounts, students, main campus), names from the known list
COLLEGES = [(load_colleges().by_code(code).name, code, n, campus) for code, n, campus in DEMO_COLLEGES]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉健俊帆宇浩然子轩梓涵一诺欣怡博文思远"
         "晨阳雨婷佳琪嘉怡志强建国海燕晓东文静雪梅丹丹凯旭鑫露琳瑶颖倩蕾昊天睿泽")
POLITICAL = [("中共党员", 36), ("中共预备党员", 6), ("共青团员", 48), ("群众", 10)]
TYPES = [("毕业", 955), ("结业", 22), ("肄业", 8), ("退学", 15)]


NOT_EMPTY = "数据库已在使用（有学生、账号、导入或办理记录），演示数据只能写入空库"


class DemoRefused(RuntimeError):
    """The store is in use; the demo (with its public passwords) is not written."""


DEMO_PASSWORD = "demo1234"  # demo store only; listed in the README
# (username, display name, stage ids) of the school-wide offices' demo staff
OFFICE_STAFF = [
    ("finance_staff", "财务处 陈老师", ["finance"]),
    ("loan_staff", "贷款中心 刘老师", ["loan"]),
    ("lib_staff", "图书馆 谭老师", ["library"]),
    ("dorm_staff", "公寓中心 王老师", ["dorm"]),
    ("hospital_staff", "校医院 赵老师", ["hospital"]),
    ("thesis_staff", "研究生教育服务中心 周老师", ["thesis_center"]),
    ("card_staff", "一卡通中心 孙老师", ["card_center"]),
    ("gso_staff", "研工办 李老师", ["gso_office"]),
]
# (suffix, role in the college, stage ids) for each college's demo staff
COLLEGE_STAFF = [
    ("secretary", "研究生教务秘书", ["advisor", "secretary"]),
    ("work", "研究生工作组", ["student_work"]),
    ("party", "党委/党总支", ["party"]),
]


@dataclass
class DemoResult:
    students: int
    events: int


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _roster(rng: random.Random) -> pd.DataFrame:
    rows, seen = [], set()
    for n_college, (college, _code, count, campus) in enumerate(COLLEGES, start=1):
        advisors = [_name(rng) for _ in range(max(8, count // 6))]
        for _ in range(count):
            level = "博士" if rng.random() < 0.18 else "硕士"
            enrolled = 2013 if level == "博士" else rng.choice((2015, 2015, 2015, 2016))
            while True:
                no = f"{enrolled}{n_college:02d}{rng.randint(1, 9999):04d}"
                if no not in seen:
                    seen.add(no)
                    break
            rows.append({
                "student_no": no, "name": _name(rng), "college": college, "level": level,
                "clearance_type": _pick(rng, TYPES),
                "campus": campus if rng.random() < 0.8 else rng.choice(("A区", "B区", "C区", "虎溪")),
                "advisor": rng.choice(advisors),
                "phone": f"1{rng.choice((3, 5, 7, 8))}{rng.randint(0, 999999999):09d}",
                "political_status": _pick(rng, POLITICAL),
            })
    return pd.DataFrame(rows)


def _at(rng: random.Random, day: date) -> datetime:
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    return datetime.combine(day, time(minutes // 60, minutes % 60, rng.randint(0, 59)))


def _day(rng: random.Random, earliest: date | None = None) -> date:
    """A day of the period: the student's first visit, or a later visit soon after `earliest`
    (students clear most stages within a day or two of starting)."""
    if earliest is None:
        return rng.choices(PERIOD, DAY_WEIGHTS)[0]
    days = [d for d in PERIOD if d >= earliest] or [PERIOD[-1]]
    weights = [DAY_WEIGHTS[PERIOD.index(d)] * 0.45 ** k for k, d in enumerate(days)]
    return rng.choices(days, weights)[0]


def _student_marks(rng: random.Random, s: dict, code: str) -> list[Mark]:
    """One student's marks over the batch, in the order they happen."""
    marks: list[Mark] = []

    def add(stage, action, when, actor, source, reason=None):
        marks.append(Mark(s["student_no"], stage, action, reason=reason, at=when,
                          actor_name=actor, source=source))

    # Lagging tail: a few students never get to some stages.
    lag = rng.random()
    never = set()
    if lag < 0.16:
        never.add(rng.choices(["library", "card_center", "dorm", "thesis_center", "student_work",
                               "secretary"], [30, 30, 12, 10, 8, 10])[0])
        if rng.random() < 0.3:
            never.add(rng.choice(["card_center", "library", "dorm"]))
    start = _day(rng)

    # Finance: no arrears → passed in advance by the feed; arrears → rejected, most pay later.
    if rng.random() < 0.86:
        add("finance", "pass", _at(rng, ADVANCE_DAY), "feed:finance", "feed")
    else:
        owed = rng.choice((800, 1200, 1500, 3000, 4500, 8000))
        add("finance", "reject", _at(rng, ADVANCE_DAY), "feed:finance", "feed", f"欠学费 {owed} 元")
        if rng.random() < 0.8:
            add("finance", "pass", _at(rng, _day(rng, start)), "feed:finance", "feed")
    # Loan centre: no loan → 无需办理 in advance.
    if rng.random() < 0.8:
        add("loan", "not_needed", _at(rng, ADVANCE_DAY), "feed:loan", "feed")
    elif rng.random() < 0.9:
        add("loan", "pass", _at(rng, _day(rng, start)), "loan_staff", "page")
    # Hospital: no arrears → passed in advance.
    if rng.random() < 0.96:
        add("hospital", "pass", _at(rng, ADVANCE_DAY), "feed:hospital", "feed")
    elif rng.random() < 0.8:
        add("hospital", "pass", _at(rng, _day(rng, start)), "hospital_staff", "page")
    # Party branch: non-members in bulk before the period; members transfer in the week.
    if not is_party_member(s["political_status"]):
        add("party", "not_needed", _at(rng, PARTY_BULK_DAY), f"{code}_party", "bulk")
    elif rng.random() < 0.96:
        add("party", "pass", _at(rng, _day(rng, start)), f"{code}_party", "page")

    # The parallel stages of the week.
    # The secretary records the advisor's signed form, then passes their own stage.
    if "secretary" not in never or rng.random() < 0.5:
        advisor_at = _at(rng, _day(rng, start))
        add("advisor", "pass", advisor_at, f"{code}_secretary", "page")
        if "secretary" not in never:
            secretary_at = _at(rng, _day(rng, advisor_at.date()))
            add("secretary", "pass", max(secretary_at, advisor_at + timedelta(minutes=2)),
                f"{code}_secretary", "page")
    if "student_work" not in never:
        add("student_work", "pass", _at(rng, _day(rng, start)), f"{code}_work", "page")
    if "library" not in never:
        when = _day(rng, start)
        if rng.random() < 0.12:  # books still out when the library feed first looks
            add("library", "reject", _at(rng, start), "feed:library", "feed", "图书未还 2 册")
            when = _day(rng, start)
        add("library", "pass", _at(rng, when), "feed:library", "feed")
    elif rng.random() < 0.6:
        reasons = ["图书未还 1 册", "图书未还 3 册", "超期违约金 23.5 元未缴"]
        if s["clearance_type"] == "毕业":  # only graduates submit a thesis
            reasons.append("学位论文未提交")
        add("library", "reject", _at(rng, start), "feed:library", "feed", rng.choice(reasons))
    if "dorm" not in never:
        add("dorm", "pass", _at(rng, _day(rng, start)), "dorm_staff", "page")
    if "thesis_center" not in never:
        add("thesis_center", "pass", _at(rng, _day(rng, start)), "thesis_staff", "page")

    marks.sort(key=lambda m: m.at)
    # The card centre comes after the other stages, and the graduate-school office last.
    if "card_center" not in never:
        last = marks[-1].at
        add("card_center", "pass", max(_at(rng, _day(rng, last.date())), last + timedelta(minutes=5)),
            "feed:card", "feed")
    return marks


NEWSPAPERS = ("重庆日报", "重庆晚报", "重庆商报", "重庆晨报")
PARTY_DESTINATIONS = ("中共重庆市委教育工委", "中共四川省委组织部", "中共北京市海淀区委组织部",
                      "中共深圳市南山区委组织部", "中共成都市高新区工委", "中共杭州市西湖区委组织部")
SURNAMES = "王李张刘陈杨黄赵吴周"


def _evidence(rng: random.Random, stage, student: dict, at: datetime) -> dict:
    """What a desk records for a pass, as staff fill it in: every checklist item ticked, and
    typed fields with realistic values (an 授权人 now and then, a lost student card, …)."""
    fields: dict[str, str] = {}
    for f in stage.fields:
        if f.field_id == "signed_by":
            fields[f.field_id] = "导师授权人" if rng.random() < 0.08 else "导师"
            if fields[f.field_id] == "导师授权人":
                fields["authorised_name"] = rng.choice(SURNAMES) + rng.choice(("老师", "副教授", "教授"))
        elif f.field_id == "transfer_to" and is_party_member(student["political_status"]):
            fields[f.field_id] = rng.choice(PARTY_DESTINATIONS)
        elif f.field_id == "fine_paid":
            fields[f.field_id] = rng.choice(("0", "0", "0", "12.50", "23.50"))
        elif f.field_id == "settled_amount":
            fields[f.field_id] = rng.choice(("0", "0", "3.20", "17.85", "41.58"))
        elif f.field_id == "student_card":
            lost = rng.random() < 0.05
            fields[f.field_id] = "遗失声明" if lost else "收回"
            if lost:
                fields["newspaper"] = rng.choice(NEWSPAPERS)
                fields["published_on"] = (at.date() - timedelta(days=rng.randint(3, 20))).isoformat()
    return {"checked": [i.text for i in stage.items_for(student["clearance_type"])], "fields": fields}


def _with_evidence(marks: list[Mark], catalogue, student: dict, rng: random.Random) -> list[Mark]:
    """Every pass carries its evidence (a separate random stream, so the marks stay as they were)."""
    return [replace(m, evidence=_evidence(rng, catalogue.stage(m.stage_id), student, m.at))
            if m.action == "pass" else m for m in marks]


def _is_cleared(marks: list[Mark], stage_ids: list[str], not_needed: set[str]) -> bool:
    final = {}
    for m in marks:
        final[m.stage_id] = m.action
    return all(final.get(s) in ("pass", "not_needed") or s in not_needed for s in stage_ids)


def _batch_marks(rng: random.Random, roster: pd.DataFrame, catalogue) -> list[Mark]:
    """Every student's marks, the graduate-school office's last, in time order."""
    codes = {college: code for college, code, _n, _c in COLLEGES}
    others = [s for s in catalogue.stage_ids if s != "gso_office"]
    all_marks: list[Mark] = []
    evidence_rng = random.Random(SEED + 1)  # its own stream: the marks stay as they were
    for s in roster.to_dict("records"):
        marks = _student_marks(rng, s, codes[s["college"]])
        exempt = {st.stage_id for st in catalogue.stages if s["clearance_type"] in st.not_required_for}
        if _is_cleared(marks, others, exempt) and rng.random() < 0.9:
            last = max(m.at for m in marks)
            gso_day = _day(rng, last.date())
            marks.append(Mark(s["student_no"], "gso_office", "pass",
                              at=max(_at(rng, gso_day), last + timedelta(minutes=10)),
                              actor_name="gso_staff", source="page"))
        all_marks += _with_evidence(marks, catalogue, s, evidence_rng)
    all_marks.sort(key=lambda m: m.at)
    return all_marks


def create_demo_accounts(store: Store) -> int:
    """Demo staff for every role, all with DEMO_PASSWORD. Listed in the README."""
    accounts = [("admin", "系统管理员", "admin", None, []), ("gs", "研究生院 张老师", "gradschool", None, [])]
    accounts += [(u, n, "office", None, st) for u, n, st in OFFICE_STAFF]
    accounts += [(f"{code}_{suffix}", f"{college}{title}", "college", college, st)
                 for college, code, _n, _c in COLLEGES for suffix, title, st in COLLEGE_STAFF]
    shared_hash = demo_password_hash(DEMO_PASSWORD)
    for username, name, role, college, stages in accounts:
        # The offices' demo staff work at the A区 offices (刷卡办理 opens on an A区 desk).
        create_account(store, username, name, role, DEMO_PASSWORD, college=college, stages=stages,
                       by="demo", password_hash=shared_hash, must_change=False,
                       campus="A区" if role == "office" else None)
    return len(accounts)


# A small earlier batch (December 2017), closed, so the overview's comparison with the last
# batch shows something. Its students' marks are the June pattern moved back by EARLIER_SHIFT.
EARLIER_BATCH = {
    "batch_id": "2017-12", "title": "2017年12月毕（结、肄）业研究生离校",
    "period_start": date(2017, 12, 25), "period_end": date(2018, 1, 1),
    "diploma_start": date(2017, 12, 28), "diploma_end": date(2018, 1, 1),
    "card_deactivation": date(2018, 1, 10),
}
EARLIER_SHIFT = date(2017, 12, 25) - PERIOD[0]
EARLIER_SHARE = 10  # one student in ten of the June numbers


def generate_earlier_batch(store: Store) -> int:
    """Add the closed December-2017 batch (about 300 students). Returns its student count."""
    from clearance.store.batches import BatchDates, close_batch, create_batch

    rng = random.Random(SEED - 1)  # its own stream: the June batch stays exactly as it was
    catalogue = get_catalogue(store)
    roster = _roster(rng).sample(frac=1 / EARLIER_SHARE, random_state=SEED).reset_index(drop=True)
    # Different 学号 from June's: the December graduates enrolled a year earlier.
    roster["student_no"] = [f"{int(no[:4]) - 1}{no[4:]}" for no in roster["student_no"]]
    taken = {r[0] for r in store.read_rows("SELECT student_no FROM students")}
    roster = roster[~roster["student_no"].isin(taken)].reset_index(drop=True)
    b = EARLIER_BATCH
    create_batch(store, SYSTEM, b["batch_id"], BatchDates(
        b["title"], b["period_start"], b["period_end"], b["diploma_start"], b["diploma_end"],
        b["card_deactivation"]))
    imported_at = datetime(2017, 12, 10, 9, 0)
    with store.transaction() as cur:
        upsert_students(cur, roster, b["batch_id"], imported_at)
        ensure_status_rows(cur, catalogue, "admin", "import", imported_at)
    # December is slower than June (exams, the new year): a third of the students come a day
    # later than the June pattern says. A student's marks move together, so their order holds.
    late = {no for no in roster["student_no"] if rng.random() < 0.35}
    marks = [replace(m, at=m.at + EARLIER_SHIFT + (
                      timedelta(days=1) if m.student_no in late and m.at.date() >= PERIOD[0]
                      else timedelta(0)))
             for m in _batch_marks(rng, roster, catalogue)]
    apply_marks(store, SYSTEM, marks, source="demo")
    close_batch(store, SYSTEM, b["batch_id"])
    return len(roster)


def generate(store: Store, earlier_batch: bool = False) -> DemoResult:
    """Fill an empty store with the demo batch (and, asked, the closed December-2017 batch
    before it) and flag it as a demo store. Refuses any store in use (students, accounts,
    imports, marks or sign-ins): the demo's accounts have public passwords."""
    if not is_empty(store):
        raise DemoRefused(NOT_EMPTY)
    rng = random.Random(SEED)
    catalogue = get_catalogue(store)
    roster = _roster(rng)
    imported_at = datetime(2018, 6, 10, 9, 0)
    with store.transaction() as cur:
        flag_as_demo(cur)
        upsert_students(cur, roster, BATCH, imported_at)
        ensure_status_rows(cur, catalogue, "admin", "import", imported_at)
        digest = hashlib.sha256(roster.to_csv(index=False).encode()).hexdigest()
        cur.execute(
            "INSERT INTO import_runs (run_id, kind, batch_id, file_name, content_hash, row_count,"
            " actor, imported_at, inserted) VALUES ('demo-roster', 'roster', $b, $f, $h, $n,"
            " 'admin', $t, $n)",
            {"b": BATCH, "f": "2018届研究生离校名单（演示）.xlsx", "h": digest, "n": len(roster),
             "t": imported_at})
    result = apply_marks(store, SYSTEM, _batch_marks(rng, roster, catalogue), source="demo")
    create_demo_accounts(store)
    from loaders.cards import create_demo_cards  # late import: cards imports the roster's tools

    create_demo_cards(store)
    earlier = generate_earlier_batch(store) if earlier_batch else 0
    return DemoResult(students=len(roster) + earlier, events=result.changed)
