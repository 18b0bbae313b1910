"""What a rerun of 进度看板 / 学院催办 costs the server when nothing was written, and after a mark.

    .venv/bin/python -m bench.dashboard_rerun --reruns 30 [--page screens/overview.py ...]

Runs each page in Streamlit's AppTest (in this process, on a copy of the demo store, signed in
as 研究生院 / 计算机学院's secretary): one first run, then --reruns reruns with no write in
between, then --reruns reruns each after one mark (a 财务处 撤销/通过 of a random student). Reports
the median CPU time (this process, all threads) and wall time of a run. AppTest's own overhead is
in every number; compare pages and rows of the same run. `--page` may name a copy of an older page
file (e.g. `git show main~5:screens/overview.py > /tmp/old_overview.py`) to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"overview": ("screens/overview.py", "gs"), "college": ("screens/college.py", "cs_secretary")}


def _timed(at: AppTest) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    assert not at.exception, at.exception
    return time.perf_counter() - wall, time.process_time() - cpu


def _evidence(stage_id: str) -> dict:
    from clearance.store.config import load_catalogue

    stage = load_catalogue().stage(stage_id)
    sample = {"choice": None, "text": "压测记录", "date": "2018-06-01", "money": "0"}
    return {"checked": [i.text for i in stage.items],
            "fields": {f.field_id: f.choices[0] if f.kind == "choice" else sample[f.kind]
                       for f in stage.fields}}


def measure(page_file: str, user: str, reruns: int, store, rng) -> dict:
    from clearance.adapters.sessions import start_session
    from clearance.rules.actors import Actor
    from clearance.store.marks import mark

    at = AppTest.from_file(str(ROOT / page_file) if not os.path.isabs(page_file) else page_file,
                           default_timeout=120)
    at.session_state["signed_in"] = {"token": start_session(store, user)}
    first = _timed(at)
    quiet = [_timed(at) for _ in range(reruns)]
    admin = Actor("admin", "admin", "系统管理员")
    students = [r[0] for r in store.read_rows(
        "SELECT s.student_no FROM stage_status s JOIN stage_status f ON f.student_no = s.student_no"
        " AND f.stage_id = 'gso_office' WHERE s.stage_id = 'finance' AND s.state = 'passed'"
        " AND f.state NOT IN ('passed', 'not_needed')")]
    after_mark = []
    for _ in range(reruns):
        no = rng.choice(students)
        mark(store, admin, no, "finance", "reset", reason="压测撤销")
        mark(store, admin, no, "finance", "pass", evidence=_evidence("finance"))
        after_mark.append(_timed(at))

    def ms(runs, i):
        return round(statistics.median(r[i] for r in runs) * 1000, 1)

    return {"page": page_file, "first_wall_ms": round(first[0] * 1000, 1),
            "first_cpu_ms": round(first[1] * 1000, 1),
            "rerun_wall_ms": ms(quiet, 0), "rerun_cpu_ms": ms(quiet, 1),
            "after_mark_wall_ms": ms(after_mark, 0), "after_mark_cpu_ms": ms(after_mark, 1),
            "reruns": reruns, "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reruns", type=int, default=30)
    ap.add_argument("--page", action="append", help="page file (default: both dashboards);"
                    " user taken from its name (overview → gs, else cs_secretary)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from clearance.root import close_all_stores, open_store
    from loaders.demo import generate

    work = Path(tempfile.mkdtemp(prefix="lxt-rerun-"))
    try:
        master = work / "demo.duckdb"
        generate(open_store(master))
        close_all_stores()
        results = []
        pages = args.page or [p for p, _ in PAGES.values()]
        for i, page_file in enumerate(pages):
            db = work / f"run{i}.duckdb"
            shutil.copy(master, db)
            os.environ["CLEARANCE_DB"] = str(db)
            user = "gs" if "overview" in Path(page_file).name else "cs_secretary"
            r = measure(page_file, user, args.reruns, open_store(db), random.Random(i))
            close_all_stores()
            print(json.dumps(r, ensure_ascii=False), flush=True)
            results.append(r)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
