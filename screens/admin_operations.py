"""批次与备份 (admin): the clearance batches (create, edit, close), the backups (take one now,
see the kept ones, how to restore), and whether the store is ready. The rules live in
clearance.batches / clearance.backup / clearance.health; this page shows them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clearance.store.backup import TRIGGERS, BackupError, backup_store
from clearance.rules.batches import HALF_DAYS
from clearance.store.batches import (BatchDates, BatchError, close_batch, create_batch,
                                     update_batch)
from clearance.health import readiness
from clearance.operations import operations_config
from clearance.clock import beijing_now
from ui.auth import current_actor, require_actor
from ui.data import read, store
from ui.marking_pages import flash, show_flash

actor = require_actor("admin")
st.title("批次与备份")
show_flash()
config = operations_config()


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _part(value) -> str:
    """上午 / 下午 after the hand-out's first day ("" for the whole day)."""
    return f" {value}" if value in HALF_DAYS else ""


def _refused(errors: list[str]) -> None:
    st.error("未保存：\n\n" + "\n".join(f"- {e}" for e in errors))


# -- batches -----------------------------------------------------------------------------------
def _dates_form(key: str, batch: dict | None) -> tuple[str | None, BatchDates, bool]:
    """The batch form (empty for a new batch). Returns (id, dates, submitted)."""
    b = batch or {}
    with st.form(key):
        batch_id = None
        if batch is None:
            c1, c2 = st.columns([1, 3])
            batch_id = c1.text_input("批次编号（年-月）", placeholder="2018-12", key=f"{key}_id")
            title = c2.text_input("批次名称", placeholder="2018年12月毕（结、肄）业研究生离校", key=f"{key}_title")
        else:
            title = st.text_input("批次名称", value=b["title"])
        c = st.columns([3, 3, 3, 2, 3, 3])

        def day(n, label, field):
            return c[n].date_input(label, value=_date(b.get(field)), key=f"{key}_{field}")

        part = b.get("diploma_start_part")
        part = part if part in HALF_DAYS else None
        dates = BatchDates(
            title=title,
            period_start=day(0, "集中办理开始", "period_start"),
            period_end=day(1, "集中办理结束", "period_end"),
            diploma_start=day(2, "证书发放开始", "diploma_start"),
            diploma_start_part=c[3].selectbox(
                "开始时段", [None, *HALF_DAYS], index=[None, *HALF_DAYS].index(part),
                format_func=lambda p: p or "全天", key=f"{key}_diploma_start_part",
                help="如手册“6月29日下午至7月2日”：选“下午”"),
            diploma_end=day(4, "证书发放结束", "diploma_end"),
            card_deactivation=day(5, "校园卡停用", "card_deactivation"),
        )
        submitted = st.form_submit_button("新建批次" if batch is None else "保存修改", type="primary")
    return batch_id, dates, submitted


def _date(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _show_batch_list(batches: pd.DataFrame) -> None:
    table = pd.DataFrame({
        "编号": batches["batch_id"], "名称": batches["title"],
        "集中办理": [f"{_day(a)} 至 {_day(b)}" for a, b in zip(batches["period_start"], batches["period_end"])],
        "证书发放": [f"{_day(a)}{_part(p)} 至 {_day(b)}" if _day(a) else "" for a, p, b in
                 zip(batches["diploma_start"], batches["diploma_start_part"], batches["diploma_end"])],
        "校园卡停用": batches["card_deactivation"].map(_day),
        "学生": batches["students"], "全部办结": batches["cleared"],
        "状态": ["进行中" if pd.isna(c) else f"已关闭（{pd.Timestamp(c):%Y-%m-%d}）" for c in batches["closed_at"]],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("已关闭的批次只读：不能再办理、导入或修改，数据保留在看板上供对比。")


def _show_new_batch() -> None:
    st.caption("日期以通知为准，如 2018 年 6 月批次：集中办理 06-25 至 07-02，证书发放 06-29 下午至 07-02，"
               "校园卡 07-10 停用。新建后在“名单导入”页面导入该批次的学生名单。")
    batch_id, dates, submitted = _dates_form("new_batch", None)
    if submitted:
        try:
            create_batch(store(), actor, batch_id, dates)
        except BatchError as exc:
            _refused(exc.errors)
        else:
            flash("success", f"已新建批次 {batch_id.strip()}：{dates.title.strip()}")
            st.rerun()


def _show_edit_batch(open_batches: pd.DataFrame) -> None:
    if open_batches.empty:
        st.info("没有进行中的批次。")
        return
    titles = dict(zip(open_batches["batch_id"], open_batches["title"]))
    chosen = st.selectbox("要修改的批次", list(titles), format_func=titles.get, key="edit_batch_id")
    row = open_batches.set_index("batch_id").loc[chosen].to_dict()
    _, dates, submitted = _dates_form(f"edit_batch_{chosen}", row)
    if submitted:
        try:
            changes = update_batch(store(), actor, chosen, dates)
        except BatchError as exc:
            _refused(exc.errors)
        else:
            flash("success", ["已保存：", *changes] if changes else "没有改动")
            st.rerun()


def _show_close_batch(open_batches: pd.DataFrame) -> None:
    if open_batches.empty:
        st.info("没有进行中的批次。")
        return
    titles = dict(zip(open_batches["batch_id"], open_batches["title"]))
    chosen = st.selectbox("要关闭的批次", list(titles), format_func=titles.get, key="close_batch_id")
    row = open_batches.set_index("batch_id").loc[chosen]
    left = int(row["students"]) - int(row["cleared"])
    st.warning(f"关闭后，{titles[chosen]}的 {int(row['students']):,} 名学生将不能再办理任何环节"
               f"（其中 {left:,} 人尚未全部办结），也不能再向该批次导入名单。此操作不能撤销。")
    sure = st.checkbox("我已确认该批次的离校工作已经结束", key=f"close_sure_{chosen}")
    if st.button("关闭批次", type="primary", disabled=not sure, key=f"close_{chosen}"):
        try:
            close_batch(store(), actor, chosen)
        except BatchError as exc:
            _refused(exc.errors)
        else:
            flash("success", f"已关闭批次：{titles[chosen]}")
            st.rerun()


def _show_batches() -> None:
    batches = read("batch_overview")
    _show_batch_list(batches)
    open_batches = batches[batches["closed_at"].isna()]
    new, edit, close, history = st.tabs(["新建批次", "修改批次", "关闭批次", "变更记录"])
    with new:
        _show_new_batch()
    with edit:
        _show_edit_batch(open_batches)
    with close:
        _show_close_batch(open_batches)
    with history:
        changes = read("batch_changes")
        st.dataframe(pd.DataFrame({
            "时间": changes["changed_at"].map(lambda t: f"{pd.Timestamp(t):%Y-%m-%d %H:%M}"),
            "批次": changes["batch_id"],
            "操作": changes["action"].map({"create": "新建", "edit": "修改", "close": "关闭"}),
            "内容": changes["detail"], "操作人": changes["actor"]}), hide_index=True, width="stretch")


# -- backups -----------------------------------------------------------------------------------
def _take_backup() -> None:
    if current_actor() != actor:  # a callback runs before the page's own check
        return
    try:
        r = backup_store(store(), trigger="manual", actor=actor.username)
    except BackupError as exc:
        flash("error", f"备份失败：{exc}")
    else:
        flash("success", f"备份完成并已校验：{r.backup_id}（{r.events:,} 条办理记录，"
                         f"{r.bytes / 1e6:.1f} MB，写入暂停 {r.lock_ms} 毫秒）")


def _show_backups() -> None:
    backups = read("backup_list")
    kept = backups[backups["pruned_at"].isna()]
    root = config.backup_root(store().path)
    m = st.columns(3)
    last = kept["started_at"].iloc[0] if len(kept) else None
    m[0].metric("最近一次备份", "无" if last is None else f"{pd.Timestamp(last):%m-%d %H:%M}")
    m[1].metric("保留份数", f"{len(kept)} / {config.keep}")
    m[2].metric("每日自动备份", "未开启" if config.daily_at is None else f"{config.daily_at:%H:%M}")
    st.caption(f"备份目录：{root}。备份在应用运行时进行：写入暂停约几十毫秒，办理不受影响；"
               "每份备份都已打开校验（所有表可读，环节状态与办理记录一致）。")
    st.button("立即备份", type="primary", icon=":material/backup:", on_click=_take_backup)
    st.dataframe(pd.DataFrame({
        "备份编号": backups["backup_id"],
        "时间": backups["started_at"].map(lambda t: f"{pd.Timestamp(t):%Y-%m-%d %H:%M:%S}"),
        "方式": backups["trigger"].map(lambda t: TRIGGERS.get(t, t)), "操作人": backups["actor"],
        "办理记录": backups["events"], "大小（MB）": (backups["bytes"] / 1e6).round(1),
        "写入暂停（毫秒）": backups["lock_ms"],
        "状态": ["已校验" if p is None or pd.isna(p) else "已按保留份数清理" for p in backups["pruned_at"]],
    }), hide_index=True, width="stretch")
    st.markdown("**恢复演练**（在服务器上执行；恢复只写入新文件，不会覆盖正在使用的库）：")
    st.code("python -m clearance.backup list\n"
            "python -m clearance.backup restore <备份编号> data/restored.duckdb", language="bash")


# -- status ------------------------------------------------------------------------------------
CHECK_NAMES = {"file": "数据库文件", "query": "查询", "writes": "写入", "disk": "磁盘空间"}


def _show_status() -> None:
    s = store()
    result = readiness(s, config)
    if result.ready:
        st.success("运行正常：数据库可读可写。", icon=":material/check_circle:")
    else:
        st.error("运行异常：见下表。", icon=":material/error:")
    st.dataframe(pd.DataFrame({"检查项": [CHECK_NAMES.get(k, k) for k in result.checks],
                               "结果": ["正常" if v == "ok" else v for v in result.checks.values()]}),
                 hide_index=True, width="stretch")
    version = s.read_value("SELECT max(version) FROM schema_migrations")
    size = s.path.stat().st_size / 1e6 if s.path.exists() else 0
    st.caption(f"数据库文件：{s.path}（{size:.1f} MB，结构版本 {version}）；"
               f"检查时间：{beijing_now():%Y-%m-%d %H:%M:%S}")


batches_tab, backups_tab, status_tab = st.tabs(["离校批次", "数据备份", "运行状态"])
with batches_tab:
    _show_batches()
with backups_tab:
    _show_backups()
with status_tab:
    _show_status()
