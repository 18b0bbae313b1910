"""Exports after sign-out: a download callable runs when the button is pressed, possibly after
the sign-in ended elsewhere; `ui.auth.guarded` re-checks it then."""

from streamlit.testing.v1 import AppTest

from clearance.adapters.sessions import end_session
from clearance.root import open_store
from tests.conftest import sign_in_apptest


def _export_page():
    import streamlit as st

    from ui.auth import guarded

    export = guarded(lambda: "学号,姓名\n2018,张三\n".encode())
    st.text(f"bytes={len(export())}")  # what pressing the export button would hand over


def test_an_export_pressed_after_sign_out_hands_over_nothing(demo_env):
    at = sign_in_apptest(AppTest.from_function(_export_page, default_timeout=60), "cs_secretary")
    token = at.session_state["signed_in"]["token"]
    at.run()
    assert at.text[0].value != "bytes=0"          # signed in: the file
    end_session(open_store(), token)               # 退出登录 in another tab
    at.run()
    assert at.text[0].value == "bytes=0"           # the same callable, now empty
