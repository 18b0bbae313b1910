"""Data is text, never markup: the one helper every page uses when a name, a reason, a note or
any other stored value reaches markdown (st.markdown, caption, subheader, title, info, error,
labels, toasts). `plain("![](http://h/t.png)")` shows those characters and fetches nothing;
`**x**` and `:red[x]` stay literal."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&^\"'])")


def plain(value) -> str:
    """`value` as literal text inside Streamlit markdown (None → "")."""
    if value is None:
        return ""
    text = " ".join(str(value).splitlines())  # a new line could start a heading or a list
    return _MARKDOWN.sub(r"\\\1", text)
