"""The roster import page: a bad file is refused with its rows named; a good one imports."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clearance.root import close_all_stores
from tests.conftest import sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin_page(demo_db_path, monkeypatch):
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    at = AppTest.from_file(str(ROOT / "screens" / "admin_roster.py"), default_timeout=60)
    sign_in_apptest(at, "admin")
    yield at
    close_all_stores()


def test_only_admin_may_import(demo_db_path, monkeypatch):
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    at = AppTest.from_file(str(ROOT / "screens" / "admin_roster.py"), default_timeout=60)
    sign_in_apptest(at, "gs")
    at.run()
    assert "无权访问" in at.error[0].value
    close_all_stores()


def test_page_lists_the_demo_import(admin_page):
    admin_page.run()
    assert not admin_page.exception
    assert "离校学生名单导入" in admin_page.title[0].value
    assert len(admin_page.dataframe) == 1
