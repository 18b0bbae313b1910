"""A demo store knows it is one; a store with real data is never seeded with public passwords.
And the small leaks: 导入记录 → 被拒收的文件 (once a KeyError) and the banner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from clearance.store.accounts import create_account
from clearance.store.demo_store import is_demo
from clearance.store.feeds import record_refusal
from clearance.root import close_all_stores, open_store
from tests.conftest import add_students, roster_frame, sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]


def _loaders(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLEARANCE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "loaders", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def _real_store(path: Path) -> None:
    """A store in real use: one imported student and an account."""
    store = open_store(path)
    add_students(store, roster_frame(1))
    create_account(store, "secretary", "教务秘书", "admin", "a-real-pass-1")
    close_all_stores()


def test_loaders_demo_refuses_a_store_with_real_data(tmp_path):
    db = tmp_path / "real.duckdb"
    _real_store(db)
    done = _loaders(db, "demo")
    assert done.returncode == 1 and "演示数据只能写入空库" in done.stderr
    store = open_store(db)
    assert store.read_value("SELECT count(*) FROM staff WHERE username = 'lib_staff'") == 0
    assert store.read_value("SELECT count(*) FROM students") == 1 and not is_demo(store)
    close_all_stores()


def test_make_runs_seeding_step_leaves_a_store_with_real_data_alone(tmp_path):
    db = tmp_path / "real.duckdb"
    _real_store(db)
    done = _loaders(db, "demo", "--if-empty")  # what `make run` calls
    assert done.returncode == 0 and "不写入演示数据" in done.stdout
    store = open_store(db)
    assert store.read_value("SELECT count(*) FROM staff") == 1  # no demo accounts
    close_all_stores()


def test_a_store_whose_admin_exists_is_not_empty(tmp_path):
    from clearance.store.accounts import bootstrap_admin
    from loaders.demo import DemoRefused, generate

    store = open_store(tmp_path / "started.duckdb")
    bootstrap_admin(store)  # the app has started once on it
    try:
        generate(store)
        raise AssertionError("the demo was written into a store in use")
    except DemoRefused:
        pass
    assert store.read_value("SELECT count(*) FROM staff") == 1
    close_all_stores()


def test_the_demo_store_is_flagged_and_every_page_says_so(demo_env):
    assert is_demo(open_store())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("演示库" in w.value for w in at.warning)


def test_a_real_store_shows_no_demo_banner(tmp_path, monkeypatch):
    db = tmp_path / "real.duckdb"
    _real_store(db)
    monkeypatch.setenv("CLEARANCE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not any("演示库" in w.value for w in at.warning)
    close_all_stores()


def test_refused_files_list_names_their_sender(demo_env):
    record_refusal(open_store(), "finance", "欠费.csv", "0" * 64, "upload", "finance_staff",
                   ["欠费.csv 第2行“欠费金额”列：不是金额"])
    at = sign_in_apptest(AppTest.from_file(str(ROOT / "screens" / "imports.py"), default_timeout=60),
                         "gs").run()
    assert not at.exception, at.exception
    assert any("发送者：财务处" in c.value for c in at.caption)


def test_a_csv_row_with_one_extra_field_is_refused_by_row_not_a_traceback(store):
    from loaders.roster import import_roster
    from loaders.sheets import ImportRejected

    data = ("学号,姓名,学院,培养层次,离校类型,校区,导师,手机,政治面貌\n"
            "20180000001,张三,计算机学院,硕士,毕业,A区,李四,,群众\n"
            "20180000002,王五,计算机学院,硕士,毕业,A区,李四,,群众,多余\n").encode()
    try:
        import_roster(store, data, "名单.csv", "2018-06", "admin")
        raise AssertionError("a ragged row was imported")
    except ImportRejected as exc:
        assert exc.errors == ["名单.csv 第3行：有 10 个值，比表头的 9 列多（多出的值“多余”）；"
                              "可能某个值中有逗号，请给该值加上引号或删去逗号"]
    assert store.read_value("SELECT count(*) FROM students") == 0
