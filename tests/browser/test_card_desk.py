"""The scan page in a real browser: a card tapped on the virtual reader shows the student, the
desk marks its stage; scans from a desk agent; manual entry while pcscd is down."""

import json
import urllib.request

import duckdb
import pytest

from clearance.rules.actors import SYSTEM
from clearance.store.desk_tokens import issue_desk
from clearance.root import close_all_stores, open_store
from loaders.cards import demo_uid
from tests.browser.desk_steps import active, focus_on
from tests.browser.harness import open_page, running_app
from tests.cards.pcscd import wait_reader_empty
from tests.cards.vpcd_card import VirtualCard

OPEN_AT_CARD_CENTRE = ("SELECT student_no, name FROM stage_status JOIN students USING (student_no)"
                       " WHERE stage_id = 'card_center' AND state = 'open' ORDER BY 1 LIMIT 2")


def _app(db_path, with_desk: bool):
    store = open_store(db_path)
    students = store.read_rows(OPEN_AT_CARD_CENTRE)
    # A balance left on the first student's card (the card centre's export), none on the other's.
    balances = {students[0][0]: 47.2, students[1][0]: 0.0}
    with store.transaction() as cur:
        for no, balance in balances.items():
            cur.execute("UPDATE card_bindings SET balance = $b WHERE student_no = $no",
                        {"b": balance, "no": no})
    desk, token = (issue_desk(store, SYSTEM, "一卡通中心 虎溪 2号窗口", "card_center")
                   if with_desk else (None, None))
    close_all_stores()
    with running_app(db_path) as server:
        yield {"server": server, "students": students, "desk": desk, "token": token,
               "db": db_path, "balances": balances}


@pytest.fixture
def card_app(demo_db_path):
    yield from _app(demo_db_path, with_desk=True)


@pytest.fixture
def app_without_desks(demo_db_path):
    yield from _app(demo_db_path, with_desk=False)


def _open_scan_page(page, url, user="card_staff"):
    open_page(page, url)
    # The card centre lands on 刷卡办理, whose reader fragment keeps the app busy: sign in
    # without waiting for an idle app.
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill("demo1234")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="刷卡办理").wait_for(timeout=30_000)
    page.get_by_role("link", name="刷卡办理").click()
    # The reader fragment reruns every 0.5 s, so the app is rarely "idle": wait for the page.
    page.get_by_text("学号 / 卡号").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)


def _click_until(page, button, text: str, tries: int = 3) -> None:
    """Click until `text` shows (at most `tries` clicks, 10 s each); fails if it never does."""
    for _ in range(tries - 1):
        if button.count() == 0:
            break  # the button went: the last click was taken
        button.click()
        try:
            page.get_by_text(text).first.wait_for(timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - a dropped click: try again
            continue
    if button.count():
        button.click()
    page.get_by_text(text).first.wait_for(timeout=10_000)


def test_tapped_card_shows_the_student_and_the_desk_marks_its_stage(pcscd, card_app, browser_page):
    (no, name), (other_no, other_name) = card_app["students"]
    _open_scan_page(browser_page, card_app["server"].url)
    browser_page.get_by_text("正在使用读卡器“Virtual PCD 00 00”").wait_for(timeout=10_000)
    with VirtualCard(demo_uid(no)).inserted():
        browser_page.get_by_text(no).first.wait_for(timeout=10_000)
    body = browser_page.inner_text("body")
    assert name in body and "一卡通管理中心" in body and "研究生院研工办" in body
    # The card centre's stage is "balance settled" (config/stages.toml, checked by the domain):
    # the tick alone is not enough while the card centre's export shows money on the card.
    balance = f"{card_app['balances'][no]:.2f}"
    confirm = browser_page.get_by_role("button", name=f"确认 {name} 的“一卡通管理中心”已办理")
    browser_page.get_by_text("一卡通余额已结算 *").click()
    amount = browser_page.get_by_label("结算金额（元，卡内无余额填 0） *")
    amount.fill("0")
    amount.press("Enter")
    browser_page.wait_for_timeout(300)
    # The reader's panel reruns every 0.5 s, so the page is seldom idle: a click that lands
    # during the amount's rerun may be dropped, and is made again (a refused or a repeated
    # pass writes nothing: the events are counted at the end).
    _click_until(browser_page, confirm, f"卡内余额 {balance} 元尚未结算，“一卡通管理中心”不能通过")
    amount.fill(balance)
    amount.press("Enter")
    browser_page.wait_for_timeout(300)
    _click_until(browser_page, confirm, "已记为通过")
    # The next tap replaces the panel; both taps are in the session's log.
    wait_reader_empty()
    with VirtualCard(demo_uid(other_no)).inserted():
        browser_page.get_by_role("heading", name=other_name).wait_for(timeout=10_000)
    # The next student's panel starts with nothing ticked.
    assert browser_page.get_by_role(
        "button", name=f"确认 {other_name} 的“一卡通管理中心”已办理", exact=True).is_enabled()
    assert not browser_page.get_by_role("checkbox", name="一卡通余额已结算 *").is_checked()
    wait_reader_empty()
    with VirtualCard("DEADBEEF").inserted():
        browser_page.get_by_text("未登记的校园卡（卡UID DEADBEEF）").wait_for(timeout=10_000)
    assert "本次刷卡记录" in browser_page.inner_text("body")
    card_app["server"].stop()
    con = duckdb.connect(str(card_app["db"]), read_only=True)
    events = con.execute("SELECT student_no, action, actor, source, evidence FROM events"
                         " WHERE stage_id = 'card_center' AND source = 'card'").fetchall()
    con.close()
    assert [e[:4] for e in events] == [(no, "pass", "card_staff", "card")]
    assert f'"settled_amount": "{balance}"' in events[0][4] and "一卡通余额已结算" in events[0][4]


def test_scan_from_a_desk_agent_appears_on_that_desks_page(card_app, browser_page):
    (no, name), _ = card_app["students"]
    _open_scan_page(browser_page, card_app["server"].url)
    browser_page.get_by_role("combobox", name="读卡方式").click()
    browser_page.get_by_role("option", name=f"工作台：{card_app['desk'].name}").click()
    browser_page.get_by_text("正在等待工作台").wait_for(timeout=10_000)
    request = urllib.request.Request(
        card_app["server"].url + "/api/desk/scans", method="POST",
        data=json.dumps({"uid": demo_uid(no), "reader": "USB reader"}).encode(),
        headers={"Authorization": f"Bearer {card_app['token']}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert json.loads(r.read())["student"]["student_no"] == no
    browser_page.get_by_role("heading", name=name).wait_for(timeout=10_000)


def test_without_a_server_reader_the_page_defaults_to_manual_entry(pcscd, app_without_desks,
                                                                   browser_page):
    """No reader on the server (the usual deployment) and no desk: manual entry, an info line,
    no red error; a keyboard-wedge reader and typed values still work."""
    (no, name), _ = app_without_desks["students"]
    pcscd.stop()
    _open_scan_page(browser_page, app_without_desks["server"].url)
    browser_page.get_by_text("本服务器的读卡服务未运行，手工输入学号或卡号即可办理").wait_for(timeout=10_000)
    source = browser_page.get_by_role("combobox", name="读卡方式")
    assert source.input_value() == "手工输入 / 键盘式读卡器"
    assert "读卡服务（pcscd）未运行" not in browser_page.inner_text("body")
    assert not browser_page.locator("[data-testid='stAlertContentError']").count()
    entry = browser_page.get_by_label("学号 / 卡号（手工输入，或用键盘式读卡器刷卡后回车）")
    entry.fill(no)
    entry.press("Enter")  # what a keyboard-wedge reader does after typing
    browser_page.get_by_role("heading", name=name).wait_for(timeout=10_000)
    # A wedge reader types the UID as a reversed decimal, 10 digits (config/cards.toml [wedge]).
    wedge = str(int(bytes.fromhex(demo_uid(no))[::-1].hex(), 16)).zfill(10)
    entry.fill(wedge)
    entry.press("Enter")
    browser_page.get_by_text("输入卡UID").first.wait_for(timeout=10_000)
    # Typed numbers that match nothing are said plainly, never shown as a card UID.
    entry.fill("9999")
    entry.press("Enter")
    browser_page.get_by_text("没有找到学号或卡号“9999”，请核对后重新输入").wait_for(timeout=10_000)
    mistyped = str(int(no) + 100000)  # a 学号's shape (year, college) that matches nobody
    entry.fill(mistyped)
    entry.press("Enter")
    browser_page.get_by_text(f"学号 {mistyped} 不在离校学生名单中，请核对后重新输入").wait_for(timeout=10_000)
    assert "未登记的校园卡" not in browser_page.inner_text("body")


def test_a_stale_reader_error_clears_once_a_card_is_read(pcscd, card_app, browser_page):
    (no, name), _ = card_app["students"]
    pcscd.stop()
    _open_scan_page(browser_page, card_app["server"].url)
    # With one desk for this stage and no reader on the server, the page starts on that desk.
    browser_page.get_by_text(f"正在等待工作台“{card_app['desk'].name}”").wait_for(timeout=10_000)
    browser_page.get_by_role("combobox", name="读卡方式").click()
    browser_page.get_by_role("option", name="本服务器上的读卡器").click()
    browser_page.get_by_text("读卡服务（pcscd）未运行").wait_for(timeout=10_000)
    pcscd.start()
    browser_page.get_by_text("正在使用读卡器“Virtual PCD 00 00”").wait_for(timeout=10_000)
    with VirtualCard(demo_uid(no)).inserted():
        browser_page.get_by_role("heading", name=name).wait_for(timeout=10_000)
        browser_page.wait_for_timeout(1_000)  # a few more polls with the card on the reader
        assert "读卡服务（pcscd）未运行" not in browser_page.inner_text("body")


def _focus_kept(page, text: str, redraws: int) -> list[str]:
    """Where the focus was, sampled every 100 ms while the page redrew `redraws` times (counted
    by the desk script's runs; bounded): the samples that were not on the element holding `text`."""
    start = page.evaluate("() => window.__lxtDesk.runs")
    strays = []
    for _ in range(300):
        if page.evaluate("() => window.__lxtDesk.runs") >= start + redraws:
            return strays
        if text not in active(page):
            strays.append(active(page))
        page.wait_for_timeout(100)
    raise AssertionError(f"the page did not redraw {redraws} times in 30 s")


def test_confirm_keeps_the_focus_through_the_readers_redraws(pcscd, card_app, browser_page):
    """A desk that polls its reader redraws every 0.5 s, also after a typed lookup (which used
    to rerun the whole page and stop the polling: no redraw, no tap seen). The clerk whose 确认
    has the focus (the desk puts it there after a lookup) keeps it through the redraws; when a
    redraw replaces the focused button and the focus falls to the page, it comes back to 确认,
    not to the entry box. A click elsewhere is the clerk's own choice: it is not taken back."""
    page = browser_page
    (no, name), (other_no, other_name) = card_app["students"]
    _open_scan_page(page, card_app["server"].url)
    page.get_by_text("正在使用读卡器“Virtual PCD 00 00”").wait_for(timeout=10_000)
    page.get_by_label("学号 / 卡号（手工输入，或用键盘式读卡器刷卡后回车）").click()
    page.keyboard.type(no, delay=30)  # a keyboard scanner at the window
    page.keyboard.press("Enter")
    confirm = f"确认 {name} 的“一卡通管理中心”已办理"
    focus_on(page, "BUTTON", confirm)
    assert confirm in active(page), active(page)
    assert _focus_kept(page, confirm, redraws=6) == []

    # What a redraw that replaces the focused button does: the focus falls to the page.
    page.evaluate("() => document.activeElement.blur()")
    focus_on(page, "BUTTON", confirm, timeout=5_000)
    assert confirm in active(page), active(page)
    assert _focus_kept(page, confirm, redraws=4) == []

    page.get_by_role("heading", name="刷卡办理").click()  # the clerk clicks elsewhere
    page.wait_for_timeout(300)
    elsewhere = active(page)
    assert "|BUTTON|" not in elsewhere, elsewhere
    assert _focus_kept(page, elsewhere, redraws=4) == []  # not taken back to 确认

    # The reader is still polled after a typed lookup: the next student's tap is seen.
    with VirtualCard(demo_uid(other_no)).inserted():
        page.get_by_role("heading", name=other_name).wait_for(timeout=10_000)
