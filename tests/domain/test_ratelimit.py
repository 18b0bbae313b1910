"""The lookup limiter: failures per client in a sliding window, thread-safe, bounded memory,
and the client key (IP, trusted proxies, session fallback)."""

import threading

from clearance.adapters.ratelimit import FailureLimiter, LookupLimits, client_key


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def limiter(**kw):
    clock = Clock()
    return FailureLimiter(LookupLimits(**({"max_failures": 5, "window_seconds": 60} | kw)), clock), clock


def test_sixth_rapid_failure_is_refused_until_the_window_moves_on():
    lim, clock = limiter()
    for n in range(5):
        assert lim.acquire("ip:1.2.3.4").allowed, n
        clock.now += 1
    decision = lim.acquire("ip:1.2.3.4")
    assert not decision.allowed
    assert decision.retry_after == 55  # the first failure (t=1000) leaves the window at t=1060
    assert not lim.check("ip:1.2.3.4").allowed
    clock.now = 1060.0
    assert lim.acquire("ip:1.2.3.4").allowed  # one slot freed, and taken
    assert not lim.acquire("ip:1.2.3.4").allowed


def test_a_refunded_success_is_not_a_failure_and_clears_nothing_else():
    lim, clock = limiter()
    for _ in range(4):
        lim.acquire("ip:1.2.3.4")
    ok = lim.acquire("ip:1.2.3.4")
    lim.refund("ip:1.2.3.4", ok.stamp)  # the fifth lookup matched
    assert lim.acquire("ip:1.2.3.4").allowed  # so a fifth failure is still allowed
    assert not lim.acquire("ip:1.2.3.4").allowed  # the four earlier failures still count
    lim.refund("ip:1.2.3.4", 12345.0)  # an unknown stamp changes nothing
    assert not lim.check("ip:1.2.3.4").allowed


def test_a_burst_of_parallel_attempts_gets_only_the_allowed_slots():
    lim, _ = limiter()
    barrier = threading.Barrier(20)
    results = []
    def attempt():
        barrier.wait()
        results.append(lim.acquire("ip:5.5.5.5").allowed)
    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 15 + [True] * 5


def test_clients_are_counted_separately():
    lim, _ = limiter()
    for _ in range(5):
        lim.acquire("ip:1.1.1.1")
    assert not lim.check("ip:1.1.1.1").allowed
    assert lim.check("ip:2.2.2.2").allowed


def test_checking_does_not_count_as_an_attempt():
    lim, _ = limiter()
    for _ in range(50):
        assert lim.check("ip:1.1.1.1").allowed


def test_memory_is_bounded_by_dropping_the_least_recent_client():
    lim, clock = limiter(max_clients=3)
    for n in range(5):
        for _ in range(5):
            lim.acquire(f"ip:10.0.0.{n}")
        clock.now += 1
    assert len(lim._failures) == 3
    assert lim.check("ip:10.0.0.0").allowed  # forgotten
    assert not lim.check("ip:10.0.0.4").allowed


def test_concurrent_failures_are_all_counted():
    lim, _ = limiter(max_failures=8000, window_seconds=3600)
    def hammer():
        for _ in range(999):
            lim.acquire("ip:9.9.9.9")
    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lim.check("ip:9.9.9.9").allowed  # 7,992 < 8,000
    assert [lim.acquire("ip:9.9.9.9").allowed for _ in range(9)] == [True] * 8 + [False]


TRUSTED = ("127.0.0.1", "::1", "10.0.0.5")


def test_a_direct_client_is_its_own_address_and_cannot_forge_one():
    assert client_key("203.0.113.7", {"Host": "x"}, "s1", TRUSTED) == "ip:203.0.113.7"
    forged = {"Host": "x", "X-Forwarded-For": "198.51.100.1"}
    assert client_key("203.0.113.7", forged, "s1", TRUSTED) == "ip:203.0.113.7"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client():
    headers = {"host": "x", "x-forwarded-for": "1.2.3.4, 198.51.100.9, 10.0.0.5"}
    assert client_key("10.0.0.5", headers, "s1", TRUSTED) == "ip:198.51.100.9"
    # Streamlit reports a loopback peer (a proxy on the same machine) as None.
    assert client_key(None, {"host": "x", "X-Forwarded-For": "198.51.100.9"}, "s1", TRUSTED) \
        == "ip:198.51.100.9"
    assert client_key(None, {"host": "x"}, "s1", TRUSTED) == "ip:127.0.0.1"
    assert client_key("10.0.0.5", {"host": "x", "X-Forwarded-For": "junk"}, "s", TRUSTED) \
        == "ip:10.0.0.5"


def test_without_a_request_the_session_is_the_client():
    assert client_key(None, {}, "abc", TRUSTED) == "session:abc"


def test_trusted_proxies_may_be_networks():
    networks = ("127.0.0.1/32", "::1/128", "10.8.0.0/24")
    headers = {"host": "x", "X-Forwarded-For": "6.6.6.6, 198.51.100.9, 10.8.0.17"}
    # Two load balancers of the university's network in a row: both skipped.
    assert client_key("10.8.0.3", headers, "s", networks) == "ip:198.51.100.9"
    # A peer outside the networks is the client, whatever header it sends.
    assert client_key("10.9.0.3", headers, "s", networks) == "ip:10.9.0.3"
    assert client_key("10.8.0.3", headers, "s", ("not-a-network",)) == "ip:10.8.0.3"
