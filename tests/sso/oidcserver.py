"""A real OpenID Connect provider for the tests: oidc-provider (npm, tests/oidc_provider/) run by
Node on a free loopback port, with a set of users and the clients it knows. Started and stopped
by the fixtures (tests/sso/conftest.py); loopback only.

Also `provider_code(...)`: signs in at the provider's own login form over HTTP (as a browser
would) starting from 离校通's /auth/oidc/login, and returns the callback URL the provider sends
the browser back to (code and state), not yet followed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.browser.harness import ROOT, free_port

PROVIDER_DIR = ROOT / "tests" / "oidc_provider"
PASSWORD = "oidc-test-pw"   # the provider's development login takes any password


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("the OIDC tests need Node.js (node, npm: Debian packages nodejs, npm); "
                           "it is not installed")
    return node


def ensure_installed() -> None:
    """`npm ci` in tests/oidc_provider when its packages are missing (make test runs it too)."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the OIDC tests need npm to install tests/oidc_provider; it is not installed")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)


class OidcProvider:
    def __init__(self, workdir: Path, users: dict, clients: list[dict]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.settings = workdir / "provider.json"
        self.settings.write_text(json.dumps({"port": self.port, "issuer": self.issuer,
                                             "users": users, "clients": clients},
                                            ensure_ascii=False), encoding="utf-8")
        self.log = workdir / f"oidc-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "OidcProvider":
        node = _node()
        ensure_installed()
        self.proc = subprocess.Popen([node, "provider.mjs", str(self.settings)], cwd=PROVIDER_DIR,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"OIDC provider exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.issuer + "/.well-known/openid-configuration",
                                            timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"OIDC provider did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def tamper_next_id_token(self, mode: str) -> None:
        """The next token response's id_token is altered (see provider.mjs)."""
        plain_session().post(self.issuer + "/__test/tamper", json={"mode": mode},
                             timeout=10).raise_for_status()

    def sign(self, claims: dict, typ: str = "logout+jwt") -> str:
        """A JWT signed with the provider's own key (for malformed logout tokens)."""
        answer = plain_session().post(self.issuer + "/__test/sign",
                                      json={"claims": claims, "typ": typ}, timeout=10)
        answer.raise_for_status()
        return answer.json()["jwt"]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.action:
            self.action = a.get("action") or ""
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""


def plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: never through a configured proxy
    return session


def _follow_until(session: requests.Session, url: str, stop_prefix: str) -> requests.Response:
    """GET and follow redirects by hand until one points at `stop_prefix` (returned unfollowed)
    or a page answers."""
    for _ in range(10):
        answer = session.get(url, allow_redirects=False, timeout=30)
        location = answer.headers.get("location")
        if answer.status_code not in (301, 302, 303, 307) or not location:
            return answer
        url = urljoin(url, location)
        if url.startswith(stop_prefix):
            answer.url = url
            return answer
    raise AssertionError("too many redirects")


def provider_code(session: requests.Session, app_url: str, provider: OidcProvider, user: str,
                  next_path: str = "/") -> str:
    """From 离校通's login to the provider's login form, signed in as `user`; the URL of the
    provider's redirect back to /auth/oidc/callback (code, state), not followed. `session` keeps
    the browser's cookies (离校通's binding cookie and the provider's own)."""
    callback = app_url + "/auth/oidc/callback"
    start = session.get(app_url + "/auth/oidc/login", params={"next": next_path},
                        allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text
    answer = _follow_until(session, start.headers["location"], callback)
    if not answer.url.startswith(callback):
        form = _Form()
        form.feed(answer.text)
        assert form.action, f"no login form at the provider: {answer.text[:500]}"
        posted = session.post(urljoin(answer.url, form.action),
                              data={**form.fields, "login": user, "password": PASSWORD},
                              allow_redirects=False, timeout=30)
        answer = _follow_until(session, urljoin(answer.url, posted.headers["location"]), callback)
    assert answer.url.startswith(callback), f"not sent back to 离校通: {answer.url} {answer.text[:300]}"
    return answer.url
