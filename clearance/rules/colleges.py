"""The known colleges (学院) and their accepted aliases: the model and its parsing (no I/O).

`config/colleges.toml` lists them; `clearance.store.config` reads the file. Every path that
names a college (roster import, staff list, account page, demo) asks `Colleges` whether the
name is known and stores the canonical name, so a student can never sit in a college no
secretary sees.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property

from clearance.rules.catalogue import CatalogueError

# How alike a typed name must be to a known one to be offered as "是否为…" (difflib's ratio:
# 计算机学员 → 计算机学院 is 0.8; 法学院 → 药学院 is 0.67, still a fair guess to show).
SUGGEST_CUTOFF = 0.6


@dataclass(frozen=True)
class College:
    name: str
    code: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Colleges:
    colleges: tuple[College, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.colleges]

    @cached_property
    def _spellings(self) -> dict[str, str]:
        """Every accepted spelling (name or alias) → the canonical name."""
        spellings = {}
        for c in self.colleges:
            for alias in c.aliases:
                spellings[_key(alias)] = c.name
            spellings[_key(c.name)] = c.name
        return spellings

    def canonical(self, text: str) -> str | None:
        """The stored name for a typed name or alias; None if it names no known college."""
        return self._spellings.get(_key(text or ""))

    def by_code(self, code: str) -> College:
        for c in self.colleges:
            if c.code == code:
                return c
        raise KeyError(code)

    def nearest(self, text: str) -> str | None:
        """The known college a mistyped name most likely means, or None if none is close."""
        spellings = self._spellings
        match = difflib.get_close_matches(_key(text), list(spellings), n=1, cutoff=SUGGEST_CUTOFF)
        return spellings[match[0]] if match else None

    def unknown_message(self, text: str) -> str:
        """The Chinese sentence for a name that is not a known college."""
        guess = self.nearest(text)
        if guess:
            return f"“{text}”不是已知的学院，是否为“{guess}”？"
        return f"“{text}”不是已知的学院（学院名单见 config/colleges.toml）"


def _key(text: str) -> str:
    """Spellings compare without spaces (学院名单 from Excel often has stray ones)."""
    return re.sub(r"\s+", "", text)


def parse_colleges(text: str, source: str = "colleges.toml") -> Colleges:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source} 格式错误：{exc}") from exc
    colleges, seen_codes, seen_spellings = [], set(), {}
    for n, raw in enumerate(data.get("colleges", []), start=1):
        where = f"{source} 第{n}个学院"
        name, code = _key(str(raw.get("name", ""))), str(raw.get("code", "")).strip()
        if not name or not code:
            raise CatalogueError(f"{where} 须有 name 和 code")
        if not re.fullmatch(r"[a-z][a-z0-9]{1,15}", code):
            raise CatalogueError(f"{where} 的 code“{code}”只能是小写字母和数字")
        if code in seen_codes:
            raise CatalogueError(f"{where} 的 code“{code}”重复")
        seen_codes.add(code)
        aliases = tuple(_key(str(a)) for a in raw.get("aliases", []))
        for spelling in (name, *aliases):
            if spelling in seen_spellings and seen_spellings[spelling] != name:
                raise CatalogueError(f"{where}：“{spelling}”已是“{seen_spellings[spelling]}”的名称或别名")
            seen_spellings[spelling] = name
        colleges.append(College(name, code, aliases))
    if not colleges:
        raise CatalogueError(f"{source} 中没有学院")
    return Colleges(tuple(colleges))
