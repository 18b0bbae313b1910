"""Signing in on a page: wrong passwords are slowed and then locked out."""

import time

from clearance.store.accounts import MAX_FAILED_LOGINS
from tests.pages.apptest_helpers import ROOT
from tests.pages.apptest_helpers import button, page_test, texts


def _try(at, username, password):
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "登录").click().run()


def test_wrong_passwords_are_slowed_then_locked(desk_store):
    at = page_test("marking.py", None).run()
    started = time.monotonic()
    for _ in range(MAX_FAILED_LOGINS):
        at = _try(at, "lib_staff", "wrong-password")
        assert "用户名或密码错误" in texts(at)
    assert time.monotonic() - started >= MAX_FAILED_LOGINS * 1.0  # one second per failure
    at = _try(at, "lib_staff", "demo1234")  # the right password, too late
    assert "已锁定" in texts(at)
    assert "办理" not in [t.value for t in at.title]


def test_signing_in_on_a_page_opens_it(desk_store):
    # Signing out is driven in the real browser (tests/browser/test_marking_flow.py).
    at = _try(page_test("marking.py", None).run(), "lib_staff", "demo1234")
    assert [t.value for t in at.title] == ["办理"]


def test_a_disabled_account_is_told_so(demo_db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from clearance.store.accounts import set_active
    from clearance.root import close_all_stores, open_store
    from tests.conftest import sign_in_apptest

    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    at = sign_in_apptest(AppTest.from_file(str(ROOT / "pages" / "marking.py"), default_timeout=60),
                         "lib_staff").run()
    assert not at.exception and at.title[0].value == "办理"
    set_active(open_store(), "lib_staff", False, by="admin")
    at.run()
    assert "该账号已停用" in " ".join(i.value for i in at.info)
    assert [b.label for b in at.button] == ["登录"]
    close_all_stores()


def test_college_staff_home_shows_their_college(demo_db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from clearance.root import close_all_stores, open_store
    from tests.conftest import sign_in_apptest

    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    cs = open_store().read_value("SELECT count(*) FROM students WHERE college = '计算机学院'")
    at = sign_in_apptest(AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=60),
                         "cs_secretary").run()
    assert not at.exception
    assert at.title[0].value == "计算机学院 · 离校总览"
    assert {m.label: m.value for m in at.metric}["离校学生"] == f"{cs:,}"
    close_all_stores()
