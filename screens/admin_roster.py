"""名单导入: the admin uploads the roster of a batch (CSV/XLSX); any bad row refuses the file."""

import pandas as pd
import streamlit as st

from loaders.roster import COLUMNS, OPTIONAL, change_rows, import_roster, template_xlsx
from loaders.sheets import ImportRejected
from ui.auth import require_actor
from ui.downloads import download_link
from ui.data import current_batch, read, store

TABLE_ROWS = 100  # a longer change list scrolls in a data grid
actor = require_actor("admin")
batch = current_batch()

st.title("离校学生名单导入")
st.caption(f"导入到批次：{batch['title']}（{batch['batch_id']}）。同一学号再次导入会更新信息，不会重复。")

download_link(actor, "下载导入模板（Excel）", template_xlsx, "离校学生名单模板.xlsx", "roster_template")
st.markdown("**表头**：" + "、".join(f"{h}{'（可空）' if h in OPTIONAL else ''}" for h in COLUMNS)
            + "。培养层次：博士/硕士；离校类型：毕业/结业/肄业/退学；校区：A区/B区/C区/虎溪；"
            "学院：学校学院名单中的名称或其常用简称（如“计算机科学学院”记为“计算机学院”）。")
st.caption("再次导入时，离校类型、学院或政治面貌有变化的学生，相关环节按新信息重新判定"
           "（如改为结业后学位论文相关的不通过改为无需办理，转到新学院后学院各环节须重新办理），"
           "并逐条列出、记入办理记录。")



def _show_result(result) -> None:
    st.success(f"导入成功（{result.file_name}）：{result.rows} 行，新增 {result.inserted} 人，"
               f"更新 {result.updated} 人。")
    for note in result.notes:  # what the reader noticed: hidden rows, the sheet used
        st.info(note)
    if result.changes:
        st.markdown(f"**信息有变化的学生：{len(result.changes)} 人**（环节的变化已记入办理记录，来源：名单导入）")
        rows = pd.DataFrame(change_rows(result))
        if len(rows) <= TABLE_ROWS:  # a plain table: every word visible, prints and copies
            st.table(rows.set_index("学号"))
        else:
            st.dataframe(rows, hide_index=True, width="stretch")


uploaded = st.file_uploader("选择名单文件（.xlsx、.xls 或 .csv）", type=["xlsx", "xls", "csv"], key="roster_file")
if uploaded is not None and st.button("导入", type="primary"):
    st.session_state.pop("roster_result", None)
    try:
        st.session_state["roster_result"] = import_roster(
            store(), uploaded.getvalue(), uploaded.name, batch["batch_id"], actor.username)
    except ImportRejected as exc:
        st.error(f"导入失败，未做任何修改。共 {len(exc.errors)} 处错误，请改正后重新上传：")
        st.code("\n".join(exc.errors), language=None)
# The last result stays on the page across reruns (a click elsewhere must not lose the list).
if "roster_result" in st.session_state:
    _show_result(st.session_state["roster_result"])

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
