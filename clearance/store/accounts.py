"""Staff accounts: argon2-hashed passwords, roles, stages held, lock-out after repeated failures.

The running app re-reads the account on every page run, so disabling an account or changing
its stages takes effect at once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clearance.rules.actors import ROLES, Actor
from clearance.clock import beijing_now
from clearance.store.db import Store, get_catalogue, get_colleges

MAX_FAILED_LOGINS = 5              # then the account is locked for LOCK_MINUTES
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """A refused account operation; the message is Chinese, for the admin page."""


@dataclass(frozen=True)
class SignIn:
    actor: Actor | None
    message: str = ""


def _row_to_actor(row: dict) -> Actor:
    return Actor(username=row["username"], role=row["role"], display_name=row["display_name"],
                 college=row["college"], stages=frozenset(row["stages"] or ()))


def _log(cur, username: str, change: str, detail: str | None, actor: str, now: datetime) -> None:
    next_id = cur.execute("SELECT coalesce(max(change_id), 0) + 1 FROM staff_changes").fetchall()[0][0]
    cur.execute("INSERT INTO staff_changes VALUES ($id, $u, $c, $d, $a, $t)",
                {"id": next_id, "u": username, "c": change, "d": detail, "a": actor, "t": now})


def validate_account(store: Store, role: str, college: str | None, stages: list[str]) -> None:
    """The stages a role may hold: college staff hold college stages of one college; office
    staff hold school-wide stages; admin and graduate school hold none."""
    if role not in ROLES or role == "system":
        raise AccountError(f"未知的角色“{role}”")
    catalogue = get_catalogue(store)
    unknown = [s for s in stages if s not in catalogue.stage_ids]
    if unknown:
        raise AccountError(f"未知的环节：{'、'.join(unknown)}")
    if role == "college":
        if not college:
            raise AccountError("学院工作人员必须指定学院")
        if college not in get_colleges(store).names:  # config/colleges.toml, as the roster
            raise AccountError(get_colleges(store).unknown_message(college))
        wrong = [catalogue.stage(s).name for s in stages if catalogue.stage(s).scope != "college"]
        if wrong:
            raise AccountError(f"学院工作人员不能办理全校性环节：{'、'.join(wrong)}")
    elif role == "office":
        if college:
            raise AccountError("部门工作人员不属于某个学院")
        wrong = [catalogue.stage(s).name for s in stages if catalogue.stage(s).scope != "school"]
        if wrong:
            raise AccountError(f"部门工作人员不能办理学院环节：{'、'.join(wrong)}")
    elif stages or college:
        raise AccountError(f"{ROLES[role]}不办理具体环节")
    if role in ("college", "office") and not stages:
        raise AccountError("请至少选择一个办理环节")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def create_account(store: Store, username: str, display_name: str, role: str, password: str,
                   college: str | None = None, stages: list[str] | None = None,
                   by: str = "system", password_hash: str | None = None) -> Actor:
    """Create a staff account. `password_hash` (from hash_password) lets a seeder create many
    accounts with one shared password without hashing it each time."""
    username = username.strip()
    check_username(username)
    stages = list(stages or [])
    validate_account(store, role, college, stages)
    password_hash = password_hash or hash_password(password)
    with store.transaction() as cur:
        _insert_account(cur, username, display_name, role, college, stages, password_hash, by,
                        beijing_now())
    return get_actor(store, username)


def check_username(username: str) -> None:
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、下划线、点和连字符")


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: str
    college: str | None
    stages: tuple[str, ...]
    password: str


def create_accounts(store: Store, accounts: list[NewAccount], by: str) -> int:
    """Create many accounts in one transaction (a staff list import): all or none. The caller
    has validated them (loaders.staff); this re-checks and raises AccountError on any problem."""
    for a in accounts:
        check_username(a.username)
        validate_account(store, a.role, a.college, list(a.stages))
    hashes = [hash_password(a.password) for a in accounts]  # slow (argon2): outside the lock
    now = beijing_now()
    with store.transaction() as cur:
        for a, password_hash in zip(accounts, hashes):
            _insert_account(cur, a.username, a.display_name, a.role, a.college, list(a.stages),
                            password_hash, by, now)
    return len(accounts)


def _insert_account(cur, username: str, display_name: str, role: str, college: str | None,
                    stages: list[str], password_hash: str, by: str, now: datetime) -> None:
    if cur.execute("SELECT count(*) FROM staff WHERE username = $u", {"u": username}).fetchall()[0][0]:
        raise AccountError(f"用户名“{username}”已存在")
    cur.execute(
        "INSERT INTO staff (username, display_name, role, college, stages, password_hash,"
        " created_at, updated_at) VALUES ($u, $n, $r, $c, $s, $h, $t, $t)",
        {"u": username, "n": display_name.strip() or username, "r": role, "c": college,
         "s": stages, "h": password_hash, "t": now},
    )
    _log(cur, username, "created", f"{ROLES[role]} {college or ''} {','.join(stages)}".strip(), by, now)


def update_account(store: Store, username: str, *, display_name: str, role: str,
                   college: str | None, stages: list[str], by: str) -> Actor:
    validate_account(store, role, college, stages)
    now = beijing_now()
    with store.transaction() as cur:
        cur.execute(
            "UPDATE staff SET display_name = $n, role = $r, college = $c, stages = $s,"
            " updated_at = $t WHERE username = $u",
            {"u": username, "n": display_name, "r": role, "c": college, "s": stages, "t": now})
        _log(cur, username, "updated", f"{ROLES[role]} {college or ''} {','.join(stages)}".strip(), by, now)
    return get_actor(store, username)


def set_active(store: Store, username: str, active: bool, by: str) -> None:
    if not active and username == by:
        raise AccountError("不能停用自己的账号")
    now = beijing_now()
    with store.transaction() as cur:
        cur.execute("UPDATE staff SET active = $a, failed_logins = 0, locked_until = NULL,"
                    " updated_at = $t WHERE username = $u", {"a": active, "u": username, "t": now})
        _log(cur, username, "enabled" if active else "disabled", None, by, now)


def reset_password(store: Store, username: str, new_password: str, by: str) -> None:
    check_password(new_password)
    now = beijing_now()
    with store.transaction() as cur:
        cur.execute("UPDATE staff SET password_hash = $h, failed_logins = 0, locked_until = NULL,"
                    " updated_at = $t WHERE username = $u",
                    {"h": _hasher.hash(new_password), "u": username, "t": now})
        _log(cur, username, "password_reset", None, by, now)


def get_actor(store: Store, username: str) -> Actor | None:
    """The account as an Actor, or None if it does not exist or is disabled."""
    rows = store.read_dicts("SELECT * FROM staff WHERE username = $u AND active", {"u": username})
    return _row_to_actor(rows[0]) if rows else None


def authenticate(store: Store, username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a password. The message never says whether the username exists."""
    now = now or beijing_now()
    wrong = SignIn(None, "用户名或密码错误")
    rows = store.read_dicts("SELECT * FROM staff WHERE username = $u", {"u": username.strip()})
    if not rows:
        _verify(_DUMMY_HASH, password)
        return wrong
    row = rows[0]
    if row["locked_until"] is not None and row["locked_until"] > now:
        minutes = max(1, int((row["locked_until"] - now).total_seconds() // 60) + 1)
        return SignIn(None, f"连续输错密码次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员")
    if not _verify(row["password_hash"], password):
        _record_failure(store, row["username"], now)
        return wrong
    if not row["active"]:
        return SignIn(None, "该账号已停用，请联系系统管理员")
    with store.transaction() as cur:
        cur.execute("UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE username = $u",
                    {"u": row["username"]})
    return SignIn(_row_to_actor(row))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _record_failure(store: Store, username: str, now: datetime) -> None:
    with store.transaction() as cur:
        failures = cur.execute(
            "UPDATE staff SET failed_logins = failed_logins + 1 WHERE username = $u"
            " RETURNING failed_logins", {"u": username}).fetchall()[0][0]
        if failures >= MAX_FAILED_LOGINS:
            cur.execute("UPDATE staff SET locked_until = $t, failed_logins = 0 WHERE username = $u",
                        {"t": now + timedelta(minutes=LOCK_MINUTES), "u": username})
            _log(cur, username, "locked", f"连续 {MAX_FAILED_LOGINS} 次密码错误", "system", now)


def bootstrap_admin(store: Store) -> str | None:
    """On the first start, create the `admin` account. Its password comes from
    $CLEARANCE_ADMIN_PASSWORD, or is generated and returned (to be printed once)."""
    if store.read_value("SELECT count(*) FROM staff WHERE role = 'admin'"):
        return None
    password = os.environ.get("CLEARANCE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    create_account(store, "admin", "系统管理员", "admin", password)
    return None if os.environ.get("CLEARANCE_ADMIN_PASSWORD") else password
