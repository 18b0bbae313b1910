"""The store: numbered migrations, a second start that changes nothing, the catalogue loaded."""

from clearance.root import close_all_stores, open_store

from clearance.store.db import migrate


def test_second_start_changes_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    s = open_store(path)
    tables = s.read_rows("SELECT table_name FROM information_schema.tables ORDER BY 1")
    version = s.read_value("SELECT max(version) FROM schema_migrations")
    close_all_stores()
    s = open_store(path)
    assert migrate(s) == []
    assert s.read_rows("SELECT table_name FROM information_schema.tables ORDER BY 1") == tables
    assert s.read_value("SELECT max(version) FROM schema_migrations") == version
    assert s.version == 0  # nothing committed on the second start
    close_all_stores()


def test_catalogue_and_batch_are_loaded(store):
    stages = store.read_rows("SELECT stage_id, scope, prerequisites FROM stages ORDER BY seq")
    assert len(stages) == 12
    assert stages[1] == ("secretary", "college", ["advisor"])
    assert stages[-1][0] == "gso_office" and len(stages[-1][2]) == 11
    batch = store.read_rows("SELECT period_start, period_end, card_deactivation FROM batches")
    assert [str(d) for d in batch[0]] == ["2018-06-25", "2018-07-02", "2018-07-10"]


def test_campus_routes_follow_the_seed(store):
    def room(campus, stage):
        return store.read_value("SELECT room FROM campus_routes WHERE campus=$c AND stage_id=$s",
                                {"c": campus, "s": stage})
    assert room("虎溪", "gso_office") == "虎溪综合楼DZ106室9号、10号窗口"
    assert room("C区", "gso_office") == "A区研究生院305室"  # A、B、C校区 → A区305
    assert room("B区", "gso_office") == "A区研究生院305室"
    assert room("B区", "dorm") == "B区学生八宿舍旁"


def test_db_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARANCE_DB", str(tmp_path / "env.duckdb"))
    s = open_store()
    assert s.path == tmp_path / "env.duckdb"
    assert (tmp_path / "env.duckdb").exists()
    close_all_stores()
