import pytest

from clearance.root import close_all_stores, open_store


@pytest.fixture
def desk_store(demo_db_path, monkeypatch):
    """The demo store, opened in this process as the pages will open it (CLEARANCE_DB)."""
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    yield open_store(demo_db_path)
    close_all_stores()


@pytest.fixture
def demo_env(demo_db_path, monkeypatch):
    """The demo store's path in CLEARANCE_DB, for AppTest pages that open it themselves."""
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    yield demo_db_path
    close_all_stores()
