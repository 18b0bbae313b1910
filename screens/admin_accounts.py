"""账号管理 (admin only): staff accounts instead of the paper 工作人员变更申请表 — add, change
stages and college, disable, reset a password, import a staff list, and every change kept."""

import pandas as pd
import streamlit as st

from clearance.store.accounts import (AccountError, create_account, reset_password, set_active,
                                update_account)
from clearance.rules.actors import ROLES
from clearance.store.db import get_colleges
from loaders import staff as staff_loader
from loaders.sheets import ImportRejected
from ui.auth import require_actor
from ui.downloads import download_link
from ui.data import read, store
from ui.marking_pages import catalogue, flash, show_flash
from ui.text import plain

admin = require_actor("admin")
st.title("账号管理")
show_flash()


def _attempt(change, done: str) -> None:
    """Run one account change; a refusal is shown in Chinese, success is flashed after a rerun."""
    try:
        change()
    except AccountError as exc:
        st.error(plain(exc))
    else:
        flash("success", done)
        st.rerun()


ROLE_CODES = [r for r in ROLES if r != "system"]
CHANGES = {"created": "新增", "updated": "修改", "disabled": "停用", "enabled": "启用",
           "password_reset": "重置密码", "password_changed": "本人修改密码", "locked": "锁定"}
stage_names = {s.stage_id: s.name for s in catalogue().stages}
colleges = get_colleges(store()).names  # the known list (config/colleges.toml), as the domain checks
CAMPUSES = [None, *catalogue().campuses]  # config/stages.toml [campuses]
CAMPUS_LABEL = "校区（刷卡办理默认打开本校区的工作台）"
accounts = read("staff_list")


def _status(row) -> str:
    if not row["active"]:
        return "已停用"
    if row.get("must_change_password"):
        return "待本人修改密码"
    return "正常"


listing, add, edit, bulk, history = st.tabs(["账号列表", "新增账号", "修改账号", "批量导入", "变更记录"])

with listing:
    st.dataframe(pd.DataFrame({
        "用户名": accounts["username"], "姓名": accounts["display_name"],
        "角色": accounts["role"].map(ROLES), "学院": accounts["college"].fillna(""),
        "校区": accounts["campus"].fillna(""),
        "办理环节": accounts["stages"].map(lambda ids: "、".join(stage_names.get(i, i) for i in ids)),
        "状态": accounts.apply(_status, axis=1) if not accounts.empty else [],
    }), hide_index=True, width="stretch", height=500)

with add:
    with st.form("add_account", clear_on_submit=False):
        c1, c2 = st.columns(2)
        username = c1.text_input("用户名（工号；统一身份认证登录时即工号）")
        name = c2.text_input("姓名（显示用，如 图书馆 谭老师）")
        role = c1.selectbox("角色", ROLE_CODES, format_func=ROLES.get)
        college = c2.selectbox("学院（仅学院工作人员）", [None] + colleges, format_func=lambda c: c or "—")
        campus = c1.selectbox(CAMPUS_LABEL, CAMPUSES, format_func=lambda c: c or "—")
        stages = st.multiselect("办理环节（学院或部门工作人员）", list(stage_names), format_func=stage_names.get,
                                placeholder="选择办理环节")
        password = st.text_input("初始密码（至少 10 位，含字母、数字、符号中的两类；本人首次登录时须修改）", type="password")
        if st.form_submit_button("新增账号", type="primary"):
            _attempt(lambda: create_account(store(), username, name, role, password, college=college,
                                            stages=stages, by=admin.username, campus=campus),
                     f"已新增账号 {username}")

with edit:
    if accounts.empty:
        st.info("还没有账号")
    else:
        labels = dict(zip(accounts["username"], accounts["username"] + "　" + accounts["display_name"]))
        who = st.selectbox("选择账号", list(labels), format_func=labels.get, key="edit_who")
        acc = accounts.set_index("username").loc[who]
        with st.form(f"edit_{who}"):
            c1, c2 = st.columns(2)
            name = c1.text_input("姓名", value=acc["display_name"])
            role = c2.selectbox("角色", ROLE_CODES, index=ROLE_CODES.index(acc["role"]), format_func=ROLES.get)
            choices = [None] + colleges
            college = c1.selectbox("学院（仅学院工作人员）", choices, format_func=lambda c: c or "—",
                                   index=choices.index(acc["college"]) if acc["college"] in choices else 0)
            campus = c2.selectbox(CAMPUS_LABEL, CAMPUSES, format_func=lambda c: c or "—",
                                  index=CAMPUSES.index(acc["campus"]) if acc["campus"] in CAMPUSES else 0)
            stages = st.multiselect("办理环节", list(stage_names), default=list(acc["stages"]),
                                    format_func=stage_names.get, placeholder="选择办理环节")
            if st.form_submit_button("保存修改", type="primary"):
                _attempt(lambda: update_account(store(), who, display_name=name, role=role,
                                                college=college, stages=stages, by=admin.username,
                                                campus=campus),
                         f"已保存 {who} 的修改")
        c1, c2 = st.columns(2)
        with c1.form(f"reset_{who}", clear_on_submit=True):
            new_password = st.text_input("新密码（至少 10 位；本人下次登录时须修改）", type="password")
            if st.form_submit_button("重置密码"):
                _attempt(lambda: reset_password(store(), who, new_password, by=admin.username),
                         f"已重置 {who} 的密码，本人下次登录时须修改")
        with c2:
            active = bool(acc["active"])
            st.caption("停用后该账号立即无法登录和办理；办理记录保留。")
            if st.button("停用账号" if active else "启用账号", key=f"toggle_{who}"):
                _attempt(lambda: set_active(store(), who, not active, by=admin.username),
                         f"已{'停用' if active else '启用'} {who}")

with bulk:
    st.markdown(
        "上传工作人员名单（CSV 或 XLSX），列为：**用户名、姓名、角色、学院、办理环节、初始密码**，"
        "可选列 **校区**。\n"
        "- 用户名：填本人工号（启用学校统一身份认证后，本人用工号登录，即对应此账号）\n"
        "- 角色：系统管理员 / 研究生院 / 学院工作人员 / 部门工作人员\n"
        "- 学院：仅学院工作人员填写，须与离校学生名单中的学院名称一致\n"
        "- 办理环节：环节名称，多个用“、”分隔（如：导师、学院研究生教务秘书）；研究生院和管理员留空\n"
        f"- 校区（可选）：{'、'.join(catalogue().campuses)} 之一；刷卡办理默认打开本校区的工作台\n"
        "- 初始密码：至少 10 位，含字母、数字、符号中的两类，不含用户名；本人首次登录时须修改\n\n"
        "任何一行有错，整个文件都不导入，并列出出错的行和列。")
    download_link(admin, "下载名单模板", staff_loader.template_xlsx, "工作人员名单模板.xlsx", "staff_template")
    upload = st.file_uploader("工作人员名单", type=["csv", "xlsx", "xls"], key="staff_file")
    if upload is not None and st.button("导入", key="staff_import", type="primary"):
        try:
            n = staff_loader.import_staff(store(), upload.getvalue(), upload.name, by=admin.username)
        except ImportRejected as exc:
            st.error(f"导入失败，未做任何修改（共 {len(exc.errors)} 处错误）：\n\n" + "\n\n".join(plain(e) for e in exc.errors[:100]))
        else:
            flash("success", f"已导入 {n} 个账号")
            st.rerun()

with history:
    changes = read("staff_history", username=None)
    st.dataframe(pd.DataFrame({
        "时间": changes["changed_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M:%S}"),
        "账号": changes["username"], "变更": changes["change"].map(lambda c: CHANGES.get(c, c)),
        "内容": changes["detail"].fillna(""), "操作人": changes["actor"],
    }), hide_index=True, width="stretch", height=500)
