"""Every page renders with AppTest over the demo store without an exception."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.name for p in (ROOT / "screens").glob("*.py"))


def signed_in(at: AppTest, username: str) -> AppTest:
    return sign_in_apptest(at, username)


def test_app_entry_asks_for_sign_in_then_renders_home(demo_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert not at.metric
    assert [b.label for b in at.button] == ["登录"]
    at.text_input(key="sign_in_username").input("gs")
    at.text_input(key="sign_in_password").input("demo1234")
    at.button[0].click().run()
    assert not at.exception
    assert any("离校学生" == m.label for m in at.metric)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["admin", "gs", "cs_secretary", "lib_staff"])
def test_page_renders_without_exception(demo_env, page, username):
    at = signed_in(AppTest.from_file(str(ROOT / "screens" / page), default_timeout=60), username).run()
    assert not at.exception, at.exception
