"""Exports after sign-out: Streamlit runs a download callable when the button is pressed, after
and outside the page's run, possibly after the sign-in ended elsewhere; `ui.auth.guarded`
re-checks the sign-in the page was drawn for."""

from streamlit.testing.v1 import AppTest

from clearance.adapters.sessions import end_session
from clearance.root import open_store
from tests.conftest import sign_in_apptest

CSV = "学号,姓名\n2018,张三\n".encode()


def _export_page():
    import streamlit as st

    from ui.auth import guarded

    # What st.download_button keeps for a deferred download: the callable, run later.
    st.session_state["export"] = guarded(lambda: "学号,姓名\n2018,张三\n".encode())
    st.text("drawn")


def test_an_export_pressed_after_sign_out_hands_over_nothing(demo_env):
    at = sign_in_apptest(AppTest.from_function(_export_page, default_timeout=60), "cs_secretary")
    token = at.session_state["signed_in"]["token"]
    at.run()
    export = at.session_state["export"]
    assert export() == CSV                # pressed while signed in, outside the run: the file
    end_session(open_store(), token)      # 退出登录 in another tab
    assert export() == b""                # the same button pressed now: nothing
