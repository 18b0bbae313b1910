"""Card desks: a PC with a reader at an office, whose agent sends scans to the server.

A desk authenticates with a bearer token. The token is 32 random bytes shown once when issued;
the store keeps only its SHA-256 (a random token needs no slow password hash: there is nothing to
guess). Revoking a desk stops its token at once. Every scan an agent sends is kept, with the
student it matched, and the scan page signed in at that desk picks them up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from clearance.rules.actors import Actor
from clearance.store.cards import normalise_hex
from clearance.store.db import get_catalogue
from clearance.clock import beijing_now
from clearance.store.db import Store

TOKEN_PREFIX = "ldt_"  # 离校通 desk token: recognisable in logs and config files


class DeskError(ValueError):
    """A desk operation was refused; the message is Chinese."""


@dataclass(frozen=True)
class Desk:
    desk_id: str
    name: str
    stage_id: str
    campus: str | None = None  # where the desk stands (staff of that campus open on it)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("admin", "system"):
        raise DeskError(f"{actor.display_name or actor.username} 无权管理刷卡工作台（仅系统管理员）")


def issue_desk(store: Store, actor: Actor, name: str, stage_id: str,
               campus: str | None = None) -> tuple[Desk, str]:
    """A new desk and its token (returned once; only the hash is stored)."""
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise DeskError("请填写工作台名称")
    catalogue = get_catalogue(store)
    if stage_id not in catalogue.stage_ids:
        raise DeskError(f"未知的环节“{stage_id}”")
    if campus is not None and campus not in catalogue.campuses:
        raise DeskError(f"未知的校区“{campus}”，应为 {'、'.join(catalogue.campuses)} 之一")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    desk = Desk(secrets.token_hex(4), name, stage_id, campus)
    with store.transaction() as cur:
        if cur.execute("SELECT 1 FROM desks WHERE name = $n AND revoked_at IS NULL",
                       {"n": name}).fetchall():
            raise DeskError(f"已有名为“{name}”的工作台")
        cur.execute(
            "INSERT INTO desks (desk_id, name, stage_id, token_hash, created_by, created_at, campus)"
            " VALUES ($id, $name, $stage, $hash, $actor, $at, $campus)",
            {"id": desk.desk_id, "name": name, "stage": stage_id, "hash": token_hash(token),
             "actor": actor.username, "at": beijing_now(), "campus": campus},
        )
    return desk, token


def revoke_desk(store: Store, actor: Actor, desk_id: str) -> None:
    _require_admin(actor)
    with store.transaction() as cur:
        rows = cur.execute("SELECT revoked_at FROM desks WHERE desk_id = $id",
                           {"id": desk_id}).fetchall()
        if not rows:
            raise DeskError(f"没有编号为 {desk_id} 的工作台")
        if rows[0][0] is not None:
            return
        cur.execute("UPDATE desks SET revoked_at = $at, revoked_by = $actor WHERE desk_id = $id",
                    {"at": beijing_now(), "actor": actor.username, "id": desk_id})


def authenticate(store: Store, token: str | None) -> Desk | None:
    """The active desk holding this token, or None (unknown or revoked)."""
    if not token:
        return None
    rows = store.read_rows(
        "SELECT desk_id, name, stage_id, campus FROM desks WHERE token_hash = $h AND revoked_at IS NULL",
        {"h": token_hash(token)})
    return Desk(*rows[0]) if rows else None


def active_desks(store: Store) -> list[Desk]:
    return [Desk(*r) for r in store.read_rows(
        "SELECT desk_id, name, stage_id, campus FROM desks WHERE revoked_at IS NULL ORDER BY name")]


def home_desk(actor: Actor, desks: list[Desk]) -> Desk | None:
    """The desk a staff member's 刷卡办理 opens on when the window's address names none: the
    desk on their own campus for a stage they hold (the card centre's first when they hold
    several), else the only desk for their stages that stands on no other campus; None when
    that leaves none or several (staff choose)."""
    mine = [d for d in desks if d.stage_id in actor.stages or actor.role == "admin"]
    if actor.campus:
        here = [d for d in mine if d.campus == actor.campus]
        for stage_id in sorted({d.stage_id for d in here}, key=lambda s: s != "card_center"):
            at_stage = [d for d in here if d.stage_id == stage_id]
            if len(at_stage) == 1:
                return at_stage[0]
            return None  # two windows of one office on this campus: staff pick theirs
        mine = [d for d in mine if d.campus is None]
    return mine[0] if len(mine) == 1 else None


def record_scan(store: Store, desk: Desk, uid: str, reader: str = "") -> tuple[int, str | None]:
    """Keep a desk's scan and the student it matched. Returns (scan_id, student_no or None)."""
    uid = normalise_hex(uid)
    now = beijing_now()
    with store.transaction() as cur:
        match = cur.execute("SELECT student_no FROM card_bindings WHERE uid = $uid",
                            {"uid": uid}).fetchall()
        student_no = match[0][0] if match else None
        scan_id = cur.execute("SELECT coalesce(max(scan_id), 0) + 1 FROM desk_scans").fetchall()[0][0]
        cur.execute("INSERT INTO desk_scans VALUES ($id, $desk, $uid, $reader, $no, $at)",
                    {"id": scan_id, "desk": desk.desk_id, "uid": uid, "reader": reader[:200],
                     "no": student_no, "at": now})
        cur.execute("UPDATE desks SET last_seen_at = $at WHERE desk_id = $id",
                    {"at": now, "id": desk.desk_id})
    return scan_id, student_no
