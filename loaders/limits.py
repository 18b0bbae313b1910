"""The limits every imported file is parsed under (config/imports.toml)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "imports.toml"
MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int
    max_unzipped_bytes: int
    max_xml_bytes: int
    max_rows: int
    max_columns: int
    max_cells: int
    max_sheets: int
    header_search_rows: int
    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float
    max_concurrent: int
    quote_chars: int
    max_errors: int
    max_stored_skips: int

    def child_spec(self) -> dict:
        """What the parser process needs to know (it imports nothing of ours)."""
        return {
            "max_unzipped_bytes": self.max_unzipped_bytes, "max_xml_bytes": self.max_xml_bytes,
            "max_rows": self.max_rows, "max_columns": self.max_columns,
            "max_cells": self.max_cells, "max_sheets": self.max_sheets,
            "search_rows": self.header_search_rows, "memory_bytes": self.memory_bytes,
            "cpu_seconds": self.cpu_seconds,
        }


def parse_limits(text: str) -> ImportLimits:
    data = tomllib.loads(text)
    p, c, m, i = data["parse"], data["child"], data["messages"], data["inbox"]
    return ImportLimits(
        max_file_bytes=int(p["max_file_mb"] * MB), max_unzipped_bytes=int(p["max_unzipped_mb"] * MB),
        max_xml_bytes=int(p["max_sheet_xml_mb"] * MB), max_rows=int(p["max_rows"]),
        max_columns=int(p["max_columns"]), max_cells=int(p["max_cells"]),
        max_sheets=int(p["max_sheets"]), header_search_rows=int(p["header_search_rows"]),
        memory_bytes=int(c["memory_mb"] * MB), cpu_seconds=int(c["cpu_seconds"]),
        wall_seconds=float(c["wall_seconds"]), max_concurrent=int(c["max_concurrent"]),
        quote_chars=int(m["quote_chars"]), max_errors=int(m["max_errors"]),
        max_stored_skips=int(i["max_stored_skips"]),
    )


@lru_cache(maxsize=4)
def _load(path: str) -> ImportLimits:
    return parse_limits(Path(path).read_text(encoding="utf-8"))


def load_limits() -> ImportLimits:
    return _load(os.environ.get("CLEARANCE_IMPORTS") or str(DEFAULT_PATH))
