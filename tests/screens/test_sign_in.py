"""Signing in on a page: wrong passwords slow the next try; the account is never locked."""

from clearance.adapters.signin import gate
from tests.screens.apptest_helpers import ROOT
from tests.screens.apptest_helpers import button, page_test, texts


def _try(at, username, password):
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "登录").click().run()


def test_wrong_passwords_slow_the_next_try_without_locking(desk_store, monkeypatch):
    gate().throttle.reset()
    # Time stands still: argon2 on a loaded machine must not let the first delay pass unseen.
    monkeypatch.setattr(gate().throttle, "_clock", lambda: 1000.0)
    at = page_test("marking.py", None).run()
    free = gate().throttle.rules["per_account"].free
    for _ in range(free):
        at = _try(at, "lib_staff", "wrong-password")
        assert [e.value for e in at.error] == ["用户名或密码错误"]
    at = _try(at, "lib_staff", "demo1234")  # the right password, but too soon
    assert "尝试次数过多，请" in texts(at) and "秒后再试" in texts(at)
    assert "办理" not in [t.value for t in at.title]
    at = _try(at, "nobody_here", "wrong-password")  # other names are not slowed by it
    assert [e.value for e in at.error] == ["用户名或密码错误"]
    gate().throttle.reset()


def test_signing_in_on_a_page_opens_it(desk_store):
    # Signing out is driven in the real browser (tests/browser/test_marking_flow.py).
    gate().throttle.reset()
    at = _try(page_test("marking.py", None).run(), "lib_staff", "demo1234")
    assert [t.value for t in at.title] == ["办理"]


def test_a_disabled_account_is_told_so(demo_db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from clearance.store.accounts import set_active
    from clearance.root import close_all_stores, open_store
    from tests.conftest import sign_in_apptest

    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    at = sign_in_apptest(AppTest.from_file(str(ROOT / "screens" / "marking.py"), default_timeout=60),
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
    at = sign_in_apptest(AppTest.from_file(str(ROOT / "screens" / "home.py"), default_timeout=60),
                         "cs_secretary").run()
    assert not at.exception
    assert at.title[0].value == "计算机学院 · 离校总览"
    assert {m.label: m.value for m in at.metric}["离校学生"] == f"{cs:,}"
    close_all_stores()
