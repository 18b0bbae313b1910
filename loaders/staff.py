"""The staff list (工作人员名单): CSV/XLSX → validated → staff accounts, for the admin's
account page. Replaces the paper 工作人员变更申请表.

All or nothing: any bad row refuses the whole file with an error per row and column.
Headers: 用户名, 姓名, 角色, 学院, 办理环节, 初始密码 (学院 only for college staff; 办理环节 lists
stage names or ids separated by 、 , ， ; or spaces), and optionally 校区 (a campus of
config/stages.toml: the card desk opens on that campus's desk).
"""

from __future__ import annotations

import io
import re

import pandas as pd

from clearance.store.accounts import (AccountError, NewAccount, campus_problem, check_username,
                                      create_accounts, password_problem, validate_account)
from clearance.rules.actors import ROLES
from clearance.store.db import Store, get_catalogue, get_colleges
from loaders.sheets import (ImportRejected, Sheet, clean_name, duplicate_errors, messages, read_sheet,
                            show, value_problems)

HEADERS = ["用户名", "姓名", "角色", "学院", "办理环节", "初始密码"]
OPTIONAL = ["校区"]  # a list without the column is read as before (no campus)
COLUMNS = HEADERS + OPTIONAL
REQUIRED = ["用户名", "姓名", "角色", "初始密码"]
# 角色 as written in the file → role; the Chinese role names and the codes both work.
ROLE_ALIASES = {name: code for code, name in ROLES.items() if code != "system"}
ROLE_ALIASES |= {code: code for code in ROLES if code != "system"}
ROLE_ALIASES |= {"管理员": "admin", "学院": "college", "部门": "office", "职能部门": "office"}


def _stage_ids(text: str, by_name: dict[str, str]) -> tuple[list[str], list[str]]:
    """Stage ids named in a cell, and the parts that name no stage."""
    ids, unknown = [], []
    for part in re.split(r"[、,，;；\s]+", text):
        if not part:
            continue
        stage_id = by_name.get(part) or (part if part in by_name.values() else None)
        (ids if stage_id else unknown).append(stage_id or part)
    return ids, unknown


def validate(store: Store, sheet: Sheet) -> tuple[list[NewAccount], list[str]]:
    """The accounts the file describes, and every problem found (empty when the file is good)."""
    catalogue = get_catalogue(store)
    by_name = {s.name: s.stage_id for s in catalogue.stages}
    existing = {r[0] for r in store.read_rows("SELECT username FROM staff")}
    colleges = get_colleges(store)
    accounts, errors = [], []
    not_values = []
    for header in COLUMNS:
        if header in sheet.rows.columns:
            not_values += value_problems(sheet, header, blank_ok=header not in REQUIRED)[0]
    if not_values:  # an Excel error or "N/A" where an account detail belongs: say only that
        return [], messages(sheet, not_values, COLUMNS)
    rows = sheet.rows.reindex(columns=COLUMNS, fill_value="")
    for row, rec in rows.iterrows():
        problems = []
        for header in REQUIRED:
            if rec[header] == "":
                problems.append(sheet.error(row, header, "不能为空"))
        username = rec["用户名"].replace(" ", "")
        role = ROLE_ALIASES.get(rec["角色"])
        typed_college = rec["学院"].replace(" ", "") or None
        # An alias is stored as the college's name; an unknown one is refused with a guess.
        college = colleges.canonical(typed_college) if typed_college else None
        stages, unknown = _stage_ids(rec["办理环节"], by_name)
        campus = rec["校区"].replace(" ", "") or None
        if campus is not None and campus not in catalogue.campuses and f"{campus}区" in catalogue.campuses:
            campus = f"{campus}区"  # "B" for B区
        if campus is not None and campus not in catalogue.campuses and campus.endswith("校区") \
                and campus.removesuffix("校区") in catalogue.campuses:
            campus = campus.removesuffix("校区")  # 虎溪校区 for 虎溪
        if username:
            try:
                check_username(username)
            except AccountError as exc:
                problems.append(sheet.error(row, "用户名", str(exc)))
            if username in existing:
                problems.append(sheet.error(row, "用户名", f"“{username}”已存在"))
        if rec["角色"] and role is None:
            choices = "/".join(n for c, n in ROLES.items() if c != "system")
            problems.append(sheet.error(row, "角色", f"“{show(rec['角色'])}”无效，应为{choices}"))
        if unknown:
            problems.append(sheet.error(row, "办理环节", f"没有这些环节：{'、'.join(unknown)}"))
        if typed_college and college is None:
            problems.append(sheet.error(row, "学院", colleges.unknown_message(typed_college)))
        if campus is not None and campus not in catalogue.campuses:
            problems.append(sheet.error(row, "校区", campus_problem(show(rec["校区"]), catalogue.campuses)))
        weak = rec["初始密码"] and password_problem(rec["初始密码"], username or "")
        if weak:
            problems.append(sheet.error(row, "初始密码", weak))
        if role and not problems:
            try:
                validate_account(store, role, college, stages, campus)
            except AccountError as exc:
                column = "学院" if "学院" in str(exc) and "环节" not in str(exc) else "办理环节"
                problems.append(sheet.error(row, column, str(exc)))
        errors += problems
        if not problems:
            accounts.append(NewAccount(username, clean_name(rec["姓名"]), role, college,
                                       tuple(stages), rec["初始密码"], campus))
    errors += duplicate_errors(sheet, "用户名", rows["用户名"].str.replace(" ", ""))
    return accounts, errors


def import_staff(store: Store, data: bytes, file_name: str, by: str) -> int:
    """Validate and create every account in the file; raises ImportRejected (changing nothing)."""
    sheet = read_sheet(data, file_name, REQUIRED, wanted=COLUMNS)
    accounts, errors = validate(store, sheet)
    if errors:
        raise ImportRejected(errors)
    if not accounts:
        raise ImportRejected([f"{file_name}：文件中没有账号"])
    try:
        return create_accounts(store, accounts, by)
    except AccountError as exc:  # e.g. someone created the same username meanwhile
        raise ImportRejected([f"{file_name}：{exc}"]) from exc


def template_xlsx() -> bytes:
    """The staff-list workbook with the headers and one example row per kind of account."""
    examples = [
        ["lib_tan", "图书馆 谭老师", "部门工作人员", "", "图书馆", "ChangeMe-2018", "A区"],
        ["cs_mi", "计算机学院 米老师", "学院工作人员", "计算机学院", "导师、学院研究生教务秘书", "ChangeMe-2018", ""],
        ["gs_zhang", "研究生院 张老师", "研究生院", "", "", "ChangeMe-2018", ""],
    ]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame(examples, columns=COLUMNS).to_excel(writer, index=False, sheet_name="工作人员")
        sheet = writer.sheets["工作人员"]
        for col, width in zip("ABCDEFG", (14, 22, 14, 22, 34, 16, 10)):
            sheet.column_dimensions[col].width = width
    return buf.getvalue()
