"""config/security.toml: trusted proxies and the guessing limits, loaded once per process."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from clearance.paths import PROJECT_ROOT
from clearance.adapters.netaddr import Network, client_address, parse_networks
from clearance.adapters.throttle import Rule

SECURITY_FILE = Path(os.environ.get("CLEARANCE_SECURITY") or PROJECT_ROOT / "config" / "security.toml")


@dataclass(frozen=True)
class SecurityConfig:
    trusted_proxies: tuple[Network, ...]
    student_lookup: dict[str, Rule]
    sign_in: dict[str, Rule]
    concurrent_password_checks: int
    password_check_wait: float


def _rules(section: dict, names: tuple[str, ...], where: str) -> dict[str, Rule]:
    rules = {}
    for name in names:
        raw = section.get(name)
        if not isinstance(raw, dict):
            raise ValueError(f"security.toml 缺少 [{where}.{name}]")
        rule = Rule(free=int(raw["free"]), window=float(raw["window"]),
                    base_delay=float(raw.get("base_delay", 1)),
                    max_delay=float(raw.get("max_delay", 60)), ceiling=(name == "global"))
        if rule.free < 1 or rule.window <= 0 or rule.base_delay <= 0 or rule.max_delay <= 0:
            raise ValueError(f"security.toml [{where}.{name}] 的数值必须为正数")
        rules[name] = rule
    return rules


def load_security_config(path: Path = SECURITY_FILE) -> SecurityConfig:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    checks = raw.get("sign_in", {}).get("password_checks", {})
    return SecurityConfig(
        trusted_proxies=parse_networks(raw.get("network", {}).get("trusted_proxies", [])),
        student_lookup=_rules(raw.get("student_lookup", {}), ("per_client", "per_student", "global"),
                              "student_lookup"),
        sign_in=_rules(raw.get("sign_in", {}), ("per_account", "per_client", "global"), "sign_in"),
        concurrent_password_checks=max(1, int(checks.get("concurrent", 2))),
        password_check_wait=float(checks.get("wait_seconds", 5)),
    )


@lru_cache(maxsize=1)
def security_config() -> SecurityConfig:
    return load_security_config()


def forwarded_values(headers) -> list[str]:
    """Every X-Forwarded-For value in order (a repeated header is one list of hops). Accepts
    Streamlit's and Starlette's header objects (`get_all`/`getlist`) or a plain mapping."""
    if not headers:
        return []
    for method in ("get_all", "getlist"):
        if hasattr(headers, method):
            return list(getattr(headers, method)("X-Forwarded-For") or [])
    return [v for k, v in dict(headers).items() if k.lower() == "x-forwarded-for"]


def client_of(client_addr: str | None, headers) -> str:
    """The normalised client address behind a request (trusted proxies from security.toml)."""
    return client_address(client_addr, forwarded_values(headers), security_config().trusted_proxies)
