"""Campus cards: the UID mapping between systems, card bindings, and finding a tapped student.

The stored key is the UID as the PC/SC reader returns it (upper-case hex, reader byte order).
`config/cards.toml` says how the card centre's export and keyboard-wedge readers write UIDs
(hex or decimal, same or reversed byte order); `UidFormat` converts both ways.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from clearance.rules.actors import Actor
from clearance.clock import beijing_now
from clearance.paths import PROJECT_ROOT
from clearance.store.db import Store

CARDS_FILE = Path(os.environ.get("CLEARANCE_CARDS") or PROJECT_ROOT / "config" / "cards.toml")
UID_BYTES = (4, 7, 10)  # single, double and triple size ISO 14443 UIDs


class CardError(ValueError):
    """A card value or binding is refused; the message is Chinese."""


def normalise_hex(text: str) -> str:
    """'8f:b2 7f-2c' → '8FB27F2C'. Raises CardError unless 4, 7 or 10 bytes of hex."""
    clean = re.sub(r"[\s:\-]", "", str(text)).upper()
    if clean.startswith("0X"):
        clean = clean[2:]
    if not re.fullmatch(r"[0-9A-F]+", clean) or len(clean) // 2 not in UID_BYTES or len(clean) % 2:
        raise CardError(f"“{text}”不是有效的卡 UID（应为 4、7 或 10 字节的十六进制）")
    return clean


# How many decimal digits a 4-, 7- or 10-byte UID takes when written without leading zeros
# (allowing a few small values): what a decimal wedge types when `length` is not configured.
DECIMAL_DIGITS = {4: range(8, 11), 7: range(15, 18), 10: range(22, 26)}


@dataclass(frozen=True)
class UidFormat:
    uid_format: str = "hex"      # hex / decimal
    byte_order: str = "reader"   # reader / reversed
    length: int = 0              # characters the source always writes (0 = any UID length)

    def __post_init__(self):
        if not isinstance(self.length, int) or self.length < 0:
            raise CardError(f"length 应为非负整数，不是“{self.length}”")
        if self.uid_format not in ("hex", "decimal"):
            raise CardError(f"uid_format 只能是 hex 或 decimal，不是“{self.uid_format}”")
        if self.byte_order not in ("reader", "reversed"):
            raise CardError(f"byte_order 只能是 reader 或 reversed，不是“{self.byte_order}”")

    def _order(self, hex_uid: str) -> str:
        if self.byte_order == "reader":
            return hex_uid
        return bytes.fromhex(hex_uid)[::-1].hex().upper()

    def to_reader_uid(self, text: str) -> str:
        """A UID as this source writes it → the stored UID (reader byte order, hex)."""
        value = str(text).strip()
        if self.uid_format == "decimal":
            if not re.fullmatch(r"\d+", value):
                raise CardError(f"“{text}”不是十进制卡号")
            number = int(Decimal(value))
            size = next((n for n in UID_BYTES if number < 256 ** n), None)
            if size is None:
                raise CardError(f"“{text}”超出卡 UID 的范围")
            value = number.to_bytes(size, "big").hex()
        return self._order(normalise_hex(value))

    def has_uid_shape(self, text: str) -> bool:
        """Whether `text` is written the way this source writes a UID (right characters, right
        length): a typed "9999" is not a wedge UID even though it converts to one."""
        value = str(text).strip()
        if self.length and len(value) != self.length:
            return False
        if self.uid_format == "decimal":
            if not re.fullmatch(r"\d+", value):
                return False
            if not self.length and not any(len(value) in d for d in DECIMAL_DIGITS.values()):
                return False
        elif not re.fullmatch(r"[0-9A-Fa-f]+", value):
            return False
        try:
            self.to_reader_uid(value)
        except CardError:
            return False
        return True

    def from_reader_uid(self, uid: str) -> str:
        """The stored UID → as this source writes it (for showing staff what to look for)."""
        ordered = self._order(normalise_hex(uid))
        return str(int(ordered, 16)).zfill(self.length) if self.uid_format == "decimal" else ordered


@dataclass(frozen=True)
class CardConfig:
    export: UidFormat
    wedge: UidFormat
    reader_prefer: str = ""
    poll_seconds: float = 0.5


def load_card_config(path: Path = CARDS_FILE) -> CardConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return CardConfig(
            export=UidFormat(**data.get("export", {})),
            wedge=UidFormat(**data.get("wedge", {})),  # length: see has_uid_shape
            reader_prefer=str(data.get("reader", {}).get("prefer", "")),
            poll_seconds=float(data.get("reader", {}).get("poll_seconds", 0.5)),
        )
    except (tomllib.TOMLDecodeError, TypeError, CardError) as exc:
        raise CardError(f"{path.name} 配置错误：{exc}") from exc


# -- bindings -------------------------------------------------------------------------------
def upsert_bindings(cur, bindings: pd.DataFrame, actor_name: str, run_id: str, now) -> tuple[int, int]:
    """Insert or update card bindings by UID (columns uid, student_no, card_no, balance,
    export_uid). Returns (inserted, updated). Runs inside the caller's transaction."""
    df = bindings[["uid", "student_no", "card_no", "balance", "export_uid"]].copy()
    df["source"] = "import"
    df["bound_by"] = actor_name
    df["bound_at"] = now
    df["import_run_id"] = run_id
    cur.register("incoming_cards", df)
    try:
        known = cur.execute(
            "SELECT count(*) FROM incoming_cards JOIN card_bindings USING (uid)").fetchall()[0][0]
        cur.execute(
            "INSERT INTO card_bindings BY NAME"
            " SELECT uid, student_no, card_no, CAST(balance AS DECIMAL(12, 2)) AS balance,"
            "        export_uid, source, bound_by, bound_at, import_run_id FROM incoming_cards"
            " ON CONFLICT (uid) DO UPDATE SET student_no = excluded.student_no,"
            " card_no = excluded.card_no, balance = excluded.balance,"
            " export_uid = excluded.export_uid, source = excluded.source,"
            " bound_by = excluded.bound_by, bound_at = excluded.bound_at,"
            " import_run_id = excluded.import_run_id"
        )
    finally:
        cur.unregister("incoming_cards")
    return len(df) - known, known


def may_bind_cards(actor: Actor) -> bool:
    return actor.role in ("admin", "system")


def bind_card(store: Store, actor: Actor, uid: str, student_no: str) -> None:
    """Bind an unknown card (tapped at a desk) to a student. Only administrators; a card that
    is already bound is refused (the card centre's export is the place to change a binding)."""
    if not may_bind_cards(actor):
        raise CardError(f"{actor.display_name or actor.username} 无权绑定校园卡（仅系统管理员）")
    uid = normalise_hex(uid)
    student_no = str(student_no).strip()
    with store.transaction() as cur:
        if not cur.execute("SELECT 1 FROM students WHERE student_no = $no",
                           {"no": student_no}).fetchall():
            raise CardError(f"学号 {student_no}：查无此学生")
        bound = cur.execute("SELECT student_no FROM card_bindings WHERE uid = $uid",
                            {"uid": uid}).fetchall()
        if bound:
            raise CardError(f"卡 {uid} 已绑定学号 {bound[0][0]}，不能重复绑定")
        cur.execute(
            "INSERT INTO card_bindings VALUES ($uid, $no, '', NULL, $uid, 'tap', $actor, $at, NULL)",
            {"uid": uid, "no": student_no, "actor": actor.username, "at": beijing_now()},
        )


def student_for_uid(store: Store, uid: str) -> str | None:
    rows = store.read_rows("SELECT student_no FROM card_bindings WHERE uid = $uid",
                           {"uid": normalise_hex(uid)})
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class Lookup:
    """What a typed or tapped value resolved to. `student_no` None: nobody found; then `uid` is
    set only when the value has the shape of a wedge UID (an unregistered card was tapped)."""
    text: str
    student_no: str | None
    uid: str | None  # the card UID when the value was (or mapped to) a card
    how: str         # 学号 / 卡号 / 卡UID / 未知


def looks_like_student_no(store: Store, value: str) -> bool:
    """Same length and the same first six characters (year and college code) as a student on
    the roster: a mistyped 学号 rather than a card, even when a wedge could type the same digits."""
    return bool(store.read_rows(
        "SELECT 1 FROM students WHERE length(student_no) = length($v)"
        " AND left(student_no, 6) = left($v, 6) LIMIT 1", {"v": value}))


def resolve_entry(store: Store, text: str, wedge: UidFormat) -> Lookup:
    """A value typed at the desk (by hand or by a keyboard-wedge reader): a 学号, a printed
    card number, or a bound card's UID as the wedge reader types it (or as plain reader hex).
    Nothing found: an unregistered card only when the value is shaped like a wedge UID and not
    like a 学号 — otherwise the desk is told plainly that nothing matched what was typed."""
    value = re.sub(r"\s", "", str(text))
    if not value:
        return Lookup(text, None, None, "未知")
    if store.read_rows("SELECT 1 FROM students WHERE student_no = $no", {"no": value}):
        return Lookup(text, value, None, "学号")
    rows = store.read_rows("SELECT student_no, uid FROM card_bindings WHERE card_no = $c",
                           {"c": value})
    if rows:
        return Lookup(text, rows[0][0], rows[0][1], "卡号")
    for fmt in (wedge, UidFormat("hex", "reader")):
        try:
            uid = fmt.to_reader_uid(value)
        except CardError:
            continue
        no = student_for_uid(store, uid)
        if no:
            return Lookup(text, no, uid, "卡UID")
    if wedge.has_uid_shape(value) and not looks_like_student_no(store, value):
        return Lookup(text, None, wedge.to_reader_uid(value), "卡UID")
    return Lookup(text, None, None, "未知")
