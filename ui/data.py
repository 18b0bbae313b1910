"""The store as the pages see it: one per process, and reads cached until the next write."""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, TypeVar

import pandas as pd
import streamlit as st

import queries
from clearance.store.accounts import bootstrap_admin
from clearance.root import open_store
from clearance.store.db import Store

T = TypeVar("T")


def store() -> Store:
    """The process-wide store ($CLEARANCE_DB); `open_store` keeps one per path."""
    s = open_store()
    _bootstrap_admin(str(s.path))
    return s


@st.cache_resource(show_spinner=False)
def _bootstrap_admin(db_path: str) -> None:
    # Once per store per process: a store without an admin gets one, password printed once.
    password = bootstrap_admin(open_store(db_path))
    if password:
        print(f"[离校通] 已创建管理员账号 admin，初始密码：{password}（请登录后在账号管理中修改）",
              flush=True)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(name: str, store_id: str, version: int, params: tuple) -> pd.DataFrame:
    # `version` is part of the key: the newest commit to any table the query reads, so a
    # mark shows on the next rerun and leaves reads of other tables cached.
    return queries.run(store(), name, **dict(params))


# What the `derived` builds running on this thread have read so far (a stack: builds nest).
_reading = threading.local()


def _note_reads(tables) -> None:
    stack = getattr(_reading, "stack", None)
    if stack:
        stack[-1].update(tables)


def read(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached per store and the version of the tables it reads."""
    s = store()
    tables = queries.tables(name)
    _note_reads(tables)
    return _cached(name, s.identity, s.data_version(tables), tuple(sorted(params.items())))


@dataclass(frozen=True)
class _Derived:
    tables: frozenset[str]  # every table the build read (through `read`)
    stamp: int              # the store's version before the build started
    value: object


_derived: OrderedDict[tuple, _Derived] = OrderedDict()
_derived_lock = threading.Lock()
DERIVED_ENTRIES = 256


def derived(name: str, build: Callable[..., T], *args, reads: tuple[str, ...] = ()) -> T:
    """What a page derives from named queries (tables, chart figures), built once per
    arguments and kept until a commit writes a table the build read: a rerun without such a
    write recomputes nothing, and a mark (events, stage_status) leaves builds that read
    neither valid. The tables are recorded while `build` runs (every `read` it makes, and
    those of `derived` calls nested in it); `reads` names queries it reads otherwise. The
    result is shared by every session, not copied: treat it as read-only (dashboards return
    frozen dataclasses; st.plotly_chart does not change a figure).

    One build per key at a time: sessions that need the same stale entry together (every
    dashboard viewer's rerun after a desk's mark) wait for the one build and share it,
    instead of each building it again while holding the interpreter lock in turn."""
    s = store()
    key = (name, s.identity, repr(args))
    entry = _fresh(key, s)
    if entry is not None:
        return entry.value  # type: ignore[return-value]
    with _build_lock(key):
        entry = _fresh(key, s)  # built by another session while this one waited
        if entry is not None:
            return entry.value  # type: ignore[return-value]
        # Taken before the build: a commit landing while it runs makes the entry stale at once.
        stamp = s.version
        stack = _reading.__dict__.setdefault("stack", [])
        stack.append({t for q in reads for t in queries.tables(q)})
        try:
            value = build(*args)
        finally:
            tables = frozenset(stack.pop())
        _note_reads(tables)
        with _derived_lock:
            _derived[key] = _Derived(tables, stamp, value)
            _derived.move_to_end(key)
            while len(_derived) > DERIVED_ENTRIES:
                _derived.popitem(last=False)
    return value


def _fresh(key: tuple, s: Store) -> _Derived | None:
    """The entry for `key` if no commit since its build wrote a table it read."""
    with _derived_lock:
        entry = _derived.get(key)
        if entry is None or s.data_version(entry.tables) > entry.stamp:
            return None
        _derived.move_to_end(key)
    _note_reads(entry.tables)
    return entry


_building: dict[tuple, list] = {}  # key → [lock, sessions holding or waiting for it]


@contextmanager
def _build_lock(key: tuple):
    """The key's build lock; dropped when no session holds or waits for it (the keys carry
    filters and days: kept for ever they would grow with every choice ever made). An RLock,
    so a build that reaches its own key again does not hang."""
    with _derived_lock:
        slot = _building.setdefault(key, [threading.RLock(), 0])
        slot[1] += 1
    try:
        with slot[0]:
            yield
    finally:
        with _derived_lock:
            slot[1] -= 1
            if slot[1] == 0:
                del _building[key]


def current_batch() -> dict:
    """The batch chosen in the sidebar (newest by default)."""
    batches = read("batch_list")
    if batches.empty:
        st.error("系统中还没有离校批次，请系统管理员在“批次与备份”页面新建。")
        st.stop()
    ids = list(batches["batch_id"])
    titles = {b: t + ("（已关闭）" if pd.notna(c) else "")
              for b, t, c in zip(batches["batch_id"], batches["title"], batches["closed_at"])}
    chosen = st.sidebar.selectbox("离校批次", ids, key="batch", format_func=lambda b: titles[b])
    return batches.set_index("batch_id").loc[chosen].to_dict() | {"batch_id": chosen}


def stage_name_map() -> dict[str, str]:
    """Stage id → Chinese name, in the handbook's order."""
    stages = read("stage_list")
    return dict(zip(stages["stage_id"], stages["name"]))
