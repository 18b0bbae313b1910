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


def as_of_bounds(period_start: date, period_end: date, last_mark_day: date | None,
                 default: date) -> tuple[date, date]:
    """The days the overview may be counted as of: the batch's concentrated period (up to its
    last mark day if marks went on after it). A default outside it (today before the batch
    starts) is allowed so the page can open on it and say so."""
    period_start, period_end, last_mark_day = map(as_date, (period_start, period_end, last_mark_day))
    return min(period_start, default), max(period_end, last_mark_day or period_end, default)


def as_of_problem(period_start: date, period_end: date, last_mark_day: date | None, day: date) -> str | None:
    """Why a day cannot be shown (outside the batch), or None. The overview refuses such a day
    rather than drawing points from the future or a projection from before the start."""
    period_start, period_end, last_mark_day, day = map(as_date, (period_start, period_end, last_mark_day, day))
    if day < period_start:
        return (f"统计日期 {day:%Y-%m-%d} 早于本批次集中办理期（{period_start:%Y-%m-%d} 起），"
                "请选择集中办理期内的日期。")
    latest = max(period_end, last_mark_day or period_end)
    if day > latest:
        return f"统计日期 {day:%Y-%m-%d} 晚于本批次最后办理日 {latest:%Y-%m-%d}，请选择此前的日期。"
    return None


@dataclass(frozen=True)
class Progress:
    daily: pd.DataFrame        # day, cleared_that_day, cumulative (period start … as_of; none after)
    deadline: date
    pace_per_day: float
    projected_at_deadline: int | None  # at the recent pace; None when as_of is outside the period
    students: int
    cleared_before: int        # cleared before the curve's first day (its starting level)
    period_start: date


@dataclass(frozen=True)
class Overview:
    as_of: date
    students: int
    cleared: int
    cleared_today: int
    cleared_yesterday: int     # cleared on the day before as_of (for "today vs yesterday")
    still_open: int
    by_stage: pd.DataFrame     # stage_id, name, seq, students, done, open, rate
    by_college: pd.DataFrame   # college, students, cleared, rate, cleared_change, rate_change
    heat: pd.DataFrame         # college × stage name → rate, colleges weakest first
    progress: Progress
    bottlenecks: pd.DataFrame  # stage_id, name, open, only_here, elsewhere, median_days, final

    @property
    def cleared_rate(self) -> float:
        return self.cleared / self.students if self.students else 0.0

    @property
    def cleared_rate_yesterday(self) -> float:
        return (self.cleared - self.cleared_today) / self.students if self.students else 0.0

    @property
    def blocking(self) -> pd.DataFrame:
        """The stages that hold students, the final stage left out (it waits on the others)."""
        return self.bottlenecks[~self.bottlenecks["final"]]

    @property
    def final_stage(self) -> pd.Series | None:
        final = self.bottlenecks[self.bottlenecks["final"]]
        return final.iloc[0] if len(final) else None


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


def college_league(days: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per college, weakest first: cleared and rate as of the day, and the change since the day
    before (students cleared that day, percentage points gained)."""
    today = _college_rates(days, as_of)
    before = _college_rates(days, as_of - timedelta(days=1))[["college", "cleared", "rate"]]
    league = today.merge(before, on="college", suffixes=("", "_yesterday"))
    league["cleared_change"] = league["cleared"] - league["cleared_yesterday"]
    league["rate_change"] = league["rate"] - league["rate_yesterday"]
    return league.drop(columns=["cleared_yesterday", "rate_yesterday"])


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
    rows = [{"stage_id": stage_id, "median_days": histogram_median(g["days"], g["students"])}
            for stage_id, g in hist.groupby("stage_id")]
    return pd.DataFrame(rows, columns=["stage_id", "median_days"])


def histogram_median(values: pd.Series, counts: pd.Series) -> float:
    """The median of values repeated counts times: for an even total, the mean of the two
    middle values (3 and 4 → 3.5), as statistics.median does."""
    order = values.argsort(kind="stable")
    values, cumulative = values.iloc[order].to_numpy(), counts.iloc[order].cumsum().to_numpy()
    total = int(cumulative[-1])

    def nth(k: int) -> float:  # the k-th smallest value, 1-based
        return float(values[(cumulative >= k).argmax()])

    if total % 2:
        return nth(total // 2 + 1)
    return (nth(total // 2) + nth(total // 2 + 1)) / 2


def final_stage_id(stages: pd.DataFrame) -> str | None:
    """The last stage (研工办): the one whose prerequisites are every other stage."""
    final = stages.loc[stages["final"].astype(bool), "stage_id"]
    return final.iloc[0] if len(final) else None


def waiting_on(open_ids, final_id: str | None) -> tuple[str, ...]:
    """The stages a student must still visit before the final one (which waits on them all)."""
    return tuple(s for s in open_ids if s != final_id)


def stage_split(open_sets: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Per stage: students with it open, those for whom it is the only stop left before the final
    stage ("can finish now here"; for the final stage: nothing else open), and those blocked
    elsewhere first. From the open_sets result (college, open_stages, students)."""
    final_id = final_stage_id(stages)
    counts = {s: [0, 0] for s in stages["stage_id"]}
    for open_ids, n in zip(open_sets["open_stages"], open_sets["students"]):
        before_final = waiting_on(open_ids, final_id)
        for stage_id in open_ids:
            counts[stage_id][0] += int(n)
            alone = (not before_final) if stage_id == final_id else before_final == (stage_id,)
            counts[stage_id][1] += int(n) if alone else 0
    split = pd.DataFrame([(s, o, h) for s, (o, h) in counts.items()],
                         columns=["stage_id", "open", "only_here"])
    split["elsewhere"] = split["open"] - split["only_here"]
    return split


def progress(days: pd.DataFrame, period_start: date, period_end: date, as_of: date) -> Progress:
    """Daily cumulative clearances from the period's start to `as_of`, and where the curve lands
    at the deadline if the recent pace holds."""
    period_start, period_end, as_of = map(as_date, (period_start, period_end, as_of))
    students = int(days["students"].sum())
    on = pd.to_datetime(days["cleared_on"])
    per_day = days.assign(day=on.dt.date).dropna(subset=["day"]).groupby("day")["students"].sum()
    first = min(period_start, as_of)  # before the period: the curve is that one day, nothing later
    before = int(per_day[[d < first for d in per_day.index]].sum())
    # Only days up to as_of: a day after it has not happened yet as far as the view goes.
    span = [first + timedelta(days=n) for n in range((as_of - first).days + 1)]
    that_day = [int(per_day.get(d, 0)) for d in span]
    cumulative = [before + int(c) for c in pd.Series(that_day, dtype="int64").cumsum()]
    daily = pd.DataFrame({"day": span, "cleared_that_day": that_day, "cumulative": cumulative})
    window = that_day[-RECENT_PACE_DAYS:]
    pace = sum(window) / len(window) if window else 0.0
    projected = None
    if period_start <= as_of < period_end:  # a projection needs a pace and a deadline ahead
        projected = min(students, round(cumulative[-1] + pace * (period_end - as_of).days))
    return Progress(daily, period_end, pace, projected, students, before, period_start)


def load_overview(read: Read, batch: dict, filters: Filters, as_of: date) -> Overview:
    b = batch["batch_id"]
    stages = read("stage_list")
    cube = filters.apply(read("completion_cube", batch=b, **filters.sql_params()))
    days = filters.apply(read("clearance_days", batch=b, **filters.sql_params()))

    open_sets = filters.apply(read("open_sets", batch=b, as_of=as_of, **filters.sql_params()))

    students, cleared = cleared_by_day(days, as_of)
    _, cleared_before = cleared_by_day(days, as_of - timedelta(days=1))
    _, cleared_two_before = cleared_by_day(days, as_of - timedelta(days=2))
    by_stage = stage_rates(cube, stages, as_of)
    by_college = college_league(days, as_of)
    heat = _heat(cube, stages, as_of, list(by_college["college"]))
    return Overview(
        as_of=as_of, students=students, cleared=cleared, cleared_today=cleared - cleared_before,
        cleared_yesterday=cleared_before - cleared_two_before,
        still_open=students - cleared, by_stage=by_stage, by_college=by_college, heat=heat,
        progress=progress(days, as_date(batch["period_start"]), as_date(batch["period_end"]), as_of),
        bottlenecks=bottlenecks(cube, open_sets, stages, as_date(batch["period_start"]), as_of),
    )


def bottlenecks(cube: pd.DataFrame, open_sets: pd.DataFrame, stages: pd.DataFrame,
                period_start: date, as_of: date) -> pd.DataFrame:
    """The stages that hold students, ranked by who waits on them alone (the blockers): a stage
    where students are held but could move on at once ranks above one they reach only after
    other stages. The final stage, which waits on all others, comes last and is flagged."""
    split = stage_split(open_sets, stages)
    df = stages[["stage_id", "name", "seq", "final"]].merge(split, on="stage_id", how="left")
    df = df.merge(median_pass_days(cube, period_start, as_of), on="stage_id", how="left")
    df["final"] = df["final"].astype(bool)
    df = df.sort_values(["final", "only_here", "open", "seq"], ascending=[True, False, False, True])
    return df[["stage_id", "name", "open", "only_here", "elsewhere", "median_days", "final"]
              ].reset_index(drop=True)


def as_date(value) -> date | None:
    """A date from what a DataFrame gives back (Timestamp, datetime, date, NaT/None)."""
    # NaT passes isinstance(…, date): a batch with no mark yet has no last mark day.
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


# -- the college page -----------------------------------------------------------------------
# One-click filters of the lagging list: who is one stop from done, who waits only on the
# college's own stages (the college can act at once).
QUICK_FILTERS = {"finish_now": "可立即办结", "college_only": "仅差学院环节"}
QUICK_HELP = {
    "finish_now": "除最后的研工办外只差一个环节（或只差研工办）：去一处即可办结",
    "college_only": "除研工办外，未办的只有本学院的环节（导师、教务秘书、研究生工作组、党委/党总支）",
}


def quick_flags(lagging: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Per lagging student: the stages before the final one still open (`waiting_on`), and
    whether they can finish now / wait only on college stages."""
    final_id = final_stage_id(stages)
    college_ids = set(stages.loc[stages["scope"] == "college", "stage_id"])
    waiting = [waiting_on(ids, final_id) for ids in lagging["open_stage_ids"]]
    return lagging.assign(
        waiting_on=waiting,
        finish_now=[len(w) <= 1 for w in waiting],
        college_only=[bool(w) and set(w) <= college_ids for w in waiting],
    )


@dataclass(frozen=True)
class CollegeView:
    college: str
    students: int
    cleared: int
    school_students: int
    school_cleared: int
    school_college_mean: float   # the mean of the colleges' clearance rates
    stages: pd.DataFrame         # name, college_rate, school_rate, college_open, only_here
    lagging: pd.DataFrame        # lagging rows after filters, + quick flags, last seen, last reminded
    quick_counts: dict           # quick filter → students (before the quick filter)
    sends: pd.DataFrame          # reminder_sends: who reminded which students, when

    @property
    def rate(self) -> float:
        return self.cleared / self.students if self.students else 0.0

    @property
    def school_rate(self) -> float:
        return self.school_cleared / self.school_students if self.school_students else 0.0


def load_college(read: Read, batch: dict, college: str, stage: str | None = None,
                 level: str | None = None, clearance_type: str | None = None,
                 quick: str | None = None) -> CollegeView:
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
    lagging = read("lagging_students", batch=b, college=college, stage=stage, campus=None,
                   level=level, clearance_type=clearance_type, as_of=None)
    lagging = quick_flags(lagging, stages)
    all_open = read("lagging_students", batch=b, college=college, stage=None, campus=None,
                    level=None, clearance_type=None, as_of=None)
    split = stage_split(pd.DataFrame({"open_stages": all_open["open_stage_ids"],
                                      "students": 1}), stages)
    table = pd.DataFrame({
        "stage_id": college_stages["stage_id"], "name": college_stages["name"],
        "college_rate": college_stages["rate"], "school_rate": school_stages["rate"],
        "college_open": college_stages["open"].astype(int),
    }).merge(split[["stage_id", "only_here"]], on="stage_id", how="left")
    quick_counts = {k: int(lagging[k].sum()) for k in QUICK_FILTERS}
    if quick in QUICK_FILTERS:
        lagging = lagging[lagging[quick]]
    seen = read("last_seen_at_desk", batch=b, college=college)
    reminded = read("last_reminded", batch=b, college=college)
    lagging = (lagging.merge(seen, on="student_no", how="left")
               .merge(reminded, on="student_no", how="left").reset_index(drop=True))
    return CollegeView(
        college=college, students=students, cleared=cleared, school_students=school_students,
        school_cleared=school_cleared,
        school_college_mean=float(_college_rates(days, None)["rate"].mean()) if len(days) else 0.0,
        stages=table, lagging=lagging, quick_counts=quick_counts,
        sends=read("reminder_sends", batch=b, college=college),
    )
