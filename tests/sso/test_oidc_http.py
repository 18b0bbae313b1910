"""The OpenID Connect routes against a real provider (oidc-provider on Node, tests/sso/conftest.py),
over HTTP: each attack is performed and must be refused with a Chinese page, no session cookie
set (the session token exists only in that cookie).

- a replayed code (same callback again; the code with a fresh state), a replayed state;
- a callback from another browser (no binding cookie: login CSRF), a made-up code;
- an ID token altered, forged (another key), issued to another client, with another nonce;
- an unknown user, a disabled account;
- back-channel logout: a genuine one ends exactly that provider session's sign-in; a forged,
  mis-addressed, nonce-carrying, event-less or replayed logout token is refused.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sso.conftest import DISABLED_ID, OIDC_CLIENT_ID, STAFF_ID, STRANGER_ID
from tests.sso.oidcserver import plain_session, provider_code

LOGOUT_EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


def _cookie(response) -> str | None:
    return response.cookies.get("lxt_session")


def _follow(session, url):
    return session.get(url, allow_redirects=False, timeout=30)


def _signed_in(world, user=STAFF_ID, next_path="/"):
    session = plain_session()
    url = provider_code(session, world.app.url, world.provider, user, next_path)
    answer = _follow(session, url)
    return session, url, answer


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(oidc_world):
    answer = plain_session().get(oidc_world.app.url + "/auth/oidc/login",
                                 params={"next": "//evil.example/"}, allow_redirects=False,
                                 timeout=30)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == oidc_world.provider.issuer
    query = parse_qs(target.query)
    assert query["client_id"] == [OIDC_CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == [oidc_world.callback]  # never the evil `next`
    binding = answer.headers["set-cookie"]
    assert "lxt_oidc=" in binding and "HttpOnly" in binding and "SameSite=lax" in binding


def test_a_staff_member_signs_in_once_and_every_replay_is_refused(oidc_world):
    session, url, first = _signed_in(oidc_world)
    assert first.status_code == 200 and _cookie(first)
    set_cookie = first.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert 'http-equiv="refresh" content="0;url=/"' in first.text

    replay = _follow(session, url)  # the same callback again: state and code both used
    assert replay.status_code == 403 and _cookie(replay) is None
    assert "登录请求已过期、已使用过" in replay.text

    # The used code with a state of a fresh login of this same browser: the code is refused.
    code = parse_qs(urlsplit(url).query)["code"][0]
    fresh = session.get(oidc_world.app.url + "/auth/oidc/login", allow_redirects=False, timeout=30)
    state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
    again = session.get(oidc_world.callback, params={"code": code, "state": state},
                        allow_redirects=False, timeout=30)
    assert again.status_code == 403 and _cookie(again) is None
    assert "已使用过或已失效" in again.text


def test_a_callback_from_another_browser_is_refused(oidc_world):
    """Login CSRF: an attacker's own code and state, planted in the victim's browser, fail
    because the state belongs to the attacker's browser (its binding cookie)."""
    url = provider_code(plain_session(), oidc_world.app.url, oidc_world.provider, STAFF_ID)
    victim = plain_session()
    answer = _follow(victim, url)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert "不是从本浏览器发起的" in answer.text


def test_a_made_up_code_is_refused_and_creates_no_session(oidc_world):
    session = plain_session()
    fresh = session.get(oidc_world.app.url + "/auth/oidc/login", allow_redirects=False, timeout=30)
    state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
    answer = session.get(oidc_world.callback, params={"code": "made-up-code-" + "x" * 30,
                                                      "state": state},
                         allow_redirects=False, timeout=30)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert "登录凭据无效" in answer.text
    missing = plain_session().get(oidc_world.callback, allow_redirects=False, timeout=30)
    assert missing.status_code == 400 and "缺少统一身份认证登录凭据" in missing.text


@pytest.mark.parametrize("mode", ["altered", "forged", "other_client", "wrong_nonce"])
def test_a_tampered_id_token_is_refused(oidc_world, mode):
    """The provider's token response is tampered with on its way (provider.mjs /__test/tamper):
    payload changed under the old signature, signed by another key with the provider's kid,
    genuinely signed but for another client, genuinely signed with another nonce."""
    session = plain_session()
    url = provider_code(session, oidc_world.app.url, oidc_world.provider, STAFF_ID)
    oidc_world.provider.tamper_next_id_token(mode)
    answer = _follow(session, url)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert "登录凭据无效" in answer.text


@pytest.mark.parametrize("user", [STRANGER_ID, DISABLED_ID])
def test_unknown_and_disabled_users_are_refused(oidc_world, user):
    _, _, answer = _signed_in(oidc_world, user)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert "既不是离校通工作人员账号" in answer.text and user in answer.text


def test_a_provider_error_is_a_chinese_page(oidc_world):
    answer = plain_session().get(oidc_world.callback, params={
        "error": "access_denied", "state": "x", "code": "y"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 403 and "未完成登录" in answer.text


def test_a_student_sees_only_themself(oidc_world):
    session, _, answer = _signed_in(oidc_world, oidc_world.student_no, "/chaxun")
    assert answer.status_code == 200 and 'url=/chaxun"' in answer.text
    page = session.get(oidc_world.app.url + "/chaxun", timeout=30)
    assert oidc_world.student_name in page.text and 'name="student_no"' not in page.text
    assert 'href="/auth/oidc/login?next=/chaxun"' not in page.text
    anonymous = plain_session().get(oidc_world.app.url + "/chaxun", timeout=30)
    assert 'href="/auth/oidc/login?next=/chaxun"' in anonymous.text
    assert "统一身份认证登录" in anonymous.text and 'name="student_no"' not in anonymous.text


# --- back-channel logout ----------------------------------------------------------------------

def _claims(world, **change):
    now = int(time.time())
    claims = {"iss": world.provider.issuer, "aud": OIDC_CLIENT_ID, "iat": now, "exp": now + 120,
              "jti": f"jti-{time.monotonic_ns()}", "sub": STAFF_ID, "events": LOGOUT_EVENT}
    claims.update(change)
    return {k: v for k, v in claims.items() if v is not None}


def _post_logout(world, token):
    return plain_session().post(world.backchannel, data={"logout_token": token}, timeout=30)


def _still_signed_in(world, session) -> bool:
    page = session.get(world.app.url + "/chaxun", timeout=30)
    return world.student_name in page.text


def test_a_genuine_back_channel_logout_ends_that_session_only(oidc_world):
    mine, _, first = _signed_in(oidc_world, oidc_world.student_no, "/chaxun")
    other, _, second = _signed_in(oidc_world, oidc_world.student_no, "/chaxun")
    assert _cookie(first) and _cookie(second)
    assert _still_signed_in(oidc_world, mine) and _still_signed_in(oidc_world, other)
    # Logging out at the provider (its end_session endpoint, confirmed) sends the logout token.
    page = mine.get(oidc_world.provider.issuer + "/session/end", timeout=30)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
    done = mine.post(oidc_world.provider.issuer + "/session/end/confirm",
                     data={"xsrf": xsrf, "logout": "yes"}, allow_redirects=False, timeout=30)
    assert done.status_code in (302, 303)
    assert not _still_signed_in(oidc_world, mine)
    assert "登录已结束" in mine.get(oidc_world.app.url + "/chaxun", timeout=30).text
    assert _still_signed_in(oidc_world, other)  # another provider session (sid) stays


def test_forged_and_malformed_logout_tokens_are_refused(oidc_world):
    session, _, answer = _signed_in(oidc_world, oidc_world.student_no, "/chaxun")
    assert _cookie(answer)
    provider = oidc_world.provider
    genuine = provider.sign(_claims(oidc_world, sub=oidc_world.student_no))
    head, body, signature = genuine.split(".")
    refused = {
        "altered signature": f"{head}.{body}.{signature[:-4]}AAAA",
        "other audience": provider.sign(_claims(oidc_world, sub=oidc_world.student_no,
                                                aud="other-system")),
        "other issuer": provider.sign(_claims(oidc_world, sub=oidc_world.student_no,
                                              iss="http://127.0.0.1:9")),
        "with a nonce": provider.sign(_claims(oidc_world, sub=oidc_world.student_no, nonce="n")),
        "no events": provider.sign(_claims(oidc_world, sub=oidc_world.student_no, events=None)),
        "no sid, no sub": provider.sign(_claims(oidc_world, sub=None)),
        "no iat": provider.sign(_claims(oidc_world, sub=oidc_world.student_no, iat=None)),
        "old": provider.sign(_claims(oidc_world, sub=oidc_world.student_no,
                                     iat=int(time.time()) - 3600)),
        "an ID token": provider.sign(_claims(oidc_world, sub=oidc_world.student_no), typ="JWT"),
        "not a JWT": "not-a-jwt",
        "unsigned": "eyJhbGciOiJub25lIn0." + body + ".",
    }
    for name, token in refused.items():
        reply = _post_logout(oidc_world, token)
        assert reply.status_code == 400, name
        assert _still_signed_in(oidc_world, session), name
    # The genuine one works once; its replay (same jti) is refused.
    assert _post_logout(oidc_world, genuine).status_code == 200
    assert not _still_signed_in(oidc_world, session)
    assert _post_logout(oidc_world, genuine).status_code == 400
    assert plain_session().post(oidc_world.backchannel, data={"logout_token": "x" * 40_000},
                                timeout=30).status_code == 413


def test_logout_goes_through_the_provider_and_back_to_a_local_path_only(oidc_world):
    answer = plain_session().get(oidc_world.app.url + "/auth/oidc/logout",
                                 params={"next": "/chaxun"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert answer.headers["location"].startswith(oidc_world.provider.issuer + "/session/end")
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == [oidc_world.app.url + "/auth/oidc/logged-out"]
    assert query["state"] == ["/chaxun"]
    for state, expected in (("/chaxun", "/chaxun"), ("//evil.example/", "/"),
                            ("https://evil.example/", "/")):
        back = plain_session().get(oidc_world.app.url + "/auth/oidc/logged-out",
                                   params={"state": state}, allow_redirects=False, timeout=30)
        assert back.status_code == 303 and back.headers["location"] == expected


def test_a_flood_of_made_up_codes_is_slowed_down(oidc_world):
    """Each made-up code with a state of its own costs a request to the provider: after the
    free failures of the sign-in limits the client must wait. The client is named by
    X-Forwarded-For (the test's peer is the trusted proxy), so the other tests are not slowed."""
    from clearance.adapters.limits import security_config
    free = security_config().sign_in["per_client"].free
    session = plain_session()
    headers = {"X-Forwarded-For": "10.77.0.10"}
    statuses = []
    for i in range(free + 2):
        start = session.get(oidc_world.app.url + "/auth/oidc/login", headers=headers,
                            allow_redirects=False, timeout=30)
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        statuses.append(session.get(oidc_world.callback, headers=headers, allow_redirects=False,
                                    params={"code": f"made-up-{i}", "state": state},
                                    timeout=30).status_code)
    assert statuses[:free] == [403] * free and statuses[free:] == [429, 429]


def test_behind_the_trusted_proxy_over_https_both_cookies_are_secure(oidc_world):
    session = plain_session()
    https = {"X-Forwarded-Proto": "https"}
    start = session.get(oidc_world.app.url + "/auth/oidc/login", headers=https,
                        allow_redirects=False, timeout=30)
    assert "lxt_oidc=" in start.headers["set-cookie"] and "Secure" in start.headers["set-cookie"]
    url = provider_code(session, oidc_world.app.url, oidc_world.provider, STAFF_ID)
    answer = session.get(url, headers=https, allow_redirects=False, timeout=30)
    assert answer.status_code == 200 and _cookie(answer)
    session_cookie = [c for c in answer.raw.headers.getlist("set-cookie") if "lxt_session=" in c]
    assert session_cookie and "Secure" in session_cookie[0] and "HttpOnly" in session_cookie[0]


def test_with_oidc_on_the_cas_routes_are_off(oidc_world):
    """One protocol at a time: a CAS ticket cannot be spent on an OIDC-configured 离校通."""
    for path in ("/auth/cas/login", "/auth/cas/callback?ticket=ST-1-x"):
        answer = plain_session().get(oidc_world.app.url + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 404 and "未启用统一身份认证" in answer.text
        assert _cookie(answer) is None
