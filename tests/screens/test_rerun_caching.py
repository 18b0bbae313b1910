"""Reruns that redo nothing (issue 17): 进度看板 and 学院催办 build their numbers, charts and
tables once per (batch, choices) and keep them until a commit writes a table they read.

Counted here: every named query that reaches DuckDB (`queries.run`), every dashboard
derivation and every chart built. A rerun without a write must do none of them; a mark (events,
stage_status) must re-run only queries of those tables, and show the change; a reminder
(reminders) must leave the overview as built."""

from collections import Counter

import pytest

import queries
import ui.dashboards
import ui.figures
import ui.lagging
from clearance.rules.actors import Actor
from clearance.store.marks import MARK_TABLES, mark
from clearance.store.reminders import record_reminders
from tests.screens.test_dashboard_pages import metrics, page

ADMIN = Actor("admin", "admin", "系统管理员")
FIGURES = ("stage_completion_bar", "college_completion_bar", "completion_heat_map", "progress_chart",
           "comparison_chart", "college_vs_school_bar")


@pytest.fixture
def counted(demo_env, monkeypatch):
    """Counters of the work a page run does: SQL run, derivations, charts."""
    calls: Counter = Counter()
    ran: list[str] = []
    run = queries.run

    def counting_run(store, name, **params):
        ran.append(name)
        return run(store, name, **params)

    monkeypatch.setattr(queries, "run", counting_run)

    def counter(module, attr):
        original = getattr(module, attr)

        def counted_call(*args, **kwargs):
            calls[attr] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, attr, counted_call)

    for name in ("load_overview", "load_college", "last_done_day"):
        counter(ui.dashboards, name)
    counter(ui.lagging, "lagging_table")
    for name in FIGURES:
        counter(ui.figures, name)
    return calls, ran


def _reset(calls: Counter, ran: list) -> None:
    calls.clear()
    ran.clear()


def _a_cleared_student(store) -> str:
    return store.read_value(
        "SELECT student_no FROM stage_status GROUP BY 1"
        " HAVING bool_and(state IN ('passed', 'not_needed')) ORDER BY 1 LIMIT 1")


def test_overview_rerun_without_a_write_recomputes_nothing_and_a_mark_only_its_tables(counted, demo_env):
    calls, ran = counted
    at = page("overview", "gs")
    assert not at.exception
    assert calls["load_overview"] == 1 and calls["completion_heat_map"] == 1 and ran
    before = metrics(at)

    _reset(calls, ran)
    at.run()
    assert not at.exception
    assert ran == [], f"a rerun without a write ran SQL: {ran}"
    assert sum(calls.values()) == 0, f"a rerun without a write rebuilt: {dict(calls)}"
    assert metrics(at) == before

    # A mark: the overview is rebuilt, and shows it; queries of other tables stay cached.
    from clearance.root import open_store
    store = open_store(demo_env)
    no = _a_cleared_student(store)
    mark(store, ADMIN, no, "gso_office", "reset", reason="补交材料")
    _reset(calls, ran)
    at.run()
    assert not at.exception
    assert calls["load_overview"] == 1 and calls["stage_completion_bar"] == 1
    assert ran, "the mark did not reach the page"
    untouched = [q for q in ran if not set(queries.tables(q)) & set(MARK_TABLES)]
    assert untouched == [], f"a mark re-ran queries of tables it did not write: {untouched}"
    assert "stage_list" not in ran and "batch_list" not in ran and "college_list" not in ran
    cleared = int(before["全部办结"].replace(",", ""))
    assert metrics(at)["全部办结"] == f"{cleared - 1:,}"

    # A reminder writes `reminders` only: nothing on the overview reads it.
    record_reminders(store, ADMIN, store.read_value("SELECT batch_id FROM students WHERE student_no = $n",
                                                    {"n": no}), {no: "请尽快到研工办办理离校手续。"})
    _reset(calls, ran)
    at.run()
    assert not at.exception
    assert ran == [] and sum(calls.values()) == 0, (ran, dict(calls))


def test_overview_cell_table_is_built_once_per_cell(counted):
    calls, ran = counted
    at = page("overview", "gs")
    first = calls["lagging_table"]
    assert first == 1
    other = [c for c in at.selectbox(key="cell_college").options if c != at.selectbox(key="cell_college").value][0]
    at.selectbox(key="cell_college").select(other).run()
    assert not at.exception
    assert calls["lagging_table"] == 2 and calls["load_overview"] == 1  # the page's own data kept
    _reset(calls, ran)
    at.run()
    assert calls["lagging_table"] == 0 and ran == []


def test_college_rerun_recomputes_nothing_and_a_reminder_shows_at_once(counted, demo_env):
    calls, ran = counted
    at = page("college", "cs_secretary")
    assert not at.exception
    assert calls["load_college"] == 1 and calls["lagging_table"] == 1
    _reset(calls, ran)
    at.run()
    assert not at.exception
    assert ran == [] and sum(calls.values()) == 0, (ran, dict(calls))

    # Picking a student in the reminder picker rebuilds nothing either.
    picker = at.selectbox(key="cl_reminder_student")
    picker.select(picker.options[1]).run()
    assert not at.exception and ran == [] and sum(calls.values()) == 0, (ran, dict(calls))

    # A recorded reminder is on the page at the next run (the table read `reminders`).
    sends = len(at.dataframe[-1].value) if at.dataframe else 0
    [b for b in at.button if b.key == "cl_record_sms"][0].click().run()
    assert not at.exception
    assert any("已登记" in s.value for s in at.success)
    assert calls["load_college"] == 1
    assert ran and all("reminders" in queries.tables(q) for q in ran), ran
    assert len(at.dataframe[-1].value) == sends + 1
