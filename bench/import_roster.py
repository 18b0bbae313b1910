"""How long a big roster import takes, as a ratio to the bare python_calamine read of the same
file, measured in one run (the floor moves with the machine's load; the ratio much less).

    python -m bench.import_roster [--rows 100000] [--repeat 3] [--file /tmp/roster-100k.xlsx]

Target (issue 11): a 100,000-row roster .xlsx imports in at most 2× the bare read. "Import" is
the whole `loaders.roster.import_roster` into a fresh store: the parse in the child process
(limits, dimension check, error-cell scan), the answer's transfer, column-wise validation, and
the write of students and status rows. Also printed: the parser child's start-up cost, cold
(a new `python -I`) and warm (the pre-started spare), and the stages of one import.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import tempfile
import time
from pathlib import Path

import python_calamine

from clearance.root import close_all_stores, open_store
from clearance.store.config import load_colleges
from loaders import sandbox
from loaders.roster import COLUMNS, import_roster, initials_column, validate
from loaders.sheets import read_sheet

COLLEGES = ["计算机学院", "机械工程学院", "建筑城规学院", "经济与工商管理学院", "物理学院"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "小明华国强建军文斌红丽娟英敏静燕艳霞芳玲桂兰秀萍伟涛超勇杰磊鹏宇浩然子轩欣怡佳琪思雨梓涵一诺雅婷"


def name(i: int) -> str:
    """A plausible name, the same for the same i."""
    h = (i * 2654435761) % 4294967296
    given = GIVEN[h % len(GIVEN)] + (GIVEN[(h // 97) % len(GIVEN)] if h % 3 else "")
    return SURNAMES[(h // 7) % len(SURNAMES)] + given


def make_roster(path: Path, rows: int) -> None:
    """A roster the way Excel saves one (openpyxl, shared strings), 学号 as text."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(list(COLUMNS))
    for i in range(rows):
        ws.append([f"2018{i:07d}", name(i), COLLEGES[i % 5], "博士" if i % 6 == 0 else "硕士",
                   "毕业" if i % 20 else "结业", ["A区", "B区", "C区", "虎溪"][i % 4], name(i * 7 + 3),
                   f"138{i:08d}" if i % 3 else "", "中共党员" if i % 3 == 0 else "共青团员"])
    wb.save(path)


def bare_read(data: bytes) -> int:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(book.get_sheet_by_index(0).to_python())


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def children_cpu() -> float:
    """CPU seconds (user + sys) of the child processes reaped so far (the parser children)."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def cpu_timed(fn, cpu: list) -> float:
    """Wall seconds of fn(); appends (this process's CPU, the parser children's CPU) to `cpu`.
    CPU time does not grow with the machine's load the way wall time does."""
    p, c = time.process_time(), children_cpu()
    wall = timed(fn)
    cpu.append((time.process_time() - p, children_cpu() - c))
    return wall


def one_import(data: bytes, cpu: list) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.duckdb")
        try:
            return cpu_timed(lambda: import_roster(store, data, "roster.xlsx", "2018-06", "bench"), cpu)
        finally:
            close_all_stores()


def child_start_costs(tiny: bytes, n: int = 5) -> tuple[float, float]:
    """(cold, warm) seconds for parsing a tiny file: a new child each time vs the spare."""
    cold, warm = [], []
    for _ in range(n):
        sandbox._spare = None  # no spare: the parse starts its own child
        cold.append(timed(lambda: read_sheet(tiny, "t.csv", ["学号"])))
        time.sleep(0.5)  # the spare started behind it is up by now
        warm.append(timed(lambda: read_sheet(tiny, "t.csv", ["学号"])))
    return statistics.median(cold), statistics.median(warm)


def loader_part(data: bytes) -> dict[str, float]:
    """The loader's own work, before the store's transaction: parse in the child (with the
    transfer and the column cleaning), column-wise validation, pinyin initials."""
    t, p, c = time.perf_counter(), time.process_time(), children_cpu()
    sheet = read_sheet(data, "roster.xlsx", [h for h in COLUMNS if h != "手机"], wanted=list(COLUMNS))
    parsed, parsed_cpu, child_cpu = time.perf_counter(), time.process_time(), children_cpu() - c
    df, errors = validate(sheet, ("A区", "B区", "C区", "虎溪"), load_colleges())
    assert not errors, errors[:3]
    validated, validated_cpu = time.perf_counter(), time.process_time()
    initials_column(df["name"])
    done, done_cpu = time.perf_counter(), time.process_time()
    return {"parse": parsed - t, "validate": validated - parsed, "initials": done - validated,
            "total": done - t, "cpu child": child_cpu, "cpu transfer+clean": parsed_cpu - p,
            "cpu validate": validated_cpu - parsed_cpu, "cpu initials": done_cpu - validated_cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--file", type=Path, default=None)
    args = ap.parse_args()
    path = args.file or Path(tempfile.gettempdir()) / f"roster-{args.rows}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        make_roster(path, args.rows)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    data = path.read_bytes()
    assert bare_read(data) == args.rows + 1
    bare, full, parts, bare_cpu, full_cpu = [], [], [], [], []
    for _ in range(args.repeat):  # interleaved, so all see the same load
        bare.append(cpu_timed(lambda: bare_read(data), bare_cpu))
        full.append(one_import(data, full_cpu))
        parts.append(loader_part(data))
    b, f = statistics.median(bare), statistics.median(full)
    runs = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    print(f"rows {args.rows}: bare python_calamine read {b:.2f} s (runs {runs(bare)})")
    print(f"rows {args.rows}: import_roster          {f:.2f} s (runs {runs(full)})")
    print(f"ratio import / bare read: {f / b:.2f}×  (target ≤ 2×)")
    bc = statistics.median(p for p, _c in bare_cpu)
    fp, fc = statistics.median(p for p, _c in full_cpu), statistics.median(c for _p, c in full_cpu)
    print(f"CPU seconds (medians): bare read {bc:.2f}; import_roster {fp + fc:.2f} = this process "
          f"{fp:.2f} + parser child {fc:.2f}  (CPU ratio {(fp + fc) / bc:.2f}×)")
    for stage in ("parse", "validate", "initials", "total"):
        xs = [p[stage] for p in parts]
        print(f"  loader {stage:8s} {statistics.median(xs):.2f} s (runs {runs(xs)})")
    for stage in ("cpu child", "cpu transfer+clean", "cpu validate", "cpu initials"):
        xs = [p[stage] for p in parts]
        print(f"  loader {stage:18s} {statistics.median(xs):.2f} s CPU (runs {runs(xs)})")
    print(f"ratio loader part (before the store's transaction) / bare read: "
          f"{statistics.median([p['total'] for p in parts]) / b:.2f}×")
    cold, warm = child_start_costs("学号\n2018000001\n".encode())
    print(f"parser child for a tiny file: cold start {cold * 1000:.0f} ms, warm spare {warm * 1000:.0f} ms")


if __name__ == "__main__":
    main()
