"""The public student page's lookup, shared by every front (the Streamlit 学生查询 page and the
plain /chaxun route in webapi/student_page.py): who the client is, the process-wide limits,
one lookup attempt, and the student's view read through the named queries.

`attempt_lookup(client_addr, headers, student_no, name)` is the one way in: a front passes the
socket peer and the request headers; the limits (config/security.toml) are counted here, so a
failure on one page counts on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import queries
from clearance.adapters.advisor_form import FormSettings, form_settings
from clearance.adapters.limits import client_of, security_config
from clearance.adapters.throttle import Throttle
from clearance.root import open_store as store  # no admin bootstrap: a lookup needs none
from clearance.rules.student_view import (LOOKUP_FAILED, LOOKUP_INCOMPLETE, StudentView, build_view,
                                          identity_matches, load_student_page_config,
                                          normalise_student_no)
from clearance.store.db import get_catalogue

TOO_MANY = "查询失败次数较多，请 {wait} 秒后再试。"
BUSY = "查询人数过多，请 {wait} 秒后再试。"


@lru_cache(maxsize=1)
def _config() -> dict:
    return load_student_page_config()


@lru_cache(maxsize=1)
def limiter() -> Throttle:
    """One limiter per process: every session's and every route's attempts count together."""
    return Throttle(security_config().student_lookup)


def advisor_form_settings() -> FormSettings:
    return form_settings(_config())


@dataclass(frozen=True)
class LookupOutcome:
    student_no: str | None  # set when the pair matched
    message: str = ""       # the Chinese message to show otherwise
    limited: bool = False   # refused by the limits (not a mismatch): HTTP 429 on /chaxun


def _keys(client: str, student_no: str) -> list[tuple[str, str]]:
    return [("per_client", client), ("per_student", student_no), ("global", "*")]


def attempt_lookup(client_addr: str | None, headers: Mapping[str, str] | Sequence | None,
                   student_no: str, name: str) -> LookupOutcome:
    """Reserve a failure slot on the client, the 学号 and the global ceiling, then check the
    pair. Only a mismatch keeps the slots; a match hands them back."""
    no = normalise_student_no(student_no)
    if not no or not name.strip():
        return LookupOutcome(None, LOOKUP_INCOMPLETE)
    keys = _keys(client_of(client_addr, headers), no)
    decision = limiter().acquire(keys)
    if not decision.allowed:
        busy = not limiter().check(keys[2:]).allowed
        return LookupOutcome(None, (BUSY if busy else TOO_MANY).format(wait=decision.wait_text),
                             limited=True)
    profile = _profile(no)
    roster_name = None if profile is None else str(profile["name"])
    if identity_matches(roster_name, name):
        limiter().refund(keys, decision.stamp)
        return LookupOutcome(no)
    return LookupOutcome(None, LOOKUP_FAILED)


def _rows(name: str, **params) -> list[dict]:
    s = store()
    return _cached_rows(s.identity, s.data_version(queries.tables(name)), name,
                        tuple(sorted(params.items())))


@lru_cache(maxsize=4096)
def _cached_rows(_db: str, _version: int, name: str, params: tuple) -> list[dict]:
    # Plain rows, cached per version of the tables the query reads (a mark bumps events and
    # stage_status only): a lookup is a few point queries,
    # and a DataFrame plus Streamlit's cache-key hashing cost 5× the queries themselves.
    return queries.rows(store(), name, **dict(params))


def _profile(student_no: str) -> dict | None:
    # The record and the states in one statement: the lookup's check and the page it shows
    # read the same cached row.
    found = _rows("student_record_states", student_no=student_no)
    return found[0] if found else None


def on_roster(student_no: str) -> bool:
    """The student is still on the roster (a download of their form is refused otherwise)."""
    return _profile(student_no) is not None


def student_view(student_no: str) -> StudentView | None:
    """Everything the page shows for one student (None if the student has left the roster)."""
    row = _profile(student_no)
    if row is None:
        return None
    states = {stage_id: (state, reason if isinstance(reason, str) else None)
              for stage_id, state, reason in row["states"] or ()}
    batch = next((b for b in _rows("batch_list") if b["batch_id"] == row["batch_id"]), None)
    return build_view(get_catalogue(store()), row, states, batch)
