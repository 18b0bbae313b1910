"""A Streamlit session id is not a credential: the sign-in lives in an HttpOnly cookie set by
the server, and every run checks the cookie the connection carries.

The attack: sign in in a real Chromium, read the session id off the websocket (it also shows in
/_stcore/upload_file/<id>/… URLs and so in proxy logs), then reconnect Streamlit's websocket
with that id and no cookie, as another machine would."""

from __future__ import annotations

from tests.browser.harness import chromium, open_page, sign_in, sign_out, wait_idle
from tests.security.wsclient import run_page, session_id_of

SIGNED_IN = "已登录："       # the sidebar line of a signed-in session
SIGN_IN_FORM = "工作人员登录"


def _signed_in_browser(page, url: str) -> list[str]:
    """Sign lib_staff in; returns the session ids the browser's websockets announced."""
    ids: list[str] = []

    def watch(ws):
        ws.on("framereceived", lambda payload: isinstance(payload, bytes)
              and (sid := session_id_of(payload)) and ids.append(sid))

    page.on("websocket", watch)
    open_page(page, url + "/")
    sign_in(page, "lib_staff", "demo1234")
    return ids


def test_a_replayed_session_id_without_the_cookie_gets_the_sign_in_form(attack_app):
    with chromium() as page:
        ids = _signed_in_browser(page, attack_app.url)
        assert SIGNED_IN in page.inner_text("body")
        victim = ids[-1]  # the session after the sign-in's reload
        cookie = {c["name"]: c for c in page.context.cookies()}["lxt_session"]

        # The cookie is the server's: HttpOnly, SameSite=Strict, and its token is nowhere in the page.
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert cookie["value"] not in page.content()
        assert page.evaluate("document.cookie").find(cookie["value"]) == -1

        # Control: the same protocol client *with* the cookie is signed in (the test can see it).
        _, with_cookie = run_page(attack_app.url, cookie=f"lxt_session={cookie['value']}")
        assert SIGNED_IN in with_cookie

        # The attack: reconnect to the victim's own session, without the cookie.
        attached, stolen = run_page(attack_app.url, session_id=victim)
        assert attached == victim           # the server did hand over the victim's session…
        assert SIGN_IN_FORM in stolen       # …and it shows nothing but the sign-in form
        assert SIGNED_IN not in stolen and "lib_staff" not in stolen and "图书馆" not in stolen


def test_sign_out_ends_every_open_tab_of_that_sign_in(attack_app):
    with chromium() as first:
        _signed_in_browser(first, attack_app.url)
        second = first.context.new_page()
        open_page(second, attack_app.url + "/")
        assert SIGNED_IN in second.inner_text("body")  # the cookie signs the second tab in
        sign_out(first)
        # The other tab shows the sign-in form by itself, without anyone touching it.
        second.wait_for_function(f"() => document.body.innerText.includes({SIGN_IN_FORM!r})",
                                 timeout=20_000)
        wait_idle(second)
        assert SIGNED_IN not in second.inner_text("body")
        assert "lxt_session" not in {c["name"] for c in first.context.cookies()}  # cleared by the server


def test_a_signed_out_cookie_opens_nothing(attack_app):
    with chromium() as page:
        _signed_in_browser(page, attack_app.url)
        token = {c["name"]: c for c in page.context.cookies()}["lxt_session"]["value"]
        sign_out(page)
        _, replay = run_page(attack_app.url, cookie=f"lxt_session={token}")
        assert SIGN_IN_FORM in replay and SIGNED_IN not in replay
