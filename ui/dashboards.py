"""The data behind the overview, college and diploma screens: named queries in, small frozen
dataclasses out. No Streamlit here: `read` is `ui.data.read` in the app (cached per store
version) and `queries.run` bound to a store in tests and benchmarks, so both time and check the
very code the pages run.

"As of" a day means: a stage counts as ✓ if it is ✓ now and became ✓ on or before that day; a
student counts as cleared if every stage did. On the batch's last mark day this is the current
state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import pandas as pd

Read = Callable[..., pd.DataFrame]

RECENT_PACE_DAYS = 3  # the projection's "recent pace": clearances per day over these last days


@dataclass(frozen=True)
class Filters:
    """None = all."""

    college: str | None = None
    campus: str | None = None
    level: str | None = None
    clearance_type: str | None = None

    def sql_params(self) -> dict:
        """Filters the queries apply (the college is applied to their per-college results)."""
        return {"campus": self.campus, "level": self.level, "clearance_type": self.clearance_type}

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df if self.college is None else df[df["college"] == self.college]


@dataclass(frozen=True)
class AsOf:
    day: date
    note: str  # says on screen which day "today" is and why


def last_done_day(read: Read, batch_id: str) -> date | None:
    """The last day any stage of the batch became ✓ (from the cube the overview reads anyway)."""
    return as_date(read("completion_cube", batch=batch_id, **Filters().sql_params())["done_on"].max())


def choose_as_of(period_start: date, period_end: date, last_mark_day: date | None, today: date) -> AsOf:
    """The overview's "today": the real date during the batch; after it, the last mark day."""
    period_start, period_end, last_mark_day = map(as_date, (period_start, period_end, last_mark_day))
    if today > period_end:
        day = last_mark_day or period_end
        return AsOf(day, f"本批次集中办理期已结束，“今日”取本批次最后办理日 {day:%Y-%m-%d}")
    if today < period_start:
        return AsOf(today, f"集中办理期尚未开始，统计截至今日 {today:%Y-%m-%d}")
    return AsOf(today, f"统计截至今日 {today:%Y-%m-%d}")


@dataclass(frozen=True)
class Progress:
    daily: pd.DataFrame        # day, cleared_that_day, cumulative (days up to as_of)
    deadline: date
    pace_per_day: float
    projected_at_deadline: int  # where the curve lands at the deadline at the recent pace
    students: int


@dataclass(frozen=True)
class Overview:
    as_of: date
    students: int
    cleared: int
    cleared_today: int
    still_open: int
    by_stage: pd.DataFrame     # stage_id, name, seq, students, done, open, rate
    by_college: pd.DataFrame   # college, students, cleared, rate (weakest first)
    heat: pd.DataFrame         # college × stage name → rate, colleges weakest first
    progress: Progress
    bottlenecks: pd.DataFrame  # name, open, median_days (most held first)

    @property
    def cleared_rate(self) -> float:
        return self.cleared / self.students if self.students else 0.0


def _as_of_flags(cube: pd.DataFrame, as_of: date | None) -> pd.Series:
    done_on = cube["done_on"]
    if as_of is None:
        return done_on.notna()
    return done_on.notna() & (pd.to_datetime(done_on) <= pd.Timestamp(as_of))


def stage_rates(cube: pd.DataFrame, stages: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    """Per stage: students, ✓ by `as_of`, still open, rate; in the handbook's order."""
    df = cube.assign(done=cube["students"].where(_as_of_flags(cube, as_of), 0))
    per = df.groupby("stage_id", as_index=False)[["students", "done"]].sum()
    per = stages[["stage_id", "name", "seq"]].merge(per, on="stage_id", how="left").fillna(
        {"students": 0, "done": 0})
    per["open"] = per["students"] - per["done"]
    per["rate"] = (per["done"] / per["students"].where(per["students"] > 0)).fillna(0.0)
    return per.sort_values("seq").reset_index(drop=True)


def cleared_by_day(days: pd.DataFrame, as_of: date | None) -> tuple[int, int]:
    """(students, cleared by the end of `as_of`) from the clearance_days result."""
    students = int(days["students"].sum())
    on = days["cleared_on"]
    mask = on.notna() if as_of is None else on.notna() & (pd.to_datetime(on) <= pd.Timestamp(as_of))
    return students, int(days.loc[mask, "students"].sum())


def _college_rates(days: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    on = pd.to_datetime(days["cleared_on"])
    cleared = days["students"].where(on.notna() & (on <= pd.Timestamp(as_of) if as_of else on.notna()), 0)
    per = days.assign(cleared=cleared).groupby("college", as_index=False)[["students", "cleared"]].sum()
    per["rate"] = per["cleared"] / per["students"]
    return per.sort_values(["rate", "college"]).reset_index(drop=True)


def _heat(cube: pd.DataFrame, stages: pd.DataFrame, as_of: date | None, college_order: list[str]) -> pd.DataFrame:
    df = cube.assign(done=cube["students"].where(_as_of_flags(cube, as_of), 0))
    per = df.groupby(["college", "stage_id"], as_index=False)[["students", "done"]].sum()
    per["rate"] = per["done"] / per["students"]
    heat = per.pivot(index="college", columns="stage_id", values="rate")
    ordered = [s for s in stages.sort_values("seq")["stage_id"] if s in heat.columns]
    heat = heat.reindex(index=college_order, columns=ordered)
    heat.columns = [stages.set_index("stage_id").loc[s, "name"] for s in heat.columns]
    return heat


def median_pass_days(cube: pd.DataFrame, period_start: date, as_of: date | None = None) -> pd.DataFrame:
    """Per stage: the median whole days from the period's start to the day a stage was passed
    (passes before the period count as day 0), among passes by `as_of`. From the cube's day
    histogram, so no extra scan."""
    passed = cube[cube["passed"] & _as_of_flags(cube, as_of)]
    days = (pd.to_datetime(passed["done_on"]) - pd.Timestamp(period_start)).dt.days.clip(lower=0)
    hist = passed.assign(days=days).groupby(["stage_id", "days"], as_index=False)["students"].sum()
    rows = []
    for stage_id, g in hist.groupby("stage_id"):
        g = g.sort_values("days")
        half = g["students"].sum() / 2
        rows.append({"stage_id": stage_id, "median_days": int(g.loc[g["students"].cumsum() >= half, "days"].iloc[0])})
    return pd.DataFrame(rows, columns=["stage_id", "median_days"])


def progress(days: pd.DataFrame, period_start: date, period_end: date, as_of: date) -> Progress:
    """Daily cumulative clearances from the period's start to `as_of`, and where the curve lands
    at the deadline if the recent pace holds."""
    students = int(days["students"].sum())
    on = pd.to_datetime(days["cleared_on"])
    per_day = days.assign(day=on.dt.date).dropna(subset=["day"]).groupby("day")["students"].sum()
    before = int(per_day[[d < period_start for d in per_day.index]].sum())
    last = max(as_of, period_start)
    span = [period_start + timedelta(days=n) for n in range((last - period_start).days + 1)]
    that_day = [int(per_day.get(d, 0)) for d in span]
    cumulative = pd.Series(that_day).cumsum() + before
    daily = pd.DataFrame({"day": span, "cleared_that_day": that_day, "cumulative": cumulative})
    window = that_day[-RECENT_PACE_DAYS:] if as_of >= period_start else []
    pace = sum(window) / len(window) if window else 0.0
    now = int(cumulative.iloc[-1]) if as_of >= period_start else before
    remaining_days = max(0, (period_end - as_of).days)
    projected = min(students, round(now + pace * remaining_days))
    return Progress(daily, period_end, pace, projected, students)


def load_overview(read: Read, batch: dict, filters: Filters, as_of: date) -> Overview:
    b = batch["batch_id"]
    stages = read("stage_list")
    cube = filters.apply(read("completion_cube", batch=b, **filters.sql_params()))
    days = filters.apply(read("clearance_days", batch=b, **filters.sql_params()))

    students, cleared = cleared_by_day(days, as_of)
    _, cleared_before = cleared_by_day(days, as_of - timedelta(days=1))
    by_stage = stage_rates(cube, stages, as_of)
    by_college = _college_rates(days, as_of)
    heat = _heat(cube, stages, as_of, list(by_college["college"]))
    pass_days = median_pass_days(cube, as_date(batch["period_start"]), as_of)
    bottlenecks = by_stage.merge(pass_days, on="stage_id", how="left")
    bottlenecks = bottlenecks.sort_values(["open", "seq"], ascending=[False, True])[
        ["name", "open", "median_days"]].reset_index(drop=True)
    return Overview(
        as_of=as_of, students=students, cleared=cleared, cleared_today=cleared - cleared_before,
        still_open=students - cleared, by_stage=by_stage, by_college=by_college, heat=heat,
        progress=progress(days, as_date(batch["period_start"]), as_date(batch["period_end"]), as_of),
        bottlenecks=bottlenecks,
    )


def as_date(value) -> date | None:
    """A date from what a DataFrame gives back (Timestamp, datetime, date, NaT/None)."""
    # NaT passes isinstance(…, date): a batch with no mark yet has no last mark day.
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


# -- the college page -----------------------------------------------------------------------
@dataclass(frozen=True)
class CollegeView:
    college: str
    students: int
    cleared: int
    school_students: int
    school_cleared: int
    school_college_mean: float   # the mean of the colleges' clearance rates
    stages: pd.DataFrame         # name, college_rate, school_rate, college_open
    lagging: pd.DataFrame        # lagging_students rows for the college, after filters

    @property
    def rate(self) -> float:
        return self.cleared / self.students if self.students else 0.0

    @property
    def school_rate(self) -> float:
        return self.school_cleared / self.school_students if self.school_students else 0.0


def load_college(read: Read, batch: dict, college: str, stage: str | None = None,
                 level: str | None = None, clearance_type: str | None = None) -> CollegeView:
    b = batch["batch_id"]
    stages = read("stage_list")
    everyone = Filters().sql_params()
    cube = read("completion_cube", batch=b, **everyone)
    days = read("clearance_days", batch=b, **everyone)
    mine = Filters(college=college)
    students, cleared = cleared_by_day(mine.apply(days), None)
    school_students, school_cleared = cleared_by_day(days, None)
    college_stages = stage_rates(mine.apply(cube), stages, None)
    school_stages = stage_rates(cube, stages, None)
    table = pd.DataFrame({
        "stage_id": college_stages["stage_id"], "name": college_stages["name"],
        "college_rate": college_stages["rate"], "school_rate": school_stages["rate"],
        "college_open": college_stages["open"].astype(int),
    })
    lagging = read("lagging_students", batch=b, college=college, stage=stage, level=level,
                   clearance_type=clearance_type)
    return CollegeView(
        college=college, students=students, cleared=cleared, school_students=school_students,
        school_cleared=school_cleared,
        school_college_mean=float(_college_rates(days, None)["rate"].mean()) if len(days) else 0.0,
        stages=table, lagging=lagging,
    )
