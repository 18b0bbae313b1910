"""The keyboard at a desk with a queue: a barcode scanner types a 学号 and Enter at wedge speed
(~30 ms a key), whatever has the focus. One small script in the page keeps that safe:

- a printable key pressed while an action button (通过 …) has the focus goes to the 学号 box
  instead, so a scan always loads the next student and never "clicks" the button;
- Enter on an action button is dropped if anything was typed into the 学号 box since the Enter
  that loaded the student shown (it would pass the previous student);
- after Enter has sent a form from another field (不通过 with its reason), the next printable key
  goes to the 学号 box too: the next student's scan may start before the redraw moves the focus,
  and its first digit must not land in the old reason box (measured: "016192784" looked up);
- the focus moves to the target of this run (通过 after a lookup, the 学号 box otherwise) only
  when nobody is typing: a scan that began while the page redrew keeps its digits, and an
  amount being typed into another field stays there;
- function keys (F2 …) press the button shown with that key on it (or go to the input).

The server checks too: each action button carries the 学号 it was drawn for (screens/marking.py).
"""

from __future__ import annotations

import json

import streamlit as st

_SCRIPT = """
<script>
(function () {
  const cfg = %(cfg)s;  // run %(run)s
  const w = window;
  if (!w.__lxtDesk) {
    const d = w.__lxtDesk = {cfg: cfg, typing: false};
    const plain = (ev) => !ev.ctrlKey && !ev.altKey && !ev.metaKey;
    document.addEventListener("keydown", function (ev) {
      const c = d.cfg;
      const box = c && document.querySelector(c.lookup);
      if (!box) return;  // not a desk page (the listener outlives a page change)
      const el = document.activeElement;
      const onAction = !!(el && el.closest && c.actions && el.closest(c.actions));
      if (c.shortcuts[ev.key] && plain(ev)) {
        ev.preventDefault();
        const b = document.querySelector(c.shortcuts[ev.key]);
        if (b && !b.disabled && !d.typing) { if (b.tagName === "INPUT") b.focus(); else b.click(); }
        return;
      }
      if (ev.key.length === 1 && plain(ev)) {
        // On an action, or in a field whose form was just sent with Enter (the reason of a
        // 不通过): the key goes where a 学号 goes; Chromium types it into the new focus.
        const redirect = onAction || (d.submitted && el !== box);
        d.submitted = false;
        if (redirect) {
          const fresh = !d.typing;
          box.focus();
          if (fresh && box.select) box.select();
        }
        if (redirect || el === box) d.typing = true;
        else d.filling = true;  // another field (an amount, a reason)
        return;
      }
      if (ev.key === "Enter") {
        if (onAction && d.typing) {  // a scan's Enter after digits: never an action
          ev.preventDefault(); ev.stopPropagation();
          box.focus();
          return;
        }
        d.submitted = !!(el && el !== box && el.closest && el.closest("[data-testid='stForm']"));
        d.typing = false;
        d.filling = false;
      }
    }, true);
    // A click means the clerk chose where to type: a form sent before no longer redirects keys.
    document.addEventListener("mousedown", function () { d.submitted = false; }, true);
  }
  const d = w.__lxtDesk;
  d.cfg = cfg;
  let tries = 0;
  function attempt() {
    const now = document.activeElement;
    // Nothing of the desk has the focus (the page was just opened from the menu): the 学号 box.
    const loose = !now || now === document.body || !!now.closest("[data-testid='stSidebar']");
    const want = cfg.focus || (loose ? cfg.lookup : null);
    if (!want) return;
    const el = document.querySelector(want);
    const box = document.querySelector(cfg.lookup);
    const entry = now && now !== box && (now.tagName === "TEXTAREA" ||
      (now.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(now.type)));
    if (entry && d.filling) return;  // someone is filling in another field: leave them there
    if (el && !el.disabled) {
      if (d.typing) {  // someone is typing the next 学号: leave the focus with them
        if (box && document.activeElement !== box) box.focus();
        return;
      }
      el.focus();
      if (el.select) el.select();
      return;
    }
    if (++tries < 200) setTimeout(attempt, 50);  // up to 10 s: a slow machine draws late
  }
  setTimeout(attempt, 30);
})();
</script>"""


def desk_keys(lookup: str, actions: str, focus: str | None,
              shortcuts: dict[str, str] | None = None) -> None:
    """Install (once) and configure (every run) the desk's keyboard guard. `lookup`: the 学号
    box's selector; `actions`: the action buttons' container selector; `focus`: where the focus
    goes after this run; `shortcuts`: key name (e.g. "F2") → selector of the button it presses."""
    st.session_state["_focus_runs"] = st.session_state.get("_focus_runs", 0) + 1
    cfg = {"lookup": lookup, "actions": actions, "focus": focus, "shortcuts": shortcuts or {}}
    st.html(_SCRIPT % {"cfg": json.dumps(cfg), "run": st.session_state["_focus_runs"]},
            unsafe_allow_javascript=True, width="content")
