"""证书发放: students whose every stage is ✓, and the record of each certificate handed over."""

from datetime import datetime

import pandas as pd
import streamlit as st

from clearance.clock import beijing_now
from clearance.rules.handout import handout_period_text, handover_date_warning
from clearance.store.diplomas import DiplomaError, certificates_for, record_handover
from ui.auth import require_actor
from ui.data import current_batch, read, store
from ui.filters import college_for
from ui.text import plain

KIND_LABELS = {"diploma": "毕业（结业、肄业）证书", "degree": "学位证书"}

actor = require_actor("admin", "gradschool", "college")
batch = current_batch()
b = batch["batch_id"]

# College staff see their own college only; the graduate school picks one.
college = college_for(actor, b, key="diploma_college")

st.title(f"{plain(college)} · 证书发放")
st.caption(f"证书发放时间：{batch['diploma_start']:%Y年}{handout_period_text(batch)}。"
           "只有全部离校环节均为 ✓ 的学生可以领取毕业（结业、肄业）证书和学位证书；退学学生不发放。")

desk = read("diploma_desk", batch=b, college=college)
log = read("diploma_log", batch=b, college=college)
notice = st.session_state.pop("diploma_notice", None)
if notice:
    st.success(notice[0])
    if notice[1]:
        st.warning(notice[1])


def _status(received_by: pd.Series, handed_at: pd.Series, applies: pd.Series) -> pd.Series:
    handed = "已发（" + received_by.fillna("") + "，" + pd.to_datetime(handed_at).dt.strftime("%m-%d %H:%M") + "）"
    return handed.where(received_by.notna(), "未发放").where(applies, "不发放")


types = desk["clearance_type"]
kinds_of = {t: certificates_for(t) for t in types.unique()}
diploma_applies = types.map(lambda t: "diploma" in kinds_of[t]).astype(bool)
degree_applies = types.map(lambda t: "degree" in kinds_of[t]).astype(bool)
table = pd.DataFrame({
    "学号": desk["student_no"], "姓名": desk["name"], "培养层次": desk["level"], "离校类型": types,
    "毕（结、肄）业证书": _status(desk["diploma_received_by"], desk["diploma_handed_at"], diploma_applies),
    "学位证书": _status(desk["degree_received_by"], desk["degree_handed_at"], degree_applies),
})
pending = int((diploma_applies & desk["diploma_received_by"].isna()).sum()
              + (degree_applies & desk["degree_received_by"].isna()).sum())

m = st.columns(3)
m[0].metric("可领证学生（全部办结）", f"{len(desk):,}")
m[1].metric("已登记发放（份）", f"{len(log):,}")
m[2].metric("待发放（份）", f"{pending:,}")

st.subheader("登记发放")
st.caption("输入或扫描学号；未全部办结、离校类型不发放该证书或已发放的，系统会拒绝登记。")
if handover_date_warning(batch, beijing_now()):
    st.caption(f":orange[今天不在本批次证书发放时间（{handout_period_text(batch)}）内：补领可照常登记，"
               "请确认发放日期。]")
with st.form("handover", clear_on_submit=True):
    c = st.columns([1.2, 1, 1])
    student_no = c[0].text_input("学号", key="handover_no")
    kind = c[1].selectbox("证书", list(KIND_LABELS), format_func=KIND_LABELS.get, key="handover_kind")
    received_by = c[2].text_input("领取人", value="本人", help="本人领取填“本人”，代领填代领人姓名")
    c = st.columns([1, 1, 2])
    day = c[0].date_input("发放日期", value=beijing_now().date())
    at = c[1].time_input("发放时间", value=beijing_now().time().replace(second=0))
    note = c[2].text_input("备注（可选）", help="如代领人证件、委托书")
    if st.form_submit_button("登记发放", type="primary"):
        no = student_no.strip()
        try:
            done = record_handover(store(), actor, no, kind, received_by, datetime.combine(day, at), note)
            st.session_state["diploma_notice"] = (
                plain(f"已登记：{no} {done.certificate}，领取人 {received_by.strip()}"), done.warning)
            st.rerun()
        except DiplomaError as exc:
            st.error(plain(exc))

st.subheader("可领证学生")
st.dataframe(table, hide_index=True, width="stretch", height=360)

st.subheader("发放记录")
if log.empty:
    st.caption("尚无发放记录。")
else:
    st.dataframe(pd.DataFrame({
        "学号": log["student_no"], "姓名": log["name"],
        "证书": [("学位证书" if k == "degree" else "毕（结、肄）业证书") for k in log["kind"]],
        "领取人": log["received_by"], "发放时间": log["handed_at"], "备注": log["note"].fillna(""),
        "登记人": log["recorded_by"], "登记时间": log["recorded_at"],
    }), hide_index=True, width="stretch")
