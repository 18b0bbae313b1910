"""A server watches no source files (issue 17).

Streamlit's default file watcher (reload a page when its code changes) made every session
register a watch on each imported module's file and walk sys.modules after every run, and its
observer watched the app's folder recursively; where that folder holds the virtualenv the
inotify queue overflowed and the observer re-walked the whole tree over and over, at 0.7-1.0
of a core with one idle session. `.streamlit/config.toml` turns it off: a real server that has
run pages for a few sessions holds no inotify instance at all (this kernel does not list the
watches in fdinfo, so the instances are counted)."""

import time
from pathlib import Path

from tests.browser.harness import running_app
from tests.security.wsclient import run_page


def inotify_instances(pid: int) -> int:
    """The process's open inotify descriptors (`anon_inode:inotify`)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += "inotify" in fd.readlink().name
        except OSError:  # the descriptor closed while we looked
            pass
    return count


def watches_after_a_while(pid: int, seconds: float = 3.0) -> int:
    # The observer starts its watches on its own thread after the run: give it time to.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and inotify_instances(pid) == 0:
        time.sleep(0.2)
    return inotify_instances(pid)


def test_sessions_leave_no_file_watches(demo_db_path):
    with running_app(demo_db_path) as server:
        for page in ("", "student", ""):  # the sign-in form and 学生查询, three sessions
            _, sent = run_page(server.url, page)
            assert "script_finished" in sent
        assert watches_after_a_while(server.proc.pid) == 0


def test_a_watching_server_is_seen(demo_db_path):
    """The check above can fail: with Streamlit's watcher on, the same runs leave watches."""
    with running_app(demo_db_path, {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "auto"}) as server:
        run_page(server.url, "")
        assert watches_after_a_while(server.proc.pid) > 0
