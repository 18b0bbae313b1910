"""How long a full-batch feed takes: parse + decide + write for every student of the demo batch.

    python -m bench.feeds        (uses a temp copy of a fresh demo store)

Target: a finance file for the whole batch (≈3,100 rows), sent every 30 minutes, applies in
well under a second, so it holds the store's write lock only briefly.
"""

import random
import tempfile
import time
from pathlib import Path

from clearance.root import close_all_stores, open_store
from loaders.demo import generate
from loaders.feeds import import_feed, preview


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.duckdb")
        generate(store)
        nos = [r[0] for r in store.read_rows("SELECT student_no FROM students ORDER BY 1")]
        rng = random.Random(1)
        data = ("学号,欠费金额\n" + "\n".join(
            f"{no},{rng.choice(['0', '0', '0', '１２.５０元', '800'])}" for no in nos)).encode()
        for label, fn in [
            ("preview", lambda: preview(store, "finance", data, "f.csv")),
            ("first run", lambda: import_feed(store, "finance", data, "f.csv", "bench", "cli")),
            ("same file again", lambda: import_feed(store, "finance", data, "f.csv", "bench", "cli")),
        ]:
            t = time.perf_counter()
            fn()
            print(f"{label:16s} {len(nos)} rows: {(time.perf_counter() - t) * 1000:7.1f} ms")
        close_all_stores()


if __name__ == "__main__":
    main()
