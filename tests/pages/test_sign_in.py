"""Signing in on a page: wrong passwords are slowed and then locked out."""

import time

from clearance.accounts import MAX_FAILED_LOGINS
from tests.pages.desk import button, page_test, texts


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
