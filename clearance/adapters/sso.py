"""Campus sign-in (统一身份认证): config/sso.toml, and what happens once an identity provider has
vouched for someone — the one path CAS (webapi/cas.py) and OpenID Connect (webapi/oidc.py) take:

    sign_in_identity(store, identity, ...)  → the 离校通 session (same store, expiry and cookie
                                              as a password sign-in) or a Chinese refusal

The mapping rule itself (staff account by 工号, student by 学号) is clearance.rules.identity.
CAS tickets and OIDC authorization codes are remembered by hash (sso_tickets, migration 031): one
that was ever presented is refused the second time, and CAS's single sign-out names the ticket
whose session it ends. An OIDC sign-in also remembers the provider's session id (sid) and
subject by hash (oidc_sessions, migration 037): a back-channel logout names them.

The pages never spell a protocol's routes: `login_path` / `logout_path` give the one entry
「统一身份认证登录」 whatever the protocol.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from clearance.adapters import sessions
from clearance.adapters.netaddr import Network, parse_networks
from clearance.clock import beijing_now
from clearance.paths import PROJECT_ROOT
from clearance.rules.identity import (STAFF, STUDENT, Identity, IdentityRules, Mapped,
                                      map_identity)
from clearance.store.accounts import get_actor
from clearance.store.db import Store

MODES = ("off", "cas", "oidc")
REPLAYED = "该登录凭据已使用过或已失效，请重新通过统一身份认证登录。"
USE_SSO = "本系统已启用统一身份认证，请点击“统一身份认证登录”。"


def sso_file() -> Path:
    return Path(os.environ.get("CLEARANCE_SSO") or PROJECT_ROOT / "config" / "sso.toml")


@dataclass(frozen=True)
class SsoConfig:
    mode: str = "off"
    public_url: str = ""
    break_glass: bool = True
    break_glass_accounts: tuple[str, ...] = ()
    cas_server_url: str = ""
    cas_verify_tls: bool = True
    cas_timeout: float = 10.0
    single_logout_from: tuple[Network, ...] = ()
    oidc_issuer: str = ""
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_scopes: tuple[str, ...] = ("openid", "profile")
    oidc_verify_tls: bool = True
    oidc_timeout: float = 10.0
    rules: IdentityRules = IdentityRules()

    @property
    def on(self) -> bool:
        return self.mode != "off"


class SsoConfigError(ValueError):
    """config/sso.toml is not usable (the message names the key, in Chinese)."""


def _strings(raw, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise SsoConfigError(f"sso.toml 的 {key} 必须是字符串列表")
    return tuple(v.strip() for v in raw if v.strip())


def _client_secret(oidc: dict, base: Path) -> str:
    """The OIDC client secret from the environment variable or the file the config names (a
    secret is never written into sso.toml itself, which is committed and backed up)."""
    if "client_secret" in oidc:
        raise SsoConfigError("sso.toml 的 [oidc] 不能直接写 client_secret，请用 client_secret_env "
                             "（环境变量名）或 client_secret_file（文件路径）")
    env, file = str(oidc.get("client_secret_env", "")), str(oidc.get("client_secret_file", ""))
    if env:
        secret = os.environ.get(env, "")
        if not secret.strip():
            raise SsoConfigError(f"sso.toml 的 [oidc] client_secret_env 指定的环境变量 {env} 未设置")
        return secret.strip()
    if file:
        path = Path(file) if Path(file).is_absolute() else base / file
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except OSError:
            raise SsoConfigError(f"sso.toml 的 [oidc] client_secret_file 指定的文件 {file} 无法读取") from None
        if not secret:
            raise SsoConfigError(f"sso.toml 的 [oidc] client_secret_file 指定的文件 {file} 是空的")
        return secret
    raise SsoConfigError("sso.toml 的 [oidc] 须给出 client_secret_env 或 client_secret_file")


def _oidc_fields(oidc: dict, base: Path) -> dict:
    issuer = str(oidc.get("issuer", "")).rstrip("/")
    if not issuer.startswith(("http://", "https://")):
        raise SsoConfigError("sso.toml 的 [oidc] issuer 必须是统一身份认证服务的完整地址（https://…）")
    discovery = str(oidc.get("discovery_url", "")) or issuer + "/.well-known/openid-configuration"
    client_id = str(oidc.get("client_id", "")).strip()
    if not client_id:
        raise SsoConfigError("sso.toml 的 [oidc] client_id 不能为空（学校信息化部门登记本系统时给出）")
    scopes = _strings(oidc.get("scopes", ["openid", "profile"]), "[oidc] scopes")
    if "openid" not in scopes:
        raise SsoConfigError("sso.toml 的 [oidc] scopes 必须包含 openid")
    return dict(oidc_issuer=issuer, oidc_discovery_url=discovery, oidc_client_id=client_id,
                oidc_client_secret=_client_secret(oidc, base), oidc_scopes=scopes,
                oidc_verify_tls=bool(oidc.get("verify_tls", True)),
                oidc_timeout=float(oidc.get("timeout", 10)))


def load_sso_config(path: Path | None = None) -> SsoConfig:
    path = path or sso_file()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    mode = str(raw.get("mode", "off")).strip().lower()
    if mode not in MODES:
        raise SsoConfigError(f"sso.toml 的 mode 只能是 {' / '.join(MODES)}，而不是“{mode}”")
    cas, attrs, kinds = raw.get("cas", {}), raw.get("attributes", {}), raw.get("kinds", {})
    rule = str(kinds.get("rule", "lookup"))
    if rule not in ("lookup", "attribute"):
        raise SsoConfigError("sso.toml 的 [kinds] rule 只能是 lookup 或 attribute")
    config = SsoConfig(
        mode=mode,
        public_url=str(raw.get("public_url", "")).rstrip("/"),
        break_glass=bool(raw.get("break_glass", True)),
        break_glass_accounts=_strings(raw.get("break_glass_accounts", []), "break_glass_accounts"),
        cas_server_url=str(cas.get("server_url", "")),
        cas_verify_tls=bool(cas.get("verify_tls", True)),
        cas_timeout=float(cas.get("timeout", 10)),
        single_logout_from=parse_networks(_strings(cas.get("single_logout_from", []),
                                                   "single_logout_from")),
        rules=IdentityRules(
            id_attribute=str(attrs.get("user_id", "")), name_attribute=str(attrs.get("name", "cn")),
            kind_attribute=str(attrs.get("kind", "type")), kind_rule=rule,
            staff_values=_strings(kinds.get("staff_values", ["staff"]), "staff_values"),
            student_values=_strings(kinds.get("student_values", ["student"]), "student_values")),
        **(_oidc_fields(raw.get("oidc", {}), path.parent) if mode == "oidc" else {}),
    )
    if config.on and not config.public_url.startswith(("http://", "https://")):
        raise SsoConfigError("sso.toml 的 public_url 必须是本系统对外的完整地址（https://…）")
    if mode == "cas" and not config.cas_server_url.startswith(("http://", "https://")):
        raise SsoConfigError("sso.toml 的 [cas] server_url 必须是统一身份认证服务器的完整地址")
    if mode == "cas" and not config.cas_server_url.endswith("/"):
        config = replace(config, cas_server_url=config.cas_server_url + "/")
    return config


@lru_cache(maxsize=1)
def sso_config() -> SsoConfig:
    return load_sso_config()


def login_path(next_path: str = "/", config: SsoConfig | None = None) -> str:
    """「统一身份认证登录」's link: the configured protocol's login route, coming back to
    `next_path` (a local path)."""
    config = config or sso_config()
    return f"/auth/{config.mode}/login?next={quote(next_path, safe='/')}"


def logout_path(next_path: str = "/", config: SsoConfig | None = None) -> str:
    """Where the browser goes after 离校通's own sign-out: out of the campus sign-in too."""
    config = config or sso_config()
    return f"/auth/{config.mode}/logout?next={quote(next_path, safe='/')}"


def local_password_allowed(username: str, config: SsoConfig | None = None) -> bool:
    """With SSO off every account signs in with its password; with SSO on only the break-glass
    accounts, and only when the config allows them."""
    config = config or sso_config()
    if not config.on:
        return True
    return config.break_glass and username.strip() in config.break_glass_accounts


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_active_account(store: Store, username: str) -> bool:
    return get_actor(store, username) is not None


def is_roster_student(store: Store, student_no: str) -> bool:
    return bool(store.read_value("SELECT count(*) FROM students WHERE student_no = $n",
                                 {"n": student_no}))


def map_person(store: Store, identity: Identity, config: SsoConfig | None = None) -> Mapped:
    config = config or sso_config()
    return map_identity(identity, config.rules,
                        is_account=lambda uid: is_active_account(store, uid),
                        is_student=lambda uid: is_roster_student(store, uid))


@dataclass(frozen=True)
class SsoSignIn:
    token: str | None         # the new session's token (for the HttpOnly cookie), or None
    kind: str | None = None   # STAFF | STUDENT
    subject: str = ""         # account username or 学号
    message: str = ""         # the Chinese refusal


def ticket_seen(store: Store, ticket: str) -> bool:
    return bool(store.read_value("SELECT count(*) FROM sso_tickets WHERE ticket_hash = $h",
                                 {"h": _hash(ticket)}))


def claim_ticket(store: Store, ticket: str, protocol: str) -> bool:
    """Record a ticket as presented, before it is validated; False if it was seen before (a
    replay is refused even if the identity provider would still accept it)."""
    with store.transaction(touches_data=False) as cur:
        if cur.execute("SELECT count(*) FROM sso_tickets WHERE ticket_hash = $h",
                       {"h": _hash(ticket)}).fetchall()[0][0]:
            return False
        cur.execute("INSERT INTO sso_tickets VALUES ($h, NULL, $p, NULL, $t)",
                    {"h": _hash(ticket), "p": protocol, "t": beijing_now()})
    return True


@dataclass(frozen=True)
class ProviderSession:
    """An OIDC provider's names for a sign-in, which its back-channel logout repeats."""
    issuer: str
    sub: str
    sid: str | None = None

    def sub_key(self) -> str:
        return _hash(f"{self.issuer}\n{self.sub}")

    def sid_key(self) -> str | None:
        return _hash(f"{self.issuer}\n{self.sid}") if self.sid else None


def sign_in_identity(store: Store, identity: Identity, ticket: str | None = None,
                     config: SsoConfig | None = None, *,
                     provider_session: ProviderSession | None = None) -> SsoSignIn:
    """An identity the provider vouched for → a 离校通 session, or a refusal (nothing created).
    `ticket`: the CAS ticket or OIDC code it came with, claimed already (claim_ticket); kept for
    single sign-out. `provider_session`: an OIDC sign-in's sid/sub, for back-channel logout."""
    mapped = map_person(store, identity, config)
    if mapped.kind is None:
        return SsoSignIn(None, message=mapped.message)
    with store.transaction(touches_data=False) as cur:
        token = sessions.start_session(store, mapped.subject, kind=mapped.kind, cur=cur)
        if ticket:
            cur.execute("UPDATE sso_tickets SET token_hash = $k, subject = $s WHERE ticket_hash = $h",
                        {"k": sessions.token_hash(token), "s": mapped.subject, "h": _hash(ticket)})
        if provider_session:
            cur.execute("INSERT INTO oidc_sessions VALUES ($k, $sid, $sub, $t)",
                        {"k": sessions.token_hash(token), "sid": provider_session.sid_key(),
                         "sub": provider_session.sub_key(), "t": beijing_now()})
    return SsoSignIn(token, mapped.kind, mapped.subject)


def end_ticket_session(store: Store, ticket: str) -> str | None:
    """Single sign-out: end the session a ticket started. Returns that session's token hash
    (so its open pages can be rerun), or None if the ticket started none."""
    rows = store.read_rows("SELECT token_hash FROM sso_tickets WHERE ticket_hash = $h"
                           " AND token_hash IS NOT NULL", {"h": _hash(ticket)})
    if not rows:
        return None
    with store.transaction(touches_data=False) as cur:
        cur.execute("UPDATE staff_sessions SET ended_at = $t WHERE token_hash = $k"
                    " AND ended_at IS NULL", {"t": beijing_now(), "k": rows[0][0]})
    return rows[0][0]



def end_provider_sessions(store: Store, provider_session: ProviderSession) -> list[str]:
    """OIDC back-channel logout: end the sessions the provider's session started — those with
    its sid (and its sub, when the logout token names both), or every session of the sub when
    it names no sid. Returns the ended sessions' token hashes (to rerun their open pages)."""
    sid_key = provider_session.sid_key()
    if sid_key:
        sql = ("SELECT token_hash FROM oidc_sessions WHERE sid_hash = $sid"
               + (" AND sub_hash = $sub" if provider_session.sub else ""))
        params = {"sid": sid_key, **({"sub": provider_session.sub_key()}
                                     if provider_session.sub else {})}
    else:
        sql, params = "SELECT token_hash FROM oidc_sessions WHERE sub_hash = $sub", \
            {"sub": provider_session.sub_key()}
    hashes = [row[0] for row in store.read_rows(sql, params)]
    if not hashes:
        return []
    with store.transaction(touches_data=False) as cur:
        for token_hash in hashes:
            cur.execute("UPDATE staff_sessions SET ended_at = $t WHERE token_hash = $k"
                        " AND ended_at IS NULL", {"t": beijing_now(), "k": token_hash})
    return hashes
