"""Streamlit glue for the public student page: who the client is, the process-wide limiter,
one lookup attempt, and the student's view read through the named queries."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import streamlit as st

from clearance.adapters.advisor_form import FormSettings, form_settings
from clearance.store.db import get_catalogue
from clearance.adapters.ratelimit import FailureLimiter, client_key
from clearance.rules.student_view import (LOOKUP_FAILED, LOOKUP_INCOMPLETE, StudentView, build_view,
                                    identity_matches, load_student_page_config, lookup_limits,
                                    normalise_student_no)
import queries
from clearance.root import open_store as store  # no admin bootstrap: a lookup needs none


@lru_cache(maxsize=1)
def _config() -> dict:
    return load_student_page_config()


@lru_cache(maxsize=1)
def limiter() -> FailureLimiter:
    """One limiter per process: every session's attempts count against the same clients."""
    return FailureLimiter(lookup_limits(_config()))


def advisor_form_settings() -> FormSettings:
    return form_settings(_config())


def current_client() -> str:
    """The rate-limit key of whoever runs this script: their IP, or the session as a last
    resort (no request at all, as under AppTest)."""
    if "_lookup_session_id" not in st.session_state:
        st.session_state["_lookup_session_id"] = uuid.uuid4().hex
    raw = st.context.headers
    pairs = list(raw.items()) if raw else []
    forwarded = raw.get_all("X-Forwarded-For") if raw else []
    return request_client(st.context.ip_address, pairs, forwarded,
                          st.session_state["_lookup_session_id"])


def request_client(ip: str | None, header_pairs: list[tuple[str, str]], forwarded: list[str],
                   session_id: str) -> str:
    """The rate-limit key for a request, shared by the Streamlit page and the plain HTML page
    (webapi/student_page.py): the same client gets the same key on both."""
    headers = {k: v for k, v in header_pairs if k.lower() != "x-forwarded-for"}
    if forwarded:  # a repeated header counts as one list of hops, in order
        headers["X-Forwarded-For"] = ", ".join(forwarded)
    return client_key(ip, headers, session_id, limiter().limits.trusted_proxies)


@dataclass(frozen=True)
class LookupOutcome:
    student_no: str | None  # set when the pair matched
    message: str = ""       # the Chinese message to show otherwise


def attempt_lookup(student_no: str, name: str) -> LookupOutcome:
    """One lookup from the Streamlit page (the client is whoever runs this script)."""
    return lookup(student_no, name, current_client)


def lookup(student_no: str, name: str, client_of: Callable[[], str]) -> LookupOutcome:
    """The one lookup rule and its limits, for every page that lets a student in (the
    Streamlit 学生查询 and the plain /chaxun page): take a limiter slot, then check the pair.
    Only a mismatch keeps the slot (a failure)."""
    no = normalise_student_no(student_no)
    if not no or not name.strip():
        return LookupOutcome(None, LOOKUP_INCOMPLETE)
    client = client_of()
    decision = limiter().acquire(client)
    if not decision.allowed:
        wait = max(1, math.ceil(decision.retry_after))
        return LookupOutcome(None, f"查询失败次数过多，请 {wait} 秒后再试。")
    profile = _profile(no)
    roster_name = None if profile is None else str(profile["name"])
    if identity_matches(roster_name, name):
        limiter().refund(client, decision.stamp)
        return LookupOutcome(no)
    return LookupOutcome(None, LOOKUP_FAILED)


def _rows(name: str, **params) -> list[dict]:
    s = store()
    return _cached_rows(str(s.path), s.version, name, tuple(sorted(params.items())))


@lru_cache(maxsize=4096)
def _cached_rows(_db: str, _version: int, name: str, params: tuple) -> list[dict]:
    # Plain rows, cached per store version (a mark bumps it): a lookup is a few point queries,
    # and a DataFrame plus Streamlit's cache-key hashing cost 5× the queries themselves.
    return queries.rows(store(), name, **dict(params))


def _profile(student_no: str) -> dict | None:
    found = _rows("student_record", student_no=student_no)
    return found[0] if found else None


def student_view(student_no: str) -> StudentView | None:
    """Everything the page shows for one student (None if the student has left the roster)."""
    row = _profile(student_no)
    if row is None:
        return None
    states = {r["stage_id"]: (r["state"], r["reason"] if isinstance(r["reason"], str) else None)
              for r in _rows("student_states", student_no=student_no)}
    batch = next((b for b in _rows("batch_list") if b["batch_id"] == row["batch_id"]), None)
    return build_view(get_catalogue(store()), row, states, batch)
