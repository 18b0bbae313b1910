"""The leadership report: one page on the batch as of a day — headline figures with the change
since the day before, the daily curve, colleges weakest first with their change, the three
blocking stages and the outlook to the deadline. `build_report` is a pure function of the
overview's data; `report_pdf` draws it on one A4 page with fpdf2 (the curve with fpdf2's own
lines and rectangles: no plotly image export, which needs a browser at run time); the
print-friendly page (screens/report.py) shows the same `Report`.

The evening copy: `config/report.toml` names a folder and a time; `EveningReports` (started by
server.py) writes the day's PDF there once a day.
"""

from __future__ import annotations

import logging
import threading
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import Mapping

import pandas as pd
from fpdf import FPDF

from clearance.adapters.advisor_form import find_font, font_problem, form_settings
from clearance.clock import beijing_now
from clearance.rules.student_view import load_student_page_config
from ui.dashboards import Filters, Overview, as_date, load_overview
from ui.figures import outlook_text

REPORT_FILE = Path(__file__).resolve().parents[1] / "config" / "report.toml"
BLOCKING_SHOWN = 3
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    headline: tuple[tuple[str, str, str], ...]   # (label, value, change since the day before)
    daily: pd.DataFrame                          # day, cleared_that_day, cumulative
    deadline: date
    students: int
    projected: int | None
    colleges: pd.DataFrame                       # 学院, 学生, 已办结, 办结率, 较前一日
    blocking: pd.DataFrame                       # 环节, 未办, 可立即办结, 先卡在别处
    final_line: str
    outlook: str


def _scope(filters: Filters) -> str:
    parts = [v for v in (filters.college, filters.campus, filters.level, filters.clearance_type) if v]
    return "（范围：" + "、".join(parts) + "）" if parts else "（全校）"


def build_report(o: Overview, batch: Mapping, filters: Filters = Filters()) -> Report:
    """What the report says, from the overview's data as of its day."""
    rate_change = (o.cleared_rate - o.cleared_rate_yesterday) * 100
    headline = (
        ("离校学生", f"{o.students:,}", ""),
        ("全部办结", f"{o.cleared:,}", f"较前一日 {o.cleared_today:+,}"),
        ("办结率", f"{o.cleared_rate:.1%}", f"较前一日 {rate_change:+.1f} 个百分点"),
        (f"当日办结（{o.as_of:%m-%d}）", f"{o.cleared_today:,}", f"前一日 {o.cleared_yesterday:,}"),
        ("尚未办结", f"{o.still_open:,}", f"较前一日 {-o.cleared_today:+,}"),
    )
    c = o.by_college
    colleges = pd.DataFrame({
        "学院": c["college"], "学生": c["students"].astype(int), "已办结": c["cleared"].astype(int),
        "办结率": [f"{r:.1%}" for r in c["rate"]],
        "较前一日（人/百分点）": [f"{int(n):+d}　{d * 100:+.1f}" for n, d in zip(c["cleared_change"], c["rate_change"])],
    })
    top = o.blocking.head(BLOCKING_SHOWN)
    blocking = pd.DataFrame({"环节": top["name"], "未办": top["open"].astype(int),
                             "可立即办结": top["only_here"].astype(int),
                             "先卡在别处": top["elsewhere"].astype(int)})
    final = o.final_stage
    final_line = "" if final is None else (
        f"最后一站{final['name']}：未办 {int(final['open']):,} 人，其中 {int(final['only_here']):,} 人"
        f"只差这一站、可立即办结。")
    return Report(
        title=f"{batch['title']}进度报告",
        subtitle=f"截至 {o.as_of:%Y年%m月%d日} 24:00{_scope(filters)}　集中办理："
                 f"{as_date(batch['period_start']):%m月%d日}—{as_date(batch['period_end']):%m月%d日}",
        headline=headline, daily=o.progress.daily, deadline=o.progress.deadline,
        students=o.students, projected=o.progress.projected_at_deadline,
        colleges=colleges, blocking=blocking, final_line=final_line,
        outlook=outlook_text(o.progress, o.as_of),
    )


# -- the PDF ----------------------------------------------------------------------------------
GREEN, BLUE, GREY, RED = (46, 125, 50), (30, 136, 229), (150, 150, 150), (211, 47, 47)


def report_pdf(o: Overview, batch: Mapping, filters: Filters = Filters(),
               made_at: datetime | None = None) -> bytes:
    """The report as a one-page A4 PDF with an embedded CJK font subset."""
    settings = form_settings(load_student_page_config())
    font = find_font(settings.fonts, settings.faces)
    if font is None:
        raise RuntimeError(font_problem(settings))
    r = build_report(o, batch, filters)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(r.title)
    pdf.set_creator("离校通")
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", font.path, collection_font_number=font.face_index)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("cjk", size=16)
    pdf.cell(0, 9, r.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9.5)
    pdf.set_text_color(80, 80, 80)
    pdf.cell(0, 6, r.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    _headline(pdf, r, width)
    pdf.ln(3)
    _section(pdf, "每日办结（柱：当日新增；线：累计全部办结）")
    curve_y = pdf.get_y() + 2
    _curve(pdf, r, pdf.l_margin, curve_y, width, 66)
    pdf.set_xy(pdf.l_margin, curve_y + 72)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(0, 4.6, "展望：" + r.outlook, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    top = pdf.get_y()
    left_w = width * 0.58
    _section(pdf, "各学院办结情况（最弱在前）")
    _table(pdf, r.colleges, [0.34, 0.13, 0.14, 0.15, 0.24], left_w, row_h=4.3, size=7.8)
    pdf.set_xy(pdf.l_margin + left_w + 5, top)
    right_x, right_w = pdf.l_margin + left_w + 5, width - left_w - 5
    _section(pdf, f"三大卡点环节", x=right_x)
    pdf.set_x(right_x)
    _table(pdf, r.blocking, [0.37, 0.17, 0.24, 0.22], right_w, row_h=5.2, size=7.5, x=right_x)
    pdf.set_x(right_x)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(right_w, 4.2, "可立即办结：除研工办外只差这一个环节的学生；先卡在别处：还有其他环节未办。",
                   new_x="LEFT", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_x(right_x)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(right_w, 4.8, r.final_line, new_x="LEFT", new_y="NEXT")

    pdf.set_y(-12)
    pdf.set_font("cjk", size=7.5)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(0, 4, f"离校通生成于 {(made_at or beijing_now()):%Y-%m-%d %H:%M}；数字为统计日期当日 24:00 时的状态。",
             align="C")
    return bytes(pdf.output())


def _section(pdf: FPDF, title: str, x: float | None = None) -> None:
    if x is not None:
        pdf.set_x(x)
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(30, 30, 30)
    pdf.cell(0, 6.5, title, new_x="LEFT", new_y="NEXT")


def _headline(pdf: FPDF, r: Report, width: float) -> None:
    box = width / len(r.headline)
    y = pdf.get_y()
    for n, (label, value, change) in enumerate(r.headline):
        x = pdf.l_margin + n * box
        pdf.set_draw_color(210, 210, 210)
        pdf.rect(x + 0.8, y, box - 1.6, 20)
        pdf.set_xy(x, y + 1.2)
        pdf.set_font("cjk", size=8.5)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(box, 4.5, label, align="C")
        pdf.set_xy(x, y + 6)
        pdf.set_font("cjk", size=15)
        pdf.set_text_color(0, 0, 0)
        pdf.cell(box, 7, value, align="C")
        pdf.set_xy(x, y + 14)
        pdf.set_font("cjk", size=7.5)
        pdf.set_text_color(*GREEN)
        pdf.cell(box, 4, change, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y + 21)


def _curve(pdf: FPDF, r: Report, x: float, y: float, w: float, h: float) -> None:
    """Cumulative line (upper 70 %) and per-day bars (lower 30 %) over the days up to the
    deadline, drawn with lines and rectangles."""
    d = r.daily
    first = d["day"].iloc[0]
    last = max(r.deadline, d["day"].iloc[-1])
    days = (last - first).days + 1
    axis_w = 12
    plot_x, plot_w = x + axis_w, w - axis_w - 2
    step = plot_w / days
    top_h, gap, bar_h = h * 0.62, 4, h * 0.26
    top_y = y
    bar_y = y + top_h + gap

    def cx(day: date) -> float:
        return plot_x + ((day - first).days + 0.5) * step

    def cy(value: float) -> float:
        return top_y + top_h - top_h * value / max(r.students, 1)

    pdf.set_font("cjk", size=6.5)
    pdf.set_draw_color(225, 225, 225)
    pdf.set_line_width(0.15)
    for frac in (0, 0.25, 0.5, 0.75, 1):
        gy = cy(frac * r.students)
        pdf.line(plot_x, gy, plot_x + plot_w, gy)
        pdf.set_text_color(120, 120, 120)
        pdf.set_xy(x, gy - 2)
        pdf.cell(axis_w - 1, 4, f"{round(frac * r.students):,}", align="R")
    # The deadline.
    pdf.set_draw_color(*RED)
    pdf.set_dash_pattern(dash=1.2, gap=1)
    dx = cx(r.deadline) + step / 2 - 0.5
    pdf.line(dx, top_y, dx, bar_y + bar_h)
    pdf.set_text_color(*RED)
    pdf.set_xy(dx - 22, top_y - 0.5)
    pdf.cell(21, 3.5, f"截止 {r.deadline:%m-%d}", align="R")
    # The projection at the recent pace.
    if r.projected is not None and r.deadline > d["day"].iloc[-1]:
        pdf.set_draw_color(*GREY)
        pdf.line(cx(d["day"].iloc[-1]), cy(d["cumulative"].iloc[-1]), cx(r.deadline), cy(r.projected))
        pdf.set_text_color(*GREY)
        pdf.set_xy(cx(r.deadline) - 31, cy(r.projected) + 1.5)
        pdf.cell(29, 3.5, f"按近 3 日速度：{r.projected:,}", align="R")
    pdf.set_dash_pattern()
    # The cumulative line and its points.
    pdf.set_draw_color(*GREEN)
    pdf.set_fill_color(*GREEN)
    pdf.set_line_width(0.6)
    points = [(cx(dd), cy(v)) for dd, v in zip(d["day"], d["cumulative"])]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        pdf.line(x0, y0, x1, y1)
    pdf.set_text_color(*GREEN)
    for (px, py), v in zip(points, d["cumulative"]):
        pdf.circle(px, py, 0.9, style="F")
    pdf.set_xy(points[-1][0] - 15, points[-1][1] - 4.5)
    pdf.cell(30, 3.5, f"{int(d['cumulative'].iloc[-1]):,}", align="C")
    # Per-day bars.
    pdf.set_line_width(0.15)
    most = max(int(d["cleared_that_day"].max()), 1)
    pdf.set_fill_color(*BLUE)
    pdf.set_text_color(60, 60, 60)
    for dd, n in zip(d["day"], d["cleared_that_day"]):
        bh = bar_h * int(n) / most
        pdf.rect(cx(dd) - step * 0.3, bar_y + bar_h - bh, step * 0.6, bh, style="F")
        pdf.set_xy(cx(dd) - step / 2, bar_y + bar_h - bh - 3.2)
        pdf.cell(step, 3, f"{int(n):,}", align="C")
    pdf.set_draw_color(150, 150, 150)
    pdf.line(plot_x, bar_y + bar_h, plot_x + plot_w, bar_y + bar_h)
    pdf.set_text_color(80, 80, 80)
    for n in range(days):
        day = first + pd.Timedelta(days=n).to_pytimedelta()
        pdf.set_xy(cx(day) - step / 2, bar_y + bar_h + 0.5)
        pdf.cell(step, 3.5, f"{day:%m-%d}", align="C")
    pdf.set_xy(x, bar_y + bar_h / 2 - 2)
    pdf.cell(axis_w - 1, 4, "当日", align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)


def _table(pdf: FPDF, df: pd.DataFrame, widths: list[float], total_w: float, row_h: float,
           size: float, x: float | None = None) -> None:
    x = pdf.l_margin if x is None else x
    cols = [w * total_w for w in widths]
    pdf.set_font("cjk", size=size)
    pdf.set_fill_color(238, 238, 238)
    pdf.set_draw_color(220, 220, 220)
    pdf.set_x(x)
    for name, cw in zip(df.columns, cols):
        pdf.cell(cw, row_h + 0.6, str(name), border="B", align="C", fill=True)
    pdf.ln(row_h + 0.6)
    for row in df.itertuples(index=False):
        pdf.set_x(x)
        for n, (value, cw) in enumerate(zip(row, cols)):
            pdf.cell(cw, row_h, str(value), border="B", align="L" if n == 0 else "R")
        pdf.ln(row_h)


# -- the evening copy -------------------------------------------------------------------------
@dataclass(frozen=True)
class EveningSettings:
    folder: Path | None   # None: off
    at: time


def evening_settings(path: Path = REPORT_FILE) -> EveningSettings:
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("evening", {}) if path.is_file() else {}
    folder = str(raw.get("folder", "")).strip()
    at = raw.get("at", time(20, 0))
    if isinstance(at, str):
        at = time.fromisoformat(at)
    return EveningSettings(Path(folder) if folder else None, at)


def write_report(store, folder: Path, day: date, made_at: datetime | None = None) -> list[Path]:
    """The day's report for every batch whose period has begun, into `folder`
    (离校进度报告_<batch>_<YYYYMMDD>.pdf; an existing file for the day is replaced)."""
    import queries
    from ui.dashboards import choose_as_of, last_done_day

    read = partial(queries.run, store)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for batch in read("batch_list").to_dict("records"):
        start, end = as_date(batch["period_start"]), as_date(batch["period_end"])
        if day < start:
            continue
        as_of = choose_as_of(start, end, last_done_day(read, batch["batch_id"]), day).day
        overview = load_overview(read, batch, Filters(), as_of)
        target = folder / f"离校进度报告_{batch['batch_id']}_{as_of:%Y%m%d}.pdf"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(report_pdf(overview, batch, made_at=made_at))
        tmp.replace(target)
        written.append(target)
    return written


class EveningReports:
    """A daemon thread that writes the day's report into the configured folder once a day,
    after the configured time (checked each minute, so a restart in the evening still writes)."""

    def __init__(self, store, settings: EveningSettings, now=None):
        self.store, self.settings = store, settings
        self.now = now or beijing_now
        self._done: date | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evening-reports", daemon=True)

    def start(self) -> None:
        if self.settings.folder is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> list[Path]:
        now = self.now()
        if now.time() < self.settings.at or self._done == now.date():
            return []
        self._done = now.date()
        return write_report(self.store, self.settings.folder, now.date(), made_at=now)

    def _run(self) -> None:
        while not self._stop.wait(60):
            try:
                self.tick()
            except Exception:  # a full disk must not stop the app; try again tomorrow
                log.exception("evening report failed")
