"""Online backup: how long writes wait and how long a verified snapshot takes, against the
bare floor (copying the file with `cp`), and the alternatives that were considered.

    python -m bench.backup --sizes 10k,100k --dir /tmp/bench-backup

Per size: a store from bench.generate, then, in the same run, medians of `--repeat` runs of
- floor: `cp` of the checkpointed file (nothing else);
- chosen: clearance.backup.backup_store (CHECKPOINT + copy under the write lock in a child
  process, then verification outside the lock: every table read, counts, statuses vs events);
- attach: ATTACH a new file + COPY FROM DATABASE (no lock held, one transaction);
- export: EXPORT DATABASE (FORMAT parquet).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from bench.generate import generate
from clearance.store.backup import backup_store
from clearance.operations import OperationsConfig
from clearance.root import close_all_stores, open_store

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def _ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def run(n: int, folder: Path, repeat: int) -> dict:
    path = folder / f"backup-{n}.duckdb"
    if not path.exists():
        generate(n, path)
        close_all_stores()
    store = open_store(path)
    config = OperationsConfig(backup_folder=str(folder / f"snapshots-{n}"), keep=2, daily_at=None)
    store.read_value("CHECKPOINT")
    floor, chosen, lock, attach, export = [], [], [], [], []
    for k in range(repeat):
        target = folder / "floor.duckdb"
        floor.append(_ms(lambda: subprocess.run(["cp", str(path), str(target)], check=True)))
        target.unlink()
        result = {}
        chosen.append(_ms(lambda: result.setdefault("r", backup_store(store, "manual", config=config))))
        lock.append(result["r"].lock_ms)
        copy = folder / f"attach-{k}.duckdb"
        with store.cursor() as cur:
            attach.append(_ms(lambda: (cur.execute(f"ATTACH '{copy}' AS bk"),
                                       cur.execute(f"COPY FROM DATABASE \"{path.stem}\" TO bk"),
                                       cur.execute("DETACH bk"))))
        copy.unlink()
        out = folder / f"export-{k}"
        with store.cursor() as cur:
            export.append(_ms(lambda: cur.execute(f"EXPORT DATABASE '{out}' (FORMAT parquet)")))
        shutil.rmtree(out)
    size = path.stat().st_size
    close_all_stores()
    med = statistics.median
    return {"students": n, "mb": size / 1e6, "floor": med(floor), "chosen": med(chosen),
            "lock": med(lock), "attach": med(attach), "export": med(export)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10k,100k")
    p.add_argument("--dir", type=Path, default=Path("/tmp/bench-backup"))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print("| students | file (MB) | cp floor (ms) | backup_store (ms) | writes held (ms) |"
          " ÷ floor | ATTACH+COPY (ms) | EXPORT parquet (ms) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.sizes.split(","):
        r = run(SIZES[name], args.dir, args.repeat)
        print(f"| {r['students']:,} | {r['mb']:.0f} | {r['floor']:.0f} | {r['chosen']:.0f} |"
              f" {r['lock']:.0f} | {r['chosen'] / r['floor']:.1f}× | {r['attach']:.0f} |"
              f" {r['export']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
