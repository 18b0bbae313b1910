"""Parse an untrusted file in a child process with limits (config/imports.toml).

Every file that comes in (upload pages, the inbox, `python -m loaders`) reaches the parser
only through `parse_untrusted`. The child is `python -I loaders/parse_child.py`: it sets its own
address-space and CPU limits, reads one file and answers with plain lists. A crash, an abort,
a Rust panic, a limit hit or a hang (killed after `wall_seconds`) ends only the child and
becomes a Chinese refusal (文件已损坏 / 表格范围异常 / 文件过大，请拆分后再导入).

A child is started ahead of need (one warm spare), so a parse does not wait for Python to
start; each file still gets a fresh process. Its answer is unpickled with no classes allowed,
so a child that was taken over by a hostile file cannot run code in the app.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path

from loaders.limits import ImportLimits, load_limits
from loaders.parse_child import CORRUPT, FORMAT, RANGE, TOO_BIG

log = logging.getLogger("clearance.sandbox")
CHILD = Path(__file__).resolve().with_name("parse_child.py")

_spare: subprocess.Popen | None = None
_spare_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


class SandboxRefused(Exception):
    """The file was refused by the parser: `code` (corrupt/range/too_big/format) and a Chinese
    `message` saying why and what to do."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def _start_child() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-I", str(CHILD)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True)


def _take_child() -> subprocess.Popen:
    """The warm spare if it is still alive, a new one otherwise; a new spare starts behind it."""
    global _spare
    with _spare_lock:
        child = _spare if _spare is not None and _spare.poll() is None else None
        if child is None and _spare is not None:
            _spare.wait()
        _spare = _start_child()
        return child or _start_child()


def _slot(limits: ImportLimits) -> threading.BoundedSemaphore:
    global _slots
    with _spare_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(limits.max_concurrent)
        return _slots


class _PlainData(pickle.Unpickler):
    """Only lists, dicts, tuples, str, int, float, bool, None: no class can be named."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("classes are not allowed")


def _explain(code: str, detail: str) -> str:
    if code == CORRUPT:
        return (f"文件已损坏，无法读取（{detail}）。请在 Excel 中打开确认内容完整，"
                "“另存为” .xlsx 后重新导入")
    if code == RANGE:
        return (f"表格范围异常：{detail}。请删除表格以外多余的行和列（或把数据复制到新的工作簿）"
                "后重新导出")
    if code == TOO_BIG:
        return f"文件过大，请拆分后再导入（{detail}）"
    return detail


def _died(returncode: int, stderr: bytes, timed_out: bool, limits: ImportLimits) -> SandboxRefused:
    """What a child that gave no answer means, in words a secretary can act on."""
    if timed_out:
        return SandboxRefused(TOO_BIG, _explain(TOO_BIG, f"{limits.wall_seconds:g} 秒内没有读完"))
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return SandboxRefused(TOO_BIG, _explain(TOO_BIG, "读取时间超过上限"))
    if b"memory allocation" in stderr or b"MemoryError" in stderr or b"capacity overflow" in stderr:
        return SandboxRefused(RANGE, _explain(RANGE, "读取它需要的内存超过了上限，"
                                                     "多半是表格中有很远处的单元格"))
    return SandboxRefused(CORRUPT, _explain(CORRUPT, "读取程序异常退出"))


def parse_untrusted(data: bytes, file_name: str, groups: list[list[str]],
                    limits: ImportLimits | None = None) -> dict:
    """The table in `data` (see parse_child for its shape). `groups` are the header keys the
    table must have (each group: any one of these), used to find the header row and sheet.
    Raises SandboxRefused."""
    limits = limits or load_limits()
    if len(data) > limits.max_file_bytes:
        raise SandboxRefused(TOO_BIG, _explain(
            TOO_BIG, f"{len(data) / 1024 / 1024:.1f} MB，上限 {limits.max_file_bytes // 1024 // 1024} MB"))
    spec = json.dumps(limits.child_spec() | {"file_name": file_name, "groups": groups}).encode()
    job = struct.pack(">I", len(spec)) + spec + struct.pack(">Q", len(data)) + data
    with _slot(limits):
        child = _take_child()
        try:
            out, err = child.communicate(job, timeout=limits.wall_seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            timed_out = True
        except (BrokenPipeError, OSError):  # it died before reading all of the file
            child.kill()
            out, err = child.communicate()
            timed_out = False
    if timed_out or child.returncode != 0:
        log.warning("parser for %r ended with %s: %s", file_name, child.returncode,
                    err[-300:].decode("utf-8", "replace"))
        raise _died(child.returncode, err, timed_out, limits)
    try:
        answer = _PlainData(io.BytesIO(out)).load()
    except Exception as exc:
        raise SandboxRefused(CORRUPT, _explain(CORRUPT, "读取程序没有给出结果")) from exc
    if not answer.get("ok"):
        code = answer.get("code", CORRUPT)
        return_message = _explain(code, answer.get("message", ""))
        raise SandboxRefused(code if code in (CORRUPT, RANGE, TOO_BIG, FORMAT) else FORMAT,
                             return_message)
    return answer["table"]
