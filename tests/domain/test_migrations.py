"""Upgrades: a backup before migrating a store with data; a failing migration changes nothing;
a store from newer code is refused."""

import shutil

import pytest

from clearance.root import upgrade_backup
from clearance.store.backup import list_backups
from clearance.operations import operations_config
from clearance.store.db import MIGRATIONS_DIR, Store, StoreProblem, migrate
from tests.conftest import add_students, roster_frame


def _tables(store):
    return store.read_rows("SELECT table_name, column_name FROM information_schema.columns"
                           " ORDER BY ALL")


def test_a_failing_migration_leaves_the_store_untouched_after_a_backup(store, tmp_path):
    add_students(store, roster_frame(5))
    before = (_tables(store), store.read_rows("SELECT * FROM schema_migrations ORDER BY 1"),
              store.read_value("SELECT count(*) FROM events"))
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    # Two new migrations: the first is fine, the second fails half-way through.
    (migrations / "098_fine.sql").write_text("CREATE TABLE new_thing (x INTEGER);")
    (migrations / "099_broken.sql").write_text(
        "ALTER TABLE students ADD COLUMN nickname VARCHAR;\n"
        "UPDATE students SET nickname = name;\n"
        "SELECT * FROM table_that_does_not_exist;")
    with pytest.raises(StoreProblem, match="099_broken.sql") as problem:
        migrate(store, migrations, backup_first=upgrade_backup)
    assert problem.value.kind == "migration_failed"
    assert (_tables(store), store.read_rows("SELECT * FROM schema_migrations ORDER BY 1"),
            store.read_value("SELECT count(*) FROM events")) == before
    backups = list_backups(operations_config().backup_root(store.path))
    assert [b["trigger"] for b in backups] == ["upgrade"]
    assert backups[0]["events"] == before[2]
    # The file on disk says the same after a restart.
    path = store.path
    store.close()
    again = Store(path)
    assert _tables(again) == before[0]
    again.close()


def test_a_new_store_migrates_without_a_backup(tmp_path):
    s = Store(tmp_path / "fresh.duckdb")
    assert migrate(s, backup_first=upgrade_backup)  # everything applied
    s.close()
    assert list_backups(operations_config().backup_root(tmp_path / "fresh.duckdb")) == []


def test_a_store_from_newer_code_is_refused(store):
    with store.transaction() as cur:
        cur.execute("INSERT INTO schema_migrations VALUES (999, '999_future.sql', now())")
    with pytest.raises(StoreProblem, match="schema version 999") as problem:
        migrate(store, backup_first=upgrade_backup)
    assert problem.value.kind == "newer_schema"
