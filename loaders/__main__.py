"""Command line: `python -m loaders roster FILE --batch 2018-06`, `python -m loaders demo`,
`python -m loaders cards FILE`,
`python -m loaders template roster|cards OUT.xlsx`. Exit code 0 on success, 1 with the error list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from clearance.store import close_all_stores, db_path_from_env, open_store
from loaders.sheets import ImportRejected

APP_HOLDS_DB = ("数据库 {path} 正被运行中的离校通应用占用（DuckDB 只允许一个进程打开）。"
                "请在管理页面上传文件，或先停止应用再运行此命令。")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m loaders", description="离校通数据导入")
    sub = p.add_subparsers(dest="command", required=True)
    roster = sub.add_parser("roster", help="导入离校学生名单（CSV/XLSX）")
    roster.add_argument("file", type=Path)
    roster.add_argument("--batch", required=True, help="离校批次，如 2018-06")
    roster.add_argument("--actor", default="cli", help="记录在导入日志中的操作人")
    cards = sub.add_parser("cards", help="导入一卡通中心的校园卡导出（学号、卡号、卡UID、余额）")
    cards.add_argument("file", type=Path)
    cards.add_argument("--actor", default="cli", help="记录在导入日志中的操作人")
    demo = sub.add_parser("demo", help="向空库写入 2018 年 6 月演示批次")
    demo.add_argument("--if-empty", action="store_true", help="库中已有学生时不做任何事并返回 0")
    template = sub.add_parser("template", help="写出导入模板")
    template.add_argument("kind", choices=["roster", "cards"])
    template.add_argument("out", type=Path)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "template":
        if args.kind == "cards":
            from loaders.cards import template_xlsx
        else:
            from loaders.roster import template_xlsx

        args.out.write_bytes(template_xlsx())
        print(f"已写出模板：{args.out}")
        return 0
    try:
        store = open_store()
    except duckdb.IOException:
        print(APP_HOLDS_DB.format(path=db_path_from_env()), file=sys.stderr)
        return 3
    try:
        if args.command == "roster":
            from loaders.roster import import_roster

            if not args.file.is_file():
                print(f"找不到文件：{args.file}", file=sys.stderr)
                return 1
            result = import_roster(store, args.file.read_bytes(), args.file.name, args.batch, args.actor)
            print(f"导入成功：{result.rows} 行，新增 {result.inserted} 人，更新 {result.updated} 人")
            return 0
        if args.command == "cards":
            from loaders.cards import import_cards

            if not args.file.is_file():
                print(f"找不到文件：{args.file}", file=sys.stderr)
                return 1
            result = import_cards(store, args.file.read_bytes(), args.file.name, args.actor)
            print(f"导入成功：{result.rows} 张校园卡，新增 {result.inserted}，更新 {result.updated}")
            return 0
        if args.command == "demo":
            from loaders.demo import generate

            if args.if_empty and store.read_value("SELECT count(*) FROM students"):
                print("数据库中已有学生，跳过演示数据")
                return 0
            result = generate(store)
            print(f"演示数据已生成：{result.students} 名学生，{result.events} 条办理记录")
            return 0
    except ImportRejected as exc:
        print(f"导入失败，未做任何修改（共 {len(exc.errors)} 处错误）：", file=sys.stderr)
        for line in exc.errors:
            print("  " + line, file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        close_all_stores()
    return 2


if __name__ == "__main__":
    sys.exit(main())
