"""Many sessions marking at once in one process: nothing lost, status consistent with the log."""

import random
import threading

from clearance.rules.actors import SYSTEM
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks
from tests.conftest import add_students, roster_frame


def test_threads_marking_the_same_students_lose_nothing(store):
    add_students(store, roster_frame(20))
    nos = [f"2018{i + 1:07d}" for i in range(20)]
    stages = [s for s in get_catalogue(store).stage_ids if s not in ("secretary", "gso_office")]
    done, refused = [], []
    lock = threading.Lock()

    def worker(seed):
        rng = random.Random(seed)
        for _ in range(60):
            m = Mark(rng.choice(nos), rng.choice(stages), rng.choice(["pass", "reject", "reset"]),
                     reason=f"r{seed}-{rng.randint(0, 9999)}")
            try:
                r = apply_marks(store, SYSTEM, [m])
            except MarkError as exc:
                with lock:
                    refused.append(exc)
                continue
            with lock:
                done.append(r.changed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not refused
    assert store.read_value("SELECT count(*) FROM events") == sum(done)
    # The current status of every row equals the last event for it.
    mismatches = store.read_value(
        "SELECT count(*) FROM stage_status s LEFT JOIN ("
        "  SELECT * FROM events QUALIFY row_number() OVER"
        "  (PARTITION BY student_no, stage_id ORDER BY event_id DESC) = 1) e USING (student_no, stage_id)"
        " WHERE coalesce(e.state_after, 'open') <> s.state OR s.last_event_id IS DISTINCT FROM e.event_id")
    assert mismatches == 0
    # Event ids are unique and gapless: no half-written transaction.
    assert store.read_value("SELECT max(event_id) - count(*) FROM events") == 0


def test_reads_during_writes_stay_correct(store):
    add_students(store, roster_frame(10))
    errors = []

    def reader():
        for _ in range(200):
            n = store.read_value("SELECT count(*) FROM stage_status")
            if n != 120:
                errors.append(n)

    def writer():
        for i in range(50):
            apply_marks(store, SYSTEM, [Mark(f"2018{(i % 10) + 1:07d}", "dorm", "reject", reason=str(i))])

    threads = [threading.Thread(target=reader) for _ in range(4)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
