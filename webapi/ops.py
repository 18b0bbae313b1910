"""Routes for the IT office (mounted by server.py):

    GET  /api/ready        → 200 {"ready": true, "checks": {...}} or 503 with what is wrong
                             (clearance.health.readiness); for the load balancer / monitoring
    POST /api/ops/backup   → 200 the new backup's manifest; `Authorization: Bearer <token>`
                             where the token is the file the app wrote beside the store at start
                             (so only someone who can read the store's folder may ask). Used by
                             `python -m clearance.backup backup` while the app owns the store.

The proxy (deploy/nginx) refuses /api/ops/ from outside: the command runs on the server.
"""

from __future__ import annotations

import hmac
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clearance.store.backup import BackupError, backup_store, token_path
from clearance.health import readiness
from clearance.root import open_store

log = logging.getLogger("clearance.ops")


def app_logging() -> None:
    """Our log lines on stderr beside Streamlit's (journald keeps them under systemd)."""
    logger = logging.getLogger("clearance")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


async def ready(_request: Request) -> JSONResponse:
    result = await run_in_threadpool(readiness, open_store())
    return JSONResponse(result.as_json(), status_code=200 if result.ready else 503)


def _token_ok(request: Request, store_path) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    try:
        expected = token_path(store_path).read_text().strip()
    except OSError:
        return False
    return scheme.lower() == "bearer" and bool(expected) and hmac.compare_digest(given.strip(), expected)


async def backup(request: Request) -> JSONResponse:
    store = open_store()
    if not _token_ok(request, store.path):
        return JSONResponse({"error": "令牌无效：请在服务器上以应用的用户运行此命令"}, status_code=401)
    try:
        result = await run_in_threadpool(backup_store, store, "command", "cli")
    except BackupError as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)
    return JSONResponse(result.as_json())


routes = [Route("/api/ready", ready), Route("/api/ops/backup", backup, methods=["POST"])]
