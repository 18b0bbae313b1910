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
- a page that redraws on a timer (刷卡办理 polls its reader every 0.5 s) numbers its focus
  requests: every redraw carries the newest one and the browser applies each number once. Two
  quick runs reach the browser as one redraw (only the last run's script runs), so a request
  sent once could be lost; carried, it is applied late, and never again after the clerk moved;
- when the focus falls to the page itself without the clerk doing anything (a redraw replaced
  the focused button), it goes back to the desk element the clerk last had, if it is on screen,
  not to the 学号 box; a click elsewhere forgets that element;
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
    // A click means the clerk chose where to type: a form sent before no longer redirects
    // keys, and the element they had before is not given back.
    document.addEventListener("mousedown", function () { d.submitted = false; d.last = null; }, true);
    // The desk element (a widget with a key) that has the focus, to give it back after a redraw.
    document.addEventListener("focusin", function (ev) {
      const t = ev.target;
      const holder = t && t.closest && !t.closest("[data-testid='stSidebar']") &&
        t.closest("[class*='st-key-']");
      const cls = holder && Array.from(holder.classList).find((c) => c.startsWith("st-key-"));
      d.last = cls ? "." + CSS.escape(cls) + " " + t.tagName.toLowerCase() : null;
    }, true);
  }
  const d = w.__lxtDesk;
  d.cfg = cfg;
  d.runs = (d.runs || 0) + 1;  // the scripts that ran (a test counts the redraws)
  // A numbered request is applied once; without a number, every run applies its target.
  const fresh = cfg.request == null || cfg.request > (d.applied || 0);
  const done = () => { if (cfg.request != null) d.applied = Math.max(d.applied || 0, cfg.request); };
  let tries = 0;
  function attempt() {
    const now = document.activeElement;
    // Nothing of the desk has the focus: the page was just opened from the menu (the 学号 box),
    // or a redraw replaced the focused element (that element again, if it is back).
    const loose = !now || now === document.body || !!now.closest("[data-testid='stSidebar']");
    const back = loose && d.last && document.querySelector(d.last) ? d.last : null;
    const want = (fresh && cfg.focus) || (loose ? back || cfg.lookup : null);
    if (!want) return;
    const el = document.querySelector(want);
    const box = document.querySelector(cfg.lookup);
    const entry = now && now !== box && (now.tagName === "TEXTAREA" ||
      (now.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(now.type)));
    if (entry && d.filling) { done(); return; }  // someone is filling in another field: leave them
    if (el && !el.disabled) {
      done();
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
              shortcuts: dict[str, str] | None = None, request: int | None = None) -> None:
    """Install (once) and configure (every run) the desk's keyboard guard. `lookup`: the 学号
    box's selector; `actions`: the action buttons' container selector; `focus`: where the focus
    goes after this run; `shortcuts`: key name (e.g. "F2") → selector of the button it presses;
    `request`: the number of the focus request `focus` belongs to, on a page that sends it with
    every redraw (applied once per number; None: applied on every run)."""
    st.session_state["_focus_runs"] = st.session_state.get("_focus_runs", 0) + 1
    cfg = {"lookup": lookup, "actions": actions, "focus": focus, "shortcuts": shortcuts or {},
           "request": request}
    st.html(_SCRIPT % {"cfg": json.dumps(cfg), "run": st.session_state["_focus_runs"]},
            unsafe_allow_javascript=True, width="content")
