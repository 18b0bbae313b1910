"""Streamlit glue for the public student page: who the client is, the process-wide limiter,
one lookup attempt, and the student's view read through the named queries."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from functools import lru_cache

import streamlit as st

from clearance.adapters.advisor_form import FormSettings, form_settings
from clearance.store.db import get_catalogue
from clearance.adapters.ratelimit import FailureLimiter, client_key
from clearance.rules.student_view import (LOOKUP_FAILED, LOOKUP_INCOMPLETE, StudentView, build_view,
                                    identity_matches, load_student_page_config, lookup_limits,
                                    normalise_student_no)
from ui.data import read, store


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
    headers = {k: v for k, v in dict(raw).items() if k.lower() != "x-forwarded-for"} if raw else {}
    forwarded = raw.get_all("X-Forwarded-For") if raw else []
    if forwarded:  # a repeated header counts as one list of hops, in order
        headers["X-Forwarded-For"] = ", ".join(forwarded)
    return client_key(st.context.ip_address, headers, st.session_state["_lookup_session_id"],
                      limiter().limits.trusted_proxies)


@dataclass(frozen=True)
class LookupOutcome:
    student_no: str | None  # set when the pair matched
    message: str = ""       # the Chinese message to show otherwise


def attempt_lookup(student_no: str, name: str) -> LookupOutcome:
    """Take a limiter slot, then check the pair. Only a mismatch keeps the slot (a failure)."""
    no = normalise_student_no(student_no)
    if not no or not name.strip():
        return LookupOutcome(None, LOOKUP_INCOMPLETE)
    client = current_client()
    decision = limiter().acquire(client)
    if not decision.allowed:
        wait = max(1, math.ceil(decision.retry_after))
        return LookupOutcome(None, f"查询失败次数过多，请 {wait} 秒后再试。")
    profile = read("student_profile", student_no=no)
    roster_name = None if profile.empty else str(profile.iloc[0]["name"])
    if identity_matches(roster_name, name):
        limiter().refund(client, decision.stamp)
        return LookupOutcome(no)
    return LookupOutcome(None, LOOKUP_FAILED)


def student_view(student_no: str) -> StudentView | None:
    """Everything the page shows for one student (None if the student has left the roster)."""
    profile = read("student_profile", student_no=student_no)
    if profile.empty:
        return None
    row = profile.iloc[0].to_dict()
    stages = read("student_stages", student_no=student_no)
    states = {r.stage_id: (r.state, r.reason if isinstance(r.reason, str) else None)
              for r in stages.itertuples()}
    batches = read("batch_list")
    mine = batches[batches["batch_id"] == row["batch_id"]]
    batch = mine.iloc[0].to_dict() if not mine.empty else None
    return build_view(get_catalogue(store()), row, states, batch)
