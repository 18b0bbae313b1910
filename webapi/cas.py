"""CAS 3.0 sign-in (统一身份认证), Starlette routes mounted by server.py when config/sso.toml
says `mode = "cas"`:

    GET  /auth/cas/login?next=/page     → 302 to the CAS server's login, with our service URL
                                          (<public_url>/auth/cas/callback[?next=/page])
    GET  /auth/cas/callback?ticket=ST-… → the ticket validated at p3/serviceValidate (python-cas),
                                          the person mapped (clearance.rules.identity), the
                                          session started (clearance.adapters.sso) and its
                                          HttpOnly cookie set; then on to `next` (staff) or the
                                          student's own status (/chaxun)
    POST /auth/cas/callback             ← the CAS server's single sign-out (a SAML
                                          logoutRequest naming the ticket): that session ends
    GET  /auth/cas/logout?next=/page    → 303 to the CAS server's logout (after 离校通's own
                                          sign-out), which comes back to `next`

`next` is a local path only (never another host). A ticket is accepted once: the CAS server
refuses a replay and so does 离校通 (sso_tickets). Refusals are a Chinese page; nothing is
created for them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from cas import CASClientV3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from clearance.adapters import sso
from clearance.adapters.limits import client_of
from clearance.adapters.signin import SLOW_DOWN, gate
from clearance.adapters.netaddr import is_trusted, normalise_ip
from clearance.adapters.sessions import SESSION_MAX_HOURS
from clearance.rules.identity import STUDENT, Identity
from clearance.root import open_store
from webapi.auth import set_session_cookie

log = logging.getLogger("clearance.sso")

LOGIN, CALLBACK, LOGOUT = "/auth/cas/login", "/auth/cas/callback", "/auth/cas/logout"
STUDENT_PAGES = ("/chaxun", "/student")
MAX_TICKET = 256
MAX_LOGOUT_BODY = 16_384
NOT_ON = "本系统未启用统一身份认证，请使用用户名和密码登录。"
NO_TICKET = "缺少统一身份认证登录凭据，请重新登录。"
INVALID = "统一身份认证登录凭据无效或已过期（凭据只能使用一次，且只对本系统有效），请重新登录。"
UNREACHABLE = "暂时无法连接学校统一身份认证服务器，请稍后再试；如持续出现，请联系学校信息化部门。"

_templates = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape(["html"]))
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def safe_next(value: str | None) -> str:
    """A local path to return to after signing in; anything else (another host, a scheme,
    `//host`, backslashes, control characters) becomes "/"."""
    if not value or len(value) > 200 or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or not value.isprintable() or any(c.isspace() for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def service_url(config: sso.SsoConfig, next_path: str) -> str:
    """The service URL the CAS server sends the ticket to; validation repeats it exactly."""
    base = config.public_url + CALLBACK
    return base if next_path == "/" else f"{base}?next={quote(next_path, safe='/')}"


class _BoundedSession(requests.Session):
    """python-cas's HTTP session with a timeout on every request (it sets none itself): a CAS
    server that hangs must not hold a worker thread for ever."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _client(config: sso.SsoConfig, next_path: str) -> CASClientV3:
    return CASClientV3(service_url=service_url(config, next_path),
                       server_url=config.cas_server_url,
                       verify_ssl_certificate=config.cas_verify_tls,
                       session=_BoundedSession(config.cas_timeout))


def message_page(message: str, status: int, *, link: str = "/", link_text: str = "返回首页") -> HTMLResponse:
    html = _templates.get_template("sso.html").render(message=message, link=link,
                                                      link_text=link_text, refresh=None)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def sign_in_again(login: str, next_path: str) -> dict:
    """message_page's link back to a protocol's sign-in, returning to `next_path` afterwards."""
    return {"link": f"{login}?next={quote(next_path, safe='/')}", "link_text": "重新登录"}


def signed_in_page(target: str) -> HTMLResponse:
    """A page of our own moves the browser on: the session cookie (SameSite=Strict) then goes
    with the next request even though this one came from the identity provider's site."""
    html = _templates.get_template("sso.html").render(
        message="登录成功，正在进入离校通……", link=target, link_text="继续", refresh=target)
    return HTMLResponse(html, headers=HEADERS)


def _config() -> sso.SsoConfig | None:
    config = sso.sso_config()
    return config if config.mode == "cas" else None


async def login(request: Request) -> Response:
    config = _config()
    if config is None:
        return message_page(NOT_ON, 404)
    next_path = safe_next(request.query_params.get("next"))
    return RedirectResponse(_client(config, next_path).get_login_url(), status_code=302,
                            headers=HEADERS)


def _validate(config: sso.SsoConfig, next_path: str, ticket: str):
    user, attributes, _ = _client(config, next_path).verify_ticket(ticket)
    return user, attributes or {}


def destination(kind: str, next_path: str) -> str:
    path = urlsplit(next_path).path
    if kind == STUDENT:
        return next_path if path in STUDENT_PAGES else "/chaxun"
    return "/" if path in STUDENT_PAGES else next_path


async def callback(request: Request) -> Response:
    if request.method == "POST":
        return await single_logout(request)
    config = _config()
    if config is None:
        return message_page(NOT_ON, 404)
    next_path = safe_next(request.query_params.get("next"))
    ticket = request.query_params.get("ticket", "")
    if not ticket:
        return message_page(NO_TICKET, 400, **sign_in_again(LOGIN, next_path))
    if len(ticket) > MAX_TICKET or not ticket.isascii() or not ticket.isprintable():
        return message_page(INVALID, 403, **sign_in_again(LOGIN, next_path))
    # A made-up ticket costs a request to the CAS server: refused tickets slow their client
    # down like wrong passwords do (the sign-in limits of config/security.toml).
    keys = [("per_client", client_of(request.client.host if request.client else None,
                                     request.headers)), ("global", "*")]
    decision = gate().throttle.acquire(keys)
    if not decision.allowed:
        return message_page(SLOW_DOWN.format(wait=decision.wait_text), 429)
    try:
        user, attributes = await run_in_threadpool(_validate, config, next_path, ticket)
    except Exception as exc:  # network, TLS, a reply that is not CAS XML
        gate().throttle.refund(keys, decision.stamp)  # not the client's failure
        log.warning("CAS ticket validation failed: %s", exc)
        return message_page(UNREACHABLE, 502)
    if not user:
        log.info("CAS ticket refused by the server")
        return message_page(INVALID, 403, **sign_in_again(LOGIN, next_path))
    gate().throttle.refund(keys, decision.stamp)
    store = open_store()
    if not await run_in_threadpool(sso.claim_ticket, store, ticket, "cas"):
        return message_page(sso.REPLAYED, 403, **sign_in_again(LOGIN, next_path))
    result = await run_in_threadpool(sso.sign_in_identity, store, Identity(user, attributes),
                                     ticket, config)
    return sign_in_response(request, result, next_path, "CAS", user)


def sign_in_response(request: Request, result, next_path: str, protocol: str,
                     user: str) -> Response:
    """The answer to a finished campus sign-in, whatever the protocol: the refusal page, or the
    session cookie and the way in (the student's own status, or the staff page asked for)."""
    if result.token is None:
        log.info("%s sign-in refused for %r: %s", protocol, user[:64], result.message)
        return message_page(result.message, 403)
    response = signed_in_page(destination(result.kind, next_path))
    set_session_cookie(response, request, result.token, SESSION_MAX_HOURS * 3600)
    return response


def session_index(xml: str) -> str | None:
    """The ticket a SAML logoutRequest names (no DTD, no entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.xpath("//samlp:SessionIndex",
                       namespaces={"samlp": "urn:oasis:names:tc:SAML:2.0:protocol"})
    if len(found) != 1 or not found[0].text:
        return None
    return found[0].text.strip()


async def single_logout(request: Request) -> Response:
    config = _config()
    if config is None:
        return Response(status_code=404)
    peer = normalise_ip(request.client.host if request.client else None)
    if config.single_logout_from and not is_trusted(peer, config.single_logout_from):
        log.warning("single sign-out from %s refused (not in single_logout_from)", peer)
        return Response(status_code=403)
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_LOGOUT_BODY:
        return Response(status_code=413)
    form = await request.form()
    xml = form.get("logoutRequest")
    ticket = session_index(xml) if isinstance(xml, str) else None
    if not ticket:
        return Response(status_code=400)
    ended = await run_in_threadpool(sso.end_ticket_session, open_store(), ticket)
    log.info("CAS single sign-out: %s", "session ended" if ended else "no session for the ticket")
    if ended:  # its open pages show the sign-in form now, not at their next click
        from ui.auth import rerun_sign_in
        rerun_sign_in(ended)
    return Response(status_code=200)


async def logout(request: Request) -> Response:
    """After signing out of 离校通: out of the CAS session too, then back to `next` (a local
    path; the home page by default)."""
    next_path = safe_next(request.query_params.get("next"))
    config = _config()
    if config is None:
        return RedirectResponse(next_path, status_code=303, headers=HEADERS)
    target = _client(config, "/").get_logout_url(config.public_url + next_path)
    return RedirectResponse(target, status_code=303, headers=HEADERS)


routes = [
    Route(LOGIN, login, methods=["GET"]),
    Route(LOGOUT, logout, methods=["GET"]),
    Route(CALLBACK, callback, methods=["GET", "POST"]),
]
