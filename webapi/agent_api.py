"""The desk agents' HTTP API (Starlette routes mounted by server.py).

Every request carries `Authorization: Bearer <desk token>`; an unknown or revoked token gets 401.

    GET  /api/desk/ping              → {"desk": {...}}                   the agent's start-up check
    POST /api/desk/scans {uid, reader} → {"scan_id", "uid", "student"}   a tap: kept, shown on the
                                                                         scan page of that desk
    GET  /api/desk/lookup?uid=HEX    → {"uid", "student"}                find only, nothing kept
                                                                         (`python -m cardreader.agent --once`)

`student` is null for an unknown card, else the student's name, 学号, college and every stage.
"""

from __future__ import annotations

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import queries
from clearance.store.cards import CardError, normalise_hex, student_for_uid
from clearance.rules.catalogue import DONE_STATES
from clearance.store.db import get_catalogue
from clearance.store.desk_tokens import Desk, authenticate, record_scan
from clearance.root import open_store

UNAUTHORISED = "工作台令牌无效或已被吊销，请向系统管理员申请新令牌"


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def student_summary(store, student_no: str | None) -> dict | None:
    """A student as the desk agent prints it: who, and every stage ✓/× with where to go."""
    if not student_no:
        return None
    profile = queries.run(store, "student_profile", student_no=student_no)
    if profile.empty:
        return None
    p = profile.iloc[0]
    stages = queries.run(store, "student_stages", student_no=student_no)
    return {
        "student_no": student_no, "name": _text(p["name"]), "college": _text(p["college"]),
        "campus": _text(p["campus"]), "clearance_type": _text(p["clearance_type"]),
        "stages": [{"stage_id": s.stage_id, "name": s.stage_name, "state": s.state,
                    "done": s.state in DONE_STATES, "room": _text(s.room), "phone": _text(s.phone)}
                   for s in stages.itertuples()],
        "all_done": bool(stages["state"].isin(DONE_STATES).all()),
    }


def _desk_json(store, desk: Desk) -> dict:
    return {"desk_id": desk.desk_id, "name": desk.name, "stage_id": desk.stage_id,
            "stage_name": get_catalogue(store).stage(desk.stage_id).name}


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _authorised(request: Request):
    store = open_store()
    desk = await run_in_threadpool(authenticate, store, _token(request))
    return store, desk


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def ping(request: Request) -> JSONResponse:
    store, desk = await _authorised(request)
    if desk is None:
        return _error(401, UNAUTHORISED)
    return JSONResponse({"desk": _desk_json(store, desk)})


async def scan(request: Request) -> JSONResponse:
    store, desk = await _authorised(request)
    if desk is None:
        return _error(401, UNAUTHORISED)
    try:
        body = await request.json()
        uid = normalise_hex(str(body["uid"]))
    except (ValueError, KeyError, TypeError) as exc:
        return _error(400, str(exc) if isinstance(exc, CardError) else "请求应为 JSON：{\"uid\": \"卡UID十六进制\"}")
    reader = str(body.get("reader", ""))

    def record():
        scan_id, student_no = record_scan(store, desk, uid, reader)
        return scan_id, student_summary(store, student_no)

    scan_id, student = await run_in_threadpool(record)
    return JSONResponse({"scan_id": scan_id, "uid": uid, "desk": _desk_json(store, desk),
                         "student": student})


async def lookup(request: Request) -> JSONResponse:
    store, desk = await _authorised(request)
    if desk is None:
        return _error(401, UNAUTHORISED)
    try:
        uid = normalise_hex(request.query_params.get("uid", ""))
    except CardError as exc:
        return _error(400, str(exc))
    student = await run_in_threadpool(lambda: student_summary(store, student_for_uid(store, uid)))
    return JSONResponse({"uid": uid, "desk": _desk_json(store, desk), "student": student})


routes = [
    Route("/api/desk/ping", ping, methods=["GET"]),
    Route("/api/desk/scans", scan, methods=["POST"]),
    Route("/api/desk/lookup", lookup, methods=["GET"]),
]
