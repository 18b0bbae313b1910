"""Staff sign-in cannot be used against staff: the attacks, with real argon2 on the demo store.

- 30 parallel guesses on one account: at most the free attempts reach argon2.
- A lock-out sweep (5 wrong passwords on every account from one client) leaves every staff
  member able to sign in at once from another client.
- An anonymous flood never runs more than `concurrent_password_checks` argon2 checks at once.
- Unknown, disabled and wrong get one answer; so do their slow-downs.
"""

from __future__ import annotations

import threading
import time

import pytest

import clearance.store.accounts as accounts
from clearance.store.accounts import set_active
from clearance.adapters.limits import security_config
from clearance.adapters.signin import SignInGate


@pytest.fixture
def counted(monkeypatch):
    """Counts argon2 checks and the most that ran at once."""
    real = accounts._verify
    stats = {"calls": 0, "running": 0, "peak": 0}
    lock = threading.Lock()

    def verify(password_hash, password):
        with lock:
            stats["calls"] += 1
            stats["running"] += 1
            stats["peak"] = max(stats["peak"], stats["running"])
        try:
            return real(password_hash, password)
        finally:
            with lock:
                stats["running"] -= 1

    monkeypatch.setattr(accounts, "_verify", verify)
    return stats


def _parallel(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_thirty_parallel_guesses_on_one_account_verify_at_most_the_free_ones(demo_store, counted):
    gate = SignInGate(security_config())
    free = security_config().sign_in["per_account"].free
    results = _parallel(30, lambda i: gate.attempt(demo_store, "admin", f"guess-{i}", f"10.0.0.{i}"))
    assert counted["calls"] <= free
    assert all(r.actor is None for r in results)
    assert sum("请" in r.message and "秒后再试" in r.message for r in results) >= 30 - free


def test_a_lock_out_sweep_from_one_client_leaves_staff_able_to_sign_in(demo_store, counted):
    # The sweep runs within one instant (a loaded test machine's argon2 must not let the
    # client's first 2 s delay pass and blur the count); the staff sign in at that instant too.
    clock = [1000.0]
    gate = SignInGate(security_config(), clock=lambda: clock[0])
    usernames = [r[0] for r in demo_store.read_rows("SELECT username FROM staff ORDER BY username")]
    assert len(usernames) == 82
    started = time.monotonic()
    refused = 0
    for username in usernames:
        for attempt in range(5):
            result = gate.attempt(demo_store, username, f"wrong-{attempt}", "203.0.113.66")
            refused += "秒后再试" in result.message
    # The sweeping client was slowed after a few guesses: almost nothing reached argon2.
    assert counted["calls"] <= security_config().sign_in["per_client"].free
    assert refused >= 82 * 5 - counted["calls"]
    assert time.monotonic() - started < 60
    # Every account still signs in from a staff member's own machine: at once, or (the few
    # accounts the sweep reached before it was slowed) after the first short delay.
    first_delay = security_config().sign_in["per_account"].base_delay
    for username in ("admin", "lib_staff", "cs_secretary", "gs"):
        wait = gate.throttle.check([("per_account", username)]).retry_after
        assert wait <= first_delay, (username, wait)
    clock[0] += first_delay
    for username in ("admin", "lib_staff", "cs_secretary", "gs"):
        assert gate.attempt(demo_store, username, "demo1234", "10.1.2.3").actor is not None, username


def test_distributed_guessing_delays_an_account_but_never_locks_it(demo_store):
    clock = [1000.0]
    gate = SignInGate(security_config(), clock=lambda: clock[0])
    rule = security_config().sign_in["per_account"]
    for i in range(40):  # many clients, one account: each wait is bounded
        wait = gate.throttle.check([("per_account", "lib_staff")]).retry_after
        assert wait <= rule.max_delay
        clock[0] += wait
        assert gate.attempt(demo_store, "lib_staff", "wrong", f"198.51.100.{i}").actor is None
    clock[0] += rule.max_delay
    assert gate.attempt(demo_store, "lib_staff", "demo1234", "10.1.2.3").actor is not None


def test_an_anonymous_flood_runs_at_most_the_allowed_argon2_checks_at_once(demo_store, counted):
    gate = SignInGate(security_config())
    _parallel(12, lambda i: gate.attempt(demo_store, f"nobody{i}", "x", f"192.0.2.{i}"))
    assert counted["calls"] >= 2  # they did run
    assert counted["peak"] <= security_config().concurrent_password_checks


def test_unknown_disabled_and_wrong_get_the_same_answer(demo_store):
    clock = [1000.0]
    gate = SignInGate(security_config(), clock=lambda: clock[0])  # time stands still
    set_active(demo_store, "dorm_staff", False, by="admin")
    answers = {
        "unknown": gate.attempt(demo_store, "no_such_user", "demo1234", "10.9.0.1").message,
        "disabled": gate.attempt(demo_store, "dorm_staff", "demo1234", "10.9.0.2").message,
        "wrong": gate.attempt(demo_store, "lib_staff", "not-it-123", "10.9.0.3").message,
    }
    assert len(set(answers.values())) == 1, answers
    # The slow-down reads the same for a name that exists and one that does not.
    for name in ("lib_staff", "no_such_user"):
        for i in range(security_config().sign_in["per_account"].free):
            gate.attempt(demo_store, name, "wrong", f"10.8.{i}.1")
    a = gate.attempt(demo_store, "lib_staff", "wrong", "10.7.0.1").message
    b = gate.attempt(demo_store, "no_such_user", "wrong", "10.7.0.2").message
    assert a == b and "秒后再试" in a
