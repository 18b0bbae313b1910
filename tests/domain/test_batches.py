"""Batches managed in the app: dates as the handbook gives them, a change log, and a closed
batch that every write path treats as read-only."""

from datetime import date

import pytest

from clearance.rules.actors import SYSTEM, Actor
from clearance.store.batches import BatchDates, BatchError, close_batch, create_batch, update_batch
from clearance.store.config import sync_config
from clearance.store.marks import Mark, MarkError, apply_marks, mark
from loaders.feeds import import_feed
from loaders.sheets import ImportRejected
from tests.conftest import evidence, add_students, roster_frame

ADMIN = Actor("admin", "admin", "系统管理员")
DECEMBER = BatchDates("2018年12月毕（结、肄）业研究生离校", date(2018, 12, 24), date(2018, 12, 28),
                      date(2018, 12, 26), date(2018, 12, 28), date(2019, 1, 10))


def test_the_toml_file_only_seeds_an_empty_table(store):
    assert store.read_rows("SELECT batch_id FROM batches") == [("2018-06",)]
    create_batch(store, ADMIN, "2018-12", DECEMBER)
    update_batch(store, ADMIN, "2018-06", BatchDates("六月批次", date(2018, 6, 25), date(2018, 7, 3)))
    store.catalogue = None
    with store.transaction() as cur:
        cur.execute("DELETE FROM settings WHERE key = 'config_hash'")  # as if the files changed
    sync_config(store)
    assert store.read_rows("SELECT batch_id, title, period_end FROM batches ORDER BY 1") == [
        ("2018-06", "六月批次", date(2018, 7, 3)), ("2018-12", DECEMBER.title, date(2018, 12, 28))]


def test_create_edit_close_are_checked_and_logged(store):
    create_batch(store, ADMIN, "2018-12", DECEMBER)
    with pytest.raises(BatchError, match="已存在"):
        create_batch(store, ADMIN, "2018-12", DECEMBER)
    bad = BatchDates("", date(2018, 12, 28), date(2018, 12, 24), date(2018, 12, 26), None,
                     date(2018, 12, 1))
    with pytest.raises(BatchError) as refused:
        create_batch(store, ADMIN, "2018/12", bad)
    assert len(refused.value.errors) == 5  # id, name, period order, diploma pair, card date
    changes = update_batch(store, ADMIN, "2018-12", BatchDates(
        DECEMBER.title, DECEMBER.period_start, date(2018, 12, 29), DECEMBER.diploma_start,
        DECEMBER.diploma_end, DECEMBER.card_deactivation))
    assert changes == ["集中办理结束：2018-12-28 → 2018-12-29"]
    office = Actor("lib", "office", "图书馆", stages=frozenset({"library"}))
    with pytest.raises(BatchError, match="无权"):
        close_batch(store, office, "2018-12")
    close_batch(store, ADMIN, "2018-12")
    with pytest.raises(BatchError, match="已关闭"):
        update_batch(store, ADMIN, "2018-12", DECEMBER)
    with pytest.raises(BatchError, match="关闭"):
        close_batch(store, ADMIN, "2018-12")
    assert [r[0] for r in store.read_rows("SELECT action FROM batch_changes ORDER BY change_id")] == [
        "create", "edit", "close"]


def test_a_closed_batch_is_read_only_on_every_write_path(store):
    create_batch(store, ADMIN, "2018-12", DECEMBER)
    add_students(store, roster_frame(3), batch="2018-12")
    no = "20180000001"
    mark(store, SYSTEM, no, "library", "pass", evidence=evidence("library"))  # open: fine
    close_batch(store, ADMIN, "2018-12")
    events = store.read_value("SELECT count(*) FROM events")
    for source in ("page", "bulk", "card"):
        with pytest.raises(MarkError, match="已关闭"):
            apply_marks(store, SYSTEM, [Mark(no, "hospital", "pass", evidence=evidence("hospital"))], source=source)
    with pytest.raises(MarkError, match="已关闭"):
        mark(store, ADMIN, no, "library", "reset", reason="撤销")
    result = import_feed(store, "finance", f"学号,欠费金额\n{no},0\n".encode(), "f.csv", "inbox", "inbox")
    assert result.skips and "已关闭" in result.skips[0][1]
    with pytest.raises(ImportRejected, match="已关闭"):
        add_students(store, roster_frame(2), batch="2018-12")
    assert store.read_value("SELECT count(*) FROM events") == events


def test_the_hand_out_may_start_on_a_half_day(store):
    """The handbook's "6月29日下午至7月2日": a batch keeps 上午 / 下午 of the hand-out's first
    day; a value that is not a half day, or a half day without a start date, is refused."""
    afternoon = BatchDates(DECEMBER.title, DECEMBER.period_start, DECEMBER.period_end,
                           DECEMBER.diploma_start, DECEMBER.diploma_end,
                           DECEMBER.card_deactivation, diploma_start_part="下午")
    create_batch(store, ADMIN, "2018-12", afternoon)
    assert store.read_value("SELECT diploma_start_part FROM batches WHERE batch_id = '2018-12'") == "下午"
    for part, problem in (("晚上", "只能是“上午”或“下午”"), ("<b>下午</b>", "只能是")):
        with pytest.raises(BatchError, match=problem):
            update_batch(store, ADMIN, "2018-12", BatchDates(
                **(vars(afternoon) | {"diploma_start_part": part})))
    with pytest.raises(BatchError, match="同时填写证书发放开始日期"):
        create_batch(store, ADMIN, "2019-06", BatchDates(
            "2019年6月", date(2019, 6, 24), date(2019, 7, 1), diploma_start_part="上午"))
    assert store.read_value("SELECT diploma_start_part FROM batches WHERE batch_id = '2018-12'") == "下午"
    # Editing another field with the part kept changes only that field; clearing it is logged.
    assert update_batch(store, ADMIN, "2018-12", BatchDates(
        **(vars(afternoon) | {"period_end": date(2018, 12, 29)}))) == [
        "集中办理结束：2018-12-28 → 2018-12-29"]
    assert update_batch(store, ADMIN, "2018-12", BatchDates(
        **(vars(afternoon) | {"period_end": date(2018, 12, 29), "diploma_start_part": None}))) == [
        "证书发放开始时段：下午 → 全天"]
    assert store.read_value("SELECT diploma_start_part FROM batches WHERE batch_id = '2018-12'") is None
