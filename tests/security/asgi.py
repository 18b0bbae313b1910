"""Call one of the app's Starlette routes in this process, as uvicorn would, without a server:
for attacks that also change the store between requests (a server process would hold the
DuckDB file)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.applications import Starlette


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def get(routes, path: str, *, cookies: dict[str, str] | None = None,
        client: tuple[str, int] = ("127.0.0.1", 50000), headers: dict[str, str] | None = None) -> Reply:
    raw = [(b"host", b"127.0.0.1")]
    if cookies:
        raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": raw, "client": client, "server": ("127.0.0.1", 80)}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(Starlette(routes=routes)(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Reply(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body)
