"""The interpreter's garbage collector, set up once for a long-lived server process.

Streamlit's own full `gc.collect(2)` after every script run is off (`runner.postScriptGC` in
.streamlit/config.toml): it cost ~55 ms per rerun while holding the interpreter lock. What the
collector still has to do is made cheap here:

- the modules every page needs are imported before the first session, and everything alive
  after start-up is moved out of the collector's sight with `gc.freeze()` (pandas, plotly,
  pyarrow, streamlit: several hundred thousand objects a full collection would otherwise walk
  every time);
- the young-generation threshold is raised from 700 to a value measured with
  `bench/memory.py` (a rerun allocates tens of thousands of short-lived containers, so at 700
  a single rerun triggered dozens of young collections), while the old generations keep
  collecting, so reference cycles are still reclaimed and memory stays flat over a long run.

`CLEARANCE_GC_THRESHOLDS="a,b,c"` overrides the thresholds (for the benchmark), and
`CLEARANCE_GC_STATS=<file>` makes the process write its collection counts and pause times
there after every collection of the older generations (also for the benchmark; off by default).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import threading
import time

# Measured with bench/memory.py on the demo store (see BENCHMARKS.md, "Memory and GC").
THRESHOLDS = (20_000, 20, 20)

# Imported before freezing so their module-level objects never get scanned again.
WARM_MODULES = (
    "pandas", "numpy", "pyarrow", "plotly.graph_objects", "plotly.express", "fpdf",
    "streamlit.runtime.scriptrunner", "queries", "ui.data", "ui.auth", "ui.marking_pages",
    "ui.dashboards", "ui.figures", "ui.lagging", "ui.filters", "ui.student_lookup",
    "clearance.store.marks", "clearance.rules.student_view", "clearance.adapters.advisor_form",
    "ui.errors", "ui.chinese", "ui.text", "ui.comparison", "ui.report", "ui.desk_keys",
    "clearance.store.accounts", "clearance.adapters.sessions", "clearance.store.reminders",
    "clearance.store.feeds", "clearance.store.diplomas", "clearance.store.spot_checks",
    "clearance.store.cards", "clearance.store.batches", "clearance.store.desk_tokens",
    "clearance.rules.handout", "loaders.roster", "loaders.sheets", "loaders.cards",
    "loaders.feeds", "loaders.student_numbers", "cardreader.reader",
)


class PauseStats:
    """Collections and pause time per generation, from `gc.callbacks`."""

    def __init__(self, path: str | None):
        self.path = path
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started: float | None = None
        self._lock = threading.Lock()

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        if self._started is None:
            return
        took = time.perf_counter() - self._started
        generation = info.get("generation", 2)
        with self._lock:
            self.counts[generation] += 1
            self.seconds[generation] += took
            self.longest[generation] = max(self.longest[generation], took)
        if generation >= 1 and self.path:  # the older generations run rarely: cheap to record
            self.write()

    def snapshot(self) -> dict:
        with self._lock:
            return {"counts": list(self.counts), "seconds": [round(s, 4) for s in self.seconds],
                    "longest_ms": [round(s * 1000, 2) for s in self.longest],
                    "thresholds": list(gc.get_threshold()), "frozen": gc.get_freeze_count()}

    def write(self) -> None:
        if not self.path:
            return
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.snapshot(), f)
        os.replace(tmp, self.path)


_stats: PauseStats | None = None


def thresholds_from_env() -> tuple[int, int, int]:
    raw = os.environ.get("CLEARANCE_GC_THRESHOLDS", "")
    if not raw:
        return THRESHOLDS
    parts = tuple(int(p) for p in raw.split(","))
    if len(parts) != 3 or parts[0] <= 0:
        raise ValueError(f"CLEARANCE_GC_THRESHOLDS must be three integers, got {raw!r}")
    return parts  # type: ignore[return-value]


def warm_up() -> None:
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # a module moved (package restructure): freezing is best effort
            pass


def tune_for_server() -> PauseStats:
    """Call once at server start-up, after the store is open."""
    global _stats
    warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds_from_env())
    if _stats is None:
        _stats = PauseStats(os.environ.get("CLEARANCE_GC_STATS") or None)
        gc.callbacks.append(_stats)
    return _stats


def stats() -> PauseStats | None:
    return _stats
