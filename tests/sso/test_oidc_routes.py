"""The OpenID Connect side without a provider: config/sso.toml's [oidc] (the secret never in the
file), the pending sign-ins (a state is good once, for ten minutes), the algorithms accepted,
a provider that cannot be reached, and the protocol-neutral sign-in entry. (The back-channel
logout's store side is in tests/domain/test_identity.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from starlette.requests import Request

from clearance.adapters import oidc, sso
from clearance.adapters.signin import gate
from clearance.adapters.sso import SsoConfigError, load_sso_config
from tests.browser.harness import free_port
from webapi import oidc as oidc_routes

BASE = '''mode = "oidc"
public_url = "https://lxt.example.edu.cn"
[oidc]
issuer = "https://idp.example.edu.cn/"
client_id = "lixiaotong"
'''


def _load(tmp_path: Path, text: str):
    path = tmp_path / "sso.toml"
    path.write_text(text, encoding="utf-8")
    return load_sso_config(path)


def test_the_secret_comes_from_a_file_or_the_environment(tmp_path, monkeypatch):
    (tmp_path / "secret").write_text("s3cret-from-file\n", encoding="utf-8")
    config = _load(tmp_path, BASE + 'client_secret_file = "secret"\n')
    assert config.oidc_client_secret == "s3cret-from-file"
    assert config.oidc_issuer == "https://idp.example.edu.cn"
    assert config.oidc_discovery_url == "https://idp.example.edu.cn/.well-known/openid-configuration"
    assert "s3cret" not in repr(config)  # never in a log line that prints the config
    monkeypatch.setenv("LXT_OIDC_SECRET", "s3cret-from-env")
    assert _load(tmp_path, BASE + 'client_secret_env = "LXT_OIDC_SECRET"\n') \
        .oidc_client_secret == "s3cret-from-env"


@pytest.mark.parametrize("extra, word", [
    ('client_secret = "written-in-the-file"\n', "client_secret_env"),
    ('client_secret_env = "LXT_NOT_SET_ANYWHERE"\n', "LXT_NOT_SET_ANYWHERE"),
    ('client_secret_file = "missing"\n', "missing"),
    ("", "client_secret_env 或 client_secret_file"),
    ('client_secret_file = "secret"\nscopes = ["profile"]\n', "openid"),
])
def test_a_broken_oidc_config_is_refused_naming_the_key(tmp_path, extra, word):
    (tmp_path / "secret").write_text("x" * 20, encoding="utf-8")
    with pytest.raises(SsoConfigError, match=word):
        _load(tmp_path, BASE + extra)
    with pytest.raises(SsoConfigError, match="issuer"):
        _load(tmp_path, BASE.replace("https://idp.example.edu.cn/", "idp") + extra)


def test_a_state_is_good_once_and_only_for_ten_minutes(monkeypatch):
    logins = oidc.PendingLogins()
    state, pending = logins.start("/marking", "browser-binding-value-123456")
    assert pending.browser == oidc.digest("browser-binding-value-123456")
    assert logins.take(state) == pending and logins.take(state) is None
    state, _ = logins.start("/", "b" * 30)
    clock = oidc.time.monotonic() + oidc.PENDING_SECONDS + 1
    monkeypatch.setattr(oidc.time, "monotonic", lambda: clock)
    assert logins.take(state) is None


def test_only_asymmetric_algorithms_are_accepted():
    metadata = {"id_token_signing_alg_values_supported": ["none", "HS256", "RS256", "ES256"]}
    assert oidc._algorithms(metadata, "id_token_signing_alg_values_supported") == ["RS256", "ES256"]
    assert oidc._algorithms({}, "id_token_signing_alg_values_supported") == ["RS256"]


def _request(path: str, query: bytes = b"") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query,
                    "headers": [], "client": ("10.66.0.2", 40000), "scheme": "http",
                    "server": ("127.0.0.1", 80)})


def test_a_provider_that_cannot_be_reached_is_a_chinese_page(monkeypatch):
    closed = free_port()  # nothing listens there
    config = sso.SsoConfig(mode="oidc", public_url="http://127.0.0.1:1",
                           oidc_issuer=f"http://127.0.0.1:{closed}",
                           oidc_discovery_url=f"http://127.0.0.1:{closed}/.well-known/openid-configuration",
                           oidc_client_id="lixiaotong", oidc_client_secret="x", oidc_timeout=2)
    monkeypatch.setattr(sso, "sso_config", lambda: config)
    oidc.forget_provider()
    answer = asyncio.run(oidc_routes.login(_request(oidc_routes.LOGIN, b"next=/marking")))
    assert answer.status_code == 502
    assert "暂时无法连接学校统一身份认证服务器" in answer.body.decode()
    assert "set-cookie" not in answer.headers
    # RP-initiated logout without a reachable provider: straight back to the local page.
    out = asyncio.run(oidc_routes.logout(_request(oidc_routes.LOGOUT, b"next=/chaxun")))
    assert out.status_code == 303 and out.headers["location"] == "/chaxun"
    gate().throttle.reset()


def test_the_sign_in_entry_names_the_configured_protocol():
    cas = sso.SsoConfig(mode="cas")
    openid = sso.SsoConfig(mode="oidc")
    assert sso.login_path("/student", cas) == "/auth/cas/login?next=/student"
    assert sso.login_path("/student", openid) == "/auth/oidc/login?next=/student"
    assert sso.logout_path("/chaxun", openid) == "/auth/oidc/logout?next=/chaxun"
    assert sso.login_path("/a b&c", openid) == "/auth/oidc/login?next=/a%20b%26c"


def test_the_shipped_config_switched_to_oidc_is_valid(tmp_path, monkeypatch):
    """config/sso.toml as shipped, with only `mode` changed and the secret in its variable."""
    from clearance.paths import PROJECT_ROOT
    text = (PROJECT_ROOT / "config" / "sso.toml").read_text(encoding="utf-8")
    assert 'mode = "off"' in text
    monkeypatch.setenv("CLEARANCE_OIDC_SECRET", "from-the-environment-0123456789")
    config = _load(tmp_path, text.replace('mode = "off"', 'mode = "oidc"', 1))
    assert (config.mode, config.oidc_client_id) == ("oidc", "lixiaotong")
    assert config.oidc_client_secret == "from-the-environment-0123456789"
    assert config.oidc_scopes == ("openid", "profile")


def test_a_client_starting_sign_ins_in_a_loop_drops_only_its_own():
    logins = oidc.PendingLogins()
    theirs, _ = logins.start("/", "b" * 30, "10.0.0.1")
    mine = [logins.start("/", "a" * 30, "10.0.0.2")[0] for _ in range(oidc.MAX_PER_CLIENT + 5)]
    assert logins.take(theirs) is not None
    assert [logins.take(s) is not None for s in mine] == [False] * 5 + [True] * oidc.MAX_PER_CLIENT


def test_a_new_signing_key_is_fetched_once_and_an_unknown_one_does_not_flood_the_provider(monkeypatch):
    """Key rotation: a token under a kid the cached JWKS lacks re-reads the JWKS (at most once a
    minute), so a provider's new key works at once and made-up kids cost one fetch, not one each."""
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import RSAKey
    old, new = (RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"})
                for kid in ("old", "new"))
    published = {"keys": [old.as_dict(private=False)]}
    fetches = []

    def get_json(config, url):
        fetches.append(url)
        if url.endswith("/jwks"):
            return published
        return {"issuer": "https://idp.test", "authorization_endpoint": "https://idp.test/auth",
                "token_endpoint": "https://idp.test/token", "jwks_uri": "https://idp.test/jwks"}

    monkeypatch.setattr(oidc, "_get_json", get_json)
    oidc.forget_provider()
    config = sso.SsoConfig(mode="oidc", oidc_issuer="https://idp.test",
                           oidc_discovery_url="https://idp.test/.well-known/openid-configuration",
                           oidc_client_id="lixiaotong", oidc_client_secret="x")
    signed = lambda key: jose_jwt.encode({"alg": "RS256", "kid": key.kid}, {"sub": "x"}, key)  # noqa: E731
    assert oidc._decode(config, signed(old), ["RS256"]).claims["sub"] == "x"
    published = {"keys": [old.as_dict(private=False), new.as_dict(private=False)]}
    assert oidc._decode(config, signed(new), ["RS256"]).claims["sub"] == "x"  # rotated in
    jwks_reads = fetches.count("https://idp.test/jwks")
    stranger = RSAKey.generate_key(2048, parameters={"kid": "made-up"})
    for _ in range(5):
        with pytest.raises(oidc.Refused):
            oidc._decode(config, signed(stranger), ["RS256"])
    assert fetches.count("https://idp.test/jwks") == jwks_reads  # within the minute: no re-read
    oidc.forget_provider()
