"""Staff sign-in that cannot be turned against staff.

Every attempt first reserves a failure slot (clearance.adapters.throttle) on the typed username (an
unknown name is counted like a real one, so the answers do not tell them apart), on the
client's address, and on a global ceiling; only then is the password checked, and at most
`concurrent_password_checks` argon2 checks (64 MiB, ~0.4 s each) run at once. A success hands
its slots back. Repeated failures make the next attempt wait longer, up to a bounded delay per
username: nobody can lock a colleague out by typing wrong passwords under their name (an
admin can still disable an account). Limits are in config/security.toml.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Callable

from clearance.store import accounts
from clearance.store.accounts import SignIn
from clearance.adapters.limits import SecurityConfig, security_config
from clearance.adapters.sso import USE_SSO, local_password_allowed
from clearance.store.db import Store
from clearance.adapters.throttle import Throttle

SLOW_DOWN = "尝试次数过多，请 {wait} 秒后再试"
BUSY = "登录人数较多，请稍后再试"


class SignInGate:
    def __init__(self, config: SecurityConfig, clock: Callable[[], float] = time.monotonic):
        self.throttle = Throttle(config.sign_in, clock=clock)
        self._checks = threading.BoundedSemaphore(config.concurrent_password_checks)
        self._wait = config.password_check_wait

    def attempt(self, store: Store, username: str, password: str, client: str) -> SignIn:
        keys = [("per_account", username.strip().lower()[:64]), ("per_client", client),
                ("global", "*")]
        decision = self.throttle.acquire(keys)
        if not decision.allowed:
            return SignIn(None, SLOW_DOWN.format(wait=decision.wait_text))
        if not self._checks.acquire(timeout=self._wait):
            self.throttle.refund(keys, decision.stamp)  # not a guess: nothing was checked
            return SignIn(None, BUSY)
        try:
            result = accounts.authenticate(store, username, password)
        finally:
            self._checks.release()
        if result.actor is not None:
            self.throttle.refund(keys, decision.stamp)
        return result


@lru_cache(maxsize=1)
def gate() -> SignInGate:
    """One gate per process: every session's attempts count together."""
    return SignInGate(security_config())


def sign_in(store: Store, username: str, password: str, client: str) -> SignIn:
    """A password sign-in. With the campus sign-in on (config/sso.toml), only the break-glass
    accounts may use a password; every other name is sent to 统一身份认证 without a check."""
    if not local_password_allowed(username):
        return SignIn(None, USE_SSO)
    return gate().attempt(store, username, password, client)
