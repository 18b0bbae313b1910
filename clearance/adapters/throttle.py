"""Growing delays after failures, per key, in memory (the app process owns everything).

A rule gives each key `free` failures within `window` seconds; after that, the next attempt
waits `base_delay` seconds after the last failure, doubling with each further failure up to
`max_delay`. Nobody is locked out: a key that stops failing is free again as its failures
leave the window. A rule with `ceiling=True` is a plain cap instead (at most `free` failures in
the window over all clients: the global ceiling).

An attempt reserves its slot on every key it touches *before* the slow check (argon2, a
roster read) with `acquire`, and hands it back with `refund` only on success: a
check-then-record pair would let a burst of parallel attempts all pass the check first.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class Rule:
    free: int            # failures allowed in the window before any delay (a ceiling: the cap)
    window: float        # seconds a failure counts
    base_delay: float = 1.0
    max_delay: float = 60.0
    ceiling: bool = False

    def wait(self, failures: deque[float], now: float) -> float:
        """Seconds until the next attempt may be made, given this key's recent failures."""
        n = len(failures)
        if n < self.free:
            return 0.0
        if self.ceiling:
            return max(0.0, failures[n - self.free] + self.window - now)
        delay = min(self.max_delay, self.base_delay * 2 ** (n - self.free))
        return max(0.0, failures[-1] + delay - now)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0   # seconds (when refused)
    stamp: float | None = None  # hand back to `refund` when the attempt succeeds

    @property
    def wait_text(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class Throttle:
    """Failure times per (rule, key); bounded memory (the least recently failing keys go first)."""

    def __init__(self, rules: dict[str, Rule], max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        self.rules = rules
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def acquire(self, keys: Sequence[tuple[str, str]]) -> Decision:
        """Reserve one failure slot on every (rule, key), or none if any of them must wait."""
        now = self._clock()
        with self._lock:
            waits = [self.rules[rule].wait(self._recent(rule, key, now), now) for rule, key in keys]
            if any(w > 0 for w in waits):
                return Decision(False, max(waits))
            for rule, key in keys:
                times = self._failures.setdefault((rule, key), deque())
                times.append(now)
                self._failures.move_to_end((rule, key))
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
            return Decision(True, stamp=now)

    def check(self, keys: Sequence[tuple[str, str]]) -> Decision:
        now = self._clock()
        with self._lock:
            wait = max((self.rules[r].wait(self._recent(r, k, now), now) for r, k in keys), default=0.0)
        return Decision(wait <= 0, wait)

    def refund(self, keys: Sequence[tuple[str, str]], stamp: float | None) -> None:
        """The attempt succeeded: it was not a failure. Removes only that attempt's slot."""
        if stamp is None:
            return
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if times is None:
                    continue
                try:
                    times.remove(stamp)
                except ValueError:
                    pass  # already out of the window
                if not times:
                    self._failures.pop(key, None)

    def snapshot(self, wall_now: float | None = None) -> list[tuple[str, str, float]]:
        """(rule, key, epoch seconds) of every failure still inside its rule's window, to keep
        across a restart (the monotonic clock does not survive one; the wall clock does)."""
        now = self._clock()
        wall_now = time.time() if wall_now is None else wall_now
        with self._lock:
            return [(rule, key, wall_now - (now - at))
                    for (rule, key) in list(self._failures) if rule in self.rules
                    for at in self._recent(rule, key, now)]

    def restore(self, failures: Sequence[tuple[str, str, float]], wall_now: float | None = None) -> int:
        """Put back a snapshot's failures (those of known rules, still inside their window, not
        in the future); returns how many."""
        now = self._clock()
        wall_now = time.time() if wall_now is None else wall_now
        kept = 0
        with self._lock:
            for rule, key, failed_at in sorted(failures, key=lambda f: f[2]):
                age = wall_now - failed_at
                if rule not in self.rules or not 0 <= age < self.rules[rule].window:
                    continue
                times = self._failures.setdefault((rule, key), deque())
                times.append(now - age)
                if len(times) > 1 and times[-2] > times[-1]:  # keep each key's times in order
                    self._failures[(rule, key)] = deque(sorted(times))
                self._failures.move_to_end((rule, key))
                kept += 1
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        return kept

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _recent(self, rule: str, key: str, now: float) -> deque[float]:
        times = self._failures.get((rule, key), deque())
        window = self.rules[rule].window
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            self._failures.pop((rule, key), None)
        return times
