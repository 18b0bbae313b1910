"""Reading a campus card's UID from a PC/SC reader (pcscd + pyscard), by short polls.

No Streamlit here: the scan page and the desk agent both call `CardPoller.poll()`.

Why polling and not pyscard's CardMonitor: in pyscard 2.3.1 CardMonitor is a process-wide
singleton thread that never stops and dies for good when pcscd restarts. A poll here opens a fresh
PC/SC context, waits at most `timeout` seconds for a change on the chosen reader, and releases
everything, so a restarted pcscd or a re-plugged reader is simply picked up by the next poll.

A tap is recognised by pcsc-lite's per-reader event counter (the high 16 bits of the reader's
event state count insertions and removals), so a card placed between two polls is still seen
exactly once, and a card left lying on the reader is not read again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]  # PC/SC part 3 GET DATA: the contactless card's UID

# Failure kinds, each with the message the desk sees and what to do next.
PCSCD_DOWN = "pcscd_down"
NO_READER = "no_reader"
READER_GONE = "reader_gone"
CARD_LIFTED = "card_lifted"
NO_UID = "no_uid"
READER_ERROR = "reader_error"

MESSAGES = {
    PCSCD_DOWN: "读卡服务（pcscd）未运行，无法使用读卡器。请启动读卡服务"
                "（Linux：sudo systemctl start pcscd；Windows：启动“Smart Card”服务）后重试。"
                "在此期间可手工输入学号办理。",
    NO_READER: "未检测到读卡器。请检查读卡器的 USB 连接后重试；在此期间可手工输入学号办理。",
    READER_GONE: "所选读卡器“{reader}”已不在，请重新选择读卡器或检查连接。",
    CARD_LIFTED: "读卡过程中卡片被移开，请把卡片重新放到读卡器上并保持一秒。",
    NO_UID: "读卡器无法读取这张卡的卡号（{detail}）。请换一张卡或手工输入学号。",
    READER_ERROR: "读卡器错误：{detail}。请把卡片重新放好；如反复出现，请重新插拔读卡器。",
}


class ReaderFailure(Exception):
    """Reading failed; `kind` is one of the constants above, str() is the Chinese message."""

    def __init__(self, kind: str, detail: str = "", reader: str = ""):
        self.kind = kind
        self.detail = detail
        super().__init__(MESSAGES[kind].format(detail=detail, reader=reader))


@dataclass(frozen=True)
class Tap:
    reader: str
    uid: str  # upper-case hex, bytes in the order the reader returned them
    read_seconds: float  # connect + GET DATA + release


def _scard():
    # Imported late: a machine without libpcsclite still imports this module and gets a
    # clear message instead of an ImportError at start-up.
    from smartcard import scard

    return scard


def _context():
    scard = _scard()
    try:
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except Exception as exc:  # libpcsclite missing or unusable
        raise ReaderFailure(PCSCD_DOWN, str(exc)) from exc
    if hresult != scard.SCARD_S_SUCCESS:
        raise ReaderFailure(PCSCD_DOWN, scard.SCardGetErrorMessage(hresult))
    return ctx


def _release(ctx) -> None:
    _scard().SCardReleaseContext(ctx)


def _list(scard, ctx) -> list[str]:
    hresult, names = scard.SCardListReaders(ctx, [])
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult == scard.SCARD_E_NO_SERVICE:
        raise ReaderFailure(PCSCD_DOWN, scard.SCardGetErrorMessage(hresult))
    if hresult != scard.SCARD_S_SUCCESS:
        raise ReaderFailure(READER_ERROR, scard.SCardGetErrorMessage(hresult))
    return list(names)


def list_readers() -> list[str]:
    """The readers pcscd sees now. Raises ReaderFailure(PCSCD_DOWN) when pcscd is not running."""
    ctx = _context()
    try:
        return _list(_scard(), ctx)
    finally:
        _release(ctx)


def choose_reader(readers: list[str], prefer: str = "") -> str:
    """The reader whose name contains `prefer` (the first reader when `prefer` is empty).
    Raises ReaderFailure(NO_READER / READER_GONE)."""
    if not readers:
        raise ReaderFailure(NO_READER)
    if not prefer:
        return readers[0]
    for name in readers:
        if name == prefer:
            return name
    for name in readers:
        if prefer.lower() in name.lower():
            return name
    raise ReaderFailure(READER_GONE, reader=prefer)


def _read_uid(scard, ctx, reader: str) -> str:
    """Connect, GET DATA, release. Raises ReaderFailure(CARD_LIFTED / NO_UID / READER_ERROR)."""
    hresult, card, _protocol = scard.SCardConnect(
        ctx, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    if hresult in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
        raise ReaderFailure(CARD_LIFTED)
    if hresult != scard.SCARD_S_SUCCESS:
        raise ReaderFailure(READER_ERROR, scard.SCardGetErrorMessage(hresult))
    try:
        hresult, response = scard.SCardTransmit(card, scard.SCARD_PCI_T1, GET_UID)
        if hresult != scard.SCARD_S_SUCCESS:
            # vpcd and real readers report a card that left mid-command this way.
            if hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD,
                           scard.SCARD_W_RESET_CARD, scard.SCARD_E_NOT_TRANSACTED,
                           scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_F_COMM_ERROR):
                raise ReaderFailure(CARD_LIFTED)
            raise ReaderFailure(READER_ERROR, scard.SCardGetErrorMessage(hresult))
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    if len(response) < 2:
        raise ReaderFailure(CARD_LIFTED)
    data, sw = bytes(response[:-2]), bytes(response[-2:])
    if sw != b"\x90\x00" or not data:
        raise ReaderFailure(NO_UID, f"状态字 {sw.hex().upper()}")
    return data.hex().upper()


class CardPoller:
    """Remembers which tap it has already reported on which reader; call `poll()` repeatedly."""

    def __init__(self, prefer: str = ""):
        self.prefer = prefer
        self._reported: tuple[str, int] | None = None  # (reader, event counter) of the last tap

    def forget(self) -> None:
        self._reported = None

    def poll(self, timeout: float = 0.4) -> Tap | None:
        """Wait up to `timeout` s for a new card on the chosen reader; its UID, or None.
        Raises ReaderFailure; after a failure the next poll starts afresh."""
        scard = _scard()
        ctx = _context()
        try:
            reader = choose_reader(_list(scard, ctx), self.prefer)
            return self._poll_reader(scard, ctx, reader, timeout)
        except ReaderFailure:
            self._reported = None
            raise
        finally:
            _release(ctx)

    def _status(self, scard, ctx, reader: str, current: int, timeout: float) -> int:
        hresult, states = scard.SCardGetStatusChange(ctx, int(timeout * 1000), [(reader, current)])
        if hresult == scard.SCARD_E_TIMEOUT:
            return current
        if hresult == scard.SCARD_E_NO_SERVICE:
            raise ReaderFailure(PCSCD_DOWN, scard.SCardGetErrorMessage(hresult))
        if hresult in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
            raise ReaderFailure(READER_GONE, reader=reader)
        if hresult != scard.SCARD_S_SUCCESS:
            # 0x80100013 etc.: pcscd went away while we waited.
            raise ReaderFailure(PCSCD_DOWN, scard.SCardGetErrorMessage(hresult))
        return states[0][1]

    def _poll_reader(self, scard, ctx, reader: str, timeout: float) -> Tap | None:
        deadline = time.monotonic() + timeout
        state = self._status(scard, ctx, reader, scard.SCARD_STATE_UNAWARE, 0)
        while True:
            present = bool(state & scard.SCARD_STATE_PRESENT)
            counter = state >> 16
            if not present:
                self._reported = None
            elif self._reported != (reader, counter):
                started = time.monotonic()
                uid = _read_uid(scard, ctx, reader)
                self._reported = (reader, counter)
                return Tap(reader, uid, time.monotonic() - started)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # The counter stays in the upper bits we pass back, so any insertion wakes us.
            state = self._status(scard, ctx, reader, state & ~scard.SCARD_STATE_CHANGED, left)


def read_one(prefer: str = "", timeout: float = 30.0, poll: float = 0.5) -> Tap:
    """Wait for one card (any card already lying on the reader counts). For `desk --once`.
    Raises ReaderFailure, or TimeoutError when no card came."""
    poller = CardPoller(prefer)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tap = poller.poll(min(poll, max(deadline - time.monotonic(), 0.01)))
        if tap:
            return tap
    raise TimeoutError("等待刷卡超时")
