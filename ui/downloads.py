"""The one way a page offers a file: `download_link(who, label, make, file_name, key)`.

Not st.download_button: Streamlit serves its files at `/media/<hash>` to anyone who holds the
URL for as long as the session keeps them, sign-out or not. Here the file is offered to one
holder under a short-lived random id (clearance.adapters.downloads) and the button is a link to
the app's own route `/download/<id>` (webapi/downloads.py), which checks the holder on every
request. `who` is the signed-in Actor (the export is then for this sign-in: the cookie of this
session, this role and college) or a StudentHolder (the student page's lookup).

`make` runs when the link is fetched, not on every rerun (a large college's xlsx takes a
second). The link is an ordinary same-tab link: a file arrives as a download and the page
stays; a refusal shows the route's Chinese page.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePath
from typing import Callable

import streamlit as st

from clearance.adapters import downloads
from clearance.adapters.downloads import Holder, StaffHolder
from clearance.adapters.sessions import token_hash
from clearance.rules.actors import Actor
from ui.auth import session_token  # the cookie's token this page runs under

MIME = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".pdf": "application/pdf",
}
# Looks like Streamlit's own secondary button (same size, border and radius).
_STYLE = ("display:{display};align-items:center;justify-content:center;gap:.4rem;"
          "box-sizing:border-box;min-height:2.5rem;padding:.25rem .75rem;{width}"
          "border:1px solid rgba(49,51,63,.2);border-radius:.5rem;background:#fff;"
          "color:rgb(49,51,63);text-decoration:none;font-size:1rem;line-height:1.6;")


def _holder(who: Actor | Holder) -> Holder:
    if isinstance(who, Actor):
        return StaffHolder(token_hash(session_token() or ""), who.username, who.role, who.college)
    return who


def session_id() -> str:
    """This run's Streamlit session (one browser tab); "" outside a run."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        return get_script_run_ctx().session_id
    except Exception:
        return ""


def download_link(who: Actor | Holder, label: str, make: Callable[[], bytes | str], file_name: str,
                  key: str, *, stretch: bool = False, help: str | None = None) -> str:
    """Draw the link; returns its address (for tests)."""
    # One live id per button of each open page (tab): a second tab's redraw leaves the first's.
    download_id = downloads.offer(_holder(who), f"{session_id()}:{key}", make, file_name,
                                  MIME.get(PurePath(file_name).suffix.lower(), "application/octet-stream"))
    url = downloads.PATH + download_id
    style = _STYLE.format(display="flex" if stretch else "inline-flex",
                          width="width:100%;" if stretch else "")
    title = f' title="{escape(help)}"' if help else ""
    st.html(f'<a class="lxt-download" href="{url}" style="{style}"{title}>'
            f'<span aria-hidden="true">⤓</span>{escape(label)}</a>',
            width="stretch" if stretch else "content")
    return url
