"""The named SQL files: every name is defined once (aiosql lets a later file silently win)."""

import re
from collections import Counter
from pathlib import Path

import queries

QUERIES_DIR = Path(queries.__file__).parent


def test_every_query_name_is_unique_across_files():
    names = Counter()
    for path in QUERIES_DIR.glob("*.sql"):
        names.update(re.findall(r"^-- name: (\w+)", path.read_text(encoding="utf-8"), flags=re.M))
    assert [n for n, count in names.items() if count > 1] == []
    assert set(names) == set(queries.names())
