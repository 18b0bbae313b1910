"""A queue at each desk kind, driven in headless Chromium with a wedge-speed scanner (issue 13).

A fresh demo store and app (`streamlit run server.py`); each desk's demo account signs in and
works through N students (default 50) of one kind, the 学号 typed at 30 ms a key like a USB
barcode scanner, then whatever keys and clicks the desk needs:

- new:        library, 回车即通过 on (the checklist ticked once): 学号⏎
- returning:  library, a × 不通过 student back after sorting it out: 学号⏎ (the scan does not
              overturn a ×, the old reason is shown), then F2 问题已解决，通过
- reject:     library, 回车即通过 off: 学号⏎, F4, the reason, ⏎
- secretary:  计算机学院's secretary (导师 + 教务秘书), 回车即通过 on: 学号⏎ records both stages
- card:       一卡通, a card with a balance: 学号⏎, tick 已结算, the settled amount, 确认

Per student: keys pressed, mouse clicks, and app time = from each key that makes the app work
(Enter, F2, a click) until the result is on screen and the script is idle; typing time is not
app time. The floor, in the same run: a lookup that finds nobody (the app's bare round trip).

The demo has too few students of some kinds (80 open at the library, 3 of 计算机学院 open at 导师):
the bench's own copy of the demo store gets enough by 撤销 through the one write path (a
system actor's reset with a note, as an office undoing a mistaken pass), on students whose last
stage is still open; the demo itself is unchanged.

    python -m bench.desk_queue [N] [kinds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from clearance.root import close_all_stores, open_store
from clearance.rules.actors import SYSTEM
from clearance.store.marks import Mark, apply_marks
from loaders.demo import generate
from tests.browser.harness import IDLE, chromium, open_page, running_app, sign_in, wait_idle

WEDGE_MS = 30
LOOKUP = 'input[aria-label="学号 / 姓名 / 姓名拼音首字母"]'
CARD_ENTRY = 'input[aria-label="学号 / 卡号（手工输入，或用键盘式读卡器刷卡后回车）"]'
LIBRARY_ITEMS = ("所借图书已全部归还 *", "超期违约金已缴清（10元以内免收） *", "借用的硬件设备已归还 *",
                 "学位论文电子版已提交 *")
REASON = "图书未还"


def _students(db: Path, sql: str, n: int) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql + " ORDER BY 1 LIMIT $n", {"n": n}).fetchall()
    finally:
        con.close()


PREPARED = "bench: 撤销 so that the queue has enough students of this kind"


def _reopen(db: Path, stages: tuple[str, ...], where: str, wanted: int) -> int:
    """Open `stages` (撤销, in this order) for students of `where` until `wanted` have the
    first stage open; only students whose last stage (研工办) is still open, so no later
    stage blocks the 撤销. Returns how many were reopened."""
    first = stages[-1]
    store = open_store(db)
    try:
        have = store.read_value(
            f"SELECT count(*) FROM students s JOIN stage_status x USING (student_no)"
            f" WHERE x.stage_id = $stage AND x.state = 'open' AND {where}", {"stage": first})
        nos = [r[0] for r in store.read_rows(
            f"SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
            f" JOIN stage_status g ON g.student_no = s.student_no AND g.stage_id = 'gso_office'"
            f" WHERE x.stage_id = $stage AND x.state = 'passed' AND g.state = 'open' AND {where}"
            f" ORDER BY s.student_no DESC LIMIT $n", {"stage": first, "n": max(0, wanted - have)})]
        marks = [Mark(no, stage, "reset", note=PREPARED) for no in nos for stage in stages]
        if marks:
            apply_marks(store, SYSTEM, marks, source="demo")
        return len(nos)
    finally:
        close_all_stores()


def _prepare(db: Path, n: int) -> dict[str, int]:
    """Enough students of every kind in the bench's own store (see the module's doc)."""
    return {"library": _reopen(db, ("library",), "TRUE", 2 * n),
            "secretary": _reopen(db, ("secretary", "advisor"), "s.college = '计算机学院'", n),
            "card": _reopen(db, ("card_center",), "s.student_no IN (SELECT student_no FROM"
                                                  " card_bindings WHERE balance > 0)", n)}


def _pick(db: Path, n: int) -> dict[str, list[tuple]]:
    lib = ("SELECT s.student_no, s.name FROM students s JOIN stage_status x USING (student_no)"
           " WHERE x.stage_id = 'library' AND x.state = '{}'")
    opened = _students(db, lib.format("open"), 2 * n)
    return {
        "new": opened[:n],
        "returning": _students(db, lib.format("rejected"), n),
        "reject": opened[n:],
        "secretary": _students(db, "SELECT s.student_no, s.name FROM students s JOIN stage_status x"
                                   " USING (student_no) WHERE s.college = '计算机学院' AND"
                                   " x.stage_id = 'advisor' AND x.state = 'open'", n),
        "card": _students(db, "SELECT s.student_no, s.name, max(c.balance) FROM students s"
                              " JOIN stage_status x USING (student_no) JOIN card_bindings c USING (student_no)"
                              " WHERE x.stage_id = 'card_center' AND x.state = 'open' AND c.balance > 0"
                              " GROUP BY 1, 2", n),
    }


def server_cpu(pid: int) -> float:
    """CPU seconds the app's process has used (user + system, every thread): on a shared
    machine the work per student, where wall time also counts the other processes' turns."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Desk:
    """One browser at one desk: counts keys and clicks, and times the app's answers."""

    def __init__(self, page, pid: int):
        self.page = page
        self.pid = pid
        self.reset()

    def reset(self) -> None:
        self.keys = self.clicks = 0
        self.app = 0.0
        self.cpu_from = server_cpu(self.pid)

    @property
    def cpu(self) -> float:
        return server_cpu(self.pid) - self.cpu_from

    def _until(self, text: str) -> None:
        """Time from now until `text` is on the page and the script is idle."""
        started = time.monotonic()
        if self.page.is_closed():
            raise RuntimeError("the browser closed")
        self.page.wait_for_function(
            "([t, idle]) => document.body.innerText.includes(t) && !!document.querySelector(idle)",
            arg=[text, IDLE], timeout=60_000, polling=20)
        self.app += time.monotonic() - started

    def scan(self, student_no: str, expect: str) -> None:
        self.page.keyboard.type(student_no, delay=WEDGE_MS)
        self.keys += len(student_no) + 1
        self.page.keyboard.press("Enter")
        self._until(expect)

    def press(self, key: str, expect: str | None = None) -> None:
        self.keys += 1
        self.page.keyboard.press(key)
        if expect:
            self._until(expect)

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.page.keyboard.type(text, delay=WEDGE_MS)

    def click(self, locator, expect: str | None = None) -> None:
        self.clicks += 1
        locator.click()
        if expect:
            self._until(expect)


def _settle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page)


def _instant(page, checks: list[str], fields: dict[str, str], choices: list[str] = ()) -> None:
    page.get_by_text("回车即通过（").click()
    _settle(page)
    for label in checks:
        page.get_by_text(label, exact=True).click()
        page.wait_for_timeout(150)
    for label in choices:
        page.get_by_text(label, exact=True).last.click()  # the evidence radio, not the stage picker
        page.wait_for_timeout(150)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
        page.keyboard.press("Tab")
    _settle(page)
    page.locator(LOOKUP).click()
    page.wait_for_timeout(300)


def _run_kind(kind: str, students: list[tuple], url: str, pid: int):
    with chromium() as page:
        try:
            return _drive(page, kind, students, url, pid)
        except Exception:
            page.screenshot(path=Path(tempfile.gettempdir()) / f"desk_queue_{kind}_failed.png")
            raise


def _drive(page, kind: str, students: list[tuple], url: str, pid: int):
    """(keys, clicks, app time, server CPU) per student, and the floor: the median of five
    lookups that find nobody (each waits for its own message)."""
    account = {"secretary": "cs_secretary", "card": "card_staff"}.get(kind, "lib_staff")
    out = []
    if True:
        open_page(page, url)
        sign_in(page, account, "demo1234")
        page.wait_for_timeout(800)
        wait_idle(page)
        desk = Desk(page, pid)
        if kind in ("new", "returning"):
            _instant(page, list(LIBRARY_ITEMS), {"已缴超期违约金（元，免收或无则填 0） *": "0"})
        elif kind == "secretary":
            _instant(page, ["《导师准许离校确认书》已由导师或授权人签字 *", "已收《导师准许离校确认书》 *",
                            "已验证导师签字 *", "学院其他相关手续已完清 *"], {}, choices=["导师"])
        elif kind == "card":
            # Manual entry / a keyboard-wedge reader (this machine may have another test's
            # virtual reader, which the desk would otherwise poll).
            open_page(page, f"{url}/card_desk?desk=manual")  # the window's bookmark
            page.locator(CARD_ENTRY).click()
        else:
            page.locator(LOOKUP).click()
        # The floor: a lookup that finds nobody, the app's bare round trip.
        floor = Desk(page, pid)
        entry = CARD_ENTRY if kind == "card" else LOOKUP
        shape = students[0][0]
        floors = []
        for probe in [shape[:6] + d * (len(shape) - 6) for d in "98765"]:
            page.locator(entry).click()
            floor.reset()
            floor.scan(probe, f"学号 {probe} 不在离校学生名单中" if kind == "card" else f"未找到“{probe}”")
            floors.append(floor.app)
        page.locator(entry).click()
        page.wait_for_timeout(300)
        for row in students:
            no, name = row[0], row[1]
            desk.reset()
            if kind in ("new", "secretary"):
                done = "“导师”“学院研究生教务秘书”已通过" if kind == "secretary" else "“图书馆”已通过"
                desk.scan(no, f"{name}（{no}）{done}")
            elif kind == "returning":
                desk.scan(no, f"{name}　{no}")
                page.locator(".st-key-act_resolved button").wait_for()
                desk.press("F2", f"{name}（{no}）“图书馆”已通过")
            elif kind == "reject":
                desk.scan(no, f"{name}　{no}")
                page.locator(".st-key-act_pass button").wait_for()
                desk.press("F4")
                desk.type(REASON)
                desk.press("Enter", f"{name}（{no}）“图书馆”已不通过")
            elif kind == "card":
                desk.scan(no, f"确认 {name} 的“一卡通管理中心”已办理")
                desk.click(page.get_by_text("一卡通余额已结算 *", exact=True))
                field = page.get_by_label("结算金额（元，卡内无余额填 0） *")
                desk.click(field)
                desk.type(f"{row[2]:.2f}")
                desk.click(page.get_by_role("button", name=f"确认 {name} 的“一卡通管理中心”已办理"),
                           f"已办理：{name}（{no}）")
                page.locator(CARD_ENTRY).click()
                desk.clicks += 1
            out.append((desk.keys, desk.clicks, desk.app, desk.cpu))
            page.wait_for_timeout(100)
        return out, statistics.median(floors)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    kinds = sys.argv[2].split(",") if len(sys.argv) > 2 else ["new", "returning", "reject", "secretary", "card"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        generate(open_store(db))
        close_all_stores()
        reopened = _prepare(db, n)
        print(f"Reopened in the bench's copy of the demo store: {reopened}", flush=True)
        chosen = _pick(db, n)
        short = {k: len(v) for k, v in chosen.items() if len(v) < n}
        if short:
            raise SystemExit(f"too few students of a kind even after preparing: {short}")
        with running_app(db) as server:
            print(f"`uptime` at the start: {_uptime()}", flush=True)
            print("| desk kind | students | keys / student | clicks / student | app time median (s) |"
                  " app time p90 (s) | server CPU / student median (s) | floor (s) | median ÷ floor |")
            print("|---|---|---|---|---|---|---|---|---|")
            for kind in kinds:
                try:
                    rows, floor = _run_kind(kind, chosen[kind], server.url, server.proc.pid)
                except Exception as exc:  # one desk kind's failure is reported, the others run
                    print(f"| {kind} | failed: {str(exc).splitlines()[0]} |", flush=True)
                    continue
                keys = statistics.median(r[0] for r in rows)
                clicks = statistics.median(r[1] for r in rows)
                times = sorted(r[2] for r in rows)
                med = statistics.median(times)
                p90 = times[int(0.9 * (len(times) - 1))]
                cpu = statistics.median(r[3] for r in rows)
                print(f"| {kind} | {len(rows)} | {keys:g} | {clicks:g} | {med:.2f} | {p90:.2f} |"
                      f" {cpu:.2f} | {floor:.2f} | {med / floor:.1f} |", flush=True)
            print(f"`uptime` at the end: {_uptime()}", flush=True)


if __name__ == "__main__":
    main()
