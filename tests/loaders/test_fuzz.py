"""Fuzz: a few hundred mutated rosters and feeds (tests/loaders/fuzz_corpus.py, seeded). For
each: it imports, or it is refused with ImportRejected in Chinese; never another exception,
never an English exception name, never a partial write. Giant cases live in bench/."""

import re

import pytest

from loaders.feeds import import_feed
from loaders.roster import import_roster
from loaders.sheets import ImportRejected
from tests.loaders.fuzz_corpus import corpus
from tests.loaders.test_feeds import cohort  # noqa: F401  (a fixture)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_EXCEPTION = re.compile(r"(Error|Exception|Traceback|panicked)\b")
SEED, COUNT = 11, 240


TABLES = ("students", "events", "import_runs", "stage_status", "feed_skips")
# One query for the five counts (run twice per case: 480 queries instead of 2,400).
SNAPSHOT = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES)  # fixed names


def snapshot(store):
    return store.read_rows(SNAPSHOT)[0]


def test_mutated_files_import_or_are_refused_in_chinese(cohort):
    outcomes = {"imported": 0, "refused": 0}
    for n, case in enumerate(corpus(SEED, COUNT)):
        before = snapshot(cohort)
        try:
            if case.kind == "roster":
                import_roster(cohort, case.data, case.name, "2018-06", "fuzz")
            else:
                import_feed(cohort, case.kind, case.data, case.name, "fuzz", "upload")
        except ImportRejected as exc:
            outcomes["refused"] += 1
            assert exc.errors, (n, case.how)
            for line in exc.errors:
                assert CHINESE.search(line), (n, case.how, line)
                assert not ENGLISH_EXCEPTION.search(line), (n, case.how, line)
            assert snapshot(cohort) == before, (n, case.how, "a refused file wrote something")
        except Exception as exc:  # noqa: BLE001  (the point of the test)
            pytest.fail(f"case {n} ({case.kind}, {case.name}, {case.how}): {type(exc).__name__}: {exc}")
        else:
            outcomes["imported"] += 1
    assert outcomes["refused"] > COUNT // 4 and outcomes["imported"] > 10, outcomes
