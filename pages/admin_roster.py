"""名单导入: the admin uploads the roster of a batch (CSV/XLSX); any bad row refuses the file."""

import streamlit as st

from loaders.roster import COLUMNS, OPTIONAL, import_roster, template_xlsx
from loaders.sheets import ImportRejected
from ui.auth import require_actor
from ui.data import current_batch, read, store

actor = require_actor("admin")
batch = current_batch()

st.title("离校学生名单导入")
st.caption(f"导入到批次：{batch['title']}（{batch['batch_id']}）。同一学号再次导入会更新信息，不会重复。")

st.download_button("下载导入模板（Excel）", template_xlsx(), file_name="离校学生名单模板.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.markdown("**表头**：" + "、".join(f"{h}{'（可空）' if h in OPTIONAL else ''}" for h in COLUMNS)
            + "。培养层次：博士/硕士；离校类型：毕业/结业/肄业/退学；校区：A区/B区/C区/虎溪。")

uploaded = st.file_uploader("选择名单文件（.xlsx 或 .csv）", type=["xlsx", "csv"], key="roster_file")
if uploaded is not None and st.button("导入", type="primary"):
    try:
        result = import_roster(store(), uploaded.getvalue(), uploaded.name, batch["batch_id"],
                               actor.username)
    except ImportRejected as exc:
        st.error(f"导入失败，未做任何修改。共 {len(exc.errors)} 处错误，请改正后重新上传：")
        st.code("\n".join(exc.errors), language=None)
    else:
        st.success(f"导入成功：{result.rows} 行，新增 {result.inserted} 人，更新 {result.updated} 人。")

st.subheader("导入记录")
runs = read("roster_runs", batch=batch["batch_id"])
if runs.empty:
    st.info("本批次还没有导入过名单。")
else:
    st.dataframe(
        runs.rename(columns={"imported_at": "导入时间", "file_name": "文件", "row_count": "行数",
                             "inserted": "新增", "updated": "更新", "actor": "操作人",
                             "content_hash": "文件校验码"}),
        hide_index=True, width="stretch")
