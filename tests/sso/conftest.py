"""The campus sign-in world of the tests: a copy of the demo store with two 工号 accounts (one
disabled), a real CAS server (django-cas-server) that knows a staff member, a student of the
demo roster, the disabled account and a stranger, and the app started with a config/sso.toml
of its own pointing at that CAS server. One per test module (the servers take seconds)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearance.root import close_all_stores, open_store
from clearance.store.accounts import create_account, set_active
from tests.browser.harness import AppServer, free_port
from tests.conftest import _demo_file
from tests.sso.casserver import PASSWORD, CasServer

STAFF_ID, STAFF_NAME = "T20019", "图书馆 钱老师"      # a 工号 with an office account
DISABLED_ID = "T20020"                                 # a 工号 whose account is disabled
STRANGER_ID = "T99999"                                 # known to CAS, unknown to 离校通


@dataclass
class CasWorld:
    app: AppServer
    cas: CasServer
    db_path: Path
    student_no: str
    student_name: str
    foreign_service: str

    @property
    def callback(self) -> str:
        return f"{self.app.url}/auth/cas/callback"


def write_sso_toml(path: Path, app_url: str, cas_url: str, **extra) -> Path:
    break_glass = extra.get("break_glass", True)
    path.write_text(f'''mode = "cas"
public_url = "{app_url}"
break_glass = {"true" if break_glass else "false"}
break_glass_accounts = ["admin"]
[cas]
server_url = "{cas_url}"
verify_tls = true
single_logout_from = ["127.0.0.1"]
timeout = 10
[attributes]
user_id = ""
name = "cn"
kind = "type"
[kinds]
rule = "lookup"
''', encoding="utf-8")
    return path


def _prepare_store(path: Path) -> tuple[str, str]:
    store = open_store(path)
    # As a staff import leaves it: "change the password at first sign-in" — which a campus
    # sign-in must not ask for (the person never had that password).
    create_account(store, STAFF_ID, STAFF_NAME, "office", "Cas-Only-Passw0rd!", stages=["library"],
                   by="test", must_change=True)
    create_account(store, DISABLED_ID, "停用 老师", "office", "Cas-Only-Passw0rd!",
                   stages=["library"], by="test", must_change=False)
    set_active(store, DISABLED_ID, False, by="test")
    row = store.read_dicts("SELECT student_no, name FROM students ORDER BY student_no LIMIT 1")[0]
    close_all_stores()
    return row["student_no"], row["name"]


@pytest.fixture(scope="module")
def cas_world(tmp_path_factory):
    work = tmp_path_factory.mktemp("sso")
    db_path = work / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), db_path)
    student_no, student_name = _prepare_store(db_path)
    users = {
        STAFF_ID: {"password": PASSWORD, "attributes": {"cn": STAFF_NAME, "type": "staff"}},
        student_no: {"password": PASSWORD, "attributes": {"cn": student_name, "type": "student"}},
        DISABLED_ID: {"password": PASSWORD, "attributes": {"cn": "停用 老师", "type": "staff"}},
        STRANGER_ID: {"password": PASSWORD, "attributes": {"cn": "路人", "type": "staff"}},
    }
    sso_file = work / "sso.toml"
    # Loopback only: the app validates tickets at the CAS server without any configured proxy.
    app = AppServer(db_path, env={"CLEARANCE_SSO": str(sso_file), "NO_PROXY": "127.0.0.1,localhost",
                                  "no_proxy": "127.0.0.1,localhost"})
    foreign = f"http://127.0.0.1:{free_port()}/other-system/"
    services = [
        {"name": "离校通", "pattern": rf"^http://127\.0\.0\.1:{app.port}/auth/cas/callback(\?.*)?$",
         "single_log_out": True},
        {"name": "其他系统", "pattern": rf"^{foreign.replace('.', chr(92) + '.')}.*$"},
    ]
    cas = CasServer(work / "cas", users, services).start()
    write_sso_toml(sso_file, app.url, cas.url)
    try:
        app.start()
        yield CasWorld(app, cas, db_path, student_no, student_name, foreign)
    finally:
        app.stop()
        cas.stop()


# --- OpenID Connect: the same people, a real oidc-provider (tests/oidc_provider) ---------------

OIDC_CLIENT_ID = "lixiaotong"
OIDC_SECRET = "test-only-client-secret-0123456789abcdef"


@dataclass
class OidcWorld:
    app: AppServer
    provider: "OidcProvider"
    db_path: Path
    student_no: str
    student_name: str

    @property
    def callback(self) -> str:
        return f"{self.app.url}/auth/oidc/callback"

    @property
    def backchannel(self) -> str:
        return f"{self.app.url}/auth/oidc/backchannel-logout"


def write_oidc_toml(path: Path, app_url: str, issuer: str, secret_file: Path, **extra) -> Path:
    break_glass = extra.get("break_glass", True)
    path.write_text(f'''mode = "oidc"
public_url = "{app_url}"
break_glass = {"true" if break_glass else "false"}
break_glass_accounts = ["admin"]
[oidc]
issuer = "{issuer}"
client_id = "{OIDC_CLIENT_ID}"
client_secret_file = "{secret_file}"
scopes = ["openid", "profile", "campus"]
verify_tls = true
timeout = 10
[attributes]
user_id = ""
name = "name"
kind = "user_type"
[kinds]
rule = "lookup"
''', encoding="utf-8")
    return path


def oidc_clients(app_url: str) -> list[dict]:
    common = {"grant_types": ["authorization_code"], "response_types": ["code"],
              "token_endpoint_auth_method": "client_secret_basic"}
    return [
        {**common, "client_id": OIDC_CLIENT_ID, "client_secret": OIDC_SECRET,
         "redirect_uris": [f"{app_url}/auth/oidc/callback"],
         "post_logout_redirect_uris": [f"{app_url}/auth/oidc/logged-out"],
         "backchannel_logout_uri": f"{app_url}/auth/oidc/backchannel-logout",
         "backchannel_logout_session_required": True},
        {**common, "client_id": "other-system", "client_secret": "other-system-secret-0123456789",
         "redirect_uris": ["http://127.0.0.1:9/other-system/callback"]},
    ]


@pytest.fixture(scope="module")
def oidc_world(tmp_path_factory):
    from tests.sso.oidcserver import OidcProvider
    work = tmp_path_factory.mktemp("oidc")
    db_path = work / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), db_path)
    student_no, student_name = _prepare_store(db_path)
    users = {
        STAFF_ID: {"name": STAFF_NAME, "user_type": "staff"},
        student_no: {"name": student_name, "user_type": "student"},
        DISABLED_ID: {"name": "停用 老师", "user_type": "staff"},
        STRANGER_ID: {"name": "路人", "user_type": "staff"},
    }
    sso_file, secret_file = work / "sso.toml", work / "oidc-secret"
    secret_file.write_text(OIDC_SECRET + "\n", encoding="utf-8")
    app = AppServer(db_path, env={"CLEARANCE_SSO": str(sso_file), "NO_PROXY": "127.0.0.1,localhost",
                                  "no_proxy": "127.0.0.1,localhost"})
    provider = OidcProvider(work / "provider", users, oidc_clients(app.url)).start()
    write_oidc_toml(sso_file, app.url, provider.issuer, secret_file)
    try:
        app.start()
        yield OidcWorld(app, provider, db_path, student_no, student_name)
    finally:
        app.stop()
        provider.stop()
