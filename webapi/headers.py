"""Headers on every HTTP response of the process, and Streamlit's internals kept private.

- `Content-Security-Policy: frame-ancestors 'none'` and `X-Frame-Options: DENY`: no other site
  can frame a desk page and trick a click (clickjacking).
- `X-Content-Type-Options: nosniff`: an export or upload is never run as a script.
- `Referrer-Policy: same-origin`: page addresses do not leave for other sites.
- `/_stcore/metrics` (Streamlit's per-session memory and cache figures) answers 404.

A plain ASGI middleware, so the websocket passes untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse

HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PRIVATE = ("/_stcore/metrics",)


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        if scope["path"].rstrip("/").endswith(PRIVATE):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
