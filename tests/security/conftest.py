"""A running app over a demo copy whose data carries markup (names, reasons), a tracker that
records any request a browser makes to it, and a real Chromium: the attacks run against these."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clearance.root import close_all_stores, open_store
from tests.browser.harness import free_port, running_app


class Tracker:
    """An HTTP server that records every path asked of it (a tracking pixel's host)."""

    def __init__(self):
        self.port = free_port()
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def tracker():
    t = Tracker()
    yield t
    t.close()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory, tracker):
    """Names and a reason that are markup, written into a copy of the demo store."""
    from tests.conftest import _demo_file

    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), path)
    store = open_store(path)
    student = store.read_dicts(
        "SELECT s.student_no, s.college FROM students s WHERE s.college = '计算机学院'"
        " AND EXISTS (SELECT 1 FROM stage_status x WHERE x.student_no = s.student_no"
        " AND x.stage_id = 'library' AND x.state = 'open') ORDER BY s.student_no LIMIT 1")[0]
    name = f"![]({tracker.url('name.png')})**粗体**:red[红字]"
    reason = f"欠书 **两本** :red[速还] ![]({tracker.url('reason.png')})"
    with store.transaction() as cur:
        cur.execute("UPDATE students SET name = $n WHERE student_no = $s",
                    {"n": name, "s": student["student_no"]})
        cur.execute("UPDATE stage_status SET state = 'rejected', reason = $r"
                    " WHERE student_no = $s AND stage_id = 'library'",
                    {"r": reason, "s": student["student_no"]})
    close_all_stores()
    return {"path": path, "student_no": student["student_no"], "name": name, "reason": reason}


@pytest.fixture(scope="session")
def attack_app(hostile):
    with running_app(hostile["path"]) as server:
        yield server


@pytest.fixture
def demo_env(demo_db_path, monkeypatch):
    """The demo store's path in CLEARANCE_DB, for AppTest pages that open it themselves."""
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    yield demo_db_path
    close_all_stores()
