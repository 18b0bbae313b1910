"""The store as the pages see it: one per process, and reads cached until the next write."""

from __future__ import annotations

import threading
from collections import OrderedDict
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
def _cached(name: str, db_path: str, version: int, params: tuple) -> pd.DataFrame:
    # `version` is part of the key: the newest commit to any table the query reads, so a
    # mark shows on the next rerun and leaves reads of other tables cached.
    return queries.run(store(), name, **dict(params))


def read(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached per store and the version of the tables it reads."""
    s = store()
    return _cached(name, str(s.path), s.data_version(queries.tables(name)),
                   tuple(sorted(params.items())))


_derived: OrderedDict[tuple, object] = OrderedDict()
_derived_lock = threading.Lock()
DERIVED_ENTRIES = 256


def derived(name: str, build: Callable[..., T], *args, reads: tuple[str, ...]) -> T:
    """What a page derives from named queries (tables, chart figures), built once per
    (the versions of the tables those queries read, the arguments) and shared by every
    session: a rerun without a write in between recomputes nothing. `reads` names the
    queries `build` reads. The result is shared, not copied: treat it as read-only
    (dashboards return frozen dataclasses; st.plotly_chart does not change a figure)."""
    s = store()
    version = s.data_version(sorted({t for q in reads for t in queries.tables(q)}))
    key = (name, str(s.path), version, repr(args))
    with _derived_lock:
        if key in _derived:
            _derived.move_to_end(key)
            return _derived[key]  # type: ignore[return-value]
    value = build(*args)
    with _derived_lock:
        _derived[key] = value
        while len(_derived) > DERIVED_ENTRIES:
            _derived.popitem(last=False)
    return value


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
