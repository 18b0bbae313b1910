"""What the student page costs per student, on the demo batch (run while the app is stopped):

    CLEARANCE_DB=/tmp/bench.duckdb python -m loaders demo
    CLEARANCE_DB=/tmp/bench.duckdb python -m bench.bench_student_page

Measures the named queries + the domain view for one student (uncached), the advisor form
PDF, and the limiter under 8 threads. Targets: view < 50 ms, PDF < 1 s, limiter > 100k ops/s.
"""

import statistics
import threading
import time

import queries
from clearance.adapters.advisor_form import advisor_form_pdf
from clearance.store.db import get_catalogue
from clearance.adapters.ratelimit import FailureLimiter, LookupLimits
from clearance.root import open_store
from clearance.rules.student_view import build_view


def timed(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, max(times) * 1000


def main() -> None:
    store = open_store()
    catalogue = get_catalogue(store)
    nos = [r[0] for r in store.read_rows("SELECT student_no FROM students ORDER BY random() LIMIT 200")]
    batches = queries.run(store, "batch_list").set_index("batch_id")

    def view(no=nos[0]):
        profile = queries.run(store, "student_profile", student_no=no).iloc[0].to_dict()
        rows = queries.run(store, "student_stages", student_no=no)
        states = {r.stage_id: (r.state, r.reason) for r in rows.itertuples()}
        return build_view(catalogue, profile, states, batches.loc[profile["batch_id"]].to_dict())

    it = iter(nos * 2)
    print("view (2 queries + domain): median %.1f ms, max %.1f ms" % timed(lambda: view(next(it)), 200))
    size = len(advisor_form_pdf("段静丹", "2013227873", "博士", "毕业", "软件学院"))
    print("advisor form PDF: median %.0f ms, max %.0f ms" % timed(
        lambda: advisor_form_pdf("段静丹", "2013227873", "博士", "毕业", "软件学院"), 20),
        f"({size / 1024:.0f} KiB)")
    limiter = FailureLimiter(LookupLimits(max_failures=10**9, window_seconds=60))
    def hammer(n):
        for i in range(20_000):
            limiter.check(f"ip:10.0.{n}.{i % 250}")
            limiter.acquire(f"ip:10.0.{n}.{i % 250}")
    t = time.perf_counter()
    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("limiter: %.0f check+acquire/s over 8 threads" % (160_000 / (time.perf_counter() - t)))


if __name__ == "__main__":
    main()
