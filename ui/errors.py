"""Unexpected errors on a page: a short Chinese message with an error id on screen, the
traceback in the log under the same id. Nothing of the internals (paths, SQL, PIDs) reaches the
browser; `client.showErrorDetails = "none"` covers anything raised outside this wrapper."""

from __future__ import annotations

import logging
import secrets

import streamlit as st

log = logging.getLogger("clearance.pages")

MESSAGE = ("抱歉，页面出错了，本次操作没有完成。请刷新页面重试；如果仍然出错，"
           "请把错误编号 {error_id} 告诉系统管理员。")


def run_guarded(page) -> None:
    """Run the page chosen by `st.navigation`. Streamlit's own control flow (st.stop,
    st.rerun, switch_page) derives from BaseException and passes through."""
    try:
        page.run()
    except Exception:  # noqa: BLE001 — every unexpected error is shown the same short way
        error_id = secrets.token_hex(4)
        log.exception("page error %s on page %r", error_id, getattr(page, "title", "?"))
        st.error(MESSAGE.format(error_id=error_id), icon=":material/error:")
