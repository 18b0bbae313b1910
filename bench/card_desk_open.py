"""How long 刷卡办理 takes to open: the first time on a fresh server, then again.

A fresh demo store and app (`streamlit run server.py`), headless Chromium signed in as the card
centre's demo staff; time from clicking 刷卡办理 until the panel's waiting line is on screen, for
a first open and three more (going to the home page in between). Run with pcscd up (the vpcd
virtual reader), with pcscd up but no reader, and with pcscd down.

    python -m bench.card_desk_open
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from clearance.root import close_all_stores, open_store
from loaders.demo import generate
from tests.browser.harness import chromium, open_page, running_app, sign_in, wait_idle
from tests.cards.pcscd import PcscDaemon

READY = re.compile("等待刷卡|在上方输入学号或卡号")  # reader or manual entry


def _open_times(db: Path, opens: int = 4) -> list[float]:
    with running_app(db) as server, chromium() as page:
        open_page(page, server.url)
        sign_in(page, "card_staff", "demo1234")
        times = []
        for _ in range(opens):
            started = time.monotonic()
            page.get_by_role("link", name="刷卡办理").click()
            page.get_by_text(READY).first.wait_for(timeout=60_000)
            times.append(time.monotonic() - started)
            page.locator("[data-testid='stSidebarNav'] a").first.click()
            page.wait_for_timeout(500)
            wait_idle(page)
        return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        store = open_store(db)
        generate(store)
        close_all_stores()
        daemon = PcscDaemon()
        cases = [("pcscd + virtual reader", lambda: daemon.start()),
                 ("pcscd, no reader", lambda: daemon.start(no_reader=True)),
                 ("pcscd down", lambda: None)]
        for label, start in cases:
            start()
            try:
                times = _open_times(db)
            finally:
                daemon.stop()
            print(f"{label}: first open {times[0]:.2f} s, then median"
                  f" {statistics.median(times[1:]):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
