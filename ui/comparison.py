"""The overview's comparison of two batches: cumulative clearance day by day from each batch's
start (day 0 = the first day of its concentrated period; clearances before it count on day 0),
as a share of the batch's students, since batches differ in size. No Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ui.dashboards import Filters, Read, as_date, progress

MIN_DAYS = 10  # show at least this many days of each batch (a week-long period and a little after)


@dataclass(frozen=True)
class BatchCurve:
    batch_id: str
    title: str
    students: int
    curve: pd.DataFrame  # day_no, day, cumulative, rate


@dataclass(frozen=True)
class Comparison:
    current: BatchCurve
    earlier: BatchCurve


def earlier_batches(batches: pd.DataFrame, current_id: str) -> pd.DataFrame:
    """Batches that started before the current one, newest first (the default comparison)."""
    start = batches.loc[batches["batch_id"] == current_id, "period_start"].iloc[0]
    return batches[batches["period_start"] < start].sort_values("period_start", ascending=False)


def batch_curve(read: Read, batch: dict, filters: Filters, until: date) -> BatchCurve:
    days = filters.apply(read("clearance_days", batch=batch["batch_id"], **filters.sql_params()))
    start, end = as_date(batch["period_start"]), as_date(batch["period_end"])
    p = progress(days, start, end, until)
    curve = p.daily.assign(day_no=range(len(p.daily)))
    curve["rate"] = curve["cumulative"] / p.students if p.students else 0.0
    return BatchCurve(batch["batch_id"], batch["title"], p.students,
                      curve[["day_no", "day", "cumulative", "rate"]])


def load_comparison(read: Read, current: dict, earlier: dict, filters: Filters,
                    as_of: date) -> Comparison:
    """The current batch up to `as_of`; the earlier one over as many days (at least its period
    and MIN_DAYS), so the two lines cover the same days from the start."""
    now = batch_curve(read, current, filters, as_of)
    start = as_date(earlier["period_start"])
    span = max(len(now.curve), MIN_DAYS, (as_date(earlier["period_end"]) - start).days + 1)
    then = batch_curve(read, earlier, filters, start + pd.Timedelta(days=span - 1))
    return Comparison(now, then)
