"""Command line for backups: `python -m clearance.backup backup|list|restore`.

With the app running (it owns the store file), `backup` asks the app over HTTP
(POST /api/ops/backup with the token the app leaves beside the store); with the app stopped it
opens the store itself. `restore` never touches the live store: it writes a new file, verifies
it, and says how to switch to it. Exit code 0 on success, 1 with the reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

import duckdb

from clearance.operations import OperationsConfig, operations_config
from clearance.root import close_all_stores, open_store
from clearance.store.backup import (TRIGGERS, BackupError, backup_store, list_backups, restore,
                                    token_path)
from clearance.store.db import StoreProblem, db_path_from_env


def _ask_app(store_path: Path, config: OperationsConfig) -> dict:
    try:
        token = token_path(store_path).read_text().strip()
    except OSError as exc:
        raise BackupError(f"应用正在运行，但找不到令牌文件 {token_path(store_path)}：{exc}") from exc
    request = urllib.request.Request(
        f"{config.app_url}/api/ops/backup", method="POST", data=b"{}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        try:
            body = json.loads(body).get("error", body)
        except ValueError:
            pass
        raise BackupError(f"应用拒绝了备份请求（HTTP {exc.code}）：{body}") from exc
    except OSError as exc:
        raise BackupError(f"数据库正被应用占用，但无法连接 {config.app_url}：{exc}") from exc


def backup_command(store_path: Path, config: OperationsConfig) -> dict:
    """Back up through the running app if it holds the store, else open the store here."""
    try:
        store = open_store(store_path)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        return _ask_app(store_path, config)
    try:
        return backup_store(store, trigger="command", actor="cli", config=config).as_json()
    finally:
        close_all_stores()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m clearance.backup", description="离校通数据备份与恢复")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("backup", help="立即备份（应用运行时经应用完成）")
    sub.add_parser("list", help="列出已有备份")
    r = sub.add_parser("restore", help="把一个备份恢复为新的库文件并校验")
    r.add_argument("backup", help="备份编号（list 中的第一列）或备份文件夹路径")
    r.add_argument("target", type=Path, help="新库文件路径（不能已存在）")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    config = operations_config()
    store_path = db_path_from_env()
    root = config.backup_root(store_path)
    try:
        if args.command == "backup":
            r = backup_command(store_path, config)
            print(f"备份完成：{r['folder']}（{r['events']} 条办理记录，{r['bytes']} 字节，"
                  f"写入暂停 {r['lock_ms']} 毫秒，已校验）")
        elif args.command == "list":
            backups = list_backups(root)
            if not backups:
                print(f"{root} 中没有备份")
            for m in backups:
                print(f"{m['backup_id']}\t{m['started_at']}\t{TRIGGERS.get(m['trigger'], m['trigger'])}"
                      f"\t{m['events']} 条办理记录\t{m['bytes']} 字节")
        else:
            source = Path(args.backup)
            if not source.exists():
                source = root / args.backup
            r = restore(source, args.target)
            print(f"已恢复备份 {r['backup_id']} 到 {r['target']}：{r['tables']} 张表全部可读，"
                  f"{r['events']} 条办理记录，所有环节状态与办理记录一致。")
            print(f"停止应用，把 CLEARANCE_DB 指向 {r['target']}（或替换原文件）后再启动。")
    except (BackupError, StoreProblem) as exc:
        print(f"失败：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
