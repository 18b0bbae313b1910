"""Growing delays per key, a global ceiling, reserve-before-check, bounded memory."""

import threading

from clearance.adapters.throttle import Rule, Throttle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def throttle(**rules):
    clock = Clock()
    return Throttle(rules or {"c": Rule(free=3, window=600, base_delay=2, max_delay=10)}, clock=clock), clock


def test_after_the_free_failures_each_attempt_waits_longer_but_never_locks():
    t, clock = throttle()
    keys = [("c", "1.2.3.4")]
    for _ in range(3):
        assert t.acquire(keys).allowed
    refused = t.acquire(keys)
    assert not refused.allowed and refused.retry_after == 2
    waits = []
    for _ in range(5):
        d = t.check(keys)
        clock.now += d.retry_after
        waits.append(d.retry_after)
        assert t.acquire(keys).allowed
    assert waits == [2, 4, 8, 10, 10]  # doubling, capped: a wait, never a lock


def test_the_ceiling_is_a_plain_cap_over_the_window():
    t, clock = throttle(g=Rule(free=2, window=60, ceiling=True))
    assert t.acquire([("g", "*")]).allowed
    clock.now += 10
    assert t.acquire([("g", "*")]).allowed
    d = t.acquire([("g", "*")])
    assert not d.allowed and d.retry_after == 50


def test_a_refused_key_reserves_nothing_on_the_others():
    t, _ = throttle(a=Rule(free=1, window=60), b=Rule(free=5, window=60))
    assert t.acquire([("a", "x"), ("b", "y")]).allowed
    assert not t.acquire([("a", "x"), ("b", "y")]).allowed
    for _ in range(4):
        assert t.acquire([("b", "y")]).allowed  # the refused attempt did not count on b


def test_a_refund_removes_only_that_attempt():
    t, _ = throttle()
    keys = [("c", "k")]
    t.acquire(keys)
    t.acquire(keys)
    ok = t.acquire(keys)
    t.refund(keys, ok.stamp)
    assert t.acquire(keys).allowed
    assert not t.acquire(keys).allowed


def test_parallel_attempts_get_only_the_free_slots():
    t, _ = throttle(c=Rule(free=5, window=600, base_delay=60))
    barrier = threading.Barrier(30)
    allowed = []

    def guess():
        barrier.wait()
        allowed.append(t.acquire([("c", "k")]).allowed)

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert allowed.count(True) == 5


def test_memory_is_bounded():
    clock = Clock()
    t = Throttle({"c": Rule(free=1, window=600)}, max_keys=3, clock=clock)
    for n in range(10):
        t.acquire([("c", f"k{n}")])
    assert len(t._failures) == 3
    assert t.acquire([("c", "k0")]).allowed  # the oldest was dropped
