"""Every response carries the frame/CSP/nosniff headers; Streamlit's metrics are not public."""

import urllib.error
import urllib.request

import pytest

EXPECTED = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


@pytest.mark.parametrize("path", ["/", "/student", "/_stcore/health", "/api/desk/ping",
                                  "/static/does-not-exist.js", "/_stcore/metrics"])
def test_every_response_refuses_framing_and_sniffing(attack_app, path):
    _, headers = _get(attack_app.url + path)
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (path, name, headers)


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?x=1"])
def test_streamlit_metrics_are_not_public(attack_app, path):
    status, _ = _get(attack_app.url + path)
    assert status == 404
