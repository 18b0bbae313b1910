"""The one clock: naive Beijing time, as every stored time is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# China has no daylight saving time; all stored times are naive Beijing time.
BEIJING = timezone(timedelta(hours=8))


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)
