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

The inbox trusts regular files only: an entry is looked at with lstat and opened with
O_NOFOLLOW, so a symlink (to /etc/passwd, to a 0600 file) is moved to rejected/ unread; so is a
hard link, a FIFO or device, a file whose owner and group both differ from the feed folder's,
and a file over the size cap. Names are shortened for the claim rename (a 243-byte name would
not fit with its prefix), and an OSError on one file sends that file to rejected/ while the
others flow. A file is claimed at most twice: if the app stopped while a file was being
processed twice, it goes to rejected/ instead of being tried again.
A file named `cli-<token>__<name>` is recorded as sent by the command line only if the command
line registered that token (in `<inbox>/.cli-tokens/`, which only the app's user can write).
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from clearance.clock import beijing_now
from clearance.store.db import Store, db_path_from_env
from clearance.store.feeds import load_feeds
from loaders.limits import load_limits
from loaders.sheets import ImportRejected

log = logging.getLogger("clearance.inbox")
IN_PROGRESS = (".part", ".tmp", ".filepart", ".crdownload")
RESULT_SUFFIX = ".result.json"
# Files the command line drops are named "cli-<token>__<name>": the token finds the result,
# the history records <name>.
CLAIMED = re.compile(r"^\.claimed-(\d)-(.+)$")  # .claimed-<attempt>-<name>
RETRY = re.compile(r"^\.retry-(\d)-(.+)$")  # claimed once by a process that stopped
MAX_ATTEMPTS = 2
CLI_NAME = re.compile(r"^cli-([0-9a-f]{12})__(.+)$")
TOKENS = ".cli-tokens"
NAME_BYTES = 150  # a stored name, so that prefixes (.claimed-1-, a time stamp) and .result.json fit in 255


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


def short_name(name: str, limit: int = NAME_BYTES) -> str:
    """`name` cut to `limit` bytes of UTF-8, keeping its extension (and never splitting a
    character): 81 汉字 + .csv becomes a name the file system can take with a prefix."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = name, ""
    keep = limit - len(ext.encode()) - (2 if ext else 1)
    cut = stem.encode()[:keep].decode("utf-8", "ignore")
    return f"{cut}…" + (f".{ext}" if ext else "")


def waiting_files(root: Path, kinds, settle_seconds: float, now: float | None = None) -> list[tuple[str, Path]]:
    """Entries waiting in the feed folders, oldest first (arrival order). Looked at with lstat:
    a symlink or other non-regular entry is listed too (to be refused unread), never followed."""
    now = time.time() if now is None else now
    found = []
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            log.exception("cannot list %s", folder)
            continue
        for name in names:
            if name in ("done", "rejected") or name.endswith(IN_PROGRESS):
                continue
            if name.startswith(".") and not RETRY.match(name):
                continue
            path = folder / name
            try:
                st = path.lstat()
            except OSError:  # taken back by the command line a moment ago
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            if now - st.st_mtime >= settle_seconds:
                found.append((st.st_mtime_ns, name, kind, path))
    return [(kind, path) for _mtime, _name, kind, path in sorted(found)]


def original_name(name: str) -> tuple[str, int]:
    """(the name it was sent under, attempts so far) of a waiting or claimed entry."""
    for pattern in (CLAIMED, RETRY):
        m = pattern.match(name)
        if m:
            return m.group(2), int(m.group(1))
    return name, 0


def register_cli_token(root: Path, token: str) -> None:
    """The command line says "this token is mine" where only the app's user can write."""
    folder = root / TOKENS
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    fd = os.open(folder / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.close(fd)


def _cli_token_is_registered(root: Path, token: str) -> bool:
    folder, me = root / TOKENS, os.geteuid()
    try:
        st_dir = folder.lstat()
        st = (folder / token).lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(st_dir.st_mode) and st_dir.st_uid == me and not st_dir.st_mode & 0o022
            and stat.S_ISREG(st.st_mode) and st.st_uid == me)


def _forget_cli_token(root: Path, token: str) -> None:
    try:
        (root / TOKENS / token).unlink()
    except OSError:
        pass


def _sender(root: Path, name: str, st: os.stat_result) -> tuple[str, str, str]:
    """(file name to record, who sent it, channel)."""
    match = CLI_NAME.match(name)
    if match and _cli_token_is_registered(root, match.group(1)):
        return match.group(2), "cli", "cli"
    try:
        import pwd

        owner = pwd.getpwuid(st.st_uid).pw_name
    except (KeyError, ImportError):
        owner = str(st.st_uid)
    return name, f"inbox:{owner}", "inbox"


def _destination(folder: Path, name: str) -> Path:
    """`<stamp>_<name>` in folder, never overwriting: finance sends the same name every 30 min."""
    stamp = beijing_now().strftime("%Y%m%d-%H%M%S")
    name = short_name(name)
    target = folder / f"{stamp}_{name}"
    n = 1
    while target.exists() or Path(str(target) + RESULT_SUFFIX).exists():
        n += 1
        target = folder / f"{stamp}-{n}_{name}"
    return target


def _claim(path: Path, attempt: int, name: str) -> Path | None:
    """Take the entry out of the waiting list (a rename: atomic against the command line's
    withdrawal; a symlink is renamed, not followed). None if it is gone."""
    claimed = path.parent / f".claimed-{attempt}-{short_name(name)}"
    try:
        os.replace(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def recover_claimed(root: Path, kinds) -> None:
    """Files claimed by a process that stopped mid-way go back to the waiting list once (a
    second run of the same file changes nothing); a file that was being processed when the app
    stopped twice goes to rejected/ and is never claimed again."""
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for name in os.listdir(folder):
            m = CLAIMED.match(name)
            if not m:
                continue
            attempt, sent_as = int(m.group(1)), m.group(2)
            path = folder / name
            try:
                if attempt < MAX_ATTEMPTS:
                    os.replace(path, folder / f".retry-{attempt}-{sent_as}")
                else:
                    _file_away(path, kind, sent_as, {
                        "feed": kind, "file": sent_as, "sent_by": "unknown",
                        "received_at": beijing_now().isoformat(sep=" "), "status": "rejected",
                        "errors": [f"{sent_as}：应用在处理此文件时已两次意外停止，文件已拒收，未做任何修改；"
                                   "请检查文件后重新发送"]})
            except OSError:
                log.exception("cannot recover %s", path)


def _file_away(path: Path, kind: str, name: str, result: dict) -> dict:
    """Move the entry to done/ or rejected/ and write its result beside it, last and atomically
    (whoever waits for it sees a whole file)."""
    result["processed_at"] = beijing_now().isoformat(sep=" ")
    target = _destination(path.parent / result["status"], name)
    target.parent.mkdir(exist_ok=True)
    os.replace(path, target)
    tmp = target.parent / f".{target.name}{RESULT_SUFFIX}.tmp"
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, Path(str(target) + RESULT_SUFFIX))
    return result


def _untrusted_entry(st: os.stat_result, folder_st: os.stat_result, max_bytes: int) -> str | None:
    """Why this entry is not read (Chinese), or None for a regular file we may open."""
    if stat.S_ISLNK(st.st_mode):
        return "是符号链接（快捷方式），不是普通文件；收件箱只接受普通文件，未读取其内容"
    if not stat.S_ISREG(st.st_mode):
        return "不是普通文件，未读取"
    if st.st_nlink > 1:
        return "是硬链接（同一文件还有别的名字），收件箱只接受普通文件，未读取其内容"
    if st.st_uid not in (folder_st.st_uid, os.geteuid()) and st.st_gid != folder_st.st_gid:
        return "文件的所有者和属组都与收件箱文件夹不符，未读取；请由该对接系统的账户上传"
    if st.st_size > max_bytes:
        return (f"文件过大，请拆分后再导入（{st.st_size / 1024 / 1024:.1f} MB，"
                f"上限 {max_bytes // 1024 // 1024} MB），未读取")
    return None


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """The file's bytes through a descriptor opened without following links, re-checked."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            raise ImportRejected(["不是普通文件或文件过大，未读取"])
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ImportRejected(["文件过大，请拆分后再导入"])
        return data
    finally:
        os.close(fd)


def process_file(store: Store, kind: str, path: Path) -> dict | None:
    """Run one inbox entry through the feed; move it to done/ or rejected/ with its result."""
    from loaders.feeds import import_feed  # late import: feeds imports clearance at load

    limits = load_limits()
    sent_as, attempts = original_name(path.name)
    try:
        st = path.lstat()
        folder_st = path.parent.stat()
    except FileNotFoundError:
        return None
    root = path.parent.parent
    file_name, sent_by, channel = _sender(root, sent_as, st)
    path = _claim(path, attempts + 1, sent_as)
    if path is None:
        return None
    result = {"feed": kind, "file": file_name, "sent_by": sent_by,
              "received_at": beijing_now().isoformat(sep=" ")}
    why_not = _untrusted_entry(st, folder_st, limits.max_file_bytes)
    try:
        if why_not:
            raise ImportRejected([f"{short_name(file_name, 120)}：{why_not}"])
        data = _read_regular(path, limits.max_file_bytes)
        outcome = import_feed(store, kind, data, file_name, sent_by, channel, record_refused=True)
        result |= {"status": "done"} | outcome.as_dict()
    except ImportRejected as exc:
        result |= {"status": "rejected", "errors": exc.errors}
    except OSError as exc:
        log.warning("inbox file %s could not be read: %s", path, exc)
        result |= {"status": "rejected", "errors": [f"{short_name(file_name, 120)}：无法读取此文件"
                                                    f"（系统错误 {exc.errno}），未做任何修改"]}
    except Exception:  # a bug must not stop the inbox; the file says what happened
        log.exception("inbox file %s failed", path)
        result |= {"status": "rejected", "errors": [f"{short_name(file_name, 120)}：处理失败（程序内部错误，"
                                                    "已记录在日志中），未做任何修改"]}
    finally:
        match = CLI_NAME.match(sent_as)
        if match:
            _forget_cli_token(root, match.group(1))
    return _file_away(path, kind, sent_as, result)


def process_waiting(store: Store, root: Path) -> list[dict]:
    """One look at the inbox: process every complete file, oldest first. A file that cannot
    even be filed away is logged and left; the others flow."""
    config = load_feeds()
    results = []
    for kind, path in waiting_files(root, config.feeds, config.settings.inbox_settle_seconds):
        try:
            result = process_file(store, kind, path)
        except OSError:
            log.exception("inbox file %s could not be filed", path)
            continue
        if result is not None:
            results.append(result)
    return results


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
    target = folder / short_name(f"cli-{token}__{file_name}")
    partial = folder / f".{target.name}.part"
    try:
        register_cli_token(root, token)
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
        _forget_cli_token(root, token)
        return Delivery(3, None, f"应用在 {timeout:g} 秒内没有处理收件箱中的文件，已撤回")
    except FileNotFoundError:
        return Delivery(3, None, "应用已收下文件但尚未给出结果，请稍后在“导入记录”页面查看")


def inbox_status(root: Path, kinds) -> list[dict]:
    """Per feed folder: files waiting, and the newest result (for the admin page)."""
    rows = []
    for kind in kinds:
        folder = root / kind
        waiting = [p for p in folder.iterdir() if not p.is_dir() and not p.name.startswith(".")] \
            if folder.is_dir() else []
        results = sorted(
            (p for sub in ("done", "rejected") if (folder / sub).is_dir()
             for p in (folder / sub).glob(f"*{RESULT_SUFFIX}")),
            key=lambda p: p.stat().st_mtime, reverse=True)
        last = json.loads(results[0].read_text(encoding="utf-8")) if results else None
        rows.append({"kind": kind, "folder": str(folder), "waiting": len(waiting), "last": last})
    return rows
