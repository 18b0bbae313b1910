"""Per-client limits on failed student lookups, so the public page cannot enumerate students.

The app process owns everything, so attempts live in memory: a thread-safe dict from a client
key to the times of its recent failures (a sliding window). Streamlit runs every session on its
own thread, hence the lock.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Mapping

from clearance.rules.student_view import LookupLimits  # noqa: F401  (the limits are configuration)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the next attempt is allowed (when refused)
    stamp: float | None = None  # the attempt's slot, to hand back with `refund` on success


class FailureLimiter:
    """At most `max_failures` failures per client key within `window_seconds`.

    An attempt takes its slot *before* the lookup (`acquire`) and gives it back only when the
    lookup succeeds (`refund`): a check-then-record pair would let a burst of parallel
    sessions from one client all pass the check before any failure was recorded.
    """

    def __init__(self, limits: LookupLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        # key → failure times, oldest first; the dict itself is ordered by last failure so
        # the least recently failing client is dropped first when it grows too large.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, key: str) -> Decision:
        """May this client try a lookup now? Does not count as an attempt."""
        now = self._clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.limits.max_failures:
                return Decision(True)
            return Decision(False, max(0.0, times[0] + self.limits.window_seconds - now))

    def acquire(self, key: str) -> Decision:
        """Take a slot for one attempt, counted as a failure unless refunded."""
        now = self._clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.limits.max_failures:
                return Decision(False, max(0.0, times[0] + self.limits.window_seconds - now))
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
            while len(self._failures) > self.limits.max_clients:
                self._failures.popitem(last=False)
            return Decision(True, stamp=now)

    def refund(self, key: str, stamp: float | None) -> None:
        """The attempt succeeded: it was not a failure. Removes only that attempt's slot."""
        with self._lock:
            times = self._failures.get(key)
            if times is not None and stamp is not None:
                try:
                    times.remove(stamp)
                except ValueError:
                    pass  # already out of the window
                if not times:
                    self._failures.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.limits.window_seconds:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_key(remote_ip: str | None, headers: Mapping[str, str] | None, session_id: str,
               trusted_proxies: tuple[str, ...]) -> str:
    """Who is asking, as a rate-limit key.

    `remote_ip` is the socket peer (Streamlit's `st.context.ip_address`, which is None for a
    loopback peer). Behind a trusted reverse proxy the client is the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (entries to its left are whatever the
    client chose to send). With no request at all (no headers: a test harness) the session is
    the client.
    """
    if not headers:
        return f"session:{session_id}"
    peer = remote_ip or "127.0.0.1"
    forwarded = _header(headers, "X-Forwarded-For")
    if is_trusted(peer, trusted_proxies) and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if not is_trusted(hop, trusted_proxies):
                return f"ip:{hop}" if _is_ip(hop) else f"ip:{peer}"
    return f"ip:{peer}"


def is_trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    """Whether `address` is one of the trusted proxies, each an address or a network
    ("10.8.0.0/24": the university's load balancers)."""
    try:
        ip = ipaddress.ip_address(address.removeprefix("::ffff:"))
    except ValueError:
        return False
    for entry in trusted_proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a malformed entry trusts nobody
    return False


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""
