"""Does CPU-bound work in a worker process help the server? (webapi/workers.py)

    .venv/bin/python -m bench.workers --jobs 24

Runs the same jobs — advisor-form PDFs and a lagging-list Excel export of the demo store's
largest college — once in threads of this process (as before) and once in the worker pool
(spawned processes), while a "session" thread runs a 5 ms pure-Python task every 10 ms, as
page reruns do. Reports the jobs' wall time and how late the session's tasks ran (p50/p95/max
of the extra delay): that delay is what every other user of a one-process server feels.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
import multiprocessing


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def session_lag(stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        _spin(0.005)
        time.sleep(0.005)
        out.append(time.perf_counter() - t - 0.010)


def jobs_for(args):
    from clearance.adapters.advisor_form import FormSettings, advisor_form_pdf
    from clearance.root import close_all_stores, open_store
    from loaders.demo import generate
    from ui.dashboards import load_college
    from ui.lagging import lagging_table, to_xlsx
    import queries
    from pathlib import Path
    master = Path(args.dir) / "demo-master.duckdb"
    if not master.exists():
        master.parent.mkdir(parents=True, exist_ok=True)
        generate(open_store(master))
        close_all_stores()
    store = open_store(master)
    batch = queries.run(store, "batch_list").iloc[0].to_dict()
    college = queries.run(store, "college_list", batch=batch["batch_id"]).iloc[0]["college"]
    read = lambda name, **p: queries.run(store, name, **p)  # noqa: E731
    table = lagging_table(load_college(read, batch, college).lagging, batch["period_end"])
    close_all_stores()
    settings = FormSettings()
    pdf = (advisor_form_pdf, ("张三", "20180001", "硕士", "毕业", "计算机学院", settings))
    xlsx = (to_xlsx, (table,))
    return [pdf if i % 2 == 0 else xlsx for i in range(args.jobs)], len(table)


def run_mode(executor, jobs) -> dict:
    lag: list[float] = []
    stop = threading.Event()
    t = threading.Thread(target=session_lag, args=(stop, lag))
    t.start()
    started = time.perf_counter()
    for f in [executor.submit(fn, *a) for fn, a in jobs]:
        f.result()
    wall = time.perf_counter() - started
    stop.set()
    t.join()
    lag.sort()
    return {"jobs_wall_s": round(wall, 2),
            "session_lag_p50_ms": round(statistics.median(lag) * 1000, 1),
            "session_lag_p95_ms": round(lag[int(0.95 * (len(lag) - 1))] * 1000, 1),
            "session_lag_max_ms": round(lag[-1] * 1000, 1)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--dir", default="/tmp/lxt-load")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    jobs, rows = jobs_for(args)
    results = {"jobs": len(jobs), "xlsx_rows": rows, "load_avg_1m": round(os.getloadavg()[0], 2)}
    with ThreadPoolExecutor(2) as ex:
        ex.submit(lambda: None).result()
        results["threads"] = run_mode(ex, jobs)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        for fn, a in jobs[:2]:  # start-up and first import outside the measurement
            ex.submit(fn, *a).result()
        results["one_worker_process"] = run_mode(ex, jobs)
    print(json.dumps(results, ensure_ascii=False))
    if args.json:
        open(args.json, "w").write(json.dumps(results, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
