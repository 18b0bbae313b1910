"""Normalising what people type or paste, the same everywhere (loaders, the desk's search, the
student page): full-width characters become half-width (NFKC: “２０１６” → “2016”, “　” → “ ”)."""

from __future__ import annotations

import re
import unicodedata


def half_width(text: str) -> str:
    """Full-width digits, letters and spaces → half-width (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", text)


def compact(text: str | None) -> str:
    """A code or a search as typed: half-width, without any spaces (学号 “２０１６ ０１６５２５”
    → “2016016525”; a name “张 三” → “张三”)."""
    return re.sub(r"\s+", "", half_width(text or ""))
