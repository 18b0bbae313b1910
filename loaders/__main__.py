"""Command line: `python -m loaders roster FILE --batch 2018-06`, `python -m loaders demo`,
`python -m loaders cards FILE`, `python -m loaders finance FILE` (and the other feeds),
`python -m loaders template KIND OUT.xlsx`.
Exit code 0 on success, 1 with the error list, 3 when the running app could not be reached."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from clearance.store.feeds import load_feeds
from clearance.root import close_all_stores, open_store
from clearance.store.db import db_path_from_env
from loaders.inbox import drop_and_wait, inbox_root
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
    demo = sub.add_parser("demo", help="向空库写入 2018 年 6 月演示批次（及已关闭的 2017 年 12 月批次）")
    demo.add_argument("--if-empty", action="store_true", help="库中已有学生时不做任何事并返回 0")
    for kind, feed in load_feeds().feeds.items():
        f = sub.add_parser(kind, help=f"导入对接数据：{feed.title}")
        f.add_argument("file", type=Path)
        f.add_argument("--timeout", type=float, default=120,
                       help="应用运行时经收件箱提交，等待结果的秒数（默认 120）")
        f.add_argument("--actor", default="cli", help="应用未运行时记录在导入日志中的操作人")
    template = sub.add_parser("template", help="写出导入模板")
    template.add_argument("kind", choices=["roster", "cards", "staff", *load_feeds().feeds])
    template.add_argument("out", type=Path)
    return p


def _print_feed_result(result: dict) -> None:
    print(f"导入成功（{result['file']}，{result['rows']} 行）：通过 {result['passed']}，"
          f"不通过/未办理 {result['rejected']}，无变化 {result['unchanged']}，跳过 {result['skipped']}")
    for skip in result.get("skips", [])[:20]:
        print(f"  跳过 {skip['student_no']}：{skip['reason']}")
    if len(result.get("skips", [])) > 20:
        print(f"  ……另有 {len(result['skips']) - 20} 条跳过")


def _print_roster_changes(result) -> None:
    from loaders.roster import change_rows

    if not result.changes:
        return
    print(f"信息有变化的学生 {len(result.changes)} 人：")
    for r in change_rows(result):
        stage = f"　{r['环节']}：{r['原状态']} → {r['新状态']}" if r["原状态"] else (
            f"　{r['环节']}" if r["环节"] else "")
        print(f"  {r['学号']} {r['姓名']}（{r['变更']}）{stage}　{r['说明']}")


def _print_rejected(errors: list[str]) -> None:
    print(f"导入失败，未做任何修改（共 {len(errors)} 处错误）：", file=sys.stderr)
    for line in errors:
        print("  " + line, file=sys.stderr)


def _feed_through_app(args) -> int:
    """The app holds the database: hand the file to its inbox and wait for the result."""
    root = inbox_root()
    print(f"应用正在运行，文件经收件箱 {root / args.command} 提交，等待处理……", file=sys.stderr)
    delivery = drop_and_wait(root, args.command, args.file.read_bytes(), args.file.name, args.timeout)
    if delivery.code == 0:
        _print_feed_result(delivery.result)
    elif delivery.code == 1:
        _print_rejected(delivery.result["errors"])
    else:
        print(delivery.message, file=sys.stderr)
    return delivery.code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "template":
        if args.kind == "cards":
            from loaders.cards import template_xlsx

            args.out.write_bytes(template_xlsx())
        elif args.kind == "staff":
            from loaders.staff import template_xlsx

            args.out.write_bytes(template_xlsx())
        elif args.kind == "roster":
            from loaders.roster import template_xlsx

            args.out.write_bytes(template_xlsx())
        else:
            from loaders.feeds import template_xlsx

            args.out.write_bytes(template_xlsx(args.kind))
        print(f"已写出模板：{args.out}")
        return 0
    is_feed = args.command in load_feeds().feeds
    if is_feed and not args.file.is_file():
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return 1
    try:
        store = open_store()
    except duckdb.IOException:
        if is_feed:
            return _feed_through_app(args)
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
            _print_roster_changes(result)
            return 0
        if args.command == "cards":
            from loaders.cards import import_cards

            if not args.file.is_file():
                print(f"找不到文件：{args.file}", file=sys.stderr)
                return 1
            result = import_cards(store, args.file.read_bytes(), args.file.name, args.actor)
            print(f"导入成功：{result.rows} 张校园卡，新增 {result.inserted}，更新 {result.updated}")
            return 0
        if is_feed:
            from loaders.feeds import import_feed

            result = import_feed(store, args.command, args.file.read_bytes(), args.file.name,
                                 args.actor, "cli")
            _print_feed_result(result.as_dict())
            return 0
        if args.command == "demo":
            from loaders.demo import generate

            if args.if_empty and store.read_value("SELECT count(*) FROM students"):
                print("数据库中已有学生，跳过演示数据")
                return 0
            result = generate(store, earlier_batch=True)
            print(f"演示数据已生成（2018年6月批次，及已关闭的2017年12月批次）：{result.students} 名学生，{result.events} 条办理记录")
            return 0
    except ImportRejected as exc:
        _print_rejected(exc.errors)
        return 1
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        close_all_stores()
    return 2


if __name__ == "__main__":
    sys.exit(main())
