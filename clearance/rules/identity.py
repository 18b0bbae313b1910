"""Who a campus sign-in (CAS or OpenID Connect) says a person is, and what that person is in
离校通: a staff account (username = 工号) or a student of the roster (学号). One rule for every
protocol; no I/O here (the caller passes the two look-ups).

A staff id signs in only to an existing, active account (roles and stages stay in 离校通); a
student id only to its own roster row. Anything else is refused with a Chinese message and
nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

STAFF, STUDENT = "staff", "student"

NO_ACCOUNT = "统一身份认证账号“{id}”在离校通中没有工作人员账号或已停用，请联系研究生院系统管理员开通。"
NOT_IN_ROSTER = "统一身份认证账号“{id}”不在本批离校学生名单中，无法查询离校情况。"
UNKNOWN = "统一身份认证账号“{id}”既不是离校通工作人员账号，也不在离校学生名单中，无法登录。"
AMBIGUOUS = "统一身份认证账号“{id}”同时对应工作人员账号和学生学号，无法判断身份，请联系系统管理员。"
NO_ID = "统一身份认证未提供用户标识，无法登录，请联系学校信息化部门。"
BAD_KIND = "统一身份认证提供的身份类别“{kind}”不是工作人员或学生，无法登录。"

MAX_ID = 64


@dataclass(frozen=True)
class IdentityRules:
    """config/sso.toml [attributes] and [kinds]."""
    id_attribute: str = ""           # empty: the protocol's own user id (CAS <cas:user>, OIDC sub)
    name_attribute: str = "cn"
    kind_attribute: str = "type"
    kind_rule: str = "lookup"        # "lookup" | "attribute"
    staff_values: tuple[str, ...] = ("staff",)
    student_values: tuple[str, ...] = ("student",)


@dataclass(frozen=True)
class Identity:
    """What the identity provider asserted, as received."""
    user: str
    attributes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapped:
    kind: str | None          # STAFF | STUDENT; None when refused
    subject: str = ""         # the account username or the 学号
    message: str = ""         # the Chinese refusal


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value).strip()


def subject_id(identity: Identity, rules: IdentityRules) -> str:
    raw = _first(identity.attributes.get(rules.id_attribute)) if rules.id_attribute else identity.user
    return _first(raw)


def _safe(value: str) -> str:
    return value[:MAX_ID]


def map_identity(identity: Identity, rules: IdentityRules, *,
                 is_account: Callable[[str], bool], is_student: Callable[[str], bool]) -> Mapped:
    """The 离校通 person behind an asserted identity. `is_account(id)` is true for an active
    staff account with that username; `is_student(学号)` for a student in the roster."""
    uid = subject_id(identity, rules)
    if not uid or len(uid) > MAX_ID or not uid.isprintable():
        return Mapped(None, message=NO_ID)
    if rules.kind_rule == "attribute":
        kind_value = _first(identity.attributes.get(rules.kind_attribute))
        values = {v.lower() for v in rules.staff_values}, {v.lower() for v in rules.student_values}
        if kind_value.lower() in values[0]:
            return Mapped(STAFF, uid) if is_account(uid) else \
                Mapped(None, message=NO_ACCOUNT.format(id=_safe(uid)))
        if kind_value.lower() in values[1]:
            return Mapped(STUDENT, uid) if is_student(uid) else \
                Mapped(None, message=NOT_IN_ROSTER.format(id=_safe(uid)))
        return Mapped(None, message=BAD_KIND.format(kind=_safe(kind_value or "（无）")))
    staff, student = is_account(uid), is_student(uid)
    if staff and student:
        return Mapped(None, message=AMBIGUOUS.format(id=_safe(uid)))
    if staff:
        return Mapped(STAFF, uid)
    if student:
        return Mapped(STUDENT, uid)
    return Mapped(None, message=UNKNOWN.format(id=_safe(uid)))


def display_name(identity: Identity, rules: IdentityRules) -> str:
    return _first(identity.attributes.get(rules.name_attribute))[:64]
