"""Staff accounts: argon2-hashed passwords and their policy, roles, stages held, disabling.

Guessing is slowed by clearance.adapters.signin (growing delays, never a lock-out); this module checks
one password and answers the same for an unknown name, a disabled account and a wrong password.

The running app re-reads the account on every page run, so disabling an account or changing
its stages takes effect at once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clearance.rules.actors import ROLES, Actor
from clearance.clock import beijing_now
from clearance.store.db import Store, get_catalogue, get_colleges

MIN_PASSWORD_LENGTH = 10
# Passwords that guessing tools try first; compared without case, spaces or a trailing "!"/".".
COMMON_PASSWORDS = frozenset("""
12345678 123456789 1234567890 0123456789 87654321 11111111 00000000 88888888 66666666
12341234 11223344 147258369 password password1 password123 passw0rd demo1234 admin123
admin1234 administrator qwerty123 qwertyuiop 1qaz2wsx 1q2w3e4r 1q2w3e4r5t qazwsxedc
abc12345 abcd1234 a1234567 a12345678 aa123456 iloveyou woaini1314 woaini520 zxcvbnm123
changeme welcome123 letmein123 p@ssw0rd p@ssword
""".split())
WRONG = "用户名或密码错误"
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
                 college=row["college"], stages=frozenset(row["stages"] or ()),
                 campus=row.get("campus"))


def _log(cur, username: str, change: str, detail: str | None, actor: str, now: datetime) -> None:
    next_id = cur.execute("SELECT coalesce(max(change_id), 0) + 1 FROM staff_changes").fetchall()[0][0]
    cur.execute("INSERT INTO staff_changes VALUES ($id, $u, $c, $d, $a, $t)",
                {"id": next_id, "u": username, "c": change, "d": detail, "a": actor, "t": now})


def validate_account(store: Store, role: str, college: str | None, stages: list[str],
                     campus: str | None = None) -> None:
    """The stages a role may hold: college staff hold college stages of one college; office
    staff hold school-wide stages; admin and graduate school hold none. A campus, when given,
    is one of the catalogue's campuses."""
    if role not in ROLES or role == "system":
        raise AccountError(f"未知的角色“{role}”")
    catalogue = get_catalogue(store)
    if campus is not None and campus not in catalogue.campuses:
        raise AccountError(campus_problem(campus, catalogue.campuses))
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


def campus_problem(campus: str, campuses: tuple[str, ...]) -> str:
    return f"未知的校区“{campus}”，应为 {'、'.join(campuses)} 之一（或留空）"


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is refused (Chinese), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    if not password.strip() or len(set(password)) < 4:
        return "密码不能全是空格或少数几个重复的字符"
    classes = [any(c.isalpha() for c in password), any(c.isdigit() for c in password),
               any(not c.isalnum() for c in password)]
    if sum(classes) < 2:
        return "密码须包含字母、数字、符号中的至少两类"
    name = username.strip().lower()
    if name and len(name) >= 3 and name in password.lower():
        return "密码不能包含用户名"
    if password.lower().replace(" ", "").rstrip("!.") in COMMON_PASSWORDS:
        return "密码过于常见，请换一个"
    return None


def check_password(password: str, username: str = "") -> None:
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)


def hash_password(password: str, username: str = "") -> str:
    check_password(password, username)
    return _hasher.hash(password)


def demo_password_hash(password: str) -> str:
    """The demo store's shared password, which is deliberately weak and public (README): only
    loaders.demo calls this, and only for a store it has flagged as a demo."""
    return _hasher.hash(password)


def create_account(store: Store, username: str, display_name: str, role: str, password: str,
                   college: str | None = None, stages: list[str] | None = None,
                   by: str = "system", password_hash: str | None = None,
                   must_change: bool = True, campus: str | None = None) -> Actor:
    """Create a staff account. `password_hash` lets the demo seeder create many accounts with
    one shared password without hashing it each time. Someone else chose the password, so by
    default its owner must change it at the first sign-in."""
    username = username.strip()
    check_username(username)
    stages = list(stages or [])
    validate_account(store, role, college, stages, campus)
    password_hash = password_hash or hash_password(password, username)
    with store.transaction() as cur:
        _insert_account(cur, username, display_name, role, college, stages, password_hash, by,
                        beijing_now(), must_change, campus)
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
    campus: str | None = None


def create_accounts(store: Store, accounts: list[NewAccount], by: str) -> int:
    """Create many accounts in one transaction (a staff list import): all or none. The caller
    has validated them (loaders.staff); this re-checks and raises AccountError on any problem."""
    for a in accounts:
        check_username(a.username)
        validate_account(store, a.role, a.college, list(a.stages), a.campus)
    hashes = [hash_password(a.password, a.username) for a in accounts]  # slow: outside the lock
    now = beijing_now()
    with store.transaction() as cur:
        for a, password_hash in zip(accounts, hashes):
            _insert_account(cur, a.username, a.display_name, a.role, a.college, list(a.stages),
                            password_hash, by, now, True, a.campus)
    return len(accounts)


def _insert_account(cur, username: str, display_name: str, role: str, college: str | None,
                    stages: list[str], password_hash: str, by: str, now: datetime,
                    must_change: bool, campus: str | None = None) -> None:
    if cur.execute("SELECT count(*) FROM staff WHERE username = $u", {"u": username}).fetchall()[0][0]:
        raise AccountError(f"用户名“{username}”已存在")
    cur.execute(
        "INSERT INTO staff (username, display_name, role, college, stages, password_hash,"
        " created_at, updated_at, must_change_password, campus)"
        " VALUES ($u, $n, $r, $c, $s, $h, $t, $t, $m, $campus)",
        {"u": username, "n": display_name.strip() or username, "r": role, "c": college,
         "s": stages, "h": password_hash, "t": now, "m": must_change, "campus": campus},
    )
    _log(cur, username, "created", _detail(role, college, stages, campus), by, now)


def _detail(role: str, college: str | None, stages: list[str], campus: str | None) -> str:
    """An account's role, college, stages and campus, as the change log keeps them."""
    return " ".join(p for p in (ROLES[role], college, ",".join(stages), campus) if p)


def update_account(store: Store, username: str, *, display_name: str, role: str,
                   college: str | None, stages: list[str], by: str,
                   campus: str | None) -> Actor:
    """Change an account; `campus` is required so that a caller never clears it unawares."""
    validate_account(store, role, college, stages, campus)
    now = beijing_now()
    with store.transaction() as cur:
        cur.execute(
            "UPDATE staff SET display_name = $n, role = $r, college = $c, stages = $s,"
            " campus = $campus, updated_at = $t WHERE username = $u",
            {"u": username, "n": display_name, "r": role, "c": college, "s": stages, "t": now,
             "campus": campus})
        _log(cur, username, "updated", _detail(role, college, stages, campus), by, now)
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
    """An admin sets a new password; its owner must change it at the next sign-in."""
    password_hash = hash_password(new_password, username)
    now = beijing_now()
    with store.transaction() as cur:
        cur.execute("UPDATE staff SET password_hash = $h, failed_logins = 0, locked_until = NULL,"
                    " must_change_password = TRUE, updated_at = $t WHERE username = $u",
                    {"h": password_hash, "u": username, "t": now})
        _log(cur, username, "password_reset", None, by, now)


def change_own_password(store: Store, username: str, old_password: str, new_password: str) -> None:
    """A signed-in staff member picks a new password (self-service, or forced at the first
    sign-in after an import or a reset). Raises AccountError in Chinese."""
    rows = store.read_dicts("SELECT password_hash FROM staff WHERE username = $u AND active",
                            {"u": username})
    if not rows or not _verify(rows[0]["password_hash"], old_password):
        raise AccountError("当前密码不正确")
    if new_password == old_password:
        raise AccountError("新密码不能与当前密码相同")
    password_hash = hash_password(new_password, username)
    now = beijing_now()
    with store.transaction(touches_data=False) as cur:
        cur.execute("UPDATE staff SET password_hash = $h, must_change_password = FALSE,"
                    " updated_at = $t WHERE username = $u", {"h": password_hash, "u": username, "t": now})
        _log(cur, username, "password_changed", None, username, now)


def must_change_password(store: Store, username: str) -> bool:
    return bool(store.read_value("SELECT must_change_password FROM staff WHERE username = $u",
                                 {"u": username}))


def get_actor(store: Store, username: str) -> Actor | None:
    """The account as an Actor, or None if it does not exist or is disabled."""
    rows = store.read_dicts("SELECT * FROM staff WHERE username = $u AND active", {"u": username})
    return _row_to_actor(rows[0]) if rows else None


def authenticate(store: Store, username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check one password (call it through clearance.adapters.signin, which slows guessing). An unknown
    name, a disabled or admin-locked account and a wrong password get the same answer and
    cost the same argon2 check."""
    now = now or beijing_now()
    rows = store.read_dicts("SELECT * FROM staff WHERE username = $u", {"u": username.strip()})
    row = rows[0] if rows else None
    ok = _verify(row["password_hash"] if row else _DUMMY_HASH, password)
    locked = row is not None and row["locked_until"] is not None and row["locked_until"] > now
    if not ok or row is None or not row["active"] or locked:
        return SignIn(None, WRONG)
    return SignIn(_row_to_actor(row))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def bootstrap_admin(store: Store) -> str | None:
    """On the first start, create the `admin` account. Its password comes from
    $CLEARANCE_ADMIN_PASSWORD, or is generated and returned (to be printed once)."""
    if store.read_value("SELECT count(*) FROM staff WHERE role = 'admin'"):
        return None
    chosen = os.environ.get("CLEARANCE_ADMIN_PASSWORD")
    password = chosen or secrets.token_urlsafe(12) + "-1a"  # printed in a log: changed at first use
    create_account(store, "admin", "系统管理员", "admin", password, must_change=not chosen)
    return None if chosen else password
