"""The staff session cookie, set and cleared by the server (Starlette routes mounted by server.py).

    POST /auth/session  {"code"}  → 204 + Set-Cookie lxt_session=…; HttpOnly; SameSite=Strict
                                    (Secure behind HTTPS): trades the one-time code a sign-in
                                    handed the page (clearance.adapters.sessions.new_handoff)
    POST /auth/signout            → 204, the cookie cleared and its session ended in the store

The token never appears in the page or its scripts, so a script cannot read it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clearance.adapters.limits import security_config
from clearance.adapters.netaddr import is_trusted, normalise_ip
from clearance.adapters.sessions import COOKIE, SESSION_MAX_HOURS, end_session, redeem_handoff
from clearance.root import open_store


def is_https(request: Request) -> bool:
    """HTTPS as the browser sees it: the request itself, or a trusted proxy's X-Forwarded-Proto."""
    if request.url.scheme == "https":
        return True
    peer = normalise_ip(request.client.host if request.client else None)
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and is_trusted(peer or "127.0.0.1", security_config().trusted_proxies)


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    """The session cookie, set the same way for a password sign-in and a campus sign-in."""
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=is_https(request))


async def session(request: Request) -> Response:
    try:
        body = await request.json()
        code = str(body.get("code", ""))[:100]
    except Exception:
        return JSONResponse({"error": "请求格式错误"}, status_code=400)
    token = redeem_handoff(code)
    if token is None:
        return JSONResponse({"error": "登录已失效，请重新登录"}, status_code=400)
    response = Response(status_code=204)
    set_session_cookie(response, request, token, SESSION_MAX_HOURS * 3600)
    return response


async def signout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(end_session, open_store(), token)
    response = Response(status_code=204)
    set_session_cookie(response, request, "", 0)
    return response


routes = [
    Route("/auth/session", session, methods=["POST"]),
    Route("/auth/signout", signout, methods=["POST"]),
]
