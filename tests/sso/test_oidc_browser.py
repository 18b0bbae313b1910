"""The campus sign-in over OpenID Connect in a real browser (Chromium) against a real provider
(oidc-provider): from `/` to the provider's login and back signed in with the right role; a
student lands on their own status; logging out at the provider ends the 离校通 session through
its back-channel logout; 退出登录 in 离校通 leaves the provider's session too."""

from __future__ import annotations

import os

from tests.browser.harness import chromium, open_page, wait_idle
from tests.sso.conftest import STAFF_ID, STAFF_NAME
from tests.sso.oidcserver import PASSWORD

SHOTS = os.environ.get("SSO_SCREENSHOTS")  # a folder: keep screenshots to look at


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _provider_sign_in(page, world, user: str) -> None:
    page.wait_for_url(world.provider.issuer + "/interaction/**", timeout=30_000)
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", PASSWORD)
    _shot(page, "oidc-provider-login.png")
    page.click("button[type=submit]")


def _sign_out_at_provider(page, world) -> None:
    page.goto(world.provider.issuer + "/session/end")
    page.click("button[name=logout][value=yes]")
    page.wait_for_load_state()


def _staff_signed_in(page, world) -> None:
    page.wait_for_url(world.app.url + "/**", timeout=30_000)
    wait_idle(page)
    page.wait_for_function(f"() => document.body.innerText.includes('已登录：{STAFF_NAME}')",
                           timeout=30_000)


def test_staff_go_from_home_to_the_provider_and_back_signed_in_with_their_role(oidc_world):
    with chromium() as page:
        open_page(page, oidc_world.app.url + "/")
        _shot(page, "oidc-sign-in.png")
        page.get_by_role("link", name="统一身份认证登录").click()
        _provider_sign_in(page, oidc_world, STAFF_ID)
        _staff_signed_in(page, oidc_world)
        body = page.inner_text("body")
        assert "办理" in body and "账号管理" not in body  # the office's menu, not the admin's
        assert "修改密码" not in body  # no 离校通 password with the campus sign-in
        _shot(page, "oidc-staff-signed-in.png")

        # Logging out at the provider (another tab): its back-channel logout ends the 离校通
        # session, and the open desk page shows the sign-in form without being touched.
        provider_tab = page.context.new_page()
        _sign_out_at_provider(provider_tab, oidc_world)
        page.wait_for_function("() => document.body.innerText.includes('统一身份认证登录')",
                               timeout=30_000)
        assert f"已登录：{STAFF_NAME}" not in page.inner_text("body")
        open_page(page, oidc_world.app.url + "/")  # and a reload stays signed out
        assert f"已登录：{STAFF_NAME}" not in page.inner_text("body")


def test_a_student_lands_on_their_own_status(oidc_world):
    with chromium({"width": 420, "height": 900}) as page:
        page.goto(oidc_world.app.url + "/chaxun")
        _shot(page, "oidc-chaxun-entry.png")
        page.get_by_role("link", name="统一身份认证登录").click()
        _provider_sign_in(page, oidc_world, oidc_world.student_no)
        page.wait_for_url(oidc_world.app.url + "/chaxun", timeout=30_000)
        body = page.inner_text("body")
        assert f"{oidc_world.student_name}（{oidc_world.student_no}）" in body
        assert "各环节办理情况" in body and page.locator("input[name=student_no]").count() == 0
        _shot(page, "oidc-student-chaxun.png")

        # The Streamlit student page knows the same sign-in.
        open_page(page, oidc_world.app.url + "/student")
        page.wait_for_function(
            f"() => document.body.innerText.includes('{oidc_world.student_name}（{oidc_world.student_no}）')",
            timeout=30_000)
        assert page.get_by_label("姓名").count() == 0  # no 学号 + 姓名 form

        # Logging out at the provider ends it: the page offers the campus sign-in again.
        _sign_out_at_provider(page, oidc_world)
        page.goto(oidc_world.app.url + "/chaxun")
        body = page.inner_text("body")
        assert oidc_world.student_name not in body and "统一身份认证登录" in body


def test_signing_out_of_the_app_also_leaves_the_provider_session(oidc_world):
    """On a shared desk PC, 退出登录 must not leave the next person one click from the last
    person's account: the provider asks for the login again."""
    with chromium() as page:
        open_page(page, oidc_world.app.url + "/")
        page.get_by_role("link", name="统一身份认证登录").click()
        _provider_sign_in(page, oidc_world, STAFF_ID)
        _staff_signed_in(page, oidc_world)
        page.get_by_role("button", name="退出登录").click()
        # The provider asks to confirm the sign-out (no ID token is kept to skip that), then
        # comes back to 离校通.
        page.wait_for_url(oidc_world.provider.issuer + "/session/end**", timeout=30_000)
        page.click("button[name=logout][value=yes]")
        page.wait_for_url(oidc_world.app.url + "/", timeout=30_000)
        page.wait_for_function("() => document.body.innerText.includes('统一身份认证登录')",
                               timeout=30_000)
        open_page(page, oidc_world.app.url + "/queue")
        page.get_by_role("link", name="统一身份认证登录").click()
        page.wait_for_url(oidc_world.provider.issuer + "/interaction/**", timeout=30_000)
        assert page.locator("input[name=password]").count() == 1
        _provider_sign_in(page, oidc_world, STAFF_ID)
        page.wait_for_url(oidc_world.app.url + "/queue", timeout=30_000)
        wait_idle(page)
        page.wait_for_function(f"() => document.body.innerText.includes('已登录：{STAFF_NAME}')",
                               timeout=30_000)
        assert page.locator("h1").first.inner_text().strip() == "待办名单"
