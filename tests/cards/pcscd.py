"""A real pcscd for the tests: started here in the foreground, stopped with SIGTERM.

Only one pcscd can run per machine. A pcscd this module started in an earlier, interrupted run
(its pid is in PID_FILE) is stopped first; a pcscd started by someone else is left alone and the
tests fail with a message saying so. Readiness is the virtual reader appearing in the reader
list (a TCP probe of vpcd's port would be taken for a card).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from cardreader.reader import ReaderFailure, list_readers

PID_FILE = Path(tempfile.gettempdir()) / "clearance-tests-pcscd.pid"
VIRTUAL_READER = "Virtual PCD 00 00"


def _running_pcscd() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, text=True).stdout
    pids = []
    for pid in map(int, out.split()):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except OSError:
            continue
        if state != "Z":  # a zombie holds no socket
            pids.append(pid)
    return pids


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid in _running_pcscd():
        time.sleep(0.02)


class PcscDaemon:
    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.mode = "stopped"  # normal / no_reader / stopped
        self._empty_dir: str | None = None

    def _stop_stale(self) -> None:
        if PID_FILE.exists():
            pid = int(PID_FILE.read_text() or 0)
            if pid in _running_pcscd():
                os.kill(pid, signal.SIGTERM)
                _wait_gone(pid)
            PID_FILE.unlink(missing_ok=True)
        foreign = _running_pcscd()
        if foreign:
            raise RuntimeError(
                f"另一个 pcscd（pid {foreign}）正在运行，测试需要独占 pcscd；请先停止它")

    def start(self, no_reader: bool = False) -> None:
        self.stop()
        self._stop_stale()
        args = ["pcscd", "--foreground"]
        if no_reader:
            self._empty_dir = tempfile.mkdtemp(prefix="pcscd-empty-")
            args += ["-c", self._empty_dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        PID_FILE.write_text(str(self.proc.pid))
        self.mode = "no_reader" if no_reader else "normal"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self.proc.returncode}")
            try:
                readers = list_readers()
                if no_reader or VIRTUAL_READER in readers:
                    return
            except ReaderFailure:
                pass
            time.sleep(0.02)
        raise RuntimeError("pcscd did not show the virtual reader within 10 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.mode = "stopped"
        PID_FILE.unlink(missing_ok=True)
        if self._empty_dir:
            shutil.rmtree(self._empty_dir, ignore_errors=True)
            self._empty_dir = None

    def ensure_normal(self) -> None:
        if self.mode != "normal" or self.proc is None or self.proc.poll() is not None:
            self.start()


def card_present(reader: str = VIRTUAL_READER) -> bool:
    from smartcard import scard

    _hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        _hr, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(ctx)


def wait_reader_empty(reader: str = VIRTUAL_READER, timeout: float = 3.0) -> None:
    """pcscd notices a lifted card on its next poll (~0.3 s): wait for it, so a test does not
    start with the previous test's card still 'present'."""
    deadline = time.monotonic() + timeout
    while card_present(reader):
        if time.monotonic() > deadline:
            raise RuntimeError(f"a card is still on {reader}")
        time.sleep(0.02)
