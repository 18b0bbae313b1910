"""Helpers for AppTest tests of the desk pages: a signed-in AppTest over the demo store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]


def page_test(page: str, username: str | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / page), default_timeout=60)
    if username:
        sign_in_apptest(at, username)
    return at


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def texts(at: AppTest) -> str:
    """Every message, markdown, caption and title on the page, joined."""
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "success", "error", "warning", "info"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def lookup(at: AppTest, query: str) -> AppTest:
    at.text_input(key="lookup_q").input(query)
    submit = [b for b in at.button if b.label in ("查找", "查找并通过")][0]
    return submit.click().run()


def fill_evidence(at: AppTest, key: str, amount: str = "0") -> AppTest:
    """Tick every checklist item and fill every evidence field shown under `key` (the page's
    evidence inputs), as staff do after checking: the first choice, a name, `amount` for money."""
    for box in at.checkbox:
        if box.key and box.key.startswith(f"{key}_item_"):
            box.check()
    for radio in at.radio:
        if radio.key and radio.key.startswith(f"{key}_") and radio.value is None:
            radio.set_value(radio.options[0])
    for box in at.text_input:
        if box.key and box.key.startswith(f"{key}_"):
            box.input(amount if "元" in box.label else "测试记录")
    return at.run()
