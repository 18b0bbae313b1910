"""The inbox trusts regular files only (issue 12 item 4) and survives files that kill their
parser (issue 11 item 1): each test performs the attack or fault and fails if it gets through."""

import json
import os
import time

import pytest

from loaders.inbox import (InboxWatcher, ensure_folders, process_waiting, recover_claimed,
                           waiting_files)
from tests.loaders import rawxlsx
from tests.loaders.test_feeds import cohort, state  # noqa: F401  (cohort is a fixture)

KINDS = ("finance", "library")
DATA = os.path.join(os.path.dirname(__file__), "..", "loaders", "data")
SECRET = "绝密-银行卡号-6222020000000000"


@pytest.fixture
def inbox(tmp_path):
    root = tmp_path / "inbox"
    ensure_folders(root, KINDS)
    return root


def aged(path, age=10.0):
    stamp = time.time() - age
    os.utime(path, (stamp, stamp), follow_symlinks=False)
    return path


def put(root, name, text, kind="finance", age=10.0):
    path = root / kind / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return aged(path, age)


def results(root, sub, kind="finance"):
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((root / kind / sub).glob("*.result.json"))]


def everything_stored(store) -> str:
    rows = []
    for table in ("events", "import_runs", "feed_refusals", "feed_skips", "stage_status"):
        rows += store.read_rows(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
    return repr(rows)


# ---------------------------------------------------------------- links and strangers

def test_symlinks_to_a_secret_and_to_etc_passwd_are_refused_unread(cohort, inbox, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"学号,欠费金额\n2018000001,{SECRET}\n", encoding="utf-8")
    os.chmod(secret, 0o600)
    for name, target in (("secret.csv", secret), ("passwd.csv", "/etc/passwd")):
        link = inbox / "finance" / name
        os.symlink(target, link)
        aged(link)
    put(inbox, "good.csv", "学号,欠费金额\n2018000001,0\n", age=5)
    got = process_waiting(cohort, inbox)
    assert [r["status"] for r in got] == ["rejected", "rejected", "done"]
    text = json.dumps(got, ensure_ascii=False) + json.dumps(results(inbox, "rejected"), ensure_ascii=False)
    assert "符号链接" in text
    assert SECRET not in text and "root:" not in text and "/bin/" not in text
    stored = everything_stored(cohort)
    assert SECRET not in stored and "root:" not in stored
    assert state(cohort, "2018000001", "finance") == ("passed", None)
    assert secret.read_text(encoding="utf-8").endswith(f"{SECRET}\n")  # the target is untouched
    assert [p.is_symlink() for p in (inbox / "finance" / "rejected").iterdir()
            if not p.name.endswith(".json")] == [True, True]


def test_a_hard_link_to_a_secret_is_refused_unread(cohort, inbox, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"学号,欠费金额\n2018000001,{SECRET}\n", encoding="utf-8")
    os.chmod(secret, 0o600)
    os.link(secret, inbox / "finance" / "hard.csv")
    aged(inbox / "finance" / "hard.csv")
    [got] = process_waiting(cohort, inbox)
    assert got["status"] == "rejected" and "硬链接" in got["errors"][0]
    assert SECRET not in json.dumps(got, ensure_ascii=False) and SECRET not in everything_stored(cohort)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_file_whose_owner_and_group_differ_from_the_folder_is_refused(cohort, inbox):
    path = put(inbox, "stranger.csv", "学号,欠费金额\n2018000001,0\n")
    os.chown(path, 65534, 65534)
    [got] = process_waiting(cohort, inbox)
    assert got["status"] == "rejected" and "所有者和属组" in got["errors"][0]
    assert state(cohort, "2018000001", "finance")[0] == "open"


def test_a_fifo_is_refused_and_does_not_block_the_inbox(cohort, inbox):
    os.mkfifo(inbox / "finance" / "pipe.csv")
    aged(inbox / "finance" / "pipe.csv")
    put(inbox, "good.csv", "学号,欠费金额\n2018000001,0\n", age=5)
    got = process_waiting(cohort, inbox)
    assert [r["status"] for r in got] == ["rejected", "done"]


# ---------------------------------------------------------------- names and errors

@pytest.mark.parametrize("name", ["欠" * 81 + ".csv", "f" * 234 + ".csv"])
def test_long_names_are_shortened_and_never_block_other_files(cohort, inbox, name):
    assert len(name.encode()) in (247, 238)
    put(inbox, name, "学号,欠费金额\n2018000001,300\n", age=20)
    put(inbox, "later.csv", "学号,欠费金额\n2018000002,0\n", kind="library", age=5)
    put(inbox, "later2.csv", "学号,欠费金额\n2018000003,0\n", age=4)
    got = process_waiting(cohort, inbox)
    assert [r["status"] for r in got] == ["done", "rejected", "done"]  # library's needs 4 columns
    assert got[0]["file"] == name  # the history keeps the name it was sent under
    assert state(cohort, "2018000001", "finance")[0] == "rejected"
    assert state(cohort, "2018000003", "finance") == ("passed", None)
    assert len(results(inbox, "done")) == 2
    assert not waiting_files(inbox, KINDS, 0)


def test_an_oserror_on_one_file_sends_it_to_rejected_and_the_others_flow(cohort, inbox, monkeypatch):
    import loaders.inbox as inbox_module

    real = inbox_module._read_regular

    def flaky(path, limit):
        if "broken" in path.name:
            raise OSError(5, "Input/output error")
        return real(path, limit)

    monkeypatch.setattr(inbox_module, "_read_regular", flaky)
    put(inbox, "broken.csv", "学号,欠费金额\n2018000001,0\n", age=20)
    put(inbox, "fine.csv", "学号,欠费金额\n2018000002,0\n", age=5)
    got = process_waiting(cohort, inbox)
    assert [r["status"] for r in got] == ["rejected", "done"]
    assert got[0]["errors"] == ["broken.csv：无法读取此文件（系统错误 5），未做任何修改"]
    assert state(cohort, "2018000002", "finance") == ("passed", None)


def test_a_cli_name_dropped_by_someone_else_is_not_recorded_as_the_cli(cohort, inbox):
    put(inbox, "cli-0123456789ab__x.csv", "学号,欠费金额\n2018000001,0\n")
    [got] = process_waiting(cohort, inbox)
    assert got["sent_by"].startswith("inbox:") and got["sent_by"] != "cli"
    assert got["file"] == "cli-0123456789ab__x.csv"
    assert cohort.read_rows("SELECT actor, channel FROM import_runs WHERE kind = 'finance'") == [(got["sent_by"], "inbox")]


# ---------------------------------------------------------------- caps before parsing

def test_size_and_row_caps_refuse_before_parsing(cohort, inbox, monkeypatch):
    monkeypatch.setenv("CLEARANCE_IMPORTS", os.path.join(DATA, "tight_limits.toml"))
    put(inbox, "big.csv", "学号,欠费金额\n" + "2018000001,0\n" * 2000, age=20)
    put(inbox, "long.csv", "学号,欠费金额\n" + "".join(f"20180{i:05d},0\n" for i in range(200)), age=10)
    got = process_waiting(cohort, inbox)
    assert [r["status"] for r in got] == ["rejected", "rejected"]
    assert "文件过大，请拆分后再导入" in got[0]["errors"][0] and "未读取" in got[0]["errors"][0]
    assert "文件过大，请拆分后再导入" in got[1]["errors"][0] and "行的上限" in got[1]["errors"][0]


def test_stored_skip_rows_are_capped_and_counted(cohort, inbox, monkeypatch):
    monkeypatch.setenv("CLEARANCE_IMPORTS", os.path.join(DATA, "lax_limits.toml"))  # 3 kept
    put(inbox, "campus.csv", "学号,欠费金额\n2018000001,0\n" + "".join(f"2099{i:06d},0\n" for i in range(40)))
    [got] = process_waiting(cohort, inbox)
    assert got["status"] == "done" and got["skipped"] == 40 and len(got["skips"]) == 3
    assert cohort.read_value("SELECT count(*) FROM feed_skips") == 3
    assert cohort.read_value("SELECT skipped FROM import_runs WHERE kind = 'finance'") == 40


# ---------------------------------------------------------------- files that kill the parser

FAR_CELL = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def test_a_crashing_file_then_a_good_one_with_the_watcher_running(cohort, inbox, monkeypatch):
    """The parser really aborts (limits loose enough for calamine to try 512 GB); the watcher
    thread files the crashing workbook in rejected/ and applies the good file after it."""
    monkeypatch.setenv("CLEARANCE_IMPORTS", os.path.join(DATA, "lax_limits.toml"))
    crash = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", 300]], extra_cells=FAR_CELL)
    watcher = InboxWatcher(lambda: cohort, inbox, poll_seconds=0.2).start()
    try:
        put(inbox, "crash.xlsx", crash, age=20)
        put(inbox, "good.csv", "学号,欠费金额\n2018000002,0\n", age=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(results(inbox, "done") + results(inbox, "rejected")) < 2:
            time.sleep(0.2)
        assert watcher._thread.is_alive()
    finally:
        watcher.stop()
    [rejected] = results(inbox, "rejected")
    assert rejected["file"] == "crash.xlsx"
    assert "表格范围异常" in rejected["errors"][0] or "文件过大" in rejected["errors"][0]
    [done] = results(inbox, "done")
    assert done["file"] == "good.csv"
    assert state(cohort, "2018000002", "finance") == ("passed", None)
    assert state(cohort, "2018000001", "finance")[0] == "open"
    assert not list((inbox / "finance").glob("*.xlsx"))


def test_a_file_claimed_when_the_app_stopped_twice_is_never_claimed_again(cohort, inbox):
    folder = inbox / "finance"
    (folder / ".claimed-1-once.csv").write_text("学号,欠费金额\n2018000001,0\n", encoding="utf-8")
    (folder / ".claimed-2-twice.csv").write_text("学号,欠费金额\n2018000002,0\n", encoding="utf-8")
    recover_claimed(inbox, KINDS)
    for p in folder.iterdir():
        aged(p)
    got = process_waiting(cohort, inbox)
    assert [r["file"] for r in got] == ["once.csv"]  # retried once, under its own name
    [refused] = results(inbox, "rejected")
    assert refused["file"] == "twice.csv" and "两次意外停止" in refused["errors"][0]
    assert state(cohort, "2018000002", "finance")[0] == "open"
    recover_claimed(inbox, KINDS)
    assert process_waiting(cohort, inbox) == []
