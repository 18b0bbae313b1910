"""Staff sign-in sessions: a random token in the browser's cookie, its hash in the store.

A session ends on sign-out, after SESSION_IDLE_MINUTES without use, or SESSION_MAX_HOURS after
sign-in, whichever comes first; a disabled account's sessions stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from clearance.store.accounts import get_actor
from clearance.rules.actors import Actor
from clearance.clock import beijing_now
from clearance.store.db import Store

SESSION_IDLE_MINUTES = 30   # a desk left alone this long must sign in again
SESSION_MAX_HOURS = 12      # one working day at most
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, username: str, now: datetime | None = None) -> str:
    """A new session for a signed-in account; returns the token for the browser (once)."""
    token = secrets.token_urlsafe(32)
    now = now or beijing_now()
    with store.transaction(touches_data=False) as cur:
        cur.execute("INSERT INTO staff_sessions VALUES ($h, $u, $t, $t, NULL)",
                    {"h": _hash(token), "u": username, "t": now})
    return token


def resume_session(store: Store, token: str, now: datetime | None = None) -> Actor | None:
    """The account behind a live session token, or None (unknown, ended, expired, disabled)."""
    if not token:
        return None
    now = now or beijing_now()
    rows = store.read_dicts("SELECT * FROM staff_sessions WHERE token_hash = $h", {"h": _hash(token)})
    if not rows or rows[0]["ended_at"] is not None:
        return None
    session = rows[0]
    idle = now - session["last_seen"] > timedelta(minutes=SESSION_IDLE_MINUTES)
    too_old = now - session["created_at"] > timedelta(hours=SESSION_MAX_HOURS)
    if idle or too_old:
        end_session(store, token, now)
        return None
    actor = get_actor(store, session["username"])
    if actor is None:
        return None
    if now - session["last_seen"] >= TOUCH_EVERY:
        with store.transaction(touches_data=False) as cur:
            cur.execute("UPDATE staff_sessions SET last_seen = $t WHERE token_hash = $h",
                        {"t": now, "h": _hash(token)})
    return actor


def end_session(store: Store, token: str, now: datetime | None = None) -> None:
    with store.transaction(touches_data=False) as cur:
        cur.execute("UPDATE staff_sessions SET ended_at = $t WHERE token_hash = $h AND ended_at IS NULL",
                    {"t": now or beijing_now(), "h": _hash(token)})


def why_ended(store: Store, token: str) -> str:
    """Why a session that was in use no longer works, for the sign-in page."""
    rows = store.read_dicts(
        "SELECT s.active FROM staff_sessions x JOIN staff s USING (username) WHERE x.token_hash = $h",
        {"h": _hash(token)})
    if rows and not rows[0]["active"]:
        return "该账号已停用，请联系系统管理员"
    return "登录已过期（长时间未操作），请重新登录"
