"""OpenID Connect sign-in (统一身份认证 over OIDC), Starlette routes mounted by server.py when
config/sso.toml says `mode = "oidc"`. The protocol is clearance.adapters.oidc (Authlib); the
person and the session are the CAS path's own (clearance.rules.identity, sso.sign_in_identity).

    GET  /auth/oidc/login?next=/page      → 302 to the provider's authorization endpoint
                                            (code flow, PKCE S256, state, nonce); a random
                                            binding cookie ties the state to this browser
    GET  /auth/oidc/callback?code&state   → state taken once and checked against the binding
                                            cookie, the code claimed once (sso_tickets), traded
                                            at the token endpoint, the ID token verified, the
                                            person mapped and the session started with its
                                            HttpOnly cookie; then on to `next` or /chaxun
    POST /auth/oidc/backchannel-logout    ← the provider's Back-Channel Logout 1.0 (logout_token):
                                            the sessions of that provider session end
    GET  /auth/oidc/logout?next=/page     → 303 to the provider's end_session_endpoint (after
                                            离校通's own sign-out), which comes back to
    GET  /auth/oidc/logged-out?state=/p   → 303 to that local path

Why not Streamlit's st.login: README «为什么不用 st.login» and SECURITY.md. Refusals are a Chinese
page; nothing is created for them.
"""

from __future__ import annotations

import logging
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from clearance.adapters import oidc, sso
from clearance.adapters.limits import client_of
from clearance.adapters.signin import SLOW_DOWN, gate
from clearance.rules.identity import Identity
from clearance.root import open_store
from webapi.auth import is_https
from webapi.cas import HEADERS, NOT_ON, UNREACHABLE, message_page, safe_next, \
    sign_in_again, sign_in_response

log = logging.getLogger("clearance.sso")

LOGIN, LOGOUT = "/auth/oidc/login", "/auth/oidc/logout"
BINDING_COOKIE = "lxt_oidc"
MAX_CODE, MAX_STATE = 512, 128
MAX_LOGOUT_BODY = 32_768
INVALID = "统一身份认证登录凭据无效或已过期（凭据只能使用一次，且只对本系统有效），请重新登录。"
NO_CODE = "缺少统一身份认证登录凭据，请重新登录。"
BAD_STATE = "登录请求已过期、已使用过，或不是从本浏览器发起的，请重新登录。"
DENIED = "统一身份认证未完成登录（已取消或被拒绝），请重新登录。"


def _config() -> sso.SsoConfig | None:
    config = sso.sso_config()
    return config if config.mode == "oidc" else None


async def login(request: Request) -> Response:
    config = _config()
    if config is None:
        return message_page(NOT_ON, 404)
    next_path = safe_next(request.query_params.get("next"))
    # A fresh binding for every sign-in, never one the browser brings (a cookie planted from a
    # sibling host must not let its planter's code be finished here). Two sign-ins started in
    # two tabs at once: the earlier one is asked to start again.
    browser = secrets.token_urlsafe(32)
    client = client_of(request.client.host if request.client else None, request.headers)
    state, pending = oidc.pending_logins.start(next_path, browser, client)
    try:
        target = await run_in_threadpool(oidc.authorization_url, config, state, pending)
    except oidc.Unreachable as exc:
        log.warning("OIDC discovery failed: %s", exc)
        return message_page(UNREACHABLE, 502)
    response = RedirectResponse(target, status_code=302, headers=HEADERS)
    # SameSite=Lax: the provider's redirect back is a cross-site top-level GET, which must
    # carry it. It holds no identity, only ties the state to this browser (login CSRF).
    response.set_cookie(BINDING_COOKIE, browser, max_age=oidc.PENDING_SECONDS,
                        path=oidc.CALLBACK, httponly=True, samesite="lax",
                        secure=is_https(request))
    return response


def _plausible(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and value.isascii() and value.isprintable()


def _pending(request: Request, config: sso.SsoConfig) -> oidc.Pending | Response:
    """The sign-in this callback finishes — its state taken once, started by this browser, the
    provider ours — or the refusal page."""
    params = request.query_params
    state, code = params.get("state", ""), params.get("code", "")
    if params.get("error"):
        oidc.pending_logins.take(state)
        return message_page(DENIED, 403, **sign_in_again(LOGIN, "/"))
    if not code:
        return message_page(NO_CODE, 400, **sign_in_again(LOGIN, "/"))
    pending = oidc.pending_logins.take(state) if _plausible(state, MAX_STATE) else None
    browser = request.cookies.get(BINDING_COOKIE, "")
    if pending is None or not secrets.compare_digest(oidc.digest(browser), pending.browser):
        log.info("OIDC callback refused: unknown, used or foreign state")
        return message_page(BAD_STATE, 403, **sign_in_again(LOGIN, "/"))
    # RFC 9207: a provider that names itself must be ours (a mix-up with another provider).
    if "iss" in params and params["iss"].rstrip("/") != config.oidc_issuer:
        return message_page(INVALID, 403, **sign_in_again(LOGIN, pending.next_path))
    if not _plausible(code, MAX_CODE):
        return message_page(INVALID, 403, **sign_in_again(LOGIN, pending.next_path))
    return pending


async def _claims(request: Request, config: sso.SsoConfig, code: str,
                  pending: oidc.Pending) -> dict | Response:
    """The verified ID token's claims for `code`, or the refusal page. A code that fails counts
    on the client's sign-in limits (a made-up code costs a request to the provider)."""
    keys = [("per_client", client_of(request.client.host if request.client else None,
                                     request.headers)), ("global", "*")]
    decision = gate().throttle.acquire(keys)
    if not decision.allowed:
        return message_page(SLOW_DOWN.format(wait=decision.wait_text), 429)
    if not await run_in_threadpool(sso.claim_ticket, open_store(), code, "oidc"):
        return message_page(sso.REPLAYED, 403, **sign_in_again(LOGIN, pending.next_path))
    try:
        token = await run_in_threadpool(oidc.exchange_code, config, code, pending)
        claims = await run_in_threadpool(oidc.verify_id_token, config, token, pending.nonce)
    except oidc.Unreachable as exc:
        gate().throttle.refund(keys, decision.stamp)  # not the client's failure
        log.warning("OIDC code exchange failed: %s", exc)
        return message_page(UNREACHABLE, 502)
    except oidc.Refused as exc:
        log.info("OIDC sign-in refused: %s", exc)
        return message_page(INVALID, 403, **sign_in_again(LOGIN, pending.next_path))
    gate().throttle.refund(keys, decision.stamp)
    return claims


async def callback(request: Request) -> Response:
    config = _config()
    if config is None:
        return message_page(NOT_ON, 404)
    pending = _pending(request, config)
    if isinstance(pending, Response):
        return pending
    claims = await _claims(request, config, request.query_params["code"], pending)
    if isinstance(claims, Response):
        return claims
    result = await run_in_threadpool(
        sso.sign_in_identity, open_store(), Identity(str(claims["sub"]), claims),
        request.query_params["code"], config, provider_session=oidc.provider_session(config, claims))
    response = sign_in_response(request, result, pending.next_path, "OIDC", str(claims["sub"]))
    if result.token is None:
        return response
    response.delete_cookie(BINDING_COOKIE, path=oidc.CALLBACK, httponly=True, samesite="lax")
    return response


def _bad_logout(reason: str) -> Response:
    log.warning("OIDC back-channel logout refused: %s", reason)
    return JSONResponse({"error": "invalid_request"}, status_code=400,
                        headers={"Cache-Control": "no-store"})


async def backchannel_logout(request: Request) -> Response:
    config = _config()
    if config is None:
        return Response(status_code=404)
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_LOGOUT_BODY:
        return Response(status_code=413)
    form = await request.form()
    token = form.get("logout_token")
    if not isinstance(token, str):
        return _bad_logout("no logout_token")
    try:
        session, jti = await run_in_threadpool(oidc.verify_logout_token, config, token)
    except oidc.Refused as exc:
        return _bad_logout(str(exc))
    except oidc.Unreachable as exc:
        log.warning("OIDC back-channel logout: keys not available: %s", exc)
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
    store = open_store()
    if jti and not await run_in_threadpool(sso.claim_ticket, store, f"logout:{jti}", "oidc-logout"):
        return _bad_logout("replayed jti")
    ended = await run_in_threadpool(sso.end_provider_sessions, store, session)
    log.info("OIDC back-channel logout: %d session(s) ended", len(ended))
    if ended:  # their open pages show the sign-in form now, not at their next click
        from ui.auth import rerun_sign_in
        for hashed in ended:
            rerun_sign_in(hashed)
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


async def logout(request: Request) -> Response:
    """After signing out of 离校通: out of the provider's session too, then back to `next`."""
    next_path = safe_next(request.query_params.get("next"))
    config = _config()
    target = await run_in_threadpool(oidc.end_session_url, config, next_path) if config else None
    return RedirectResponse(target or next_path, status_code=303, headers=HEADERS)


async def logged_out(request: Request) -> Response:
    return RedirectResponse(safe_next(request.query_params.get("state")), status_code=303,
                            headers=HEADERS)


routes = [
    Route(LOGIN, login, methods=["GET"]),
    Route(oidc.CALLBACK, callback, methods=["GET"]),
    Route(oidc.BACKCHANNEL, backchannel_logout, methods=["POST"]),
    Route(LOGOUT, logout, methods=["GET"]),
    Route(oidc.LOGGED_OUT, logged_out, methods=["GET"]),
]
