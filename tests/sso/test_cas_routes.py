"""The CAS routes' own checks, without servers: a CAS server that cannot be reached, `next`,
and the logoutRequest parser (no DTD, no entities)."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from clearance.adapters import sso
from clearance.adapters.signin import gate
from tests.browser.harness import free_port
from webapi import cas


def _request(query: bytes) -> Request:
    return Request({"type": "http", "method": "GET", "path": cas.CALLBACK, "query_string": query,
                    "headers": [], "client": ("10.66.0.1", 40000), "scheme": "http",
                    "server": ("127.0.0.1", 80)})


def test_a_cas_server_that_cannot_be_reached_is_a_chinese_page_and_not_a_failure(monkeypatch):
    closed = free_port()  # nothing listens there
    config = sso.SsoConfig(mode="cas", public_url="http://127.0.0.1:1",
                           cas_server_url=f"http://127.0.0.1:{closed}/cas/", cas_timeout=2)
    monkeypatch.setattr(sso, "sso_config", lambda: config)
    gate().throttle.reset()
    for _ in range(gate().throttle.rules["per_client"].free + 1):
        answer = asyncio.run(cas.callback(_request(b"ticket=ST-1-abc")))
        assert answer.status_code == 502
        assert "暂时无法连接学校统一身份认证服务器" in answer.body.decode()
    assert "set-cookie" not in answer.headers
    gate().throttle.reset()


@pytest.mark.parametrize("value, expected", [
    ("/marking", "/marking"), ("/chaxun?x=1", "/chaxun?x=1"), (None, "/"), ("", "/"),
    ("//evil.example", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"),
    ("marking", "/"), ("/a b", "/"), ("/x\x00", "/"), ("/" + "a" * 300, "/"),
])
def test_next_is_a_local_path(value, expected):
    assert cas.safe_next(value) == expected


def test_the_logout_parser_takes_no_entities():
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY t SYSTEM "file:///etc/passwd">]>'
           '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
           '<samlp:SessionIndex>&t;</samlp:SessionIndex></samlp:LogoutRequest>')
    assert cas.session_index(xxe) is None
    ok = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
          '<samlp:SessionIndex> ST-9-x </samlp:SessionIndex></samlp:LogoutRequest>')
    assert cas.session_index(ok) == "ST-9-x"
    assert cas.session_index("<a>") is None
