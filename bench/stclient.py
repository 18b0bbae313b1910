"""A minimal Streamlit client over the app's own websocket protocol, for load benchmarks.

It speaks what the browser speaks: a websocket to `/_stcore/stream` (subprotocol `streamlit`,
cookies sent as a browser would), a `BackMsg.rerun_script` carrying the page name and the
widget states, and the `ForwardMsg` stream back (deltas until `script_finished`). Widgets are
found by label in the deltas, as a user finds them on screen, and their ids (which the server
computes) are sent back with the new values.

Like the browser, it remembers the hashes of the large elements the server marked cacheable
and declares them on every rerun (`cached_message_hashes`), so an element that did not change
comes back as a reference and the byte counts are what a browser receives.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
        ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
TEXT_KINDS = ("markdown", "heading", "alert", "text", "exception", "progress")


@dataclass
class Widget:
    kind: str
    id: str
    label: str
    fragment: str = ""  # the st.fragment it was drawn in: a browser reruns only that part


@dataclass
class Run:
    """What one script run (and any st.rerun it asked for) sent back."""
    seconds: float
    bytes: int
    texts: list[str] = field(default_factory=list)
    widgets: list[Widget] = field(default_factory=list)
    exception: str | None = None

    def widget(self, kind: str, label: str) -> Widget:
        for w in self.widgets:
            if w.kind == kind and w.label == label:
                return w
        raise LookupError(f"no {kind} labelled {label!r} (have "
                          f"{[(w.kind, w.label) for w in self.widgets]})")

    def has_text(self, needle: str) -> bool:
        return any(needle in t for t in self.texts)


def _element_text(element) -> tuple[str | None, Widget | None, str | None]:
    kind = element.WhichOneof("type")
    if kind is None:
        return None, None, None
    body = getattr(element, kind)
    if kind == "exception":
        return body.message, None, f"{body.type}: {body.message}"
    widget = None
    if hasattr(body, "id") and getattr(body, "id", "") and hasattr(body, "label"):
        widget = Widget(kind, body.id, body.label)
    if kind in TEXT_KINDS:
        text = getattr(body, "body", None) or getattr(body, "text", None)
        return (text if isinstance(text, str) else None), widget, None
    return None, widget, None


class StreamlitSession:
    def __init__(self, base_url: str, page: str, cookies: dict[str, str] | None = None,
                 timeout: float = 60.0, headers: dict[str, str] | None = None):
        self.extra_headers = headers or {}
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.origin = base_url
        self.page = page
        self.cookies = cookies or {}
        self.timeout = timeout
        self.ws = None
        self.page_hash = ""
        self.cached_hashes: set[str] = set()

    async def connect(self) -> None:
        headers = {"Origin": self.origin, **self.extra_headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], additional_headers=headers,
            max_size=64 * 1024 * 1024, open_timeout=self.timeout, ping_interval=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def rerun(self, widgets: list[WidgetState] | None = None, fragment: str = "") -> Run:
        """One user action: send the widget states, wait for the run(s) to finish. `fragment`:
        the action is on a widget inside an st.fragment, which a browser reruns alone (pass
        the widget's `fragment`); the run then sends only that fragment's elements."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_name = self.page
        state.page_script_hash = self.page_hash
        state.fragment_id = fragment
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        state.context_info.url = f"{self.origin}/{self.page}"
        for w in widgets or []:
            state.widget_states.widgets.append(w)
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        return await asyncio.wait_for(self._collect(started), self.timeout)

    async def _collect(self, started: float) -> Run:
        run = Run(0.0, 0)
        while True:
            raw = await self.ws.recv()
            run.bytes += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if fwd.metadata.cacheable and fwd.hash:
                self.cached_hashes.add(fwd.hash)
            if kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
            elif kind == "page_info_changed" or kind == "navigation":
                if kind == "navigation" and fwd.navigation.page_script_hash:
                    self.page_hash = fwd.navigation.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                text, widget, exc = _element_text(fwd.delta.new_element)
                if text:
                    run.texts.append(text)
                if widget:
                    widget.fragment = fwd.delta.fragment_id
                    run.widgets.append(widget)
                if exc:
                    run.exception = exc
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.texts.clear()
                    run.widgets.clear()
                    continue
                if fwd.script_finished in DONE:
                    run.seconds = time.perf_counter() - started
                    return run


def text_state(widget: Widget, value: str) -> WidgetState:
    w = WidgetState(id=widget.id)
    w.string_value = value
    return w


def bool_state(widget: Widget, value: bool) -> WidgetState:
    w = WidgetState(id=widget.id)
    w.bool_value = value
    return w


def trigger(widget: Widget) -> WidgetState:
    w = WidgetState(id=widget.id)
    w.trigger_value = True
    return w
