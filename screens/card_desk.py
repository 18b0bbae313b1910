"""刷卡办理: a student taps a campus card and the desk sees them at once.

The card comes from the reader on this server (polled here), from a desk agent on the desk's own
PC (its scans arrive through /api/desk/scans and are picked up here), or is typed: a 学号, a
printed card number, or what a keyboard-wedge reader types. The panel shows the student's every
stage and lets the desk mark its own stage with one confirmed click.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clearance.store.cards import (CardError, bind_card, load_card_config, looks_like_student_no,
                                  may_bind_cards, resolve_entry, student_for_uid)
from clearance.rules.catalogue import DONE_STATES
from clearance.store.db import get_catalogue
from clearance.store.desk_tokens import Desk, active_desks, home_desk
from clearance.rules.marking import advised_first, missing_prerequisites
from clearance.clock import beijing_now
from cardreader.reader import NO_READER, PCSCD_DOWN, CardPoller, ReaderFailure, list_readers
from ui.auth import current_actor, require_actor
from ui.desk_keys import desk_keys
from ui.data import read, store
from ui.marking_pages import (desk_stages, evidence_inputs, evidence_state, load_card_student,
                              mark_at_desk)
from ui.text import plain

actor = require_actor("admin", "office")

LOCAL = "local"
MANUAL = "manual"
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
    """The school-wide stages this actor marks (card desks are the offices')."""
    return [s.stage_id for s in desk_stages(actor) if s.scope == "school"]


def _server_reader_status() -> tuple[list[str], str]:
    """The readers pcscd on this server sees, and why there are none ("" when there are).
    Asked once per session: on a real deployment the server has no reader at all."""
    if "card_server_readers" not in state:
        try:
            state["card_server_readers"] = (list_readers(), "")
        except ReaderFailure as exc:
            state["card_server_readers"] = ([], exc.kind)
    return state["card_server_readers"]


def _default_source(desks: list[Desk], options: list[str]) -> str:
    """The desk this window's bookmark names (?desk=…, kept when staff choose one: each window
    PC opens on its own desk and campus); else this server's reader when it has one; else the
    desk of the staff member's own campus and stage (clearance.store.desk_tokens.home_desk);
    else manual entry."""
    bookmarked = st.query_params.get("desk")
    if bookmarked in options:
        return bookmarked
    readers, _why = _server_reader_status()
    if readers:
        return LOCAL
    home = home_desk(actor, desks)
    return home.desk_id if home else MANUAL


def _desk_label(desk: Desk) -> str:
    """A desk as staff know it: its name, with its campus unless the name says it already."""
    where = f"（{desk.campus}）" if desk.campus and desk.campus not in desk.name else ""
    return f"工作台：{desk.name}{where}"


def _remember_source() -> None:
    st.query_params["desk"] = state["card_source"]


def _choose_source() -> tuple[str | Desk, str | None]:
    """Where cards come from (manual entry, a desk agent or this server's reader), and the
    stage this desk marks."""
    mine = {s.stage_id for s in desk_stages(actor)}
    desks = [d for d in active_desks(store()) if d.stage_id in mine]
    options = [MANUAL] + [d.desk_id for d in desks] + [LOCAL]
    by_id = {d.desk_id: d for d in desks}
    if state.get("card_source") not in options:
        state["card_source"] = _default_source(desks, options)
    labels = {MANUAL: "手工输入 / 键盘式读卡器", LOCAL: "本服务器上的读卡器"}
    c1, c2 = st.columns(2)
    chosen = c1.selectbox(
        "读卡方式", options, key="card_source",
        format_func=lambda o: labels.get(o) or _desk_label(by_id[o]), on_change=_remember_source,
        help="读卡器插在办理窗口的电脑上时，请选择该窗口的工作台；本页地址会记住所选工作台，可存为书签。")
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
    st.caption(f"正在等待工作台“{desk.name}”的刷卡……")


# -- the panel ----------------------------------------------------------------------------
def _show_unknown(current: dict) -> None:
    uid = current["uid"]
    if not uid:
        typed = current["text"]
        what = f"学号 {plain(typed)} 不在离校学生名单中" if looks_like_student_no(store(), typed) \
            else f"没有找到学号或卡号“{plain(typed)}”"
        st.error(f"{what}，请核对后重新输入", icon=":material/person_off:")
        return
    # Show the card as it reached the desk: the reader's UID for a tap, the typed digits for a
    # keyboard-wedge reader (the UID it converts to is only for whoever binds the card).
    seen = f"卡UID {uid}" if not current["text"] else f"读卡器输入 {current['text']}，卡UID {uid}"
    st.error(f"未登记的校园卡（{plain(seen)}）。请让学生报学号后手工查找，或由系统管理员绑定此卡。",
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


def _show_mark_button(student_no: str, name: str, clearance_type: str, stages: pd.DataFrame,
                      stage_id: str) -> None:
    """This desk's stage for the student on screen: its evidence inputs and one pass button.
    Whether the pass is allowed (prerequisites, the card balance settled, required ticks) is
    the domain's answer, shown as it gives it."""
    stage = catalogue.stage(stage_id)
    row = stages[stages["stage_id"] == stage_id].iloc[0]
    current = state["card_current"]
    if current.get("marked") == stage_id:
        st.success(f"已办理：{plain(name)}（{plain(student_no)}）的“{stage.name}”已记为通过。", icon=":material/check:")
        return
    if row["state"] in DONE_STATES:
        st.info(f"“{stage.name}”环节此前已办结，无需再次办理。")
        return
    missing = missing_prerequisites(stage, dict(zip(stages["stage_id"], stages["state"])))
    if missing:
        names = stages.set_index("stage_id").loc[missing, "stage_name"]
        st.warning(f"“{stage.name}”须在以下环节办结后办理：{'、'.join(names)}")
        return
    advised = advised_first(stage, dict(zip(stages["stage_id"], stages["state"])))
    if advised:
        names = stages.set_index("stage_id").loc[advised, "stage_name"]
        st.info(f"建议先办完：{'、'.join(names)}。{stage.note}", icon=":material/lightbulb:")
    key = f"card_evidence_{student_no}_{stage_id}_{current['at']}"
    evidence_inputs(stage, clearance_type, key)
    if st.button(f"确认 {name} 的“{stage.name}”已办理", type="primary",
                 key=f"mark_{student_no}_{stage_id}_{current['at']}", icon=":material/check_circle:"):
        if current_actor() != actor:
            st.rerun()  # the account was signed out or disabled while the desk stood open
        ok, kind, lines = mark_at_desk(actor, student_no, stage, "pass", None, name, None,
                                       evidence_state(stage, key), source="card")
        if not ok:
            st.error("\n\n".join(lines))
        else:
            current["marked"] = stage_id
            state["card_focus"] = "entry"  # ready for the next card
            st.rerun(scope="fragment")


def _show_panel(stage_id: str | None) -> None:
    current = state.get("card_current")
    if current is None:
        st.info("请在上方输入学号或卡号，或用键盘式读卡器刷卡。" if source == MANUAL
                else "等待刷卡。也可以在上方输入学号或卡号查找。", icon=":material/contactless:")
        return
    if not current["student_no"]:
        _show_unknown(current)
        return
    view = load_card_student(read, current["student_no"])
    if view is None:
        st.error(f"校园卡绑定的学号 {plain(current['student_no'])} 不在离校学生名单中。")
        return
    with st.container(border=True):
        st.markdown(f"## {plain(view.name)}　{plain(view.student_no)}")
        st.markdown(f"{view.details}　　{current['how']} {current['at']}")
        if view.card_line:
            st.markdown(view.card_line)
        if not view.open_lines:
            st.success("全部环节已办结 ✓", icon=":material/verified:")
        else:
            st.warning(f"还有 {len(view.open_lines)} 个环节未办结，请到：\n" + "\n".join(view.open_lines),
                       icon=":material/pending:")
        if stage_id:
            _show_mark_button(view.student_no, view.name, view.clearance_type, view.stages, stage_id)
        st.dataframe(view.table, hide_index=True, width="stretch", height=460)


# -- the page -----------------------------------------------------------------------------
st.title("刷卡办理")
source, desk_stage = _choose_source()

ENTRY_LABEL = "学号 / 卡号（手工输入，或用键盘式读卡器刷卡后回车）"
ENTRY_BOX = f'input[aria-label="{ENTRY_LABEL}"]'


def _manual_entry() -> None:
    """The entry box, inside the polled part of the page: a lookup reruns only that part. Sent
    from outside it, a lookup reran the whole page, and after such a run the browser stopped
    asking for the reader's redraws (Streamlit 1.67: its timer was cleared and not set again),
    so a card tapped after a typed lookup was never seen."""
    with st.form("manual_entry", clear_on_submit=True, border=False):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        typed = c1.text_input(ENTRY_LABEL, key="card_typed", placeholder="例如 2015010123")
        submitted = c2.form_submit_button("查找", icon=":material/search:")
    if submitted and typed.strip():
        if current_actor() != actor:
            st.rerun()  # signed out, expired or disabled since the page was drawn: the whole page
        found = resolve_entry(store(), typed, config.wedge)
        _show_student(found.student_no, found.uid, f"输入{found.how}" if found.student_no else "输入",
                      typed.strip())
        state["card_focus"] = "mark" if found.student_no else "entry"


page_run = {"first": True,  # a new dict on every whole-page run; fragment reruns share it
            "entered": state.pop("page_entered", False)}  # app.py: this page was just opened


# Only a reader or a desk is polled; manual entry reruns on its own form, not on a timer.
@st.fragment(run_every=None if source == MANUAL else config.poll_seconds)
def desk() -> None:
    _manual_entry()
    if source == LOCAL:
        _poll_local_reader()
        page_run["first"] = False
    elif source != MANUAL:
        _poll_desk(source)
    _show_panel(desk_stage)
    if state["card_log"]:
        st.subheader("本次刷卡记录")
        st.dataframe(pd.DataFrame(state["card_log"]), hide_index=True, width="stretch")
    # A scan goes to the entry box whatever has the focus; after a lookup the focus waits on
    # the confirm button (ui.desk_keys).
    # The focus moves only after something the desk did (the page opened, an entry looked up, a
    # pass recorded): a redraw after a tick leaves it where the clerk has gone since. Each such
    # move is a numbered request that every redraw carries until the browser has applied it.
    current = state.get("card_current")
    found = bool(current and current.get("student_no") and not current.get("marked"))
    wanted = state.pop("card_focus", "entry" if page_run["entered"] else None)
    page_run["entered"] = False
    if wanted:
        state["card_focus_request"] = (state.get("card_focus_request", (0, None))[0] + 1, wanted)
    request, wanted = state.get("card_focus_request", (0, None))
    target = {"mark": '[class*="st-key-mark_"] button' if found else ENTRY_BOX,
              "entry": ENTRY_BOX}.get(wanted)
    desk_keys(ENTRY_BOX, '[class*="st-key-mark_"]', target, request=request)


desk()
