"""证书发放: students whose every stage is ✓, and the record of each certificate handed over."""

from datetime import datetime

import pandas as pd
import streamlit as st

from clearance.diplomas import DiplomaError, certificates_for, record_handover
from clearance.store import beijing_now
from ui.auth import require_actor
from ui.data import current_batch, read, store

actor = require_actor("admin", "gradschool", "college")
batch = current_batch()
b = batch["batch_id"]

if actor.role == "college":
    college = actor.college
else:
    colleges = list(read("college_list", batch=b)["college"])
    if not colleges:
        st.warning("本批次还没有学生。")
        st.stop()
    college = st.sidebar.selectbox("学院", colleges, key="diploma_college")

st.title(f"{college} · 证书发放")
st.caption(f"证书发放时间：{batch['diploma_start']:%Y-%m-%d} — {batch['diploma_end']:%Y-%m-%d}。"
           "只有全部离校环节均为 ✓ 的学生可以领取毕业（结业、肄业）证书和学位证书；退学学生不发放。")

desk = read("diploma_desk", batch=b, college=college)
log = read("diploma_log", batch=b, college=college)
notice = st.session_state.pop("diploma_notice", None)
if notice:
    st.success(notice)


def _status(received_by, handed_at) -> str:
    if received_by is None or pd.isna(handed_at):
        return "未发放"
    return f"已发（{received_by}，{pd.Timestamp(handed_at):%m-%d %H:%M}）"


rows = []
for r in desk.to_dict("records"):
    certs = certificates_for(r["clearance_type"])
    rows.append({
        "学号": r["student_no"], "姓名": r["name"], "培养层次": r["level"], "离校类型": r["clearance_type"],
        "毕（结、肄）业证书": (_status(r["diploma_received_by"], r["diploma_handed_at"])
                          if "diploma" in certs else "不发放"),
        "学位证书": (_status(r["degree_received_by"], r["degree_handed_at"])
                  if "degree" in certs else "不发放"),
    })
table = pd.DataFrame(rows, columns=["学号", "姓名", "培养层次", "离校类型", "毕（结、肄）业证书", "学位证书"])
pending = [
    (r["student_no"], r["name"], kind, name)
    for r in desk.to_dict("records")
    for kind, name in certificates_for(r["clearance_type"]).items()
    if r[f"{kind}_received_by"] is None
]

m = st.columns(3)
m[0].metric("可领证学生（全部办结）", f"{len(desk):,}")
m[1].metric("已登记发放（份）", f"{len(log):,}")
m[2].metric("待发放（份）", f"{len(pending):,}")

st.subheader("登记发放")
if not pending:
    st.info("没有待发放的证书。")
else:
    with st.form("handover", clear_on_submit=True):
        choice = st.selectbox("学生及证书", range(len(pending)), key="handover_pick",
                              format_func=lambda i: f"{pending[i][0]} {pending[i][1]} · {pending[i][3]}")
        c = st.columns(3)
        received_by = c[0].text_input("领取人", value="本人", help="本人领取填“本人”，代领填代领人姓名")
        day = c[1].date_input("发放日期", value=beijing_now().date())
        at = c[2].time_input("发放时间", value=beijing_now().time().replace(second=0))
        note = st.text_input("备注（可选）", help="如代领人证件、委托书")
        if st.form_submit_button("登记发放", type="primary"):
            no, name, kind, cert = pending[choice]
            try:
                record_handover(store(), actor, no, kind, received_by, datetime.combine(day, at), note)
                st.session_state["diploma_notice"] = f"已登记：{name}（{no}）{cert}，领取人 {received_by}"
                st.rerun()
            except DiplomaError as exc:
                st.error(str(exc))

st.subheader("可领证学生")
st.dataframe(table, hide_index=True, width="stretch", height=360)

st.subheader("发放记录")
if log.empty:
    st.caption("尚无发放记录。")
else:
    st.dataframe(pd.DataFrame({
        "学号": log["student_no"], "姓名": log["name"],
        "证书": [("学位证书" if k == "degree" else "毕（结、肄）业证书") for k in log["kind"]],
        "领取人": log["received_by"], "发放时间": log["handed_at"], "备注": log["note"],
        "登记人": log["recorded_by"], "登记时间": log["recorded_at"],
    }), hide_index=True, width="stretch")
