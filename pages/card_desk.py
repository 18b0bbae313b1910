"""刷卡办理: a student taps a campus card and the desk sees them at once.

The card comes from the reader on this server (polled here), from a desk agent on the desk's own
PC (its scans arrive through /api/desk/scans and are picked up here), or is typed: a 学号, a
printed card number, or what a keyboard-wedge reader types. The panel shows the student's every
stage and lets the desk mark its own stage with one confirmed click.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clearance.store.cards import (CardError, bind_card, load_card_config, may_bind_cards, resolve_entry,
                             student_for_uid)
from clearance.rules.catalogue import DONE_STATES
from clearance.store.db import get_catalogue
from clearance.store.desk_tokens import Desk, active_desks
from clearance.store.marks import MarkError, mark
from clearance.clock import beijing_now
from cardreader.reader import NO_READER, PCSCD_DOWN, CardPoller, ReaderFailure, list_readers
from ui.auth import require_actor
from ui.data import read, store

actor = require_actor("admin", "office")

LOCAL = "local"
MANUAL = "manual"
BALANCE_STAGE = "card_center"  # its rule (config/stages.toml): 一卡通余额已结算
LOG_ROWS = 200
config = load_card_config()
catalogue = get_catalogue(store())
state = st.session_state
state.setdefault("card_log", [])


# -- what happened at the desk ------------------------------------------------------------
def _show_student(student_no: str | None, uid: str | None, how: str, text: str = "") -> None:
    """A tap or an entry: it becomes the panel and a line of the scan log."""
    name = ""
    if student_no:
        profile = read("student_profile", student_no=student_no)
        name = profile.iloc[0]["name"] if not profile.empty else ""
    state["card_current"] = {"student_no": student_no, "uid": uid, "how": how, "text": text,
                             "at": beijing_now().strftime("%H:%M:%S"), "marked": None}
    state["card_log"] = ([{"时间": state["card_current"]["at"], "方式": how,
                           "卡UID/输入": text or uid, "学号": student_no or "",
                           "姓名": name, "结果": "已找到" if student_no else "未找到"}]
                         + state["card_log"])[:LOG_ROWS]


def _desk_stage_choices() -> list[str]:
    if actor.role == "admin":
        return [s.stage_id for s in catalogue.stages if s.scope == "school"]
    return [s.stage_id for s in catalogue.stages if s.stage_id in actor.stages]


def _server_reader_status() -> tuple[list[str], str]:
    """The readers pcscd on this server sees, and why there are none ("" when there are).
    Asked once per session: on a real deployment the server has no reader at all."""
    if "card_server_readers" not in state:
        try:
            state["card_server_readers"] = (list_readers(), "")
        except ReaderFailure as exc:
            state["card_server_readers"] = ([], exc.kind)
    return state["card_server_readers"]


def _default_source(desks: list[Desk]) -> str:
    """This server's reader when it has one; else the actor's only desk; else manual entry."""
    readers, _why = _server_reader_status()
    if readers:
        return LOCAL
    return desks[0].desk_id if len(desks) == 1 else MANUAL


def _choose_source() -> tuple[str | Desk, str | None]:
    """Where cards come from (manual entry, a desk agent or this server's reader), and the
    stage this desk marks."""
    desks = [d for d in active_desks(store())
             if actor.role == "admin" or d.stage_id in actor.stages]
    options = [MANUAL] + [d.desk_id for d in desks] + [LOCAL]
    by_id = {d.desk_id: d for d in desks}
    if state.get("card_source") not in options:
        state["card_source"] = _default_source(desks)
    labels = {MANUAL: "手工输入 / 键盘式读卡器", LOCAL: "本服务器上的读卡器"}
    c1, c2 = st.columns(2)
    chosen = c1.selectbox(
        "读卡方式", options, key="card_source",
        format_func=lambda o: labels.get(o) or f"工作台：{by_id[o].name}",
        help="读卡器插在办理窗口的电脑上时，请在该电脑上运行工作台程序并选择对应的工作台。")
    readers, why = _server_reader_status()
    if not readers and chosen != LOCAL:
        st.info(("本服务器的读卡服务未运行" if why == PCSCD_DOWN else "本服务器未连接读卡器")
                + "，手工输入学号或卡号即可办理；读卡器插在窗口电脑上时，请选择对应的工作台。",
                icon=":material/info:")
    stages = _desk_stage_choices()
    if chosen in by_id:
        c2.text_input("本台办理环节", catalogue.stage(by_id[chosen].stage_id).name, disabled=True)
        return by_id[chosen], by_id[chosen].stage_id
    if not stages:
        c2.caption("您的账号没有可在此办理的环节，只能查询。")
        return chosen, None
    default = "card_center" if "card_center" in stages else stages[0]
    stage = c2.selectbox("本台办理环节", stages, index=stages.index(default), key="card_stage",
                         format_func=lambda s: catalogue.stage(s).name)
    return chosen, stage


# -- where taps come from -----------------------------------------------------------------
def _poll_local_reader() -> None:
    # The error of this run only: the fragment redraws it every poll, so a read that succeeds
    # after pcscd came back leaves no stale red banner next to the student.
    try:
        readers = list_readers()
    except ReaderFailure as exc:
        state.pop("card_poller", None)
        st.error(str(exc), icon=":material/error:")
        return
    state["card_server_readers"] = (readers, "" if readers else NO_READER)
    if not readers:
        st.warning("未检测到读卡器。请检查读卡器的 USB 连接；在此期间可在上方手工输入学号办理。",
                   icon=":material/usb_off:")
        return
    prefer = state.get("card_reader") or config.reader_prefer
    default = next((i for i, r in enumerate(readers) if prefer and prefer.lower() in r.lower()), 0)
    reader = st.selectbox(f"读卡器（检测到 {len(readers)} 个）", readers, index=default,
                          key="card_reader")
    poller = state.get("card_poller")
    if poller is None or poller.prefer != reader:
        poller = state["card_poller"] = CardPoller(reader)
    try:
        # The whole page's run only looks (no wait), so the page shows at once when it opens;
        # the fragment's own reruns wait a little for a card, to see it sooner.
        tap = poller.poll(timeout=0 if page_run["first"] else min(0.35, config.poll_seconds))
    except ReaderFailure as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if tap:
        _show_student(student_for_uid(store(), tap.uid), tap.uid, "刷卡")
    st.caption(f"正在使用读卡器“{reader}”，请将校园卡放到读卡器上……")


def _poll_desk(desk: Desk) -> None:
    key = f"card_desk_seen_{desk.desk_id}"
    if key not in state:  # start from now: earlier scans of this desk are not replayed
        state[key] = int(read("desk_last_scan_id", desk_id=desk.desk_id).iat[0, 0])
    for scan in read("desk_scans_after", desk_id=desk.desk_id, after=state[key]).itertuples():
        _show_student(None if pd.isna(scan.student_no) else scan.student_no, scan.uid, "工作台刷卡")
        state[key] = int(scan.scan_id)
    st.caption(f"正在等待工作台“{desk.name}”的刷卡（工作台程序：python -m cardreader.agent）……")


# -- the panel ----------------------------------------------------------------------------
def _show_unknown(current: dict) -> None:
    uid = current["uid"]
    if not uid:
        st.error(f"没有找到学号或卡号“{current['text']}”，请核对后重新输入",
                 icon=":material/person_off:")
        return
    # Show the card as it reached the desk: the reader's UID for a tap, the typed digits for a
    # keyboard-wedge reader (the UID it converts to is only for whoever binds the card).
    seen = f"卡UID {uid}" if not current["text"] else f"读卡器输入 {current['text']}，卡UID {uid}"
    st.error(f"未登记的校园卡（{seen}）。请让学生报学号后手工查找，或由系统管理员绑定此卡。",
             icon=":material/credit_card_off:")
    if may_bind_cards(actor):
        with st.form(f"bind_{uid}"):
            student_no = st.text_input("把这张卡绑定到学号", key=f"bind_no_{uid}")
            if st.form_submit_button("绑定此卡"):
                try:
                    bind_card(store(), actor, uid, student_no)
                except CardError as exc:
                    st.error(str(exc))
                else:
                    _show_student(student_no.strip(), uid, "绑定后")
                    st.rerun(scope="fragment")


def _unsettled_balance(student_no: str) -> float | None:
    """The card's balance from the card centre's export when above zero (else None)."""
    cards = read("student_card", student_no=student_no)
    if cards.empty or pd.isna(cards.iloc[0]["balance"]) or float(cards.iloc[0]["balance"]) <= 0:
        return None
    return float(cards.iloc[0]["balance"])


def _show_mark_button(student_no: str, name: str, stages: pd.DataFrame, stage_id: str) -> None:
    stage = catalogue.stage(stage_id)
    row = stages[stages["stage_id"] == stage_id].iloc[0]
    current = state["card_current"]
    if current.get("marked") == stage_id:
        st.success(f"已办理：{name}（{student_no}）的“{stage.name}”已记为通过。", icon=":material/check:")
        return
    if row["state"] in DONE_STATES:
        st.info(f"“{stage.name}”环节此前已办结，无需再次办理。")
        return
    open_prereqs = stages[stages["stage_id"].isin(stage.prerequisites)
                          & ~stages["state"].isin(DONE_STATES)]
    if not open_prereqs.empty:
        st.warning(f"“{stage.name}”须在以下环节办结后办理：{'、'.join(open_prereqs['stage_name'])}")
        return
    balance = _unsettled_balance(student_no) if stage_id == BALANCE_STAGE else None
    note = None
    settled = True
    if balance is not None:
        # The stage's rule is "balance settled": the card centre's export says it is not yet.
        st.warning(f"卡内余额 {balance:.2f} 元尚未结算，请先为学生办理退款/结算",
                   icon=":material/account_balance_wallet:")
        settled = st.checkbox(f"已结算余额（{balance:.2f} 元已退还或结清）",
                              key=f"settled_{student_no}_{current['at']}")
        note = f"刷卡办理时卡内余额 {balance:.2f} 元，已结算"
    label = f"确认 {name} 的“{stage.name}”已办理" + ("（余额已结算）" if balance is not None else "")
    if st.button(label, type="primary", disabled=not settled,
                 key=f"mark_{student_no}_{stage_id}_{current['at']}", icon=":material/check_circle:"):
        try:
            mark(store(), actor, student_no, stage_id, "pass", note=note, source="card")
        except MarkError as exc:
            st.error(str(exc))
        else:
            current["marked"] = stage_id
            st.rerun(scope="fragment")


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _show_panel(stage_id: str | None) -> None:
    current = state.get("card_current")
    if current is None:
        st.info("请在上方输入学号或卡号，或用键盘式读卡器刷卡。" if source == MANUAL
                else "等待刷卡。也可以在上方输入学号或卡号查找。", icon=":material/contactless:")
        return
    if not current["student_no"]:
        _show_unknown(current)
        return
    no = current["student_no"]
    profile = read("student_profile", student_no=no)
    if profile.empty:
        st.error(f"校园卡绑定的学号 {no} 不在离校学生名单中。")
        return
    p = profile.iloc[0]
    stages = read("student_stages", student_no=no)
    done = stages["state"].isin(DONE_STATES)
    with st.container(border=True):
        st.markdown(f"## {p['name']}　`{no}`")
        st.markdown(f"**{p['college']}** · {p['level']} · {p['clearance_type']} · {p['campus']}"
                    f"　　{current['how']} {current['at']}")
        cards = read("student_card", student_no=no)
        if not cards.empty and not pd.isna(cards.iloc[0]["balance"]):
            st.markdown(f"校园卡 {cards.iloc[0]['card_no'] or cards.iloc[0]['uid']}，"
                        f"卡内余额 **{cards.iloc[0]['balance']:.2f} 元**")
        if done.all():
            st.success("全部环节已办结 ✓", icon=":material/verified:")
        else:
            lines = [f"- **{r.stage_name}**：{_text(r.room) or '—'}"
                     + (f"，电话 {_text(r.phone)}" if _text(r.phone) else "")
                     + (f"（{_text(r.reason)}）" if _text(r.reason) else "")
                     for r in stages[~done].itertuples()]
            st.warning(f"还有 {int((~done).sum())} 个环节未办结，请到：\n" + "\n".join(lines),
                       icon=":material/pending:")
        if stage_id:
            _show_mark_button(no, p["name"], stages, stage_id)
        table = pd.DataFrame({
            "": ["✓" if d else "×" for d in done],
            "环节": stages["stage_name"],
            "状态": stages["state"].map({"passed": "已办理", "not_needed": "无需办理",
                                       "open": "未办理", "rejected": "不通过"}),
            "说明": stages["reason"].fillna(""),
            "办理地点": stages["room"].fillna(""),
            "电话": stages["phone"].fillna(""),
        })
        st.dataframe(table, hide_index=True, width="stretch", height=460)


# -- the page -----------------------------------------------------------------------------
st.title("刷卡办理")
source, desk_stage = _choose_source()

with st.form("manual_entry", clear_on_submit=True, border=False):
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    typed = c1.text_input("学号 / 卡号（手工输入，或用键盘式读卡器刷卡后回车）", key="card_typed",
                          placeholder="例如 2015010123")
    if c2.form_submit_button("查找", icon=":material/search:") and typed.strip():
        found = resolve_entry(store(), typed, config.wedge)
        _show_student(found.student_no, found.uid, f"输入{found.how}" if found.student_no else "输入",
                      typed.strip())


page_run = {"first": True}  # a new dict on every whole-page run; fragment reruns share it


# Only a reader or a desk is polled; manual entry reruns on its own form, not on a timer.
@st.fragment(run_every=None if source == MANUAL else config.poll_seconds)
def desk() -> None:
    if source == LOCAL:
        _poll_local_reader()
        page_run["first"] = False
    elif source != MANUAL:
        _poll_desk(source)
    _show_panel(desk_stage)
    if state["card_log"]:
        st.subheader("本次刷卡记录")
        st.dataframe(pd.DataFrame(state["card_log"]), hide_index=True, width="stretch")


desk()
