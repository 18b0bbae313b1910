"""Streamlit's websocket protocol driven directly, as an attacker would: connect to
/_stcore/stream (optionally naming an existing session id, as the browser does on a reconnect),
ask for a run, and collect every ForwardMsg as text until the script finishes."""

from __future__ import annotations

from google.protobuf import text_format
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


def session_id_of(payload: bytes) -> str | None:
    """The session id a ForwardMsg announces (the first message of every connection)."""
    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:
        return None
    if msg.HasField("new_session"):
        return msg.new_session.initialize.session_id or None
    return None


def run_page(base_url: str, page_name: str = "", session_id: str | None = None,
             cookie: str | None = None, timeout: float = 60) -> tuple[str | None, str]:
    """(the session id the server attached, everything it sent as text)."""
    url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    subprotocols = ["streamlit", "x", session_id] if session_id else ["streamlit"]
    headers = {"Origin": base_url}
    if cookie:
        headers["Cookie"] = cookie
    texts, attached = [], None
    with connect(url, subprotocols=subprotocols, additional_headers=headers, max_size=None,
                 open_timeout=15) as ws:
        back = BackMsg()
        back.rerun_script.page_name = page_name
        back.rerun_script.query_string = ""
        ws.send(back.SerializeToString())
        while True:
            data = ws.recv(timeout=timeout)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.HasField("new_session"):
                attached = msg.new_session.initialize.session_id
            texts.append(text_format.MessageToString(msg, as_utf8=True))
            if msg.HasField("script_finished"):
                break
    return attached, "\n".join(texts)
