"""Staff marks and feed runs at the same moment, in one process (threads, as Streamlit sessions
and the inbox watcher run): a feed never overwrites a person's mark, nothing is lost."""

import random
import threading

from clearance.rules.actors import Actor
from clearance.store.marks import Mark, apply_marks
from loaders.feeds import import_feed
from tests.conftest import add_students, roster_frame

DESK = Actor("finance_desk", "office", "财务处 陈老师", stages=frozenset({"finance"}))


def test_staff_marks_and_feed_runs_at_once(store):
    add_students(store, roster_frame(40))
    nos = [f"2018{i + 1:07d}" for i in range(40)]
    # Finance says everyone owes money; staff pass some of them at the desk meanwhile.
    file = ("学号,欠费金额\n" + "\n".join(f"{no},{100 + i}" for i, no in enumerate(nos))).encode()
    staff_passed, errors = [], []
    start = threading.Barrier(5)

    def feed_worker():
        start.wait()
        try:
            for _ in range(15):
                import_feed(store, "finance", file, "arrears.csv", "inbox", "inbox")
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            errors.append(exc)

    def desk_worker(seed):
        rng = random.Random(seed)
        start.wait()
        try:
            for no in rng.sample(nos, 8):
                apply_marks(store, DESK, [Mark(no, "finance", "pass", note="现场缴清")], source="page")
                staff_passed.append(no)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=feed_worker)] + [
        threading.Thread(target=desk_worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert staff_passed
    # No feed event ever follows a staff event on the same student and stage.
    overwritten = store.read_value(
        "SELECT count(*) FROM (SELECT actor, lag(actor) OVER (PARTITION BY student_no ORDER BY event_id)"
        " AS before FROM events WHERE stage_id = 'finance') WHERE actor = 'feed:finance'"
        " AND before = 'finance_desk'")
    assert overwritten == 0
    # Every student a person passed is still passed; every other one is rejected by the feed.
    states = dict(store.read_rows("SELECT student_no, state FROM stage_status WHERE stage_id = 'finance'"))
    assert {no for no, s in states.items() if s == "passed"} == set(staff_passed)
    assert {no for no, s in states.items() if s == "rejected"} == set(nos) - set(staff_passed)
    # 15 runs recorded; each run's counts add up to its rows.
    runs = store.read_rows("SELECT passed + rejected + unchanged + skipped, row_count FROM import_runs"
                           " WHERE kind = 'finance'")
    assert len(runs) == 15 and all(total == rows == 40 for total, rows in runs)
    # Status equals the last event everywhere (no half-written run).
    mismatches = store.read_value(
        "SELECT count(*) FROM stage_status s JOIN (SELECT * FROM events QUALIFY row_number() OVER"
        " (PARTITION BY student_no, stage_id ORDER BY event_id DESC) = 1) e USING (student_no, stage_id)"
        " WHERE e.state_after <> s.state OR s.last_event_id <> e.event_id")
    assert mismatches == 0
