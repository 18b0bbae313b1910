"""The public student page behind a reverse proxy on the same host, and a campus NAT.

Every lookup goes through `ui.student_lookup.attempt_lookup(peer, headers, 学号, 姓名)`, the one
function the page (and any plain HTTP front) calls, with the headers a request would carry."""

from __future__ import annotations

import random

import pytest

import ui.student_lookup as lookup
from clearance.adapters.limits import security_config
from clearance.root import close_all_stores, open_store
from clearance.adapters.throttle import Throttle

PROXY = "::ffff:127.0.0.1"  # how Streamlit reports a proxy on the same host over IPv6


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def page(demo_db_path, monkeypatch):
    """attempt_lookup over the demo store with a limiter on a clock the test moves."""
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    clock = Clock()
    throttle = Throttle(security_config().student_lookup, clock=clock)
    monkeypatch.setattr(lookup, "limiter", lambda: throttle)
    students = open_store().read_rows("SELECT student_no, name FROM students ORDER BY student_no")
    yield lookup, clock, students
    close_all_stores()


def _via_proxy(client: str) -> dict:
    return {"Host": "lxt.example.edu.cn", "X-Forwarded-For": client}


def test_behind_an_ipv4_mapped_proxy_each_student_is_their_own_client(page):
    lookup, _, students = page
    no, name = students[0]
    free = security_config().student_lookup["per_client"].free
    for i in range(free + 3):  # one client fails a lot, on many 学号 …
        lookup.attempt_lookup(PROXY, _via_proxy("198.51.100.1"), students[i + 1][0], "不对")
    slowed = lookup.attempt_lookup(PROXY, _via_proxy("198.51.100.1"), no, name)
    assert slowed.student_no is None and "秒后再试" in slowed.message
    # … and another student behind the same proxy is not touched by it.
    assert lookup.attempt_lookup(PROXY, _via_proxy("198.51.100.2"), no, name).student_no == no


def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(page):
    lookup, _, students = page
    free = security_config().student_lookup["per_client"].free
    outcomes = [lookup.attempt_lookup("203.0.113.5", {"X-Forwarded-For": f"10.0.{i // 250}.{i % 250}"},
                                      students[i][0], "不对") for i in range(free + 20)]
    assert sum("秒后再试" in o.message for o in outcomes) >= 19


def test_a_sweep_from_one_client_reaches_the_roster_only_a_few_times(page, monkeypatch):
    lookup, clock, students = page
    reads = []
    real_run = lookup.queries.run
    monkeypatch.setattr(lookup.queries, "run", lambda *a, **k: reads.append(1) or real_run(*a, **k))
    for i in range(1000):  # 1000 guesses in 100 s from one address
        lookup.attempt_lookup("203.0.113.7", {"Host": "x"}, students[i][0], "王伟")
        clock.now += 0.1
    rule = security_config().student_lookup["per_client"]
    allowed, t, n = rule.free, 0.0, 0  # the most the growing delays let through in 100 s
    while (t := t + min(rule.max_delay, rule.base_delay * 2 ** n)) <= 100:
        allowed, n = allowed + 1, n + 1
    print(f"sweep: {len(reads)} of 1000 guesses reached the roster (bound {allowed})")
    assert len(reads) <= allowed + 1


def test_guessing_one_students_name_slows_down_from_every_address_but_never_locks(page):
    lookup, clock, students = page
    no, name = students[5]
    rule = security_config().student_lookup["per_student"]
    for i in range(rule.free):
        assert lookup.attempt_lookup(f"198.51.100.{i}", {"Host": "x"}, no, f"猜{i}").message \
            == lookup.LOOKUP_FAILED
    refused = lookup.attempt_lookup("198.51.100.200", {"Host": "x"}, no, name)
    assert refused.student_no is None and "秒后再试" in refused.message  # a new address is no way round
    clock.now += rule.base_delay
    assert lookup.attempt_lookup("198.51.100.200", {"Host": "x"}, no, name).student_no == no


def test_a_global_ceiling_holds_against_many_addresses(page):
    lookup, _, students = page
    cap = security_config().student_lookup["global"].free
    for i in range(cap):
        lookup.attempt_lookup(f"10.{i // 250}.{i % 250}.1", {"Host": "x"}, students[i][0], "不对")
    busy = lookup.attempt_lookup("10.200.0.1", {"Host": "x"}, students[0][0], students[0][1])
    assert busy.student_no is None and "查询人数过多" in busy.message


def test_a_campus_nat_of_300_students_with_typos_is_served(page):
    """300 students behind one NAT address in 10 minutes, 25 % typing their name wrong first
    and retrying 15 s later: what share of their lookups is refused?"""
    lookup, clock, students = page
    rng = random.Random(7)
    nat = {"X-Forwarded-For": "202.202.0.1"}
    crowd = rng.sample(students, 300)
    attempts = []  # (time, 学号, name given)
    for k, (no, name) in enumerate(crowd):
        t = 1000 + k * 2.0  # one every 2 s
        if rng.random() < 0.25:
            attempts.append((t, no, name + "x"))
            attempts.append((t + 15, no, name))
        else:
            attempts.append((t, no, name))
    refused = served = 0
    for t, no, name in sorted(attempts):
        clock.now = t
        outcome = lookup.attempt_lookup(PROXY, nat, no, name)
        if "秒后再试" in outcome.message:
            refused += 1
        served += outcome.student_no is not None
    print(f"NAT: {len(attempts)} lookups, {refused} refused ({refused / len(attempts):.1%}), "
          f"{served} served")
    assert refused / len(attempts) <= 0.02
