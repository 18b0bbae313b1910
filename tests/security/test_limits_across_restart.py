"""The guessing limits survive a planned restart: the server writes the recent failures to the
store when it stops and reads them back when it starts (clearance.store.throttle_state). Before,
a restart (an upgrade, a config edit) handed every address, 学号 and username a fresh allowance.

Kept in memory between restarts on purpose: bench/throttle_store.py measured a store-backed
reservation at several times a whole lookup (SECURITY.md §8)."""

from __future__ import annotations

import shutil

import duckdb

from clearance.adapters.throttle import Rule, Throttle
from clearance.root import close_all_stores, open_store
from clearance.store.throttle_state import load_limits, save_limits
from tests.browser.harness import ROOT, AppServer
from tests.browser.test_student_html import Client
from tests.conftest import _demo_file

RULES = {"per_student": Rule(free=5, window=3600, base_delay=5, max_delay=300),
         "global": Rule(free=600, window=60, ceiling=True)}


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_new_process_keeps_the_delays_and_drops_what_left_the_window(demo_store):
    before = Throttle(RULES, clock=Clock(1000.0))
    for _ in range(5):
        assert before.acquire([("per_student", "2018001"), ("global", "*")]).allowed
    assert not before.acquire([("per_student", "2018001")]).allowed  # the sixth waits
    assert save_limits(demo_store, {"student_lookup": before}) == 10

    # A new process: its monotonic clock starts elsewhere; the wall clock carries the ages.
    after = Throttle(RULES, clock=Clock(5.0))
    assert load_limits(demo_store, {"student_lookup": after}) == 10
    decision = after.acquire([("per_student", "2018001")])
    assert not decision.allowed and 0 < decision.retry_after <= 5
    assert after.acquire([("per_student", "2018002")]).allowed  # another 学号 is untouched
    assert demo_store.read_rows("SELECT count(*) FROM throttle_failures")[0][0] == 0  # consumed


def test_failures_older_than_their_window_are_not_restored(demo_store):
    with demo_store.transaction(touches_data=False) as cur:
        cur.execute("INSERT INTO throttle_failures VALUES ('student_lookup', 'per_student', 'x', "
                    "epoch(now()) - 7200), ('student_lookup', 'nonsense', 'x', epoch(now())),"
                    " ('student_lookup', 'per_student', 'y', epoch(now()) + 600)")
    fresh = Throttle(RULES)
    assert load_limits(demo_store, {"student_lookup": fresh}) == 0
    assert fresh.snapshot() == []


def test_a_restarted_server_still_makes_the_sixth_guess_wait(tmp_path, tmp_path_factory):
    """The attack: five wrong names for one 学号 on /chaxun, a restart, the sixth guess."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), path)
    con = duckdb.connect(str(path))
    student_no = con.execute("SELECT min(student_no) FROM students").fetchone()[0]
    con.close()
    # The demo's first delay (5 s) is shorter than a restart: make it 10 minutes, as a site
    # that wants guessing slow might.
    config = tmp_path / "security.toml"
    config.write_text((ROOT / "config" / "security.toml").read_text(encoding="utf-8").replace(
        "base_delay = 5\n", "base_delay = 600\n", 1), encoding="utf-8")
    env = {"CLEARANCE_SECURITY": str(config)}
    server = AppServer(path, env).start()
    try:
        client = Client(server.url, "10.77.0.1")
        client.open()
        for attempt in range(5):
            reply, _, _ = client.look_up(student_no, f"猜{attempt}")
            assert reply.status == 200
        assert client.look_up(student_no, "猜5")[0].status == 429
    finally:
        server.stop()  # SIGTERM: the lifespan writes the limits
    close_all_stores()
    saved = duckdb.connect(str(path), read_only=True)
    kept = saved.execute("SELECT count(*) FROM throttle_failures WHERE key = $k",
                         {"k": student_no}).fetchone()[0]
    saved.close()
    assert kept == 5
    server = AppServer(path, env).start()
    try:
        client = Client(server.url, "10.77.0.2")  # and from another address
        client.open()
        reply, _, text = client.look_up(student_no, "猜6")
        assert reply.status == 429 and "查询失败次数较多" in text
    finally:
        server.stop()
