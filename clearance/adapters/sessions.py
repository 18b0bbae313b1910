"""Staff sign-in sessions: a random token in the browser's HttpOnly cookie, its hash in the store.

The page that checks the password never shows the token: it hands the browser a one-time code
(HANDOFF_SECONDS, in memory) that the browser trades at `POST /auth/session` (webapi/auth.py)
for the cookie, set by the server with HttpOnly and SameSite=Strict.

A session ends on sign-out, after SESSION_IDLE_MINUTES without use, or SESSION_MAX_HOURS after
sign-in, whichever comes first; a disabled account's sessions stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

from clearance.store.accounts import get_actor
from clearance.rules.actors import Actor
from clearance.clock import beijing_now
from clearance.store.db import Store

SESSION_IDLE_MINUTES = 30   # a desk left alone this long must sign in again
SESSION_MAX_HOURS = 12      # one working day at most
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often
HANDOFF_SECONDS = 60        # a sign-in's one-time code is good for this long
COOKIE = "lxt_session"
STAFF, STUDENT = "staff", "student"  # staff_sessions.kind (migration 031)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_hash = token_hash

_handoffs: dict[str, tuple[str, float]] = {}
_handoffs_lock = threading.Lock()


def new_handoff(token: str) -> str:
    """A one-time code the browser trades for its cookie (so the token never enters the page)."""
    code = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _handoffs_lock:
        for old in [c for c, (_, t) in _handoffs.items() if now - t > HANDOFF_SECONDS]:
            del _handoffs[old]
        _handoffs[code] = (token, now)
    return code


def redeem_handoff(code: str) -> str | None:
    """The session token behind a code, once, within HANDOFF_SECONDS; else None."""
    with _handoffs_lock:
        entry = _handoffs.pop(code or "", None)
    if entry is None or time.monotonic() - entry[1] > HANDOFF_SECONDS:
        return None
    return entry[0]


def start_session(store: Store, username: str, now: datetime | None = None,
                  kind: str = STAFF, cur=None) -> str:
    """A new session for a signed-in account (kind "staff") or, through the campus sign-in, a
    student (kind "student", username = 学号); returns the token for the browser (once).
    `cur`: write inside the caller's transaction."""
    token = secrets.token_urlsafe(32)
    now = now or beijing_now()
    params = {"h": _hash(token), "u": username, "t": now, "k": kind}
    sql = ("INSERT INTO staff_sessions (token_hash, username, created_at, last_seen, ended_at, kind)"
           " VALUES ($h, $u, $t, $t, NULL, $k)")
    if cur is not None:
        cur.execute(sql, params)
        return token
    with store.transaction(touches_data=False) as own:
        own.execute(sql, params)
    return token


def live_bounds(now: datetime) -> tuple[datetime, datetime]:
    """(seen_since, started_since): a session not ended is live at `now` if it was used at or
    after seen_since and started at or after started_since. The one expiry rule: `_live` applies
    it to a token, clearance.adapters.sso to the tickets it forgets."""
    return now - timedelta(minutes=SESSION_IDLE_MINUTES), now - timedelta(hours=SESSION_MAX_HOURS)


def _live(store: Store, token: str, kind: str, now: datetime) -> dict | None:
    """The session row behind a token if it is of `kind` and neither ended nor expired."""
    if not token:
        return None
    rows = store.read_dicts("SELECT * FROM staff_sessions WHERE token_hash = $h AND kind = $k",
                            {"h": _hash(token), "k": kind})
    if not rows or rows[0]["ended_at"] is not None:
        return None
    session = rows[0]
    seen_since, started_since = live_bounds(now)
    if session["last_seen"] < seen_since or session["created_at"] < started_since:
        end_session(store, token, now)
        return None
    return session


def _touch(store: Store, token: str, session: dict, now: datetime) -> None:
    if now - session["last_seen"] >= TOUCH_EVERY:
        with store.transaction(touches_data=False) as cur:
            cur.execute("UPDATE staff_sessions SET last_seen = $t WHERE token_hash = $h",
                        {"t": now, "h": _hash(token)})


def resume_student_session(store: Store, token: str, now: datetime | None = None) -> str | None:
    """The 学号 behind a live student session (campus sign-in), or None."""
    now = now or beijing_now()
    session = _live(store, token, STUDENT, now)
    if session is None:
        return None
    _touch(store, token, session, now)
    return session["username"]


def resume_session(store: Store, token: str, now: datetime | None = None) -> Actor | None:
    """The account behind a live staff session token, or None (unknown, ended, expired,
    disabled, or a student's session)."""
    now = now or beijing_now()
    session = _live(store, token, STAFF, now)
    if session is None:
        return None
    actor = get_actor(store, session["username"])
    if actor is None:
        return None
    _touch(store, token, session, now)
    return actor


def end_session(store: Store, token: str, now: datetime | None = None) -> None:
    with store.transaction(touches_data=False) as cur:
        cur.execute("UPDATE staff_sessions SET ended_at = $t WHERE token_hash = $h AND ended_at IS NULL",
                    {"t": now or beijing_now(), "h": _hash(token)})


def end_user_sessions(store: Store, username: str, keep: str | None = None,
                      now: datetime | None = None) -> None:
    """End every session of an account (a password change ends the others: `keep` is the
    changer's own token)."""
    with store.transaction(touches_data=False) as cur:
        cur.execute("UPDATE staff_sessions SET ended_at = $t WHERE username = $u AND ended_at IS NULL"
                    " AND token_hash <> $k AND kind = 'staff'",
                    {"t": now or beijing_now(), "u": username, "k": _hash(keep) if keep else ""})


def why_ended(store: Store, token: str) -> str | None:
    """Why a staff session that was in use no longer works, for the sign-in page (None for a
    token that is no staff session: a student's campus sign-in, a made-up value)."""
    if not store.read_value("SELECT count(*) FROM staff_sessions WHERE token_hash = $h"
                            " AND kind = 'staff'", {"h": _hash(token)}):
        return None
    rows = store.read_dicts(
        "SELECT s.active FROM staff_sessions x JOIN staff s USING (username)"
        " WHERE x.token_hash = $h AND x.kind = 'staff'",
        {"h": _hash(token)})
    if rows and not rows[0]["active"]:
        return "该账号已停用，请联系系统管理员"
    return "登录已过期（长时间未操作），请重新登录"
