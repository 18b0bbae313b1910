import pytest

from tests.browser.harness import chromium, running_app


@pytest.fixture
def demo_app(demo_db_path):
    with running_app(demo_db_path) as server:
        yield server


@pytest.fixture
def browser_page():
    with chromium() as page:
        yield page
