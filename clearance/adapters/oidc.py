"""OpenID Connect 1.0 as a relying party (统一身份认证 over OIDC), the protocol half of
webapi/oidc.py: Authlib drives the authorization-code flow (PKCE S256, state, nonce) and checks
the ID token's claims; joserfc (Authlib's JOSE library) checks signatures against the provider's
JWKS. No Starlette here.

    authorization_url(...)        the provider's login, with state, nonce and the PKCE challenge
    exchange_code(...)            the code → the provider's token response (client secret, verifier)
    verify_id_token(...)          signature (JWKS), iss, aud, azp, exp/iat, nonce, at_hash
    verify_logout_token(...)      Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat, events,
                                  no nonce, sid and/or sub

Every refusal raises `Refused` (the caller shows a Chinese page and creates nothing); a provider
that cannot be reached raises `Unreachable`. Pending sign-ins (state → nonce, verifier, where to
return, the browser that started them) live in this process only and for ten minutes: a state
is good once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.errors import AuthlibBaseError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from clearance.adapters.sso import ProviderSession, SsoConfig

CALLBACK, LOGGED_OUT = "/auth/oidc/callback", "/auth/oidc/logged-out"
BACKCHANNEL = "/auth/oidc/backchannel-logout"
PENDING_SECONDS = 600        # from the login redirect to the callback
MAX_PENDING = 10_000         # sign-ins started and not finished, at most (oldest dropped)
MAX_PER_CLIENT = 20          # … of them from one client address
METADATA_SECONDS = 3600      # discovery and JWKS are re-read this often (key rotation)
JWKS_REFRESH_GAP = 60        # an unknown `kid` re-reads the JWKS at most this often
LEEWAY = 60                  # seconds of clock difference tolerated
LOGOUT_MAX_AGE = 600         # a logout token issued longer ago than this is refused
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class Refused(Exception):
    """The provider's answer or a token is not acceptable (the message is for the log)."""


class Unreachable(Exception):
    """The provider could not be reached or did not answer in time."""


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Pending:
    nonce: str
    verifier: str
    next_path: str
    browser: str              # hash of the binding cookie of the browser that started it
    started: float


class PendingLogins:
    """state → Pending, each taken at most once. At most MAX_PENDING in all and MAX_PER_CLIENT
    per client address (a client starting sign-ins in a loop drops only its own oldest, not
    everyone else's)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Pending, str]] = {}
        self._by_client: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _drop(self, state: str) -> Pending | None:
        entry = self._items.pop(state, None)
        if entry is None:
            return None
        states = self._by_client.get(entry[1], [])
        if state in states:
            states.remove(state)
        if not states:
            self._by_client.pop(entry[1], None)
        return entry[0]

    def start(self, next_path: str, browser: str, client: str = "") -> tuple[str, Pending]:
        state = secrets.token_urlsafe(32)
        pending = Pending(secrets.token_urlsafe(32), secrets.token_urlsafe(48), next_path,
                          digest(browser), time.monotonic())
        with self._lock:
            now = time.monotonic()
            for old in [s for s, (p, _) in self._items.items() if now - p.started > PENDING_SECONDS]:
                self._drop(old)
            own = self._by_client.get(client, [])
            while len(own) >= MAX_PER_CLIENT:
                self._drop(own[0])
                own = self._by_client.get(client, [])
            while len(self._items) >= MAX_PENDING:
                self._drop(next(iter(self._items)))
            self._items[state] = (pending, client)
            self._by_client.setdefault(client, []).append(state)
        return state, pending

    def take(self, state: str) -> Pending | None:
        with self._lock:
            pending = self._drop(state)
        if pending is None or time.monotonic() - pending.started > PENDING_SECONDS:
            return None
        return pending

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._by_client.clear()


pending_logins = PendingLogins()


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.metadata: dict[str, tuple[dict, float]] = {}
        self.jwks: dict[str, tuple[KeySet, float]] = {}
        self.forced: dict[str, float] = {}     # jwks_uri → when last re-read for an unknown kid


_cache = _Cache()


def _get_json(config: SsoConfig, url: str) -> dict:
    try:
        answer = requests.get(url, timeout=config.oidc_timeout, verify=config.oidc_verify_tls)
        answer.raise_for_status()
        data = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unreachable(f"{url}: {exc}") from exc
    if not isinstance(data, dict):
        raise Unreachable(f"{url}: not a JSON object")
    return data


def provider_metadata(config: SsoConfig) -> dict:
    """The provider's discovery document, whose `issuer` must be the configured one."""
    now = time.monotonic()
    with _cache.lock:
        cached = _cache.metadata.get(config.oidc_discovery_url)
    if cached and now - cached[1] < METADATA_SECONDS:
        return cached[0]
    metadata = _get_json(config, config.oidc_discovery_url)
    if str(metadata.get("issuer", "")).rstrip("/") != config.oidc_issuer:
        raise Unreachable(f"discovery names issuer {metadata.get('issuer')!r}, "
                          f"not {config.oidc_issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not str(metadata.get(key, "")).startswith(("http://", "https://")):
            raise Unreachable(f"discovery has no {key}")
    with _cache.lock:
        _cache.metadata[config.oidc_discovery_url] = (metadata, now)
    return metadata


def _key_set(config: SsoConfig, force: bool = False) -> KeySet:
    """The provider's keys: cached for METADATA_SECONDS; `force` (a token under a kid we do not
    have) re-reads them, at most once per JWKS_REFRESH_GAP — made-up kids cost one read a
    minute, not one each."""
    uri = provider_metadata(config)["jwks_uri"]
    now = time.monotonic()
    with _cache.lock:
        cached = _cache.jwks.get(uri)
        forced_at = _cache.forced.get(uri, -JWKS_REFRESH_GAP)
        if force and now - forced_at < JWKS_REFRESH_GAP and cached:
            return cached[0]
        if force:
            _cache.forced[uri] = now
    if cached and not force and now - cached[1] < METADATA_SECONDS:
        return cached[0]
    try:
        keys = KeySet.import_key_set(_get_json(config, uri))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise Unreachable(f"JWKS not usable: {exc}") from exc
    with _cache.lock:
        _cache.jwks[uri] = (keys, now)
    return keys


def forget_provider() -> None:
    """Drop the cached discovery document and keys (tests; a changed config)."""
    with _cache.lock:
        _cache.metadata.clear()
        _cache.jwks.clear()
        _cache.forced.clear()


def _algorithms(metadata: dict, key: str) -> list[str]:
    """Asymmetric signatures only: never `none`, never an HMAC keyed by a shared secret."""
    offered = metadata.get(key) or ["RS256"]
    return [a for a in offered if isinstance(a, str) and a != "none" and not a.startswith("HS")]


def _decode(config: SsoConfig, token: str, algorithms: list[str]):
    if not isinstance(token, str) or len(token) > 16_384 or token.count(".") != 2:
        raise Refused("not a compact JWS")
    for force in (False, True):
        try:
            return jwt.decode(token, _key_set(config, force=force), algorithms=algorithms)
        except JoseError as exc:
            # An unknown kid may be a key the provider has just rotated in: read the JWKS again.
            if force or exc.error not in ("invalid_key_id", "missing_key"):
                raise Refused(f"signature: {exc.error}") from exc
        except ValueError as exc:
            raise Refused(f"not a JWT: {exc}") from exc
    raise Refused("signature")


def _session(config: SsoConfig, redirect_uri: str) -> OAuth2Session:
    session = OAuth2Session(client_id=config.oidc_client_id,
                            client_secret=config.oidc_client_secret,
                            token_endpoint_auth_method="client_secret_basic",
                            scope=" ".join(config.oidc_scopes), redirect_uri=redirect_uri,
                            code_challenge_method="S256", default_timeout=config.oidc_timeout)
    session.verify = config.oidc_verify_tls
    return session


def redirect_uri(config: SsoConfig) -> str:
    return config.public_url + CALLBACK


def authorization_url(config: SsoConfig, state: str, pending: Pending) -> str:
    metadata = provider_metadata(config)
    url, _ = _session(config, redirect_uri(config)).create_authorization_url(
        metadata["authorization_endpoint"], state=state, code_verifier=pending.verifier,
        nonce=pending.nonce)
    return url


def exchange_code(config: SsoConfig, code: str, pending: Pending) -> dict:
    """The token endpoint's answer for `code` (this client's secret, the PKCE verifier)."""
    metadata = provider_metadata(config)
    try:
        token = _session(config, redirect_uri(config)).fetch_token(
            metadata["token_endpoint"], grant_type="authorization_code", code=code,
            code_verifier=pending.verifier)
    except AuthlibBaseError as exc:  # invalid_grant (a used or made-up code), invalid_client, …
        raise Refused(f"token endpoint: {exc.error}") from exc
    except requests.RequestException as exc:
        raise Unreachable(f"token endpoint: {exc}") from exc
    except ValueError as exc:
        raise Unreachable(f"token endpoint: not JSON ({exc})") from exc
    if not isinstance(token.get("id_token"), str):
        raise Refused("no id_token in the token response")
    return dict(token)


def verify_id_token(config: SsoConfig, token: dict, nonce: str) -> dict:
    """The ID token's claims, once its signature (the provider's JWKS), issuer, audience
    (this client), authorized party, times, nonce (this sign-in's) and at_hash are right."""
    metadata = provider_metadata(config)
    decoded = _decode(config, token["id_token"],
                      _algorithms(metadata, "id_token_signing_alg_values_supported"))
    claims = CodeIDToken(decoded.claims, decoded.header,
                         {"iss": {"essential": True, "value": config.oidc_issuer},
                          "aud": {"essential": True, "value": config.oidc_client_id},
                          "nonce": {"essential": True}},
                         {"nonce": nonce, "client_id": config.oidc_client_id,
                          "access_token": token.get("access_token")})
    try:
        claims.validate(leeway=LEEWAY)
    except JoseError as exc:
        raise Refused(f"id_token: {exc.error} {exc.description or ''}") from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("id_token: no sub")
    return dict(claims)


def provider_session(config: SsoConfig, claims: dict) -> ProviderSession:
    sid = claims.get("sid")
    return ProviderSession(config.oidc_issuer, str(claims["sub"]),
                           sid if isinstance(sid, str) and sid else None)


def verify_logout_token(config: SsoConfig, token: str) -> tuple[ProviderSession, str | None]:
    """A back-channel logout token's session (sid and/or sub) and jti, once it is a genuine
    logout token of our provider for this client (Back-Channel Logout 1.0 §2.6)."""
    metadata = provider_metadata(config)
    decoded = _decode(config, token, _algorithms(metadata, "id_token_signing_alg_values_supported"))
    typ = decoded.header.get("typ")
    if typ is not None and str(typ).lower() not in ("logout+jwt", "application/logout+jwt"):
        raise Refused(f"logout token: typ {typ!r}")
    claims = decoded.claims
    if str(claims.get("iss", "")).rstrip("/") != config.oidc_issuer:
        raise Refused("logout token: iss")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if config.oidc_client_id not in audiences:
        raise Refused("logout token: aud")
    if len(audiences) > 1 and claims.get("azp") not in (None, config.oidc_client_id):
        raise Refused("logout token: azp")
    iat, now = claims.get("iat"), time.time()
    if not isinstance(iat, (int, float)) or iat > now + LEEWAY or iat < now - LOGOUT_MAX_AGE:
        raise Refused("logout token: iat")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < now - LEEWAY):
        raise Refused("logout token: exp")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise Refused("logout token: events")
    if "nonce" in claims:
        raise Refused("logout token: nonce present")
    sid, sub = claims.get("sid"), claims.get("sub")
    sid = sid if isinstance(sid, str) and sid else None
    sub = sub if isinstance(sub, str) and sub else ""
    if not sid and not sub:
        raise Refused("logout token: neither sid nor sub")
    jti = claims.get("jti")
    return ProviderSession(config.oidc_issuer, sub, sid), jti if isinstance(jti, str) else None


def end_session_url(config: SsoConfig, state: str) -> str | None:
    """RP-initiated logout at the provider, coming back to LOGGED_OUT with `state`; None if the
    provider offers no end_session_endpoint (or cannot be reached)."""
    try:
        endpoint = provider_metadata(config).get("end_session_endpoint")
    except Unreachable:
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        return None
    return add_params_to_uri(endpoint, [("client_id", config.oidc_client_id),
                                        ("post_logout_redirect_uri", config.public_url + LOGGED_OUT),
                                        ("state", state)])
