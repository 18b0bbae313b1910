"""The watched inbox: how scheduled feeds reach the running app.

The app process owns the DuckDB file, so campus systems do not write to it: they drop their
export into `<inbox>/<feed>/` (SFTP/SMB; filesystem permissions are the authentication). A
thread in the app (`InboxWatcher`, started by server.py's lifespan) looks every few seconds,
takes files in arrival order, runs each through the same feed function as the upload page,
and moves it to `<feed>/done/` or `<feed>/rejected/` with `<name>.result.json` beside it
(the counts, or the Chinese error list).

A file is read only once it has not changed for `inbox_settle_seconds` (an upload in progress
keeps growing); names starting with "." or ending in .part/.tmp/.filepart are uploads in
progress and are left alone. `python -m loaders <feed> FILE` uses `drop_and_wait` when the app
holds the database.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from clearance.store.feeds import load_feeds
from clearance.clock import beijing_now
from clearance.store.db import Store, db_path_from_env
from loaders.sheets import ImportRejected

log = logging.getLogger("clearance.inbox")
IN_PROGRESS = (".part", ".tmp", ".filepart", ".crdownload")
RESULT_SUFFIX = ".result.json"
# Files the command line drops are named "cli-<token>__<name>": the token finds the result,
# the history records <name>.
CLAIMED = ".claimed-"
CLI_NAME = re.compile(r"^cli-([0-9a-f]{12})__(.+)$")


def inbox_root(db_path: Path | None = None) -> Path:
    """$CLEARANCE_INBOX, or `inbox/` next to the database file."""
    env = os.environ.get("CLEARANCE_INBOX")
    if env:
        return Path(env)
    return Path(db_path or db_path_from_env()).resolve().parent / "inbox"


def ensure_folders(root: Path, kinds) -> None:
    for kind in kinds:
        for sub in ("", "done", "rejected"):
            (root / kind / sub).mkdir(parents=True, exist_ok=True)


def waiting_files(root: Path, kinds, settle_seconds: float, now: float | None = None) -> list[tuple[str, Path]]:
    """Complete files waiting in the feed folders, oldest first (arrival order)."""
    now = time.time() if now is None else now
    found = []
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(IN_PROGRESS):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # taken back by the command line a moment ago
                continue
            if now - st.st_mtime >= settle_seconds:
                found.append((st.st_mtime_ns, path.name, kind, path))
    return [(kind, path) for _mtime, _name, kind, path in sorted(found)]


def _sender(path: Path) -> tuple[str, str, str]:
    """(file name to record, who sent it, channel)."""
    match = CLI_NAME.match(path.name)
    if match:
        return match.group(2), "cli", "cli"
    try:
        import pwd

        owner = pwd.getpwuid(path.stat().st_uid).pw_name
    except (KeyError, ImportError, OSError):
        owner = "unknown"
    return path.name, f"inbox:{owner}", "inbox"


def _destination(folder: Path, name: str) -> Path:
    """`<stamp>_<name>` in folder, never overwriting: finance sends the same name every 30 min."""
    stamp = beijing_now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{stamp}_{name}"
    n = 1
    while target.exists() or Path(str(target) + RESULT_SUFFIX).exists():
        n += 1
        target = folder / f"{stamp}-{n}_{name}"
    return target


def _claim(path: Path) -> Path | None:
    """Take the file out of the waiting list (a rename: atomic against the command line's
    withdrawal). None if it is gone."""
    claimed = path.parent / f"{CLAIMED}{path.name}"
    try:
        os.replace(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def recover_claimed(root: Path, kinds) -> None:
    """Files claimed by a process that stopped mid-way go back to the waiting list (a second
    run of the same file changes nothing)."""
    for kind in kinds:
        for path in (root / kind).glob(f"{CLAIMED}*"):
            os.replace(path, path.parent / path.name[len(CLAIMED):])


def process_file(store: Store, kind: str, path: Path) -> dict | None:
    """Run one inbox file through the feed; move it to done/ or rejected/ with its result."""
    from loaders.feeds import import_feed  # late import: feeds imports clearance at load

    file_name, sent_by, channel = _sender(path)
    original_name = path.name
    path = _claim(path)
    if path is None:
        return None
    data = path.read_bytes()
    result = {"feed": kind, "file": file_name, "sent_by": sent_by,
              "received_at": beijing_now().isoformat(sep=" ")}
    try:
        outcome = import_feed(store, kind, data, file_name, sent_by, channel, record_refused=True)
        result |= {"status": "done"} | outcome.as_dict()
    except ImportRejected as exc:
        result |= {"status": "rejected", "errors": exc.errors}
    except Exception as exc:  # a bug must not stop the inbox; the file says what happened
        log.exception("inbox file %s failed", path)
        result |= {"status": "rejected", "errors": [f"{file_name}：处理失败（{type(exc).__name__}：{exc}）"]}
    result["processed_at"] = beijing_now().isoformat(sep=" ")
    target = _destination(path.parent / result["status"], original_name)
    target.parent.mkdir(exist_ok=True)
    os.replace(path, target)
    # The result appears last and atomically: whoever waits for it sees a whole file.
    tmp = target.parent / f".{target.name}{RESULT_SUFFIX}.tmp"
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, Path(str(target) + RESULT_SUFFIX))
    return result


def process_waiting(store: Store, root: Path) -> list[dict]:
    """One look at the inbox: process every complete file, oldest first."""
    config = load_feeds()
    results = [process_file(store, kind, path)
               for kind, path in waiting_files(root, config.feeds, config.settings.inbox_settle_seconds)]
    return [r for r in results if r is not None]


class InboxWatcher:
    """A daemon thread polling the inbox for the app process."""

    def __init__(self, store_opener, root: Path | None = None, poll_seconds: float | None = None):
        self._open = store_opener
        self.root = root or inbox_root()
        self.poll_seconds = poll_seconds or load_feeds().settings.inbox_poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="clearance-inbox", daemon=True)

    def start(self) -> "InboxWatcher":
        ensure_folders(self.root, load_feeds().feeds)
        recover_claimed(self.root, load_feeds().feeds)
        self._thread.start()
        log.info("watching inbox %s", self.root)
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                process_waiting(self._open(), self.root)
            except Exception:  # keep watching; the log says what went wrong
                log.exception("inbox poll failed")
            self._stop.wait(self.poll_seconds)


@dataclass(frozen=True)
class Delivery:
    """What the command line got back from the app: an exit code and the result (or why not)."""

    code: int  # 0 done, 1 rejected, 3 the app did not answer
    result: dict | None
    message: str = ""


def _find_result(root: Path, kind: str, token: str) -> Path | None:
    for sub in ("done", "rejected"):
        for path in (root / kind / sub).glob(f"*cli-{token}__*{RESULT_SUFFIX}"):
            return path
    return None


def drop_and_wait(root: Path, kind: str, data: bytes, file_name: str, timeout: float = 120,
                  poll: float = 0.3) -> Delivery:
    """Put a file into the running app's inbox and wait for its result."""
    folder = root / kind
    if not folder.is_dir():
        return Delivery(3, None, f"找不到收件箱 {folder}（应用是否已启动？CLEARANCE_INBOX 是否一致？）")
    token = uuid.uuid4().hex[:12]
    target = folder / f"cli-{token}__{file_name}"
    partial = folder / f".{target.name}.part"
    try:
        partial.write_bytes(data)
        os.replace(partial, target)  # appears whole, never half-written
    except OSError as exc:
        return Delivery(3, None, f"无法写入收件箱 {folder}：{exc}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _find_result(root, kind, token)
        if found:
            result = json.loads(found.read_text(encoding="utf-8"))
            return Delivery(0 if result["status"] == "done" else 1, result)
        time.sleep(poll)
    try:
        target.unlink()  # not taken: withdraw it, so it does not run later unexpectedly
        return Delivery(3, None, f"应用在 {timeout:g} 秒内没有处理收件箱中的文件，已撤回")
    except FileNotFoundError:
        return Delivery(3, None, "应用已收下文件但尚未给出结果，请稍后在“导入记录”页面查看")


def inbox_status(root: Path, kinds) -> list[dict]:
    """Per feed folder: files waiting, and the newest result (for the admin page)."""
    rows = []
    for kind in kinds:
        folder = root / kind
        waiting = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] \
            if folder.is_dir() else []
        results = sorted(
            (p for sub in ("done", "rejected") if (folder / sub).is_dir()
             for p in (folder / sub).glob(f"*{RESULT_SUFFIX}")),
            key=lambda p: p.stat().st_mtime, reverse=True)
        last = json.loads(results[0].read_text(encoding="utf-8")) if results else None
        rows.append({"kind": kind, "folder": str(folder), "waiting": len(waiting), "last": last})
    return rows
