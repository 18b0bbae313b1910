"""The campus sign-in in a real browser (Chromium) against a real CAS server: from `/` to the
CAS login page and back signed in with the right role; a student lands on their own status
(the plain /chaxun and the Streamlit /student); logging out at CAS ends the 离校通 session."""

from __future__ import annotations

import os
import re

from tests.browser.harness import chromium, open_page, wait_idle
from tests.sso.casserver import PASSWORD
from tests.sso.conftest import STAFF_ID, STAFF_NAME

SHOTS = os.environ.get("SSO_SCREENSHOTS")  # a folder: keep screenshots to look at


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _cas_sign_in(page, world, user: str) -> None:
    page.wait_for_url(world.cas.url + "login*", timeout=30_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _from_home_through_cas(page, world, user: str) -> None:
    open_page(page, world.app.url + "/")
    _shot(page, "sso-sign-in.png")
    page.get_by_role("link", name="统一身份认证登录").click()
    _cas_sign_in(page, world, user)


def test_staff_go_from_home_to_cas_and_back_signed_in_with_their_role(cas_world):
    with chromium() as page:
        _from_home_through_cas(page, cas_world, STAFF_ID)
        page.wait_for_url(cas_world.app.url + "/**", timeout=30_000)
        wait_idle(page)
        page.wait_for_function(f"() => document.body.innerText.includes('已登录：{STAFF_NAME}')",
                               timeout=30_000)
        body = page.inner_text("body")
        assert f"已登录：{STAFF_NAME}" in body
        # An office's staff land on their desk (办理) with the office's menu, not the admin's.
        assert "办理" in body and "账号管理" not in body
        # No 离校通 password to change (the import asked for a change at first sign-in).
        assert "修改密码" not in body
        _shot(page, "sso-staff-signed-in.png")

        # Logging out at the CAS server (in another tab): its single sign-out ends the 离校通
        # session, and the open desk page shows the sign-in form without being touched.
        cas_tab = page.context.new_page()
        cas_tab.goto(cas_world.cas.url + "logout")
        cas_tab.wait_for_load_state()
        page.wait_for_function("() => document.body.innerText.includes('统一身份认证登录')",
                               timeout=30_000)
        assert f"已登录：{STAFF_NAME}" not in page.inner_text("body")
        open_page(page, cas_world.app.url + "/")  # and a reload stays signed out
        assert f"已登录：{STAFF_NAME}" not in page.inner_text("body")


def test_a_student_lands_on_their_own_status(cas_world):
    with chromium({"width": 420, "height": 900}) as page:
        _from_home_through_cas(page, cas_world, cas_world.student_no)
        page.wait_for_url(cas_world.app.url + "/chaxun", timeout=30_000)
        body = page.inner_text("body")
        assert f"{cas_world.student_name}（{cas_world.student_no}）" in body
        assert "各环节办理情况" in body and page.locator("input[name=student_no]").count() == 0
        _shot(page, "sso-student-chaxun.png")

        # The Streamlit student page knows the same sign-in (the cookie on its websocket).
        open_page(page, cas_world.app.url + "/student")
        page.wait_for_function(
            f"() => document.body.innerText.includes('{cas_world.student_name}（{cas_world.student_no}）')",
            timeout=30_000)
        assert page.get_by_label("姓名").count() == 0  # no 学号 + 姓名 form
        _shot(page, "sso-student-streamlit.png")
        # The advisor form through the page's own download link: this student's.
        form_link = page.get_by_role("link", name=re.compile("下载《导师准许离校确认书》"))
        with page.expect_download() as download:
            form_link.click()
        assert open(download.value.path(), "rb").read().startswith(b"%PDF")
        assert download.value.suggested_filename.endswith(f"{cas_world.student_no}.pdf")

        # Signing out on the page ends the sign-in; the page offers the campus sign-in again.
        page.goto(cas_world.app.url + "/chaxun")
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(cas_world.app.url + "/chaxun", timeout=30_000)
        body = page.inner_text("body")
        assert "统一身份认证登录" in body and cas_world.student_name not in body


def test_a_student_signed_out_at_cas_sees_nothing(cas_world):
    with chromium({"width": 420, "height": 900}) as page:
        page.goto(cas_world.app.url + "/chaxun")
        page.get_by_role("link", name="统一身份认证登录").click()
        _cas_sign_in(page, cas_world, cas_world.student_no)
        page.wait_for_url(cas_world.app.url + "/chaxun", timeout=30_000)
        assert cas_world.student_name in page.inner_text("body")
        page.goto(cas_world.cas.url + "logout")
        page.wait_for_load_state()
        page.goto(cas_world.app.url + "/chaxun")
        body = page.inner_text("body")
        assert cas_world.student_name not in body and "统一身份认证登录" in body
        _shot(page, "sso-student-signed-out.png")


def test_signing_out_of_the_app_also_leaves_the_cas_session(cas_world):
    """On a shared desk PC, 退出登录 must not leave the next person one click from the last
    person's account: the CAS login form asks for the password again."""
    with chromium() as page:
        _from_home_through_cas(page, cas_world, STAFF_ID)
        page.wait_for_url(cas_world.app.url + "/**", timeout=30_000)
        wait_idle(page)
        page.wait_for_function(f"() => document.body.innerText.includes('已登录：{STAFF_NAME}')",
                               timeout=30_000)
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_function("() => document.body.innerText.includes('统一身份认证登录')",
                               timeout=30_000)
        wait_idle(page)
        assert page.url.rstrip("/") == cas_world.app.url
        # A bookmark of a desk page: the campus sign-in asks for the password again and comes
        # back to that page.
        open_page(page, cas_world.app.url + "/queue")
        page.get_by_role("link", name="统一身份认证登录").click()
        page.wait_for_url(cas_world.cas.url + "login*", timeout=30_000)
        assert page.locator("input[name=password]").count() == 1
        _cas_sign_in(page, cas_world, STAFF_ID)
        page.wait_for_url(cas_world.app.url + "/queue", timeout=30_000)
        wait_idle(page)
        page.wait_for_function(f"() => document.body.innerText.includes('已登录：{STAFF_NAME}')",
                               timeout=30_000)
        assert page.locator("h1").first.inner_text().strip() == "待办名单"
