"""A real CAS 3.0 server for the tests: django-cas-server on a free loopback port, with a JSON
user database and the services it may issue tickets for. Started and stopped by the fixtures
(tests/sso/conftest.py); loopback only.

Also `cas_ticket(...)`: signs in at the CAS server's own login form over HTTP (as a browser
would) and returns the service ticket it redirects with.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.browser.harness import ROOT, free_port, start_server, stop_server

PASSWORD = "cas-test-pw"


class CasServer:
    def __init__(self, workdir: Path, users: dict, services: list[dict]):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/cas/"
        workdir.mkdir(parents=True, exist_ok=True)
        users_file = workdir / "cas-users.json"
        users_file.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
        self.log = workdir / f"cas-{self.port}.log"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.sso.cas_site.settings",
                    "CAS_TEST_DB": str(workdir / "cas.sqlite3"), "CAS_TEST_USERS": str(users_file),
                    "PYTHONPATH": str(ROOT), "NO_PROXY": "*"}
        self.services = services
        self.proc: subprocess.Popen | None = None

    def _django(self, *args: str) -> None:
        subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self, timeout: float = 60) -> "CasServer":
        self._django("-m", "django", "migrate", "--noinput")
        self._django("tests/sso/cas_site/setup_services.py", json.dumps(self.services))
        self.proc = start_server(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            self.env, self.log, self.url + "login", "CAS server", timeout=timeout)
        return self

    def stop(self) -> None:
        stop_server(self.proc)


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") in ("hidden", None, "text"):
            self.fields[a["name"]] = a.get("value") or ""


def cas_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: never through a configured proxy
    return session


def cas_login(session: requests.Session, cas_url: str, service: str, username: str,
              password: str = PASSWORD) -> requests.Response:
    """The CAS login form filled and posted; the answer (a redirect to the service) is not
    followed."""
    page = session.get(cas_url + "login", params={"service": service}, timeout=10)
    page.raise_for_status()
    inputs = _Inputs()
    inputs.feed(page.text)
    form = {**inputs.fields, "username": username, "password": password}
    return session.post(cas_url + "login?" + urlencode({"service": service}), data=form,
                        headers={"Referer": page.url}, allow_redirects=False, timeout=10)


def cas_ticket(cas_url: str, service: str, username: str, password: str = PASSWORD,
               session: requests.Session | None = None) -> str:
    """A fresh service ticket for `service`, as the CAS server hands it to a browser."""
    answer = cas_login(session or cas_session(), cas_url, service, username, password)
    location = answer.headers.get("Location", "")
    ticket = parse_qs(urlsplit(location).query).get("ticket", [""])[0]
    if not re.match(r"^ST-", ticket):
        raise AssertionError(f"no ticket from the CAS server ({answer.status_code}): {location!r}")
    return ticket
