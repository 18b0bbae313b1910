"""校园卡与工作台 (admin): the card centre's export, and the desks' tokens.

A desk token is shown once, when issued; the store keeps only its hash. Revoking a desk stops
its agent at the next request.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clearance.store.cards import load_card_config
from clearance.store.db import get_catalogue
from clearance.store.desk_tokens import DeskError, issue_desk, revoke_desk
from loaders.cards import import_cards, template_xlsx
from loaders.sheets import ImportRejected
from ui.auth import require_actor
from ui.downloads import download_link
from ui.data import read, store
from ui.text import plain

actor = require_actor("admin")

catalogue = get_catalogue(store())
config = load_card_config()


def _show_cards() -> None:
    st.subheader("校园卡数据（一卡通中心导出）")
    summary = read("card_binding_summary").iloc[0]
    last = summary["last_import"]
    st.caption(f"已登记 {int(summary['cards']):,} 张校园卡，涉及 {int(summary['students']):,} 名学生"
               f"（其中刷卡绑定 {int(summary['bound_by_tap'])} 张）。"
               f"最近导入：{'无' if pd.isna(last) else f'{last:%Y-%m-%d %H:%M}'}")
    st.caption(f"导出文件中卡UID的写法（config/cards.toml [export]）："
               f"{'十进制' if config.export.uid_format == 'decimal' else '十六进制'}，"
               f"{'与读卡器字节顺序相同' if config.export.byte_order == 'reader' else '与读卡器字节顺序相反'}。"
               "列：学号、卡号、卡UID、余额（卡号、余额可空）。任何一行有误则整个文件不导入。")
    download_link(actor, "下载导入模板", template_xlsx, "校园卡导入模板.xlsx", "cards_template")
    upload = st.file_uploader("上传一卡通导出（CSV 或 XLSX）", type=["csv", "xlsx", "xls"], key="cards_file")
    if upload is not None and st.button("导入校园卡", type="primary"):
        try:
            result = import_cards(store(), upload.getvalue(), upload.name, actor.username)
        except ImportRejected as exc:
            st.error(f"导入失败，未做任何修改（共 {len(exc.errors)} 处错误）：\n\n"
                     + "\n".join(f"- {plain(e)}" for e in exc.errors[:50]))
        else:
            st.success(f"导入成功：{result.rows} 张校园卡，新增 {result.inserted}，更新 {result.updated}")
            for note in result.notes:
                st.info(note)


def _show_new_desk() -> None:
    school_stages = [s.stage_id for s in catalogue.stages if s.scope == "school"]
    with st.form("new_desk", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input("工作台名称", placeholder="例如 一卡通中心 A区 1号窗口")
        stage = c2.selectbox("办理环节", school_stages, format_func=lambda s: catalogue.stage(s).name,
                             index=school_stages.index("card_center"))
        campus = c1.selectbox("所在校区（该校区的工作人员打开“刷卡办理”时默认使用本工作台）",
                              [None, *catalogue.campuses], format_func=lambda c: c or "—（不指定）")
        submitted = st.form_submit_button("新建工作台并生成接入密码", type="primary")
    if submitted:
        try:
            desk, token = issue_desk(store(), actor, name, stage, campus)
        except DeskError as exc:
            st.error(str(exc))
        else:
            st.session_state["new_desk_token"] = (desk.name, token)
            st.rerun()  # so the list above shows the new desk
    issued = st.session_state.pop("new_desk_token", None)
    if issued:
        st.success(f"已创建工作台“{plain(issued[0])}”。接入密码只显示这一次，请立即复制到该工作台电脑上：")
        st.code(issued[1], language=None)
        st.caption("在工作台电脑上设置环境变量 CLEARANCE_DESK_TOKEN 为上面的接入密码，然后运行"
                   "（服务器地址按实际填写；先用 --once 刷一张卡检查安装）：")
        st.code("python -m cardreader.agent --server https://离校通服务器地址 --once\n"
                "python -m cardreader.agent --server https://离校通服务器地址", language="bash")


def _show_desks() -> None:
    st.subheader("刷卡工作台")
    st.caption("读卡器插在办理窗口的电脑上时，该电脑运行工作台程序，用接入密码把刷卡发送到本系统；"
               "在“刷卡办理”页选择该工作台即可看到刷卡的学生。")
    desks = read("desk_list")
    if desks.empty:
        st.info("还没有工作台。")
    else:
        st.dataframe(pd.DataFrame({
            "名称": desks["name"], "环节": desks["stage_name"], "校区": desks["campus"].fillna(""),
            "状态": desks["revoked_at"].map(lambda t: "有效" if pd.isna(t) else "已吊销"),
            "创建": desks["created_by"] + " " + desks["created_at"].dt.strftime("%m-%d %H:%M"),
            "最近刷卡": desks["last_seen_at"].dt.strftime("%m-%d %H:%M:%S").fillna(""),
            "刷卡次数": desks["scans"],
        }), hide_index=True, width="stretch")
        active = desks[desks["revoked_at"].isna()]
        if not active.empty:
            c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
            chosen = c1.selectbox("吊销工作台接入密码", list(active["desk_id"]), key="revoke_desk",
                                  format_func=lambda d: active.set_index("desk_id").loc[d, "name"])
            if c2.button("吊销", icon=":material/block:"):
                revoke_desk(store(), actor, chosen)
                st.rerun()
    _show_new_desk()


st.title("校园卡与工作台")
_show_desks()
st.divider()
_show_cards()
