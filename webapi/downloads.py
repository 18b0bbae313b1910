"""Exports, served by the app's own route (mounted by server.py), never by Streamlit's /media.

    GET /download/<id>   the file, if the one asking is the export's holder (checked on every
                         request, clearance.adapters.downloads); else 403 with a Chinese page

A staff export needs the HttpOnly session cookie of the very sign-in it was made for, still
live, for an account that still has the role and college it had; a student's advisor form needs
the client address of the lookup it was made for, the page of that lookup still open, a lookup
not yet left, and a student still on the roster. The URL alone is worthless: signed out, expired, another user's cookie, no cookie,
another address: 403.

The file is made when it is fetched (a large college's xlsx takes a second; a PDF runs in the
worker process), sent `no-store` as an attachment.
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from clearance.adapters import downloads
from clearance.adapters.limits import client_of
from clearance.adapters.sessions import COOKIE, resume_session, token_hash
from clearance.root import open_store

REFUSED = ("下载链接已过期，或者您尚未登录、已退出登录、登录已超时，或无权下载此文件。"
           "工作人员请登录离校通后在页面上重新导出；学生请重新查询后再下载。")
FAILED = "生成文件时出错，请稍后重试；如果一直出错，请联系系统管理员。"
NO_STORE = {"Cache-Control": "no-store"}
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>无法下载 · 离校通</title>
<style>body{{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;
max-width:36rem;margin:3rem auto;padding:0 1rem;color:#262730;line-height:1.7}}
h1{{font-size:1.4rem}} a{{color:#0b57d0}}</style></head>
<body><h1>{title}</h1><p>{message}</p><p><a href="/">返回离校通</a></p></body></html>"""


def _page(status: int, title: str, message: str) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), message=escape(message)),
                        status_code=status, headers=NO_STORE)


def _holder_asks(offer: downloads.Offer, request: Request) -> bool:
    """Is this request the offer's holder, now? (runs in a thread: it may read the store)"""
    holder = offer.holder
    if isinstance(holder, downloads.StaffHolder):
        token = request.cookies.get(COOKIE)
        if not token:
            return False
        return holder.still(resume_session(open_store(), token), token_hash(token))
    from ui.student_lookup import on_roster
    peer = request.client.host if request.client else None
    return (client_of(peer, request.headers) == holder.client and page_open(holder.session_id)
            and on_roster(holder.student_no))


def page_open(session_id: str) -> bool:
    """The Streamlit session (a browser tab) is connected to this server now. Streamlit has no
    public call for this; ui.auth reruns other tabs through the same session manager."""
    from streamlit import runtime
    if not session_id or not runtime.exists():
        return False
    return runtime.get_instance()._session_mgr.is_active_session(session_id)


def _body(offer: downloads.Offer) -> bytes:
    made = offer.make()
    return made.encode("utf-8") if isinstance(made, str) else bytes(made)


async def download(request: Request) -> Response:
    offer = downloads.find(request.path_params["download_id"])
    if offer is None or not await run_in_threadpool(_holder_asks, offer, request):
        return _page(403, "无法下载", REFUSED)
    try:
        body = await run_in_threadpool(_body, offer)
    except Exception:
        logging.getLogger("clearance").exception("export %s failed", offer.file_name)
        return _page(500, "生成文件时出错", FAILED)
    return Response(body, media_type=offer.mime, headers={
        **NO_STORE, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(offer.file_name)}"})


routes = [Route(downloads.PATH + "{download_id}", download, methods=["GET"])]
