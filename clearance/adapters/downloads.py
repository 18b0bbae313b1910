"""Download ids: an export is offered to one holder, under a random id, for a short time.

A page does not hand its files to Streamlit (which serves them at `/media/<hash>` to anyone who
holds the URL for as long as the session keeps them). It offers the file here instead: the
maker (built only when fetched), a file name, a type, and the holder it is for. The page shows a
link to `/download/<id>` (webapi/downloads.py), and that route checks, on every request, that
the one asking is the holder:

- a staff export (StaffHolder) is for one sign-in: the browser's HttpOnly session cookie must
  resume that very session, and the account must still have the role and college the export
  was made under (a changed role, a disabled account, a signed-out or expired session, another
  user's cookie, no cookie: refused);
- a student's advisor form (StudentHolder) is for one lookup: the request must come from the
  client address the lookup was made from, the page that made it must still be open (its
  Streamlit session connected: a closed tab's link is dead), the lookup must not have been
  left (退出 revokes it), and the student must still be on the roster.

Ids are 32 random bytes, expire after OFFER_MINUTES, and a page that redraws its button replaces
its old id (one live id per holder and button). The registry is in this process's memory: the
links live on the page of the same process, and a restart ends every Streamlit session anyway.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Union

from clearance.rules.actors import Actor

OFFER_MINUTES = 15     # a link on a page that was left open this long must be redrawn (refresh)
MAX_OFFERS = 20_000    # a bound on memory whatever happens (oldest dropped first)
PATH = "/download/"


@dataclass(frozen=True)
class StaffHolder:
    token_hash: str      # the sign-in (clearance.adapters.sessions.token_hash of the cookie)
    username: str
    role: str
    college: str | None

    def still(self, actor: Actor | None, token_hash: str | None) -> bool:
        """The signed-in account behind the request's cookie is this holder, unchanged."""
        return (actor is not None and token_hash == self.token_hash and actor.username == self.username
                and actor.role == self.role and actor.college == self.college)


@dataclass(frozen=True)
class StudentHolder:
    lookup: str          # one lookup (a random id the page keeps while it shows the student)
    client: str          # the client address the lookup was made from
    student_no: str
    session_id: str      # the Streamlit session (the open page) that made the lookup


Holder = Union[StaffHolder, StudentHolder]


@dataclass(frozen=True)
class Offer:
    holder: Holder
    button: str
    make: Callable[[], bytes | str]
    file_name: str
    mime: str
    expires: float       # time.monotonic()


_offers: dict[str, Offer] = {}
_by_button: dict[tuple[Holder, str], str] = {}
_lock = threading.Lock()


def offer(holder: Holder, button: str, make: Callable[[], bytes | str], file_name: str, mime: str,
          now: float | None = None) -> str:
    """A new id for `make`'s file, for `holder` only; the button's previous id stops working."""
    now = time.monotonic() if now is None else now
    download_id = secrets.token_urlsafe(32)
    with _lock:
        _prune(now)
        old = _by_button.pop((holder, button), None)
        if old:
            _offers.pop(old, None)
        _offers[download_id] = Offer(holder, button, make, file_name, mime, now + OFFER_MINUTES * 60)
        _by_button[(holder, button)] = download_id
    return download_id


def find(download_id: str, now: float | None = None) -> Offer | None:
    """The live offer behind an id (None if unknown, replaced, revoked or expired)."""
    now = time.monotonic() if now is None else now
    with _lock:
        found = _offers.get(download_id or "")
    return found if found is not None and found.expires > now else None


def revoke_lookup(lookup: str) -> None:
    """A student left the page (退出): the downloads of that lookup stop working."""
    with _lock:
        for key in [k for k in _by_button if isinstance(k[0], StudentHolder) and k[0].lookup == lookup]:
            _offers.pop(_by_button.pop(key), None)


def _prune(now: float) -> None:
    for download_id in [i for i, o in _offers.items() if o.expires <= now]:
        _drop(download_id)
    while len(_offers) >= MAX_OFFERS:
        _drop(next(iter(_offers)))  # dicts keep insertion order: the oldest first


def _drop(download_id: str) -> None:
    found = _offers.pop(download_id, None)
    if found is not None and _by_button.get((found.holder, found.button)) == download_id:
        del _by_button[(found.holder, found.button)]
