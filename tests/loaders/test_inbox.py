"""The watched inbox, in one process over a real store and real folders: arrival order,
done/ and rejected/ with their results, uploads in progress, the command line's hand-over."""

import json
import os
import time

import pytest

from loaders.inbox import (InboxWatcher, drop_and_wait, ensure_folders, process_waiting,
                           waiting_files)
from tests.loaders.test_feeds import cohort, state  # noqa: F401  (cohort is a fixture)

KINDS = ("finance", "library")


@pytest.fixture
def inbox(tmp_path):
    root = tmp_path / "inbox"
    ensure_folders(root, KINDS)
    return root


def put(root, kind, name, text, age=10.0):
    path = root / kind / name
    path.write_text(text, encoding="utf-8")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_files_are_processed_in_arrival_order_and_filed_with_results(cohort, inbox):
    put(inbox, "finance", "b_newer.csv", "学号,欠费金额\n2018000001,0\n", age=5)
    put(inbox, "finance", "a_older.csv", "学号,欠费金额\n2018000001,300\n", age=20)
    results = process_waiting(cohort, inbox)
    assert [r["file"] for r in results] == ["a_older.csv", "b_newer.csv"]
    assert state(cohort, "2018000001", "finance") == ("passed", None)
    done = sorted(p.name for p in (inbox / "finance" / "done").iterdir())
    assert len(done) == 4 and done[0].endswith("_a_older.csv")
    result = json.loads((inbox / "finance" / "done" / (done[0] + ".result.json")).read_text())
    assert (result["status"], result["rejected"], result["rows"]) == ("done", 1, 1)
    assert result["sent_by"].startswith("inbox:")
    assert not list((inbox / "finance").glob("*.csv"))
    runs = cohort.read_rows("SELECT file_name, channel FROM import_runs WHERE kind = 'finance'")
    assert sorted(runs) == [("a_older.csv", "inbox"), ("b_newer.csv", "inbox")]


def test_a_bad_file_goes_to_rejected_with_the_chinese_errors(cohort, inbox):
    put(inbox, "library", "lib.csv", "学号,未还图书,超期违约金,未还设备,学位论文已提交\n2018000001,x,0,0,是\n")
    [result] = process_waiting(cohort, inbox)
    assert result["status"] == "rejected"
    assert result["errors"] == ["lib.csv 第2行“未还图书”列：“x”不是有效的数量"]
    [filed] = (inbox / "library" / "rejected").glob("*_lib.csv.result.json")
    assert json.loads(filed.read_text())["errors"] == result["errors"]
    assert cohort.read_value("SELECT count(*) FROM events WHERE stage_id = 'library'") == 0
    assert cohort.read_rows("SELECT kind, file_name, channel, errors FROM feed_refusals") == [
        ("library", "lib.csv", "inbox", result["errors"])]


def test_uploads_in_progress_and_fresh_files_wait(inbox):
    put(inbox, "finance", "x.csv.part", "学号")
    put(inbox, "finance", ".x.csv", "学号")
    put(inbox, "finance", "fresh.csv", "学号", age=0)
    put(inbox, "finance", "ready.csv", "学号", age=5)
    assert [p.name for _k, p in waiting_files(inbox, KINDS, settle_seconds=1.0)] == ["ready.csv"]


def test_the_same_file_name_every_half_hour_never_overwrites(cohort, inbox):
    for amount in (300, 200, 0):
        put(inbox, "finance", "arrears.csv", f"学号,欠费金额\n2018000001,{amount}\n")
        process_waiting(cohort, inbox)
    assert len(list((inbox / "finance" / "done").glob("*arrears.csv"))) == 3
    assert cohort.read_value("SELECT count(*) FROM events WHERE stage_id = 'finance'") == 3


def test_command_line_hand_over_through_a_watcher_thread(cohort, inbox):
    watcher = InboxWatcher(lambda: cohort, inbox, poll_seconds=0.2).start()
    try:
        got = drop_and_wait(inbox, "finance", "学号,欠费金额\n2018000002,７元\n".encode(), "f.csv", timeout=30)
        bad = drop_and_wait(inbox, "finance", "学号,欠费\n2018000002,?\n".encode(), "g.csv", timeout=30)
    finally:
        watcher.stop()
    assert got.code == 0 and got.result["rejected"] == 1 and got.result["file"] == "f.csv"
    assert got.result["sent_by"] == "cli"
    assert state(cohort, "2018000002", "finance") == ("rejected", "欠费 7 元未缴清")
    assert bad.code == 1 and bad.result["errors"] == ["g.csv 第2行“欠费”列：“?”不是一个值（没有值时请留空）"]


def test_nobody_watching_times_out_with_code_3_and_withdraws_the_file(inbox, tmp_path):
    got = drop_and_wait(inbox, "finance", b"x", "f.csv", timeout=0.5, poll=0.1)
    assert got.code == 3 and "撤回" in got.message
    assert not list((inbox / "finance").glob("*f.csv"))
    missing = drop_and_wait(tmp_path / "nowhere", "finance", b"x", "f.csv", timeout=0.5)
    assert missing.code == 3 and "找不到收件箱" in missing.message
