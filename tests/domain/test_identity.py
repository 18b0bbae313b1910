"""The campus sign-in's one mapping rule (clearance.rules.identity) and its store side
(clearance.adapters.sso, sessions): who a CAS/OIDC identity is in 离校通, and the attacks on
that — a 学号 that equals a staff username, a replayed ticket, a non-break-glass password."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.adapters import sessions, sso
from clearance.adapters.sso import SsoConfig, SsoConfigError, load_sso_config
from clearance.rules.identity import (STAFF, STUDENT, Identity, IdentityRules, map_identity)
from clearance.store.accounts import create_account, set_active
from tests.conftest import add_students, roster_frame

ACCOUNTS = {"T1001"}
ROSTER = {"20180000001"}


def mapped(user, attributes=None, **rules):
    return map_identity(Identity(user, attributes or {}), IdentityRules(**rules),
                        is_account=ACCOUNTS.__contains__, is_student=ROSTER.__contains__)


def test_lookup_rule_staff_by_account_student_by_roster():
    assert (mapped("T1001").kind, mapped("T1001").subject) == (STAFF, "T1001")
    assert (mapped("20180000001").kind, mapped("20180000001").subject) == (STUDENT, "20180000001")


def test_unknown_empty_and_oversized_ids_are_refused_in_chinese():
    for user in ("T9999", "", "   ", "x" * 65, "T10\x0001"):
        result = mapped(user)
        assert result.kind is None and result.subject == ""
        assert "统一身份认证" in result.message


def test_an_id_that_is_both_staff_and_student_is_refused():
    ACCOUNTS.add("20180000001")
    try:
        result = mapped("20180000001")
    finally:
        ACCOUNTS.discard("20180000001")
    assert result.kind is None and "无法判断身份" in result.message


def test_attribute_rule_needs_the_matching_record():
    rules = dict(kind_rule="attribute", staff_values=("staff",), student_values=("student",))
    assert mapped("T1001", {"type": "staff"}, **rules).kind == STAFF
    assert mapped("20180000001", {"type": ["student"]}, **rules).kind == STUDENT
    # A student claiming to be staff, staff claiming to be a student: no such record.
    assert mapped("20180000001", {"type": "staff"}, **rules).kind is None
    assert mapped("T1001", {"type": "student"}, **rules).kind is None
    assert "身份类别" in mapped("T1001", {"type": "alumni"}, **rules).message


def test_the_id_can_come_from_an_attribute():
    result = mapped("opaque-uuid", {"employeeNumber": "T1001"}, id_attribute="employeeNumber")
    assert (result.kind, result.subject) == (STAFF, "T1001")


CAS_ON = SsoConfig(mode="cas", public_url="https://lxt.test", break_glass=True,
                   break_glass_accounts=("admin",), cas_server_url="https://cas.test/cas/")


@pytest.fixture
def sso_store(store):
    create_account(store, "T1001", "图书馆 钱老师", "office", "Cas-Only-Passw0rd!",
                   stages=["library"], by="test", must_change=False)
    add_students(store, roster_frame(2))
    return store


def test_a_student_session_never_resumes_as_staff(sso_store):
    """A student whose 学号 equals a staff username signs in as the student: that session
    must not open any staff page."""
    create_account(sso_store, "20180000001", "同号 老师", "admin", "Cas-Only-Passw0rd!",
                   by="test", must_change=False)
    token = sessions.start_session(sso_store, "20180000001", kind=sessions.STUDENT)
    assert sessions.resume_session(sso_store, token) is None
    assert sessions.resume_student_session(sso_store, token) == "20180000001"
    assert sessions.why_ended(sso_store, token) is None
    staff_token = sessions.start_session(sso_store, "T1001")
    assert sessions.resume_student_session(sso_store, staff_token) is None


def test_sign_in_identity_creates_the_session_and_single_sign_out_ends_it(sso_store):
    assert sso.claim_ticket(sso_store, "ST-1-abc", "cas")
    result = sso.sign_in_identity(sso_store, Identity("T1001"), "ST-1-abc", CAS_ON)
    assert result.kind == STAFF and result.subject == "T1001"
    assert sessions.resume_session(sso_store, result.token).username == "T1001"
    assert sso.end_ticket_session(sso_store, "ST-1-abc") == sessions.token_hash(result.token)
    assert sessions.resume_session(sso_store, result.token) is None
    assert sso.end_ticket_session(sso_store, "ST-forged") is None


def test_a_ticket_is_accepted_once(sso_store):
    assert sso.claim_ticket(sso_store, "ST-2-xyz", "cas")
    assert not sso.claim_ticket(sso_store, "ST-2-xyz", "cas")


def test_refused_identities_create_nothing(sso_store):
    set_active(sso_store, "T1001", False, by="test")
    before = sso_store.read_value("SELECT count(*) FROM staff_sessions")
    for user in ("T1001", "T9999", "20189999999"):
        result = sso.sign_in_identity(sso_store, Identity(user), None, CAS_ON)
        assert result.token is None and result.message
    assert sso_store.read_value("SELECT count(*) FROM staff_sessions") == before


def test_student_sign_in_is_the_roster_row(sso_store):
    result = sso.sign_in_identity(sso_store, Identity("20180000002"), None, CAS_ON)
    assert (result.kind, result.subject) == (STUDENT, "20180000002")
    assert sessions.resume_student_session(sso_store, result.token) == "20180000002"


def test_break_glass_only_for_listed_accounts_when_allowed():
    assert sso.local_password_allowed("lib_staff", SsoConfig(mode="off"))
    assert sso.local_password_allowed("admin", CAS_ON)
    assert not sso.local_password_allowed("lib_staff", CAS_ON)
    no_glass = SsoConfig(**{**CAS_ON.__dict__, "break_glass": False})
    assert not sso.local_password_allowed("admin", no_glass)


def test_password_sign_in_of_a_non_break_glass_account_is_not_checked(sso_store, monkeypatch):
    from clearance.adapters import signin
    monkeypatch.setattr(sso, "sso_config", lambda: CAS_ON)
    checked = []
    monkeypatch.setattr(signin.accounts, "authenticate", lambda *a: checked.append(a))
    result = signin.sign_in(sso_store, "T1001", "Cas-Only-Passw0rd!", "10.0.0.1")
    assert result.actor is None and "统一身份认证" in result.message and not checked


def test_the_shipped_config_is_off_and_valid():
    config = load_sso_config()
    assert config.mode == "off" and not config.on


@pytest.mark.parametrize("text, word", [
    ('mode = "saml"', "mode"),
    ('mode = "cas"\npublic_url = "lxt.example"\n[cas]\nserver_url = "https://cas/"', "public_url"),
    ('mode = "cas"\npublic_url = "https://lxt"\n[cas]\nserver_url = ""', "server_url"),
    ('mode = "cas"\npublic_url = "https://lxt"\n[cas]\nserver_url = "https://c/"\n'
     '[kinds]\nrule = "guess"', "rule"),
])
def test_a_broken_config_is_refused_naming_the_key(tmp_path: Path, text, word):
    path = tmp_path / "sso.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SsoConfigError, match=word):
        load_sso_config(path)


OIDC_ON = sso.SsoConfig(mode="oidc", public_url="https://lxt.test", oidc_issuer="https://idp.test",
                        oidc_client_id="lixiaotong", oidc_client_secret="x")


def test_back_channel_logout_ends_the_sid_or_every_session_of_the_sub(sso_store):
    def sign_in(sid):
        result = sso.sign_in_identity(sso_store, Identity("20180000002"), None, OIDC_ON,
                                      provider_session=sso.ProviderSession("https://idp.test",
                                                                       "20180000002", sid))
        return result.token

    first, second, third = sign_in("sid-1"), sign_in("sid-2"), sign_in("sid-2")
    alive = lambda token: sessions.resume_student_session(sso_store, token) == "20180000002"  # noqa: E731
    # Another issuer's sid of the same value ends nothing.
    assert sso.end_provider_sessions(sso_store, sso.ProviderSession("https://evil.test", "", "sid-1")) == []
    ended = sso.end_provider_sessions(sso_store, sso.ProviderSession("https://idp.test", "", "sid-1"))
    assert ended == [sessions.token_hash(first)]
    assert not alive(first) and alive(second) and alive(third)
    # A sid that belongs to another subject ends nothing when the token names both.
    assert sso.end_provider_sessions(sso_store, sso.ProviderSession("https://idp.test", "T1",
                                                                "sid-2")) == []
    assert len(sso.end_provider_sessions(sso_store, sso.ProviderSession("https://idp.test",
                                                                    "20180000002"))) == 3
    assert not alive(second) and not alive(third)
