"""Filter widgets shared by the dashboard pages: 全部 maps to None (= all)."""

from __future__ import annotations

import json

import streamlit as st

from clearance.rules.catalogue import CLEARANCE_TYPES, LEVELS
from ui.data import read

ALL = "全部"


def choice(label: str, options, key: str, container=st, format_func=None) -> str | None:
    """A select box with 全部 first; returns None for 全部."""
    options = [ALL] + list(options)
    fmt = (lambda o: o if o == ALL else format_func(o)) if format_func else str
    value = container.selectbox(label, options, key=key, format_func=fmt)
    return None if value == ALL else value


def level_choice(key: str, container=st) -> str | None:
    return choice("培养层次", LEVELS, key, container)


def type_choice(key: str, container=st) -> str | None:
    return choice("离校类型", CLEARANCE_TYPES, key, container)


def college_for(actor, batch_id: str, key: str) -> str:
    """The college a page is about: college staff get their own; others pick one in the
    sidebar. Stops the page when the batch has no students yet."""
    if actor.role == "college":
        return actor.college
    colleges = list(read("college_list", batch=batch_id)["college"])
    if not colleges:
        st.warning("本批次还没有学生。")
        st.stop()
    return st.sidebar.selectbox("学院", colleges, key=key)


def enter_applies(key: str) -> None:
    """Make Enter in the date box `key` apply the typed date. Streamlit's date box (a field of
    year/month/day segments) sends a typed date only when the field loses the focus, so Enter
    alone left the page on the old day while the box showed the new one: on Enter the script
    moves the focus to an invisible spot beside the box, which sends it (a bare blur() does
    not: the field only commits when the focus lands somewhere). One listener on the document
    (installed once per page load) serves every rerun."""
    script = f"""
<script>
(function () {{
  const flag = "enterApplies_" + {json.dumps(key)};
  if (window[flag]) return;
  window[flag] = true;
  document.addEventListener("keydown", function (event) {{
    if (event.key !== "Enter") return;
    const box = event.target.closest && event.target.closest({json.dumps(f".st-key-{key}")});
    if (!box) return;
    // After the field has handled the key itself: then leave it, as a click elsewhere does.
    setTimeout(function () {{
      let sink = box.querySelector(".enter-applies-sink");
      if (!sink) {{
        sink = document.createElement("span");
        sink.className = "enter-applies-sink";
        sink.tabIndex = -1;
        box.appendChild(sink);
      }}
      sink.focus();
    }}, 0);
  }}, true);
}})();
</script>"""
    st.html(script, unsafe_allow_javascript=True, width="content")
