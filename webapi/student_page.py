"""学生查询 as a plain server-rendered page of the app's own server (mounted by server.py).

    GET  /chaxun            the lookup form (学号 + 姓名), phone-first, no JavaScript
    POST /chaxun            the lookup: the student's ✓/× per stage, next stops, dates
    POST /chaxun/form.pdf   《导师准许离校确认书》 for the same 学号 + 姓名 (checked again)

A student's lookup needs no websocket session, no script run and no widget tree: one request,
the same three named queries, one HTML page (issue 17: a lookup through the Streamlit page
cost the server 40–200 ms of CPU, this one a few ms). The rule and the limits are the
Streamlit page's own: both call `ui.student_lookup.attempt_lookup` with the peer and the
headers, so a failure on one page counts on the other.

CSRF: the form carries a token that must equal the `lxt_csrf` cookie set with it (double
submit; SameSite=Strict, HttpOnly), and a POST whose Origin names another host is refused.
With the campus sign-in on (config/sso.toml), there is no 学号 + 姓名 form: the page offers
「统一身份认证登录」 and, for a browser signed in as a student (the HttpOnly session cookie of
webapi/cas.py or webapi/oidc.py), shows that student's own status at once; the PDF is that student's; POST
/chaxun/signout ends the sign-in. Nobody can look up anyone else.

Names and reasons are data: Jinja2 autoescapes every value. Responses are `no-store` (a
student's status on a shared phone or a campus PC must not come back from a cache).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from clearance.adapters.advisor_form import font_problem
from clearance.adapters.sessions import COOKIE, end_session, resume_student_session
from clearance.adapters.sso import login_path, logout_path, sso_config
from webapi.workers import advisor_form_pdf_in_worker

PATH = "/chaxun"
CSRF_COOKIE = "lxt_csrf"
MAX_BODY = 4096          # two short fields and a token; anything larger is not our form
MAX_NO, MAX_NAME = 32, 64
EXPIRED = "页面已过期或来源不明，请重新输入学号和姓名后查询。"
TOO_LARGE = "提交的内容过长，请只输入学号和姓名。"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": with it Chromium sends `Origin: null` on the form's own POST.
    "Referrer-Policy": "same-origin",
    # No script at all; the page's own style only; forms post only back here.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self';"
                               " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


SSO_ONLY = "本系统已启用统一身份认证，请点击“统一身份认证登录”查询本人离校情况。"
SSO_ENDED = "登录已结束或已过期，请重新通过统一身份认证登录。"


def _sso_on() -> bool:
    return sso_config().on


def _page(request: Request, status: int = 200, *, view=None, message: str = "",
          student_no: str = "", name: str = "", pdf_problem: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    html = _templates.get_template("student.html").render(
        path=PATH, csrf=token, view=view, message=message, student_no=student_no, name=name,
        pdf_problem=pdf_problem, sso=_sso_on(), sso_login=login_path(PATH) if _sso_on() else "")
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    secure = request.url.scheme == "https" or \
        request.headers.get("x-forwarded-proto", "") == "https"
    response.set_cookie(CSRF_COOKIE, token, path=PATH, httponly=True, samesite="strict",
                        secure=secure)
    return response


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # some browsers send none on a same-origin post; the token still must match
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _urlencoded(request: Request, body: bytes) -> dict[str, str] | None:
    """The fields of our form's body (application/x-www-form-urlencoded, UTF-8), or None for
    anything else. Parsed here rather than by request.form(): a 4 KB body of three fields needs
    no streaming parser, and this was a tenth of a lookup's server time."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != \
            "application/x-www-form-urlencoded":
        return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          errors="strict", max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


async def _form(request: Request, fields=("student_no", "name", "csrf")) -> tuple[dict | None, str]:
    """The posted fields if the post is ours (size, origin, token), else (None, why)."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_BODY:
        return None, TOO_LARGE
    body = await request.body()
    if len(body) > MAX_BODY:
        return None, TOO_LARGE
    form = _urlencoded(request, body)
    if form is None:
        return None, EXPIRED
    fields = {k: form.get(k) for k in fields}
    if not all(isinstance(v, str) for v in fields.values()):
        return None, EXPIRED
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not _same_origin(request) or not cookie or \
            not hmac.compare_digest(cookie.encode(), fields["csrf"].encode()):
        return None, EXPIRED
    if len(fields.get("student_no", "")) > MAX_NO or len(fields.get("name", "")) > MAX_NAME:
        return None, TOO_LARGE
    return fields, ""


def _lookup(request: Request, student_no: str, name: str):
    """(outcome, view): the shared rule and limits, then the student's view."""
    from ui.student_lookup import attempt_lookup, student_view
    peer = request.client.host if request.client else None
    outcome = attempt_lookup(peer, request.headers, student_no, name)
    view = student_view(outcome.student_no) if outcome.student_no else None
    return outcome, view


def _signed_in_view(request: Request):
    """(学号, view) of the student this browser signed in as through the campus sign-in."""
    from ui.student_lookup import student_view, store
    token = request.cookies.get(COOKIE, "")
    student_no = resume_student_session(store(), token) if token else None
    return student_no, (student_view(student_no) if student_no else None)


async def _sso_page(request: Request) -> Response:
    if request.method == "POST":
        fields, problem = await _form(request, fields=("csrf",))
        if fields is None:
            return _page(request, 403 if problem == EXPIRED else 413, message=problem)
    _, view = await run_in_threadpool(_signed_in_view, request)
    if view is None:
        return _page(request, message=SSO_ENDED if request.cookies.get(COOKIE) else "")
    from ui.student_lookup import advisor_form_settings
    return _page(request, view=view, pdf_problem=font_problem(advisor_form_settings()))


async def student_page(request: Request) -> Response:
    if _sso_on():
        return await _sso_page(request)
    if request.method == "GET":
        return _page(request)
    fields, problem = await _form(request)
    if fields is None:
        return _page(request, 403 if problem == EXPIRED else 413, message=problem)
    outcome, view = await run_in_threadpool(_lookup, request, fields["student_no"],
                                            fields["name"])
    if view is None:
        status = 429 if outcome.limited else 200
        return _page(request, status, message=outcome.message or EXPIRED,
                     student_no=fields["student_no"])
    from ui.student_lookup import advisor_form_settings
    return _page(request, view=view, name=fields["name"],
                 pdf_problem=font_problem(advisor_form_settings()))


async def advisor_form(request: Request) -> Response:
    sso_on = _sso_on()
    fields, problem = await _form(request, fields=("csrf",) if sso_on else
                                  ("student_no", "name", "csrf"))
    if fields is None:
        return _page(request, 403 if problem == EXPIRED else 413, message=problem)
    if sso_on:  # the signed-in student's own form, whatever was posted
        _, view = await run_in_threadpool(_signed_in_view, request)
        if view is None:
            return _page(request, 403, message=SSO_ENDED)
        fields["name"] = view.name
    else:
        outcome, view = await run_in_threadpool(_lookup, request, fields["student_no"],
                                                fields["name"])
        if view is None:
            return _page(request, 429 if outcome.limited else 200,
                         message=outcome.message or EXPIRED, student_no=fields["student_no"])
    from ui.student_lookup import advisor_form_settings
    settings = advisor_form_settings()
    problem = font_problem(settings)
    if problem:
        return _page(request, view=view, name=fields["name"], pdf_problem=problem)
    pdf = await advisor_form_pdf_in_worker(view.name, view.student_no, view.level,
                                           view.clearance_type, view.college, settings)
    filename = quote(f"导师准许离校确认书_{view.student_no}.pdf")
    return Response(pdf, media_type="application/pdf", headers={
        **HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


async def sign_out(request: Request) -> Response:
    """End a student's campus sign-in (the page's 退出 button) and clear the cookie."""
    fields, problem = await _form(request, fields=("csrf",))
    if fields is None:
        return _page(request, 403 if problem == EXPIRED else 413, message=problem)
    token = request.cookies.get(COOKIE)
    if token:
        from ui.student_lookup import store
        await run_in_threadpool(end_session, store(), token)
    # Out of the campus sign-in too: a campus PC must not sign the next student straight back in.
    target = logout_path(PATH) if _sso_on() else PATH
    response = RedirectResponse(target, status_code=303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


routes = [
    Route(PATH, student_page, methods=["GET", "POST"]),
    Route(f"{PATH}/signout", sign_out, methods=["POST"]),
    Route(f"{PATH}/form.pdf", advisor_form, methods=["POST"]),
]
