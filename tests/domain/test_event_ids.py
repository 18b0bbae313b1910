"""Event ids come from the `event_ids` sequence (migration 017), not max()+1 per mark: a store
that already has events continues after the highest id; single and bulk marks take ids in
commit order; a mark leaves the caches of tables it does not write valid."""

from datetime import datetime

from clearance.rules.actors import SYSTEM
from clearance.store.marks import MARK_TABLES, Mark, apply_marks, mark
from clearance.root import close_all_stores, open_store
from tests.conftest import add_students, evidence, roster_frame


def test_a_store_with_events_continues_after_its_highest_id(tmp_path):
    path = tmp_path / "old.duckdb"
    store = open_store(path)
    add_students(store, roster_frame(3))
    # As a store made before migration 017: events written with max()+1, no sequence.
    with store.transaction() as cur:
        cur.execute("DROP SEQUENCE event_ids")
        cur.execute("DELETE FROM schema_migrations WHERE version = 17")
        cur.execute("INSERT INTO events VALUES (41, '20180000001', 'finance', 'pass', 'open',"
                    " 'passed', NULL, NULL, 'x', 'page', NULL, $t, NULL)", {"t": datetime(2018, 6, 1)})
        # … with the status row in step (the upgrade backup verifies status against events)
        cur.execute("UPDATE stage_status SET state = 'passed', updated_by = 'x', source = 'page',"
                    " updated_at = $t, last_event_id = 41, done_on = CAST($t AS DATE)"
                    " WHERE student_no = '20180000001' AND stage_id = 'finance'",
                    {"t": datetime(2018, 6, 1)})
    close_all_stores()
    store = open_store(path)  # migrates: the sequence starts after 41
    result = mark(store, SYSTEM, "20180000002", "finance", "pass", evidence=evidence("finance"))
    assert result.event_ids == (42,)
    close_all_stores()


def test_single_and_bulk_marks_take_ids_in_commit_order(store):
    add_students(store, roster_frame(10))
    nos = [f"2018{i + 1:07d}" for i in range(10)]
    first = mark(store, SYSTEM, nos[0], "finance", "pass", evidence=evidence("finance")).event_ids
    bulk = apply_marks(store, SYSTEM, [Mark(no, "hospital", "pass", evidence=evidence("hospital")) for no in nos]).event_ids
    last = mark(store, SYSTEM, nos[1], "finance", "pass", evidence=evidence("finance")).event_ids
    ids = [*first, *bulk, *last]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 12
    rows = dict(store.read_rows(
        "SELECT student_no, last_event_id FROM stage_status WHERE stage_id = 'hospital'"))
    assert [rows[no] for no in nos] == list(bulk)
    assert store.read_value("SELECT max(event_id) - count(*) FROM events") == 0


def test_a_mark_bumps_only_the_tables_it_writes(store):
    add_students(store, roster_frame(1))
    batches, status = store.data_version(("batches",)), store.data_version(MARK_TABLES)
    mark(store, SYSTEM, "20180000001", "finance", "pass", evidence=evidence("finance"))
    assert store.data_version(("batches",)) == batches
    assert store.data_version(MARK_TABLES) > status
