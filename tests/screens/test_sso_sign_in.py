"""The sign-in form with the campus sign-in on (config/sso.toml through CLEARANCE_SSO): the
「统一身份认证登录」 entry; a password only for a break-glass account, and none at all when
the config allows no break-glass; the student page has no 学号 + 姓名 form."""

from __future__ import annotations

import pytest

from clearance.adapters.signin import gate
from clearance.adapters.sso import sso_config
from tests.screens.apptest_helpers import button, page_test, texts
from tests.sso.conftest import write_sso_toml


@pytest.fixture
def sso_on(tmp_path, monkeypatch):
    def turn_on(**extra):
        path = write_sso_toml(tmp_path / "sso.toml", "https://lxt.test", "https://cas.test/cas/",
                              **extra)
        monkeypatch.setenv("CLEARANCE_SSO", str(path))
        sso_config.cache_clear()
    yield turn_on
    monkeypatch.delenv("CLEARANCE_SSO")
    sso_config.cache_clear()


def _markdown(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _try(at, username, password):
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "登录").click().run()


def test_staff_are_sent_to_the_campus_sign_in_and_only_admin_may_use_a_password(desk_store, sso_on):
    sso_on()
    gate().throttle.reset()
    at = page_test("marking.py", None).run()
    assert not at.exception
    assert 'href="/auth/cas/login?next=/"' in _markdown(at) and "统一身份认证登录" in _markdown(at)
    assert "应急登录" in at.expander[0].label
    at = _try(at, "lib_staff", "demo1234")  # the right password, but not a break-glass account
    assert [e.value for e in at.error] == ["本系统已启用统一身份认证，请点击“统一身份认证登录”。"]
    assert "办理" not in [t.value for t in at.title]
    at = _try(at, "admin", "demo1234")
    assert [t.value for t in at.title] == ["办理"]
    gate().throttle.reset()


def test_no_break_glass_means_no_password_form(desk_store, sso_on):
    sso_on(break_glass=False)
    at = page_test("marking.py", None).run()
    assert not at.exception
    assert "统一身份认证登录" in _markdown(at)
    assert not at.text_input and not at.expander


def test_the_student_page_has_no_lookup_form_with_sso_on(desk_store, sso_on):
    sso_on()
    at = page_test("student.py", None).run()
    assert not at.exception
    assert 'href="/auth/cas/login?next=/student"' in _markdown(at)
    assert not at.text_input and "统一身份认证登录" in texts(at)


def test_with_oidc_the_same_entry_leads_to_the_oidc_routes(desk_store, tmp_path, monkeypatch):
    """One 「统一身份认证登录」 whatever the protocol: only the link's target changes."""
    from tests.sso.conftest import write_oidc_toml
    secret = tmp_path / "secret"
    secret.write_text("test-only-secret-0123456789", encoding="utf-8")
    path = write_oidc_toml(tmp_path / "sso.toml", "https://lxt.test", "https://idp.test", secret)
    monkeypatch.setenv("CLEARANCE_SSO", str(path))
    sso_config.cache_clear()
    try:
        at = page_test("marking.py", None).run()
        assert not at.exception
        assert 'href="/auth/oidc/login?next=/"' in _markdown(at) and "统一身份认证登录" in _markdown(at)
        assert "/auth/cas/" not in _markdown(at)
        at = page_test("student.py", None).run()
        assert 'href="/auth/oidc/login?next=/student"' in _markdown(at)
        assert not at.text_input and "统一身份认证登录" in texts(at)
    finally:
        monkeypatch.delenv("CLEARANCE_SSO")
        sso_config.cache_clear()
