"""The CAS routes against a real CAS server (django-cas-server, tests/sso/conftest.py), over
HTTP: each attack is performed and must be refused with a Chinese message, no cookie set.

- a replayed ticket, a forged ticket, a ticket issued for another service, a ticket for an
  unknown user or a disabled account;
- `next` pointing at another host (open redirect);
- a forged or hostile (XXE) single sign-out request;
- with SSO on, the 学号 + 姓名 lookup is gone: nobody sees another student.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.sso.casserver import cas_login, cas_session, cas_ticket
from tests.sso.conftest import DISABLED_ID, STAFF_ID, STRANGER_ID


def _get(world, path, **kw):
    return cas_session().get(world.app.url + path, allow_redirects=False, timeout=30, **kw)


def _callback(world, ticket, session=None, **params):
    return (session or cas_session()).get(world.callback, params={"ticket": ticket, **params},
                                          allow_redirects=False, timeout=30)


def _cookie(response) -> str | None:
    return response.cookies.get("lxt_session")


def test_login_redirects_to_cas_with_our_service_url(cas_world):
    answer = _get(cas_world, "/auth/cas/login", params={"next": "/marking"})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(cas_world.cas.url + "login?service=")
    assert "auth%2Fcas%2Fcallback%3Fnext%3D%2Fmarking" in location


@pytest.mark.parametrize("next_path", ["//evil.example/x", "http://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1"])
def test_next_is_a_local_path_only(cas_world, next_path):
    answer = _get(cas_world, "/auth/cas/login", params={"next": next_path})
    service = re.search(r"service=([^&]+)", answer.headers["location"]).group(1)
    assert service.endswith("auth%2Fcas%2Fcallback")  # fell back to "/": no next at all


def test_a_staff_ticket_signs_in_once_and_the_replay_is_refused(cas_world):
    ticket = cas_ticket(cas_world.cas.url, cas_world.callback, STAFF_ID)
    first = _callback(cas_world, ticket)
    assert first.status_code == 200 and _cookie(first)
    set_cookie = first.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert 'http-equiv="refresh" content="0;url=/"' in first.text
    replay = _callback(cas_world, ticket)
    assert replay.status_code == 403 and _cookie(replay) is None
    assert "凭据只能使用一次" in replay.text


def test_behind_the_trusted_proxy_over_https_the_cookie_is_secure(cas_world):
    ticket = cas_ticket(cas_world.cas.url, cas_world.callback, STAFF_ID)
    answer = cas_session().get(cas_world.callback, params={"ticket": ticket}, timeout=30,
                               allow_redirects=False, headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200 and "Secure" in answer.headers["set-cookie"]


def test_a_forged_ticket_is_refused(cas_world):
    for forged in ("ST-1-forgedforgedforged", "ST-" + "A" * 64, "not-a-ticket"):
        answer = _callback(cas_world, forged)
        assert answer.status_code == 403 and _cookie(answer) is None
        assert "登录凭据无效" in answer.text


def test_a_ticket_for_another_service_is_refused(cas_world):
    ticket = cas_ticket(cas_world.cas.url, cas_world.foreign_service, STAFF_ID)
    answer = _callback(cas_world, ticket)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert "只对本系统有效" in answer.text


def test_a_ticket_moved_to_another_next_is_refused(cas_world):
    """The service URL carries `next`: a ticket issued for one cannot be spent on another."""
    service = f"{cas_world.callback}?next=/marking"
    ticket = cas_ticket(cas_world.cas.url, service, STAFF_ID)
    answer = _callback(cas_world, ticket, next="/admin")
    assert answer.status_code == 403 and _cookie(answer) is None


@pytest.mark.parametrize("user, words", [(STRANGER_ID, "既不是离校通工作人员账号"),
                                         (DISABLED_ID, "既不是离校通工作人员账号")])
def test_unknown_and_disabled_users_are_refused(cas_world, user, words):
    ticket = cas_ticket(cas_world.cas.url, cas_world.callback, user)
    answer = _callback(cas_world, ticket)
    assert answer.status_code == 403 and _cookie(answer) is None
    assert words in answer.text and user in answer.text


def test_a_wrong_cas_password_gets_no_ticket(cas_world):
    answer = cas_login(cas_session(), cas_world.cas.url, cas_world.callback, STAFF_ID, "wrong")
    assert "ticket=" not in answer.headers.get("Location", "")


def test_a_missing_ticket_is_refused(cas_world):
    answer = cas_session().get(cas_world.callback, allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "缺少统一身份认证登录凭据" in answer.text


def _signed_in_student(cas_world):
    session = cas_session()
    service = f"{cas_world.callback}?next=/chaxun"
    ticket = cas_ticket(cas_world.cas.url, service, cas_world.student_no)
    answer = session.get(service + f"&ticket={ticket}", allow_redirects=False, timeout=30)
    assert answer.status_code == 200 and 'url=/chaxun"' in answer.text
    return session, ticket


def test_a_student_sees_only_themself(cas_world):
    session, _ = _signed_in_student(cas_world)
    page = session.get(cas_world.app.url + "/chaxun", timeout=30)
    assert cas_world.student_name in page.text and cas_world.student_no in page.text
    assert 'name="student_no"' not in page.text  # no lookup form with SSO on
    # Posting someone else's 学号 + 姓名 (the old lookup) shows this student, nobody else.
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    other = session.post(cas_world.app.url + "/chaxun", timeout=30,
                         data={"csrf": csrf, "student_no": "20180000002", "name": "某人"})
    assert cas_world.student_no in other.text and "20180000002" not in other.text


def test_signed_out_with_sso_on_the_student_page_offers_only_the_campus_sign_in(cas_world):
    page = _get(cas_world, "/chaxun")
    assert "统一身份认证登录" in page.text and 'name="student_no"' not in page.text
    csrf = page.cookies["lxt_csrf"]
    lookup = cas_session().post(cas_world.app.url + "/chaxun", timeout=30,
                                cookies={"lxt_csrf": csrf},
                                data={"csrf": csrf, "student_no": cas_world.student_no,
                                      "name": cas_world.student_name})
    assert cas_world.student_name not in lookup.text  # 学号 + 姓名 no longer opens a status


LOGOUT = """<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x" Version="2.0" IssueInstant="now">
<saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>{ticket}</samlp:SessionIndex>
</samlp:LogoutRequest>"""

XXE = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY t SYSTEM "file:///etc/hostname">]>
<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">
<samlp:SessionIndex>&t;</samlp:SessionIndex></samlp:LogoutRequest>"""


def test_single_sign_out_names_the_ticket_and_ends_only_that_session(cas_world):
    session, ticket = _signed_in_student(cas_world)
    other, _ = _signed_in_student(cas_world)
    wrong = cas_session().post(cas_world.callback, data={"logoutRequest": LOGOUT.format(
        ticket="ST-1-not-a-real-ticket")}, timeout=30)
    assert wrong.status_code == 200
    assert cas_world.student_name in session.get(cas_world.app.url + "/chaxun", timeout=30).text
    answer = cas_session().post(cas_world.callback, data={"logoutRequest": LOGOUT.format(
        ticket=ticket)}, timeout=30)
    assert answer.status_code == 200
    ended = session.get(cas_world.app.url + "/chaxun", timeout=30).text
    assert cas_world.student_name not in ended and "登录已结束" in ended
    assert cas_world.student_name in other.get(cas_world.app.url + "/chaxun", timeout=30).text


def test_hostile_logout_requests_are_refused(cas_world):
    for body in (XXE, "<not xml", "x" * 20_000):
        answer = cas_session().post(cas_world.callback, data={"logoutRequest": body}, timeout=30)
        assert answer.status_code in (400, 413)


def test_logout_goes_through_cas_and_back_to_a_local_path_only(cas_world):
    home = _get(cas_world, "/auth/cas/logout", params={"next": "//evil.example/"})
    assert home.status_code == 303
    assert home.headers["location"].startswith(cas_world.cas.url + "logout?service=")
    assert home.headers["location"].endswith("service=" + quote(cas_world.app.url + "/", safe=""))
    chaxun = _get(cas_world, "/auth/cas/logout", params={"next": "/chaxun"})
    assert chaxun.headers["location"].endswith(quote(cas_world.app.url + "/chaxun", safe=""))


def test_a_flood_of_made_up_tickets_is_slowed_down(cas_world):
    """Each made-up ticket costs a request to the CAS server: after the free failures of the
    sign-in limits (config/security.toml [sign_in.per_client]) the client must wait. The
    client is named by X-Forwarded-For (the test's peer is the trusted proxy), so the other
    tests' client is not slowed."""
    from clearance.adapters.limits import security_config
    free = security_config().sign_in["per_client"].free
    session = cas_session()
    headers = {"X-Forwarded-For": "10.77.0.9"}
    statuses = [session.get(cas_world.callback, params={"ticket": f"ST-{i}-made-up"},
                            headers=headers, allow_redirects=False, timeout=30).status_code
                for i in range(free + 2)]
    assert statuses[:free] == [403] * free and statuses[free:] == [429, 429]
    slowed = session.get(cas_world.callback, params={"ticket": "ST-x"}, headers=headers,
                         allow_redirects=False, timeout=30)
    assert "尝试次数过多" in slowed.text


def test_the_advisor_form_is_the_signed_in_students_own(cas_world):
    session, _ = _signed_in_student(cas_world)
    page = session.get(cas_world.app.url + "/chaxun", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    pdf = session.post(cas_world.app.url + "/chaxun/form.pdf", timeout=60,
                       data={"csrf": csrf, "student_no": "20180000002", "name": "某人"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert cas_world.student_no in pdf.headers["content-disposition"]
    stranger = cas_session()
    form = stranger.get(cas_world.app.url + "/chaxun", timeout=30)
    refused = stranger.post(cas_world.app.url + "/chaxun/form.pdf", timeout=30,
                            data={"csrf": form.cookies["lxt_csrf"],
                                  "student_no": cas_world.student_no,
                                  "name": cas_world.student_name})
    assert refused.status_code == 403 and not refused.content.startswith(b"%PDF")
