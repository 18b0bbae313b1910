"""A test contactless card for vpcd (vsmartcard's virtual reader driver for pcscd).

It speaks vpcd's socket protocol: connecting to the reader's TCP port inserts the card, closing
the socket lifts it. Every message both ways is a 2-byte big-endian length and a payload; a 1-byte
payload from vpcd is a control message (0 power off, 1 power on, 2 reset, 4 send the ATR), any
longer payload is a command APDU. The card answers GET DATA (`FF CA 00 00 00`) with its UID.

    with VirtualCard("8FB27F2C").inserted():
        ...  # the card lies on reader 'Virtual PCD 00 00'
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from contextlib import contextmanager

VPCD_PORT = 35963  # reader 'Virtual PCD 00 00'; 35964 is 'Virtual PCD 00 01'
# A MIFARE Classic 1K card's ATR through a PC/SC part-3 reader.
MIFARE_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA000000")
OK = b"\x90\x00"
NOT_SUPPORTED = b"\x6a\x81"
POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class VirtualCard:
    """A card with a chosen UID. `lift_after_commands=n` drops the connection when command n+1
    arrives (the card lifted mid-read); `apdus` records every command received."""

    def __init__(self, uid_hex: str, port: int = VPCD_PORT, lift_after_commands: int | None = None):
        self.uid = bytes.fromhex(uid_hex)
        self.port = port
        self.lift_after_commands = lift_after_commands
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- the card's answers ---------------------------------------------------------------
    def answer(self, apdu: bytes) -> bytes:
        if apdu[:4] == GET_UID[:4]:
            return self.uid + OK
        return NOT_SUPPORTED

    # -- placing and lifting --------------------------------------------------------------
    def insert(self) -> "VirtualCard":
        self._stop.clear()
        self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, name=f"vpcd-card-{self.uid.hex()}",
                                        daemon=True)
        self._thread.start()
        return self

    def lift(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self._sock:
            self._sock.close()
        self._sock = self._thread = None

    @contextmanager
    def inserted(self):
        self.insert()
        try:
            yield self
        finally:
            self.lift()

    def _recv_exact(self, n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            if self._stop.is_set():
                return None
            try:
                chunk = self._sock.recv(n - len(data))
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        self._sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        while not self._stop.is_set():
            header = self._recv_exact(2)
            if header is None:
                return
            payload = self._recv_exact(struct.unpack(">H", header)[0])
            if payload is None:
                return
            if len(payload) == 1:
                if payload[0] == GET_ATR:
                    self._send(MIFARE_ATR)
                continue  # power on/off and reset need no answer
            self.apdus.append(payload)
            if self.lift_after_commands is not None and len(self.apdus) > self.lift_after_commands:
                self._sock.close()  # lifted before answering
                self._stop.set()
                return
            self._send(self.answer(payload))


def wait_until(predicate, timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
