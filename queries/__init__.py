"""The read side: named SQL in this folder, loaded with aiosql, run with bound parameters.

Each `.sql` file holds one or more `-- name: what_it_returns` blocks whose header comment names
their parameters (`:batch`, `:student_no`). `run(store, name, **params)` returns a DataFrame.
Writes never live here: they go through the `clearance` package.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import aiosql
import pandas as pd

from clearance.store.db import Store

_QUERIES = aiosql.from_path(Path(__file__).parent, "duckdb")


def sql(name: str) -> str:
    """The SQL text of a named query (`:param` already turned into DuckDB's `$param`)."""
    return getattr(_QUERIES, name).sql


_TABLE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


@lru_cache(maxsize=None)
def tables(name: str) -> tuple[str, ...]:
    """The tables a named query reads (names after FROM/JOIN; a CTE's name is harmless: no
    commit ever writes it). Read caches key on these tables' versions only."""
    return tuple(sorted({t.lower() for t in _TABLE.findall(sql(name))}))


def names() -> list[str]:
    return sorted(n for n in _QUERIES.available_queries if not n.endswith("_cursor"))


def run(store: Store, name: str, **params) -> pd.DataFrame:
    return store.read_df(sql(name), params)


def rows(store: Store, name: str, **params) -> list[dict]:
    """The same query as plain dicts (no DataFrame): for hot point lookups, where building a
    DataFrame costs more than the query (the public student page)."""
    return store.read_dicts(sql(name), params)


def value(store: Store, name: str, **params):
    """The single value of a one-row, one-column query."""
    df = run(store, name, **params)
    return None if df.empty else df.iat[0, 0]
