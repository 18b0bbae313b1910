"""The store as the pages see it: one per process, and reads cached until the next write."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import queries
from clearance.store.accounts import bootstrap_admin
from clearance.root import open_store
from clearance.store.db import Store


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
    # `version` is part of the key: every commit bumps it, so a mark shows on the next rerun.
    return queries.run(store(), name, **dict(params))


def read(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached per store and store version."""
    s = store()
    return _cached(name, str(s.path), s.version, tuple(sorted(params.items())))


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
